//! The rules of one CPOR association claim: domain.md sections 5.1, 5.3, 6.1 and 7.
//!
//! Each test names the rule it checks. Refused commands are applied in place on a copy
//! (`apply`), and the copy must equal the original afterwards: "every refused change is an
//! error, and nothing is modified".

mod common;
use common::*;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationClaim, AssociationCommand,
    AssociationError, AssociationEvent, AssociationForm, AssociationKey, AssociationState,
    CommandKind, CustomerContactForm, EndReason, Field, FieldSet, InfoRequestReason, KeyUnit,
    RejectionReason, ResubmitForm, ReviewRejection, Target, Transitioned,
};
use cpor::catalog::{EngagementId, WorkloadId};
use cpor::{
    Actor, BusinessCalendar, Catalog, EmailAddress, PartnerId, ProgramYear, SubscriptionId,
    TenantId, Text,
};

use AssociationCommand as C;
use AssociationState as S;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A UTC instant.
fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, s)
        .unwrap()
        .and_utc()
}

/// Applies a command that must be accepted, with the given catalog.
#[track_caller]
fn step_with(
    claim: &AssociationClaim,
    command: AssociationCommand,
    actor: &Actor,
    at: DateTime<Utc>,
    catalog: &Catalog,
) -> Transitioned {
    match claim.transition(&command, actor, at, catalog) {
        Ok(t) => t,
        Err(e) => panic!("{command:?} by {actor:?} in {}: {e}", claim.state()),
    }
}

/// Applies a command that must be accepted, with the built-in catalog; returns claim and events.
#[track_caller]
fn accept(
    claim: &AssociationClaim,
    command: AssociationCommand,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Transitioned {
    step_with(claim, command, actor, at, &catalog())
}

/// Applies a command that must be refused, in place on a copy, and checks that the copy is
/// unchanged. Returns the error.
#[track_caller]
fn refuse_with(
    claim: &AssociationClaim,
    command: &AssociationCommand,
    actor: &Actor,
    at: DateTime<Utc>,
    catalog: &Catalog,
) -> AssociationError {
    let mut copy = claim.clone();
    let result = copy.apply(command, actor, at, catalog);
    assert_eq!(&copy, claim, "a refused {command:?} changed the claim");
    match result {
        Ok(events) => panic!(
            "{command:?} by {actor:?} in {} was accepted: {events:?}",
            claim.state()
        ),
        Err(e) => e,
    }
}

#[track_caller]
fn refuse(
    claim: &AssociationClaim,
    command: &AssociationCommand,
    actor: &Actor,
    at: DateTime<Utc>,
) -> AssociationError {
    refuse_with(claim, command, actor, at, &catalog())
}

/// One command of every kind, with plausible data.
fn all_commands() -> Vec<AssociationCommand> {
    let commands = vec![
        C::EditDraft { form: mws_form() },
        C::AttachPoe {
            reference: text("poe-2.pdf"),
        },
        C::Submit {
            acknowledgement: Acknowledgement::Given,
        },
        C::Withdraw,
        C::StartReview,
        C::RequestInfo {
            reason: InfoRequestReason::MissingProducts,
        },
        C::Approve {
            arbitration: Arbitration::None,
        },
        C::Reject {
            reason: ReviewRejection::InsufficientPoe,
        },
        C::Resubmit {
            changes: ResubmitForm::default(),
        },
        C::Expire,
        C::Decline,
        C::Disassociate {
            reason: text("engagement ended"),
        },
        C::Supersede { by: claim_id(2) },
        C::Dispute {
            reason: text("the sow is signed"),
        },
        C::ApproveDispute,
        C::RejectDispute,
    ];
    let kinds: Vec<CommandKind> = commands.iter().map(AssociationCommand::kind).collect();
    assert_eq!(
        kinds,
        CommandKind::COMMANDS.to_vec(),
        "one command per kind"
    );
    commands
}

fn submit() -> AssociationCommand {
    C::Submit {
        acknowledgement: Acknowledgement::Given,
    }
}

fn poe(name: &str) -> AssociationCommand {
    C::AttachPoe {
        reference: text(name),
    }
}

fn approve() -> AssociationCommand {
    C::Approve {
        arbitration: Arbitration::None,
    }
}

fn dispute() -> AssociationCommand {
    C::Dispute {
        reason: text("the sow is signed"),
    }
}

fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

fn mws_key(workload: &str) -> AssociationKey {
    AssociationKey {
        engagement: EngagementId::parse("mws_usage").unwrap(),
        tenant: tenant(),
        unit: KeyUnit::Workload(WorkloadId::parse(workload).unwrap()),
    }
}

fn mws_keys() -> Vec<AssociationKey> {
    vec![mws_key("teams"), mws_key("exchange"), mws_key("intune")]
}

/// The built-in catalog with other CPOR rules or calendar.
fn catalog_with(change: impl FnOnce(&mut cpor::catalog::RawCatalog)) -> Catalog {
    let mut raw = Catalog::builtin().into_raw();
    change(&mut raw);
    Catalog::new(raw).unwrap()
}

/// A Modern Work and Security claim submitted at `submitted`, then under review one hour later.
fn under_review_at(submitted: DateTime<Utc>, catalog: &Catalog) -> AssociationClaim {
    let created = submitted - Duration::hours(2);
    let claim = AssociationClaim::create(claim_id(1), &mws_form(), &admin(), created, catalog)
        .unwrap()
        .claim;
    let claim = step_with(&claim, poe("sow.pdf"), &admin(), created, catalog).claim;
    let claim = step_with(&claim, submit(), &admin(), submitted, catalog).claim;
    step_with(
        &claim,
        C::StartReview,
        &reviewer(),
        submitted + Duration::hours(1),
        catalog,
    )
    .claim
}

// ---------------------------------------------------------------------------------------------
// 6.1 Draft --submit (PoE + acknowledgements)--> Submitted (customer is notified)
// ---------------------------------------------------------------------------------------------

#[test]
fn submit_without_poe_is_refused_with_poe_required() {
    let claim = create(&mws_form(), t0());
    let err = refuse(&claim, &submit(), &admin(), t0() + days(1));
    assert_eq!(err, AssociationError::PoeRequired);
    assert_eq!(err.code(), "association.poe_required");
    assert_eq!(claim.state(), S::Draft);
}

#[test]
fn submit_without_acknowledgements_is_refused_with_acknowledgement_required() {
    let claim = accept(&create(&mws_form(), t0()), poe("sow.pdf"), &admin(), t0()).claim;
    let withheld = C::Submit {
        acknowledgement: Acknowledgement::Withheld,
    };
    let err = refuse(&claim, &withheld, &admin(), t0() + days(1));
    assert_eq!(err, AssociationError::AcknowledgementRequired);
    assert_eq!(err.code(), "association.acknowledgement_required");
}

#[test]
fn submit_with_poe_and_acknowledgements_goes_to_submitted_and_notifies_customer_with_five_business_day_opt_out()
 {
    let claim = accept(&create(&mws_form(), t0()), poe("sow.pdf"), &admin(), t0()).claim;
    // Thursday 5 March 2026, 15:30: five business days later skips the weekend.
    let submitted = utc(2026, 3, 5, 15, 30, 0);
    let t = accept(&claim, submit(), &admin(), submitted);
    assert_eq!(t.claim.state(), S::Submitted);
    assert_eq!(t.claim.notified_at(), Some(submitted));
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::CustomerNotified {
                tenant: tenant(),
                contact: EmailAddress::parse("megan@contoso.com").unwrap(),
                opt_out_until: utc(2026, 3, 12, 15, 30, 0),
            },
            AssociationEvent::Transitioned {
                command: CommandKind::Submit,
                changed: FieldSet::EMPTY,
            },
        ]
    );
}

