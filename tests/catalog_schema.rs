//! The published JSON Schema of the catalog format (`schemas/catalog.schema.json`) accepts the
//! built-in catalogs and what the crate writes, and refuses what the crate refuses for its
//! shape.
//!
//! The schema is checked by a small validator of the keywords the schema uses (a JSON Schema
//! crate would cost more build time than the whole test). A keyword it does not know fails
//! the test, so a schema that grows a new keyword cannot be half-checked. That the schema is
//! up to date with the catalog types is tested in the library (`catalog::schema`).

use cpor::catalog::{Catalog, Catalogs};
use regex::Regex;
use serde_json::{Map, Value, json};

const SCHEMA: &str = include_str!("../schemas/catalog.schema.json");
const BUILTIN: &str = include_str!("../catalogs/builtin.json");

/// Keywords that only annotate.
const ANNOTATIONS: [&str; 6] = [
    "$schema",
    "title",
    "description",
    "default",
    "format",
    "$defs",
];

struct Checker {
    root: Value,
}

impl Checker {
    fn new() -> Self {
        Self {
            root: serde_json::from_str(SCHEMA).expect("the schema is JSON"),
        }
    }

    /// The problems of `value` against the root schema; empty if it conforms.
    fn problems(&self, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.check(&self.root, value, "$", &mut problems);
        problems
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return out.push(format!("{at}: nothing is allowed")),
            Value::Object(schema) => schema,
            other => panic!("not a schema: {other}"),
        };
        for (keyword, arg) in schema {
            match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "$ref" => {
                    let name = arg
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/$defs/"))
                        .expect("a local $ref");
                    let target = &self.root["$defs"][name];
                    assert!(!target.is_null(), "unresolved $ref {name}");
                    self.check(target, value, at, out);
                }
                "type" => {
                    let ok = match arg.as_str().expect("one type") {
                        "object" => value.is_object(),
                        "array" => value.is_array(),
                        "string" => value.is_string(),
                        "integer" => value.is_i64() || value.is_u64(),
                        "number" => value.is_number(),
                        "boolean" => value.is_boolean(),
                        "null" => value.is_null(),
                        other => panic!("unknown type {other}"),
                    };
                    if !ok {
                        out.push(format!("{at}: {value} is not of type {arg}"));
                    }
                }
                "const" => {
                    if value != arg {
                        out.push(format!("{at}: {value} is not {arg}"));
                    }
                }
                "enum" => {
                    if !arg.as_array().expect("enum list").contains(value) {
                        out.push(format!("{at}: {value} is not one of {arg}"));
                    }
                }
                "pattern" => {
                    let re = Regex::new(arg.as_str().expect("pattern")).expect("a regex");
                    if let Some(text) = value.as_str().filter(|t| !re.is_match(t)) {
                        out.push(format!("{at}: {text:?} does not match {arg}"));
                    }
                }
                "minimum" => {
                    let min = arg.as_f64().expect("number");
                    if value.as_f64().is_some_and(|v| v < min) {
                        out.push(format!("{at}: {value} is below {min}"));
                    }
                }
                "minItems" => {
                    let min = arg.as_u64().expect("count");
                    if value.as_array().is_some_and(|a| (a.len() as u64) < min) {
                        out.push(format!("{at}: fewer than {min} items"));
                    }
                }
                "items" => {
                    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                        self.check(arg, item, &format!("{at}[{i}]"), out);
                    }
                }
                "required" => {
                    if let Some(object) = value.as_object() {
                        for name in arg.as_array().expect("names") {
                            let name = name.as_str().expect("a name");
                            if !object.contains_key(name) {
                                out.push(format!("{at}: missing {name:?}"));
                            }
                        }
                    }
                }
                "properties" => {
                    let properties = arg.as_object().expect("properties");
                    for (name, field) in value.as_object().into_iter().flatten() {
                        if let Some(schema) = properties.get(name) {
                            self.check(schema, field, &format!("{at}.{name}"), out);
                        }
                    }
                }
                "additionalProperties" => {
                    assert_eq!(arg, &Value::Bool(false), "only `false` is supported");
                    let known = schema.get("properties").and_then(Value::as_object);
                    for name in value.as_object().map(Map::keys).into_iter().flatten() {
                        if !known.is_some_and(|k| k.contains_key(name)) {
                            out.push(format!("{at}: unknown field {name:?}"));
                        }
                    }
                }
                "oneOf" | "anyOf" => {
                    let passing = arg
                        .as_array()
                        .expect("schemas")
                        .iter()
                        .filter(|s| {
                            let mut inner = Vec::new();
                            self.check(s, value, at, &mut inner);
                            inner.is_empty()
                        })
                        .count();
                    let ok = if keyword == "oneOf" {
                        passing == 1
                    } else {
                        passing >= 1
                    };
                    if !ok {
                        out.push(format!("{at}: {passing} of the {keyword} schemas match"));
                    }
                }
                other => panic!("the checker does not know the keyword {other:?}"),
            }
        }
    }
}

