//! A crash test for `SqliteStore`: a child process (this very test binary, re-run) commits
//! claims to a file and acknowledges each commit on its standard output; the parent kills it
//! with `SIGKILL` at a varying moment, reopens the file and checks that every acknowledged
//! commit survived and that no claim or key was left half written.
#![cfg(feature = "sqlite")]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Duration as TimeDelta;
use cpor::association::{AssociationCommand, AssociationState};
use cpor::store::{Claim, CountedKey, Scope, SqliteStore, Store, Version, Write};
use cpor::{AssociationClaim, ClaimId};

use common::{admin, catalog, claim_id, mws_form, t0, text};

/// The environment variable that turns `crash_child` into the child: the database's path.
const CHILD_VAR: &str = "CPOR_CRASH_CHILD";

/// How many commits the plan holds: far more than any run acknowledges before its kill, so
/// that the child is always killed while it is still committing.
const STEPS: usize = 600;

/// After how many acknowledged commits each run kills its child (0: as soon as it starts).
const KILL_AFTER: [usize; 20] = [
    0, 1, 2, 3, 5, 8, 11, 17, 23, 29, 34, 40, 47, 55, 64, 73, 85, 97, 110, 125,
];

/// One commit of the plan.
type Step = Vec<Write>;

/// A draft association claim of `n`: its own ID and tenant, so its keys are its own, with the
/// three workloads of `mws_form()`.
fn draft(n: u128) -> AssociationClaim {
    let form = cpor::AssociationForm {
        tenant: uuid::Uuid::from_u128(0x7e00_0000_0000_4000_8000_0000_0000_0000 + n).to_string(),
        ..mws_form()
    };
    let at = t0() + TimeDelta::minutes(i64::try_from(n).unwrap());
    AssociationClaim::create(claim_id(1_000 + n), &form, &admin(), at, &catalog())
        .unwrap()
        .claim
}

/// Applies an accepted command one hour after the claim's last change.
fn then(claim: &AssociationClaim, command: &AssociationCommand) -> AssociationClaim {
    let at = claim.history().last().unwrap().at + TimeDelta::hours(1);
    claim
        .transition(command, &admin(), at, &catalog())
        .unwrap()
        .claim
}

/// The deterministic sequence of commits the child makes: creates of distinct drafts (every
/// fifth commit creates two at once), PoE attachments to earlier drafts (updates at their
/// version) and withdrawals (updates that release every key).
fn plan() -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::with_capacity(STEPS);
    // Every claim created so far, at its last planned version.
    let mut current: Vec<(AssociationClaim, Version)> = Vec::new();
    let mut n: u128 = 0;
    while steps.len() < STEPS {
        let i = steps.len();
        if i % 5 == 4 {
            let (a, b) = (draft(n), draft(n + 1));
            n += 2;
            steps.push(vec![Write::create(a.clone()), Write::create(b.clone())]);
            current.push((a, Version::FIRST));
            current.push((b, Version::FIRST));
        } else if i % 3 == 2 && current.len() >= 2 {
            // An update of the claim before last: attach a PoE, or withdraw it.
            let k = current.len() - 2;
            let (claim, version) = &current[k];
            let command = if k % 4 == 3 {
                AssociationCommand::Withdraw
            } else {
                AssociationCommand::AttachPoe {
                    reference: text(&format!("poe-{k}-{}.pdf", version.get())),
                }
            };
            if claim.state() != AssociationState::Draft {
                // Already withdrawn: create instead.
                let a = draft(n);
                n += 1;
                steps.push(vec![Write::create(a.clone())]);
                current.push((a, Version::FIRST));
                continue;
            }
            let next = then(claim, &command);
            steps.push(vec![Write::update(next.clone(), *version)]);
            current[k] = (next, version.next());
        } else {
            let a = draft(n);
            n += 1;
            steps.push(vec![Write::create(a.clone())]);
            current.push((a, Version::FIRST));
        }
    }
    steps
}

