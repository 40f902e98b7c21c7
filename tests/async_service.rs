//! The async service over the in-memory store, on a multi-threaded tokio runtime: both
//! lifecycles, futures that are `Send`, the blocking service inside the runtime, paging
//! through the actor's lists, and the clock-skew tolerance.

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use common::lifecycles::run_both_lifecycles;
use common::*;
use cpor::Catalogs;
use cpor::association::AssociationCommand as C;
use cpor::service::{AsyncClaims, Claims};
use cpor::store::{InMemoryStore, PageRequest};

fn service() -> AsyncClaims<InMemoryStore> {
    AsyncClaims::new(InMemoryStore::new(), Catalogs::builtin())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_lifecycles_run_through_the_async_service() {
    run_both_lifecycles(&service()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_run_in_spawned_tasks() {
    // `tokio::spawn` needs `Send + 'static` futures: the service's are.
    let claims = Arc::new(service());
    let mut tasks = Vec::new();
    for n in 0..8_u128 {
        let claims = Arc::clone(&claims);
        tasks.push(tokio::spawn(async move {
            let partner = cpor::PartnerId::new(4_000_000 + n as u64).unwrap();
            let admin = admin_of(partner);
            claims
                .create_association(claim_id(1_000 + n), &mws_form(), &admin, t0())
                .await
                .map(|o| o.version)
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_service_does_not_panic_inside_a_runtime() {
    let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
    let made = claims.create_association(claim_id(1), &mws_form(), &admin(), t0());
    assert!(made.is_ok());
    let loaded = claims.load(&admin(), claim_id(1)).unwrap();
    assert_eq!(loaded.claim.id(), claim_id(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_through_every_claim_once() {
    let claims = service();
    // 25 claims of one location, each on its own tenant so that no key collides.
    for n in 0..25_u128 {
        let mut form = mws_form();
        form.tenant = format!("{:08x}-86f1-41af-91ab-2d7cd011db47", n + 1);
        claims
            .create_association(claim_id(10 + n), &form, &admin(), t0())
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut request = Some(PageRequest::first(7));
    let mut pages = 0;
    while let Some(page_request) = request {
        let page = claims
            .partner_claims(&admin(), partner(), None, page_request)
            .await
            .unwrap();
        assert!(page.items.len() <= 7);
        pages += 1;
        seen.extend(page.items.iter().map(|s| s.claim.id()));
        request = page_request.next(&page);
    }
    assert_eq!(pages, 4);
    let expected: Vec<_> = (0..25_u128).map(|n| claim_id(10 + n)).collect();
    assert_eq!(seen, expected, "in the order stored, each once");

    // A reviewer sees the location's claims, a customer and another location see none.
    let reviewer_page = claims
        .partner_claims(&reviewer(), partner(), None, PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(reviewer_page.items.len(), 1);
    assert!(reviewer_page.next.is_some());
    for outsider in [customer(), admin_of(other_partner())] {
        let page = claims
            .partner_claims(&outsider, partner(), None, PageRequest::default())
            .await
            .unwrap();
        assert!(page.items.is_empty() && page.next.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_a_little_behind_the_last_entry_is_recorded_at_it() {
    let claims = service();
    let at = t0();
    claims
        .create_association(claim_id(1), &mws_form(), &admin(), at)
        .await
        .unwrap();
    let poe = C::AttachPoe {
        reference: text("sow.pdf"),
    };
    // Another instance, whose clock runs 3 s behind, attaches the PoE.
    let behind = at - Duration::seconds(3);
    let done = claims
        .association(claim_id(1), &poe, &admin(), behind)
        .await
        .unwrap();
    let last = done.claim.history().last().unwrap().at;
    assert_eq!(
        last, at,
        "recorded at the last entry's time, never before it"
    );

    // Beyond the tolerance, the command is refused as before.
    let far_behind = at - Duration::seconds(6);
    let err = claims
        .association(claim_id(1), &poe, &admin(), far_behind)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "association.time_went_back");

    // With no tolerance, even a moment behind is refused.
    let strict = service().with_clock_skew(StdDuration::ZERO);
    strict
        .create_association(claim_id(2), &mws_form(), &admin(), at)
        .await
        .unwrap();
    let err = strict
        .association(claim_id(2), &poe, &admin(), at - Duration::seconds(1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "association.time_went_back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_serialize_for_a_json_response() {
    use common::mci::{WORKSHOP, engagement, facts};
    let claims = service();
    let made = claims
        .create_association(claim_id(1), &mws_form(), &admin(), t0())
        .await
        .unwrap();
    let json = serde_json::to_value(&made).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["replayed"], false);
    assert!(json["claim"].is_object() && json["events"].is_array());

    let page = claims
        .partner_claims(&admin(), partner(), None, PageRequest::first(1))
        .await
        .unwrap();
    let json = serde_json::to_value(&page).unwrap();
    assert_eq!(json["items"].as_array().map(Vec::len), Some(1));
    assert!(json["next"].is_null());

    let grants = claims
        .usage_scope(partner(), TENANT.parse().unwrap(), t0())
        .await
        .unwrap();
    assert!(serde_json::to_value(&grants).unwrap().is_array());
    let swept = claims
        .sweep(t0() + Duration::days(400), &facts())
        .await
        .unwrap();
    assert!(serde_json::to_value(&swept).unwrap().is_array());

    let customers = claims
        .customers_page(
            &engagement(WORKSHOP),
            partner(),
            &admin(),
            &[common::mci::tenant_customer()],
            t0(),
            &facts(),
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&customers).unwrap();
    assert!(json["eligible"].is_array() && json["not_eligible"].is_array());

    let mut bad = mws_form();
    bad.name = String::new();
    let err = claims
        .create_association(claim_id(2), &bad, &admin(), t0())
        .await
        .unwrap_err();
    let cpor::service::ServiceError::Association(cpor::association::AssociationError::Form(
        problems,
    )) = &err
    else {
        panic!("not a form error: {err}");
    };
    let json = serde_json::to_value(problems).unwrap();
    assert_eq!(json["problems"][0]["field"], "name");
    assert!(json["problems"][0]["code"].is_string());
}