#[test]
fn the_builtin_catalogs_match_the_schema() {
    let checker = Checker::new();
    let builtin: Value = serde_json::from_str(BUILTIN).expect("JSON");
    assert_eq!(checker.problems(&builtin), Vec::<String>::new());
    // One catalog on its own, as a user's file of one program year.
    for catalog in builtin.as_array().expect("an array") {
        assert_eq!(checker.problems(catalog), Vec::<String>::new());
    }
}

#[test]
fn what_the_crate_writes_matches_the_schema() {
    let checker = Checker::new();
    for value in [
        serde_json::to_value(Catalogs::builtin()).expect("writes"),
        serde_json::to_value(Catalog::fy26()).expect("writes"),
        json!({ "program_year": "fy27" }),
    ] {
        assert_eq!(checker.problems(&value), Vec::<String>::new(), "{value}");
    }
}

/// Shapes the crate refuses are refused by the schema too.
#[test]
fn the_schema_refuses_what_the_crate_refuses_for_its_shape() {
    let checker = Checker::new();
    let fy26 = serde_json::to_value(Catalog::fy26()).expect("writes");
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut value = fy26.clone();
        edit(&mut value);
        value
    };
    let cases: Vec<(&str, Value)> = vec![
        ("no program year", json!({ "roles": [] })),
        (
            "unknown field",
            json!({ "program_year": "FY26", "colour": "blue" }),
        ),
        ("bad year", json!({ "program_year": "2026" })),
        ("empty list of catalogs", json!([])),
        (
            "key with a capital",
            broken(&|v| v["roles"][0]["id"] = json!("Use_or_consume")),
        ),
        (
            "unknown engagement family",
            broken(&|v| v["engagements"][0]["kind"]["type"] = json!("coop")),
        ),
        (
            "amount with three decimals",
            broken(&|v| {
                let mci = v["engagements"]
                    .as_array_mut()
                    .expect("engagements")
                    .iter_mut()
                    .find(|e| e["kind"]["payout"]["type"] == "variable")
                    .expect("a variable-pay engagement");
                mci["kind"]["payout"]["hourly_rate"] = json!("150.001");
            }),
        ),
        (
            "unknown customer ID kind",
            broken(&|v| {
                let mci = v["engagements"]
                    .as_array_mut()
                    .expect("engagements")
                    .iter_mut()
                    .find(|e| e["kind"]["type"] == "mci")
                    .expect("an MCI engagement");
                mci["kind"]["allowed_id_kinds"] = json!(["email"]);
            }),
        ),
        (
            "negative deadline",
            broken(&|v| v["engagement_types"][0]["deadlines"]["consent_days"] = json!(-1)),
        ),
    ];
    for (what, value) in cases {
        assert!(
            !checker.problems(&value).is_empty(),
            "{what}: accepted by the schema"
        );
        assert!(
            serde_json::from_value::<Catalogs>(value.clone()).is_err()
                && serde_json::from_value::<Catalog>(value).is_err(),
            "{what}: accepted by the crate"
        );
    }
}
