//! A compact binary encoding of claims: `InMemoryStore` keeps its claims in it, and
//! `SqliteStore` persists it as each claim's body.
//!
//! **The encoding is a persisted, stable format.** `Claim::to_bytes` writes a format version
//! byte, then this encoding; `SqliteStore` stores those bytes (since schema version 3), and users
//! who implement `Store` over their own database may too. Its form of a customer ID
//! ([`Writer::customer`]) is also `SqliteStore`'s `customer` column and part of its keys
//! (since schema version 4). What this module writes is
//! **format 1**. Any change to the bytes of any value (a new field, a new enum code, another
//! order) needs a new format version: the writer moves to it, and the decoder of format 1 is
//! kept so that `Claim::from_bytes` still reads every body already stored.
//!
//! It must be exact (`decode(encode(c)) == c`) and safe: decoding any bytes gives a valid
//! claim or a [`CodecError`], never a panic, and never a value that its validating
//! constructor would refuse. Leaf values go through their parsers, and whole claims through
//! the consistency check their serde `Deserialize` uses.
//!
//! Primitives:
//!
//! | Value | Bytes |
//! |---|---|
//! | `u8`, `bool` (0 or 1), enum | one byte; enums by an explicit table |
//! | `u32`, `u64`, length, count | LEB128 varint, canonical (no overlong form) |
//! | GUID | 16 bytes |
//! | string | length varint, then UTF-8 bytes |
//! | `Option<T>` | 0, or 1 then `T` (enums: 0, or code + 1) |
//! | sequence | count varint, then the items |
//! | time | varint of `zigzag(seconds − previous time's seconds) << 1 \| has_nanos`, then the nanoseconds as a varint if not 0 |
//!
//! Times are deltas from the previous time written (0 for the first), so the times of one
//! claim, which are close together, take 1 to 3 bytes each. Nanoseconds of a leap second
//! (1e9 and more) round-trip like any other.
//!
//! The claim layout starts with a head ([`Head`]) holding what a store's key questions need;
//! the families' bodies follow (`association::claim::codec`, `activity::claim::codec`).

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::activity::{ActivityCommandKind, ActivityState, EvidenceKind, Origin};
use crate::actor::{Actor, Locations, PartnerUserRole, UserId, UserRoles};
use crate::association::{
    AssociationState, CommandKind, CompanyContact, CustomerContact, EndReason, IncentivePayments,
    InfoRequestReason, RejectionReason,
};
use crate::id::{ClaimId, CustomerId, EmailAddress, PartnerId, TenantId};
use crate::request::{Request, RequestId};
use crate::text::Text;

mod head;
#[cfg(test)]
mod tests;

pub(crate) use head::{ActivityHead, AssociationHead, Head, TypedHead};

/// Why bytes could not be decoded: where, and what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CodecError {
    offset: usize,
    what: &'static str,
}

impl CodecError {
    /// An error at byte `offset`.
    pub(crate) const fn new(offset: usize, what: &'static str) -> Self {
        Self { offset, what }
    }

    /// The byte offset at which decoding failed.
    pub(crate) const fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong.
    pub(crate) const fn what(&self) -> &'static str {
        self.what
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid claim encoding at byte {}: {}",
            self.offset, self.what
        )
    }
}

impl std::error::Error for CodecError {}

/// The result of a decoding step.
pub(crate) type Decoded<T> = Result<T, CodecError>;

