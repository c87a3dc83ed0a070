//! The labelled claims corpus (`tests/claims/*.tsv`), judged by the real binary.
//!
//! Every row becomes a real packet file: the sentence goes where the row says — the Markdown
//! prose, or a field of the front matter (a folded block scalar, so a wrapped sentence stays
//! wrapped in the file) — inside an otherwise passing budget-change packet. One run judges
//! them all; a row counts as found when its packet carries `claim-<family>`, and a non-claim
//! row is a false positive for every family reported on it.
//!
//! Four parts: `dev.tsv` (used while writing the rules; held to the bar, recall at
//! least 97 % and false positives at most 1 % of the non-claim rows, per family),
//! `heldout.tsv` and `fresh.tsv` (each scored once, then tuned on; held at what they reached),
//! and `unseen.tsv` (written last, blind, and scored once: the measure of unseen text). `bash
//! bench/claims.sh` prints the tables; `SHOW_MISSES=1` lists the rows missed or wrongly
//! reported.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use support::{check_json, root, scratch};

const FAMILIES: &[&str] = &[
    "price",
    "discount",
    "rate-limit",
    "uptime",
    "latency",
    "model-inventory",
    "billing-total",
];

struct Row {
    family: String,
    place: String,
    text: String,
}

fn rows(file: &str) -> Vec<Row> {
    let path = root().join("tests/claims").join(file);
    let text = fs::read_to_string(&path).expect("corpus file");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            let (f, w, t) = (cols.next(), cols.next(), cols.next());
            let (Some(family), Some(place), Some(text)) = (f, w, t) else {
                panic!("{file}: bad row {l:?}");
            };
            assert!(
                family == "none" || FAMILIES.contains(&family),
                "{file}: unknown family in {l:?}"
            );
            Row {
                family: family.into(),
                place: place.into(),
                text: text.replace("\\n", "\n"),
            }
        })
        .collect()
}

const FRONT: &[(&str, &str)] = &[
    ("packet", "budget-change"),
    ("change_id", "CHG-2026-0142"),
    ("change_reason", "Raise the support bot's monthly token budget line after chat volume moved from the web form."),
    ("request_class", "support-bot-chat-reply"),
    ("owner", "support-platform"),
    ("environment", "staging"),
    ("provider", "cometapi"),
    ("credential_ref", "\"vault:finops/cometapi-test-key\""),
    ("evidence_urls_checked", "\n  - url: https://apidoc.cometapi.com/\n    accessed: 2026-11-12\n  - url: https://www.finops.org/framework/capabilities/allocation/\n    accessed: 2026-11-12"),
    ("happy_path_result", "pass"),
    ("error_path_result", "pass"),
    ("retry_behavior", "\"bounded: 2 retries with backoff, then error recorded\""),
    ("allocation_rule", "Tag cost-center=support-platform on every request."),
    ("unit_metric", "cost per support-bot chat reply"),
    ("approval_status", "pending"),
    ("does_not_prove", "\n  - exact future spend for the raised budget line"),
    ("assumptions", "\n  - \"Assumption (forecasted demand): chat volume stays near the October level; review at the first monthly variance check.\""),
];

/// `TEXT` as a folded block scalar at `indent`, its lines kept as the row wraps them.
fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from(">-\n");
    for line in text.lines() {
        let _ = writeln!(out, "{pad}{}", line.trim_start());
    }
    out.pop();
    out
}

/// A passing budget-change packet with the row's sentence where the row puts it.
fn packet(row: &Row) -> String {
    let mut fields: Vec<(String, String)> = FRONT
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let mut prose =
        String::from("## What changed\n\nThe new amount is recorded in the change ticket.\n");
    let (top, sub) = row.place.split_once('.').unwrap_or((&row.place, ""));
    match (top, sub) {
        ("prose", _) => {
            let _ = write!(prose, "\n{}\n", row.text);
        }
        ("does_not_prove" | "assumptions", _) => {
            let value = fields.iter_mut().find(|(k, _)| k == top).expect("base list");
            let _ = write!(value.1, "\n  - {}", block(&row.text, 4));
        }
        ("sources", sub) => fields.push((
            "sources".into(),
            format!(
                "\n  - area: Pricing reference\n    url: https://apidoc.cometapi.com/\n    accessed: 2026-11-12\n    {sub}: {}",
                block(&row.text, 6)
            ),
        )),
        (top, "") => {
            fields.retain(|(k, _)| k != top);
            fields.push((top.to_string(), block(&row.text, 2)));
        }
        (top, sub) => fields.push((
            top.to_string(),
            format!(
                "\n  url: https://apidoc.cometapi.com/\n  accessed: 2026-11-12\n  account_view_confirmed: false\n  {sub}: {}",
                block(&row.text, 4)
            ),
        )),
    }
    let mut out = String::from("---\n");
    for (k, v) in fields {
        let sep = if v.starts_with('\n') { "" } else { " " };
        let _ = writeln!(out, "{k}:{sep}{v}");
    }
    out.push_str("---\n\n");
    out.push_str(&prose);
    out
}

