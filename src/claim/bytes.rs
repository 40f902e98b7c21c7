//! The stable binary form of a claim.

use super::{Claim, InvalidClaim};
use crate::activity::ActivityClaim;
use crate::association::AssociationClaim;
use crate::codec::{CodecError, Head, Reader, TypedHead, Writer};
use crate::error::ErrorKind;
use crate::id::ClaimId;

/// The bytes of the checksum that ends the binary form.
const CHECKSUM_BYTES: usize = 4;

/// The bytes [`Claim::encode`] reserves: more than a typical claim takes.
const ENCODED_GUESS: usize = 512;

/// Why [`Claim::from_bytes`] refused its bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimBytesError {
    /// No bytes at all.
    #[error("claim bytes are empty")]
    Empty,
    /// The first byte is a format version this build does not read.
    #[error(
        "claim bytes are of format {format}, which this build does not read (it reads format \
         {known}); a newer format needs a newer version of the cpor crate"
    )]
    UnknownFormat {
        /// The format version found.
        format: u8,
        /// The format version this build reads.
        known: u8,
    },
    /// The checksum does not match: the bytes were damaged after they were written.
    #[error("{} are damaged: the checksum does not match", claim_name(*.claim))]
    Corrupt {
        /// The claim, if its ID could still be read.
        claim: Option<ClaimId>,
    },
    /// The bytes are truncated, trailing or malformed.
    #[error("claim bytes are malformed at byte {offset}: {reason}")]
    Invalid {
        /// The byte offset, from the start of the bytes, at which reading failed.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The bytes decode to a claim that breaks an invariant.
    #[error(transparent)]
    Inconsistent(#[from] InvalidClaim),
}

/// "claim <id>", or "claim bytes" when the ID is unknown.
fn claim_name(claim: Option<ClaimId>) -> String {
    claim.map_or_else(
        || "claim bytes".to_owned(),
        |id| format!("the bytes of claim {id}"),
    )
}

impl ClaimBytesError {
    /// The stable machine-readable code, such as `claim_bytes.invalid`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "claim_bytes.empty",
            Self::UnknownFormat { .. } => "claim_bytes.unknown_format",
            Self::Corrupt { .. } => "claim_bytes.corrupt",
            Self::Invalid { .. } => "claim_bytes.invalid",
            Self::Inconsistent(e) => e.code(),
        }
    }

    /// What kind of failure this is: [`Internal`](ErrorKind::Internal) for
    /// [`Corrupt`](Self::Corrupt) (bytes damaged after they were written: corrupt data), the
    /// kind of the [`InvalidClaim`] for [`Inconsistent`](Self::Inconsistent), and
    /// [`Invalid`](ErrorKind::Invalid) for bytes that are not a claim's binary form.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Empty | Self::UnknownFormat { .. } | Self::Invalid { .. } => ErrorKind::Invalid,
            Self::Corrupt { .. } => ErrorKind::Internal,
            Self::Inconsistent(e) => e.kind(),
        }
    }

    /// Whether trying again may succeed: never, the same bytes are refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

