//! Table tests for every identifier format: valid inputs with their canonical form, invalid
//! inputs with their stable error code, and the exact wording of the messages.

use cpor::{
    AzureSubscriptionId, ClaimId, CustomerId, CustomerIdKind, DomainName, EmailAddress, IdError,
    IdErrorKind, IdField, MsxOpportunityId, PartnerId, SubscriptionId, TenantId, Tpid,
};

#[derive(Debug, Clone, Copy)]
enum Ty {
    Tenant,
    AzureSub,
    Sub,
    Claim,
    Domain,
    Tpid,
    Partner,
    Msx,
    Email,
    Customer,
}

/// Parses `input` as `ty` and returns its canonical text.
fn parse(ty: Ty, input: &str) -> Result<String, IdError> {
    Ok(match ty {
        Ty::Tenant => input.parse::<TenantId>()?.to_string(),
        Ty::AzureSub => input.parse::<AzureSubscriptionId>()?.to_string(),
        Ty::Sub => input.parse::<SubscriptionId>()?.to_string(),
        Ty::Claim => input.parse::<ClaimId>()?.to_string(),
        Ty::Domain => input.parse::<DomainName>()?.to_string(),
        Ty::Tpid => input.parse::<Tpid>()?.to_string(),
        Ty::Partner => input.parse::<PartnerId>()?.to_string(),
        Ty::Msx => input.parse::<MsxOpportunityId>()?.to_string(),
        Ty::Email => input.parse::<EmailAddress>()?.to_string(),
        Ty::Customer => input.parse::<CustomerId>()?.to_string(),
    })
}

