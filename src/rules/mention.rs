//! Does a note name a field as the thing that is missing or wrong? The `mentions_field` test
//! of `conditional` rules: a returned change's `decision_note` must say what it was returned
//! for ("Weak handoff").
//!
//! A field name in a note is not always about that field: "needs more work, ask the owner",
//! "see notes", "per the approval status" name `owner`, `notes` and `approval_status` as
//! bystanders, and say nothing about what is missing. A name counts when the note names it as
//! a field:
//!
//! - written as the field's key: `unit_metric`, `Unit-Metric`, `does-not-prove` (the words
//!   joined by `_` or `-`), or in backticks or quotes (`` `owner` ``, `"notes"`);
//! - or in words (`unit metric`, `retry behaviour`, an alias from the field docs) with a cue
//!   in its clause that says what is wrong with it: before it, within four words ("missing
//!   unit metric", "please add the unit metric", "no retry behavior given", "needs more work
//!   on the unit metric") or after it, within five ("owner field is empty", "the unit metric is unclear", "evidence
//!   links are stale", "retry behaviour is not recorded").
//!
//! A clause ends at punctuation (`,` `;` `.` `(`…, a spaced dash) and at words that start
//! another statement ("before", "per", "see", "ask", "but"…), and a cue does not reach over
//! words that tie the name to something else ("from", "by", "with", "and"…): in "needs more
//! work before the provider signs off" the `needs` is about the work, not the provider.

/// One word or mark of the note, lower-cased, and whether white space stands before it.
#[derive(Debug)]
struct Tok {
    text: String,
    word: bool,
    spaced: bool,
    /// Which of the word lists below hold the word (bits of [`list`]).
    lists: u8,
}

impl Tok {
    fn is(&self, w: &str) -> bool {
        self.word && self.text == w
    }

    fn mark(&self) -> Option<char> {
        (!self.word).then(|| self.text.chars().next()).flatten()
    }

    fn in_list(&self, list: &[&str]) -> bool {
        self.word && list.contains(&self.text.as_str())
    }

    fn on(&self, list: u8) -> bool {
        self.lists & list != 0
    }
}

/// The word lists, as bits: a word's lists are looked up once, when the note is read.
mod list {
    pub(super) const BEFORE: u8 = 1;
    pub(super) const AFTER: u8 = 2;
    pub(super) const CUT: u8 = 4;
    pub(super) const BLOCK: u8 = 8;
    pub(super) const NOT: u8 = 16;
    pub(super) const FILLER: u8 = 32;
    pub(super) const NOT_OK: u8 = 64;
}

/// Which lists hold `word`.
fn lists_of(word: &str) -> u8 {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, u8>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for (bit, words) in [
            (list::BEFORE, BEFORE),
            (list::AFTER, AFTER),
            (list::CUT, CUT_WORDS),
            (list::BLOCK, BLOCKERS),
            (list::NOT, NOTS),
            (list::FILLER, NOT_FILLER),
            (list::NOT_OK, NOT_OK),
        ] {
            for w in words {
                *m.entry(*w).or_insert(0) |= bit;
            }
        }
        m
    });
    index.get(word).copied().unwrap_or(0)
}

const APOSTROPHES: &[char] = &['\'', '’'];

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut spaced = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            spaced = true;
            continue;
        }
        if c.is_alphanumeric() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                // An apostrophe inside a word ("isn't", "owner's") is part of it.
                let inner = APOSTROPHES.contains(&d)
                    && text[j + d.len_utf8()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric);
                if d.is_alphanumeric() || inner {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            // "owner's" stays a word of its own: a possessive field word qualifies another
            // noun ("in the owner's absence").
            let word = text[i..end].to_lowercase().replace('’', "'");
            let mut lists = lists_of(&word);
            if word.ends_with("n't") {
                lists |= list::NOT;
            }
            out.push(Tok {
                text: word,
                word: true,
                spaced,
                lists,
            });
        } else {
            out.push(Tok {
                text: c.to_string(),
                word: false,
                spaced,
                lists: 0,
            });
        }
        spaced = false;
    }
    out
}

