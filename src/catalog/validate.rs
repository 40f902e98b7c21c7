//! Whole-catalog checks, run whenever a [`Catalog`](super::Catalog) is built or deserialized.
//!
//! The checks collect **every** problem before refusing, so one error report lists all that
//! is wrong with a catalog file.

use std::collections::BTreeSet;
use std::fmt;

use super::RawCatalog;
use super::key::{EngagementId, EngagementTypeId, ProgramYear, RoleId, SolutionAreaId, WorkloadId};
use super::model::{EngagementKind, Payout};
use crate::error::ErrorKind;
use crate::id::CustomerIdKind;

/// A list of a catalog, named in a [`CatalogProblem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CatalogList {
    /// `solution_areas`.
    SolutionAreas,
    /// The `workload_groups` of one solution area.
    WorkloadGroups,
    /// `workloads`.
    Workloads,
    /// `engagements`.
    Engagements,
    /// `roles`.
    Roles,
    /// `engagement_types`.
    EngagementTypes,
    /// `co_op_programs`.
    CoOpPrograms,
}

impl CatalogList {
    /// The lowercase name of one item of the list, such as `engagement type`.
    #[must_use]
    pub const fn item_name(self) -> &'static str {
        match self {
            Self::SolutionAreas => "solution area",
            Self::WorkloadGroups => "workload group",
            Self::Workloads => "workload",
            Self::Engagements => "engagement",
            Self::Roles => "role",
            Self::EngagementTypes => "engagement type",
            Self::CoOpPrograms => "co-op program",
        }
    }
}

impl fmt::Display for CatalogList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.item_name())
    }
}

