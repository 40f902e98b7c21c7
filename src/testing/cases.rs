//! The cases, one contract point each. Each takes a factory, makes a fresh store, and returns
//! the first problem it finds.

use super::StoreFactory;
use super::check::{
    Context, Outcome, Snapshot, create, describe_error, ensure, every_key, holds, ids_of,
    is_conflict, is_key_held, is_key_held_by_one_of, is_limit_reached, refused, same, sorted,
    stored_as, update,
};
use super::fixtures::{
    CAP_ONE, CAP_TWO, MWS_ENGAGEMENT, PARTNER_A, PARTNER_B, PARTNER_C, Stage, World, associated,
    claim_id, counted, engagement, open_activity, open_association, partner, tenant, tpid_customer,
};
use crate::association::{Arbitration, AssociationCommand};
use crate::id::CustomerId;
use crate::store::{Claim, Scope, Store, StoreError, Version, Write};

pub(super) fn load_is_scoped_to_partner<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let claim =
        Claim::from(w.association(claim_id(1)?, a, tenant(1)?, &["teams"], Stage::Draft)?);
    let id = claim.id();
    create(&store, claim.clone())?;

    let own = store
        .load(Scope::Partner(a), id)
        .context("load as the owner")?;
    same(
        "the owner's load",
        &own.map(|s| (s.claim, s.version)),
        &Some((claim.clone(), Version::FIRST)),
    )?;
    let microsoft = store
        .load(Scope::Microsoft, id)
        .context("load as Microsoft")?;
    same(
        "Microsoft's load",
        &microsoft.map(|s| s.version),
        &Some(Version::FIRST),
    )?;
    let other = store
        .load(Scope::Partner(b), id)
        .context("load as another partner")?;
    ensure(other.is_none(), || {
        format!("partner {b} loads partner {a}'s claim {id}; it must see Ok(None)")
    })?;
    let missing = store
        .load(Scope::Partner(b), claim_id(2)?)
        .context("load of a missing claim")?;
    ensure(missing.is_none(), || {
        "a missing claim loads as Some; it must be Ok(None)".to_owned()
    })?;
    let missing = store
        .load(Scope::Microsoft, claim_id(2)?)
        .context("load of a missing claim")?;
    ensure(missing.is_none(), || {
        "a missing claim loads as Some for Microsoft; it must be Ok(None)".to_owned()
    })
}

pub(super) fn create_then_load<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let association = Claim::from(w.association(
        claim_id(1)?,
        a,
        tenant(1)?,
        &["teams", "exchange"],
        Stage::Draft,
    )?);
    let activity =
        Claim::from(w.activity(claim_id(2)?, a, CAP_ONE, &CustomerId::Tenant(tenant(1)?), 0)?);
    for claim in [&association, &activity] {
        let version = create(&store, claim.clone())?;
        same(
            format_args!("the version of new claim {}", claim.id()),
            &version,
            &Version::FIRST,
        )?;
        stored_as(&store, claim, Version::FIRST)?;
    }
    // Both in one commit, on a fresh store.
    let store = factory.make();
    let versions = store
        .commit(vec![
            Write::create(association.clone()),
            Write::create(activity.clone()),
        ])
        .context("creating two claims in one commit")?;
    same(
        "the versions of a two-create commit",
        &versions,
        &vec![Version::FIRST, Version::FIRST],
    )?;
    stored_as(&store, &association, Version::FIRST)?;
    stored_as(&store, &activity, Version::FIRST)
}

pub(super) fn version_increments_by_one<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let id = claim_id(1)?;
    let t = tenant(1)?;
    let stages = [
        Stage::Draft,
        Stage::DraftWithPoe,
        Stage::Submitted,
        Stage::UnderReview,
        Stage::Approved,
        Stage::Declined,
    ];
    let mut version = None;
    for stage in stages {
        let claim = Claim::from(w.association(id, a, t, &["teams"], stage)?);
        let new = match version {
            None => create(&store, claim.clone())?,
            Some(v) => update(&store, claim.clone(), v)?,
        };
        let expected = version.map_or(Version::FIRST, Version::next);
        same(
            format_args!("the version after writing the {stage:?} claim"),
            &new,
            &expected,
        )?;
        stored_as(&store, &claim, expected)?;
        version = Some(new);
    }
    same("the final version", &version.map(Version::get), &Some(6))
}

pub(super) fn stale_update_conflicts<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let (id, t) = (claim_id(1)?, tenant(1)?);
    let draft = Claim::from(w.association(id, a, t, &["teams"], Stage::Draft)?);
    let with_poe = Claim::from(w.association(id, a, t, &["teams"], Stage::DraftWithPoe)?);
    let submitted = Claim::from(w.association(id, a, t, &["teams"], Stage::Submitted)?);
    create(&store, draft)?;
    let v2 = update(&store, with_poe.clone(), Version::FIRST)?;

    let before = Snapshot::take(&store, &[&with_poe])?;
    let error = refused(
        &store,
        &[Write::update(submitted.clone(), Version::FIRST)],
        "an update at a stale version",
    )?;
    is_conflict(&error, id, Some(Version::FIRST), Some(v2))?;
    // A version from the future is as wrong as one from the past.
    let error = refused(
        &store,
        &[Write::update(submitted, v2.next())],
        "an update at a version not yet written",
    )?;
    is_conflict(&error, id, Some(v2.next()), Some(v2))?;
    before.unchanged(&Snapshot::take(&store, &[&with_poe])?, "a refused update")?;
    stored_as(&store, &with_poe, v2)
}

