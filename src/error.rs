//! What kind of failure an error is, and every error code of the crate.
//!
//! Every public error type of the crate has three stable accessors:
//!
//! - `code()`, a machine-readable code such as `store.key_held`, listed below;
//! - `kind()`, an [`ErrorKind`] that says how a service should answer it (which HTTP status,
//!   see [`ErrorKind`]);
//! - `is_retryable()`, whether trying the same action again may succeed.
//!
//! "Retryable" means that the same action, run again from the start (load the claim,
//! decide, commit), may succeed without any change to its input: the back end was
//! unreachable or slow ([`ErrorKind::Unavailable`], [`ErrorKind::Timeout`]), or another writer
//! changed the claim first (`store.conflict`, `service.contended`). Every other error is
//! refused again until the input or the claim changes. [`Claims`](crate::service::Claims)
//! already retries `store.conflict` itself, a bounded number of times, before it answers
//! `service.contended`.
//!
//! A [`ServiceError`] that wraps another error ([`ServiceError::Association`],
//! [`ServiceError::Activity`], [`ServiceError::Store`]) has that error's code, kind and
//! retryability. A [`ClaimBytesError::Inconsistent`](crate::claim::ClaimBytesError) has the
//! code, kind and retryability of its [`InvalidClaim`](crate::claim::InvalidClaim).
//!
//! # Error codes
//!
//! Codes are stable: a code is never reused for another meaning, and a case's code and kind
//! do not change within a major version. A test checks this table against the code.
//!
//! | Code | Kind | Retryable | Meaning |
//! |------|------|-----------|---------|
//! | `{id}.{reason}` | `invalid` | no | an identifier does not parse ([`IdError`](crate::IdError)); `{id}` and `{reason}` are listed below |
//! | `{key}.{key_reason}` | `invalid` | no | a catalog key or program year does not parse ([`KeyError`](crate::catalog::KeyError)); see below |
//! | `text.blank` | `invalid` | no | a text is empty or only whitespace |
//! | `text.too_long` | `invalid` | no | a text is longer than 4000 characters |
//! | `text.control_character` | `invalid` | no | a text has a control character other than a line break or a tab |
//! | `user_id.empty` | `invalid` | no | a user id is empty |
//! | `user_id.too_long` | `invalid` | no | a user id is longer than 256 characters |
//! | `user_id.invalid_character` | `invalid` | no | a user id has whitespace or a control character |
//! | `request_id.invalid` | `invalid` | no | a request id is not 1 to 128 letters, digits, `-`, `_`, `.` or `:` |
//! | `event_id.invalid` | `invalid` | no | an event id is not `{claim}/v{version}/{index}` |
//! | `money.empty` | `invalid` | no | a usd amount is empty |
//! | `money.invalid` | `invalid` | no | a usd amount has a character other than digits and one decimal point, or no digit beside the point |
//! | `money.too_many_decimals` | `invalid` | no | a usd amount has more than two decimals |
//! | `money.overflow` | `invalid` | no | an amount, a sum or a product is above the largest amount |
//! | `money.underflow` | `invalid` | no | a difference is below zero |
//! | `calendar.no_business_days` | `invalid` | no | a calendar's weekend covers all seven days |
//! | `catalogs.empty` | `invalid` | no | a catalog registry is made of no catalog |
//! | `catalogs.duplicate_year` | `invalid` | no | two catalogs of one program year |
//! | `catalog.invalid` | `invalid` | no | a catalog was refused; its problems have the `catalog.*` codes below |
//! | `catalog.duplicate_id` | `invalid` | no | two items of one catalog list share an id |
//! | `catalog.unknown_reference` | `invalid` | no | a catalog item refers to an id the catalog does not define |
//! | `catalog.empty_name` | `invalid` | no | a catalog item's name is blank |
//! | `catalog.role_without_engagement` | `invalid` | no | a role's engagement does not exist |
//! | `catalog.role_engagement_not_cpor` | `invalid` | no | a role's engagement is not a cpor engagement |
//! | `catalog.role_area_mismatch` | `invalid` | no | a role's solution area differs from its engagement's |
//! | `catalog.cpor_engagement_without_role` | `invalid` | no | no role maps to a cpor engagement |
//! | `catalog.engagement_without_workloads` | `invalid` | no | a cpor engagement's solution area has no workloads |
//! | `catalog.empty_workload_groups` | `invalid` | no | a workload is in no group |
//! | `catalog.workload_area_mismatch` | `invalid` | no | a workload's group is not shown by its solution area |
//! | `catalog.nonpositive_deadline` | `invalid` | no | a deadline of zero days |
//! | `catalog.deadline_order` | `invalid` | no | a review deadline before the first-submit deadline |
//! | `catalog.empty_allowed_id_kinds` | `invalid` | no | an mci engagement allows no customer id kind |
//! | `catalog.duplicate_id_kind` | `invalid` | no | an mci engagement lists a customer id kind twice |
//! | `catalog.variable_pay_not_msx_only` | `invalid` | no | a variable-pay engagement allows a kind other than msx opportunity |
//! | `catalog.fixed_pay_allows_msx` | `invalid` | no | a fixed-pay engagement allows msx opportunity ids |
//! | `catalog.zero_hourly_rate` | `invalid` | no | a variable-pay engagement's hourly rate is zero |
//! | `catalog.zero_max_hours` | `invalid` | no | a variable-pay engagement's maximum hours are zero |
//! | `catalog.zero_cap` | `invalid` | no | a variable-pay engagement's cap is zero |
//! | `catalog.zero_max_claims` | `invalid` | no | an mci engagement allows no active claim per customer |
//! | `catalog.co_op_program_conflict` | `invalid` | no | a co-op program has the name of an engagement |
//! | `form.invalid` | `invalid` | no | a form has problems; each has one of the `form.*` codes below |
//! | `form.missing` | `invalid` | no | a required field is empty |
//! | `form.invalid_id` | `invalid` | no | an identifier field does not parse |
//! | `form.invalid_text` | `invalid` | no | a text field is not acceptable text |
//! | `form.unknown` | `invalid` | no | a key the catalog does not know |
//! | `form.role_area_mismatch` | `invalid` | no | a role of another solution area |
//! | `form.workload_area_mismatch` | `invalid` | no | a workload of another solution area |
//! | `form.duplicate_workload` | `invalid` | no | a workload listed twice |
//! | `form.subscription_required` | `invalid` | no | a business applications claim without a subscription |
//! | `form.subscription_not_allowed` | `invalid` | no | a subscription on a workload claim |
//! | `form.revenue_details_required` | `invalid` | no | a revenue association claim without a revenue field |
//! | `form.opt_out_not_allowed` | `invalid` | no | an opt-out of incentive payments the engagement does not offer |
//! | `form.co_op_program` | `invalid` | no | a co-op program, claimed through the co-op claim process |
//! | `form.not_association_engagement` | `invalid` | no | an engagement that is not a customer association engagement |
//! | `form.engagement_role_mismatch` | `invalid` | no | an engagement that is not the role's |
//! | `form.csp_purchase` | `invalid` | no | products bought through csp, claimed through the csp process |
//! | `form.purchase_channel_not_allowed` | `invalid` | no | a purchase channel on a workload claim |
//! | `claim.history` | `invalid` | no | a claim's history is not a walk of the transition table |
//! | `claim.times` | `invalid` | no | a claim's times go back |
//! | `claim.fields` | `invalid` | no | a field of a claim disagrees with its history |
//! | `claim.partner` | `invalid` | no | a partner user in a claim's history acted for another location |
//! | `claim.repeated` | `invalid` | no | a workload, product or evidence reference is repeated |
//! | `claim.catalog` | `invalid` | no | a claim names what its catalog does not allow |
//! | `claim.derived` | `invalid` | no | a deadline stored in a claim is not the one its catalog computes |
//! | `claim_bytes.empty` | `invalid` | no | no bytes to decode a claim from |
//! | `claim_bytes.unknown_format` | `invalid` | no | bytes of a format this build does not read |
//! | `claim_bytes.corrupt` | `internal` | no | bytes damaged after they were written: their checksum does not match |
//! | `claim_bytes.invalid` | `invalid` | no | bytes truncated, trailing or malformed |
//! | `partner.not_enrolled` | `forbidden` | no | eligibility: the partner location is not enrolled in mci |
//! | `partner.not_eligible_for_engagement` | `forbidden` | no | eligibility: the partner location may not claim this engagement |
//! | `actor.not_incentives_admin` | `forbidden` | no | eligibility: the user is not an incentives admin |
//! | `actor.other_partner_location` | `forbidden` | no | eligibility: the user acts for another partner location |
//! | `engagement.unknown` | `invalid` | no | eligibility: the catalog has no such engagement |
//! | `engagement.not_mci` | `invalid` | no | eligibility: the engagement is not an mci engagement |
//! | `customer_id.kind_not_allowed` | `invalid` | no | eligibility: the engagement does not nominate by this kind of id |
//! | `domain.unresolved` | `invalid` | no | eligibility: the domain does not resolve to a tenant |
//! | `tenant.email_domain_mismatch_reason_required` | `invalid` | no | eligibility: the tenant does not own the email domain, and no reason is given |
//! | `customer.not_eligible` | `invalid` | no | eligibility: the customer is not eligible |
//! | `customer.cap_reached` | `conflict` | no | eligibility: the customer has the most active claims allowed |
//! | `action.use_claim` | `invalid` | no | eligibility: the customer is known, so it must be claimed, not added |
//! | `action.use_add` | `invalid` | no | eligibility: the customer is not known, so it must be added, not claimed |
//! | `claim.duplicate_open` | `conflict` | no | eligibility: the location already has an open claim for the customer |
//! | `association.not_found` | `not_found` | no | no such association claim for this actor |
//! | `association.forbidden` | `forbidden` | no | the actor may not issue the command |
//! | `association.forbidden_location` | `forbidden` | no | a resubmit to a location the user may not act for |
//! | `association.request_seen` | `conflict` | no | the history already has an entry of the request id |
//! | `association.invalid_state` | `conflict` | no | the claim's state does not allow the command |
//! | `association.invalid_form` | `invalid` | no | the form has problems |
//! | `association.poe_required` | `conflict` | no | a submit before any proof of execution is attached |
//! | `association.acknowledgement_required` | `invalid` | no | a submit without the acknowledgements |
//! | `association.not_due` | `conflict` | no | a timer command before its deadline |
//! | `association.deadline_passed` | `conflict` | no | the deadline passed: only expiry may act now |
//! | `association.already_disputed` | `conflict` | no | the claim was disputed once already |
//! | `association.not_disputable` | `conflict` | no | the rejection's reason cannot be disputed |
//! | `association.dispute_window_closed` | `conflict` | no | the dispute window closed |
//! | `association.supersede_self` | `invalid` | no | a claim named as its own superseder |
//! | `association.catalog_mismatch` | `internal` | no | the caller passed the catalog of another program year |
//! | `association.time_went_back` | `internal` | no | the time given is before the claim's last change (a clock went back) |
//! | `association.date_out_of_range` | `invalid` | no | a deadline falls outside the supported dates |
//! | `activity.not_found` | `not_found` | no | no such activity claim for this actor |
//! | `activity.request_seen` | `conflict` | no | the history already has an entry of the request id |
//! | `activity.forbidden` | `forbidden` | no | the actor may not issue the command |
//! | `activity.invalid_state` | `conflict` | no | the claim's state does not allow the command |
//! | `activity.deadline_passed` | `conflict` | no | the deadline passed: only expiry may act now |
//! | `activity.not_due` | `conflict` | no | an expiry before any deadline |
//! | `activity.evidence_missing` | `conflict` | no | a submit before the required evidence is attached |
//! | `activity.hours_immutable` | `invalid` | no | a change of the hours, which never change |
//! | `activity.deal_size_immutable` | `conflict` | no | a change of the deal size after the consent email |
//! | `activity.contacts_locked` | `conflict` | no | a change of the customer contact after the customer survey |
//! | `activity.referral_hidden` | `forbidden` | no | the referral is shown to referral admins only |
//! | `activity.referral_already_linked` | `conflict` | no | the claim already has a referral |
//! | `activity.not_eligible` | `invalid` | no | the nomination is not eligible; its reasons have the eligibility codes above |
//! | `activity.variable_pay_shape` | `invalid` | no | a variable-pay engagement claimed with others or without hours |
//! | `activity.hours_not_applicable` | `invalid` | no | hours given for fixed-pay engagements |
//! | `activity.engagement_choice` | `invalid` | no | no engagement chosen, or one twice |
//! | `activity.unknown_engagement` | `invalid` | no | not an mci engagement of the catalog |
//! | `activity.other_partner` | `forbidden` | no | a user asked for another location's data |
//! | `activity.money` | `invalid` | no | the payout could not be computed |
//! | `activity.catalog_mismatch` | `internal` | no | the caller passed the catalog of another program year |
//! | `activity.time_went_back` | `internal` | no | the time given is before the claim's last change (a clock went back) |
//! | `store.conflict` | `conflict` | yes | another writer changed the claim: reload and try again |
//! | `store.key_held` | `conflict` | no | a uniqueness key is held by another claim |
//! | `store.limit_reached` | `conflict` | no | a counted limit is reached |
//! | `store.not_found` | `not_found` | no | no such claim in the scope |
//! | `store.id_conflict` | `conflict` | no | a create with the id of another claim |
//! | `store.duplicate_write` | `invalid` | no | one claim written twice in one commit |
//! | `store.invalid_claim` | `invalid` | no | a written claim breaks an invariant or its catalog |
//! | `store.corrupt` | `internal` | no | a stored claim is damaged |
//! | `store.unavailable` | `unavailable` | yes | the back end could not be reached |
//! | `store.timeout` | `timeout` | yes | the back end took longer than its timeout |
//! | `store.backend` | `internal` | no | the back end failed |
//! | `page.cursor` | `invalid` | no | a cursor that is not a decimal number |
//! | `service.not_found` | `not_found` | no | no such claim for this actor |
//! | `service.unknown_program_year` | `internal` | no | a stored claim's program year has no catalog in the service |
//! | `service.not_a_holder` | `conflict` | no | the claim named as holder holds none of the approved claim's keys |
//! | `service.supersede_only_by_arbitration` | `invalid` | no | a supersede sent on its own |
//! | `service.request_reused` | `conflict` | no | a request id used on the claim for another input |
//! | `service.contended` | `conflict` | yes | other writers kept changing the claim |
//!
//! The parts of the identifier codes, `{id}.{reason}` (such as `tenant_id.nil`):
//!
//! - `{id}`: `tenant_id`, `azure_subscription_id`, `subscription_id`, `claim_id`, `domain`,
//!   `tpid`, `msx_opportunity_id`, `partner_id`, `email`, `email.domain`, `customer_id`,
//!   `customer_id_kind`.
//! - `{reason}`: `empty`, `too_long`, `length`, `invalid_character`, `hyphen`, `braces`,
//!   `nil`, `zero`, `non_ascii`, `ip_address`, `single_label`, `empty_label`,
//!   `label_too_long`, `label_hyphen`, `numeric_tld`, `missing_at`, `local_empty`,
//!   `local_too_long`, `local_dot`, `missing_kind`, `unknown_kind`.
//!
//! The parts of the catalog key codes, `{key}.{key_reason}` (such as `role_id.too_long`):
//!
//! - `{key}`: `solution_area_id`, `workload_id`, `workload_group_id`, `engagement_id`,
//!   `engagement_type_id`, `role_id`, `program_year`.
//! - `{key_reason}`: `empty`, `too_long`, `invalid_character`, `format`.