enum Want {
    /// Valid, with this canonical form.
    Ok(&'static str),
    /// Valid, and already canonical.
    Same,
    /// Invalid, with this code.
    Err(&'static str),
}
use Want::{Err as E, Ok as C, Same as S};

const G: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const NIL: &str = "00000000-0000-0000-0000-000000000000";

fn cases() -> Vec<(Ty, String, Want)> {
    let label63 = "a".repeat(63);
    let label64 = "a".repeat(64);
    let d253 = format!("{0}.{0}.{0}.{1}", label63, "d".repeat(61));
    let d254 = format!("{0}.{0}.{0}.{1}", label63, "d".repeat(62));
    let local64 = "l".repeat(64);
    let local65 = "l".repeat(65);
    let dom190 = format!("{0}.{0}.{1}", label63, "c".repeat(62));
    let s = |t: &str| t.to_string();
    vec![
        // GUIDs: hyphenated, braced, any case; never nil; nothing else.
        (Ty::Tenant, s(G), S),
        (Ty::Tenant, G.to_uppercase(), C(G)),
        (Ty::Tenant, format!("{{{G}}}"), C(G)),
        (
            Ty::Tenant,
            s("{72F988BF-86f1-41AF-91ab-2D7CD011DB47}"),
            C(G),
        ),
        (Ty::Tenant, s(NIL), E("tenant_id.nil")),
        (Ty::Tenant, format!("{{{NIL}}}"), E("tenant_id.nil")),
        (Ty::Tenant, s(""), E("tenant_id.empty")),
        (Ty::Tenant, G.replace('-', ""), E("tenant_id.length")),
        (Ty::Tenant, format!("{{{G}"), E("tenant_id.length")),
        (Ty::Tenant, format!("{G}}}"), E("tenant_id.length")),
        (Ty::Tenant, format!("({G})"), E("tenant_id.braces")),
        (Ty::Tenant, format!("{{{G}x"), E("tenant_id.braces")),
        (
            Ty::Tenant,
            s("{72f988bf-86f1-41af-91ab-2d7cd011db4g}"),
            E("tenant_id.invalid_character"),
        ),
        (
            Ty::Tenant,
            s("72f988bg-86f1-41af-91ab-2d7cd011db47"),
            E("tenant_id.invalid_character"),
        ),
        (
            Ty::Tenant,
            s("72f988bf186f1-41af-91ab-2d7cd011db47"),
            E("tenant_id.hyphen"),
        ),
        (
            Ty::Tenant,
            s("72f988b-f86f1-41af-91ab-2d7cd011db47"),
            E("tenant_id.hyphen"),
        ),
        (Ty::Tenant, format!("urn:uuid:{G}"), E("tenant_id.length")),
        (Ty::Tenant, format!(" {G}"), E("tenant_id.length")),
        (
            Ty::Tenant,
            s("72f988bf-86f1-41af-91ab-2d7cd011db4é"),
            E("tenant_id.invalid_character"),
        ),
        (
            Ty::AzureSub,
            s("0B1F6471-1BF0-4DDA-AEC3-CB9272F09590"),
            C("0b1f6471-1bf0-4dda-aec3-cb9272f09590"),
        ),
        (Ty::AzureSub, s(NIL), E("azure_subscription_id.nil")),
        (Ty::Sub, format!("{{{}}}", G.to_uppercase()), C(G)),
        (Ty::Sub, s("not-a-guid"), E("subscription_id.length")),
        (Ty::Claim, s("6f9619ff-8b86-d011-b42d-00c04fc964ff"), S),
        (Ty::Claim, s(NIL), E("claim_id.nil")),
        // Domains.
        (Ty::Domain, s("contoso.onmicrosoft.com"), S),
        (Ty::Domain, s("Contoso.COM"), C("contoso.com")),
        (Ty::Domain, s("contoso.com."), C("contoso.com")),
        (Ty::Domain, s("contoso.com.."), E("domain.empty_label")),
        (Ty::Domain, s("."), E("domain.empty_label")),
        (Ty::Domain, s(""), E("domain.empty")),
        (Ty::Domain, s("localhost"), E("domain.single_label")),
        (Ty::Domain, s("localhost."), E("domain.single_label")),
        (Ty::Domain, s(".contoso.com"), E("domain.empty_label")),
        (Ty::Domain, s("contoso..com"), E("domain.empty_label")),
        (Ty::Domain, format!("{label63}.com"), S),
        (
            Ty::Domain,
            format!("{label64}.com"),
            E("domain.label_too_long"),
        ),
        (
            Ty::Domain,
            format!("com.{label64}"),
            E("domain.label_too_long"),
        ),
        (Ty::Domain, d253.clone(), S),
        (
            Ty::Domain,
            format!("{}.", d253.to_uppercase()),
            C(Box::leak(d253.into_boxed_str())),
        ),
        (Ty::Domain, d254, E("domain.too_long")),
        (Ty::Domain, s("-contoso.com"), E("domain.label_hyphen")),
        (Ty::Domain, s("contoso-.com"), E("domain.label_hyphen")),
        (Ty::Domain, s("contoso.com-"), E("domain.label_hyphen")),
        (Ty::Domain, s("con-toso.com"), S),
        (Ty::Domain, s("xn--bcher-kva.de"), S),
        (Ty::Domain, s("bücher.de"), E("domain.non_ascii")),
        (
            Ty::Domain,
            format!("{}.ü", "a".repeat(300)),
            E("domain.non_ascii"),
        ),
        (Ty::Domain, s("192.168.0.1"), E("domain.ip_address")),
        (Ty::Domain, s("192.168.0.1."), E("domain.ip_address")),
        (Ty::Domain, s("[::1]"), E("domain.ip_address")),
        (Ty::Domain, s("2001:db8::1"), E("domain.ip_address")),
        (Ty::Domain, s("contoso.123"), E("domain.numeric_tld")),
        (Ty::Domain, s("123.contoso.com"), S),
        (
            Ty::Domain,
            s("contoso_corp.com"),
            E("domain.invalid_character"),
        ),
        (Ty::Domain, s("contoso .com"), E("domain.invalid_character")),
        (Ty::Domain, s("a.b"), S),
        // TPID: 1-12 digits, not all zeros, canonical without leading zeros.
        (Ty::Tpid, s("123456"), S),
        (Ty::Tpid, s("000123"), C("123")),
        (Ty::Tpid, s("0"), E("tpid.zero")),
        (Ty::Tpid, s("000000000000"), E("tpid.zero")),
        (Ty::Tpid, s("999999999999"), S),
        (Ty::Tpid, s("1234567890123"), E("tpid.too_long")),
        (Ty::Tpid, s("0000000000001"), E("tpid.too_long")),
        (Ty::Tpid, s("12a"), E("tpid.invalid_character")),
        (Ty::Tpid, s("-5"), E("tpid.invalid_character")),
        (Ty::Tpid, s("+123"), E("tpid.invalid_character")),
        (Ty::Tpid, s("١٢٣"), E("tpid.invalid_character")),
        (Ty::Tpid, s(""), E("tpid.empty")),
        // PartnerID: 1-10 digits, not zero.
        (Ty::Partner, s("4512345"), S),
        (Ty::Partner, s("0004512345"), C("4512345")),
        (Ty::Partner, s("9999999999"), S),
        (Ty::Partner, s("12345678901"), E("partner_id.too_long")),
        (Ty::Partner, s("0"), E("partner_id.zero")),
        (
            Ty::Partner,
            s(" 4512345"),
            E("partner_id.invalid_character"),
        ),
        // MSX: a digit, a hyphen, 10 letters or digits; uppercase.
        (Ty::Msx, s("7-3CVDESBISU"), S),
        (Ty::Msx, s("7-3cvdesbisu"), C("7-3CVDESBISU")),
        (Ty::Msx, s("0-ABCDEFGHIJ"), S),
        (Ty::Msx, s("7-3CVDESBIS"), E("msx_opportunity_id.length")),
        (Ty::Msx, s("7-3CVDESBISUX"), E("msx_opportunity_id.length")),
        (
            Ty::Msx,
            s("A-3CVDESBISU"),
            E("msx_opportunity_id.invalid_character"),
        ),
        (Ty::Msx, s("73CVDESBISUX"), E("msx_opportunity_id.hyphen")),
        (Ty::Msx, s("7-3CVDES-ISU"), E("msx_opportunity_id.hyphen")),
        (
            Ty::Msx,
            s("7-3CVDESBIS_"),
            E("msx_opportunity_id.invalid_character"),
        ),
        (
            Ty::Msx,
            s("7-3CVDESBISÜ"),
            E("msx_opportunity_id.invalid_character"),
        ),
        (Ty::Msx, s(""), E("msx_opportunity_id.empty")),
        // Email: dot-atom local part, a valid domain, lowercase domain.
        (Ty::Email, s("megan@contoso.com"), S),
        (
            Ty::Email,
            s("Megan.Bowen@Contoso.COM"),
            C("Megan.Bowen@contoso.com"),
        ),
        (Ty::Email, s("user+tag@contoso.com"), S),
        (Ty::Email, s("megan"), E("email.missing_at")),
        (Ty::Email, s("@contoso.com"), E("email.local_empty")),
        (Ty::Email, s("megan@"), E("email.domain.empty")),
        (Ty::Email, s(".megan@contoso.com"), E("email.local_dot")),
        (Ty::Email, s("megan.@contoso.com"), E("email.local_dot")),
        (Ty::Email, s("me..gan@contoso.com"), E("email.local_dot")),
        (
            Ty::Email,
            s("megan@contoso"),
            E("email.domain.single_label"),
        ),
        (Ty::Email, s("megan@bücher.de"), E("email.domain.non_ascii")),
        (
            Ty::Email,
            s("mégan@contoso.com"),
            E("email.invalid_character"),
        ),
        (
            Ty::Email,
            s("megan@contoso@com"),
            E("email.domain.invalid_character"),
        ),
        (
            Ty::Email,
            s("\"megan\"@contoso.com"),
            E("email.invalid_character"),
        ),
        (
            Ty::Email,
            s("user@[10.0.0.1]"),
            E("email.domain.ip_address"),
        ),
        (Ty::Email, format!("{local64}@contoso.com"), S),
        (
            Ty::Email,
            format!("{local65}@contoso.com"),
            E("email.local_too_long"),
        ),
        (
            Ty::Email,
            format!("{local64}@{dom190}"),
            E("email.too_long"),
        ),
        // Customer IDs: kind:value.
        (
            Ty::Customer,
            format!("tenant:{}", G.to_uppercase()),
            C(Box::leak(format!("tenant:{G}").into_boxed_str())),
        ),
        (
            Ty::Customer,
            s("domain:Contoso.com."),
            C("domain:contoso.com"),
        ),
        (Ty::Customer, s("tpid:00042"), C("tpid:42")),
        (
            Ty::Customer,
            format!("azure_subscription:{{{G}}}"),
            C(Box::leak(
                format!("azure_subscription:{G}").into_boxed_str(),
            )),
        ),
        (
            Ty::Customer,
            s("msx_opportunity:7-3cvdesbisu"),
            C("msx_opportunity:7-3CVDESBISU"),
        ),
        (
            Ty::Customer,
            s("contoso.com"),
            E("customer_id.missing_kind"),
        ),
        (
            Ty::Customer,
            format!("tenantid:{G}"),
            E("customer_id.unknown_kind"),
        ),
        (
            Ty::Customer,
            format!("Tenant:{G}"),
            E("customer_id.unknown_kind"),
        ),
        (Ty::Customer, format!("tenant:{NIL}"), E("tenant_id.nil")),
        (Ty::Customer, s("tpid:"), E("tpid.empty")),
        (Ty::Customer, s(""), E("customer_id.empty")),
    ]
}

#[test]
fn identifier_table() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (ty, input, want) in &cases {
        let got = parse(*ty, input);
        let ok = match (want, &got) {
            (Want::Same, Ok(canonical)) => canonical == input,
            (Want::Ok(expected), Ok(canonical)) => canonical == expected,
            (Want::Err(code), Err(err)) => err.code() == *code,
            _ => false,
        };
        if !ok {
            failures.push(format!("{ty:?} {input:?}: got {got:?}"));
        }
        // The canonical form is a fixed point.
        if let Ok(canonical) = &got {
            assert_eq!(
                parse(*ty, canonical).as_ref(),
                Ok(canonical),
                "{ty:?} {input:?}"
            );
        }
        // Every code starts with its field's code, and the message names the field.
        if let Err(err) = &got {
            assert!(err.code().starts_with(err.field().code()), "{err:?}");
            assert!(err.to_string().starts_with(err.field().name()), "{err}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[track_caller]
fn assert_message<T: std::str::FromStr<Err = IdError> + std::fmt::Debug>(
    input: &str,
    message: &str,
) {
    let err = input.parse::<T>().unwrap_err();
    assert_eq!(err.to_string(), message);
}

#[test]
fn messages_are_lowercase_name_the_field_and_quote_the_input() {
    assert_message::<TenantId>(
        NIL,
        r#"tenant id "00000000-0000-0000-0000-000000000000" is the nil guid, which names nothing"#,
    );
    assert_message::<TenantId>(
        "72f988bg-86f1-41af-91ab-2d7cd011db47",
        r#"tenant id "72f988bg-86f1-41af-91ab-2d7cd011db47" has the invalid character 'g' at index 7"#,
    );
    assert_message::<AzureSubscriptionId>(
        "abc",
        r#"azure subscription id "abc" has 3 characters; expected 36, or 38 with braces"#,
    );
    assert_message::<DomainName>(
        "bücher.de",
        "domain name \"bücher.de\" has the non-ascii character 'ü' at index 1; \
         write an internationalized domain in its punycode \"xn--\" form",
    );
    assert_message::<DomainName>(
        "10.0.0.1",
        r#"domain name "10.0.0.1" is an ip address, not a domain name"#,
    );
    assert_message::<Tpid>("0000", r#"tpid "0000" is zero"#);
    assert_message::<PartnerId>(
        "12345678901",
        r#"partner id "12345678901" is longer than 10 characters"#,
    );
    assert_message::<MsxOpportunityId>(
        "7_3CVDESBISU",
        r#"msx opportunity id "7_3CVDESBISU" has a missing or misplaced hyphen at index 1"#,
    );
    assert_message::<EmailAddress>(
        "megan@contoso..com",
        r#"email address domain part "megan@contoso..com" has an empty label at index 14"#,
    );
    assert_message::<CustomerId>(
        "contoso.com",
        "customer id \"contoso.com\" has no kind prefix; write kind:value, \
         as in \"tenant:<guid>\" or \"tpid:123\"",
    );
    for ty in [
        Ty::Tenant,
        Ty::Domain,
        Ty::Tpid,
        Ty::Msx,
        Ty::Email,
        Ty::Customer,
    ] {
        let message = parse(ty, "Ä!").unwrap_err().to_string();
        assert_eq!(
            message,
            message.to_lowercase().replace('ä', "Ä"),
            "{message}"
        );
    }
}

#[test]
fn a_huge_input_is_never_echoed() {
    let huge = "x".repeat(10 * 1024);
    for ty in [
        Ty::Tenant,
        Ty::Domain,
        Ty::Tpid,
        Ty::Partner,
        Ty::Msx,
        Ty::Email,
        Ty::Customer,
    ] {
        let err = parse(ty, &huge).unwrap_err();
        assert_eq!(err.input().chars().count(), cpor::id::INPUT_ECHO_LIMIT);
        assert!(err.is_input_truncated());
        assert!(err.to_string().len() < 300, "{ty:?}: {err}");
    }
}

#[test]
fn error_parts_are_exposed_as_data() {
    let err = "contoso..com".parse::<DomainName>().unwrap_err();
    assert_eq!(err.field(), IdField::DomainName);
    assert_eq!(err.reason(), IdErrorKind::EmptyLabel { index: 8 });
    assert_eq!(err.reason().code(), "empty_label");
    assert_eq!(err.input(), "contoso..com");
}

#[test]
fn guid_types_are_distinct_and_refuse_nil_from_uuid() {
    let uuid = uuid::Uuid::nil();
    assert_eq!(
        TenantId::from_uuid(uuid).unwrap_err().code(),
        "tenant_id.nil"
    );
    assert_eq!(ClaimId::from_uuid(uuid).unwrap_err().code(), "claim_id.nil");
    let tenant: TenantId = G.parse().unwrap();
    let sub = SubscriptionId::from_uuid(tenant.as_uuid()).unwrap();
    assert_eq!(sub.as_uuid(), tenant.as_uuid());
    assert_eq!(format!("{tenant:?}"), format!("TenantId({G})"));
}

#[test]
fn numbers_from_integers_follow_the_text_rules() {
    assert_eq!(Tpid::new(999_999_999_999).unwrap().get(), 999_999_999_999);
    assert_eq!(
        Tpid::new(1_000_000_000_000).unwrap_err().code(),
        "tpid.too_long"
    );
    assert_eq!(PartnerId::new(0).unwrap_err().code(), "partner_id.zero");
    assert_eq!(
        PartnerId::new(9_999_999_999).unwrap().to_string(),
        "9999999999"
    );
    assert_eq!(
        PartnerId::new(10_000_000_000).unwrap_err().code(),
        "partner_id.too_long"
    );
}

#[test]
fn customer_id_kinds() {
    for kind in CustomerIdKind::ALL {
        assert_eq!(kind.as_str().parse::<CustomerIdKind>().unwrap(), kind);
    }
    let id = CustomerId::parse_as(CustomerIdKind::MsxOpportunity, "7-3cvdesbisu").unwrap();
    assert_eq!(id.kind(), CustomerIdKind::MsxOpportunity);
    assert_eq!(id.value_string(), "7-3CVDESBISU");
    assert_eq!(id.as_tenant(), None);
    assert_eq!(
        CustomerId::parse_as(CustomerIdKind::Tenant, "7-3CVDESBISU")
            .unwrap_err()
            .code(),
        "tenant_id.length"
    );
    assert_eq!(
        "".parse::<CustomerIdKind>().unwrap_err().code(),
        "customer_id_kind.empty"
    );
    assert_eq!(
        "msx".parse::<CustomerIdKind>().unwrap_err().code(),
        "customer_id_kind.unknown_kind"
    );
}

#[test]
fn email_parts() {
    let email: EmailAddress = "Megan.Bowen@Contoso.COM".parse().unwrap();
    assert_eq!(email.local_part(), "Megan.Bowen");
    assert_eq!(
        email.domain(),
        &"contoso.com".parse::<DomainName>().unwrap()
    );
    let domain: DomainName = "a.B.c".parse().unwrap();
    assert_eq!(domain.labels().collect::<Vec<_>>(), ["a", "b", "c"]);
}