pub(super) fn update_of_missing_claim_conflicts<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let claim =
        Claim::from(w.association(claim_id(1)?, a, tenant(1)?, &["teams"], Stage::Draft)?);
    let error = refused(
        &store,
        &[Write::update(claim.clone(), Version::FIRST)],
        "an update of a missing claim",
    )?;
    is_conflict(&error, claim.id(), Some(Version::FIRST), None)?;
    let loaded = store
        .load(Scope::Microsoft, claim.id())
        .context("load after the refused update")?;
    ensure(loaded.is_none(), || {
        "an update of a missing claim stored it".to_owned()
    })?;
    holds(&store, &open_association(a, tenant(1)?, "teams")?, None)?;
    let listed = store
        .by_partner(
            a,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_partner")?;
    ensure(listed.is_empty(), || {
        format!(
            "by_partner lists {} claims after a refused update",
            listed.len()
        )
    })
}

pub(super) fn create_retry_is_idempotent<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let (id, t) = (claim_id(1)?, tenant(1)?);
    let draft = Claim::from(w.association(id, a, t, &["teams"], Stage::DraftWithPoe)?);
    let submitted = Claim::from(w.association(id, a, t, &["teams"], Stage::Submitted)?);

    create(&store, draft.clone())?;
    let retry = store
        .commit(vec![Write::create(draft.clone())])
        .context("retrying a create")?;
    same(
        "the versions of a retried create",
        &retry,
        &vec![Version::FIRST],
    )?;
    stored_as(&store, &draft, Version::FIRST)?;

    // The claim moves on; a late retry of its create answers with what is stored now.
    let v2 = update(&store, submitted.clone(), Version::FIRST)?;
    let before = Snapshot::take(&store, &[&submitted])?;
    let retry = store
        .commit(vec![Write::create(draft.clone())])
        .context("retrying a create after an update")?;
    same(
        "the versions of a create retried after an update",
        &retry,
        &vec![v2],
    )?;
    before.unchanged(&Snapshot::take(&store, &[&submitted])?, "a retried create")?;
    stored_as(&store, &submitted, v2)
}

pub(super) fn create_with_other_content_is_refused<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let (id, t) = (claim_id(1)?, tenant(1)?);
    let claim = Claim::from(w.association(id, a, t, &["teams"], Stage::Draft)?);
    create(&store, claim.clone())?;
    let before = Snapshot::take(&store, &[&claim])?;

    let others = [
        w.association(id, a, t, &["exchange"], Stage::Draft)?,
        w.association(id, a, tenant(2)?, &["teams"], Stage::Draft)?,
        w.association(id, b, t, &["teams"], Stage::Draft)?,
        w.association_from(id, a, &w.form("Another name", t, &["teams"]), Stage::Draft)?,
    ];
    for other in others {
        let other = Claim::from(other);
        let error = refused(
            &store,
            &[Write::create(other.clone())],
            "a create with a taken ID and other content",
        )?;
        ensure(
            matches!(error, StoreError::IdConflict { claim } if claim == id),
            || {
                format!(
                    "expected IdConflict {{ claim: {id} }}, found {}",
                    describe_error(&error)
                )
            },
        )?;
        let after = Snapshot::take(&store, &[&claim])?;
        before.unchanged(&after, "a create refused with IdConflict")?;
        let own = every_key(&claim);
        for key in every_key(&other).iter().filter(|k| !own.contains(k)) {
            holds(&store, key, None)?;
        }
    }
    // Another claim family under the same ID is other content too.
    let activity = Claim::from(w.activity(id, a, CAP_ONE, &CustomerId::Tenant(t), 0)?);
    let error = refused(
        &store,
        &[Write::create(activity)],
        "a create of an activity claim with an association claim's ID",
    )?;
    ensure(
        matches!(error, StoreError::IdConflict { claim } if claim == id),
        || {
            format!(
                "expected IdConflict {{ claim: {id} }}, found {}",
                describe_error(&error)
            )
        },
    )?;
    stored_as(&store, &claim, Version::FIRST)
}

pub(super) fn approved_claim_holds_its_keys<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let t = tenant(1)?;
    let workloads = ["teams", "exchange", "intune"];
    for workload in workloads {
        holds(&store, &associated(t, workload)?, None)?;
        holds(&store, &open_association(a, t, workload)?, None)?;
    }
    let key = counted(CAP_ONE, &CustomerId::Tenant(t))?;
    same(
        "the count of a key nobody counts towards",
        &store.count(&key).context("count")?,
        &0,
    )?;

    let id = claim_id(1)?;
    let claim = w.association(id, a, t, &workloads, Stage::Approved)?;
    create(&store, claim)?;
    for workload in workloads {
        holds(&store, &associated(t, workload)?, Some(id))?;
        holds(&store, &open_association(a, t, workload)?, Some(id))?;
    }
    // Only its own keys: another workload, tenant or partner is not held.
    holds(&store, &associated(t, "sharepoint")?, None)?;
    holds(&store, &associated(tenant(2)?, "teams")?, None)?;
    holds(
        &store,
        &open_association(partner(PARTNER_B)?, t, "teams")?,
        None,
    )
}

