//! Claims in the states the cases need, built with the pure core. Nothing here panics: every
//! refusal of the core is a [`Problem`].

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::check::{Context, Outcome, Problem};
use crate::activity::{ActivityClaim, ActivityCommand, Nomination, add_customer};
use crate::actor::{Actor, PartnerUserRole, UserId, UserRoles};
use crate::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    AssociationKey, CompanyContact, CompanyContactForm, CustomerContact, CustomerContactForm,
    InfoRequestReason,
};
use crate::catalog::{Catalog, EngagementId};
use crate::eligibility::InMemoryFacts;
use crate::id::{ClaimId, CustomerId, DomainName, PartnerId, TenantId, Tpid};
use crate::money::Usd;
use crate::store::{CountedKey, UniqueKey};
use crate::text::Text;

/// The CPOR engagement of the Modern Work and Security "use or consume" role.
pub(crate) const MWS_ENGAGEMENT: &str = "mws_usage";
/// An MCI engagement with a cap of one active claim per customer; tenant customers.
pub(crate) const CAP_ONE: &str = "copilot_readiness_assessment";
/// An MCI engagement with a cap of two active claims per customer; TPID customers.
pub(crate) const CAP_TWO: &str = "azure_migration_small_project";

/// Partner locations.
pub(crate) const PARTNER_A: u64 = 4_512_345;
pub(crate) const PARTNER_B: u64 = 7_700_001;
pub(crate) const PARTNER_C: u64 = 8_800_001;

/// The high bits of the tenants the cases make; the low bits number them.
const TENANT_BASE: u128 = 0x72f9_88bf_86f1_41af_91ab_2d7c_0000_0000;
/// The high bits of claim IDs.
const CLAIM_BASE: u128 = 0x0c1a_1d00_0000_4000_8000_0000_0000_0000;

/// A partner location.
pub(crate) fn partner(n: u64) -> Outcome<PartnerId> {
    PartnerId::new(n).context(format_args!("partner {n}"))
}

/// Claim ID number `n`.
pub(crate) fn claim_id(n: u128) -> Outcome<ClaimId> {
    ClaimId::from_uuid(uuid::Uuid::from_u128(CLAIM_BASE | n)).context(format_args!("claim {n}"))
}

/// Tenant number `n`.
pub(crate) fn tenant(n: u128) -> Outcome<TenantId> {
    TenantId::from_uuid(uuid::Uuid::from_u128(TENANT_BASE | (n & 0xffff_ffff)))
        .context(format_args!("tenant {n}"))
}

/// A TPID customer.
pub(crate) fn tpid_customer(n: u64) -> Outcome<CustomerId> {
    Ok(CustomerId::Tpid(Tpid::new(n).context("tpid")?))
}

/// An engagement ID.
pub(crate) fn engagement(key: &str) -> Outcome<EngagementId> {
    EngagementId::parse(key).context(format_args!("engagement {key}"))
}

/// The associated key of `tenant` and `workload` under the Modern Work engagement.
pub(crate) fn association_key(tenant: TenantId, workload: &str) -> Outcome<AssociationKey> {
    Ok(AssociationKey {
        engagement: engagement(MWS_ENGAGEMENT)?,
        tenant,
        unit: crate::association::KeyUnit::Workload(
            crate::catalog::WorkloadId::parse(workload)
                .context(format_args!("workload {workload}"))?,
        ),
    })
}

/// `UniqueKey::Associated` of `tenant` and `workload`.
pub(crate) fn associated(tenant: TenantId, workload: &str) -> Outcome<UniqueKey> {
    Ok(UniqueKey::Associated {
        key: association_key(tenant, workload)?,
    })
}

/// `UniqueKey::OpenAssociation` of `partner`, `tenant` and `workload`.
pub(crate) fn open_association(
    partner: PartnerId,
    tenant: TenantId,
    workload: &str,
) -> Outcome<UniqueKey> {
    Ok(UniqueKey::OpenAssociation {
        partner,
        key: association_key(tenant, workload)?,
    })
}

/// `UniqueKey::OpenActivity`.
pub(crate) fn open_activity(
    partner: PartnerId,
    engagement_key: &str,
    customer: &CustomerId,
) -> Outcome<UniqueKey> {
    Ok(UniqueKey::OpenActivity {
        partner,
        engagement: engagement(engagement_key)?,
        customer: customer.clone(),
    })
}

/// The counted key of an engagement and customer.
pub(crate) fn counted(engagement_key: &str, customer: &CustomerId) -> Outcome<CountedKey> {
    Ok(CountedKey {
        engagement: engagement(engagement_key)?,
        customer: customer.clone(),
    })
}

