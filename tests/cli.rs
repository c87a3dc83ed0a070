//! The binary as a user drives it: examples, exit codes, every output format, secrets never
//! printed, repository config and policy extension, `--changed-since` on a real git repo.

mod support;

use std::fs;
use std::path::Path;
use support::{check, check_json, finding_lines, root, run_in, scratch};

const LEAKED: &[&str] = &[
    "sk-proj-378N4QvLVj63ITEaWXW2bWUzByWltYFNg6Dn896R",
    "o4pzfgfeUVYHXmN1ty33AmLvChNEuV2f3G9JptwYWFDdFdHdGI436dqV",
    "hunter2",
];

fn packet<'a>(json: &'a serde_json::Value, path_end: &str) -> &'a serde_json::Value {
    json["packets"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .find(|p| p["path"].as_str().is_some_and(|s| s.ends_with(path_end)))
        })
        .unwrap_or_else(|| panic!("no packet {path_end} in {json}"))
}

fn rules_of(p: &serde_json::Value) -> Vec<String> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn examples_valid_pass_and_invalid_fail() {
    let (code, json) = check_json(&root(), &["examples"]);
    assert_eq!(code, 1);
    assert_eq!(json["verdict"], "fail");
    let packets = json["packets"].as_array().unwrap();
    assert_eq!(packets.len(), 14);
    for p in packets {
        let path = p["path"].as_str().unwrap();
        let want = if path.starts_with("examples/valid/") {
            "pass"
        } else {
            "fail"
        };
        assert_eq!(
            p["verdict"],
            want,
            "{path}: {}",
            finding_lines(p).join("\n")
        );
    }
    let (code, json) = check_json(&root(), &["examples/valid"]);
    assert_eq!((code, json["verdict"].as_str()), (0, Some("pass")));
    assert_eq!(json["summary"]["packets"], 4);
}

#[test]
fn json_contract_shape() {
    let (_, json) = check_json(
        &root(),
        &["examples/invalid/budget-change-approved-incomplete.md"],
    );
    assert_eq!(json["version"], 1);
    assert_eq!(json["links"]["opened"], false);
    let p = &json["packets"][0];
    assert_eq!(p["kind"], "budget-change");
    assert_eq!(p["verdict"], "fail");
    let f = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "bc-required")
        .unwrap();
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["column", "field", "fix", "line", "message", "missing", "rule", "severity"]
    );
    assert_eq!(f["field"], "unit_metric");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 2);
    // Prose findings have a null field and the prose line.
    let (_, json) = check_json(
        &root(),
        &["examples/invalid/budget-change-pricing-claims.md"],
    );
    let uptime = json["packets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "claim-uptime")
        .unwrap();
    assert!(uptime["field"].is_null());
    assert_eq!(uptime["line"], 33);
    // Each of the example's six claims once, under its own family, quoting the whole figure.
    let claims: Vec<String> = json["packets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        claims,
        [
            "claim-price unsupported exact price stated as fact: \"$0.40 per 1M tokens\"",
            "claim-discount unsupported discount stated as fact: \"20% discount\"",
            "claim-rate-limit unsupported rate limit stated as fact: \"10,000 RPM limit\"",
            "claim-uptime unsupported uptime or availability stated as fact: \"99.9% uptime\"",
            "claim-latency unsupported latency target stated as fact: \"300 ms\"",
            "claim-billing-total unsupported billing total stated as fact: \"$1,240\"",
        ]
    );
}

