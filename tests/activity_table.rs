//! The exhaustive table test of partner-activity claims: every (state, command, actor) triple
//! either follows `ACTIVITY_TRANSITIONS` to its target state, or is refused with the expected
//! error and leaves the claim exactly as it was.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use common::mci::*;
use common::*;
use cpor::activity::{
    ACTIVITY_TRANSITIONS, ActivityClaim, ActivityCommand, ActivityCommandKind, ActivityEdit,
    ActivityEvent, ActivityIssuer, ActivityState, Condition, EvidenceKind, activity_issuer_of,
    activity_transition,
};
use cpor::{Actor, ActorKind, PartnerUserRole, Usd, UserRoles};

/// The engagement the table is exercised on: fixed pay, with a customer survey.
const KEY: &str = WORKSHOP;

/// One command of each kind, with data that passes its guards where the table allows it.
fn command_of(kind: ActivityCommandKind) -> ActivityCommand {
    use ActivityCommand as C;
    use ActivityCommandKind as K;
    match kind {
        K::SendConsent => C::SendConsent {
            estimated_deal_size: Usd::from_dollars(120_000).unwrap(),
        },
        K::ResendConsent => C::ResendConsent,
        K::AcceptConsent => C::AcceptConsent,
        K::DeclineConsent => C::DeclineConsent,
        // A name change only: contacts lock once the survey is in, so they are left alone.
        K::Edit => C::Edit {
            changes: ActivityEdit {
                name: Some(text("Contoso threat protection")),
                ..ActivityEdit::default()
            },
        },
        K::AddEvidence => C::AddEvidence {
            kind: EvidenceKind::Poe,
            reference: text("poe-v2.pdf"),
        },
        K::Submit => C::Submit,
        K::Cancel => C::Cancel,
        K::StartReview => C::StartReview,
        K::RequestInfo => C::RequestInfo {
            reason: text("add the attendee list"),
        },
        K::Resubmit => C::Resubmit,
        K::Approve => C::Approve,
        K::Reject => C::Reject {
            reason: text("the poe is unsigned"),
        },
        K::MarkPaid => C::MarkPaid,
        K::Dispute => C::Dispute {
            reason: text("the poe is signed"),
        },
        K::Expire => C::Expire,
        K::LinkReferral => C::LinkReferral {
            referral: text("https://partner.microsoft.com/referrals/42"),
        },
        other => panic!("no command for {other:?}"),
    }
}

/// A partner user of `partner()` with the Referral admin role only.
fn referral_admin_only() -> Actor {
    Actor::partner(
        partner(),
        user("referrals@fabrikam.com"),
        UserRoles::of([PartnerUserRole::ReferralAdmin]),
    )
}

fn actors() -> Vec<Actor> {
    let mut actors = all_actors();
    actors.push(referral_admin_only());
    actors
}

/// The claims the table is run on: one per state (with complete evidence where a submit may
/// come), plus an under-review claim that was disputed before, for the `reject` condition.
fn subjects() -> Vec<(String, ActivityClaim, DateTime<Utc>)> {
    let mut subjects = Vec::new();
    for state in ActivityState::ALL {
        let (claim, at) = activity_in(KEY, state);
        let (claim, at) = if state == ActivityState::ConsentReceived {
            with_all_evidence(claim, at)
        } else {
            (claim, at)
        };
        assert!(
            !state.is_before_first_submit() || !claim.was_submitted(),
            "{state}"
        );
        subjects.push((state.to_string(), claim, at));
    }
    let (disputed, mut at) = activity_in(KEY, ActivityState::Disputed);
    at += Duration::hours(1);
    let resubmitted = act(&disputed, ActivityCommand::Resubmit, &admin(), at);
    at += Duration::hours(1);
    let under_review = act(&resubmitted, ActivityCommand::StartReview, &reviewer(), at);
    assert_eq!(under_review.state(), ActivityState::UnderReview);
    assert!(under_review.is_disputed());
    subjects.push(("under_review (disputed)".into(), under_review, at));
    subjects
}

