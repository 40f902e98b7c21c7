//! The JSON Schema of the catalog format, generated from the catalog types (test builds only).
//!
//! The derived types get `schemars::JsonSchema` under `cfg(test)`; the types with a
//! hand-written serde form get their schema here, written to match their one validator. The
//! test compares the generated schema with the committed `schemas/catalog.schema.json`; run
//! it with `CPOR_BLESS=1` to rewrite the file after changing a catalog type.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::key::{
    EngagementId, EngagementTypeId, MAX_KEY_LEN, ProgramYear, RoleId, SolutionAreaId,
    WorkloadGroupId, WorkloadId,
};
use super::{Catalog, Catalogs};
use crate::calendar::BusinessCalendar;
use crate::id::CustomerIdKind;
use crate::money::Usd;

/// Where the committed schema lives.
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/catalog.schema.json");

macro_rules! key_schema {
    ($($ty:ident: $example:literal),* $(,)?) => {$(
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": concat!(
                        "A key such as \"", $example, "\": lowercase ASCII letters, digits, ",
                        "'_', '-' and '.'."
                    ),
                    "pattern": format!("^[a-z0-9_.-]{{1,{MAX_KEY_LEN}}}$"),
                })
            }
        }
    )*};
}

key_schema!(
    SolutionAreaId: "business_applications",
    WorkloadGroupId: "security",
    WorkloadId: "teams_phone",
    EngagementId: "mws_usage",
    EngagementTypeId: "workshop",
    RoleId: "use_or_consume",
);

impl JsonSchema for ProgramYear {
    fn schema_name() -> Cow<'static, str> {
        "ProgramYear".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A Microsoft fiscal year such as \"FY26\", in any letter case.",
            "pattern": "^[Ff][Yy][0-9]{2}$",
        })
    }
}

impl JsonSchema for Usd {
    fn schema_name() -> Cow<'static, str> {
        "Usd".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An amount in US dollars, such as \"150.00\": digits, then optionally '.' and one or two digits.",
            "pattern": "^[0-9]+(\\.[0-9]{1,2})?$",
        })
    }
}

impl JsonSchema for CustomerIdKind {
    fn schema_name() -> Cow<'static, str> {
        "CustomerIdKind".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let kinds: Vec<&str> = CustomerIdKind::ALL.iter().map(|k| k.as_str()).collect();
        json_schema!({
            "type": "string",
            "description": "A kind of customer ID by which a customer may be nominated.",
            "enum": kinds,
        })
    }
}

impl JsonSchema for BusinessCalendar {
    fn schema_name() -> Cow<'static, str> {
        "BusinessCalendar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "The business-day calendar: weekdays that are never business days (at least one weekday must remain), and holidays.",
            "properties": {
                "weekend": {
                    "type": "array",
                    "description": "Weekdays off, as the crate writes them (the crate also reads full English names, in any letter case).",
                    "items": { "enum": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] },
                },
                "holidays": {
                    "type": "array",
                    "description": "Dates that are not business days, as YYYY-MM-DD.",
                    "items": { "type": "string", "format": "date" },
                },
            },
            "required": ["weekend", "holidays"],
            "additionalProperties": false,
        })
    }
}

impl JsonSchema for Catalog {
    fn schema_name() -> Cow<'static, str> {
        "Catalog".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        super::RawCatalog::json_schema(generator)
    }
}

impl JsonSchema for Catalogs {
    fn schema_name() -> Cow<'static, str> {
        "Catalogs".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let catalog = generator.subschema_for::<super::RawCatalog>();
        json_schema!({
            "title": "cpor catalogs",
            "description": "One catalog (an object), or the catalogs of several program years (an array, one catalog per year), as cpor reads them. The crate checks more than this schema says: every reference resolves, ids are unique, roles map to CPOR engagements of their own solution area, deadlines are at least one day, and variable pay nominates customers by MSX opportunity ID only.",
            "oneOf": [
                catalog,
                { "type": "array", "items": catalog, "minItems": 1 },
            ],
        })
    }
}

/// The schema as the catalog types describe it today.
fn generated() -> String {
    let schema = schemars::schema_for!(Catalogs);
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let schema = generated();
    if std::env::var_os("CPOR_BLESS").is_some() {
        std::fs::write(PATH, &schema).expect("writes the schema");
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        committed == schema,
        "schemas/catalog.schema.json is out of date with the catalog types: run \
         `CPOR_BLESS=1 cargo test --lib catalog::schema` and commit the file"
    );
}