/// Every claim the plan writes, by ID and version.
fn planned_claims(steps: &[Step]) -> BTreeMap<(ClaimId, u64), Claim> {
    let mut versions: BTreeMap<ClaimId, u64> = BTreeMap::new();
    let mut claims = BTreeMap::new();
    for write in steps.iter().flatten() {
        let id = write.claim.id();
        let version = versions.entry(id).and_modify(|v| *v += 1).or_insert(1);
        claims.insert((id, *version), write.claim.clone());
    }
    claims
}

/// The child: commits the plan, acknowledging each write of each successful commit.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_VAR) else {
        return;
    };
    let steps = plan();
    let store = SqliteStore::open(PathBuf::from(path)).unwrap();
    let stdout = std::io::stdout();
    for step in steps {
        let ids: Vec<ClaimId> = step.iter().map(|w| w.claim.id()).collect();
        let versions = store.commit(step).unwrap();
        let mut lines = String::new();
        for (id, version) in ids.iter().zip(&versions) {
            lines.push_str(&format!("DONE {id} {}\n", version.get()));
        }
        let mut out = stdout.lock();
        out.write_all(lines.as_bytes()).unwrap();
        out.flush().unwrap();
    }
}

/// A database file under the temporary directory, removed with its journals when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(run: usize) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("cpor-crash-{}-{nanos}-{run}.db", std::process::id());
        let db = Self(std::env::temp_dir().join(name));
        db.remove();
        db
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Parses an acknowledgement line, `DONE <claim-id> <version>`.
fn acknowledged(line: &str) -> Option<(ClaimId, u64)> {
    let rest = line.strip_prefix("DONE ")?;
    let (id, version) = rest.trim_end().split_once(' ')?;
    Some((ClaimId::parse(id).unwrap(), version.parse().unwrap()))
}

/// Runs one child against `path`, kills it after `kill_after` acknowledgements, and returns
/// every acknowledgement it gave (the highest version per claim) and whether it was killed
/// while still running.
fn run_child(path: &Path, kill_after: usize) -> (BTreeMap<ClaimId, u64>, bool) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acks = BTreeMap::new();
    let mut record = |line: &str| {
        // Only whole lines count: a line cut by the kill was not acknowledged.
        if line.ends_with('\n')
            && let Some((id, version)) = acknowledged(line)
        {
            let v = acks.entry(id).or_insert(0);
            *v = (*v).max(version);
        }
    };
    let mut seen = 0;
    let mut line = String::new();
    while seen < kill_after {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.starts_with("DONE ") {
            seen += 1;
        }
        record(&line);
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.signal() == Some(9) || status.success(),
            "the child failed by itself: {status}"
        );
    }
    #[cfg(not(unix))]
    let _ = status;
    // What the child printed before it died was acknowledged too.
    loop {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        record(&line);
    }
    assert!(
        seen >= kill_after,
        "the child stopped after {seen} acknowledgements"
    );
    (acks, running)
}

