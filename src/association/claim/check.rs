//! The invariants of an association claim: the one validator every claim passes, however it
//! came to exist (creation, a transition, JSON, the binary form, an import, a store's load).
//!
//! [`structure`] needs nothing but the claim; [`against`] adds what the catalog of the
//! claim's program year decides.

use std::collections::HashSet;

use chrono::{DateTime, Days, Utc};

use super::{Data, Ending, HistoryEntry, Rejection};
use crate::actor::Actor;
use crate::association::command::{EndReason, RejectionReason};
use crate::association::form::{Field, FieldSet, IncentivePayments, Target};
use crate::association::state::{self, AssociationState as S, CommandKind as C};
use crate::catalog::{AssociationUnit, Catalog, Engagement, WorkloadId};
use crate::claim::invalid::{Broken, Checked, Invariant as I, ensure, excerpt};
use crate::id::{CustomerId, PartnerId};
use crate::request::requests;

/// Every invariant that needs no catalog, in the order the errors report them.
pub(super) fn structure(d: &Data) -> Checked {
    walk(d)?;
    partner(d)?;
    fields(d)?;
    repeated(d)
}

/// The history is a walk of the transition table from the creation, in time order.
fn walk(d: &Data) -> Checked {
    let Some((first, rest)) = d.history.split_first() else {
        return Err(Broken::new(I::History, "the history is empty"));
    };
    ensure(
        first.command == C::Create && first.from.is_none() && first.to == S::Draft,
        I::History,
        || "the history does not start with the creation of a draft".into(),
    )?;
    ensure(
        state::issuer_of(C::Create).admits(first.actor.kind())
            && first.actor.partner_id().is_some(),
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
    for (n, entry) in rest.iter().enumerate() {
        let step = n.saturating_add(1);
        ensure(entry.at >= at, I::Times, || {
            format!("history entry {step} is earlier than the one before")
        })?;
        let allowed = state::transition(current, entry.command).is_some_and(|t| {
            entry.from == Some(current)
                && t.to == entry.to
                && t.issuer.admits(entry.actor.kind())
                && entry.command != C::Create
        });
        ensure(allowed, I::History, || {
            format!(
                "history entry {step} ({} by a {} from {}) is not an allowed transition",
                entry.command,
                entry.actor.kind(),
                entry.from.map_or("nothing", |s| s.as_str())
            )
        })?;
        let may_change = match entry.command {
            C::EditDraft => !entry.changed.contains(Field::Partner),
            C::AttachPoe => entry.changed == FieldSet::EMPTY.with(Field::Poe),
            C::Resubmit => true,
            _ => entry.changed.is_empty(),
        };
        ensure(may_change, I::History, || {
            format!(
                "history entry {step} ({}) changed fields it cannot",
                entry.command
            )
        })?;
        at = entry.at;
        current = entry.to;
    }
    ensure(current == d.state, I::History, || {
        format!("the history ends in {current} but the state is {}", d.state)
    })
}

/// Every partner user acted for the location that owned the claim then, and every customer
/// spoke for the claim's tenant. Walking back from the end, the owner is the claim's partner
/// until a resubmit that moved the claim (whose user may act for both locations); before it,
/// the owner is a location every partner user since the move (going back) may act for,
/// ending with the location the creator acted at.
fn partner(d: &Data) -> Checked {
    let mut owner = Owner::Known(d.content.partner);
    let tenant = CustomerId::Tenant(d.content.tenant);
    for entry in d.history.iter().rev() {
        if let Some(speaks) = entry.actor.customer_id() {
            ensure(*speaks == tenant, I::Partner, || {
                format!(
                    "customer {} answered for a claim about {tenant} ({})",
                    speaks, entry.command
                )
            })?;
        }
        if entry.actor.partner_id().is_none() {
            continue;
        }
        owner = owner.acted(entry)?;
        if entry.command == C::Resubmit && entry.changed.contains(Field::Partner) {
            owner = Owner::Unknown(None).acted(entry)?;
        }
        if entry.command == C::Create {
            owner = owner.created(entry)?;
        }
    }
    Ok(())
}

/// What the walk back through the history knows of the location that owned the claim.
enum Owner {
    /// This location.
    Known(PartnerId),
    /// One of these locations (any, before the first partner user is met).
    Unknown(Option<Vec<PartnerId>>),
}

impl Owner {
    /// The owner, given that `entry`'s partner user acted for it.
    fn acted(self, entry: &HistoryEntry) -> Result<Self, Broken> {
        let actor = &entry.actor;
        let refused = |owner: String| {
            Broken::new(
                I::Partner,
                format!(
                    "a user of partner location {} acted on a claim of {owner} ({})",
                    actor
                        .partner_id()
                        .map_or_else(String::new, |p| p.to_string()),
                    entry.command
                ),
            )
        };
        match self {
            Self::Known(owner) if actor.acts_for(owner) => Ok(Self::Known(owner)),
            Self::Known(owner) => Err(refused(format!("location {owner}"))),
            Self::Unknown(None) => Ok(Self::Unknown(Some(entitled(actor)))),
            Self::Unknown(Some(mut candidates)) => {
                candidates.retain(|p| actor.acts_for(*p));
                if candidates.is_empty() {
                    Err(refused("another location".into()))
                } else {
                    Ok(Self::Unknown(Some(candidates)))
                }
            }
        }
    }

    /// The owner at the creation: the location its user acted at.
    fn created(self, entry: &HistoryEntry) -> Result<Self, Broken> {
        let Some(at) = entry.actor.partner_id() else {
            return Ok(self);
        };
        let ok = match &self {
            Self::Known(owner) => *owner == at,
            Self::Unknown(None) => true,
            Self::Unknown(Some(candidates)) => candidates.contains(&at),
        };
        if ok {
            Ok(Self::Known(at))
        } else {
            Err(Broken::new(
                I::Partner,
                format!("the claim was created at partner location {at}, not its owner's"),
            ))
        }
    }
}

/// The locations a partner user may act for.
fn entitled(actor: &Actor) -> Vec<PartnerId> {
    match actor {
        Actor::Partner { partner, also, .. } => {
            std::iter::once(*partner).chain(also.iter()).collect()
        }
        _ => Vec::new(),
    }
}

/// The history's last entry of one of `commands`.
fn last_of<'a>(d: &'a Data, commands: &[C]) -> Option<&'a HistoryEntry> {
    d.history
        .iter()
        .rev()
        .find(|e| commands.contains(&e.command))
}

