//! `claim`: statements the seed guides say a smoke test cannot support — exact prices,
//! discounts, rate limits, uptime, latency targets, model inventory, final billing totals —
//! found in any field or in the Markdown prose, however the sentence is written.
//!
//! A claim is a figure and a topic of one family in one clause, stated as fact (see
//! [`detect`]). Each family is one rule, described by policy data: which figures it takes
//! (`figures`), the words that name its topic (`topics`, `topics_for`), and words that show a
//! figure is something else (`unless_near`). All claim rules of a policy are read together,
//! once per packet, so a figure is reported once, under the family it belongs to. A rule may
//! instead carry a plain `pattern` (a regex), still scoped by the same negation grammar.
//! `unless` tests lift the rule, e.g. a price confirmed in the account view.

pub(crate) mod detect;
pub(crate) mod text;

use super::conditional::{decode_tests, Test};
use super::links::{locate, Verbatim};
use super::{decode_paths, path_in, Ctx, Kind, KindSpec, LazyRegex, Rule, Vars};
use crate::config::decode::{Entries, Entry, Problems};
use crate::fieldpath::{Concrete, FieldPath};
use crate::finding::Finding;
use crate::yaml::Pos;
use detect::{fig, Family, Found};
use std::sync::Arc;

pub(crate) const KEYS: &[&str] = &[
    "pattern",
    "figures",
    "topics",
    "topics_for",
    "unless_near",
    "outranks",
    "reach",
    "counts_before",
    "fields",
    "skip_fields",
    "prose",
    "unless",
    "label",
];

pub(crate) static CLAIM: KindSpec = KindSpec {
    id: "claim",
    keys: KEYS,
    decode: |e, p| Some(Arc::new(Claim::decode(e, p)?)),
};

#[derive(Debug, Clone)]
pub(crate) struct Claim {
    /// A plain regex instead of figures and topics (repository policies may use either).
    pub regex: Option<LazyRegex>,
    pub figures: u8,
    pub topics: Option<LazyRegex>,
    /// Topics that replace `topics` for one kind of figure (a named model's are words of
    /// availability, a count's are "models").
    pub topics_for: Vec<(u8, LazyRegex)>,
    pub unless_near: Option<LazyRegex>,
    /// Rule ids of families this one wins over when both have a topic near a figure.
    pub outranks: Vec<String>,
    /// How many words may stand between a figure and its topic.
    pub reach: Option<u64>,
    /// A bare count is this family's only when the topic follows it (`480 models`).
    pub counts_before: bool,
    pub label: String,
    pub fields: Vec<FieldPath>,
    pub skip_fields: Vec<FieldPath>,
    pub prose: bool,
    pub unless: Vec<Test>,
}

/// One claim found in a packet, for the rule at `rule` in the policy's list.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub field: Option<String>,
    pub pos: Pos,
    pub quote: String,
}

/// `(?i)` and the alternatives of a word list, as one regex.
fn words_regex(e: Entry<'_>, p: &mut Problems) -> Option<LazyRegex> {
    let items = e.texts(p)?;
    let alternatives: Vec<String> = items.iter().map(|(t, _)| format!("(?:{t})")).collect();
    let source = crate::rules::ascii_word_boundaries(&alternatives.join("|"));
    LazyRegex::decode(e, format!("(?i){source}"), p)
}

fn figure_kinds(e: Entry<'_>, p: &mut Problems) -> Option<u8> {
    let mut kinds = 0;
    let mut ok = true;
    for (name, pos) in e.texts(p)? {
        match fig::NAMES.iter().find(|(n, _)| *n == name) {
            Some((_, k)) => kinds |= k,
            None => {
                ok = false;
                let names: Vec<&str> = fig::NAMES.iter().map(|(n, _)| *n).collect();
                p.push(
                    e.file,
                    pos,
                    format!("unknown figure `{name}`: use {}", names.join(", ")),
                );
            }
        }
    }
    ok.then_some(kinds)
}

