//! The codec's tests: primitives, and whole claims of both families in every reachable state.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

/// Encodes with a fresh writer.
fn written(write: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut Writer::new(&mut out));
    out
}

#[test]
fn varints_round_trip_and_refuse_bad_forms() {
    for value in [
        0,
        1,
        127,
        128,
        300,
        u64::from(u32::MAX),
        u64::MAX - 1,
        u64::MAX,
    ] {
        let bytes = written(|w| w.u64(value));
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u64(), Ok(value));
        r.finish().unwrap();
        for cut in 0..bytes.len() {
            assert!(
                Reader::new(&bytes[..cut]).u64().is_err(),
                "{value} cut at {cut}"
            );
        }
    }
    // Overlong, too long, and overflowing forms.
    assert!(Reader::new(&[0x80, 0x00]).u64().is_err());
    assert!(Reader::new(&[0xff; 11]).u64().is_err());
    assert!(
        Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
            .u64()
            .is_err()
    );
    assert!(Reader::new(&written(|w| w.u64(1 << 32))).u32().is_err());
}

#[test]
fn fixed_and_strings_round_trip() {
    let bytes = written(|w| {
        w.fixed_u64(0x0102_0304_0506_0708);
        w.fixed_i64(-5);
        w.bytes16(&[7; 16]);
        w.str("héllo");
        w.bool(true);
        w.opt(Some(9_u32), Writer::u32);
        w.opt(None::<u32>, Writer::u32);
        w.seq(&[1_u64, 2, 3], |w, v| w.u64(*v));
    });
    let mut r = Reader::new(&bytes);
    assert_eq!(r.fixed_u64(), Ok(0x0102_0304_0506_0708));
    assert_eq!(r.fixed_i64(), Ok(-5));
    assert_eq!(r.bytes16(), Ok([7; 16]));
    assert_eq!(r.str(), Ok("héllo"));
    assert_eq!(r.bool(), Ok(true));
    assert_eq!(r.opt(Reader::u32), Ok(Some(9)));
    assert_eq!(r.opt(Reader::u32), Ok(None));
    assert_eq!(r.seq(Reader::u64), Ok(vec![1, 2, 3]));
    r.finish().unwrap();
    assert!(Reader::new(&[2, 0xff, 0xfe]).str().is_err(), "bad utf-8");
    assert!(Reader::new(&[2]).bool().is_err());
    assert!(Reader::new(&[2]).opt(Reader::u8).is_err());
    assert!(Reader::new(&[200]).count().is_err(), "count past the input");
}

#[test]
fn times_round_trip_at_every_extreme() {
    let leap = Utc
        .with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
        .unwrap()
        .checked_add_signed(chrono::TimeDelta::zero())
        .unwrap();
    let leap = DateTime::from_timestamp(leap.timestamp(), 1_500_000_000).unwrap();
    assert_eq!(leap.timestamp_subsec_nanos(), 1_500_000_000);
    let times = [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        DateTime::UNIX_EPOCH,
        leap,
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        DateTime::from_timestamp(1_772_442_000, 123_456_789).unwrap(),
        DateTime::<Utc>::MIN_UTC,
        DateTime::from_timestamp(-1, 999_999_999).unwrap(),
        DateTime::from_timestamp(59, 1_999_999_999).unwrap(),
    ];
    let bytes = written(|w| {
        for t in times {
            w.time(t);
        }
    });
    let mut r = Reader::new(&bytes);
    for t in times {
        assert_eq!(r.time(), Ok(t));
    }
    r.finish().unwrap();
    // A leap nanosecond on a second that is not :59 is refused, not built.
    let bytes = written(|w| {
        w.u64(zigzag(58).wrapping_shl(1) | 1);
        w.u32(1_500_000_000);
    });
    assert!(Reader::new(&bytes).time().is_err());
    // Zero nanoseconds written explicitly is not the canonical form.
    assert!(Reader::new(&[1, 0]).time().is_err());
}

#[test]
fn tables_are_inverse() {
    macro_rules! check {
        ($all:expr, $encode:ident, $decode:ident) => {
            for value in $all {
                assert_eq!($decode($encode(value)), Some(value));
            }
            let known = (0..=u8::MAX).filter(|c| $decode(*c).is_some()).count();
            assert_eq!(known, $all.len());
        };
    }
    check!(
        AssociationState::ALL,
        association_state,
        association_state_of
    );
    check!(ActivityState::ALL, activity_state, activity_state_of);
    check!(
        [CommandKind::Create]
            .into_iter()
            .chain(CommandKind::COMMANDS)
            .collect::<Vec<_>>(),
        command_kind,
        command_kind_of
    );
    check!(
        [ActivityCommandKind::Create]
            .into_iter()
            .chain(ActivityCommandKind::COMMANDS)
            .collect::<Vec<_>>(),
        activity_command_kind,
        activity_command_kind_of
    );
    check!(EvidenceKind::ALL, evidence_kind, evidence_kind_of);
    check!(
        PartnerUserRole::ALL,
        partner_user_role,
        partner_user_role_of
    );
    for bits in 0..=u8::MAX {
        match roles_of(bits) {
            Some(roles) => assert_eq!(role_bits(roles), bits),
            None => assert!(bits >= 8),
        }
    }
    let all: crate::association::FieldSet = crate::association::Field::ALL.into_iter().collect();
    assert_eq!(
        crate::association::FieldSet::from_bits(all.bits()),
        Some(all)
    );
    assert_eq!(all.bits().count_ones(), 20);
    assert!(crate::association::FieldSet::from_bits(all.bits() + 1).is_none());
}

#[cfg(feature = "testing")]
mod claims;

proptest! {
    #[test]
    fn reader_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut r = Reader::new(&bytes);
        let _ = r.time();
        let _ = r.str();
        let _ = r.actor();
        let _ = r.seq(Reader::text);
        let _ = crate::store::Claim::decode(&bytes);
        let _ = Head::parse(&bytes);
    }
}
