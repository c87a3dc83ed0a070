//! What the fuzz targets run, and the invariants they check, shared with
//! `tests/fuzz_regressions.rs` (which includes this file with `#[path]`), so a regression test
//! runs an input through exactly the code the fuzzer ran it through.
//!
//! Every function panics (fails the fuzz run, or the test) when an invariant breaks:
//! - every finding has line ≥ 1, column ≥ 1, and line ≤ (lines in the file) + 1;
//! - findings are sorted by (line, column, rule) with no duplicates;
//! - a packet's verdict is Fail iff it has a finding at or above the fail level, and the run's
//!   verdict is Fail iff some packet fails;
//! - judging or loading the same bytes twice gives the same result (checked for one input in
//!   eight, picked by a hash of the bytes: it doubles the cost of an input, and a result that
//!   depends on anything but the bytes shows up on any of them);
//! - a loaded packet is a mapping, of a kind the config knows, and every node of its tree sits
//!   inside the file;
//! - no secret the rules found appears in any rendered report (human, json, sarif, github);
//! - the JSON report is valid JSON;
//! - a config or policy that does not load is a list of problems, each `file:line:col: …` with
//!   line and column ≥ 1.
#![allow(dead_code)]

use packetgate::config::{self, Config, ConfigError};
use packetgate::dates::Date;
use packetgate::discover::Candidate;
use packetgate::engine::{self, Options, PacketReport, Report};
use packetgate::finding::{Finding, Severity, Verdict};
use packetgate::packet::{self, LoadLimits, Loaded, Origin};
use packetgate::report::{self, Format};
use packetgate::yaml::{Node, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The clock every target judges with (the examples' dates are fresh on it).
pub const TODAY: &str = "2026-11-20";

/// The config `packetgate check` uses when the repository has none: the built-in policies.
pub fn builtin() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        config::load_from(Path::new("."), None, &|p: &Path| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not in memory", p.display()),
            ))
        })
        .expect("the built-in policies load")
    })
}

pub fn today() -> Date {
    Date::parse(TODAY).expect("TODAY is a date")
}

/// The options of `packetgate check --offline` (human format, so source lines are kept).
pub fn options(today: Date, fail_on: Severity, max_age_days: Option<u32>) -> Options {
    Options {
        today,
        fail_on,
        max_age_days,
        links_not_opened: Some("--offline".to_string()),
        keep_lines: true,
        link_sink: None,
        limits: Default::default(),
        deadline: None,
    }
}

/// Lines in the file as packetgate numbers them (its decoded text, else the bytes as
/// UTF-8 with replacement characters).
pub fn line_count(bytes: &[u8]) -> u32 {
    match packet::decode_text(bytes) {
        Ok(t) => t.lines().count() as u32,
        Err(_) => text_lines(&String::from_utf8_lossy(bytes)),
    }
}

/// Lines in a text as YAML (and packetgate) count them: `\r\n`, `\n` and a lone `\r` each
/// end a line.
pub fn text_lines(text: &str) -> u32 {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .count() as u32
}

/// Positions inside the file, sorted and deduplicated findings.
pub fn check_findings(findings: &[Finding], lines: u32, what: &str) {
    for f in findings {
        assert!(
            f.line >= 1 && f.column >= 1,
            "{what}: finding at {}:{} (line and column are 1-based): {f:?}",
            f.line,
            f.column
        );
        assert!(
            f.line <= lines + 1,
            "{what}: finding at line {} of a file with {lines} lines: {f:?}",
            f.line
        );
        assert!(!f.rule.is_empty(), "{what}: finding without a rule: {f:?}");
    }
    for w in findings.windows(2) {
        let key = |f: &Finding| (f.line, f.column, f.rule.clone());
        assert!(
            key(&w[0]) <= key(&w[1]),
            "{what}: findings out of order: {:?} before {:?}",
            w[0],
            w[1]
        );
        assert_ne!(w[0], w[1], "{what}: the same finding twice");
    }
}