/// Lower case words of a field name or alias (`unit_metric`, `Error-path result`).
pub(crate) fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Words that start another statement: a cue before them is not about a name after them.
const CUT_WORDS: &[&str] = &[
    "but", "because", "before", "after", "until", "till", "while", "per", "see", "ask", "so",
    "since", "though", "although", "once", "when", "whenever", "if", "unless", "then", "which",
    "who", "whose", "where", "cc", "re", "via", "as", "whether",
];
/// Words that tie a name to something other than the cue: "more work from the owner".
const BLOCKERS: &[&str] = &[
    "from", "by", "with", "to", "at", "for", "of", "than", "and", "or", "nor", "into", "onto",
    "asked", "asks", "said", "says", "tell", "told", "tells", "let", "lets", "wants", "wanted",
    "thinks", "thought", "knows", "signs", "signed", "will", "would", "can", "could", "may",
    "might", "like",
];
/// Cues that stand before a name: "missing unit metric", "add the owner", "no retry behavior".
const BEFORE: &[&str] = &[
    "missing",
    "miss",
    "no",
    "without",
    "lacks",
    "lack",
    "lacking",
    "add",
    "fill",
    "provide",
    "supply",
    "fix",
    "correct",
    "complete",
    "name",
    "specify",
    "define",
    "give",
    "set",
    "record",
    "document",
    "update",
    "refresh",
    "recheck",
    "redo",
    "rewrite",
    "clarify",
    "explain",
    "enter",
    "include",
    "need",
    "needs",
    "needed",
    "require",
    "requires",
    "required",
    "empty",
    "blank",
    "incomplete",
    "invalid",
    "wrong",
    "incorrect",
    "unclear",
    "vague",
    "stale",
    "outdated",
    "expired",
    "unverified",
    "unbounded",
    "unknown",
    "unset",
    "undefined",
    "unspecified",
    "unrecorded",
    "undocumented",
    "broken",
    "dead",
    "bad",
    "weak",
    "inconsistent",
    "absent",
    "insufficient",
    "field",
    "fields",
];
/// Cues that follow a name: "owner field is empty", "evidence links are stale".
const AFTER: &[&str] = &[
    "missing",
    "empty",
    "blank",
    "absent",
    "incomplete",
    "invalid",
    "wrong",
    "incorrect",
    "unclear",
    "vague",
    "stale",
    "outdated",
    "expired",
    "old",
    "older",
    "unbounded",
    "unset",
    "undefined",
    "unknown",
    "unverified",
    "unrecorded",
    "undocumented",
    "unfilled",
    "unspecified",
    "unnamed",
    "inconsistent",
    "weak",
    "broken",
    "dead",
    "needed",
    "required",
    "lacking",
    "insufficient",
    "too",
    "placeholder",
    "tbd",
    "todo",
    "field",
    "fields",
    "lacks",
    "needs",
    "need",
];
/// Negations: a cue after a name when what they deny is the field's being there or right.
const NOTS: &[&str] = &[
    "not", "isn't", "aren't", "wasn't", "weren't", "doesn't", "don't", "hasn't", "haven't", "never",
];
/// Words between a negation and what it denies.
const NOT_FILLER: &[&str] = &[
    "yet", "been", "be", "fully", "clearly", "properly", "really", "even", "actually", "a", "an",
    "the", "any", "specific", "real", "very",
];
/// What a negation after a name denies, for the field to be what is wrong: "retry behaviour
/// is not recorded", "owner isn't set" (not "the provider has not signed off").
const NOT_OK: &[&str] = &[
    "recorded",
    "given",
    "set",
    "filled",
    "named",
    "stated",
    "provided",
    "defined",
    "written",
    "chosen",
    "documented",
    "specified",
    "clear",
    "valid",
    "bounded",
    "fresh",
    "present",
    "there",
    "included",
    "listed",
    "checked",
    "complete",
    "known",
    "done",
    "enough",
    "sufficient",
    "right",
    "correct",
    "linked",
    "dated",
    "updated",
    "current",
    "captured",
    "mentioned",
    "explained",
    "supplied",
    "entered",
    "attached",
    "tested",
    "measured",
    "verified",
    "confirmed",
    "accurate",
    "usable",
    "acceptable",
    "good",
    "metric",
    "value",
    "filled-in",
    "recent",
    "reachable",
    "working",
    "prove",
    "proven",
    "shown",
    "covered",
];

