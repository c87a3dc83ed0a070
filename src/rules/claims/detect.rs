//! Claims read as statements: a *figure* (money, a percentage, a duration, a rate, a count,
//! or a named model) and a *topic* from one family's lexicon (price, discount, rate limit,
//! uptime, latency, model inventory, billing total) in one clause, stated as fact.
//!
//! Everything a family knows is policy data (`figures`, `topics`, `unless_near`); the
//! vocabulary that scopes negation and hedging (`negations`, `negating_determiners`,
//! `hedges`, `epistemic`, `subjects`) is the policy's `settings`. This file holds only the
//! grammar: how a text is cut into clauses, which family a figure belongs to (the nearest
//! topic wins, and the packet's own budget subject beats them all), and whether a negation
//! or hedge reaches the claim itself rather than some other part of the sentence.
//!
//! Work is linear in the text: topics are found by one regex pass per family, and every
//! figure looks at most [`WINDOW`] tokens either way.

use super::text::{tokenize, Folded, Kind, Token};
use regex::Regex;

/// How far (in tokens) a topic may sit from its figure, and a negation from its claim.
pub(crate) const WINDOW: usize = 12;
const NEGATION_REACH: usize = 40;
/// How far a named model may stand from the word that makes it available.
const MODEL_REACH: usize = 6;
/// How near a family's topic must be to take a figure from a family it outranks.
const OUTRANK_REACH: usize = 3;
/// Topic words a quote does not run on to ("300 ms in production" quotes "300 ms").
const QUOTE_STOP: &[&str] = &[
    "in", "within", "inside", "after", "for", "by", "to", "at", "on", "of", "is", "are", "was",
    "can", "get", "gets", "add", "adds", "take", "takes", "took", "up", "down", "runs",
];
/// How far before a figure a budget word still leads its clause.
const SUBJECT_LEAD: usize = 8;

/// What a figure is, as a bit set.
pub(crate) mod fig {
    pub(crate) const MONEY: u8 = 1;
    pub(crate) const PERCENT: u8 = 2;
    pub(crate) const DURATION: u8 = 4;
    pub(crate) const RATE: u8 = 8;
    pub(crate) const COUNT: u8 = 16;
    pub(crate) const MODEL: u8 = 32;
    /// Hours, days and weeks: a batch window or a month's downtime, rarely one call.
    pub(crate) const SPAN: u8 = 64;
    pub(crate) const NAMES: &[(&str, u8)] = &[
        ("money", MONEY),
        ("percent", PERCENT),
        ("duration", DURATION),
        ("rate", RATE),
        ("count", COUNT),
        ("model", MODEL),
        ("span", SPAN),
    ];
}

/// One family (one claim rule) as the analyser sees it.
#[derive(Debug)]
pub(crate) struct Family<'a> {
    pub figures: u8,
    pub topics: &'a Regex,
    /// Topics that replace `topics` for figures of one kind.
    pub topics_for: Vec<(u8, &'a Regex)>,
    pub unless_near: Option<&'a Regex>,
    /// Families this one wins over when both have a topic near the figure (a saving stated
    /// per unit is a discount, not a price).
    pub outranks: Vec<usize>,
    /// How many words may stand between the figure and the topic (at most [`WINDOW`]).
    pub reach: usize,
    /// A bare count is this family's only when the topic follows it (`480 models`) or
    /// nothing does (`models listed: 480`): "the catalogue page took 3 clicks" counts clicks.
    pub counts_before: bool,
}

/// The settings vocabulary, split into words.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub negations: Vec<Vec<String>>,
    pub determiners: Vec<Vec<String>>,
    pub hedges: Vec<Vec<String>>,
    pub epistemic: Vec<Vec<String>>,
    pub subjects: Option<Regex>,
    /// Words that make a figure in their clause our own setting, for every family ("that
    /// we added", "our gateway", "set by FinOps").
    pub own: Option<Regex>,
    pub models: Option<Regex>,
    /// The phrases of the four word lists by their first word, built once per policy.
    index: std::sync::OnceLock<PhraseIndex>,
}

/// First word → (list, phrase) for every phrase of the word lists.
type PhraseIndex = std::collections::HashMap<String, Vec<(usize, Vec<String>)>>;

impl Vocabulary {
    fn index(&self) -> &PhraseIndex {
        self.index.get_or_init(|| {
            let mut first = PhraseIndex::new();
            for (cat, list) in [
                (NEG, &self.negations),
                (DET, &self.determiners),
                (HEDGE, &self.hedges),
                (EPI, &self.epistemic),
            ] {
                for p in list {
                    first
                        .entry(p[0].clone())
                        .or_default()
                        .push((cat, p.clone()));
                }
            }
            first
        })
    }
}

pub(crate) fn phrases(list: &[String]) -> Vec<Vec<String>> {
    list.iter()
        .map(|p| {
            tokenize(&p.to_lowercase())
                .into_iter()
                .map(|t| t.lower)
                .collect()
        })
        .filter(|p: &Vec<String>| !p.is_empty())
        .collect()
}

/// A claim found in a text: which family, the quoted figure and where it starts (byte
/// offsets in the original text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub family: usize,
    pub start: usize,
    pub quote: String,
}

#[derive(Debug, Clone, Copy)]
struct Figure {
    kinds: u8,
    /// Token range of the figure with its unit (and currency sign).
    from: usize,
    to: usize,
}

const CURRENCY_MARKS: &[char] = &['$', '€', '£', '¥', '₹', '₩', '¢'];
const CURRENCY_WORDS: &[&str] = &[
    "usd", "eur", "gbp", "jpy", "cny", "rmb", "inr", "aud", "cad", "chf", "dollar", "dollars",
    "cent", "cents", "euro", "euros", "pound", "pounds", "pence", "yen", "yuan", "rupees", "bucks",
    "grand", "c",
];
const SCALE_SUFFIXES: &[&str] = &["k", "m", "mm", "b", "bn"];
const DURATION_UNITS: &[&str] = &[
    "ms",
    "msec",
    "msecs",
    "millisecond",
    "milliseconds",
    "s",
    "sec",
    "secs",
    "second",
    "seconds",
    "min",
    "mins",
    "minute",
    "minutes",
    "h",
    "hr",
    "hrs",
    "hour",
    "hours",
    "day",
    "days",
    "week",
    "weeks",
];
/// Duration units that make a [`fig::SPAN`], not a call's time.
const SPAN_UNITS: &[&str] = &[
    "h", "hr", "hrs", "hour", "hours", "day", "days", "week", "weeks",
];
/// Words before `a second`, `a minute` that make it a duration, not an ordinal ("in about a
/// second", "under a minute"; not "a second model").
const APPROX: &[&str] = &[
    "in",
    "about",
    "under",
    "within",
    "than",
    "around",
    "roughly",
    "approximately",
    "over",
    "below",
    "takes",
    "took",
    "~",
    "just",
    "nearly",
    "almost",
    "inside",
];
/// Words that are a duration on their own: "sub-second latency".
const DURATION_WORDS: &[&str] = &[
    "sub-second",
    "subsecond",
    "sub-millisecond",
    "sub-minute",
    "millisecond-level",
];

