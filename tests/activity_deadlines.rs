//! Property tests of the MCI deadlines (domain.md section 6.2): for every engagement type and
//! random creation, consent and review times, a claim expires exactly at its deadline.
//!
//! The day counts below are copied from domain.md's table, not taken from the code:
//!
//! | Engagement type | consent, from creation | first submit, from consent | review complete, from consent | dispute, from rejection |
//! |---|---|---|---|---|
//! | Assessment | 30 | 60 | 90 | 30 |
//! | Workshop | 30 | 90 | 120 | 30 |
//! | XS / Small project | 30 | 120 | 150 | 30 |
//! | Medium project | 30 | 200 | 230 | 30 |
//! | Large / XL / XXL project | 30 | 260 | 290 | 30 |
//!
//! and "after a dispute is submitted, one fresh 30-day window runs from that resubmission for
//! any further info requests".

mod common;

use chrono::{DateTime, Duration, Utc};
use common::mci::*;
use common::*;
use cpor::activity::{
    ActivityClaim, ActivityCommand, ActivityCommandKind, ActivityEdit, ActivityError,
    ActivityState, EvidenceKind, activity_issuer_of, activity_transition, add_customer,
};
use cpor::{Actor, CustomerId, Usd};
use proptest::prelude::*;

use ActivityCommand as C;
use ActivityState as S;

/// One engagement per type, with (first submit, review complete) days from consent.
const TYPES: [(&str, i64, i64); 5] = [
    (ASSESSMENT, 60, 90),
    (WORKSHOP, 90, 120),
    (SMALL, 120, 150),
    (MEDIUM, 200, 230),
    (LARGE, 260, 290),
];
const CONSENT_DAYS: i64 = 30;
const DISPUTE_DAYS: i64 = 30;
const POST_DISPUTE_DAYS: i64 = 30;

const DAY: i64 = 86_400;
const SECOND: Duration = Duration::seconds(1);

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

/// A fresh claim on `key`, created at `at` (as the `created` fixture, at another time).
fn created_at(key: &str, at: DateTime<Utc>) -> ActivityClaim {
    let n = if key == MEDIUM || key == LARGE {
        nomination(msx_customer(), &[key], Some(30))
    } else if key == SMALL {
        nomination(
            CustomerId::Tpid(cpor::Tpid::parse(TPID).unwrap()),
            &[key],
            None,
        )
    } else {
        nomination(tenant_customer(), &[key], None)
    };
    let mut made = add_customer(&n, &admin(), at, &catalog(), &facts(), &[]).unwrap();
    made.remove(0).claim
}

fn deal() -> ActivityCommand {
    C::SendConsent {
        estimated_deal_size: Usd::from_dollars(80_000).unwrap(),
    }
}

fn rename() -> ActivityCommand {
    C::Edit {
        changes: ActivityEdit {
            name: Some(text("renamed")),
            ..ActivityEdit::default()
        },
    }
}

fn poe() -> ActivityCommand {
    C::AddEvidence {
        kind: EvidenceKind::Poe,
        reference: text("poe-extra.pdf"),
    }
}

fn info() -> ActivityCommand {
    C::RequestInfo {
        reason: text("add the invoice date"),
    }
}

/// One command of each kind.
fn every_command() -> Vec<ActivityCommand> {
    vec![
        deal(),
        C::ResendConsent,
        C::AcceptConsent,
        C::DeclineConsent,
        rename(),
        poe(),
        C::Submit,
        C::Cancel,
        C::StartReview,
        info(),
        C::Resubmit,
        C::Approve,
        C::Reject { reason: text("no") },
        C::MarkPaid,
        C::Dispute {
            reason: text("yes"),
        },
        C::Expire,
        C::LinkReferral {
            referral: text("ref"),
        },
    ]
}

/// An actor that may issue `kind`.
fn issuer(kind: ActivityCommandKind, claim: &ActivityClaim) -> Actor {
    use cpor::activity::ActivityIssuer as I;
    match activity_issuer_of(kind) {
        I::IncentivesAdmin | I::PartnerUser => admin(),
        I::Reviewer => reviewer(),
        I::Customer => Actor::customer(claim.customer().clone()),
        I::System => Actor::System,
    }
}

/// Every piece of required evidence, added at `at`.
fn with_evidence(mut claim: ActivityClaim, at: DateTime<Utc>) -> ActivityClaim {
    for kind in claim.missing_evidence(&catalog()) {
        claim = act(
            &claim,
            C::AddEvidence {
                kind,
                reference: text(&format!("{kind}.pdf")),
            },
            &admin(),
            at,
        );
    }
    claim
}