#[test]
fn every_state_command_actor_triple_follows_the_table() {
    let catalog = catalog();
    let facts = facts();
    let mut exercised = BTreeSet::new();
    let mut accepted = 0;
    let mut refused = 0;
    let subjects = subjects();
    for (name, before, at) in &subjects {
        let state = before.state();
        for kind in ActivityCommandKind::COMMANDS {
            let command = command_of(kind);
            // The timer acts at the exact deadline; everything else an hour after the last step.
            let now = match (kind, before.next_deadline()) {
                (ActivityCommandKind::Expire, Some(due)) => due,
                _ => *at + Duration::hours(1),
            };
            for actor in actors() {
                let case = format!("{name} / {kind} / {:?}", actor.kind());
                let result = before.transition(&command, &actor, now, &catalog, &facts);
                let row = activity_transition(state, kind, before.is_disputed());
                let expected = if actor.partner_id().is_some_and(|p| p != partner()) {
                    Err("activity.not_found")
                } else if !activity_issuer_of(kind).admits(actor.kind()) {
                    Err("activity.forbidden")
                } else if let Some(row) = row {
                    Ok(row.to)
                } else {
                    Err("activity.invalid_state")
                };
                match (expected, result) {
                    (Ok(to), Ok(t)) => {
                        accepted += 1;
                        let index = ACTIVITY_TRANSITIONS
                            .iter()
                            .position(|r| Some(r) == row)
                            .unwrap();
                        exercised.insert(index);
                        assert_eq!(t.claim.state(), to, "{case}");
                        assert_eq!(
                            t.claim.history().len(),
                            before.history().len() + 1,
                            "{case}"
                        );
                        let entry = t.claim.history().last().unwrap();
                        assert_eq!(
                            (entry.command, entry.from, entry.to, entry.at),
                            (kind, Some(state), to, now),
                            "{case}"
                        );
                        assert_eq!(entry.actor, actor, "{case}");
                        assert_eq!(
                            t.events.last(),
                            Some(&ActivityEvent::Transitioned {
                                command: kind,
                                from: Some(state),
                                to,
                            }),
                            "{case}"
                        );
                        // The in-place path agrees with the pure one.
                        let mut copy = before.clone();
                        let events = copy.apply(&command, &actor, now, &catalog, &facts);
                        assert_eq!(events.as_ref(), Ok(&t.events), "{case}");
                        assert_eq!(copy, t.claim, "{case}");
                    }
                    (Err(code), Err(err)) => {
                        refused += 1;
                        assert_eq!(err.code(), code, "{case}: {err}");
                        let mut copy = before.clone();
                        let again = copy.apply(&command, &actor, now, &catalog, &facts);
                        assert_eq!(again, Err(err), "{case}");
                        assert_eq!(copy, *before, "{case}: a refused command changed the claim");
                    }
                    (expected, result) => panic!("{case}: expected {expected:?}, got {result:?}"),
                }
            }
        }
    }
    let missed: Vec<_> = (0..ACTIVITY_TRANSITIONS.len())
        .filter(|i| !exercised.contains(i))
        .map(|i| ACTIVITY_TRANSITIONS[i])
        .collect();
    assert!(missed.is_empty(), "rows never exercised: {missed:?}");
    assert_eq!(
        accepted + refused,
        subjects.len() * ActivityCommandKind::COMMANDS.len() * actors().len()
    );
    // Each row once per admitted actor, plus the under-review rows again on the disputed claim
    // (request_info, approve, and the disputed reject instead of the plain one).
    let per_row = |issuer: ActivityIssuer| {
        actors()
            .iter()
            .filter(|a| a.partner_id().is_none_or(|p| p == partner()))
            .filter(|a| issuer.admits(a.kind()))
            .count()
    };
    let expected: usize = ACTIVITY_TRANSITIONS
        .iter()
        .map(|r| per_row(r.issuer))
        .sum::<usize>()
        + 2;
    assert_eq!(accepted, expected);
}