pub(super) fn competing_approval_is_refused<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let (holder, rival) = (claim_id(1)?, claim_id(2)?);
    create(
        &store,
        w.association(holder, a, t, &["teams", "exchange"], Stage::Approved)?,
    )?;

    // A competing claim may be created and taken through review.
    create(
        &store,
        w.association(rival, b, t, &["exchange", "intune"], Stage::Draft)?,
    )?;
    let mut version = Version::FIRST;
    for stage in [Stage::DraftWithPoe, Stage::Submitted, Stage::UnderReview] {
        version = update(
            &store,
            w.association(rival, b, t, &["exchange", "intune"], stage)?,
            version,
        )?;
    }
    let under_review =
        Claim::from(w.association(rival, b, t, &["exchange", "intune"], Stage::UnderReview)?);
    let approved =
        Claim::from(w.association(rival, b, t, &["exchange", "intune"], Stage::Approved)?);
    let before = Snapshot::take(&store, &[&under_review])?;
    let error = refused(
        &store,
        &[Write::update(approved.clone(), version)],
        "approving a claim on a key another partner holds",
    )?;
    is_key_held(&error, &associated(t, "exchange")?, holder)?;
    before.unchanged(
        &Snapshot::take(&store, &[&under_review])?,
        "a refused approval",
    )?;
    holds(&store, &associated(t, "intune")?, None)?;

    // Created approved, on a fresh ID, it is refused the same way.
    let direct = Claim::from(w.association(
        claim_id(3)?,
        partner(PARTNER_C)?,
        t,
        &["teams"],
        Stage::Approved,
    )?);
    let error = refused(
        &store,
        &[Write::create(direct.clone())],
        "creating an approved claim on a key another partner holds",
    )?;
    is_key_held(&error, &associated(t, "teams")?, holder)?;
    let loaded = store
        .load(Scope::Microsoft, direct.id())
        .context("load after the refused create")?;
    ensure(loaded.is_none(), || {
        "a create refused with KeyHeld stored the claim".to_owned()
    })?;
    holds(&store, &associated(t, "teams")?, Some(holder))?;
    holds(&store, &associated(t, "exchange")?, Some(holder))?;

    // Two partners' approvals on one free key in the same commit: refused as a whole.
    let free = tenant(2)?;
    let (x, y) = (claim_id(4)?, claim_id(5)?);
    let first = Claim::from(w.association(x, a, free, &["teams"], Stage::Approved)?);
    let second = Claim::from(w.association(y, b, free, &["teams"], Stage::Approved)?);
    let before = Snapshot::take(&store, &[&first, &second])?;
    let error = refused(
        &store,
        &[Write::create(first.clone()), Write::create(second.clone())],
        "two partners' approvals on one key in one commit",
    )?;
    is_key_held_by_one_of(&error, &associated(free, "teams")?, &[x, y])?;
    before.unchanged(
        &Snapshot::take(&store, &[&first, &second])?,
        "two approvals on one key in one commit",
    )
}

pub(super) fn ended_association_frees_its_keys<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let (holder, rival) = (claim_id(1)?, claim_id(2)?);
    let v = create(
        &store,
        w.association(holder, a, t, &["teams", "exchange"], Stage::Approved)?,
    )?;
    let v_rival = create(
        &store,
        w.association(rival, b, t, &["exchange"], Stage::UnderReview)?,
    )?;
    let approved = w.association(rival, b, t, &["exchange"], Stage::Approved)?;
    let error = refused(
        &store,
        &[Write::update(approved.clone(), v_rival)],
        "approving while the holder is associated",
    )?;
    is_key_held(&error, &associated(t, "exchange")?, holder)?;

    // The customer declines: the association ends and every key of the holder is free.
    update(
        &store,
        w.association(holder, a, t, &["teams", "exchange"], Stage::Declined)?,
        v,
    )?;
    for workload in ["teams", "exchange"] {
        holds(&store, &associated(t, workload)?, None)?;
        holds(&store, &open_association(a, t, workload)?, None)?;
    }
    update(&store, approved, v_rival)?;
    holds(&store, &associated(t, "exchange")?, Some(rival))?;
    holds(&store, &associated(t, "teams")?, None)
}

pub(super) fn one_open_claim_per_partner_and_key<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let (first, second, other) = (claim_id(1)?, claim_id(2)?, claim_id(3)?);
    create(
        &store,
        w.association(first, a, t, &["teams"], Stage::Draft)?,
    )?;
    holds(&store, &open_association(a, t, "teams")?, Some(first))?;
    holds(&store, &associated(t, "teams")?, None)?;

    let duplicate =
        Claim::from(w.association(second, a, t, &["exchange", "teams"], Stage::Draft)?);
    let error = refused(
        &store,
        &[Write::create(duplicate.clone())],
        "a second open claim of one partner on one key",
    )?;
    is_key_held(&error, &open_association(a, t, "teams")?, first)?;
    holds(&store, &open_association(a, t, "exchange")?, None)?;

    // Another partner's draft on the same key is fine.
    create(
        &store,
        w.association(other, b, t, &["teams"], Stage::Draft)?,
    )?;
    holds(&store, &open_association(b, t, "teams")?, Some(other))?;

    // Once the first draft is withdrawn, the partner may open another.
    update(
        &store,
        w.association(first, a, t, &["teams"], Stage::Withdrawn)?,
        Version::FIRST,
    )?;
    holds(&store, &open_association(a, t, "teams")?, None)?;
    create(&store, duplicate)?;
    holds(&store, &open_association(a, t, "teams")?, Some(second))?;

    // Two drafts of one partner on one free key in the same commit: refused as a whole.
    let free = tenant(2)?;
    let (x, y) = (claim_id(4)?, claim_id(5)?);
    let one = Claim::from(w.association(x, a, free, &["teams"], Stage::Draft)?);
    let two = Claim::from(w.association(y, a, free, &["teams"], Stage::Draft)?);
    let before = Snapshot::take(&store, &[&one, &two])?;
    let error = refused(
        &store,
        &[Write::create(one.clone()), Write::create(two.clone())],
        "two drafts of one partner on one key in one commit",
    )?;
    is_key_held_by_one_of(&error, &open_association(a, free, "teams")?, &[x, y])?;
    before.unchanged(
        &Snapshot::take(&store, &[&one, &two])?,
        "two drafts on one key in one commit",
    )?;

    // Activity claims: one open claim per partner, engagement and customer.
    let customer = tpid_customer(123_456)?;
    let (act1, act2, act3) = (claim_id(11)?, claim_id(12)?, claim_id(13)?);
    create(&store, w.activity(act1, a, CAP_TWO, &customer, 0)?)?;
    let error = refused(
        &store,
        &[Write::create(w.activity(act2, a, CAP_TWO, &customer, 1)?)],
        "a second open activity claim of one partner for one customer",
    )?;
    is_key_held(&error, &open_activity(a, CAP_TWO, &customer)?, act1)?;
    create(&store, w.activity(act3, b, CAP_TWO, &customer, 1)?)?;
    holds(&store, &open_activity(a, CAP_TWO, &customer)?, Some(act1))?;
    holds(&store, &open_activity(b, CAP_TWO, &customer)?, Some(act3))
}