#[derive(Default)]
struct Score {
    claims: usize,
    found: usize,
    false_positives: usize,
}

struct Table {
    families: BTreeMap<&'static str, Score>,
    non_claims: usize,
    misses: Vec<String>,
}

impl Table {
    fn render(&self, title: &str) -> String {
        let mut out = format!(
            "{title}\n| family | claims | found | recall | false positives (of {} non-claims) |\n|---|---:|---:|---:|---:|\n",
            self.non_claims
        );
        for f in FAMILIES {
            let s = &self.families[f];
            let _ = writeln!(
                out,
                "| {f} | {} | {} | {:.1}% | {} ({:.1}%) |",
                s.claims,
                s.found,
                100.0 * s.found as f64 / s.claims.max(1) as f64,
                s.false_positives,
                100.0 * s.false_positives as f64 / self.non_claims.max(1) as f64
            );
        }
        out
    }

    fn failures(&self, bar: Bar) -> Vec<String> {
        let mut out = Vec::new();
        for f in FAMILIES {
            let s = &self.families[f];
            let recall = s.found as f64 / s.claims.max(1) as f64;
            let fp = s.false_positives as f64 / self.non_claims.max(1) as f64;
            if recall < bar.recall {
                out.push(format!(
                    "{f}: recall {:.1}% < {:.1}%",
                    100.0 * recall,
                    100.0 * bar.recall
                ));
            }
            if fp > bar.false_positives {
                out.push(format!(
                    "{f}: false positives {:.1}% > {:.1}%",
                    100.0 * fp,
                    100.0 * bar.false_positives
                ));
            }
        }
        out
    }
}

/// The least recall and the most false positives allowed in every family.
#[derive(Clone, Copy)]
struct Bar {
    recall: f64,
    false_positives: f64,
}

/// The bar: 97 % recall, at most 1 % false positives.
const THE_BAR: Bar = Bar {
    recall: 0.97,
    false_positives: 0.01,
};

