//! Who is calling: the actor of a request, **as the caller states it in headers**.
//!
//! # This is not authentication
//!
//! A reference service has no identity provider, so the caller simply says who it is. Anyone
//! who can reach the port can act as any partner user, reviewer, customer or the timer. A
//! real deployment puts authentication in front (Microsoft Entra ID tokens, validated by a
//! gateway or a middleware) and derives the [`Actor`] from the token's claims (the user, the
//! partner locations and roles it is entitled to), never from headers the client chose;
//! replace [`Caller`]'s extractor with one that does.
//!
//! # The headers
//!
//! | Header | Value |
//! |---|---|
//! | `x-cpor-actor` | `partner` (the default), `reviewer`, `system`, or `customer:<customer id>` (such as `customer:tenant:72f988bf-…`; a bare tenant GUID is read as `tenant:`) |
//! | `x-cpor-partner` | a partner user's PartnerID (location), such as `4512345` |
//! | `x-cpor-user` | the user (partner user or reviewer), such as `alex@fabrikam.com` |
//! | `x-cpor-roles` | a partner user's roles, comma-separated: `incentives_admin`, `incentives_user`, `referral_admin` |
//! | `x-cpor-also` | other partner locations the user may act for, comma-separated (optional) |
//!
//! Each value goes through the crate's validators ([`PartnerId::parse`], [`UserId::parse`],
//! [`CustomerId::parse`]); one that does not parse is `400` with the validator's code (such
//! as `partner_id.zero`). A request with none of them is `400 actor.missing`.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use cpor::actor::Locations;
use cpor::{Actor, CustomerId, PartnerId, PartnerUserRole, TenantId, UserId, UserRoles};

use crate::error::ApiError;

/// The header naming the kind of actor.
pub const ACTOR: &str = "x-cpor-actor";
/// The header naming a partner user's location.
pub const PARTNER: &str = "x-cpor-partner";
/// The header naming the user.
pub const USER: &str = "x-cpor-user";
/// The header listing a partner user's roles.
pub const ROLES: &str = "x-cpor-roles";
/// The header listing a partner user's other locations.
pub const ALSO: &str = "x-cpor-also";

/// The actor of a request, read from its headers (see the [module](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        actor_of(&parts.headers).map(Self)
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map(str::trim)
                .map_err(|_| invalid(format!("header {name} is not visible ASCII")))
        })
        .transpose()
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_input("actor.invalid", message)
}

fn required<'h>(headers: &'h HeaderMap, name: &str, who: &str) -> Result<&'h str, ApiError> {
    header(headers, name)?.ok_or_else(|| {
        ApiError::bad_input("actor.missing", format!("{who} needs the header {name}"))
    })
}

/// The actor the headers state.
///
/// # Errors
///
/// `actor.missing`, `actor.invalid`, or a validator's code, all `400`.
pub fn actor_of(headers: &HeaderMap) -> Result<Actor, ApiError> {
    let kind = header(headers, ACTOR)?;
    match kind {
        None | Some("partner") => {
            if kind.is_none() && header(headers, PARTNER)?.is_none() {
                return Err(ApiError::bad_input(
                    "actor.missing",
                    format!("say who is calling: {ACTOR}, or {PARTNER} and {USER}"),
                ));
            }
            partner(headers)
        }
        Some("reviewer") => Ok(Actor::reviewer(
            UserId::parse(required(headers, USER, "a reviewer")?)
                .map_err(|e| ApiError::bad_input(e.code(), e))?,
        )),
        Some("system") => Ok(Actor::System),
        Some(other) => match other.strip_prefix("customer:") {
            Some(id) => Ok(Actor::customer(customer(id)?)),
            None => Err(invalid(format!(
                "{ACTOR} {other:?} is not partner, reviewer, system or customer:<id>"
            ))),
        },
    }
}

fn customer(id: &str) -> Result<CustomerId, ApiError> {
    if let Ok(tenant) = id.parse::<TenantId>() {
        return Ok(CustomerId::Tenant(tenant));
    }
    Ok(CustomerId::parse(id)?)
}

fn partner(headers: &HeaderMap) -> Result<Actor, ApiError> {
    let location = PartnerId::parse(required(headers, PARTNER, "a partner user")?)?;
    let user = UserId::parse(required(headers, USER, "a partner user")?)
        .map_err(|e| ApiError::bad_input(e.code(), e))?;
    let mut roles = UserRoles::NONE;
    for name in list(header(headers, ROLES)?) {
        let role: PartnerUserRole =
            serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
                invalid(format!(
                    "{name:?} is not a role: incentives_admin, incentives_user or referral_admin"
                ))
            })?;
        roles = roles.with(role);
    }
    let also = list(header(headers, ALSO)?)
        .map(PartnerId::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let also = Locations::of(also).ok_or_else(|| {
        invalid(format!(
            "{ALSO} names more than {} locations",
            Locations::MAX
        ))
    })?;
    Ok(Actor::partner(location, user, roles).with_locations(also))
}

/// The items of a comma-separated header, trimmed, empty ones left out.
fn list(value: Option<&str>) -> impl Iterator<Item = &str> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn a_partner_user_with_roles_and_locations() {
        let actor = actor_of(&headers(&[
            (PARTNER, "4512345"),
            (USER, "alex@fabrikam.com"),
            (ROLES, "incentives_admin, referral_admin"),
            (ALSO, "7700001"),
        ]))
        .unwrap();
        assert!(actor.has_role(PartnerUserRole::IncentivesAdmin));
        assert!(actor.has_role(PartnerUserRole::ReferralAdmin));
        assert!(actor.acts_for(PartnerId::new(7_700_001).unwrap()));
    }

    #[test]
    fn the_other_kinds() {
        assert_eq!(
            actor_of(&headers(&[(ACTOR, "system")])).unwrap(),
            Actor::System
        );
        let reviewer = actor_of(&headers(&[(ACTOR, "reviewer"), (USER, "r@microsoft.com")]));
        assert!(matches!(reviewer, Ok(Actor::Reviewer { .. })));
        let bare = actor_of(&headers(&[(
            ACTOR,
            "customer:72f988bf-86f1-41af-91ab-2d7cd011db47",
        )]))
        .unwrap();
        let tagged = actor_of(&headers(&[(
            ACTOR,
            "customer:tenant:72F988BF-86F1-41AF-91AB-2D7CD011DB47",
        )]))
        .unwrap();
        assert_eq!(bare, tagged);
    }

    #[test]
    fn bad_headers_are_refused_with_a_code() {
        let code = |pairs: &[(&'static str, &str)]| actor_of(&headers(pairs)).unwrap_err().code;
        assert_eq!(code(&[]), "actor.missing");
        assert_eq!(
            code(&[(PARTNER, "0"), (USER, "a@b.com")]),
            "partner_id.zero"
        );
        assert_eq!(code(&[(PARTNER, "4512345")]), "actor.missing");
        assert_eq!(
            code(&[(PARTNER, "4512345"), (USER, "a@b.com"), (ROLES, "admin")]),
            "actor.invalid"
        );
        assert_eq!(code(&[(ACTOR, "root")]), "actor.invalid");
        assert_eq!(
            code(&[(ACTOR, "customer:nope:1")]),
            "customer_id.unknown_kind"
        );
    }
}
