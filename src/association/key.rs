//! Uniqueness keys: what at most one partner may be associated with at a time.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{EngagementId, WorkloadId};
use crate::id::{SubscriptionId, TenantId};

/// The unit of an association key: a workload, or a Business Applications subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUnit {
    /// A workload (Modern Work and Security).
    Workload(WorkloadId),
    /// A subscription (Business Applications).
    Subscription(SubscriptionId),
}

impl fmt::Display for KeyUnit {
    /// `workload:<id>` or `subscription:<id>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Workload(w) => write!(f, "workload:{w}"),
            Self::Subscription(s) => write!(f, "subscription:{s}"),
        }
    }
}

/// `(engagement, tenant, workload)` or `(engagement, tenant, subscription)`: at any time, at
/// most one partner may be associated with each key (see [the rules](crate::guide::rules#one-partner-per-workload)).
///
/// The scope is per engagement: the same tenant and workload under two engagements are two
/// keys. That is the library's reading; the documents do not say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AssociationKey {
    /// The engagement.
    pub engagement: EngagementId,
    /// The customer.
    pub tenant: TenantId,
    /// The workload or subscription.
    pub unit: KeyUnit,
}

impl fmt::Display for AssociationKey {
    /// `engagement/tenant/workload:<id>` or `engagement/tenant/subscription:<id>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.engagement, self.tenant, self.unit)
    }
}
