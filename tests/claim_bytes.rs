//! The public binary form of claims, `Claim::to_bytes` / `Claim::from_bytes`: every claim of
//! either family reads back exactly, and bytes of another format, truncated or with bytes
//! after the claim are refused, never read as another claim.

mod common;

use common::mci::{ASSESSMENT, LARGE, MEDIUM, SMALL, WORKSHOP, activity_in};
use cpor::activity::ActivityState;
use cpor::association::AssociationState;
use cpor::store::{Claim, ClaimBytesError};
use proptest::prelude::*;

/// A claim of each family in every state.
fn claims() -> Vec<Claim> {
    let mut claims: Vec<Claim> = AssociationState::ALL
        .into_iter()
        .map(|state| common::claim_in(state).0.into())
        .collect();
    for key in [ASSESSMENT, WORKSHOP, SMALL, MEDIUM, LARGE] {
        for state in ActivityState::ALL {
            claims.push(activity_in(key, state).0.into());
        }
    }
    claims
}

#[test]
fn every_claim_round_trips_through_its_bytes() {
    for claim in claims() {
        let bytes = claim.to_bytes();
        assert_eq!(bytes.first(), Some(&Claim::BYTES_FORMAT));
        assert_eq!(Claim::from_bytes(&bytes).unwrap(), claim);
    }
}

#[test]
fn the_format_is_version_1() {
    assert_eq!(Claim::BYTES_FORMAT, 1);
}

#[test]
fn refusals_have_stable_codes() {
    let claim = claims().remove(0);
    let bytes = claim.to_bytes();
    let table: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "claim_bytes.empty"),
        (vec![0], "claim_bytes.unknown_format"),
        (
            [&[2u8][..], &bytes[1..]].concat(),
            "claim_bytes.unknown_format",
        ),
        (
            [&[255u8][..], &bytes[1..]].concat(),
            "claim_bytes.unknown_format",
        ),
        (vec![1], "claim_bytes.invalid"),
        (bytes[..bytes.len() - 1].to_vec(), "claim_bytes.invalid"),
        ([&bytes[..], &[0u8][..]].concat(), "claim_bytes.invalid"),
        // JSON, as versions 1 and 2 of the SQLite schema stored bodies.
        (
            serde_json::to_vec(&claim).unwrap(),
            "claim_bytes.unknown_format",
        ),
    ];
    for (bytes, code) in table {
        let err = Claim::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.code(), code, "{bytes:?}: {err}");
        let message = err.to_string();
        assert_eq!(message, message.to_lowercase());
    }
}

#[test]
fn an_unknown_format_names_both_versions() {
    let err = Claim::from_bytes(&[7, 0, 0]).unwrap_err();
    assert_eq!(
        err,
        ClaimBytesError::UnknownFormat {
            format: 7,
            known: 1
        }
    );
    assert!(err.to_string().contains("newer"));
}

proptest! {
    #![proptest_config(common::proptest_config(256, "proptest-regressions/claim_bytes.txt"))]

    /// Every proper prefix of a claim's bytes is refused.
    #[test]
    fn every_truncation_is_refused(index in 0usize..64, cut in 0usize..1024) {
        let claims = claims();
        let claim = &claims[index % claims.len()];
        let bytes = claim.to_bytes();
        let cut = cut % bytes.len();
        prop_assert!(Claim::from_bytes(&bytes[..cut]).is_err());
    }

    /// Changing one byte gives an error or a valid claim (which reads back as itself), never
    /// a panic. The bytes need not be the same: a value's parser may normalize it (an email
    /// address's case).
    #[test]
    fn a_changed_byte_never_panics(index in 0usize..64, at in 0usize..1024, value: u8) {
        let claims = claims();
        let claim = &claims[index % claims.len()];
        let mut bytes = claim.to_bytes();
        let at = at % bytes.len();
        bytes[at] = value;
        if let Ok(read) = Claim::from_bytes(&bytes) {
            prop_assert_eq!(Claim::from_bytes(&read.to_bytes()).unwrap(), read);
        }
    }
}
