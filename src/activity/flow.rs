//! The two ways a claim is born: "add customer" and "claim customer".

use crate::request::{Request, RequestId};
use chrono::{DateTime, Utc};

use super::claim::{ActivityClaim, ActivityTransitioned, NewClaim, Origin, VariablePay};
use super::error::ActivityError;
use crate::actor::Actor;
use crate::association::{CompanyContact, CustomerContact};
use crate::catalog::{Catalog, EngagementId, MciEngagement};
use crate::eligibility::{
    self, Action, Decision, EligibilityRequest, Facts, OpenClaim, Relationship,
};
use crate::id::{ClaimId, CustomerId, PartnerId};
use crate::money::Usd;
use crate::text::Text;

/// What a partner enters in the add-customer or claim-customer flow (see
/// [nominating a customer](crate::guide::activity#nominating-a-customer)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Nomination {
    /// The claim name.
    pub name: Text,
    /// The partner location, enrolled in MCI.
    pub partner: PartnerId,
    /// The ID the customer is nominated by.
    pub customer: CustomerId,
    /// The customer contact; its email is what the tenant/email-domain check compares.
    pub customer_contact: CustomerContact,
    /// The own company contact.
    pub company_contact: CompanyContact,
    /// Why a nominated tenant does not match the customer's email domain, if it does not.
    pub mismatch_reason: Option<Text>,
    /// The engagements, each with the ID the caller chose for its claim. Fixed pay: one or
    /// more. Variable pay: exactly one.
    pub engagements: Vec<(EngagementId, ClaimId)>,
    /// The number of hours, for a variable-pay engagement only.
    pub hours: Option<u32>,
}

/// The payout proposed for `hours` of `engagement`, shown for review before a variable-pay
/// claim is created: `min(hours, max_hours) × hourly_rate`, capped. `None` for fixed pay.
///
/// # Errors
///
/// [`ActivityError::UnknownEngagement`] if the catalog has no such MCI engagement, and
/// [`ActivityError::Money`] if the amount overflows.
pub fn review_payout(
    catalog: &Catalog,
    engagement: &EngagementId,
    hours: u32,
) -> Result<Option<Usd>, ActivityError> {
    let mci = mci(catalog, engagement)?;
    Ok(mci.proposed_payout(hours)?)
}

fn mci<'c>(
    catalog: &'c Catalog,
    engagement: &EngagementId,
) -> Result<&'c MciEngagement, ActivityError> {
    catalog
        .engagement(engagement)
        .and_then(|e| e.as_mci())
        .ok_or_else(|| ActivityError::UnknownEngagement {
            engagement: engagement.clone(),
        })
}

/// "Add customer": creates one claim per chosen engagement for a customer new to the partner.
///
/// Every engagement is checked for [eligibility](crate::guide::rules#eligibility) first; claims are made
/// only if all are eligible, so the flow is all or nothing. `partner_claims` are the partner
/// location's own claims, from which the flow works out whether it already has an open claim
/// for an engagement and whether it knows the customer.
///
/// # Errors
///
/// - [`ActivityError::EngagementChoice`] for no engagement, or one twice;
/// - [`ActivityError::UnknownEngagement`] for an engagement that is not MCI;
/// - [`ActivityError::VariablePayShape`] unless a variable-pay engagement is chosen alone with
///   at least one hour, and [`ActivityError::HoursNotApplicable`] for hours on fixed pay;
/// - [`ActivityError::NotEligible`] with every reason of the first engagement that fails;
/// - [`ActivityError::Money`] if a payout overflows.
pub fn add_customer(
    nomination: &Nomination,
    actor: &Actor,
    now: DateTime<Utc>,
    catalog: &Catalog,
    facts: &dyn Facts,
    partner_claims: &[ActivityClaim],
) -> Result<Vec<ActivityTransitioned>, ActivityError> {
    nominate(
        nomination,
        Action::Add,
        None,
        actor,
        now,
        catalog,
        facts,
        partner_claims,
    )
}

/// "Claim customer": like [`add_customer`], for a customer the partner knows from its other
/// active or completed engagements.
///
/// # Errors
///
/// As [`add_customer`]; a customer the partner does not know is not eligible
/// (`action.use_add`).
pub fn claim_customer(
    nomination: &Nomination,
    actor: &Actor,
    now: DateTime<Utc>,
    catalog: &Catalog,
    facts: &dyn Facts,
    partner_claims: &[ActivityClaim],
) -> Result<Vec<ActivityTransitioned>, ActivityError> {
    nominate(
        nomination,
        Action::Claim,
        None,
        actor,
        now,
        catalog,
        facts,
        partner_claims,
    )
}

/// What the claims of a nomination record of their creation: a digest of the nomination, the
/// action, the actor and the program year, with the caller's request ID if any. A retried
/// nomination is the same nomination when this is the same.
#[must_use]
pub fn nomination_input(
    request: Option<RequestId>,
    nomination: &Nomination,
    action: Action,
    actor: &Actor,
    catalog: &Catalog,
) -> Request {
    Request::new(
        request,
        &(nomination, action, actor, catalog.program_year()),
    )
}

