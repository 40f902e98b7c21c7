//! GUID identifiers: tenant, Azure subscription, Business Apps subscription and claim IDs.

use std::fmt;

use uuid::{NonNilUuid, Uuid};

use super::{IdError, IdErrorKind, IdField, text_conversions};

/// Value of each ASCII hex digit; `0xff` for every other byte.
// Evaluated at compile time: an out-of-bounds index would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const HEX: [u8; 256] = {
    let mut table = [0xff_u8; 256];
    let mut b = 0_u8;
    loop {
        table[b as usize] = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 0xff,
        };
        if b == u8::MAX {
            break;
        }
        b += 1;
    }
    table
};

/// The value of a hex digit, or `0xff`.
#[inline]
fn hex_value(byte: u8) -> u8 {
    HEX.get(usize::from(byte)).copied().unwrap_or(0xff)
}

/// Indexes of the four hyphens of the 36-character hyphenated form.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// Parses a hyphenated GUID, optionally braced, in any letter case, and refuses the nil GUID.
pub(crate) fn parse_guid(text: &str, field: IdField) -> Result<NonNilUuid, IdError> {
    let body = match text.as_bytes() {
        [b'{', body @ .., b'}'] => body,
        body => body,
    };
    let decoded = <&[u8; 36]>::try_from(body).ok().and_then(decode_hyphenated);
    match decoded {
        Some(bytes) => NonNilUuid::new(Uuid::from_bytes(bytes))
            .ok_or_else(|| IdError::new(field, IdErrorKind::Nil, text)),
        None => Err(IdError::new(field, diagnose(text), text)),
    }
}

/// Decodes `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`; `None` on any wrong character.
fn decode_hyphenated(s: &[u8; 36]) -> Option<[u8; 16]> {
    let [
        a0,
        a1,
        a2,
        a3,
        a4,
        a5,
        a6,
        a7,
        h0,
        b0,
        b1,
        b2,
        b3,
        h1,
        c0,
        c1,
        c2,
        c3,
        h2,
        d0,
        d1,
        d2,
        d3,
        h3,
        e0,
        e1,
        e2,
        e3,
        e4,
        e5,
        e6,
        e7,
        e8,
        e9,
        e10,
        e11,
    ] = *s;
    if [h0, h1, h2, h3] != [b'-'; 4] {
        return None;
    }
    let digits = [
        a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3, e0, e1, e2,
        e3, e4, e5, e6, e7, e8, e9, e10, e11,
    ];
    let mut out = [0_u8; 16];
    for (byte, pair) in out.iter_mut().zip(digits.as_chunks::<2>().0) {
        let [hi, lo] = pair.map(hex_value);
        if hi | lo == 0xff {
            return None;
        }
        *byte = (hi << 4) | lo;
    }
    Some(out)
}

/// Says what is wrong with a text that [`decode_hyphenated`] refused: the leftmost problem.
fn diagnose(text: &str) -> IdErrorKind {
    let chars: Vec<char> = text.chars().collect();
    let (offset, body) = match chars.as_slice() {
        [] => return IdErrorKind::Empty,
        ['{', body @ .., '}'] => (1, body),
        all => (0, all),
    };
    let braced = offset == 1;
    match (chars.len(), braced) {
        (36, false) | (38, true) => {}
        (36 | 38, _) => return IdErrorKind::Braces,
        (len, _) => {
            return IdErrorKind::WrongLength {
                len,
                expected: "36, or 38 with braces",
            };
        }
    }
    for (at, &ch) in body.iter().enumerate() {
        let index = at.saturating_add(offset);
        let wants_hyphen = HYPHENS.contains(&at);
        if wants_hyphen != (ch == '-') {
            return if wants_hyphen || ch == '-' {
                IdErrorKind::MisplacedHyphen { index }
            } else {
                IdErrorKind::InvalidCharacter { ch, index }
            };
        }
        if !wants_hyphen && !ch.is_ascii_hexdigit() {
            return IdErrorKind::InvalidCharacter { ch, index };
        }
    }
    // Only reachable if `decode_hyphenated` and this walk disagreed; a property test holds them
    // together. Report the shape rather than claim a reason that is not there.
    IdErrorKind::WrongLength {
        len: chars.len(),
        expected: "36, or 38 with braces",
    }
}