use std::fmt;

use serde::Serialize;

use crate::service::ServiceError;
use crate::store::StoreError;

#[cfg(test)]
mod tests;

/// What kind of failure an error is: how a service should answer it.
///
/// Every public error type of the crate has a `kind()`; its `code()` says precisely what
/// went wrong. Serialized as its snake-case name, such as `not_found`.
///
/// | Kind | HTTP status | When |
/// |------|-------------|------|
/// | [`NotFound`](Self::NotFound) | 404 Not Found | the claim does not exist, or the actor may not see it |
/// | [`Forbidden`](Self::Forbidden) | 403 Forbidden | the actor may not do this |
/// | [`Invalid`](Self::Invalid) | 422 Unprocessable Content (400 Bad Request for input that does not parse) | the input or command is malformed or breaks a rule |
/// | [`Conflict`](Self::Conflict) | 409 Conflict | the claim's state does not allow it now |
/// | [`Unavailable`](Self::Unavailable) | 503 Service Unavailable | the back end could not be reached |
/// | [`Timeout`](Self::Timeout) | 504 Gateway Timeout (or 503) | the back end took too long |
/// | [`Internal`](Self::Internal) | 500 Internal Server Error | corrupt data, a misconfiguration or a bug |
///
/// ```
/// use cpor::ErrorKind;
///
/// let err = "".parse::<cpor::TenantId>().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Invalid);
/// assert!(!err.is_retryable());
/// assert_eq!(ErrorKind::NotFound.to_string(), "not_found");
/// assert_eq!(serde_json::to_string(&ErrorKind::Timeout)?, r#""timeout""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The claim does not exist, or the actor may not see it (a claim of another partner
    /// location looks missing). HTTP 404.
    NotFound,
    /// The actor may not do this: a role or a kind of actor that the command does not admit,
    /// or a partner location the user may not act for. HTTP 403.
    Forbidden,
    /// The input or the command is malformed or breaks a rule, whatever the claim's state:
    /// an identifier or amount that does not parse, a form with problems, a command shape a
    /// rule forbids. HTTP 422, or 400 for input that does not parse.
    Invalid,
    /// The claim's state does not allow it now: a command not allowed in the state, a
    /// deadline passed or not yet due, a version conflict, a key held by another claim, a
    /// limit reached, an ID or request ID already used. HTTP 409.
    Conflict,
    /// The back end could not be reached (a connection refused or lost). HTTP 503.
    Unavailable,
    /// The back end took longer than its timeout. HTTP 504 (or 503).
    Timeout,
    /// Corrupt data, a misconfiguration (such as a missing catalog) or a bug of the caller or
    /// of the crate. HTTP 500.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order of the table above.
    pub const ALL: [Self; 7] = [
        Self::NotFound,
        Self::Forbidden,
        Self::Invalid,
        Self::Conflict,
        Self::Unavailable,
        Self::Timeout,
        Self::Internal,
    ];

    /// The snake-case name, as serialized, such as `not_found`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Invalid => "invalid",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status of the table above, as a number: 404, 403, 422, 409, 503, 504 or
    /// 500. (An `Invalid` input that does not even parse, such as malformed JSON, is better
    /// answered with 400 by the layer that parses it.)
    ///
    /// ```
    /// assert_eq!(cpor::ErrorKind::Conflict.http_status(), 409);
    /// ```
    #[must_use]
    pub const fn http_status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Forbidden => 403,
            Self::Invalid => 422,
            Self::Conflict => 409,
            Self::Unavailable => 503,
            Self::Timeout => 504,
            Self::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Whether an error of `kind` may go away on its own: the back end was unreachable or slow.
