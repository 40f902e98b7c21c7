//! Tests for USD amounts: the text form (valid inputs with their canonical form, invalid inputs
//! with their code and message), checked arithmetic, serde, and the proposed variable payout.

use cpor::money::{INPUT_ECHO_LIMIT, MoneyError, Usd, proposed_payout};
use proptest::prelude::*;

fn usd(cents: u64) -> Usd {
    Usd::from_cents(cents)
}

/// `(input, canonical form)` pairs that must parse.
const VALID: &[(&str, &str)] = &[
    ("0", "0.00"),
    ("0.0", "0.00"),
    ("0.00", "0.00"),
    ("00", "0.00"),
    ("1", "1.00"),
    ("1.5", "1.50"),
    ("1.05", "1.05"),
    ("1.50", "1.50"),
    ("1234", "1234.00"),
    ("1234.5", "1234.50"),
    ("1234.56", "1234.56"),
    ("0.01", "0.01"),
    ("0.1", "0.10"),
    ("0007.10", "7.10"),
    ("5000.00", "5000.00"),
    ("184467440737095516.15", "184467440737095516.15"),
    ("184467440737095516", "184467440737095516.00"),
    (
        "0000000000000000000000000000000000184467440737095516.15",
        "184467440737095516.15",
    ),
];

/// `(input, code)` pairs that must be refused.
const INVALID: &[(&str, &str)] = &[
    ("", "money.empty"),
    ("-1", "money.invalid"),
    ("+1", "money.invalid"),
    ("-0.00", "money.invalid"),
    ("$12", "money.invalid"),
    ("12$", "money.invalid"),
    ("USD 12", "money.invalid"),
    (" 12", "money.invalid"),
    ("12 ", "money.invalid"),
    ("1 234", "money.invalid"),
    ("1,234.56", "money.invalid"),
    ("1_000", "money.invalid"),
    ("1e3", "money.invalid"),
    ("1E3", "money.invalid"),
    ("1.5e2", "money.invalid"),
    ("0x10", "money.invalid"),
    ("1.2.3", "money.invalid"),
    ("١٢", "money.invalid"),
    ("12€", "money.invalid"),
    (".", "money.invalid"),
    (".5", "money.invalid"),
    ("12.", "money.invalid"),
    ("NaN", "money.invalid"),
    ("inf", "money.invalid"),
    ("1.234", "money.too_many_decimals"),
    ("1.000", "money.too_many_decimals"),
    ("0.001", "money.too_many_decimals"),
    ("184467440737095516.16", "money.overflow"),
    ("184467440737095517", "money.overflow"),
    ("99999999999999999999", "money.overflow"),
    ("18446744073709551615", "money.overflow"),
];

#[test]
fn valid_text_parses_to_its_canonical_form() {
    for (input, canonical) in VALID {
        let amount: Usd = input
            .parse()
            .unwrap_or_else(|e| panic!("{input:?} should parse: {e}"));
        assert_eq!(amount.to_string(), *canonical, "{input:?}");
        // Every entry point uses the same validator.
        assert_eq!(Usd::parse(input), Ok(amount), "{input:?}");
        assert_eq!(Usd::try_from(*input), Ok(amount), "{input:?}");
        assert_eq!(Usd::try_from(input.to_string()), Ok(amount), "{input:?}");
        let json = format!("\"{input}\"");
        assert_eq!(
            serde_json::from_str::<Usd>(&json).ok(),
            Some(amount),
            "{input:?}"
        );
        // The canonical form is a fixed point.
        assert_eq!(canonical.parse::<Usd>(), Ok(amount), "{canonical:?}");
    }
}

#[test]
fn invalid_text_is_refused_with_its_code() {
    for (input, code) in INVALID {
        let err = input
            .parse::<Usd>()
            .expect_err(&format!("{input:?} should be refused"));
        assert_eq!(err.code(), *code, "{input:?}: {err}");
        assert_eq!(Usd::try_from(*input).err(), Some(err.clone()), "{input:?}");
        assert_eq!(
            Usd::try_from(input.to_string()).err(),
            Some(err.clone()),
            "{input:?}"
        );
        let json = serde_json::to_string(input).expect("string to json");
        let serde_err = serde_json::from_str::<Usd>(&json).expect_err("serde refuses too");
        assert!(
            serde_err.to_string().contains(&err.to_string()),
            "{input:?}: serde said {serde_err}"
        );
    }
}

