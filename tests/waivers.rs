//! Waivers and `evidence-expiring`, through the binary: a waiver with an owner and an expiry
//! accepts a finding, which stays visible in every output and no longer fails the packet; a
//! waiver out of force (expired, too long, incomplete, of a rule that cannot be waived)
//! waives nothing and is a finding itself; an unused one is a warning; config waivers apply
//! by path glob.

mod support;

use std::fs;
use support::{check, check_json, run_in, scratch, PASSING_TRACE, TODAY};

/// The passing trace with a tracking parameter on its first link: one `url-tracking` error
/// on `source_urls[0].url`, line 6.
fn tracked() -> String {
    PASSING_TRACE.replacen(
        "  - url: https://apidoc.cometapi.com/\n",
        "  - url: https://apidoc.cometapi.com/?utm_source=newsletter\n",
        1,
    )
}

fn with_waivers(body: &str, waivers: &str) -> String {
    format!("{body}waivers:\n{waivers}")
}

const GOOD: &str = "  - rule: url-tracking
    field: source_urls[0].url
    owner: finops-platform
    reason: the vendor's docs only open from the newsletter link
    expires: 2026-12-20
";

fn rules(p: &serde_json::Value) -> Vec<(String, bool)> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f.get("waived").is_some(),
            )
        })
        .collect()
}

fn one(dir: &std::path::Path, name: &str, text: &str) -> (i32, serde_json::Value) {
    fs::write(dir.join(name), text).unwrap();
    let (code, json) = check_json(dir, &[name]);
    (code, json["packets"][0].clone())
}

