//! Each rule kind on its own: a tiny policy written inline, a tiny packet, the exact
//! findings. These pin the kinds' semantics independently of the built-in policies.

use crate::config::decode::{Problems, Sources};
use crate::config::policy::{Documents, Policy};
use crate::dates::Date;
use crate::packet::{self, LoadLimits, Loaded, Origin};
use crate::rules::{evaluate, Ctx};

const TODAY: &str = "2026-11-20";

fn policy(rules: &str) -> Policy {
    let text = format!(
        "policy: t\nfields:\n  packet: the kind\n  a: first\n  b: second\n  list: a list\n  flag: a flag\n  note: a note\nplaceholders:\n  values: [TBD]\n  patterns: ['<[^<>]*>']\nsettings:\n  max_age_days: 30\n  negations: [not, no]\nrules:\n{rules}"
    );
    let mut sources = Sources::default();
    let mut problems = Problems::default();
    let docs = Documents::parse(&[("t.yml".into(), text)], &mut sources, &mut problems);
    let policies = docs.resolve(&sources, &mut problems);
    assert!(problems.is_empty(), "{}", problems.render(&sources));
    policies
        .into_iter()
        .find(|p| p.id == "t")
        .expect("policy t")
}

/// Findings as `LINE rule field`, for a packet written as YAML or Markdown.
fn judge(rules: &str, path: &str, packet_text: &str) -> Vec<String> {
    let policy = policy(rules);
    let origin = Origin {
        explicit: true,
        assigned_kind: None,
    };
    let Loaded::Packet(p, _) = packet::load(
        path,
        packet_text.as_bytes(),
        origin,
        &["t"],
        LoadLimits::default(),
    ) else {
        panic!("not a packet: {packet_text}");
    };
    let ctx = Ctx::new(&p, &policy, Date::parse(TODAY).expect("date"), 30);
    evaluate(&ctx)
        .findings
        .into_iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f.line,
                f.rule,
                f.field.unwrap_or_else(|| "-".into())
            )
        })
        .collect()
}

fn yaml(rules: &str, body: &str) -> Vec<String> {
    judge(rules, "p.yaml", &format!("packet: t\n{body}"))
}

#[test]
fn required_reports_absent_empty_and_template_values() {
    let r = "  - {id: req, kind: required, fields: [a, b, list, 'list[*].url']}\n";
    assert_eq!(
        yaml(
            r,
            "a: TBD\nb: ''\nlist:\n  - {url: x}\n  - {name: y}\n  - plain\n"
        ),
        ["2 req a", "3 req b", "6 req list[1].url",]
    );
    assert_eq!(yaml(r, "a: 1\nb: <B>\n"), ["3 req b", "1 req list"]);
    // A plain-string link is its own `url`; its date is still missing.
    let r = "  - {id: req, kind: required, fields: ['list[*].url', 'list[*].accessed']}\n";
    assert_eq!(
        yaml(r, "list:\n  - https://a.example/\n"),
        ["3 req list[0].accessed"]
    );
}

#[test]
fn enum_is_case_insensitive_and_skips_missing() {
    let r = "  - {id: e, kind: enum, field: a, values: [pass, fail]}\n";
    assert!(yaml(r, "a: PASS\n").is_empty());
    assert!(yaml(r, "b: 1\n").is_empty());
    assert_eq!(yaml(r, "a: maybe\n"), ["2 e a"]);
    assert_eq!(yaml(r, "a: [pass]\n"), ["2 e a"]);
}

#[test]
fn pattern_is_anchored_unless_asked() {
    let r = "  - {id: p, kind: pattern, field: a, pattern: 'CHG-\\d+'}\n  - {id: q, kind: pattern, field: b, pattern: 'https://', anchored: false}\n";
    assert!(yaml(r, "a: CHG-12\nb: see https://x\n").is_empty());
    assert_eq!(yaml(r, "a: xCHG-12\nb: none\n"), ["2 p a", "3 q b"]);
}

#[test]
fn type_and_min_items() {
    let r = "  - {id: ty, kind: type, fields: [flag], type: boolean}\n  - {id: mi, kind: min-items, field: list, min: 2}\n";
    assert!(yaml(r, "flag: false\nlist: [a, b]\n").is_empty());
    assert_eq!(
        yaml(r, "flag: 'yes'\nlist: [a]\n"),
        ["2 ty flag", "3 mi list"]
    );
    assert_eq!(yaml(r, "list: text\n"), ["2 mi list"]);
}

#[test]
fn date_format_future_and_window() {
    let r = "  - {id: d, kind: date, fields: ['**.accessed']}\n  - {id: w, kind: date, fields: [a], max_age_days: 5}\n";
    let body = "list:\n  - {accessed: 2026-11-20}\n  - {accessed: 2026-10-21}\n  - {accessed: 2026-10-20}\n  - {accessed: 2026-11-21}\n  - {accessed: 2026-02-30}\n  - {accessed: 20/11/2026}\na: 2026-11-14\n";
    assert_eq!(
        yaml(r, body),
        [
            "5 d list[2].accessed",
            "6 d list[3].accessed",
            "7 d list[4].accessed",
            "8 d list[5].accessed",
            "9 w a"
        ]
    );
}