pub(super) fn arbitration_moves_keys_in_one_commit<F: StoreFactory>(factory: &F) -> Outcome {
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let (holder_id, rival_id) = (claim_id(1)?, claim_id(2)?);
    let holder = w.association(holder_id, a, t, &["teams", "exchange"], Stage::Approved)?;
    let rival = w.association(rival_id, b, t, &["teams"], Stage::UnderReview)?;
    let reviewer = w.reviewer()?;
    let winner = w.step(
        &rival,
        &AssociationCommand::Approve {
            arbitration: Arbitration::Supersedes(holder_id),
        },
        &reviewer,
        24,
    )?;
    let superseded = w.step(
        &holder,
        &AssociationCommand::Supersede { by: rival_id },
        &reviewer,
        24,
    )?;
    let v2 = Version::FIRST.next();
    for winner_first in [true, false] {
        let order = if winner_first {
            "the winner first"
        } else {
            "the holder first"
        };
        let store = factory.make();
        create(&store, holder.clone())?;
        create(&store, rival.clone())?;
        let writes = if winner_first {
            vec![
                Write::update(winner.clone(), Version::FIRST),
                Write::update(superseded.clone(), Version::FIRST),
            ]
        } else {
            vec![
                Write::update(superseded.clone(), Version::FIRST),
                Write::update(winner.clone(), Version::FIRST),
            ]
        };
        let versions = store
            .commit(writes)
            .context(format_args!("an arbitration commit, {order}"))?;
        same(
            format_args!("the versions of an arbitration commit, {order}"),
            &versions,
            &vec![v2, v2],
        )?;
        holds(&store, &associated(t, "teams")?, Some(rival_id))?;
        holds(&store, &open_association(b, t, "teams")?, Some(rival_id))?;
        // The superseded claim's association ended: it holds nothing any more.
        holds(&store, &associated(t, "exchange")?, None)?;
        holds(&store, &open_association(a, t, "teams")?, None)?;
        holds(&store, &open_association(a, t, "exchange")?, None)?;
        stored_as(&store, &Claim::from(winner.clone()), v2)?;
        stored_as(&store, &Claim::from(superseded.clone()), v2)?;
    }
    Ok(())
}

pub(super) fn counted_limit_of_one<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let customer = CustomerId::Tenant(tenant(1)?);
    let key = counted(CAP_ONE, &customer)?;
    let first = w.activity(claim_id(1)?, a, CAP_ONE, &customer, 0)?;
    let second = Claim::from(w.activity(claim_id(2)?, b, CAP_ONE, &customer, 1)?);
    create(&store, first.clone())?;
    same(
        "the count after one claim",
        &store.count(&key).context("count")?,
        &1,
    )?;

    let before = Snapshot::take(&store, &[&second])?;
    let error = refused(
        &store,
        &[Write::create(second.clone())],
        "a second partner's claim on a cap-1 engagement",
    )?;
    is_limit_reached(&error, &key, 1)?;
    before.unchanged(&Snapshot::take(&store, &[&second])?, "a refused create")?;
    same(
        "the count after a refused claim",
        &store.count(&key).context("count")?,
        &1,
    )?;

    // Both in one commit, on a fresh store: refused as a whole.
    let store = factory.make();
    let error = refused(
        &store,
        &[Write::create(first.clone()), Write::create(second.clone())],
        "two partners' claims on a cap-1 engagement in one commit",
    )?;
    is_limit_reached(&error, &key, 1)?;
    same(
        "the count after a refused commit",
        &store.count(&key).context("count")?,
        &0,
    )?;
    let stored = store
        .by_customer(
            Scope::Microsoft,
            &customer,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_customer")?;
    ensure(stored.is_empty(), || {
        format!("a refused commit stored {} claims", stored.len())
    })?;
    holds(&store, &open_activity(a, CAP_ONE, &customer)?, None)
}

