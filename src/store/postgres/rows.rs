//! Conversions between claims and the columns of their rows, and what a write holds.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use tokio_postgres::types::Json;

use super::super::columns::{
    checked_row, corrupt, corrupt_claim, out_of_range, partner_to, version_from,
};
use crate::catalog::Catalogs;
use crate::event::Event;
use crate::id::ClaimId;
use crate::store::{Claim, CountedKey, PageRequest, StoreError, Stored, UniqueKey, Version, Write};

pub(super) fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

pub(super) fn claim_id_from(id: uuid::Uuid) -> Result<ClaimId, StoreError> {
    ClaimId::from_uuid(id).map_err(|e| corrupt("claim ID", &id.to_string(), &e))
}

/// A claim read by a query of `LOADED` columns (id, partner, version, body), checked as
/// every way in is checked: the JSON body through the claim's invariants, then against the
/// row's ID and partner, then against the catalog of its program year.
pub(super) fn loaded_from(
    row: &tokio_postgres::Row,
    catalogs: &Catalogs,
) -> Result<Stored, StoreError> {
    let id: uuid::Uuid = row.try_get(0).map_err(StoreError::backend)?;
    let id = claim_id_from(id)?;
    let partner: i64 = row.try_get(1).map_err(StoreError::backend)?;
    let version: i64 = row.try_get(2).map_err(StoreError::backend)?;
    let Json(claim): Json<Claim> = row.try_get(3).map_err(|e| {
        // The driver's own message only names the column; the reason is its source's.
        let reason =
            std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string);
        corrupt_claim(Some(id), &reason)
    })?;
    Ok(Stored {
        claim: checked_row(id, partner, claim, catalogs)?,
        version: version_from(version)?,
    })
}

/// A claim read by [`EXISTING`](super::sql::EXISTING) (version, body), to compare with a
/// create.
pub(super) fn stored_from(row: &tokio_postgres::Row) -> Result<Stored, StoreError> {
    let version: i64 = row.try_get(0).map_err(StoreError::backend)?;
    let Json(claim): Json<Claim> = row.try_get(1).map_err(StoreError::backend)?;
    Ok(Stored {
        claim,
        version: version_from(version)?,
    })
}

/// A moment as stored: the `timestamptz` (whole microseconds) and the nanoseconds below.
pub(super) fn moment(t: DateTime<Utc>) -> Result<(DateTime<Utc>, i32), StoreError> {
    let nanos = t.nanosecond();
    let below = nanos.checked_rem(1_000).unwrap_or(0);
    let micros = t
        .with_nanosecond(nanos.saturating_sub(below))
        .ok_or_else(|| out_of_range("deadline", t))?;
    let below = i32::try_from(below).map_err(|_| out_of_range("deadline", t))?;
    Ok((micros, below))
}

/// The earliest moment a `timestamptz` holds: 4714-11-24 BC, midnight UTC.
pub(super) fn earliest_timestamp() -> Option<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The `seq` to read after, and how many rows to read (one more than the page, to know
/// whether another follows).
pub(super) fn page_bounds(page: PageRequest) -> (i64, i64) {
    let after = page
        .cursor()
        .map_or(0, |c| i64::try_from(c.get()).unwrap_or(i64::MAX));
    (after, i64::from(page.limit()).saturating_add(1))
}

/// The columns of a claim row, derived from the claim.
pub(super) struct Row<'c> {
    pub(super) id: uuid::Uuid,
    pub(super) partner: i64,
    pub(super) engagement: &'c str,
    pub(super) customer: String,
    pub(super) next_deadline: Option<DateTime<Utc>>,
    pub(super) next_deadline_ns: Option<i32>,
    pub(super) body: Json<&'c Claim>,
}

impl<'c> Row<'c> {
    fn of(claim: &'c Claim) -> Result<Self, StoreError> {
        let (next_deadline, next_deadline_ns) = match claim.next_deadline() {
            Some(t) => {
                let (micros, below) = moment(t)?;
                (Some(micros), Some(below))
            }
            None => (None, None),
        };
        Ok(Self {
            id: claim.id().as_uuid(),
            partner: partner_to(claim.partner())?,
            engagement: claim.engagement().as_str(),
            customer: claim.customer().to_string(),
            next_deadline,
            next_deadline_ns,
            body: Json(claim),
        })
    }
}

/// The keys and counted place a claim holds in its new state, as stored.
pub(super) struct Held {
    /// The keys, in the order of [`Claim::holdings`], with their JSON.
    pub(super) keys: Vec<(UniqueKey, String)>,
    /// The same JSON, sorted: the order keys are inserted in, so that concurrent commits lock
    /// them in one order.
    pub(super) sorted: Vec<String>,
    pub(super) counted: Option<(CountedKey, String, u32)>,
}

impl Held {
    /// What a claim already checked against `catalogs` holds.
    fn of(claim: &Claim, catalogs: &Catalogs) -> Result<Self, StoreError> {
        let holdings = claim.holdings_trusted(catalogs);
        let mut keys = Vec::with_capacity(holdings.unique.len());
        for key in holdings.unique {
            let text = json(&key)?;
            keys.push((key, text));
        }
        let mut sorted: Vec<String> = keys.iter().map(|(_, text)| text.clone()).collect();
        sorted.sort_unstable();
        let counted = match holdings.counted {
            Some((key, limit)) => {
                let text = json(&key)?;
                Some((key, text, limit))
            }
            None => None,
        };
        Ok(Self {
            keys,
            sorted,
            counted,
        })
    }

    pub(super) fn counted_text(&self) -> Option<&str> {
        self.counted.as_ref().map(|(_, text, _)| text.as_str())
    }
}

/// One write, converted once for every attempt.
pub(super) struct Prepared<'w> {
    pub(super) write: &'w Write,
    pub(super) row: Row<'w>,
    pub(super) held: Held,
    pub(super) events: Events<'w>,
}

pub(super) fn prepare<'w>(
    writes: &'w [Write],
    catalogs: &Catalogs,
) -> Result<Vec<Prepared<'w>>, StoreError> {
    writes
        .iter()
        .map(|write| {
            Ok(Prepared {
                write,
                row: Row::of(&write.claim)?,
                held: Held::of(&write.claim, catalogs)?,
                events: Events::of(write)?,
            })
        })
        .collect()
}

/// What one write did in the first step of a commit.
pub(super) struct Done {
    pub(super) version: Version,
    /// Whether the write changed the claim (not an idempotent create).
    pub(super) changed: bool,
    /// The keys of the new version that another claim holds (JSON), in holdings order;
    /// filled by the step that acquires keys.
    pub(super) missing: Vec<String>,
    /// The count of the counted place the write newly took, once taken.
    pub(super) count: Option<i64>,
}

/// The events of one write, as the columns the statement that writes its claim files them
/// under: their places among the write's events and their JSON (the claim and the version
/// come from the statement).
pub(super) struct Events<'w> {
    pub(super) places: Vec<i32>,
    pub(super) json: Vec<Json<&'w Event>>,
}

impl<'w> Events<'w> {
    fn of(write: &'w Write) -> Result<Self, StoreError> {
        let mut events = Self {
            places: Vec::with_capacity(write.events.len()),
            json: Vec::with_capacity(write.events.len()),
        };
        for (id, event) in write.numbered_events(write.new_version()) {
            let place = i32::try_from(id.index).map_err(|_| out_of_range("event place", id))?;
            events.places.push(place);
            events.json.push(Json(event));
        }
        Ok(events)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.json.is_empty()
    }
}
