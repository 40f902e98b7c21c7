//! Whole claims: round trips, the head's answers, and robustness, over claims of both families
//! in every reachable state and with every rare part set.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::activity::{ActivityClaim, ActivityCommand, ActivityEdit, EvidenceKind};
use crate::actor::Actor;
use crate::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    AssociationKey, InfoRequestReason, KeyUnit, ResubmitForm, RevenueForm, ReviewRejection,
};
use crate::catalog::{EngagementId, WorkloadId, builtin_catalogs};
use crate::claim::{Claim, CountedKey, UniqueKey};
use crate::codec::Head;
use crate::id::{CustomerId, PartnerId, SubscriptionId};
use crate::money::Usd;
use crate::testing::fixtures::{
    CAP_ONE, CAP_TWO, PARTNER_A, PARTNER_B, World, claim_id, partner, tenant, tpid_customer,
};
use crate::text::Text;

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::new().unwrap())
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

fn encode(claim: &Claim) -> Vec<u8> {
    let mut bytes = Vec::new();
    claim.encode(&mut bytes);
    bytes
}

/// The user ID's allocation of an actor, if it has one.
fn user_ptr(actor: &Actor) -> Option<*const u8> {
    match actor {
        Actor::Partner { user, .. } | Actor::Reviewer { user } => Some(user.as_str().as_ptr()),
        _ => None,
    }
}

/// Checks that history entries naming the same actor share one user ID allocation, when the
/// claim has no more distinct actors than the encoder refers back to.
fn actors_shared(actors: &[&Actor]) {
    let mut distinct: Vec<&Actor> = Vec::new();
    for actor in actors {
        if !distinct.contains(actor) {
            distinct.push(actor);
        }
    }
    if distinct.len() > 16 {
        return;
    }
    for (i, a) in actors.iter().enumerate() {
        for b in &actors[..i] {
            if a == b {
                assert_eq!(user_ptr(a), user_ptr(b), "equal actors share their user id");
            }
        }
    }
}

/// Keys that differ from `key` in one part: partner, engagement, tenant, workload,
/// subscription, customer.
fn near_misses(key: &UniqueKey) -> Vec<UniqueKey> {
    let other_partner = PartnerId::new(9_999_999).unwrap();
    let other_engagement = EngagementId::parse("threat_protection_workshop").unwrap();
    let other_tenant = tenant(4242).unwrap();
    let assoc = |key: &AssociationKey| {
        let mut out = Vec::new();
        let mut k = key.clone();
        k.engagement = other_engagement.clone();
        out.push(k);
        let mut k = key.clone();
        k.tenant = other_tenant;
        out.push(k);
        let mut k = key.clone();
        k.unit = KeyUnit::Workload(WorkloadId::parse("sharepoint").unwrap());
        out.push(k);
        let mut k = key.clone();
        k.unit = KeyUnit::Workload(WorkloadId::parse("team").unwrap());
        out.push(k);
        let mut k = key.clone();
        k.unit =
            KeyUnit::Subscription(SubscriptionId::from_uuid(uuid::Uuid::from_u128(77)).unwrap());
        out.push(k);
        out
    };
    let mut out = Vec::new();
    match key {
        UniqueKey::Associated { key } => {
            out.extend(
                assoc(key)
                    .into_iter()
                    .map(|key| UniqueKey::Associated { key }),
            );
            out.push(UniqueKey::OpenAssociation {
                partner: other_partner,
                key: key.clone(),
            });
        }
        UniqueKey::OpenAssociation { partner, key } => {
            out.extend(
                assoc(key)
                    .into_iter()
                    .map(|key| UniqueKey::OpenAssociation {
                        partner: *partner,
                        key,
                    }),
            );
            out.push(UniqueKey::OpenAssociation {
                partner: other_partner,
                key: key.clone(),
            });
            out.push(UniqueKey::Associated { key: key.clone() });
        }
        UniqueKey::OpenActivity {
            partner,
            engagement,
            customer,
        } => {
            for customer in other_customers(customer) {
                out.push(UniqueKey::OpenActivity {
                    partner: *partner,
                    engagement: engagement.clone(),
                    customer,
                });
            }
            out.push(UniqueKey::OpenActivity {
                partner: other_partner,
                engagement: engagement.clone(),
                customer: customer.clone(),
            });
            out.push(UniqueKey::OpenActivity {
                partner: *partner,
                engagement: other_engagement,
                customer: customer.clone(),
            });
        }
    }
    out
}

