//! Rules: the kinds a policy can use, and how one packet is evaluated against one policy.
//!
//! Fourth stage of the flow. A [`Policy`] (the model, in [`policy`]; loaded by
//! `config::policy`) is a list of [`Rule`]s, each an id, a severity, texts and a [`Kind`]:
//! the parameters of one rule kind, each kind in its own file with its decoding from YAML and
//! its evaluation. Adding a kind means one new file and one line in [`REGISTRY`] (see
//! [`kind`]).

pub(crate) mod claims;
pub(crate) mod conditional;
pub(crate) mod core;
pub(crate) mod dates;
pub(crate) mod filled;
pub(crate) mod kind;
pub(crate) mod links;
pub(crate) mod mention;
pub(crate) mod placeholders;
pub(crate) mod policy;
mod regexes;
pub(crate) mod required;
pub(crate) mod secrets;
pub(crate) mod urls;
pub(crate) mod values;
pub(crate) mod waivers;

use crate::config::decode::{Entry, Problems};
use crate::dates::Date;
use crate::fieldpath::{self, Concrete, FieldPath};
use crate::finding::{Finding, Severity};
use crate::packet::Packet;
use crate::yaml::{Node, Pos};
use regex::Regex;
use std::sync::Arc;

pub use kind::{Constraint, Json, Kind, KindSpec, Kinds, Phase};
pub use policy::Policy;
pub use regexes::{ascii_word_boundaries, compiled, decode_regex, LazyRegex};

/// Keys every rule may carry, whatever its kind.
pub const COMMON_KEYS: &[&str] = &[
    "id", "kind", "severity", "enabled", "summary", "message", "fix", "doc", "waivable",
];

/// Every built-in rule kind, one line each. A policy's `kind:` names one of these (or one a
/// library caller adds, see [`Kinds`]); any other is a config error with the closest id.
pub const REGISTRY: &[&KindSpec] = &[
    &required::REQUIRED,
    &required::KNOWN_FIELDS,
    &values::ENUM,
    &values::PATTERN,
    &values::TYPE,
    &values::MIN_ITEMS,
    &dates::DATE,
    &urls::URL,
    &urls::URL_HOSTS,
    &conditional::CONDITIONAL,
    &claims::CLAIM,
    &secrets::SECRET,
    &links::LINK,
    &waivers::WAIVER,
];

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub kind: String,
    pub severity: Severity,
    pub enabled: bool,
    pub summary: String,
    /// Replaces the kind's own message; may use `{field}`, `{value}`, `{expected}`.
    pub message: Option<String>,
    /// The one-line fix; may use `{field}`, `{value}`, `{expected}`, `{description}`, `{example}`.
    pub fix: Option<String>,
    pub doc: String,
    /// The kind's parameters and how they judge (see [`Kind`]; [`Rule::kind_as`] gives them
    /// back by type).
    pub check: Arc<dyn Kind>,
    /// A waiver may accept this rule's findings (`waivable: false` in a policy says not;
    /// `waiver` rules never can be).
    pub waivable: bool,
    /// The policy files that defined or changed this rule, for `packetgate rules`.
    pub origin: String,
}

/// Values a message or fix template can name.
#[derive(Debug, Default, Clone, Copy)]
pub struct Vars<'a> {
    pub field: &'a str,
    pub value: &'a str,
    pub expected: &'a str,
}

fn render(template: &str, vars: Vars<'_>, policy: &Policy) -> String {
    let doc = policy.field_doc(vars.field.split(['.', '[']).next().unwrap_or(""));
    template
        .replace("{field}", vars.field)
        .replace("{value}", vars.value)
        .replace("{expected}", vars.expected)
        .replace(
            "{description}",
            doc.map(|d| d.description.as_str())
                .unwrap_or("a real value"),
        )
        .replace(
            "{example}",
            doc.and_then(|d| d.example.as_deref()).unwrap_or("…"),
        )
}

pub use filled::Missing;