#[test]
fn a_waiver_accepts_its_finding_which_stays_visible_everywhere() {
    let dir = scratch("waiver-accepts");
    let (code, before) = one(&dir, "t.yaml", &tracked());
    assert_eq!(code, 1);
    assert_eq!(rules(&before), [("url-tracking".to_string(), false)]);

    fs::write(dir.join("t.yaml"), with_waivers(&tracked(), GOOD)).unwrap();
    let (code, json) = check_json(&dir, &["t.yaml"]);
    assert_eq!(code, 0, "{json:#}");
    let p = &json["packets"][0];
    assert_eq!(p["verdict"], "pass");
    let f = &p["findings"][0];
    assert_eq!(
        (
            f["rule"].as_str(),
            f["severity"].as_str(),
            f["line"].as_u64()
        ),
        (Some("url-tracking"), Some("error"), Some(6))
    );
    assert_eq!(
        f["waived"],
        serde_json::json!({
            "owner": "finops-platform",
            "reason": "the vendor's docs only open from the newsletter link",
            "expires": "2026-12-20",
            "source": "packet"
        })
    );
    assert_eq!(json["summary"]["errors"], 0);
    assert_eq!(json["summary"]["waived"], 1);
    assert_eq!(p["waivers"][0]["state"], "active");
    assert_eq!(p["waivers"][0]["waived"], 1);

    let human = check(&dir, &["t.yaml"]);
    assert_eq!(human.code, 0);
    assert!(
        human.stdout.contains("waived error[url-tracking]")
            && human.stdout.contains(
                "= waived by finops-platform until 2026-12-20 (packet): the vendor's docs only open"
            )
            && human.stdout.contains("PASS t.yaml (cost-trace): 1 waived"),
        "{}",
        human.stdout
    );
    let sarif = check(&dir, &["--format", "sarif", "t.yaml"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(result["suppressions"][0]["status"], "accepted");
    assert!(result["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .contains("owner: finops-platform"));
    let gh = check(&dir, &["--format", "github", "t.yaml"]);
    assert!(
        gh.stdout.contains("::notice file=t.yaml,line=6")
            && gh.stdout.contains("title=waived error%3A url-tracking")
            && !gh.stdout.contains("::error"),
        "{}",
        gh.stdout
    );
}

#[test]
fn waivers_out_of_force_waive_nothing_and_say_why() {
    let dir = scratch("waiver-out-of-force");
    let cases: &[(&str, &str, &str)] = &[
        (
            "expired",
            "  - {rule: url-tracking, owner: finops, reason: vendor link, expires: 2026-11-19}\n",
            "waiver-expired",
        ),
        (
            "too-long",
            "  - {rule: url-tracking, owner: finops, reason: vendor link, expires: 2027-03-01}\n",
            "waiver-too-long",
        ),
        (
            "no-reason",
            "  - {rule: url-tracking, owner: finops, expires: 2026-12-20}\n",
            "waiver-incomplete",
        ),
        (
            "placeholder-owner",
            "  - {rule: url-tracking, owner: <OWNER>, reason: vendor link, expires: 2026-12-20}\n",
            "waiver-incomplete",
        ),
        (
            "tbd-owner",
            "  - {rule: url-tracking, owner: TBD, reason: vendor link, expires: 2026-12-20}\n",
            "waiver-incomplete",
        ),
        (
            "bad-date",
            "  - {rule: url-tracking, owner: finops, reason: vendor link, expires: 2026-02-30}\n",
            "waiver-incomplete",
        ),
        (
            "misspelt-key",
            "  - {rule: url-tracking, owner: finops, reason: vendor link, expiry: 2026-12-20}\n",
            "waiver-incomplete",
        ),
        (
            "unknown-rule",
            "  - {rule: url-trackin, owner: finops, reason: vendor link, expires: 2026-12-20}\n",
            "waiver-incomplete",
        ),
        ("not-a-list", "  rule: url-tracking\n", "waiver-incomplete"),
    ];
    for (name, waivers, rule) in cases {
        let (code, p) = one(
            &dir,
            &format!("{name}.yaml"),
            &with_waivers(&tracked(), waivers),
        );
        assert_eq!(code, 1, "{name}: {p:#}");
        let got = rules(&p);
        assert!(
            got.contains(&("url-tracking".to_string(), false)),
            "{name}: the finding must count: {got:?}"
        );
        assert!(
            got.contains(&(rule.to_string(), false)),
            "{name}: expected {rule}: {got:?}"
        );
    }
    // The hint names the rule meant.
    let (_, p) = one(&dir, "hint.yaml", &with_waivers(&tracked(), cases[7].1));
    assert!(p.to_string().contains("did you mean `url-tracking`"), "{p}");
}

#[test]
fn secrets_and_engine_rules_cannot_be_waived() {
    let dir = scratch("waiver-not-waivable");
    let key = "sk-proj-378N4QvLVj63ITEaWXW2bWUzByWltYFNg6Dn896R";
    let text = with_waivers(
        &PASSING_TRACE.replacen(
            "request_ref: \"req-sample-7f3a (from the request log, no headers)\"",
            &format!("request_ref: \"req-7f3a with {key}\""),
            1,
        ),
        "  - {rule: ct-request-ref-safe, owner: finops, reason: test key, expires: 2026-12-20}\n  - {rule: secret-in-packet, owner: finops, reason: test key, expires: 2026-12-20}\n  - {rule: yaml-duplicate-key, owner: finops, reason: fine, expires: 2026-12-20}\n  - {rule: waiver-unused, owner: finops, reason: fine, expires: 2026-12-20}\n",
    );
    let (code, p) = one(&dir, "k.yaml", &text);
    assert_eq!(code, 1);
    let got = rules(&p);
    assert!(got.iter().all(|(_, waived)| !waived), "{got:?}");
    assert_eq!(
        got.iter()
            .filter(|(r, _)| r == "waiver-not-waivable")
            .count(),
        4,
        "{got:?}"
    );
    let all = run_in(&dir, &["check", "--offline", "--today", TODAY, "k.yaml"]);
    assert!(!all.stdout.contains(key) && !all.stderr.contains(key));
}

#[test]
fn an_unused_waiver_is_a_warning_and_a_field_narrows_a_waiver() {
    let dir = scratch("waiver-unused");
    // The waiver names another link: the finding on the first still counts, and the waiver
    // accepts nothing.
    let other = GOOD.replace("source_urls[0].url", "source_urls[1].url");
    let (code, p) = one(&dir, "u.yaml", &with_waivers(&tracked(), &other));
    assert_eq!(code, 1);
    assert_eq!(
        rules(&p),
        [
            ("url-tracking".to_string(), false),
            ("waiver-unused".to_string(), false)
        ]
    );
    assert_eq!(p["waivers"][0]["state"], "unused");
    // A parent path covers the fields inside it; a pattern covers what it matches.
    for field in ["source_urls", "source_urls[*].url", "source_urls[0]"] {
        let w = GOOD.replace("source_urls[0].url", field);
        let (code, p) = one(&dir, "n.yaml", &with_waivers(&tracked(), &w));
        assert_eq!(code, 0, "{field}: {p:#}");
    }
    // On a passing packet, the waiver is unused: a warning, the packet still passes.
    let (code, p) = one(&dir, "clean.yaml", &with_waivers(PASSING_TRACE, GOOD));
    assert_eq!(code, 0);
    assert_eq!(rules(&p), [("waiver-unused".to_string(), false)]);
    assert_eq!(p["findings"][0]["severity"], "warning");
    assert_eq!(p["findings"][0]["line"], 22);
}

#[test]
fn config_waivers_apply_by_path_and_are_judged_like_packet_ones() {
    let dir = scratch("waiver-config");
    fs::create_dir_all(dir.join("traces/vendor")).unwrap();
    fs::write(dir.join("traces/vendor/a.yaml"), tracked()).unwrap();
    fs::write(dir.join("traces/b.yaml"), tracked()).unwrap();
    fs::write(
        dir.join(".packetgate.yml"),
        "waivers:
  max_days: 60
  list:
    - path: traces/vendor/*.yaml
      rule: url-tracking
      owner: finops-platform
      reason: vendor links carry their campaign id
      expires: 2026-12-31
    - path: 'traces/**'
      rule: claim-price
      owner: finops-platform
      reason: nothing
      expires: 2026-12-31
",
    )
    .unwrap();
    let (code, json) = check_json(&dir, &["traces"]);
    assert_eq!(code, 1);
    let by_path = |end: &str| {
        json["packets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["path"].as_str().unwrap().ends_with(end))
            .unwrap()
            .clone()
    };
    let a = by_path("vendor/a.yaml");
    let b = by_path("traces/b.yaml");
    assert_eq!(a["verdict"], "pass", "{a:#}");
    assert_eq!(a["findings"][0]["waived"]["source"], "config");
    assert_eq!(b["verdict"], "fail", "the glob does not reach b: {b:#}");
    // The second waiver accepts nothing anywhere: one warning, on the first packet it
    // applies to, naming the config line.
    let unused: Vec<String> = json["packets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap().clone())
        .filter(|f| f["rule"] == "waiver-unused")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert!(unused[0].contains(".packetgate.yml line 9"), "{unused:?}");
    // `max_days: 60` from the config: an expiry 61 days out is too long.
    let config = fs::read_to_string(dir.join(".packetgate.yml"))
        .unwrap()
        .replace("2026-12-31", "2027-01-20");
    fs::write(dir.join(".packetgate.yml"), config).unwrap();
    let (_, json) = check_json(&dir, &["traces/vendor"]);
    let p = &json["packets"][0];
    assert_eq!(p["verdict"], "fail");
    assert!(
        rules(p).contains(&("waiver-too-long".to_string(), false)),
        "{p:#}"
    );
}

#[test]
fn a_config_waiver_of_the_wrong_shape_is_a_config_error() {
    let dir = scratch("waiver-config-broken");
    fs::write(dir.join("t.yaml"), tracked()).unwrap();
    for (config, says) in [
        (
            "waivers:\n  - rule: url-tracking\n    owner: a\n    reason: b\n    expires: 2026-12-01\n",
            "needs `path`",
        ),
        (
            "waivers:\n  - path: 'a/[b'\n    rule: url-tracking\n",
            "bad glob",
        ),
        (
            "waivers:\n  - path: '*.yaml'\n    rule: url-tracking\n    ownr: a\n",
            "did you mean `owner`",
        ),
        ("waivers: 3\n", "must be a list"),
    ] {
        fs::write(dir.join(".packetgate.yml"), config).unwrap();
        let r = check(&dir, &["t.yaml"]);
        assert_eq!(r.code, 2, "{config}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{config}: {}", r.stderr);
    }
}

#[test]
fn evidence_expiring_names_the_day_it_goes_stale() {
    let dir = scratch("expiring");
    // Checked 2026-10-25: with the 30-day window it is stale from 2026-11-25, 5 days after
    // TODAY (2026-11-20).
    let text = PASSING_TRACE.replacen("accessed: 2026-11-14", "accessed: 2026-10-25", 1);
    let (code, p) = one(&dir, "e.yaml", &text);
    assert_eq!(code, 0, "a notice does not fail: {p:#}");
    let f = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "evidence-expiring")
        .unwrap_or_else(|| panic!("{p:#}"));
    assert_eq!(f["severity"], "notice");
    assert_eq!(f["field"], "source_urls[0].accessed");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("goes stale on 2026-11-25, in 5 days"),
        "{f}"
    );
    let dated = p["evidence"].as_array().unwrap();
    assert!(dated
        .iter()
        .any(|d| d["date"] == "2026-10-25" && d["stale_on"] == "2026-11-25"));
    // The config's warning window: 3 days says nothing about a date 5 days from stale.
    fs::write(
        dir.join(".packetgate.yml"),
        "freshness:\n  warn_before_days: 3\n",
    )
    .unwrap();
    let (_, p) = one(&dir, "e.yaml", &text);
    assert!(
        !rules(&p).iter().any(|(r, _)| r == "evidence-expiring"),
        "{p:#}"
    );
    // Stale evidence is `evidence-date`'s, not a warning that it will be.
    let stale = PASSING_TRACE.replacen("accessed: 2026-11-14", "accessed: 2026-10-01", 1);
    fs::remove_file(dir.join(".packetgate.yml")).unwrap();
    let (code, p) = one(&dir, "s.yaml", &stale);
    assert_eq!(code, 1);
    let got = rules(&p);
    assert!(
        got.contains(&("evidence-date".to_string(), false))
            && !got.iter().any(|(r, _)| r == "evidence-expiring"),
        "{got:?}"
    );
}

/// A waiver reads the same however it is typed: flow or block style, quoted keys and values,
/// comments, a Markdown packet's front matter.
#[test]
fn a_waiver_gets_the_same_verdict_in_every_spelling() {
    let dir = scratch("waiver-spellings");
    let spellings = [
        GOOD.to_string(),
        "  - {rule: url-tracking, field: 'source_urls[0].url', owner: finops-platform, reason: vendor link, expires: 2026-12-20}\n".to_string(),
        "  - \"rule\": \"url-tracking\"\n    'owner': \"finops-platform\"  # accountable\n    \"reason\": >-\n      the vendor's docs only\n      open from the newsletter link\n    expires: \"2026-12-20\"\n".to_string(),
    ];
    for (i, w) in spellings.iter().enumerate() {
        let yaml = with_waivers(&tracked(), w);
        let (code, p) = one(&dir, &format!("s{i}.yaml"), &yaml);
        assert_eq!(code, 0, "spelling {i}: {p:#}");
        let md = format!("---\n{yaml}---\n\nThe trace for the meeting-notes summarizer.\n");
        let (code, p) = one(&dir, &format!("s{i}.md"), &md);
        assert_eq!(code, 0, "spelling {i} (Markdown): {p:#}");
    }
}

#[test]
fn a_packet_carries_at_most_200_waivers() {
    let dir = scratch("waiver-cap");
    let mut waivers = String::new();
    for i in 0..250 {
        waivers.push_str(&format!(
            "  - {{rule: url-tracking, field: 'source_urls[{i}].url', owner: finops, reason: campaign link, expires: 2026-12-20}}\n"
        ));
    }
    let (code, p) = one(&dir, "many.yaml", &with_waivers(&tracked(), &waivers));
    assert_eq!(code, 1);
    let capped: Vec<&serde_json::Value> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "waiver-incomplete")
        .collect();
    assert_eq!(capped.len(), 1, "{p:#}");
    assert!(capped[0]["message"]
        .as_str()
        .unwrap()
        .contains("carries 250 waivers; a packet carries at most 200"));
    // The first waiver, inside the cap, still accepts its finding.
    assert!(rules(&p).contains(&("url-tracking".to_string(), true)));
}

/// What the black-box attack on waivers found (attack 3), each kept from coming back.
#[test]
fn attack_3_regressions() {
    let dir = scratch("waiver-attack3");
    // 01: an empty or blank field is no field: incomplete, not "every finding".
    for field in ["\"\"", "\"   \"", "~"] {
        let w = format!("  - {{rule: url-tracking, field: {field}, owner: finops, reason: vendor link, expires: 2026-12-20}}\n");
        let (code, p) = one(&dir, "empty.yaml", &with_waivers(&tracked(), &w));
        assert_eq!(code, 1, "field {field}: {p:#}");
        assert!(rules(&p).contains(&("waiver-incomplete".to_string(), false)));
    }
    // 02: owners and reasons that are no words.
    for (owner, reason) in [
        ("\"$OWNER\"", "\"$REASON\""),
        ("\"%OWNER%\"", "x y"),
        ("\".\"", "vendor"),
        ("\"_\"", "vendor"),
        ("\"0\"", "vendor"),
        ("owner", "vendor"),
        ("finops", "reason"),
        ("finops", "\"'\""),
    ] {
        let w = format!(
            "  - {{rule: url-tracking, owner: {owner}, reason: {reason}, expires: 2026-12-20}}\n"
        );
        let (code, p) = one(&dir, "words.yaml", &with_waivers(&tracked(), &w));
        assert_eq!(code, 1, "{owner} / {reason}: {p:#}");
    }
    // 03, 04, 06: a key anywhere in a waiver (a value, a key name, a config waiver) is
    // printed in no output.
    let key = "sk-proj-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOq2Xw7Lm4";
    let aws = "AKIAOC9IS0J8HT9LGMXG";
    let w = format!("  - rule: \"{key}\"\n    owner: apps\n    reason: mirror down\n    expires: 2026-12-04\n  - rule: url-tracking\n    field: \"{aws}\"\n    owner: apps\n    reason: mirror down\n    expires: 2026-12-04\n    {aws}: x\n");
    fs::write(dir.join("keys.yaml"), with_waivers(&tracked(), &w)).unwrap();
    fs::create_dir_all(dir.join("cfg/traces")).unwrap();
    fs::write(dir.join("cfg/traces/t.yaml"), tracked()).unwrap();
    fs::write(
        dir.join("cfg/.packetgate.yml"),
        format!("waivers:\n  - {{path: 'traces/*.yaml', rule: url-tracking, owner: \"{key}\", reason: \"rotated {aws}\", expires: 2026-12-20}}\n"),
    )
    .unwrap();
    for target in ["keys.yaml", "cfg/traces"] {
        for format in ["human", "json", "sarif", "github"] {
            let r = check(&dir, &["--format", format, target]);
            for secret in [&key[..20], &aws[..12]] {
                assert!(
                    !r.stdout.contains(secret) && !r.stderr.contains(secret),
                    "{target} --format {format} prints {secret}:\n{}",
                    r.stdout
                );
            }
        }
    }
    // 07: a config waiver's glob does not reach outside the config's folder.
    fs::create_dir_all(dir.join("team-a/traces")).unwrap();
    fs::create_dir_all(dir.join("team-b/traces")).unwrap();
    fs::write(dir.join("team-b/traces/b.yaml"), tracked()).unwrap();
    fs::write(
        dir.join("team-a/.packetgate.yml"),
        "waivers:\n  - {path: '**/*.yaml', rule: url-tracking, owner: finops, reason: vendor link, expires: 2026-12-20}\n",
    )
    .unwrap();
    let r = check(
        &dir,
        &["--config", "team-a/.packetgate.yml", "team-b/traces/b.yaml"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    // 08: `**` in a waiver's field is refused at once, not matched for minutes.
    let deep = "**.".repeat(1000) + "zzz";
    let w = format!("  - {{rule: url-tracking, field: '{deep}', owner: finops, reason: vendor link, expires: 2026-12-20}}\n");
    let (code, p) = one(&dir, "deep.yaml", &with_waivers(&tracked(), &w));
    assert_eq!(code, 1);
    assert!(rules(&p).contains(&("waiver-incomplete".to_string(), false)));
    // 09: no policy makes a credential rule waivable.
    fs::create_dir_all(dir.join("pol/policies")).unwrap();
    fs::write(
        dir.join("pol/.packetgate.yml"),
        "policies: [policies/p.yml]\n",
    )
    .unwrap();
    fs::write(
        dir.join("pol/policies/p.yml"),
        "policy: cost-trace\nextends: cost-trace\nrules:\n  - id: secret-in-packet\n    waivable: true\n",
    )
    .unwrap();
    let leaked = with_waivers(
        &PASSING_TRACE.replacen(
            "workload: meeting-notes-summarizer",
            &format!("workload: \"summarizer {key}\""),
            1,
        ),
        "  - {rule: secret-in-packet, owner: finops, reason: test key, expires: 2026-12-20}\n",
    );
    fs::write(dir.join("pol/k.yaml"), leaked).unwrap();
    let r = check(&dir.join("pol"), &["k.yaml"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("waiver-not-waivable"), "{}", r.stdout);
    // 10: `*` patterns cover the fields inside what they match.
    let w = GOOD.replace("source_urls[0].url", "source_urls[*]");
    let (code, p) = one(&dir, "star.yaml", &with_waivers(&tracked(), &w));
    assert_eq!(code, 0, "{p:#}");
    // 11: two waivers cover one finding: both are used, the narrower one is shown.
    let two = format!(
        "  - {{rule: url-tracking, owner: finops, reason: broad, expires: 2026-12-20}}\n{GOOD}"
    );
    let (code, p) = one(&dir, "two.yaml", &with_waivers(&tracked(), &two));
    assert_eq!(code, 0, "{p:#}");
    assert_eq!(
        rules(&p),
        [("url-tracking".to_string(), true)],
        "neither is unused"
    );
    assert_eq!(p["findings"][0]["waived"]["owner"], "finops-platform");
    // 12: an empty config waiver path is a config error.
    fs::write(dir.join("cfg/.packetgate.yml"), "waivers:\n  - {path: '', rule: url-tracking, owner: a, reason: b c, expires: 2026-12-01}\n").unwrap();
    assert_eq!(check(&dir, &["cfg/traces"]).code, 2);
}

/// Generated spellings of one waiver (keys bare, double- or single-quoted; values plain or
/// quoted; block or flow style; a trailing comment; CRLF line ends; YAML or Markdown): each
/// reads the same, so each gets the same verdict. The same waiver with its reason removed
/// must fail in every spelling.
#[test]
fn every_generated_spelling_of_a_waiver_gets_the_same_verdict() {
    let dir = scratch("waiver-generated");
    let fields = [
        ("rule", "url-tracking"),
        ("field", "source_urls[0].url"),
        ("owner", "finops-platform"),
        ("reason", "vendor campaign link"),
        ("expires", "2026-12-20"),
    ];
    let key = |k: &str, q: usize| match q {
        0 => k.to_string(),
        1 => format!("\"{k}\""),
        _ => format!("'{k}'"),
    };
    let value = |v: &str, q: usize| match q {
        0 if v.contains('[') => format!("'{v}'"),
        0 => v.to_string(),
        1 => format!("\"{v}\""),
        _ => format!("'{v}'"),
    };
    let mut n = 0;
    for kq in 0..3 {
        for vq in 0..3 {
            for flow in [false, true] {
                for comment in [false, true] {
                    for crlf in [false, true] {
                        for markdown in [false, true] {
                            for complete in [true, false] {
                                let pairs: Vec<String> = fields
                                    .iter()
                                    .filter(|(k, _)| complete || *k != "reason")
                                    .map(|(k, v)| format!("{}: {}", key(k, kq), value(v, vq)))
                                    .collect();
                                let note = if comment { "  # accepted" } else { "" };
                                let w = if flow {
                                    format!("  - {{{}}}{note}\n", pairs.join(", "))
                                } else {
                                    format!("  - {}{note}\n", pairs.join("\n    "))
                                };
                                let mut text = with_waivers(&tracked(), &w);
                                if markdown {
                                    text = format!("---\n{text}---\n\nThe summarizer's trace.\n");
                                }
                                if crlf {
                                    text = text.replace('\n', "\r\n");
                                }
                                let name = format!(
                                    "{}/g{n}.{}",
                                    if complete { "complete" } else { "incomplete" },
                                    if markdown { "md" } else { "yaml" }
                                );
                                n += 1;
                                fs::create_dir_all(dir.join(&name).parent().unwrap()).unwrap();
                                fs::write(dir.join(&name), text).unwrap();
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n, 288);
    // One run over all of them: every complete spelling passes, every incomplete one fails.
    let (_, json) = check_json(&dir, &["."]);
    let packets = json["packets"].as_array().unwrap();
    assert_eq!(packets.len(), 288);
    for p in packets {
        let path = p["path"].as_str().unwrap();
        let want = if path.starts_with("complete/") {
            "pass"
        } else {
            "fail"
        };
        assert_eq!(p["verdict"], want, "{path}: {p:#}");
    }
}