fn score(file: &str) -> Table {
    let rows = rows(file);
    let dir = scratch(&format!("claims-{file}"));
    let names: Vec<String> = (0..rows.len()).map(|i| format!("row-{i:04}.md")).collect();
    for (row, name) in rows.iter().zip(&names) {
        fs::write(dir.join(name), packet(row)).unwrap();
    }
    let json = judge(&dir);
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in json["packets"].as_array().expect("packets") {
        let rules = p["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .filter_map(|r| r.strip_prefix("claim-"))
            .map(str::to_string)
            .collect();
        by_path.insert(p["path"].as_str().unwrap_or("").to_string(), rules);
    }
    let mut table = Table {
        families: FAMILIES.iter().map(|f| (*f, Score::default())).collect(),
        non_claims: 0,
        misses: Vec::new(),
    };
    for (row, name) in rows.iter().zip(&names) {
        let found = by_path
            .get(name)
            .unwrap_or_else(|| panic!("{name} was not judged"));
        if row.family == "none" {
            table.non_claims += 1;
            for f in found {
                if let Some(s) = table.families.get_mut(f.as_str()) {
                    s.false_positives += 1;
                }
            }
            if !found.is_empty() {
                table
                    .misses
                    .push(format!("FP {found:?} [{}] {}", row.place, row.text));
            }
        } else {
            let s = table.families.get_mut(row.family.as_str()).expect("family");
            s.claims += 1;
            if found.contains(&row.family) {
                s.found += 1;
            } else {
                table.misses.push(format!(
                    "MISS {} (got {found:?}) [{}] {}",
                    row.family, row.place, row.text
                ));
            }
        }
    }
    table
}

fn judge(dir: &Path) -> serde_json::Value {
    let (_, json) = check_json(dir, &["."]);
    json
}

fn assert_bar(file: &str, title: &str, bar: Bar) {
    let table = score(file);
    println!("{}", table.render(title));
    if std::env::var_os("SHOW_MISSES").is_some() {
        for m in &table.misses {
            println!("{m}");
        }
    }
    let failures = table.failures(bar);
    assert!(
        failures.is_empty(),
        "{title}: {failures:?}\n{}",
        table.render(title)
    );
}

#[test]
fn dev_half_meets_the_bar() {
    assert_bar("dev.tsv", "dev half (tests/claims/dev.tsv)", THE_BAR);
}

/// The second half, written apart from the dev half. Its first scoring (docs/rules.md) fell
/// short of the bar, and the rules were then generalised from its misses, so it is a tuning set
/// now: this holds it at what it reached, against regressions. Its last misses are known limits
/// (docs/development.md): "may" stating a permission, a negated verb whose object is the claim.
#[test]
fn second_half_keeps_its_figures() {
    let bar = Bar {
        recall: 0.96,
        false_positives: 0.005,
    };
    assert_bar("heldout.tsv", "second half (tests/claims/heldout.tsv)", bar);
}

/// The fresh half: written blind to the rules and to the other halves, and scored once
/// (docs/rules.md). The rules were then generalised from its misses (a `sources[*].verify` row is
/// read, durations in words, relative clauses after a model, our own limits and delays), so
/// it is a tuning set too, and held to the bar. The honest measure of unseen text is
/// now `unseen.tsv`.
#[test]
fn fresh_half_meets_the_bar() {
    assert_bar("fresh.tsv", "fresh half (tests/claims/fresh.tsv)", THE_BAR);
}

/// The unseen half: written last, blind to the rules and to the other parts, and scored once;
/// that first table (docs/rules.md) is the honest measure of sentences the rules had never seen.
/// The rules were then generalised from its misses (web addresses are no words of the
/// sentence, verification notes, our own settings, sources set aside, hyphenated number
/// words), so it is a tuning set now, held at what it reached. A new blind half is the next
/// honest measure.
#[test]
fn unseen_half_keeps_its_figures() {
    let bar = Bar {
        recall: 0.96,
        false_positives: 0.005,
    };
    assert_bar("unseen.tsv", "unseen half (tests/claims/unseen.tsv)", bar);
}

/// The blind half: written last, after the rules had been generalised from every other part
/// and from the black-box attack, blind to all of them, and scored once (docs/rules.md: the honest
/// measure of sentences the rules had never seen). The rules were then generalised from its
/// misses (a subject that governs its figure, the subject of a predicate across a
/// parenthesis, `sub-100 ms`), so it is a tuning set now, held at what it reached.
#[test]
fn blind_half_keeps_its_figures() {
    let bar = Bar {
        recall: 0.96,
        false_positives: 0.005,
    };
    assert_bar("blind.tsv", "blind half (tests/claims/blind.tsv)", bar);
}

/// The black-box attack's sentences (`attack.tsv`): written by a red-teamer who had only the
/// binary, to green a failing packet or to raise a false alarm. Each row is judged as a real
/// packet; a `claim` row must be reported as some claim, a `none` row as none. Rows marked
/// `-known` are the misses and false alarms docs/development.md lists (Known limits): they are
/// reported, and the test says when one starts to pass, so its mark can go.
#[test]
fn attack_sentences_keep_their_verdicts() {
    let path = root().join("tests/claims/attack.tsv");
    let text = fs::read_to_string(&path).expect("attack corpus");
    let rows: Vec<(String, Row)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.splitn(3, '\t').collect();
            assert_eq!(cols.len(), 3, "attack.tsv: bad row {l:?}");
            let row = Row {
                family: "none".into(),
                place: cols[1].into(),
                text: cols[2].replace("\\n", "\n"),
            };
            (cols[0].to_string(), row)
        })
        .collect();
    assert!(rows.len() >= 300, "{} rows", rows.len());
    let dir = scratch("claims-attack");
    for (i, (_, row)) in rows.iter().enumerate() {
        fs::write(dir.join(format!("row-{i:04}.md")), packet(row)).unwrap();
    }
    let json = judge(&dir);
    let mut claimed: BTreeMap<String, bool> = BTreeMap::new();
    for p in json["packets"].as_array().expect("packets") {
        let any = p["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("claim-")));
        claimed.insert(p["path"].as_str().unwrap_or("").to_string(), any);
    }
    let (mut wrong, mut known, mut fixed) = (Vec::new(), 0, Vec::new());
    for (i, (expect, row)) in rows.iter().enumerate() {
        let got = claimed[&format!("row-{i:04}.md")];
        match expect.as_str() {
            "claim" if !got => wrong.push(format!("missed: {}", row.text)),
            "none" if got => wrong.push(format!("false alarm: {}", row.text)),
            "claim-known" | "none-known" => {
                known += 1;
                if got == (expect == "claim-known") {
                    fixed.push(row.text.clone());
                }
            }
            "claim" | "none" => {}
            other => panic!("attack.tsv: unknown expectation {other:?}"),
        }
    }
    println!(
        "attack: {} rows, {} wrong, {known} known ({} of them now right)",
        rows.len(),
        wrong.len(),
        fixed.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        fixed.is_empty(),
        "known rows now judged right (drop their mark): {fixed:#?}"
    );
}

