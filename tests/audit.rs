//! `packetgate audit` through the real binary: default paths, the three formats, shards
//! (disjoint, and their union the whole), `audit merge` (the unsharded report again, and
//! refusing reports that do not belong together), the health object, the Markdown dashboard
//! (owners, the Mermaid chart, mentions, escaping, the size limit) and determinism.

mod support;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use support::{bin, scratch, PASSING_TRACE, TODAY};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const HOSTILE: &str = "@everyone <img src=x> </details> #1";

/// A passing cost trace with another owner (and optionally another line in place).
fn trace(owner: Option<&str>, swap: &[(&str, &str)]) -> String {
    let mut t = PASSING_TRACE.to_string();
    t = match owner {
        Some(o) => t.replace(
            "owner: productivity-apps\n",
            &format!("owner: {}\n", serde_json::to_string(o).unwrap()),
        ),
        None => t.replace("owner: productivity-apps\n", ""),
    };
    for (from, to) in swap {
        assert!(t.contains(from), "{from}");
        t = t.replace(from, to);
    }
    t
}

const WAIVER_DUE: &str = "waivers:
  - rule: ct-pass-consistency
    field: exception_reason
    owner: alice
    reason: accepted for the pilot
    expires: 2026-11-24
";

const WAIVER_LAPSED: &str = "waivers:
  - rule: ct-request-status-class
    owner: bob
    reason: old
    expires: 2026-11-01
";

/// The corpus: passing, failing, waived, expiring, lapsed-waiver, owner-less and
/// hostile-owner packets, and enough plain ones to spread over shards.
fn corpus(name: &str) -> PathBuf {
    let dir = scratch(name);
    let p = dir.join("packets");
    fs::create_dir_all(p.join("team")).unwrap();
    fs::write(
        dir.join(".packetgate.yml"),
        "owners:\n  productivity-apps: \"@acme/prod-apps\"\n  support-platform: \"@acme/support\"\n  support-platform-eu: \"@acme/support\"\n",
    )
    .unwrap();
    let pass_exception = [(
        "exception_reason: NONE",
        "exception_reason: \"vendor outage window\"",
    )];
    fs::write(
        p.join("waived.yaml"),
        trace(Some("productivity-apps"), &pass_exception) + WAIVER_DUE,
    )
    .unwrap();
    fs::write(
        p.join("lapsed.yaml"),
        trace(Some("productivity-apps"), &[]) + WAIVER_LAPSED,
    )
    .unwrap();
    fs::write(
        p.join("expiring.yaml"),
        trace(
            Some("support-platform"),
            &[(
                "allocation/\n    accessed: 2026-11-14",
                "allocation/\n    accessed: 2026-10-22",
            )],
        ),
    )
    .unwrap();
    fs::write(
        p.join("failing.yaml"),
        trace(
            Some("support-platform-eu"),
            &[("request_status_class: 2XX", "request_status_class: 7XX")],
        ),
    )
    .unwrap();
    fs::write(p.join("no-owner.yaml"), trace(None, &[])).unwrap();
    fs::write(p.join("team/with space #1.yaml"), trace(Some(HOSTILE), &[])).unwrap();
    for i in 0..12 {
        fs::write(
            p.join(format!("team/plain-{i:02}.yaml")),
            trace(
                Some(if i % 2 == 0 {
                    "support-platform"
                } else {
                    "search: team; #7"
                }),
                &[],
            ),
        )
        .unwrap();
    }
    dir
}

/// `packetgate ARGS…` in `dir`, without the variables a GitHub Actions job sets (which name
/// the repository, the commit and the workspace root), so the tests read the same in CI.
fn run_in_clean(dir: &Path, args: &[&str]) -> support::Run {
    let mut cmd = bin();
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1");
    for var in [
        "GITHUB_REPOSITORY",
        "GITHUB_SHA",
        "GITHUB_SERVER_URL",
        "GITHUB_WORKSPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().expect("run packetgate").into()
}

fn audit(dir: &Path, args: &[&str]) -> support::Run {
    let mut all = vec!["audit", "--offline", "--today", TODAY];
    all.extend_from_slice(args);
    run_in_clean(dir, &all)
}

fn audit_json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let r = audit(dir, &all);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v, r.stdout)
}

/// The report without its timing fields (`links.summary.seconds`, each link's `ms`).
fn untimed(mut v: Value) -> Value {
    if let Some(s) = v["links"].get_mut("summary") {
        s["seconds"] = Value::Null;
    }
    if let Some(rs) = v["links"].get_mut("results").and_then(Value::as_array_mut) {
        for r in rs {
            r["ms"] = Value::Null;
        }
    }
    v
}

