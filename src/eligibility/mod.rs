//! Eligibility of an MCI customer nomination: a pure decision over facts the application
//! supplies (see the [guide](crate::guide::rules#eligibility)).
//!
//! Whether a customer is eligible for an engagement is decided by Microsoft's systems (usage
//! thresholds, bona fide checks, enrolment). The application fetches those answers and hands
//! them over through the [`Facts`] trait; [`check`] composes the rules over them, with no I/O,
//! and returns a [`Decision`]: eligible, or not eligible with **every** failing [`Reason`].
//!
//! # The checks, in order
//!
//! | Step | Check | Reason codes |
//! |---|---|---|
//! | 1 | The partner location is enrolled in MCI and eligible for the engagement. | `partner.not_enrolled`, `partner.not_eligible_for_engagement` |
//! | 2 | The user holds the Incentives admin role, and acts for the chosen partner location. | `actor.not_incentives_admin`, `actor.other_partner_location` |
//! | 3 | The engagement is a known MCI engagement and allows the customer ID's kind (variable pay: MSX opportunity IDs only). | `engagement.unknown`, `engagement.not_mci`, `customer_id.kind_not_allowed` |
//! | 4 | A domain resolves to a tenant; the **tenant** is then checked in step 6. | `domain.unresolved` |
//! | 5 | A tenant ID owns the customer's email domain, or a mismatch reason is given (and recorded). | `tenant.email_domain_mismatch_reason_required` |
//! | 6 | The checked ID is eligible: the nominated ID itself, or the tenant a domain resolved to. Eligibility never carries over between IDs. | `customer.not_eligible` |
//! | 7 | The customer is under the engagement's cap of active claims (all partners); the partner *adds* a new customer and *claims* a known one; it has no open claim for this engagement and customer. | `customer.cap_reached`, `action.use_claim`, `action.use_add`, `claim.duplicate_open` |
//!
//! Every check runs, and every failing one adds its reason, in the order of the table (the
//! order of [`Reason::CODES`]); a code appears at most once. A check is skipped only when its
//! input does not exist:
//!
//! - for an unknown or non-MCI engagement, steps 4 to 6 and the cap (there are no ID rules
//!   and no cap to apply);
//! - for an ID kind the engagement does not allow, steps 4 to 6 (the ID cannot be used for
//!   this engagement, so its eligibility is not asked);
//! - for a domain that does not resolve, the eligibility check of step 6 (there is no tenant).
//!
//! # Choices where the product documents are silent
//!
//! - **Roles.** Adding and claiming customers are admin actions: an Incentives
//!   user, a reviewer, the customer or the timer gets `actor.not_incentives_admin`. A partner
//!   user of another location also gets `actor.other_partner_location`.
//! - **Domain nominations** ask the facts about the resolved tenant, for eligibility and for
//!   the count of active claims, so that claims made by domain and by tenant ID count
//!   together. The domain itself is never asked about.
//! - **Email domains.** The customer's email domain (canonical, lowercase) must be one of the
//!   tenant's email domains exactly; a subdomain does not match, and a tenant with no known
//!   email domains matches nothing. Without a customer email the comparison cannot run: the
//!   decision says [`EmailDomainCheck::NotChecked`], because the add-customer flow asks for the
//!   ID before the email. Check again with the email before creating the claim. A mismatch
//!   reason given when the domains match, or for another kind of nomination, is ignored.
//! - **No data.** An ID the facts know nothing about ([`CustomerEligibility::Unknown`]) is not
//!   eligible, with the message "no eligibility data".
//! - **Hidden reasons.** An engagement "nominated only by MSX ID" is one whose allowed ID
//!   kinds are exactly {MSX opportunity}. For those, [`Decision::view`] gives the not-eligible
//!   verdict without reasons; an unknown engagement shows its reasons.
//!
//! # Example
//!
//! ```
//! use cpor::catalog::EngagementId;
//! use cpor::eligibility::{
//!     Action, Decision, EligibilityRequest, InMemoryFacts, Relationship, check,
//! };
//! use cpor::{Actor, Catalog, CustomerId, EmailAddress, PartnerId, PartnerUserRole, Text};
//! use cpor::{UserId, UserRoles};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let catalog = Catalog::builtin();
//! let partner = PartnerId::new(4_512_345)?;
//! let admin = Actor::partner(
//!     partner,
//!     UserId::parse("alex@fabrikam.com")?,
//!     UserRoles::of([PartnerUserRole::IncentivesAdmin]),
//! );
//! let workshop: EngagementId = "threat_protection_workshop".parse()?;
//! let tenant: CustomerId = "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47".parse()?;
//! let tpid: CustomerId = "tpid:123456".parse()?;
//! let email = EmailAddress::parse("megan@contoso.com")?;
//!
//! // The application supplies the facts; here, from memory.
//! let facts = InMemoryFacts::new()
//!     .enrolled(partner, workshop.clone())
//!     .eligible(tenant.clone(), workshop.clone())
//!     .with_active_claims(workshop.clone(), tpid.clone(), 1);
//!
//! // The tenant is eligible, but it does not own contoso.com: a reason is required...
//! let request = EligibilityRequest::new(&admin, partner, &workshop, &tenant, Action::Add)
//!     .with_customer_email(&email);
//! let decision = check(&catalog, &facts, &request);
//! let codes: Vec<_> = decision.reasons().iter().map(|r| r.code()).collect();
//! assert_eq!(codes, ["tenant.email_domain_mismatch_reason_required"]);
//!
//! // ...and with one, the nomination is eligible and the reason is recorded.
//! let why = Text::parse("contoso.com is the parent company's domain")?;
//! let decision = check(&catalog, &facts, &request.with_mismatch_reason(&why));
//! assert!(matches!(&decision, Decision::Eligible { mismatch_reason: Some(r), .. } if *r == why));
//!
//! // The same customer's TPID is checked on its own, and every failing reason is listed.
//! let request = EligibilityRequest::new(&admin, partner, &workshop, &tpid, Action::Claim)
//!     .with_relationship(Relationship::New);
//! let codes: Vec<_> = check(&catalog, &facts, &request)
//!     .reasons()
//!     .iter()
//!     .map(|r| r.code())
//!     .collect();
//! assert_eq!(codes, ["customer.not_eligible", "customer.cap_reached", "action.use_add"]);
//! # Ok(())
//! # }
//! ```