/// The budget-change packet of the corpus with `notes:` written as `yaml` (a list).
fn with_notes(yaml: &str) -> String {
    let base = packet(&Row {
        family: "none".into(),
        place: "prose".into(),
        text: "Nothing else changed.".into(),
    });
    let end = base[3..].find("\n---\n").expect("front matter") + 3;
    format!("{}\nnotes: {yaml}{}", &base[..end], &base[end..])
}

/// A table or a short list states a claim the way a sentence does (black-box attack 2,
/// finding 07): a cell is read under its column's header and its row's first cell (`| Model
/// | Uptime SLA |` over `| gpt-4o-mini | 99.9% |` reads "gpt-4o-mini Uptime SLA: 99.9%"), a
/// short list item under the item before it (`[price per 1M input tokens, "$0.15"]`). Each
/// claim is reported on the line of its cell or item. Tables and lists that state no claim
/// (dates, owners, our own budget, smoke-test results) stay quiet.
#[test]
fn tables_and_lists_read_as_sentences() {
    let prose = |t: &str| {
        packet(&Row {
            family: "none".into(),
            place: "prose".into(),
            text: t.into(),
        })
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        // The attack's table, and its first variant.
        (
            "attack-table",
            prose("## Provider terms\n\n| Model | Input price per 1M tokens | Uptime SLA | p95 latency | Rate limit (requests per minute) |\n|---|---|---|---|---|\n| gpt-4o-mini | $0.15 | 99.9% | 300 ms | 10,000 |"),
            &["latency", "price", "rate-limit", "uptime"],
        ),
        (
            "attack-table-3",
            prose("| Model | Input price per 1M tokens | Uptime SLA | p95 latency |\n|---|---|---|---|\n| gpt-4o-mini | $0.15 | 99.9% | 300 ms |"),
            &["latency", "price", "uptime"],
        ),
        // The attack's list, flow and block.
        ("attack-list", with_notes("[price per 1M input tokens, \"$0.15\"]"), &["price"]),
        ("attack-list-block", with_notes("\n  - price per 1M input tokens\n  - \"$0.15\""), &["price"]),
        // Paraphrases: the topic in the row's first cell, units in the header, models as
        // columns, label and value pairs in one row.
        (
            "metric-rows",
            prose("| Metric | Value |\n|---|---|\n| Output price per million tokens | USD 0.60 |\n| Monthly uptime commitment | 99.95 % |"),
            &["price", "uptime"],
        ),
        ("tier-limits", prose("| Tier | RPM | TPM |\n|---|---|---|\n| Tier 2 | 5,000 | 2,000,000 |"), &["rate-limit"]),
        ("ttft", prose("| Endpoint | Time to first token |\n|---|---|\n| chat | 180 ms |"), &["latency"]),
        (
            "units-in-header",
            prose("| Model | Input ($/1M tokens) | p95 (ms) | Uptime % |\n|---|---|---|---|\n| gpt-4o-mini | 0.15 | 300 | 99.9 |"),
            &["latency", "price", "uptime"],
        ),
        (
            "models-as-columns",
            prose("| Term | gpt-4o-mini | claude-3-5-haiku |\n|---|---|---|\n| Input $/1M tokens | 0.15 | 0.80 |\n| Availability | 99.9% | 99.5% |"),
            &["price", "uptime"],
        ),
        (
            "pairs-in-a-row",
            prose("| Item | Value | Item | Value |\n|---|---|---|---|\n| Uptime SLA | 99.9% | p95 latency | 300 ms |"),
            &["latency", "uptime"],
        ),
        ("invoice", prose("| Month | Invoice total |\n|---|---|\n| October | $1,240.00 |"), &["billing-total"]),
        ("discount", prose("| Discount | Volume |\n|---|---|\n| 20% | over 1B tokens |"), &["discount"]),
        (
            "list-pairs",
            with_notes("\n  - Uptime SLA\n  - \"99.9%\"\n  - p95 latency\n  - 300 ms"),
            &["latency", "uptime"],
        ),
        ("list-rate", with_notes("[\"Rate limit (requests per minute)\", \"10,000\"]"), &["rate-limit"]),
        // No claim: dates, owners, our own budget, smoke-test results, what to verify.
        (
            "dates-and-owners",
            prose("| Date | Owner | Step |\n|---|---|---|\n| 2026-11-12 | support-platform | smoke test |\n| 2026-11-13 | finops | review |"),
            &[],
        ),
        (
            "our-budget",
            prose("| Owner | Budget line | New monthly budget ($) |\n|---|---|---|\n| support-platform | support bot | 12000 |"),
            &[],
        ),
        (
            "smoke-results",
            prose("| Check | Result | Requests sent | Duration (ms) |\n|---|---|---|---|\n| happy path | pass | 1 | 850 |\n| error path | pass | 2 | 120 |"),
            &[],
        ),
        (
            "links-checked",
            prose("| Item | Link | Accessed |\n|---|---|---|\n| Pricing page | https://apidoc.cometapi.com/ | 2026-11-12 |"),
            &[],
        ),
        (
            "to-verify",
            prose("| To verify | Where |\n|---|---|\n| Input price per 1M tokens | pricing page, account view |\n| Uptime SLA | help center, 2 pages |"),
            &[],
        ),
        ("traffic-share", prose("| Week | Share of traffic (%) |\n|---|---|\n| 1 | 20 |\n| 2 | 35 |"), &[]),
        (
            "ticket",
            prose("| Ticket | Change |\n|---|---|\n| CHG-2026-0142 | raise the support bot budget line by 15% |"),
            &[],
        ),
        ("list-ticket", with_notes("[\"ticket CHG-2026-0142\", \"budget +15%\"]"), &[]),
        ("list-review", with_notes("[\"Reviewed 2026-11-12\", \"2 retries with backoff\"]"), &[]),
        ("list-owner", with_notes("[owner, support-platform, reviewed, 2026-11-12]"), &[]),
    ];
    let dir = scratch("claims-tables");
    for (name, text, _) in &cases {
        fs::write(dir.join(format!("{name}.md")), text).unwrap();
    }
    // A table of one-character cells under a topic header: its cells add at most 1,000
    // claims by their row and column (a finding per two bytes would be a cheap flood).
    let flood = prose(&format!("|rate limit|\n|-|\n{}", "|7|\n".repeat(1_500)));
    fs::write(dir.join("flood.md"), flood).unwrap();
    let json = judge(&dir);
    let mut wrong = Vec::new();
    for p in json["packets"].as_array().expect("packets") {
        let path = p["path"].as_str().unwrap_or("");
        if path == "flood.md" {
            let n = p["findings"].as_array().map_or(0, Vec::len);
            assert_eq!(n, 1_000, "flood.md");
            continue;
        }
        let (name, text, want) = cases
            .iter()
            .find(|(n, _, _)| format!("{n}.md") == path)
            .unwrap_or_else(|| panic!("{path} was not written"));
        let findings = p["findings"].as_array().expect("findings");
        let mut got: Vec<&str> = findings
            .iter()
            .filter_map(|f| f["rule"].as_str()?.strip_prefix("claim-"))
            .collect();
        got.sort_unstable();
        got.dedup();
        if got != *want {
            wrong.push(format!("{name}: got {got:?}, want {want:?}"));
        }
        // Each claim points at the line of its cell or item.
        for f in findings {
            let message = f["message"].as_str().unwrap_or("");
            let Some(figure) = message.split('"').nth(1) else {
                continue;
            };
            // The figure as written (a unit the header names is quoted after it: `99.9%`).
            let first = figure.split_whitespace().next().unwrap_or(figure);
            let first = first.trim_end_matches('%');
            let line = f["line"].as_u64().unwrap_or(0) as usize;
            let at = text.lines().nth(line.wrapping_sub(1)).unwrap_or("");
            if !at.contains(first) {
                wrong.push(format!("{name}: {message} reported on line {line}: {at:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_row_of_every_half_is_well_formed() {
    for file in [
        "dev.tsv",
        "heldout.tsv",
        "fresh.tsv",
        "unseen.tsv",
        "blind.tsv",
    ] {
        let rows = rows(file);
        assert!(rows.len() >= 350, "{file}: {} rows", rows.len());
        for f in FAMILIES {
            let n = rows.iter().filter(|r| r.family == *f).count();
            assert!(n >= 25, "{file}: {f} has {n} claims");
        }
    }
}
