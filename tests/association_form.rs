//! Creating a draft from a claim form (domain.md sections 3.1, 4.1 and 7): every problem is
//! reported at once, each with its stable `form.*` code and the field it is about.

mod common;
use common::*;

use cpor::association::{
    AssociationClaim, AssociationError, AssociationForm, AssociationState, CommandKind,
    CompanyContactForm, CustomerContactForm, Field, FormErrors, FormProblem, IncentivePayments,
    RevenueDetails, RevenueForm, Target,
};
use cpor::catalog::{EngagementId, RoleId, SolutionAreaId, WorkloadId};
use cpor::{Actor, ActorKind, EmailAddress, SubscriptionId, TenantId, Text};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Creates a draft from `form` as the admin; must fail with form problems, which it returns.
#[track_caller]
fn problems(form: &AssociationForm) -> FormErrors {
    match AssociationClaim::create(claim_id(1), form, &admin(), t0(), &catalog()) {
        Ok(t) => panic!("the form was accepted: {:?}", t.claim.content()),
        Err(AssociationError::Form(errors)) => {
            assert!(!errors.problems().is_empty(), "form errors are never empty");
            errors
        }
        Err(other) => panic!("not a form error: {other}"),
    }
}

/// The codes of a form's problems, in order.
#[track_caller]
fn codes(form: &AssociationForm) -> Vec<&'static str> {
    problems(form).codes().collect()
}

/// The (code, field) pairs of a form's problems, in order.
#[track_caller]
fn coded_fields(form: &AssociationForm) -> Vec<(&'static str, Field)> {
    problems(form)
        .problems()
        .iter()
        .map(|p| (p.code(), p.field()))
        .collect()
}

/// Creates a draft that must be accepted.
#[track_caller]
fn draft(form: &AssociationForm) -> AssociationClaim {
    match AssociationClaim::create(claim_id(1), form, &admin(), t0(), &catalog()) {
        Ok(t) => t.claim,
        Err(e) => panic!("the form was refused: {e}"),
    }
}

fn revenue_form() -> AssociationForm {
    AssociationForm {
        role: "influenced_revenue_recognition".into(),
        revenue: RevenueForm {
            seller: "Fabrikam Dynamics".into(),
            customer: "Contoso Ltd".into(),
            isv_product: "Contoso Field Suite".into(),
        },
        ..bizapps_form()
    }
}

// ---------------------------------------------------------------------------------------------
// Valid forms and who may create
// ---------------------------------------------------------------------------------------------

#[test]
fn a_valid_modern_work_security_form_creates_a_draft_per_workload() {
    let claim = draft(&mws_form());
    assert_eq!(claim.state(), AssociationState::Draft);
    let c = claim.content();
    assert_eq!(c.name.as_str(), "Contoso Teams rollout");
    assert_eq!(c.partner, partner());
    assert_eq!(c.tenant, TenantId::parse(TENANT).unwrap());
    assert_eq!(
        c.solution_area,
        SolutionAreaId::parse("modern_work_security").unwrap()
    );
    assert_eq!(c.role, RoleId::parse("use_or_consume").unwrap());
    assert_eq!(c.engagement, EngagementId::parse("mws_usage").unwrap());
    assert_eq!(
        c.target,
        Target::Workloads {
            workloads: ["teams", "exchange", "intune"]
                .map(|w| WorkloadId::parse(w).unwrap())
                .to_vec()
        }
    );
    assert_eq!(
        c.customer_contact.email,
        EmailAddress::parse("megan@contoso.com").unwrap()
    );
    assert_eq!(c.company_contact.name.as_str(), "Alex Wilber");
    assert_eq!(c.revenue, None);
    assert_eq!(c.incentive_payments, IncentivePayments::Wanted);
    assert_eq!(c.comments, None);
    assert!(claim.poe().is_empty());
}