/// Converts a length to the `u64` written for it; lossless on every supported target.
fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Writes values to a byte vector.
pub(crate) struct Writer<'a> {
    out: &'a mut Vec<u8>,
    /// The seconds of the last time written: times are written as deltas from it.
    base: i64,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    pub(crate) const fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, base: 0 }
    }

    /// Reserves room for `additional` more bytes.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.out.push(value);
    }

    #[cfg(test)]
    pub(crate) fn bool(&mut self, value: bool) {
        self.out.push(u8::from(value));
    }

    pub(crate) fn u64(&mut self, mut value: u64) {
        while value >= 0x80 {
            // The low seven bits, with the continuation bit.
            self.out.push(low7(value) | 0x80);
            value = value.wrapping_shr(7);
        }
        self.out.push(low7(value));
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.u64(u64::from(value));
    }

    /// A length or a count.
    pub(crate) fn len(&mut self, len: usize) {
        self.u64(len_u64(len));
    }

    #[cfg(test)]
    pub(crate) fn fixed_u64(&mut self, value: u64) {
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    #[cfg(test)]
    pub(crate) fn fixed_i64(&mut self, value: i64) {
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn bytes16(&mut self, value: &[u8; 16]) {
        self.out.extend_from_slice(value);
    }

    /// Bytes with no length before them: the reader must know how many.
    pub(crate) fn raw(&mut self, value: &[u8]) {
        self.out.extend_from_slice(value);
    }

    pub(crate) fn str(&mut self, value: &str) {
        self.len(value.len());
        self.out.extend_from_slice(value.as_bytes());
    }

    /// A UUID's 16 bytes.
    pub(crate) fn uuid(&mut self, value: Uuid) {
        self.bytes16(value.as_bytes());
    }

    pub(crate) fn time(&mut self, time: DateTime<Utc>) {
        let secs = time.timestamp();
        let nanos = time.timestamp_subsec_nanos();
        let delta = secs.wrapping_sub(self.base);
        self.base = secs;
        // chrono's times are within ±2^44 seconds of the epoch, so the zigzag delta is below
        // 2^46 and the shift loses nothing.
        self.u64(zigzag(delta).wrapping_shl(1) | u64::from(nanos != 0));
        if nanos != 0 {
            self.u32(nanos);
        }
    }

    /// An option: 0, or 1 and the value.
    pub(crate) fn opt<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            None => self.u8(0),
            Some(value) => {
                self.u8(1);
                write(self, value);
            }
        }
    }

    /// An optional enum: 0, or its code plus one.
    pub(crate) fn opt_code<T>(&mut self, value: Option<T>, code: impl FnOnce(T) -> u8) {
        self.u8(value.map_or(0, |v| code(v).saturating_add(1)));
    }

    pub(crate) fn opt_time(&mut self, value: Option<DateTime<Utc>>) {
        self.opt(value, Self::time);
    }

    /// A sequence: its length, then each item.
    pub(crate) fn seq<T>(&mut self, items: &[T], mut write: impl FnMut(&mut Self, &T)) {
        self.len(items.len());
        for item in items {
            write(self, item);
        }
    }

    pub(crate) fn text(&mut self, text: &Text) {
        self.str(text.as_str());
    }

    pub(crate) fn opt_text(&mut self, text: Option<&Text>) {
        self.opt(text, Self::text);
    }

    /// An email address as its canonical text, `local@domain`.
    pub(crate) fn email(&mut self, email: &EmailAddress) {
        let local = email.local_part();
        let domain = email.domain().as_str();
        self.len(local.len().saturating_add(1).saturating_add(domain.len()));
        self.out.extend_from_slice(local.as_bytes());
        self.out.push(b'@');
        self.out.extend_from_slice(domain.as_bytes());
    }

    pub(crate) fn customer_contact(&mut self, contact: &CustomerContact) {
        self.text(&contact.name);
        self.text(&contact.title);
        self.email(&contact.email);
    }

    pub(crate) fn company_contact(&mut self, contact: &CompanyContact) {
        self.text(&contact.name);
        self.email(&contact.email);
    }

    /// A customer ID: a kind byte (0 domain, 1 tenant, 2 TPID, 3 Azure subscription, 4 MSX
    /// opportunity), then the value: a domain as a string, a GUID as its 16 bytes, a TPID as
    /// a number, an MSX opportunity ID as its 12 characters. Self-delimiting, so it can be
    /// followed by more fields. `SqliteStore` stores it in its columns and keys.
    pub(crate) fn customer(&mut self, customer: &CustomerId) {
        match customer {
            CustomerId::Domain(domain) => {
                self.u8(0);
                self.str(domain.as_str());
            }
            CustomerId::Tenant(tenant) => {
                self.u8(1);
                self.uuid(tenant.as_uuid());
            }
            CustomerId::Tpid(tpid) => {
                self.u8(2);
                self.u64(tpid.get());
            }
            CustomerId::AzureSubscription(id) => {
                self.u8(3);
                self.uuid(id.as_uuid());
            }
            CustomerId::MsxOpportunity(id) => {
                self.u8(4);
                self.raw(id.as_str().as_bytes());
            }
        }
    }

    /// An actor, in full.
    /// A request record: its ID (optional), then its input digest.
    pub(crate) fn request(&mut self, request: Option<&Request>) {
        self.opt(request, |w, r| {
            w.opt(r.id.as_ref(), |w, id| w.str(id.as_str()));
            w.u64(r.input);
        });
    }

    pub(crate) fn actor(&mut self, actor: &Actor) {
        match actor {
            Actor::Partner {
                partner,
                user,
                roles,
                also,
            } => {
                self.u8(0);
                self.u64(partner.get());
                self.u8(role_bits(*roles));
                self.str(user.as_str());
                let others: Vec<PartnerId> = also.iter().collect();
                self.seq(&others, |w, p| w.u64(p.get()));
            }
            Actor::Reviewer { user } => {
                self.u8(1);
                self.str(user.as_str());
            }
            Actor::Customer { customer } => {
                self.u8(2);
                self.customer(customer);
            }
            Actor::System => self.u8(3),
        }
    }
}