macro_rules! guid_type {
    ($(#[$doc:meta])* $ty:ident, $field:ident, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(NonNilUuid);

        impl $ty {
            /// Parses a hyphenated GUID, optionally in braces, in any letter case.
            ///
            /// # Errors
            ///
            #[doc = concat!("An [`IdError`] with field [`IdField::", stringify!($field), "`] if the text is not")]
            /// such a GUID, or is the nil GUID.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                parse_guid(text, IdField::$field).map(Self)
            }

            /// Wraps a UUID that is already known.
            ///
            /// # Errors
            ///
            #[doc = concat!("An [`IdError`] with code `", stringify!($field), "` `.nil` if `uuid` is nil.")]
            pub fn from_uuid(uuid: Uuid) -> Result<Self, IdError> {
                NonNilUuid::new(uuid)
                    .map(Self)
                    .ok_or_else(|| IdError::new(IdField::$field, IdErrorKind::Nil, &uuid.to_string()))
            }

            /// Wraps a UUID that is known not to be nil.
            #[must_use]
            pub const fn from_non_nil(uuid: NonNilUuid) -> Self {
                Self(uuid)
            }

            /// The UUID.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0.get()
            }

            /// The UUID, known not to be nil.
            #[must_use]
            pub const fn get(&self) -> NonNilUuid {
                self.0
            }
        }

        impl From<$ty> for Uuid {
            fn from(id: $ty) -> Uuid {
                id.as_uuid()
            }
        }

        impl fmt::Display for $ty {
            /// The canonical form: lowercase hyphenated, without braces.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.get().hyphenated(), f)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self)
            }
        }

        text_conversions!($ty, $expecting);
    };
}

guid_type! {
    /// A customer's Microsoft Entra tenant ID (directory ID): a GUID that is never nil.
    ///
    /// Accepts `72f988bf-86f1-41af-91ab-2d7cd011db47`, `{72F988BF-86F1-41AF-91AB-2D7CD011DB47}` and
    /// any mix of letter case; prints lowercase hyphenated. The 32-digit form without hyphens and
    /// the `urn:uuid:` form are refused: Partner Center shows tenant IDs hyphenated, so anything
    /// else is more likely a paste of the wrong field.
    ///
    /// ```
    /// let id: cpor::TenantId = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".parse()?;
    /// assert_eq!(id.to_string(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
    /// # Ok::<(), cpor::IdError>(())
    /// ```
    TenantId, TenantId, "a tenant id: a hyphenated, non-nil guid"
}

guid_type! {
    /// An Azure subscription ID: a GUID that is never nil. Parsed like [`TenantId`], and a
    /// distinct type, so that one is never taken for the other.
    AzureSubscriptionId, AzureSubscriptionId, "an azure subscription id: a hyphenated, non-nil guid"
}

guid_type! {
    /// A Business Applications subscription ID: a GUID that is never nil, required on every
    /// Business Applications association claim. A renewed subscription gets a new ID.
    SubscriptionId, SubscriptionId, "a subscription id: a hyphenated, non-nil guid"
}

guid_type! {
    /// The ID of a claim, a UUID **chosen by the caller**, so that retrying a create command is
    /// idempotent. The library never makes one up.
    ///
    /// The nil UUID is refused: it is almost always an ID that was never set.
    ClaimId, ClaimId, "a claim id: a hyphenated, non-nil uuid"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_table_matches_std() {
        for b in 0..=u8::MAX {
            let expected = char::from(b).to_digit(16).map_or(0xff, |d| d as u8);
            assert_eq!(HEX[usize::from(b)], expected, "byte {b}");
        }
    }
}
