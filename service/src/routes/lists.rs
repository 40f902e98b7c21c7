//! What spans claims: the paged lists, the Customers page, the usage scope.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use cpor::catalog::EngagementId;
use cpor::customers::CustomersPage;
use cpor::service::UsageGrant;
use cpor::store::{AsyncStore, Cursor, Page, PageRequest, Stored};
use cpor::{Actor, CustomerId, PartnerId, TenantId};
use serde::{Deserialize, Serialize};

use crate::actor::Caller;
use crate::app::AppState;
use crate::error::ApiError;

/// The query of a paged list: `cursor` (from the previous page's `next`), `limit` (1 to
/// 1,000; 100 if left out), and for a partner's list an `engagement`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Where to start.
    pub cursor: Option<String>,
    /// How many at most.
    pub limit: Option<u32>,
    /// Only this engagement's claims (partner lists only).
    pub engagement: Option<String>,
}

impl ListQuery {
    fn page(&self) -> Result<PageRequest, ApiError> {
        let cursor = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(
                text.parse::<Cursor>()
                    .map_err(|e| ApiError::bad_input(e.code(), &e))?,
            ),
        };
        let limit = self.limit.unwrap_or(PageRequest::DEFAULT_LIMIT);
        Ok(PageRequest::after(cursor, limit))
    }
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    Ok(query?.0)
}

/// `GET /partners/{partner}/claims`: a page of a location's claims, as the caller may see
/// them (an empty page for a caller who may not).
pub async fn partner_claims<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path(partner): Path<String>,
    Caller(actor): Caller,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Stored>>, ApiError> {
    let partner: PartnerId = partner.parse()?;
    let q = query(q)?;
    let engagement = match q.engagement.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(text) => Some(EngagementId::parse(text)?),
    };
    let page = state
        .claims
        .partner_claims(&actor, partner, engagement.as_ref(), q.page()?)
        .await?;
    Ok(Json(page))
}

/// `GET /customers/{customer}/claims`: a page of the claims about a customer (`kind:value`,
/// or a bare tenant GUID), as the caller may see them.
pub async fn customer_claims<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path(customer): Path<String>,
    Caller(actor): Caller,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Stored>>, ApiError> {
    let customer = customer_id(&customer)?;
    let q = query(q)?;
    let page = state
        .claims
        .customer_claims(&actor, &customer, q.page()?)
        .await?;
    Ok(Json(page))
}

/// A customer ID from a path: `kind:value`, or a bare tenant GUID.
fn customer_id(text: &str) -> Result<CustomerId, ApiError> {
    if let Ok(tenant) = text.parse::<TenantId>() {
        return Ok(CustomerId::Tenant(tenant));
    }
    Ok(CustomerId::parse(text)?)
}

/// The query of the Customers page: customers the application proposes for "add customer"
/// (such as search results), comma-separated `kind:value` IDs.
#[derive(Debug, Default, Deserialize)]
pub struct CustomersQuery {
    /// The proposed customers.
    pub proposed: Option<String>,
}

/// `GET /partners/{partner}/engagements/{engagement}/customers`: the Customers page of an
/// MCI engagement.
pub async fn customers_page<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path((partner, engagement)): Path<(String, String)>,
    Caller(actor): Caller,
    q: Result<Query<CustomersQuery>, QueryRejection>,
) -> Result<Json<CustomersPage>, ApiError> {
    let partner: PartnerId = partner.parse()?;
    let engagement = EngagementId::parse(&engagement)?;
    let q = query(q)?;
    let proposed = q
        .proposed
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(customer_id)
        .collect::<Result<Vec<_>, _>>()?;
    let page = state
        .claims
        .customers_page(
            &engagement,
            partner,
            &actor,
            &proposed,
            state.now(),
            &*state.facts,
        )
        .await?;
    Ok(Json(page))
}

/// The answer of the usage scope.
#[derive(Debug, Serialize)]
pub struct UsageView {
    /// The partner location.
    pub partner: PartnerId,
    /// The customer tenant.
    pub tenant: TenantId,
    /// When it was decided.
    pub at: DateTime<Utc>,
    /// The workloads and subscriptions the location may see usage of: the keys of its
    /// official associations with the tenant.
    pub grants: Vec<UsageGrant>,
}

/// `GET /partners/{partner}/usage/{tenant}`: on which workloads the location may see the
/// tenant's usage now. A caller that may not see the location's claims (another location,
/// another customer) gets no grants, as for a location with none.
pub async fn usage_scope<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path((partner, tenant)): Path<(String, String)>,
    Caller(actor): Caller,
) -> Result<Json<UsageView>, ApiError> {
    let partner: PartnerId = partner.parse()?;
    let tenant: TenantId = tenant.parse()?;
    let at = state.now();
    let allowed = match &actor {
        Actor::Partner { .. } => actor.acts_for(partner),
        Actor::Customer { customer } => *customer == CustomerId::Tenant(tenant),
        Actor::Reviewer { .. } | Actor::System => true,
        _ => false,
    };
    let grants = if allowed {
        state.claims.usage_scope(partner, tenant, at).await?
    } else {
        Vec::new()
    };
    Ok(Json(UsageView {
        partner,
        tenant,
        at,
        grants,
    }))
}