/// Customers like `customer` but not it: each kind, and a near value of the same kind.
fn other_customers(customer: &CustomerId) -> Vec<CustomerId> {
    let mut out: Vec<CustomerId> = [
        "domain:contoso.com",
        "domain:fabrikam.com",
        "tenant:72f988bf-86f1-41af-91ab-2d7c00000001",
        "tenant:72f988bf-86f1-41af-91ab-2d7c00000009",
        "tpid:123456",
        "tpid:123457",
        "azure_subscription:5f1c0e3a-1d2b-4c5d-8e9f-0a1b2c3d4e5f",
        "msx_opportunity:7-3CVDESBISU",
        "msx_opportunity:7-3CVDESBISV",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    out.retain(|c| c != customer);
    out
}

/// Every check of one claim: round trip, actor sharing, the head's answers for `keys`,
/// `counted` and near misses, and refusal of every truncation and of a trailing byte.
fn check(claim: &Claim, keys: &[UniqueKey], counted: &[CountedKey]) {
    let bytes = encode(claim);
    let back = Claim::decode(&bytes).unwrap_or_else(|e| panic!("{e} for {claim:?}"));
    assert_eq!(&back, claim);
    assert_eq!(encode(&back), bytes, "re-encoding is identical");
    match &back {
        Claim::Association(c) => {
            actors_shared(&c.history().iter().map(|e| &e.actor).collect::<Vec<_>>())
        }
        Claim::Activity(c) => {
            actors_shared(&c.history().iter().map(|e| &e.actor).collect::<Vec<_>>())
        }
    }

    let head = Head::parse(&bytes).unwrap();
    assert_eq!(head.id(), claim.id());
    assert_eq!(head.partner(), claim.partner());
    assert_eq!(head.next_deadline(), claim.next_deadline());
    assert_eq!(head.holds_anything(), claim.holds_anything());
    assert!(head.is_engagement(claim.engagement()));
    assert!(head.is_customer(&claim.customer()));
    assert!(head.key_customer_is(&claim.key_customer()));
    for other in other_customers(&claim.customer()) {
        assert!(!head.is_customer(&other));
    }
    let holdings = claim.holdings_trusted(builtin_catalogs());
    let mut all: Vec<UniqueKey> = keys.to_vec();
    for key in holdings.unique.iter().chain(keys) {
        all.push(key.clone());
        all.extend(near_misses(key));
    }
    for key in &all {
        assert_eq!(head.holds(key), claim.holds(key), "{key} for {claim:?}");
    }
    let mut counted: Vec<CountedKey> = counted.to_vec();
    if let Some((key, _)) = &holdings.counted {
        counted.push(key.clone());
    }
    for key in counted.clone() {
        for customer in other_customers(&key.customer) {
            counted.push(CountedKey {
                engagement: key.engagement.clone(),
                customer,
            });
        }
        counted.push(CountedKey {
            engagement: EngagementId::parse("mws_usage").unwrap(),
            customer: key.customer.clone(),
        });
    }
    for key in &counted {
        assert_eq!(head.counts_towards(key), claim.counts_towards(key), "{key}");
    }

    for cut in 0..bytes.len() {
        let err = Claim::decode(&bytes[..cut]).unwrap_err();
        assert!(err.offset() <= cut, "{err} cut at {cut}");
        // A head either parses or fails, never panics.
        let _ = Head::parse(&bytes[..cut]);
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Claim::decode(&longer).is_err());
}

/// Checks every claim against the keys of all of them.
fn check_all(claims: &[Claim]) {
    let keys: Vec<UniqueKey> = claims
        .iter()
        .flat_map(|c| c.holdings_trusted(builtin_catalogs()).unique)
        .collect();
    let counted: Vec<CountedKey> = claims
        .iter()
        .filter_map(|c| {
            c.holdings_trusted(builtin_catalogs())
                .counted
                .map(|(k, _)| k)
        })
        .collect();
    for claim in claims {
        check(claim, &keys, &counted);
    }
}

/// The forms association walks start from.
fn forms(n: u8) -> AssociationForm {
    let w = world();
    let mut form = w.form(
        "Contoso rollout",
        tenant(u128::from(n) % 3).unwrap(),
        &["teams", "exchange", "intune"],
    );
    match n % 3 {
        0 => {}
        1 => {
            form.incentive_payments = crate::association::IncentivePayments::OptedOut;
            form.comments = "Línea 1\nline 2".into();
            form.workloads = vec!["teams".into()];
        }
        _ => {
            form.solution_area = "business_applications".into();
            form.role = "influenced_revenue_recognition".into();
            form.workloads = vec!["dynamics_365_sales".into(), "power_bi".into()];
            form.subscription = "0b5f0e1c-2d3e-4f50-8a6b-7c8d9e0f1a2b".into();
            form.purchase_channel = "web_direct".into();
            form.revenue = RevenueForm {
                seller: "Adatum".into(),
                customer: "Contoso".into(),
                isv_product: "Contoso CRM".into(),
            };
        }
    }
    form
}

/// An association command and who issues it, by number.
fn association_step(n: u8, claim: &AssociationClaim) -> (AssociationCommand, Actor) {
    use AssociationCommand as C;
    let w = world();
    let admin = w.admin(claim.content().partner).unwrap();
    let reviewer = w.reviewer().unwrap();
    match n % 17 {
        0 => (
            C::AttachPoe {
                reference: text("sow-signed.pdf"),
            },
            admin,
        ),
        1 => (
            C::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            admin,
        ),
        2 => (C::StartReview, reviewer),
        3 => (
            C::RequestInfo {
                reason: InfoRequestReason::MissingProducts,
            },
            reviewer,
        ),
        4 => (
            C::Approve {
                arbitration: Arbitration::None,
            },
            reviewer,
        ),
        5 => (
            C::Approve {
                arbitration: Arbitration::Supersedes(claim_id(999).unwrap()),
            },
            reviewer,
        ),
        6 => (
            C::Reject {
                reason: ReviewRejection::InsufficientPoe,
            },
            reviewer,
        ),
        7 => (
            C::Resubmit {
                changes: ResubmitForm {
                    poe: vec!["more.pdf".into()],
                    comments: Some("answered".into()),
                    ..ResubmitForm::default()
                },
            },
            admin,
        ),
        8 => (C::Expire, Actor::System),
        9 => (
            C::Decline,
            Actor::customer(CustomerId::Tenant(claim.content().tenant)),
        ),
        10 => (
            C::Disassociate {
                reason: text("ended"),
            },
            admin,
        ),
        11 => (
            C::Supersede {
                by: claim_id(998).unwrap(),
            },
            reviewer,
        ),
        12 => (
            C::Dispute {
                reason: text("we did the work"),
            },
            admin,
        ),
        13 => (C::ApproveDispute, reviewer),
        14 => (C::RejectDispute, reviewer),
        15 => (C::Withdraw, admin),
        _ => {
            let mut form = forms(u8::try_from(claim.history().len()).unwrap_or(0));
            form.name = "Renamed".into();
            (C::EditDraft { form }, admin)
        }
    }
}

/// One of `accepted` by `n`: for even `n`, one that changes the state if any does, so that
/// walks go far rather than loop.
fn pick<T>(accepted: &[T], n: u8, moves: impl Fn(&T) -> bool) -> Option<&T> {
    let moving: Vec<&T> = accepted.iter().filter(|c| moves(c)).collect();
    let n = usize::from(n / 2);
    if n % 2 == 0 && !moving.is_empty() {
        moving.get(n % moving.len()).copied()
    } else {
        accepted.get(n % accepted.len().max(1))
    }
}

/// Hours to wait before a step: short, a day, or past every deadline.
const WAITS: [i64; 8] = [1, 1, 1, 2, 2, 30, 30, 24 * 40];

/// Walks an association claim through `steps`, keeping each claim the walk passes.
fn association_walk(start: u8, steps: &[(u8, u8)]) -> Vec<Claim> {
    let w = world();
    let p = partner(if start.is_multiple_of(2) {
        PARTNER_A
    } else {
        PARTNER_B
    })
    .unwrap();
    let mut claim = AssociationClaim::create(
        claim_id(u128::from(start) + 1).unwrap(),
        &forms(start),
        &w.admin(p).unwrap(),
        w.at(0).unwrap(),
        &w.catalog,
    )
    .unwrap()
    .claim;
    let mut out = vec![Claim::from(claim.clone())];
    let mut hour = 0;
    for &(command, wait) in steps {
        hour += WAITS[usize::from(wait) % WAITS.len()];
        // One of the commands the claim accepts, so that walks go far.
        let accepted: Vec<AssociationClaim> = (0..17)
            .filter_map(|k| {
                let (command, actor) = association_step(k, &claim);
                claim
                    .transition(&command, &actor, w.at(hour).unwrap(), &w.catalog)
                    .ok()
                    .map(|t| t.claim)
            })
            .collect();
        if let Some(next) = pick(&accepted, command, |c| c.state() != claim.state()) {
            claim = next.clone();
            out.push(claim.clone().into());
        }
    }
    out
}

/// An activity command and who issues it, by number.
fn activity_step(n: u8, claim: &ActivityClaim) -> (ActivityCommand, Actor) {
    use ActivityCommand as C;
    let w = world();
    let admin = w.admin(claim.partner()).unwrap();
    let reviewer = w.reviewer().unwrap();
    match n % 20 {
        0 => (
            C::SendConsent {
                estimated_deal_size: Usd::from_dollars(250_000).unwrap(),
            },
            admin,
        ),
        1 => (C::ResendConsent, admin),
        2 => (C::AcceptConsent, Actor::customer(claim.customer().clone())),
        3 => (C::DeclineConsent, Actor::customer(claim.customer().clone())),
        4 => (
            C::Edit {
                changes: ActivityEdit {
                    name: Some(text("Renamed")),
                    ..ActivityEdit::default()
                },
            },
            admin,
        ),
        5..=8 => (
            C::AddEvidence {
                kind: EvidenceKind::ALL[usize::from(n % 20 - 5)],
                reference: text("evidence.pdf"),
            },
            admin,
        ),
        9 => (C::Submit, admin),
        10 => (C::Cancel, admin),
        11 => (C::StartReview, reviewer),
        12 => (
            C::RequestInfo {
                reason: text("dates?"),
            },
            reviewer,
        ),
        13 => (C::Resubmit, admin),
        14 => (C::Approve, reviewer),
        15 => (C::Reject { reason: text("no") }, reviewer),
        16 => (C::MarkPaid, reviewer),
        17 => (
            C::Dispute {
                reason: text("yes"),
            },
            admin,
        ),
        18 => (C::Expire, Actor::System),
        _ => (
            C::LinkReferral {
                referral: text("ref-1"),
            },
            Actor::System,
        ),
    }
}

/// Walks an activity claim through `steps`, keeping each claim the walk passes.
fn activity_walk(start: u8, steps: &[(u8, u8)]) -> Vec<Claim> {
    let w = world();
    let p = partner(if start.is_multiple_of(2) {
        PARTNER_A
    } else {
        PARTNER_B
    })
    .unwrap();
    let id = claim_id(100 + u128::from(start)).unwrap();
    let mut claim = if start.is_multiple_of(3) {
        w.activity(id, p, CAP_TWO, &tpid_customer(123_456).unwrap(), 0)
    } else {
        w.activity(id, p, CAP_ONE, &CustomerId::Tenant(tenant(1).unwrap()), 0)
    }
    .unwrap();
    let mut out = vec![Claim::from(claim.clone())];
    let mut hour = 0;
    for &(command, wait) in steps {
        hour += WAITS[usize::from(wait) % WAITS.len()];
        let accepted: Vec<ActivityClaim> = (0..20)
            .filter_map(|k| {
                let (command, actor) = activity_step(k, &claim);
                w.act(&claim, &command, &actor, hour).ok()
            })
            .collect();
        if let Some(next) = pick(&accepted, command, |c| c.state() != claim.state()) {
            claim = next.clone();
            out.push(claim.clone().into());
        }
    }
    out
}

/// An association claim taken through exactly `commands` (by number), an hour apart.
fn association_path(start: u8, commands: &[u8]) -> Vec<Claim> {
    let w = world();
    let first = association_walk(start, &[]);
    let Some(Claim::Association(mut claim)) = first.last().cloned() else {
        panic!("no claim")
    };
    let mut out = first;
    for (hour, &n) in (1..).zip(commands) {
        let (command, actor) = association_step(n, &claim);
        claim = w.step(&claim, &command, &actor, hour).unwrap();
        out.push(claim.clone().into());
    }
    out
}

/// An activity claim taken through exactly `commands` (by number), an hour apart.
fn activity_path(start: u8, commands: &[u8]) -> Vec<Claim> {
    let w = world();
    let first = activity_walk(start, &[]);
    let Some(Claim::Activity(mut claim)) = first.last().cloned() else {
        panic!("no claim")
    };
    let mut out = first;
    for (hour, &n) in (1..).zip(commands) {
        let (command, actor) = activity_step(n, &claim);
        claim = w.act(&claim, &command, &actor, hour).unwrap();
        out.push(claim.clone().into());
    }
    out
}

/// A claim built from JSON without the invariant check, so that the codec meets field values
/// no transition makes.
trait Unchecked: serde::Serialize + Sized {
    fn unchecked(value: Value) -> Self;
}

impl Unchecked for AssociationClaim {
    fn unchecked(value: Value) -> Self {
        Self::from_value_unchecked(value)
    }
}

impl Unchecked for ActivityClaim {
    fn unchecked(value: Value) -> Self {
        Self::from_value_unchecked(value)
    }
}

/// A claim edited as JSON, with no invariant check: the codec must carry any value.
fn edited<T: Unchecked>(claim: &T, edit: impl FnOnce(&mut Value)) -> T {
    let mut value = serde_json::to_value(claim).unwrap();
    edit(&mut value);
    T::unchecked(value)
}

/// Claims with the rare parts set, which walks reach seldom or never: every review part,
/// revenue details, a subscription, odd times, domain, Azure and MSX customers, variable pay,
/// a referral, a mismatch reason, every flag.
fn rare_claims() -> Vec<Claim> {
    let mut out = Vec::new();
    let approved = association_path(0, &[0, 1, 2, 4]);
    let Some(Claim::Association(base)) = approved.last() else {
        panic!("no association claim")
    };
    assert_eq!(base.state(), crate::association::AssociationState::Approved);
    out.push(
        edited(base, |v| {
            v["review"] = json!({
                "info_request": ["missing_all_poe", "2026-03-20T09:00:00Z"],
                "rejection": {
                    "at": "2026-03-05T09:00:00.5Z",
                    "reason": "superseded_by_arbitration",
                    "dispute_until": "2026-04-05T09:00:00Z",
                },
                "disputed_at": "2026-03-06T09:00:00Z",
                "ending": { "at": "2026-03-05T09:00:00Z", "reason": "superseded" },
                "supersedes": claim_id(5).unwrap(),
                "superseded_by": claim_id(6).unwrap(),
            });
            v["created_at"] = json!("2026-03-02T09:00:00.123456789Z");
            v["content"]["comments"] = json!("a comment");
        })
        .into(),
    );
    out.push(edited(base, |v| v["review"] = json!({})).into());
    for state in ["rejected", "disputed", "partner_action_required"] {
        out.push(
            edited(base, |v| {
                v["state"] = json!(state);
                v["history"][4]["to"] = json!(state);
                v["review"] = json!({
                    "info_request": ["missing_products", "2026-03-20T09:00:00Z"],
                    "rejection": { "at": "2026-03-05T09:00:00Z", "reason": "customer_declined", "dispute_until": null },
                    "disputed_at": "2026-03-06T09:00:00Z",
                });
            })
            .into(),
        );
    }
    // A leap second, history entries at the same instant, and an actor repeated 20 times
    // among 20 distinct ones: past the encoder's table of shared actors.
    out.push(
        edited(base, |v| {
            v["approved_at"] = json!("2016-12-31T23:59:60.25Z");
            let entry = v["history"][4].clone();
            let history = v["history"].as_array_mut().unwrap();
            for i in 0..40 {
                let mut e = entry.clone();
                e["actor"] = json!({ "type": "reviewer", "user": format!("reviewer{}@microsoft.com", i % 20) });
                e["note"] = json!(format!("note {i}"));
                e["from"] = json!("approved");
                e["changed"] = json!(["name", "poe", "comments"]);
                history.push(e);
            }
        })
        .into(),
    );

    let activity = activity_path(1, &[0, 2]);
    let Some(Claim::Activity(base)) = activity.last() else {
        panic!("no activity claim")
    };
    out.push(
        edited(base, |v| {
            v["customer"] = json!("domain:contoso.com");
            v["resolved_tenant"] = json!(tenant(7).unwrap());
            v["variable"] = json!({ "hours": 40, "proposed_payout": "6000.00" });
            v["mismatch_reason"] = json!("the customer uses a subsidiary's domain");
            v["referral"] = json!("ref-42");
            v["referral_requested"] = json!(true);
            v["rejected_at"] = json!("2026-03-09T09:00:00Z");
            v["disputed_at"] = json!("2026-03-10T09:00:00Z");
            v["dispute_resubmitted_at"] = json!("2026-03-11T09:00:00Z");
            v["first_submitted_at"] = json!("2026-03-08T09:00:00Z");
            v["evidence"] = json!([
                { "kind": "poe", "reference": "poe.pdf", "at": "2026-03-03T09:00:00Z" },
                { "kind": "customer_survey", "reference": "s", "at": "2026-03-01T09:00:00.000000001Z" },
            ]);
        })
        .into(),
    );
    for customer in [
        "domain:fabrikam.com",
        "azure_subscription:5f1c0e3a-1d2b-4c5d-8e9f-0a1b2c3d4e5f",
        "msx_opportunity:7-3CVDESBISU",
    ] {
        out.push(edited(base, |v| v["customer"] = json!(customer)).into());
    }
    out.push(world().cancel(base, 10).unwrap().into());
    // The activity states random walks reach seldom: info requested, rejected after a
    // dispute, and the expiries after submission.
    let w = world();
    let info = activity_path(1, &[0, 2, 5, 8, 9, 11, 12]);
    let rejected = activity_path(1, &[0, 2, 5, 8, 9, 11, 15]);
    out.extend(activity_path(1, &[0, 2, 5, 8, 9, 11, 15, 17, 13, 11, 15]));
    for claims in [info, rejected] {
        let Some(Claim::Activity(last)) = claims.last() else {
            panic!("no activity claim")
        };
        out.push(
            w.act(last, &ActivityCommand::Expire, &Actor::System, 24 * 400)
                .unwrap()
                .into(),
        );
        out.extend(claims);
    }
    out
}

#[test]
fn rare_claims_round_trip_and_heads_agree() {
    check_all(&rare_claims());
}

/// The typical claim of the memory benchmark (`benches/support/mod.rs::approved`): 3
/// workloads, 2 contacts, 1 PoE, 5 history entries; and its draft.
fn typical() -> (Claim, Claim) {
    let claims = association_path(0, &[0, 1, 2, 4]);
    (claims[0].clone(), claims[4].clone())
}

#[test]
fn typical_sizes() {
    let (draft, approved) = typical();
    let (draft, approved) = (encode(&draft), encode(&approved));
    eprintln!(
        "encoded sizes: typical draft {} bytes, typical approved claim {} bytes",
        draft.len(),
        approved.len()
    );
    assert!(approved.len() < 400, "{}", approved.len());
}

/// Times encode, decode and `Head::holds` on the typical approved claim. Run with
/// `cargo test --release --all-features --lib codec_timing -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn codec_timing() {
    use std::hint::black_box;
    use std::time::Instant;
    let (_, claim) = typical();
    let n = 100_000_u32;
    let mut bytes = Vec::new();
    let start = Instant::now();
    for _ in 0..n {
        bytes.clear();
        black_box(&claim).encode(&mut bytes);
        black_box(&bytes);
    }
    let encode = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        let mut fresh = Vec::new();
        black_box(&claim).encode(&mut fresh);
        black_box(fresh);
    }
    let encode_fresh = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        black_box(Claim::decode(black_box(&bytes)).unwrap());
    }
    let decode = start.elapsed() / n;
    let key = claim
        .holdings_trusted(builtin_catalogs())
        .unique
        .pop()
        .unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let head = Head::parse(black_box(&bytes)).unwrap();
        black_box(head.holds(black_box(&key)));
    }
    let holds = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        black_box(Head::parse(black_box(&bytes)).unwrap());
    }
    let parse = start.elapsed() / n;
    let head = Head::parse(&bytes).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        black_box(black_box(&head).holds(black_box(&key)));
    }
    let holds_only = start.elapsed() / n;
    eprintln!(
        "encode {encode:?} (into a fresh Vec {encode_fresh:?}), decode {decode:?}, \
         Head::parse + holds {holds:?} (parse {parse:?}, holds {holds_only:?}), {} bytes",
        bytes.len()
    );
}