fn duration_kind(unit: Option<&Token>) -> u8 {
    if word_in(unit, SPAN_UNITS) {
        fig::SPAN
    } else {
        fig::DURATION
    }
}
const RATE_UNITS: &[&str] = &[
    "rpm", "tpm", "rps", "qps", "rpd", "tpd", "ipm", "rph", "tps",
];
const RATE_NOUNS: &[&str] = &[
    "requests",
    "request",
    "req",
    "reqs",
    "tokens",
    "token",
    "tok",
    "calls",
    "call",
    "queries",
    "query",
    "images",
    "completions",
    "generations",
];
const TIME_UNITS: &[&str] = &[
    "second", "sec", "s", "minute", "min", "hour", "hr", "h", "day", "d",
];
const PER: &[&str] = &["per", "/", "a", "an", "each", "every"];
const STATUS_BEFORE: &[&str] = &[
    "http", "status", "code", "codes", "returned", "returns", "return", "error", "errors", "got",
    "get", "answered", "with", "an", "logged", "saw", "see",
];
const STATUS_AFTER: &[&str] = &[
    "error",
    "errors",
    "response",
    "responses",
    "status",
    "too",
    "from",
    "on",
    "was",
    "were",
    "came",
    "returned",
    "unauthorized",
    "forbidden",
];

/// Finite verbs and auxiliaries: a comma or `and` followed by one of these starts a new
/// clause; without one, the words after it continue the list ("does not prove spend, rate
/// limits or 99.9% uptime").
const VERBS: &[&str] = &[
    "is",
    "are",
    "was",
    "were",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "has",
    "have",
    "had",
    "does",
    "do",
    "did",
    "costs",
    "gives",
    "give",
    "gave",
    "allows",
    "allow",
    "allowed",
    "offers",
    "offer",
    "offered",
    "guarantees",
    "guarantee",
    "guaranteed",
    "provides",
    "provide",
    "supports",
    "support",
    "includes",
    "runs",
    "ran",
    "came",
    "comes",
    "sits",
    "stays",
    "stay",
    "stayed",
    "remains",
    "remain",
    "hits",
    "hit",
    "reached",
    "reaches",
    "returns",
    "returned",
    "responds",
    "respond",
    "responded",
    "charges",
    "charged",
    "bills",
    "billed",
    "lands",
    "landed",
    "totals",
    "totaled",
    "totalled",
    "amounts",
    "amounted",
    "shows",
    "showed",
    "lists",
    "listed",
    "takes",
    "took",
    "gets",
    "got",
    "get",
    "saw",
    "sees",
    "keeps",
    "kept",
    "sent",
    "sends",
    "runs",
    "caps",
    "capped",
    "delivers",
    "delivered",
    "averages",
    "averaged",
    "peaks",
    "peaked",
    "exposes",
    "serves",
    "served",
    "carries",
    "tops",
    "tells",
    "says",
    "said",
    "means",
    "goes",
    "went",
    "gets",
    "needs",
    "need",
    "needed",
    "confirmed",
    "verified",
    "checked",
    "measured",
    "observed",
    "recorded",
    "expect",
    "expects",
    "expected",
    "retried",
    "failed",
    "passed",
    "worked",
    "cost",
    "lets",
    "let",
    "rises",
    "rose",
    "drops",
    "dropped",
    "comes",
    "fell",
    "falls",
    "grew",
    "grows",
];
/// Words that always open a new clause.
const CLAUSE_OPENERS: &[&str] = &[
    "because",
    "since",
    "but",
    "so",
    "while",
    "whereas",
    "although",
    "though",
    "yet",
    "which",
    "however",
    "therefore",
    "otherwise",
    "meanwhile",
    "then",
];

fn is_verb(t: &Token) -> bool {
    t.kind == Kind::Word && (VERBS.contains(&t.lower.as_str()) || t.lower.ends_with("n't"))
}

/// Token ranges where a regex matches the folded text.
fn marks(re: &Regex, text: &str, tokens: &[Token]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let from = tokens.partition_point(|t| t.end <= m.start());
        let to = tokens.partition_point(|t| t.start < m.end());
        if from < to {
            out.push((from, to));
        }
    }
    out
}

fn word_in(t: Option<&Token>, list: &[&str]) -> bool {
    t.is_some_and(|t| t.kind == Kind::Word && list.contains(&t.lower.as_str()))
}

fn mark_in(t: Option<&Token>, list: &[char]) -> bool {
    t.and_then(Token::mark).is_some_and(|c| list.contains(&c))
}

fn model((from, to): (usize, usize)) -> Figure {
    Figure {
        kinds: fig::MODEL,
        from,
        to,
    }
}

