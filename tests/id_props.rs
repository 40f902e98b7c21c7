//! Property tests of the identifier types, 1,000 cases each.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use cpor::id::INPUT_ECHO_LIMIT;
use cpor::{
    AzureSubscriptionId, ClaimId, CustomerId, CustomerIdKind, DomainName, EmailAddress, IdError,
    MsxOpportunityId, PartnerId, SubscriptionId, TenantId, Tpid,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde::de::DeserializeOwned;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/id_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

// ---- generators of valid text, written loosely ----

fn mixed_case(text: String, flips: Vec<bool>) -> String {
    text.chars()
        .zip(flips.into_iter().cycle())
        .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
        .collect()
}

fn guid_text() -> impl Strategy<Value = String> {
    (
        any::<[u8; 16]>(),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 1..8),
    )
        .prop_filter("nil", |(b, _, _)| *b != [0; 16])
        .prop_map(|(bytes, braced, flips)| {
            let text = mixed_case(uuid::Uuid::from_bytes(bytes).to_string(), flips);
            if braced { format!("{{{text}}}") } else { text }
        })
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
}

fn domain_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(label(), 1..4),
        "[a-z]([a-z0-9-]{0,8}[a-z0-9])?",
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 1..8),
    )
        .prop_map(|(mut labels, tld, dot, flips)| {
            labels.push(tld);
            let text = mixed_case(labels.join("."), flips);
            if dot { format!("{text}.") } else { text }
        })
        .prop_filter("length", |t| t.trim_end_matches('.').len() <= 253)
}

fn digits_text(max: u64, width: usize) -> impl Strategy<Value = String> {
    (1..=max, 0..width).prop_map(move |(n, pad)| {
        let text = n.to_string();
        let zeros = pad.min(width - text.len());
        format!("{}{text}", "0".repeat(zeros))
    })
}

fn msx_text() -> impl Strategy<Value = String> {
    "[0-9]-[A-Za-z0-9]{10}"
}

fn email_text() -> impl Strategy<Value = String> {
    let atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,16}";
    (prop::collection::vec(atom, 1..4), domain_text())
        .prop_map(|(atoms, domain)| format!("{}@{domain}", atoms.join(".")))
        .prop_filter("length", |t| t.len() <= 254)
}

fn customer_text() -> impl Strategy<Value = String> {
    prop_oneof![
        domain_text().prop_map(|t| format!("domain:{t}")),
        guid_text().prop_map(|t| format!("tenant:{t}")),
        digits_text(999_999_999_999, 12).prop_map(|t| format!("tpid:{t}")),
        guid_text().prop_map(|t| format!("azure_subscription:{t}")),
        msx_text().prop_map(|t| format!("msx_opportunity:{t}")),
    ]
}

/// Any Unicode text of at most 10 KB.
fn arbitrary_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..10_240).prop_map(|chars| {
        let mut text: String = chars.into_iter().collect();
        let mut cut = text.len().min(10 * 1024);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text
    })
}

/// A valid text with one character inserted, removed or replaced: mostly invalid, near the
/// boundary of the format.
fn mutated(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (
        valid,
        any::<prop::sample::Index>(),
        0..3_u8,
        any::<char>(),
        "[-.{}@:0-9a-zA-Z ]",
    )
        .prop_map(|(text, at, op, wild, near)| {
            let mut chars: Vec<char> = text.chars().collect();
            let ch = if wild.is_ascii() {
                near.chars().next().unwrap()
            } else {
                wild
            };
            let i = at.index(chars.len() + 1);
            match op {
                0 => chars.insert(i, ch),
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                _ if i < chars.len() => chars[i] = ch,
                _ => chars.push(ch),
            }
            chars.into_iter().collect()
        })
}

// ---- the properties, for one type ----

/// `Display` then parse gives back an equal value, and the canonical text is a fixed point.
fn display_round_trip<T>(text: &str) -> Result<(), TestCaseError>
where
    T: FromStr<Err = IdError> + Display + PartialEq + Debug,
{
    let value: T = text
        .parse()
        .map_err(|e: IdError| TestCaseError::fail(format!("{text:?}: {e}")))?;
    let canonical = value.to_string();
    let again: T = canonical
        .parse()
        .map_err(|e: IdError| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&again, &value);
    prop_assert_eq!(again.to_string(), canonical);
    Ok(())
}

/// A JSON round trip gives back an equal value, written as the canonical string.
fn json_round_trip<T>(text: &str) -> Result<(), TestCaseError>
where
    T: FromStr<Err = IdError> + Display + PartialEq + Debug + serde::Serialize + DeserializeOwned,
{
    let value: T = text
        .parse()
        .map_err(|e: IdError| TestCaseError::fail(e.to_string()))?;
    let json = serde_json::to_string(&value).unwrap();
    prop_assert_eq!(&json, &serde_json::to_string(&value.to_string()).unwrap());
    let back: T = serde_json::from_str(&json).unwrap();
    prop_assert_eq!(back, value);
    Ok(())
}