mod facts;
mod reason;

use std::borrow::Cow;

use crate::actor::{Actor, PartnerUserRole};
use crate::catalog::{Catalog, EngagementId, MciEngagement};
use crate::id::{CustomerId, CustomerIdKind, EmailAddress, PartnerId, TenantId};
use crate::text::Text;

pub use facts::{CustomerEligibility, Enrollment, Facts, InMemoryFacts};
pub use reason::{Reason, Step};

/// What the partner is doing with the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// *Add customer*: nominate a customer the partner does not know from another engagement.
    Add,
    /// *Claim customer*: start an engagement with a customer known from the partner's other
    /// active or completed engagements.
    Claim,
}

/// Whether the partner location already has an open claim for this engagement and customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OpenClaim {
    /// No open claim.
    #[default]
    Absent,
    /// An open (not terminal) claim exists.
    Present,
}

/// Whether the partner location knows the customer from its other active or completed
/// engagements, which decides between adding and claiming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Relationship {
    /// Not known: the partner *adds* the customer.
    #[default]
    New,
    /// Known from another engagement: the partner *claims* the customer.
    Known,
}

/// One eligibility question: may this actor, for this partner location, add or claim this
/// customer for this engagement?
///
/// Build it with [`EligibilityRequest::new`] and the `with_` methods; the fields are public
/// to read and to change.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EligibilityRequest<'a> {
    /// Who asks.
    pub actor: &'a Actor,
    /// The partner location chosen for the claim.
    pub partner: PartnerId,
    /// The MCI engagement.
    pub engagement: &'a EngagementId,
    /// The ID the customer is nominated by.
    pub customer: &'a CustomerId,
    /// The customer's email, for the email-domain check of a tenant nomination.
    pub customer_email: Option<&'a EmailAddress>,
    /// Why the tenant does not match the customer's email domain, if it does not.
    pub mismatch_reason: Option<&'a Text>,
    /// Add or claim.
    pub action: Action,
    /// Whether the partner has an open claim for this engagement and customer; the caller
    /// computes it from the partner's own claims.
    pub open_claim: OpenClaim,
    /// Whether the partner knows the customer from its other active or completed engagements;
    /// the caller computes it from the partner's own claims.
    pub relationship: Relationship,
}

