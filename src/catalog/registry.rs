//! [`Catalogs`]: one catalog per program year.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::mem;

use serde::{Deserialize, Serialize};

use super::key::ProgramYear;
use super::{Catalog, RawCatalog};

use crate::error::ErrorKind;

/// The catalogs of several program years, one per [`ProgramYear`], never empty.
///
/// A claim records the program year it was created under, and is **always** interpreted with
/// that year's catalog: loading a claim of FY20 applies the FY20 names, roles and deadlines,
/// even when a newer catalog has renamed or dropped its engagement. New claims use
/// [`Catalogs::newest`].
///
/// In JSON a registry is an array of catalogs, written in ascending year order; reading
/// refuses an empty array and two catalogs of the same year, and checks every catalog.
///
/// ```
/// use cpor::catalog::{Catalog, Catalogs, ProgramYear};
///
/// let mut catalogs = Catalogs::new(Catalog::fy20());
/// assert_eq!(catalogs.newest().program_year().to_string(), "FY20");
/// assert!(catalogs.insert(Catalog::fy26()).is_none());
/// assert_eq!(catalogs.newest().program_year().to_string(), "FY26");
/// assert!(catalogs.get(ProgramYear::new(20).ok_or("year")?).is_some());
/// assert!(catalogs.get(ProgramYear::new(23).ok_or("year")?).is_none());
/// assert_eq!(catalogs, Catalogs::builtin());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogs {
    /// The catalog of the latest year.
    newest: Catalog,
    /// Every other catalog, all of earlier years.
    older: BTreeMap<ProgramYear, Catalog>,
}

/// The built-in catalogs of FY20 and FY26, in the JSON form of [`Catalogs`].
const BUILTIN_JSON: &str = include_str!("../../catalogs/builtin.json");

/// Reads the embedded built-in catalogs, through the checks of any [`Catalogs`] read from JSON.
fn load_builtin() -> Result<Catalogs, serde_json::Error> {
    serde_json::from_str(BUILTIN_JSON)
}

/// The built-in catalogs, read once per process.
///
/// The tests prove that the embedded file loads (`builtin_json::the_file_loads`). Should it
/// ever fail to, the registry holds an empty FY26 catalog: no engagement, role or workload,
/// so every claim is refused, which is loud without a panic.
pub(crate) fn builtin_catalogs() -> &'static Catalogs {
    static BUILTIN: std::sync::OnceLock<Catalogs> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(|| {
        load_builtin().unwrap_or_else(|_| Catalogs::new(empty(ProgramYear::of(26))))
    })
}

/// The built-in catalog of `year`; an empty catalog of `year` if there is none (which the
/// tests rule out for FY20 and FY26).
pub(super) fn builtin_year(year: ProgramYear) -> Catalog {
    builtin_catalogs()
        .get(year)
        .cloned()
        .unwrap_or_else(|| empty(year))
}

/// An empty catalog of `year`, the fallback of the built-in functions.
fn empty(year: ProgramYear) -> Catalog {
    Catalog::new(RawCatalog::new(year)).unwrap_or_else(|_| Catalog::indexed(RawCatalog::new(year)))
}

impl Default for Catalogs {
    /// The built-in catalogs, as [`Catalogs::builtin`].
    fn default() -> Self {
        Self::builtin()
    }
}

impl Catalogs {
    /// A registry holding one catalog.
    #[must_use]
    pub fn new(catalog: Catalog) -> Self {
        Self {
            newest: catalog,
            older: BTreeMap::new(),
        }
    }

    /// A registry of several catalogs.
    ///
    /// # Errors
    ///
    /// [`CatalogsError::Empty`] if there is none, [`CatalogsError::DuplicateYear`] if two
    /// share a program year.
    pub fn from_catalogs(
        catalogs: impl IntoIterator<Item = Catalog>,
    ) -> Result<Self, CatalogsError> {
        let mut catalogs = catalogs.into_iter();
        let first = catalogs.next().ok_or(CatalogsError::Empty)?;
        let mut registry = Self::new(first);
        for catalog in catalogs {
            let year = catalog.program_year();
            if registry.insert(catalog).is_some() {
                return Err(CatalogsError::DuplicateYear { year });
            }
        }
        Ok(registry)
    }

