//! Structured packets for the `evaluate` target: `arbitrary` turns the fuzzer's bytes into
//! an [`Input`], which is written out as a packet file (YAML, or Markdown with front matter)
//! using the built-in policies' real field names, enumerated values, dates around the clock,
//! URLs on the providers' hosts, claims, negations and secrets. Most inputs start from an
//! example packet and change a few of its fields, so the consistency rules (which need an
//! almost-valid packet to get that far) are reached as often as the shape rules.

use arbitrary::Arbitrary;
use std::fmt::Write;

/// Example packets an input starts from (`base` picks one; past the end: an empty packet).
pub const BASES: &[(&str, &str)] = &[
    (
        "bc.yaml",
        include_str!("../../examples/valid/budget-change-new-request-class.yaml"),
    ),
    (
        "bc.md",
        include_str!("../../examples/valid/budget-change-raise-support-bot.md"),
    ),
    (
        "ct.md",
        include_str!("../../examples/valid/cost-trace-batch-embeddings.md"),
    ),
    (
        "ct.yaml",
        include_str!("../../examples/valid/cost-trace-summarizer.yaml"),
    ),
    (
        "bc.md",
        include_str!("../../examples/invalid/budget-change-approved-incomplete.md"),
    ),
    (
        "bc.yaml",
        include_str!("../../examples/invalid/budget-change-dirty-links.yaml"),
    ),
    (
        "bc.md",
        include_str!("../../examples/invalid/budget-change-leaked-key.md"),
    ),
    (
        "bc.md",
        include_str!("../../examples/invalid/budget-change-pricing-claims.md"),
    ),
    (
        "bc.yaml",
        include_str!("../../examples/invalid/budget-change-returned-vague.yaml"),
    ),
    (
        "bc.yaml",
        include_str!("../../examples/invalid/budget-change-stale-evidence.yaml"),
    ),
    (
        "bc.yaml",
        include_str!("../../examples/invalid/budget-change-template-unfilled.yaml"),
    ),
    (
        "ct.yaml",
        include_str!("../../examples/invalid/cost-trace-pass-with-exception.yaml"),
    ),
    (
        "ct.yaml",
        include_str!("../../examples/invalid/cost-trace-template-unfilled.yaml"),
    ),
    (
        "x.yaml",
        include_str!("../../examples/invalid/not-a-packet-kind.yaml"),
    ),
];

/// Every top-level field the built-in policies declare, and a few they do not.
const FIELDS: &[&str] = &[
    "packet",
    "change_id",
    "change_reason",
    "request_class",
    "owner",
    "environment",
    "credential_ref",
    "evidence_urls_checked",
    "happy_path_result",
    "error_path_result",
    "retry_behavior",
    "allocation_rule",
    "unit_metric",
    "approval_status",
    "approver_initials",
    "decision_note",
    "does_not_prove",
    "assumptions",
    "provider",
    "touches_pricing",
    "pricing_verification",
    "shared_spend",
    "owner_mapping",
    "changes_workload_shape",
    "sources",
    "notes",
    "review_date",
    "workload",
    "source_urls",
    "pricing_source",
    "request_ref",
    "request_status_class",
    "usage_field_observed",
    "cost_field_observed",
    "exception_reason",
    "next_owner",
    "decision",
    "ownr",
    "unit_metrc",
    "Owner",
    "<<",
    "url",
    "accessed",
];

/// Fields of nested mappings (evidence entries, pricing, sources rows).
const NESTED: &[&str] = &[
    "url",
    "accessed",
    "account_view_confirmed",
    "area",
    "verify",
    "wording",
    "notes",
    "acessed",
    "URL",
];

