//! The Customers page of one MCI engagement for one partner location (see the
//! [guide](crate::guide::activity#the-customers-page)).
//!
//! [`customers_page`] is a pure function over the engagement, the partner's own claims, the
//! customers the application proposes, and the [`Facts`]. It sorts every customer into the
//! three tabs of Partner Center:
//!
//! - **Eligible**: customers with a claim in progress on this engagement, with the actions the
//!   viewer may take on them now; customers known from the partner's other active or
//!   completed engagements that are eligible, with the *claim* action; proposed customers that
//!   are eligible, with the *add* action.
//! - **Not eligible**: known or proposed customers that fail a check, with the reasons, except
//!   for engagements nominated only by MSX opportunity ID, whose reasons are hidden.
//! - **Complete**: claims in a terminal state with no pending action: completed, expired,
//!   canceled or rejected final.
//!
//! A customer whose claim on this engagement ended in a declined or expired consent leaves the
//! page: it appears in no tab, even if known from another engagement or proposed again.
//!
//! Eligibility on the page is judged for an Incentives admin of the partner location, whoever
//! views it; the viewer's own roles decide only which actions a row offers.

use std::fmt;

use crate::activity::{ActivityClaim, ActivityError, ActivityState};
use crate::actor::{Actor, ActorKind, PartnerUserRole, UserId, UserRoles};
use crate::catalog::{Catalog, EngagementId};
use crate::eligibility::{
    Action, Decision, EligibilityRequest, Facts, OpenClaim, Prepared, Reason, ReasonVisibility,
    Relationship,
};
use crate::fast_hash::Map;
use crate::id::{ClaimId, CustomerId, PartnerId};

/// An action a row of the Eligible tab offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowAction {
    /// Add the customer (a customer new to the partner).
    Add,
    /// Claim the customer (known from another engagement).
    Claim,
    /// Send the consent email.
    SendConsent,
    /// Resend the consent email.
    ResendConsent,
    /// Add evidence.
    AddEvidence,
    /// Submit the claim: every required piece of evidence is there.
    Submit,
    /// Answer an info request or a dispute, and submit again.
    Resubmit,
    /// Dispute the rejection.
    Dispute,
    /// Cancel the claim.
    Cancel,
}

impl RowAction {
    const ALL: [Self; 9] = [
        Self::Add,
        Self::Claim,
        Self::SendConsent,
        Self::ResendConsent,
        Self::AddEvidence,
        Self::Submit,
        Self::Resubmit,
        Self::Dispute,
        Self::Cancel,
    ];

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The actions of a row: a small set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RowActions(u16);

impl RowActions {
    /// Whether the set holds `action`.
    #[must_use]
    pub const fn contains(self, action: RowAction) -> bool {
        self.0 & action.bit() != 0
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = RowAction> {
        RowAction::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }

    const fn with(self, action: RowAction) -> Self {
        Self(self.0 | action.bit())
    }

    const fn with_if(self, action: RowAction, condition: bool) -> Self {
        if condition { self.with(action) } else { self }
    }
}

/// A list of the actions, in their fixed order, such as `["send_consent", "cancel"]`.
impl serde::Serialize for RowActions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl fmt::Debug for RowActions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A row of the Eligible tab.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EligibleRow {
    /// The customer.
    pub customer: CustomerId,
    /// The claim in progress, if any, and its state.
    pub claim: Option<(ClaimId, ActivityState)>,
    /// What the viewer may do now.
    pub actions: RowActions,
}

/// A row of the Not eligible tab.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotEligibleRow {
    /// The customer.
    pub customer: CustomerId,
    /// The reasons, or `None` for an engagement nominated only by MSX opportunity ID.
    pub reasons: Option<Vec<Reason>>,
}

/// A row of the Complete tab.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CompleteRow {
    /// The customer.
    pub customer: CustomerId,
    /// The claim.
    pub claim: ClaimId,
    /// Its terminal state.
    pub state: ActivityState,
}

/// The Customers page of one engagement for one partner location.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CustomersPage {
    /// Customers that can be added or claimed now, and claims in progress.
    pub eligible: Vec<EligibleRow>,
    /// Customers that cannot, with the reasons where they may be shown.
    pub not_eligible: Vec<NotEligibleRow>,
    /// Claims in a terminal state with no pending action.
    pub complete: Vec<CompleteRow>,
}

