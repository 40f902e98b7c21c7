//! The table of error codes in the module docs, checked against the code: every variant of
//! every error type is built here, and its code, kind and retryability must be the table's;
//! every code a `code()` of the crate's source spells out must be in the table; and no
//! message prints a Rust `Debug` form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

use super::ErrorKind;
use crate::catalog::{KeyError, KeyField};
use crate::id::{IdErrorKind, IdField};

/// The module's source, whose docs hold the table.
const DOCS: &str = include_str!("../error.rs");

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    kind: ErrorKind,
    retryable: bool,
}

/// What one error value says of itself.
#[derive(Debug)]
struct Sample {
    code: &'static str,
    row: Row,
    message: String,
}

macro_rules! sample {
    ($e:expr) => {{
        let e = $e;
        $crate::error::tests::Sample {
            code: e.code(),
            row: $crate::error::tests::Row {
                kind: e.kind(),
                retryable: e.is_retryable(),
            },
            message: e.to_string(),
        }
    }};
}

fn kind_named(name: &str) -> ErrorKind {
    ErrorKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or_else(|| panic!("the table names the unknown kind {name:?}"))
}

/// The rows of the table: `| `code` | `kind` | yes/no | meaning |`.
fn table() -> BTreeMap<String, Row> {
    let row = Regex::new(r"^//! \| `([^`]+)` \| `([a-z_]+)` \| (yes|no) \| [^|]+ \|$").unwrap();
    let mut rows = BTreeMap::new();
    for line in DOCS.lines().filter(|l| l.starts_with("//! | `")) {
        let c = row
            .captures(line)
            .unwrap_or_else(|| panic!("a table row of another shape: {line}"));
        let parsed = Row {
            kind: kind_named(&c[2]),
            retryable: &c[3] == "yes",
        };
        assert!(
            rows.insert(c[1].to_owned(), parsed).is_none(),
            "{} twice in the table",
            &c[1]
        );
    }
    rows
}

/// The values the docs list for a part of the pattern codes, such as `{id}`.
fn parts(part: &str) -> BTreeSet<String> {
    let start = format!("//! - `{part}`: ");
    let mut text = String::new();
    let mut inside = false;
    for line in DOCS.lines() {
        if line.starts_with(&start) {
            inside = true;
            text.push_str(&line[start.len()..]);
        } else if inside && line.starts_with("//!   ") {
            text.push(' ');
            text.push_str(&line[6..]);
        } else if inside {
            break;
        }
    }
    let tick = Regex::new(r"`([^`]+)`").unwrap();
    let values: BTreeSet<String> = tick.captures_iter(&text).map(|c| c[1].to_owned()).collect();
    assert!(!values.is_empty(), "the docs list no value of {part}");
    values
}

mod commands;
mod values;

use crate::association::FormErrors;
use commands::{ACTORS, activity_errors, association_errors, service_errors, store_errors};
use values::{
    catalog_samples, claim_samples, form_problems, id_fields, id_reasons, key_fields, key_reasons,
    value_samples,
};

/// One sample of every variant of every error type of the crate.
fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    value_samples(&mut out);
    catalog_samples(&mut out);
    for p in form_problems() {
        out.push(sample!(p));
    }
    out.push(sample!(FormErrors::from_problems(form_problems())));
    claim_samples(&mut out);
    out.extend(association_errors().into_iter().map(|e| sample!(e)));
    out.extend(activity_errors().into_iter().map(|e| sample!(e)));
    out.extend(store_errors().into_iter().map(|e| sample!(e)));
    out.extend(service_errors().into_iter().map(|e| sample!(e)));
    out
}