#[test]
fn messages_are_lowercase_and_quote_the_input() {
    let cases: &[(&str, &str)] = &[
        ("", r#"usd amount "" is empty"#),
        (
            "1e3",
            r#"usd amount "1e3" has the invalid character 'e' at index 1; write digits with an optional "." and at most two decimals, as in "1234.56""#,
        ),
        (
            "12.",
            r#"usd amount "12." needs digits on both sides of the decimal point"#,
        ),
        (
            "1.234",
            r#"usd amount "1.234" has 3 decimals; at most 2 are allowed"#,
        ),
        (
            "184467440737095516.16",
            r#"usd amount "184467440737095516.16" is larger than the largest amount, 184467440737095516.15"#,
        ),
    ];
    for (input, message) in cases {
        let err = input.parse::<Usd>().expect_err("refused");
        assert_eq!(err.to_string(), *message);
    }
}

#[test]
fn invalid_character_reports_character_index_and_char() {
    let err = "12€3".parse::<Usd>().expect_err("refused");
    assert_eq!(
        err,
        MoneyError::InvalidCharacter {
            input: "12€3".to_string(),
            truncated: false,
            ch: '€',
            index: 2,
        }
    );
    let err = "1.2.3".parse::<Usd>().expect_err("refused");
    assert!(matches!(
        err,
        MoneyError::InvalidCharacter {
            ch: '.',
            index: 3,
            ..
        }
    ));
}

#[test]
fn long_input_is_cut_in_the_error() {
    let long = format!("{}x", "1".repeat(200));
    let err = long.parse::<Usd>().expect_err("refused");
    let MoneyError::InvalidCharacter {
        input, truncated, ..
    } = &err
    else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(input.chars().count(), INPUT_ECHO_LIMIT);
    assert!(truncated);
    assert!(err.to_string().contains("\"..."), "{err}");
    assert!(!err.to_string().contains(&"1".repeat(65)), "{err}");

    let long_decimals = format!("1.{}", "0".repeat(100));
    let err = long_decimals.parse::<Usd>().expect_err("refused");
    assert_eq!(err.code(), "money.too_many_decimals");
    assert!(matches!(
        err,
        MoneyError::TooManyDecimals {
            decimals: 100,
            truncated: true,
            ..
        }
    ));
}

#[test]
fn json_is_a_string_and_numbers_are_refused() {
    assert_eq!(
        serde_json::to_string(&usd(123_456)).expect("serialize"),
        r#""1234.56""#
    );
    assert_eq!(
        serde_json::to_string(&usd(500)).expect("serialize"),
        r#""5.00""#
    );
    assert!(serde_json::from_str::<Usd>("1234.56").is_err());
    assert!(serde_json::from_str::<Usd>("1234").is_err());
    assert!(serde_json::from_str::<Usd>("null").is_err());
}

#[test]
fn constructors_and_accessors() {
    assert_eq!(Usd::ZERO, Usd::default());
    assert_eq!(Usd::ZERO.cents(), 0);
    assert!(Usd::ZERO.is_zero());
    assert!(!usd(1).is_zero());
    assert_eq!(Usd::from_dollars(5_000), Some(usd(500_000)));
    assert_eq!(Usd::from_dollars(0), Some(Usd::ZERO));
    assert_eq!(
        Usd::from_dollars(u64::MAX / 100),
        Some(usd(u64::MAX / 100 * 100))
    );
    assert_eq!(Usd::from_dollars(u64::MAX / 100 + 1), None);
    assert_eq!(Usd::MAX.cents(), u64::MAX);
    assert_eq!(Usd::MAX.to_string(), "184467440737095516.15");
    assert!(usd(1) < usd(2));
    assert_eq!(usd(7).max(usd(3)), usd(7));
    assert_eq!(usd(7).min(usd(3)), usd(3));
}

#[test]
fn checked_arithmetic() {
    assert_eq!(usd(150).checked_add(usd(250)), Ok(usd(400)));
    assert_eq!(Usd::MAX.checked_add(Usd::ZERO), Ok(Usd::MAX));
    let err = Usd::MAX.checked_add(usd(1)).expect_err("overflow");
    assert_eq!(err.code(), "money.overflow");
    assert_eq!(
        err.to_string(),
        "usd amount overflow: 184467440737095516.15 + 0.01 is larger than the largest amount, \
         184467440737095516.15"
    );

    assert_eq!(usd(400).checked_sub(usd(150)), Ok(usd(250)));
    assert_eq!(usd(400).checked_sub(usd(400)), Ok(Usd::ZERO));
    let err = usd(100).checked_sub(usd(200)).expect_err("underflow");
    assert_eq!(err.code(), "money.underflow");
    assert_eq!(
        err.to_string(),
        "usd amount underflow: 1.00 - 2.00 is below zero"
    );

    assert_eq!(usd(15_000).checked_mul(40), Ok(usd(600_000)));
    assert_eq!(usd(15_000).checked_mul(0), Ok(Usd::ZERO));
    assert_eq!(Usd::MAX.checked_mul(1), Ok(Usd::MAX));
    let err = Usd::MAX.checked_mul(2).expect_err("overflow");
    assert_eq!(err.code(), "money.overflow");
    assert!(
        err.to_string().contains("184467440737095516.15 × 2"),
        "{err}"
    );
}

#[test]
fn payout_uses_the_hours_below_and_at_the_maximum() {
    let rate = usd(15_000);
    assert_eq!(proposed_payout(0, 40, rate, None), Ok(Usd::ZERO));
    assert_eq!(proposed_payout(1, 40, rate, None), Ok(usd(15_000)));
    assert_eq!(proposed_payout(39, 40, rate, None), Ok(usd(585_000)));
    assert_eq!(proposed_payout(40, 40, rate, None), Ok(usd(600_000)));
}

#[test]
fn payout_stops_at_the_maximum_hours() {
    let rate = usd(15_000);
    assert_eq!(proposed_payout(41, 40, rate, None), Ok(usd(600_000)));
    assert_eq!(proposed_payout(u32::MAX, 40, rate, None), Ok(usd(600_000)));
    assert_eq!(proposed_payout(10, 0, rate, None), Ok(Usd::ZERO));
}

#[test]
fn payout_is_capped_only_above_the_cap() {
    let rate = usd(15_000);
    // 40 h × 150.00 = 6000.00.
    let below = Some(usd(500_000));
    let equal = Some(usd(600_000));
    let above = Some(usd(700_000));
    assert_eq!(proposed_payout(40, 40, rate, below), Ok(usd(500_000)));
    assert_eq!(proposed_payout(40, 40, rate, equal), Ok(usd(600_000)));
    assert_eq!(proposed_payout(40, 40, rate, above), Ok(usd(600_000)));
    // 33 h × 150.00 = 4950.00, under the 5000.00 cap; 34 h = 5100.00, over it.
    assert_eq!(proposed_payout(33, 40, rate, below), Ok(usd(495_000)));
    assert_eq!(proposed_payout(34, 40, rate, below), Ok(usd(500_000)));
    assert_eq!(proposed_payout(0, 40, rate, below), Ok(Usd::ZERO));
}

#[test]
fn payout_overflow_is_an_error_not_a_panic() {
    let err = proposed_payout(2, 40, Usd::MAX, None).expect_err("overflow");
    assert_eq!(err.code(), "money.overflow");
    let err =
        proposed_payout(u32::MAX, u32::MAX, usd(u64::MAX / 1000), None).expect_err("overflow");
    assert_eq!(err.code(), "money.overflow");
    // The largest product that fits is not an error.
    assert_eq!(proposed_payout(1, 40, Usd::MAX, None), Ok(Usd::MAX));
}

#[test]
fn payout_overflow_with_a_cap_gives_the_cap() {
    // min(exact product, cap) is the cap whenever the product exceeds any u64.
    let cap = Some(usd(500_000));
    assert_eq!(proposed_payout(2, 40, Usd::MAX, cap), Ok(usd(500_000)));
    assert_eq!(
        proposed_payout(u32::MAX, u32::MAX, Usd::MAX, Some(Usd::MAX)),
        Ok(Usd::MAX)
    );
}

#[test]
fn errors_are_send_sync_static() {
    fn assert_traits<T: std::error::Error + Send + Sync + 'static>() {}
    fn assert_value<T: Send + Sync + Copy + Ord + std::hash::Hash + std::fmt::Debug>() {}
    assert_traits::<MoneyError>();
    assert_value::<Usd>();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/money.txt"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn display_then_parse_round_trips(cents in any::<u64>()) {
        let amount = usd(cents);
        let text = amount.to_string();
        prop_assert_eq!(text.parse::<Usd>(), Ok(amount));
        let (_, decimals) = text.split_once('.').expect("always a point");
        prop_assert_eq!(decimals.len(), 2);
    }

    #[test]
    fn json_round_trips(cents in any::<u64>()) {
        let amount = usd(cents);
        let json = serde_json::to_string(&amount).expect("serialize");
        prop_assert_eq!(&json, &format!("\"{amount}\""));
        prop_assert_eq!(serde_json::from_str::<Usd>(&json).expect("deserialize"), amount);
    }

    #[test]
    fn parse_agrees_with_integer_arithmetic(dollars in 0_u64..=184_467_440_737_095_515, cents in 0_u64..100) {
        let text = format!("{dollars}.{cents:02}");
        prop_assert_eq!(text.parse::<Usd>(), Ok(usd(dollars * 100 + cents)));
        if cents % 10 == 0 {
            let one_decimal = format!("{dollars}.{}", cents / 10);
            prop_assert_eq!(one_decimal.parse::<Usd>(), Ok(usd(dollars * 100 + cents)));
        }
    }

    #[test]
    fn payout_matches_a_reference(
        hours in prop_oneof![0_u32..500, any::<u32>()],
        max_hours in prop_oneof![0_u32..500, any::<u32>()],
        rate in prop_oneof![0_u64..100_000_000, any::<u64>()],
        cap in proptest::option::of(prop_oneof![0_u64..100_000_000, any::<u64>()]),
    ) {
        let exact = u128::from(rate) * u128::from(hours.min(max_hours));
        let expected = match cap {
            Some(cap) => Some(exact.min(u128::from(cap))),
            None => Some(exact),
        }
        .and_then(|c| u64::try_from(c).ok());
        let got = proposed_payout(hours, max_hours, usd(rate), cap.map(usd));
        match expected {
            Some(c) => prop_assert_eq!(got, Ok(usd(c))),
            None => prop_assert_eq!(got.map_err(|e| e.code()), Err("money.overflow")),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,30}") {
        if let Ok(amount) = text.parse::<Usd>() {
            // Whatever parses re-parses from its canonical form.
            prop_assert_eq!(amount.to_string().parse::<Usd>(), Ok(amount));
        }
    }
}