fn check_nodes(root: &Node, lines: u32, what: &str) {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        assert!(
            n.pos.line >= 1 && n.pos.col >= 1 && n.pos.line <= lines + 1,
            "{what}: node at {} in a file of {lines} lines: {n:?}",
            n.pos
        );
        assert!(
            n.end_line >= n.pos.line,
            "{what}: node ends (line {}) before it starts ({})",
            n.end_line,
            n.pos
        );
        match &n.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => {
                for (k, v) in entries {
                    assert!(
                        k.pos.line >= 1 && k.pos.col >= 1 && k.pos.line <= lines + 1,
                        "{what}: key `{}` at {} in a file of {lines} lines",
                        k.text,
                        k.pos
                    );
                    stack.push(v);
                }
            }
            Value::Scalar { .. } => {}
        }
    }
}

const KINDS: &[&str] = &["budget-change", "cost-trace"];

/// Is this input one of the one in eight whose result is computed twice? (FNV-1a of the bytes.)
pub fn twice(bytes: &[u8]) -> bool {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % 8 == 0
}

/// Loads the bytes the way the engine does, as a YAML and as a Markdown packet, named on the
/// command line, found by a folder scan, and assigned a kind by a config glob.
pub fn load_packet(bytes: &[u8]) {
    let lines = line_count(bytes);
    let limits = LoadLimits::default();
    for path in ["fuzz.yaml", "fuzz.md"] {
        for (explicit, assigned) in [(true, None), (false, None), (false, Some("cost-trace"))] {
            let origin = Origin {
                explicit,
                assigned_kind: assigned,
            };
            let what = format!("{path} (explicit: {explicit}, assigned: {assigned:?})");
            let loaded = packet::load(path, bytes, origin, KINDS, limits);
            if explicit && twice(bytes) {
                let again = packet::load(path, bytes, origin, KINDS, limits);
                assert_eq!(
                    format!("{loaded:?}"),
                    format!("{again:?}"),
                    "{what}: loading twice differs"
                );
            }
            match loaded {
                Loaded::NotPacket => assert!(
                    !explicit && assigned.is_none(),
                    "{what}: a named or assigned file is never skipped"
                ),
                Loaded::Rejected { kind, findings, .. } => {
                    assert!(!findings.is_empty(), "{what}: rejected without a finding");
                    assert!(
                        findings.iter().all(|f| f.severity == Severity::Error),
                        "{what}: a rejection must fail: {findings:?}"
                    );
                    assert_eq!(kind.as_deref(), assigned, "{what}: rejected kind");
                    check_findings_unsorted(&findings, lines, &what);
                }
                Loaded::Packet(p, findings) => {
                    check_findings_unsorted(&findings, lines, &what);
                    assert!(p.root.as_map().is_some(), "{what}: packet is not a mapping");
                    assert!(
                        KINDS.contains(&p.kind.as_str()),
                        "{what}: unknown kind `{}` accepted",
                        p.kind
                    );
                    assert_eq!(
                        Ok(&p.text),
                        packet::decode_text(bytes)
                            .map(|t| packet::strip_hidden(t).text)
                            .as_ref(),
                        "{what}: packet text is not the decoded file without its hidden characters"
                    );
                    check_nodes(&p.root, lines, &what);
                    if let Some(start) = p.prose_start {
                        assert!(
                            start >= 2 && start <= lines + 1,
                            "{what}: prose starts at {start}"
                        );
                    }
                    for para in p.paragraphs() {
                        let end = para.pos(para.text.len());
                        assert!(
                            end.line >= 1 && end.line <= lines + 1,
                            "{what}: paragraph end"
                        );
                    }
                }
            }
        }
    }
}

/// The loader's findings are not sorted yet (the engine sorts them): positions only.
fn check_findings_unsorted(findings: &[Finding], lines: u32, what: &str) {
    let mut sorted = findings.to_vec();
    sorted.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    sorted.dedup();
    check_findings(&sorted, lines, what);
}

/// A candidate file named on the command line.
pub fn candidate(path: &str, assigned: Option<&str>) -> Candidate {
    Candidate {
        fs_path: PathBuf::from(path),
        display: path.to_string(),
        explicit: true,
        kind: assigned.map(str::to_string),
    }
}

