//! The head of a claim's encoding: what a store's key questions need, readable without
//! decoding the claim or allocating.
//!
//! Layout, after the family byte (0 association, 1 activity):
//!
//! | Field | Both families |
//! |---|---|
//! | ID | 16 bytes |
//! | partner | varint |
//! | state | byte (the family's state table) |
//! | engagement | string |
//! | next deadline | optional time (the first time, so absolute) |
//!
//! then, for an association claim, the tenant (16 bytes) and the target (0 and the workloads,
//! or 1, the subscription and the products; each list a count and strings); for an activity
//! claim, the nominated customer (a kind byte and its value), the resolved tenant (optional
//! 16 bytes) and the cap on active claims per customer (varint).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    CodecError, Decoded, Reader, Writer, activity_state, activity_state_of, association_state,
    association_state_of,
};
use crate::activity::{ActivityClaim, ActivityState};
use crate::association::{AssociationClaim, AssociationState, KeyUnit, Target};
use crate::catalog::{EngagementId, WorkloadId};
use crate::claim::{CountedKey, UniqueKey, holds_open_keys};
use crate::id::{
    AzureSubscriptionId, ClaimId, CustomerId, DomainName, MsxOpportunityId, PartnerId,
    SubscriptionId, TenantId, Tpid,
};

/// The family byte of an association claim.
pub(crate) const ASSOCIATION: u8 = 0;
/// The family byte of an activity claim.
pub(crate) const ACTIVITY: u8 = 1;

/// The head of an encoded claim, borrowing its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    id: ClaimId,
    partner: PartnerId,
    engagement: &'a [u8],
    engagement_at: usize,
    deadline: Option<DateTime<Utc>>,
    family: Family<'a>,
}

/// The family-specific part of a head.
#[derive(Debug, Clone, Copy)]
enum Family<'a> {
    Association {
        state: AssociationState,
        tenant: [u8; 16],
        tenant_at: usize,
        /// The subscription of a Business Applications claim.
        subscription: Option<[u8; 16]>,
        /// The workloads or products.
        workloads: List<'a>,
    },
    Activity {
        state: ActivityState,
        customer: CustomerRef<'a>,
        customer_at: usize,
        resolved_tenant: Option<[u8; 16]>,
    },
}

/// An encoded list of strings: `count` length-prefixed strings in `bytes`.
#[derive(Debug, Clone, Copy)]
struct List<'a> {
    count: usize,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> List<'a> {
    /// Reads past a list, keeping its bytes.
    fn read(r: &mut Reader<'a>) -> Decoded<Self> {
        let at = r.offset();
        let count = r.count()?;
        let start = r.rest;
        for _ in 0..count {
            r.bytes()?;
        }
        let used = start.len().saturating_sub(r.rest.len());
        let bytes = start
            .get(..used)
            .ok_or(CodecError::new(at, "list out of bounds"))?;
        Ok(Self { count, bytes, at })
    }

    /// The items; the list was read once, so every item is there.
    fn items(self) -> impl Iterator<Item = &'a [u8]> {
        let mut r = Reader::new(self.bytes);
        (0..self.count).map_while(move |_| r.bytes().ok())
    }

    fn contains(self, item: &str) -> bool {
        self.items().any(|bytes| bytes == item.as_bytes())
    }

    /// The items as workload keys.
    fn workloads(self) -> Decoded<Vec<WorkloadId>> {
        let mut r = Reader::new(self.bytes);
        let mut out = Vec::with_capacity(self.count);
        for _ in 0..self.count {
            let at = self.at.saturating_add(r.offset());
            let key = r.str().map_err(|e| CodecError::new(at, e.what()))?;
            out.push(WorkloadId::parse(key).map_err(|_| CodecError::new(at, "invalid workload"))?);
        }
        Ok(out)
    }
}

/// A nominated customer as encoded.
#[derive(Debug, Clone, Copy)]
enum CustomerRef<'a> {
    Domain(&'a [u8]),
    Tenant([u8; 16]),
    Tpid(u64),
    AzureSubscription([u8; 16]),
    MsxOpportunity([u8; 12]),
}

