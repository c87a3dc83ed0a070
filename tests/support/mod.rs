//! Shared helpers for the integration tests: run the real binary, parse its JSON.
#![allow(dead_code)]

pub mod gate;
pub mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The day the fixtures are written against, so date rules never drift with the clock.
pub const TODAY: &str = "2026-11-20";

/// A valid budget-change packet (YAML) that cites no link of its own beyond the policy's
/// required docs hosts; tests append `sources:` rows citing their own URLs.
pub const LINKS_PACKET_HEAD: &str = r#"packet: budget-change
change_id: CHG-2026-0142
change_reason: "Raise the monthly token budget line for the support bot after ticket volume moved from the web form into chat."
request_class: support-bot-chat-reply
owner: support-platform
environment: staging
provider: cometapi
credential_ref: "vault:finops/cometapi-test-key"
evidence_urls_checked:
  - url: https://apidoc.cometapi.com/
    accessed: 2026-11-12
  - url: https://www.finops.org/framework/capabilities/allocation/
    accessed: 2026-11-12
happy_path_result: pass
error_path_result: pass
retry_behavior: "bounded: 2 retries with backoff, then error recorded"
allocation_rule: "Tag cost-center=support-platform and workload=support-bot on every request; spend lands on the support-platform budget line."
unit_metric: cost per support-bot chat reply
approval_status: pending
does_not_prove:
  - exact future spend for the raised budget line
  - account-specific rate limits, uptime or latency targets
  - discount eligibility or final billing totals
assumptions:
  - "Assumption (forecasted demand): chat volume stays near the October level; review at the first monthly variance check."
"#;

/// A cost trace that passes (the shape of `tests/fixtures/cases/pass--enum-case.yaml`): 20
/// lines, for tests that add one thing to a passing packet.
pub const PASSING_TRACE: &str = "packet: cost-trace
review_date: 2026-11-14
workload: meeting-notes-summarizer
owner: productivity-apps
source_urls:
  - url: https://apidoc.cometapi.com/
    accessed: 2026-11-14
  - url: https://www.finops.org/framework/capabilities/allocation/
    accessed: 2026-11-14
pricing_source:
  url: https://apidoc.cometapi.com/support/help-center
  accessed: 2026-11-14
request_ref: \"req-sample-7f3a (from the request log, no headers)\"
request_status_class: 2XX
usage_field_observed: YES
cost_field_observed: YES
error_path_result: pass
exception_reason: NONE
next_owner: productivity-apps budget owner
decision: PASS
";

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_packetgate"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `packetgate ARGS…` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    bin()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run packetgate")
        .into()
}

/// `packetgate check --offline --today TODAY ARGS…` in `dir`.
pub fn check(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--offline", "--today", TODAY];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// `packetgate check --offline --today TODAY --format json ARGS…` in `dir`, parsed.
pub fn check_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let r = check(dir, &all);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stdout:\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        )
    });
    (r.code, v)
}

/// A fresh folder under the target dir (no tempfile crate needed). It holds an empty `.git`
/// folder, so it is a repository root of its own as a user's repository would be: the config
/// search stops there and paths in reports are relative to it, not to this repository.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("scratch dir");
    dir
}

/// Findings of one packet as `LINE:COL RULE FIELD` lines, sorted as reported.
pub fn finding_lines(packet: &serde_json::Value) -> Vec<String> {
    packet["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    format!(
                        "{}:{} {} {}",
                        f["line"],
                        f["column"],
                        f["rule"].as_str().unwrap_or("?"),
                        f["field"].as_str().unwrap_or("-")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A packet's verdict and its findings, as a `.expect` file holds them.
pub fn expect_summary(packet: &serde_json::Value) -> String {
    let mut lines = vec![format!(
        "verdict: {}",
        packet["verdict"].as_str().unwrap_or("?")
    )];
    lines.extend(finding_lines(packet));
    lines.join("\n") + "\n"
}

/// Every file of a fixture folder but the `.expect` files, sorted.
pub fn fixture_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".expect"))
        .collect();
    names.sort();
    names
}

/// Compares each packet of a report over `names` (in that order) with `dir/NAME.expect`;
/// with `UPDATE_EXPECT` set, rewrites the files instead. Fails listing every difference.
pub fn compare_with_expect_files(dir: &Path, names: &[String], packets: &[serde_json::Value]) {
    assert_eq!(packets.len(), names.len(), "one report entry per file");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    // JSON paths are relative to the repository root (this one, for fixture folders).
    let prefix = dir
        .strip_prefix(root())
        .map(|p| format!("{}/", p.to_string_lossy()))
        .unwrap_or_default();
    for (name, packet) in names.iter().zip(packets) {
        assert_eq!(
            packet["path"].as_str(),
            Some(format!("{prefix}{name}").as_str()),
            "report order"
        );
        let actual = expect_summary(packet);
        let expect_path = dir.join(format!("{name}.expect"));
        if update {
            std::fs::write(&expect_path, &actual).expect("write expect");
            continue;
        }
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "--- {name}\nexpected:\n{expected}actual:\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} file(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
