//! The built-in catalogs, built in code (no embedded JSON).
//!
//! Every key goes through the `key!` macro, which refuses an invalid key at compile time.
//! The consistency of each catalog as a whole is proved by the tests.

use super::RawCatalog;
use super::key::{
    EngagementId, EngagementTypeId, ProgramYear, RoleId, SolutionAreaId, WorkloadGroupId,
    WorkloadId, key,
};
use super::model::{
    AssociationUnit, CporEngagement, Engagement, EngagementKind, EngagementType, Incentive,
    MciDeadlines, MciEngagement, PartnerRole, Payout, SolutionArea, Workload,
};
use crate::id::CustomerIdKind;
use crate::money::Usd;

/// FY20, the first program year with CPOR (2019-20).
const FY20: ProgramYear = ProgramYear::of(20);
/// FY26 (2025-26), the newest built-in program year.
const FY26: ProgramYear = ProgramYear::of(26);

/// The programs claimed through the co-op claim process. [seed 000, 001]
fn co_op_programs() -> Vec<String> {
    [
        "CSP",
        "Cloud Solution Provider",
        "Managed Reseller",
        "Hosting",
        "Surface",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

fn area(id: SolutionAreaId, name: &str, groups: &[WorkloadGroupId]) -> SolutionArea {
    SolutionArea {
        id,
        name: name.to_owned(),
        workload_groups: groups.to_vec(),
    }
}

fn workload(
    id: WorkloadId,
    name: &str,
    area: &SolutionAreaId,
    groups: &[WorkloadGroupId],
) -> Workload {
    Workload {
        id,
        name: name.to_owned(),
        solution_area: area.clone(),
        groups: groups.to_vec(),
    }
}

fn cpor(
    id: EngagementId,
    name: &str,
    area: &SolutionAreaId,
    unit: AssociationUnit,
    incentive: Incentive,
) -> Engagement {
    Engagement {
        id,
        name: name.to_owned(),
        kind: EngagementKind::Cpor(CporEngagement {
            solution_area: area.clone(),
            unit,
            incentive,
        }),
    }
}

fn role(id: RoleId, name: &str, area: &SolutionAreaId, engagement: &EngagementId) -> PartnerRole {
    PartnerRole {
        id,
        name: name.to_owned(),
        solution_area: area.clone(),
        engagement: engagement.clone(),
    }
}

/// The evidence and referral flags of an MCI engagement.
#[derive(Default)]
struct Flags {
    referral: bool,
    invoice: bool,
    survey: bool,
}

fn mci(
    id: EngagementId,
    name: &str,
    engagement_type: &EngagementTypeId,
    payout: Payout,
    kinds: &[CustomerIdKind],
    max_active_claims_per_customer: u32,
    flags: Flags,
) -> Engagement {
    Engagement {
        id,
        name: name.to_owned(),
        kind: EngagementKind::Mci(MciEngagement {
            engagement_type: engagement_type.clone(),
            payout,
            allowed_id_kinds: kinds.to_vec(),
            max_active_claims_per_customer,
            referral_enabled: flags.referral,
            requires_invoice: flags.invoice,
            requires_customer_survey: flags.survey,
        }),
    }
}

/// An engagement type with the deadline table of the 2023 help pages: 30 days to consent,
/// the given days from consent to submit and to finish review, 30 days to dispute, and one
/// fresh 30-day window after a dispute's resubmission.
fn engagement_type(
    id: EngagementTypeId,
    name: &str,
    first_submit_days: u32,
    review_days: u32,
) -> EngagementType {
    EngagementType {
        id,
        name: name.to_owned(),
        deadlines: MciDeadlines {
            consent_days: 30,
            first_submit_days,
            review_days,
            dispute_days: 30,
            post_dispute_days: 30,
        },
    }
}

/// The FY26 catalog. See [`Catalog::fy26`](super::Catalog::fy26).
pub(super) fn fy26() -> RawCatalog {
    let bizapps = key!(SolutionAreaId, "business_applications");
    let mws = key!(SolutionAreaId, "modern_work_security");
    let g_bizapps = key!(WorkloadGroupId, "business_applications");
    let g_mw = key!(WorkloadGroupId, "modern_work");
    let g_sec = key!(WorkloadGroupId, "security");

    let mw = std::slice::from_ref(&g_mw);
    let sec = std::slice::from_ref(&g_sec);
    let ba = std::slice::from_ref(&g_bizapps);
    let workloads = vec![
        // Modern Work.
        workload(key!(WorkloadId, "exchange"), "Exchange", &mws, mw),
        workload(key!(WorkloadId, "sharepoint"), "SharePoint", &mws, mw),
        workload(
            key!(WorkloadId, "microsoft_365_apps"),
            "Microsoft 365 Apps",
            &mws,
            mw,
        ),
        workload(key!(WorkloadId, "teams"), "Teams", &mws, mw),
        workload(
            key!(WorkloadId, "teams_meetings"),
            "Teams Meetings",
            &mws,
            mw,
        ),
        workload(key!(WorkloadId, "teams_phone"), "Teams Phone", &mws, mw),
        workload(
            key!(WorkloadId, "teams_platform"),
            "Teams Platform",
            &mws,
            mw,
        ),
        workload(key!(WorkloadId, "viva_engage"), "Viva Engage", &mws, mw),
        workload(key!(WorkloadId, "viva_insights"), "Viva Insights", &mws, mw),
        workload(key!(WorkloadId, "viva_learning"), "Viva Learning", &mws, mw),
        workload(
            key!(WorkloadId, "viva_connections"),
            "Viva Connections",
            &mws,
            mw,
        ),
        // Intune is listed under both Modern Work and Security: one workload, two groups.
        workload(
            key!(WorkloadId, "intune"),
            "Intune",
            &mws,
            &[g_mw.clone(), g_sec.clone()],
        ),
        // Security.
        workload(
            key!(WorkloadId, "entra_id_p1_p2"),
            "Entra ID P1/P2",
            &mws,
            sec,
        ),
        workload(
            key!(WorkloadId, "defender_for_office_365"),
            "Defender for Office 365",
            &mws,
            sec,
        ),
        workload(
            key!(WorkloadId, "defender_for_endpoint"),
            "Defender for Endpoint",
            &mws,
            sec,
        ),
        workload(
            key!(WorkloadId, "defender_for_identity"),
            "Defender for Identity",
            &mws,
            sec,
        ),
        workload(
            key!(WorkloadId, "purview_information_protection"),
            "Purview Information Protection",
            &mws,
            sec,
        ),
        // Business Applications.
        workload(
            key!(WorkloadId, "dynamics_365_sales"),
            "Dynamics 365 Sales",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_customer_service"),
            "Dynamics 365 Customer Service",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_field_service"),
            "Dynamics 365 Field Service",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_finance"),
            "Dynamics 365 Finance",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_supply_chain_management"),
            "Dynamics 365 Supply Chain Management",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_business_central"),
            "Dynamics 365 Business Central",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_commerce"),
            "Dynamics 365 Commerce",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_customer_insights"),
            "Dynamics 365 Customer Insights",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_project_operations"),
            "Dynamics 365 Project Operations",
            &bizapps,
            ba,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_human_resources"),
            "Dynamics 365 Human Resources",
            &bizapps,
            ba,
        ),
        workload(key!(WorkloadId, "power_apps"), "Power Apps", &bizapps, ba),
        workload(
            key!(WorkloadId, "power_automate"),
            "Power Automate",
            &bizapps,
            ba,
        ),
        workload(key!(WorkloadId, "power_bi"), "Power BI", &bizapps, ba),
        workload(key!(WorkloadId, "power_pages"), "Power Pages", &bizapps, ba),
        workload(
            key!(WorkloadId, "copilot_studio"),
            "Copilot Studio",
            &bizapps,
            ba,
        ),
    ];

    // The CPOR engagements and roles of the help pages. [seed 000, 001, 002]
    let presales = key!(EngagementId, "mci_bizapps_presales_advisor");
    let usage_ba = key!(EngagementId, "usage_recognition_biz_apps");
    let revenue = key!(EngagementId, "business_applications_revenue");
    let usage_mws = key!(EngagementId, "mws_usage");
    let subscription = AssociationUnit::Subscription;

    // The MCI engagement types and their deadlines. [docs 2023]
    let assessment = key!(EngagementTypeId, "assessment");
    let workshop = key!(EngagementTypeId, "workshop");
    let small = key!(EngagementTypeId, "xs_small_project");
    let medium = key!(EngagementTypeId, "medium_project");
    let large = key!(EngagementTypeId, "large_xl_xxl_project");

    let engagements = vec![
        cpor(
            presales.clone(),
            "MCI BizApps Presales Advisor",
            &bizapps,
            subscription,
            Incentive::Paid {
                opt_out_allowed: false,
            },
        ),
        cpor(
            usage_ba.clone(),
            "Usage Recognition - Biz Apps",
            &bizapps,
            subscription,
            Incentive::RecognitionOnly,
        ),
        cpor(
            revenue.clone(),
            "Microsoft Business Applications Revenue",
            &bizapps,
            subscription,
            Incentive::RevenueAssociationOnly,
        ),
        cpor(
            usage_mws.clone(),
            "Modern Work and Security Usage",
            &mws,
            AssociationUnit::Workload,
            Incentive::Paid {
                opt_out_allowed: true,
            },
        ),
        // Illustrative MCI engagements: one per engagement type.
        mci(
            key!(EngagementId, "copilot_readiness_assessment"),
            "Copilot Readiness Assessment",
            &assessment,
            Payout::Fixed,
            &[CustomerIdKind::Domain, CustomerIdKind::Tenant],
            1,
            Flags {
                referral: true,
                ..Flags::default()
            },
        ),
        mci(
            key!(EngagementId, "threat_protection_workshop"),
            "Threat Protection Workshop",
            &workshop,
            Payout::Fixed,
            &[
                CustomerIdKind::Domain,
                CustomerIdKind::Tenant,
                CustomerIdKind::Tpid,
            ],
            1,
            Flags {
                survey: true,
                ..Flags::default()
            },
        ),
        mci(
            key!(EngagementId, "azure_migration_small_project"),
            "Azure Migration - Small Project",
            &small,
            Payout::Fixed,
            &[CustomerIdKind::Tpid, CustomerIdKind::AzureSubscription],
            2,
            Flags {
                invoice: true,
                ..Flags::default()
            },
        ),
        mci(
            key!(EngagementId, "bizapps_deployment_medium_project"),
            "Business Applications Deployment - Medium Project",
            &medium,
            Payout::Variable {
                hourly_rate: Usd::from_cents(15_000),
                max_hours: 40,
                cap: Some(Usd::from_cents(500_000)),
            },
            &[CustomerIdKind::MsxOpportunity],
            1,
            Flags {
                referral: true,
                invoice: true,
                survey: true,
            },
        ),
        mci(
            key!(EngagementId, "azure_innovate_large_project"),
            "Azure Innovate - Large Project",
            &large,
            Payout::Variable {
                hourly_rate: Usd::from_cents(20_000),
                max_hours: 300,
                cap: None,
            },
            &[CustomerIdKind::MsxOpportunity],
            1,
            Flags {
                invoice: true,
                ..Flags::default()
            },
        ),
    ];

    let roles = vec![
        role(
            key!(RoleId, "build_intent_advisor"),
            "Build intent - Advisor",
            &bizapps,
            &presales,
        ),
        role(
            key!(RoleId, "usage_recognition"),
            "Usage recognition - Non-incentivized",
            &bizapps,
            &usage_ba,
        ),
        role(
            key!(RoleId, "influenced_revenue_recognition"),
            "Influenced revenue recognition - Non-incentivized",
            &bizapps,
            &revenue,
        ),
        role(
            key!(RoleId, "use_or_consume"),
            "Use or consume",
            &mws,
            &usage_mws,
        ),
    ];

    let engagement_types = vec![
        engagement_type(assessment, "Assessment", 60, 90),
        engagement_type(workshop, "Workshop", 90, 120),
        engagement_type(small, "XS / Small project", 120, 150),
        engagement_type(medium, "Medium project", 200, 230),
        engagement_type(large, "Large / XL / XXL project", 260, 290),
    ];

    let mut raw = RawCatalog::new(FY26);
    raw.solution_areas = vec![
        area(bizapps, "Business Applications", &[g_bizapps]),
        area(mws, "Modern Work and Security", &[g_mw, g_sec]),
    ];
    raw.workloads = workloads;
    raw.engagements = engagements;
    raw.roles = roles;
    raw.engagement_types = engagement_types;
    raw.co_op_programs = co_op_programs();
    raw
}

/// The FY20 catalog. See [`Catalog::fy20`](super::Catalog::fy20).
pub(super) fn fy20() -> RawCatalog {
    let bizapps = key!(SolutionAreaId, "business_applications");
    let mwp = key!(SolutionAreaId, "modern_workplace");
    let g_m365 = key!(WorkloadGroupId, "microsoft_365");
    let g_d365 = key!(WorkloadGroupId, "dynamics_365");

    let m365 = std::slice::from_ref(&g_m365);
    let d365 = std::slice::from_ref(&g_d365);
    let workloads = vec![
        // Ten Microsoft 365 workloads (illustrative).
        workload(
            key!(WorkloadId, "exchange_online"),
            "Exchange Online",
            &mwp,
            m365,
        ),
        workload(
            key!(WorkloadId, "sharepoint_online"),
            "SharePoint Online",
            &mwp,
            m365,
        ),
        workload(
            key!(WorkloadId, "onedrive_for_business"),
            "OneDrive for Business",
            &mwp,
            m365,
        ),
        workload(key!(WorkloadId, "teams"), "Microsoft Teams", &mwp, m365),
        workload(
            key!(WorkloadId, "office_365_proplus"),
            "Office 365 ProPlus",
            &mwp,
            m365,
        ),
        workload(key!(WorkloadId, "intune"), "Intune", &mwp, m365),
        workload(
            key!(WorkloadId, "azure_ad_premium"),
            "Azure Active Directory Premium",
            &mwp,
            m365,
        ),
        workload(
            key!(WorkloadId, "azure_information_protection"),
            "Azure Information Protection",
            &mwp,
            m365,
        ),
        workload(
            key!(WorkloadId, "cloud_app_security"),
            "Microsoft Cloud App Security",
            &mwp,
            m365,
        ),
        workload(
            key!(WorkloadId, "defender_atp"),
            "Microsoft Defender Advanced Threat Protection",
            &mwp,
            m365,
        ),
        // Dynamics 365 apps (illustrative).
        workload(
            key!(WorkloadId, "dynamics_365_sales"),
            "Dynamics 365 Sales",
            &bizapps,
            d365,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_customer_service"),
            "Dynamics 365 Customer Service",
            &bizapps,
            d365,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_field_service"),
            "Dynamics 365 Field Service",
            &bizapps,
            d365,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_finance_and_operations"),
            "Dynamics 365 Finance and Operations",
            &bizapps,
            d365,
        ),
        workload(
            key!(WorkloadId, "dynamics_365_business_central"),
            "Dynamics 365 Business Central",
            &bizapps,
            d365,
        ),
    ];

    // The 2019-21 programs of seed 003.
    let osa_sell = key!(EngagementId, "osa_sell");
    let osu_m365 = key!(EngagementId, "osu_microsoft_365");
    let osu_bizapps = key!(EngagementId, "osu_business_applications");
    let paid = Incentive::Paid {
        opt_out_allowed: false,
    };

    let mut raw = RawCatalog::new(FY20);
    raw.solution_areas = vec![
        area(bizapps.clone(), "Business Applications", &[g_d365]),
        area(mwp.clone(), "Modern Workplace", &[g_m365]),
    ];
    raw.workloads = workloads;
    raw.engagements = vec![
        cpor(
            osa_sell.clone(),
            "OSA Sell",
            &bizapps,
            AssociationUnit::Subscription,
            paid,
        ),
        cpor(
            osu_m365.clone(),
            "OSU - Microsoft 365",
            &mwp,
            AssociationUnit::Workload,
            paid,
        ),
        cpor(
            osu_bizapps.clone(),
            "OSU - Business Applications",
            &bizapps,
            AssociationUnit::Subscription,
            paid,
        ),
    ];
    raw.roles = vec![
        role(
            key!(RoleId, "build_intent_advisor"),
            "Build intent - Advisor",
            &bizapps,
            &osa_sell,
        ),
        role(
            key!(RoleId, "use_or_consume"),
            "Use or consume",
            &mwp,
            &osu_m365,
        ),
        role(
            key!(RoleId, "use_or_consume_business_applications"),
            "Use or consume",
            &bizapps,
            &osu_bizapps,
        ),
    ];
    raw.co_op_programs = co_op_programs();
    raw
}
