//! Both claim lifecycles through the async service, for every store: a CPOR association from
//! draft to official, and an MCI activity from nomination to the customer's consent, with
//! the lists, the Customers page, the usage scope and the timer along the way.

use chrono::Duration;
use cpor::RequestId;
use cpor::activity::{ActivityCommand, ActivityEvent, ActivityState};
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationCommand as C, AssociationEvent,
    AssociationState,
};
use cpor::eligibility::Action;
use cpor::service::AsyncClaims;
use cpor::store::{AsyncStore, Claim, PageRequest};

use super::mci::{WORKSHOP, engagement, facts, nomination, tenant_customer};
use super::*;

/// Runs both lifecycles on `claims`, whose store must be empty. Panics on the first surprise.
pub async fn run_both_lifecycles<S: AsyncStore>(claims: &AsyncClaims<S>) {
    association_lifecycle(claims).await;
    activity_lifecycle(claims).await;
}

/// A CPOR association claim from draft to official.
pub async fn association_lifecycle<S: AsyncStore>(claims: &AsyncClaims<S>) {
    let id = claim_id(1);
    let at = t0();
    let created = claims
        .create_association(id, &mws_form(), &admin(), at)
        .await
        .expect("create");
    assert_eq!(created.claim.state(), AssociationState::Draft);
    assert!(!created.replayed);
    // A retried create is answered from the store.
    let again = claims
        .create_association(id, &mws_form(), &admin(), at)
        .await
        .expect("retried create");
    assert!(again.replayed);

    let poe = C::AttachPoe {
        reference: text("sow.pdf"),
    };
    let submit = C::Submit {
        acknowledgement: Acknowledgement::Given,
    };
    let approve = C::Approve {
        arbitration: Arbitration::None,
    };
    let request = RequestId::parse("req-submit-1").expect("request id");
    claims
        .association(id, &poe, &admin(), at)
        .await
        .expect("poe");
    let submitted = claims
        .association_once(id, &request, &submit, &admin(), at)
        .await
        .expect("submit");
    assert!(!submitted.replayed);
    let retried = claims
        .association_once(id, &request, &submit, &admin(), at)
        .await
        .expect("retried submit");
    assert!(retried.replayed && retried.events.is_empty());
    claims
        .association(id, &C::StartReview, &reviewer(), at)
        .await
        .expect("start review");
    let approved = claims
        .association(id, &approve, &reviewer(), at)
        .await
        .expect("approve");
    assert_eq!(approved.claim.state(), AssociationState::Approved);
    assert!(
        submitted
            .events
            .iter()
            .any(|e| matches!(e.event, AssociationEvent::CustomerNotified { .. })),
        "the submission notifies the customer: {:?}",
        submitted.events
    );
    assert!(
        approved
            .events
            .iter()
            .any(|e| matches!(e.event, AssociationEvent::AssociationStarted { .. })),
        "the approval starts the association: {:?}",
        approved.events
    );

    // Official once the opt-out window has passed; the usage scope follows.
    let later = at + Duration::days(8);
    let loaded = claims.load(&admin(), id).await.expect("load");
    let Claim::Association(claim) = &loaded.claim else {
        panic!("not an association claim");
    };
    assert!(matches!(
        claim.association(later),
        Association::Official { .. }
    ));
    let grants = claims
        .usage_scope(partner(), TENANT.parse().expect("tenant"), later)
        .await
        .expect("usage scope");
    assert!(!grants.is_empty());

    // The partner lists it; another partner and the customer's other partners do not.
    let page = claims
        .partner_claims(&admin(), partner(), None, PageRequest::default())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 1);
    let foreign = claims
        .partner_claims(
            &admin_of(other_partner()),
            partner(),
            None,
            PageRequest::default(),
        )
        .await
        .expect("foreign list");
    assert!(foreign.items.is_empty());
}

/// An MCI activity claim from nomination to the customer's consent.
pub async fn activity_lifecycle<S: AsyncStore>(claims: &AsyncClaims<S>) {
    let facts = facts();
    let at = t0();
    let made = claims
        .nominate(
            &nomination(tenant_customer(), &[WORKSHOP], None),
            Action::Add,
            &admin(),
            at,
            &facts,
        )
        .await
        .expect("nominate");
    assert_eq!(made.len(), 1);
    let id = made[0].claim.id();
    let send = ActivityCommand::SendConsent {
        estimated_deal_size: cpor::Usd::from_dollars(1_000).expect("usd"),
    };
    let sent = claims
        .activity(id, &send, &admin(), at, &facts)
        .await
        .expect("send consent");
    assert!(
        sent.events
            .iter()
            .any(|e| matches!(e.event, ActivityEvent::ConsentEmailRequested { .. })),
        "sending consent asks for the email: {:?}",
        sent.events
    );
    let accepted = claims
        .activity(id, &ActivityCommand::AcceptConsent, &customer(), at, &facts)
        .await
        .expect("accept consent");
    assert_eq!(accepted.claim.state(), ActivityState::ConsentReceived);

    // The customer sees its claims; the Customers page shows the claim in progress.
    let about = claims
        .customer_claims(&customer(), &tenant_customer(), PageRequest::default())
        .await
        .expect("customer claims");
    assert!(about.items.iter().any(|s| s.claim.id() == id));
    let page = claims
        .customers_page(&engagement(WORKSHOP), partner(), &admin(), &[], at, &facts)
        .await
        .expect("customers page");
    assert!(
        page.eligible
            .iter()
            .any(|row| row.claim.is_some_and(|(claim, _)| claim == id))
    );
    // The timer runs, far later, without refusing anything.
    claims
        .sweep(at + Duration::days(400), &facts)
        .await
        .expect("sweep");
}