/// One thing wrong with a catalog.
///
/// Each problem has a stable machine-readable [code](CatalogProblem::code) and a lowercase
/// message naming the offending id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogProblem {
    /// Two items of one list share an id (`catalog.duplicate_id`). Co-op program names are
    /// compared without regard to letter case.
    #[error("duplicate {list} id \"{id}\"")]
    DuplicateId {
        /// The list.
        list: CatalogList,
        /// The repeated id.
        id: String,
    },
    /// An item refers to an id that the catalog does not define
    /// (`catalog.unknown_reference`).
    #[error("{list} \"{owner}\" refers to the unknown {field} \"{target}\"")]
    UnknownReference {
        /// The list of the referring item.
        list: CatalogList,
        /// The referring item's id.
        owner: String,
        /// The field holding the reference, such as `solution_area`.
        field: &'static str,
        /// The id that does not exist.
        target: String,
    },
    /// A name is empty or only whitespace (`catalog.empty_name`).
    #[error("{list} \"{id}\" has an empty name")]
    EmptyName {
        /// The list.
        list: CatalogList,
        /// The item's id; for a co-op program, its position as `#n` from 0.
        id: String,
    },
    /// A role's engagement does not exist (`catalog.role_without_engagement`).
    #[error("role \"{role}\" maps to the engagement \"{engagement}\", which does not exist")]
    RoleWithoutEngagement {
        /// The role.
        role: RoleId,
        /// The missing engagement.
        engagement: EngagementId,
    },
    /// A role's engagement is not a CPOR engagement (`catalog.role_engagement_not_cpor`).
    #[error(
        "role \"{role}\" maps to the engagement \"{engagement}\", which is not a cpor engagement"
    )]
    RoleEngagementNotCpor {
        /// The role.
        role: RoleId,
        /// The engagement.
        engagement: EngagementId,
    },
    /// A role's solution area differs from its engagement's (`catalog.role_area_mismatch`).
    #[error(
        "role \"{role}\" is in the solution area \"{role_area}\" but its engagement \
         \"{engagement}\" is in \"{engagement_area}\""
    )]
    RoleAreaMismatch {
        /// The role.
        role: RoleId,
        /// The role's solution area.
        role_area: SolutionAreaId,
        /// The role's engagement.
        engagement: EngagementId,
        /// The engagement's solution area.
        engagement_area: SolutionAreaId,
    },
    /// A CPOR engagement that no role maps to, so no claim can reach it
    /// (`catalog.cpor_engagement_without_role`).
    #[error("cpor engagement \"{engagement}\" has no role that maps to it")]
    CporEngagementWithoutRole {
        /// The engagement.
        engagement: EngagementId,
    },
    /// A CPOR engagement whose solution area has no workloads or products, so a claim could
    /// name none (`catalog.engagement_without_workloads`).
    #[error(
        "cpor engagement \"{engagement}\" is in the solution area \"{solution_area}\", which has \
         no workloads or products"
    )]
    EngagementWithoutWorkloads {
        /// The engagement.
        engagement: EngagementId,
        /// Its solution area.
        solution_area: SolutionAreaId,
    },
    /// A workload with no group (`catalog.empty_workload_groups`).
    #[error("workload \"{workload}\" is in no workload group")]
    EmptyWorkloadGroups {
        /// The workload.
        workload: WorkloadId,
    },
    /// A workload listed under a group that its solution area does not show
    /// (`catalog.workload_area_mismatch`).
    #[error(
        "workload \"{workload}\" is in the group \"{group}\", which its solution area \
         \"{solution_area}\" does not have"
    )]
    WorkloadAreaMismatch {
        /// The workload.
        workload: WorkloadId,
        /// The group.
        group: String,
        /// The workload's solution area.
        solution_area: SolutionAreaId,
    },
    /// A deadline or rule of zero days (`catalog.nonpositive_deadline`).
    #[error("{owner} has the deadline {field} = 0; deadlines must be at least 1 day")]
    NonpositiveDeadline {
        /// What holds the deadline: `engagement type "workshop"` or `cpor rules`.
        owner: String,
        /// The field, such as `consent_days`.
        field: &'static str,
    },
    /// An engagement type whose review deadline falls before its first-submit deadline
    /// (`catalog.deadline_order`).
    #[error(
        "engagement type \"{engagement_type}\" ends review after {review_days} days, before \
         its first-submit deadline of {first_submit_days} days"
    )]
    DeadlineOrder {
        /// The engagement type.
        engagement_type: EngagementTypeId,
        /// Its first-submit deadline.
        first_submit_days: u32,
        /// Its review deadline.
        review_days: u32,
    },
    /// An MCI engagement that allows no customer ID kind
    /// (`catalog.empty_allowed_id_kinds`).
    #[error("mci engagement \"{engagement}\" allows no customer id kind")]
    EmptyAllowedIdKinds {
        /// The engagement.
        engagement: EngagementId,
    },
    /// An MCI engagement that lists a customer ID kind twice
    /// (`catalog.duplicate_id_kind`).
    #[error("mci engagement \"{engagement}\" lists the customer id kind {kind} twice")]
    DuplicateIdKind {
        /// The engagement.
        engagement: EngagementId,
        /// The repeated kind.
        kind: CustomerIdKind,
    },
    /// A variable-pay engagement that allows a kind other than MSX opportunity
    /// (`catalog.variable_pay_not_msx_only`).
    #[error(
        "variable-pay engagement \"{engagement}\" allows the customer id kind {kind}; variable \
         pay allows msx_opportunity only"
    )]
    VariablePayNotMsxOnly {
        /// The engagement.
        engagement: EngagementId,
        /// The kind that is not allowed.
        kind: CustomerIdKind,
    },
    /// A fixed-pay engagement that allows MSX opportunity IDs
    /// (`catalog.fixed_pay_allows_msx`).
    #[error(
        "fixed-pay engagement \"{engagement}\" allows msx_opportunity, which only variable pay \
         allows"
    )]
    FixedPayAllowsMsx {
        /// The engagement.
        engagement: EngagementId,
    },
    /// A variable-pay engagement with a zero hourly rate (`catalog.zero_hourly_rate`).
    #[error("variable-pay engagement \"{engagement}\" has an hourly rate of 0.00")]
    ZeroHourlyRate {
        /// The engagement.
        engagement: EngagementId,
    },
    /// A variable-pay engagement with zero maximum hours (`catalog.zero_max_hours`).
    #[error("variable-pay engagement \"{engagement}\" has max_hours = 0")]
    ZeroMaxHours {
        /// The engagement.
        engagement: EngagementId,
    },
    /// A variable-pay engagement with a cap of zero (`catalog.zero_cap`); omit the cap
    /// instead for no cap.
    #[error("variable-pay engagement \"{engagement}\" has a cap of 0.00; omit the cap for none")]
    ZeroCap {
        /// The engagement.
        engagement: EngagementId,
    },
    /// An MCI engagement that allows no active claim per customer
    /// (`catalog.zero_max_claims`).
    #[error("mci engagement \"{engagement}\" has max_active_claims_per_customer = 0")]
    ZeroMaxClaims {
        /// The engagement.
        engagement: EngagementId,
    },
    /// A co-op program with the same name as an engagement, so a claim could not tell
    /// them apart (`catalog.co_op_program_conflict`).
    #[error("co-op program \"{program}\" has the name of the engagement \"{engagement}\"")]
    CoOpProgramConflict {
        /// The co-op program name.
        program: String,
        /// The engagement with the same name.
        engagement: EngagementId,
    },
}