impl Claim {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = match e.take("fields") {
            Some(f) => decode_paths(f, p),
            None => Some(Vec::new()),
        };
        let skip_fields = match e.take("skip_fields") {
            Some(f) => decode_paths(f, p),
            None => Some(Vec::new()),
        };
        let unless = match e.take("unless") {
            Some(u) => decode_tests(u, p),
            None => Some(Vec::new()),
        };
        let prose = e.boolean("prose", p).unwrap_or(true);
        let label = e.text("label", p).unwrap_or("claim").to_string();
        let regex = e.take("pattern").map(|entry| {
            let text = entry.text(p)?;
            // Claims are searched for inside longer text, case-insensitively.
            LazyRegex::decode(entry, format!("(?i){text}"), p)
        });
        let figures = e.take("figures").map(|f| figure_kinds(f, p));
        let topics = e.take("topics").map(|t| words_regex(t, p));
        let unless_near = e.take("unless_near").map(|t| words_regex(t, p));
        let reach = e.number("reach", p);
        let counts_before = e.boolean("counts_before", p).unwrap_or(false);
        let outranks = match e.take("outranks") {
            Some(o) => o
                .texts(p)
                .map(|v| v.into_iter().map(|(t, _)| t.to_string()).collect()),
            None => Some(Vec::new()),
        };
        let mut topics_for = Vec::new();
        let mut ok = true;
        if let Some(entry) = e.take("topics_for") {
            match entry.map("`topics_for`", p) {
                Some(map) => {
                    for item in map.items.clone() {
                        let kind = fig::NAMES.iter().find(|(n, _)| *n == item.key.text);
                        match (kind, words_regex(item, p)) {
                            (Some((_, k)), Some(re)) => topics_for.push((*k, re)),
                            (None, _) => {
                                ok = false;
                                p.push(
                                    item.file,
                                    item.key.pos,
                                    format!("unknown figure `{}` in `topics_for`", item.key.text),
                                );
                            }
                            _ => ok = false,
                        }
                    }
                }
                None => ok = false,
            }
        }
        // Absent is fine; present but invalid was reported and fails the rule.
        fn given<T>(o: Option<Option<T>>) -> Option<Option<T>> {
            match o {
                Some(None) => None,
                Some(v) => Some(v),
                None => Some(None),
            }
        }
        let (regex, figures, topics, unless_near) = (
            given(regex),
            given(figures),
            given(topics),
            given(unless_near),
        );
        let (regex, figures, topics, unless_near) = (regex?, figures?, topics?, unless_near?);
        if regex.is_none() && (figures.is_none() || topics.is_none()) {
            p.push(
                e.file,
                e.pos,
                "a `claim` rule needs `figures` and `topics`, or a `pattern`",
            );
            return None;
        }
        Some(Claim {
            regex,
            figures: figures.unwrap_or(0),
            topics,
            topics_for: ok.then_some(topics_for)?,
            unless_near,
            outranks: outranks?,
            reach,
            counts_before,
            label,
            fields: fields?,
            skip_fields: skip_fields?,
            prose,
            unless: unless?,
        })
    }

    fn reads(&self, path: &Concrete) -> bool {
        (self.fields.is_empty() || path_in(path, &self.fields)) && !path_in(path, &self.skip_fields)
    }

    fn family(&self, ids: &[&str]) -> Option<Family<'_>> {
        Some(Family {
            figures: self.figures,
            topics: self.topics.as_ref()?.get()?,
            topics_for: self
                .topics_for
                .iter()
                .filter_map(|(k, re)| Some((*k, re.get()?)))
                .collect(),
            unless_near: self.unless_near.as_ref().and_then(LazyRegex::get),
            outranks: self
                .outranks
                .iter()
                .filter_map(|id| ids.iter().position(|i| i == id))
                .collect(),
            reach: self
                .reach
                .map_or(detect::WINDOW, |r| (r as usize).min(detect::WINDOW)),
            counts_before: self.counts_before,
        })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let Some(index) = ctx.policy.rules.iter().position(|r| std::ptr::eq(r, rule)) else {
            return;
        };
        let hits: Vec<&Hit> = ctx.claims().iter().filter(|h| h.rule == index).collect();
        if hits.is_empty() {
            return;
        }
        if !self.unless.is_empty() && self.unless.iter().all(|t| t.holds(ctx, &[])) {
            return;
        }
        for h in hits {
            out.push(self.finding(rule, ctx, h.field.as_deref(), h.pos, &h.quote));
        }
    }

    fn finding(
        &self,
        rule: &Rule,
        ctx: &Ctx<'_>,
        field: Option<&str>,
        pos: Pos,
        found: &str,
    ) -> Finding {
        let found = found.trim();
        ctx.emit(
            rule,
            field,
            pos,
            format!("unsupported {} stated as fact: \"{found}\"", self.label),
            "replace the figure with what to verify and where (linked source, account view), or list it under `does_not_prove`".into(),
            Vars { field: field.unwrap_or(""), value: found, expected: "" },
        )
    }
}

