//! What the fuzz campaign (`scripts/fuzz.sh`) found, kept: each input in
//! `tests/fixtures/fuzz-regressions/` runs through the fuzz targets' own harness
//! (`fuzz/src/harness.rs`, included here, so the invariants are exactly the ones the fuzzer
//! checks) and, for packets, through the binary, with the finding it must produce. The seed
//! corpus (`fuzz/seeds/`) must hold every invariant too.

mod support;

#[path = "../fuzz/src/harness.rs"]
mod harness;

use packetgate::engine::PacketReport;
use packetgate::finding::{Finding, Severity};

const DIR: &str = "tests/fixtures/fuzz-regressions";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(support::root().join(DIR).join(name)).expect("fixture")
}

/// Loads and judges a fixture through the fuzz targets' harness, every invariant checked.
fn judge_fixture(name: &str) -> PacketReport {
    let bytes = fixture(name);
    harness::load_packet(&bytes);
    let opts = harness::options(harness::today(), Severity::Error, None);
    harness::judge(
        harness::builtin(),
        &harness::candidate(name, None),
        &bytes,
        &opts,
    )
}

fn positions(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{}:{} {}", f.line, f.column, f.rule))
        .collect()
}

/// Found by the `packet` target (and by `policy`, in a config): a flow collection left open
/// on the last line, with no line break after it (`owner: [a`). The parser gives up on a
/// line past the end of the text; the code that points the error at the open bracket
/// indexed that line and panicked. The engine's worker thread swallowed the panic, so
/// `packetgate check` printed "0 packets checked" and exited 0: the malformed packet, and
/// every packet that worker had judged, passed.
#[test]
fn unclosed_bracket_on_the_last_line_is_a_finding() {
    let name = "unclosed-bracket-at-end.yaml";
    let r = judge_fixture(name);
    assert_eq!(
        positions(&r.findings),
        ["2:8 yaml-syntax"],
        "{:?}",
        r.findings
    );
    assert!(
        r.findings[0]
            .message
            .contains("`[` opened here is never closed"),
        "{:?}",
        r.findings
    );

    // The binary, as a pull request would meet it: a failing packet, not a pass.
    let path = format!("{DIR}/{name}");
    let (code, json) = support::check_json(&support::root(), &[&path]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        support::finding_lines(&json["packets"][0]),
        ["2:8 yaml-syntax -"]
    );
}