pub(crate) const fn transient(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Unavailable | ErrorKind::Timeout)
}

impl StoreError {
    /// What kind of failure this is: [`Conflict`](ErrorKind::Conflict) for a version
    /// conflict, a held key, a reached limit and a reused ID;
    /// [`NotFound`](ErrorKind::NotFound); [`Invalid`](ErrorKind::Invalid) for a claim that
    /// breaks its invariants or catalog and for a commit that writes a claim twice;
    /// [`Unavailable`](ErrorKind::Unavailable) and [`Timeout`](ErrorKind::Timeout) for the
    /// back end's; [`Internal`](ErrorKind::Internal) for a corrupt claim and any other back
    /// end failure. See the [table of codes](crate::error#error-codes).
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Conflict { .. }
            | Self::KeyHeld { .. }
            | Self::LimitReached { .. }
            | Self::IdConflict { .. } => ErrorKind::Conflict,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::DuplicateWrite { .. } | Self::Invalid(_) => ErrorKind::Invalid,
            Self::Corrupt { .. } | Self::Backend { .. } => ErrorKind::Internal,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::Timeout { .. } => ErrorKind::Timeout,
        }
    }

    /// Whether running the same action again, from loading the claim, may succeed:
    /// `true` for [`Conflict`](Self::Conflict) (another writer changed the claim; the same
    /// write with the same expected version is refused again, so reload first),
    /// [`Unavailable`](Self::Unavailable) and [`Timeout`](Self::Timeout). A retried create
    /// or command should carry its request ID, so that a retry of a write that did land is
    /// recognised.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict { .. }) || transient(self.kind())
    }
}

