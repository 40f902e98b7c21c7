//! The cases of trust: a store enforces the catalog's rules, never a claim's own, and
//! refuses a claim its catalog forbids before anything is written.
//!
//! Every claim here is built by editing a valid claim's JSON the way a careless importer
//! would, then read back through serde, which checks every invariant that needs no catalog:
//! what is left for the store is what only the catalog can say.

use serde_json::{Value, json};

use super::StoreFactory;
use super::check::{Context, Outcome, Problem, describe_error, ensure, same, stored_as};
use super::fixtures::{CAP_ONE, PARTNER_A, Stage, World, claim_id, partner, tenant};
use crate::claim::Invariant;
use crate::id::CustomerId;
use crate::store::{Claim, Scope, Store, StoreError, Version, Write};

/// The most characters a refusal's message may have: it quotes at most a bounded excerpt of
/// any value, and never a statement's text.
const MESSAGE_CHARS: usize = 400;

/// `claim` with the JSON value at `pointer` replaced by `new`, read back through serde
/// (every invariant that needs no catalog holds).
fn edited(claim: &Claim, pointer: &str, new: Value) -> Outcome<Claim> {
    let mut value = serde_json::to_value(claim).context("to json")?;
    let slot = value
        .pointer_mut(pointer)
        .context(format_args!("no {pointer} in the claim's JSON"))?;
    *slot = new;
    serde_json::from_value(value).context("from json")
}

/// Fails unless `error` refuses the claim as breaking its catalog, with a short message.
fn is_catalog_refusal(error: &StoreError, what: &str) -> Outcome {
    let message = error.to_string();
    ensure(
        matches!(error, StoreError::Invalid(e)
            if matches!(e.invariant(), Invariant::Catalog | Invariant::Derived)),
        || {
            format!(
                "{what} was refused with {}, not Invalid (claim.catalog or claim.derived)",
                describe_error(error)
            )
        },
    )?;
    ensure(message.chars().count() <= MESSAGE_CHARS, || {
        format!(
            "the refusal of {what} is {} characters long",
            message.chars().count()
        )
    })
}

/// The claims a careless importer might make of valid ones: each breaks one rule that only
/// the catalog knows.
fn forbidden(w: &World) -> Outcome<Vec<(&'static str, Claim)>> {
    let a = partner(PARTNER_A)?;
    let draft =
        Claim::from(w.association(claim_id(301)?, a, tenant(31)?, &["teams"], Stage::Draft)?);
    let approved =
        Claim::from(w.association(claim_id(302)?, a, tenant(32)?, &["teams"], Stage::Approved)?);
    let customer = CustomerId::Tenant(tenant(33)?);
    let activity = Claim::from(w.activity(claim_id(303)?, a, CAP_ONE, &customer, 0)?);
    Ok(vec![
        (
            "an unknown workload",
            edited(&draft, "/claim/content/target/workloads", json!(["teamz"]))?,
        ),
        (
            "an MCI engagement on a CPOR claim",
            edited(&draft, "/claim/content/engagement", json!(CAP_ONE))?,
        ),
        (
            "a role of another solution area",
            edited(&draft, "/claim/content/role", json!("build_intent_advisor"))?,
        ),
        (
            "a program year with no catalog",
            edited(&draft, "/claim/program_year", json!("FY99"))?,
        ),
        (
            "an opt-out window longer than the catalog's",
            edited(
                &approved,
                "/claim/opt_out_until",
                json!("2099-01-01T00:00:00Z"),
            )?,
        ),
        (
            "an activity deadline the catalog does not give",
            edited(&activity, "/claim/deadline", json!("2099-01-01T00:00:00Z"))?,
        ),
    ])
}

/// Each claim that breaks its catalog's rules (an unknown workload, an MCI engagement on a
/// CPOR claim, a role of another solution area, a program year with no catalog, a window or
/// deadline the catalog does not compute) is refused by `import` as invalid, in its place,
/// and leaves no trace; a valid claim of the same batch is imported.
pub(super) fn import_refuses_what_the_catalog_forbids<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let forbidden = forbidden(&w)?;
    let valid = Claim::from(w.association(
        claim_id(310)?,
        partner(PARTNER_A)?,
        tenant(40)?,
        &["intune"],
        Stage::Draft,
    )?);
    let mut batch: Vec<Claim> = forbidden.iter().map(|(_, c)| c.clone()).collect();
    batch.push(valid.clone());
    let report = store.import(batch).context("import")?;
    same("the number of outcomes", &report.outcomes.len(), &7)?;
    for ((what, claim), (id, outcome)) in forbidden.iter().zip(&report.outcomes) {
        same(
            format_args!("the claim reported for {what}"),
            id,
            &claim.id(),
        )?;
        match outcome {
            Ok(version) => {
                return Err(Problem::new(format!(
                    "{what} was imported at {version}; it must be refused"
                )));
            }
            Err(error) => is_catalog_refusal(error, what)?,
        }
        ensure(
            store
                .load(Scope::Microsoft, claim.id())
                .context("load")?
                .is_none(),
            || format!("{what} was stored"),
        )?;
    }
    stored_as(&store, &valid, Version::FIRST)
}

/// The same claims are refused by `commit`, alone or beside a valid write, which is then not
/// written either.
pub(super) fn commit_refuses_what_the_catalog_forbids<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let valid = Claim::from(w.association(
        claim_id(320)?,
        partner(PARTNER_A)?,
        tenant(41)?,
        &["intune"],
        Stage::Draft,
    )?);
    for (what, claim) in forbidden(&w)? {
        let refused = store.commit(vec![Write::create(valid.clone()), Write::create(claim)]);
        match refused {
            Ok(_) => {
                return Err(Problem::new(format!(
                    "a commit of {what} was accepted; it must be refused"
                )));
            }
            Err(error) => is_catalog_refusal(&error, what)?,
        }
        ensure(
            store
                .load(Scope::Microsoft, valid.id())
                .context("load")?
                .is_none(),
            || format!("the valid write beside {what} was stored"),
        )?;
    }
    Ok(())
}
