//! Paging: every list query of a store takes a [`PageRequest`] and returns a [`Page`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a listing stopped, to continue after it: an opaque position in the store's own
/// order (the order claims were first stored in, for every store of this crate).
///
/// A cursor is only meaningful to the store and the query that returned it. Its text form
/// (and its serde form, a string) is a decimal number, safe in a URL; any number is a valid
/// cursor, so a cursor a client made up reads a page from some position, never more than
/// the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor(u64);

impl Cursor {
    /// The cursor at a store's position `n` (for implementers of a store).
    #[must_use]
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The position.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A cursor that is not a decimal number of at most 20 digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor {excerpt:?} is not a cursor this service returned")]
#[non_exhaustive]
pub struct CursorError {
    /// The first 24 characters of the text.
    pub excerpt: String,
}

impl CursorError {
    /// The stable machine-readable code: `page.cursor`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "page.cursor"
    }

    /// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid): the request is malformed.
    #[must_use]
    pub const fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Invalid
    }

    /// Never: the same text is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        false
    }
}

impl FromStr for Cursor {
    type Err = CursorError;

    /// # Errors
    ///
    /// [`CursorError`] unless the text is a decimal number that fits in 64 bits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CursorError {
                excerpt: s.chars().take(24).collect(),
            });
        }
        s.parse().map(Self).map_err(|_| CursorError {
            excerpt: s.chars().take(24).collect(),
        })
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Which page to read: the items after a cursor (or the first), at most `limit` of them.
///
/// The limit is always between 1 and [`PageRequest::MAX_LIMIT`]: a larger one is lowered to
/// it and 0 is raised to 1, so no request, however it was made, makes a store read more
/// than that at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    after: Option<Cursor>,
    limit: u32,
}

impl PageRequest {
    /// The most items a page holds.
    pub const MAX_LIMIT: u32 = 1_000;

    /// The number of items of a page when the caller does not say.
    pub const DEFAULT_LIMIT: u32 = 100;

    /// The first page, of at most `limit` items.
    #[must_use]
    pub const fn first(limit: u32) -> Self {
        Self {
            after: None,
            limit: clamp(limit),
        }
    }

    /// The page after `cursor` (the first page for `None`), of at most `limit` items.
    #[must_use]
    pub const fn after(cursor: Option<Cursor>, limit: u32) -> Self {
        Self {
            after: cursor,
            limit: clamp(limit),
        }
    }

    /// The page that follows `page` (this request's limit), or `None` after the last page.
    #[must_use]
    pub fn next<T>(self, page: &Page<T>) -> Option<Self> {
        page.next
            .map(|cursor| Self::after(Some(cursor), self.limit))
    }

    /// The cursor to read after (`None`: from the start).
    #[must_use]
    pub const fn cursor(self) -> Option<Cursor> {
        self.after
    }

    /// The most items to return, between 1 and [`Self::MAX_LIMIT`].
    #[must_use]
    pub const fn limit(self) -> u32 {
        self.limit
    }

    /// The limit as a `usize`, for implementers.
    #[must_use]
    pub const fn limit_usize(self) -> usize {
        self.limit as usize
    }
}

impl Default for PageRequest {
    /// The first page of [`PageRequest::DEFAULT_LIMIT`] items.
    fn default() -> Self {
        Self::first(Self::DEFAULT_LIMIT)
    }
}

const fn clamp(limit: u32) -> u32 {
    if limit == 0 {
        1
    } else if limit > PageRequest::MAX_LIMIT {
        PageRequest::MAX_LIMIT
    } else {
        limit
    }
}

/// One page of a listing: its items, in the store's order, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The items, at most the request's limit.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` when no item follows. (A store may return a
    /// cursor after which the next page is empty.)
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// A page with no items and nothing after it.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            items: Vec::new(),
            next: None,
        }
    }

    /// Builds a page from up to `limit + 1` items read in order, each with its position: the
    /// first `limit` are the page, and the cursor is the last one's position when an item
    /// followed (for implementers of a store).
    #[must_use]
    pub fn from_positioned(mut read: Vec<(u64, T)>, request: PageRequest) -> Self {
        let more = read.len() > request.limit_usize();
        read.truncate(request.limit_usize());
        let next = if more {
            read.last().map(|(position, _)| Cursor(*position))
        } else {
            None
        };
        Self {
            items: read.into_iter().map(|(_, item)| item).collect(),
            next,
        }
    }

    /// How many items the page holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the page holds no item.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The page with each item mapped.
    #[must_use]
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    /// The items, in order (the cursor is dropped).
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Page<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped() {
        assert_eq!(PageRequest::first(0).limit(), 1);
        assert_eq!(PageRequest::first(7).limit(), 7);
        assert_eq!(PageRequest::first(u32::MAX).limit(), PageRequest::MAX_LIMIT);
    }

    #[test]
    fn cursors_read_only_decimal_numbers() {
        assert_eq!("42".parse::<Cursor>(), Ok(Cursor::new(42)));
        assert_eq!(
            "18446744073709551615".parse::<Cursor>(),
            Ok(Cursor::new(u64::MAX))
        );
        for bad in ["", "-1", "+1", "1e3", "18446744073709551616", "abc", " 1"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&Cursor::new(9)).unwrap_or_default();
        assert_eq!(json, "\"9\"");
        assert!(serde_json::from_str::<Cursor>("\"x\"").is_err());
    }

    #[test]
    fn a_page_knows_whether_more_follows() {
        let request = PageRequest::first(2);
        let full = Page::from_positioned(vec![(3, 'a'), (5, 'b'), (9, 'c')], request);
        assert_eq!(full.items, vec!['a', 'b']);
        assert_eq!(full.next, Some(Cursor::new(5)));
        let last = Page::from_positioned(vec![(3, 'a'), (5, 'b')], request);
        assert_eq!(last.next, None);
    }
}