fn cuts(t: &Tok) -> bool {
    match t.mark() {
        Some('-' | '–' | '—' | '/') => t.spaced,
        Some('`' | '\'' | '"' | '“' | '”' | '‘' | '’' | '*' | '_' | '&' | '+') => false,
        Some(_) => true,
        None => t.on(list::CUT),
    }
}

/// A name found in the note: token range, and whether it is written as the field's key.
struct Found {
    from: usize,
    to: usize,
    key: bool,
}

/// Where the names stand in the tokens: a name's words in order, with at most a `_` or `-`
/// (no space around it) between two of them, the last one plural or not. Names are looked up
/// by their first word, so the work is one pass over the tokens.
fn find_names(toks: &[Tok], names: &[Vec<String>]) -> Vec<Found> {
    let mut by_first: std::collections::HashMap<&str, Vec<&[String]>> =
        std::collections::HashMap::new();
    for name in names {
        if let Some(first) = name.first() {
            by_first.entry(first.as_str()).or_default().push(name);
        }
    }
    let mut out = Vec::new();
    for (start, tok) in toks.iter().enumerate() {
        if !tok.word {
            continue;
        }
        let exact = by_first.get(tok.text.as_str()).into_iter().flatten();
        // A plural of a one-word name: "owners".
        let plural_of = tok
            .text
            .strip_suffix('s')
            .and_then(|stem| by_first.get(stem))
            .into_iter()
            .flatten()
            .filter(|n| n.len() == 1);
        for name in exact.chain(plural_of) {
            if let Some(found) = name_at(toks, start, name) {
                out.push(found);
            }
        }
    }
    out
}

/// The name whose first word is token `start`, if the rest of its words follow.
fn name_at(toks: &[Tok], start: usize, name: &[String]) -> Option<Found> {
    let mut i = start + 1;
    let mut joined = true;
    for (n, w) in name.iter().enumerate().skip(1) {
        let joint = toks
            .get(i)
            .filter(|t| matches!(t.mark(), Some('_' | '-')) && !t.spaced)
            .filter(|_| toks.get(i + 1).is_some_and(|n| !n.spaced));
        if joint.is_some() {
            i += 1;
        } else {
            joined = false;
        }
        let last = n + 1 == name.len();
        match toks.get(i) {
            Some(t) if t.is(w) || last && plural(t, w) => i += 1,
            _ => return None,
        }
    }
    Some(Found {
        from: start,
        to: i,
        key: name.len() > 1 && joined || quoted(toks, start, i),
    })
}

/// The names found, by token: which tokens belong to one, and where names start and end.
struct Spans {
    inside: Vec<bool>,
    /// The end of the longest name starting at a token.
    from: Vec<Option<usize>>,
    /// The start of the longest name ending before a token.
    to: Vec<Option<usize>>,
}

impl Spans {
    fn new(len: usize, found: &[Found]) -> Self {
        let mut s = Spans {
            inside: vec![false; len],
            from: vec![None; len + 1],
            to: vec![None; len + 1],
        };
        for f in found {
            for i in f.from..f.to {
                s.inside[i] = true;
            }
            let end = s.from[f.from].get_or_insert(f.to);
            *end = (*end).max(f.to);
            let start = s.to[f.to].get_or_insert(f.from);
            *start = (*start).min(f.from);
        }
        s
    }
}

/// How many tokens a cue is looked for either way of a name: a long list of names, or a run
/// of marks, does not make every name look at all of it.
const STEPS: usize = 24;