/// How far along its lifecycle an association claim is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Created.
    Draft,
    /// Created, with one PoE.
    DraftWithPoe,
    /// Deleted by the partner.
    Withdrawn,
    /// Submitted.
    Submitted,
    /// Under review.
    UnderReview,
    /// The reviewer asked for information: it has a deadline.
    InfoRequested,
    /// Approved: associated.
    Approved,
    /// Approved, then declined by the customer: the association ended.
    Declined,
}

/// The catalog, the time and the people every case works with.
pub(crate) struct World {
    pub(crate) catalog: Catalog,
    t0: DateTime<Utc>,
}

impl World {
    pub(crate) fn new() -> Outcome<Self> {
        Ok(Self {
            catalog: Catalog::builtin(),
            t0: Utc
                .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
                .single()
                .context("Monday 2 March 2026")?,
        })
    }

    /// `hours` after the start, Monday 2 March 2026 09:00 UTC.
    pub(crate) fn at(&self, hours: i64) -> Outcome<DateTime<Utc>> {
        TimeDelta::try_hours(hours)
            .and_then(|d| self.t0.checked_add_signed(d))
            .context(format_args!("{hours} hours after the start"))
    }

    /// An Incentives admin of `partner`.
    pub(crate) fn admin(&self, partner: PartnerId) -> Outcome<Actor> {
        Ok(Actor::partner(
            partner,
            UserId::parse("admin@fabrikam.com").context("user id")?,
            UserRoles::of([PartnerUserRole::IncentivesAdmin]),
        ))
    }

    /// A Microsoft reviewer.
    pub(crate) fn reviewer(&self) -> Outcome<Actor> {
        Ok(Actor::reviewer(
            UserId::parse("reviewer@microsoft.com").context("user id")?,
        ))
    }

    /// A Modern Work and Security form for `tenant` and `workloads`.
    pub(crate) fn form(&self, name: &str, tenant: TenantId, workloads: &[&str]) -> AssociationForm {
        AssociationForm {
            name: name.into(),
            tenant: tenant.to_string(),
            solution_area: "modern_work_security".into(),
            role: "use_or_consume".into(),
            workloads: workloads.iter().map(|w| (*w).to_owned()).collect(),
            customer_contact: CustomerContactForm {
                name: "Megan Bowen".into(),
                title: "CIO".into(),
                email: "megan@contoso.com".into(),
            },
            company_contact: CompanyContactForm {
                name: "Alex Wilber".into(),
                email: "alex@fabrikam.com".into(),
            },
            ..AssociationForm::default()
        }
    }

    /// An association claim `id` of `partner` on `tenant` and `workloads`, taken to `stage`
    /// one hour per step from the start.
    pub(crate) fn association(
        &self,
        id: ClaimId,
        partner: PartnerId,
        tenant: TenantId,
        workloads: &[&str],
        stage: Stage,
    ) -> Outcome<AssociationClaim> {
        let form = self.form("Contoso rollout", tenant, workloads);
        self.association_from(id, partner, &form, stage)
    }

    /// An association claim created from `form`, taken to `stage`.
    pub(crate) fn association_from(
        &self,
        id: ClaimId,
        partner: PartnerId,
        form: &AssociationForm,
        stage: Stage,
    ) -> Outcome<AssociationClaim> {
        use AssociationCommand as C;
        let admin = self.admin(partner)?;
        let reviewer = self.reviewer()?;
        let mut claim = AssociationClaim::create(id, form, &admin, self.at(0)?, &self.catalog)
            .context("creating a draft")?
            .claim;
        let poe = C::AttachPoe {
            reference: Text::parse("sow-signed.pdf").context("text")?,
        };
        let submit = C::Submit {
            acknowledgement: Acknowledgement::Given,
        };
        let approve = C::Approve {
            arbitration: Arbitration::None,
        };
        let info = C::RequestInfo {
            reason: InfoRequestReason::MissingOrOldDates,
        };
        let customer = Actor::customer(CustomerId::Tenant(claim.content().tenant));
        let path: Vec<(C, &Actor)> = match stage {
            Stage::Draft => vec![],
            Stage::Withdrawn => vec![(C::Withdraw, &admin)],
            Stage::DraftWithPoe => vec![(poe, &admin)],
            Stage::Submitted => vec![(poe, &admin), (submit, &admin)],
            Stage::UnderReview => {
                vec![(poe, &admin), (submit, &admin), (C::StartReview, &reviewer)]
            }
            Stage::InfoRequested => vec![
                (poe, &admin),
                (submit, &admin),
                (C::StartReview, &reviewer),
                (info, &reviewer),
            ],
            Stage::Approved => vec![
                (poe, &admin),
                (submit, &admin),
                (C::StartReview, &reviewer),
                (approve, &reviewer),
            ],
            Stage::Declined => vec![
                (poe, &admin),
                (submit, &admin),
                (C::StartReview, &reviewer),
                (approve, &reviewer),
                (C::Decline, &customer),
            ],
        };
        let mut hour = 0_i64;
        for (command, actor) in path {
            hour = hour.saturating_add(1);
            claim = self.step(&claim, &command, actor, hour)?;
        }
        Ok(claim)
    }

