//! Tests for the rules catalog: the built-in catalogs, their JSON form, every validation
//! problem (one test per code), lookups, keys and the program-year registry.

use cpor::CustomerIdKind;
use cpor::catalog::{
    AssociationUnit, Catalog, CatalogError, CatalogList, CatalogProblem, Catalogs, CatalogsError,
    Engagement, EngagementId, EngagementKind, EngagementTypeId, Incentive, KeyError, MciDeadlines,
    MciEngagement, Payout, ProgramYear, RawCatalog, RoleId, SolutionAreaId, WorkloadGroupId,
    WorkloadId,
};
use cpor::money::Usd;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn year(two_digits: u8) -> ProgramYear {
    ProgramYear::new(two_digits).expect("valid year")
}

fn eid(text: &str) -> EngagementId {
    text.parse().expect("valid engagement id")
}

fn rid(text: &str) -> RoleId {
    text.parse().expect("valid role id")
}

fn area(text: &str) -> SolutionAreaId {
    text.parse().expect("valid solution area id")
}

fn raw() -> RawCatalog {
    Catalog::builtin().into_raw()
}

fn engagement_mut<'a>(raw: &'a mut RawCatalog, id: &str) -> &'a mut Engagement {
    raw.engagements
        .iter_mut()
        .find(|e| e.id.as_str() == id)
        .unwrap_or_else(|| panic!("no engagement {id}"))
}

fn mci_mut<'a>(raw: &'a mut RawCatalog, id: &str) -> &'a mut MciEngagement {
    match &mut engagement_mut(raw, id).kind {
        EngagementKind::Mci(mci) => mci,
        other => panic!("{id} is not mci: {other:?}"),
    }
}

const FIXED: &str = "threat_protection_workshop";
const VARIABLE: &str = "bizapps_deployment_medium_project";

/// Checks that `raw` is refused, by `Catalog::new` and by JSON alike, and returns the error.
#[track_caller]
fn refused(raw: RawCatalog) -> CatalogError {
    let json = serde_json::to_string(&raw).expect("raw catalog to json");
    let err = Catalog::new(raw).expect_err("catalog should be refused");
    assert!(!err.problems().is_empty());
    let serde_err = serde_json::from_str::<Catalog>(&json).expect_err("json should be refused");
    assert!(
        serde_err.to_string().contains(&err.to_string()),
        "serde said {serde_err}, new said {err}"
    );
    err
}

/// Checks that `raw` is refused with exactly one problem of `code`, whose message names
/// `id`, and returns it.
#[track_caller]
fn refused_once(raw: RawCatalog, code: &str, id: &str) -> CatalogProblem {
    let err = refused(raw);
    assert_eq!(err.codes(), [code], "{err}");
    let problem = err.problems()[0].clone();
    assert!(
        problem.to_string().contains(id),
        "{problem} should name {id}"
    );
    assert!(err.to_string().contains(code), "{err}");
    problem
}

// ---------------------------------------------------------------------------
// Built-in catalogs and JSON
// ---------------------------------------------------------------------------

#[test]
fn builtin_catalogs_validate() {
    for catalog in [Catalog::builtin(), Catalog::fy26(), Catalog::fy20()] {
        let year = catalog.program_year();
        let checked = Catalog::new(catalog.clone().into_raw())
            .unwrap_or_else(|e| panic!("{year} is inconsistent: {e}"));
        assert_eq!(checked, catalog);
        assert_eq!(Catalog::try_from(catalog.as_raw().clone()), Ok(catalog));
    }
    assert_eq!(Catalog::builtin(), Catalog::fy26());
    assert_eq!(Catalog::builtin().program_year(), year(26));
    assert_eq!(Catalog::fy20().program_year(), year(20));
}

#[test]
fn json_round_trip_gives_an_equal_catalog() {
    for catalog in [Catalog::fy26(), Catalog::fy20()] {
        let json = serde_json::to_string(&catalog).expect("serialize");
        let back: Catalog = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, catalog);
        assert_eq!(serde_json::to_string(&back).expect("serialize"), json);
        // The raw form is the same JSON.
        let raw: RawCatalog = serde_json::from_str(&json).expect("raw");
        assert_eq!(&raw, catalog.as_raw());
    }
}

#[test]
fn json_amounts_and_kinds_are_strings() {
    let json = serde_json::to_value(Catalog::fy26()).expect("serialize");
    let engagements = json["engagements"].as_array().expect("array");
    let variable = engagements
        .iter()
        .find(|e| e["id"] == VARIABLE)
        .expect("variable engagement");
    assert_eq!(
        variable["kind"]["payout"],
        serde_json::json!({"type": "variable", "hourly_rate": "150.00", "max_hours": 40, "cap": "5000.00"})
    );
    assert_eq!(
        variable["kind"]["allowed_id_kinds"],
        serde_json::json!(["msx_opportunity"])
    );
    assert_eq!(json["program_year"], "FY26");
    assert_eq!(
        json["calendar"]["weekend"],
        serde_json::json!(["Sat", "Sun"])
    );
}