impl<'a> EligibilityRequest<'a> {
    /// A request with no customer email, no mismatch reason, no open claim, and a customer the
    /// partner does not know ([`Relationship::New`]).
    #[must_use]
    pub const fn new(
        actor: &'a Actor,
        partner: PartnerId,
        engagement: &'a EngagementId,
        customer: &'a CustomerId,
        action: Action,
    ) -> Self {
        Self {
            actor,
            partner,
            engagement,
            customer,
            customer_email: None,
            mismatch_reason: None,
            action,
            open_claim: OpenClaim::Absent,
            relationship: Relationship::New,
        }
    }

    /// With the customer's email.
    #[must_use]
    pub const fn with_customer_email(mut self, email: &'a EmailAddress) -> Self {
        self.customer_email = Some(email);
        self
    }

    /// With a reason for a tenant/email-domain mismatch.
    #[must_use]
    pub const fn with_mismatch_reason(mut self, reason: &'a Text) -> Self {
        self.mismatch_reason = Some(reason);
        self
    }

    /// With the partner's open-claim status.
    #[must_use]
    pub const fn with_open_claim(mut self, open_claim: OpenClaim) -> Self {
        self.open_claim = open_claim;
        self
    }

    /// With the partner's relationship to the customer.
    #[must_use]
    pub const fn with_relationship(mut self, relationship: Relationship) -> Self {
        self.relationship = relationship;
        self
    }
}

/// How the email-domain check of step 5 went, for an eligible nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailDomainCheck {
    /// Not a tenant nomination: there is nothing to compare.
    NotApplicable,
    /// A tenant nomination without a customer email: check again once the email is known.
    NotChecked,
    /// The tenant owns the customer's email domain.
    Matches,
    /// The tenant does not own it, and the partner gave a reason (see
    /// [`Decision::mismatch_reason`]).
    MismatchExplained,
}

/// Whether the UI may show the reasons of a not-eligible decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonVisibility {
    /// The "Not eligible" tab lists the reasons.
    Shown,
    /// The engagement nominates only by MSX opportunity ID: the tab shows no detail.
    Hidden,
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every check passed.
    #[non_exhaustive]
    Eligible {
        /// The tenant the nomination stands for: the tenant a domain resolved to, or the
        /// nominated tenant ID; `None` for a TPID, Azure subscription or MSX nomination.
        resolved_tenant: Option<TenantId>,
        /// How the tenant/email-domain check went.
        email_domain: EmailDomainCheck,
        /// The mismatch reason that was accepted, to record on the claim; set exactly when
        /// `email_domain` is [`EmailDomainCheck::MismatchExplained`].
        mismatch_reason: Option<Text>,
    },
    /// At least one check failed.
    #[non_exhaustive]
    NotEligible {
        /// Every failing reason, in check order; never empty.
        reasons: Vec<Reason>,
        /// Whether the UI may show them (see [`Decision::view`]).
        visibility: ReasonVisibility,
    },
}

/// What the Customers page may show of a [`Decision`]: see [`Decision::view`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionView<'a> {
    /// The "Eligible" tab.
    Eligible,
    /// The "Not eligible" tab.
    NotEligible {
        /// The reasons, or `None` for an engagement nominated only by MSX opportunity ID.
        reasons: Option<&'a [Reason]>,
    },
}

impl Decision {
    /// Whether every check passed.
    #[must_use]
    pub const fn is_eligible(&self) -> bool {
        matches!(self, Self::Eligible { .. })
    }

