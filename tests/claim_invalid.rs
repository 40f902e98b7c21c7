//! Edited claims, as a careless importer or an attacker would make them: each case starts
//! from a valid claim, edits its JSON (and so its bytes), and must be refused by JSON, by the
//! binary form, and by every store: by `import` where the edit still reads as a claim (only
//! the catalog can refuse it), and by `load` where a forged body is written into a durable
//! store's table directly.
#![cfg(all(feature = "testing", feature = "sqlite"))]

mod common;

use std::sync::Arc;

use common::claim_in;
use common::mci::{WORKSHOP, activity_in};
use cpor::activity::ActivityState;
use cpor::association::AssociationState;
use cpor::store::{Claim, InMemoryStore, Scope, SqliteStore, Store, StoreError};
use cpor::testing::forge_bytes;
use cpor::{Catalogs, ClaimId};
use serde_json::{Value, json};

const OTHER_TENANT: &str = "0f0e0d0c-0b0a-4908-8706-050403020100";

/// One edit: its name, the valid claim it starts from, the edit, and the code of the first
/// broken invariant (`unknown field` where the edited field no longer exists).
struct Case {
    name: &'static str,
    base: Claim,
    edit: fn(&mut Value),
    code: &'static str,
}

fn approved() -> Claim {
    claim_in(AssociationState::Approved).0.into()
}

fn draft() -> Claim {
    claim_in(AssociationState::Draft).0.into()
}

fn withdrawn() -> Claim {
    claim_in(AssociationState::Withdrawn).0.into()
}

fn completed() -> Claim {
    activity_in(WORKSHOP, ActivityState::Completed).0.into()
}

fn awaiting() -> Claim {
    activity_in(WORKSHOP, ActivityState::AwaitingConsent)
        .0
        .into()
}

fn history(v: &mut Value) -> &mut Vec<Value> {
    v["claim"]["history"].as_array_mut().unwrap()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "an approved claim moved to another partner, its history still the first's",
            base: approved(),
            edit: |v| v["claim"]["content"]["partner"] = json!("7700001"),
            code: "claim.partner",
        },
        Case {
            name: "a history of create then approved, with no submit and no review",
            base: approved(),
            edit: |v| {
                let h = history(v);
                let approve = h.last().unwrap().clone();
                h.truncate(1);
                h.push(approve);
                h[1]["from"] = json!("draft");
            },
            code: "claim.history",
        },
        Case {
            name: "an approval by the customer, from withdrawn",
            base: withdrawn(),
            edit: |v| {
                let h = history(v);
                let mut entry = h.last().unwrap().clone();
                entry["actor"] = json!({
                    "type": "customer",
                    "customer": "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47",
                });
                entry["command"] = json!("approve");
                entry["from"] = json!("withdrawn");
                entry["to"] = json!("approved");
                h.push(entry);
                v["claim"]["state"] = json!("approved");
            },
            code: "claim.history",
        },
        Case {
            name: "a draft with an approval time",
            base: draft(),
            edit: |v| v["claim"]["approved_at"] = json!("2026-03-03T09:00:00Z"),
            code: "claim.fields",
        },
        Case {
            name: "a draft with a rejection",
            base: draft(),
            edit: |v| {
                v["claim"]["review"] = json!({
                    "rejection": {
                        "at": "2026-03-03T09:00:00Z",
                        "reason": "insufficient_poe",
                        "dispute_until": "2026-04-03T09:00:00Z",
                    },
                });
            },
            code: "claim.fields",
        },
        Case {
            name: "an opt-out window that ends before the notification",
            base: approved(),
            edit: |v| v["claim"]["opt_out_until"] = json!("2020-01-01T00:00:00Z"),
            code: "claim.fields",
        },
        Case {
            name: "a creation time later than every history entry",
            base: approved(),
            edit: |v| v["claim"]["created_at"] = json!("2099-01-01T00:00:00Z"),
            code: "claim.times",
        },
        Case {
            name: "history times that go back",
            base: approved(),
            edit: |v| history(v)[2]["at"] = json!("2020-01-01T00:00:00Z"),
            code: "claim.times",
        },
        Case {
            name: "workloads teams, teams, teams",
            base: draft(),
            edit: |v| {
                v["claim"]["content"]["target"]["workloads"] = json!(["teams", "teams", "teams"]);
            },
            code: "claim.repeated",
        },
        Case {
            name: "an unknown workload",
            base: draft(),
            edit: |v| v["claim"]["content"]["target"]["workloads"] = json!(["teamz"]),
            code: "claim.catalog",
        },
        Case {
            name: "an MCI engagement on a CPOR claim",
            base: draft(),
            edit: |v| v["claim"]["content"]["engagement"] = json!(WORKSHOP),
            code: "claim.catalog",
        },
        Case {
            name: "a role of another solution area",
            base: draft(),
            edit: |v| v["claim"]["content"]["role"] = json!("build_intent_advisor"),
            code: "claim.catalog",
        },
        Case {
            name: "program year FY99",
            base: draft(),
            edit: |v| v["claim"]["program_year"] = json!("FY99"),
            code: "claim.catalog",
        },
        Case {
            name: "an opt-out window longer than the catalog's",
            base: approved(),
            edit: |v| v["claim"]["opt_out_until"] = json!("2099-01-01T00:00:00Z"),
            code: "claim.derived",
        },
        Case {
            name: "a per-customer cap of u32::MAX carried by the claim",
            base: awaiting(),
            edit: |v| v["claim"]["max_active_per_customer"] = json!(u32::MAX),
            code: "unknown field",
        },
        Case {
            name: "a per-customer cap of 0 carried by the claim",
            base: awaiting(),
            edit: |v| v["claim"]["max_active_per_customer"] = json!(0),
            code: "unknown field",
        },
        Case {
            name: "every deadline 0 days",
            base: awaiting(),
            edit: |v| {
                v["claim"]["deadlines"] = json!({
                    "consent_days": 0, "first_submit_days": 0, "review_days": 0,
                    "dispute_days": 0, "post_dispute_days": 0,
                });
            },
            code: "unknown field",
        },
        Case {
            name: "every deadline u32::MAX days",
            base: awaiting(),
            edit: |v| {
                let max = u32::MAX;
                v["claim"]["deadlines"] = json!({
                    "consent_days": max, "first_submit_days": max, "review_days": max,
                    "dispute_days": max, "post_dispute_days": max,
                });
            },
            code: "unknown field",
        },
        Case {
            name: "a next deadline far beyond the catalog's",
            base: awaiting(),
            edit: |v| v["claim"]["deadline"] = json!("2099-01-01T00:00:00Z"),
            code: "claim.derived",
        },
        Case {
            name: "a paid activity claim with no evidence",
            base: completed(),
            edit: |v| {
                v["claim"]["evidence"] = json!([]);
                history(v).retain(|e| e["command"] != "add_evidence");
            },
            code: "claim.fields",
        },
        Case {
            name: "a paid activity claim that was never approved",
            base: completed(),
            edit: |v| history(v).retain(|e| e["command"] != "approve"),
            code: "claim.history",
        },
        Case {
            name: "a tenant nomination resolved to another tenant",
            base: awaiting(),
            edit: |v| v["claim"]["resolved_tenant"] = json!(OTHER_TENANT),
            code: "claim.fields",
        },
        Case {
            name: "an activity claim acted on by another partner's user",
            base: awaiting(),
            edit: |v| v["claim"]["partner"] = json!("7700001"),
            code: "claim.partner",
        },
    ]
}

