//! The store conformance suite: every point of the [`Store`] contract, as named cases that
//! run against any implementation (feature `testing`).
//!
//! In the manner of `openraft`'s storage suite, the cases take a **store factory**
//! ([`StoreFactory`]) rather than a store, so that every case starts from a fresh, empty store
//! and drops it when done; a closure `Fn() -> S` is a factory. The cases build their claims
//! with the pure core ([`association`](crate::association), [`activity`](crate::activity)),
//! so they exercise the keys and limits a real claim holds in each state
//! ([`Claim::holdings`](crate::store::Claim::holdings)).
//!
//! A store that implements [`Store`] runs the whole suite with one test:
//!
//! ```no_run
//! use cpor::store::InMemoryStore;
//!
//! // In the store's tests; `InMemoryStore::new` stands for "a fresh, empty store".
//! if let Err(failures) = cpor::testing::run_all(&InMemoryStore::new) {
//!     let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
//!     panic!("{} case(s) failed:\n{}", failures.len(), report.join("\n"));
//! }
//! ```
//!
//! Each case can also be called on its own, so that a failing case names itself in the test
//! report:
//!
//! ```
//! use cpor::store::InMemoryStore;
//! use cpor::testing;
//!
//! testing::create_then_load(&InMemoryStore::new)?;
//! testing::arbitration_moves_keys_in_one_commit(&InMemoryStore::new)?;
//!
//! // Trait objects are stores too.
//! let boxed = || -> Box<dyn cpor::store::Store> { Box::new(InMemoryStore::new()) };
//! testing::stale_update_conflicts(&boxed)?;
//! # Ok::<(), testing::Failure>(())
//! ```
//!
//! # What the cases check
//!
//! | Contract point | Cases |
//! |---|---|
//! | loads are scoped to a partner location | [`load_is_scoped_to_partner`] |
//! | versions and optimistic concurrency | [`create_then_load`], [`version_increments_by_one`], [`stale_update_conflicts`], [`update_of_missing_claim_conflicts`] |
//! | idempotent create | [`create_retry_is_idempotent`], [`create_with_other_content_is_refused`] |
//! | one associated partner per key | [`approved_claim_holds_its_keys`], [`competing_approval_is_refused`], [`ended_association_frees_its_keys`] |
//! | one open claim per partner and key | [`one_open_claim_per_partner_and_key`] |
//! | arbitration in one commit | [`arbitration_moves_keys_in_one_commit`] |
//! | counted limits | [`counted_limit_of_one`], [`counted_limit_of_two`], [`ended_activity_frees_a_place`] |
//! | a refused commit changes nothing | [`failed_commit_on_third_key_changes_nothing`], [`conflicting_write_fails_the_whole_commit`], [`duplicate_write_is_refused`] |
//! | queries | [`by_partner_lists_own_claims`], [`by_partner_engagement_filters`], [`by_customer_is_scoped`], [`by_customer_follows_an_edit`], [`due_lists_deadlines_earliest_first`] |
//! | paging | [`lists_page_in_the_order_stored`], [`customer_and_due_lists_page`], [`a_cursor_survives_writes`] |
//! | bulk import | [`import_reports_each_claim`], [`import_retry_is_idempotent`], [`import_checks_keys_in_batch_order`], [`import_fills_a_cap_exactly`], [`import_of_one_id_twice`] |
//! | the catalog's rules, never a claim's own | [`import_refuses_what_the_catalog_forbids`], [`commit_refuses_what_the_catalog_forbids`] |
//! | atomicity under concurrency | [`race_one_holder_per_key`], [`race_no_lost_update`] |
//! | the outbox | [`commit_writes_its_events`], [`refused_commit_writes_no_event`], [`create_retry_writes_no_event_again`], [`lease_runs_out_and_the_event_comes_back`], [`acknowledge_removes_for_good`], [`lease_takes_the_oldest_first_in_batches`], [`race_workers_share_the_outbox`] |
//! | sweeps on many instances | [`take_due_shares_the_due_claims`], [`race_sweeps_share_the_due_claims`] |
//!
//! The two races run [`RACE_THREADS`] threads of [`RACE_ATTEMPTS`] attempts each on
//! [`RACE_KEYS`] keys, with a small deterministic random generator per thread.

mod cases;
mod check;
pub(crate) mod fixtures;
mod import;
mod outbox;
mod paging;
mod race;
mod trust;

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::store::Store;

