//! Local use before pushing: `check --only-packets`, and the hooks in `.pre-commit-hooks.yaml`
//! run the way the pre-commit framework runs them (the entry, then the staged files that match
//! `files`, by name, from the repository root).

mod support;

use packetgate::yaml::{self, Node};
use regex::Regex;
use std::fs;
use support::{bin, check_json, finding_lines, root, scratch, Run};

#[test]
fn only_packets_skips_named_files_that_are_not_packets() {
    let dir = scratch("only-packets");
    fs::copy(
        root().join("examples/valid/cost-trace-summarizer.yaml"),
        dir.join("trace.yaml"),
    )
    .unwrap();
    fs::write(dir.join("notes.yaml"), "title: not a packet\n").unwrap();
    fs::write(dir.join("README.md"), "# Budget packets\n").unwrap();

    // Named without the flag, a file that is no packet is a finding.
    let (code, json) = check_json(&dir, &["trace.yaml", "notes.yaml"]);
    assert_eq!(code, 1);
    let notes = &json["packets"][1];
    assert_eq!(notes["path"], "notes.yaml");
    assert_eq!(finding_lines(notes), ["1:1 packet-kind packet"]);

    // With it, the file is skipped silently, as in a folder scan; the packet is still judged.
    let (code, json) = check_json(
        &dir,
        &["--only-packets", "trace.yaml", "notes.yaml", "README.md"],
    );
    assert_eq!(code, 0, "{json}");
    let packets = json["packets"].as_array().unwrap();
    assert_eq!(packets.len(), 1, "{json}");
    assert_eq!(packets[0]["path"], "trace.yaml");
    assert_eq!(packets[0]["verdict"], "pass");

    // A failing packet still fails, and a file a config glob claims is still a packet.
    fs::copy(
        root().join("examples/invalid/cost-trace-pass-with-exception.yaml"),
        dir.join("bad.yaml"),
    )
    .unwrap();
    fs::create_dir_all(dir.join("traces")).unwrap();
    fs::write(dir.join("traces/draft.yaml"), "workload: summarizer\n").unwrap();
    fs::write(
        dir.join(".packetgate.yml"),
        "packets:\n  - path: 'traces/**'\n    kind: cost-trace\n",
    )
    .unwrap();
    let (code, json) = check_json(
        &dir,
        &[
            "--only-packets",
            "notes.yaml",
            "bad.yaml",
            "traces/draft.yaml",
        ],
    );
    assert_eq!(code, 1);
    let judged: Vec<(&str, &str)> = json["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        judged,
        [("bad.yaml", "fail"), ("traces/draft.yaml", "fail")]
    );
}

/// The hooks of `.pre-commit-hooks.yaml`, by id.
fn hooks() -> Vec<Node> {
    let text = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let doc = yaml::parse(&text, yaml::Limits::default()).unwrap();
    doc.root.unwrap().as_seq().unwrap().to_vec()
}

fn text<'a>(hook: &'a Node, key: &str) -> &'a str {
    hook.get(key)
        .and_then(Node::as_str)
        .unwrap_or_else(|| panic!("hook has no `{key}`"))
}

/// Runs a hook as pre-commit does: its entry (with the built binary), then the files that
/// match its `files` pattern, in `dir`.
fn run_hook(hook: &Node, dir: &std::path::Path, staged: &[&str]) -> Run {
    let files = Regex::new(text(hook, "files")).unwrap();
    let mut words = text(hook, "entry").split_whitespace();
    assert_eq!(words.next(), Some("packetgate"));
    bin()
        .current_dir(dir)
        .args(words)
        .args(staged.iter().filter(|f| files.is_match(f)))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
        .into()
}