#[test]
fn json_defaults_apply_and_unknown_fields_are_refused() {
    let minimal: Catalog = serde_json::from_str(r#"{"program_year": "fy27"}"#).expect("minimal");
    assert_eq!(minimal.program_year(), year(27));
    assert_eq!(minimal.cpor_rules().opt_out_business_days, 5);
    assert_eq!(minimal.cpor_rules().info_request_business_days, 14);
    assert_eq!(minimal.cpor_rules().dispute_days, 30);
    assert_eq!(minimal.cpor_rules().review_start_sla_business_days, 5);
    assert_eq!(minimal.cpor_rules().review_sla_business_days, 14);
    assert_eq!(minimal.engagements().len(), 0);
    assert_eq!(
        minimal,
        Catalog::new(RawCatalog::new(year(27))).expect("empty")
    );

    let mut json = serde_json::to_value(Catalog::fy26()).expect("serialize");
    json["surprise"] = serde_json::json!(1);
    let err = serde_json::from_value::<Catalog>(json).expect_err("unknown top-level field");
    assert!(err.to_string().contains("surprise"), "{err}");

    let mut json = serde_json::to_value(Catalog::fy26()).expect("serialize");
    json["engagements"][0]["kind"]["surprise"] = serde_json::json!(true);
    let err = serde_json::from_value::<Catalog>(json).expect_err("unknown kind field");
    assert!(err.to_string().contains("surprise"), "{err}");

    // MCI defaults: one active claim per customer, no referral, no extra evidence.
    let mut json = serde_json::to_value(Catalog::fy26()).expect("serialize");
    let engagements = json["engagements"].as_array_mut().expect("array");
    let fixed = engagements
        .iter_mut()
        .find(|e| e["id"] == "azure_migration_small_project")
        .expect("engagement");
    let kind = fixed["kind"].as_object_mut().expect("object");
    for field in [
        "max_active_claims_per_customer",
        "referral_enabled",
        "requires_invoice",
        "requires_customer_survey",
    ] {
        assert!(kind.remove(field).is_some(), "{field}");
    }
    let catalog: Catalog = serde_json::from_value(json).expect("defaults");
    let mci = catalog
        .engagement(&eid("azure_migration_small_project"))
        .and_then(Engagement::as_mci)
        .expect("mci");
    assert_eq!(mci.max_active_claims_per_customer, 1);
    assert!(!mci.referral_enabled && !mci.requires_invoice && !mci.requires_customer_survey);
}

#[test]
fn json_with_an_invalid_key_or_amount_is_refused() {
    let json = serde_json::to_string(&Catalog::fy26()).expect("serialize");
    let bad_key = json.replace(r#""id":"mws_usage""#, r#""id":"MWS Usage""#);
    let err = serde_json::from_str::<Catalog>(&bad_key).expect_err("bad key");
    assert!(
        err.to_string().contains("engagement id \"MWS Usage\""),
        "{err}"
    );

    let bad_amount = json.replace(r#""150.00""#, r#""150.001""#);
    assert_ne!(bad_amount, json);
    let err = serde_json::from_str::<Catalog>(&bad_amount).expect_err("bad amount");
    assert!(err.to_string().contains("at most 2 are allowed"), "{err}");

    let bad_year = json.replace(r#""FY26""#, r#""2026""#);
    let err = serde_json::from_str::<Catalog>(&bad_year).expect_err("bad year");
    assert!(err.to_string().contains("program year \"2026\""), "{err}");
}

// ---------------------------------------------------------------------------
// One test per problem code
// ---------------------------------------------------------------------------

#[test]
fn refuses_duplicate_id() {
    let mut r = raw();
    let copy = r.workloads[3].clone();
    r.workloads.push(copy);
    let problem = refused_once(r, "catalog.duplicate_id", "teams");
    assert_eq!(
        problem,
        CatalogProblem::DuplicateId {
            list: CatalogList::Workloads,
            id: "teams".into()
        }
    );

    let mut r = raw();
    r.engagement_types[1].id = r.engagement_types[0].id.clone();
    // The workshop engagement now points at a type that no longer exists under its id.
    let err = refused(r);
    assert_eq!(
        err.codes(),
        ["catalog.unknown_reference", "catalog.duplicate_id"]
    );

    let mut r = raw();
    r.co_op_programs.push("  hosting ".into());
    let problem = refused_once(r, "catalog.duplicate_id", "hosting");
    assert!(matches!(
        problem,
        CatalogProblem::DuplicateId {
            list: CatalogList::CoOpPrograms,
            ..
        }
    ));
}

#[test]
fn refuses_unknown_reference() {
    let mut r = raw();
    r.workloads[0].solution_area = area("modern_work");
    let problem = refused_once(r, "catalog.unknown_reference", "modern_work");
    assert_eq!(
        problem.to_string(),
        r#"workload "exchange" refers to the unknown solution_area "modern_work""#
    );

    let mut r = raw();
    mci_mut(&mut r, FIXED).engagement_type = "hackathon".parse().expect("key");
    let problem = refused_once(r, "catalog.unknown_reference", "hackathon");
    assert!(problem.to_string().contains(FIXED), "{problem}");

    let mut r = raw();
    r.roles[3].solution_area = area("security");
    let err = refused(r);
    assert_eq!(
        err.codes(),
        ["catalog.unknown_reference", "catalog.role_area_mismatch"]
    );
}

#[test]
fn refuses_empty_name() {
    let mut r = raw();
    r.roles[2].name = "  ".into();
    let problem = refused_once(r, "catalog.empty_name", "influenced_revenue_recognition");
    assert!(matches!(
        problem,
        CatalogProblem::EmptyName {
            list: CatalogList::Roles,
            ..
        }
    ));
}

#[test]
fn refuses_role_without_engagement() {
    let mut r = raw();
    let role = r.roles.remove(3);
    r.roles.push(cpor::catalog::PartnerRole {
        id: rid("build_with"),
        name: "Build with".into(),
        solution_area: role.solution_area.clone(),
        engagement: eid("mws_deployment"),
    });
    r.roles.push(role);
    let problem = refused_once(r, "catalog.role_without_engagement", "mws_deployment");
    assert_eq!(
        problem,
        CatalogProblem::RoleWithoutEngagement {
            role: rid("build_with"),
            engagement: eid("mws_deployment"),
        }
    );
}

#[test]
fn refuses_role_engagement_not_cpor() {
    let mut r = raw();
    let mut role = r.roles[3].clone();
    role.id = rid("workshop_role");
    role.engagement = eid(FIXED);
    r.roles.push(role);
    let problem = refused_once(r, "catalog.role_engagement_not_cpor", FIXED);
    assert!(problem.to_string().contains("workshop_role"), "{problem}");
}

#[test]
fn refuses_role_area_mismatch() {
    let mut r = raw();
    // "Use or consume" offered under Business Applications, still mapped to the MWS usage.
    r.roles[3].solution_area = area("business_applications");
    let problem = refused_once(r, "catalog.role_area_mismatch", "use_or_consume");
    assert_eq!(
        problem,
        CatalogProblem::RoleAreaMismatch {
            role: rid("use_or_consume"),
            role_area: area("business_applications"),
            engagement: eid("mws_usage"),
            engagement_area: area("modern_work_security"),
        }
    );
}

#[test]
fn refuses_cpor_engagement_without_role() {
    let mut r = raw();
    r.roles
        .retain(|role| role.id.as_str() != "usage_recognition");
    refused_once(
        r,
        "catalog.cpor_engagement_without_role",
        "usage_recognition_biz_apps",
    );
}

#[test]
fn refuses_engagement_without_workloads() {
    let mut r = raw();
    r.workloads
        .retain(|w| w.solution_area.as_str() != "modern_work_security");
    refused_once(r, "catalog.engagement_without_workloads", "mws_usage");
}

#[test]
fn refuses_empty_workload_groups() {
    let mut r = raw();
    r.workloads[0].groups.clear();
    refused_once(r, "catalog.empty_workload_groups", "exchange");
}

#[test]
fn refuses_workload_area_mismatch() {
    let mut r = raw();
    let power_bi = r
        .workloads
        .iter_mut()
        .find(|w| w.id.as_str() == "power_bi")
        .expect("power bi");
    power_bi.groups = vec!["security".parse::<WorkloadGroupId>().expect("key")];
    let problem = refused_once(r, "catalog.workload_area_mismatch", "power_bi");
    assert_eq!(
        problem.to_string(),
        r#"workload "power_bi" is in the group "security", which its solution area "business_applications" does not have"#
    );
}

#[test]
fn refuses_nonpositive_deadline() {
    let mut r = raw();
    r.engagement_types[1].deadlines.consent_days = 0;
    let problem = refused_once(r, "catalog.nonpositive_deadline", "workshop");
    assert!(problem.to_string().contains("consent_days"), "{problem}");

    for field in 0..5 {
        let mut r = raw();
        let rules = &mut r.cpor_rules;
        let (slot, name) = match field {
            0 => (&mut rules.opt_out_business_days, "opt_out_business_days"),
            1 => (
                &mut rules.info_request_business_days,
                "info_request_business_days",
            ),
            2 => (&mut rules.dispute_days, "dispute_days"),
            3 => (
                &mut rules.review_start_sla_business_days,
                "review_start_sla_business_days",
            ),
            _ => (
                &mut rules.review_sla_business_days,
                "review_sla_business_days",
            ),
        };
        *slot = 0;
        refused_once(r, "catalog.nonpositive_deadline", name);
    }

    let mut r = raw();
    r.engagement_types[4].deadlines.post_dispute_days = 0;
    r.engagement_types[4].deadlines.dispute_days = 0;
    let err = refused(r);
    assert_eq!(
        err.codes(),
        [
            "catalog.nonpositive_deadline",
            "catalog.nonpositive_deadline"
        ]
    );
}

#[test]
fn refuses_deadline_order() {
    let mut r = raw();
    r.engagement_types[0].deadlines.review_days = 59;
    let problem = refused_once(r, "catalog.deadline_order", "assessment");
    assert!(problem.to_string().contains("59"), "{problem}");
}

#[test]
fn refuses_empty_allowed_id_kinds() {
    let mut r = raw();
    mci_mut(&mut r, FIXED).allowed_id_kinds.clear();
    refused_once(r, "catalog.empty_allowed_id_kinds", FIXED);
}

#[test]
fn refuses_duplicate_id_kind() {
    let mut r = raw();
    mci_mut(&mut r, FIXED)
        .allowed_id_kinds
        .extend([CustomerIdKind::Tpid, CustomerIdKind::Tpid]);
    let problem = refused_once(r, "catalog.duplicate_id_kind", FIXED);
    assert!(problem.to_string().contains("tpid"), "{problem}");
}

#[test]
fn refuses_variable_pay_not_msx_only() {
    let mut r = raw();
    mci_mut(&mut r, VARIABLE)
        .allowed_id_kinds
        .push(CustomerIdKind::Tenant);
    let problem = refused_once(r, "catalog.variable_pay_not_msx_only", VARIABLE);
    assert_eq!(
        problem,
        CatalogProblem::VariablePayNotMsxOnly {
            engagement: eid(VARIABLE),
            kind: CustomerIdKind::Tenant,
        }
    );

    // Variable pay with no MSX at all.
    let mut r = raw();
    mci_mut(&mut r, VARIABLE).allowed_id_kinds = vec![CustomerIdKind::Domain];
    refused_once(r, "catalog.variable_pay_not_msx_only", VARIABLE);
}

#[test]
fn refuses_fixed_pay_allows_msx() {
    let mut r = raw();
    mci_mut(&mut r, FIXED)
        .allowed_id_kinds
        .push(CustomerIdKind::MsxOpportunity);
    refused_once(r, "catalog.fixed_pay_allows_msx", FIXED);

    // Turning a variable-pay engagement into fixed pay keeps its MSX-only list: refused.
    let mut r = raw();
    mci_mut(&mut r, VARIABLE).payout = Payout::Fixed;
    refused_once(r, "catalog.fixed_pay_allows_msx", VARIABLE);
}

fn set_variable(r: &mut RawCatalog, hourly_rate: u64, max_hours: u32, cap: Option<u64>) {
    mci_mut(r, VARIABLE).payout = Payout::Variable {
        hourly_rate: Usd::from_cents(hourly_rate),
        max_hours,
        cap: cap.map(Usd::from_cents),
    };
}

#[test]
fn refuses_zero_hourly_rate() {
    let mut r = raw();
    set_variable(&mut r, 0, 40, Some(500_000));
    refused_once(r, "catalog.zero_hourly_rate", VARIABLE);
}

#[test]
fn refuses_zero_max_hours() {
    let mut r = raw();
    set_variable(&mut r, 15_000, 0, Some(500_000));
    refused_once(r, "catalog.zero_max_hours", VARIABLE);
}

#[test]
fn refuses_zero_cap() {
    let mut r = raw();
    set_variable(&mut r, 15_000, 40, Some(0));
    refused_once(r, "catalog.zero_cap", VARIABLE);
    // No cap at all is fine.
    let mut r = raw();
    set_variable(&mut r, 15_000, 40, None);
    assert!(Catalog::new(r).is_ok());
}

#[test]
fn refuses_zero_max_claims() {
    let mut r = raw();
    mci_mut(&mut r, FIXED).max_active_claims_per_customer = 0;
    refused_once(r, "catalog.zero_max_claims", FIXED);
}

#[test]
fn refuses_co_op_program_conflict() {
    let mut r = raw();
    r.co_op_programs
        .push("modern work and security usage".into());
    let problem = refused_once(r, "catalog.co_op_program_conflict", "mws_usage");
    assert!(
        problem
            .to_string()
            .contains("modern work and security usage"),
        "{problem}"
    );
}

#[test]
fn every_problem_of_a_broken_catalog_is_reported() {
    let mut r = raw();
    r.solution_areas.push(r.solution_areas[0].clone()); // duplicate_id
    r.workloads[0].groups.clear(); // empty_workload_groups
    r.roles[0].engagement = eid("osa_sell"); // role_without_engagement (+ no role for presales)
    r.roles[3].solution_area = area("business_applications"); // role_area_mismatch
    r.engagement_types[2].deadlines.first_submit_days = 0; // nonpositive_deadline
    mci_mut(&mut r, FIXED).max_active_claims_per_customer = 0; // zero_max_claims
    set_variable(&mut r, 15_000, 40, Some(0)); // zero_cap
    mci_mut(&mut r, VARIABLE)
        .allowed_id_kinds
        .push(CustomerIdKind::Tpid); // variable_pay_not_msx_only
    r.cpor_rules.dispute_days = 0; // nonpositive_deadline
    let err = refused(r);
    assert_eq!(
        err.codes(),
        [
            "catalog.duplicate_id",
            "catalog.empty_workload_groups",
            "catalog.cpor_engagement_without_role",
            "catalog.zero_max_claims",
            "catalog.variable_pay_not_msx_only",
            "catalog.zero_cap",
            "catalog.role_without_engagement",
            "catalog.role_area_mismatch",
            "catalog.nonpositive_deadline",
            "catalog.nonpositive_deadline",
        ]
    );
    assert_eq!(err.program_year(), year(26));
    let message = err.to_string();
    assert!(
        message.starts_with("catalog FY26 refused with 10 problems: (1) catalog.duplicate_id: "),
        "{message}"
    );
    assert!(message.contains("(10) catalog.nonpositive_deadline: cpor rules"));
    assert_eq!(err.clone().into_problems().len(), 10);
}

// ---------------------------------------------------------------------------
// Contents of the built-in FY26 catalog
// ---------------------------------------------------------------------------

#[test]
fn builtin_has_the_four_cpor_engagements() {
    let catalog = Catalog::builtin();
    let names: Vec<&str> = catalog
        .cpor_engagements()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "MCI BizApps Presales Advisor",
            "Usage Recognition - Biz Apps",
            "Microsoft Business Applications Revenue",
            "Modern Work and Security Usage",
        ]
    );
    let revenue = catalog
        .engagement(&eid("business_applications_revenue"))
        .and_then(Engagement::as_cpor)
        .expect("revenue");
    assert!(revenue.requires_revenue_details());
    assert!(!revenue.incentive.is_paid());
    for other in [
        "mci_bizapps_presales_advisor",
        "usage_recognition_biz_apps",
        "mws_usage",
    ] {
        let cpor = catalog
            .engagement(&eid(other))
            .and_then(Engagement::as_cpor)
            .expect("cpor");
        assert!(!cpor.requires_revenue_details(), "{other}");
    }
}

#[test]
fn each_role_maps_to_its_engagement_area_and_unit() {
    let catalog = Catalog::builtin();
    let cases = [
        (
            "build_intent_advisor",
            "Build intent - Advisor",
            "MCI BizApps Presales Advisor",
            "business_applications",
            AssociationUnit::Subscription,
            Incentive::Paid {
                opt_out_allowed: false,
            },
        ),
        (
            "usage_recognition",
            "Usage recognition - Non-incentivized",
            "Usage Recognition - Biz Apps",
            "business_applications",
            AssociationUnit::Subscription,
            Incentive::RecognitionOnly,
        ),
        (
            "influenced_revenue_recognition",
            "Influenced revenue recognition - Non-incentivized",
            "Microsoft Business Applications Revenue",
            "business_applications",
            AssociationUnit::Subscription,
            Incentive::RevenueAssociationOnly,
        ),
        (
            "use_or_consume",
            "Use or consume",
            "Modern Work and Security Usage",
            "modern_work_security",
            AssociationUnit::Workload,
            Incentive::Paid {
                opt_out_allowed: true,
            },
        ),
    ];
    assert_eq!(catalog.roles().len(), cases.len());
    for (role_id, role_name, engagement_name, area_id, unit, incentive) in cases {
        let role = catalog.role(&rid(role_id)).expect("role");
        assert_eq!(role.name, role_name);
        assert_eq!(role.solution_area, area(area_id));
        let engagement = catalog
            .engagement_for_role(&rid(role_id))
            .expect("engagement");
        assert_eq!(engagement.name, engagement_name);
        assert_eq!(engagement.id, role.engagement);
        let cpor = engagement.as_cpor().expect("cpor");
        assert_eq!(cpor.solution_area, area(area_id));
        assert_eq!(cpor.unit, unit, "{role_id}");
        assert_eq!(cpor.incentive, incentive, "{role_id}");
        assert_eq!(cpor.opt_out_allowed(), role_id == "use_or_consume");
    }
    assert!(catalog.engagement_for_role(&rid("build_with")).is_none());

    let ba: Vec<&str> = catalog
        .roles_in(&area("business_applications"))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        ba,
        [
            "build_intent_advisor",
            "usage_recognition",
            "influenced_revenue_recognition"
        ]
    );
    let mws: Vec<&str> = catalog
        .roles_in(&area("modern_work_security"))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(mws, ["use_or_consume"]);
}

#[test]
fn every_engagement_type_has_an_mci_engagement_and_its_deadlines() {
    let catalog = Catalog::builtin();
    let table = [
        ("assessment", "Assessment", 60, 90),
        ("workshop", "Workshop", 90, 120),
        ("xs_small_project", "XS / Small project", 120, 150),
        ("medium_project", "Medium project", 200, 230),
        ("large_xl_xxl_project", "Large / XL / XXL project", 260, 290),
    ];
    assert_eq!(catalog.engagement_types().len(), table.len());
    for (id, name, first_submit_days, review_days) in table {
        let type_id: EngagementTypeId = id.parse().expect("key");
        let engagement_type = catalog.engagement_type(&type_id).expect("type");
        assert_eq!(engagement_type.name, name);
        let expected = MciDeadlines {
            consent_days: 30,
            first_submit_days,
            review_days,
            dispute_days: 30,
            post_dispute_days: 30,
        };
        assert_eq!(engagement_type.deadlines, expected, "{id}");
        let of_type: Vec<&Engagement> = catalog
            .mci_engagements()
            .filter(|e| e.as_mci().is_some_and(|m| m.engagement_type == type_id))
            .collect();
        assert!(!of_type.is_empty(), "no mci engagement of type {id}");
        for e in of_type {
            assert_eq!(catalog.mci_deadlines(&e.id), Some(&expected));
        }
    }
    assert_eq!(catalog.mci_deadlines(&eid("mws_usage")), None);
    assert_eq!(catalog.mci_deadlines(&eid("nothing")), None);
}

#[test]
fn mci_pay_rules_and_id_kinds() {
    let catalog = Catalog::builtin();
    let mcis: Vec<&MciEngagement> = catalog
        .mci_engagements()
        .map(|e| e.as_mci().expect("mci"))
        .collect();
    let variable: Vec<&&MciEngagement> = mcis.iter().filter(|m| m.is_variable_pay()).collect();
    assert!(!variable.is_empty());
    for m in &variable {
        assert_eq!(m.allowed_id_kinds, [CustomerIdKind::MsxOpportunity]);
        assert!(m.allows(CustomerIdKind::MsxOpportunity));
        assert!(!m.allows(CustomerIdKind::Tenant));
    }
    let fixed: Vec<&&MciEngagement> = mcis.iter().filter(|m| !m.is_variable_pay()).collect();
    assert!(fixed.len() >= 2);
    let mut subsets: Vec<Vec<CustomerIdKind>> = Vec::new();
    for m in &fixed {
        assert!(!m.allowed_id_kinds.is_empty());
        assert!(!m.allows(CustomerIdKind::MsxOpportunity));
        assert_eq!(m.proposed_payout(10), Ok(None));
        let mut kinds = m.allowed_id_kinds.clone();
        kinds.sort();
        if !subsets.contains(&kinds) {
            subsets.push(kinds);
        }
    }
    assert!(
        subsets.len() >= 2,
        "fixed-pay engagements share one id subset"
    );
    assert!(mcis.iter().any(|m| m.referral_enabled));
    assert!(mcis.iter().any(|m| m.requires_invoice));
    assert!(mcis.iter().any(|m| m.requires_customer_survey));
    assert!(mcis.iter().any(|m| !m.requires_invoice));

    let medium = catalog
        .engagement(&eid(VARIABLE))
        .and_then(Engagement::as_mci)
        .expect("variable");
    assert_eq!(
        medium.payout,
        Payout::Variable {
            hourly_rate: Usd::from_cents(15_000),
            max_hours: 40,
            cap: Some(Usd::from_cents(500_000)),
        }
    );
    // 10 h × 150.00; 50 h → 40 h × 150.00 = 6000.00, capped at 5000.00.
    assert_eq!(
        medium.proposed_payout(10),
        Ok(Some(Usd::from_cents(150_000)))
    );
    assert_eq!(
        medium.proposed_payout(50),
        Ok(Some(Usd::from_cents(500_000)))
    );
}

#[test]
fn workloads_are_listed_by_area_and_group() {
    let catalog = Catalog::builtin();
    let intune: WorkloadId = "intune".parse().expect("key");
    let mw: WorkloadGroupId = "modern_work".parse().expect("key");
    let sec: WorkloadGroupId = "security".parse().expect("key");
    assert_eq!(
        catalog
            .workloads()
            .iter()
            .filter(|w| w.id == intune)
            .count(),
        1
    );
    let workload = catalog.workload(&intune).expect("intune");
    assert!(workload.is_in_group(&mw) && workload.is_in_group(&sec));
    assert_eq!(catalog.workloads_in_group(&mw).count(), 12);
    assert_eq!(catalog.workloads_in_group(&sec).count(), 6);
    assert_eq!(
        catalog.workloads_in(&area("modern_work_security")).count(),
        17
    );
    assert_eq!(
        catalog.workloads_in(&area("business_applications")).count(),
        15
    );
    assert!(
        catalog
            .workloads_in_group(&sec)
            .any(|w| w.name == "Entra ID P1/P2")
    );
    assert!(
        catalog
            .workload(&"exchange_online".parse().expect("key"))
            .is_none()
    );
    assert_eq!(
        catalog
            .solution_area(&area("modern_work_security"))
            .map(|a| a.name.as_str()),
        Some("Modern Work and Security")
    );
    assert!(catalog.solution_area(&area("modern_workplace")).is_none());
}

#[test]
fn co_op_programs_are_recognised_case_insensitively() {
    let catalog = Catalog::builtin();
    for name in [
        "CSP",
        "csp",
        "Cloud Solution Provider",
        "cloud solution provider",
        "MANAGED RESELLER",
        "Hosting",
        " hosting ",
        "surface",
    ] {
        assert!(catalog.is_co_op_program(name), "{name}");
    }
    for name in [
        "",
        "Modern Work and Security Usage",
        "MCI BizApps Presales Advisor",
        "Surface Hub",
        "host",
    ] {
        assert!(!catalog.is_co_op_program(name), "{name}");
    }
    assert!(Catalog::fy20().is_co_op_program("cSp"));
}

#[test]
fn cpor_rules_and_calendar_are_the_documented_defaults() {
    let catalog = Catalog::builtin();
    let rules = catalog.cpor_rules();
    assert_eq!(rules.opt_out_business_days, 5);
    assert_eq!(rules.info_request_business_days, 14);
    assert_eq!(rules.dispute_days, 30);
    assert_eq!(rules.review_start_sla_business_days, 5);
    assert_eq!(rules.review_sla_business_days, 14);
    assert_eq!(*rules, cpor::catalog::CporRules::default());
    assert_eq!(
        *catalog.calendar(),
        cpor::calendar::BusinessCalendar::default()
    );
}

// ---------------------------------------------------------------------------
// FY20 and the registry
// ---------------------------------------------------------------------------

#[test]
fn fy20_and_fy26_differ_in_names_but_both_resolve_their_roles() {
    let fy20 = Catalog::fy20();
    let fy26 = Catalog::fy26();
    let names =
        |c: &Catalog| -> Vec<String> { c.cpor_engagements().map(|e| e.name.clone()).collect() };
    assert_eq!(
        names(&fy20),
        [
            "OSA Sell",
            "OSU - Microsoft 365",
            "OSU - Business Applications"
        ]
    );
    assert!(names(&fy20).iter().all(|n| !names(&fy26).contains(n)));
    assert_eq!(fy20.mci_engagements().count(), 0);

    for catalog in [&fy20, &fy26] {
        for role in catalog.roles() {
            let engagement = catalog.engagement_for_role(&role.id).unwrap_or_else(|| {
                panic!("{}: role {} unresolved", catalog.program_year(), role.id)
            });
            let cpor = engagement.as_cpor().expect("cpor");
            assert_eq!(cpor.solution_area, role.solution_area);
            assert!(catalog.solution_area(&role.solution_area).is_some());
        }
    }

    // The same role id names a different engagement in each year.
    let use_or_consume = rid("use_or_consume");
    let old = fy20.engagement_for_role(&use_or_consume).expect("fy20");
    let new = fy26.engagement_for_role(&use_or_consume).expect("fy26");
    assert_eq!(old.name, "OSU - Microsoft 365");
    assert_eq!(new.name, "Modern Work and Security Usage");
    assert_eq!(
        old.as_cpor().map(|c| c.unit),
        Some(AssociationUnit::Workload)
    );
    assert_eq!(old.as_cpor().map(|c| c.opt_out_allowed()), Some(false));

    let advisor = fy20
        .engagement_for_role(&rid("build_intent_advisor"))
        .expect("advisor");
    assert_eq!(advisor.name, "OSA Sell");
    assert_eq!(
        advisor.as_cpor().map(|c| c.unit),
        Some(AssociationUnit::Subscription)
    );
    let osu_ba = fy20
        .engagement_for_role(&rid("use_or_consume_business_applications"))
        .expect("osu ba");
    assert_eq!(osu_ba.name, "OSU - Business Applications");
    assert_eq!(
        osu_ba.as_cpor().map(|c| c.solution_area.as_str()),
        Some("business_applications")
    );
    // FY26 roles that did not exist in FY20.
    assert!(fy20.role(&rid("usage_recognition")).is_none());
    assert_eq!(
        fy20.solution_area(&area("modern_workplace"))
            .map(|a| a.name.as_str()),
        Some("Modern Workplace")
    );
}

#[test]
fn catalogs_registry_keeps_one_catalog_per_year() {
    let catalogs = Catalogs::builtin();
    assert_eq!(catalogs.years().collect::<Vec<_>>(), [year(20), year(26)]);
    assert_eq!(catalogs.newest(), &Catalog::fy26());
    assert_eq!(catalogs.get(year(20)), Some(&Catalog::fy20()));
    assert_eq!(catalogs.get(year(26)), Some(&Catalog::fy26()));
    assert_eq!(catalogs.get(year(23)), None);

    // Inserting an older year keeps the newest; a newer one becomes the newest.
    let mut registry = Catalogs::new(Catalog::fy26());
    let mut fy21 = Catalog::fy20().into_raw();
    fy21.program_year = year(21);
    let fy21 = Catalog::new(fy21).expect("fy21");
    assert_eq!(registry.insert(fy21.clone()), None);
    assert_eq!(registry.newest().program_year(), year(26));
    let mut fy27 = Catalog::fy26().into_raw();
    fy27.program_year = year(27);
    let fy27 = Catalog::new(fy27).expect("fy27");
    assert_eq!(registry.insert(fy27.clone()), None);
    assert_eq!(registry.newest(), &fy27);
    assert_eq!(
        registry.years().collect::<Vec<_>>(),
        [year(21), year(26), year(27)]
    );
    // Same year: replaced, the old one returned, in both positions.
    assert_eq!(registry.insert(fy21.clone()), Some(fy21));
    assert_eq!(registry.insert(fy27.clone()), Some(fy27));
    assert_eq!(registry.iter().count(), 3);

    assert_eq!(
        Catalogs::from_catalogs([Catalog::fy20(), Catalog::fy26()]),
        Ok(Catalogs::builtin())
    );
    assert_eq!(
        Catalogs::from_catalogs([Catalog::fy26(), Catalog::fy20()]),
        Ok(Catalogs::builtin())
    );
    let err = Catalogs::from_catalogs([]).expect_err("empty");
    assert_eq!(err, CatalogsError::Empty);
    assert_eq!(err.code(), "catalogs.empty");
    let err = Catalogs::from_catalogs([Catalog::fy20(), Catalog::fy26(), Catalog::fy20()])
        .expect_err("dup");
    assert_eq!(err, CatalogsError::DuplicateYear { year: year(20) });
    assert_eq!(err.code(), "catalogs.duplicate_year");
    assert_eq!(
        err.to_string(),
        "catalogs have two catalogs for the program year FY20"
    );
}

#[test]
fn catalogs_json_round_trip() {
    let catalogs = Catalogs::builtin();
    let json = serde_json::to_string(&catalogs).expect("serialize");
    let value: serde_json::Value = serde_json::from_str(&json).expect("value");
    let years: Vec<&str> = value
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["program_year"].as_str().expect("year"))
        .collect();
    assert_eq!(years, ["FY20", "FY26"]);
    let back: Catalogs = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, catalogs);

    assert!(serde_json::from_str::<Catalogs>("[]").is_err());
    let fy20 = serde_json::to_string(&Catalog::fy20()).expect("serialize");
    let dup = format!("[{fy20},{fy20}]");
    let err = serde_json::from_str::<Catalogs>(&dup).expect_err("duplicate year");
    assert!(err.to_string().contains("FY20"), "{err}");
    // Each catalog is checked on the way in.
    let broken = json.replace(r#""dispute_days":30"#, r#""dispute_days":0"#);
    assert_ne!(broken, json);
    let err = serde_json::from_str::<Catalogs>(&broken).expect_err("broken catalog");
    assert!(
        err.to_string().contains("catalog.nonpositive_deadline"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Keys and program years
// ---------------------------------------------------------------------------

#[test]
fn keys_parse_strictly() {
    let valid = [
        "a",
        "mws_usage",
        "dynamics_365_sales",
        "a.b-c_9",
        "0",
        &"k".repeat(64),
    ];
    for text in valid {
        let id: EngagementId = text.parse().expect(text);
        assert_eq!(id.as_str(), text);
        assert_eq!(id.to_string(), text);
        assert_eq!(EngagementId::try_from(text.to_string()), Ok(id.clone()));
        assert_eq!(
            serde_json::to_string(&id).expect("json"),
            format!("\"{text}\"")
        );
        assert_eq!(
            serde_json::from_str::<EngagementId>(&format!("\"{text}\"")).expect("json"),
            id
        );
    }
    let long = "k".repeat(65);
    let invalid = [
        ("", "role_id.empty"),
        (long.as_str(), "role_id.too_long"),
        ("Use", "role_id.invalid_character"),
        ("use or consume", "role_id.invalid_character"),
        ("use/consume", "role_id.invalid_character"),
        ("usé", "role_id.invalid_character"),
        (" use", "role_id.invalid_character"),
    ];
    for (text, code) in invalid {
        let err: KeyError = text.parse::<RoleId>().expect_err(text);
        assert_eq!(err.code(), code, "{text:?}");
        assert!(serde_json::from_str::<RoleId>(&format!("{text:?}")).is_err());
    }
    let err = "Use".parse::<WorkloadId>().expect_err("upper");
    assert_eq!(err.code(), "workload_id.invalid_character");
    assert_eq!(
        err.to_string(),
        r#"workload id "Use" has the invalid character 'U' at index 0; keys use lowercase ascii letters, digits, '_', '-' and '.'"#
    );
    let err = "x".repeat(100).parse::<SolutionAreaId>().expect_err("long");
    assert!(err.is_input_truncated());
    assert_eq!(err.input().len(), 64);
}

#[test]
fn program_years_parse_and_order() {
    for (text, two_digits) in [
        ("FY26", 26),
        ("fy26", 26),
        ("Fy20", 20),
        ("FY00", 0),
        ("fY99", 99),
    ] {
        let y: ProgramYear = text.parse().expect(text);
        assert_eq!(y.two_digits(), two_digits);
        assert_eq!(y.to_string(), format!("FY{two_digits:02}"));
        assert_eq!(
            serde_json::from_str::<ProgramYear>(&format!("\"{text}\"")).expect("json"),
            y
        );
    }
    for text in [
        "", "26", "FY2026", "FY6", "FY-1", "YF26", "FY 26", "FY2a", "FY26 ",
    ] {
        let err = text.parse::<ProgramYear>().expect_err(text);
        let expected = if text.is_empty() {
            "program_year.empty"
        } else {
            "program_year.format"
        };
        assert_eq!(err.code(), expected, "{text:?}");
    }
    assert!(year(20) < year(21) && year(21) < year(26));
    assert_eq!(year(26).fiscal_year(), 2026);
    assert_eq!(ProgramYear::from_fiscal_year(2026), Some(year(26)));
    assert_eq!(ProgramYear::from_fiscal_year(2100), None);
    assert_eq!(ProgramYear::from_fiscal_year(1999), None);
    assert_eq!(ProgramYear::new(100), None);
    assert_eq!(serde_json::to_string(&year(5)).expect("json"), r#""FY05""#);
}

#[test]
fn public_types_are_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_send_sync::<Catalog>();
    assert_send_sync::<Catalogs>();
    assert_send_sync::<RawCatalog>();
    assert_send_sync::<Engagement>();
    assert_send_sync::<ProgramYear>();
    assert_error::<CatalogError>();
    assert_error::<CatalogProblem>();
    assert_error::<CatalogsError>();
    assert_error::<KeyError>();
}
