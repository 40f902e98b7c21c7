//! The rules catalog: programs, engagements, roles, workloads, ID-type subsets, limits and
//! deadlines, as **data** versioned by program year.
//!
//! Microsoft renames its incentive programs almost every year: the 2019-21 programs "OSA
//! Sell" and "OSU - Microsoft 365" became "MCI BizApps Presales Advisor" and "Modern Work and
//! Security Usage", MCI engagements change names and rules each year, and "MPN ID" became
//! "PartnerID". So nothing here is an enum of program names. Every item is keyed by a string
//! id ([`EngagementId`], [`RoleId`], [`WorkloadId`], ...) and every rule is a field of the
//! item it belongs to. A new program year is a new [`Catalog`], not a new release of the
//! crate.
//!
//! # What a catalog holds
//!
//! - [`SolutionArea`]s, each with the [`WorkloadGroupId`]s it shows;
//! - [`Workload`]s (the workloads and products of a CPOR claim);
//! - [`Engagement`]s, each either a CPOR engagement ([`CporEngagement`]: solution area,
//!   [`AssociationUnit`], [`Incentive`]) or an MCI engagement ([`MciEngagement`]: engagement
//!   type, [`Payout`], allowed customer ID kinds, per-customer limit, referral, required
//!   evidence);
//! - [`PartnerRole`]s of CPOR claims, each mapped to one CPOR engagement;
//! - [`EngagementType`]s with their [`MciDeadlines`];
//! - the [`CporRules`] (opt-out window, info-request timeout, dispute window, review SLAs);
//! - the [`BusinessCalendar`] that business-day rules count with;
//! - the co-op programs, which are **not** claimed through CPOR.
//!
//! # Checked when loaded
//!
//! [`Catalog::new`], `TryFrom<RawCatalog>` and `Deserialize` all run the same checks and
//! refuse a catalog with a [`CatalogError`] that lists **every** [`CatalogProblem`], each with
//! a stable code such as `catalog.role_area_mismatch`. A [`Catalog`] value is therefore
//! always consistent: ids are unique in each list, every reference resolves, every role maps
//! to a CPOR engagement of its own solution area, deadlines are at least one day, and
//! variable pay nominates customers by MSX opportunity ID only.
//!
//! The JSON form is described by a JSON Schema, `schemas/catalog.schema.json` in the crate's
//! repository, generated from these types. The built-in catalogs are the file
//! `catalogs/builtin.json` beside it, which makes a good start for a catalog of your own.
//!
//! # Program years
//!
//! [`Catalogs`] holds one catalog per [`ProgramYear`]. A claim records the program year it
//! was created under and is always read with that year's catalog.
//!
//! ```
//! use cpor::catalog::{AssociationUnit, Catalog, Catalogs, ProgramYear, RoleId};
//!
//! let catalog = Catalog::builtin();
//! assert_eq!(catalog.program_year().to_string(), "FY26");
//!
//! // A role decides the engagement, and so the unit of association and the incentive.
//! let role: RoleId = "use_or_consume".parse()?;
//! let engagement = catalog.engagement_for_role(&role).ok_or("unknown role")?;
//! assert_eq!(engagement.name, "Modern Work and Security Usage");
//! let rules = engagement.as_cpor().ok_or("not a cpor engagement")?;
//! assert_eq!(rules.unit, AssociationUnit::Workload);
//! assert!(rules.opt_out_allowed());
//!
//! // Co-op programs are claimed elsewhere.
//! assert!(catalog.is_co_op_program("Managed Reseller"));
//!
//! // JSON round trip: deserializing runs the same checks as `Catalog::new`.
//! let json = serde_json::to_string(&catalog)?;
//! let back: Catalog = serde_json::from_str(&json)?;
//! assert_eq!(back, catalog);
//!
//! // A broken catalog is refused with every problem.
//! let broken = json.replace(r#""engagement":"mws_usage""#, r#""engagement":"osu_m365""#);
//! let err = serde_json::from_str::<Catalog>(&broken).unwrap_err();
//! assert!(err.to_string().contains("catalog.role_without_engagement"));
//!
//! // Claims of 2020 keep the 2020 rules and names.
//! let catalogs = Catalogs::builtin();
//! let fy20 = catalogs.get(ProgramYear::new(20).ok_or("year")?).ok_or("no FY20")?;
//! let engagement = fy20.engagement_for_role(&role).ok_or("unknown role")?;
//! assert_eq!(engagement.name, "OSU - Microsoft 365");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod key;
mod model;
mod registry;
#[cfg(test)]
mod schema;
mod validate;

