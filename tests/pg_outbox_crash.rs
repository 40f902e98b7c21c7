//! A crash test of the outbox and the sweep on PostgreSQL, with two instances: two child
//! processes (this test binary, run again), each with its own `PgStore` on one schema, run
//! the sweep and the delivery loop at once over claims whose deadlines have passed, and are
//! killed with `SIGKILL` at varying points, [`ROUNDS`] times; the parent then delivers what
//! is left and checks that each due claim expired exactly once, that every event was
//! delivered at least once, and that none was delivered without its claim.
//!
//! Run with `--nocapture` to see the counts. Built without `CPOR_PG_URL`, it is reported as
//! ignored, with the reason.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cpor::association::{Acknowledgement, AssociationCommand as C, InfoRequestReason};
use cpor::event::EventId;
use cpor::service::Claims;
use cpor::store::{PgStore, Scope, Store};
use cpor::{AssociationForm, Catalogs, ClaimId, PartnerId};

use common::files::TempDb;
use common::{admin_of, claim_id, mws_form, reviewer, t0, text};
use pg_support::Schema;

/// How many times the two instances are killed.
const ROUNDS: u64 = 25;
/// How many claims are due.
const CLAIMS: u128 = 150;
/// The environment of a child: the server, its schema, the delivery log, the instance's
/// name, and the moment (Unix milliseconds) the parent's clock starts from.
const URL_VAR: &str = "CPOR_PG_CRASH_URL";
const SCHEMA_VAR: &str = "CPOR_PG_CRASH_SCHEMA";
const LOG_VAR: &str = "CPOR_PG_CRASH_LOG";
const NAME_VAR: &str = "CPOR_PG_CRASH_NAME";
const START_VAR: &str = "CPOR_PG_CRASH_START";
/// The leases the children take: short, so that the next round takes over what a killed
/// instance held.
const LEASE: Duration = Duration::from_millis(500);

/// The test's clock: 60 days after the claims were made (every information request is
/// overdue), plus the wall time since `start`, so that leases run out as time passes.
fn clock(start: Instant) -> DateTime<Utc> {
    let elapsed = chrono::Duration::from_std(start.elapsed()).unwrap();
    t0() + chrono::Duration::days(60) + elapsed
}

/// A form for customer tenant `n`: each claim its own keys.
fn form(n: u128) -> AssociationForm {
    AssociationForm {
        tenant: uuid::Uuid::from_u128(0x7e00_0000_0000_4000_8000_0000_0000_0000 + n).to_string(),
        ..mws_form()
    }
}

/// Appends the IDs of `ids` to the delivery log in one write.
fn deliver(log: &mut std::fs::File, ids: &[EventId]) {
    let lines: String = ids.iter().map(|id| format!("{id}\n")).collect();
    log.write_all(lines.as_bytes()).unwrap();
}