    /// The built-in catalogs: [`Catalog::fy20`] and [`Catalog::fy26`].
    #[must_use]
    pub fn builtin() -> Self {
        builtin_catalogs().clone()
    }

    /// The catalog of `year`, if the registry has one.
    #[must_use]
    pub fn get(&self, year: ProgramYear) -> Option<&Catalog> {
        if self.newest.program_year() == year {
            Some(&self.newest)
        } else {
            self.older.get(&year)
        }
    }

    /// The catalog of the latest program year, for new claims.
    #[must_use]
    pub const fn newest(&self) -> &Catalog {
        &self.newest
    }

    /// Adds `catalog`, replacing and returning the one of the same program year, if any.
    pub fn insert(&mut self, catalog: Catalog) -> Option<Catalog> {
        let year = catalog.program_year();
        match year.cmp(&self.newest.program_year()) {
            Ordering::Greater => {
                let previous = mem::replace(&mut self.newest, catalog);
                self.older.insert(previous.program_year(), previous)
            }
            Ordering::Equal => Some(mem::replace(&mut self.newest, catalog)),
            Ordering::Less => self.older.insert(year, catalog),
        }
    }

    /// The program years, ascending.
    pub fn years(&self) -> impl Iterator<Item = ProgramYear> + '_ {
        self.iter().map(Catalog::program_year)
    }

    /// The catalogs, in ascending program year.
    pub fn iter(&self) -> impl Iterator<Item = &Catalog> {
        self.older.values().chain(std::iter::once(&self.newest))
    }
}

impl Serialize for Catalogs {
    /// Writes an array of catalogs, in ascending program year.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Catalogs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let catalogs = Vec::<Catalog>::deserialize(deserializer)?;
        Self::from_catalogs(catalogs).map_err(serde::de::Error::custom)
    }
}

/// A set of catalogs that cannot form a [`Catalogs`] registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogsError {
    /// No catalog at all (`catalogs.empty`).
    #[error("catalogs are empty; a registry needs at least one catalog")]
    Empty,
    /// Two catalogs of one program year (`catalogs.duplicate_year`).
    #[error("catalogs have two catalogs for the program year {year}")]
    DuplicateYear {
        /// The repeated program year.
        year: ProgramYear,
    },
}

impl CatalogsError {
    /// The stable machine-readable code: `catalogs.empty` or `catalogs.duplicate_year`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "catalogs.empty",
            Self::DuplicateYear { .. } => "catalogs.duplicate_year",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the catalogs cannot form a registry.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same input is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

#[cfg(test)]
mod builtin_json {
    use super::{BUILTIN_JSON, Catalogs, ProgramYear, load_builtin};

    /// The embedded file loads through the checks of any catalog, so the fallback of
    /// `builtin_catalogs` is never taken.
    #[test]
    fn the_file_loads() {
        let catalogs = load_builtin().expect("the built-in catalogs load");
        let years: Vec<String> = catalogs.years().map(|y| y.to_string()).collect();
        assert_eq!(years, ["FY20", "FY26"]);
        assert_eq!(&catalogs, super::builtin_catalogs());
        for year in [20, 26] {
            let catalog = catalogs.get(ProgramYear::of(year)).expect("year");
            assert!(!catalog.engagements().is_empty() && !catalog.roles().is_empty());
        }
    }

    /// The file is written as the crate writes it, so that a catalog serialized by the crate
    /// and the file can be compared line by line.
    #[test]
    fn the_file_is_in_canonical_form() {
        let catalogs: Catalogs = serde_json::from_str(BUILTIN_JSON).expect("loads");
        let written = serde_json::to_string_pretty(&catalogs).expect("writes") + "\n";
        assert!(
            written == BUILTIN_JSON,
            "catalogs/builtin.json is not in canonical form"
        );
    }
}