#[test]
fn human_report_points_at_the_line() {
    let r = check(
        &root(),
        &["examples/invalid/budget-change-returned-vague.yaml"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let expected = "\
error[bc-returned-note-names-fields]: `approval_status` is `returned` and `decision_note` is filled in, so `decision_note` must name the missing field(s) (it is `needs more work`)
  --> examples/invalid/budget-change-returned-vague.yaml:21:16
   |
21 | decision_note: \"needs more work\"
   |                ^^^^^^^^^^^^^^^^^
   = field: decision_note
   = fix: name in `decision_note` each field the change was returned for, e.g. `missing unit_metric and retry_behavior`

FAIL examples/invalid/budget-change-returned-vague.yaml (budget-change): 1 error

fail: 1 packet checked, 0 passed, 1 failed; 1 error, 0 warnings, 0 notices
config: built-in
dates judged as of 2026-11-20 (fail level: error)
links were not opened: --offline
";
    assert_eq!(r.stdout, expected);
    assert!(!r.stdout.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn secrets_are_masked_in_every_format() {
    for format in ["human", "json", "sarif", "github"] {
        let r = check(
            &root(),
            &[
                "--format",
                format,
                "examples/invalid/budget-change-leaked-key.md",
                "examples/invalid/budget-change-dirty-links.yaml",
            ],
        );
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        for secret in LEAKED {
            assert!(
                !r.stdout.contains(secret),
                "{format} output leaks {secret}:\n{}",
                r.stdout
            );
        }
        assert!(
            r.stdout.contains("sk-p****"),
            "{format} shows the masked prefix"
        );
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let r = check(&root(), &["--format", "sarif", "examples"]);
    assert_eq!(r.code, 1);
    let log: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let schema_text =
        fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json")).unwrap();
    let mut schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    // The published draft-07 file has a stray `]` in one regex that strict validators refuse
    // to compile; use the corrected pattern from the 2020-12 edition of the same schema.
    for def in ["run", "toolComponent"] {
        *schema
            .pointer_mut(&format!("/definitions/{def}/properties/language/pattern"))
            .unwrap() = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 40);
    assert!(results
        .iter()
        .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1)));
    // The validator is not a rubber stamp: a broken log is refused.
    let mut broken = log.clone();
    broken["version"] = "9".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn github_format_is_workflow_commands() {
    let r = check(
        &root(),
        &[
            "--format",
            "github",
            "examples/invalid/budget-change-stale-evidence.yaml",
        ],
    );
    assert_eq!(r.code, 1);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=examples/invalid/budget-change-stale-evidence.yaml,line=12,col=15,title=evidence-date (evidence_urls_checked[0].accessed)::"),
        "{first}"
    );
    assert!(
        first.contains("%0Afix: "),
        "message and fix on separate lines: {first}"
    );
    assert!(r
        .stdout
        .lines()
        .last()
        .unwrap()
        .starts_with("packetgate: 1 of 1 packet failed"));
}

#[test]
fn exit_code_two_is_for_usage_and_config_only() {
    let r = run_in(&root(), &["check", "--format", "xml", "examples"]);
    assert_eq!(r.code, 2);
    let r = run_in(&root(), &["check", "--today", "2026-13-01", "examples"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--today"), "{}", r.stderr);
    let r = run_in(&root(), &["check", "--offline", "no/such/packet.md"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no such file or folder: no/such/packet.md"),
        "{}",
        r.stderr
    );
    let r = run_in(&root(), &["explain", "bc-requird"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `bc-required`"),
        "{}",
        r.stderr
    );
    // A malformed packet is a finding (exit 1), never 2.
    let dir = scratch("exit-bad-packet");
    fs::write(
        dir.join("bad.yaml"),
        "packet: budget-change\nowner: [unclosed\n",
    )
    .unwrap();
    let (code, json) = check_json(&dir, &["bad.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(json["packets"][0]["findings"][0]["rule"], "yaml-syntax");
}

#[test]
fn folder_scan_judges_only_packets_but_named_files_must_be_packets() {
    let dir = scratch("folder-scan");
    fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    fs::write(dir.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    fs::write(dir.join("README.md"), "# Budget packets\n").unwrap();
    fs::write(dir.join("notes.yaml"), "title: not a packet\n").unwrap();
    fs::copy(
        root().join("examples/valid/cost-trace-summarizer.yaml"),
        dir.join("trace.yaml"),
    )
    .unwrap();
    let (code, json) = check_json(&dir, &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["packets"].as_array().unwrap().len(), 1);
    let (code, json) = check_json(&dir, &["notes.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_lines(&json["packets"][0]),
        ["1:1 packet-kind packet"]
    );
}

#[test]
fn oversized_files_are_a_finding_not_a_crash() {
    let dir = scratch("oversized");
    let mut big = String::from("packet: cost-trace\nnotes: |\n");
    while big.len() < 1_100_000 {
        big.push_str("  padding padding padding padding padding padding padding padding\n");
    }
    fs::write(dir.join("big.yaml"), big).unwrap();
    let (code, json) = check_json(&dir, &["big.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(finding_lines(&json["packets"][0]), ["1:1 file-too-large -"]);
}

fn write_config_repo(name: &str, config: &str, policy: Option<&str>) -> std::path::PathBuf {
    let dir = scratch(name);
    fs::create_dir_all(dir.join("budget-changes")).unwrap();
    fs::create_dir_all(dir.join("traces")).unwrap();
    fs::write(dir.join(".packetgate.yml"), config).unwrap();
    if let Some(p) = policy {
        fs::create_dir_all(dir.join("policies")).unwrap();
        fs::write(dir.join("policies/acme.yml"), p).unwrap();
    }
    dir
}

#[test]
fn config_globs_assign_kinds_and_exclude() {
    let dir = write_config_repo(
        "config-globs",
        "packets:\n  - path: 'traces/**'\n    kind: cost-trace\nexclude: ['traces/drafts/**']\n",
        None,
    );
    // No `packet:` line: the glob assigns the kind.
    let trace =
        fs::read_to_string(root().join("examples/valid/cost-trace-summarizer.yaml")).unwrap();
    fs::write(
        dir.join("traces/t.yaml"),
        trace.replace("packet: cost-trace\n", ""),
    )
    .unwrap();
    fs::create_dir_all(dir.join("traces/drafts")).unwrap();
    fs::write(dir.join("traces/drafts/wip.yaml"), "owner: nobody yet\n").unwrap();
    let (code, json) = check_json(&dir, &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["packets"].as_array().unwrap().len(), 1);
    assert_eq!(json["packets"][0]["kind"], "cost-trace");
}

#[test]
fn config_sets_window_and_fail_level() {
    let dir = write_config_repo(
        "config-window",
        "max_age_days: 200\nfail_on: warning\n",
        None,
    );
    fs::copy(
        root().join("examples/invalid/budget-change-stale-evidence.yaml"),
        dir.join("stale.yaml"),
    )
    .unwrap();
    let (_, json) = check_json(&dir, &["stale.yaml"]);
    let lines = finding_lines(&json["packets"][0]);
    // With a 200-day window only the future date and the impossible date remain.
    assert_eq!(lines.len(), 2, "{lines:?}");
    // fail_on: warning turns a warning-only packet into a failure.
    let valid =
        fs::read_to_string(root().join("examples/valid/cost-trace-summarizer.yaml")).unwrap();
    fs::write(dir.join("typo.yaml"), format!("{valid}ownr: someone\n")).unwrap();
    let (code, json) = check_json(&dir, &["typo.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(finding_lines(&json["packets"][0]).len(), 1);
    assert_eq!(json["packets"][0]["findings"][0]["severity"], "warning");
    let (code, _) = check_json(&dir, &["--fail-on", "error", "typo.yaml"]);
    assert_eq!(code, 0, "--fail-on overrides the config");
}

const ACME_POLICY: &str = r#"policy: budget-change
extends: budget-change
fields:
  cost_center: {description: "the finance cost center", example: CC-1234}
rules:
  - id: bc-environment
    values: [test, staging, production, sandbox]
  - id: claim-uptime
    severity: warning
  - id: url-tracking
    enabled: false
  - id: acme-cost-center
    kind: pattern
    field: cost_center
    pattern: 'CC-\d{4}'
    expected: a cost center like CC-1234
    summary: Cost centers look like CC-1234
  - id: acme-cost-center-required
    kind: required
    fields: [cost_center]
"#;

#[test]
fn repository_policy_extends_a_builtin() {
    let dir = write_config_repo(
        "policy-extends",
        "policies: [policies/acme.yml]\n",
        Some(ACME_POLICY),
    );
    let base =
        fs::read_to_string(root().join("examples/valid/budget-change-new-request-class.yaml"))
            .unwrap();
    let p = base.replace("environment: staging", "environment: sandbox").replace("\nnotes:", "\nold_notes:")
        + "cost_center: CC-12\nnotes: \"Vendor page says 99.9% uptime, see https://apidoc.cometapi.com/?utm_source=x\"\n";
    fs::write(dir.join("budget-changes/a.yaml"), p).unwrap();
    let (code, json) = check_json(&dir, &["budget-changes/a.yaml"]);
    assert_eq!(code, 1);
    let p = &json["packets"][0];
    let rules = rules_of(p);
    assert!(
        !rules.contains(&"bc-environment".to_string()),
        "sandbox is allowed now: {rules:?}"
    );
    assert!(
        !rules.contains(&"url-tracking".to_string()),
        "url-tracking is off: {rules:?}"
    );
    assert!(rules.contains(&"acme-cost-center".to_string()), "{rules:?}");
    let uptime = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "claim-uptime")
        .unwrap();
    assert_eq!(uptime["severity"], "warning");
    // `rules` shows the override and where it came from; `new` includes the added field.
    let r = run_in(&dir, &["rules"]);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("url-tracking") && l.contains(" off ")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with("acme-cost-center ")),
        "{}",
        r.stdout
    );
    // Off for the kind the policy changed, on for the other one, in the table and in JSON.
    let row: Vec<&str> = r
        .stdout
        .lines()
        .find(|l| l.starts_with("url-tracking "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        row[..4],
        ["url-tracking", "url", "off", "error"],
        "{}",
        r.stdout
    );
    let j = run_in(&dir, &["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let rule = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "url-tracking")
        .unwrap();
    assert_eq!(rule["kinds"]["budget-change"], "off");
    assert_eq!(rule["kinds"]["cost-trace"], "error");
    let r = run_in(&dir, &["new", "budget-change"]);
    assert!(
        r.stdout.contains("cost_center: \"<COST_CENTER>\""),
        "{}",
        r.stdout
    );
}

#[test]
fn broken_policy_lists_every_problem_with_its_line() {
    let policy = "policy: budget-change\nextends: budget-change\nrules:\n  - id: bc-environment\n    valuse: [x]\n  - id: new-rule\n    kind: patern\n  - id: other\n    kind: enum\n    field: environment\n    values: [a]\n    severity: fatal\nsetings: {}\n";
    let dir = write_config_repo("policy-broken", "policies: [policies/acme.yml]\npackets:\n  - path: 'x/**'\n    kind: budget-chnage\nfail_onn: warning\n", Some(policy));
    fs::copy(
        root().join("examples/valid/cost-trace-summarizer.yaml"),
        dir.join("t.yaml"),
    )
    .unwrap();
    let r = run_in(&dir, &["check", "--offline", "t.yaml"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.is_empty(),
        "no packet is judged with a broken config"
    );
    for needle in [
        "policies/acme.yml:5:5: unknown key `valuse` in rule `bc-environment` (kind `enum`); did you mean `values`?",
        "policies/acme.yml:7:11: unknown rule kind `patern`; did you mean `pattern`?",
        "policies/acme.yml:12:15: unknown severity `fatal`",
        "policies/acme.yml:13:1: unknown key `setings` in a policy file; did you mean `settings`?",
        ".packetgate.yml:5:1: unknown key `fail_onn` in the config file; did you mean `fail_on`?",
        "names kind `budget-chnage`, which no policy defines; did you mean `budget-change`?",
    ] {
        assert!(r.stderr.contains(needle), "missing `{needle}` in:\n{}", r.stderr);
    }
    let r = run_in(
        &dir,
        &["check", "--offline", "--config", "nope.yml", "t.yaml"],
    );
    assert_eq!(r.code, 2);
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn changed_since_follows_git() {
    let dir = scratch("changed-since");
    git(&dir, &["init", "-q", "-b", "main"]);
    let valid = root().join("examples/valid");
    for f in [
        "cost-trace-summarizer.yaml",
        "budget-change-new-request-class.yaml",
        "cost-trace-batch-embeddings.md",
    ] {
        fs::copy(valid.join(f), dir.join(f)).unwrap();
    }
    fs::write(
        dir.join("old-name.yaml"),
        fs::read(valid.join("cost-trace-summarizer.yaml")).unwrap(),
    )
    .unwrap();
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    git(&dir, &["checkout", "-qb", "change"]);
    // Modified (now failing), removed, renamed, added; one untouched.
    let mut bad = fs::read_to_string(dir.join("cost-trace-summarizer.yaml")).unwrap();
    bad = bad.replace("decision: PASS", "decision: MAYBE");
    fs::write(dir.join("cost-trace-summarizer.yaml"), bad).unwrap();
    fs::remove_file(dir.join("budget-change-new-request-class.yaml")).unwrap();
    git(&dir, &["mv", "old-name.yaml", "new-name.yaml"]);
    fs::copy(
        root().join("examples/invalid/cost-trace-template-unfilled.yaml"),
        dir.join("added.yaml"),
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "change"]);
    let (code, json) = check_json(&dir, &["--changed-since", "main"]);
    assert_eq!(code, 1);
    let mut paths: Vec<&str> = json["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        ["added.yaml", "cost-trace-summarizer.yaml", "new-name.yaml"]
    );
    assert_eq!(packet(&json, "new-name.yaml")["verdict"], "pass");
    assert_eq!(
        packet(&json, "cost-trace-summarizer.yaml")["verdict"],
        "fail"
    );
    let r = run_in(
        &dir,
        &["check", "--offline", "--changed-since", "no-such-ref"],
    );
    assert_eq!(r.code, 2);
}

#[test]
fn new_prints_a_template_that_fails_until_filled() {
    let dir = scratch("new-template");
    for (kind, ext, flag) in [
        ("budget-change", "yaml", None),
        ("cost-trace", "md", Some("--markdown")),
    ] {
        let mut args = vec!["new", kind];
        args.extend(flag);
        let r = run_in(&dir, &args);
        assert_eq!(r.code, 0);
        let file = format!("{kind}.{ext}");
        fs::write(dir.join(&file), &r.stdout).unwrap();
        let (code, json) = check_json(&dir, &[&file]);
        assert_eq!(code, 1);
        let p = &json["packets"][0];
        assert_eq!(p["kind"], kind);
        let required = if kind == "budget-change" {
            "bc-required"
        } else {
            "ct-required"
        };
        let n = rules_of(p).iter().filter(|r| *r == required).count();
        // Every required field but `credential_ref`, where a placeholder is the right value.
        let want = if kind == "budget-change" { 12 } else { 13 };
        assert_eq!(
            n,
            want,
            "{kind}: every required field is a placeholder: {:?}",
            finding_lines(p)
        );
        assert!(
            !rules_of(p)
                .iter()
                .any(|r| r.starts_with("yaml") || r == "unknown-field"),
            "{:?}",
            finding_lines(p)
        );
    }
}

#[test]
fn explain_and_rules_cover_every_rule() {
    let r = run_in(&root(), &["rules"]);
    assert_eq!(r.code, 0);
    let ids: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.len() > 50);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
    for id in ids {
        let r = run_in(&root(), &["explain", id]);
        assert_eq!(r.code, 0, "{id}");
        assert!(
            r.stdout.contains("What:") && r.stdout.contains("Why:") && r.stdout.contains("Example"),
            "{id} doc:\n{}",
            r.stdout
        );
    }
}

#[test]
fn run_limits_cut_off_with_a_failing_finding_never_silently() {
    let dir = scratch("cli-run-limits");
    for i in 0..3 {
        std::fs::copy(
            root().join("examples/valid/budget-change-new-request-class.yaml"),
            dir.join(format!("p{i}.yaml")),
        )
        .unwrap();
    }
    // Without limits all three pass.
    let (code, _) = check_json(&dir, &[]);
    assert_eq!(code, 0);
    // More files than the run judges: the ones past the limit fail, named. (The limit counts
    // candidate files, and the config file in the folder is one.)
    std::fs::write(dir.join(".packetgate.yml"), "limits:\n  max_packets: 3\n").unwrap();
    let (code, json) = check_json(&dir, &[]);
    assert_eq!(code, 1);
    let packets = json["packets"].as_array().unwrap();
    assert_eq!(packets.len(), 3);
    assert_eq!(finding_lines(&packets[2]), ["1:1 limit-packets -"]);
    assert!(packets[..2].iter().all(|p| p["verdict"] == "pass"));
    // A spent time budget: nothing is judged, nothing passes.
    std::fs::write(
        dir.join(".packetgate.yml"),
        "limits:\n  run_budget_secs: 0\n",
    )
    .unwrap();
    let (code, json) = check_json(&dir, &[]);
    assert_eq!(code, 1);
    for p in json["packets"].as_array().unwrap() {
        assert_eq!(finding_lines(p), ["1:1 limit-time -"]);
    }
    // A bad limit is a config error with its line.
    std::fs::write(
        dir.join(".packetgate.yml"),
        "limits:\n  max_links_per_packet: lots\n",
    )
    .unwrap();
    let r = check(&dir, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("max_links_per_packet"), "{}", r.stderr);
}

/// `--color auto` follows the conventions: `NO_COLOR` wins, `FORCE_COLOR`/`CLICOLOR_FORCE`
/// (not empty, not `0`) colour a pipe, and a pipe alone gets none.
#[test]
fn colour_follows_no_color_force_color_and_clicolor_force() {
    let run = |env: &[(&str, &str)]| {
        let mut cmd = support::bin();
        cmd.current_dir(support::root())
            .args([
                "check",
                "--offline",
                "--today",
                support::TODAY,
                "examples/valid",
            ])
            .env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains("\x1b[")
    };
    assert!(!run(&[]), "a pipe gets no colour");
    assert!(run(&[("FORCE_COLOR", "1")]));
    assert!(run(&[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[("FORCE_COLOR", "0")]));
    assert!(!run(&[("FORCE_COLOR", "")]));
    assert!(!run(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
}

/// The config is found as git and ruff find theirs: the first `.packetgate.yml` in the folder
/// of the first path (or the current folder) or above, up to the repository root. Reports say
/// which one was used, and the machine-read outputs name files from the repository root.
#[test]
fn config_is_found_from_a_subfolder_and_paths_are_from_the_root() {
    let dir = support::scratch("config-discovery");
    let sub = dir.join("team budgets/q4");
    std::fs::create_dir_all(&sub).unwrap();
    // A 10-year window: the example's dates pass only under this config.
    std::fs::write(
        dir.join(".packetgate.yml"),
        "packets:\n  - path: \"team budgets/**/*.yaml\"\nmax_age_days: 3650\n",
    )
    .unwrap();
    let example = std::fs::read_to_string(
        support::root().join("examples/valid/budget-change-new-request-class.yaml"),
    )
    .unwrap();
    std::fs::write(sub.join("a packet.yaml"), &example).unwrap();
    // Far in the future: only the config's window keeps the evidence fresh.
    let later = "2031-06-01";

    let human = support::run_in(&sub, &["check", "--offline", "--today", later]);
    assert_eq!(human.code, 0, "{}{}", human.stdout, human.stderr);
    assert!(
        human.stdout.contains("config: ../../.packetgate.yml"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("PASS a packet.yaml"),
        "{}",
        human.stdout
    );

    let json = support::run_in(
        &sub,
        &[
            "check",
            "--offline",
            "--today",
            later,
            "--format",
            "json",
            "a packet.yaml",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["config"], ".packetgate.yml");
    assert_eq!(v["packets"][0]["path"], "team budgets/q4/a packet.yaml");
    assert_eq!(v["verdict"], "pass");

    // From the root, naming the packet: the same config, the same verdict.
    let from_root = support::run_in(
        &dir,
        &[
            "check",
            "--offline",
            "--today",
            later,
            "--format",
            "json",
            "team budgets/q4/a packet.yaml",
        ],
    );
    let w: serde_json::Value = serde_json::from_str(&from_root.stdout).unwrap();
    assert_eq!(w["packets"], v["packets"]);

    // Without the config the evidence is stale: the packet fails.
    let other = support::scratch("config-discovery-none");
    std::fs::write(other.join("a packet.yaml"), &example).unwrap();
    let stale = support::run_in(&other, &["check", "--offline", "--today", later]);
    assert_eq!(stale.code, 1);
    assert!(
        stale.stdout.contains("config: built-in"),
        "{}",
        stale.stdout
    );

    // SARIF: a percent-encoded URI reference from %SRCROOT%.
    let sarif = support::run_in(
        &sub,
        &[
            "check",
            "--offline",
            "--today",
            "2040-01-01",
            "--format",
            "sarif",
            "a packet.yaml",
        ],
    );
    let s: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let loc = &s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "team%20budgets/q4/a%20packet.yaml");
    assert_eq!(loc["uriBaseId"], "%SRCROOT%");
    let base = s["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with("/config-discovery/"),
        "{base}"
    );

    // Workflow annotations, with GITHUB_WORKSPACE naming the root.
    let out = support::bin()
        .current_dir(&sub)
        .env("GITHUB_WORKSPACE", &dir)
        .args([
            "check",
            "--offline",
            "--today",
            "2040-01-01",
            "--format",
            "github",
            "a packet.yaml",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("file=team budgets/q4/a packet.yaml,line="),
        "{text}"
    );
}

#[test]
fn a_missing_config_and_a_negative_number_get_one_clear_message() {
    let r = support::run_in(
        &support::root(),
        &["check", "--config", "nope.yml", "examples"],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "packetgate: error: --config nope.yml: no such file"
    );
    let r = support::run_in(
        &support::root(),
        &["check", "--max-age-days", "-3", "examples"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("invalid value '-3' for '--max-age-days <DAYS>': -3 is negative"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_misspelt_rule_id_in_an_override_gets_a_suggestion() {
    let dir = support::scratch("override-typo");
    std::fs::write(dir.join(".packetgate.yml"), "policies: [p.yml]\n").unwrap();
    std::fs::write(
        dir.join("p.yml"),
        "policy: budget-change\nextends: budget-change\nrules:\n  - id: url-trackng\n    enabled: false\n",
    )
    .unwrap();
    let r = support::run_in(&dir, &["rules"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("p.yml:4:5: rule `url-trackng` is no rule this policy inherits, and a new rule needs `kind:`; did you mean `url-tracking`?"),
        "{}",
        r.stderr
    );
}

/// `new` knows the kinds a repository policy adds, and suggests the nearest for a typo.
#[test]
fn new_knows_repository_kinds() {
    let dir = support::scratch("new-repo-kind");
    std::fs::write(dir.join(".packetgate.yml"), "policies: [p.yml]\n").unwrap();
    std::fs::write(
        dir.join("p.yml"),
        "policy: vendor-review\nextends: budget-change\nfields:\n  vendor_contact: {description: who to call at the vendor, example: jane@vendor.example}\nrules:\n  - id: vr-contact\n    kind: required\n    fields: [vendor_contact]\n",
    )
    .unwrap();
    let r = support::run_in(&dir, &["new", "vendor-review"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("packet: vendor-review\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("vendor_contact:"), "{}", r.stdout);
    let r = support::run_in(&dir, &["new", "vendor-reveiw"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no packet kind `vendor-reveiw` (kinds in effect: budget-change, cost-trace, vendor-review); did you mean `vendor-review`?"),
        "{}",
        r.stderr
    );
}

/// Every `key: value` a fix text offers is valid YAML when pasted: one mapping entry whose
/// key is the field, over every finding the examples and the case fixtures give.
#[test]
fn every_suggested_fix_pastes_as_valid_yaml() {
    let mut checked = 0;
    for dir in ["examples", "tests/fixtures/cases"] {
        let (_, v) = support::check_json(&support::root(), &[dir]);
        for p in v["packets"].as_array().unwrap() {
            for f in p["findings"].as_array().unwrap() {
                let fix = f["fix"].as_str().unwrap();
                // `` `key: value` `` spans.
                for span in fix.split('`').skip(1).step_by(2) {
                    let Some((key, _)) = span.split_once(": ") else {
                        continue;
                    };
                    if !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                        continue;
                    }
                    let doc = packetgate::yaml::parse(
                        &format!("{span}\n"),
                        packetgate::yaml::Limits::default(),
                    )
                    .unwrap_or_else(|e| panic!("`{span}` (fix of {}): {e}", f["rule"]));
                    let root = doc.root.expect("a document");
                    let map = root.as_map().expect("a mapping");
                    assert_eq!(map.len(), 1, "`{span}` is one entry");
                    assert!(root.get(key).is_some(), "`{span}` has key {key}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} suggestions seen");
}

/// `--output-file` writes a machine report beside the human one, in the same run.
#[test]
fn output_file_writes_a_second_report_in_the_same_run() {
    let dir = support::scratch("output-file");
    let json = dir.join("report.json");
    let sarif = dir.join("report.sarif");
    let r = support::check(
        &support::root(),
        &["examples/invalid", "--output-file", json.to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("FAIL examples/invalid/"), "{}", r.stdout);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["summary"]["packets"], 10);
    let r = support::check(
        &support::root(),
        &[
            "examples/invalid",
            "--format",
            "github",
            "--output-file",
            sarif.to_str().unwrap(),
            "--output-format",
            "sarif",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("::error "), "{}", r.stdout);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(s["runs"][0]["results"].as_array().unwrap().len() > 10);
    assert!(!s["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .is_empty());
    // Without a file, the format alone is a usage error.
    let r = support::check(&support::root(), &["examples", "--output-format", "json"]);
    assert_eq!(r.code, 2);
}

/// `completions` scripts complete for real (bash is sourced and asked), and `manpage` is a
/// roff page naming every command.
#[test]
fn completions_and_man_page() {
    let root = support::root();
    let bash = support::run_in(&root, &["completions", "bash"]);
    assert_eq!(bash.code, 0);
    let script = support::scratch("completions").join("packetgate.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    // What bash does on `packetgate ch<TAB>` and `packetgate check --form<TAB>`.
    // Bash calls the function with the command, the word being completed and the one before.
    let ask = |words: &str, cword: usize| {
        let list: Vec<&str> = words.split(' ').collect();
        let (cur, prev) = (list[cword], list[cword - 1]);
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; _packetgate packetgate '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(ask("packetgate ch", 1).trim(), "check");
    assert!(ask("packetgate check --form", 2)
        .lines()
        .any(|l| l == "--format"));
    for (shell, marker) in [
        ("zsh", "#compdef packetgate"),
        ("fish", "complete -c packetgate"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = support::run_in(&root, &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}");
        assert!(
            r.stdout.contains(marker),
            "{shell}: {}",
            &r.stdout[..200.min(r.stdout.len())]
        );
    }
    let man = support::run_in(&root, &["manpage"]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH packetgate 1"), "{}", man.stdout);
    for command in [
        "check",
        "github",
        "rules",
        "explain",
        "new",
        "schema",
        "completions",
    ] {
        assert!(man.stdout.contains(command), "man page lacks {command}");
    }
}

/// The first 8-character piece of `key` that `text` shows, letters in either case.
fn piece_shown(text: &str, key: &str) -> Option<String> {
    let text = text.to_ascii_lowercase();
    let key: Vec<char> = key.to_ascii_lowercase().chars().collect();
    key.windows(8)
        .map(|w| w.iter().collect::<String>())
        .find(|w| text.contains(w.as_str()))
}

/// Keys in a broken config or policy file are masked in the errors that quote it, with the
/// detector packets use: an unknown key named like a token, a `links.hosts` key holding one
/// as a user name (printed in small letters), a bad `exclude` regex whose error quotes the
/// pattern, and an escaped key in a policy file.
#[test]
fn keys_in_a_broken_config_or_policy_are_masked_in_its_errors() {
    let keys = [
        "sk-ant-api03-Q9w8E7r6T5y4U3i2O1p0AsDfGhJkLzXcVbNm-QwErTyUiOp",
        "ghp_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8",
        "sk-proj-Cf8Qz2Wm7Lx1Kc4Vn9Rj3Hd6Fs0Gp5Ay2Ue8Io1Pa4SdQw",
        "gsk_Ss1Tt2Uu3Vv4Ww5Xx6Yy7Zz8Aa9Bb0Cc1Dd2Ee3",
    ];
    let config = format!(
        "policies: [policies/acme.yml]\n{}: true\nlinks:\n  hosts:\n    'https://{}@docs.example.com':\n      headers: {{X-Docs-Token: a}}\n  exclude: ['(unclosed {}']\n",
        keys[0], keys[1], keys[2]
    );
    let policy = format!(
        "policy: acme\nextends: budget-change\n\"\\x67{}\": x\n",
        &keys[3][1..]
    );
    let dir = write_config_repo("config-keys-masked", &config, Some(&policy));
    for format in ["human", "github"] {
        let r = run_in(&dir, &["check", "--offline", "--format", format, "."]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let out = format!("{}{}", r.stdout, r.stderr);
        assert!(out.contains("invalid configuration (4 problems)"), "{out}");
        for key in keys {
            assert_eq!(piece_shown(&out, key), None, "{format}: {key} in\n{out}");
        }
        for masked in ["sk-a****", "ghp_****", "(unclosed sk-p****", "gsk_****"] {
            assert!(out.contains(masked), "{format}: no `{masked}` in\n{out}");
        }
    }
}
