//! The cases of paging: every list query walks its claims a page at a time, in the order
//! they were first stored, each once, even while claims are written between pages.

use super::StoreFactory;
use super::check::{Context, Outcome, ensure, same};
use super::fixtures::{PARTNER_A, PARTNER_B, Stage, World, claim_id, engagement, partner, tenant};
use crate::id::{ClaimId, CustomerId};
use crate::store::{Page, PageRequest, Scope, Store, Stored, Write};

/// Reads every page of a listing with pages of `limit`, checking each page's size.
fn walk<T>(
    limit: u32,
    what: &str,
    mut read: impl FnMut(PageRequest) -> Outcome<Page<T>>,
) -> Outcome<Vec<T>> {
    let mut request = Some(PageRequest::first(limit));
    let mut items = Vec::new();
    let mut pages = 0_u32;
    while let Some(page_request) = request {
        let page = read(page_request)?;
        ensure(page.items.len() <= limit as usize, || {
            format!("{what}: a page of limit {limit} held {}", page.items.len())
        })?;
        pages = pages.saturating_add(1);
        ensure(pages <= 1_000, || format!("{what}: more than 1,000 pages"))?;
        request = page_request.next(&page);
        items.extend(page.items);
    }
    Ok(items)
}

fn ids(stored: &[Stored]) -> Vec<ClaimId> {
    stored.iter().map(|s| s.claim.id()).collect()
}

/// Stores, in this order, claims of partners A and B interleaved, one tenant each, the
/// claims of A at stage `InfoRequested` (they have a deadline) every third. Returns the IDs
/// of A's and B's claims in the order stored.
fn seed<S: Store + ?Sized>(
    store: &S,
    w: &World,
    base: u128,
) -> Outcome<(Vec<ClaimId>, Vec<ClaimId>)> {
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    let (mut of_a, mut of_b) = (Vec::new(), Vec::new());
    for n in 0..10_u128 {
        let stage = if n % 3 == 0 {
            Stage::InfoRequested
        } else {
            Stage::Draft
        };
        let (owner, list) = if n % 4 == 3 {
            (b, &mut of_b)
        } else {
            (a, &mut of_a)
        };
        let id = claim_id(base.saturating_add(n))?;
        let claim = w.association(
            id,
            owner,
            tenant(base.saturating_add(n))?,
            &["teams"],
            stage,
        )?;
        store
            .commit(vec![Write::create(claim)])
            .context("seed commit")?;
        list.push(id);
    }
    Ok((of_a, of_b))
}

pub(super) fn lists_page_in_the_order_stored<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (of_a, of_b) = seed(&store, &w, 600)?;
    let (a, b) = (partner(PARTNER_A)?, partner(PARTNER_B)?);
    for limit in [1, 2, 3, 100] {
        let listed = walk(limit, "by_partner", |p| {
            store.by_partner(a, p).context("by_partner")
        })?;
        same(
            format_args!("by_partner(A) in pages of {limit}"),
            &ids(&listed),
            &of_a,
        )?;
        let listed = walk(limit, "by_partner_engagement", |p| {
            store
                .by_partner_engagement(b, &engagement(super::fixtures::MWS_ENGAGEMENT)?, p)
                .context("by_partner_engagement")
        })?;
        same(
            format_args!("by_partner_engagement(B) in pages of {limit}"),
            &ids(&listed),
            &of_b,
        )?;
    }
    let first = store
        .by_partner(a, PageRequest::first(1))
        .context("by_partner")?;
    ensure(first.next.is_some(), || {
        "a full page of a longer listing has no cursor".to_owned()
    })?;
    let last = store
        .by_partner(a, PageRequest::first(100))
        .context("by_partner")?;
    ensure(last.next.is_none(), || {
        "the last page of a listing has a cursor".to_owned()
    })?;
    Ok(())
}

pub(super) fn customer_and_due_lists_page<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let a = partner(PARTNER_A)?;
    let b = partner(PARTNER_B)?;
    // Three partners' worth of claims about one tenant: A's draft, B's draft, A's second.
    let shared = tenant(700)?;
    let mut about = Vec::new();
    for (n, owner, workload) in [(700, a, "teams"), (701, b, "teams"), (702, a, "exchange")] {
        let claim = w.association(claim_id(n)?, owner, shared, &[workload], Stage::Draft)?;
        store.commit(vec![Write::create(claim)]).context("commit")?;
        about.push(claim_id(n)?);
    }
    let customer = CustomerId::Tenant(shared);
    let all = walk(1, "by_customer", |p| {
        store
            .by_customer(Scope::Microsoft, &customer, p)
            .context("by_customer")
    })?;
    same("by_customer in pages of 1", &ids(&all), &about)?;
    let own = walk(1, "by_customer", |p| {
        store
            .by_customer(Scope::Partner(a), &customer, p)
            .context("by_customer")
    })?;
    let of_a: Vec<ClaimId> = about
        .iter()
        .copied()
        .filter(|id| *id != claim_id(701).unwrap_or(*id))
        .collect();
    same("by_customer scoped to A in pages of 1", &ids(&own), &of_a)?;

    seed(&store, &w, 800)?;
    let seeded = (800..810_u128)
        .map(claim_id)
        .collect::<Outcome<Vec<ClaimId>>>()?;
    let with_deadline: Vec<ClaimId> = seeded
        .iter()
        .copied()
        .filter(|id| {
            store
                .load(Scope::Microsoft, *id)
                .ok()
                .flatten()
                .is_some_and(|s| s.claim.next_deadline().is_some())
        })
        .collect();
    ensure(!with_deadline.is_empty(), || {
        "no claim has a deadline".to_owned()
    })?;
    let far = w.at(24 * 365 * 5)?;
    let due = walk(1, "due", |p| store.due(far, p).context("due"))?;
    same("due in pages of 1", &due, &with_deadline)?;
    Ok(())
}

pub(super) fn a_cursor_survives_writes<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (of_a, _) = seed(&store, &w, 900)?;
    let a = partner(PARTNER_A)?;
    let first = store
        .by_partner(a, PageRequest::first(2))
        .context("by_partner")?;
    // Between the pages: claims already listed and not yet listed are written again (each
    // gets a new version), and a new claim is created.
    for id in of_a.iter().take(3) {
        let stored = store
            .load(Scope::Microsoft, *id)
            .context("load")?
            .context("a seeded claim")?;
        store
            .commit(vec![Write::update(stored.claim, stored.version)])
            .context("update")?;
    }
    let new = claim_id(999)?;
    let created = w.association(new, a, tenant(999)?, &["teams"], Stage::Draft)?;
    store
        .commit(vec![Write::create(created)])
        .context("create")?;
    let mut seen = ids(&first.items);
    let mut request = PageRequest::next(PageRequest::first(2), &first);
    let mut pages = 0_u32;
    while let Some(page_request) = request {
        let page = store.by_partner(a, page_request).context("by_partner")?;
        seen.extend(ids(&page.items));
        request = page_request.next(&page);
        pages = pages.saturating_add(1);
        ensure(pages <= 100, || "more than 100 pages".to_owned())?;
    }
    let mut expected = of_a;
    expected.push(new);
    same(
        "pages read around writes, each claim once, the new claim last",
        &seen,
        &expected,
    )
}