#[test]
fn url_checks_fields_and_prose() {
    let r = "  - {id: h, kind: url, check: https}\n  - {id: t, kind: url, check: no-tracking, params: ['utm_*', gclid]}\n  - {id: c, kind: url, check: no-credentials, skip_fields: [b]}\n";
    let md = "---\npacket: t\na: http://x.example/p\nb: https://u:p@x.example/\n---\nSee https://x.example/?utm_source=n&gclid=1 and https://u:p@y.example/.\n";
    assert_eq!(judge(r, "p.md", md), ["3 h a", "6 t -", "6 c -"]);
}

#[test]
fn url_skip_schemes_are_references_except_where_a_link_belongs() {
    let r = "  - {id: h, kind: url, check: https, url_fields: ['list[*].url'], skip_schemes: [vault, op]}\n";
    let body = "a: \"vault://finops/key\"\nb: \"see op://team/item and ftp://x.example/\"\nlist:\n  - url: VAULT://finops/evidence\n";
    assert_eq!(yaml(r, body), ["3 h b", "5 h list[0].url"]);
}

#[test]
fn url_hosts_by_provider() {
    let r = "  - {id: u, kind: url-hosts, field: list, provider_field: a, providers: {acme: [docs.acme.example]}}\n";
    assert!(yaml(
        r,
        "a: acme\nlist: [{url: 'https://api.docs.acme.example/x'}]\n"
    )
    .is_empty());
    assert_eq!(
        yaml(r, "a: acme\nlist: ['https://blog.example/x']\n"),
        ["3 u list"]
    );
    assert_eq!(
        yaml(r, "a: other\nlist: ['https://docs.acme.example/']\n"),
        ["2 u a"]
    );
    assert!(
        yaml(r, "list: ['https://docs.acme.example/']\n").is_empty(),
        "no provider: any known docs host"
    );
}

#[test]
fn conditional_tests() {
    let r = "  - id: c\n    kind: conditional\n    when: {field: a, equals: approved}\n    then:\n      - {field: b, equals: pass}\n      - {field: note, present: true}\n  - id: m\n    kind: conditional\n    when: {field: a, equals: returned}\n    then: {field: note, mentions_field: true}\n  - id: w\n    kind: conditional\n    when: {field: flag, equals: 'true'}\n    then: {field: b, min_words: 2}\n";
    assert!(yaml(r, "a: APPROVED\nb: pass\nnote: ok\n").is_empty());
    assert_eq!(yaml(r, "a: approved\nb: fail\n"), ["3 c b", "2 c note"]);
    assert_eq!(yaml(r, "a: returned\nnote: needs work\n"), ["3 m note"]);
    assert!(yaml(r, "a: returned\nnote: 'returned: the list is empty'\n").is_empty());
    assert_eq!(yaml(r, "flag: true\nb: tokens\n"), ["3 w b"]);
}

#[test]
fn rules_pass_sees_earlier_findings() {
    let r = "  - {id: req, kind: required, fields: [b]}\n  - id: ok\n    kind: conditional\n    when: {field: a, equals: approved}\n    then: {rules_pass: [req]}\n";
    assert_eq!(yaml(r, "a: approved\n"), ["1 req b", "2 ok a"]);
    assert!(yaml(r, "a: approved\nb: x\n").is_empty());
}

#[test]
fn claims_respect_negation_skip_and_unless() {
    let r = "  - id: up\n    kind: claim\n    pattern: '\\d+(?:\\.\\d+)?%\\s*uptime'\n    skip_fields: [b]\n    unless: {field: flag, equals: 'true'}\n";
    let md = "---\npacket: t\na: 99.9% uptime\nb: 99.9% uptime\n---\nThis does not prove 99.9% uptime.\nThe SLA is 99.95% uptime.\n";
    assert_eq!(judge(r, "p.md", md), ["3 up a", "7 up -"]);
    let waived = md.replace("a: 99.9% uptime", "flag: true");
    assert!(judge(r, "p.md", &waived).is_empty());
}

#[test]
fn secrets_anywhere_and_token_like_fields() {
    let r = "  - id: s\n    kind: secret\n    patterns: [{name: key, pattern: 'sk-[A-Za-z0-9]{20,}'}, {name: header, pattern: '(?i)authorization:\\s*bearer\\s+(\\S{12,})'}]\n    allow: ['<[^<>]*>']\n  - {id: tk, kind: secret, fields: [a], token_like: true}\n";
    let md = "---\npacket: t\n# sk-abcdefghijklmnopqrstuvwx in a comment\na: q8Zr3T5v9W1x7Y2u4K6m8P0n\nb: vault:finops/key-name-2026\n---\nAuthorization: Bearer <API_KEY_PLACEHOLDER>\nAuthorization: Bearer abcdefghijklmnop1234\n";
    assert_eq!(judge(r, "p.md", md), ["3 s -", "8 s -", "4 tk a"]);
    // `allow` is matched against the whole value: a key with a placeholder after it is no
    // placeholder.
    let anchored = md.replace("<API_KEY_PLACEHOLDER>", "<x>abcdefghijkl-<x>");
    assert_eq!(
        judge(r, "p.md", &anchored),
        ["3 s -", "7 s -", "8 s -", "4 tk a"]
    );
}

#[test]
fn known_fields_suggests_the_closest() {
    let r = "  - {id: k, kind: known-fields, severity: warning}\n";
    assert_eq!(
        yaml(r, "a: 1\nnotee: x\nzzz: y\n"),
        ["3 k notee", "4 k zzz"]
    );
}

#[test]
fn disabled_rules_do_not_report() {
    let r = "  - {id: req, kind: required, fields: [a], enabled: false}\n";
    assert!(yaml(r, "b: 1\n").is_empty());
}