/// Builds the Customers page of `engagement` for `partner`, as `viewer` sees it.
///
/// `partner_claims` are the partner location's claims, of every engagement (claims of other
/// partners are ignored); `proposed` are customers the application offers for "add customer",
/// such as search results. Rows follow the order of `partner_claims`, then `proposed`.
///
/// # Errors
///
/// [`ActivityError::UnknownEngagement`] if the catalog has no such MCI engagement, and
/// [`ActivityError::OtherPartner`] if the viewer is a user of another partner location.
#[allow(clippy::too_many_arguments)]
pub fn customers_page(
    catalog: &Catalog,
    facts: &dyn Facts,
    engagement: &EngagementId,
    partner: PartnerId,
    viewer: &Actor,
    partner_claims: &[ActivityClaim],
    proposed: &[CustomerId],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CustomersPage, ActivityError> {
    if catalog
        .engagement(engagement)
        .and_then(|e| e.as_mci())
        .is_none()
    {
        return Err(ActivityError::UnknownEngagement {
            engagement: engagement.clone(),
        });
    }
    if viewer.partner_id().is_some() && !viewer.acts_for(partner) {
        return Err(ActivityError::OtherPartner);
    }
    // Eligibility on the page is judged for an admin of the location, whoever looks at it.
    let admin = Actor::partner(
        partner,
        UserId::internal("customers-page"),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    );
    let viewer_kind = viewer.kind();
    let may_admin = viewer_kind == ActorKind::IncentivesAdmin;
    let may_run_steps = may_admin || viewer_kind == ActorKind::IncentivesUser;

    let mut page = CustomersPage {
        eligible: Vec::with_capacity(proposed.len()),
        ..CustomersPage::default()
    };
    // One entry per customer the page has met, so each customer is hashed about once.
    let mut seen: Map<&CustomerId, Seen> = Map::default();
    seen.reserve(partner_claims.len().saturating_add(proposed.len()));
    // Customers known from the partner's other active or completed engagements, in order.
    let mut known: Vec<&CustomerId> = Vec::new();

    for claim in partner_claims.iter().filter(|c| c.partner() == partner) {
        let customer = claim.customer();
        let state = claim.state();
        let entry = seen.entry(customer).or_default();
        if claim.engagement() == engagement {
            entry.on_this_engagement = true;
            match state {
                ActivityState::ConsentDeclined | ActivityState::ConsentExpired => {}
                s if s.is_terminal() => page.complete.push(CompleteRow {
                    customer: customer.clone(),
                    claim: claim.id(),
                    state: s,
                }),
                s => page.eligible.push(EligibleRow {
                    customer: customer.clone(),
                    claim: Some((claim.id(), s)),
                    actions: claim_actions(claim, catalog, now, may_admin, may_run_steps),
                }),
            }
        } else if (state.is_active() || state == ActivityState::Completed) && !entry.known {
            entry.known = true;
            known.push(customer);
        }
    }

    // The partner, actor and engagement checks are the same for every customer: do them once.
    let prepared = Prepared::new(catalog, facts, &admin, partner, engagement);
    let judge = |customer: &CustomerId, action: Action, page: &mut CustomersPage| {
        let relationship = match action {
            Action::Add => Relationship::New,
            Action::Claim => Relationship::Known,
        };
        // Judged customers have no claim on this engagement, so no open claim either.
        let request = EligibilityRequest::new(&admin, partner, engagement, customer, action)
            .with_open_claim(OpenClaim::Absent)
            .with_relationship(relationship);
        match prepared.decide(facts, &request) {
            Decision::Eligible { .. } => page.eligible.push(EligibleRow {
                customer: customer.clone(),
                claim: None,
                actions: RowActions::default().with_if(
                    match action {
                        Action::Add => RowAction::Add,
                        Action::Claim => RowAction::Claim,
                    },
                    may_admin,
                ),
            }),
            Decision::NotEligible {
                reasons,
                visibility,
            } => page.not_eligible.push(NotEligibleRow {
                customer: customer.clone(),
                reasons: match visibility {
                    ReasonVisibility::Shown => Some(reasons),
                    ReasonVisibility::Hidden => None,
                },
            }),
        }
    };
    // A customer with a claim on this engagement is shown by its claims alone.
    for customer in known {
        if !seen.get(customer).is_some_and(|s| s.on_this_engagement) {
            judge(customer, Action::Claim, &mut page);
        }
    }
    for customer in proposed {
        let entry = seen.entry(customer).or_default();
        if entry.on_this_engagement || entry.known || entry.proposed {
            continue;
        }
        entry.proposed = true;
        judge(customer, Action::Add, &mut page);
    }
    Ok(page)
}

/// What the page knows of a customer while it is built.
#[derive(Default)]
struct Seen {
    /// The partner has a claim on this engagement for the customer.
    on_this_engagement: bool,
    /// Known from another active or completed engagement.
    known: bool,
    /// Already judged as a proposed customer.
    proposed: bool,
}

/// The actions a claim in progress offers its viewer now.
fn claim_actions(
    claim: &ActivityClaim,
    catalog: &Catalog,
    now: chrono::DateTime<chrono::Utc>,
    may_admin: bool,
    may_run_steps: bool,
) -> RowActions {
    if claim
        .next_deadline()
        .is_some_and(|deadline| now >= deadline)
    {
        return RowActions::default();
    }
    let none = RowActions::default();
    match claim.state() {
        ActivityState::CustomerClaimed => none
            .with_if(RowAction::SendConsent, may_run_steps)
            .with_if(RowAction::Cancel, may_admin),
        ActivityState::AwaitingConsent => none
            .with_if(RowAction::ResendConsent, may_run_steps)
            .with_if(RowAction::Cancel, may_admin),
        ActivityState::ConsentReceived => none
            .with_if(RowAction::AddEvidence, may_run_steps)
            .with_if(
                RowAction::Submit,
                may_admin && claim.missing_evidence(catalog).is_empty(),
            )
            .with_if(RowAction::Cancel, may_admin),
        ActivityState::PartnerActionRequired | ActivityState::Disputed => {
            none.with_if(RowAction::AddEvidence, may_run_steps).with_if(
                RowAction::Resubmit,
                may_admin && claim.missing_evidence(catalog).is_empty(),
            )
        }
        ActivityState::Rejected => none.with_if(RowAction::Dispute, may_admin),
        _ => none,
    }
}
