//! The cpor walkthrough. For now it parses one of each identifier and shows a helpful error;
//! later chapters add claims, the store and the Customers page.
//!
//! Run it with `cargo run --example quickstart`.

use cpor::{
    AzureSubscriptionId, ClaimId, CustomerId, CustomerIdKind, DomainName, EmailAddress,
    MsxOpportunityId, PartnerId, SubscriptionId, TenantId, Tpid,
};

fn main() -> Result<(), cpor::IdError> {
    println!("== Identifiers: written loosely, stored canonically ==");
    let tenant: TenantId = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".parse()?;
    let azure: AzureSubscriptionId = "0B1F6471-1BF0-4DDA-AEC3-CB9272F09590".parse()?;
    let subscription: SubscriptionId = "6f9619ff-8b86-d011-b42d-00c04fc964ff".parse()?;
    let claim: ClaimId = "3f2504e0-4f89-11d3-9a0c-0305e82c3301".parse()?;
    let domain: DomainName = "Contoso.OnMicrosoft.com.".parse()?;
    let tpid: Tpid = "000123456".parse()?;
    let msx: MsxOpportunityId = "7-3cvdesbisu".parse()?;
    let partner: PartnerId = "4512345".parse()?;
    let email: EmailAddress = "Megan.Bowen@CONTOSO.com".parse()?;
    println!("tenant id              {tenant}");
    println!("azure subscription id  {azure}");
    println!("subscription id        {subscription}");
    println!("claim id               {claim}");
    println!("domain                 {domain}");
    println!("tpid                   {tpid}");
    println!("msx opportunity id     {msx}");
    println!("partner location id    {partner}");
    println!(
        "email                  {email}  (domain {})",
        email.domain()
    );

    println!();
    println!("== A customer is nominated by exactly one kind of ID ==");
    for (kind, text) in [
        (CustomerIdKind::Domain, "Fabrikam.com"),
        (
            CustomerIdKind::Tenant,
            "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
        ),
        (CustomerIdKind::MsxOpportunity, "7-3cvdesbisu"),
    ] {
        let customer = CustomerId::parse_as(kind, text)?;
        println!("{kind:<16} {text:<40} -> {customer}");
    }

    println!();
    println!("== Errors name the field, quote the input and carry a stable code ==");
    for (label, result) in [
        ("domain", "bücher.de".parse::<DomainName>().map(|_| ())),
        (
            "tenant",
            "00000000-0000-0000-0000-000000000000"
                .parse::<TenantId>()
                .map(|_| ()),
        ),
        (
            "customer",
            "tenant:not-a-guid".parse::<CustomerId>().map(|_| ()),
        ),
    ] {
        if let Err(err) = result {
            println!("{label:<9} [{}] {err}", err.code());
        }
    }
    Ok(())
}