#[test]
fn customer_is_notified_once_a_resubmission_does_not_restart_the_opt_out_window() {
    let (claim, at) = claim_in(S::PartnerActionRequired);
    let first_notice = claim.notified_at().unwrap();
    let t = accept(
        &claim,
        C::Resubmit {
            changes: ResubmitForm {
                poe: vec!["dates-fixed.pdf".into()],
                ..ResubmitForm::default()
            },
        },
        &admin(),
        at + days(1),
    );
    assert_eq!(t.claim.notified_at(), Some(first_notice));
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(e, AssociationEvent::CustomerNotified { .. })),
        "{:?}",
        t.events
    );
}

// ---------------------------------------------------------------------------------------------
// 6.1 Submitted --reviewer starts--> UnderReview
// ---------------------------------------------------------------------------------------------

#[test]
fn only_a_reviewer_starts_the_review_of_a_submitted_claim() {
    let (claim, at) = claim_in(S::Submitted);
    for actor in [admin(), incentives_user(), customer(), Actor::System] {
        let err = refuse(&claim, &C::StartReview, &actor, at);
        assert_eq!(err.code(), "association.forbidden", "{actor:?}");
    }
    let t = accept(&claim, C::StartReview, &reviewer(), at + days(1));
    assert_eq!(t.claim.state(), S::UnderReview);
}

// ---------------------------------------------------------------------------------------------
// 6.1 UnderReview --reviewer asks for info--> PartnerActionRequired
// ---------------------------------------------------------------------------------------------

#[test]
fn info_request_moves_to_partner_action_required_with_a_reason_and_fourteen_business_days_to_respond()
 {
    let (claim, _) = claim_in(S::UnderReview);
    // Monday 9 March 2026, 10:00 + 14 business days = Friday 27 March, 10:00.
    let asked = utc(2026, 3, 9, 10, 0, 0);
    let reason = InfoRequestReason::MissingCustomerAcknowledgement;
    let t = accept(&claim, C::RequestInfo { reason }, &reviewer(), asked);
    let respond_by = utc(2026, 3, 27, 10, 0, 0);
    assert_eq!(t.claim.state(), S::PartnerActionRequired);
    assert_eq!(t.claim.info_request(), Some((reason, respond_by)));
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::InfoRequested { reason, respond_by },
            AssociationEvent::Transitioned {
                command: CommandKind::RequestInfo,
                changed: FieldSet::EMPTY,
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 6.1 / 5.3 PartnerActionRequired --partner edits + resubmits--> Submitted
// ---------------------------------------------------------------------------------------------

#[test]
fn resubmit_form_holds_only_location_products_contacts_poe_and_comments() {
    // An exhaustive struct literal: adding a field to `ResubmitForm` breaks this test.
    let form = ResubmitForm {
        partner: Some("7700001".into()),
        workloads: Some(vec!["teams".into()]),
        customer_contact: Some(CustomerContactForm::default()),
        company_contact: None,
        poe: vec![],
        comments: Some(String::new()),
    };
    let json = serde_json::to_value(&form).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "comments",
            "company_contact",
            "customer_contact",
            "partner",
            "poe",
            "workloads"
        ]
    );
}

#[test]
fn resubmit_changes_only_allowed_fields_records_them_in_history_and_returns_to_submitted() {
    let (claim, at) = claim_in(S::PartnerActionRequired);
    let before = claim.content().clone();
    let changes = ResubmitForm {
        partner: None,
        workloads: Some(vec!["teams".into(), "sharepoint".into()]),
        customer_contact: Some(CustomerContactForm {
            name: "Megan Bowen".into(),
            title: "CTO".into(),
            email: "megan.bowen@contoso.com".into(),
        }),
        company_contact: None,
        poe: vec!["sow-dated.pdf".into()],
        comments: Some("dates added".into()),
    };
    let now = at + days(2);
    let t = accept(&claim, C::Resubmit { changes }, &admin(), now);
    let after = t.claim.content();
    assert_eq!(t.claim.state(), S::Submitted);
    assert_eq!(
        after.target,
        Target::Workloads {
            workloads: vec![
                WorkloadId::parse("teams").unwrap(),
                WorkloadId::parse("sharepoint").unwrap()
            ]
        }
    );
    assert_eq!(after.customer_contact.title.as_str(), "CTO");
    assert_eq!(
        after.customer_contact.email,
        EmailAddress::parse("megan.bowen@contoso.com").unwrap()
    );
    assert_eq!(
        after.comments.as_ref().map(Text::as_str),
        Some("dates added")
    );
    // What section 5.3 does not let the partner change stayed as it was.
    assert_eq!(after.name, before.name);
    assert_eq!(after.tenant, before.tenant);
    assert_eq!(after.solution_area, before.solution_area);
    assert_eq!(after.role, before.role);
    assert_eq!(after.engagement, before.engagement);
    assert_eq!(after.partner, before.partner);
    assert_eq!(after.company_contact, before.company_contact);
    assert_eq!(
        t.claim.poe().iter().map(Text::as_str).collect::<Vec<_>>(),
        ["sow-signed.pdf", "sow-dated.pdf"]
    );
    assert_eq!(t.claim.info_request(), None);
    assert_eq!(t.claim.next_deadline(), None);
    let entry = t.claim.history().last().unwrap();
    assert_eq!(entry.command, CommandKind::Resubmit);
    assert_eq!(entry.from, Some(S::PartnerActionRequired));
    assert_eq!(entry.to, S::Submitted);
    assert_eq!(entry.at, now);
    assert_eq!(
        entry.changed.iter().collect::<Vec<_>>(),
        [
            Field::Workloads,
            Field::CustomerContactTitle,
            Field::CustomerContactEmail,
            Field::Comments,
            Field::Poe
        ]
    );
}