/// Where each character of a line starts, by line; `None` for an ASCII line.
type CharStarts = std::collections::HashMap<u32, Option<std::rc::Rc<Vec<usize>>>>;

/// Everything a rule may look at while judging one packet.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub packet: &'a Packet,
    pub policy: &'a Policy,
    pub today: Date,
    pub max_age_days: u32,
    /// The config's `freshness.warn_before_days`, over the rules' own.
    pub warn_before_days: Option<u32>,
    /// Every scalar with its path, in document order.
    pub scalars: Vec<(Concrete, &'a Node)>,
    /// Every mapping key as a scalar of its own, in document order: a key is written text
    /// too, and text scans (secrets) read it decoded as they read values.
    pub keys: Vec<Node>,
    /// Byte offset where each line of the packet text starts.
    line_starts: Vec<usize>,
    /// Scalar values whose text differs from what the file shows (escapes, folded blocks),
    /// one per line: text scans look here too, so an escape cannot hide a claim or a key.
    pub decoded: String,
    links: std::cell::OnceCell<Vec<links::Link>>,
    /// Per line asked about: where each character starts (`None` for an ASCII line, where
    /// a column is a byte), so a column becomes a byte once per line, not once per value.
    char_starts: std::cell::RefCell<CharStarts>,
    paragraphs: std::cell::OnceCell<Vec<crate::packet::Paragraph>>,
    claims: std::cell::OnceCell<Vec<claims::Hit>>,
    /// What the secret rules found so far, shared between them (see [`secrets::Seen`]).
    pub secrets: std::cell::RefCell<secrets::Seen>,
    /// When the run's time budget ends, and the budget (for the message): rules stop there,
    /// inside one packet as well as between packets.
    pub deadline: Option<(std::time::Instant, std::time::Duration)>,
}

impl<'a> Ctx<'a> {
    pub fn new(packet: &'a Packet, policy: &'a Policy, today: Date, max_age_days: u32) -> Self {
        let scalars = fieldpath::scalars(&packet.root);
        let keys = key_nodes(&packet.root);
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(packet.text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut ctx = Ctx {
            packet,
            policy,
            today,
            max_age_days,
            warn_before_days: None,
            scalars,
            keys,
            line_starts,
            decoded: String::new(),
            links: std::cell::OnceCell::new(),
            char_starts: Default::default(),
            paragraphs: std::cell::OnceCell::new(),
            claims: std::cell::OnceCell::new(),
            secrets: Default::default(),
            deadline: None,
        };
        let mut decoded = String::new();
        for node in ctx.texts() {
            if let Some(t) = node.as_str() {
                if !ctx.spelled_as_is(node, t) {
                    decoded.push_str(t);
                    decoded.push('\n');
                }
            }
        }
        ctx.decoded = decoded;
        ctx
    }

    /// Every piece of text the YAML holds, values and keys alike, decoded.
    pub fn texts(&self) -> impl Iterator<Item = &Node> {
        self.scalars.iter().map(|(_, n)| *n).chain(&self.keys)
    }

    /// Does the file write this scalar's text as it reads, at the scalar's place (right
    /// there, or inside the quote that opens it)? Not when escapes, folding, a block header
    /// or `!!binary` stand between the two. Looked up at the place, never searched for along
    /// the line: a flow mapping of 20,000 keys on one line costs one pass, not one per key.
    pub fn spelled_as_is(&self, node: &Node, text: &str) -> bool {
        self.spelled_at(node, text).is_some()
    }

    /// [`Ctx::spelled_as_is`], with how many characters (an opening quote) stand before the
    /// text at the scalar's place.
    pub fn spelled_at(&self, node: &Node, text: &str) -> Option<u32> {
        let line = self.line(node.pos.line);
        let col = node.pos.col.saturating_sub(1) as usize;
        let starts = self
            .char_starts
            .borrow_mut()
            .entry(node.pos.line)
            .or_insert_with(|| {
                (!line.is_ascii())
                    .then(|| std::rc::Rc::new(line.char_indices().map(|(i, _)| i).collect()))
            })
            .clone();
        let byte = match starts {
            None => col.min(line.len()),
            Some(starts) => starts.get(col).copied().unwrap_or(line.len()),
        };
        let rest = &line[byte..];
        if rest.starts_with(text) {
            Some(0)
        } else {
            rest.strip_prefix(['"', '\''])
                .is_some_and(|r| r.starts_with(text))
                .then_some(1)
        }
    }

    /// One line of the packet text (1-based), without its line break.
    pub fn line(&self, n: u32) -> &'a str {
        let text = self.packet.text.as_str();
        let i = n.saturating_sub(1) as usize;
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self.line_starts.get(i + 1).map_or(text.len(), |e| e - 1);
        &text[start..end.max(start)]
    }

