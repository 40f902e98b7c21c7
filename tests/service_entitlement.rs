//! Through `Claims`, as a partner, a customer and a reviewer would: arbitration is checked,
//! actors do only what they are entitled to, the referral link is shown to Referral admins
//! only, and every retry is safe.

mod common;

use chrono::Duration;
use common::mci::{ASSESSMENT, WORKSHOP, facts, nomination, tenant_customer};
use common::*;
use cpor::activity::ActivityCommand;
use cpor::association::{
    Acknowledgement, Arbitration, AssociationCommand as C, AssociationState, ResubmitForm,
};
use cpor::eligibility::Action;
use cpor::service::{self, Claims};
use cpor::store::{Claim, InMemoryStore, Scope, Store};
use cpor::{Actor, Catalogs, CustomerId, Locations, PartnerUserRole, RequestId, UserRoles};

fn claims() -> Claims<InMemoryStore> {
    Claims::new(InMemoryStore::new(), Catalogs::builtin())
}

fn request(id: &str) -> RequestId {
    RequestId::parse(id).unwrap()
}

fn poe(name: &str) -> C {
    C::AttachPoe {
        reference: text(name),
    }
}

/// An association claim `n` of `admin`'s location on `form`, approved through the service.
fn approved(claims: &Claims<InMemoryStore>, n: u128, admin: &Actor, form: &cpor::AssociationForm) {
    let at = t0();
    claims
        .create_association(claim_id(n), form, admin, at)
        .unwrap();
    claims
        .association(claim_id(n), &poe("sow.pdf"), admin, at)
        .unwrap();
    let submit = C::Submit {
        acknowledgement: Acknowledgement::Given,
    };
    claims.association(claim_id(n), &submit, admin, at).unwrap();
    claims
        .association(claim_id(n), &C::StartReview, &reviewer(), at)
        .unwrap();
    let approve = C::Approve {
        arbitration: Arbitration::None,
    };
    claims
        .association(claim_id(n), &approve, &reviewer(), at)
        .unwrap();
}

fn under_review(
    claims: &Claims<InMemoryStore>,
    n: u128,
    admin: &Actor,
    form: &cpor::AssociationForm,
) {
    let at = t0();
    claims
        .create_association(claim_id(n), form, admin, at)
        .unwrap();
    claims
        .association(claim_id(n), &poe("sow.pdf"), admin, at)
        .unwrap();
    let submit = C::Submit {
        acknowledgement: Acknowledgement::Given,
    };
    claims.association(claim_id(n), &submit, admin, at).unwrap();
    claims
        .association(claim_id(n), &C::StartReview, &reviewer(), at)
        .unwrap();
}

fn state(claims: &Claims<InMemoryStore>, n: u128) -> AssociationState {
    match claims
        .store()
        .load(Scope::Microsoft, claim_id(n))
        .unwrap()
        .unwrap()
        .claim
    {
        Claim::Association(c) => c.state(),
        other => panic!("not an association claim: {other:?}"),
    }
}

#[test]
fn a_named_supersede_of_a_claim_that_holds_no_needed_key_is_refused() {
    let claims = claims();
    // Claim 1 holds teams, exchange and intune on the tenant; claim 2 is about another tenant.
    approved(&claims, 1, &admin(), &mws_form());
    let mut elsewhere = mws_form();
    elsewhere.tenant = "0f0e0d0c-0b0a-4908-8706-050403020100".into();
    under_review(&claims, 2, &admin_of(other_partner()), &elsewhere);
    let approve = C::Approve {
        arbitration: Arbitration::Supersedes(claim_id(1)),
    };
    let err = claims
        .association(claim_id(2), &approve, &reviewer(), t0())
        .unwrap_err();
    assert_eq!(err.code(), "service.not_a_holder", "{err}");
    // Nothing changed: the holder is still approved, the other still under review.
    assert_eq!(state(&claims, 1), AssociationState::Approved);
    assert_eq!(state(&claims, 2), AssociationState::UnderReview);

    // A claim on the same tenant and a key the holder holds wins the arbitration.
    under_review(&claims, 3, &admin_of(other_partner()), &mws_form());
    let won = claims
        .association(claim_id(3), &approve, &reviewer(), t0())
        .unwrap();
    assert_eq!(won.claim.state(), AssociationState::Approved);
    assert_eq!(state(&claims, 1), AssociationState::Rejected);
}