    /// Applies an association command `hour` hours after the start.
    pub(crate) fn step(
        &self,
        claim: &AssociationClaim,
        command: &AssociationCommand,
        actor: &Actor,
        hour: i64,
    ) -> Outcome<AssociationClaim> {
        Ok(claim
            .transition(command, actor, self.at(hour)?, &self.catalog)
            .map_err(|e| {
                Problem::new(format!(
                    "fixture: {:?} on claim {} ({}) refused: {e}",
                    command.kind(),
                    claim.id(),
                    claim.state()
                ))
            })?
            .claim)
    }

    /// Facts under which `partner` may add `customer` to `engagement_key`; a tenant customer's
    /// email domain is contoso.com.
    fn facts(
        &self,
        partner: PartnerId,
        engagement_key: &str,
        customer: &CustomerId,
    ) -> Outcome<InMemoryFacts> {
        let engagement = engagement(engagement_key)?;
        let mut facts = InMemoryFacts::new()
            .enrolled(partner, engagement.clone())
            .eligible(customer.clone(), engagement);
        if let CustomerId::Tenant(tenant) = customer {
            facts = facts.with_email_domains(
                *tenant,
                [DomainName::parse("contoso.com").context("domain")?],
            );
        }
        Ok(facts)
    }

    /// A new activity claim `id` of `partner` adding `customer` to `engagement_key`,
    /// `hour` hours after the start.
    pub(crate) fn activity(
        &self,
        id: ClaimId,
        partner: PartnerId,
        engagement_key: &str,
        customer: &CustomerId,
        hour: i64,
    ) -> Outcome<ActivityClaim> {
        let facts = self.facts(partner, engagement_key, customer)?;
        let nomination = Nomination {
            name: Text::parse("Contoso engagement").context("text")?,
            partner,
            customer: customer.clone(),
            customer_contact: CustomerContact {
                name: Text::parse("Megan Bowen").context("text")?,
                title: Text::parse("CIO").context("text")?,
                email: "megan@contoso.com".parse().context("email")?,
            },
            company_contact: CompanyContact {
                name: Text::parse("Alex Wilber").context("text")?,
                email: "alex@fabrikam.com".parse().context("email")?,
            },
            mismatch_reason: None,
            engagements: vec![(engagement(engagement_key)?, id)],
            hours: None,
        };
        add_customer(
            &nomination,
            &self.admin(partner)?,
            self.at(hour)?,
            &self.catalog,
            &facts,
            &[],
        )
        .map_err(|e| Problem::new(format!("fixture: adding customer {customer} refused: {e}")))?
        .into_iter()
        .next()
        .map(|t| t.claim)
        .context("fixture: adding a customer made no claim")
    }

    /// Applies an activity command `hour` hours after the start.
    pub(crate) fn act(
        &self,
        claim: &ActivityClaim,
        command: &ActivityCommand,
        actor: &Actor,
        hour: i64,
    ) -> Outcome<ActivityClaim> {
        let facts = self.facts(
            claim.partner(),
            claim.engagement().as_str(),
            claim.customer(),
        )?;
        Ok(claim
            .transition(command, actor, self.at(hour)?, &self.catalog, &facts)
            .map_err(|e| {
                Problem::new(format!(
                    "fixture: {command:?} on activity claim {} ({}) refused: {e}",
                    claim.id(),
                    claim.state()
                ))
            })?
            .claim)
    }

    /// Cancels an activity claim `hour` hours after the start.
    pub(crate) fn cancel(&self, claim: &ActivityClaim, hour: i64) -> Outcome<ActivityClaim> {
        self.act(
            claim,
            &ActivityCommand::Cancel,
            &self.admin(claim.partner())?,
            hour,
        )
    }

    /// Sends the consent email at `hour` and has the customer accept it an hour later: the
    /// claim's deadline moves from the consent window to the first-submit window.
    pub(crate) fn consent(&self, claim: &ActivityClaim, hour: i64) -> Outcome<ActivityClaim> {
        let sent = self.act(
            claim,
            &ActivityCommand::SendConsent {
                estimated_deal_size: Usd::from_dollars(250_000).context("deal size")?,
            },
            &self.admin(claim.partner())?,
            hour,
        )?;
        self.act(
            &sent,
            &ActivityCommand::AcceptConsent,
            &Actor::customer(claim.customer().clone()),
            hour.saturating_add(1),
        )
    }
}