#[test]
fn pre_commit_hooks_judge_the_staged_packets() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| text(h, "id")).collect();
    assert_eq!(ids, ["packetgate", "packetgate-links"]);
    for hook in &hooks {
        assert_eq!(text(hook, "language"), "rust");
        assert_eq!(text(hook, "files"), r"\.(ya?ml|md)$");
        assert_eq!(
            hook.get("pass_filenames").and_then(Node::as_bool),
            Some(true)
        );
    }
    assert_eq!(
        text(&hooks[0], "entry"),
        "packetgate check --offline --only-packets"
    );
    assert_eq!(text(&hooks[1], "entry"), "packetgate check --only-packets");
    let stages = hooks[1].get("stages").and_then(Node::as_seq).unwrap();
    assert_eq!(stages.len(), 1);
    assert_eq!(stages[0].as_str(), Some("manual"));

    // A commit touching a packet, a workflow, a README and a script. The hook runs on the
    // real clock, so the packet's dates are today's.
    let dir = scratch("pre-commit-hook");
    let today = packetgate::dates::Date::today_utc().to_string();
    let trace = fs::read_to_string(root().join("examples/valid/cost-trace-summarizer.yaml"))
        .unwrap()
        .replace("2026-11-14", &today);
    fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    fs::write(dir.join("trace.yaml"), trace).unwrap();
    fs::write(dir.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    fs::write(dir.join("README.md"), "# Budget packets\n").unwrap();
    fs::write(dir.join("build.sh"), "#!/bin/sh\n").unwrap();
    let staged = [
        "trace.yaml",
        ".github/workflows/ci.yml",
        "README.md",
        "build.sh",
    ];
    let r = run_hook(&hooks[0], &dir, &staged);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("PASS trace.yaml (cost-trace)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("pass: 1 packet checked, 1 passed"),
        "{}",
        r.stdout
    );

    // Staging a broken packet fails the commit, with the finding at its line.
    fs::copy(
        root().join("examples/invalid/not-a-packet-kind.yaml"),
        dir.join("typo.yaml"),
    )
    .unwrap();
    let r = run_hook(&hooks[0], &dir, &["typo.yaml", "README.md"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("typo.yaml:2:9"), "{}", r.stdout);
}

#[test]
fn pre_commit_judges_packets_by_their_yaml_not_by_a_line() {
    let hooks = hooks();
    let dir = scratch("pre-commit-detection");
    let today = packetgate::dates::Date::today_utc().to_string();
    // A packet whose key is quoted, a document that shows an example packet in a fenced
    // block, and a big data file whose `packet` keys are nested.
    let trace = fs::read_to_string(root().join("examples/valid/cost-trace-summarizer.yaml"))
        .unwrap()
        .replace("2026-11-14", &today)
        .replacen("packet: cost-trace", "\"packet\": cost-trace", 1);
    fs::write(dir.join("trace.yaml"), trace).unwrap();
    fs::create_dir_all(dir.join("docs")).unwrap();
    fs::write(
        dir.join("docs/packets.md"),
        "# Writing a packet\n\n```yaml\npacket: budget-change\nchange_id: CHG-1\n```\n",
    )
    .unwrap();
    let rows: String = (0..40_000)
        .map(|i| format!("  - packet: {{id: {i}}}\n"))
        .collect();
    fs::write(dir.join("docs/data.yaml"), format!("rows:\n{rows}")).unwrap();
    let staged = ["trace.yaml", "docs/packets.md", "docs/data.yaml"];
    let r = run_hook(&hooks[0], &dir, &staged);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("pass: 1 packet checked, 1 passed"),
        "{}",
        r.stdout
    );

    // The quoted key with a broken line after it fails the commit at that line.
    fs::write(
        dir.join("broken.yaml"),
        "'packet': cost-trace\nowner: [unclosed\n",
    )
    .unwrap();
    let r = run_hook(&hooks[0], &dir, &["broken.yaml", "docs/packets.md"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("broken.yaml:2:8"), "{}", r.stdout);
    assert!(r.stdout.contains("yaml-syntax"), "{}", r.stdout);
}