/// The low seven bits of `value`.
const fn low7(value: u64) -> u8 {
    // Masked to seven bits, so the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    let low = (value & 0x7f) as u8;
    low
}

/// Maps signed to unsigned so that small magnitudes stay small.
const fn zigzag(value: i64) -> u64 {
    (value.wrapping_shl(1) ^ value.wrapping_shr(63)).cast_unsigned()
}

/// The inverse of [`zigzag`].
const fn unzigzag(value: u64) -> i64 {
    value.wrapping_shr(1).cast_signed() ^ (value & 1).cast_signed().wrapping_neg()
}

/// The most items [`Reader::seq`] reserves before reading them.
const SEQ_RESERVE: usize = 16;

/// Reads values from bytes; every read checks bounds and form.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    total: usize,
    /// The seconds of the last time read.
    base: i64,
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            total: bytes.len(),
            base: 0,
        }
    }

    /// The offset of the next byte.
    pub(crate) const fn offset(&self) -> usize {
        self.total.saturating_sub(self.rest.len())
    }

    /// An error at the current offset.
    pub(crate) const fn error(&self, what: &'static str) -> CodecError {
        CodecError::new(self.offset(), what)
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Decoded<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.error("trailing bytes"))
        }
    }

    pub(crate) fn u8(&mut self) -> Decoded<u8> {
        let (&byte, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| self.error("truncated"))?;
        self.rest = rest;
        Ok(byte)
    }

    #[cfg(test)]
    pub(crate) fn bool(&mut self) -> Decoded<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.error("invalid bool")),
        }
    }

    /// Reads `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Decoded<&'a [u8]> {
        let (taken, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| self.error("truncated"))?;
        self.rest = rest;
        Ok(taken)
    }

    pub(crate) fn u64(&mut self) -> Decoded<u64> {
        let mut value = 0_u64;
        let mut shift = 0_u32;
        loop {
            let byte = self.u8()?;
            let low = u64::from(byte & 0x7f);
            if shift == 63 && byte > 1 {
                return Err(self.error("varint overflows 64 bits"));
            }
            value |= low.wrapping_shl(shift);
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(self.error("overlong varint"));
                }
                return Ok(value);
            }
            shift = shift.saturating_add(7);
            if shift > 63 {
                return Err(self.error("varint too long"));
            }
        }
    }

    pub(crate) fn u32(&mut self) -> Decoded<u32> {
        let value = self.u64()?;
        u32::try_from(value).map_err(|_| self.error("value out of range for u32"))
    }

    /// A count of items, each taking at least one byte: never more than the bytes left, so
    /// that a corrupt count cannot make a large allocation.
    pub(crate) fn count(&mut self) -> Decoded<usize> {
        let count = self.len()?;
        if count > self.rest.len() {
            return Err(self.error("count longer than the input"));
        }
        Ok(count)
    }

    /// A length.
    pub(crate) fn len(&mut self) -> Decoded<usize> {
        let len = self.u64()?;
        usize::try_from(len).map_err(|_| self.error("length out of range"))
    }

    #[cfg(test)]
    pub(crate) fn fixed_u64(&mut self) -> Decoded<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    #[cfg(test)]
    pub(crate) fn fixed_i64(&mut self) -> Decoded<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// `N` bytes.
    pub(crate) fn array<const N: usize>(&mut self) -> Decoded<[u8; N]> {
        let bytes = self.take(N)?;
        <[u8; N]>::try_from(bytes).map_err(|_| self.error("truncated"))
    }

    pub(crate) fn bytes16(&mut self) -> Decoded<[u8; 16]> {
        self.array()
    }

    /// A length-prefixed byte string, not checked as UTF-8.
    pub(crate) fn bytes(&mut self) -> Decoded<&'a [u8]> {
        let len = self.len()?;
        self.take(len)
    }

    pub(crate) fn str(&mut self) -> Decoded<&'a str> {
        let at = self.offset();
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes).map_err(|_| CodecError::new(at, "invalid utf-8"))
    }

    pub(crate) fn time(&mut self) -> Decoded<DateTime<Utc>> {
        let at = self.offset();
        let word = self.u64()?;
        let delta = unzigzag(word.wrapping_shr(1));
        let nanos = if word & 1 == 1 {
            match self.u32()? {
                0 => return Err(CodecError::new(at, "zero nanoseconds written")),
                nanos => nanos,
            }
        } else {
            0
        };
        let secs = self.base.wrapping_add(delta);
        let time = DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| CodecError::new(at, "time out of range"))?;
        self.base = secs;
        Ok(time)
    }

    /// An option: 0, or 1 and the value.
    pub(crate) fn opt<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Decoded<T>,
    ) -> Decoded<Option<T>> {
        match self.u8()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            _ => Err(self.error("invalid option flag")),
        }
    }

    /// An enum by its table.
    pub(crate) fn code<T>(&mut self, table: fn(u8) -> Option<T>, what: &'static str) -> Decoded<T> {
        let at = self.offset();
        table(self.u8()?).ok_or(CodecError::new(at, what))
    }

    /// An optional enum: 0, or its code plus one.
    pub(crate) fn opt_code<T>(
        &mut self,
        table: fn(u8) -> Option<T>,
        what: &'static str,
    ) -> Decoded<Option<T>> {
        let at = self.offset();
        match self.u8()? {
            0 => Ok(None),
            code => table(code.wrapping_sub(1))
                .map(Some)
                .ok_or(CodecError::new(at, what)),
        }
    }

    pub(crate) fn opt_time(&mut self) -> Decoded<Option<DateTime<Utc>>> {
        self.opt(Self::time)
    }

    /// A sequence: its count, then each item.
    pub(crate) fn seq<T>(
        &mut self,
        mut read: impl FnMut(&mut Self) -> Decoded<T>,
    ) -> Decoded<Vec<T>> {
        let count = self.count()?;
        // The count is bounded by the bytes left, not by what they can hold: reserve a little
        // and let the vector grow with the items actually read, so memory stays a small
        // multiple of the input whatever the count says.
        let mut items = Vec::with_capacity(count.min(SEQ_RESERVE));
        for _ in 0..count {
            items.push(read(self)?);
        }
        Ok(items)
    }

    pub(crate) fn text(&mut self) -> Decoded<Text> {
        let at = self.offset();
        Text::parse(self.str()?).map_err(|_| CodecError::new(at, "invalid text"))
    }

    pub(crate) fn opt_text(&mut self) -> Decoded<Option<Text>> {
        self.opt(Self::text)
    }

    pub(crate) fn email(&mut self) -> Decoded<EmailAddress> {
        let at = self.offset();
        EmailAddress::parse(self.str()?).map_err(|_| CodecError::new(at, "invalid email address"))
    }

    pub(crate) fn customer_contact(&mut self) -> Decoded<CustomerContact> {
        Ok(CustomerContact {
            name: self.text()?,
            title: self.text()?,
            email: self.email()?,
        })
    }

    pub(crate) fn company_contact(&mut self) -> Decoded<CompanyContact> {
        Ok(CompanyContact {
            name: self.text()?,
            email: self.email()?,
        })
    }

    pub(crate) fn partner(&mut self) -> Decoded<PartnerId> {
        let at = self.offset();
        PartnerId::new(self.u64()?).map_err(|_| CodecError::new(at, "invalid partner id"))
    }

    pub(crate) fn user(&mut self) -> Decoded<UserId> {
        let at = self.offset();
        UserId::parse(self.str()?).map_err(|_| CodecError::new(at, "invalid user id"))
    }

    pub(crate) fn claim_id(&mut self) -> Decoded<ClaimId> {
        let at = self.offset();
        ClaimId::from_uuid(Uuid::from_bytes(self.bytes16()?))
            .map_err(|_| CodecError::new(at, "nil claim id"))
    }

    /// An actor, in full.
    /// What [`Writer::request`] wrote.
    pub(crate) fn request(&mut self) -> Decoded<Option<Request>> {
        self.opt(|r| {
            let id = r.opt(|r| {
                let at = r.offset();
                RequestId::parse(r.str()?).map_err(|_| CodecError::new(at, "invalid request id"))
            })?;
            Ok(Request {
                id,
                input: r.u64()?,
            })
        })
    }

    pub(crate) fn actor(&mut self) -> Decoded<Actor> {
        let at = self.offset();
        match self.u8()? {
            0 => {
                let partner = self.partner()?;
                let roles_at = self.offset();
                let roles =
                    roles_of(self.u8()?).ok_or(CodecError::new(roles_at, "invalid user roles"))?;
                let user = self.user()?;
                let also_at = self.offset();
                let also = self.seq(Self::partner)?;
                let also = Locations::of(also)
                    .ok_or(CodecError::new(also_at, "too many partner locations"))?;
                Ok(Actor::partner(partner, user, roles).with_locations(also))
            }
            1 => Ok(Actor::reviewer(self.user()?)),
            2 => Ok(Actor::customer(head::read_customer(self)?)),
            3 => Ok(Actor::System),
            _ => Err(CodecError::new(at, "invalid actor kind")),
        }
    }
}