fn paths(v: &Value) -> Vec<String> {
    v["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect()
}

fn owner<'a>(v: &'a Value, name: Option<&str>) -> &'a Value {
    v["health"]["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["owner"].as_str() == name)
        .unwrap_or_else(|| panic!("no owner {name:?} in {}", v["health"]))
}

#[test]
fn audit_judges_the_config_globs_else_the_repository_and_exits_like_check() {
    let dir = corpus("audit-default");
    let (code, v, _) = audit_json(&dir, &[]);
    assert_eq!(code, 1, "a failing packet fails the audit");
    assert_eq!(v["summary"]["packets"], 18);
    assert_eq!(v["verdict"], "fail");
    // As check finds them, and narrowed by paths.
    let r = run_in_clean(
        &dir,
        &["check", "--offline", "--today", TODAY, "--format", "json"],
    );
    let c: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(c["summary"]["packets"], 18);
    let (code, v, _) = audit_json(&dir, &["packets/team"]);
    assert_eq!((code, v["summary"]["packets"].as_u64()), (0, Some(13)));
    assert_eq!(v["verdict"], "pass");
}

#[test]
fn the_json_is_checks_contract_plus_audit_and_health() {
    let dir = corpus("audit-contract");
    let (_, a, _) = audit_json(&dir, &["packets"]);
    let r = run_in_clean(
        &dir,
        &[
            "check",
            "--offline",
            "--today",
            TODAY,
            "--format",
            "json",
            "packets",
        ],
    );
    let c: Value = serde_json::from_str(&r.stdout).unwrap();
    for key in ["version", "verdict", "summary", "today", "config", "links"] {
        assert_eq!(a[key], c[key], "{key}");
    }
    let mut checked: Vec<Value> = c["packets"].as_array().unwrap().clone();
    checked.sort_by_key(|p| p["path"].as_str().unwrap().to_string());
    let audited = a["packets"].as_array().unwrap();
    assert_eq!(audited.len(), checked.len());
    for (ap, cp) in audited.iter().zip(&checked) {
        let mut ap = ap.clone();
        let extra = ap.as_object_mut().unwrap();
        assert!(extra.remove("repository").is_some() && extra.remove("commit").is_some());
        assert_eq!(
            &ap, cp,
            "the audit's packet object is check's, plus two keys"
        );
    }
    // check's keys in check's order, then the audit's two.
    let (_, _, text) = audit_json(&dir, &["packets"]);
    let at: Vec<usize> = [
        "version", "verdict", "packets", "summary", "today", "config", "links", "audit", "health",
    ]
    .iter()
    .map(|k| {
        text.find(&format!("\n  \"{k}\":"))
            .unwrap_or_else(|| panic!("{k}"))
    })
    .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert_eq!(a.as_object().unwrap().len(), 9);
    assert_eq!(a["audit"]["shard"], Value::Null);
    assert_eq!(a["audit"]["warn_before_days"], 7);
    assert_eq!(a["audit"]["owners"]["support-platform"], "@acme/support");
    assert!(a["audit"]["config_digest"]
        .as_str()
        .is_some_and(|d| d.len() == 40));
}