#[test]
fn arbitration_events_are_attributed_to_their_own_claims() {
    use cpor::association::AssociationEvent as E;
    let claims = claims();
    approved(&claims, 1, &admin(), &mws_form());
    under_review(&claims, 3, &admin_of(other_partner()), &mws_form());
    let approve = C::Approve {
        arbitration: Arbitration::Supersedes(claim_id(1)),
    };
    let won = claims
        .association(claim_id(3), &approve, &reviewer(), t0())
        .unwrap();
    let holder_version = claims
        .store()
        .load(Scope::Microsoft, claim_id(1))
        .unwrap()
        .unwrap()
        .version;
    let (winner, superseded): (Vec<_>, Vec<_>) =
        won.events.iter().partition(|e| e.claim() == claim_id(3));
    assert!(!winner.is_empty() && !superseded.is_empty());
    assert!(
        superseded
            .iter()
            .all(|e| e.id.claim == claim_id(1) && e.id.version == holder_version)
    );
    assert!(winner.iter().all(|e| e.id.version == won.version));
    // The winner starts its association; the loser's rejection and ended association are the
    // loser's.
    assert!(
        winner
            .iter()
            .any(|e| matches!(e.event, E::AssociationStarted { .. }))
    );
    assert!(
        superseded
            .iter()
            .any(|e| matches!(e.event, E::Rejected { .. }))
    );
    assert!(!winner.iter().any(|e| matches!(e.event, E::Rejected { .. })));
    // Every ID is distinct, numbered from 0 within its claim.
    let mut ids: Vec<_> = won.events.iter().map(|e| e.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), won.events.len());
    assert_eq!(superseded.first().map(|e| e.id.index), Some(0));
    assert_eq!(winner.first().map(|e| e.id.index), Some(0));
}