    /// The failing reasons, in check order; empty when eligible.
    #[must_use]
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Self::Eligible { .. } => &[],
            Self::NotEligible { reasons, .. } => reasons,
        }
    }

    /// Whether a reason with this code failed.
    #[must_use]
    pub fn has(&self, code: &str) -> bool {
        self.reasons().iter().any(|reason| reason.code() == code)
    }

    /// The tenant of an eligible domain or tenant nomination.
    #[must_use]
    pub const fn resolved_tenant(&self) -> Option<TenantId> {
        match self {
            Self::Eligible {
                resolved_tenant, ..
            } => *resolved_tenant,
            Self::NotEligible { .. } => None,
        }
    }

    /// The accepted tenant/email-domain mismatch reason, to record on the claim.
    #[must_use]
    pub const fn mismatch_reason(&self) -> Option<&Text> {
        match self {
            Self::Eligible {
                mismatch_reason, ..
            } => mismatch_reason.as_ref(),
            Self::NotEligible { .. } => None,
        }
    }

    /// What the Customers page may show: the verdict, and the reasons unless the engagement
    /// nominates customers only by MSX opportunity ID. The decision itself keeps the reasons
    /// for the caller.
    #[must_use]
    pub fn view(&self) -> DecisionView<'_> {
        match self {
            Self::Eligible { .. } => DecisionView::Eligible,
            Self::NotEligible {
                reasons,
                visibility: ReasonVisibility::Shown,
            } => DecisionView::NotEligible {
                reasons: Some(reasons),
            },
            Self::NotEligible {
                visibility: ReasonVisibility::Hidden,
                ..
            } => DecisionView::NotEligible { reasons: None },
        }
    }
}

/// Decides whether the request's customer may be added or claimed, from the catalog's rules
/// and the application's facts.
///
/// Runs the seven checks of the [module documentation](self) in order and collects every
/// failing reason. Each fact is asked for at most once. The eligible path does not allocate
/// (beyond what the facts do); a not-eligible decision allocates its list of reasons.
#[must_use]
pub fn check<F: Facts + ?Sized>(
    catalog: &Catalog,
    facts: &F,
    request: &EligibilityRequest<'_>,
) -> Decision {
    Prepared::new(
        catalog,
        facts,
        request.actor,
        request.partner,
        request.engagement,
    )
    .decide(facts, request)
}

/// The checks that depend only on the partner location, the actor and the engagement (steps
/// 1 to 3 but the ID kind), done once for many customers, as the Customers page does.
pub(crate) struct Prepared<'c> {
    /// The failing reasons of those steps, in order.
    head: Vec<Reason>,
    mci: Option<&'c MciEngagement>,
    visibility: ReasonVisibility,
}

impl<'c> Prepared<'c> {
    pub(crate) fn new<F: Facts + ?Sized>(
        catalog: &'c Catalog,
        facts: &F,
        actor: &Actor,
        partner: PartnerId,
        engagement: &EngagementId,
    ) -> Self {
        let mut head = Vec::new();

        // 1. The partner location.
        match facts.partner_enrollment(partner, engagement) {
            Enrollment::Eligible => {}
            Enrollment::NotEligibleForEngagement => {
                head.push(Reason::PartnerNotEligibleForEngagement { partner });
            }
            Enrollment::NotEnrolled => head.push(Reason::PartnerNotEnrolled { partner }),
        }

        // 2. The actor.
        if !actor.has_role(PartnerUserRole::IncentivesAdmin) {
            head.push(Reason::ActorNotIncentivesAdmin);
        }
        if let Some(actor_partner) = actor.partner_id()
            && !actor.acts_for(partner)
        {
            head.push(Reason::ActorOtherPartnerLocation {
                actor_partner,
                partner,
            });
        }

        // 3. The engagement.
        let mut visibility = ReasonVisibility::Shown;
        let mci = match catalog.engagement(engagement) {
            None => {
                head.push(Reason::EngagementUnknown {
                    engagement: engagement.clone(),
                });
                None
            }
            Some(found) => match found.as_mci() {
                None => {
                    head.push(Reason::EngagementNotMci {
                        engagement: engagement.clone(),
                    });
                    None
                }
                Some(mci) => {
                    if nominates_by_msx_only(mci) {
                        visibility = ReasonVisibility::Hidden;
                    }
                    Some(mci)
                }
            },
        };
        Self {
            head,
            mci,
            visibility,
        }
    }