const ENUMS: &[&str] = &[
    "pass",
    "fail",
    "PASS",
    "FAIL",
    "Pass",
    "approved",
    "returned",
    "pending",
    "test",
    "staging",
    "production",
    "sandbox",
    "2XX",
    "4XX",
    "5XX",
    "2xx",
    "3XX",
    "YES",
    "NO",
    "yes",
    "no",
    "NONE",
    "cometapi",
    "openai",
    "anthropic",
    "google",
    "azure-openai",
    "aws-bedrock",
    "mistral",
    "budget-change",
    "cost-trace",
    "budget-chnage",
    "true",
    "false",
    "TBD",
    "TODO",
    "<API_KEY_PLACEHOLDER>",
    "<PLACEHOLDER>",
    "pass-or-fail",
    "approved-or-returned",
    "CHANGE-PLACEHOLDER",
    "team-placeholder",
    "CHG-2026-0142",
    "CHG-1",
    "MK",
    "M",
    "ABCDE",
    "mk",
    "vault:finops/cometapi-test-key",
    "none",
    "bounded: 2 retries with backoff",
];

const WORDS: &[&str] = &[
    "the",
    "budget",
    "owner",
    "cost",
    "per",
    "request",
    "tokens",
    "uptime",
    "latency",
    "p95",
    "discount",
    "invoice",
    "total",
    "models",
    "rate limit",
    "rpm",
    "is",
    "of",
    "at",
    "support",
    "missing",
    "unit_metric",
    "retry_behavior",
    "forecasted demand:",
    "Assumption (model mix):",
    "returned:",
    "does not prove",
    "not",
    "never",
    "without",
    "unverified",
    ".",
    ",",
    ";",
    ":",
    "\n",
    "#",
    "$",
    "€",
    "%",
    "—",
    "é",
    "日本",
    "\u{200b}",
    "\t",
];

const CLAIMS: &[&str] = &[
    "$0.002 per 1K tokens",
    "costs 3 USD per request",
    "99.9% uptime",
    "uptime of 99.95%",
    "500 RPM",
    "rate limit of 60",
    "10,000 tokens per minute",
    "p95 latency 300 ms",
    "latency under 120 ms",
    "20% discount",
    "discount of 15%",
    "supports 200+ models",
    "access to over 500 models",
    "total cost $4,200",
    "the invoice was $1,234.56",
    "€12 per 1M tokens",
];

const NEGATIONS: &[&str] = &[
    "does not prove",
    "we never claim",
    "without",
    "unverified:",
    "this is not",
    "no",
    "cannot confirm",
    "isn't",
];

const SECRETS: &[&str] = &[
    "sk-proj-378N4QvLVj63ITEaWXW2bWUzByWltYFNg6Dn896R",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "xoxb-1234567890-abcdefghij",
    "sk_live_abcdefghijklmnop1234",
    "-----BEGIN RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "Authorization: Bearer abcdefghijklmnopqrstuvwx",
    "x-api-key: 0123456789abcdef0123",
    "bearer 0123456789abcdefABCDEF",
    "https://user:hunter2hunter2@example.com/",
    "a8f9d7c6b5a4e3f2d1c0b9a8",
];

const HOSTS: &[&str] = &[
    "apidoc.cometapi.com",
    "www.finops.org",
    "platform.openai.com",
    "help.openai.com",
    "docs.anthropic.com",
    "docs.claude.com",
    "ai.google.dev",
    "cloud.google.com",
    "learn.microsoft.com",
    "docs.aws.amazon.com",
    "example.com",
    "127.0.0.1",
    "localhost",
    "[::1]",
    "10.0.0.1",
    "аpidoc.cometapi.com",
    "xn--pidoc-4ve.cometapi.com",
    "APIDOC.COMETAPI.COM",
    "apidoc.cometapi.com.evil.example",
    "169.254.169.254",
    "",
];

const PATHS: &[&str] = &[
    "",
    "framework",
    "capabilities",
    "allocation",
    "unit-economics",
    "support",
    "help-center",
    "docs",
    "pricing",
    "%20",
    "a b",
    "ü",
    "..",
    "index.html",
];

const PARAMS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "gclid",
    "fbclid",
    "mc_eid",
    "mc_cid",
    "msclkid",
    "ref_src",
    "q",
    "page",
    "ref",
    "UTM_SOURCE",
    "_hsenc",
];