/// Every figure in the tokens (numbers with what makes them money, a percentage, …).
fn figures(tokens: &[Token]) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::new();
    let at = |i: usize| tokens.get(i);
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.kind != Kind::Number {
            // `about a second`, `under a minute`; `sub-second`.
            let article = (t.is("a") || t.is("an"))
                && word_in(at(i + 1), DURATION_UNITS)
                && (word_in(i.checked_sub(1).and_then(at), APPROX)
                    || mark_in(i.checked_sub(1).and_then(at), &['~']));
            if article || word_in(Some(t), DURATION_WORDS) {
                let to = if article { i + 2 } else { i + 1 };
                out.push(Figure {
                    kinds: duration_kind(at(to - 1)),
                    from: i,
                    to,
                });
                i = to;
                continue;
            }
            i += 1;
            continue;
        }
        let (mut from, mut to) = (i, i + 1);
        let mut kinds = 0u8;
        // A currency sign or code before: `$0.40`, `US$ 12`, `USD 1,240`, `€ 3.200`.
        if i > 0 && (mark_in(at(i - 1), CURRENCY_MARKS) || word_in(at(i - 1), CURRENCY_WORDS)) {
            kinds |= fig::MONEY;
            from = i - 1;
            if i > 1
                && word_in(at(i - 2), &["us", "au", "ca", "nz", "hk", "sg"])
                && mark_in(at(i - 1), &['$'])
            {
                from = i - 2;
            }
        }
        // A scale suffix: `10k`, `5M`, `1.5 bn`.
        if word_in(at(to), SCALE_SUFFIXES) {
            to += 1;
        }
        let next = at(to);
        if mark_in(next, &['%']) || word_in(next, &["percent", "pct", "%"]) {
            kinds |= fig::PERCENT;
            to += 1;
        } else if word_in(next, &["per"]) && word_in(at(to + 1), &["cent"]) {
            kinds |= fig::PERCENT;
            to += 2;
        } else if word_in(next, &["nines"]) {
            kinds |= fig::PERCENT;
            to += 1;
        } else if mark_in(next, CURRENCY_MARKS) || word_in(next, CURRENCY_WORDS) {
            kinds |= fig::MONEY;
            to += 1;
        } else if word_in(next, &["of"])
            && word_in(at(to + 1), &["a", "an", "one"])
            && word_in(at(to + 2), CURRENCY_WORDS)
        {
            // `a hundredth of a cent`
            kinds |= fig::MONEY;
            to += 3;
        } else if mark_in(next, &['('])
            && word_in(at(to + 1), CURRENCY_WORDS)
            && mark_in(at(to + 2), &[')'])
        {
            // `0.40 (USD)`
            kinds |= fig::MONEY;
            to += 3;
        } else if t.lower == "half"
            && word_in(next, &["a", "an"])
            && word_in(at(to + 1), CURRENCY_WORDS)
        {
            // `half a cent`
            kinds |= fig::MONEY;
            to += 2;
        } else if (word_in(next, &["x", "times"]) || mark_in(next, &['×'])) && t.value < 1.0 {
            // `0.8x list price`: a multiplier below one.
            kinds |= fig::PERCENT;
            to += 1;
        } else if word_in(next, DURATION_UNITS) {
            kinds |= duration_kind(next);
            to += 1;
        } else if t.lower == "half"
            && word_in(next, &["a", "an"])
            && word_in(at(to + 1), DURATION_UNITS)
        {
            kinds |= duration_kind(at(to + 1));
            to += 2;
        } else if word_in(next, &["of"])
            && word_in(at(to + 1), &["a", "an"])
            && word_in(at(to + 2), DURATION_UNITS)
        {
            // `a quarter of a second`
            kinds |= duration_kind(at(to + 2));
            to += 3;
        } else if (word_in(next, PER) || mark_in(next, &['/'])) && word_in(at(to + 1), TIME_UNITS) {
            // `3,000 per minute`
            kinds |= fig::RATE;
            to += 2;
        } else if word_in(next, RATE_UNITS) {
            kinds |= fig::RATE;
            to += 1;
        } else if next.is_some_and(|n| n.kind == Kind::Word) {
            // `60 requests per minute`, `10k tokens/min`, `5 req/s`, `1,000 pages per minute`.
            let mut j = to + 1;
            if word_in(at(j), &["input", "output"])
                || !word_in(next, RATE_NOUNS)
                    && at(j).is_some_and(|n| n.kind == Kind::Word)
                    && !word_in(at(j), PER)
            {
                j += 1;
            }
            if (word_in(at(j), PER) || mark_in(at(j), &['/'])) && word_in(at(j + 1), TIME_UNITS) {
                kinds |= fig::RATE;
                to = j + 2;
            }
        }
        // A unit named by the key the number stands under: `p90_latency_ms: 410`.
        if kinds == 0 && i > 1 && (mark_in(at(i - 1), &[':', '='])) {
            let unit = at(i - 2);
            let per = i > 2 && (mark_in(at(i - 3), &['/']) || word_in(at(i - 3), &["per"]));
            if per && word_in(unit, TIME_UNITS) {
                kinds |= fig::RATE | fig::COUNT;
            } else if word_in(unit, DURATION_UNITS) {
                kinds |= duration_kind(unit);
            } else if word_in(unit, CURRENCY_WORDS) {
                kinds |= fig::MONEY;
            } else if word_in(unit, &["pct", "percent"]) {
                kinds |= fig::PERCENT;
            } else if word_in(unit, RATE_UNITS) {
                kinds |= fig::RATE | fig::COUNT;
            }
        }
        // A status code or a year is no figure unless a unit made it one.
        let integer = !t.lower.contains(['.', ',']) && t.lower.bytes().all(|b| b.is_ascii_digit());
        let status = integer
            && t.lower.len() == 3
            && (100.0..600.0).contains(&t.value)
            && (word_in(i.checked_sub(1).and_then(at), STATUS_BEFORE)
                || word_in(at(i + 1), STATUS_AFTER)
                || mark_in(at(i + 1), &['(']));
        let year = integer && t.lower.len() == 4 && (1990.0..2100.0).contains(&t.value);
        // `09:40`, `2 of 2`, `3 out of 4`: a time of day or a tally.
        let clock = mark_in(at(i + 1), &[':']) && at(i + 2).is_some_and(|n| n.kind == Kind::Number)
            || i > 1
                && mark_in(at(i - 1), &[':'])
                && at(i - 2).is_some_and(|n| n.kind == Kind::Number);
        let tally = word_in(at(i + 1), &["of"])
            && at(i + 2).is_some_and(|n| n.kind == Kind::Number)
            || word_in(at(i + 1), &["out"]) && word_in(at(i + 2), &["of"])
            || i > 1
                && word_in(at(i - 1), &["of"])
                && at(i - 2).is_some_and(|n| n.kind == Kind::Number);
        // A count of nothing ("throttle count: 0") states no limit.
        let zero = t.value == 0.0 && t.kind == Kind::Number;
        if kinds == 0 && (status || year || clock || tally || zero) {
            i += 1;
            continue;
        }
        // `last quarter`, `the first half of November`: a stretch of time.
        let period = word_in(
            i.checked_sub(1).and_then(at),
            &[
                "last",
                "this",
                "next",
                "per",
                "each",
                "every",
                "the",
                "first",
                "second",
                "third",
                "fourth",
                "that",
                "previous",
                "current",
                "same",
                "prior",
                "following",
            ],
        );
        // `99.9`, `99.95` next to an SLA: availability written without its `%`.
        if kinds == 0 && t.lower.contains('.') && (90.0..100.0).contains(&t.value) {
            kinds |= fig::PERCENT | fig::COUNT;
        }
        if kinds == 0
            && t.value < 1.0
            && t.kind == Kind::Number
            && !t.lower.starts_with(|c: char| c.is_ascii_digit())
        {
            if period {
                i += 1;
                continue;
            }
            // `half`, `a quarter`, `one tenth`: a proportion.
            kinds |= fig::PERCENT;
        } else if kinds & (fig::MONEY | fig::PERCENT | fig::DURATION | fig::SPAN) == 0 {
            // A plain number, or a rate (which is also a count of requests).
            kinds |= fig::COUNT;
        }
        // A range written before the figure (`200 to 400 ms`, `$1,100-$1,300`) is quoted
        // with it, and not counted again.
        if let Some(prev) = out.last() {
            let gap = from.saturating_sub(prev.to);
            let joiner = from >= prev.to
                && tokens[prev.to..from]
                    .iter()
                    .all(|t| t.is("to") || t.is("and") || t.is("-") || t.is("or"));
            let bare = prev.kinds & fig::COUNT != 0 && prev.kinds & !fig::COUNT == 0;
            if gap <= 1 && joiner && (bare || prev.kinds == kinds) {
                from = prev.from;
                out.pop();
            }
        }
        out.push(Figure { kinds, from, to });
        i = to.max(i + 1);
    }
    out
}

/// Clause numbers per token. Sentence ends, `;`, brackets and clause-opening conjunctions
/// always cut; a comma, colon, `and` or `or` cuts only when a verb follows before the next
/// cut (otherwise the words continue a list that the earlier verb governs).
fn clauses(tokens: &[Token]) -> (Vec<u32>, Vec<u32>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Cut {
        Hard,
        Soft,
    }
    let mut cuts: Vec<(usize, Cut)> = vec![(0, Cut::Hard)];
    for (i, t) in tokens.iter().enumerate() {
        let cut = match t.mark() {
            Some('.' | ';' | '!' | '?' | '\n') => Some(Cut::Hard),
            // Table cells, brackets and dashes: one statement unless a verb starts a new one.
            Some(',' | ':' | '-' | '|' | '(' | ')' | '[' | ']') => Some(Cut::Soft),
            _ if t.kind == Kind::Word && CLAUSE_OPENERS.contains(&t.lower.as_str()) => {
                Some(Cut::Hard)
            }
            _ if t.kind == Kind::Word && (t.is("and") || t.is("or")) => Some(Cut::Soft),
            _ => None,
        };
        if let Some(c) = cut {
            cuts.push((i, c));
        }
    }
    // Sentence numbers change only at hard sentence marks.
    let mut clause = vec![0u32; tokens.len()];
    let mut sentence = vec![0u32; tokens.len()];
    let mut current = 0u32;
    let mut sent = 0u32;
    for (n, &(start, cut)) in cuts.iter().enumerate() {
        let end = cuts.get(n + 1).map_or(tokens.len(), |c| c.0);
        let has_verb = tokens[start..end].iter().any(is_verb);
        if n > 0 && (cut == Cut::Hard || has_verb) {
            current += 1;
        }
        if tokens
            .get(start)
            .and_then(Token::mark)
            .is_some_and(|c| matches!(c, '.' | ';' | '!' | '?' | '\n'))
        {
            sent += 1;
        }
        for i in start..end {
            clause[i] = current;
            sentence[i] = sent;
        }
    }
    (clause, sentence)
}