/// A customer ID as [`Writer::customer`](super::Writer::customer) wrote it.
pub(crate) fn read_customer(r: &mut Reader<'_>) -> Decoded<CustomerId> {
    let at = r.offset();
    CustomerRef::read(r)?.decode(at)
}

impl CustomerRef<'_> {
    fn read<'a>(r: &mut Reader<'a>) -> Decoded<CustomerRef<'a>> {
        let at = r.offset();
        Ok(match r.u8()? {
            0 => CustomerRef::Domain(r.bytes()?),
            1 => CustomerRef::Tenant(r.bytes16()?),
            2 => CustomerRef::Tpid(r.u64()?),
            3 => CustomerRef::AzureSubscription(r.bytes16()?),
            4 => CustomerRef::MsxOpportunity(r.array()?),
            _ => return Err(CodecError::new(at, "invalid customer id kind")),
        })
    }

    /// Whether this is `customer`, comparing in place.
    fn is(self, customer: &CustomerId) -> bool {
        match (self, customer) {
            (Self::Domain(bytes), CustomerId::Domain(d)) => bytes == d.as_str().as_bytes(),
            (Self::Tenant(bytes), CustomerId::Tenant(t)) => &bytes == t.as_uuid().as_bytes(),
            (Self::Tpid(n), CustomerId::Tpid(t)) => n == t.get(),
            (Self::AzureSubscription(bytes), CustomerId::AzureSubscription(s)) => {
                &bytes == s.as_uuid().as_bytes()
            }
            (Self::MsxOpportunity(bytes), CustomerId::MsxOpportunity(m)) => {
                bytes == m.as_str().as_bytes()
            }
            _ => false,
        }
    }

    /// The customer ID, through the value's validating constructor.
    fn decode(self, at: usize) -> Decoded<CustomerId> {
        let invalid = |_| CodecError::new(at, "invalid customer id");
        Ok(match self {
            Self::Domain(bytes) => {
                let text = std::str::from_utf8(bytes).map_err(|_| invalid(()))?;
                CustomerId::Domain(DomainName::parse(text).map_err(|_| invalid(()))?)
            }
            Self::Tenant(bytes) => CustomerId::Tenant(
                TenantId::from_uuid(Uuid::from_bytes(bytes)).map_err(|_| invalid(()))?,
            ),
            Self::Tpid(n) => CustomerId::Tpid(Tpid::new(n).map_err(|_| invalid(()))?),
            Self::AzureSubscription(bytes) => CustomerId::AzureSubscription(
                AzureSubscriptionId::from_uuid(Uuid::from_bytes(bytes)).map_err(|_| invalid(()))?,
            ),
            Self::MsxOpportunity(bytes) => {
                let text = std::str::from_utf8(&bytes).map_err(|_| invalid(()))?;
                CustomerId::MsxOpportunity(MsxOpportunityId::parse(text).map_err(|_| invalid(()))?)
            }
        })
    }
}

/// The head of an association claim, decoded to typed values.
pub(crate) struct AssociationHead {
    pub(crate) id: ClaimId,
    pub(crate) partner: PartnerId,
    pub(crate) state: AssociationState,
    pub(crate) engagement: EngagementId,
    pub(crate) tenant: TenantId,
    pub(crate) target: Target,
}

/// The head of an activity claim, decoded to typed values.
pub(crate) struct ActivityHead {
    pub(crate) id: ClaimId,
    pub(crate) partner: PartnerId,
    pub(crate) state: ActivityState,
    pub(crate) engagement: EngagementId,
    pub(crate) customer: CustomerId,
    pub(crate) resolved_tenant: Option<TenantId>,
    pub(crate) deadline: Option<DateTime<Utc>>,
}

/// The typed head of either family.
pub(crate) enum TypedHead {
    Association(AssociationHead),
    Activity(ActivityHead),
}

impl<'a> Head<'a> {
    /// Writes the head of an association claim.
    pub(crate) fn write_association(w: &mut Writer<'_>, claim: &AssociationClaim) {
        let content = claim.content();
        w.u8(ASSOCIATION);
        w.uuid(claim.id().as_uuid());
        w.u64(content.partner.get());
        w.u8(association_state(claim.state()));
        w.str(content.engagement.as_str());
        w.opt_time(claim.next_deadline());
        w.uuid(content.tenant.as_uuid());
        let workloads = match &content.target {
            Target::Workloads { workloads } => {
                w.u8(0);
                workloads
            }
            Target::Subscription {
                subscription,
                products,
            } => {
                w.u8(1);
                w.uuid(subscription.as_uuid());
                products
            }
        };
        w.seq(workloads, |w, workload| w.str(workload.as_str()));
    }