use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;

pub use key::{
    EngagementId, EngagementTypeId, INPUT_ECHO_LIMIT, KeyError, KeyErrorKind, KeyField,
    MAX_KEY_LEN, ProgramYear, RoleId, SolutionAreaId, WorkloadGroupId, WorkloadId,
};
pub use model::{
    AssociationUnit, CporEngagement, CporRules, Engagement, EngagementKind, EngagementType,
    Incentive, MciDeadlines, MciEngagement, PartnerRole, Payout, SolutionArea, Workload,
};
#[cfg(any(test, feature = "sqlite", feature = "testing"))]
pub(crate) use registry::builtin_catalogs;
pub use registry::{Catalogs, CatalogsError};
pub use validate::{CatalogError, CatalogList, CatalogProblem};

/// The parts of a catalog, before they are checked.
///
/// This is also the JSON form of a [`Catalog`]. Build one with [`RawCatalog::new`] and its
/// public fields, or take one apart with [`Catalog::into_raw`], then check it with
/// [`Catalog::new`].
///
/// In JSON, `program_year` is required; the lists default to empty, `cpor_rules` to
/// [`CporRules::default`] and `calendar` to [`BusinessCalendar::default`]. Unknown fields are
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[cfg_attr(
    test,
    schemars(
        rename = "Catalog",
        title = "A cpor catalog of one program year",
        description = "The rules of one program year: solution areas, workloads, engagements, partner roles, MCI engagement types, CPOR timing rules, the business-day calendar and the co-op programs. `program_year` is required; the lists default to empty, `cpor_rules` and `calendar` to the documented defaults. Unknown fields are refused."
    )
)]
pub struct RawCatalog {
    /// The program year the catalog applies to.
    pub program_year: ProgramYear,
    /// The solution areas.
    #[serde(default)]
    pub solution_areas: Vec<SolutionArea>,
    /// The workloads and products of CPOR claims.
    #[serde(default)]
    pub workloads: Vec<Workload>,
    /// The CPOR and MCI engagements.
    #[serde(default)]
    pub engagements: Vec<Engagement>,
    /// The partner roles of CPOR claims.
    #[serde(default)]
    pub roles: Vec<PartnerRole>,
    /// The MCI engagement types and their deadlines.
    #[serde(default)]
    pub engagement_types: Vec<EngagementType>,
    /// The timing rules of CPOR claims.
    #[serde(default)]
    pub cpor_rules: CporRules,
    /// The business-day calendar.
    #[serde(default)]
    pub calendar: BusinessCalendar,
    /// Names of programs that are claimed through the co-op claim process, not CPOR.
    #[serde(default)]
    pub co_op_programs: Vec<String>,
}

impl RawCatalog {
    /// An empty catalog for `program_year`, with the default CPOR rules and calendar.
    #[must_use]
    pub fn new(program_year: ProgramYear) -> Self {
        Self {
            program_year,
            solution_areas: Vec::new(),
            workloads: Vec::new(),
            engagements: Vec::new(),
            roles: Vec::new(),
            engagement_types: Vec::new(),
            cpor_rules: CporRules::default(),
            calendar: BusinessCalendar::default(),
            co_op_programs: Vec::new(),
        }
    }
}

/// The rules of one program year, checked to be consistent.
///
/// See the [module documentation](self) for what it holds and what is checked. A `Catalog`
/// can only be built through [`Catalog::new`] (or `TryFrom<RawCatalog>`, or
/// `Deserialize`), which refuse an inconsistent catalog, or from the built-in catalogs.
/// Lookups are linear scans, as a catalog holds tens of items, save workloads, which are
/// indexed: a claim names many and a catalog may list thousands, and checking a claim stays
/// linear in its size.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawCatalog")]
pub struct Catalog {
    raw: RawCatalog,
    /// Where each workload is in `raw.workloads`.
    workloads: std::collections::HashMap<WorkloadId, usize>,
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for Catalog {}

impl Catalog {
    /// Checks `raw` and builds the catalog.
    ///
    /// # Errors
    ///
    /// A [`CatalogError`] listing every [`CatalogProblem`] found.
    pub fn new(raw: RawCatalog) -> Result<Self, CatalogError> {
        validate::validate(&raw)?;
        Ok(Self::indexed(raw))
    }