impl CatalogProblem {
    /// The stable machine-readable code, such as `catalog.duplicate_id`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::DuplicateId { .. } => "catalog.duplicate_id",
            Self::UnknownReference { .. } => "catalog.unknown_reference",
            Self::EmptyName { .. } => "catalog.empty_name",
            Self::RoleWithoutEngagement { .. } => "catalog.role_without_engagement",
            Self::RoleEngagementNotCpor { .. } => "catalog.role_engagement_not_cpor",
            Self::RoleAreaMismatch { .. } => "catalog.role_area_mismatch",
            Self::CporEngagementWithoutRole { .. } => "catalog.cpor_engagement_without_role",
            Self::EngagementWithoutWorkloads { .. } => "catalog.engagement_without_workloads",
            Self::EmptyWorkloadGroups { .. } => "catalog.empty_workload_groups",
            Self::WorkloadAreaMismatch { .. } => "catalog.workload_area_mismatch",
            Self::NonpositiveDeadline { .. } => "catalog.nonpositive_deadline",
            Self::DeadlineOrder { .. } => "catalog.deadline_order",
            Self::EmptyAllowedIdKinds { .. } => "catalog.empty_allowed_id_kinds",
            Self::DuplicateIdKind { .. } => "catalog.duplicate_id_kind",
            Self::VariablePayNotMsxOnly { .. } => "catalog.variable_pay_not_msx_only",
            Self::FixedPayAllowsMsx { .. } => "catalog.fixed_pay_allows_msx",
            Self::ZeroHourlyRate { .. } => "catalog.zero_hourly_rate",
            Self::ZeroMaxHours { .. } => "catalog.zero_max_hours",
            Self::ZeroCap { .. } => "catalog.zero_cap",
            Self::ZeroMaxClaims { .. } => "catalog.zero_max_claims",
            Self::CoOpProgramConflict { .. } => "catalog.co_op_program_conflict",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the catalog breaks a rule.
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

/// A catalog that was refused, with **every** problem found in it.
///
/// ```
/// use cpor::catalog::Catalog;
///
/// let mut raw = Catalog::builtin().into_raw();
/// raw.roles[0].engagement = "no_such_engagement".parse()?;
/// raw.roles[1].id = raw.roles[2].id.clone();
/// let err = Catalog::new(raw).unwrap_err();
/// assert_eq!(
///     err.codes(),
///     [
///         // No role maps to the presales engagement any more.
///         "catalog.cpor_engagement_without_role",
///         "catalog.duplicate_id",
///         "catalog.role_without_engagement",
///     ]
/// );
/// assert!(err.to_string().starts_with(
///     "catalog FY26 refused with 3 problems: (1) catalog.cpor_engagement_without_role: \
///      cpor engagement \"mci_bizapps_presales_advisor\" has no role that maps to it; (2) "
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(*.program_year, .problems))]
#[non_exhaustive]
pub struct CatalogError {
    program_year: ProgramYear,
    problems: Vec<CatalogProblem>,
}