/// How each way in answered one edited claim.
fn refusal_code(result: Result<Claim, String>, catalogs: &Catalogs) -> Result<(), String> {
    let claim = result?;
    match claim.validate(catalogs) {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("{} {e}", e.code())),
    }
}

#[test]
fn every_edited_claim_is_refused_by_json_and_bytes() {
    let catalogs = Catalogs::builtin();
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let mut value = serde_json::to_value(&case.base).unwrap();
        (case.edit)(&mut value);
        assert_ne!(
            value,
            serde_json::to_value(&case.base).unwrap(),
            "{}",
            case.name
        );

        let by_json = serde_json::from_value::<Claim>(value.clone()).map_err(|e| e.to_string());
        let json_refusal =
            refusal_code(by_json, &catalogs).expect_err(&format!("JSON accepted {}", case.name));
        assert!(
            json_refusal.contains(case.code),
            "{}: {json_refusal}",
            case.name
        );
        // serde's own message for an unknown field lists the known ones; ours stay short.
        if case.code != "unknown field" {
            assert!(json_refusal.len() < 400, "{}: {json_refusal}", case.name);
        }

        match forge_bytes(&value.to_string()) {
            // The edited field does not exist in the claim, nor in its binary form.
            Err(e) => assert_eq!(case.code, "unknown field", "{}: {e}", case.name),
            Ok(bytes) => {
                let by_bytes = Claim::from_bytes(&bytes).map_err(|e| format!("{} {e}", e.code()));
                let bytes_refusal = refusal_code(by_bytes, &catalogs)
                    .expect_err(&format!("bytes accepted {}", case.name));
                assert!(
                    bytes_refusal.contains(case.code),
                    "{}: {bytes_refusal}",
                    case.name
                );
            }
        }
    }
}