    /// The newest built-in catalog: program year FY26, from the October 2023 and later help
    /// pages. See [`Catalog::fy26`].
    ///
    /// The built-in catalogs are data: the crate embeds the file `catalogs/builtin.json` (the
    /// JSON form of [`Catalogs`], which `schemas/catalog.schema.json` describes) and reads it
    /// once per process, through the same checks as any catalog read from JSON. A test of the
    /// crate proves that the file loads; were it ever broken, the built-in functions would
    /// return an empty catalog of their program year rather than panic.
    #[must_use]
    pub fn builtin() -> Self {
        Self::fy26()
    }

    /// The built-in FY26 catalog.
    ///
    /// - Solution areas Business Applications and Modern Work and Security, with the
    ///   workloads and products of the help pages (Intune once, in both the `modern_work` and
    ///   `security` groups).
    /// - The four CPOR engagements and roles: "MCI BizApps Presales Advisor" ("Build intent -
    ///   Advisor"), "Usage Recognition - Biz Apps" ("Usage recognition - Non-incentivized"),
    ///   "Microsoft Business Applications Revenue" ("Influenced revenue recognition -
    ///   Non-incentivized") and "Modern Work and Security Usage" ("Use or consume").
    /// - The five MCI engagement types with the deadline table of the help pages, and one
    ///   MCI engagement per type. **The MCI engagements are illustrative defaults**: their
    ///   names, hourly rates ($150.00 and $200.00), hours (40 and 300), cap ($5,000.00),
    ///   customer ID kinds, limits and evidence flags are plausible values, not Microsoft's.
    ///   Replace them with the real year's catalog.
    /// - The documented CPOR rules, a Saturday/Sunday calendar without holidays, and the
    ///   co-op programs CSP (also "Cloud Solution Provider"), Managed Reseller, Hosting and
    ///   Surface.
    #[must_use]
    pub fn fy26() -> Self {
        registry::builtin_year(ProgramYear::of(26))
    }

    /// The built-in FY20 catalog, for claims of the 2019-21 programs.
    ///
    /// Its CPOR engagements carry the old program names: "OSA Sell" (Business Applications
    /// advisor, presales, by subscription), "OSU - Microsoft 365" (usage, by workload) and
    /// "OSU - Business Applications" (usage, by subscription). The roles reuse the names of
    /// the 2020 help pages: "Build intent - Advisor" for OSA Sell and "Use or consume" for
    /// both OSU programs (one role per solution area). The solution areas are Modern
    /// Workplace and Business Applications. The workload lists (ten Microsoft 365 workloads,
    /// the Dynamics 365 apps) are **illustrative**: the source documents name the programs,
    /// not the list. There are no MCI engagements; the co-op programs are those of FY26.
    #[must_use]
    pub fn fy20() -> Self {
        registry::builtin_year(ProgramYear::of(20))
    }