#[test]
fn reject_depends_on_whether_the_claim_was_disputed() {
    let rows: Vec<_> = ACTIVITY_TRANSITIONS
        .iter()
        .filter(|r| r.command == ActivityCommandKind::Reject)
        .map(|r| (r.from, r.condition, r.to))
        .collect();
    assert_eq!(
        rows,
        [
            (
                ActivityState::UnderReview,
                Condition::NotDisputed,
                ActivityState::Rejected
            ),
            (
                ActivityState::UnderReview,
                Condition::Disputed,
                ActivityState::RejectedFinal
            ),
        ]
    );
    let find = |disputed| {
        activity_transition(
            ActivityState::UnderReview,
            ActivityCommandKind::Reject,
            disputed,
        )
        .map(|t| t.to)
    };
    assert_eq!(find(false), Some(ActivityState::Rejected));
    assert_eq!(find(true), Some(ActivityState::RejectedFinal));
    // Every other row holds always, and no (state, command) pair has two unconditional rows.
    for (i, a) in ACTIVITY_TRANSITIONS.iter().enumerate() {
        if a.command != ActivityCommandKind::Reject {
            assert_eq!(a.condition, Condition::Always, "{a:?}");
        }
        for b in &ACTIVITY_TRANSITIONS[i + 1..] {
            assert!(
                (a.from, a.command) != (b.from, b.command) || a.condition != b.condition,
                "{a:?} and {b:?}"
            );
        }
    }
}

#[test]
fn the_table_gives_every_command_one_issuer() {
    for row in ACTIVITY_TRANSITIONS {
        assert_eq!(activity_issuer_of(row.command), row.issuer, "{row:?}");
    }
    for kind in ActivityCommandKind::COMMANDS {
        assert!(
            ACTIVITY_TRANSITIONS.iter().any(|t| t.command == kind),
            "{kind} is never allowed"
        );
    }
    // Section 7, by actor kind: the commands each may issue.
    let may = |kind: ActorKind| -> Vec<&str> {
        ActivityCommandKind::COMMANDS
            .into_iter()
            .filter(|c| activity_issuer_of(*c).admits(kind))
            .map(ActivityCommandKind::as_str)
            .collect()
    };
    assert_eq!(
        may(ActorKind::IncentivesAdmin),
        [
            "send_consent",
            "resend_consent",
            "edit",
            "add_evidence",
            "submit",
            "cancel",
            "resubmit",
            "dispute"
        ]
    );
    assert_eq!(
        may(ActorKind::IncentivesUser),
        ["send_consent", "resend_consent", "add_evidence"]
    );
    assert!(may(ActorKind::OtherPartnerUser).is_empty());
    assert_eq!(
        may(ActorKind::Reviewer),
        [
            "start_review",
            "request_info",
            "approve",
            "reject",
            "mark_paid"
        ]
    );
    assert_eq!(
        may(ActorKind::Customer),
        ["accept_consent", "decline_consent"]
    );
    assert_eq!(may(ActorKind::System), ["expire", "link_referral"]);
}