pub use race::{RACE_ATTEMPTS, RACE_KEYS, RACE_THREADS};

/// Makes a fresh, empty store for each case.
///
/// Any closure `Fn() -> S` where `S: Store` is a factory, including one returning
/// `Box<dyn Store>` or `Arc<dyn Store>`. A store over a database implements it on a builder
/// that creates a new schema or database per call.
pub trait StoreFactory {
    /// The store it makes.
    type Store: Store;

    /// A fresh, empty store.
    fn make(&self) -> Self::Store;
}

impl<S: Store, F: Fn() -> S> StoreFactory for F {
    type Store = S;

    fn make(&self) -> S {
        self()
    }
}

/// A failed case: its name and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    case: &'static str,
    message: String,
}

impl Failure {
    /// A failure of `case`.
    pub fn new(case: &'static str, message: impl Into<String>) -> Self {
        Self {
            case,
            message: message.into(),
        }
    }

    /// The case's name, such as `stale_update_conflicts`.
    #[must_use]
    pub const fn case(&self) -> &'static str {
        self.case
    }

    /// What went wrong.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.case, self.message)
    }
}

impl std::error::Error for Failure {}

/// A named case: its name and the function that runs it.
pub type Case<F> = (&'static str, fn(&F) -> Result<(), Failure>);

/// Defines each case as a public function over a factory, and [`cases`] listing them all.
macro_rules! suite {
    ($d:tt; $( $(#[$doc:meta])* $module:ident::$name:ident; )*) => {
        $(
            $(#[$doc])*
            ///
            /// # Errors
            ///
            /// A [`Failure`] naming the case if the store breaks the contract, or if it fails
            /// with an error the case does not expect.
            pub fn $name<F: StoreFactory>(factory: &F) -> Result<(), Failure> {
                $module::$name(factory).map_err(|problem| problem.into_failure(stringify!($name)))
            }
        )*

        /// Every case, by name, in the order [`run_all`] runs them.
        #[must_use]
        pub fn cases<F: StoreFactory>() -> Vec<Case<F>> {
            vec![$((stringify!($name), $name::<F> as fn(&F) -> Result<(), Failure>)),*]
        }

        /// Generates one `#[test]` per conformance case for a store factory, so that a failure
        /// names its case. Put it in a module of its own in an integration test:
        ///
        /// ```ignore
        /// mod in_memory {
        ///     cpor::store_conformance_tests!(cpor::store::InMemoryStore::new);
        /// }
        /// ```
        ///
        /// Attributes before a `;` go on every generated test, for example to report the
        /// suite as ignored, with its reason, when the database it needs is not there:
        ///
        /// ```ignore
        /// mod on_postgres {
        ///     cpor::store_conformance_tests!(
        ///         #[cfg_attr(not(has_db), ignore = "no database to test against")];
        ///         my_factory
        ///     );
        /// }
        /// ```
        #[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
        #[macro_export]
        macro_rules! store_conformance_tests {
            ($d (#[$d attr:meta])+ ; $d factory:expr) => {
                $(
                    $d (#[$d attr])+
                    #[test]
                    fn $name() -> Result<(), $d crate::testing::Failure> {
                        $d crate::testing::$name(&$d factory)
                    }
                )*
            };
            ($d factory:expr) => {
                $(
                    #[test]
                    fn $name() -> Result<(), $d crate::testing::Failure> {
                        $d crate::testing::$name(&$d factory)
                    }
                )*
            };
        }
    };
}

suite! {
    $;
    /// A claim loaded in another partner location's scope is `Ok(None)`, exactly like a
    /// missing claim; its own partner and [`Scope::Microsoft`](crate::store::Scope::Microsoft)
    /// see it.
    cases::load_is_scoped_to_partner;
    /// A created claim loads back as written, at [`Version::FIRST`](crate::store::Version::FIRST).
    cases::create_then_load;
    /// Each update returns and stores the next version, one more than the last.
    cases::version_increments_by_one;
    /// An update with a stale version fails with `Conflict` naming the expected and the actual
    /// version, and changes nothing.
    cases::stale_update_conflicts;
    /// An update of a missing claim fails with `Conflict { actual: None, .. }` and stores
    /// nothing.
    cases::update_of_missing_claim_conflicts;
    /// A retried create (same ID, same content) succeeds with the existing version and changes
    /// nothing, even after the claim moved on.
    cases::create_retry_is_idempotent;
    /// A create with the ID of a claim with other content fails with `IdConflict`.
    cases::create_with_other_content_is_refused;
    /// An approved association claim holds the associated key and its open key for each of
    /// its workloads; unknown keys have no holder and a count of zero.
    cases::approved_claim_holds_its_keys;
    /// Another partner's approval on an overlapping key, by update or by create, fails with
    /// `KeyHeld` naming the holder; the competing claim may still be created and reviewed.
    cases::competing_approval_is_refused;
    /// Once the holder's association ends (the customer declines), its keys are free and
    /// another partner's approval succeeds.
    cases::ended_association_frees_its_keys;
    /// A second open claim of one partner on the same key fails with `KeyHeld`; another
    /// partner's claim is fine; a withdrawn draft frees its key. The same for activity claims.
    cases::one_open_claim_per_partner_and_key;
    /// Arbitration: in one commit the holder is superseded and the competing claim approved;
    /// the keys move to the new claim, whichever order the two writes come in.
    cases::arbitration_moves_keys_in_one_commit;
    /// A cap-1 engagement: a second partner's active claim for the same customer fails with
    /// `LimitReached`, alone or in the same commit as the first.
    cases::counted_limit_of_one;
    /// A cap-2 engagement takes two partners' claims for one customer, and refuses a third.
    cases::counted_limit_of_two;
    /// Once an active claim ends (canceled), it no longer counts and a place frees up.
    cases::ended_activity_frees_a_place;
    /// A commit refused on its third key leaves the first two free, stores nothing and
    /// changes no version, whether it creates or updates the claim.
    cases::failed_commit_on_third_key_changes_nothing;
    /// A multi-write commit whose second write conflicts writes neither, including an
    /// arbitration against a stale holder.
    cases::conflicting_write_fails_the_whole_commit;
    /// The same claim twice in one commit fails with `DuplicateWrite` and changes nothing.
    cases::duplicate_write_is_refused;
    /// `by_partner` returns exactly a partner's claims, at their current versions.
    cases::by_partner_lists_own_claims;
    /// `by_partner_engagement` returns a partner's claims of one engagement only.
    cases::by_partner_engagement_filters;
    /// `by_customer` returns the claims about one customer, of every partner for Microsoft,
    /// and only its own for a partner.
    cases::by_customer_is_scoped;
    /// A draft edited to another tenant moves in `by_customer` and in the keys it holds.
    cases::by_customer_follows_an_edit;
    /// `due(now)` lists the claims whose next deadline is at or before `now`, in the order
    /// stored, never a claim without a deadline, and follows deadlines that move or go.
    cases::due_lists_deadlines_earliest_first;
    /// Every list query (`by_partner`, `by_partner_engagement`) read in pages of 1, 2, 3 and
    /// 100 returns each claim once, in the order stored; a full page of a longer listing has a
    /// cursor and the last page none.
    paging::lists_page_in_the_order_stored;
    /// `by_customer` (for Microsoft and scoped to a partner) and `due` read in pages of one
    /// return each claim once, in the order stored.
    paging::customer_and_due_lists_page;
    /// A cursor taken before claims are written and created still reads every claim once,
    /// and the new claim at the end.
    paging::a_cursor_survives_writes;
    /// A bulk import checks each claim on its own: a held key, a reached limit and a taken ID
    /// are refused and reported, in order, and leave no trace; the rest are written, and a
    /// claim imported twice is accepted once.
    import::import_reports_each_claim;
    /// Importing the same batch again accepts every claim at its existing version and changes
    /// nothing; an empty batch is fine.
    import::import_retry_is_idempotent;
    /// Keys are checked in batch order, against the store and the claims imported before: a
    /// key taken by an earlier claim of the batch is `KeyHeld` naming it, and a refused claim
    /// holds none of its keys for later ones. Importing the batch again gives the same
    /// outcomes and changes nothing.
    import::import_checks_keys_in_batch_order;
    /// A per-customer cap counts the stored active claims and those imported before in the
    /// batch: a batch fills it exactly and the next claim is `LimitReached`; a claim refused
    /// on its key takes no place; another customer has its own count. Importing the batch
    /// again gives the same outcomes and changes no count.
    import::import_fills_a_cap_exactly;
    /// One ID twice in a batch: the same content again is a retry of the claim just imported,
    /// other content is `IdConflict`; the ID of a refused claim is still free.
    import::import_of_one_id_twice;
    /// A claim that breaks its catalog's rules (an unknown workload, an MCI engagement on a
    /// CPOR claim, a role of another solution area, a program year with no catalog, a window
    /// or deadline the catalog does not compute) is refused by `import` as
    /// `StoreError::Invalid`, in its place, with a short message, and leaves no trace.
    trust::import_refuses_what_the_catalog_forbids;
    /// The same claims are refused by `commit`, and a valid write beside one is not written.
    trust::commit_refuses_what_the_catalog_forbids;
    /// Many threads approve, supersede and release association claims on a few keys at once:
    /// afterwards each key has exactly the holder the stored claims say, no two approved
    /// claims share a key, and no version-checked update was lost.
    race::race_one_holder_per_key;
    /// A commit writes each write's events to the outbox under (claim, new version, index),
    /// in order, leased at attempt 1; a write without events writes none.
    outbox::commit_writes_its_events;
    /// A refused commit (a stale update, a held key, a duplicate write, a taken ID) writes
    /// no event.
    outbox::refused_commit_writes_no_event;
    /// A retried create that finds the same claim writes its events no second time.
    outbox::create_retry_writes_no_event_again;
    /// A leased event is not leased again while its lease runs; unacknowledged, it comes back
    /// after, at attempt 2.
    outbox::lease_runs_out_and_the_event_comes_back;
    /// `acknowledge` removes events for good, counts only those it removed, and ignores
    /// unknown and repeated IDs.
    outbox::acknowledge_removes_for_good;
    /// Leases hand out the events oldest first, at most `limit` at a time (0 counts as 1).
    outbox::lease_takes_the_oldest_first_in_batches;
    /// `take_due` hands out each due claim once while its lease runs, in the order stored,
    /// never a claim that is not due, and again once the lease ran out.
    outbox::take_due_shares_the_due_claims;
    /// Several workers lease and acknowledge one outbox at once: every event reaches exactly
    /// one of them, and the outbox ends empty.
    outbox::race_workers_share_the_outbox;
    /// Several sweeps take due claims at once: each claim is taken by exactly one.
    outbox::race_sweeps_share_the_due_claims;
    /// Many threads attach PoE documents to the same drafts with version-checked updates:
    /// each draft ends with one PoE and one version per successful update, so no update was
    /// lost.
    race::race_no_lost_update;
}

/// The bytes a careless or hostile writer would make of `json`, the JSON of a claim edited by
/// hand: the binary form of [`Claim::to_bytes`](crate::store::Claim::to_bytes) with a valid
/// checksum, but without the invariant check every way into a `Claim` runs. For tests that a
/// store refuses such a body when it loads it (write the bytes into its table directly).
///
/// # Errors
///
/// The JSON's error if it is not the shape of a claim (whatever its values).
pub fn forge_bytes(json: &str) -> Result<Vec<u8>, String> {
    use crate::activity::ActivityClaim;
    use crate::association::AssociationClaim;
    use crate::store::Claim;
    let mut value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let body = value
        .get_mut("claim")
        .map(serde_json::Value::take)
        .ok_or("no \"claim\" field")?;
    let claim: Claim = match value.get("family").and_then(serde_json::Value::as_str) {
        Some("association") => AssociationClaim::forged(body)
            .map_err(|e| e.to_string())?
            .into(),
        Some("activity") => ActivityClaim::forged(body)
            .map_err(|e| e.to_string())?
            .into(),
        _ => return Err("no known \"family\"".to_owned()),
    };
    Ok(claim.to_bytes())
}

/// Runs every case, each on a fresh store from `factory`, and reports every failure. A case
/// that panics is reported as a failure, and the others still run.
///
/// # Errors
///
/// Every [`Failure`], in the order of [`cases`].
pub fn run_all<F: StoreFactory>(factory: &F) -> Result<(), Vec<Failure>> {
    let failures: Vec<Failure> = cases::<F>()
        .into_iter()
        .filter_map(
            |(name, case)| match catch_unwind(AssertUnwindSafe(|| case(factory))) {
                Ok(Ok(())) => None,
                Ok(Err(failure)) => Some(failure),
                Err(payload) => Some(Failure::new(
                    name,
                    format!("panicked: {}", panic_message(payload.as_ref())),
                )),
            },
        )
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}
