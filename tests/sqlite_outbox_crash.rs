//! A crash test of the outbox on `SqliteStore`: a child process (this test binary, run again)
//! commits claims with their events and delivers the outbox (lease, append each event's ID to
//! a delivery log, acknowledge) over one database file; the parent kills it with `SIGKILL`
//! at a varying point, [`RUNS`] times, then delivers what is left and checks that no
//! acknowledged commit and no event was lost, that no event was delivered without its claim,
//! and that every repeat delivery is of an event ID seen before (at-least-once).
//!
//! Run with `--nocapture` to see the counts.
#![cfg(feature = "sqlite")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cpor::activity::ActivityEvent;
use cpor::event::{Event, EventId};
use cpor::store::{Scope, SqliteStore, Store, Version, Write};
use cpor::{ClaimId, EmailAddress};

use common::files::{TempDb, own_draft};

/// The wall clock (the crate's `chrono` has no clock of its own).
fn now() -> DateTime<Utc> {
    DateTime::from(std::time::SystemTime::now())
}

/// How many times the child is killed.
const RUNS: u64 = 60;
/// The environment variables that make `outbox_child` the child: the database, the delivery
/// log, and the run (which numbers its claims).
const DB_VAR: &str = "CPOR_OUTBOX_CHILD_DB";
const LOG_VAR: &str = "CPOR_OUTBOX_CHILD_LOG";
const RUN_VAR: &str = "CPOR_OUTBOX_CHILD_RUN";
/// Claims per run: far more than a run commits before its kill.
const PER_RUN: u64 = 10_000;
/// The first partner location of the claims (each claim has its own, so none share a key).
const FIRST_PARTNER: u64 = 3_000_000;
/// The lease the child takes: short, so that the next child delivers what a killed one held.
const LEASE: Duration = Duration::from_millis(300);

/// The events of claim `n`: one to three, as a command makes.
fn events_of(n: u64) -> Vec<Event> {
    let email = EmailAddress::parse("pat@contoso.com").unwrap();
    let all: [Event; 3] = [
        ActivityEvent::ConsentEmailRequested {
            to: email,
            reminder: false,
        }
        .into(),
        ActivityEvent::PayoutDue { amount: None }.into(),
        ActivityEvent::ConsentEmailRequested {
            to: EmailAddress::parse("sam@contoso.com").unwrap(),
            reminder: true,
        }
        .into(),
    ];
    let count = usize::try_from(n % 3).unwrap() + 1;
    all.into_iter().take(count).collect()
}

/// The claim number `n` of run `run`.
fn number(run: u64, i: u64) -> u64 {
    run * PER_RUN + i
}

/// The child: alternately commits a claim with its events and delivers a batch, printing
/// `DONE <claim>` once a commit returned and `SENT <n>` once a batch was acknowledged.
#[test]
fn outbox_child() {
    let (Some(db), Some(log), Some(run)) = (
        std::env::var_os(DB_VAR),
        std::env::var_os(LOG_VAR),
        std::env::var(RUN_VAR).ok(),
    ) else {
        return;
    };
    let run: u64 = run.parse().unwrap();
    let store = SqliteStore::open(Path::new(&db)).unwrap();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .unwrap();
    let stdout = std::io::stdout();
    for i in 0..PER_RUN {
        let n = number(run, i);
        let claim = own_draft(FIRST_PARTNER, n);
        let id = claim.id();
        store
            .commit(vec![Write::create(claim).with_events(events_of(n))])
            .unwrap();
        writeln!(stdout.lock(), "DONE {id}").unwrap();
        let batch = store.lease_events(now(), LEASE, 4).unwrap();
        if batch.is_empty() {
            continue;
        }
        // Delivered (one write of every ID of the batch), then acknowledged.
        let lines: String = batch.iter().map(|l| format!("{}\n", l.id)).collect();
        log.write_all(lines.as_bytes()).unwrap();
        let ids: Vec<EventId> = batch.iter().map(|l| l.id).collect();
        store.acknowledge(&ids).unwrap();
        writeln!(stdout.lock(), "SENT {i}").unwrap();
    }
}