    /// Writes the head of an activity claim.
    pub(crate) fn write_activity(w: &mut Writer<'_>, claim: &ActivityClaim) {
        w.u8(ACTIVITY);
        w.uuid(claim.id().as_uuid());
        w.u64(claim.partner().get());
        w.u8(activity_state(claim.state()));
        w.str(claim.engagement().as_str());
        w.opt_time(claim.next_deadline());
        w.customer(claim.customer());
        w.opt(claim.resolved_tenant(), |w, tenant| {
            w.uuid(tenant.as_uuid())
        });
    }

    /// Reads the head at the start of an encoded claim, without allocating.
    ///
    /// # Errors
    ///
    /// A [`CodecError`] if the head is truncated or malformed. The rest of the bytes is not
    /// looked at: a head that parses does not prove that the claim decodes.
    pub(crate) fn parse(bytes: &'a [u8]) -> Decoded<Self> {
        Self::read(&mut Reader::new(bytes))
    }

    /// Reads a head, leaving `r` at the body.
    pub(crate) fn read(r: &mut Reader<'a>) -> Decoded<Self> {
        let family = r.u8()?;
        let id = r.claim_id()?;
        let partner = r.partner()?;
        let state_at = r.offset();
        let state = r.u8()?;
        let engagement_at = r.offset();
        let engagement = r.bytes()?;
        let deadline = r.opt_time()?;
        let family = match family {
            ASSOCIATION => {
                let state = association_state_of(state)
                    .ok_or(CodecError::new(state_at, "invalid association state"))?;
                let tenant_at = r.offset();
                let tenant = r.bytes16()?;
                let target_at = r.offset();
                let subscription = match r.u8()? {
                    0 => None,
                    1 => Some(r.bytes16()?),
                    _ => return Err(CodecError::new(target_at, "invalid target kind")),
                };
                Family::Association {
                    state,
                    tenant,
                    tenant_at,
                    subscription,
                    workloads: List::read(r)?,
                }
            }
            ACTIVITY => {
                let state = activity_state_of(state)
                    .ok_or(CodecError::new(state_at, "invalid activity state"))?;
                let customer_at = r.offset();
                let customer = CustomerRef::read(r)?;
                let resolved_tenant = r.opt(Reader::bytes16)?;
                Family::Activity {
                    state,
                    customer,
                    customer_at,
                    resolved_tenant,
                }
            }
            _ => return Err(CodecError::new(0, "invalid claim family")),
        };
        Ok(Self {
            id,
            partner,
            engagement,
            engagement_at,
            deadline,
            family,
        })
    }

    /// The head's values, each through its validating constructor.
    pub(crate) fn typed(&self) -> Decoded<TypedHead> {
        let engagement = std::str::from_utf8(self.engagement)
            .ok()
            .and_then(|text| EngagementId::parse(text).ok())
            .ok_or(CodecError::new(self.engagement_at, "invalid engagement"))?;
        Ok(match self.family {
            Family::Association {
                state,
                tenant,
                tenant_at,
                subscription,
                workloads,
            } => {
                let workloads = workloads.workloads()?;
                let target = match subscription {
                    None => Target::Workloads { workloads },
                    Some(bytes) => Target::Subscription {
                        subscription: SubscriptionId::from_uuid(Uuid::from_bytes(bytes)).map_err(
                            |_| CodecError::new(tenant_at.saturating_add(17), "nil subscription"),
                        )?,
                        products: workloads,
                    },
                };
                TypedHead::Association(AssociationHead {
                    id: self.id,
                    partner: self.partner,
                    state,
                    engagement,
                    tenant: super::tenant(tenant, tenant_at)?,
                    target,
                })
            }
            Family::Activity {
                state,
                customer,
                customer_at,
                resolved_tenant,
            } => TypedHead::Activity(ActivityHead {
                id: self.id,
                partner: self.partner,
                state,
                engagement,
                customer: customer.decode(customer_at)?,
                resolved_tenant: resolved_tenant
                    .map(|bytes| super::tenant(bytes, customer_at))
                    .transpose()?,
                deadline: self.deadline,
            }),
        })
    }

