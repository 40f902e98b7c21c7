//! The exhaustive table test: every (state, command, actor) triple either follows the
//! transition table to its target state, or is refused with the expected error and leaves the
//! claim exactly as it was.

mod common;

use common::*;
use cpor::ActorKind;
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationState,
    CommandKind, InfoRequestReason, ResubmitForm, ReviewRejection, TRANSITIONS, issuer_of,
    transition,
};

/// One command of each kind, with data that passes its guards where the table allows it.
fn command_of(kind: CommandKind) -> AssociationCommand {
    use AssociationCommand as C;
    match kind {
        CommandKind::EditDraft => C::EditDraft { form: mws_form() },
        CommandKind::AttachPoe => C::AttachPoe {
            reference: text("poe-2.pdf"),
        },
        CommandKind::Submit => C::Submit {
            acknowledgement: Acknowledgement::Given,
        },
        CommandKind::Withdraw => C::Withdraw,
        CommandKind::StartReview => C::StartReview,
        CommandKind::RequestInfo => C::RequestInfo {
            reason: InfoRequestReason::MissingProducts,
        },
        CommandKind::Approve => C::Approve {
            arbitration: Arbitration::None,
        },
        CommandKind::Reject => C::Reject {
            reason: ReviewRejection::PartnerRequest,
        },
        CommandKind::Resubmit => C::Resubmit {
            changes: ResubmitForm::default(),
        },
        CommandKind::Expire => C::Expire,
        CommandKind::Decline => C::Decline,
        CommandKind::Disassociate => C::Disassociate {
            reason: text("project ended"),
        },
        CommandKind::Supersede => C::Supersede { by: claim_id(99) },
        CommandKind::Dispute => C::Dispute {
            reason: text("the sow is signed"),
        },
        CommandKind::ApproveDispute => C::ApproveDispute,
        CommandKind::RejectDispute => C::RejectDispute,
        other => panic!("no command for {other:?}"),
    }
}

/// A claim in `state` whose guards are met for every allowed command: a draft has its PoE.
fn subject(state: AssociationState) -> (AssociationClaim, chrono::DateTime<chrono::Utc>) {
    let (claim, at) = claim_in(state);
    if state == AssociationState::Draft {
        let at = at + chrono::Duration::hours(1);
        let claim = step(
            &claim,
            AssociationCommand::AttachPoe {
                reference: text("sow.pdf"),
            },
            &admin(),
            at,
        );
        return (claim, at);
    }
    (claim, at)
}

#[test]
fn every_state_command_actor_triple_follows_the_table() {
    let catalog = catalog();
    let mut accepted = 0;
    let mut refused = 0;
    for state in AssociationState::ALL {
        let (before, at) = subject(state);
        for kind in CommandKind::COMMANDS {
            let command = command_of(kind);
            // The timer needs its deadline to have passed; everything else happens an hour on.
            let now = if kind == CommandKind::Expire {
                at + days(30)
            } else {
                at + chrono::Duration::hours(1)
            };
            for actor in all_actors() {
                let result = before.transition(&command, &actor, now, &catalog);
                let expected = if actor.partner_id().is_some_and(|p| p != partner()) {
                    Err("association.not_found")
                } else if !issuer_of(kind).admits(actor.kind()) {
                    Err("association.forbidden")
                } else if let Some(t) = transition(state, kind) {
                    Ok(t.to)
                } else {
                    Err("association.invalid_state")
                };
                let case = format!("{state} / {kind} / {:?}", actor.kind());
                match (expected, result) {
                    (Ok(to), Ok(t)) => {
                        accepted += 1;
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
                    }
                    (Err(code), Err(err)) => {
                        refused += 1;
                        assert_eq!(err.code(), code, "{case}: {err}");
                        // `transition` takes `&self`; `apply` is the in-place path: it must
                        // leave the claim equal too.
                        let mut copy = before.clone();
                        assert!(
                            copy.apply(&command, &actor, now, &catalog).is_err(),
                            "{case}"
                        );
                        assert_eq!(copy, before, "{case}: a refused command changed the claim");
                    }
                    (expected, result) => panic!("{case}: expected {expected:?}, got {result:?}"),
                }
            }
        }
    }
    assert_eq!(
        accepted,
        TRANSITIONS.len(),
        "every table row was exercised once"
    );
    assert_eq!(
        accepted + refused,
        AssociationState::ALL.len() * CommandKind::COMMANDS.len() * all_actors().len()
    );
}

#[test]
fn the_table_gives_every_command_one_issuer() {
    for row in TRANSITIONS {
        assert_eq!(issuer_of(row.command), row.issuer, "{row:?}");
    }
    for kind in CommandKind::COMMANDS {
        assert!(
            TRANSITIONS.iter().any(|t| t.command == kind),
            "{kind} is never allowed"
        );
    }
}

#[test]
fn terminal_states_have_no_way_out() {
    for row in TRANSITIONS {
        assert!(!row.from.is_terminal(), "{row:?}");
    }
    for state in AssociationState::ALL
        .into_iter()
        .filter(|s| !s.is_terminal())
    {
        assert!(
            TRANSITIONS.iter().any(|t| t.from == state),
            "{state} is a dead end"
        );
    }
}

#[test]
fn the_docs_show_the_same_table() {
    let state_rs = include_str!("../src/association/state.rs");
    let dot = include_str!("../docs/diagrams/association.dot");
    let rows: Vec<&str> = state_rs
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("/// | ") && !l.contains("From") && !l.contains("---"))
        .collect();
    assert_eq!(
        rows.len(),
        TRANSITIONS.len(),
        "the rustdoc table and TRANSITIONS differ in length"
    );
    for t in TRANSITIONS {
        let issuer = serde_json::to_value(t.issuer).unwrap();
        let row = format!(
            "/// | {} | {} | {} | {} |",
            t.from,
            t.command,
            issuer.as_str().unwrap(),
            t.to
        );
        assert!(
            rows.contains(&row.as_str()),
            "missing from the rustdoc table: {row}"
        );
        // The guide's state diagram has an arrow for it, labelled with the command.
        let arrow = format!("    {} -> {} [", t.from, t.to);
        assert!(
            dot.lines()
                .any(|l| l.starts_with(&arrow) && l.contains(t.command.as_str())),
            "missing from the state diagram: {arrow} {}",
            t.command
        );
    }
}

#[test]
fn actor_kinds_follow_the_strongest_role() {
    assert_eq!(admin().kind(), ActorKind::IncentivesAdmin);
    assert_eq!(incentives_user().kind(), ActorKind::IncentivesUser);
    assert_eq!(customer().kind(), ActorKind::Customer);
}