/// Found by the `packet` target: keys made of brackets (`work[[[…]]]acket`, `own[[]]]-]]]t`).
/// Field paths read `[digits]` after a name as a list index; a key holding a `]` before any
/// `[` sliced the key backwards and panicked. Each such key is an unknown field like any
/// other, named in full.
#[test]
fn keys_holding_brackets_are_unknown_fields() {
    let name = "keys-holding-brackets.yaml";
    let r = judge_fixture(name);
    let unknown: Vec<(u32, &str)> = r
        .findings
        .iter()
        .filter(|f| f.rule == "unknown-field")
        .map(|f| (f.line, f.field.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(unknown.len(), 5, "{unknown:?}");
    assert!(
        unknown[0].1.starts_with("work[[[[") && unknown[0].1.ends_with("]]acket"),
        "{unknown:?}"
    );
    assert!(unknown[1].1.starts_with("own[[[[[[]]]"), "{unknown:?}");

    let path = format!("{DIR}/{name}");
    let (code, json) = support::check_json(&support::root(), &[&path]);
    assert_eq!(code, 1, "{json}");
    let lines = support::finding_lines(&json["packets"][0]);
    assert_eq!(lines.len(), r.findings.len(), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("4:1 unknown-field work[[[")),
        "{lines:?}"
    );
}

/// Found by the `evaluate` target: a URL password the file writes with escapes inside a
/// double-quoted value (`"ftp://oda:\u0000s?\u0001…pp@…"`). The line scan found the escaped
/// spelling and the value scan the decoded one at the same place; the shorter decoded one was
/// dropped as "inside the longer hit", so the masker never learnt it, and the `url-https`
/// message repeated the decoded password (JSON escapes its NUL characters back into the very
/// spelling the file shows). Now both spellings are masked.
#[test]
fn an_escaped_url_password_is_masked_in_every_spelling() {
    let name = "url-password-with-escapes.yaml";
    let bytes = fixture(name);
    let today = packetgate::dates::Date::parse("1944-11-18").expect("date");
    let opts = harness::options(today, Severity::Warning, None);
    let r = harness::judge(
        harness::builtin(),
        &harness::candidate(name, Some("cost-trace")),
        &bytes,
        &opts,
    );
    let https = r
        .findings
        .iter()
        .find(|f| f.rule == "url-https")
        .expect("url-https finding");
    assert!(!https.message.contains("\0\0pp"), "{https:?}");
    assert!(https.message.contains("****"), "{https:?}");
    assert!(positions(&r.findings).contains(&"5:44 secret-in-packet".to_string()));

    // The binary: the password shows in no output format.
    let path = format!("{DIR}/{name}");
    for format in ["json", "human", "sarif", "github"] {
        let run = support::run_in(
            &support::root(),
            &[
                "check",
                "--offline",
                "--today",
                "1944-11-18",
                "--fail-on",
                "warning",
                "--format",
                format,
                &path,
            ],
        );
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        for spelling in ["\\u0000\\u0000pp", "\\u0001", "\0\0pp", "\u{1}"] {
            assert!(
                !run.stdout.contains(spelling),
                "{format} shows {spelling:?}:\n{}",
                run.stdout
            );
        }
    }
}

/// The same mistake in `.packetgate.yml` (the `policy` target's input, verbatim) and in a
/// repository policy: a broken config listing the problem at its line, not a panic.
#[test]
fn unclosed_bracket_in_a_config_or_policy_is_a_problem() {
    let config =
        String::from_utf8_lossy(&fixture("config-unclosed-bracket-at-end.yml")).into_owned();
    let problems = harness::load_config(&config, &[]).expect_err("the config is broken");
    assert!(
        problems
            .contains(".packetgate.yml:1:11: YAML syntax error: `[` opened here is never closed"),
        "{problems}"
    );

    let policy =
        String::from_utf8_lossy(&fixture("policy-unclosed-bracket-at-end.yml")).into_owned();
    let problems = harness::load_config("policies: [fuzz.yml]\n", &[("fuzz.yml", &policy)])
        .expect_err("the policy is broken");
    assert!(
        problems.contains("fuzz.yml:3:9: YAML syntax error: `{` opened here is never closed"),
        "{problems}"
    );
    // Both inputs as the `policy` target runs them, every invariant checked.
    for name in [
        "config-unclosed-bracket-at-end.yml",
        "policy-unclosed-bracket-at-end.yml",
    ] {
        let _ = harness::policy_and_config(&fixture(name));
    }
}

/// Every seed of the `packet` and `policy` targets holds every invariant (what the campaign
/// starts from; a change that breaks one fails here before it reaches a fuzzer).
#[test]
fn seed_corpus_holds_every_invariant() {
    let seeds = support::root().join("fuzz/seeds");
    let opts = harness::options(harness::today(), Severity::Error, None);
    let files = |target: &str| {
        let mut v: Vec<_> = std::fs::read_dir(seeds.join(target))
            .expect("seed folder")
            .map(|e| e.expect("entry").path())
            .collect();
        v.sort();
        v
    };
    let packets = files("packet");
    assert!(packets.len() >= 100, "{} packet seeds", packets.len());
    for path in &packets {
        let bytes = std::fs::read(path).expect("seed");
        harness::load_packet(&bytes);
        for name in ["seed.yaml", "seed.md"] {
            harness::judge(
                harness::builtin(),
                &harness::candidate(name, None),
                &bytes,
                &opts,
            );
        }
    }
    for path in files("policy") {
        let bytes = std::fs::read(&path).expect("seed");
        let loaded = harness::policy_and_config(&bytes);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // The seeds that are meant to load do.
        if name.starts_with("config--full") || name.starts_with("config--minimal") {
            assert!(loaded[0].is_ok(), "{name}: {:?}", loaded[0]);
        }
        if name.starts_with("repo-policy--acme") || name.starts_with("repo-policy--new-kind") {
            assert!(loaded[1].is_ok(), "{name}: {:?}", loaded[1]);
        }
    }
}