/// Judges the bytes as `packetgate check --offline` judges a file: the engine, then every
/// report format. Checks every invariant; returns the packet's report.
pub fn judge(config: &Config, c: &Candidate, bytes: &[u8], opts: &Options) -> PacketReport {
    let what = c.display.as_str();
    let lines = line_count(bytes);
    let r = engine::check_bytes(config, c, bytes, opts).unwrap_or_else(|| {
        panic!("{what}: a file named on the command line is never skipped");
    });
    if twice(bytes) {
        let again = engine::check_bytes(config, c, bytes, opts).expect("judged once, judged twice");
        assert_eq!(r.findings, again.findings, "{what}: judging twice differs");
        assert_eq!(r.verdict, again.verdict, "{what}: judging twice differs");
        assert_eq!(r.lines, again.lines, "{what}: judging twice differs");
    }
    check_findings(&r.findings, lines, what);
    let expected = if r.findings.iter().any(|f| f.severity >= opts.fail_on) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    assert_eq!(
        r.verdict, expected,
        "{what}: verdict vs findings {:?}",
        r.findings
    );
    for n in r.lines.keys() {
        assert!(*n >= 1 && *n <= lines + 1, "{what}: snippet line {n}");
    }
    let report = |packet: PacketReport| Report {
        verdict: packet.verdict,
        packets: vec![packet],
        today: opts.today,
        fail_on: opts.fail_on,
        links_not_opened: opts.links_not_opened.clone(),
        config: None,
        links: None,
    };
    let full = report(r);
    let rendered = render_all(&full);
    let packet = full.packets.into_iter().next().expect("one packet");
    // The frame (the report without anything the packet's text can reach: messages, fixes,
    // fields, snippets) is built only when a secret shows up at all; most inputs have none.
    let shown = |s: &String| rendered.iter().any(|t| t.contains(s.as_str()));
    if long_secrets(&packet).any(shown) {
        let mut frame = packet.clone();
        for f in &mut frame.findings {
            f.message.clear();
            f.fix.clear();
            f.field = None;
        }
        frame.lines.clear();
        let frame = render_all(&report(frame));
        check_secrets(&packet, &rendered, &frame, what);
    }
    packet
}

/// The secrets a report could show recognisably: short ones are left out, since a "secret"
/// of a few letters can be a word the report prints anyway.
fn long_secrets(p: &PacketReport) -> impl Iterator<Item = &String> {
    p.masker
        .secrets()
        .iter()
        .filter(|s| s.chars().count() >= 12)
}

/// Every report format, as `check --format …` writes it. SARIF's rule list is left out: it
/// is the policies' text, the same for every packet.
fn render_all(report: &Report) -> Vec<String> {
    let out: Vec<String> = [Format::Human, Format::Json, Format::Sarif, Format::Github]
        .into_iter()
        .map(|f| {
            report::render(
                f,
                report,
                &[],
                report::Look {
                    color: f == Format::Human,
                    quiet: false,
                },
            )
        })
        .collect();
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&out[1]) {
        panic!("the JSON report is not JSON ({e}):\n{}", out[1]);
    }
    out
}

/// No secret the rules found is written out whole, unless the report's own text (with every
/// message, fix, field and snippet emptied) already holds it: a "secret" such as
/// `Authorization: field_observed` can be a word the report prints anyway. Short secrets are
/// left out for the same reason.
fn check_secrets(p: &PacketReport, rendered: &[String], frame: &[String], what: &str) {
    for s in long_secrets(p) {
        for (text, frame) in rendered.iter().zip(frame) {
            assert!(
                !text.contains(s.as_str()) || frame.contains(s.as_str()),
                "{what}: secret `{s}` appears in a report:\n{text}"
            );
        }
    }
}