fn plural(t: &Tok, w: &str) -> bool {
    t.word && t.text.strip_suffix('s') == Some(w)
}

/// Is the name at `from..to` in backticks or quotes?
fn quoted(toks: &[Tok], from: usize, to: usize) -> bool {
    let open = from.checked_sub(1).and_then(|i| toks[i].mark());
    let close = toks.get(to).and_then(Tok::mark);
    matches!(
        (open, close),
        (Some('`'), Some('`'))
            | (Some('"'), Some('"'))
            | (Some('\''), Some('\''))
            | (Some('“'), Some('”'))
            | (Some('‘'), Some('’'))
            | (Some('«'), Some('»'))
    )
}

/// Words that join names into a list: a cue reaches every name of the list ("missing unit
/// metric and retry behaviour", "owner mapping and allocation rule missing").
fn joins(t: &Tok) -> bool {
    t.in_list(&["and", "or"]) || matches!(t.mark(), Some(',' | '&'))
}

/// Is a name at `from..to` (all the names found are `spans`) given a cue in its clause?
fn has_cue(toks: &[Tok], from: usize, to: usize, spans: &Spans) -> bool {
    let other = |i: usize| spans.inside[i];
    // Before: up to four words back ("needs more work on the unit metric"), within the
    // clause, over a list of names.
    let mut words = 0;
    let mut i = from;
    let mut lead = true;
    let mut steps = 0;
    while i > 0 && words <= 4 && steps < STEPS {
        steps += 1;
        i -= 1;
        let t = &toks[i];
        if t.on(list::BEFORE) {
            return true;
        }
        if joins(t) {
            if let Some(a) = spans.to[i] {
                i = a;
                continue;
            }
        }
        // "missing: owner" — a colon right after the cue.
        if t.mark() == Some(':') && lead {
            continue;
        }
        lead = false;
        if cuts(t) || t.on(list::BLOCK) {
            break;
        }
        if t.word && !other(i) {
            words += 1;
        }
    }
    // After: up to five words on, within the clause, over a list of names.
    let mut words = 0;
    let mut i = to;
    let mut lead = true;
    let mut steps = 0;
    while i < toks.len() && words <= 5 && steps < STEPS {
        steps += 1;
        let t = &toks[i];
        if joins(t) {
            if let Some(b) = spans.from[i + 1] {
                i = b;
                continue;
            }
        }
        if t.on(list::AFTER) {
            // "the owner needs to sign off" says what the owner does, not what it lacks.
            let to_do = t.in_list(&["needs", "need"])
                && toks.get(i + 1).is_some_and(|n| n.is("to"))
                && !toks.get(i + 2).is_some_and(|n| n.is("be"));
            if !to_do {
                return true;
            }
        }
        if t.on(list::NOT) {
            let mut j = i + 1;
            while toks.get(j).is_some_and(|n| n.on(list::FILLER)) {
                j += 1;
            }
            match toks.get(j) {
                None => return true,
                Some(n) if cuts(n) || n.on(list::NOT_OK) => return true,
                _ => {}
            }
        }
        // "must be fixed", "should be filled in".
        if t.in_list(&["must", "should"]) && toks.get(i + 1).is_some_and(|n| n.is("be")) {
            return true;
        }
        // "owner: missing" — a colon right after the name.
        if t.mark() == Some(':') && lead {
            i += 1;
            continue;
        }
        lead = false;
        if cuts(t) || t.on(list::BLOCK) {
            break;
        }
        if t.word && !other(i) {
            words += 1;
        }
        i += 1;
    }
    false
}

/// Which of the names found in `text` are named as fields, their words run together.
#[cfg(test)]
fn named(text: &str, names: &[Vec<String>]) -> Vec<String> {
    let toks = tokenize(text);
    let found = find_names(&toks, names);
    let spans = Spans::new(toks.len(), &found);
    let mut out: Vec<String> = found
        .iter()
        .filter(|f| f.key || has_cue(&toks, f.from, f.to, &spans))
        .map(|f| {
            toks[f.from..f.to]
                .iter()
                .map(|t| t.text.as_str())
                .collect::<String>()
        })
        .collect();
    out.sort();
    out
}