/// Checks that `claim` expires exactly at `deadline` into `expired`:
///
/// - one second before, `expire` does nothing, `Expire` is not due, and each of `others`
///   (command, actor, state after) is still accepted;
/// - at the deadline and `later` after it, `expire` gives `expired`, and every other command the
///   table allows in this state is refused with `activity.deadline_passed`;
/// - the expired claim then refuses every command of every actor, at any later time.
fn expires_exactly_at(
    claim: &ActivityClaim,
    deadline: DateTime<Utc>,
    expired: ActivityState,
    others: &[(ActivityCommand, Actor, ActivityState)],
    later: Duration,
) -> Result<(), TestCaseError> {
    let catalog = catalog();
    let facts = facts();
    let state = claim.state();
    prop_assert_eq!(claim.next_deadline(), Some(deadline), "{}", state);

    // One second before.
    let before = deadline - SECOND;
    prop_assert!(claim.expire(before, &catalog, &facts).unwrap().is_none());
    let err = claim
        .transition(&C::Expire, &Actor::System, before, &catalog, &facts)
        .unwrap_err();
    prop_assert_eq!(err.code(), "activity.not_due");
    prop_assert_eq!(
        err,
        ActivityError::NotDue {
            due: Some(deadline)
        }
    );
    for (command, actor, to) in others {
        let result = claim.transition(command, actor, before, &catalog, &facts);
        prop_assert!(
            result.is_ok(),
            "{:?} in {} one second before the deadline: {:?}",
            command,
            state,
            result
        );
        prop_assert_eq!(result.unwrap().claim.state(), *to);
    }

    // At the deadline, and any time after it while the timer has not run.
    for now in [deadline, deadline + later] {
        let t = claim.expire(now, &catalog, &facts).unwrap();
        prop_assert!(t.is_some(), "{} did not expire at {}", state, now);
        let t = t.unwrap();
        prop_assert_eq!(t.claim.state(), expired);
        let entry = t.claim.history().last().unwrap();
        prop_assert_eq!(
            (entry.command, entry.from, entry.to, entry.at),
            (ActivityCommandKind::Expire, Some(state), expired, now)
        );
        prop_assert_eq!(&entry.actor, &Actor::System);
        for command in every_command() {
            let kind = command.kind();
            if kind == ActivityCommandKind::Expire
                || activity_transition(state, kind, claim.is_disputed()).is_none()
            {
                continue;
            }
            let err = claim
                .transition(&command, &issuer(kind, claim), now, &catalog, &facts)
                .unwrap_err();
            prop_assert_eq!(
                err.code(),
                "activity.deadline_passed",
                "{} in {}",
                kind,
                state
            );
            prop_assert_eq!(err, ActivityError::DeadlinePassed { deadline });
        }
    }

    // No reactivation: the expired claim refuses everything, at any later time.
    let gone = claim
        .expire(deadline, &catalog, &facts)
        .unwrap()
        .unwrap()
        .claim;
    prop_assert!(gone.state().is_expired());
    prop_assert_eq!(gone.next_deadline(), None);
    for now in [deadline, deadline + later] {
        prop_assert!(gone.expire(now, &catalog, &facts).unwrap().is_none());
        for command in every_command() {
            for actor in all_actors() {
                let result = gone.transition(&command, &actor, now, &catalog, &facts);
                let code = result.as_ref().map_err(ActivityError::code).unwrap_err();
                prop_assert!(
                    matches!(
                        code,
                        "activity.not_found" | "activity.forbidden" | "activity.invalid_state"
                    ),
                    "{:?} by {:?} on an expired claim: {}",
                    command,
                    actor,
                    code
                );
            }
        }
    }
    Ok(())
}

/// A claim on `key` created at `created`, consent email at `created + send`, consent at
/// `created + send + accept`. Returns it and the consent time.
fn consented(
    key: &str,
    created: DateTime<Utc>,
    send: i64,
    accept: i64,
) -> (ActivityClaim, DateTime<Utc>) {
    let c = created_at(key, created);
    let c = act(&c, deal(), &admin(), created + secs(send));
    let consent = created + secs(send + accept);
    let customer = Actor::customer(c.customer().clone());
    let c = act(&c, C::AcceptConsent, &customer, consent);
    (c, consent)
}

/// Up to ten years after `t0()`, in seconds.
fn creation() -> impl Strategy<Value = DateTime<Utc>> {
    (0..10 * 365 * DAY).prop_map(|s| t0() + secs(s))
}

/// A send delay and an accept delay that together stay inside the consent window.
fn consent_delays() -> impl Strategy<Value = (i64, i64)> {
    (0..CONSENT_DAYS * DAY - 1).prop_flat_map(|send| (Just(send), 0..CONSENT_DAYS * DAY - 1 - send))
}