/// The code's row: its own, or the pattern row of identifier or key codes.
fn row_of<'t>(table: &'t BTreeMap<String, Row>, code: &str) -> Option<&'t Row> {
    if let Some(row) = table.get(code) {
        return Some(row);
    }
    let split = |fields: &BTreeSet<String>, reasons: &BTreeSet<String>| {
        fields.iter().any(|f| {
            code.strip_prefix(f.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|reason| reasons.contains(reason))
        })
    };
    if split(&parts("{id}"), &parts("{reason}")) {
        return table.get("{id}.{reason}");
    }
    if split(&parts("{key}"), &parts("{key_reason}")) {
        return table.get("{key}.{key_reason}");
    }
    None
}

#[test]
fn every_error_agrees_with_the_table() {
    let table = table();
    let mut used = BTreeSet::new();
    for s in samples() {
        let row = row_of(&table, s.code)
            .unwrap_or_else(|| panic!("{} ({}) is not in the table of codes", s.code, s.message));
        assert_eq!(
            *row, s.row,
            "{}: the table says {row:?}, the code says {:?}",
            s.code, s.row
        );
        used.insert(s.code);
    }
    for code in table.keys().filter(|c| !c.starts_with('{')) {
        assert!(
            used.contains(code.as_str()),
            "the table lists {code}, which no error returns"
        );
    }
}

#[test]
fn the_pattern_parts_are_the_codes_of_the_fields_and_reasons() {
    let codes =
        |v: Vec<&'static str>| -> BTreeSet<String> { v.into_iter().map(str::to_owned).collect() };
    assert_eq!(
        parts("{id}"),
        codes(id_fields().into_iter().map(IdField::code).collect())
    );
    assert_eq!(
        parts("{reason}"),
        codes(id_reasons().iter().map(IdErrorKind::code).collect())
    );
    assert_eq!(
        parts("{key}"),
        codes(key_fields().into_iter().map(KeyField::code).collect())
    );
    let key_reasons = key_reasons()
        .into_iter()
        .map(|r| {
            KeyError::new(KeyField::RoleId, r, "x")
                .code()
                .trim_start_matches("role_id.")
        })
        .collect();
    assert_eq!(parts("{key_reason}"), codes(key_reasons));
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
}

/// The bodies of the `fn code(` functions of `text`.
fn code_bodies(text: &str) -> Vec<&str> {
    let mut bodies = Vec::new();
    for (at, _) in text.match_indices("fn code(") {
        let rest = &text[at..];
        let Some(open) = rest.find('{') else { continue };
        let mut depth = 0_usize;
        for (i, ch) in rest[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        bodies.push(&rest[open..=open + i]);
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    bodies
}

#[test]
fn every_code_in_the_source_is_in_the_table() {
    let table = table();
    let ids = parts("{id}");
    let literal = Regex::new(r#""([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)""#).unwrap();
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut found = 0;
    for (path, text) in &files {
        if path.contains("/error/tests") {
            continue;
        }
        for body in code_bodies(text) {
            for c in literal.captures_iter(body) {
                let code = &c[1];
                found += 1;
                // `email.domain` is the prefix of the email domain's identifier codes.
                assert!(
                    table.contains_key(code) || ids.contains(code),
                    "{path}: the code {code} is not in the table of codes"
                );
            }
        }
    }
    assert!(found > 120, "only {found} codes found in the source");
}

#[test]
fn no_message_prints_a_debug_form() {
    let camel = Regex::new(r"\b[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*\b").unwrap();
    for s in samples() {
        let m = &s.message;
        for shape in ["{ ", " }", "Some(", "None", "Ok(", "Err(", "[\"", "\"]"] {
            assert!(!m.contains(shape), "{}: {m:?} has {shape:?}", s.code);
        }
        assert!(!camel.is_match(m), "{}: {m:?} has a CamelCase name", s.code);
        assert!(
            !ACTORS
                .iter()
                .any(|a| a.as_str().contains('_') && m.contains(a.as_str())),
            "{}: {m:?} names an actor by its code",
            s.code
        );
    }
}

#[test]
fn kinds_serialize_as_their_names() {
    for kind in ErrorKind::ALL {
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::Value::String(kind.as_str().to_owned())
        );
        assert_eq!(kind.to_string(), kind.as_str());
    }
}