    /// Could the regex match anywhere in the packet? One fast pass over the whole text
    /// (and decoded values) lets text-scanning rules skip the per-value work. The prose is
    /// also read as it displays (markup can split a figure in the file, `**$0.40** per 1M
    /// tokens`), rendered only when the file's own text does not match.
    pub fn may_match(&self, re: &Regex) -> bool {
        re.is_match(&self.packet.text)
            || (!self.decoded.is_empty() && re.is_match(&self.decoded))
            || (self.packet.prose_start.is_some()
                && self.paragraphs().iter().any(|p| re.is_match(&p.text)))
    }

    /// Every link in fields and prose, found once per packet and shared by the url rules.
    pub fn links(&self) -> &[links::Link] {
        self.links.get_or_init(|| links::all_links(self))
    }

    /// The Markdown prose as a reader sees it (see [`Packet::paragraphs`]), rendered once per
    /// packet for the rules that read it; positions are in the text without hidden
    /// characters, which the engine maps back to the file's columns.
    pub fn paragraphs(&self) -> &[crate::packet::Paragraph] {
        self.paragraphs.get_or_init(|| self.packet.paragraphs())
    }

    /// Has the run's time budget run out?
    pub fn out_of_time(&self) -> bool {
        self.deadline
            .is_some_and(|(d, _)| std::time::Instant::now() >= d)
    }

    /// Every claim the policy's claim rules find, read once for all of them.
    pub fn claims(&self) -> &[claims::Hit] {
        self.claims.get_or_init(|| claims::analyse(self))
    }

    pub fn root(&self) -> &'a Node {
        &self.packet.root
    }

    /// Where a finding about something absent points: the packet's first field.
    pub fn root_pos(&self) -> Pos {
        self.packet
            .root
            .as_map()
            .and_then(|m| m.first())
            .map(|(k, _)| k.pos)
            .unwrap_or(self.packet.root.pos)
    }

    /// The single value at a concrete path.
    pub fn value(&self, path: &FieldPath) -> Option<&'a Node> {
        path.select(self.root()).into_iter().next().map(|(_, n)| n)
    }

    /// Is the value a real one, or absent, empty or a template value? (See [`filled`].)
    pub fn missing(&self, path: &str, node: Option<&Node>) -> Option<Missing> {
        filled::missing(&self.policy.placeholders, path, node?)
    }

    /// A value that is present and filled in (not a template placeholder).
    pub fn filled(&self, path: &FieldPath) -> Option<&'a Node> {
        let node = self.value(path)?;
        self.missing(path.as_str(), Some(node))
            .is_none()
            .then_some(node)
    }

    pub fn emit(
        &self,
        rule: &Rule,
        field: Option<&str>,
        pos: Pos,
        message: String,
        fix: String,
        vars: Vars<'_>,
    ) -> Finding {
        let template = |t: &Option<String>, own: String| {
            t.as_deref()
                .map(|t| render(t, vars, self.policy))
                .unwrap_or(own)
        };
        Finding::new(
            rule.id.clone(),
            rule.severity,
            field.map(str::to_string),
            pos,
            template(&rule.message, message),
            template(&rule.fix, fix),
        )
    }
}

