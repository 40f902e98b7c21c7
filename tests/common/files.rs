//! Database files for the tests of the durable stores, and claims that never share a key.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use cpor::PartnerId;
use cpor::association::AssociationClaim;
use cpor::store::Claim;

use super::{admin_of, catalog, claim_id, mws_form, t0};

/// A directory of its own under the system's temporary directory, for one database file,
/// removed (with the WAL) when dropped.
pub struct TempDb(PathBuf);

impl TempDb {
    /// A fresh directory, named after `tag`, the process and a counter.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cpor-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.0.join("claims.db")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A draft association `n` of its own partner location (`first_partner + n`), so that drafts
/// never share a key.
pub fn own_draft(first_partner: u64, n: u64) -> Claim {
    let partner = PartnerId::new(first_partner + n).unwrap();
    AssociationClaim::create(
        claim_id(u128::from(n) + 1),
        &mws_form(),
        &admin_of(partner),
        t0(),
        &catalog(),
    )
    .unwrap()
    .claim
    .into()
}