/// Checks the database after the crash: acknowledged commits are there, every claim is one
/// the plan wrote (whole), and the key tables match the claims exactly.
fn check(
    path: &Path,
    acks: &BTreeMap<ClaimId, u64>,
    planned: &BTreeMap<(ClaimId, u64), Claim>,
) -> usize {
    let store = SqliteStore::open(path).unwrap();
    for (id, version) in acks {
        let stored = store
            .load(Scope::Microsoft, *id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged claim {id} v{version} is missing"));
        assert!(
            stored.version.get() >= *version,
            "claim {id} is at {}, but v{version} was acknowledged",
            stored.version
        );
    }

    let conn = rusqlite::Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");

    // Every stored claim reads back, and is exactly what the plan wrote at its version.
    let mut claims: BTreeMap<String, Claim> = BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT id, version, body FROM claims ORDER BY id")
        .unwrap();
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, version, body) = row.unwrap();
        // Bodies are the claims' binary form (`Claim::to_bytes`).
        let claim = Claim::from_bytes(&body).unwrap();
        // Claim IDs are stored as the 16 bytes of their UUID.
        let claim_id = ClaimId::from_uuid(uuid::Uuid::from_slice(&id).unwrap()).unwrap();
        let id = claim_id.to_string();
        assert_eq!(claim.id(), claim_id);
        let version = u64::try_from(version).unwrap();
        let expected = planned
            .get(&(claim_id, version))
            .unwrap_or_else(|| panic!("claim {id} at v{version} was never written"));
        assert_eq!(&claim, expected, "claim {id} v{version}");
        let loaded = store.load(Scope::Microsoft, claim_id).unwrap().unwrap();
        assert_eq!(loaded.claim, claim);
        assert_eq!(loaded.version.get(), version);
        claims.insert(id, claim);
    }

    // The key tables list each stored claim once for every key it holds and once if it
    // counts towards a key, and no other claim (the loop below checks that each key's holder
    // is its claim).
    let per_claim = |sql: &str| -> BTreeMap<String, usize> {
        let mut statement = conn.prepare(sql).unwrap();
        let mut n = BTreeMap::new();
        for claim in statement
            .query_map([], |row| row.get::<_, Vec<u8>>(0))
            .unwrap()
        {
            let claim = uuid::Uuid::from_slice(&claim.unwrap()).unwrap().to_string();
            *n.entry(claim).or_insert(0) += 1;
        }
        n
    };
    let held: BTreeMap<String, usize> = claims
        .iter()
        .map(|(id, claim)| {
            (
                id.clone(),
                claim
                    .holdings(&cpor::Catalogs::builtin())
                    .unwrap()
                    .unique
                    .len(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(per_claim("SELECT claim FROM keys"), held);
    let counted: BTreeMap<String, usize> = claims
        .iter()
        .filter(|(_, claim)| {
            claim
                .holdings(&cpor::Catalogs::builtin())
                .unwrap()
                .counted
                .is_some()
        })
        .map(|(id, _)| (id.clone(), 1))
        .collect();
    assert_eq!(per_claim("SELECT claim FROM counts"), counted);

    // Every stored claim holds exactly the keys listed for it, each of which it is the holder
    // of, and counts towards its counted key.
    let mut holds = 0;
    let mut counts: BTreeMap<CountedKey, u32> = BTreeMap::new();
    for (id, claim) in &claims {
        let holdings = claim.holdings(&cpor::Catalogs::builtin()).unwrap();
        for key in holdings.unique {
            holds += 1;
            assert_eq!(
                store.holder(&key).unwrap().map(|c| c.to_string()),
                Some(id.clone()),
                "claim {id} holds {key}, but the key is not recorded as its"
            );
        }
        if let Some((key, _)) = holdings.counted {
            *counts.entry(key).or_default() += 1;
        }
    }
    assert_eq!(
        held.values().sum::<usize>(),
        holds,
        "the key tables hold keys no claim holds"
    );
    for (key, n) in &counts {
        assert_eq!(store.count(key).unwrap(), *n, "{key}");
    }
    assert_eq!(
        counted.values().sum::<usize>(),
        counts.values().map(|n| *n as usize).sum::<usize>()
    );
    claims.len()
}

#[test]
fn killed_writer_loses_no_acknowledged_commit_and_leaves_no_partial_claim() {
    let started = Instant::now();
    let steps = plan();
    let planned = planned_claims(&steps);
    // The runs reach updates of both kinds: PoE attachments and withdrawals (which release
    // every key).
    let early = planned_claims(&steps[..40]);
    let state = |c: &Claim| c.as_association().map(AssociationClaim::state);
    assert!(
        early
            .values()
            .any(|c| state(c) == Some(AssociationState::Withdrawn))
    );
    assert!(early.values().any(|c| {
        state(c) == Some(AssociationState::Draft) && !c.as_association().unwrap().poe().is_empty()
    }));
    let mut killed_running = 0;
    for (run, kill_after) in KILL_AFTER.into_iter().enumerate() {
        let db = TempDb::new(run);
        let (acks, running) = run_child(&db.0, kill_after);
        killed_running += usize::from(running);
        let stored = check(&db.0, &acks, &planned);
        println!(
            "run {run:2}: killed after {kill_after:3} acknowledgements; {:3} claims \
             acknowledged, {stored:3} stored",
            acks.len()
        );
    }
    println!(
        "{} runs, {killed_running} killed while running, in {:.1?}",
        KILL_AFTER.len(),
        started.elapsed()
    );
    assert!(
        killed_running * 2 >= KILL_AFTER.len(),
        "most children finished before their kill"
    );
    assert!(started.elapsed() < Duration::from_secs(600));
}