#[test]
fn resubmit_may_change_the_partner_location_id() {
    let (claim, at) = claim_in(S::PartnerActionRequired);
    let changes = ResubmitForm {
        partner: Some(other_partner().to_string()),
        ..ResubmitForm::default()
    };
    // A user of one location may not move the claim to another: refused, nothing changes.
    let err = refuse(
        &claim,
        &C::Resubmit {
            changes: changes.clone(),
        },
        &admin(),
        at + days(1),
    );
    assert_eq!(err.code(), "association.forbidden_location");
    assert!(err.to_string().contains("7700001"), "{err}");
    // A user entitled to both locations moves it.
    let both = admin().with_locations(cpor::Locations::of([other_partner()]).unwrap());
    let t = accept(&claim, C::Resubmit { changes }, &both, at + days(1));
    assert_eq!(t.claim.content().partner, other_partner());
    assert_eq!(
        t.claim.history().last().unwrap().changed,
        FieldSet::EMPTY.with(Field::Partner)
    );
    // Its own admin at the first location now finds nothing; the new location's admin can act.
    let next = C::StartReview;
    let err = refuse(&t.claim, &next, &admin(), at + days(2));
    assert_eq!(err.code(), "association.not_found");
    assert!(admin_of(other_partner()).acts_for(other_partner()));
}

#[test]
fn resubmit_with_an_invalid_email_is_refused_with_invalid_form_and_changes_nothing() {
    let (claim, at) = claim_in(S::PartnerActionRequired);
    let changes = ResubmitForm {
        workloads: Some(vec!["sharepoint".into()]),
        customer_contact: Some(CustomerContactForm {
            name: "Megan Bowen".into(),
            title: "CIO".into(),
            email: "megan.contoso.com".into(),
        }),
        poe: vec!["new.pdf".into()],
        ..ResubmitForm::default()
    };
    let err = refuse(&claim, &C::Resubmit { changes }, &admin(), at + days(1));
    assert_eq!(err.code(), "association.invalid_form");
    let AssociationError::Form(errors) = err else {
        panic!("not a form error");
    };
    assert_eq!(errors.codes().collect::<Vec<_>>(), ["form.invalid_id"]);
    assert_eq!(errors.problems()[0].field(), Field::CustomerContactEmail);
    assert_eq!(claim.state(), S::PartnerActionRequired);
}

#[test]
fn poe_may_be_attached_while_partner_action_is_required() {
    let (claim, at) = claim_in(S::PartnerActionRequired);
    let t = accept(&claim, poe("extra.pdf"), &admin(), at + days(1));
    assert_eq!(t.claim.state(), S::PartnerActionRequired);
    assert_eq!(t.claim.poe().len(), 2);
    assert_eq!(t.claim.poe()[1].as_str(), "extra.pdf");
}

// ---------------------------------------------------------------------------------------------
// 6.1 PartnerActionRequired --14 business days, no answer--> Rejected (timer)
// ---------------------------------------------------------------------------------------------

/// `claim_in(PartnerActionRequired)` asks for information on Monday 2 March 2026 at 13:00;
/// 14 business days later is Friday 20 March at 13:00.
fn info_deadline() -> DateTime<Utc> {
    utc(2026, 3, 20, 13, 0, 0)
}

#[test]
fn timer_before_the_deadline_does_nothing() {
    let (claim, at) = claim_in(S::PartnerActionRequired);
    assert_eq!(claim.next_deadline(), Some(info_deadline()));
    assert_eq!(claim.expire(at + days(3), &catalog()), Ok(None));
    let err = refuse(&claim, &C::Expire, &Actor::System, at + days(3));
    assert_eq!(
        err,
        AssociationError::NotDue {
            due: Some(info_deadline())
        }
    );
    assert_eq!(err.code(), "association.not_due");
}

#[test]
fn timer_one_second_before_the_deadline_is_not_due() {
    let (claim, _) = claim_in(S::PartnerActionRequired);
    let just_before = info_deadline() - Duration::seconds(1);
    assert_eq!(claim.expire(just_before, &catalog()), Ok(None));
    let err = refuse(&claim, &C::Expire, &Actor::System, just_before);
    assert_eq!(err.code(), "association.not_due");
}

#[test]
fn timer_exactly_at_the_deadline_rejects_for_no_response() {
    let (claim, _) = claim_in(S::PartnerActionRequired);
    let t = claim
        .expire(info_deadline(), &catalog())
        .unwrap()
        .expect("due at the deadline");
    assert_eq!(t.claim.state(), S::Rejected);
    let rejection = t.claim.rejection().unwrap();
    assert_eq!(rejection.reason, RejectionReason::NoResponse);
    assert_eq!(rejection.at, info_deadline());
    assert_eq!(rejection.dispute_until, Some(info_deadline() + days(30)));
    assert_eq!(t.claim.next_deadline(), None);
    assert_eq!(t.claim.history().last().unwrap().actor, Actor::System);
    assert_eq!(
        t.events[0],
        AssociationEvent::Rejected {
            reason: RejectionReason::NoResponse,
            dispute_until: Some(info_deadline() + days(30)),
        }
    );
    // The command does the same.
    let same = accept(&claim, C::Expire, &Actor::System, info_deadline());
    assert_eq!(same.claim, t.claim);
}

#[test]
fn info_request_deadline_skips_weekends_and_holidays() {
    let holidays = [
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
    ];
    let with_holidays = catalog_with(|raw| {
        raw.calendar =
            BusinessCalendar::new([chrono::Weekday::Sat, chrono::Weekday::Sun], holidays).unwrap();
    });
    let claim = under_review_at(utc(2026, 3, 2, 11, 0, 0), &with_holidays);
    let asked = utc(2026, 3, 2, 13, 0, 0);
    let t = step_with(
        &claim,
        C::RequestInfo {
            reason: InfoRequestReason::MissingOrOldDates,
        },
        &reviewer(),
        asked,
        &with_holidays,
    );
    // Business days after Monday 2 March: 3-6, 9, 11-13, 16-19, 23, 24 (the 10th and the
    // 20th are holidays; the weekends are skipped).
    let due = utc(2026, 3, 24, 13, 0, 0);
    assert_eq!(t.claim.next_deadline(), Some(due));
    let claim = t.claim;
    assert_eq!(
        claim.expire(due - Duration::seconds(1), &with_holidays),
        Ok(None)
    );
    // Without holidays the partner would have been late on the 20th; not with them.
    assert_eq!(claim.expire(info_deadline(), &with_holidays), Ok(None));
    let expired = claim.expire(due, &with_holidays).unwrap().unwrap();
    assert_eq!(expired.claim.state(), S::Rejected);
    assert_eq!(
        expired.claim.rejection().unwrap().reason,
        RejectionReason::NoResponse
    );
}

