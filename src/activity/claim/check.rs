//! The invariants of an activity claim: the one validator every claim passes, however it came
//! to exist (creation, a transition, JSON, the binary form, an import, a store's load).
//!
//! [`structure`] needs nothing but the claim; [`against`] adds what the catalog of the
//! claim's program year decides.

use chrono::{DateTime, Utc};

use super::{ActivityHistoryEntry, Data, EvidenceRules, deadline_for};
use crate::activity::EvidenceKind;
use crate::activity::state::{
    ActivityCommandKind as C, ActivityState as S, activity_issuer_of, activity_transition,
};
use crate::actor::ActorKind;
use crate::catalog::{Catalog, Engagement};
use crate::claim::invalid::{Broken, Checked, Invariant as I, ensure};
use crate::id::CustomerId;
use crate::request::requests;

/// Every invariant that needs no catalog, in the order the errors report them.
pub(super) fn structure(d: &Data) -> Checked {
    walk(d)?;
    fields(d)?;
    evidence(d, EvidenceRules::BASE)
}

/// The history is a walk of the transition table from the creation, in time order, by users
/// of the claim's own partner location.
fn walk(d: &Data) -> Checked {
    let Some(first) = d.history.first() else {
        return Err(Broken::new(I::History, "the history is empty"));
    };
    ensure(
        first.command == C::Create && first.from.is_none() && first.to == S::CustomerClaimed,
        I::History,
        || "the history does not start with the creation".into(),
    )?;
    ensure(
        activity_issuer_of(C::Create).admits(first.actor.kind()),
        I::History,
        || format!("the creation was made by a {}", first.actor.kind()),
    )?;
    ensure(first.at == d.created_at, I::Times, || {
        "the creation time is not the first entry's".into()
    })?;
    requests(
        first.request.as_ref(),
        d.history.iter().map(|e| e.request.as_ref()),
    )?;
    let mut at = first.at;
    let mut current = first.to;
    let mut disputed = false;
    for (n, entry) in d.history.iter().enumerate() {
        let kind = entry.actor.kind();
        let partner_or_customer = matches!(
            kind,
            ActorKind::IncentivesAdmin
                | ActorKind::IncentivesUser
                | ActorKind::OtherPartnerUser
                | ActorKind::Customer
        );
        if partner_or_customer {
            ensure(
                entry
                    .actor
                    .may_see(d.partner, &d.customer, d.resolved_tenant),
                I::Partner,
                || {
                    format!(
                        "a {kind} acted on a claim of partner location {} about {} it may not \
                         act for ({})",
                        d.partner, d.customer, entry.command
                    )
                },
            )?;
        }
        if n == 0 {
            continue;
        }
        ensure(entry.at >= at, I::Times, || {
            format!("history entry {n} is earlier than the one before")
        })?;
        let allowed = activity_transition(current, entry.command, disputed).is_some_and(|t| {
            entry.from == Some(current)
                && t.to == entry.to
                && t.issuer.admits(entry.actor.kind())
                && entry.command != C::Create
        });
        ensure(allowed, I::History, || {
            format!(
                "history entry {n} ({} by a {} from {}) is not an allowed transition",
                entry.command,
                entry.actor.kind(),
                entry.from.map_or("nothing", |s| s.as_str())
            )
        })?;
        disputed |= entry.command == C::Dispute;
        at = entry.at;
        current = entry.to;
    }
    ensure(current == d.state, I::History, || {
        format!("the history ends in {current} but the state is {}", d.state)
    })
}

fn last_of(d: &Data, command: C) -> Option<&ActivityHistoryEntry> {
    d.history.iter().rev().find(|e| e.command == command)
}

fn at_of(entry: Option<&ActivityHistoryEntry>) -> Option<DateTime<Utc>> {
    entry.map(|e| e.at)
}