const NEG: usize = 0;
const DET: usize = 1;
const HEDGE: usize = 2;
const EPI: usize = 3;

/// Where the vocabulary's phrases start in one text: for each token and each list
/// (negations, determiners, hedges, words of knowing), the length of the longest phrase of
/// the list starting there (0 for none). Built once per text, so scoping a claim costs a few
/// lookups per token, whatever the size of the lists.
struct Words {
    at: Vec<[u8; 4]>,
}

/// Words after the month `May` that the modal never takes ("the May invoice", "May bill:").
const MONTH_NOUNS: &[&str] = &[
    "bill",
    "bills",
    "invoice",
    "invoices",
    "spend",
    "usage",
    "statement",
    "charge",
    "charges",
    "total",
    "totals",
    "costs",
    "report",
    "budget",
    "close",
    "run",
    "export",
];
/// Words before the month `May`: "in May", "since May", "end of May".
const MONTH_BEFORE: &[&str] = &[
    "in", "of", "since", "until", "till", "by", "for", "during", "through", "from", "mid", "early",
    "late", "before", "after", "last", "next", "this", "the", "and", "to",
];

/// Is token `i` the month May rather than the modal verb?
fn month_may(tokens: &[Token], text: &str, i: usize) -> bool {
    let t = &tokens[i];
    if !t.is("may") || !text[t.start..].starts_with('M') {
        return false;
    }
    let next = tokens.get(i + 1);
    let sentence_start = i == 0
        || tokens[i - 1]
            .mark()
            .is_some_and(|c| matches!(c, '.' | '!' | '?' | '\n' | ';' | '|' | '(' | '"'));
    !sentence_start
        || word_in(i.checked_sub(1).and_then(|j| tokens.get(j)), MONTH_BEFORE)
        || next.is_some_and(|n| n.kind == Kind::Number || n.kind == Kind::Mark || n.is("'s"))
        || word_in(next, MONTH_NOUNS)
}

/// Verbs after which `may` grants a permission rather than guessing: "each user may run 4
/// sessions at once" states a limit.
const PERMITTED: &[&str] = &[
    "run", "send", "submit", "make", "open", "hold", "keep", "issue", "create", "upload",
    "process", "queue", "store", "request", "burst", "spend", "use",
];

impl Words {
    fn new(tokens: &[Token], text: &str, vocab: &Vocabulary) -> Words {
        let first = vocab.index();
        let urls = Folded::urls_in(text);
        let mut u = 0;
        let at = (0..tokens.len())
            .map(|i| {
                let mut lens = [0u8; 4];
                // Tokens come in order, so one pass over the addresses finds each one's.
                while u < urls.len() && urls[u].1 <= tokens[i].start {
                    u += 1;
                }
                if u < urls.len() && urls[u].0 <= tokens[i].start {
                    return lens;
                }
                let permission = tokens[i].is("may") && word_in(tokens.get(i + 1), PERMITTED);
                if month_may(tokens, text, i) || permission {
                    return lens;
                }
                if let Some(phrases) = first.get(tokens[i].lower.as_str()) {
                    for (cat, p) in phrases {
                        let fits = p.len() <= tokens.len() - i
                            && p.iter().zip(&tokens[i..]).all(|(w, t)| t.lower == *w);
                        if fits {
                            lens[*cat] = lens[*cat].max(p.len().min(255) as u8);
                        }
                    }
                }
                lens
            })
            .collect();
        Words { at }
    }

    /// A phrase of list `cat` starting at `i` and ending by `end`.
    fn has(&self, i: usize, cat: usize, end: usize) -> bool {
        let n = self.at.get(i).map_or(0, |l| l[cat]) as usize;
        n > 0 && i + n <= end
    }

    fn len(&self, i: usize, cat: usize) -> usize {
        self.at.get(i).map_or(0, |l| l[cat]) as usize
    }
}

/// Words after `no`/`not`/`never` that make a bound, not a negation: "no more than 100 QPS",
/// "never exceeds 300 ms" state the figure.
const BOUNDS: &[&str] = &[
    "more",
    "less",
    "fewer",
    "later",
    "longer",
    "slower",
    "faster",
    "higher",
    "lower",
    "greater",
    "worse",
    "better",
    "exceed",
    "exceeds",
    "exceeding",
    "above",
    "below",
    "over",
    "under",
    "drop",
    "drops",
    "dips",
    "dip",
    "fall",
    "falls",
    "go",
    "goes",
    "rise",
    "rises",
    "beyond",
    "past",
    "than",
];

/// A negation of list `cat` in `range` that is not a bound.
fn negation_in(tokens: &[Token], w: &Words, range: std::ops::Range<usize>, cat: usize) -> bool {
    let end = range.end;
    range.into_iter().any(|i| {
        let next = i + w.len(i, cat);
        w.has(i, cat, end)
            && !word_in(tokens.get(next), BOUNDS)
            && !word_in(tokens.get(next + 1), BOUNDS)
    })
}

