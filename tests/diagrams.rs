//! The lifecycle diagrams of the guide are drawn from the transition tables, so that diagram
//! and code cannot drift apart.
//!
//! Each test writes the Graphviz DOT text of one table and compares it with the committed
//! `docs/diagrams/*.dot`; the committed SVG next to it must carry the CRC-32 of that DOT text
//! (it was rendered from it). After changing a table, run
//!
//! ```sh
//! CPOR_BLESS=1 cargo test --test diagrams
//! ```
//!
//! which rewrites the DOT files and renders the SVGs with Graphviz's `dot` (it must be
//! installed for that, e.g. `apt-get install graphviz`; plain test runs do not need it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use cpor::activity::{ACTIVITY_TRANSITIONS, ActivityIssuer, ActivityState, Condition};
use cpor::association::{AssociationState, Issuer, TRANSITIONS};

/// One arrow of a diagram: every command that leads from one state to another.
struct Arrow {
    lines: Vec<String>,
    issuers: Vec<&'static str>,
}

/// The words, colour and line style of each kind of issuer, shared by both diagrams.
fn style(issuer: &str) -> (&'static str, &'static str) {
    match issuer {
        "incentives admin" | "partner user" => ("#1f5fae", "solid"),
        "reviewer" => ("#1e7b34", "solid"),
        "customer" => ("#b45309", "solid"),
        _ => ("#6b7280", "dashed"),
    }
}