    /// The catalog with its workload index.
    fn indexed(raw: RawCatalog) -> Self {
        let workloads = raw
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id.clone(), i))
            .collect();
        Self { raw, workloads }
    }

    /// The parts of the catalog, to change and check again with [`Catalog::new`].
    #[must_use]
    pub fn into_raw(self) -> RawCatalog {
        self.raw
    }

    /// The parts of the catalog.
    #[must_use]
    pub const fn as_raw(&self) -> &RawCatalog {
        &self.raw
    }

    /// The program year the catalog applies to.
    #[must_use]
    pub const fn program_year(&self) -> ProgramYear {
        self.raw.program_year
    }

    /// The solution areas.
    #[must_use]
    pub fn solution_areas(&self) -> &[SolutionArea] {
        &self.raw.solution_areas
    }

    /// The workloads and products.
    #[must_use]
    pub fn workloads(&self) -> &[Workload] {
        &self.raw.workloads
    }

    /// The CPOR and MCI engagements.
    #[must_use]
    pub fn engagements(&self) -> &[Engagement] {
        &self.raw.engagements
    }

    /// The partner roles of CPOR claims.
    #[must_use]
    pub fn roles(&self) -> &[PartnerRole] {
        &self.raw.roles
    }

    /// The MCI engagement types.
    #[must_use]
    pub fn engagement_types(&self) -> &[EngagementType] {
        &self.raw.engagement_types
    }

    /// The timing rules of CPOR claims.
    #[must_use]
    pub const fn cpor_rules(&self) -> &CporRules {
        &self.raw.cpor_rules
    }

    /// The business-day calendar.
    #[must_use]
    pub const fn calendar(&self) -> &BusinessCalendar {
        &self.raw.calendar
    }

    /// The names of the programs claimed through the co-op claim process.
    #[must_use]
    pub fn co_op_programs(&self) -> &[String] {
        &self.raw.co_op_programs
    }

    /// The solution area `id`.
    #[must_use]
    pub fn solution_area(&self, id: &SolutionAreaId) -> Option<&SolutionArea> {
        self.raw.solution_areas.iter().find(|a| &a.id == id)
    }

    /// The workload or product `id`.
    #[must_use]
    pub fn workload(&self, id: &WorkloadId) -> Option<&Workload> {
        self.raw.workloads.get(*self.workloads.get(id)?)
    }

    /// The workloads and products of a solution area.
    pub fn workloads_in<'a, 'b>(
        &'a self,
        area: &'b SolutionAreaId,
    ) -> impl Iterator<Item = &'a Workload> + use<'a, 'b> {
        self.raw
            .workloads
            .iter()
            .filter(move |w| &w.solution_area == area)
    }

    /// The workloads listed under a group, such as `security`.
    pub fn workloads_in_group<'a, 'b>(
        &'a self,
        group: &'b WorkloadGroupId,
    ) -> impl Iterator<Item = &'a Workload> + use<'a, 'b> {
        self.raw
            .workloads
            .iter()
            .filter(move |w| w.is_in_group(group))
    }

    /// The engagement `id`.
    #[must_use]
    pub fn engagement(&self, id: &EngagementId) -> Option<&Engagement> {
        self.raw.engagements.iter().find(|e| &e.id == id)
    }

    /// The CPOR engagements, in catalog order.
    pub fn cpor_engagements(&self) -> impl Iterator<Item = &Engagement> {
        self.raw.engagements.iter().filter(|e| e.is_cpor())
    }

    /// The MCI engagements, in catalog order.
    pub fn mci_engagements(&self) -> impl Iterator<Item = &Engagement> {
        self.raw.engagements.iter().filter(|e| e.is_mci())
    }

    /// The partner role `id`.
    #[must_use]
    pub fn role(&self, id: &RoleId) -> Option<&PartnerRole> {
        self.raw.roles.iter().find(|r| &r.id == id)
    }

    /// The roles offered in a solution area, in catalog order.
    pub fn roles_in<'a, 'b>(
        &'a self,
        area: &'b SolutionAreaId,
    ) -> impl Iterator<Item = &'a PartnerRole> + use<'a, 'b> {
        self.raw
            .roles
            .iter()
            .filter(move |r| &r.solution_area == area)
    }

    /// The CPOR engagement that the role `id` maps to; `None` if there is no such role.
    ///
    /// In a checked catalog the engagement always exists and is a CPOR engagement of the
    /// role's solution area.
    #[must_use]
    pub fn engagement_for_role(&self, id: &RoleId) -> Option<&Engagement> {
        self.role(id).and_then(|r| self.engagement(&r.engagement))
    }

    /// The engagement type `id`.
    #[must_use]
    pub fn engagement_type(&self, id: &EngagementTypeId) -> Option<&EngagementType> {
        self.raw.engagement_types.iter().find(|t| &t.id == id)
    }

    /// The deadlines of the MCI engagement `id`, from its engagement type; `None` if there is
    /// no such engagement or it is not an MCI engagement.
    #[must_use]
    pub fn mci_deadlines(&self, id: &EngagementId) -> Option<&MciDeadlines> {
        let mci = self.engagement(id)?.as_mci()?;
        self.engagement_type(&mci.engagement_type)
            .map(|t| &t.deadlines)
    }

    /// Whether `name` is a program claimed through the co-op claim process rather than CPOR,
    /// such as `csp` or `Surface`.
    ///
    /// The comparison ignores letter case and surrounding whitespace.
    #[must_use]
    pub fn is_co_op_program(&self, name: &str) -> bool {
        let name = name.trim();
        self.raw
            .co_op_programs
            .iter()
            .any(|program| eq_ignore_case(program.trim(), name))
    }
}

/// Whether `a` and `b` are equal when both are lowercased.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl TryFrom<RawCatalog> for Catalog {
    type Error = CatalogError;

    fn try_from(raw: RawCatalog) -> Result<Self, Self::Error> {
        Self::new(raw)
    }
}

impl From<Catalog> for RawCatalog {
    fn from(catalog: Catalog) -> Self {
        catalog.raw
    }
}

impl Serialize for Catalog {
    /// Writes the [`RawCatalog`] form.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}