#[test]
fn health_groups_by_owner_with_failing_fields_expiring_evidence_and_waivers() {
    let dir = corpus("audit-health");
    let (_, v, _) = audit_json(&dir, &["--repository", "acme/budgets", "--commit", SHA]);
    let h = &v["health"];
    assert_eq!(h["counts"]["packets"], 18);
    assert_eq!(h["counts"]["failing"], 3);
    let prod = owner(&v, Some("productivity-apps"));
    assert_eq!(prod["mention"], "@acme/prod-apps");
    assert_eq!(prod["counts"]["packets"], 2);
    // The waived finding does not fail its packet; the lapsed waiver fails its own.
    let failing: Vec<&str> = prod["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["packets/lapsed.yaml"]);
    assert_eq!(prod["failing"][0]["fix"][0]["rule"], "waiver-expired");
    assert_eq!(prod["failing"][0]["fix"][0]["field"], "waivers[0].expires");
    let due = &prod["waivers_expiring"];
    assert_eq!(due.as_array().unwrap().len(), 1, "{due}");
    assert_eq!(due[0]["rule"], "ct-pass-consistency");
    assert_eq!(due[0]["expires"], "2026-11-24");
    assert_eq!(due[0]["days_left"], 4);
    assert_eq!(due[0]["state"], "active");
    let lapsed = &prod["waivers_out_of_force"];
    assert_eq!(lapsed[0]["state"], "expired");
    assert_eq!(lapsed[0]["days_left"], -19);
    let support = owner(&v, Some("support-platform"));
    let exp = &support["evidence_expiring"];
    assert_eq!(exp.as_array().unwrap().len(), 1, "{exp}");
    assert_eq!(exp[0]["path"], "packets/expiring.yaml");
    assert_eq!(exp[0]["field"], "source_urls[1].accessed");
    assert_eq!(
        (exp[0]["date"].as_str(), exp[0]["stale_on"].as_str()),
        (Some("2026-10-22"), Some("2026-11-22"))
    );
    assert_eq!(exp[0]["days_left"], 2);
    let eu = owner(&v, Some("support-platform-eu"));
    assert_eq!(eu["failing"][0]["fix"][0]["field"], "request_status_class");
    // Packets without an owner come last.
    let owners = h["owners"].as_array().unwrap();
    assert_eq!(owners.last().unwrap()["owner"], Value::Null);
    assert_eq!(owners.last().unwrap()["counts"]["failing"], 1);
    assert_eq!(v["packets"][0]["repository"], "acme/budgets");
    assert_eq!(v["packets"][0]["commit"], SHA);

    // A narrower warning window leaves the waiver and the evidence out.
    fs::write(
        dir.join(".packetgate.yml"),
        "freshness:\n  warn_before_days: 1\n",
    )
    .unwrap();
    let (_, v, _) = audit_json(&dir, &[]);
    assert_eq!(v["health"]["warn_before_days"], 1);
    assert_eq!(v["health"]["counts"]["waivers_expiring"], 0);
    assert_eq!(v["health"]["counts"]["evidence_expiring"], 0);
    assert_eq!(v["health"]["counts"]["waivers_out_of_force"], 1);
}

#[test]
fn expiring_evidence_alone_is_a_notice_and_exits_0() {
    let dir = corpus("audit-expiring");
    let (code, v, _) = audit_json(&dir, &["packets/expiring.yaml"]);
    assert_eq!(code, 0);
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["health"]["counts"]["evidence_expiring"], 1);
}

#[test]
fn shards_are_disjoint_and_their_union_is_the_whole_run() {
    let dir = corpus("audit-shards");
    let (_, whole, _) = audit_json(&dir, &[]);
    let all = paths(&whole);
    for n in [1, 2, 3, 4, 7] {
        let mut union = Vec::new();
        for i in 1..=n {
            let s = format!("{i}/{n}");
            let (_, v, _) = audit_json(&dir, &["--shard", &s]);
            assert_eq!(v["audit"]["shard"], s.as_str());
            union.extend(paths(&v));
        }
        union.sort();
        let before = union.len();
        union.dedup();
        assert_eq!(before, union.len(), "{n} shards overlap");
        assert_eq!(union, all, "{n} shards");
    }
    // Stable: the same packets land in the same shard from another folder.
    let (_, from_root, _) = audit_json(&dir, &["--shard", "2/3"]);
    let r = run_in_clean(
        &dir.join("packets"),
        &[
            "audit",
            "--offline",
            "--today",
            TODAY,
            "--format",
            "json",
            "--shard",
            "2/3",
            ".",
        ],
    );
    let from_sub: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(paths(&from_root), paths(&from_sub));
}

fn write_shards(dir: &Path, n: u32, extra: &[&str]) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let s = format!("{i}/{n}");
            let mut args = vec!["--shard", s.as_str()];
            args.extend_from_slice(extra);
            let (_, _, text) = audit_json(dir, &args);
            let name = format!("shard-{i}-of-{n}.json");
            fs::write(dir.join(&name), text).unwrap();
            name
        })
        .collect()
}

