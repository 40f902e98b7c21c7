//! Group **identifiers**: parsing every identifier type beside a named baseline.
//!
//! - GUID types against `uuid::Uuid::parse_str` (goal for `TenantId`: ≤ 1.15×);
//! - `DomainName` against a `regex` validation plus `len <= 253` (goal: ≤ 1.00×), and the other
//!   text formats against a `regex` validation of the same format (no goal: for the record).
//!
//! Each `cpor` parse also builds the value in canonical form; the baselines only validate.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use regex::Regex;

const GUIDS: [&str; 3] = [
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
    "6f9619ff-8b86-d011-b42d-00c04fc964ff",
];

const DOMAINS: [&str; 3] = [
    "contoso.onmicrosoft.com",
    "fabrikam.com",
    "sales.emea.northwind.example",
];

const DOMAIN_REGEX: &str =
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$";

/// Runs `parse` over every input, as one iteration.
fn each<T>(inputs: &[&'static str], parse: impl Fn(&str) -> T) -> impl FnMut() {
    let inputs = inputs.to_vec();
    move || {
        for text in &inputs {
            black_box(parse(black_box(text)));
        }
    }
}

fn guids(c: &mut Criterion) {
    let mut group = c.benchmark_group("identifiers: GUID types");
    group.bench_function("baseline: uuid::Uuid::parse_str", |b| {
        b.iter(each(&GUIDS, |t| uuid::Uuid::parse_str(t).ok()));
    });
    group.bench_function("TenantId::parse", |b| {
        b.iter(each(&GUIDS, |t| cpor::TenantId::parse(t).ok()));
    });
    group.bench_function("AzureSubscriptionId::parse", |b| {
        b.iter(each(&GUIDS, |t| cpor::AzureSubscriptionId::parse(t).ok()));
    });
    group.bench_function("SubscriptionId::parse", |b| {
        b.iter(each(&GUIDS, |t| cpor::SubscriptionId::parse(t).ok()));
    });
    group.bench_function("ClaimId::parse", |b| {
        b.iter(each(&GUIDS, |t| cpor::ClaimId::parse(t).ok()));
    });
    group.finish();
}

fn domains(c: &mut Criterion) {
    let regex = Regex::new(DOMAIN_REGEX).unwrap();
    for text in DOMAINS {
        assert!(regex.is_match(text) && cpor::DomainName::parse(text).is_ok());
    }
    let mut group = c.benchmark_group("identifiers: DomainName");
    group.bench_function("baseline: regex + len <= 253", |b| {
        b.iter(each(&DOMAINS, |t| t.len() <= 253 && regex.is_match(t)));
    });
    group.bench_function("DomainName::parse", |b| {
        b.iter(each(&DOMAINS, |t| cpor::DomainName::parse(t).ok()));
    });
    group.finish();
}

/// One text format: its regex baseline and the `cpor` parse, in a group of their own.
fn text_format<T>(
    c: &mut Criterion,
    name: &str,
    inputs: &[&'static str],
    pattern: &str,
    parse: impl Fn(&str) -> Option<T>,
) {
    let regex = Regex::new(pattern).unwrap();
    for text in inputs {
        assert!(regex.is_match(text), "{name} baseline refuses {text}");
        assert!(parse(text).is_some(), "{name} refuses {text}");
    }
    let mut group = c.benchmark_group(format!("identifiers: {name}"));
    group.bench_function("baseline: regex", |b| {
        b.iter(each(inputs, |t| regex.is_match(t)));
    });
    group.bench_function(format!("{name}::parse"), |b| b.iter(each(inputs, &parse)));
    group.finish();
}

fn others(c: &mut Criterion) {
    text_format(c, "Tpid", &["123456789012", "999"], r"^[0-9]{1,12}$", |t| {
        cpor::Tpid::parse(t).ok()
    });
    text_format(c, "PartnerId", &["4512345"], r"^[0-9]{1,10}$", |t| {
        cpor::PartnerId::parse(t).ok()
    });
    text_format(
        c,
        "MsxOpportunityId",
        &["7-3cvdesbisu", "7-3CVDESBISU"],
        r"^[0-9]-[A-Za-z0-9]{10}$",
        |t| cpor::MsxOpportunityId::parse(t).ok(),
    );
    text_format(
        c,
        "EmailAddress",
        &["megan.bowen@contoso.com"],
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
        |t| cpor::EmailAddress::parse(t).ok(),
    );
    text_format(
        c,
        "CustomerId",
        &["tenant:72f988bf-86f1-41af-91ab-2d7cd011db47", "tpid:999"],
        r"^(?:tenant:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|tpid:[0-9]{1,12})$",
        |t| cpor::CustomerId::parse(t).ok(),
    );
}

criterion_group!(benches, guids, domains, others);
criterion_main!(benches);
