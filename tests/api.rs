//! Properties of the public API as a whole.

/// Every public type can cross threads: services share them between request handlers.
#[test]
fn every_public_type_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<cpor::TenantId>();
    assert_send_sync::<cpor::AzureSubscriptionId>();
    assert_send_sync::<cpor::SubscriptionId>();
    assert_send_sync::<cpor::ClaimId>();
    assert_send_sync::<cpor::DomainName>();
    assert_send_sync::<cpor::Tpid>();
    assert_send_sync::<cpor::MsxOpportunityId>();
    assert_send_sync::<cpor::PartnerId>();
    assert_send_sync::<cpor::EmailAddress>();
    assert_send_sync::<cpor::CustomerId>();
    assert_send_sync::<cpor::CustomerIdKind>();
    assert_send_sync::<cpor::IdError>();
    assert_send_sync::<cpor::IdErrorKind>();
    assert_send_sync::<cpor::IdField>();
    assert_send_sync::<cpor::calendar::BusinessCalendar>();
    assert_send_sync::<cpor::calendar::CalendarError>();
    assert_send_sync::<cpor::ErrorKind>();
}

/// Every error says what kind of failure it is, through one `ErrorKind`, at both its paths.
#[test]
fn errors_have_a_kind() {
    let kind: cpor::error::ErrorKind = "".parse::<cpor::TenantId>().unwrap_err().kind();
    assert_eq!(kind, cpor::ErrorKind::Invalid);
    let err = cpor::service::ServiceError::from(cpor::store::StoreError::backend(
        std::io::Error::other("disk on fire"),
    ));
    assert_eq!(err.code(), "store.backend");
    assert_eq!(err.kind(), cpor::ErrorKind::Internal);
    assert!(!err.is_retryable());
}

/// Errors are ordinary `std::error::Error` values that can be boxed and sent.
#[test]
fn errors_box_into_dyn_error() {
    let err: Box<dyn std::error::Error + Send + Sync> =
        Box::new("x".parse::<cpor::TenantId>().unwrap_err());
    assert_eq!(
        err.to_string(),
        "tenant id \"x\" has 1 character; expected 36, or 38 with braces"
    );
}
