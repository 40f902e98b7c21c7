//! The keys' encodings: the binary forms of schema version 4, and the text forms of versions
//! 2 and 3 that the migrations read and write.

use std::fmt::Write as _;

use crate::association::KeyUnit;
use crate::codec::Writer;
use crate::id::CustomerId;
use crate::store::{CountedKey, UniqueKey};

/// Separates the keys of a claim row's `held_keys` column of schema version 2 (which the
/// migration from version 1 writes); no key text contains it.
pub(super) const HELD_SEPARATOR: char = '\n';

/// The text of a uniqueness key in schema version 3 (the primary key of its `keys` table), which
/// [`v2_key_text`] still writes for the keys of activities.
///
/// A tag for the kind of key, then its fields separated by `|`, a fixed number for each tag.
/// No field but the last can contain `|` (engagement and workload IDs are catalog keys of
/// lowercase letters, digits, `_`, `-` and `.`; partner IDs are digits; GUIDs are written as
/// 32 lowercase hexadecimal digits), so different keys have different texts. No field contains
/// [`HELD_SEPARATOR`] (customer IDs are in their canonical `kind:value` form, of validated
/// values).
///
/// - `a|<tenant>|<engagement>|w:<workload>` or `a|<tenant>|<engagement>|s:<subscription>`:
///   [`UniqueKey::Associated`];
/// - `o|<tenant>|<partner>|<engagement>|w:<workload>` (or `s:`):
///   [`UniqueKey::OpenAssociation`];
/// - `c|<partner>|<engagement>|<customer>`: [`UniqueKey::OpenActivity`].
///
/// The tenant comes first (since schema version 3): the keys of a claim stay side by side,
/// and the keys of different claims spread over the table by tenant rather than bunching up
/// at the end of each partner's keys.
pub(super) fn key_text(key: &UniqueKey) -> String {
    let mut text = String::with_capacity(96);
    // Writing to a `String` cannot fail.
    let _ = match key {
        UniqueKey::Associated { key } => write!(
            text,
            "a|{}|{}|",
            key.tenant.as_uuid().simple(),
            key.engagement
        )
        .and_then(|()| write_unit(&mut text, &key.unit)),
        UniqueKey::OpenAssociation { partner, key } => write!(
            text,
            "o|{}|{partner}|{}|",
            key.tenant.as_uuid().simple(),
            key.engagement
        )
        .and_then(|()| write_unit(&mut text, &key.unit)),
        UniqueKey::OpenActivity {
            partner,
            engagement,
            customer,
        } => write!(text, "c|{partner}|{engagement}|{customer}"),
    };
    text
}

pub(super) fn write_unit(text: &mut String, unit: &KeyUnit) -> std::fmt::Result {
    match unit {
        KeyUnit::Workload(workload) => write!(text, "w:{workload}"),
        KeyUnit::Subscription(subscription) => {
            write!(text, "s:{}", subscription.as_uuid().simple())
        }
    }
}

/// The binary form of a uniqueness key, the primary key of `keys` (since schema version 4).
///
/// A tag byte for the kind of key, then its fields, each of which says where it ends
/// (GUIDs as their 16 bytes, numbers as variable-length integers, strings after their length,
/// a customer as in the `customer` column, see [`customer_column`]):
///
/// - `a`, tenant, engagement, unit: [`UniqueKey::Associated`];
/// - `o`, tenant, partner, engagement, unit: [`UniqueKey::OpenAssociation`];
/// - `c`, partner, engagement, customer: [`UniqueKey::OpenActivity`];
///
/// where a unit is `w` and the workload, or `s` and the subscription's 16 bytes. So
/// different keys have different bytes, and the tenant comes first in association keys: the
/// keys of one claim stay side by side.
pub(super) fn key_bytes(key: &UniqueKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(48);
    let mut w = Writer::new(&mut bytes);
    match key {
        UniqueKey::Associated { key } => {
            w.u8(b'a');
            w.uuid(key.tenant.as_uuid());
            w.str(key.engagement.as_str());
            write_unit_bytes(&mut w, &key.unit);
        }
        UniqueKey::OpenAssociation { partner, key } => {
            w.u8(b'o');
            w.uuid(key.tenant.as_uuid());
            w.u64(partner.get());
            w.str(key.engagement.as_str());
            write_unit_bytes(&mut w, &key.unit);
        }
        UniqueKey::OpenActivity {
            partner,
            engagement,
            customer,
        } => {
            w.u8(b'c');
            w.u64(partner.get());
            w.str(engagement.as_str());
            w.customer(customer);
        }
    }
    bytes
}