/// The fields each state implies agree with the history.
fn fields(d: &Data) -> Checked {
    let review = d.review();
    let first_submit = d.history.iter().find(|e| e.command == C::Submit);
    ensure(
        d.notified_at == first_submit.map(|e| e.at),
        I::Fields,
        || "the notification time is not the first submission's".into(),
    )?;
    ensure(
        match (d.notified_at, d.opt_out_until) {
            (Some(at), Some(until)) => until > at,
            (None, None) => true,
            _ => false,
        },
        I::Fields,
        || "the opt-out window does not follow the notification".into(),
    )?;
    let approval = last_of(d, &[C::Approve, C::ApproveDispute]);
    ensure(d.approved_at == approval.map(|e| e.at), I::Fields, || {
        "the approval time is not the last approval's".into()
    })?;
    rejection(d, review.rejection)?;
    let disputes = d.history.iter().filter(|e| e.command == C::Dispute).count();
    ensure(disputes <= 1, I::History, || {
        "the claim was disputed twice".into()
    })?;
    let dispute = last_of(d, &[C::Dispute]);
    ensure(
        review.disputed_at == dispute.map(|e| e.at),
        I::Fields,
        || "the dispute time is not the dispute's".into(),
    )?;
    let end = d.history.iter().rev().find(|e| {
        e.from == Some(S::Approved)
            && matches!(e.command, C::Decline | C::Disassociate | C::Supersede)
    });
    let expected_end = end.map(|e| Ending {
        at: e.at,
        reason: match e.command {
            C::Decline => EndReason::CustomerDeclined,
            C::Disassociate => EndReason::Disassociated,
            _ => EndReason::Superseded,
        },
    });
    ensure(review.ending == expected_end, I::Fields, || {
        "the end of the association is not the history's".into()
    })?;
    let mut pending = None;
    for entry in &d.history {
        match entry.command {
            C::RequestInfo => pending = Some(entry.at),
            C::Resubmit | C::Expire => pending = None,
            _ => {}
        }
    }
    ensure(
        match (pending, review.info_request) {
            (Some(asked), Some((_, due))) => due > asked,
            (None, None) => true,
            _ => false,
        },
        I::Fields,
        || "the info request is not the history's".into(),
    )?;
    ensure(
        review.supersedes.is_none() || approval.is_some(),
        I::Fields,
        || "a claim that was never approved superseded another".into(),
    )?;
    ensure(
        review.superseded_by.is_some() == last_of(d, &[C::Supersede]).is_some(),
        I::Fields,
        || "the superseding claim is not the history's".into(),
    )?;
    ensure(
        review.supersedes != Some(d.id) && review.superseded_by != Some(d.id),
        I::Fields,
        || "the claim supersedes itself".into(),
    )?;
    let attached = d
        .history
        .iter()
        .filter(|e| e.command == C::AttachPoe)
        .count();
    ensure(d.poe.len() >= attached, I::Fields, || {
        "the history attached more documents than the claim has".into()
    })?;
    ensure(
        first_submit.is_none() || !d.poe.is_empty(),
        I::Fields,
        || "a submitted claim has no proof of execution".into(),
    )
}