/// Does `text` hold a topic of any family in scope: could it, as a label, give a figure
/// its family?
pub(crate) fn names_topic(text: &str, families: &[Option<Family<'_>>]) -> bool {
    let folded = Folded::new(text);
    let norm = folded.text.as_str();
    families
        .iter()
        .flatten()
        .any(|f| f.topics.is_match(norm) || f.topics_for.iter().any(|(_, re)| re.is_match(norm)))
}

/// Analyses one text for every family in scope (`families[k]` is `None` when rule `k` does not
/// read this text) and returns each claim once, under the family whose topic is nearest.
pub(crate) fn find(
    text: &str,
    families: &[Option<Family<'_>>],
    vocab: &Vocabulary,
    stop: &dyn Fn() -> bool,
) -> Vec<Found> {
    find_in_context(text, 0, families, vocab, stop)
}

/// [`find`] for a text whose first `context` bytes are only context: the label a value
/// stands under (a table's row label, a list item's parent, a heading, a YAML key). Context
/// may name the topic ("| Uptime | 99.9% |", `uptime: 99.9%`) but holds no figure of its own
/// and cannot negate or hedge the claim: a heading never exempts what is under it.
pub(crate) fn find_in_context(
    text: &str,
    context: usize,
    families: &[Option<Family<'_>>],
    vocab: &Vocabulary,
    stop: &dyn Fn() -> bool,
) -> Vec<Found> {
    let folded = Folded::new(text);
    let norm = folded.text.as_str();
    let tokens = tokenize(norm);
    if tokens.is_empty() {
        return Vec::new();
    }
    let own = tokens.partition_point(|t| folded.original(t.start) < context);
    let mut figs = figures(&tokens);
    figs.retain(|f| f.from >= own);
    if let Some(models) = &vocab.models {
        // Named models replace the numbers inside them (`Claude 3.5`), in one merge pass.
        // A model named in the context is its subject, not a figure of this text.
        let mut named = marks(models, norm, &tokens);
        named.retain(|m| m.0 >= own);
        if !named.is_empty() {
            let mut merged = Vec::with_capacity(figs.len() + named.len());
            let mut m = 0;
            for f in figs {
                while m < named.len() && named[m].1 <= f.from {
                    merged.push(model(named[m]));
                    m += 1;
                }
                let inside = m < named.len() && named[m].0 < f.to;
                if !inside {
                    merged.push(f);
                }
            }
            merged.extend(named[m..].iter().copied().map(model));
            figs = merged;
        }
    }
    if figs.is_empty() {
        return Vec::new();
    }
    type Marks = Vec<(usize, usize)>;
    type FamilyMarks = (Marks, Vec<(u8, Marks)>);
    let topics: Vec<Option<FamilyMarks>> = families
        .iter()
        .map(|f| {
            f.as_ref().map(|f| {
                let by_kind = f
                    .topics_for
                    .iter()
                    .map(|(k, re)| (*k, marks(re, norm, &tokens)))
                    .collect();
                (marks(f.topics, norm, &tokens), by_kind)
            })
        })
        .collect();
    let unless: Vec<Vec<(usize, usize)>> = families
        .iter()
        .map(|f| {
            f.as_ref()
                .and_then(|f| f.unless_near)
                .map_or_else(Vec::new, |re| marks(re, norm, &tokens))
        })
        .collect();
    let subjects = vocab
        .subjects
        .as_ref()
        .map_or_else(Vec::new, |re| marks(re, norm, &tokens));
    let own_marks = vocab
        .own
        .as_ref()
        .map_or_else(Vec::new, |re| marks(re, norm, &tokens));
    let (clause, sentence) = clauses(&tokens);
    let words = Words::new(&tokens, norm, vocab);

    // The clause a named model's predicate stands in when it is not the model's own: a
    // relative clause ("llama-3.1-8b, which is now offered in the EU") or a predicate after
    // an apposition ("every frontier model, including GPT-4.1 and Claude Opus 4, is offered").
    let attached = |f: &Figure| -> Option<u32> {
        if f.kinds & fig::MODEL == 0 {
            return None;
        }
        let j = (f.to..tokens.len().min(f.to + 2)).find(|&j| tokens[j].mark() != Some(','))?;
        let t = &tokens[j];
        let opens = word_in(Some(t), &["which", "that", "who"]) || is_verb(t);
        (clause[j] != clause[f.from] && opens).then_some(clause[j])
    };
    // A short lead-in without a verb that opens the sentence names the topic of the clause
    // after its comma ("At p95, routing through the proxy adds under 10 ms").
    let lead_in = |f: &Figure| -> Option<(usize, usize)> {
        let c = clause[f.from];
        // The comma that cut the clause is its first token.
        let comma = clause.partition_point(|&x| x < c);
        if comma == 0 || tokens[comma].mark() != Some(',') {
            return None;
        }
        let opens_at = |start: usize| {
            start == 0
                || tokens[start - 1]
                    .mark()
                    .is_some_and(|m| matches!(m, '.' | '!' | '?' | '\n' | ';' | ':'))
        };
        let lead = clause[comma - 1];
        let start = clause.partition_point(|&x| x < lead);
        if opens_at(start) && comma - start <= 4 && !tokens[start..comma].iter().any(is_verb) {
            return Some((start, comma));
        }
        // Or the subject of a predicate that opens the clause, with a parenthesis between
        // ("Last month's bill, after credits, was exactly $22,904.10").
        let predicate = tokens[comma + 1..]
            .iter()
            .find(|t| t.kind == Kind::Word)
            .is_some_and(is_verb);
        let mut start = comma;
        while start > 0 && comma - start <= WINDOW && !opens_at(start) {
            start -= 1;
        }
        (predicate && opens_at(start) && !tokens[start..comma].iter().any(is_verb))
            .then_some((start, comma))
    };
    // Distance in tokens between a figure and a mark in the same clause, within the window.
    let distance = |f: &Figure, m: &(usize, usize)| -> Option<usize> {
        let (a, b) = *m;
        let d = if b <= f.from {
            f.from - b
        } else {
            a.saturating_sub(f.to)
        };
        let same = (a..b)
            .chain(f.from..f.to)
            .all(|i| clause[i] == clause[f.from])
            || a >= f.to && attached(f).is_some_and(|c| (a..b).all(|i| clause[i] == c))
            || b <= f.from && lead_in(f).is_some_and(|(start, comma)| a >= start && b <= comma);
        (same && d <= WINDOW).then_some(d)
    };
    // The nearest mark of `list` (but one starting at `skip`).
    let nearest_but =
        |f: &Figure, list: &[(usize, usize)], skip: usize| -> Option<(usize, (usize, usize))> {
            // Marks are sorted; only those near the figure can be in the window.
            let lo = list.partition_point(|m| m.1 + WINDOW < f.from);
            list[lo..]
                .iter()
                .take_while(|m| m.0 <= f.to + WINDOW)
                .filter(|m| m.0 != skip)
                .filter_map(|m| distance(f, m).map(|d| (d, *m)))
                // Of two equally near topics, a word of the topic before a bare verb or
                // preposition, then the longer: "requests per second", "RPS", not "is".
                .min_by_key(|(d, m)| {
                    let weak = tokens[m.0..m.1]
                        .iter()
                        .all(|t| word_in(Some(t), QUOTE_STOP));
                    (*d, weak, std::cmp::Reverse(m.1 - m.0))
                })
        };
    let nearest = |f: &Figure, list: &[(usize, usize)]| nearest_but(f, list, usize::MAX);

    let mut out = Vec::new();
    // A number inside a claim already reported (the `1M` of `$0.40 per 1M tokens`) is part
    // of that claim.
    let mut claimed_to = 0;
    for (n, f) in figs.iter().enumerate() {
        // A huge text is read against the run's deadline, not only between texts.
        if n % 256 == 255 && stop() {
            break;
        }
        if f.from < claimed_to {
            continue;
        }
        let mut best: Option<(usize, usize, (usize, usize))> = None;
        let mut candidates: Vec<(usize, usize, (usize, usize))> = Vec::new();
        for (k, family) in families.iter().enumerate() {
            let Some(family) = family else { continue };
            if family.figures & f.kinds == 0 {
                continue;
            }
            let Some((default, by_kind)) = &topics[k] else {
                continue;
            };
            let list = by_kind
                .iter()
                .find(|(kind, _)| f.kinds & kind != 0)
                .map_or(default, |(_, m)| m);
            let Some((d, m)) = nearest(f, list) else {
                continue;
            };
            let reach = if f.kinds & fig::MODEL != 0 {
                MODEL_REACH
            } else {
                family.reach
            };
            if d > reach {
                continue;
            }
            // "took 3 clicks": a bare count before a word of its own counts that word.
            if family.counts_before
                && f.kinds == fig::COUNT
                && m.1 <= f.from
                && tokens
                    .get(f.to)
                    .is_some_and(|t| t.kind == Kind::Word && clause[f.to] == clause[f.from])
            {
                continue;
            }
            // Words that make the figure something else count in the clause of the topic
            // (a relative clause's own, when the topic stands there).
            let topic_clause = clause[m.0];
            let relative = attached(f) == Some(topic_clause);
            let in_scope = |c: u32| c == topic_clause || !relative && c == clause[f.from];
            let near = |list: &[(usize, usize)]| {
                let lo = list.partition_point(|u| u.1 + WINDOW < f.from);
                list[lo..]
                    .iter()
                    .take_while(|u| u.0 <= f.to + WINDOW)
                    .any(|u| distance(f, u).is_some() && in_scope(clause[u.0]))
            };
            if near(&unless[k]) || near(&own_marks) {
                continue;
            }
            candidates.push((d, k, m));
            let longer = |bm: (usize, usize)| m.1 - m.0 > bm.1 - bm.0;
            if best.is_none_or(|(bd, _, bm)| d < bd || (d == bd && longer(bm))) {
                best = Some((d, k, m));
            }
        }
        let Some((mut d, mut k, mut topic)) = best else {
            continue;
        };
        if let Some((od, ok, om)) = candidates
            .iter()
            // Only a word right at the figure ("saves us 0.08 USD"), not one elsewhere in the
            // clause ("a cheaper model now that it costs $0.40 per 1M tokens").
            .filter(|(cd, c, _)| {
                *cd <= OUTRANK_REACH
                    && families[*c]
                        .as_ref()
                        .is_some_and(|f| f.outranks.contains(&k))
            })
            .min_by_key(|(cd, _, _)| *cd)
        {
            (d, k, topic) = (*od, *ok, *om);
        }
        // The packet's own subject (its budget, cap, threshold) nearer than any topic. In a
        // compound the last noun is the head ("weekly spend alert", "per-seat budget"), but
        // an allowance or quota named by the provider's unit is the provider's ("the
        // tokens-per-minute allowance on the org is 2 million").
        let granted = f.kinds & fig::MONEY == 0
            && word_in(
                tokens.get(topic.1),
                &[
                    "allowance",
                    "allowances",
                    "quota",
                    "quotas",
                    "ceiling",
                    "ceilings",
                    "cap",
                    "caps",
                    "limit",
                    "limits",
                ],
            );
        let subject = nearest_but(f, &subjects, if granted { topic.1 } else { usize::MAX });
        if subject.is_some_and(|(sd, _)| sd <= d) {
            continue;
        }
        // A subject that governs the figure directly ("a per-seat budget of $18 a month",
        // "alert at $1,800", "Cost ceiling for the eval project: €2,500 per week").
        // Not a rate (the provider's unit), and not a subject the topic names ("TPM ceiling",
        // "throughput ceiling": the provider's).
        let governs = subject.is_some_and(|(_, m)| {
            f.kinds & fig::RATE == 0
                && topic.1 != m.0
                && m.1 <= f.from
                && f.from - m.1 <= SUBJECT_LEAD
                && (tokens[m.1..f.from].iter().all(|t| {
                    word_in(
                        Some(t),
                        &[
                            "of", "at", "is", "are", "was", "to", "set", "about", "around",
                            "stays", "sits",
                        ],
                    ) || t.mark().is_some_and(|c| matches!(c, ':' | '='))
                }) || f.from > 0
                    && tokens[f.from - 1].mark() == Some(':')
                    && !tokens[m.1..f.from].iter().any(is_verb))
        });
        if governs {
            continue;
        }
        // A budget word leading the clause ("our spend ceiling for the pilot stays at $1,500
        // in total") makes the figure the packet's own, unless the topic is written right at
        // the figure ("the budget covers input at $0.40 per 1M tokens").
        // A topic that is only a preposition or a verb ("after 500 ms") does not make it so.
        let weak = tokens[topic.0..topic.1]
            .iter()
            .all(|t| word_in(Some(t), QUOTE_STOP));
        let topic_between = |m: (usize, usize)| topic.0 >= m.1 && topic.1 <= f.from && !weak;
        if (d > 0 || weak)
            && subject
                .is_some_and(|(sd, m)| m.1 <= f.from && sd <= SUBJECT_LEAD && !topic_between(m))
        {
            continue;
        }
        let (from, to) = (f.from.min(topic.0), f.to.max(topic.1));
        if negated(&tokens, &clause, &sentence, (from, to, own), &words) {
            continue;
        }
        // Quote the figure, with the family's words that follow right after it (`99.9%
        // uptime`, `$0.40 per 1M tokens`), whichever topic was nearest.
        let after = topics[k].as_ref().and_then(|(default, by_kind)| {
            let list = by_kind
                .iter()
                .find(|(kind, _)| f.kinds & kind != 0)
                .map_or(default, |(_, m)| m);
            let lo = list.partition_point(|m| m.0 < f.to);
            list[lo..]
                .iter()
                .take_while(|m| m.0 <= f.to + 1)
                .filter(|m| clause[m.0] == clause[f.from] && clause[m.1 - 1] == clause[f.from])
                // A preposition or a verb names the topic but is no part of the figure.
                .filter(|m| {
                    !tokens[m.0..m.1]
                        .iter()
                        .all(|t| word_in(Some(t), QUOTE_STOP))
                })
                .map(|m| m.1)
                .max()
        });
        let (qa, qb) = (f.from, after.map_or(f.to, |e| e.max(f.to)));
        claimed_to = to.max(qb);
        let (sa, sb) = (tokens[qa].start, tokens[qb - 1].end);
        // Markup inside a field value (`**$0.40**`) is not part of the figure.
        let quote = norm[sa..sb]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(['_', '*', '`'], "");
        out.push(Found {
            family: k,
            start: folded.original(tokens[qa].start),
            quote,
        });
    }
    out
}

/// Hedges that are adjectives: they qualify the noun right after them, which may be another
/// than the claim ("input costs $0.40 per 1M tokens, unverified rumours aside").
const ADJECTIVE_HEDGES: &[&str] = &[
    "unverified",
    "unconfirmed",
    "unproven",
    "unvalidated",
    "hypothetical",
    "rumoured",
    "rumored",
    "draft",
    "illustrative",
    "placeholder",
];
/// Words after an adjective hedge that leave it about the claim: "(unverified)", ", unverified
/// by the account view", ", unconfirmed so far".
const HEDGE_TAIL: &[&str] = &[
    "yet", "by", "in", "with", "against", "on", "from", "for", "so", "as", "until", "and", "or",
    "but", "still", "pending", "at", "to", "figure", "number", "figures", "numbers", "claim",
    "claims", "quote", "it", "this", "that",
];
/// Hedges that open a question or a condition: as a label ("Whether it matters or not: …")
/// they say nothing about the statement after the colon.
const CONDITIONAL_HEDGES: &[&str] = &["whether", "if", "may", "might", "could", "depends"];

/// A hedge in `range` that reaches the claim at `span`: not negated, and (for an adjective)
/// not qualifying some other noun.
fn hedge_reaches(
    tokens: &[Token],
    w: &Words,
    range: std::ops::Range<usize>,
    span: (usize, usize),
) -> bool {
    let end = range.end;
    range.into_iter().any(|i| {
        if !w.has(i, HEDGE, end)
            || (i.saturating_sub(3)..i).any(|j| w.has(j, NEG, i) || w.has(j, DET, i))
        {
            return false;
        }
        let next = i + w.len(i, HEDGE);
        let adjective = word_in(tokens.get(i), ADJECTIVE_HEDGES) && w.len(i, HEDGE) == 1;
        let other_noun = tokens.get(next).is_some_and(|t| {
            t.kind == Kind::Word
                && !HEDGE_TAIL.contains(&t.lower.as_str())
                && !(span.0..span.1).contains(&next)
        });
        // Before the claim, the noun it qualifies is the claim's own ("the unverified price
        // is $0.40"); after it, another one ("…, unverified rumours aside").
        !(adjective && other_noun && i >= span.1)
    })
}

/// Does a verb of knowing, said by us, follow the claim ("…, and we confirmed it", "we rely
/// on it")? Then an attribution or hedge near it does not withdraw it.
fn affirmed(tokens: &[Token], w: &Words, range: std::ops::Range<usize>) -> bool {
    const SAYERS: &[&str] = &[
        "we", "i", "they", "have", "has", "had", "been", "was", "were",
    ];
    const CONDITIONS: &[&str] = &[
        "once", "when", "if", "until", "unless", "after", "before", "whether",
    ];
    let end = range.end;
    range.into_iter().any(|j| {
        w.has(j, EPI, end)
            && (j.saturating_sub(2)..j).any(|k| word_in(tokens.get(k), SAYERS))
            && !(j.saturating_sub(3)..j).any(|k| w.has(k, NEG, j) || w.has(k, HEDGE, end))
            && !(j.saturating_sub(4)..j).any(|k| word_in(tokens.get(k), CONDITIONS))
    })
}

/// Does a negation or a hedge reach the claim spanning tokens `from..to`?
fn negated(
    tokens: &[Token],
    clause: &[u32],
    sentence: &[u32],
    (from, to, own): (usize, usize, usize),
    w: &Words,
) -> bool {
    // Context before `own` names a topic at most; it never negates.
    let from_own = from.max(own);
    let c = clause[from_own];
    let start = (own..from_own)
        .rev()
        .take(NEGATION_REACH)
        .take_while(|&i| clause[i] == c)
        .last()
        .unwrap_or(from_own);
    let from = from_own;
    let span = (from, to);
    let s = sentence[from];
    let sentence_end = (to..tokens.len().min(to + NEGATION_REACH))
        .find(|&i| sentence[i] != s)
        .unwrap_or(tokens.len().min(to + NEGATION_REACH));
    // "The sales deck claims 99.9% uptime, and we rely on it": said, then owned.
    let owned = affirmed(tokens, w, to..sentence_end);
    let hedged = |range: std::ops::Range<usize>| !owned && hedge_reaches(tokens, w, range, span);
    // A verb's negation or a hedge anywhere before the claim in its clause: "we have not
    // confirmed the 99.95% figure", "verify whether p95 stays under 300 ms"; or between the
    // figure and its topic: "gpt-4o is not available".
    if negation_in(tokens, w, start..from, NEG)
        || hedged(start..from)
        || negation_in(tokens, w, from..to, NEG)
        || hedged(from..to)
    {
        return true;
    }
    // `no`/`without` reach only the words right after them: "there is no 20% discount",
    // but not "with no retries the price is $0.40 per 1M tokens".
    let det_at = |i: usize| i >= start && w.has(i, DET, from);
    let article = |i: usize| word_in(tokens.get(i), &["a", "an", "the", "any"]);
    if from > 0 && (det_at(from - 1) || (from > 1 && det_at(from - 2) && article(from - 1))) {
        return true;
    }
    // After the claim, in its clause or in a tail without a verb of its own (", to be
    // confirmed", "(unverified)"): a hedge, or a negated verb of knowing ("is not confirmed").
    let limit = (to + NEGATION_REACH).min(tokens.len());
    let mut end = to;
    while end < limit && sentence[end] == s {
        let here = clause[end];
        let clause_end = (end..limit).find(|&i| clause[i] != here).unwrap_or(limit);
        if here != c {
            let words = &tokens[end..clause_end];
            let has_verb = words.iter().any(|t| is_verb(t) && !t.is("be"));
            // The claim's own predicate going on ("…) are still to be confirmed", ", and has
            // not been confirmed"): the clause opens with a verb, no subject of its own.
            let opens_with_verb = words
                .iter()
                .find(|t| t.kind == Kind::Word && !t.is("and") && !t.is("but") && !t.is("or"))
                .is_some_and(is_verb);
            if has_verb && !opens_with_verb && !hedged(end..clause_end) {
                break;
            }
        }
        end = clause_end.min(limit);
    }
    if hedged(to..end) {
        return true;
    }
    // The next statement, after `;`, withdrawing the figure by pointing back at it: "…lists
    // $0.15 per 1M tokens; the account view has not confirmed it yet".
    if tokens.get(end).and_then(Token::mark) == Some(';') {
        let next = end + 1;
        let stop = (next..tokens.len())
            .take(NEGATION_REACH)
            .find(|&i| matches!(tokens[i].mark(), Some('.' | ';' | '!' | '?')))
            .unwrap_or(tokens.len().min(next + NEGATION_REACH));
        let refers = tokens[next..stop].iter().any(|t| {
            [
                "it", "this", "that", "these", "them", "figure", "number", "price", "rate",
                "terms", "contract", "quote",
            ]
            .contains(&t.lower.as_str())
        });
        let withdrawn = (next..stop).any(|i| {
            w.has(i, NEG, tokens.len())
                && (i..(i + 5).min(stop)).any(|j| w.has(j, EPI, tokens.len()))
        }) || hedged(next..stop);
        if refers && withdrawn {
            return true;
        }
    }
    for i in to..end {
        if w.has(i, NEG, tokens.len()) && (i..(i + 6).min(end)).any(|j| w.has(j, EPI, tokens.len()))
        {
            return true;
        }
    }
    // A label before a colon: "Unverified: …", "Not confirmed: …".
    let label_end = (own..from)
        .rev()
        .take(NEGATION_REACH)
        .take_while(|&i| sentence[i] == s)
        .find(|&i| tokens[i].mark() == Some(':'));
    if let Some(colon) = label_end {
        let label_start = (own..colon)
            .rev()
            .take(NEGATION_REACH)
            .take_while(|&i| sentence[i] == s && !matches!(tokens[i].mark(), Some(':' | '.')))
            .last()
            .unwrap_or(colon);
        let label = label_start..colon;
        // A label of status ("Unverified:", "To be confirmed:"), not a question ("Whether it
        // matters or not:") nor a double negative ("Nothing here is unverified:").
        let status_hedge = !label.clone().any(|i| w.has(i, NEG, colon))
            && label.clone().any(|i| {
                // An adjective qualifies the label's head ("Unverified price:"), not a noun
                // of its own ("Unconfirmed rumours aside:").
                let head = i + 2 == colon && word_in(tokens.get(i), ADJECTIVE_HEDGES);
                !word_in(tokens.get(i), CONDITIONAL_HEDGES)
                    && (head || hedge_reaches(tokens, w, i..i + w.len(i, HEDGE).max(1), (0, 0)))
            });
        // "Not confirmed:", "Not verified by the account view:"; not "The test does not prove
        // much else:", whose verb has an object of its own.
        let unknown = label.clone().any(|i| {
            // The negation governs the verb of knowing: "not confirmed", "not yet verified";
            // not "claims nothing we rely on".
            let governs = |j: usize| {
                (i + w.len(i, NEG)..j).all(|k| {
                    word_in(
                        tokens.get(k),
                        &[
                            "yet",
                            "been",
                            "be",
                            "fully",
                            "independently",
                            "really",
                            "is",
                            "was",
                            "are",
                            "were",
                        ],
                    )
                })
            };
            w.has(i, NEG, colon)
                && (i + 1..(i + 4).min(colon))
                    .filter(|&j| governs(j))
                    .any(|j| {
                        let after = j + w.len(j, EPI);
                        w.has(j, EPI, colon)
                            && (after >= colon || word_in(tokens.get(after), HEDGE_TAIL))
                    })
                && !(i..colon).any(|j| word_in(tokens.get(j), &["need", "needs", "needed"]))
        });
        if colon - label_start <= 8 && !owned && (status_hedge || unknown) {
            return true;
        }
    }
    false
}

/// Is a claim that a plain regex found at `start..end` of `text` negated or hedged?
pub(crate) fn negated_span(text: &str, start: usize, end: usize, vocab: &Vocabulary) -> bool {
    let folded = Folded::new(text);
    let tokens = tokenize(&folded.text);
    // The folded text keeps the original's byte offsets through `origin`; find the tokens
    // whose original start falls inside the match.
    let from = tokens.partition_point(|t| folded.original(t.start) < start);
    let to = tokens.partition_point(|t| folded.original(t.start) < end);
    if from >= to {
        return false;
    }
    let (clause, sentence) = clauses(&tokens);
    let words = Words::new(&tokens, &folded.text, vocab);
    negated(&tokens, &clause, &sentence, (from, to, 0), &words)
}

/// A cheap test that a text could hold a figure at all: a digit (ASCII or full-width), a
/// number word, or a named model. Most field values are skipped by it.
pub(crate) fn may_hold(text: &str, vocab: &Vocabulary) -> bool {
    static WORDS: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    if text.bytes().any(|b| b.is_ascii_digit()) {
        return true;
    }
    let words = WORDS.get_or_init(|| {
        Regex::new(
            r"(?i)(?:\ban? (?:second|minute|millisecond|hour|day)|sub-?(?:second|millisecond|minute)|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|half|dozen|quarter|third|fifth|tenth)|[\x{FF10}-\x{FF19}]",
        )
        .expect("static regex")
    });
    words.is_match(text) || vocab.models.as_ref().is_some_and(|m| m.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        let w = |l: &[&str]| phrases(&l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        Vocabulary {
            negations: w(&["not", "never", "doesn't", "does not"]),
            determiners: w(&["no", "without"]),
            hedges: w(&["unverified", "to be confirmed", "verify", "whether", "may"]),
            epistemic: w(&["confirmed", "verified"]),
            subjects: Some(Regex::new(r"(?i)\b(?:budgets?|caps?)\b").unwrap()),
            models: None,
            ..Default::default()
        }
    }

    fn found(text: &str) -> Vec<(usize, String)> {
        let re = |s: &str| Regex::new(s).unwrap();
        let (price, bill, up) = (
            re(r"(?i)\bper\b"),
            re(r"(?i)\b(?:adds?|invoice|total)\b"),
            re(r"(?i)\buptime\b"),
        );
        let fams = vec![
            Some(Family {
                figures: fig::MONEY,
                topics: &price,
                topics_for: vec![],
                unless_near: None,
                outranks: vec![],
                reach: WINDOW,
                counts_before: false,
            }),
            Some(Family {
                figures: fig::MONEY,
                topics: &bill,
                topics_for: vec![],
                unless_near: None,
                outranks: vec![],
                reach: WINDOW,
                counts_before: false,
            }),
            Some(Family {
                figures: fig::PERCENT,
                topics: &up,
                topics_for: vec![],
                unless_near: None,
                outranks: vec![],
                reach: WINDOW,
                counts_before: false,
            }),
        ];
        find(text, &fams, &vocab(), &|| false)
            .into_iter()
            .map(|f| (f.family, f.quote))
            .collect()
    }

    #[test]
    fn claims_in_their_clause() {
        assert_eq!(
            found("It costs $0.40 per 1M tokens."),
            [(0, "$0.40 per".into())]
        );
        assert!(found("Add a $500 monthly budget line.").is_empty());
        assert!(found("This test does not prove spend, limits or 99.9% uptime.").is_empty());
        assert_eq!(
            found("No retries were needed, and the provider guarantees 99.9% uptime.").len(),
            1
        );
        assert!(found("There is no 99.9% uptime.").is_empty());
        assert_eq!(
            found("Because there is no reservation, each call is $0.003 per call.").len(),
            1
        );
        assert!(found("The 99.9% uptime is not confirmed.").is_empty());
        assert!(found("A 99.9% uptime, to be confirmed in the account view.").is_empty());
        assert!(found("99.9% uptime (unverified).").is_empty());
    }

    /// The figure each text holds, as (kinds, quoted words).
    fn figs(text: &str) -> Vec<(u8, String)> {
        let tokens = tokenize(text);
        figures(&tokens)
            .into_iter()
            .map(|f| {
                (
                    f.kinds,
                    text[tokens[f.from].start..tokens[f.to - 1].end].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn figures_as_a_reader_counts_them() {
        use fig::*;
        assert_eq!(
            figs("answers in about a second"),
            [(DURATION, "a second".into())]
        );
        assert!(figs("a second model").is_empty());
        assert_eq!(
            figs("sub-second latency"),
            [(DURATION, "sub-second".into())]
        );
        assert_eq!(figs("costs half a cent"), [(MONEY, "half a cent".into())]);
        assert_eq!(figs("0.8x list price"), [(PERCENT, "0.8x".into())]);
        assert_eq!(figs("within 24 hours"), [(SPAN, "24 hours".into())]);
        assert_eq!(figs("p90 latency ms: 410"), [(DURATION, "410".into())]);
        assert_eq!(
            figs("Requests/min: 1,200"),
            [(RATE | COUNT, "1,200".into())]
        );
    }

    #[test]
    fn the_month_may_is_no_hedge() {
        let v = vocab();
        let hedged = |text: &str| {
            let tokens = tokenize(text);
            let w = Words::new(&tokens, text, &v);
            hedge_reaches(&tokens, &w, 0..tokens.len(), (0, 0))
        };
        assert!(hedged("The price may be $2."));
        assert!(hedged("May be $2, to be seen."));
        assert!(!hedged("In May the API was down."));
        assert!(!hedged("May bill: $3,870."));
        assert!(!hedged("the May invoice came to $3,870"));
        assert!(!hedged("Each user may run 4 sessions at once."));
        // An adjective hedge after the claim that qualifies a noun of its own.
        assert!(hedged("It costs $2 (unverified)."));
        assert!(!hedged("It costs $2, unverified rumours aside."));
    }
}