#[test]
fn timer_outside_partner_action_required_does_nothing() {
    for state in AssociationState::ALL {
        if state == S::PartnerActionRequired {
            continue;
        }
        let (claim, at) = claim_in(state);
        assert_eq!(
            claim.expire(at + days(365), &catalog()),
            Ok(None),
            "{state}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6.1 UnderReview --approve--> Approved (5.1 held keys, arbitration)
// ---------------------------------------------------------------------------------------------

#[test]
fn approve_moves_to_approved_and_starts_the_association_on_its_keys() {
    let (claim, at) = claim_in(S::UnderReview);
    let t = accept(&claim, approve(), &reviewer(), at + days(1));
    assert_eq!(t.claim.state(), S::Approved);
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::AssociationStarted { keys: mws_keys() },
            AssociationEvent::Transitioned {
                command: CommandKind::Approve,
                changed: FieldSet::EMPTY,
            },
        ]
    );
    assert_eq!(t.claim.held_keys(), mws_keys());
}

#[test]
fn competing_claim_on_a_held_key_may_be_created_and_submitted_and_approved_by_arbitration() {
    // Partner A holds the keys.
    let (holder, at) = claim_in(S::Approved);
    // Partner B claims the same tenant and workloads.
    let b = admin_of(other_partner());
    let other = AssociationClaim::create(claim_id(2), &mws_form(), &b, at, &catalog())
        .unwrap()
        .claim;
    assert_eq!(other.keys(), holder.held_keys());
    let other = accept(&other, poe("b-sow.pdf"), &b, at).claim;
    let other = accept(&other, submit(), &b, at).claim;
    let other = accept(&other, C::StartReview, &reviewer(), at).claim;
    let t = accept(
        &other,
        C::Approve {
            arbitration: Arbitration::Supersedes(holder.id()),
        },
        &reviewer(),
        at + days(1),
    );
    assert_eq!(t.claim.state(), S::Approved);
    assert_eq!(t.claim.supersedes(), Some(holder.id()));
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::SupersedeHolder {
                holder: holder.id()
            },
            AssociationEvent::AssociationStarted { keys: mws_keys() },
            AssociationEvent::Transitioned {
                command: CommandKind::Approve,
                changed: FieldSet::EMPTY,
            },
        ]
    );
}

#[test]
fn approval_cannot_supersede_the_claim_itself() {
    let (claim, at) = claim_in(S::UnderReview);
    let command = C::Approve {
        arbitration: Arbitration::Supersedes(claim.id()),
    };
    let err = refuse(&claim, &command, &reviewer(), at);
    assert_eq!(err, AssociationError::SupersedeSelf);
    assert_eq!(err.code(), "association.supersede_self");
}

#[test]
fn superseded_holder_is_rejected_by_arbitration_and_its_association_ends() {
    let (claim, at) = claim_in(S::Approved);
    let now = at + days(1);
    let t = accept(&claim, C::Supersede { by: claim_id(2) }, &reviewer(), now);
    assert_eq!(t.claim.state(), S::Rejected);
    assert_eq!(t.claim.superseded_by(), Some(claim_id(2)));
    let rejection = t.claim.rejection().unwrap();
    assert_eq!(rejection.reason, RejectionReason::SupersededByArbitration);
    assert_eq!(rejection.dispute_until, Some(now + days(30)));
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::AssociationEnded {
                keys: mws_keys(),
                reason: EndReason::Superseded,
            },
            AssociationEvent::Rejected {
                reason: RejectionReason::SupersededByArbitration,
                dispute_until: Some(now + days(30)),
            },
            AssociationEvent::Transitioned {
                command: CommandKind::Supersede,
                changed: FieldSet::EMPTY,
            },
        ]
    );
    assert_eq!(t.claim.held_keys(), vec![]);
    assert_eq!(
        t.claim.association(now),
        Association::Ended {
            at: now,
            reason: EndReason::Superseded
        }
    );
}

#[test]
fn a_claim_cannot_be_superseded_by_itself() {
    let (claim, at) = claim_in(S::Approved);
    let err = refuse(&claim, &C::Supersede { by: claim.id() }, &reviewer(), at);
    assert_eq!(err.code(), "association.supersede_self");
}

// ---------------------------------------------------------------------------------------------
// 6.1 UnderReview --reject (reason)--> Rejected; Rejected --dispute--> Disputed
// ---------------------------------------------------------------------------------------------

#[test]
fn reject_with_a_reason_moves_to_rejected_and_opens_a_thirty_calendar_day_dispute_window() {
    let (claim, at) = claim_in(S::UnderReview);
    let now = at + days(1);
    let t = accept(
        &claim,
        C::Reject {
            reason: ReviewRejection::PartnerRequest,
        },
        &reviewer(),
        now,
    );
    assert_eq!(t.claim.state(), S::Rejected);
    let rejection = t.claim.rejection().unwrap();
    assert_eq!(rejection.reason, RejectionReason::PartnerRequest);
    assert_eq!(rejection.at, now);
    // Calendar days, not business days: 2026-03-03 12:00 + 30 days.
    assert_eq!(rejection.dispute_until, Some(utc(2026, 4, 2, 12, 0, 0)));
    assert_eq!(
        t.events[0],
        AssociationEvent::Rejected {
            reason: RejectionReason::PartnerRequest,
            dispute_until: Some(utc(2026, 4, 2, 12, 0, 0)),
        }
    );
}

#[test]
fn dispute_inside_the_window_moves_to_disputed() {
    let (claim, _) = claim_in(S::Rejected);
    let rejected_at = claim.rejection().unwrap().at;
    let last_second = rejected_at + days(30) - Duration::seconds(1);
    let t = accept(&claim, dispute(), &admin(), last_second);
    assert_eq!(t.claim.state(), S::Disputed);
    assert!(t.claim.is_disputed());
    assert_eq!(
        t.claim
            .history()
            .last()
            .unwrap()
            .note
            .as_ref()
            .map(Text::as_str),
        Some("the sow is signed")
    );
}

#[test]
fn dispute_at_exactly_thirty_days_is_refused_as_window_closed() {
    let (claim, _) = claim_in(S::Rejected);
    let closes = claim.rejection().unwrap().at + days(30);
    let err = refuse(&claim, &dispute(), &admin(), closes);
    assert_eq!(
        err,
        AssociationError::DisputeWindowClosed { closed_at: closes }
    );
    assert_eq!(err.code(), "association.dispute_window_closed");
}

#[test]
fn a_claim_can_be_disputed_only_once() {
    let (claim, at) = claim_in(S::Disputed);
    let claim = accept(&claim, C::ApproveDispute, &reviewer(), at + days(1)).claim;
    let claim = accept(
        &claim,
        C::Supersede { by: claim_id(2) },
        &reviewer(),
        at + days(2),
    )
    .claim;
    assert_eq!(claim.state(), S::Rejected);
    let err = refuse(&claim, &dispute(), &admin(), at + days(3));
    assert_eq!(err, AssociationError::AlreadyDisputed);
    assert_eq!(err.code(), "association.already_disputed");
}

#[test]
fn a_customer_decline_is_not_disputable() {
    let (claim, at) = claim_in(S::Submitted);
    let claim = accept(&claim, C::Decline, &customer(), at + days(1)).claim;
    assert_eq!(claim.rejection().unwrap().dispute_until, None);
    let err = refuse(&claim, &dispute(), &admin(), at + days(2));
    assert_eq!(
        err,
        AssociationError::NotDisputable {
            reason: RejectionReason::CustomerDeclined
        }
    );
    assert_eq!(err.code(), "association.not_disputable");
}

// ---------------------------------------------------------------------------------------------
// 6.1 Disputed --reviewer approves--> Approved | --reviewer rejects--> RejectedFinal
// ---------------------------------------------------------------------------------------------