impl CatalogError {
    /// The program year of the refused catalog.
    #[must_use]
    pub const fn program_year(&self) -> ProgramYear {
        self.program_year
    }

    /// Every problem, in the order of the catalog's lists. Never empty.
    #[must_use]
    pub fn problems(&self) -> &[CatalogProblem] {
        &self.problems
    }

    /// The problems, owned.
    #[must_use]
    pub fn into_problems(self) -> Vec<CatalogProblem> {
        self.problems
    }

    /// The code of every problem, in order.
    #[must_use]
    pub fn codes(&self) -> Vec<&'static str> {
        self.problems.iter().map(CatalogProblem::code).collect()
    }

    /// The refusal of a catalog of `program_year` with `problems`, for the crate's tests.
    #[cfg(test)]
    pub(crate) const fn from_problems(
        program_year: ProgramYear,
        problems: Vec<CatalogProblem>,
    ) -> Self {
        Self {
            program_year,
            problems,
        }
    }

    /// The stable machine-readable code of the refusal as a whole: `catalog.invalid`. Each
    /// problem has its own [code](CatalogProblem::code).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "catalog.invalid"
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the catalog breaks a rule.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same catalog is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

/// The message of a [`CatalogError`]: the count, then each problem with its code.
fn describe(year: ProgramYear, problems: &[CatalogProblem]) -> String {
    use fmt::Write as _;

    let count = problems.len();
    let plural = if count == 1 { "" } else { "s" };
    let mut text = format!("catalog {year} refused with {count} problem{plural}: ");
    for (n, problem) in (1_usize..).zip(problems) {
        if n > 1 {
            text.push_str("; ");
        }
        // Writing to a String cannot fail.
        let _ = write!(text, "({n}) {}: {problem}", problem.code());
    }
    text
}

/// Checks `raw` and returns every problem, or `Ok(())` if there is none.
pub(super) fn validate(raw: &RawCatalog) -> Result<(), CatalogError> {
    let mut problems = Vec::new();
    check(raw, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CatalogError {
            program_year: raw.program_year,
            problems,
        })
    }
}

/// Pushes a [`CatalogProblem::DuplicateId`] for every id seen before.
fn duplicates<'a>(
    list: CatalogList,
    ids: impl IntoIterator<Item = &'a str>,
    problems: &mut Vec<CatalogProblem>,
) {
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) && reported.insert(id) {
            problems.push(CatalogProblem::DuplicateId {
                list,
                id: id.to_owned(),
            });
        }
    }
}

/// Pushes a [`CatalogProblem::EmptyName`] if `name` is blank.
fn name(list: CatalogList, id: &str, name: &str, problems: &mut Vec<CatalogProblem>) {
    if name.trim().is_empty() {
        problems.push(CatalogProblem::EmptyName {
            list,
            id: id.to_owned(),
        });
    }
}

