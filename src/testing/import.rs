//! The cases of bulk import ([`Store::import`]): each claim checked on its own, refusals
//! reported, the rest written.

use super::StoreFactory;
use super::check::{
    Context, Outcome, Snapshot, create, describe_error, ensure, holds, is_key_held,
    is_limit_reached, same, stored_as,
};
use super::fixtures::{
    CAP_ONE, PARTNER_A, PARTNER_B, Stage, World, associated, claim_id, counted, open_association,
    partner, tenant,
};
use crate::id::{ClaimId, CustomerId};
use crate::store::{Claim, ImportReport, Scope, Store, StoreError, Version};

/// The outcome of claim `index` of a report, which must be for `id`.
fn outcome(
    report: &ImportReport,
    index: usize,
    id: ClaimId,
) -> Outcome<&Result<Version, StoreError>> {
    let (reported, result) = report
        .outcomes
        .get(index)
        .context(format_args!("the report has no outcome {index}"))?;
    same(format_args!("the claim of outcome {index}"), reported, &id)?;
    Ok(result)
}

/// Fails unless outcome `index` is an import at `version`.
fn imported(report: &ImportReport, index: usize, id: ClaimId, version: Version) -> Outcome {
    match outcome(report, index, id)? {
        Ok(v) => same(
            format_args!("the version of imported claim {id}"),
            v,
            &version,
        ),
        Err(e) => Err(super::check::Problem::new(format!(
            "claim {id} (outcome {index}) was refused: {}",
            describe_error(e)
        ))),
    }
}

/// The refusal of outcome `index`.
fn refusal(report: &ImportReport, index: usize, id: ClaimId) -> Outcome<&StoreError> {
    match outcome(report, index, id)? {
        Err(e) => Ok(e),
        Ok(v) => Err(super::check::Problem::new(format!(
            "claim {id} (outcome {index}) was imported at {v}; it must be refused"
        ))),
    }
}

pub(super) fn import_reports_each_claim<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let (t, other) = (tenant(1)?, tenant(2)?);
    let customer = CustomerId::Tenant(tenant(3)?);
    let holder = claim_id(1)?;
    create(
        &store,
        w.association(holder, a, t, &["exchange"], Stage::Approved)?,
    )?;

    // 0: B approved on teams (free) and exchange (held by 1): refused on its second key.
    let rival =
        Claim::from(w.association(claim_id(2)?, b, t, &["teams", "exchange"], Stage::Approved)?);
    // 1: a draft of B on another tenant: imported.
    let draft = Claim::from(w.association(claim_id(3)?, b, other, &["teams"], Stage::Draft)?);
    // 2 and 3: two partners on a cap-1 engagement for one customer: the second is refused.
    let first = Claim::from(w.activity(claim_id(4)?, a, CAP_ONE, &customer, 0)?);
    let second = Claim::from(w.activity(claim_id(5)?, b, CAP_ONE, &customer, 1)?);
    // 4: the draft again: an idempotent re-import.
    // 5: the holder's ID with other content.
    let impostor = Claim::from(w.association(holder, b, other, &["intune"], Stage::Draft)?);
    let before = Snapshot::take(&store, &[&rival, &impostor])?;
    let report = store
        .import(vec![
            rival.clone(),
            draft.clone(),
            first.clone(),
            second.clone(),
            draft.clone(),
            impostor.clone(),
        ])
        .context("import")?;
    same("the number of outcomes", &report.outcomes.len(), &6)?;

    is_key_held(
        refusal(&report, 0, rival.id())?,
        &associated(t, "exchange")?,
        holder,
    )?;
    imported(&report, 1, draft.id(), Version::FIRST)?;
    imported(&report, 2, first.id(), Version::FIRST)?;
    is_limit_reached(
        refusal(&report, 3, second.id())?,
        &counted(CAP_ONE, &customer)?,
        1,
    )?;
    imported(&report, 4, draft.id(), Version::FIRST)?;
    let error = refusal(&report, 5, holder)?;
    ensure(
        matches!(error, StoreError::IdConflict { claim } if *claim == holder),
        || {
            format!(
                "the holder's ID with other content was refused with {}, not IdConflict",
                describe_error(error)
            )
        },
    )?;
    same("imported()", &report.imported(), &3)?;
    same("refused().count()", &report.refused().count(), &3)?;
    ensure(!report.is_complete(), || {
        "is_complete() on a report with refusals".to_owned()
    })?;

    // The refused claims left no trace: not even the rival's first, free key.
    before.unchanged(
        &Snapshot::take(&store, &[&rival, &impostor])?,
        "an import's refused claims",
    )?;
    holds(&store, &associated(t, "teams")?, None)?;
    holds(&store, &open_association(b, t, "teams")?, None)?;
    ensure(
        store
            .load(Scope::Microsoft, second.id())
            .context("load")?
            .is_none(),
        || "a claim refused on its limit was stored".to_owned(),
    )?;
    // The accepted ones are stored and hold their keys.
    stored_as(&store, &draft, Version::FIRST)?;
    stored_as(&store, &first, Version::FIRST)?;
    holds(
        &store,
        &open_association(b, other, "teams")?,
        Some(draft.id()),
    )?;
    same(
        "the count after the import",
        &store
            .count(&counted(CAP_ONE, &customer)?)
            .context("count")?,
        &1,
    )
}

pub(super) fn import_retry_is_idempotent<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let claims: Vec<Claim> = (1..=20_u128)
        .map(|n| {
            let stage = if n % 2 == 0 {
                Stage::Approved
            } else {
                Stage::Submitted
            };
            Ok(Claim::from(w.association(
                claim_id(n)?,
                a,
                tenant(n)?,
                &["teams", "exchange"],
                stage,
            )?))
        })
        .collect::<Outcome<_>>()?;
    let empty = store.import(Vec::new()).context("import of nothing")?;
    same("outcomes of an empty import", &empty.outcomes.len(), &0)?;

    for attempt in ["the first import", "a retried import"] {
        let report = store.import(claims.clone()).context("import")?;
        ensure(report.is_complete(), || {
            let refusals: Vec<String> = report
                .refused()
                .map(|(id, e)| format!("{id}: {}", describe_error(e)))
                .collect();
            format!("{attempt} refused: {}", refusals.join("; "))
        })?;
        for (i, claim) in claims.iter().enumerate() {
            imported(&report, i, claim.id(), Version::FIRST)?;
        }
    }
    for claim in &claims {
        stored_as(&store, claim, Version::FIRST)?;
    }
    same(
        "the claims of the partner",
        &store
            .by_partner(
                a,
                crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
            )
            .context("by_partner")?
            .len(),
        &claims.len(),
    )?;
    for n in (2..=20_u128).step_by(2) {
        holds(
            &store,
            &associated(tenant(n)?, "teams")?,
            Some(claim_id(n)?),
        )?;
    }
    Ok(())
}