#[test]
fn a_valid_business_applications_form_creates_a_draft_for_its_subscription() {
    let claim = draft(&bizapps_form());
    let c = claim.content();
    assert_eq!(
        c.engagement,
        EngagementId::parse("mci_bizapps_presales_advisor").unwrap()
    );
    assert_eq!(
        c.target,
        Target::Subscription {
            subscription: SubscriptionId::parse(SUBSCRIPTION).unwrap(),
            products: ["dynamics_365_sales", "power_bi"]
                .map(|w| WorkloadId::parse(w).unwrap())
                .to_vec(),
        }
    );
    assert_eq!(claim.keys().len(), 1);
}

#[test]
fn a_form_may_name_its_own_engagement_by_key_or_name() {
    for engagement in [
        "mws_usage",
        "Modern Work and Security Usage",
        "  mws_usage  ",
    ] {
        let form = AssociationForm {
            engagement: engagement.into(),
            ..mws_form()
        };
        assert_eq!(
            draft(&form).content().engagement.as_str(),
            "mws_usage",
            "{engagement:?}"
        );
    }
}

#[test]
fn an_incentives_user_cannot_create_a_claim() {
    let err = AssociationClaim::create(
        claim_id(1),
        &mws_form(),
        &incentives_user(),
        t0(),
        &catalog(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        AssociationError::Forbidden {
            command: CommandKind::Create,
            actor: ActorKind::IncentivesUser
        }
    );
    assert_eq!(err.code(), "association.forbidden");
}

#[test]
fn a_reviewer_customer_or_timer_cannot_create_a_claim() {
    for actor in [reviewer(), customer(), Actor::System] {
        let err = AssociationClaim::create(claim_id(1), &mws_form(), &actor, t0(), &catalog())
            .unwrap_err();
        assert_eq!(err.code(), "association.forbidden", "{actor:?}");
    }
}

#[test]
fn permission_is_checked_before_the_form() {
    // An Incentives user learns nothing about the form: the refusal is about the actor.
    let err = AssociationClaim::create(
        claim_id(1),
        &AssociationForm::default(),
        &incentives_user(),
        t0(),
        &catalog(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "association.forbidden");
}

// ---------------------------------------------------------------------------------------------
// 3.1 Solution area and role
// ---------------------------------------------------------------------------------------------

#[test]
fn a_role_of_the_other_solution_area_is_an_error() {
    let form = AssociationForm {
        role: "build_intent_advisor".into(),
        ..mws_form()
    };
    let errors = problems(&form);
    assert_eq!(
        errors.problems(),
        [FormProblem::RoleAreaMismatch {
            role: "build_intent_advisor".into(),
            solution_area: "modern_work_security".into(),
        }]
    );
    assert_eq!(errors.problems()[0].code(), "form.role_area_mismatch");
    assert_eq!(errors.problems()[0].field(), Field::Role);

    let form = AssociationForm {
        role: "use_or_consume".into(),
        purchase_channel: String::new(),
        ..bizapps_form()
    };
    assert_eq!(
        coded_fields(&form),
        [("form.role_area_mismatch", Field::Role)]
    );
}

#[test]
fn an_unknown_solution_area_or_role_is_reported() {
    let form = AssociationForm {
        solution_area: "modern_workplace".into(),
        role: "osa_sell_advisor".into(),
        ..mws_form()
    };
    assert_eq!(
        problems(&form).problems(),
        [
            FormProblem::Unknown {
                field: Field::SolutionArea,
                value: "modern_workplace".into()
            },
            FormProblem::Unknown {
                field: Field::Role,
                value: "osa_sell_advisor".into()
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 4.1 item 5: workloads, or products plus subscription
// ---------------------------------------------------------------------------------------------

#[test]
fn business_applications_without_subscription_is_an_error() {
    let form = AssociationForm {
        subscription: String::new(),
        ..bizapps_form()
    };
    let errors = problems(&form);
    assert_eq!(errors.problems(), [FormProblem::SubscriptionRequired]);
    assert_eq!(
        coded_fields(&form),
        [("form.subscription_required", Field::Subscription)]
    );
}

#[test]
fn business_applications_subscription_must_be_a_guid() {
    let form = AssociationForm {
        subscription: "sub-123".into(),
        ..bizapps_form()
    };
    let errors = problems(&form);
    let [FormProblem::InvalidId { field, error }] = errors.problems() else {
        panic!("{errors:?}");
    };
    assert_eq!(*field, Field::Subscription);
    assert_eq!(error.code(), "subscription_id.length");
}

#[test]
fn modern_work_security_with_a_subscription_is_an_error() {
    let form = AssociationForm {
        subscription: SUBSCRIPTION.into(),
        ..mws_form()
    };
    let errors = problems(&form);
    assert_eq!(
        errors.problems(),
        [FormProblem::SubscriptionNotAllowed {
            value: SUBSCRIPTION.into()
        }]
    );
    assert_eq!(
        coded_fields(&form),
        [("form.subscription_not_allowed", Field::Subscription)]
    );
}

#[test]
fn at_least_one_workload_is_required() {
    let form = AssociationForm {
        workloads: vec![],
        ..mws_form()
    };
    assert_eq!(coded_fields(&form), [("form.missing", Field::Workloads)]);
    let form = AssociationForm {
        workloads: vec![],
        ..bizapps_form()
    };
    assert_eq!(coded_fields(&form), [("form.missing", Field::Workloads)]);
}

#[test]
fn unknown_foreign_and_duplicate_workloads_are_each_reported() {
    let form = AssociationForm {
        workloads: vec![
            "teams".into(),
            "not_a_workload".into(),
            "power_bi".into(),
            "teams".into(),
            "Exchange Online!".into(),
        ],
        ..mws_form()
    };
    let errors = problems(&form);
    assert_eq!(
        errors.problems(),
        [
            FormProblem::Unknown {
                field: Field::Workloads,
                value: "not_a_workload".into()
            },
            FormProblem::WorkloadAreaMismatch {
                workload: "power_bi".into(),
                solution_area: "modern_work_security".into()
            },
            FormProblem::DuplicateWorkload {
                workload: "teams".into()
            },
            FormProblem::Unknown {
                field: Field::Workloads,
                value: "Exchange Online!".into()
            },
        ]
    );
    assert_eq!(
        errors.codes().collect::<Vec<_>>(),
        [
            "form.unknown",
            "form.workload_area_mismatch",
            "form.duplicate_workload",
            "form.unknown"
        ]
    );
    assert!(
        errors
            .problems()
            .iter()
            .all(|p| p.field() == Field::Workloads)
    );
}

#[test]
fn a_modern_work_workload_is_not_a_business_applications_product() {
    let form = AssociationForm {
        workloads: vec!["dynamics_365_sales".into(), "teams".into()],
        ..bizapps_form()
    };
    assert_eq!(
        problems(&form).problems(),
        [FormProblem::WorkloadAreaMismatch {
            workload: "teams".into(),
            solution_area: "business_applications".into()
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// 4.1 item 9: revenue association details
// ---------------------------------------------------------------------------------------------

#[test]
fn revenue_association_without_seller_customer_and_isv_product_reports_all_three() {
    let form = AssociationForm {
        revenue: RevenueForm::default(),
        ..revenue_form()
    };
    let errors = problems(&form);
    assert_eq!(
        errors.problems(),
        [
            FormProblem::RevenueDetailsRequired {
                field: Field::RevenueSeller
            },
            FormProblem::RevenueDetailsRequired {
                field: Field::RevenueCustomer
            },
            FormProblem::RevenueDetailsRequired {
                field: Field::RevenueIsvProduct
            },
        ]
    );
    assert_eq!(
        coded_fields(&form),
        [
            ("form.revenue_details_required", Field::RevenueSeller),
            ("form.revenue_details_required", Field::RevenueCustomer),
            ("form.revenue_details_required", Field::RevenueIsvProduct),
        ]
    );
}

#[test]
fn revenue_association_reports_only_the_missing_details() {
    let form = AssociationForm {
        revenue: RevenueForm {
            seller: "Fabrikam Dynamics".into(),
            customer: "   ".into(),
            isv_product: String::new(),
        },
        ..revenue_form()
    };
    assert_eq!(
        coded_fields(&form),
        [
            ("form.revenue_details_required", Field::RevenueCustomer),
            ("form.revenue_details_required", Field::RevenueIsvProduct),
        ]
    );
}

#[test]
fn revenue_association_with_its_details_creates_a_draft_that_keeps_them() {
    let claim = draft(&revenue_form());
    let c = claim.content();
    assert_eq!(
        c.engagement,
        EngagementId::parse("business_applications_revenue").unwrap()
    );
    assert_eq!(
        c.revenue,
        Some(RevenueDetails {
            seller: Text::parse("Fabrikam Dynamics").unwrap(),
            customer: Text::parse("Contoso Ltd").unwrap(),
            isv_product: Text::parse("Contoso Field Suite").unwrap(),
        })
    );
}

#[test]
fn revenue_details_are_not_asked_of_other_engagements() {
    // A presales claim with no revenue details is fine, and any given are not kept.
    let form = AssociationForm {
        revenue: RevenueForm {
            seller: "ignored".into(),
            ..RevenueForm::default()
        },
        ..bizapps_form()
    };
    assert_eq!(draft(&form).content().revenue, None);
}

// ---------------------------------------------------------------------------------------------
// 4.1 items 6 and 7: contacts, all required
// ---------------------------------------------------------------------------------------------

#[test]
fn each_missing_contact_field_is_reported_on_its_field() {
    type Blank = fn(&mut AssociationForm);
    let cases: [(Blank, Field); 5] = [
        (
            |f| f.customer_contact.name.clear(),
            Field::CustomerContactName,
        ),
        (
            |f| f.customer_contact.title.clear(),
            Field::CustomerContactTitle,
        ),
        (
            |f| f.customer_contact.email.clear(),
            Field::CustomerContactEmail,
        ),
        (
            |f| f.company_contact.name.clear(),
            Field::CompanyContactName,
        ),
        (
            |f| f.company_contact.email.clear(),
            Field::CompanyContactEmail,
        ),
    ];
    for (blank, field) in cases {
        let mut form = mws_form();
        blank(&mut form);
        let errors = problems(&form);
        assert_eq!(
            errors.problems(),
            [FormProblem::Missing { field }],
            "{field}"
        );
        assert_eq!(errors.problems()[0].code(), "form.missing");
    }
}

#[test]
fn whitespace_only_contact_names_are_missing() {
    let form = AssociationForm {
        customer_contact: CustomerContactForm {
            name: "  ".into(),
            title: "\t".into(),
            ..mws_form().customer_contact
        },
        company_contact: CompanyContactForm {
            name: " \n ".into(),
            ..mws_form().company_contact
        },
        ..mws_form()
    };
    assert_eq!(
        coded_fields(&form),
        [
            ("form.missing", Field::CustomerContactName),
            ("form.missing", Field::CustomerContactTitle),
            ("form.missing", Field::CompanyContactName),
        ]
    );
}

#[test]
fn invalid_contact_emails_carry_the_id_error_code() {
    let form = AssociationForm {
        customer_contact: CustomerContactForm {
            email: "megan.contoso.com".into(),
            ..mws_form().customer_contact
        },
        company_contact: CompanyContactForm {
            email: "alex@-fabrikam-.com".into(),
            ..mws_form().company_contact
        },
        ..mws_form()
    };
    let errors = problems(&form);
    let found: Vec<(&str, Field, &str, &str)> = errors
        .problems()
        .iter()
        .map(|p| match p {
            FormProblem::InvalidId { field, error } => {
                (p.code(), *field, error.code(), error.input())
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "form.invalid_id",
                Field::CustomerContactEmail,
                "email.missing_at",
                "megan.contoso.com"
            ),
            (
                "form.invalid_id",
                Field::CompanyContactEmail,
                "email.domain.label_hyphen",
                "alex@-fabrikam-.com"
            ),
        ]
    );
}

#[test]
fn an_invalid_or_nil_tenant_carries_the_id_error_code() {
    for (tenant, code) in [
        ("contoso", "tenant_id.length"),
        ("00000000-0000-0000-0000-000000000000", "tenant_id.nil"),
    ] {
        let form = AssociationForm {
            tenant: tenant.into(),
            ..mws_form()
        };
        let errors = problems(&form);
        let [FormProblem::InvalidId { field, error }] = errors.problems() else {
            panic!("{errors:?}");
        };
        assert_eq!(*field, Field::Tenant);
        assert_eq!(error.code(), code);
    }
}

// ---------------------------------------------------------------------------------------------
// 3.1 Only the four CPOR engagements; others go to the co-op claim process
// ---------------------------------------------------------------------------------------------

#[test]
fn a_co_op_program_is_refused_pointing_to_the_co_op_claim_process() {
    for program in [
        "CSP",
        "csp",
        "Cloud Solution Provider",
        "Surface",
        "Managed Reseller",
        "Hosting",
    ] {
        let form = AssociationForm {
            engagement: program.into(),
            ..mws_form()
        };
        let errors = problems(&form);
        assert_eq!(
            errors.problems(),
            [FormProblem::CoOpProgram {
                program: program.into()
            }],
            "{program}"
        );
        let problem = &errors.problems()[0];
        assert_eq!(problem.code(), "form.co_op_program");
        assert_eq!(problem.field(), Field::Engagement);
        assert!(
            problem.to_string().contains("co-op claim process"),
            "{problem}"
        );
        assert!(errors.to_string().contains("co-op claim process"));
    }
}

#[test]
fn an_mci_engagement_is_not_an_association_engagement() {
    for engagement in [
        "copilot_readiness_assessment",
        "Copilot Readiness Assessment",
        "no_such_program",
    ] {
        let form = AssociationForm {
            engagement: engagement.into(),
            ..mws_form()
        };
        let errors = problems(&form);
        assert_eq!(
            errors.problems(),
            [FormProblem::NotAssociationEngagement {
                value: engagement.into()
            }],
            "{engagement}"
        );
        assert_eq!(
            errors.problems()[0].code(),
            "form.not_association_engagement"
        );
        assert_eq!(errors.problems()[0].field(), Field::Engagement);
    }
}

#[test]
fn an_engagement_that_is_not_the_roles_is_an_error() {
    let form = AssociationForm {
        engagement: "usage_recognition_biz_apps".into(),
        ..bizapps_form()
    };
    assert_eq!(
        problems(&form).problems(),
        [FormProblem::EngagementRoleMismatch {
            engagement: "usage_recognition_biz_apps".into(),
            role: "build_intent_advisor".into()
        }]
    );
    assert_eq!(
        coded_fields(&form),
        [("form.engagement_role_mismatch", Field::Engagement)]
    );
}

// ---------------------------------------------------------------------------------------------
// 3.1 / 4.1 item 10: "opt out of incentive payments" is Modern Work and Security only
// ---------------------------------------------------------------------------------------------

#[test]
fn opting_out_of_incentive_payments_is_not_allowed_on_business_applications() {
    for (role, engagement) in [
        ("build_intent_advisor", "mci_bizapps_presales_advisor"),
        ("usage_recognition", "usage_recognition_biz_apps"),
    ] {
        let form = AssociationForm {
            role: role.into(),
            incentive_payments: IncentivePayments::OptedOut,
            ..bizapps_form()
        };
        let errors = problems(&form);
        assert_eq!(
            errors.problems(),
            [FormProblem::OptOutNotAllowed {
                engagement: engagement.into()
            }],
            "{role}"
        );
        assert_eq!(errors.problems()[0].code(), "form.opt_out_not_allowed");
        assert_eq!(errors.problems()[0].field(), Field::IncentivePayments);
    }
}

#[test]
fn opting_out_of_incentive_payments_is_allowed_on_modern_work_security() {
    let form = AssociationForm {
        incentive_payments: IncentivePayments::OptedOut,
        ..mws_form()
    };
    assert_eq!(
        draft(&form).content().incentive_payments,
        IncentivePayments::OptedOut
    );
}

// ---------------------------------------------------------------------------------------------
// Every problem at once
// ---------------------------------------------------------------------------------------------

#[test]
fn an_empty_form_lists_all_of_its_problems_at_once() {
    let errors = problems(&AssociationForm::default());
    assert_eq!(errors.problems().len(), 10);
    assert_eq!(
        errors
            .problems()
            .iter()
            .map(|p| (p.code(), p.field()))
            .collect::<Vec<_>>(),
        [
            ("form.missing", Field::Name),
            ("form.missing", Field::Tenant),
            ("form.missing", Field::SolutionArea),
            ("form.missing", Field::Role),
            ("form.missing", Field::Workloads),
            ("form.missing", Field::CustomerContactName),
            ("form.missing", Field::CustomerContactTitle),
            ("form.missing", Field::CustomerContactEmail),
            ("form.missing", Field::CompanyContactName),
            ("form.missing", Field::CompanyContactEmail),
        ]
    );
    assert!(
        errors
            .to_string()
            .starts_with("the form has 10 problem(s): "),
        "{errors}"
    );
}

#[test]
fn a_form_with_many_faults_reports_every_one_with_its_code() {
    let form = AssociationForm {
        name: String::new(),
        tenant: "{not-a-guid}".into(),
        solution_area: "modern_work_security".into(),
        role: "build_intent_advisor".into(),
        engagement: "Surface".into(),
        workloads: vec!["teams".into(), "teams".into(), "power_bi".into()],
        subscription: String::new(),
        customer_contact: CustomerContactForm {
            name: "Megan Bowen".into(),
            title: String::new(),
            email: "megan@".into(),
        },
        company_contact: CompanyContactForm {
            name: "Alex Wilber".into(),
            email: String::new(),
        },
        ..AssociationForm::default()
    };
    assert_eq!(
        codes(&form),
        [
            "form.missing",                // name
            "form.invalid_id",             // tenant
            "form.role_area_mismatch",     // role
            "form.co_op_program",          // engagement
            "form.duplicate_workload",     // teams twice
            "form.workload_area_mismatch", // power_bi
            "form.missing",                // customer contact title
            "form.invalid_id",             // customer contact email
            "form.missing",                // company contact email
        ]
    );
    assert_eq!(
        problems(&form)
            .problems()
            .iter()
            .map(FormProblem::field)
            .collect::<Vec<_>>(),
        [
            Field::Name,
            Field::Tenant,
            Field::Role,
            Field::Engagement,
            Field::Workloads,
            Field::Workloads,
            Field::CustomerContactTitle,
            Field::CustomerContactEmail,
            Field::CompanyContactEmail,
        ]
    );
}

#[test]
fn a_business_applications_form_with_many_faults_reports_every_one() {
    let form = AssociationForm {
        role: "influenced_revenue_recognition".into(),
        subscription: String::new(),
        incentive_payments: IncentivePayments::OptedOut,
        revenue: RevenueForm {
            seller: "Fabrikam Dynamics".into(),
            ..RevenueForm::default()
        },
        ..bizapps_form()
    };
    assert_eq!(
        coded_fields(&form),
        [
            ("form.subscription_required", Field::Subscription),
            ("form.revenue_details_required", Field::RevenueCustomer),
            ("form.revenue_details_required", Field::RevenueIsvProduct),
            ("form.opt_out_not_allowed", Field::IncentivePayments),
        ]
    );
}

#[test]
fn editing_a_draft_checks_the_form_the_same_way() {
    let claim = draft(&mws_form());
    let form = AssociationForm {
        subscription: SUBSCRIPTION.into(),
        customer_contact: CustomerContactForm::default(),
        ..mws_form()
    };
    let command = cpor::AssociationCommand::EditDraft { form };
    let mut copy = claim.clone();
    let err = copy
        .apply(&command, &admin(), t0(), &catalog())
        .unwrap_err();
    assert_eq!(copy, claim);
    let AssociationError::Form(errors) = err else {
        panic!("not a form error: {err}");
    };
    assert_eq!(
        errors.codes().collect::<Vec<_>>(),
        [
            "form.subscription_not_allowed",
            "form.missing",
            "form.missing",
            "form.missing"
        ]
    );
}

#[test]
fn a_form_round_trips_through_json_with_defaults_for_missing_fields() {
    let json = serde_json::to_string(&revenue_form()).unwrap();
    let back: AssociationForm = serde_json::from_str(&json).unwrap();
    assert_eq!(back, revenue_form());
    let sparse: AssociationForm = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
    assert_eq!(
        sparse,
        AssociationForm {
            name: "x".into(),
            ..AssociationForm::default()
        }
    );
    assert_eq!(codes(&sparse).len(), 9);
}
