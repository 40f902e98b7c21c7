//! Parsing every identifier type, beside the named baselines of issue 2:
//! `uuid::Uuid::parse_str` for GUIDs, and a `regex` validation (plus `len <= 253`) for domains.

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

fn guids(c: &mut Criterion) {
    let mut group = c.benchmark_group("guid");
    group.bench_function("uuid::Uuid::parse_str (baseline)", |b| {
        b.iter(|| {
            for text in GUIDS {
                black_box(uuid::Uuid::parse_str(black_box(text)).ok());
            }
        });
    });
    group.bench_function("TenantId::parse", |b| {
        b.iter(|| {
            for text in GUIDS {
                black_box(cpor::TenantId::parse(black_box(text)).ok());
            }
        });
    });
    group.finish();
}

fn domains(c: &mut Criterion) {
    let regex = Regex::new(DOMAIN_REGEX).unwrap();
    for text in DOMAINS {
        assert!(regex.is_match(text) && cpor::DomainName::parse(text).is_ok());
    }
    let mut group = c.benchmark_group("domain");
    group.bench_function("regex validation (baseline)", |b| {
        b.iter(|| {
            for text in DOMAINS {
                let text = black_box(text);
                black_box(text.len() <= 253 && regex.is_match(text));
            }
        });
    });
    group.bench_function("DomainName::parse", |b| {
        b.iter(|| {
            for text in DOMAINS {
                black_box(cpor::DomainName::parse(black_box(text)).ok());
            }
        });
    });
    group.finish();
}

fn others(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.bench_function("Tpid", |b| {
        b.iter(|| black_box(cpor::Tpid::parse(black_box("123456789012")).ok()));
    });
    group.bench_function("PartnerId", |b| {
        b.iter(|| black_box(cpor::PartnerId::parse(black_box("4512345")).ok()));
    });
    group.bench_function("MsxOpportunityId", |b| {
        b.iter(|| black_box(cpor::MsxOpportunityId::parse(black_box("7-3cvdesbisu")).ok()));
    });
    group.bench_function("EmailAddress", |b| {
        b.iter(|| black_box(cpor::EmailAddress::parse(black_box("megan.bowen@contoso.com")).ok()));
    });
    group.bench_function("CustomerId (tenant)", |b| {
        let text = "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47";
        b.iter(|| black_box(cpor::CustomerId::parse(black_box(text)).ok()));
    });
    group.finish();
}

criterion_group!(benches, guids, domains, others);
criterion_main!(benches);