/// Does `text` name one of `names` (each a field's name or alias, as words) as a field: as
/// its key, or in words with a cue that says what is wrong with it?
pub(crate) fn names_a_field(text: &str, names: &[Vec<String>]) -> bool {
    let toks = tokenize(text);
    let found = find_names(&toks, names);
    if found.iter().any(|f| f.key) {
        return true;
    }
    let spans = Spans::new(toks.len(), &found);
    found.iter().any(|f| has_cue(&toks, f.from, f.to, &spans))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<Vec<String>> {
        [
            "unit_metric",
            "retry_behavior",
            "retry behaviour",
            "behaviour",
            "owner",
            "notes",
            "approval_status",
            "provider",
            "error_path_result",
            "evidence_urls_checked",
            "evidence",
            "evidence links",
            "owner_mapping",
            "allocation_rule",
            "allocation",
            "does_not_prove",
        ]
        .iter()
        .map(|n| name_words(n))
        .collect()
    }

    #[test]
    fn a_named_field_counts() {
        for note in [
            "missing unit_metric and retry_behavior",
            "owner field is empty",
            "returned: no retry behavior given",
            "please add the unit metric",
            "returned: unit_metric missing",
            "returned: the unit metric is unclear",
            "Returned until the Unit-Metric is chosen",
            "error-path result not recorded",
            "the Error Path Result is missing",
            "retry behaviour on the error path is unbounded",
            "returned: behaviour under errors not recorded",
            "returned: evidence links are stale",
            "the evidence is older than thirty days",
            "returned: owner mapping and allocation rule missing",
            "what the test does not prove is not written down (does-not-prove)",
            "needs more work: `owner`",
            "see \"notes\"",
            "owner: missing",
            "missing: owner",
            "the owner isn't set",
            "the unit metric needs to be more specific",
            "Returned: the error-path result is recorded but the retry behaviour is not, and the evidence links are stale.",
            "needs more work on the unit metric",
            "allocation unclear, see notes",
            "fill in the owner",
            "no owner",
        ] {
            assert!(names_a_field(note, &names()), "{note:?}");
        }
    }

    #[test]
    fn a_bystander_name_does_not_count() {
        for note in [
            "needs more work",
            "needs more work, ask the owner",
            "needs more work; see notes",
            "needs more work, per the approval status",
            "needs more work before the provider signs off",
            "needs more work from the owner",
            "needs more work with the provider",
            "the provider has not signed off",
            "the owner needs to sign off",
            "the owner said more work is needed",
            "returned, see the thread",
            "needs more work - ask the owner",
            "needs more work (the owner knows)",
            "ownership is unclear", // not a field name here: `ownership` is no alias in this list
            "the unit metrics dashboard",
            "needs more work in the owner's absence",
            "needs more work as the provider changed",
        ] {
            assert!(!names_a_field(note, &names()), "{note:?}");
        }
    }

    #[test]
    fn a_cue_reaches_every_name_of_a_list() {
        let n = names();
        assert_eq!(
            named("missing unit metric and retry behaviour", &n),
            ["behaviour", "retrybehaviour", "unitmetric"]
        );
        assert_eq!(
            named("owner mapping and allocation rule missing", &n),
            ["allocation", "allocationrule", "owner", "ownermapping"]
        );
        assert_eq!(named("missing: owner, notes", &n), ["notes", "owner"]);
        assert!(named("needs more work, ask the owner and the provider", &n).is_empty());
    }

    #[test]
    fn tokens_keep_apostrophes_and_spacing() {
        let t = tokenize("isn't owner’s `a_b`");
        let words: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["isn't", "owner's", "`", "a", "_", "b", "`"]);
        assert!(t[4].mark() == Some('_') && !t[4].spaced);
        assert!(t[1].spaced && !t[3].spaced);
    }
}