/// A set of roles as bits, bit `n` for the role of code `n`.
fn role_bits(roles: UserRoles) -> u8 {
    roles.iter().fold(0, |bits, role| {
        bits | 1_u8.wrapping_shl(u32::from(partner_user_role(role)))
    })
}

/// The inverse of [`role_bits`]; `None` for a bit of no role.
fn roles_of(bits: u8) -> Option<UserRoles> {
    let mut roles = UserRoles::NONE;
    let mut rest = bits;
    for code in 0..8_u8 {
        let bit = 1_u8.wrapping_shl(u32::from(code));
        if bits & bit != 0 {
            roles = roles.with(partner_user_role_of(code)?);
            rest &= !bit;
        }
    }
    (rest == 0).then_some(roles)
}

/// A tenant ID from its bytes, refusing the nil GUID.
pub(crate) fn tenant(bytes: [u8; 16], at: usize) -> Decoded<TenantId> {
    TenantId::from_uuid(Uuid::from_bytes(bytes)).map_err(|_| CodecError::new(at, "nil tenant id"))
}

/// How many distinct actors a claim's encoding refers back to; later new actors are written in
/// full each time.
const ACTOR_SLOTS: usize = 16;

/// Writes a history's actors: each distinct actor in full once, then by a small index.
///
/// An actor is written as a varint: 0 then the actor in full, or `k` for the `k`-th actor
/// written in full (from 1).
pub(crate) struct ActorsOut<'c> {
    seen: [Option<&'c Actor>; ACTOR_SLOTS],
}