    /// The remaining checks for one request, whose actor, partner and engagement must be the
    /// ones this was prepared with.
    pub(crate) fn decide<F: Facts + ?Sized>(
        &self,
        facts: &F,
        request: &EligibilityRequest<'_>,
    ) -> Decision {
        let r = request;
        let mut reasons = self.head.clone();
        let mci = self.mci;
        let visibility = self.visibility;
        let kind = r.customer.kind();
        let id_allowed = match mci {
            Some(mci) if mci.allows(kind) => true,
            Some(_) => {
                reasons.push(Reason::CustomerIdKindNotAllowed { kind });
                false
            }
            None => false,
        };

        // 4-6. The ID: resolve a domain, compare a tenant with the email domain, check the ID.
        let mut resolved_tenant = None;
        let mut email_domain = EmailDomainCheck::NotApplicable;
        let mut mismatch_reason = None;
        let mut counted: Cow<'_, CustomerId> = Cow::Borrowed(r.customer);
        if id_allowed {
            let checked = match r.customer {
                CustomerId::Domain(domain) => match facts.resolve_domain(domain) {
                    Some(tenant) => {
                        resolved_tenant = Some(tenant);
                        Some(Cow::Owned(CustomerId::Tenant(tenant)))
                    }
                    None => {
                        reasons.push(Reason::DomainUnresolved {
                            domain: domain.clone(),
                        });
                        None
                    }
                },
                CustomerId::Tenant(tenant) => {
                    resolved_tenant = Some(*tenant);
                    email_domain = match r.customer_email {
                        None => EmailDomainCheck::NotChecked,
                        Some(email)
                            if facts.tenant_email_domains(tenant).contains(email.domain()) =>
                        {
                            EmailDomainCheck::Matches
                        }
                        // Without a reason the decision is not eligible, and `email_domain` unread.
                        Some(email) => {
                            if let Some(reason) = r.mismatch_reason {
                                mismatch_reason = Some(reason.clone());
                            } else {
                                reasons.push(Reason::TenantEmailDomainMismatchReasonRequired {
                                    email_domain: email.domain().clone(),
                                });
                            }
                            EmailDomainCheck::MismatchExplained
                        }
                    };
                    Some(Cow::Borrowed(r.customer))
                }
                _ => Some(Cow::Borrowed(r.customer)),
            };
            if let Some(id) = checked {
                let refusal = match facts.customer_eligibility(&id, r.engagement) {
                    CustomerEligibility::Eligible => None,
                    CustomerEligibility::NotEligible { reason } => Some(Some(reason)),
                    CustomerEligibility::Unknown => Some(None),
                };
                if let Some(reason) = refusal {
                    reasons.push(Reason::CustomerNotEligible {
                        id: id.as_ref().clone(),
                        reason,
                    });
                }
                counted = id;
            }
        }

        // 7. Cap, add-xor-claim, duplicate.
        if let Some(mci) = mci {
            let active = facts.active_claims(r.engagement, &counted);
            if active >= mci.max_active_claims_per_customer {
                reasons.push(Reason::CustomerCapReached {
                    active,
                    max: mci.max_active_claims_per_customer,
                });
            }
        }
        match (r.action, r.relationship) {
            (Action::Add, Relationship::Known) => reasons.push(Reason::ActionUseClaim),
            (Action::Claim, Relationship::New) => reasons.push(Reason::ActionUseAdd),
            (Action::Add, Relationship::New) | (Action::Claim, Relationship::Known) => {}
        }
        if r.open_claim == OpenClaim::Present {
            reasons.push(Reason::ClaimDuplicateOpen);
        }

        if reasons.is_empty() {
            Decision::Eligible {
                resolved_tenant,
                email_domain,
                mismatch_reason,
            }
        } else {
            Decision::NotEligible {
                reasons,
                visibility,
            }
        }
    }
}

/// Whether the engagement nominates customers by MSX opportunity ID and nothing else.
fn nominates_by_msx_only(mci: &MciEngagement) -> bool {
    !mci.allowed_id_kinds.is_empty()
        && mci
            .allowed_id_kinds
            .iter()
            .all(|kind| *kind == CustomerIdKind::MsxOpportunity)
}