fn write_unit_bytes(w: &mut Writer<'_>, unit: &KeyUnit) {
    match unit {
        KeyUnit::Workload(workload) => {
            w.u8(b'w');
            w.str(workload.as_str());
        }
        KeyUnit::Subscription(subscription) => {
            w.u8(b's');
            w.uuid(subscription.as_uuid());
        }
    }
}

/// The text of a counted key in schema versions 2 and 3, as [`v1_to_v2`] writes it:
/// `<engagement>|<customer>` (the engagement cannot contain `|`, see [`key_text`]).
pub(super) fn counted_text(key: &CountedKey) -> String {
    format!("{}|{}", key.engagement, key.customer)
}

/// The binary form of a counted key, the first column of `counts`: the engagement (a
/// string), then the customer as in the `customer` column.
pub(super) fn counted_bytes(key: &CountedKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(32);
    let mut w = Writer::new(&mut bytes);
    w.str(key.engagement.as_str());
    w.customer(&key.customer);
    bytes
}

/// The `customer` column (since schema version 4): a kind byte, then the value in binary (a
/// tenant or a subscription as its 16 bytes, a TPID as a number, a domain or an MSX
/// opportunity ID as its text), the form of the binary claim body.
pub(super) fn customer_column(customer: &CustomerId) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(20);
    Writer::new(&mut bytes).customer(customer);
    bytes
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::migrate::{v2_key_text, v3_key_text};
    use super::{counted_bytes, counted_text, customer_column, key_bytes, key_text};
    use crate::association::{AssociationKey, KeyUnit};
    use crate::catalog::{EngagementId, WorkloadId};
    use crate::id::{CustomerId, PartnerId, SubscriptionId, TenantId};
    use crate::store::{CountedKey, UniqueKey};

    const TENANT: &str = "0f0e0d0c-0b0a-4908-8706-050403020100";
    const OTHER: &str = "1f0e0d0c-0b0a-4908-8706-050403020100";

    fn association(engagement: &str, tenant: &str, unit: KeyUnit) -> AssociationKey {
        AssociationKey {
            engagement: EngagementId::parse(engagement).unwrap(),
            tenant: TenantId::parse(tenant).unwrap(),
            unit,
        }
    }

    fn workload(id: &str) -> KeyUnit {
        KeyUnit::Workload(WorkloadId::parse(id).unwrap())
    }

    #[test]
    fn key_texts_are_compact_and_as_documented() {
        let partner = PartnerId::new(4_512_345).unwrap();
        let key = association("mws_usage", TENANT, workload("teams"));
        assert_eq!(
            key_text(&UniqueKey::OpenAssociation { partner, key }),
            "o|0f0e0d0c0b0a49088706050403020100|4512345|mws_usage|w:teams"
        );
        // Version 2's form, which the migration from version 1 still writes.
        assert_eq!(
            v2_key_text(&UniqueKey::OpenAssociation {
                partner,
                key: association("mws_usage", TENANT, workload("teams")),
            }),
            "o|4512345|mws_usage|0f0e0d0c0b0a49088706050403020100|w:teams"
        );
        let customer: CustomerId = "domain:contoso.com".parse().unwrap();
        let engagement = EngagementId::parse("mci_pre_sales").unwrap();
        assert_eq!(
            key_text(&UniqueKey::OpenActivity {
                partner,
                engagement: engagement.clone(),
                customer: customer.clone(),
            }),
            "c|4512345|mci_pre_sales|domain:contoso.com"
        );
        assert_eq!(
            counted_text(&CountedKey {
                engagement,
                customer
            }),
            "mci_pre_sales|domain:contoso.com"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn key_bytes_are_as_documented() {
        let partner = PartnerId::new(4_512_345).unwrap();
        let key = association("mws_usage", TENANT, workload("teams"));
        // `o`, the tenant's 16 bytes, the partner as a varint, the engagement and the
        // workload after their lengths.
        assert_eq!(
            hex(&key_bytes(&UniqueKey::OpenAssociation {
                partner,
                key: key.clone()
            })),
            "6f0f0e0d0c0b0a49088706050403020100d9b4930209\
             6d77735f757361676577057465616d73"
        );
        assert_eq!(
            hex(&key_bytes(&UniqueKey::Associated { key })),
            "610f0e0d0c0b0a4908870605040302010009\
             6d77735f757361676577057465616d73"
        );
        let customer: CustomerId = "domain:contoso.com".parse().unwrap();
        let engagement = EngagementId::parse("mci_pre_sales").unwrap();
        assert_eq!(
            hex(&key_bytes(&UniqueKey::OpenActivity {
                partner,
                engagement: engagement.clone(),
                customer: customer.clone(),
            })),
            "63d9b493020d6d63695f7072655f73616c6573000b636f6e746f736f2e636f6d"
        );
        assert_eq!(
            hex(&counted_bytes(&CountedKey {
                engagement,
                customer: customer.clone()
            })),
            "0d6d63695f7072655f73616c6573000b636f6e746f736f2e636f6d"
        );
        assert_eq!(
            hex(&customer_column(&customer)),
            "000b636f6e746f736f2e636f6d"
        );
        let tenant: CustomerId = format!("tenant:{TENANT}").parse().unwrap();
        assert_eq!(
            hex(&customer_column(&tenant)),
            "010f0e0d0c0b0a49088706050403020100"
        );
    }

    #[test]
    fn different_keys_have_different_texts() {
        let partners = [1, 4_512_345].map(|n| PartnerId::new(n).unwrap());
        let subscription = SubscriptionId::parse(TENANT).unwrap();
        let mut keys = Vec::new();
        for engagement in ["mws_usage", "mws_usage.a", "bizapps"] {
            for tenant in [TENANT, OTHER] {
                for unit in [
                    workload("teams"),
                    workload("teams_phone"),
                    KeyUnit::Subscription(subscription),
                ] {
                    let key = association(engagement, tenant, unit);
                    keys.push(UniqueKey::Associated { key: key.clone() });
                    for partner in partners {
                        keys.push(UniqueKey::OpenAssociation {
                            partner,
                            key: key.clone(),
                        });
                    }
                }
                for customer in [format!("tenant:{tenant}"), "tpid:12".to_owned()] {
                    for partner in partners {
                        keys.push(UniqueKey::OpenActivity {
                            partner,
                            engagement: EngagementId::parse(engagement).unwrap(),
                            customer: customer.parse().unwrap(),
                        });
                    }
                }
            }
        }
        // Some keys come twice (a TPID does not depend on the tenant).
        let keys: BTreeSet<UniqueKey> = keys.into_iter().collect();
        let texts: BTreeSet<String> = keys.iter().map(key_text).collect();
        assert_eq!(texts.len(), keys.len());
        let bytes: BTreeSet<Vec<u8>> = keys.iter().map(key_bytes).collect();
        assert_eq!(bytes.len(), keys.len());
        // Within each kind, the association keys of one tenant sort together.
        let tenant_of = |key: &UniqueKey| match key {
            UniqueKey::Associated { key } | UniqueKey::OpenAssociation { key, .. } => {
                Some(key.tenant)
            }
            _ => None,
        };
        let mut sorted: Vec<&UniqueKey> = keys.iter().filter(|k| tenant_of(k).is_some()).collect();
        sorted.sort_by_key(|k| key_bytes(k));
        let runs = sorted
            .windows(2)
            .filter(|pair| tenant_of(pair[0]) != tenant_of(pair[1]))
            .count();
        // `a` keys of one tenant, then of the other, then the same for `o` keys.
        assert_eq!(runs, 3, "two kinds of key, two tenants each, four runs");
        assert!(texts.iter().all(|t| !t.contains(super::HELD_SEPARATOR)));
        // The migration from version 2 turns each key's text of version 2 into its text.
        for key in &keys {
            assert_eq!(v3_key_text(&v2_key_text(key)).unwrap(), key_text(key));
        }
    }
}