/// How long after the deadline the later checks run: up to 1,000 days.
fn later() -> impl Strategy<Value = Duration> {
    (0..1_000 * DAY).prop_map(secs)
}

proptest! {
    #![proptest_config(proptest_config(500, "proptest-regressions/activity_deadlines.txt"))]

    #[test]
    fn consent_expires_exactly_30_days_after_creation(
        created in creation(),
        send in 0..CONSENT_DAYS * DAY - 1,
        later in later(),
    ) {
        for (key, _, _) in TYPES {
            let deadline = created + Duration::days(CONSENT_DAYS);
            let claimed = created_at(key, created);
            expires_exactly_at(
                &claimed,
                deadline,
                S::ConsentExpired,
                &[
                    (deal(), admin(), S::AwaitingConsent),
                    (rename(), admin(), S::CustomerClaimed),
                    (C::Cancel, admin(), S::Canceled),
                ],
                later,
            )?;
            // Sending the email does not move the window: it still runs from creation.
            let awaiting = act(&claimed, deal(), &admin(), created + secs(send));
            expires_exactly_at(
                &awaiting,
                deadline,
                S::ConsentExpired,
                &[
                    (
                        C::AcceptConsent,
                        Actor::customer(awaiting.customer().clone()),
                        S::ConsentReceived,
                    ),
                    (
                        C::DeclineConsent,
                        Actor::customer(awaiting.customer().clone()),
                        S::ConsentDeclined,
                    ),
                    (C::ResendConsent, incentives_user(), S::AwaitingConsent),
                    (C::Cancel, admin(), S::Canceled),
                ],
                later,
            )?;
        }
    }

    #[test]
    fn first_submit_expires_exactly_n_days_after_consent(
        created in creation(),
        (send, accept) in consent_delays(),
        later in later(),
    ) {
        for (key, first_submit, _) in TYPES {
            let (c, consent) = consented(key, created, send, accept);
            let c = with_evidence(c, consent);
            expires_exactly_at(
                &c,
                consent + Duration::days(first_submit),
                S::NotSubmittedExpired,
                &[
                    (C::Submit, admin(), S::Submitted),
                    (poe(), incentives_user(), S::ConsentReceived),
                    (C::Cancel, admin(), S::Canceled),
                ],
                later,
            )?;
        }
    }

    #[test]
    fn an_info_request_expires_at_the_review_deadline_from_consent(
        created in creation(),
        (send, accept) in consent_delays(),
        submit_raw in any::<u32>(),
        ask_raw in any::<u32>(),
        later in later(),
    ) {
        for (key, first_submit, review) in TYPES {
            let (c, consent) = consented(key, created, send, accept);
            let c = with_evidence(c, consent);
            // Submitted within the first-submit window, reviewed at once, and information
            // asked for before the review deadline.
            let submit = i64::from(submit_raw) % (first_submit * DAY - 1);
            let ask = submit + i64::from(ask_raw) % (review * DAY - 1 - submit);
            let c = act(&c, C::Submit, &admin(), consent + secs(submit));
            let c = act(&c, C::StartReview, &reviewer(), consent + secs(submit));
            let c = act(&c, info(), &reviewer(), consent + secs(ask));
            expires_exactly_at(
                &c,
                consent + Duration::days(review),
                S::PostSubmissionExpired,
                &[
                    (C::Resubmit, admin(), S::Submitted),
                    (poe(), incentives_user(), S::PartnerActionRequired),
                    (rename(), admin(), S::PartnerActionRequired),
                ],
                later,
            )?;
        }
    }

    #[test]
    fn a_rejection_expires_30_days_after_it_disputed_or_not(
        created in creation(),
        (send, accept) in consent_delays(),
        reject_after in 0..400 * DAY,
        dispute_after in 0..DISPUTE_DAYS * DAY - 1,
        later in later(),
    ) {
        for (key, _, _) in TYPES {
            let (c, consent) = consented(key, created, send, accept);
            let c = with_evidence(c, consent);
            let c = act(&c, C::Submit, &admin(), consent);
            let c = act(&c, C::StartReview, &reviewer(), consent);
            let rejected_at = consent + secs(reject_after);
            let rejected = act(
                &c,
                C::Reject { reason: text("unsigned") },
                &reviewer(),
                rejected_at,
            );
            let deadline = rejected_at + Duration::days(DISPUTE_DAYS);
            let dispute = C::Dispute { reason: text("signed") };
            expires_exactly_at(
                &rejected,
                deadline,
                S::DisputedExpired,
                &[(dispute.clone(), admin(), S::Disputed)],
                later,
            )?;
            // Disputing does not move the window: the resubmission is due within it too.
            let disputed = act(&rejected, dispute, &admin(), rejected_at + secs(dispute_after));
            expires_exactly_at(
                &disputed,
                deadline,
                S::DisputedExpired,
                &[
                    (C::Resubmit, admin(), S::Submitted),
                    (poe(), incentives_user(), S::Disputed),
                    (rename(), admin(), S::Disputed),
                ],
                later,
            )?;
        }
    }

    #[test]
    fn after_a_dispute_one_fresh_30_day_window_runs_from_the_resubmission(
        created in creation(),
        (send, accept) in consent_delays(),
        reject_after in 0..400 * DAY,
        resubmit_after in 0..DISPUTE_DAYS * DAY - 1,
        ask_raw in any::<u32>(),
        again_raw in any::<u32>(),
        later in later(),
    ) {
        for (key, _, _) in TYPES {
            let (c, consent) = consented(key, created, send, accept);
            let c = with_evidence(c, consent);
            let c = act(&c, C::Submit, &admin(), consent);
            let c = act(&c, C::StartReview, &reviewer(), consent);
            let rejected_at = consent + secs(reject_after);
            let c = act(&c, C::Reject { reason: text("unsigned") }, &reviewer(), rejected_at);
            let c = act(&c, C::Dispute { reason: text("signed") }, &admin(), rejected_at);
            let resubmitted_at = rejected_at + secs(resubmit_after);
            let c = act(&c, C::Resubmit, &admin(), resubmitted_at);
            let window = POST_DISPUTE_DAYS * DAY;
            let ask = i64::from(ask_raw) % (window - 1);
            let c = act(&c, C::StartReview, &reviewer(), resubmitted_at + secs(ask));
            let c = act(&c, info(), &reviewer(), resubmitted_at + secs(ask));
            let deadline = resubmitted_at + Duration::days(POST_DISPUTE_DAYS);
            let answers = [
                (C::Resubmit, admin(), S::Submitted),
                (poe(), incentives_user(), S::PartnerActionRequired),
            ];
            expires_exactly_at(&c, deadline, S::PostSubmissionExpired, &answers, later)?;
            // A second info request in the same review gets no new window.
            let again = ask + i64::from(again_raw) % (window - 1 - ask);
            let c = act(&c, C::Resubmit, &admin(), resubmitted_at + secs(again));
            let c = act(&c, C::StartReview, &reviewer(), resubmitted_at + secs(again));
            let c = act(&c, info(), &reviewer(), resubmitted_at + secs(again));
            expires_exactly_at(&c, deadline, S::PostSubmissionExpired, &answers, later)?;
        }
    }
}