pub(super) fn counted_limit_of_two<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b, c) = (
        partner(PARTNER_A)?,
        partner(PARTNER_B)?,
        partner(PARTNER_C)?,
    );
    let customer = tpid_customer(123_456)?;
    let key = counted(CAP_TWO, &customer)?;
    create(&store, w.activity(claim_id(1)?, a, CAP_TWO, &customer, 0)?)?;
    create(&store, w.activity(claim_id(2)?, b, CAP_TWO, &customer, 1)?)?;
    same(
        "the count after two claims",
        &store.count(&key).context("count")?,
        &2,
    )?;
    let third = Claim::from(w.activity(claim_id(3)?, c, CAP_TWO, &customer, 2)?);
    let before = Snapshot::take(&store, &[&third])?;
    let error = refused(
        &store,
        &[Write::create(third.clone())],
        "a third partner's claim on a cap-2 engagement",
    )?;
    is_limit_reached(&error, &key, 2)?;
    before.unchanged(&Snapshot::take(&store, &[&third])?, "a refused create")?;
    // Another customer has its own count.
    let elsewhere = tpid_customer(654_321)?;
    create(&store, w.activity(claim_id(4)?, c, CAP_TWO, &elsewhere, 2)?)?;
    same(
        "the count of another customer",
        &store
            .count(&counted(CAP_TWO, &elsewhere)?)
            .context("count")?,
        &1,
    )
}

pub(super) fn ended_activity_frees_a_place<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let customer = CustomerId::Tenant(tenant(1)?);
    let key = counted(CAP_ONE, &customer)?;
    let first = w.activity(claim_id(1)?, a, CAP_ONE, &customer, 0)?;
    let second = w.activity(claim_id(2)?, b, CAP_ONE, &customer, 1)?;
    create(&store, first.clone())?;
    let error = refused(
        &store,
        &[Write::create(second.clone())],
        "a second claim while the first is active",
    )?;
    is_limit_reached(&error, &key, 1)?;

    update(&store, w.cancel(&first, 2)?, Version::FIRST)?;
    same(
        "the count after a cancel",
        &store.count(&key).context("count")?,
        &0,
    )?;
    holds(&store, &open_activity(a, CAP_ONE, &customer)?, None)?;
    create(&store, second)?;
    same(
        "the count after the new claim",
        &store.count(&key).context("count")?,
        &1,
    )?;
    holds(
        &store,
        &open_activity(b, CAP_ONE, &customer)?,
        Some(claim_id(2)?),
    )
}

pub(super) fn failed_commit_on_third_key_changes_nothing<F: StoreFactory>(factory: &F) -> Outcome {
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let (holder, rival) = (claim_id(1)?, claim_id(2)?);
    let workloads = ["teams", "exchange", "intune"];
    let holding = w.association(holder, a, t, &["intune"], Stage::Approved)?;
    let approved = Claim::from(w.association(rival, b, t, &workloads, Stage::Approved)?);
    // The fixture's own check: the blocked key is the claim's third.
    let third = approved
        .as_association()
        .and_then(|c| c.keys().get(2).cloned())
        .context("the third key of the claim")?;
    same(
        "the third key of the fixture",
        &crate::store::UniqueKey::Associated { key: third },
        &associated(t, "intune")?,
    )?;

    // As a create.
    let store = factory.make();
    create(&store, holding.clone())?;
    let holding = Claim::from(holding);
    let before = Snapshot::take(&store, &[&holding, &approved])?;
    let error = refused(
        &store,
        &[Write::create(approved.clone())],
        "a create refused on its third key",
    )?;
    is_key_held(&error, &associated(t, "intune")?, holder)?;
    before.unchanged(
        &Snapshot::take(&store, &[&holding, &approved])?,
        "a create refused on its third key",
    )?;
    holds(&store, &associated(t, "teams")?, None)?;
    holds(&store, &associated(t, "exchange")?, None)?;
    let listed = store
        .by_partner(
            b,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_partner")?;
    ensure(listed.is_empty(), || {
        format!("a refused create left {} claims listed", listed.len())
    })?;

    // As an update of a claim under review, which holds its open keys.
    let store = factory.make();
    create(&store, holding.clone())?;
    let under_review = Claim::from(w.association(rival, b, t, &workloads, Stage::UnderReview)?);
    create(&store, under_review.clone())?;
    let before = Snapshot::take(&store, &[&holding, &under_review])?;
    let error = refused(
        &store,
        &[Write::update(approved, Version::FIRST)],
        "an update refused on its third key",
    )?;
    is_key_held(&error, &associated(t, "intune")?, holder)?;
    before.unchanged(
        &Snapshot::take(&store, &[&holding, &under_review])?,
        "an update refused on its third key",
    )?;
    holds(&store, &associated(t, "teams")?, None)?;
    holds(&store, &associated(t, "exchange")?, None)?;
    stored_as(&store, &under_review, Version::FIRST)
}

pub(super) fn conflicting_write_fails_the_whole_commit<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let (x, y) = (claim_id(1)?, claim_id(2)?);
    let y_draft = w.association(y, a, t, &["teams"], Stage::Draft)?;
    let y_poe = Claim::from(w.association(y, a, t, &["teams"], Stage::DraftWithPoe)?);
    let y_submitted = w.association(y, a, t, &["teams"], Stage::Submitted)?;
    create(&store, y_draft)?;
    let v2 = update(&store, y_poe.clone(), Version::FIRST)?;

    // A create, then an update at a stale version: neither is written.
    let new = Claim::from(w.association(x, b, t, &["exchange"], Stage::Draft)?);
    let before = Snapshot::take(&store, &[&new, &y_poe])?;
    let error = refused(
        &store,
        &[
            Write::create(new.clone()),
            Write::update(y_submitted.clone(), Version::FIRST),
        ],
        "a commit whose second write is stale",
    )?;
    is_conflict(&error, y, Some(Version::FIRST), Some(v2))?;
    before.unchanged(
        &Snapshot::take(&store, &[&new, &y_poe])?,
        "a commit whose second write is stale",
    )?;

    // A good update, then a stale one: the good one is not written either.
    let z = claim_id(3)?;
    let z_draft = Claim::from(w.association(z, b, t, &["intune"], Stage::Draft)?);
    let z_poe = w.association(z, b, t, &["intune"], Stage::DraftWithPoe)?;
    create(&store, z_draft.clone())?;
    let before = Snapshot::take(&store, &[&z_draft, &y_poe])?;
    let error = refused(
        &store,
        &[
            Write::update(z_poe, Version::FIRST),
            Write::update(y_submitted, Version::FIRST),
        ],
        "a commit of a good update and a stale one",
    )?;
    is_conflict(&error, y, Some(Version::FIRST), Some(v2))?;
    before.unchanged(
        &Snapshot::take(&store, &[&z_draft, &y_poe])?,
        "a commit of a good update and a stale one",
    )?;

    // An arbitration against a holder read at a stale version: the winner is not approved.
    let store = factory.make();
    let (holder_id, rival_id) = (claim_id(4)?, claim_id(5)?);
    let holder = w.association(holder_id, a, t, &["teams"], Stage::Approved)?;
    let rival = Claim::from(w.association(rival_id, b, t, &["teams"], Stage::UnderReview)?);
    create(
        &store,
        w.association(holder_id, a, t, &["teams"], Stage::UnderReview)?,
    )?;
    let v_holder = update(&store, holder.clone(), Version::FIRST)?;
    create(&store, rival.clone())?;
    let reviewer = w.reviewer()?;
    let winner = rival
        .as_association()
        .context("the rival")?
        .transition(
            &AssociationCommand::Approve {
                arbitration: Arbitration::Supersedes(holder_id),
            },
            &reviewer,
            w.at(24)?,
            &w.catalog,
        )
        .context("approving by arbitration")?
        .claim;
    let superseded = w.step(
        &holder,
        &AssociationCommand::Supersede { by: rival_id },
        &reviewer,
        24,
    )?;
    let holder = Claim::from(holder);
    let before = Snapshot::take(&store, &[&holder, &rival])?;
    let error = refused(
        &store,
        &[
            Write::update(winner, Version::FIRST),
            Write::update(superseded, Version::FIRST),
        ],
        "an arbitration against a stale holder",
    )?;
    is_conflict(&error, holder_id, Some(Version::FIRST), Some(v_holder))?;
    before.unchanged(
        &Snapshot::take(&store, &[&holder, &rival])?,
        "an arbitration against a stale holder",
    )?;
    holds(&store, &associated(t, "teams")?, Some(holder_id))
}