/// Every mapping key of the tree as a scalar node at the key's place, sorted by position.
fn key_nodes(root: &Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            crate::yaml::Value::Map(entries) => {
                for (k, v) in entries {
                    out.push(Node {
                        pos: k.pos,
                        end_line: k.end_line.max(k.pos.line),
                        value: crate::yaml::Value::Scalar {
                            text: k.text.clone(),
                            kind: crate::yaml::ScalarKind::Str,
                        },
                    });
                    stack.push(v);
                }
            }
            crate::yaml::Value::Seq(items) => stack.extend(items),
            crate::yaml::Value::Scalar { .. } => {}
        }
    }
    out.sort_by_key(|n| n.pos);
    out
}

/// What evaluating one packet produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// Every secret any secret rule saw — switched-off rules included — for masking.
    pub secrets: Vec<String>,
}

/// Runs every enabled rule of the policy on the packet. Rules that depend on other rules'
/// results (a conditional with `rules_pass`) run last and see the earlier findings.
pub fn evaluate(ctx: &Ctx<'_>) -> Evaluation {
    let mut out = Vec::new();
    let (late, early): (Vec<&Rule>, Vec<&Rule>) = ctx
        .policy
        .rules
        .iter()
        .partition(|r| r.check.phase() == Phase::AfterRules);
    let mut stopped = false;
    for rule in early {
        // Past the deadline only the rules that always run (secrets) still run: masking
        // never depends on time.
        if !stopped && ctx.out_of_time() {
            stopped = true;
            out.push(out_of_time(ctx));
        }
        match rule.check.phase() {
            Phase::Elsewhere => {}
            phase if stopped && phase != Phase::Always => {}
            _ if rule.enabled => rule.check.check(rule, ctx, &[], &mut out),
            _ => rule.check.switched_off(ctx),
        }
    }
    let before = out.clone();
    for rule in late.into_iter().filter(|r| r.enabled) {
        if !stopped && ctx.out_of_time() {
            stopped = true;
            out.push(out_of_time(ctx));
        }
        if stopped {
            break;
        }
        rule.check.check(rule, ctx, &before, &mut out);
    }
    Evaluation {
        findings: out,
        secrets: ctx.secrets.take().into_secrets(),
    }
}

/// The failing finding of a packet whose judgement the run's time budget cut short.
fn out_of_time(ctx: &Ctx<'_>) -> Finding {
    let budget = ctx.deadline.map_or(0, |(_, b)| b.as_secs());
    Finding::new(
        core::LIMIT_TIME,
        crate::finding::Severity::Error,
        None,
        ctx.root_pos(),
        format!(
            "judging stopped part-way: the run's time budget ({budget} s) ran out while this packet was read; the rules not run cannot count as passed"
        ),
        "raise `limits.run_budget_secs` in the config, or shorten the packet",
    )
}

// ---- decoding helpers shared by the kinds ----

pub fn decode_path(e: Entry<'_>, p: &mut Problems) -> Option<FieldPath> {
    let text = e.text(p)?;
    FieldPath::parse(text)
        .map_err(|msg| e.problem(p, format!("bad field path: {msg}")))
        .ok()
}

pub fn decode_paths(e: Entry<'_>, p: &mut Problems) -> Option<Vec<FieldPath>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (text, pos) in e.texts(p)? {
        match FieldPath::parse(text) {
            Ok(path) => out.push(path),
            Err(msg) => {
                ok = false;
                p.push(e.file, pos, format!("bad field path: {msg}"));
            }
        }
    }
    ok.then_some(out)
}

/// Is the scalar at `path` inside one of the fields (or subtrees) the patterns name?
pub fn path_in(path: &Concrete, patterns: &[FieldPath]) -> bool {
    patterns.iter().any(|p| p.covers_concrete(path))
}

#[cfg(test)]
mod tests;