/// The table above, checked once against the built-in catalog's data too.
#[test]
fn the_catalog_has_the_documented_day_counts() {
    let catalog = catalog();
    for (key, first_submit, review) in TYPES {
        let d = catalog.mci_deadlines(&engagement(key)).unwrap();
        assert_eq!(
            (
                i64::from(d.consent_days),
                i64::from(d.first_submit_days),
                i64::from(d.review_days),
                i64::from(d.dispute_days),
                i64::from(d.post_dispute_days),
            ),
            (
                CONSENT_DAYS,
                first_submit,
                review,
                DISPUTE_DAYS,
                POST_DISPUTE_DAYS
            ),
            "{key}"
        );
    }
}

/// The fixture's claims expire where the table says, from `t0()`.
#[test]
fn the_fixture_expiries_fall_on_the_documented_days() {
    for (key, first_submit, review) in TYPES {
        let (c, at) = activity_in(key, S::ConsentExpired);
        assert_eq!(at, t0() + Duration::days(CONSENT_DAYS), "{key}");
        assert_eq!(c.history().last().unwrap().at, at);
        let (c, _) = activity_in(key, S::ConsentReceived);
        let consent = c.consented_at().unwrap();
        let (_, at) = activity_in(key, S::NotSubmittedExpired);
        assert_eq!(at, consent + Duration::days(first_submit), "{key}");
        let (_, at) = activity_in(key, S::PostSubmissionExpired);
        assert_eq!(at, consent + Duration::days(review), "{key}");
        let (rejected, rejected_at) = activity_in(key, S::Rejected);
        assert_eq!(
            rejected.next_deadline(),
            Some(rejected_at + Duration::days(DISPUTE_DAYS))
        );
        let (_, at) = activity_in(key, S::DisputedExpired);
        assert_eq!(at, rejected_at + Duration::days(DISPUTE_DAYS), "{key}");
    }
}