/// The last rejection is the one the history's last rejecting entry made.
fn rejection(d: &Data, rejection: Option<Rejection>) -> Checked {
    let last = last_of(d, &[C::Reject, C::Expire, C::Decline, C::Supersede]);
    let ok = match (last, rejection) {
        (None, None) => true,
        (Some(entry), Some(r)) => {
            let reason_ok = match entry.command {
                C::Reject => matches!(
                    r.reason,
                    RejectionReason::InsufficientPoe | RejectionReason::PartnerRequest
                ),
                C::Expire => r.reason == RejectionReason::NoResponse,
                C::Decline => r.reason == RejectionReason::CustomerDeclined,
                _ => r.reason == RejectionReason::SupersededByArbitration,
            };
            // An expiry dates from the info request's deadline, at or before the sweep.
            let at_ok = if entry.command == C::Expire {
                r.at <= entry.at
            } else {
                r.at == entry.at
            };
            let window_ok = match r.dispute_until {
                Some(until) => r.reason.is_disputable() && until >= r.at,
                None => !r.reason.is_disputable(),
            };
            reason_ok && at_ok && window_ok
        }
        _ => false,
    };
    ensure(ok, I::Fields, || {
        "the rejection is not the history's".into()
    })
}

/// Up to this many workloads, a scan finds a repeat faster than a set.
const SMALL: usize = 16;

/// No workload or product is named twice.
fn repeated(d: &Data) -> Checked {
    let workloads = d.content.target.workloads();
    ensure(!workloads.is_empty(), I::Fields, || {
        "the claim has no workloads".into()
    })?;
    // Linear in the number of workloads, whatever it is: a set once there are more than a
    // handful, a scan of the few before each otherwise.
    let mut seen: HashSet<&WorkloadId> = HashSet::new();
    for (n, workload) in workloads.iter().enumerate() {
        let again = if workloads.len() > SMALL {
            !seen.insert(workload)
        } else {
            workloads
                .get(..n)
                .is_some_and(|before| before.contains(workload))
        };
        ensure(!again, I::Repeated, || {
            format!("workload '{}' is repeated", excerpt(workload.as_str()))
        })?;
    }
    Ok(())
}