impl<'c> ActorsOut<'c> {
    pub(crate) const fn new() -> Self {
        Self {
            seen: [None; ACTOR_SLOTS],
        }
    }

    pub(crate) fn write(&mut self, w: &mut Writer<'_>, actor: &'c Actor) {
        let mut free = None;
        for (index, slot) in (1_u8..).zip(self.seen.iter_mut()) {
            match slot {
                Some(seen) if *seen == actor => {
                    w.u8(index);
                    return;
                }
                Some(_) => {}
                None => {
                    free = Some(slot);
                    break;
                }
            }
        }
        if let Some(slot) = free {
            *slot = Some(actor);
        }
        w.u8(0);
        w.actor(actor);
    }
}

/// Reads a history's actors, sharing one value (and so one allocation) per distinct actor.
pub(crate) struct ActorsIn {
    seen: Vec<Actor>,
}

impl ActorsIn {
    pub(crate) const fn new() -> Self {
        Self { seen: Vec::new() }
    }

    pub(crate) fn read(&mut self, r: &mut Reader<'_>) -> Decoded<Actor> {
        let at = r.offset();
        match r.len()? {
            0 => {
                let actor = r.actor()?;
                self.seen.push(actor.clone());
                Ok(actor)
            }
            index => self
                .seen
                .get(index.wrapping_sub(1))
                .cloned()
                .ok_or(CodecError::new(at, "unknown actor index")),
        }
    }
}