/// The child: one instance, sweeping and delivering in turn until it is killed.
#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn pg_outbox_child() {
    let (Some(url), Some(schema), Some(log), Some(name), Some(start)) = (
        std::env::var_os(URL_VAR),
        std::env::var_os(SCHEMA_VAR),
        std::env::var_os(LOG_VAR),
        std::env::var(NAME_VAR).ok(),
        std::env::var(START_VAR).ok(),
    ) else {
        return;
    };
    let since: u64 = start.parse().unwrap();
    let started_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    // The parent's clock, carried over: its start, as an `Instant` of this process.
    let start = Instant::now()
        .checked_sub(Duration::from_millis(
            u64::try_from(started_ms).unwrap().saturating_sub(since),
        ))
        .unwrap();
    let store =
        PgStore::connect_in_schema(url.to_str().unwrap(), schema.to_str().unwrap()).unwrap();
    let claims = Claims::new(store, Catalogs::builtin()).with_sweep_lease(LEASE);
    let facts = cpor::eligibility::InMemoryFacts::new();
    let mut log = std::fs::OpenOptions::new().append(true).open(log).unwrap();
    let stdout = std::io::stdout();
    loop {
        let swept = claims.sweep(clock(start), &facts).unwrap();
        for s in &swept {
            let id = match s {
                cpor::service::Swept::Association(o) => o.claim.id(),
                cpor::service::Swept::Activity(o) => o.claim.id(),
            };
            writeln!(stdout.lock(), "SWEPT {name} {id}").unwrap();
        }
        let batch = claims
            .store()
            .lease_events(clock(start), LEASE, 25)
            .unwrap();
        let ids: Vec<EventId> = batch.iter().map(|l| l.id).collect();
        deliver(&mut log, &ids);
        claims.store().acknowledge(&ids).unwrap();
        writeln!(stdout.lock(), "SENT {name} {}", ids.len()).unwrap();
        if swept.is_empty() && batch.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts instance `name`.
fn spawn(schema: &Schema, log: &Path, name: &str, since_ms: u128) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pg_outbox_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL_VAR, &schema.url)
        .env(SCHEMA_VAR, &schema.name)
        .env(LOG_VAR, log)
        .env(NAME_VAR, name)
        .env(START_VAR, since_ms.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Kills `child` and returns the claims it reported swept (whole lines only).
fn kill(mut child: Child) -> Vec<ClaimId> {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "an instance ended by itself: {status}"
        );
    }
    #[cfg(not(unix))]
    let _ = status;
    let mut swept = Vec::new();
    let reader = BufReader::new(child.stdout.take().unwrap());
    for line in reader.split(b'\n').map_while(Result::ok) {
        let line = String::from_utf8_lossy(&line);
        if let Some(rest) = line.strip_prefix("SWEPT ")
            && let Some((_, id)) = rest.split_once(' ')
            && let Ok(id) = ClaimId::parse(id)
        {
            swept.push(id);
        }
    }
    swept
}