#[test]
fn merging_the_shards_gives_the_unsharded_report() {
    let dir = corpus("audit-merge");
    // Config waivers too: one that accepts a finding, one that accepts none (named once per
    // run, on the first packet it applies to), one expired.
    let config = fs::read_to_string(dir.join(".packetgate.yml")).unwrap();
    fs::write(
        dir.join(".packetgate.yml"),
        format!(
            "{config}waivers:
  - path: packets/failing.yaml
    rule: ct-request-status-class
    owner: carol
    reason: a known gap
    expires: 2026-11-25
  - path: packets/team/**
    rule: ct-pass-consistency
    owner: dave
    reason: nothing to accept
    expires: 2026-12-01
  - path: packets/team/plain-1*
    rule: ct-decision
    owner: erin
    reason: lapsed
    expires: 2026-11-02
"
        ),
    )
    .unwrap();
    let pin = ["--repository", "acme/budgets", "--commit", SHA, "packets"];
    let (code, whole, whole_text) = audit_json(&dir, &pin);
    let rules: Vec<&str> = whole["packets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap())
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| r.starts_with("waiver-"))
        .collect();
    assert_eq!(
        rules.iter().filter(|r| **r == "waiver-unused").count(),
        1,
        "{rules:?}"
    );
    assert!(rules.contains(&"waiver-expired"), "{rules:?}");
    assert_eq!(
        whole["health"]["counts"]["waivers_expiring"], 2,
        "{}",
        whole["health"]
    );
    for n in [1, 3, 4] {
        let files = write_shards(&dir, n, &pin);
        let mut args = vec!["audit", "merge", "--format", "json"];
        // Given in any order.
        let mut given: Vec<&str> = files.iter().map(String::as_str).collect();
        given.reverse();
        args.extend(given);
        let r = run_in_clean(&dir, &args);
        assert_eq!(r.code, code, "{}", r.stderr);
        let merged: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(untimed(merged), untimed(whole.clone()), "{n} shards");
        // Offline, nothing is timed: byte for byte.
        assert_eq!(r.stdout, whole_text, "{n} shards");
        for format in ["markdown", "human"] {
            let mut args = vec!["audit", "merge", "--format", format];
            args.extend(files.iter().map(String::as_str));
            let merged = run_in_clean(&dir, &args);
            let mut direct = vec!["--format", format];
            direct.extend_from_slice(&pin);
            let direct = audit(&dir, &direct);
            let strip = |s: &str| s.replace(", shard 1/1", "");
            assert_eq!(
                strip(&merged.stdout),
                strip(&direct.stdout),
                "{format}, {n} shards"
            );
        }
        for f in files {
            fs::remove_file(dir.join(f)).unwrap();
        }
    }
}

#[test]
fn merge_refuses_reports_that_do_not_belong_together() {
    let dir = corpus("audit-merge-refuse");
    let files = write_shards(&dir, 3, &[]);
    let refuse = |args: &[&str], says: &str| {
        let mut all = vec!["audit", "merge"];
        all.extend_from_slice(args);
        let r = run_in_clean(&dir, &all);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    };
    refuse(&[&files[0], &files[1]], "shard 3/3 is missing");
    refuse(
        &[&files[0], &files[0], &files[1], &files[2]],
        "are both shard 1/3",
    );
    // Another day, another fail level, another config.
    let other = |name: &str, args: &[&str]| {
        let mut all = vec!["--shard", "3/3"];
        all.extend_from_slice(args);
        let (_, _, text) = audit_json(&dir, &all);
        fs::write(dir.join(name), text).unwrap();
    };
    let r = run_in_clean(
        &dir,
        &[
            "audit",
            "--offline",
            "--today",
            "2026-11-21",
            "--format",
            "json",
            "--shard",
            "3/3",
        ],
    );
    fs::write(dir.join("day.json"), r.stdout).unwrap();
    refuse(&[&files[0], &files[1], "day.json"], "today differs");
    other("fail-on.json", &["--fail-on", "warning"]);
    refuse(&[&files[0], &files[1], "fail-on.json"], "fail_on differs");
    let config = fs::read_to_string(dir.join(".packetgate.yml")).unwrap();
    fs::write(
        dir.join(".packetgate.yml"),
        format!("{config}fail_on: error\n"),
    )
    .unwrap();
    other("config.json", &[]);
    fs::write(dir.join(".packetgate.yml"), config).unwrap();
    refuse(
        &[&files[0], &files[1], "config.json"],
        "the config's content differs",
    );
    // Overlapping packets: two whole reports of the same tree.
    let (_, _, whole) = audit_json(&dir, &[]);
    fs::write(dir.join("whole.json"), &whole).unwrap();
    refuse(&["whole.json", "whole.json"], "the reports overlap");
    // A shard report that holds a packet of another shard.
    let mut edited: Value = serde_json::from_str(&whole).unwrap();
    edited["audit"]["shard"] = "1/1".into();
    fs::write(dir.join("one.json"), edited.to_string()).unwrap();
    let mut wrong = edited.clone();
    wrong["audit"]["shard"] = "1/2".into();
    fs::write(dir.join("wrong.json"), wrong.to_string()).unwrap();
    refuse(&["wrong.json"], "which is not in that shard");
    // Not an audit report: check's JSON, a packet, no file, a hostile header.
    let r = run_in_clean(
        &dir,
        &[
            "check",
            "--offline",
            "--today",
            TODAY,
            "--format",
            "json",
            "packets/waived.yaml",
        ],
    );
    fs::write(dir.join("check.json"), r.stdout).unwrap();
    refuse(&["check.json"], "not an audit report");
    refuse(&["packets/waived.yaml"], "not JSON");
    refuse(&["no-such.json"], "no-such.json");
    let mut hostile = edited.clone();
    hostile["audit"]["owners"]["x"] = "@everyone) [x](https://e.x".into();
    fs::write(dir.join("hostile.json"), hostile.to_string()).unwrap();
    refuse(&["hostile.json"], "not a GitHub user or team");
    let mut extra = edited;
    extra["surprise"] = 1.into();
    fs::write(dir.join("extra.json"), extra.to_string()).unwrap();
    refuse(&["extra.json"], "unknown field");
}

#[test]
fn bad_shards_are_usage_errors() {
    let dir = corpus("audit-bad-shard");
    for (shard, says) in [
        ("0/4", "between 1 and 4"),
        ("5/4", "between 1 and 4"),
        ("a/b", "`a` is not a whole number"),
        ("1/0", "at least 1 shard"),
        ("3", "write a shard as I/N"),
    ] {
        let r = audit(&dir, &["--shard", shard]);
        assert_eq!(r.code, 2, "{shard}");
        assert!(r.stderr.contains(says), "{shard}: {}", r.stderr);
    }
    let r = audit(&dir, &["--repository", "not a repo"]);
    assert_eq!(r.code, 2);
    let r = audit(&dir, &["--commit", "xyz"]);
    assert_eq!(r.code, 2);
    fs::write(dir.join(".packetgate.yml"), "owners:\n  a: everyone\n").unwrap();
    let r = audit(&dir, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`owners.a` is `everyone`"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_dashboard_groups_by_owner_charts_evidence_and_mentions_each_team_once() {
    let dir = corpus("audit-dashboard");
    let r = audit(
        &dir,
        &[
            "--format",
            "markdown",
            "--repository",
            "acme/budgets",
            "--commit",
            SHA,
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let md = &r.stdout;
    assert!(md.starts_with("<!-- packetgate:health -->\n"), "{md}");
    assert!(
        md.contains("### productivity-apps · @acme/prod-apps\n"),
        "{md}"
    );
    // One team for two owners: mentioned in the first heading only.
    assert_eq!(md.matches("@acme/support").count(), 1, "{md}");
    assert!(
        md.contains("### support-platform-eu · @\u{200B}acme/support\n"),
        "{md}"
    );
    assert!(md.contains("### _no owner_\n"), "{md}");
    // Owners in order, the owner-less last.
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} in {md}"));
    assert!(
        at("### productivity-apps") < at("### support-platform ")
            && at("### support-platform ") < at("### _no owner_")
    );
    // The hostile owner is inert text: no HTML, no mention, no issue link.
    let unescaped = |needle: &str| {
        md.match_indices(needle)
            .any(|(i, _)| !md[..i].ends_with('\\'))
    };
    assert!(!unescaped("<img"), "{md}");
    // Only the dashboard's own folds open and close.
    let count = |needle: &str| {
        md.match_indices(needle)
            .filter(|(i, _)| !md[..*i].ends_with('\\'))
            .count()
    };
    assert_eq!(count("<details>"), 6, "{md}");
    assert_eq!(count("</details"), 6, "{md}");
    assert!(!md.contains("@everyone"), "{md}");
    assert!(
        md.contains("\n### @\u{200B}everyone \\<img src=x\\> \\</details\\> \\#\u{200B}1\n"),
        "{md}"
    );
    // Links at the commit, the path percent-encoded.
    assert!(
        md.contains(&format!(
            "(https://github.com/acme/budgets/blob/{SHA}/packets/team/with%20space%20%231.yaml)"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
        "[`packets/lapsed.yaml`](https://github.com/acme/budgets/blob/{SHA}/packets/lapsed.yaml)"
    )),
        "{md}"
    );
    // Fields to fix, evidence going stale, waivers running out and out of force.
    assert!(
        md.contains("`waivers[0].expires` `waiver-expired`: fix what the finding names"),
        "{md}"
    );
    assert!(md.contains("| [`packets/expiring.yaml`]"), "{md}");
    assert!(
        md.contains("| `source_urls[1].accessed` | 2026-10-22 | 2026-11-22 (in 2 days) |"),
        "{md}"
    );
    assert!(md.contains("| `ct-pass-consistency` | `exception_reason` | alice | `2026-11-24` (in 4 days) | active |"), "{md}");
    assert!(
        md.contains(
            "| `ct-request-status-class` | _any_ | bob | `2026-11-01` (19 days ago) | expired |"
        ),
        "{md}"
    );
    // The chart: Mermaid gantt, a section per owner, a bar per dated source, the day marked.
    let chart = md
        .split("```mermaid\n")
        .nth(1)
        .and_then(|c| c.split("```").next())
        .expect("a mermaid block");
    let lines: Vec<&str> = chart.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "gantt",
            "    dateFormat YYYY-MM-DD",
            "    axisFormat %Y-%m-%d"
        ]
    );
    assert!(
        chart.contains("    section judged\n    as of 2026-11-20 :milestone, 2026-11-20, 0d\n"),
        "{chart}"
    );
    let date = |s: &str| s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let mut bars = 0;
    for line in &lines[3..] {
        if let Some(section) = line.strip_prefix("    section ") {
            assert!(!section.contains([':', '#', ';']), "{line}");
            continue;
        }
        let (label, data) = line
            .trim_start()
            .split_once(" :")
            .unwrap_or_else(|| panic!("{line}"));
        assert!(!label.contains([':', '#', ';', '<', '>', '@']), "{line}");
        let parts: Vec<&str> = data.split(", ").collect();
        let dates: Vec<&str> = parts.iter().copied().filter(|p| date(p)).collect();
        assert!(dates.len() == 2 || data.starts_with("milestone"), "{line}");
        if data.starts_with("milestone") {
            continue;
        }
        bars += 1;
        assert!(dates[0] < dates[1], "{line}");
        // Red exactly when stale or going stale within the window.
        let crit = dates[1] <= "2026-11-27";
        assert_eq!(data.starts_with("crit, "), crit, "{line}");
    }
    // Every dated source of every packet.
    assert_eq!(bars, 18 * 4, "{chart}");
    assert!(chart.contains("    section search_ team_ _7\n"), "{chart}");
    assert!(chart.contains("    section no owner\n"), "{chart}");
}

#[test]
fn the_dashboard_stays_under_githubs_size_limit() {
    let dir = scratch("audit-large");
    let p = dir.join("packets");
    fs::create_dir_all(&p).unwrap();
    for i in 0..400 {
        let t = trace(
            Some(&format!("team-{i:03}")),
            &[("request_status_class: 2XX", "request_status_class: 7XX")],
        );
        fs::write(p.join(format!("p{i:03}.yaml")), t).unwrap();
    }
    let r = audit(&dir, &["--format", "markdown"]);
    assert_eq!(r.code, 1);
    let md = &r.stdout;
    assert!(
        md.chars().count() < 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(
        md.contains("cut to keep this issue under GitHub's size limit"),
        "{md}"
    );
    assert!(
        md.contains("not charted (the chart shows at most 150)"),
        "{md}"
    );
    assert!(md.contains("\n… and 200 more owners\n"), "{md}");
}

#[test]
fn the_human_report_names_owners_fixes_and_the_verdict() {
    let dir = corpus("audit-human");
    let r = audit(&dir, &[]);
    assert_eq!(r.code, 1);
    let out = &r.stdout;
    assert!(
        out.contains("productivity-apps [@acme/prod-apps]: 2 packets, 1 failing\n"),
        "{out}"
    );
    assert!(
        out.contains("  FAIL packets/lapsed.yaml (cost-trace)\n"),
        "{out}"
    );
    assert!(out.contains("  STALE SOON packets/expiring.yaml source_urls[1].accessed: checked 2026-10-22, stale on 2026-11-22 (in 2 days)\n"), "{out}");
    assert!(out.contains("  WAIVER ENDS packets/waived.yaml [ct-pass-consistency] on exception_reason: accepted by alice, expires 2026-11-24 (active)\n"), "{out}");
    assert!(out.contains("(no owner): 1 packet, 1 failing\n"), "{out}");
    assert!(out.contains("\nfail: 18 packets audited, 15 passed, 3 failed; 1 evidence date going stale within 7 days, 1 waiver running out, 1 out of force\n"), "{out}");
}

#[test]
fn output_file_writes_a_second_format_in_the_same_run() {
    let dir = corpus("audit-output-file");
    let r = audit(
        &dir,
        &["--format", "markdown", "--output-file", "report.json"],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("<!-- packetgate:health -->"));
    let written: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(written["summary"]["packets"], 18);
    let r = run_in_clean(
        &dir,
        &["audit", "merge", "report.json", "--format", "markdown"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("<!-- packetgate:health -->"));
}

#[test]
fn two_runs_are_byte_identical() {
    let dir = corpus("audit-determinism");
    for format in ["json", "markdown", "human"] {
        let a = audit(&dir, &["--format", format]);
        let b = audit(&dir, &["--format", format]);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn merging_shards_with_links_opened_gives_the_unsharded_links() {
    use support::http::{Reply, Request, TestServer};
    let server = TestServer::start(|req: &Request, _| match req.path.as_str() {
        p if p.starts_with("/dead") => Reply::status(404),
        _ => Reply::ok("fine"),
    });
    let dir = scratch("audit-links");
    fs::write(
        dir.join(".packetgate.yml"),
        "policies: [no-https.yml]\nlinks:\n  allow_private: [127.0.0.1]\n  timeout_secs: 2\n  backoff_ms: 10\n  exclude: ['cometapi\\.com', 'finops\\.org']\nwaivers:\n  - path: p0.yaml\n    rule: link-dead\n    owner: frank\n    reason: the page moves this week\n    expires: 2026-11-30\n",
    )
    .unwrap();
    fs::write(
        dir.join("no-https.yml"),
        "policy: budget-change\nextends: budget-change\nrules:\n  - id: url-https\n    enabled: false\n",
    )
    .unwrap();
    for i in 0..6 {
        let own = if i % 3 == 0 {
            format!("/dead{i}")
        } else {
            format!("/ok{i}")
        };
        let mut text = String::from(support::LINKS_PACKET_HEAD);
        text.push_str("sources:\n");
        for (j, url) in [server.url("/shared"), server.url(&own)].iter().enumerate() {
            text.push_str(&format!(
                "  - area: Test link {j}\n    verify: The page opens.\n    url: {url}\n    accessed: 2026-11-16\n"
            ));
        }
        fs::write(dir.join(format!("p{i}.yaml")), text).unwrap();
    }
    let live = |args: &[&str]| {
        let mut all = vec!["audit", "--today", TODAY, "--format", "json"];
        all.extend_from_slice(args);
        let r = run_in_clean(&dir, &all);
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
        (r, v)
    };
    let (whole_run, whole) = live(&[]);
    assert_eq!(whole_run.code, 1, "{}", whole_run.stderr);
    assert_eq!(whole["links"]["opened"], true);
    let shared = server.url("/shared");
    let cited = |v: &Value| {
        v["links"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["url"] == shared.as_str())
            .map(|r| r["cited"].clone())
    };
    assert_eq!(cited(&whole), Some(6.into()));
    assert_eq!(whole["links"]["summary"]["dead"], 2, "{}", whole["links"]);
    // A config waiver applies to p0: every shard judges it, and only its own reports it.
    assert_eq!(whole["summary"]["waived"], 1, "{}", whole["summary"]);
    let files: Vec<String> = (1..=3)
        .map(|i| {
            let s = format!("{i}/3");
            let (_, v) = live(&["--shard", &s]);
            assert!(
                !v["packets"].as_array().unwrap().is_empty(),
                "shard {s} is empty"
            );
            let name = format!("links-{i}.json");
            fs::write(dir.join(&name), v.to_string()).unwrap();
            name
        })
        .collect();
    let mut args = vec!["audit", "merge", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let r = run_in_clean(&dir, &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let merged: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(cited(&merged), Some(6.into()));
    assert_eq!(untimed(merged), untimed(whole));
}

/// What the black-box attack on the audit found (attack 4), each kept from coming back.
#[test]
fn attack_4_regressions() {
    let dir = corpus("audit-attack4");
    let md = |dir: &Path, args: &[&str]| {
        let mut all = vec![
            "--format",
            "markdown",
            "--repository",
            "acme/budgets",
            "--commit",
            SHA,
        ];
        all.extend_from_slice(args);
        audit(dir, &all).stdout
    };
    // 01: nothing from a packet inside the raw HTML line (no Markdown escapes there).
    fs::write(
        dir.join("packets/html.yaml"),
        trace(
            Some("Ops &commat;acme/admins </details > <img src=//evil.example/t.png>"),
            &[],
        ),
    )
    .unwrap();
    let body = md(&dir, &["packets"]);
    for line in body.lines().filter(|l| l.contains("<summary>")) {
        assert!(
            line.starts_with("<details><summary>Packets (")
                && !line.contains("evil")
                && !line.contains("commat"),
            "{line}"
        );
    }
    // 05: long owner names are cut; the body stays under GitHub's limit.
    let long = scratch("audit-attack4-long");
    fs::create_dir_all(long.join("p")).unwrap();
    for i in 0..300 {
        let owner = format!("o{i:03}-{}", "x".repeat(20_000));
        fs::write(
            long.join(format!("p/p{i:03}.yaml")),
            trace(Some(&owner), &[]),
        )
        .unwrap();
    }
    let body = md(&long, &["p"]);
    assert!(
        body.chars().count() < 65_536,
        "{} characters",
        body.chars().count()
    );
    // 07: file names that are Mermaid statements or dates start no statement.
    let names = scratch("audit-attack4-mermaid");
    fs::create_dir_all(names.join("p")).unwrap();
    for name in ["inclusiveEndDates.yaml", "gantt.yaml", "2026-01-01 x.yaml"] {
        fs::write(names.join("p").join(name), trace(Some("apps"), &[])).unwrap();
    }
    let body = md(&names, &["p"]);
    let chart = body
        .split("```mermaid")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    for name in ["inclusiveEndDates.yaml", "gantt.yaml", "2026-01-01 x.yaml"] {
        let bars: Vec<&str> = chart.lines().filter(|l| l.contains(name)).collect();
        assert!(!bars.is_empty(), "{chart}");
        for line in bars {
            assert!(
                line.trim_start().starts_with('_'),
                "a label starts a statement: {line}"
            );
        }
    }
    // 08: a date at the calendar's end merges like any other.
    let far = scratch("audit-attack4-far");
    fs::create_dir_all(far.join("p")).unwrap();
    fs::write(
        far.join("p/far.yaml"),
        trace(
            Some("apps"),
            &[("review_date: 2026-11-14", "review_date: 9999-12-31")],
        ),
    )
    .unwrap();
    let whole = audit(&far, &["--shard", "1/1", "--format", "json", "p"]);
    assert!(
        whole.stdout.contains("\"stale_on\": \"9999-12-31\""),
        "{}",
        whole.stdout
    );
    fs::write(far.join("s.json"), &whole.stdout).unwrap();
    let merged = run_in_clean(&far, &["audit", "merge", "s.json"]);
    assert!(merged.code < 2, "{}", merged.stderr);
    // 02: a shard that says its failing packet passes still fails the merge.
    let s1 = audit(&dir, &["--shard", "1/1", "--format", "json", "packets"]);
    let mut tampered: Value = serde_json::from_str(&s1.stdout).unwrap();
    for p in tampered["packets"].as_array_mut().unwrap() {
        p["verdict"] = "pass".into();
    }
    tampered["verdict"] = "pass".into();
    fs::write(dir.join("t.json"), tampered.to_string()).unwrap();
    let merged = run_in_clean(&dir, &["audit", "merge", "t.json", "--format", "json"]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    // 03: mentions and links come from the config and the environment, not the report.
    tampered["audit"]["server"] = "https://evil.example".into();
    tampered["audit"]["owners"] = serde_json::json!({"productivity-apps": "@acme/admins"});
    fs::write(dir.join("t.json"), tampered.to_string()).unwrap();
    let merged = run_in_clean(&dir, &["audit", "merge", "t.json", "--format", "markdown"]);
    assert!(
        !merged.stdout.contains("https://evil.example/")
            && !merged.stdout.contains("· @acme/admins"),
        "{}",
        merged.stdout
    );
    // ... and merging without the shards' config is refused.
    let elsewhere = scratch("audit-attack4-elsewhere");
    fs::write(elsewhere.join("s.json"), &s1.stdout).unwrap();
    let r = run_in_clean(&elsewhere, &["audit", "merge", "s.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--config"), "{}", r.stderr);
    // 04: a key in the owners map is masked in the JSON report.
    let key = "sk-proj-fJF2n872gdWEa2opTvsiRKU1yf5MAV29HcUHoAZZ";
    let keyed = scratch("audit-attack4-key");
    fs::create_dir_all(keyed.join("p")).unwrap();
    fs::write(
        keyed.join(".packetgate.yml"),
        format!("owners:\n  \"team {key}\": \"@acme/finops\"\n"),
    )
    .unwrap();
    fs::write(
        keyed.join("p/a.yaml"),
        trace(Some(&format!("team {key}")), &[]),
    )
    .unwrap();
    for format in ["json", "markdown", "human"] {
        let r = audit(&keyed, &["--format", format, "p"]);
        assert!(
            !r.stdout.contains(&key[..16]),
            "--format {format}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_template_owner_is_no_owner() {
    let dir = scratch("audit-template-owner");
    fs::create_dir_all(dir.join("p")).unwrap();
    fs::write(
        dir.join("p/a.yaml"),
        trace(Some("<TEAM_OR_COST_OWNER>"), &[]),
    )
    .unwrap();
    fs::write(dir.join("p/b.yaml"), trace(Some("TBD"), &[])).unwrap();
    let r = audit(&dir, &["p"]);
    assert!(
        r.stdout.contains("(no owner): 2 packets, 2 failing"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("TEAM_OR_COST_OWNER>:"), "{}", r.stdout);
}