/// serde accepts exactly what `FromStr` accepts, with the same value or the same message.
fn serde_agrees<T>(text: &str) -> Result<(), TestCaseError>
where
    T: FromStr<Err = IdError> + PartialEq + Debug + DeserializeOwned,
{
    let parsed = text.parse::<T>();
    let deserialized = serde_json::from_value::<T>(serde_json::Value::String(text.to_owned()));
    match (parsed, deserialized) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
        (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
        (a, b) => prop_assert!(false, "{text:?}: FromStr {a:?}, serde {b:?}"),
    }
    Ok(())
}

/// Parsing never panics, and an error keeps its invariants.
fn never_panics<T: FromStr<Err = IdError>>(text: &str) -> Result<(), TestCaseError> {
    if let Err(err) = text.parse::<T>() {
        prop_assert!(err.code().starts_with(err.field().code()), "{}", err.code());
        prop_assert!(err.input().chars().count() <= INPUT_ECHO_LIMIT);
        // The echo is a piece of the input (the value part, for a `kind:value` customer ID).
        prop_assert!(text.contains(err.input()));
        let message = err.to_string();
        prop_assert!(message.starts_with(err.field().name()), "{}", message);
        // The GUID explainer always finds the real reason: a `length` error is never
        // reported for a text of a valid length.
        if err.code().ends_with(".length") && err.field() == cpor::IdField::TenantId {
            let n = text.chars().count();
            let braced = n == 38 && text.starts_with('{') && text.ends_with('}');
            prop_assert!(n != 36 && !braced, "length error for {:?}", text);
        }
    }
    Ok(())
}

/// Every identifier parser over one text.
fn all_types_never_panic(text: &str) -> Result<(), TestCaseError> {
    never_panics::<TenantId>(text)?;
    never_panics::<AzureSubscriptionId>(text)?;
    never_panics::<SubscriptionId>(text)?;
    never_panics::<ClaimId>(text)?;
    never_panics::<DomainName>(text)?;
    never_panics::<Tpid>(text)?;
    never_panics::<PartnerId>(text)?;
    never_panics::<MsxOpportunityId>(text)?;
    never_panics::<EmailAddress>(text)?;
    never_panics::<CustomerId>(text)?;
    never_panics::<CustomerIdKind>(text)?;
    Ok(())
}

macro_rules! properties {
    ($($name:ident: $ty:ty = $valid:expr;)*) => {
        $(
            mod $name {
                use super::*;

                proptest! {
                    #![proptest_config(config())]

                    #[test]
                    fn display_then_parse_is_identity(text in $valid) {
                        display_round_trip::<$ty>(&text)?;
                    }

                    #[test]
                    fn json_round_trip_is_identity(text in $valid) {
                        json_round_trip::<$ty>(&text)?;
                    }

                    #[test]
                    fn serde_accepts_exactly_what_from_str_accepts(
                        text in prop_oneof![$valid, mutated($valid), arbitrary_text()]
                    ) {
                        serde_agrees::<$ty>(&text)?;
                    }

                    #[test]
                    fn near_misses_never_panic(text in mutated($valid)) {
                        never_panics::<$ty>(&text)?;
                    }
                }
            }
        )*
    };
}

properties! {
    tenant_id: TenantId = guid_text();
    azure_subscription_id: AzureSubscriptionId = guid_text();
    subscription_id: SubscriptionId = guid_text();
    claim_id: ClaimId = guid_text();
    domain_name: DomainName = domain_text();
    tpid: Tpid = digits_text(999_999_999_999, 12);
    partner_id: PartnerId = digits_text(9_999_999_999, 10);
    msx_opportunity_id: MsxOpportunityId = msx_text();
    email_address: EmailAddress = email_text();
    customer_id: CustomerId = customer_text();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic(text in arbitrary_text()) {
        all_types_never_panic(&text)?;
    }

    #[test]
    fn letter_case_never_makes_two_ids_differ(
        guid in guid_text(), domain in domain_text(), msx in msx_text()
    ) {
        prop_assert_eq!(
            guid.to_uppercase().parse::<TenantId>().unwrap(),
            guid.to_lowercase().parse::<TenantId>().unwrap()
        );
        prop_assert_eq!(
            domain.to_uppercase().parse::<DomainName>().unwrap(),
            domain.to_lowercase().parse::<DomainName>().unwrap()
        );
        prop_assert_eq!(
            msx.to_uppercase().parse::<MsxOpportunityId>().unwrap(),
            msx.to_lowercase().parse::<MsxOpportunityId>().unwrap()
        );
    }

    #[test]
    fn canonical_forms_have_their_documented_shape(
        guid in guid_text(), domain in domain_text(), tpid in digits_text(999_999_999_999, 12)
    ) {
        let tenant = guid.parse::<TenantId>().unwrap().to_string();
        prop_assert_eq!(tenant.len(), 36);
        prop_assert_eq!(&tenant, &tenant.to_lowercase());
        let domain = domain.parse::<DomainName>().unwrap().to_string();
        prop_assert!(!domain.ends_with('.'));
        prop_assert_eq!(&domain, &domain.to_lowercase());
        let tpid = tpid.parse::<Tpid>().unwrap().to_string();
        prop_assert!(!tpid.starts_with('0'));
    }
}