pub(super) fn duplicate_write_is_refused<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let t = tenant(1)?;
    let (x, y) = (claim_id(1)?, claim_id(2)?);
    let x_draft = Claim::from(w.association(x, a, t, &["teams"], Stage::Draft)?);
    let x_poe = w.association(x, a, t, &["teams"], Stage::DraftWithPoe)?;
    let x_submitted = w.association(x, a, t, &["teams"], Stage::Submitted)?;
    create(&store, x_draft.clone())?;

    let before = Snapshot::take(&store, &[&x_draft])?;
    let error = refused(
        &store,
        &[
            Write::update(x_poe.clone(), Version::FIRST),
            Write::update(x_submitted, Version::FIRST),
        ],
        "two updates of one claim in one commit",
    )?;
    ensure(
        matches!(error, StoreError::DuplicateWrite { claim } if claim == x),
        || {
            format!(
                "expected DuplicateWrite {{ claim: {x} }}, found {}",
                describe_error(&error)
            )
        },
    )?;
    before.unchanged(&Snapshot::take(&store, &[&x_draft])?, "a duplicate write")?;

    // Two identical creates of a new claim: refused, nothing stored.
    let y_draft = Claim::from(w.association(y, a, tenant(2)?, &["teams"], Stage::Draft)?);
    let before = Snapshot::take(&store, &[&y_draft])?;
    let error = refused(
        &store,
        &[
            Write::create(y_draft.clone()),
            Write::create(y_draft.clone()),
        ],
        "two creates of one claim in one commit",
    )?;
    ensure(
        matches!(error, StoreError::DuplicateWrite { claim } if claim == y),
        || {
            format!(
                "expected DuplicateWrite {{ claim: {y} }}, found {}",
                describe_error(&error)
            )
        },
    )?;
    before.unchanged(&Snapshot::take(&store, &[&y_draft])?, "a duplicate create")?;
    // A create and an update of the same ID.
    let error = refused(
        &store,
        &[
            Write::update(x_poe, Version::FIRST),
            Write::create(x_draft.clone()),
        ],
        "an update and a create of one claim in one commit",
    )?;
    ensure(
        matches!(error, StoreError::DuplicateWrite { claim } if claim == x),
        || {
            format!(
                "expected DuplicateWrite {{ claim: {x} }}, found {}",
                describe_error(&error)
            )
        },
    )?;
    stored_as(&store, &x_draft, Version::FIRST)
}