impl Claim {
    /// Appends the claim's compact private encoding to `out` (see `crate::codec`): a
    /// [`Head`] with what the key questions need, then the family's body.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        w.reserve(ENCODED_GUESS);
        match self {
            Self::Association(c) => {
                Head::write_association(&mut w, c);
                c.encode_body(&mut w);
            }
            Self::Activity(c) => {
                Head::write_activity(&mut w, c);
                c.encode_body(&mut w);
            }
        }
    }

    /// Decodes what [`encode`](Self::encode) wrote. Every value goes through its validating
    /// constructor and the claim through the consistency check of deserializing, so no bytes
    /// give an invalid claim.
    ///
    /// # Errors
    ///
    /// A [`CodecError`] for truncated, trailing, malformed or inconsistent bytes.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes);
        let head = Head::read(&mut r)?;
        let claim: Self = match head.typed()? {
            TypedHead::Association(typed) => AssociationClaim::decode_body(typed, &mut r)?.into(),
            TypedHead::Activity(typed) => ActivityClaim::decode_body(typed, &mut r)?.into(),
        };
        r.finish()?;
        if claim.next_deadline() != head.next_deadline() {
            return Err(CodecError::new(0, "the head's deadline is not the claim's"));
        }
        Ok(claim)
    }

    /// The claim as bytes in the stable binary format `SqliteStore` persists: a format
    /// version byte ([`Claim::BYTES_FORMAT`], 2), the claim's compact encoding, and a CRC-32
    /// checksum of everything before it (4 bytes, little-endian). A typical claim takes about
    /// a quarter of its JSON.
    ///
    /// A store over another database can keep the same bytes; [`Claim::from_bytes`] reads
    /// them back and refuses damaged ones. A later version of this crate that changes the
    /// encoding writes a new format version.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENCODED_GUESS);
        self.write_bytes(&mut out);
        out
    }

    /// Appends [`to_bytes`](Self::to_bytes)'s bytes to `out`, for a caller that reuses a
    /// buffer.
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.push(Self::BYTES_FORMAT);
        self.encode(out);
        let sum = crc32fast::hash(out.get(start..).unwrap_or_default());
        out.extend_from_slice(&sum.to_le_bytes());
    }

    /// The format version [`to_bytes`](Self::to_bytes) writes as its first byte. Format 1
    /// (before the checksum, and with copies of catalog rules in activity claims) was never
    /// released and is not read.
    pub const BYTES_FORMAT: u8 = 2;

    /// Reads a claim from the bytes of [`to_bytes`](Self::to_bytes).
    ///
    /// The checksum is verified first, so a damaged body is refused as
    /// [`ClaimBytesError::Corrupt`] rather than read as another claim. Then every value goes
    /// through its validating constructor and the claim through the invariants every `Claim`
    /// keeps, so no bytes give an inconsistent claim. Decoding takes time linear in the
    /// length of the bytes, and memory at most a small multiple of it: no count read from
    /// the bytes sizes an allocation. The catalog's rules are not checked here: see
    /// [`Claim::validate`].
    ///
    /// # Errors
    ///
    /// [`ClaimBytesError::Empty`] for no bytes, [`ClaimBytesError::UnknownFormat`] for a
    /// format version this build does not read, [`ClaimBytesError::Corrupt`] for a checksum
    /// that does not match, [`ClaimBytesError::Invalid`] for truncated, trailing or
    /// malformed bytes, and [`ClaimBytesError::Inconsistent`] for a claim that breaks an
    /// invariant.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ClaimBytesError> {
        let encoded = match bytes.split_first() {
            None => return Err(ClaimBytesError::Empty),
            Some((&Self::BYTES_FORMAT, encoded)) => encoded,
            Some((&format, _)) => {
                return Err(ClaimBytesError::UnknownFormat {
                    format,
                    known: Self::BYTES_FORMAT,
                });
            }
        };
        let Some(split) = bytes.len().checked_sub(CHECKSUM_BYTES).filter(|n| *n > 1) else {
            return Err(ClaimBytesError::Invalid {
                offset: bytes.len(),
                reason: "too short for a claim and its checksum",
            });
        };
        let (summed, sum) = bytes.split_at_checked(split).unwrap_or_default();
        let expected = <[u8; CHECKSUM_BYTES]>::try_from(sum)
            .map(u32::from_le_bytes)
            .ok();
        if expected != Some(crc32fast::hash(summed)) {
            let claim = Head::parse(encoded).ok().map(|head| head.id());
            return Err(ClaimBytesError::Corrupt { claim });
        }
        let encoded = summed.get(1..).unwrap_or_default();
        let claim = Self::decode(encoded).map_err(|e| ClaimBytesError::Invalid {
            offset: e.offset().saturating_add(1),
            reason: e.what(),
        })?;
        claim.check_structure()?;
        Ok(claim)
    }
}
