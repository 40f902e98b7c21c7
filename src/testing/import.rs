//! The cases of bulk import ([`Store::import`]): each claim checked on its own, refusals
//! reported, the rest written.

use super::StoreFactory;
use super::check::{
    Context, Outcome, Snapshot, create, describe_error, ensure, holds, is_key_held,
    is_limit_reached, same, stored_as,
};
use super::fixtures::{
    CAP_ONE, CAP_TWO, PARTNER_A, PARTNER_B, PARTNER_C, Stage, World, associated, claim_id, counted,
    open_activity, open_association, partner, tenant, tpid_customer,
};
use crate::id::{ClaimId, CustomerId};
use crate::store::{Claim, CountedKey, ImportReport, Scope, Store, StoreError, UniqueKey, Version};

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

/// The outcomes a batch must have, in order: imported at the first version, or refused with
/// `KeyHeld`, `LimitReached` or `IdConflict`.
enum Expected {
    Imported,
    KeyHeld(UniqueKey, ClaimId),
    LimitReached(CountedKey, u32),
    IdConflict,
}

/// Fails unless `report` has exactly `expected`, claim by claim, for `batch`.
fn outcomes_are(report: &ImportReport, batch: &[Claim], expected: &[Expected]) -> Outcome {
    same(
        "the number of outcomes",
        &report.outcomes.len(),
        &batch.len(),
    )?;
    for (i, (claim, expected)) in batch.iter().zip(expected).enumerate() {
        let id = claim.id();
        match expected {
            Expected::Imported => imported(report, i, id, Version::FIRST)?,
            Expected::KeyHeld(key, holder) => is_key_held(refusal(report, i, id)?, key, *holder)
                .map_err(|p| p.within(format_args!("outcome {i}")))?,
            Expected::LimitReached(key, limit) => {
                is_limit_reached(refusal(report, i, id)?, key, *limit)
                    .map_err(|p| p.within(format_args!("outcome {i}")))?;
            }
            Expected::IdConflict => {
                let error = refusal(report, i, id)?;
                ensure(
                    matches!(error, StoreError::IdConflict { claim } if *claim == id),
                    || format!("outcome {i}: {} is not IdConflict", describe_error(error)),
                )?;
            }
        }
    }
    Ok(())
}

/// Claim `i` of a batch.
fn nth(batch: &[Claim], i: usize) -> Outcome<&Claim> {
    batch.get(i).context(format_args!("claim {i} of the batch"))
}

/// Fails if any of `claims` is stored.
fn none_stored<S: Store + ?Sized>(store: &S, claims: &[&Claim]) -> Outcome {
    for claim in claims {
        ensure(
            store
                .load(Scope::Microsoft, claim.id())
                .context("load")?
                .is_none(),
            || format!("refused claim {} was stored", claim.id()),
        )?;
    }
    Ok(())
}

pub(super) fn import_checks_keys_in_batch_order<F: StoreFactory>(factory: &F) -> Outcome {
    use Expected::{Imported, KeyHeld};
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let (t, t2) = (tenant(1)?, tenant(2)?);
    let draft = |n: u128, p, t, workloads: &[&str]| -> Outcome<Claim> {
        Ok(w.association(claim_id(n)?, p, t, workloads, Stage::Draft)?
            .into())
    };
    let holder = draft(1, a, t, &["exchange"])?;
    create(&store, holder.clone())?;
    let batch = vec![
        // Refused on exchange, which the stored claim holds: it holds nothing for later ones.
        draft(2, a, t, &["teams", "exchange"])?,
        // So teams is free for this one, which takes it.
        draft(3, a, t, &["teams"])?,
        // Another partner's open key.
        draft(4, b, t, &["teams"])?,
        draft(5, a, t2, &["intune"])?,
        // Teams again: held by claim 3, earlier in the batch.
        draft(6, a, t, &["teams"])?,
        // Intune on t2: held by claim 5, earlier in the batch; its free key stays free.
        draft(7, a, t2, &["intune", "teams"])?,
    ];
    let expected = |first: Expected| -> Outcome<[Expected; 6]> {
        Ok([
            first,
            Imported,
            Imported,
            Imported,
            KeyHeld(open_association(a, t, "teams")?, claim_id(3)?),
            KeyHeld(open_association(a, t2, "intune")?, claim_id(5)?),
        ])
    };
    // Imported again, claim 2 meets teams first, which claim 3 holds now.
    for (attempt, first) in [
        (
            "the import",
            KeyHeld(open_association(a, t, "exchange")?, holder.id()),
        ),
        (
            "the same import again",
            KeyHeld(open_association(a, t, "teams")?, claim_id(3)?),
        ),
    ] {
        let report = store.import(batch.clone()).context(attempt)?;
        outcomes_are(&report, &batch, &expected(first)?).map_err(|p| p.within(attempt))?;
        holds(
            &store,
            &open_association(a, t, "exchange")?,
            Some(holder.id()),
        )?;
        holds(
            &store,
            &open_association(a, t, "teams")?,
            Some(claim_id(3)?),
        )?;
        holds(
            &store,
            &open_association(b, t, "teams")?,
            Some(claim_id(4)?),
        )?;
        holds(
            &store,
            &open_association(a, t2, "intune")?,
            Some(claim_id(5)?),
        )?;
        holds(&store, &open_association(a, t2, "teams")?, None)?;
        none_stored(&store, &[nth(&batch, 0)?, nth(&batch, 4)?, nth(&batch, 5)?])?;
        for claim in batch.iter().skip(1).take(3) {
            stored_as(&store, claim, Version::FIRST)?;
        }
    }
    Ok(())
}