pub(super) fn by_partner_lists_own_claims<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b, c) = (
        partner(PARTNER_A)?,
        partner(PARTNER_B)?,
        partner(PARTNER_C)?,
    );
    let t = tenant(1)?;
    let empty = store
        .by_partner(
            a,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_partner")?;
    ensure(empty.is_empty(), || {
        "an empty store lists claims".to_owned()
    })?;
    let (a1, a2, b1) = (claim_id(1)?, claim_id(2)?, claim_id(3)?);
    create(&store, w.association(a1, a, t, &["teams"], Stage::Draft)?)?;
    create(
        &store,
        w.activity(a2, a, CAP_ONE, &CustomerId::Tenant(tenant(2)?), 0)?,
    )?;
    create(&store, w.association(b1, b, t, &["teams"], Stage::Draft)?)?;
    let updated = w.association(a1, a, t, &["teams"], Stage::DraftWithPoe)?;
    let v2 = update(&store, updated.clone(), Version::FIRST)?;

    let listed = store
        .by_partner(
            a,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_partner")?;
    same("by_partner of A", &ids_of(&listed), &sorted(vec![a1, a2]))?;
    let first = listed
        .iter()
        .find(|s| s.claim.id() == a1)
        .context("claim a1 in by_partner")?;
    same("the version by_partner shows", &first.version, &v2)?;
    ensure(first.claim == Claim::from(updated), || {
        "by_partner shows an old state of the claim".to_owned()
    })?;
    same(
        "by_partner of B",
        &ids_of(
            &store
                .by_partner(
                    b,
                    crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
                )
                .context("by_partner")?,
        ),
        &vec![b1],
    )?;
    same(
        "by_partner of a partner without claims",
        &ids_of(
            &store
                .by_partner(
                    c,
                    crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
                )
                .context("by_partner")?,
        ),
        &vec![],
    )
}

pub(super) fn by_partner_engagement_filters<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let t = tenant(1)?;
    let customer = CustomerId::Tenant(t);
    let (a1, a2, a3, b1) = (claim_id(1)?, claim_id(2)?, claim_id(3)?, claim_id(4)?);
    create(&store, w.association(a1, a, t, &["teams"], Stage::Draft)?)?;
    create(&store, w.activity(a2, a, CAP_ONE, &customer, 0)?)?;
    create(
        &store,
        w.activity(a3, a, CAP_TWO, &tpid_customer(123_456)?, 0)?,
    )?;
    create(
        &store,
        w.activity(b1, b, CAP_ONE, &CustomerId::Tenant(tenant(2)?), 0)?,
    )?;
    let cases = [
        (a, MWS_ENGAGEMENT, vec![a1]),
        (a, CAP_ONE, vec![a2]),
        (a, CAP_TWO, vec![a3]),
        (b, CAP_ONE, vec![b1]),
        (b, MWS_ENGAGEMENT, vec![]),
    ];
    for (p, key, expected) in cases {
        let listed = store
            .by_partner_engagement(
                p,
                &engagement(key)?,
                crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
            )
            .context("by_partner_engagement")?;
        same(
            format_args!("by_partner_engagement({p}, {key})"),
            &ids_of(&listed),
            &sorted(expected),
        )?;
    }
    Ok(())
}

pub(super) fn by_customer_is_scoped<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (a, b, c) = (
        partner(PARTNER_A)?,
        partner(PARTNER_B)?,
        partner(PARTNER_C)?,
    );
    let (t, other) = (tenant(1)?, tenant(2)?);
    let customer = CustomerId::Tenant(t);
    let (a1, a2, b1, elsewhere) = (claim_id(1)?, claim_id(2)?, claim_id(3)?, claim_id(4)?);
    create(&store, w.association(a1, a, t, &["teams"], Stage::Draft)?)?;
    create(&store, w.activity(a2, a, CAP_ONE, &customer, 0)?)?;
    create(&store, w.association(b1, b, t, &["teams"], Stage::Draft)?)?;
    create(
        &store,
        w.association(elsewhere, a, other, &["teams"], Stage::Draft)?,
    )?;
    let v2 = update(
        &store,
        w.association(b1, b, t, &["teams"], Stage::DraftWithPoe)?,
        Version::FIRST,
    )?;

    let all = store
        .by_customer(
            Scope::Microsoft,
            &customer,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_customer")?;
    same(
        "by_customer as Microsoft",
        &ids_of(&all),
        &sorted(vec![a1, a2, b1]),
    )?;
    let b_claim = all
        .iter()
        .find(|s| s.claim.id() == b1)
        .context("claim b1 in by_customer")?;
    same("the version by_customer shows", &b_claim.version, &v2)?;
    same(
        "by_customer as partner A",
        &ids_of(
            &store
                .by_customer(
                    Scope::Partner(a),
                    &customer,
                    crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
                )
                .context("by_customer")?,
        ),
        &sorted(vec![a1, a2]),
    )?;
    same(
        "by_customer as partner B",
        &ids_of(
            &store
                .by_customer(
                    Scope::Partner(b),
                    &customer,
                    crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
                )
                .context("by_customer")?,
        ),
        &vec![b1],
    )?;
    same(
        "by_customer as a partner without claims",
        &ids_of(
            &store
                .by_customer(
                    Scope::Partner(c),
                    &customer,
                    crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
                )
                .context("by_customer")?,
        ),
        &vec![],
    )?;
    same(
        "by_customer of another customer",
        &ids_of(
            &store
                .by_customer(
                    Scope::Microsoft,
                    &CustomerId::Tenant(other),
                    crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
                )
                .context("by_customer")?,
        ),
        &vec![elsewhere],
    )
}