#[test]
fn reviewer_upholding_a_dispute_approves_the_claim() {
    let (claim, at) = claim_in(S::Disputed);
    let now = at + days(10);
    let t = accept(&claim, C::ApproveDispute, &reviewer(), now);
    assert_eq!(t.claim.state(), S::Approved);
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::AssociationStarted { keys: mws_keys() },
            AssociationEvent::Transitioned {
                command: CommandKind::ApproveDispute,
                changed: FieldSet::EMPTY,
            },
        ]
    );
    assert_eq!(t.claim.held_keys(), mws_keys());
    // The opt-out window ended on Monday 9 March, 11:00 (notified 2 March, 11:00); the
    // dispute was upheld on Thursday 12 March, so the association is official at once.
    assert_eq!(
        t.claim.association(now),
        Association::Official { since: now }
    );
}

#[test]
fn reviewer_denying_a_dispute_rejects_the_claim_for_good() {
    let (claim, at) = claim_in(S::Disputed);
    let t = accept(&claim, C::RejectDispute, &reviewer(), at + days(1));
    assert_eq!(t.claim.state(), S::RejectedFinal);
    assert!(t.claim.state().is_terminal());
    assert!(!t.claim.is_open());
    // Nothing changes it again.
    let later = at + days(2);
    for command in all_commands() {
        let issuer = cpor::association::issuer_of(command.kind());
        let actor = match issuer {
            cpor::association::Issuer::IncentivesAdmin => admin(),
            cpor::association::Issuer::Reviewer => reviewer(),
            cpor::association::Issuer::Customer => customer(),
            cpor::association::Issuer::System => Actor::System,
        };
        let err = refuse(&t.claim, &command, &actor, later);
        assert_eq!(err.code(), "association.invalid_state", "{command:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6.1 Submitted | UnderReview | PartnerActionRequired | Approved --customer declines--> Rejected
// ---------------------------------------------------------------------------------------------

#[test]
fn customer_may_decline_from_submitted_under_review_partner_action_required_approved_and_disputed()
{
    for state in [
        S::Submitted,
        S::UnderReview,
        S::PartnerActionRequired,
        S::Approved,
        S::Disputed,
    ] {
        let (claim, at) = claim_in(state);
        let now = at + days(1);
        let t = accept(&claim, C::Decline, &customer(), now);
        assert_eq!(t.claim.state(), S::Rejected, "from {state}");
        let rejection = t.claim.rejection().unwrap();
        assert_eq!(rejection.reason, RejectionReason::CustomerDeclined);
        assert_eq!(rejection.at, now);
        assert_eq!(rejection.dispute_until, None, "from {state}");
        assert_eq!(t.claim.next_deadline(), None);
        assert!(t.events.contains(&AssociationEvent::Rejected {
            reason: RejectionReason::CustomerDeclined,
            dispute_until: None,
        }));
    }
}

#[test]
fn customer_cannot_decline_a_draft_a_rejected_or_a_closed_claim() {
    for state in [S::Draft, S::Rejected, S::RejectedFinal, S::Withdrawn] {
        let (claim, at) = claim_in(state);
        let err = refuse(&claim, &C::Decline, &customer(), at);
        assert_eq!(
            err,
            AssociationError::InvalidState {
                command: CommandKind::Decline,
                state
            }
        );
    }
}

#[test]
fn customer_decline_of_an_approved_claim_ends_the_association() {
    let (claim, at) = claim_in(S::Approved);
    let now = at + days(20);
    assert!(matches!(
        claim.association(now),
        Association::Official { .. }
    ));
    let t = accept(&claim, C::Decline, &customer(), now);
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::AssociationEnded {
                keys: mws_keys(),
                reason: EndReason::CustomerDeclined,
            },
            AssociationEvent::Rejected {
                reason: RejectionReason::CustomerDeclined,
                dispute_until: None,
            },
            AssociationEvent::Transitioned {
                command: CommandKind::Decline,
                changed: FieldSet::EMPTY,
            },
        ]
    );
    assert_eq!(
        t.claim.association(now + days(1)),
        Association::Ended {
            at: now,
            reason: EndReason::CustomerDeclined
        }
    );
    assert_eq!(t.claim.held_keys(), vec![]);
}

#[test]
fn customer_decline_before_approval_ends_no_association() {
    let (claim, at) = claim_in(S::UnderReview);
    let t = accept(&claim, C::Decline, &customer(), at);
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(e, AssociationEvent::AssociationEnded { .. }))
    );
    assert_eq!(t.claim.association(at), Association::None);
}

// ---------------------------------------------------------------------------------------------
// 6.1 Approved --partner disassociates (reason required)--> RejectedFinal
// ---------------------------------------------------------------------------------------------

#[test]
fn partner_disassociating_an_approved_claim_rejects_it_for_good_and_ends_the_association() {
    let (claim, at) = claim_in(S::Approved);
    let now = at + days(40);
    let t = accept(
        &claim,
        C::Disassociate {
            reason: text("the customer moved to another partner"),
        },
        &admin(),
        now,
    );
    assert_eq!(t.claim.state(), S::RejectedFinal);
    assert_eq!(
        t.events,
        vec![
            AssociationEvent::AssociationEnded {
                keys: mws_keys(),
                reason: EndReason::Disassociated,
            },
            AssociationEvent::Transitioned {
                command: CommandKind::Disassociate,
                changed: FieldSet::EMPTY,
            },
        ]
    );
    assert_eq!(
        t.claim.association(now),
        Association::Ended {
            at: now,
            reason: EndReason::Disassociated
        }
    );
    assert_eq!(t.claim.held_keys(), vec![]);
    assert_eq!(
        t.claim
            .history()
            .last()
            .unwrap()
            .note
            .as_ref()
            .map(Text::as_str),
        Some("the customer moved to another partner")
    );
}

#[test]
fn disassociation_reason_is_required_and_cannot_be_blank() {
    assert_eq!(
        Text::parse("   ").unwrap_err().code(),
        "text.blank",
        "a blank reason cannot even be built"
    );
    let json = r#"{"command":"disassociate","reason":" \t "}"#;
    let err = serde_json::from_str::<AssociationCommand>(json).unwrap_err();
    assert!(err.to_string().contains("blank"), "{err}");
    let missing = r#"{"command":"disassociate"}"#;
    assert!(serde_json::from_str::<AssociationCommand>(missing).is_err());
    let ok = r#"{"command":"disassociate","reason":"contract ended"}"#;
    assert_eq!(
        serde_json::from_str::<AssociationCommand>(ok).unwrap(),
        C::Disassociate {
            reason: text("contract ended")
        }
    );
}

