//! A rule kind is one file and one line: `max-length` (tests/kinds/max_length.rs) is defined
//! outside the crate, registered in [`KINDS`], and judges real packet files through the
//! library's normal entry points (config → discover → engine), as the CLI does. Without the
//! line, the same policy is a config error at load, never a rule silently dropped. And every
//! built-in kind has one id, documented in docs/configuration.md.

#[path = "kinds/max_length.rs"]
mod max_length;

use packetgate::config::{self, ConfigError};
use packetgate::dates::Date;
use packetgate::discover;
use packetgate::engine::{self, Options};
use packetgate::finding::{Severity, Verdict};
use packetgate::rules::{KindSpec, Kinds, REGISTRY};
use std::path::{Path, PathBuf};

/// The kinds this program adds to packetgate's built-in ones: one line each.
const KINDS: &[&KindSpec] = &[&max_length::MAX_LENGTH];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rule-kind")
}

fn options() -> Options {
    Options {
        today: Date::parse("2026-11-20").expect("a date"),
        fail_on: Severity::Error,
        max_age_days: None,
        links_not_opened: Some("--offline".to_string()),
        keep_lines: false,
        link_sink: None,
        limits: Default::default(),
        deadline: None,
    }
}

#[test]
fn a_kind_added_outside_the_crate_judges_packets() {
    let root = repo();
    let config = config::load_with_kinds(&root, Some(&root.join(".packetgate.yml")), KINDS)
        .expect("the policy loads with `max-length` registered");
    let candidates =
        discover::from_paths(&config, &[root.join("packets")]).expect("the packets are found");
    let report = engine::run(&config, &candidates, &options());

    let mut found: Vec<String> = report
        .packets
        .iter()
        .flat_map(|p| {
            let file = p.path.rsplit('/').next().unwrap_or(&p.path).to_string();
            p.findings.iter().map(move |f| {
                format!(
                    "{file}:{}:{} {} {} {}",
                    f.line,
                    f.column,
                    f.field.as_deref().unwrap_or("-"),
                    f.rule,
                    f.severity
                )
            })
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "long.yml:2:8 title title-length error",
            "notes.md:4:10 summary summary-length warning",
        ]
    );
    let long = report
        .packets
        .iter()
        .find(|p| p.path.ends_with("long.yml"))
        .expect("long.yml is judged");
    assert_eq!(
        long.findings[0].message,
        "`title` is 56 characters long; at most 40 fit"
    );
    let verdicts: Vec<(&str, Verdict)> = report
        .packets
        .iter()
        .map(|p| (p.path.rsplit('/').next().unwrap_or(&p.path), p.verdict))
        .collect();
    assert!(
        verdicts.contains(&("short.yml", Verdict::Pass)),
        "{verdicts:?}"
    );
    assert!(
        verdicts.contains(&("notes.md", Verdict::Pass)),
        "{verdicts:?}"
    );
    assert!(
        verdicts.contains(&("long.yml", Verdict::Fail)),
        "{verdicts:?}"
    );
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn the_same_policy_without_the_kind_is_a_config_error() {
    let root = repo();
    let err = config::load(&root, Some(&root.join(".packetgate.yml")))
        .expect_err("`max-length` is no built-in kind");
    let ConfigError::Invalid { problems } = &err else {
        panic!("not a config problem: {err}");
    };
    let lines: Vec<&str> = problems.0.iter().map(String::as_str).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, at) in lines.iter().zip(["13:11", "18:11"]) {
        assert!(
            line.ends_with(&format!(
                "policies/release-note.yml:{at}: unknown rule kind `max-length`"
            )),
            "{line}"
        );
    }
}

#[test]
fn every_built_in_kind_has_one_id_and_a_doc_entry() {
    let mut ids: Vec<&str> = REGISTRY.iter().map(|k| k.id).collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "two kinds share an id: {ids:?}");

    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .expect("docs/configuration.md");
    let table = docs
        .split("### Rule kinds")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .expect("docs/configuration.md has a `Rule kinds` section");
    for id in ids {
        assert!(
            table.contains(&format!("\n| `{id}` |")),
            "rule kind `{id}` has no row in the `Rule kinds` table of docs/configuration.md"
        );
    }
}

#[test]
#[should_panic(expected = "rule kind `enum` is registered twice")]
fn an_added_kind_cannot_take_a_built_in_id() {
    static ENUM_AGAIN: KindSpec = KindSpec {
        id: "enum",
        keys: &[],
        decode: |_, _| None,
    };
    let _ = Kinds::with(&[&ENUM_AGAIN]);
}