impl ServiceError {
    /// What kind of failure this is: for [`Association`](Self::Association),
    /// [`Activity`](Self::Activity) and [`Store`](Self::Store), the wrapped error's kind;
    /// otherwise [`NotFound`](ErrorKind::NotFound), [`Conflict`](ErrorKind::Conflict) (a
    /// holder that holds none of the keys now, a reused request ID, a contended claim),
    /// [`Invalid`](ErrorKind::Invalid) (a supersede sent alone) or
    /// [`Internal`](ErrorKind::Internal) (a stored claim's program year without a catalog).
    /// See the [table of codes](crate::error#error-codes).
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Association(e) => e.kind(),
            Self::Activity(e) => e.kind(),
            Self::Store(e) => e.kind(),
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::UnknownProgramYear { .. } => ErrorKind::Internal,
            Self::NotAHolder { .. } | Self::RequestReused { .. } | Self::Contended { .. } => {
                ErrorKind::Conflict
            }
            Self::SupersedeOnlyByArbitration { .. } => ErrorKind::Invalid,
        }
    }

    /// Whether calling the same action again may succeed: the wrapped error's for
    /// [`Association`](Self::Association), [`Activity`](Self::Activity) and
    /// [`Store`](Self::Store) (a store's conflict the service did not retry, an unavailable
    /// or slow back end), `true` for [`Contended`](Self::Contended) (the service gave up
    /// after its attempts; a later call may find the claim quiet), `false` otherwise.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        match self {
            Self::Association(e) => e.is_retryable(),
            Self::Activity(e) => e.is_retryable(),
            Self::Store(e) => e.is_retryable(),
            Self::Contended { .. } => true,
            Self::NotFound { .. }
            | Self::UnknownProgramYear { .. }
            | Self::NotAHolder { .. }
            | Self::RequestReused { .. }
            | Self::SupersedeOnlyByArbitration { .. } => false,
        }
    }
}