#[test]
fn only_an_approved_claim_can_be_disassociated() {
    for state in AssociationState::ALL {
        if state == S::Approved {
            continue;
        }
        let (claim, at) = claim_in(state);
        let command = C::Disassociate {
            reason: text("done"),
        };
        let err = refuse(&claim, &command, &admin(), at);
        assert_eq!(err.code(), "association.invalid_state", "{state}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6.1 Draft --partner deletes--> Withdrawn [interpretation]
// ---------------------------------------------------------------------------------------------

#[test]
fn withdrawing_a_draft_is_terminal() {
    let claim = create(&mws_form(), t0());
    let t = accept(&claim, C::Withdraw, &admin(), t0() + days(1));
    assert_eq!(t.claim.state(), S::Withdrawn);
    assert!(t.claim.state().is_terminal());
    assert!(!t.claim.is_open());
    for command in [
        submit(),
        C::EditDraft { form: mws_form() },
        poe("x.pdf"),
        C::Withdraw,
    ] {
        let err = refuse(&t.claim, &command, &admin(), t0() + days(2));
        assert_eq!(err.code(), "association.invalid_state", "{command:?}");
    }
}

#[test]
fn only_a_draft_can_be_withdrawn() {
    for state in AssociationState::ALL {
        if state == S::Draft {
            continue;
        }
        let (claim, at) = claim_in(state);
        let err = refuse(&claim, &C::Withdraw, &admin(), at);
        assert_eq!(err.code(), "association.invalid_state", "{state}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5.3 A CPOR claim cannot be edited once submitted
// ---------------------------------------------------------------------------------------------

#[test]
fn a_draft_can_be_edited_and_history_names_the_changed_fields() {
    let claim = create(&mws_form(), t0());
    let form = AssociationForm {
        name: "Contoso Teams and Viva".into(),
        workloads: vec!["teams".into(), "viva_engage".into()],
        ..mws_form()
    };
    let t = accept(&claim, C::EditDraft { form }, &admin(), t0() + days(1));
    assert_eq!(t.claim.state(), S::Draft);
    assert_eq!(t.claim.content().name.as_str(), "Contoso Teams and Viva");
    assert_eq!(
        t.claim
            .history()
            .last()
            .unwrap()
            .changed
            .iter()
            .collect::<Vec<_>>(),
        [Field::Name, Field::Workloads]
    );
}

#[test]
fn no_edit_after_submit_in_any_state_but_draft() {
    let edit = C::EditDraft {
        form: AssociationForm {
            name: "renamed".into(),
            ..mws_form()
        },
    };
    for state in AssociationState::ALL {
        if state == S::Draft {
            continue;
        }
        let (claim, at) = claim_in(state);
        let err = refuse(&claim, &edit, &admin(), at + days(1));
        assert_eq!(
            err,
            AssociationError::InvalidState {
                command: CommandKind::EditDraft,
                state
            }
        );
        assert_eq!(err.code(), "association.invalid_state");
        assert_eq!(claim.content().name.as_str(), "Contoso Teams rollout");
    }
}

// ---------------------------------------------------------------------------------------------
// 7 Who may do what
// ---------------------------------------------------------------------------------------------

#[test]
fn incentives_user_cannot_create_edit_submit_dispute_or_disassociate() {
    let err = AssociationClaim::create(
        claim_id(9),
        &mws_form(),
        &incentives_user(),
        t0(),
        &catalog(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "association.forbidden");

    let (draft, at) = claim_in(S::Draft);
    let with_poe = accept(&draft, poe("sow.pdf"), &admin(), at).claim;
    let (rejected, rat) = claim_in(S::Rejected);
    let (approved, aat) = claim_in(S::Approved);
    let cases = [
        (&draft, C::EditDraft { form: mws_form() }, at),
        (&with_poe, submit(), at),
        (&draft, C::Withdraw, at),
        (&rejected, dispute(), rat),
        (
            &approved,
            C::Disassociate {
                reason: text("done"),
            },
            aat,
        ),
    ];
    for (claim, command, at) in cases {
        let err = refuse(claim, &command, &incentives_user(), at);
        assert_eq!(err.code(), "association.forbidden", "{command:?}");
        // The admin may: the refusal was about the actor.
        assert!(claim.transition(&command, &admin(), at, &catalog()).is_ok());
    }
}

#[test]
fn reviewer_cannot_submit() {
    let (draft, at) = claim_in(S::Draft);
    let claim = accept(&draft, poe("sow.pdf"), &admin(), at).claim;
    let err = refuse(&claim, &submit(), &reviewer(), at);
    assert_eq!(
        err,
        AssociationError::Forbidden {
            command: CommandKind::Submit,
            actor: cpor::ActorKind::Reviewer
        }
    );
}

#[test]
fn reviewer_cannot_create() {
    let err = AssociationClaim::create(claim_id(9), &mws_form(), &reviewer(), t0(), &catalog())
        .unwrap_err();
    assert_eq!(err.code(), "association.forbidden");
}

#[test]
fn customer_can_only_decline() {
    for state in AssociationState::ALL {
        let (claim, at) = claim_in(state);
        for command in all_commands() {
            if command.kind() == CommandKind::Decline {
                continue;
            }
            let err = refuse(&claim, &command, &customer(), at);
            assert_eq!(
                err.code(),
                "association.forbidden",
                "{command:?} in {state}"
            );
        }
    }
    let (claim, at) = claim_in(S::Submitted);
    assert_eq!(
        accept(&claim, C::Decline, &customer(), at).claim.state(),
        S::Rejected
    );
}

#[test]
fn system_can_only_expire() {
    for state in AssociationState::ALL {
        let (claim, at) = claim_in(state);
        for command in all_commands() {
            if command.kind() == CommandKind::Expire {
                continue;
            }
            let err = refuse(&claim, &command, &Actor::System, at);
            assert_eq!(
                err.code(),
                "association.forbidden",
                "{command:?} in {state}"
            );
        }
    }
}

#[test]
fn another_partner_location_gets_not_found_for_every_command_in_every_state() {
    let strangers = [
        admin_of(other_partner()),
        Actor::partner(
            other_partner(),
            user("user@northwind.com"),
            cpor::UserRoles::of([cpor::PartnerUserRole::IncentivesUser]),
        ),
    ];
    for state in AssociationState::ALL {
        let (claim, at) = claim_in(state);
        for stranger in &strangers {
            for command in all_commands() {
                let err = refuse(&claim, &command, stranger, at + days(1));
                assert_eq!(
                    err,
                    AssociationError::NotFound { claim: claim.id() },
                    "{command:?} in {state}"
                );
                assert_eq!(err.code(), "association.not_found");
            }
        }
    }
}

#[test]
fn another_partner_location_gets_not_found_even_with_another_years_catalog() {
    // Nothing about another location's claim may show, not even its program year.
    let (claim, at) = claim_in(S::Submitted);
    let err = refuse_with(
        &claim,
        &C::Withdraw,
        &admin_of(other_partner()),
        at,
        &Catalog::fy20(),
    );
    assert_eq!(err, AssociationError::NotFound { claim: claim.id() });
    // The claim's own partner sees the mismatch.
    let err = refuse_with(&claim, &C::Withdraw, &admin(), at, &Catalog::fy20());
    assert_eq!(err.code(), "association.catalog_mismatch");
}

// ---------------------------------------------------------------------------------------------
// 6 History: who, what, when
// ---------------------------------------------------------------------------------------------

#[test]
fn create_writes_the_first_history_entry() {
    let t = AssociationClaim::create(claim_id(1), &mws_form(), &admin(), t0(), &catalog()).unwrap();
    assert_eq!(t.claim.state(), S::Draft);
    assert_eq!(t.claim.created_at(), t0());
    let history = t.claim.history();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].at, t0());
    assert_eq!(history[0].actor, admin());
    assert_eq!(history[0].command, CommandKind::Create);
    assert_eq!(history[0].from, None);
    assert_eq!(history[0].to, S::Draft);
    assert_eq!(history[0].changed, FieldSet::EMPTY);
}

#[test]
fn every_accepted_command_appends_exactly_one_history_entry() {
    let mut claim = create(&mws_form(), t0());
    let mut at = t0();
    let path: Vec<(AssociationCommand, Actor, FieldSet)> = vec![
        (
            C::EditDraft {
                form: AssociationForm {
                    comments: "first draft".into(),
                    ..mws_form()
                },
            },
            admin(),
            FieldSet::EMPTY.with(Field::Comments),
        ),
        (poe("sow.pdf"), admin(), FieldSet::EMPTY.with(Field::Poe)),
        (submit(), admin(), FieldSet::EMPTY),
        (C::StartReview, reviewer(), FieldSet::EMPTY),
        (
            C::RequestInfo {
                reason: InfoRequestReason::MissingAllPoe,
            },
            reviewer(),
            FieldSet::EMPTY,
        ),
        (poe("more.pdf"), admin(), FieldSet::EMPTY.with(Field::Poe)),
        (
            C::Resubmit {
                changes: ResubmitForm {
                    comments: Some(String::new()),
                    ..ResubmitForm::default()
                },
            },
            admin(),
            FieldSet::EMPTY.with(Field::Comments),
        ),
        (C::StartReview, reviewer(), FieldSet::EMPTY),
        (
            C::Reject {
                reason: ReviewRejection::InsufficientPoe,
            },
            reviewer(),
            FieldSet::EMPTY,
        ),
        (dispute(), admin(), FieldSet::EMPTY),
        (C::ApproveDispute, reviewer(), FieldSet::EMPTY),
        (C::Decline, customer(), FieldSet::EMPTY),
    ];
    for (command, actor, changed) in path {
        at += Duration::minutes(30);
        let before = claim.history().to_vec();
        let from = claim.state();
        let t = accept(&claim, command.clone(), &actor, at);
        let history = t.claim.history();
        assert_eq!(history.len(), before.len() + 1, "{command:?}");
        assert_eq!(&history[..before.len()], &before[..], "{command:?}");
        let entry = history.last().unwrap();
        assert_eq!(entry.at, at);
        assert_eq!(entry.actor, actor);
        assert_eq!(entry.command, command.kind());
        assert_eq!(entry.from, Some(from));
        assert_eq!(entry.to, t.claim.state());
        assert_eq!(entry.changed, changed, "{command:?}");
        assert_eq!(
            t.events.last(),
            Some(&AssociationEvent::Transitioned {
                command: command.kind(),
                changed,
            })
        );
        claim = t.claim;
    }
    assert_eq!(claim.state(), S::Rejected);
    assert_eq!(claim.history().len(), 13);
}

#[test]
fn a_refused_command_appends_nothing_to_history() {
    for state in AssociationState::ALL {
        let (claim, at) = claim_in(state);
        let len = claim.history().len();
        for command in all_commands() {
            for actor in all_actors() {
                let mut copy = claim.clone();
                if copy.apply(&command, &actor, at, &catalog()).is_err() {
                    assert_eq!(copy.history().len(), len, "{command:?} {actor:?} {state}");
                    assert_eq!(copy, claim);
                } else {
                    assert_eq!(copy.history().len(), len + 1);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 6.1 Opt-out window and "official" (derived)
// ---------------------------------------------------------------------------------------------

#[test]
fn association_is_none_before_approval() {
    for state in [
        S::Draft,
        S::Submitted,
        S::UnderReview,
        S::PartnerActionRequired,
        S::Rejected,
        S::Disputed,
        S::RejectedFinal,
        S::Withdrawn,
    ] {
        let (claim, at) = claim_in(state);
        assert_eq!(
            claim.association(at + days(30)),
            Association::None,
            "{state}"
        );
    }
}

#[test]
fn approved_association_is_pending_opt_out_then_official_from_the_window_end() {
    // Notified Monday 2 March 11:00; the window ends Monday 9 March 11:00. Approved at 13:00
    // on the 2nd, inside the window.
    let (claim, approved_at) = claim_in(S::Approved);
    let until = utc(2026, 3, 9, 11, 0, 0);
    assert_eq!(
        claim.association(approved_at),
        Association::PendingOptOut { until }
    );
    assert_eq!(
        claim.association(until - Duration::seconds(1)),
        Association::PendingOptOut { until }
    );
    assert_eq!(
        claim.association(until),
        Association::Official { since: until }
    );
    assert_eq!(
        claim.association(until + days(100)),
        Association::Official { since: until }
    );
}

#[test]
fn association_approved_after_the_window_is_official_since_the_approval() {
    let claim = under_review_at(utc(2026, 3, 2, 11, 0, 0), &catalog());
    let approved_at = utc(2026, 3, 16, 9, 0, 0);
    let claim = accept(&claim, approve(), &reviewer(), approved_at).claim;
    assert_eq!(
        claim.association(approved_at),
        Association::Official { since: approved_at }
    );
}

#[test]
fn opt_out_window_is_configurable() {
    let three_days = catalog_with(|raw| raw.cpor_rules.opt_out_business_days = 3);
    // Submitted Thursday 5 March 10:00: three business days later is Tuesday 10 March.
    let submitted = utc(2026, 3, 5, 10, 0, 0);
    let claim = under_review_at(submitted, &three_days);
    let until = utc(2026, 3, 10, 10, 0, 0);
    assert_eq!(claim.notified_at(), Some(submitted));
    let claim = step_with(
        &claim,
        approve(),
        &reviewer(),
        submitted + days(1),
        &three_days,
    )
    .claim;
    assert_eq!(
        claim.association(until - Duration::seconds(1)),
        Association::PendingOptOut { until }
    );
    assert_eq!(
        claim.association(until),
        Association::Official { since: until }
    );
}

#[test]
fn association_ends_after_decline_disassociation_or_supersession() {
    let cases = [
        (C::Decline, customer(), EndReason::CustomerDeclined),
        (
            C::Disassociate {
                reason: text("done"),
            },
            admin(),
            EndReason::Disassociated,
        ),
        (
            C::Supersede { by: claim_id(2) },
            reviewer(),
            EndReason::Superseded,
        ),
    ];
    for (command, actor, reason) in cases {
        let (claim, at) = claim_in(S::Approved);
        let ended = at + days(10);
        let claim = accept(&claim, command, &actor, ended).claim;
        assert_eq!(
            claim.association(ended + days(1)),
            Association::Ended { at: ended, reason }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5.1 Held keys and 6 the next deadline
// ---------------------------------------------------------------------------------------------

#[test]
fn held_keys_are_empty_unless_approved() {
    for state in AssociationState::ALL {
        let (claim, _) = claim_in(state);
        let expected = if state == S::Approved {
            mws_keys()
        } else {
            vec![]
        };
        assert_eq!(claim.held_keys(), expected, "{state}");
        assert_eq!(claim.keys(), mws_keys(), "{state}");
    }
}

#[test]
fn modern_work_security_claim_holds_one_key_per_workload() {
    let (claim, _) = claim_in(S::Approved);
    let keys = claim.held_keys();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys, mws_keys());
    assert_eq!(
        keys[0].to_string(),
        format!("mws_usage/{TENANT}/workload:teams")
    );
}

#[test]
fn business_applications_claim_holds_one_key_per_subscription() {
    let claim = create(&bizapps_form(), t0());
    let at = t0() + Duration::hours(1);
    let claim = accept(&claim, poe("sow.pdf"), &admin(), at).claim;
    let claim = accept(&claim, submit(), &admin(), at).claim;
    let claim = accept(&claim, C::StartReview, &reviewer(), at).claim;
    let claim = accept(&claim, approve(), &reviewer(), at).claim;
    assert_eq!(
        claim.held_keys(),
        vec![AssociationKey {
            engagement: EngagementId::parse("mci_bizapps_presales_advisor").unwrap(),
            tenant: tenant(),
            unit: KeyUnit::Subscription(SubscriptionId::parse(SUBSCRIPTION).unwrap()),
        }]
    );
}

#[test]
fn next_deadline_is_set_only_while_partner_action_is_required() {
    for state in AssociationState::ALL {
        let (claim, _) = claim_in(state);
        let expected = (state == S::PartnerActionRequired).then(info_deadline);
        assert_eq!(claim.next_deadline(), expected, "{state}");
    }
}

#[test]
fn review_slas_are_informational_not_timers() {
    let (claim, at) = claim_in(S::Submitted);
    // Submitted Monday 2 March 11:00: review should start within 5 business days.
    assert_eq!(
        claim.review_start_due(&catalog()),
        Some(utc(2026, 3, 9, 11, 0, 0))
    );
    assert_eq!(claim.next_deadline(), None);
    assert_eq!(claim.expire(at + days(60), &catalog()), Ok(None));
}

// ---------------------------------------------------------------------------------------------
// 6 Commands come in time order
// ---------------------------------------------------------------------------------------------

#[test]
fn time_going_backwards_is_refused() {
    let (claim, at) = claim_in(S::Submitted);
    let earlier = at - Duration::seconds(1);
    let err = refuse(&claim, &C::StartReview, &reviewer(), earlier);
    assert_eq!(
        err,
        AssociationError::TimeWentBack {
            last: at,
            now: earlier
        }
    );
    assert_eq!(err.code(), "association.time_went_back");
    // The same instant as the last entry is not going back.
    let t = accept(&claim, C::StartReview, &reviewer(), at);
    assert_eq!(t.claim.state(), S::UnderReview);
}

// ---------------------------------------------------------------------------------------------
// Program years: a claim keeps its year's catalog
// ---------------------------------------------------------------------------------------------

#[test]
fn a_claim_keeps_the_program_year_it_was_created_under() {
    let fy20 = Catalog::fy20();
    let form = AssociationForm {
        solution_area: "modern_workplace".into(),
        role: "use_or_consume".into(),
        workloads: vec!["exchange_online".into(), "teams".into()],
        ..mws_form()
    };
    let claim = AssociationClaim::create(claim_id(20), &form, &admin(), t0(), &fy20)
        .unwrap()
        .claim;
    assert_eq!(claim.program_year(), ProgramYear::new(20).unwrap());
    assert_eq!(claim.content().engagement.as_str(), "osu_microsoft_365");

    let err = refuse_with(&claim, &poe("sow.pdf"), &admin(), t0(), &catalog());
    assert_eq!(
        err,
        AssociationError::CatalogMismatch {
            claim: ProgramYear::new(20).unwrap(),
            catalog: ProgramYear::new(26).unwrap(),
        }
    );
    assert_eq!(err.code(), "association.catalog_mismatch");

    let t = step_with(&claim, poe("sow.pdf"), &admin(), t0(), &fy20);
    assert_eq!(t.claim.poe().len(), 1);
    let t = step_with(&t.claim, submit(), &admin(), t0(), &fy20);
    assert_eq!(t.claim.state(), S::Submitted);
}

#[test]
fn an_fy20_form_is_refused_by_the_fy26_catalog() {
    let form = AssociationForm {
        solution_area: "modern_workplace".into(),
        role: "use_or_consume".into(),
        workloads: vec!["exchange_online".into()],
        ..mws_form()
    };
    let err =
        AssociationClaim::create(claim_id(20), &form, &admin(), t0(), &catalog()).unwrap_err();
    let AssociationError::Form(errors) = err else {
        panic!("not a form error: {err}");
    };
    assert_eq!(
        errors.codes().collect::<Vec<_>>(),
        ["form.unknown", "form.unknown"]
    );
    assert_eq!(errors.problems()[0].field(), Field::SolutionArea);
    assert_eq!(errors.problems()[1].field(), Field::Workloads);
}

// ---------------------------------------------------------------------------------------------
// Serde
// ---------------------------------------------------------------------------------------------

#[test]
fn a_claim_round_trips_through_json() {
    for state in AssociationState::ALL {
        let (claim, _) = claim_in(state);
        let json = serde_json::to_string(&claim).unwrap();
        let back: AssociationClaim = serde_json::from_str(&json).unwrap();
        assert_eq!(back, claim, "{state}");
    }
}

#[test]
fn json_whose_history_does_not_end_in_the_state_is_refused() {
    let (claim, _) = claim_in(S::Submitted);
    let mut json = serde_json::to_value(&claim).unwrap();
    json["state"] = "under_review".into();
    let err = serde_json::from_value::<AssociationClaim>(json).unwrap_err();
    assert!(
        err.to_string()
            .contains("history ends in submitted but the state is under_review"),
        "{err}"
    );
}

#[test]
fn json_of_an_approved_claim_without_approval_time_is_refused() {
    let (claim, _) = claim_in(S::Approved);
    let mut json = serde_json::to_value(&claim).unwrap();
    assert!(json["approved_at"].is_string());
    json["approved_at"] = serde_json::Value::Null;
    let err = serde_json::from_value::<AssociationClaim>(json).unwrap_err();
    assert!(
        err.to_string()
            .contains("(claim.fields): the approval time is not the last approval's"),
        "{err}"
    );
}

#[test]
fn partner_id_fixtures_differ() {
    // Guards the isolation tests: the two fixture partners must be distinct locations.
    assert_ne!(partner(), other_partner());
    assert_eq!(PartnerId::parse("7700001").unwrap(), other_partner());
}