const SCHEMES: &[&str] = &[
    "https://", "http://", "ftp://", "", "//", "HTTPS://", "mailto:",
];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[i as usize % list.len()]
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Crlf,
    Cr,
    Utf16Le,
    Utf16Be,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum FormSel {
    AsBase,
    Yaml,
    Markdown,
}

#[derive(Arbitrary, Debug)]
pub struct Input {
    pub base: u8,
    pub form: FormSel,
    pub ops: Vec<Op>,
    pub prose: Vec<Prose>,
    pub encoding: Encoding,
    /// The clock: days from 2026-11-20.
    pub today_offset: i16,
    pub fail_on_warning: bool,
    pub max_age_days: Option<u8>,
    /// A config glob assigns the packet a kind (budget-change or cost-trace).
    pub assigned: Option<bool>,
}

#[derive(Arbitrary, Debug)]
pub enum Op {
    Remove(u8),
    Replace(u8, FieldValue),
    Insert(u8, Name, FieldValue),
    Duplicate(u8),
    Comment(u8, Text),
    /// Indent a field's block (makes it part of the previous field, or breaks the YAML).
    Indent(u8, u8),
}

#[derive(Arbitrary, Debug)]
pub enum Name {
    Known(u8),
    Nested(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
pub enum FieldValue {
    Scalar(Scalar, Style),
    List(Vec<(Scalar, Style)>, bool),
    Evidence(Vec<Evidence>),
    Map(Vec<(u8, Scalar, Style)>),
    Sources(Vec<(u8, Text, UrlGen, DateGen)>),
    Anchored(Box<FieldValue>),
    Alias,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
pub struct Evidence {
    url: Option<UrlGen>,
    accessed: Option<DateGen>,
    confirmed: Option<bool>,
    flow: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

#[derive(Arbitrary, Debug)]
pub enum Scalar {
    Enum(u8),
    Date(DateGen),
    Url(UrlGen),
    Text(Text),
    Bool(bool),
    Int(i64),
    Float(f32),
    Null,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
pub struct Text(Vec<Phrase>);

#[derive(Arbitrary, Debug)]
pub enum Phrase {
    Word(u8),
    Claim(u8),
    Negation(u8),
    Secret(u8),
    Url(UrlGen),
    Field(u8),
    Enum(u8),
    Number(u32),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
pub enum DateGen {
    /// Days before the clock (negative: after it).
    Relative(i16),
    Ymd(u16, u8, u8),
    Other(u8, i16),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
pub struct UrlGen {
    scheme: u8,
    userinfo: Option<(String, Option<String>)>,
    host: u8,
    port: Option<u16>,
    path: Vec<u8>,
    query: Vec<(u8, String)>,
    fragment: Option<String>,
}

#[derive(Arbitrary, Debug)]
pub enum Prose {
    Line(Text),
    Heading(u8, Text),
    Item(Text),
    Fence,
    Blank,
    Quote(Text),
    Raw(String),
}

/// The clock an input judges with.
pub fn today(input: &Input) -> packetgate::dates::Date {
    let base = packetgate::dates::Date::parse(crate::harness::TODAY).expect("date");
    packetgate::dates::Date::from_days(base.days() + i64::from(input.today_offset))
}

fn date_text(d: &DateGen, today: packetgate::dates::Date) -> String {
    match d {
        DateGen::Relative(n) => {
            packetgate::dates::Date::from_days(today.days() - i64::from(*n % 400)).to_string()
        }
        DateGen::Ymd(y, m, d) => format!("{:04}-{:02}-{:02}", 1990 + y % 150, m % 14, d % 33),
        DateGen::Other(f, n) => {
            let day =
                packetgate::dates::Date::from_days(today.days() - i64::from(*n % 400)).to_string();
            let (y, rest) = day.split_at(4);
            let (m, d) = (&rest[1..3], &rest[4..6]);
            match f % 7 {
                0 => format!("{y}/{m}/{d}"),
                1 => format!("{d}.{m}.{y}"),
                2 => format!("{day}T10:00:00Z"),
                3 => format!("{m}/{d}/{y}"),
                4 => format!("{y}{m}{d}"),
                5 => format!(
                    "{y}-{}-{}",
                    m.trim_start_matches('0'),
                    d.trim_start_matches('0')
                ),
                _ => format!("Nov {d} {y}"),
            }
        }
        DateGen::Raw(s) => s.chars().take(20).collect(),
    }
}

fn url_text(u: &UrlGen) -> String {
    let mut s = pick(SCHEMES, u.scheme).to_string();
    if let Some((user, pass)) = &u.userinfo {
        s.push_str(&short(user, 12));
        if let Some(p) = pass {
            s.push(':');
            s.push_str(&short(p, 16));
        }
        s.push('@');
    }
    s.push_str(pick(HOSTS, u.host));
    if let Some(p) = u.port {
        let _ = write!(s, ":{p}");
    }
    s.push('/');
    let segs: Vec<&str> = u.path.iter().take(6).map(|&i| pick(PATHS, i)).collect();
    s.push_str(&segs.join("/"));
    for (i, (k, v)) in u.query.iter().take(4).enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(pick(PARAMS, *k));
        s.push('=');
        s.push_str(&short(v, 10));
    }
    if let Some(f) = &u.fragment {
        s.push('#');
        s.push_str(&short(f, 10));
    }
    s
}

fn short(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn text(t: &Text, today: packetgate::dates::Date) -> String {
    let _ = today;
    let mut out = String::new();
    for (i, p) in t.0.iter().take(24).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match p {
            Phrase::Word(w) => out.push_str(pick(WORDS, *w)),
            Phrase::Claim(c) => out.push_str(pick(CLAIMS, *c)),
            Phrase::Negation(n) => out.push_str(pick(NEGATIONS, *n)),
            Phrase::Secret(s) => out.push_str(pick(SECRETS, *s)),
            Phrase::Url(u) => out.push_str(&url_text(u)),
            Phrase::Field(f) => out.push_str(pick(FIELDS, *f)),
            Phrase::Enum(e) => out.push_str(pick(ENUMS, *e)),
            Phrase::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Phrase::Raw(r) => out.push_str(&short(r, 40)),
        }
    }
    out
}

fn scalar_text(s: &Scalar, today: packetgate::dates::Date) -> String {
    match s {
        Scalar::Enum(e) => pick(ENUMS, *e).to_string(),
        Scalar::Date(d) => date_text(d, today),
        Scalar::Url(u) => url_text(u),
        Scalar::Text(t) => text(t, today),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Null => "~".to_string(),
        Scalar::Raw(r) => short(r, 80),
    }
}

/// A scalar written in a style, as the rest of a line after `key:` (`indent` for block
/// scalars' lines).
fn styled(s: &str, style: Style, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    match style {
        Style::Plain => s.replace('\n', " "),
        Style::Single => format!("'{}'", s.replace('\'', "''").replace('\n', " ")),
        Style::Double => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    c if c.is_control() => {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Style::Literal | Style::Folded => {
            let mut out = String::from(if matches!(style, Style::Literal) {
                "|"
            } else {
                ">"
            });
            for line in s.split('\n') {
                out.push('\n');
                out.push_str(&pad);
                out.push_str(line);
            }
            out
        }
    }
}

fn value_text(v: &FieldValue, today: packetgate::dates::Date, depth: u8) -> String {
    match v {
        FieldValue::Scalar(s, style) => format!(" {}", styled(&scalar_text(s, today), *style, 0)),
        FieldValue::List(items, flow) => {
            if items.is_empty() {
                return " []".into();
            }
            if *flow {
                let inner: Vec<String> = items
                    .iter()
                    .take(8)
                    .map(|(s, st)| {
                        let st = if matches!(st, Style::Literal | Style::Folded) {
                            Style::Double
                        } else {
                            *st
                        };
                        styled(&scalar_text(s, today), st, 2)
                    })
                    .collect();
                format!(" [{}]", inner.join(", "))
            } else {
                let mut out = String::new();
                for (s, st) in items.iter().take(8) {
                    out.push_str("\n  - ");
                    out.push_str(&styled(&scalar_text(s, today), *st, 2));
                }
                out
            }
        }
        FieldValue::Evidence(entries) => {
            if entries.is_empty() {
                return " []".into();
            }
            let mut out = String::new();
            for e in entries.iter().take(6) {
                let mut parts = Vec::new();
                if let Some(u) = &e.url {
                    parts.push(format!("url: {}", url_text(u)));
                }
                if let Some(d) = &e.accessed {
                    parts.push(format!("accessed: {}", date_text(d, today)));
                }
                if let Some(c) = e.confirmed {
                    parts.push(format!("account_view_confirmed: {c}"));
                }
                if parts.is_empty() {
                    out.push_str("\n  - {}");
                } else if e.flow {
                    out.push_str(&format!("\n  - {{{}}}", parts.join(", ")));
                } else {
                    out.push_str(&format!("\n  - {}", parts.join("\n    ")));
                }
            }
            out
        }
        FieldValue::Map(entries) => {
            if entries.is_empty() {
                return " {}".into();
            }
            let mut out = String::new();
            for (k, s, st) in entries.iter().take(6) {
                let _ = write!(
                    out,
                    "\n  {}: {}",
                    pick(NESTED, *k),
                    styled(&scalar_text(s, today), *st, 2)
                );
            }
            out
        }
        FieldValue::Sources(rows) => {
            if rows.is_empty() {
                return " []".into();
            }
            let mut out = String::new();
            for (area, t, u, d) in rows.iter().take(4) {
                let _ = write!(
                    out,
                    "\n  - area: {}\n    verify: {}\n    url: {}\n    accessed: {}\n    wording: {}",
                    pick(WORDS, *area),
                    styled(&text(t, today), Style::Double, 4),
                    url_text(u),
                    date_text(d, today),
                    styled(&text(t, today), Style::Single, 4),
                );
            }
            out
        }
        FieldValue::Anchored(inner) if depth < 2 => {
            let body = value_text(inner, today, depth + 1);
            format!(" &a{}", body)
        }
        FieldValue::Anchored(_) => " ~".into(),
        FieldValue::Alias => " *a".into(),
        FieldValue::Raw(r) => format!(" {}", short(r, 120)),
    }
}

fn name_text(n: &Name) -> String {
    match n {
        Name::Known(i) => pick(FIELDS, *i).to_string(),
        Name::Nested(i) => pick(NESTED, *i).to_string(),
        Name::Raw(r) => {
            let r = short(r, 24);
            if r.is_empty() {
                "x".into()
            } else {
                r
            }
        }
    }
}

/// Splits YAML into its top-level fields: each block starts at a line that is not indented
/// (comments and blank lines stay with the field before them).
fn blocks(yaml: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in yaml.split_inclusive('\n') {
        let starts = !line.starts_with([' ', '\t', '#', '\n', '\r', '-']) && !out.is_empty()
            || out.is_empty();
        if starts {
            out.push(line.to_string());
        } else if let Some(last) = out.last_mut() {
            last.push_str(line);
        }
    }
    out
}

/// The packet file an input describes: its name and bytes.
pub fn render(input: &Input) -> (String, Vec<u8>) {
    let today = today(input);
    let (base_path, base) = BASES
        .get(input.base as usize)
        .copied()
        .unwrap_or(("empty.yaml", ""));
    let (front, base_prose) = if base_path.ends_with(".md") {
        let rest = base.strip_prefix("---\n").unwrap_or(base);
        match rest.find("\n---\n") {
            Some(i) => (&rest[..=i], &rest[i + 5..]),
            None => (rest, ""),
        }
    } else {
        (base, "")
    };
    let mut fields = blocks(front);
    for op in input.ops.iter().take(12) {
        let at = |i: u8, len: usize| if len == 0 { 0 } else { i as usize % len };
        match op {
            Op::Remove(i) => {
                if !fields.is_empty() {
                    let i = at(*i, fields.len());
                    fields.remove(i);
                }
            }
            Op::Replace(i, v) => {
                if !fields.is_empty() {
                    let i = at(*i, fields.len());
                    let key = fields[i].split(':').next().unwrap_or("x").to_string();
                    fields[i] = format!("{key}:{}\n", value_text(v, today, 0));
                }
            }
            Op::Insert(i, n, v) => {
                let i = at(*i, fields.len() + 1);
                let block = format!("{}:{}\n", name_text(n), value_text(v, today, 0));
                fields.insert(i, block);
            }
            Op::Duplicate(i) => {
                if !fields.is_empty() {
                    let i = at(*i, fields.len());
                    let copy = fields[i].clone();
                    fields.push(copy);
                }
            }
            Op::Comment(i, t) => {
                let i = at(*i, fields.len() + 1);
                let c = text(t, today).replace('\n', " ");
                fields.insert(i, format!("# {c}\n"));
            }
            Op::Indent(i, n) => {
                if !fields.is_empty() {
                    let i = at(*i, fields.len());
                    let pad = " ".repeat(1 + (*n % 4) as usize);
                    fields[i] = fields[i]
                        .split_inclusive('\n')
                        .map(|l| format!("{pad}{l}"))
                        .collect();
                }
            }
        }
    }
    let yaml: String = fields.concat();
    let markdown = match input.form {
        FormSel::AsBase => base_path.ends_with(".md"),
        FormSel::Yaml => false,
        FormSel::Markdown => true,
    };
    let mut out = String::new();
    if markdown {
        out.push_str("---\n");
        out.push_str(&yaml);
        if !yaml.ends_with('\n') && !yaml.is_empty() {
            out.push('\n');
        }
        out.push_str("---\n");
        out.push_str(base_prose);
        for p in input.prose.iter().take(16) {
            match p {
                Prose::Line(t) => out.push_str(&text(t, today)),
                Prose::Heading(l, t) => {
                    out.push_str(&"#".repeat(1 + (*l % 4) as usize));
                    out.push(' ');
                    out.push_str(&text(t, today));
                }
                Prose::Item(t) => {
                    out.push_str("- ");
                    out.push_str(&text(t, today));
                }
                Prose::Fence => out.push_str("```"),
                Prose::Blank => {}
                Prose::Quote(t) => {
                    out.push_str("> ");
                    out.push_str(&text(t, today));
                }
                Prose::Raw(r) => out.push_str(&short(r, 120)),
            }
            out.push('\n');
        }
    } else {
        out.push_str(&yaml);
    }
    let path = if markdown { "fuzz.md" } else { "fuzz.yaml" };
    let bytes = match input.encoding {
        Encoding::Utf8 => out.into_bytes(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], out.as_bytes()].concat(),
        Encoding::Crlf => out.replace('\n', "\r\n").into_bytes(),
        Encoding::Cr => out.replace('\n', "\r").into_bytes(),
        Encoding::Utf16Le => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(out.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }
        Encoding::Utf16Be => {
            let mut b = vec![0xFE, 0xFF];
            b.extend(out.encode_utf16().flat_map(u16::to_be_bytes));
            b
        }
    };
    (path.to_string(), bytes)
}

/// With `PACKETGATE_FUZZ_DUMP=FOLDER` set, writes the packet and how it is judged there.
pub fn dump(path: &str, bytes: &[u8], opts: &packetgate::engine::Options, assigned: Option<&str>) {
    static DIR: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let Some(dir) = DIR.get_or_init(|| std::env::var_os("PACKETGATE_FUZZ_DUMP").map(Into::into))
    else {
        return;
    };
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join(path), bytes);
    let how = format!(
        "--today {} --fail-on {}{}{}\n",
        opts.today,
        opts.fail_on,
        opts.max_age_days
            .map(|d| format!(" --max-age-days {d}"))
            .unwrap_or_default(),
        assigned
            .map(|k| format!(" (kind assigned by config: {k})"))
            .unwrap_or_default(),
    );
    let _ = std::fs::write(dir.join(format!("{path}.options")), how);
}