/// Values and prose pieces this short are labels' values, read with their label.
const SHORT: usize = 64;

/// Units a key may name for its value (`latency_ms`, `price_usd`, `uptime_pct`).
const KEY_UNITS: &[(&str, &str)] = &[
    ("ms", " ms"),
    ("millis", " ms"),
    ("s", " s"),
    ("sec", " s"),
    ("secs", " s"),
    ("seconds", " s"),
    ("usd", " USD"),
    ("eur", " EUR"),
    ("gbp", " GBP"),
    ("dollars", " dollars"),
    ("pct", "%"),
    ("percent", "%"),
    ("rpm", " RPM"),
    ("tpm", " TPM"),
    ("rps", " RPS"),
    ("qps", " QPS"),
];

/// The key a short value stands under, as a label (`notes.uptime` → `"uptime: "`), and the
/// unit the key names when the value is a bare number.
fn key_context(path: &str, value: &str) -> (String, &'static str) {
    if value.len() > SHORT {
        return (String::new(), "");
    }
    let trimmed = path.trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[');
    let key = trimmed.rsplit('.').next().unwrap_or(trimmed);
    if key.is_empty() {
        return (String::new(), "");
    }
    let bare_number = value
        .trim()
        .trim_start_matches(['$', '~'])
        .replace(',', "")
        .parse::<f64>()
        .is_ok();
    let unit = key
        .rsplit(['_', '-'])
        .next()
        .and_then(|last| KEY_UNITS.iter().find(|(k, _)| last.eq_ignore_ascii_case(k)))
        .filter(|_| bare_number)
        .map_or("", |(_, u)| *u);
    (format!("{key}: "), unit)
}

/// Keys that name a bare number's unit beside it: `pricing: {currency: USD, input: 0.40, unit:
/// per 1M tokens}` reads "0.40 USD per 1M tokens".
const UNIT_KEYS: &[&str] = &[
    "currency",
    "unit",
    "units",
    "per",
    "price_unit",
    "billing_unit",
];

/// The units a bare number's sibling keys name (empty when it has none).
fn sibling_units(ctx: &Ctx<'_>, at: usize, value: &str) -> String {
    let path = ctx.scalars[at].0.text.as_str();
    let bare = value.trim().replace(',', "").parse::<f64>().is_ok();
    let Some((parent, _)) = path.rsplit_once('.').filter(|_| bare) else {
        return String::new();
    };
    // Siblings stand right beside the value (`at` in document order).
    let lo = at.saturating_sub(UNIT_KEYS.len() * 2);
    let hi = (at + UNIT_KEYS.len() * 2).min(ctx.scalars.len());
    let mut out = String::new();
    for key in UNIT_KEYS {
        let sibling = format!("{parent}.{key}");
        if let Some(v) = ctx.scalars[lo..hi]
            .iter()
            .find(|(p, _)| p.text == sibling)
            .and_then(|(_, n)| n.as_str())
        {
            out.push(' ');
            out.push_str(v);
        }
    }
    out
}

/// A claim found in one text: its byte offset there, the rule (its index in the policy's
/// list) and the quoted figure.
type Claimed = (usize, usize, String);

/// Every claim in the packet, for all the policy's claim rules at once: each field value and
/// each prose paragraph is read one time, and each figure is given to one family.
pub(crate) fn analyse(ctx: &Ctx<'_>) -> Vec<Hit> {
    let rules: Vec<(usize, &Claim)> = ctx
        .policy
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.enabled)
        .filter_map(|(i, r)| Some((i, r.kind_as::<Claim>()?)))
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let vocab = &ctx.policy.settings.vocabulary;
    let ids: Vec<&str> = rules
        .iter()
        .map(|(i, _)| ctx.policy.rules[*i].id.as_str())
        .collect();
    let mut hits = Vec::new();
    // `(context, text, suffix)`: the label a short value stands under, the value, and a
    // unit its key names (`p95_latency_ms: 300`).
    // Every claim in one text.
    let scan = |(context, text, suffix): (&str, &str, &str),
                active: &dyn Fn(&Claim) -> bool|
     -> Vec<Claimed> {
        let mut out = Vec::new();
        let families: Vec<Option<Family<'_>>> = rules
            .iter()
            .map(|(_, c)| {
                if active(c) && c.regex.is_none() {
                    c.family(&ids)
                } else {
                    None
                }
            })
            .collect();
        if families.iter().any(Option::is_some) {
            for Found {
                family,
                start,
                quote,
            } in if context.is_empty() && suffix.is_empty() {
                detect::find(text, &families, vocab, &|| ctx.out_of_time())
            } else {
                let whole = format!("{context}{text}{suffix}");
                detect::find_in_context(&whole, context.len(), &families, vocab, &|| {
                    ctx.out_of_time()
                })
            } {
                let start = start.saturating_sub(context.len()).min(text.len());
                out.push((start, rules[family].0, quote));
            }
        }
        for (i, c) in &rules {
            let Some(re) = c.regex.as_ref().and_then(LazyRegex::get) else {
                continue;
            };
            if !active(c) {
                continue;
            }
            for m in re.find_iter(text) {
                if detect::negated_span(text, m.start(), m.end(), vocab) {
                    continue;
                }
                out.push((m.start(), *i, m.as_str().to_string()));
            }
        }
        out
    };
    let read = |input: (&str, &str, &str),
                active: &dyn Fn(&Claim) -> bool,
                at: &dyn Fn(usize) -> Pos,
                field: Option<&str>,
                hits: &mut Vec<Hit>| {
        for (offset, rule, quote) in scan(input, active) {
            hits.push(Hit {
                rule,
                field: field.map(str::to_string),
                pos: at(offset),
                quote,
            });
        }
    };
    for (at, (path, node)) in ctx.scalars.iter().enumerate() {
        if ctx.out_of_time() {
            return hits;
        }
        let Some(text) = node.as_str() else { continue };
        if !detect::may_hold(text, vocab) {
            continue;
        }
        let verbatim = Verbatim::new(ctx, node, text);
        let (mut label, unit) = key_context(&path.text, text);
        // A short list item is read under the item before it, as a reader reads
        // `[price per 1M input tokens, "$0.15"]`: the label, then its value.
        if let Some(prev) = previous_item(ctx, at).filter(|_| !label.is_empty()) {
            label = format!("{label}{prev} | ");
        }
        let units = sibling_units(ctx, at, text);
        read(
            (&label, text, if units.is_empty() { unit } else { &units }),
            &|c: &Claim| c.reads(path),
            &|offset| {
                verbatim
                    .as_ref()
                    .map_or_else(|| locate(ctx, node, text, offset), |v| v.pos(text, offset))
            },
            Some(&path.text),
            &mut hits,
        );
    }
    // A key written as a sentence is read like a value ("Input costs $0.40 per 1M tokens":
    // true); plain field names hold no figure worth the work.
    for (path, key) in crate::fieldpath::keys(&ctx.packet.root) {
        if ctx.out_of_time() {
            return hits;
        }
        let text = key.text.as_str();
        if !text.contains(char::is_whitespace) || !detect::may_hold(text, vocab) {
            continue;
        }
        let node = crate::yaml::Node {
            pos: key.pos,
            end_line: key.pos.line,
            value: crate::yaml::Value::Scalar {
                text: text.to_string(),
                kind: crate::yaml::ScalarKind::Str,
            },
        };
        let verbatim = Verbatim::new(ctx, &node, text);
        read(
            ("", text, ""),
            &|c: &Claim| c.reads(&path),
            &|offset| {
                verbatim
                    .as_ref()
                    .map_or_else(|| locate(ctx, &node, text, offset), |v| v.pos(text, offset))
            },
            Some(&path.text),
            &mut hits,
        );
    }
    let paragraphs = ctx.paragraphs();
    let prose_families: Vec<Option<Family<'_>>> = rules
        .iter()
        .map(|(_, c)| c.prose.then(|| c.family(&ids)).flatten())
        .collect();
    // A header or first cell is a label when it names a topic and states no claim of its
    // own: "$0.40 per 1M tokens" in a row's first cell is that cell's claim, not a label for
    // the note beside it.
    let tables = Tables::new(paragraphs, &|t| {
        detect::names_topic(t, &prose_families)
            && scan(("", t, ""), &|c: &Claim| c.prose).is_empty()
    });
    // A cell's reading under its row and column, by label, text and unit: a column of the
    // same figures is read once.
    let mut seen: std::collections::HashMap<(String, String, &str), Vec<Claimed>> =
        std::collections::HashMap::new();
    let mut cell_claims = 0;
    for (i, para) in paragraphs.iter().enumerate() {
        if ctx.out_of_time() {
            return hits;
        }
        let text = para.text.as_str();
        if !detect::may_hold(text, vocab) {
            continue;
        }
        // A short piece is read under the one before it: a table cell under the cell before
        // it ("| p95 latency | 300 ms |"), a list item under its parent, a figure under its
        // heading. A table's first column is not: the cell before it ends another row.
        let first_column = para.cell.is_some_and(|c| c.row > 0 && c.col == 0);
        let label = match i.checked_sub(1).map(|j| &paragraphs[j]) {
            Some(prev)
                if !first_column
                    && text.len() <= SHORT
                    && (prev.text.len() <= SHORT * 2 || prev.heading) =>
            {
                let t: String = prev.text.chars().take(SHORT * 2).collect();
                format!("{t} | ")
            }
            _ => String::new(),
        };
        let mut found = Vec::new();
        read(
            (&label, text, ""),
            &|c: &Claim| c.prose,
            &|offset| para.pos(offset),
            None,
            &mut found,
        );
        // A table cell is also read as the sentence its row and column make, when they name
        // a topic ("gpt-4o-mini Uptime SLA | 99.9%"). A figure found by both readings is
        // reported once.
        if let Some((cell, unit)) = tables.label(para).filter(|_| cell_claims < CELL_CLAIMS) {
            let unit = if bare_number(text) { unit } else { "" };
            let key = (cell, text.to_string(), unit);
            if !seen.contains_key(&key) {
                let claims = scan((&key.0, text, unit), &|c: &Claim| c.prose);
                seen.insert(key.clone(), claims);
            }
            for (offset, rule, quote) in seen.get(&key).into_iter().flatten() {
                let pos = para.pos(*offset);
                if !found.iter().any(|h: &Hit| h.pos == pos) {
                    cell_claims += 1;
                    found.push(Hit {
                        rule: *rule,
                        field: None,
                        pos,
                        quote: quote.clone(),
                    });
                }
            }
        }
        hits.append(&mut found);
    }
    hits
}