#[test]
fn a_ghost_supersede_ends_nothing() {
    let claims = claims();
    approved(&claims, 1, &admin(), &mws_form());
    // Sent on its own, naming a claim that does not exist.
    let err = claims
        .association(
            claim_id(1),
            &C::Supersede { by: claim_id(99) },
            &reviewer(),
            t0(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "service.supersede_only_by_arbitration", "{err}");
    // Named by an approval, a holder that does not exist.
    under_review(&claims, 2, &admin_of(other_partner()), &mws_form());
    let approve = C::Approve {
        arbitration: Arbitration::Supersedes(claim_id(99)),
    };
    let err = claims
        .association(claim_id(2), &approve, &reviewer(), t0())
        .unwrap_err();
    assert_eq!(err.code(), "service.not_found", "{err}");
    assert_eq!(state(&claims, 1), AssociationState::Approved);
    assert_eq!(state(&claims, 2), AssociationState::UnderReview);
}

#[test]
fn a_claim_moves_only_to_a_location_the_user_may_act_for() {
    let claims = claims();
    under_review(&claims, 1, &admin(), &mws_form());
    let info = C::RequestInfo {
        reason: cpor::association::InfoRequestReason::MissingOrOldDates,
    };
    claims
        .association(claim_id(1), &info, &reviewer(), t0())
        .unwrap();
    let moved = C::Resubmit {
        changes: ResubmitForm {
            partner: Some(other_partner().to_string()),
            ..ResubmitForm::default()
        },
    };
    let err = claims
        .association(claim_id(1), &moved, &admin(), t0())
        .unwrap_err();
    assert_eq!(err.code(), "association.forbidden_location", "{err}");
    // The admin still has its claim, unchanged.
    let seen = claims.load(&admin(), claim_id(1)).unwrap();
    assert_eq!(seen.claim.partner(), partner());

    // A user entitled to both locations moves it, and still sees it; the first location's
    // own admin no longer does.
    let both = admin().with_locations(Locations::of([other_partner()]).unwrap());
    let done = claims
        .association(claim_id(1), &moved, &both, t0())
        .unwrap();
    assert_eq!(done.claim.content().partner, other_partner());
    assert!(claims.load(&both, claim_id(1)).is_ok());
    let err = claims.load(&admin(), claim_id(1)).unwrap_err();
    assert_eq!(err.code(), "service.not_found");
    assert!(claims.load(&admin_of(other_partner()), claim_id(1)).is_ok());
}

#[test]
fn a_stranger_customer_is_refused_as_a_missing_claim_is() {
    let claims = claims();
    under_review(&claims, 1, &admin(), &mws_form());
    let stranger = Actor::customer(CustomerId::Tenant(
        "0f0e0d0c-0b0a-4908-8706-050403020100".parse().unwrap(),
    ));
    let err = claims
        .association(claim_id(1), &C::Decline, &stranger, t0())
        .unwrap_err();
    let missing = claims
        .association(claim_id(77), &C::Decline, &stranger, t0())
        .unwrap_err();
    assert_eq!(err.code(), missing.code());
    assert_eq!(err.code(), "service.not_found");
    assert!(claims.load(&stranger, claim_id(1)).is_err());
    // The claim's own customer declines, and the history records who it was.
    let declined = claims
        .association(claim_id(1), &C::Decline, &customer(), t0())
        .unwrap();
    assert_eq!(declined.claim.history().last().unwrap().actor, customer());

    // An MCI consent answered by a stranger is refused the same way.
    let made = claims
        .nominate(
            &nomination(tenant_customer(), &[WORKSHOP], None),
            Action::Add,
            &admin(),
            t0(),
            &facts(),
        )
        .unwrap();
    let id = made[0].claim.id();
    let send = ActivityCommand::SendConsent {
        estimated_deal_size: cpor::Usd::from_dollars(1_000).unwrap(),
    };
    claims
        .activity(id, &send, &admin(), t0(), &facts())
        .unwrap();
    let err = claims
        .activity(
            id,
            &ActivityCommand::AcceptConsent,
            &stranger,
            t0(),
            &facts(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "service.not_found");
}

#[test]
fn only_referral_admins_see_the_referral_link() {
    let claims = claims();
    let made = claims
        .nominate(
            &nomination(tenant_customer(), &[ASSESSMENT], None),
            Action::Add,
            &admin(),
            t0(),
            &facts(),
        )
        .unwrap();
    let id = made[0].claim.id();
    let link = ActivityCommand::LinkReferral {
        referral: text("https://partner.microsoft.com/referrals/42"),
    };
    claims
        .activity(id, &link, &Actor::System, t0(), &facts())
        .unwrap();

    let referral_admin = Actor::partner(
        partner(),
        cpor::UserId::parse("ref@fabrikam.com").unwrap(),
        UserRoles::of([PartnerUserRole::ReferralAdmin]),
    );
    let shown = |actor: &Actor| match claims.load(actor, id).unwrap().claim {
        Claim::Activity(c) => c,
        other => panic!("{other:?}"),
    };
    let seen = shown(&referral_admin);
    assert_eq!(
        seen.referral(&referral_admin)
            .unwrap()
            .map(cpor::Text::as_str),
        Some("https://partner.microsoft.com/referrals/42")
    );
    for actor in [admin(), incentives_user(), customer()] {
        let c = shown(&actor);
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            !json.contains("referrals/42"),
            "{actor:?} got the link: {json}"
        );
        // A command's outcome does not show it either.
        if actor == admin() {
            let outcome = claims
                .activity(
                    id,
                    &ActivityCommand::SendConsent {
                        estimated_deal_size: cpor::Usd::from_dollars(1_000).unwrap(),
                    },
                    &actor,
                    t0(),
                    &facts(),
                )
                .unwrap();
            let json = serde_json::to_string(&outcome.claim).unwrap();
            assert!(!json.contains("referrals/42"), "{json}");
        }
    }
    // The store still has it.
    match claims
        .store()
        .load(Scope::Microsoft, id)
        .unwrap()
        .unwrap()
        .claim
    {
        Claim::Activity(c) => assert!(c.referral(&referral_admin).unwrap().is_some()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_create_retried_after_poe_or_submit_answers_with_the_stored_claim() {
    let claims = claims();
    let first = claims
        .create_association(claim_id(1), &mws_form(), &admin(), t0())
        .unwrap();
    assert!(!first.replayed);
    claims
        .association(claim_id(1), &poe("sow.pdf"), &admin(), t0())
        .unwrap();
    let retry = claims
        .create_association(
            claim_id(1),
            &mws_form(),
            &admin(),
            t0() + Duration::hours(1),
        )
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.claim.poe().len(), 1);
    assert!(retry.events.is_empty());
    let submit = C::Submit {
        acknowledgement: Acknowledgement::Given,
    };
    claims
        .association(claim_id(1), &submit, &admin(), t0())
        .unwrap();
    let retry = claims
        .create_association(
            claim_id(1),
            &mws_form(),
            &admin(),
            t0() + Duration::hours(2),
        )
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.claim.state(), AssociationState::Submitted);
    // Another form under the same claim ID is not a retry.
    let mut other = mws_form();
    other.name = "Another rollout".into();
    let err = claims
        .create_association(claim_id(1), &other, &admin(), t0())
        .unwrap_err();
    assert_eq!(err.code(), "store.id_conflict");
}

#[test]
fn a_nomination_retried_answers_with_the_stored_claims() {
    let claims = claims();
    let n = nomination(tenant_customer(), &[ASSESSMENT, WORKSHOP], None);
    let first = claims
        .nominate(&n, Action::Add, &admin(), t0(), &facts())
        .unwrap();
    assert_eq!(first.len(), 2);
    let retry = claims
        .nominate(
            &n,
            Action::Add,
            &admin(),
            t0() + Duration::hours(1),
            &facts(),
        )
        .unwrap();
    assert_eq!(retry.len(), 2);
    assert!(retry.iter().all(|o| o.replayed && o.events.is_empty()));
    assert_eq!(
        retry.iter().map(|o| o.claim.id()).collect::<Vec<_>>(),
        first.iter().map(|o| o.claim.id()).collect::<Vec<_>>()
    );
    // The same claim IDs from another nomination are not a retry.
    let mut other = n.clone();
    other.name = text("Another engagement");
    let err = claims
        .nominate(&other, Action::Add, &admin(), t0(), &facts())
        .unwrap_err();
    assert_eq!(err.code(), "store.id_conflict", "{err}");
}

#[test]
fn a_command_replayed_with_its_request_id_is_not_applied_again() {
    let claims = claims();
    claims
        .create_association(claim_id(1), &mws_form(), &admin(), t0())
        .unwrap();
    let once = request("attach-sow-1");
    let first = claims
        .association_once(claim_id(1), &once, &poe("sow.pdf"), &admin(), t0())
        .unwrap();
    assert!(!first.replayed);
    // The connection dropped after the commit: the caller retries the same command.
    let again = claims
        .association_once(claim_id(1), &once, &poe("sow.pdf"), &admin(), t0())
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.claim.poe().len(), 1, "the document was added twice");
    assert_eq!(again.version, first.version);
    let entry = again.claim.history().last().unwrap();
    assert_eq!(
        entry.request.as_ref().and_then(|r| r.id.as_ref()),
        Some(&once)
    );
    // The same request ID for another document is refused with its own code.
    let err = claims
        .association_once(claim_id(1), &once, &poe("other.pdf"), &admin(), t0())
        .unwrap_err();
    assert_eq!(err.code(), "service.request_reused", "{err}");
    // Activity commands too.
    let made = claims
        .nominate(
            &nomination(tenant_customer(), &[WORKSHOP], None),
            Action::Add,
            &admin(),
            t0(),
            &facts(),
        )
        .unwrap();
    let id = made[0].claim.id();
    let send = ActivityCommand::SendConsent {
        estimated_deal_size: cpor::Usd::from_dollars(1_000).unwrap(),
    };
    let r = request("send-consent");
    let a = claims
        .activity_once(id, &r, &send, &admin(), t0(), &facts())
        .unwrap();
    let b = claims
        .activity_once(id, &r, &send, &admin(), t0(), &facts())
        .unwrap();
    assert!(!a.replayed && b.replayed);
    assert_eq!(b.claim.history().len(), a.claim.history().len());
}

#[test]
fn business_applications_claims_name_their_purchase_channel() {
    let claims = claims();
    let mut csp = bizapps_form();
    csp.purchase_channel = "csp".into();
    let err = claims
        .create_association(claim_id(1), &csp, &admin(), t0())
        .unwrap_err();
    assert_eq!(err.code(), "association.invalid_form");
    assert!(
        err.to_string().contains("form.csp_purchase")
            || err.to_string().contains("csp (co-op) claim process"),
        "{err}"
    );
    let done = claims
        .create_association(claim_id(2), &bizapps_form(), &admin(), t0())
        .unwrap();
    assert_eq!(
        done.claim.content().purchase_channel,
        Some(cpor::association::PurchaseChannel::VolumeLicensing)
    );
}

#[test]
fn the_review_sla_is_an_informational_deadline() {
    let claims = claims();
    under_review(&claims, 1, &admin(), &mws_form());
    let Claim::Association(c) = claims
        .store()
        .load(Scope::Microsoft, claim_id(1))
        .unwrap()
        .unwrap()
        .claim
    else {
        panic!("not an association claim")
    };
    let catalog = catalog();
    let submitted = c
        .history()
        .iter()
        .rev()
        .find(|e| e.to == AssociationState::Submitted)
        .unwrap()
        .at;
    let due = c.review_due(&catalog).unwrap();
    assert_eq!(
        catalog
            .calendar()
            .business_days_between(submitted.date_naive(), due.date_naive()),
        14
    );
    assert!(c.next_deadline().is_none(), "the SLA is not a timer");
}

#[test]
fn the_usage_scope_is_a_pure_function_of_claims_and_now() {
    let claims = claims();
    approved(&claims, 1, &admin(), &mws_form());
    let later = t0() + Duration::days(30);
    let stored: Vec<Claim> = claims
        .store()
        .by_partner(
            partner(),
            cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
        )
        .unwrap()
        .into_iter()
        .map(|s| s.claim)
        .collect();
    let tenant = TENANT.parse().unwrap();
    let pure = service::usage_scope(&stored, partner(), tenant, later);
    assert_eq!(pure.len(), 3);
    assert_eq!(claims.usage_scope(partner(), tenant, later).unwrap(), pure);
    // Before the opt-out window ends, nothing is official yet.
    assert!(service::usage_scope(&stored, partner(), tenant, t0()).is_empty());
    // Another partner's view grants nothing.
    assert!(service::usage_scope(&stored, other_partner(), tenant, later).is_empty());
}