#[test]
fn terminal_states_have_no_way_out_and_others_have_one() {
    for row in ACTIVITY_TRANSITIONS {
        assert!(!row.from.is_terminal(), "{row:?}");
    }
    let terminal: Vec<_> = ActivityState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [
            ActivityState::ConsentDeclined,
            ActivityState::ConsentExpired,
            ActivityState::Canceled,
            ActivityState::NotSubmittedExpired,
            ActivityState::PostSubmissionExpired,
            ActivityState::Completed,
            ActivityState::DisputedExpired,
            ActivityState::RejectedFinal,
        ]
    );
    for state in ActivityState::ALL.into_iter().filter(|s| !s.is_terminal()) {
        assert!(
            ACTIVITY_TRANSITIONS
                .iter()
                .any(|t| t.from == state && t.to != state),
            "{state} is a dead end"
        );
    }
    // Every expiry leads to an expired state, and only expiries do.
    for row in ACTIVITY_TRANSITIONS {
        assert_eq!(
            row.command == ActivityCommandKind::Expire,
            row.to.is_expired(),
            "{row:?}"
        );
    }
    // Cancel only before the first submission (section 6.2).
    let cancel_from: Vec<_> = ACTIVITY_TRANSITIONS
        .iter()
        .filter(|r| r.command == ActivityCommandKind::Cancel)
        .map(|r| r.from)
        .collect();
    assert_eq!(
        cancel_from,
        [
            ActivityState::CustomerClaimed,
            ActivityState::AwaitingConsent,
            ActivityState::ConsentReceived
        ]
    );
    assert!(cancel_from.iter().all(|s| s.is_before_first_submit()));
}

#[test]
fn the_timer_has_a_deadline_exactly_where_the_table_has_an_expiry() {
    for state in ActivityState::ALL {
        let (claim, _) = activity_in(KEY, state);
        let expires = ACTIVITY_TRANSITIONS
            .iter()
            .any(|r| r.from == state && r.command == ActivityCommandKind::Expire);
        assert_eq!(claim.next_deadline().is_some(), expires, "{state}");
    }
}

fn doc_rows(source: &str) -> Vec<&str> {
    source
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("/// | ") && !l.contains("| From |") && !l.contains("---"))
        .collect()
}

fn snake<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_rustdoc_table_matches_the_transitions() {
    let rows = doc_rows(include_str!("../src/activity/state.rs"));
    assert_eq!(
        rows.len(),
        ACTIVITY_TRANSITIONS.len(),
        "the rustdoc table and ACTIVITY_TRANSITIONS differ in length"
    );
    for t in ACTIVITY_TRANSITIONS {
        let row = format!(
            "/// | {} | {} | {} | {} | {} |",
            t.from,
            t.command,
            snake(t.issuer),
            snake(t.condition),
            t.to
        );
        assert!(
            rows.contains(&row.as_str()),
            "missing from the rustdoc table: {row}"
        );
    }
}

/// The arrows of the guide's state diagram (`docs/diagrams/activity.dot`): (from, to, the
/// commands of its label), without the start point.
fn arrows(dot: &str) -> Vec<(String, String, Vec<String>)> {
    dot.lines()
        .filter_map(|l| {
            let (from, rest) = l.trim().split_once(" -> ")?;
            let (to, rest) = rest.split_once(" [label=\"")?;
            let (label, _) = rest.split_once('"')?;
            let commands = label
                .split("\\n")
                .filter_map(|line| line.split([' ', ',']).next())
                .map(str::to_owned)
                .collect();
            (from != "start").then(|| (from.to_owned(), to.to_owned(), commands))
        })
        .collect()
}

#[test]
fn the_state_diagram_matches_the_transitions() {
    let arrows = arrows(include_str!("../docs/diagrams/activity.dot"));
    assert!(arrows.len() >= 20, "the diagram was not found: {arrows:?}");
    for t in ACTIVITY_TRANSITIONS {
        let (from, to) = (t.from.to_string(), t.to.to_string());
        assert!(
            arrows.iter().any(|(f, g, commands)| *f == from
                && *g == to
                && commands.iter().any(|c| c == t.command.as_str())),
            "missing from the state diagram: {from} -> {to}: {}",
            t.command
        );
    }
    // And the other way: every arrow of the diagram is a row of the table.
    for (from, to, commands) in &arrows {
        for command in commands {
            assert!(
                ACTIVITY_TRANSITIONS
                    .iter()
                    .any(|t| t.from.to_string() == *from
                        && t.to.to_string() == *to
                        && t.command.as_str() == command),
                "the diagram has {from} -> {to}: {command}, which the table has not"
            );
        }
    }
}