pub(super) fn import_fills_a_cap_exactly<F: StoreFactory>(factory: &F) -> Outcome {
    use Expected::{Imported, KeyHeld, LimitReached};
    let store = factory.make();
    let w = World::new()?;
    let (a, b, c) = (
        partner(PARTNER_A)?,
        partner(PARTNER_B)?,
        partner(PARTNER_C)?,
    );
    let (customer, elsewhere) = (tpid_customer(123_456)?, tpid_customer(654_321)?);
    let key = counted(CAP_TWO, &customer)?;
    let first = Claim::from(w.activity(claim_id(1)?, a, CAP_TWO, &customer, 0)?);
    create(&store, first.clone())?;
    let batch: Vec<Claim> = vec![
        // A's second open claim for the customer: refused on its key, so it takes no place.
        w.activity(claim_id(2)?, a, CAP_TWO, &customer, 1)?.into(),
        // The second place: the cap, exactly.
        w.activity(claim_id(3)?, b, CAP_TWO, &customer, 2)?.into(),
        // A third: over the cap.
        w.activity(claim_id(4)?, c, CAP_TWO, &customer, 3)?.into(),
        // Another customer has its own count.
        w.activity(claim_id(5)?, c, CAP_TWO, &elsewhere, 4)?.into(),
    ];
    let expected = [
        KeyHeld(open_activity(a, CAP_TWO, &customer)?, first.id()),
        Imported,
        LimitReached(key.clone(), 2),
        Imported,
    ];
    for attempt in ["the import", "the same import again"] {
        let report = store.import(batch.clone()).context(attempt)?;
        outcomes_are(&report, &batch, &expected).map_err(|p| p.within(attempt))?;
        same("the count", &store.count(&key).context("count")?, &2)?;
        same(
            "the count of the other customer",
            &store
                .count(&counted(CAP_TWO, &elsewhere)?)
                .context("count")?,
            &1,
        )?;
        holds(&store, &open_activity(c, CAP_TWO, &customer)?, None)?;
        none_stored(&store, &[nth(&batch, 0)?, nth(&batch, 2)?])?;
    }

    // A batch whose claims share no key, but two of whom a place is left for one.
    let third = tpid_customer(246_810)?;
    create(&store, w.activity(claim_id(6)?, a, CAP_TWO, &third, 5)?)?;
    let batch: Vec<Claim> = vec![
        w.activity(claim_id(7)?, b, CAP_TWO, &third, 6)?.into(),
        w.activity(claim_id(8)?, c, CAP_TWO, &third, 7)?.into(),
    ];
    let report = store.import(batch.clone()).context("import")?;
    outcomes_are(
        &report,
        &batch,
        &[Imported, LimitReached(counted(CAP_TWO, &third)?, 2)],
    )?;
    same(
        "the count of the third customer",
        &store.count(&counted(CAP_TWO, &third)?).context("count")?,
        &2,
    )?;
    none_stored(&store, &[nth(&batch, 1)?])
}

pub(super) fn import_of_one_id_twice<F: StoreFactory>(factory: &F) -> Outcome {
    use Expected::{IdConflict, Imported, KeyHeld};
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let (t1, t2, t3) = (tenant(1)?, tenant(2)?, tenant(3)?);
    let draft = |n: u128, t, workload: &str| -> Outcome<Claim> {
        Ok(
            w.association(claim_id(n)?, a, t, &[workload], Stage::Draft)?
                .into(),
        )
    };
    let batch = vec![
        draft(1, t1, "teams")?,
        // The same claim again: a retry of the one just imported.
        draft(1, t1, "teams")?,
        // Its ID with other content.
        draft(1, t2, "intune")?,
        // Another ID on the first one's key: refused...
        draft(2, t1, "teams")?,
        // ...so its ID is free for other content, once...
        draft(2, t3, "exchange")?,
        // ...and that again is a retry.
        draft(2, t3, "exchange")?,
    ];
    let report = store.import(batch.clone()).context("import")?;
    outcomes_are(
        &report,
        &batch,
        &[
            Imported,
            Imported,
            IdConflict,
            KeyHeld(open_association(a, t1, "teams")?, claim_id(1)?),
            Imported,
            Imported,
        ],
    )?;
    stored_as(&store, nth(&batch, 0)?, Version::FIRST)?;
    stored_as(&store, nth(&batch, 4)?, Version::FIRST)?;
    holds(
        &store,
        &open_association(a, t1, "teams")?,
        Some(claim_id(1)?),
    )?;
    holds(&store, &open_association(a, t2, "intune")?, None)?;
    holds(
        &store,
        &open_association(a, t3, "exchange")?,
        Some(claim_id(2)?),
    )?;
    same("imported()", &report.imported(), &4)
}