/// A small deterministic generator (SplitMix64), for the kill points.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The event IDs in the delivery log, each with how many times it was delivered.
fn delivered(log: &Path) -> BTreeMap<EventId, usize> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut seen = BTreeMap::new();
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let id: EventId = line.trim_end().parse().unwrap();
        *seen.entry(id).or_default() += 1;
    }
    seen
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn two_killed_instances_expire_each_claim_once_and_lose_no_event() {
    if std::env::var_os(SCHEMA_VAR).is_some() {
        return;
    }
    let url = url_or_skip!("two_killed_instances_expire_each_claim_once_and_lose_no_event");
    let schema = Schema::new(&url);
    let dir = TempDb::new("pg-outbox-crash");
    let log = dir.path().with_extension("log");
    std::fs::write(&log, "").unwrap();

    // Claims whose information requests go unanswered: the sweep rejects each.
    let claims = Claims::new(schema.store(), Catalogs::builtin());
    let mut committed = BTreeSet::new();
    let mut record = |events: &[cpor::event::Emitted<cpor::association::AssociationEvent>]| {
        committed.extend(events.iter().map(|e| e.id));
    };
    for n in 1..=CLAIMS {
        let id = claim_id(n);
        let admin = admin_of(PartnerId::new(6_100_000 + u64::try_from(n).unwrap()).unwrap());
        record(
            &claims
                .create_association(id, &form(n), &admin, t0())
                .unwrap()
                .events,
        );
        let steps = [
            (
                C::AttachPoe {
                    reference: text("sow.pdf"),
                },
                admin.clone(),
            ),
            (
                C::Submit {
                    acknowledgement: Acknowledgement::Given,
                },
                admin.clone(),
            ),
            (C::StartReview, reviewer()),
            (
                C::RequestInfo {
                    reason: InfoRequestReason::MissingAllPoe,
                },
                reviewer(),
            ),
        ];
        for (command, actor) in steps {
            record(
                &claims
                    .association(id, &command, &actor, t0())
                    .unwrap()
                    .events,
            );
        }
    }
    let before: BTreeMap<ClaimId, u64> = (1..=CLAIMS)
        .map(|n| {
            let id = claim_id(n);
            (id, claims.load(&reviewer(), id).unwrap().version.get())
        })
        .collect();

    let start = Instant::now();
    let since_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut reported: BTreeMap<ClaimId, usize> = BTreeMap::new();
    let mut by_instance = [0_usize; 2];
    for round in 0..ROUNDS {
        let a = spawn(&schema, &log, "a", since_ms);
        let b = spawn(&schema, &log, "b", since_ms);
        // Each round kills the two at their own moment, 30 to 330 ms in.
        let (wait_a, wait_b) = (30 + mix(round) % 300, 30 + mix(round + 1_000) % 300);
        let (first, second, first_wait, second_wait, first_is_a) = if wait_a <= wait_b {
            (a, b, wait_a, wait_b, true)
        } else {
            (b, a, wait_b, wait_a, false)
        };
        std::thread::sleep(Duration::from_millis(first_wait));
        let swept_first = kill(first);
        std::thread::sleep(Duration::from_millis(second_wait - first_wait));
        let swept_second = kill(second);
        let (swept_a, swept_b) = if first_is_a {
            (swept_first, swept_second)
        } else {
            (swept_second, swept_first)
        };
        by_instance[0] += swept_a.len();
        by_instance[1] += swept_b.len();
        for id in swept_a.into_iter().chain(swept_b) {
            *reported.entry(id).or_default() += 1;
        }
    }

    // The last instance: sweep and deliver what is left, every lease run out.
    let later = clock(start) + chrono::Duration::days(1);
    let facts = cpor::eligibility::InMemoryFacts::new();
    let finished = claims.sweep(later, &facts).unwrap().len();
    let store = claims.store();
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    loop {
        let batch = store
            .lease_events(later, Duration::from_secs(60), 1_000)
            .unwrap();
        if batch.is_empty() {
            break;
        }
        let ids: Vec<EventId> = batch.iter().map(|l| l.id).collect();
        deliver(&mut file, &ids);
        store.acknowledge(&ids).unwrap();
    }

    // Each claim expired once: one version more than before, rejected, and reported swept
    // by at most one instance.
    let mut final_versions = BTreeMap::new();
    for (id, was) in &before {
        let now = store.load(Scope::Microsoft, *id).unwrap().unwrap();
        assert_eq!(
            now.version.get(),
            was + 1,
            "claim {id} was written once by the sweeps"
        );
        assert!(
            now.claim.next_deadline().is_none(),
            "claim {id} is still due"
        );
        final_versions.insert(*id, now.version.get());
    }
    let twice: Vec<_> = reported.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "claims reported swept twice: {twice:?}");

    let delivered = delivered(&log);
    // Every event of the setup, and the first event of each expiry, were delivered.
    let mut expected = committed.clone();
    for (id, version) in &final_versions {
        expected.insert(EventId {
            claim: *id,
            version: cpor::store::Version::new(*version),
            index: 0,
        });
    }
    let lost: Vec<_> = expected
        .iter()
        .filter(|id| !delivered.contains_key(id))
        .collect();
    let orphans: Vec<_> = delivered
        .keys()
        .filter(|id| {
            final_versions
                .get(&id.claim)
                .is_none_or(|v| id.version.get() > *v)
        })
        .collect();
    let repeats: usize = delivered.values().map(|n| n - 1).sum();
    println!(
        "postgres two-instance crash test: {ROUNDS} rounds, each instance killed once per \
         round; {} due claims, reported swept by instance a {} and by b {} (a sweep reports when it \
         ends: the others were expired by sweeps killed part way), left after the kills \
         {finished}; \
         {} events delivered ({repeats} repeat deliveries); lost events {}, events without \
         their claim {}",
        before.len(),
        by_instance[0],
        by_instance[1],
        delivered.len(),
        lost.len(),
        orphans.len()
    );
    assert!(lost.is_empty(), "events lost: {lost:?}");
    assert!(
        orphans.is_empty(),
        "events delivered without their claim: {orphans:?}"
    );
    assert!(
        store
            .lease_events(later, Duration::from_secs(60), 1_000)
            .unwrap()
            .is_empty()
    );
}
