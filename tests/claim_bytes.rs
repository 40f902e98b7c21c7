//! The public binary form of claims, `Claim::to_bytes` / `Claim::from_bytes`: every claim of
//! either family reads back exactly, and bytes of another format, truncated, damaged or with
//! bytes after the claim are refused, never read as another claim.

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
fn the_format_is_version_2() {
    assert_eq!(Claim::BYTES_FORMAT, 2);
}

/// `bytes` with a checksum recomputed over them, as the writer would end them.
fn summed(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    out
}

#[test]
fn refusals_have_stable_codes() {
    let claim = claims().remove(0);
    let bytes = claim.to_bytes();
    let table: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "claim_bytes.empty"),
        (vec![0], "claim_bytes.unknown_format"),
        // Format 1 (no checksum, before release) is not read.
        (
            [&[1u8][..], &bytes[1..]].concat(),
            "claim_bytes.unknown_format",
        ),
        (
            [&[255u8][..], &bytes[1..]].concat(),
            "claim_bytes.unknown_format",
        ),
        (vec![2], "claim_bytes.invalid"),
        (bytes[..bytes.len() - 1].to_vec(), "claim_bytes.corrupt"),
        ([&bytes[..], &[0u8][..]].concat(), "claim_bytes.corrupt"),
        // A checksum that matches bytes that are not a claim.
        (summed(&[2, 9, 9, 9]), "claim_bytes.invalid"),
        (
            summed(&[&bytes[..bytes.len() - 4], &[0u8][..]].concat()),
            "claim_bytes.invalid",
        ),
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
            known: 2
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

    /// Changing one byte of a valid claim's bytes gives an error or the identical claim,
    /// never another claim and never a panic: the checksum catches every change of one byte.
    #[test]
    fn a_changed_byte_is_refused_or_harmless(index in 0usize..64, at in 0usize..1024, value: u8) {
        let claims = claims();
        let claim = &claims[index % claims.len()];
        let mut bytes = claim.to_bytes();
        let at = at % bytes.len();
        let changed = bytes[at] != value;
        bytes[at] = value;
        match Claim::from_bytes(&bytes) {
            Ok(read) => {
                prop_assert!(!changed, "a changed byte at {} was read", at);
                prop_assert_eq!(&read, claim);
            }
            Err(err) => prop_assert!(changed, "unchanged bytes refused: {}", err),
        }
    }

    /// Changing one byte and recomputing the checksum (as a careless or hostile writer
    /// would) gives an error or a claim that passes every invariant, never a panic.
    #[test]
    fn a_changed_byte_under_a_new_checksum_is_checked(
        index in 0usize..64,
        at in 1usize..1024,
        value: u8,
    ) {
        let claims = claims();
        let claim = &claims[index % claims.len()];
        let bytes = claim.to_bytes();
        let mut body = bytes[..bytes.len() - 4].to_vec();
        let at = 1 + at % (body.len() - 1);
        body[at] = value;
        if let Ok(read) = Claim::from_bytes(&summed(&body)) {
            prop_assert_eq!(Claim::from_bytes(&read.to_bytes()).unwrap(), read);
        }
    }
}