/// Pushes a [`CatalogProblem::NonpositiveDeadline`] for every zero in `fields`.
fn deadlines(owner: &str, fields: &[(&'static str, u32)], problems: &mut Vec<CatalogProblem>) {
    for (field, days) in fields {
        if *days == 0 {
            problems.push(CatalogProblem::NonpositiveDeadline {
                owner: owner.to_owned(),
                field,
            });
        }
    }
}

/// Every check, in the order of the catalog's lists.
fn check(raw: &RawCatalog, problems: &mut Vec<CatalogProblem>) {
    let area = |id: &SolutionAreaId| raw.solution_areas.iter().find(|a| &a.id == id);
    let unknown = |list, owner: &str, field, target: &str| CatalogProblem::UnknownReference {
        list,
        owner: owner.to_owned(),
        field,
        target: target.to_owned(),
    };

    // Solution areas.
    duplicates(
        CatalogList::SolutionAreas,
        raw.solution_areas.iter().map(|a| a.id.as_str()),
        problems,
    );
    for a in &raw.solution_areas {
        name(CatalogList::SolutionAreas, a.id.as_str(), &a.name, problems);
        duplicates(
            CatalogList::WorkloadGroups,
            a.workload_groups.iter().map(|g| g.as_str()),
            problems,
        );
    }

    // Workloads.
    duplicates(
        CatalogList::Workloads,
        raw.workloads.iter().map(|w| w.id.as_str()),
        problems,
    );
    for w in &raw.workloads {
        name(CatalogList::Workloads, w.id.as_str(), &w.name, problems);
        if w.groups.is_empty() {
            problems.push(CatalogProblem::EmptyWorkloadGroups {
                workload: w.id.clone(),
            });
        }
        match area(&w.solution_area) {
            None => problems.push(unknown(
                CatalogList::Workloads,
                w.id.as_str(),
                "solution_area",
                w.solution_area.as_str(),
            )),
            Some(a) => {
                for group in w.groups.iter().filter(|g| !a.workload_groups.contains(g)) {
                    problems.push(CatalogProblem::WorkloadAreaMismatch {
                        workload: w.id.clone(),
                        group: group.to_string(),
                        solution_area: a.id.clone(),
                    });
                }
            }
        }
    }

    // Engagements.
    duplicates(
        CatalogList::Engagements,
        raw.engagements.iter().map(|e| e.id.as_str()),
        problems,
    );
    for e in &raw.engagements {
        name(CatalogList::Engagements, e.id.as_str(), &e.name, problems);
        match &e.kind {
            EngagementKind::Cpor(cpor) => {
                if area(&cpor.solution_area).is_none() {
                    problems.push(unknown(
                        CatalogList::Engagements,
                        e.id.as_str(),
                        "solution_area",
                        cpor.solution_area.as_str(),
                    ));
                } else if !raw
                    .workloads
                    .iter()
                    .any(|w| w.solution_area == cpor.solution_area)
                {
                    problems.push(CatalogProblem::EngagementWithoutWorkloads {
                        engagement: e.id.clone(),
                        solution_area: cpor.solution_area.clone(),
                    });
                }
                if !raw.roles.iter().any(|r| r.engagement == e.id) {
                    problems.push(CatalogProblem::CporEngagementWithoutRole {
                        engagement: e.id.clone(),
                    });
                }
            }
            EngagementKind::Mci(mci) => {
                if !raw
                    .engagement_types
                    .iter()
                    .any(|t| t.id == mci.engagement_type)
                {
                    problems.push(unknown(
                        CatalogList::Engagements,
                        e.id.as_str(),
                        "engagement_type",
                        mci.engagement_type.as_str(),
                    ));
                }
                check_id_kinds(&e.id, &mci.allowed_id_kinds, mci.payout, problems);
                if let Payout::Variable {
                    hourly_rate,
                    max_hours,
                    cap,
                } = mci.payout
                {
                    if hourly_rate.is_zero() {
                        problems.push(CatalogProblem::ZeroHourlyRate {
                            engagement: e.id.clone(),
                        });
                    }
                    if max_hours == 0 {
                        problems.push(CatalogProblem::ZeroMaxHours {
                            engagement: e.id.clone(),
                        });
                    }
                    if cap.is_some_and(|cap| cap.is_zero()) {
                        problems.push(CatalogProblem::ZeroCap {
                            engagement: e.id.clone(),
                        });
                    }
                }
                if mci.max_active_claims_per_customer == 0 {
                    problems.push(CatalogProblem::ZeroMaxClaims {
                        engagement: e.id.clone(),
                    });
                }
            }
        }
    }

    // Roles.
    duplicates(
        CatalogList::Roles,
        raw.roles.iter().map(|r| r.id.as_str()),
        problems,
    );
    for r in &raw.roles {
        name(CatalogList::Roles, r.id.as_str(), &r.name, problems);
        if area(&r.solution_area).is_none() {
            problems.push(unknown(
                CatalogList::Roles,
                r.id.as_str(),
                "solution_area",
                r.solution_area.as_str(),
            ));
        }
        match raw.engagements.iter().find(|e| e.id == r.engagement) {
            None => problems.push(CatalogProblem::RoleWithoutEngagement {
                role: r.id.clone(),
                engagement: r.engagement.clone(),
            }),
            Some(e) => match e.as_cpor() {
                None => problems.push(CatalogProblem::RoleEngagementNotCpor {
                    role: r.id.clone(),
                    engagement: e.id.clone(),
                }),
                Some(cpor) if cpor.solution_area != r.solution_area => {
                    problems.push(CatalogProblem::RoleAreaMismatch {
                        role: r.id.clone(),
                        role_area: r.solution_area.clone(),
                        engagement: e.id.clone(),
                        engagement_area: cpor.solution_area.clone(),
                    });
                }
                Some(_) => {}
            },
        }
    }

    // Engagement types.
    duplicates(
        CatalogList::EngagementTypes,
        raw.engagement_types.iter().map(|t| t.id.as_str()),
        problems,
    );
    for t in &raw.engagement_types {
        name(
            CatalogList::EngagementTypes,
            t.id.as_str(),
            &t.name,
            problems,
        );
        let d = &t.deadlines;
        deadlines(
            &format!("engagement type \"{}\"", t.id),
            &[
                ("consent_days", d.consent_days),
                ("first_submit_days", d.first_submit_days),
                ("review_days", d.review_days),
                ("dispute_days", d.dispute_days),
                ("post_dispute_days", d.post_dispute_days),
            ],
            problems,
        );
        if d.review_days < d.first_submit_days {
            problems.push(CatalogProblem::DeadlineOrder {
                engagement_type: t.id.clone(),
                first_submit_days: d.first_submit_days,
                review_days: d.review_days,
            });
        }
    }

    // CPOR rules.
    let c = &raw.cpor_rules;
    deadlines(
        "cpor rules",
        &[
            ("opt_out_business_days", c.opt_out_business_days),
            ("info_request_business_days", c.info_request_business_days),
            ("dispute_days", c.dispute_days),
            (
                "review_start_sla_business_days",
                c.review_start_sla_business_days,
            ),
            ("review_sla_business_days", c.review_sla_business_days),
        ],
        problems,
    );

    // Co-op programs.
    let folded: Vec<String> = raw
        .co_op_programs
        .iter()
        .map(|p| p.trim().to_lowercase())
        .collect();
    duplicates(
        CatalogList::CoOpPrograms,
        folded.iter().map(String::as_str),
        problems,
    );
    for (index, (program, key)) in raw.co_op_programs.iter().zip(&folded).enumerate() {
        name(
            CatalogList::CoOpPrograms,
            &format!("#{index}"),
            program,
            problems,
        );
        if let Some(e) = raw
            .engagements
            .iter()
            .find(|e| &e.name.trim().to_lowercase() == key)
        {
            problems.push(CatalogProblem::CoOpProgramConflict {
                program: program.clone(),
                engagement: e.id.clone(),
            });
        }
    }
}

/// The customer ID kind rules of one MCI engagement.
fn check_id_kinds(
    engagement: &EngagementId,
    kinds: &[CustomerIdKind],
    payout: Payout,
    problems: &mut Vec<CatalogProblem>,
) {
    if kinds.is_empty() {
        problems.push(CatalogProblem::EmptyAllowedIdKinds {
            engagement: engagement.clone(),
        });
    }
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for kind in kinds {
        if !seen.insert(*kind) && reported.insert(*kind) {
            problems.push(CatalogProblem::DuplicateIdKind {
                engagement: engagement.clone(),
                kind: *kind,
            });
        }
    }
    let variable = matches!(payout, Payout::Variable { .. });
    for kind in seen {
        let msx = kind == CustomerIdKind::MsxOpportunity;
        if variable && !msx {
            problems.push(CatalogProblem::VariablePayNotMsxOnly {
                engagement: engagement.clone(),
                kind,
            });
        } else if !variable && msx {
            problems.push(CatalogProblem::FixedPayAllowsMsx {
                engagement: engagement.clone(),
            });
        }
    }
}