/// The walks and the rare claims reach every state of both families, so the checks see them
/// all.
#[test]
fn walks_reach_every_state() {
    let mut association = std::collections::BTreeSet::new();
    let mut activity = std::collections::BTreeSet::new();
    let mut seed = 7_u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) as u8
    };
    for walk in 0..300_u32 {
        let steps: Vec<(u8, u8)> = (0..24).map(|_| (next(), next())).collect();
        let start = (walk % 6) as u8;
        for claim in association_walk(start, &steps) {
            association.insert(claim.as_association().unwrap().state());
        }
        for claim in activity_walk(start, &steps) {
            activity.insert(claim.as_activity().unwrap().state());
        }
    }
    for claim in rare_claims() {
        match &claim {
            Claim::Association(c) => association.insert(c.state()),
            Claim::Activity(c) => activity.insert(c.state()),
        };
    }
    assert_eq!(
        association.len(),
        crate::association::AssociationState::ALL.len(),
        "{association:?}"
    );
    assert_eq!(
        activity.len(),
        crate::activity::ActivityState::ALL.len(),
        "{activity:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn association_walks_round_trip_and_heads_agree(
        start in 0_u8..6,
        steps in proptest::collection::vec((any::<u8>(), any::<u8>()), 0..14),
    ) {
        check_all(&association_walk(start, &steps));
    }

    #[test]
    fn activity_walks_round_trip_and_heads_agree(
        start in 0_u8..6,
        steps in proptest::collection::vec((any::<u8>(), any::<u8>()), 0..16),
    ) {
        check_all(&activity_walk(start, &steps));
    }

    /// Flipped bytes give an error or a valid claim that re-encodes to the same bytes; never a
    /// panic.
    #[test]
    fn flipped_bytes_never_panic(
        pick in 0_usize..64,
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), 1_u8..=255), 1..4),
    ) {
        static CLAIMS: OnceLock<Vec<Claim>> = OnceLock::new();
        let claims = CLAIMS.get_or_init(|| {
            let mut all = rare_claims();
            all.extend(association_path(2, &[0, 1, 2, 3, 7, 2, 6, 12]));
            all.extend(activity_path(3, &[0, 2, 5, 6, 8, 9, 11, 15]));
            all
        });
        let claim = &claims[pick % claims.len()];
        let mut bytes = encode(claim);
        for (at, xor) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= xor;
        }
        if let Ok(decoded) = Claim::decode(&bytes) {
            // Parsers canonicalise (a domain's letter case), so the bytes may differ; the claim
            // may not.
            prop_assert_eq!(&Claim::decode(&encode(&decoded)).unwrap(), &decoded);
            let head = Head::parse(&bytes).unwrap();
            prop_assert_eq!(head.id(), decoded.id());
            prop_assert_eq!(head.holds_anything(), decoded.holds_anything());
        }
        if let Ok(head) = Head::parse(&bytes) {
            for key in claim.holdings_trusted(builtin_catalogs()).unique {
                let _ = head.holds(&key);
            }
        }
    }
}