/// Each store's import refuses the edits that still read as claims, as invalid, and keeps
/// nothing of them.
#[test]
fn every_store_refuses_the_edits_that_read_as_claims() {
    let dir = tempdir();
    let stores: Vec<(&str, Arc<dyn Store>)> = vec![
        ("memory", Arc::new(InMemoryStore::new())),
        (
            "sqlite",
            Arc::new(SqliteStore::open(dir.join("claims.db")).unwrap()),
        ),
    ];
    let readable: Vec<(&str, Claim)> = cases()
        .into_iter()
        .filter_map(|case| {
            let mut value = serde_json::to_value(&case.base).unwrap();
            (case.edit)(&mut value);
            serde_json::from_value::<Claim>(value)
                .ok()
                .map(|c| (case.name, c))
        })
        .collect();
    assert!(readable.len() >= 5, "{}", readable.len());
    for (store_name, store) in &stores {
        let report = store
            .import(readable.iter().map(|(_, c)| c.clone()).collect())
            .unwrap();
        for ((name, claim), (id, outcome)) in readable.iter().zip(&report.outcomes) {
            assert_eq!(*id, claim.id());
            let err = outcome
                .as_ref()
                .expect_err(&format!("{store_name} imported {name}"));
            assert_eq!(
                err.code(),
                "store.invalid_claim",
                "{store_name}, {name}: {err}"
            );
            assert!(err.to_string().len() < 400, "{err}");
            assert!(store.load(Scope::Microsoft, claim.id()).unwrap().is_none());
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A forged body written into a SQLite file directly is refused when loaded, as corrupt,
/// naming the row's claim; it is never returned.
#[test]
fn a_forged_body_in_a_sqlite_file_is_refused_on_load() {
    let dir = tempdir();
    for (n, case) in cases().into_iter().enumerate() {
        let mut value = serde_json::to_value(&case.base).unwrap();
        (case.edit)(&mut value);
        let Ok(bytes) = forge_bytes(&value.to_string()) else {
            continue;
        };
        let path = dir.join(format!("claims-{n}.db"));
        let id = case.base.id();
        let store = SqliteStore::open(&path).unwrap();
        store.import(vec![case.base.clone()]).unwrap();
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE claims SET body = ?2 WHERE id = ?1",
            rusqlite::params![id.as_uuid().as_bytes(), bytes],
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        let err = store.load(Scope::Microsoft, id).unwrap_err();
        assert_eq!(err.code(), "store.corrupt", "{}: {err}", case.name);
        assert!(err.to_string().contains(&id.to_string()), "{err}");
        assert!(err.to_string().len() < 400, "{err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// The partner number swapped inside the binary form: refused as corrupt by the checksum,
/// and as a claim of another partner when the checksum is recomputed.
#[test]
fn a_partner_swapped_in_the_bytes_is_refused() {
    let claim = approved();
    let mut bytes = claim.to_bytes();
    // Format byte, family byte, 16 bytes of ID, then the partner as a varint.
    let varint = |mut n: u64| {
        let mut out = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    };
    let (from, to) = (varint(4_512_345), varint(7_700_001));
    assert_eq!(&bytes[18..18 + from.len()], from.as_slice());
    assert_eq!(from.len(), to.len());
    bytes[18..18 + to.len()].copy_from_slice(&to);
    let err = Claim::from_bytes(&bytes).unwrap_err();
    assert_eq!(err.code(), "claim_bytes.corrupt", "{err}");
    assert!(err.to_string().contains("damaged"), "{err}");

    let n = bytes.len() - 4;
    let sum = crc32fast::hash(&bytes[..n]).to_le_bytes();
    bytes[n..].copy_from_slice(&sum);
    let err = Claim::from_bytes(&bytes).unwrap_err();
    assert_eq!(err.code(), "claim.partner", "{err}");
    assert!(err.to_string().contains(&claim.id().to_string()), "{err}");
}

/// A row whose `partner` column disagrees with its body is corrupt: partner B never gets
/// partner A's claim, and A does not see it under B's row.
#[test]
fn a_sqlite_row_moved_to_another_partner_is_never_returned() {
    let dir = tempdir();
    let path = dir.join("claims.db");
    let claim = approved();
    let id: ClaimId = claim.id();
    let store = SqliteStore::open(&path).unwrap();
    store.import(vec![claim.clone()]).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE claims SET partner = 7700001 WHERE id = ?1",
        [id.as_uuid().as_bytes()],
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let b = Scope::Partner(cpor::PartnerId::new(7_700_001).unwrap());
    let err = store.load(b, id).unwrap_err();
    assert_eq!(err.code(), "store.corrupt", "{err}");
    assert!(
        store
            .by_partner(
                cpor::PartnerId::new(7_700_001).unwrap(),
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .is_err()
    );
    let a = Scope::Partner(claim.partner());
    assert!(store.load(a, id).unwrap().is_none());
    drop(store);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A store made with other catalogs enforces those: a claim of a year it has no catalog for
/// is refused, whatever the claim says.
#[test]
fn a_store_enforces_its_own_catalogs() {
    let only_fy20 = Catalogs::new(cpor::Catalog::fy20());
    let claim = draft();
    for store in [
        Arc::new(InMemoryStore::with_catalogs(only_fy20.clone())) as Arc<dyn Store>,
        Arc::new(
            SqliteStore::open_in_memory()
                .unwrap()
                .with_catalogs(only_fy20.clone()),
        ),
    ] {
        let err = store
            .commit(vec![cpor::store::Write::create(claim.clone())])
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(err.to_string().contains("is not in the catalogs"), "{err}");
    }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cpor-claim-invalid-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