/// [`add_customer`] or [`claim_customer`], as `action` says, recording the caller's request
/// ID in each new claim's creation entry.
///
/// # Errors
///
/// As [`add_customer`] and [`claim_customer`].
#[allow(clippy::too_many_arguments)]
pub fn nominate(
    nomination: &Nomination,
    action: Action,
    request: Option<RequestId>,
    actor: &Actor,
    now: DateTime<Utc>,
    catalog: &Catalog,
    facts: &dyn Facts,
    partner_claims: &[ActivityClaim],
) -> Result<Vec<ActivityTransitioned>, ActivityError> {
    let input = nomination_input(request, nomination, action, actor, catalog);
    create(
        nomination,
        action,
        &input,
        actor,
        now,
        catalog,
        facts,
        partner_claims,
    )
}

/// Whether the partner's claims hold an open claim for `engagement` and `customer`, and
/// whether they make the customer known from another engagement.
#[must_use]
pub fn partner_view(
    partner_claims: &[ActivityClaim],
    partner: PartnerId,
    engagement: &EngagementId,
    customer: &CustomerId,
) -> (OpenClaim, Relationship) {
    let mut open = OpenClaim::Absent;
    let mut relationship = Relationship::New;
    for claim in partner_claims
        .iter()
        .filter(|c| c.partner() == partner && c.customer() == customer)
    {
        let state = claim.state();
        if claim.engagement() == engagement {
            if state.is_active() {
                open = OpenClaim::Present;
            }
        } else if state.is_active() || state == super::ActivityState::Completed {
            relationship = Relationship::Known;
        }
    }
    (open, relationship)
}

#[allow(clippy::too_many_arguments)]
fn create(
    nomination: &Nomination,
    action: Action,
    input: &Request,
    actor: &Actor,
    now: DateTime<Utc>,
    catalog: &Catalog,
    facts: &dyn Facts,
    partner_claims: &[ActivityClaim],
) -> Result<Vec<ActivityTransitioned>, ActivityError> {
    let chosen = &nomination.engagements;
    let unique = chosen.iter().enumerate().all(|(i, (e, id))| {
        chosen
            .iter()
            .skip(i.saturating_add(1))
            .all(|(f, jd)| e != f && id != jd)
    });
    if chosen.is_empty() || !unique {
        return Err(ActivityError::EngagementChoice);
    }
    let rules = chosen
        .iter()
        .map(|(engagement, _)| mci(catalog, engagement))
        .collect::<Result<Vec<_>, _>>()?;
    let variable = rules.iter().any(|r| r.is_variable_pay());
    match (variable, nomination.hours) {
        (true, Some(hours)) if hours > 0 && chosen.len() == 1 => {}
        (true, _) => return Err(ActivityError::VariablePayShape),
        (false, Some(_)) => return Err(ActivityError::HoursNotApplicable),
        (false, None) => {}
    }
    let mut created = Vec::with_capacity(chosen.len());
    for ((engagement, id), mci) in chosen.iter().zip(rules) {
        let (open_claim, relationship) = partner_view(
            partner_claims,
            nomination.partner,
            engagement,
            &nomination.customer,
        );
        let mut request = EligibilityRequest::new(
            actor,
            nomination.partner,
            engagement,
            &nomination.customer,
            action,
        )
        .with_customer_email(&nomination.customer_contact.email)
        .with_open_claim(open_claim)
        .with_relationship(relationship);
        if let Some(reason) = &nomination.mismatch_reason {
            request = request.with_mismatch_reason(reason);
        }
        let (resolved_tenant, mismatch_reason) = match eligibility::check(catalog, facts, &request)
        {
            Decision::NotEligible { reasons, .. } => {
                return Err(ActivityError::NotEligible {
                    engagement: engagement.clone(),
                    reasons,
                });
            }
            Decision::Eligible {
                resolved_tenant,
                mismatch_reason,
                ..
            } => (resolved_tenant, mismatch_reason),
        };
        let variable = match nomination.hours {
            Some(hours) => mci
                .proposed_payout(hours)?
                .map(|proposed_payout| VariablePay {
                    hours,
                    proposed_payout,
                }),
            None => None,
        };
        let deadlines = catalog.mci_deadlines(engagement).copied().ok_or_else(|| {
            ActivityError::UnknownEngagement {
                engagement: engagement.clone(),
            }
        })?;
        let new = NewClaim {
            id: *id,
            name: nomination.name.clone(),
            partner: nomination.partner,
            customer: nomination.customer.clone(),
            resolved_tenant,
            engagement: engagement.clone(),
            origin: match action {
                Action::Add => Origin::Added,
                Action::Claim => Origin::Claimed,
            },
            variable,
            deadlines,
            referral_enabled: mci.referral_enabled,
            customer_contact: nomination.customer_contact.clone(),
            company_contact: nomination.company_contact.clone(),
            mismatch_reason,
            request: input.clone(),
        };
        created.push(ActivityClaim::create(new, actor, now, catalog, facts));
    }
    Ok(created)
}