/// The fields each state implies agree with the history.
fn fields(d: &Data) -> Checked {
    // Which tenant a domain resolved to is a fact from outside, trusted as given; a tenant
    // resolves to itself, and other kinds of ID to none.
    let resolved_ok = match (&d.customer, d.resolved_tenant) {
        (_, None) | (CustomerId::Domain(_), Some(_)) => true,
        (CustomerId::Tenant(tenant), Some(resolved)) => *tenant == resolved,
        _ => false,
    };
    ensure(resolved_ok, I::Fields, || {
        format!(
            "a customer nominated by {} resolves to another tenant",
            d.customer.kind()
        )
    })?;
    ensure(
        d.consented_at == at_of(last_of(d, C::AcceptConsent)),
        I::Fields,
        || "the consent time is not the consent's".into(),
    )?;
    let first_submit = d.history.iter().find(|e| e.command == C::Submit);
    ensure(
        d.first_submitted_at == at_of(first_submit),
        I::Fields,
        || "the first submission time is not the first submission's".into(),
    )?;
    ensure(
        d.rejected_at == at_of(last_of(d, C::Reject)),
        I::Fields,
        || "the rejection time is not the last rejection's".into(),
    )?;
    ensure(
        d.disputed_at == at_of(last_of(d, C::Dispute)),
        I::Fields,
        || "the dispute time is not the dispute's".into(),
    )?;
    let resubmitted = d
        .history
        .iter()
        .rev()
        .find(|e| e.command == C::Resubmit && e.from == Some(S::Disputed));
    ensure(
        d.dispute_resubmitted_at == at_of(resubmitted),
        I::Fields,
        || "the resubmission after the dispute is not the history's".into(),
    )?;
    ensure(
        d.estimated_deal_size.is_some() == last_of(d, C::SendConsent).is_some(),
        I::Fields,
        || "the estimated deal size is not the consent request's".into(),
    )?;
    // A link may be withheld from a reader who is not a Referral admin, never invented.
    ensure(
        d.referral.is_none() || last_of(d, C::LinkReferral).is_some(),
        I::Fields,
        || "the linked referral is not the history's".into(),
    )?;
    let base = match d.state {
        S::CustomerClaimed | S::AwaitingConsent => Some(d.created_at),
        S::ConsentReceived => d.consented_at,
        S::PartnerActionRequired => d.dispute_resubmitted_at.or(d.consented_at),
        S::Rejected | S::Disputed => d.rejected_at,
        _ => None,
    };
    ensure(
        match (base, d.deadline) {
            (Some(base), Some(deadline)) => deadline >= base,
            (None, None) => true,
            _ => false,
        },
        I::Fields,
        || format!("the deadline does not fit a {} claim", d.state),
    )
}

/// Every submission had the evidence `rules` require, added before it, and the evidence is
/// the history's, one item per entry.
fn evidence(d: &Data, rules: EvidenceRules) -> Checked {
    let added = d.history.iter().filter(|e| e.command == C::AddEvidence);
    let mut count = 0_usize;
    for (entry, item) in added.zip(&d.evidence) {
        count = count.saturating_add(1);
        ensure(
            entry.at == item.at && entry.note.as_ref() == Some(&item.reference),
            I::Fields,
            || "the evidence is not the history's".into(),
        )?;
    }
    let entries = d
        .history
        .iter()
        .filter(|e| e.command == C::AddEvidence)
        .count();
    ensure(
        count == entries && count == d.evidence.len(),
        I::Fields,
        || "the evidence is not the history's".into(),
    )?;
    for entry in d
        .history
        .iter()
        .filter(|e| matches!(e.command, C::Submit | C::Resubmit))
    {
        for kind in EvidenceKind::ALL.into_iter().filter(|k| rules.requires(*k)) {
            let had = d
                .evidence
                .iter()
                .any(|e| e.kind == kind && e.at <= entry.at);
            ensure(had, I::Fields, || {
                format!("a submission lacked the required {kind} evidence")
            })?;
        }
    }
    Ok(())
}

/// Every invariant that needs the catalog of the claim's program year.
pub(super) fn against(d: &Data, catalog: &Catalog) -> Checked {
    ensure(catalog.program_year() == d.program_year, I::Catalog, || {
        format!(
            "the claim is of program year {} but the catalog is of {}",
            d.program_year,
            catalog.program_year()
        )
    })?;
    let mci = catalog
        .engagement(&d.engagement)
        .and_then(Engagement::as_mci)
        .ok_or_else(|| {
            Broken::new(
                I::Catalog,
                format!(
                    "engagement {} is not an mci engagement of the catalog",
                    d.engagement
                ),
            )
        })?;
    ensure(mci.allows(d.customer.kind()), I::Catalog, || {
        format!(
            "engagement {} does not take customers by {}",
            d.engagement,
            d.customer.kind()
        )
    })?;
    if let Some(variable) = d.variable {
        let payout = mci.proposed_payout(variable.hours);
        ensure(
            payout == Ok(Some(variable.proposed_payout)),
            I::Catalog,
            || "the proposed payout is not the engagement's for the hours".into(),
        )?;
    }
    ensure(
        !d.referral_requested || mci.referral_enabled,
        I::Catalog,
        || format!("engagement {} has no referrals", d.engagement),
    )?;
    evidence(d, EvidenceRules::of(mci))?;
    let rules = catalog.mci_deadlines(&d.engagement).ok_or_else(|| {
        Broken::new(
            I::Catalog,
            "the engagement's type has no deadlines".to_owned(),
        )
    })?;
    ensure(d.deadline == deadline_for(d, rules), I::Derived, || {
        "the next deadline is not the catalog's".into()
    })
}