/// An in-memory repository for the config loader: file name → text.
fn reader(files: &[(&str, &str)]) -> impl Fn(&Path) -> std::io::Result<String> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    move |path: &Path| {
        let name = path.to_string_lossy().replace('\\', "/");
        let name = name.trim_start_matches("./");
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// A repository policy that loads: what a config's `policies:` may name besides the fuzzed
/// file.
pub const EXTRA_POLICY: &str = "policy: budget-change\nextends: budget-change\nfields:\n  cost_center: {description: the cost center, example: CC-1234}\nrules:\n  - id: extra-cost-center\n    kind: pattern\n    field: cost_center\n    pattern: 'CC-\\d{4}'\n    summary: Cost centers look like CC-1234\n";

/// The bytes as the repository config `.packetgate.yml`, then as a repository policy file
/// named by a config. A config that loads judges the example packets and its own templates.
pub fn policy_and_config(bytes: &[u8]) -> [Result<(), String>; 2] {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let as_config = load_config(&text, &[("extra.yml", EXTRA_POLICY), ("fuzz.yml", &text)]);
    let config_text = "policies: [fuzz.yml]\n";
    let as_policy = load_config(config_text, &[("fuzz.yml", &text)]);
    [as_config, as_policy]
}

/// Loads a config from memory and, when it loads, judges packets with it. `Err` is the
/// rendered list of problems (a broken config is exit 2, not a crash).
pub fn load_config(config_text: &str, files: &[(&str, &str)]) -> Result<(), String> {
    let read = reader(files);
    let result = config::load_from(
        Path::new("."),
        Some((PathBuf::from(".packetgate.yml"), config_text.to_string())),
        &read,
    );
    let config = match result {
        Ok(c) => c,
        Err(ConfigError::Invalid { problems }) => {
            assert!(!problems.0.is_empty(), "an invalid config names no problem");
            for line in &problems.0 {
                check_problem(line, config_text, files);
            }
            return Err(problems.to_string());
        }
        Err(e @ ConfigError::Read { .. }) => return Err(e.to_string()),
    };
    judge_with(&config);
    Ok(())
}

/// `file:line:col: message`, with line and column ≥ 1 and inside that file.
fn check_problem(line: &str, config_text: &str, files: &[(&str, &str)]) {
    let mut texts: Vec<(&str, &str)> = vec![(".packetgate.yml", config_text)];
    texts.extend(files.iter().copied());
    let Some((name, text)) = texts
        .iter()
        .find(|(n, _)| line.starts_with(&format!("{n}:")))
        .copied()
    else {
        // A built-in policy (or a name the loader spells its own way): positions only.
        let nums: Vec<&str> = line.splitn(4, ':').collect();
        assert!(nums.len() >= 3, "problem without a position: {line}");
        return;
    };
    let rest = &line[name.len() + 1..];
    let mut parts = rest.splitn(3, ':');
    let l: u32 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("problem without a line: {line}"));
    let c: u32 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("problem without a column: {line}"));
    let lines = text_lines(text);
    assert!(l >= 1 && c >= 1, "problem at {l}:{c}: {line}");
    assert!(
        l <= lines + 1,
        "problem at line {l} of a {lines}-line file: {line}"
    );
}

/// Example packets, one per kind and form.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "budget-change.yaml",
        include_str!("../../examples/valid/budget-change-new-request-class.yaml"),
    ),
    (
        "cost-trace.md",
        include_str!("../../examples/valid/cost-trace-batch-embeddings.md"),
    ),
];

/// With a config that loaded: the example packets and a template of each kind it defines
/// (three at most), judged; the JSON Schema and the rule catalog generated.
fn judge_with(config: &Config) {
    let _ = packetgate::schema::generate(config, None);
    let _ = report::catalog(config);
    let opts = options(today(), config.fail_on, config.max_age_days);
    for (path, text) in EXAMPLES {
        judge(config, &candidate(path, None), text.as_bytes(), &opts);
    }
    let kinds: Vec<String> = config.kinds().iter().map(|k| k.to_string()).collect();
    for (i, kind) in kinds.iter().take(3).enumerate() {
        let Some(policy) = config.policy(kind) else {
            panic!("kind `{kind}` without a policy")
        };
        let markdown = i % 2 == 1;
        let template = packetgate::template::render(policy, markdown);
        let path = if markdown {
            "template.md"
        } else {
            "template.yaml"
        };
        let assigned = (i == 2).then_some(kind.as_str());
        judge(
            config,
            &candidate(path, assigned),
            template.as_bytes(),
            &opts,
        );
    }
}

/// Reads the built-in policies and compiles every regex they use (process-wide cache), so
/// the first input is not charged for it.
pub fn warm_up() {
    let config = builtin();
    let opts = options(today(), Severity::Error, None);
    for (path, text) in EXAMPLES {
        judge(config, &candidate(path, None), text.as_bytes(), &opts);
    }
    let _ = load_config("fail_on: error\n", &[]);
}