/// How many claims a packet's table cells may add by their row and column. A packet past it
/// has failed many times over; the bound keeps a table of one-character cells under a topic
/// header (`|rate limit|…` over `|1|2|…`) from costing a finding per two bytes.
const CELL_CLAIMS: usize = 1_000;

/// What a reader reads a table cell under: its column's header and its row's first cell,
/// where they are labels that name a topic.
struct Tables {
    /// Header text by `(table, column)`, and a row's first cell by `(table, row)`: each its
    /// last words (a topic further from the figure is out of reach), or empty when it is no
    /// label (names no topic, or states a claim itself); and the unit each names for bare
    /// numbers.
    heads: std::collections::HashMap<(u32, u32), (String, &'static str)>,
    rows: std::collections::HashMap<(u32, u32), (String, &'static str)>,
}

impl Tables {
    fn new(paragraphs: &[crate::packet::Paragraph], label: &dyn Fn(&str) -> bool) -> Self {
        let mut texts: std::collections::HashMap<(bool, u32, u32), String> = Default::default();
        for p in paragraphs {
            let Some(c) = p.cell else { continue };
            let (slot, text) = match (c.row, c.col) {
                (0, col) => ((true, c.table, col), p.text.trim()),
                (row, 0) => ((false, c.table, row), p.text.trim()),
                _ => continue,
            };
            // A cell holding several pieces (split by inline HTML) reads as one.
            let s = texts.entry(slot).or_default();
            if s.len() < SHORT * 4 {
                if !s.is_empty() {
                    s.push(' ');
                }
                s.extend(text.chars().take(SHORT * 4));
            }
        }
        let mut t = Tables {
            heads: Default::default(),
            rows: Default::default(),
        };
        for ((head, table, n), text) in texts {
            let unit = header_unit(&text);
            let words = if label(&text) {
                last_words(&text, SHORT).to_string()
            } else {
                String::new()
            };
            let map = if head { &mut t.heads } else { &mut t.rows };
            map.insert((table, n), (words, unit));
        }
        t
    }

    /// The label a body cell is read under ("gpt-4o-mini Input price per 1M tokens | "):
    /// the row's first cell (for any other column), then the column's header; and the unit
    /// the header (or else the row's first cell) names for a bare number (`Input ($/1M
    /// tokens)`: " USD"). `None` for a piece outside a table, a header cell, or a cell whose
    /// row and column name no topic.
    fn label(&self, p: &crate::packet::Paragraph) -> Option<(String, &'static str)> {
        let c = p.cell.filter(|c| c.row > 0)?;
        let row = (c.col > 0)
            .then(|| self.rows.get(&(c.table, c.row)))
            .flatten();
        let head = self.heads.get(&(c.table, c.col));
        let parts: Vec<&str> = [row, head]
            .into_iter()
            .flatten()
            .map(|(s, _)| s.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        let unit = [head, row]
            .into_iter()
            .flatten()
            .map(|(_, u)| *u)
            .find(|u| !u.is_empty())
            .unwrap_or("");
        // A topic is in reach only near the figure: the last words of the two are enough.
        (!parts.is_empty()).then(|| (format!("{} | ", last_words(&parts.join(" "), SHORT)), unit))
    }
}

/// The end of `text`, at most `max` bytes, starting at a word.
fn last_words(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let tail = &text[start..];
    tail.find(char::is_whitespace)
        .map_or(tail, |i| tail[i..].trim_start())
}

/// Is the text one number and nothing else (`0.15`, `10,000`, `~300`)?
fn bare_number(text: &str) -> bool {
    text.trim()
        .trim_start_matches('~')
        .replace(',', "")
        .parse::<f64>()
        .is_ok()
}

/// The unit a column header names for the bare numbers under it: a currency sign or code
/// (`Input ($/1M tokens)`, `Price, USD`), a percent sign (`Uptime %`), or a unit written in
/// brackets (`p95 (ms)`, `Limit (RPM)`).
fn header_unit(head: &str) -> &'static str {
    let lower = head.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let word = |w: &str| words.contains(&w);
    for (mark, code, unit) in [
        ('$', "usd", " USD"),
        ('€', "eur", " EUR"),
        ('£', "gbp", " GBP"),
    ] {
        if lower.contains(mark) || word(code) {
            return unit;
        }
    }
    if lower.contains('%') || word("percent") || word("pct") {
        return "%";
    }
    // Any other unit only in brackets: "(ms)", "[RPM]".
    for (open, close) in [('(', ')'), ('[', ']')] {
        let mut rest = lower.as_str();
        while let Some(a) = rest.find(open) {
            let inner = &rest[a + 1..];
            let Some(b) = inner.find(close) else { break };
            let unit = inner[..b].trim();
            if let Some((_, u)) = KEY_UNITS.iter().find(|(k, _)| *k == unit) {
                return u;
            }
            rest = &inner[b + 1..];
        }
    }
    ""
}

/// The list item before the value at `at`, when both are short items of one sequence
/// (`notes[1]` after `notes[0]`), as a label for it.
fn previous_item(ctx: &Ctx<'_>, at: usize) -> Option<String> {
    let (path, node) = &ctx.scalars[at];
    let text = node.as_str()?;
    if text.len() > SHORT {
        return None;
    }
    let path = path.text.as_str();
    let open = path.strip_suffix(']')?.rfind('[')?;
    let index: usize = path[open + 1..path.len() - 1].parse().ok()?;
    let sibling = format!("{}[{}]", &path[..open], index.checked_sub(1)?);
    let (prev_path, prev) = ctx.scalars[..at].last()?;
    let prev = prev.as_str()?.trim();
    (prev_path.text == sibling && !prev.is_empty() && prev.len() <= SHORT).then(|| prev.to_string())
}

impl Kind for Claim {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        Claim::check(self, rule, ctx, out);
    }
}