/// Defines an enum's byte table, both ways: `$encode(value) -> u8` and
/// `$decode(u8) -> Option<value>`.
macro_rules! table {
    ($ty:ident, $encode:ident, $decode:ident { $($variant:ident = $code:literal,)* }) => {
        pub(crate) const fn $encode(value: $ty) -> u8 {
            match value {
                $($ty::$variant => $code,)*
            }
        }

        pub(crate) const fn $decode(code: u8) -> Option<$ty> {
            match code {
                $($code => Some($ty::$variant),)*
                _ => None,
            }
        }
    };
}

table!(AssociationState, association_state, association_state_of {
    Draft = 0,
    Submitted = 1,
    UnderReview = 2,
    PartnerActionRequired = 3,
    Approved = 4,
    Rejected = 5,
    Disputed = 6,
    RejectedFinal = 7,
    Withdrawn = 8,
});

table!(ActivityState, activity_state, activity_state_of {
    CustomerClaimed = 0,
    AwaitingConsent = 1,
    ConsentReceived = 2,
    ConsentDeclined = 3,
    ConsentExpired = 4,
    Canceled = 5,
    NotSubmittedExpired = 6,
    Submitted = 7,
    UnderReview = 8,
    PartnerActionRequired = 9,
    PostSubmissionExpired = 10,
    Approved = 11,
    Completed = 12,
    Rejected = 13,
    Disputed = 14,
    DisputedExpired = 15,
    RejectedFinal = 16,
});

table!(CommandKind, command_kind, command_kind_of {
    Create = 0,
    EditDraft = 1,
    AttachPoe = 2,
    Submit = 3,
    Withdraw = 4,
    StartReview = 5,
    RequestInfo = 6,
    Approve = 7,
    Reject = 8,
    Resubmit = 9,
    Expire = 10,
    Decline = 11,
    Disassociate = 12,
    Supersede = 13,
    Dispute = 14,
    ApproveDispute = 15,
    RejectDispute = 16,
});

table!(ActivityCommandKind, activity_command_kind, activity_command_kind_of {
    Create = 0,
    SendConsent = 1,
    ResendConsent = 2,
    AcceptConsent = 3,
    DeclineConsent = 4,
    Edit = 5,
    AddEvidence = 6,
    Submit = 7,
    Cancel = 8,
    StartReview = 9,
    RequestInfo = 10,
    Resubmit = 11,
    Approve = 12,
    Reject = 13,
    MarkPaid = 14,
    Dispute = 15,
    Expire = 16,
    LinkReferral = 17,
});

table!(InfoRequestReason, info_request_reason, info_request_reason_of {
    MissingAllPoe = 0,
    MissingCustomerAcknowledgement = 1,
    MissingOrOldDates = 2,
    MissingPartnerSolution = 3,
    MissingProducts = 4,
});

table!(RejectionReason, rejection_reason, rejection_reason_of {
    CustomerDeclined = 0,
    InsufficientPoe = 1,
    PartnerRequest = 2,
    NoResponse = 3,
    SupersededByArbitration = 4,
});

table!(EndReason, end_reason, end_reason_of {
    CustomerDeclined = 0,
    Disassociated = 1,
    Superseded = 2,
});

table!(IncentivePayments, incentive_payments, incentive_payments_of {
    Wanted = 0,
    OptedOut = 1,
});

table!(Origin, origin, origin_of {
    Added = 0,
    Claimed = 1,
});

table!(EvidenceKind, evidence_kind, evidence_kind_of {
    Poe = 0,
    Invoice = 1,
    CustomerSurvey = 2,
    PartnerSurvey = 3,
});

table!(PartnerUserRole, partner_user_role, partner_user_role_of {
    IncentivesAdmin = 0,
    IncentivesUser = 1,
    ReferralAdmin = 2,
});