/// A small deterministic generator (SplitMix64), for the kill points.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Runs child `run`, kills it after `lines` lines of output, and returns the claims whose
/// commits it acknowledged (whole lines only).
fn run_child(db: &Path, log: &Path, run: u64, lines: u64) -> Vec<ClaimId> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "outbox_child", "--nocapture", "--test-threads=1"])
        .env(DB_VAR, db)
        .env(LOG_VAR, log)
        .env(RUN_VAR, run.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = Vec::new();
    let mut line = String::new();
    let mut seen = 0;
    let mut record = |line: &str| {
        if line.ends_with('\n')
            && let Some(id) = line.strip_prefix("DONE ")
        {
            acknowledged.push(ClaimId::parse(id.trim_end()).unwrap());
        }
    };
    while seen < lines {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.starts_with("DONE ") || line.starts_with("SENT ") {
            seen += 1;
        }
        record(&line);
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "the child ended by itself: {status}"
        );
    }
    #[cfg(not(unix))]
    let _ = status;
    loop {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        record(&line);
    }
    acknowledged
}

/// The event IDs in the delivery log, each with how many times it was delivered (a line cut
/// by a kill does not count: its event was not acknowledged).
fn delivered(log: &Path) -> BTreeMap<EventId, usize> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut seen = BTreeMap::new();
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let mut parts = line.trim_end().split('/');
        let claim = ClaimId::parse(parts.next().unwrap()).unwrap();
        let version = parts.next().unwrap().strip_prefix('v').unwrap();
        let index = parts.next().unwrap();
        let id = EventId {
            claim,
            version: Version::new(version.parse().unwrap()),
            index: index.parse().unwrap(),
        };
        *seen.entry(id).or_default() += 1;
    }
    seen
}

#[test]
fn killed_worker_loses_no_commit_and_no_event() {
    if std::env::var_os(DB_VAR).is_some() {
        return;
    }
    let dir = TempDb::new("outbox-crash");
    let (db, log) = (dir.path(), dir.path().with_extension("log"));
    drop(SqliteStore::open(&db).unwrap());
    let mut acknowledged = Vec::new();
    for run in 0..RUNS {
        // Kill points from 0 to 40 lines: before the first commit, between a commit and its
        // delivery, between a delivery and its acknowledgement, and so on.
        let lines = mix(run) % 41;
        acknowledged.extend(run_child(&db, &log, run, lines));
    }

    // The last worker: deliver what is left, with every lease run out.
    let store = SqliteStore::open(&db).unwrap();
    let later = now() + chrono::Duration::days(1);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&log)
        .unwrap();
    loop {
        let batch = store
            .lease_events(later, Duration::from_secs(60), 1_000)
            .unwrap();
        if batch.is_empty() {
            break;
        }
        for leased in &batch {
            writeln!(file, "{}", leased.id).unwrap();
        }
        let ids: Vec<EventId> = batch.iter().map(|l| l.id).collect();
        store.acknowledge(&ids).unwrap();
    }

    // Every claim the runs could have made that is stored, and the events each committed.
    let mut stored = BTreeSet::new();
    let mut expected = BTreeSet::new();
    for run in 0..RUNS {
        for i in 0..64 {
            let n = number(run, i);
            let id = own_draft(FIRST_PARTNER, n).id();
            if let Some(found) = store.load(Scope::Microsoft, id).unwrap() {
                assert_eq!(found.version, Version::FIRST);
                stored.insert(id);
                for index in 0..u32::try_from(events_of(n).len()).unwrap() {
                    expected.insert(EventId {
                        claim: id,
                        version: Version::FIRST,
                        index,
                    });
                }
            }
        }
    }
    let lost_commits: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    let delivered = delivered(&log);
    let lost_events: Vec<_> = expected
        .iter()
        .filter(|id| !delivered.contains_key(id))
        .collect();
    let orphans: Vec<_> = delivered
        .keys()
        .filter(|id| !expected.contains(id))
        .collect();
    let repeats: usize = delivered.values().map(|n| n - 1).sum();
    println!(
        "outbox crash test: {RUNS} kills; {} acknowledged commits, {} claims stored, {} events \
         committed, {} delivered ({repeats} repeat deliveries, each of an ID delivered before); \
         lost commits {}, lost events {}, events without their claim {}",
        acknowledged.len(),
        stored.len(),
        expected.len(),
        delivered.len(),
        lost_commits.len(),
        lost_events.len(),
        orphans.len()
    );
    assert!(
        lost_commits.is_empty(),
        "acknowledged commits lost: {lost_commits:?}"
    );
    assert!(lost_events.is_empty(), "events lost: {lost_events:?}");
    assert!(
        orphans.is_empty(),
        "events delivered without their claim: {orphans:?}"
    );
    assert!(!acknowledged.is_empty() && !expected.is_empty());
    let left = store
        .lease_events(later, Duration::from_secs(60), 1_000)
        .unwrap();
    assert!(left.is_empty(), "events left in the outbox: {}", left.len());
}