    /// The claim's ID.
    pub(crate) const fn id(&self) -> ClaimId {
        self.id
    }

    /// The partner location that owns the claim.
    pub(crate) const fn partner(&self) -> PartnerId {
        self.partner
    }

    /// The claim's next deadline, as [`Claim::next_deadline`](crate::store::Claim::next_deadline).
    pub(crate) const fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.deadline
    }

    /// Whether the claim is about `engagement`.
    pub(crate) fn is_engagement(&self, engagement: &EngagementId) -> bool {
        self.engagement == engagement.as_str().as_bytes()
    }

    /// Whether `customer` is the claim's customer, as [`Claim::customer`](crate::store::Claim::customer):
    /// the tenant of an association claim, the nominated ID of an activity claim.
    pub(crate) fn is_customer(&self, customer: &CustomerId) -> bool {
        match self.family {
            Family::Association { tenant, .. } => CustomerRef::Tenant(tenant).is(customer),
            Family::Activity { customer: own, .. } => own.is(customer),
        }
    }

    /// As `Claim::holds`.
    pub(crate) fn holds(&self, key: &UniqueKey) -> bool {
        match (&self.family, key) {
            (Family::Association { state, .. }, UniqueKey::Associated { key }) => {
                *state == AssociationState::Approved
                    && self.is_about(&key.engagement, &key.tenant, &key.unit)
            }
            (Family::Association { state, .. }, UniqueKey::OpenAssociation { partner, key }) => {
                holds_open_keys(*state)
                    && self.partner == *partner
                    && self.is_about(&key.engagement, &key.tenant, &key.unit)
            }
            (
                Family::Activity { state, .. },
                UniqueKey::OpenActivity {
                    partner,
                    engagement,
                    customer,
                },
            ) => {
                state.is_active()
                    && self.partner == *partner
                    && self.is_engagement(engagement)
                    && self.key_customer_is(customer)
            }
            _ => false,
        }
    }

    /// As `Claim::counts_towards`.
    pub(crate) fn counts_towards(&self, key: &CountedKey) -> bool {
        match &self.family {
            Family::Activity { state, .. } => {
                state.is_active()
                    && self.is_engagement(&key.engagement)
                    && self.key_customer_is(&key.customer)
            }
            Family::Association { .. } => false,
        }
    }

    #[cfg(test)]
    /// As `Claim::holds_anything`.
    pub(crate) const fn holds_anything(&self) -> bool {
        match &self.family {
            Family::Association { state, .. } => holds_open_keys(*state),
            Family::Activity { state, .. } => state.is_active(),
        }
    }

    /// Whether `customer` is the customer the claim's keys are about (as `Claim::key_customer`):
    /// for an activity claim, the tenant a domain nomination resolved to, else the nominated ID.
    pub(crate) fn key_customer_is(&self, customer: &CustomerId) -> bool {
        match self.family {
            Family::Association { tenant, .. } => CustomerRef::Tenant(tenant).is(customer),
            Family::Activity {
                customer: CustomerRef::Domain(_),
                resolved_tenant: Some(tenant),
                ..
            } => CustomerRef::Tenant(tenant).is(customer),
            Family::Activity { customer: own, .. } => own.is(customer),
        }
    }

    /// Whether an association key `(engagement, tenant, unit)` is one of the claim's keys.
    fn is_about(&self, engagement: &EngagementId, tenant: &TenantId, unit: &KeyUnit) -> bool {
        let Family::Association {
            tenant: own,
            subscription,
            workloads,
            ..
        } = &self.family
        else {
            return false;
        };
        own == tenant.as_uuid().as_bytes()
            && self.is_engagement(engagement)
            && match (subscription, unit) {
                (None, KeyUnit::Workload(w)) => workloads.contains(w.as_str()),
                (Some(own), KeyUnit::Subscription(s)) => own == s.as_uuid().as_bytes(),
                _ => false,
            }
    }
}