pub(super) fn by_customer_follows_an_edit<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let (before_t, after_t) = (tenant(1)?, tenant(2)?);
    let id = claim_id(1)?;
    let draft = w.association(id, a, before_t, &["teams"], Stage::Draft)?;
    create(&store, draft.clone())?;
    let edited = w.step(
        &draft,
        &AssociationCommand::EditDraft {
            form: w.form("Contoso rollout", after_t, &["teams"]),
        },
        &w.admin(a)?,
        1,
    )?;
    let v2 = update(&store, edited, Version::FIRST)?;

    let old = store
        .by_customer(
            Scope::Microsoft,
            &CustomerId::Tenant(before_t),
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_customer")?;
    same(
        "by_customer of the tenant the draft left",
        &ids_of(&old),
        &vec![],
    )?;
    let new = store
        .by_customer(
            Scope::Microsoft,
            &CustomerId::Tenant(after_t),
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("by_customer")?
        .items;
    same(
        "by_customer of the tenant the draft moved to",
        &ids_of(&new),
        &vec![id],
    )?;
    same(
        "the version by_customer shows",
        &new.first().map(|s| s.version),
        &Some(v2),
    )?;
    holds(&store, &open_association(a, before_t, "teams")?, None)?;
    holds(&store, &open_association(a, after_t, "teams")?, Some(id))
}

pub(super) fn due_lists_deadlines_earliest_first<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let customer = |n| -> Outcome<CustomerId> { Ok(CustomerId::Tenant(tenant(n)?)) };
    // Created out of order, so that insertion order is not deadline order.
    let late = w.activity(claim_id(1)?, a, CAP_ONE, &customer(1)?, 2)?;
    let early = w.activity(claim_id(2)?, a, CAP_ONE, &customer(2)?, 0)?;
    let middle = w.activity(claim_id(3)?, a, CAP_ONE, &customer(3)?, 1)?;
    let info = w.association(
        claim_id(4)?,
        a,
        tenant(4)?,
        &["teams"],
        Stage::InfoRequested,
    )?;
    let draft = w.association(claim_id(5)?, a, tenant(5)?, &["teams"], Stage::Draft)?;
    let mut claims: Vec<Claim> = vec![
        late.clone().into(),
        early.clone().into(),
        middle.clone().into(),
        info.into(),
        draft.into(),
    ];
    for claim in &claims {
        create(&store, claim.clone())?;
    }
    let none = store
        .due(
            w.at(0)?,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("due")?
        .items;
    same("due before any deadline", &none, &vec![])?;
    check_due(&store, &claims, "after creation")?;

    // One claim's deadline moves later (consent received), one goes (canceled).
    let old_deadline = middle
        .next_deadline()
        .context("the middle claim's deadline")?;
    let consented = w.consent(&middle, 3)?;
    update(&store, consented.clone(), Version::FIRST)?;
    let canceled = w.cancel(&early, 3)?;
    update(&store, canceled.clone(), Version::FIRST)?;
    ensure(canceled.next_deadline().is_none(), || {
        "fixture: a canceled claim has a deadline".to_owned()
    })?;
    let new_deadline = consented
        .next_deadline()
        .context("the consented claim's deadline")?;
    ensure(new_deadline > old_deadline, || {
        "fixture: consent did not move the deadline later".to_owned()
    })?;
    claims = claims
        .into_iter()
        .map(|c| {
            if c.id() == consented.id() {
                consented.clone().into()
            } else if c.id() == canceled.id() {
                canceled.clone().into()
            } else {
                c
            }
        })
        .collect();
    check_due(&store, &claims, "after a deadline moved and one went")?;
    let at_old = store
        .due(
            old_deadline,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("due")?
        .items;
    ensure(!at_old.contains(&consented.id()), || {
        format!(
            "claim {} is still due at its old deadline {old_deadline}",
            consented.id()
        )
    })?;
    let far = store
        .due(
            new_deadline,
            crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
        )
        .context("due")?
        .items;
    ensure(!far.contains(&canceled.id()), || {
        format!("canceled claim {} is still due", canceled.id())
    })?;
    ensure(far.contains(&consented.id()), || {
        format!(
            "claim {} is not due at its new deadline {new_deadline}",
            consented.id()
        )
    })
}

/// Checks `due` just before, at, and just after every deadline of `claims`, and far later.
fn check_due<S: Store>(store: &S, claims: &[Claim], when: &str) -> Outcome {
    let mut deadlines: Vec<_> = claims
        .iter()
        .filter_map(|c| c.next_deadline().map(|d| (d, c.id())))
        .collect();
    deadlines.sort();
    let second = chrono::TimeDelta::try_seconds(1).context("one second")?;
    let mut probes = Vec::new();
    for (deadline, _) in &deadlines {
        probes.push(deadline.checked_sub_signed(second).context("a probe")?);
        probes.push(*deadline);
        probes.push(deadline.checked_add_signed(second).context("a probe")?);
    }
    if let Some((last, _)) = deadlines.last() {
        let year = chrono::TimeDelta::try_days(365).context("a year")?;
        probes.push(last.checked_add_signed(year).context("a probe")?);
    }
    for now in probes {
        // In the order the claims were stored (the order of `claims`).
        let expected: Vec<_> = claims
            .iter()
            .filter(|c| c.next_deadline().is_some_and(|d| d <= now))
            .map(Claim::id)
            .collect();
        let actual = store
            .due(
                now,
                crate::store::PageRequest::first(crate::store::PageRequest::MAX_LIMIT),
            )
            .context("due")?
            .items;
        same(format_args!("due({now}) {when}"), &actual, &expected)?;
    }
    Ok(())
}