/// Every invariant that needs the catalog of the claim's program year: the content passes
/// the form validator of that catalog unchanged, and each stored window is the one the
/// catalog's calendar and rules give.
pub(super) fn against(d: &Data, catalog: &Catalog) -> Checked {
    ensure(catalog.program_year() == d.program_year, I::Catalog, || {
        format!(
            "the claim is of program year {} but the catalog is of {}",
            d.program_year,
            catalog.program_year()
        )
    })?;
    content(d, catalog)?;
    let rules = catalog.cpor_rules();
    let calendar = catalog.calendar();
    if let (Some(at), Some(until)) = (d.notified_at, d.opt_out_until) {
        let expected = calendar.add_business_days_at(at, rules.opt_out_business_days);
        ensure(expected == Some(until), I::Derived, || {
            "the opt-out window is not the catalog's".into()
        })?;
    }
    let review = d.review();
    if let Some((_, due)) = review.info_request {
        let asked = last_of(d, &[C::RequestInfo]).map(|e| e.at);
        let expected = asked
            .and_then(|at| calendar.add_business_days_at(at, rules.info_request_business_days));
        ensure(expected == Some(due), I::Derived, || {
            "the info-request deadline is not the catalog's".into()
        })?;
    }
    if let Some(r) = review.rejection
        && let Some(until) = r.dispute_until
    {
        let expected = after_days(r.at, rules.dispute_days);
        ensure(expected == Some(until), I::Derived, || {
            "the dispute window is not the catalog's".into()
        })?;
    }
    Ok(())
}

fn after_days(at: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    at.checked_add_days(Days::new(u64::from(days)))
}

/// The content follows the catalog exactly as the form check would have made it: a known
/// solution area; a role of that area; the engagement that role maps to, a CPOR engagement;
/// a target of the engagement's unit; known workloads of the area; revenue details exactly
/// where the engagement requires them; an opt-out only where it is allowed. Everything else
/// in the content is typed, and so already valid.
fn content(d: &Data, catalog: &Catalog) -> Checked {
    let c = &d.content;
    ensure(
        catalog.solution_area(&c.solution_area).is_some(),
        I::Catalog,
        || {
            format!(
                "solution area '{}' is not in the catalog",
                excerpt(c.solution_area.as_str())
            )
        },
    )?;
    let role = catalog.role(&c.role).ok_or_else(|| {
        Broken::new(
            I::Catalog,
            format!("role '{}' is not in the catalog", excerpt(c.role.as_str())),
        )
    })?;
    ensure(role.solution_area == c.solution_area, I::Catalog, || {
        format!(
            "role '{}' is not of solution area '{}'",
            excerpt(c.role.as_str()),
            excerpt(c.solution_area.as_str())
        )
    })?;
    let engagement = catalog
        .engagement(&role.engagement)
        .filter(|e| e.id == c.engagement);
    let rules = engagement.and_then(Engagement::as_cpor).ok_or_else(|| {
        Broken::new(
            I::Catalog,
            format!(
                "engagement '{}' is not the cpor engagement of role '{}'",
                excerpt(c.engagement.as_str()),
                excerpt(c.role.as_str())
            ),
        )
    })?;
    let unit_ok = matches!(
        (rules.unit, &c.target),
        (AssociationUnit::Workload, Target::Workloads { .. })
            | (AssociationUnit::Subscription, Target::Subscription { .. })
    );
    ensure(unit_ok, I::Catalog, || {
        format!(
            "the target is not what engagement '{}' associates",
            c.engagement
        )
    })?;
    ensure(
        c.purchase_channel.is_some() == (rules.unit == AssociationUnit::Subscription),
        I::Catalog,
        || {
            format!(
                "the purchase channel does not fit engagement '{}'",
                c.engagement
            )
        },
    )?;
    for workload in c.target.workloads() {
        let known = catalog
            .workload(workload)
            .is_some_and(|w| w.solution_area == c.solution_area);
        ensure(known, I::Catalog, || {
            format!(
                "workload '{}' is not in solution area '{}' of the catalog",
                excerpt(workload.as_str()),
                excerpt(c.solution_area.as_str())
            )
        })?;
    }
    ensure(
        c.revenue.is_some() == rules.requires_revenue_details(),
        I::Catalog,
        || {
            format!(
                "the revenue details do not fit engagement '{}'",
                c.engagement
            )
        },
    )?;
    ensure(
        c.incentive_payments == IncentivePayments::Wanted || rules.opt_out_allowed(),
        I::Catalog,
        || format!("engagement '{}' allows no opt-out", c.engagement),
    )
}