/// DOT text of a state machine: the states in lifecycle order (terminal ones doubly
/// outlined), a start point with the creating command, and one arrow per pair of states,
/// labelled with each command and who issues it.
fn dot(
    name: &str,
    states: &[(&str, bool)],
    create: &str,
    transitions: &[(&str, String, &'static str, &str)],
) -> String {
    let mut arrows: BTreeMap<(usize, usize), Arrow> = BTreeMap::new();
    let index = |s: &str| {
        states
            .iter()
            .position(|(n, _)| *n == s)
            .expect("a known state")
    };
    for (from, command, issuer, to) in transitions {
        let arrow = arrows.entry((index(from), index(to))).or_insert(Arrow {
            lines: Vec::new(),
            issuers: Vec::new(),
        });
        arrow.lines.push(format!("{command} ({issuer})"));
        if !arrow.issuers.contains(issuer) {
            arrow.issuers.push(issuer);
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated from the transition table by tests/diagrams.rs; do not edit."
    );
    let _ = writeln!(out, "digraph {name} {{");
    out.push_str(concat!(
        "    graph [fontname=\"Helvetica\", nodesep=0.4, ranksep=0.5];\n",
        "    node [shape=box, style=\"rounded,filled\", fillcolor=\"#f3f4f6\", ",
        "fontname=\"Helvetica\", fontsize=12];\n",
        "    edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n",
        "    start [shape=point, width=0.15, label=\"\"];\n",
    ));
    for (state, terminal) in states {
        let extra = if *terminal { ", peripheries=2" } else { "" };
        let _ = writeln!(out, "    {state} [label=\"{state}\"{extra}];");
    }
    let _ = writeln!(out, "    start -> {} [label=\"{create}\"];", states[0].0);
    for ((from, to), arrow) in &arrows {
        // An arrow issued by one kind of actor takes its colour; a shared arrow stays black.
        let (colour, line) = match arrow.issuers.as_slice() {
            [one] => style(one),
            _ => ("#111827", "solid"),
        };
        let label = arrow.lines.join("\\n");
        let _ = writeln!(
            out,
            "    {} -> {} [label=\"{label}\", color=\"{colour}\", fontcolor=\"{colour}\", style={line}];",
            states[*from].0, states[*to].0
        );
    }
    out.push_str("}\n");
    out
}

fn association_dot() -> String {
    let states: Vec<(&str, bool)> = AssociationState::ALL
        .iter()
        .map(|s| (s.as_str(), s.is_terminal()))
        .collect();
    let transitions: Vec<_> = TRANSITIONS
        .iter()
        .map(|t| {
            let issuer = match t.issuer {
                Issuer::IncentivesAdmin => "incentives admin",
                Issuer::Reviewer => "reviewer",
                Issuer::Customer => "customer",
                Issuer::System => "timer",
            };
            (
                t.from.as_str(),
                t.command.to_string(),
                issuer,
                t.to.as_str(),
            )
        })
        .collect();
    dot(
        "association",
        &states,
        "create (incentives admin)",
        &transitions,
    )
}

fn activity_dot() -> String {
    let states: Vec<(&str, bool)> = ActivityState::ALL
        .iter()
        .map(|s| (s.as_str(), s.is_terminal()))
        .collect();
    let transitions: Vec<_> = ACTIVITY_TRANSITIONS
        .iter()
        .map(|t| {
            let issuer = match t.issuer {
                ActivityIssuer::IncentivesAdmin => "incentives admin",
                ActivityIssuer::PartnerUser => "partner user",
                ActivityIssuer::Reviewer => "reviewer",
                ActivityIssuer::Customer => "customer",
                ActivityIssuer::System => "timer",
            };
            let command = match t.condition {
                Condition::Always => t.command.to_string(),
                Condition::NotDisputed => format!("{}, not disputed", t.command),
                Condition::Disputed => format!("{}, after a dispute", t.command),
            };
            (t.from.as_str(), command, issuer, t.to.as_str())
        })
        .collect();
    dot(
        "activity",
        &states,
        "add or claim customer (incentives admin)",
        &transitions,
    )
}

fn path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/diagrams")
        .join(file)
}

/// The first line of a committed SVG: the CRC-32 of the DOT text it was rendered from.
fn stamp(name: &str, dot: &str) -> String {
    format!(
        "<!-- rendered from {name}.dot, crc32 {:08x} -->",
        crc32fast::hash(dot.as_bytes())
    )
}

/// Renders `dot` to the SVG embedded in the rustdoc: one `<div>` HTML block with no blank
/// line, without the XML prolog.
fn render(name: &str, dot: &str) -> String {
    let output = Command::new("dot")
        .arg("-Tsvg")
        .arg(path(&format!("{name}.dot")))
        .output()
        .expect("Graphviz's `dot` is installed (needed with CPOR_BLESS=1 only)");
    assert!(output.status.success(), "dot failed");
    let svg = String::from_utf8(output.stdout).expect("UTF-8");
    let start = svg.find("<svg").expect("an <svg> element");
    let body: Vec<&str> = svg[start..]
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    format!(
        "{}\n<div class=\"cpor-diagram\" style=\"overflow-x: auto; background: white;\">\n{}\n</div>\n",
        stamp(name, dot),
        body.join("\n")
    )
}

#[track_caller]
fn check(name: &str, dot: &str) {
    let dot_path = path(&format!("{name}.dot"));
    let svg_path = path(&format!("{name}.svg"));
    if std::env::var_os("CPOR_BLESS").is_some() {
        std::fs::create_dir_all(path("")).expect("creates docs/diagrams");
        std::fs::write(&dot_path, dot).expect("writes the DOT file");
        std::fs::write(&svg_path, render(name, dot)).expect("writes the SVG file");
    }
    let committed = std::fs::read_to_string(&dot_path).unwrap_or_default();
    assert!(
        committed == dot,
        "docs/diagrams/{name}.dot differs from the transition table: run \
         `CPOR_BLESS=1 cargo test --test diagrams` and commit the files"
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap_or_default();
    assert!(
        svg.starts_with(&stamp(name, dot)),
        "docs/diagrams/{name}.svg was not rendered from the current {name}.dot: run \
         `CPOR_BLESS=1 cargo test --test diagrams` and commit the files"
    );
    assert!(
        !svg.lines().any(|line| line.trim().is_empty()),
        "a blank line would end the SVG's HTML block in the rustdoc"
    );
}

#[test]
fn association_diagram_is_drawn_from_the_table() {
    let dot = association_dot();
    for t in &TRANSITIONS {
        assert!(dot.contains(&format!("{} -> {}", t.from, t.to)));
        assert!(dot.contains(t.command.as_str()));
    }
    check("association", &dot);
}

#[test]
fn activity_diagram_is_drawn_from_the_table() {
    let dot = activity_dot();
    for t in &ACTIVITY_TRANSITIONS {
        assert!(dot.contains(&format!("{} -> {}", t.from, t.to)));
        assert!(dot.contains(t.command.as_str()));
    }
    check("activity", &dot);
}
