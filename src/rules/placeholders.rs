//! Template placeholders as data: which texts a packet author "filled in" with nothing a
//! reader would call a value. A policy's `placeholders:` section lists them; every layer of
//! an `extends` chain adds to the lists, and a later layer's switches win.
//!
//! Why data and not code: the seed templates, a team's own templates and the ways people
//! write "not yet" all differ, and a repository must be able to add its own without a
//! release. The code only knows the shapes (a whole value, a marker with a note after it, a
//! regex, brackets around any of them); the words come from the policy.
//!
//! This file judges one text. Walking lists and mappings (a list of nulls, a placeholder
//! used as a key, a bare `true` where text belongs) is `filled` (beside this file), which asks here.
//!
//! Two kinds of exception keep real values real: per-field `allow` entries (`NONE` is the
//! valid `exception_reason` of a cost trace, `<API_KEY_PLACEHOLDER>` the point of
//! `credential_ref`), and what the policy's own rules say about a field, learnt once the
//! rules are decoded: a value an `enum` rule accepts is never a template value (`pending`
//! is an `approval_status`), and a field a `type` rule declares boolean or number keeps its
//! bare `true` or `42` and has its words judged by that rule instead.

use super::regexes::{compiled, decode_regex};
use crate::config::decode::{Entry, Problems};
use crate::fieldpath::{Concrete, FieldPath};
use regex::Regex;
use std::borrow::Cow;

pub(crate) const PLACEHOLDER_KEYS: &[&str] = &[
    "values",
    "markers",
    "words",
    "patterns",
    "wrappers",
    "angle_brackets",
    "nested",
    "bare_scalars",
    "allow",
    "except_fields",
];
const ALLOW_KEYS: &[&str] = &["values", "patterns"];

/// How deep brackets may be nested around a template value (`[(<OWNER>)]` is three).
const MAX_WRAPS: usize = 8;

/// Values that are real in one field (and its subtree) although they look like templates.
#[derive(Debug, Clone)]
struct Allowance {
    field: FieldPath,
    values: Vec<String>,
    patterns: Vec<Regex>,
}

impl Allowance {
    fn allows(&self, text: &str) -> bool {
        self.values.iter().any(|v| v.eq_ignore_ascii_case(text))
            || self.patterns.iter().any(|p| p.is_match(text))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    /// Whole values, compared case-insensitively (`N/A`, `unknown`, `-`), and the length
    /// of the longest in bytes (a longer text is none of them).
    values: Vec<String>,
    longest_value: usize,
    /// Values that stay templates with a note after them (`TBD - ask finance`).
    markers: Vec<String>,
    /// Words that make a one-word name a template wherever they stand in it
    /// (`team_placeholder`, `PLACEHOLDER-TEAM`): compared in any case, between `_` `-` or
    /// spaces. A test on a few bytes, so no regex runs for every value.
    words: Vec<String>,
    /// Regexes anchored at both ends (each, for the JSON Schema), and their sources.
    patterns: Vec<Regex>,
    sources: Vec<String>,
    /// All patterns in one regex, anchored at both ends and at the start only (for notes):
    /// two searches per value instead of two per pattern. Built by [`Self::learn`].
    any_whole: Option<Regex>,
    any_prefix: Option<Regex>,
    /// The literals every pattern match starts with, when finite: a cheap test that spares
    /// the regex search for almost every real value.
    first_literals: Option<Vec<Vec<u8>>>,
    /// Bracket pairs a template value may be wrapped in: `[<OWNER>]`, `(TBD)`, `<<OWNER>>`.
    wrappers: Vec<(char, char)>,
    /// Other spellings of `<` and `>`: full-width `＜＞`, guillemets `«»`.
    angles: Vec<(char, char)>,
    /// A list or mapping is missing when everything in it is.
    pub nested: bool,
    /// A bare boolean or number is no value for a text field.
    pub bare_scalars: bool,
    allow: Vec<Allowance>,
    /// Fields with no template check at all (the older, coarser form of `allow`).
    except_fields: Vec<String>,
    /// Learnt from the rules: what each `enum` accepts, which fields are boolean or number.
    enums: Vec<(FieldPath, Vec<String>)>,
    typed: Vec<FieldPath>,
}

impl Placeholders {
    /// Adds one layer's `placeholders:` section.
    pub fn decode_layer(&mut self, section: Entry<'_>, problems: &mut Problems) {
        let Some(mut map) = section.map("`placeholders`", problems) else {
            return;
        };
        if let Some(v) = map.take("values").and_then(|v| v.texts(problems)) {
            self.values
                .extend(v.into_iter().map(|(t, _)| t.trim().to_string()));
            self.longest_value = self.values.iter().map(String::len).max().unwrap_or(0);
        }
        if let Some(v) = map.take("markers").and_then(|v| v.texts(problems)) {
            self.markers
                .extend(v.into_iter().map(|(t, _)| t.trim().to_string()));
        }
        if let Some(v) = map.take("words").and_then(|v| v.texts(problems)) {
            self.words
                .extend(v.into_iter().map(|(t, _)| t.trim().to_ascii_lowercase()));
        }
        if let Some(pat) = map.take("patterns") {
            for (text, pos) in pat.texts(problems).unwrap_or_default() {
                if let Some(whole) = decode_regex(pat, text, pos, true, problems) {
                    self.patterns.push(whole);
                    self.sources.push(text.to_string());
                }
            }
        }
        if let Some(w) = map.take("wrappers") {
            self.wrappers.extend(pairs(w, problems));
        }
        if let Some(a) = map.take("angle_brackets") {
            self.angles.extend(pairs(a, problems));
        }
        if let Some(b) = map.boolean("nested", problems) {
            self.nested = b;
        }
        if let Some(b) = map.boolean("bare_scalars", problems) {
            self.bare_scalars = b;
        }
        if let Some(a) = map.take("allow") {
            self.decode_allow(a, problems);
        }
        if let Some(x) = map.take("except_fields").and_then(|v| v.texts(problems)) {
            self.except_fields
                .extend(x.into_iter().map(|(t, _)| t.to_string()));
        }
        map.finish(PLACEHOLDER_KEYS, "`placeholders`", problems);
    }

    /// `allow: {FIELD: {values: […], patterns: […]}}`.
    fn decode_allow(&mut self, entry: Entry<'_>, problems: &mut Problems) {
        let Some(fields) = entry.map("`placeholders.allow`", problems) else {
            return;
        };
        for e in fields.items {
            let Ok(field) = FieldPath::parse(e.name()) else {
                e.problem(problems, format!("`{}` is not a field path", e.name()));
                continue;
            };
            let Some(mut m) = e.map("an `allow` entry", problems) else {
                continue;
            };
            let values = m
                .take("values")
                .and_then(|v| v.texts(problems))
                .unwrap_or_default()
                .into_iter()
                .map(|(t, _)| t.trim().to_string())
                .collect();
            let mut patterns = Vec::new();
            if let Some(pat) = m.take("patterns") {
                for (text, pos) in pat.texts(problems).unwrap_or_default() {
                    patterns.extend(decode_regex(pat, text, pos, true, problems));
                }
            }
            m.finish(ALLOW_KEYS, "an `allow` entry", problems);
            self.allow.push(Allowance {
                field,
                values,
                patterns,
            });
        }
    }

    /// Finishes the section once every layer is read: joins the patterns. What the policy's
    /// rules say about fields comes next, from each rule ([`super::Kind::teach`]).
    pub fn learn(&mut self) {
        if !self.sources.is_empty() {
            let any = self
                .sources
                .iter()
                .map(|s| format!("(?:{s})"))
                .collect::<Vec<_>>()
                .join("|");
            self.any_whole = joined(&format!("^(?:{any})$"));
            self.any_prefix = joined(&format!("^(?:{any})"));
            self.first_literals = first_literals(&any);
        }
    }

    /// An `enum` rule's values: never a template value in its field.
    pub fn learn_enum(&mut self, field: &FieldPath, values: &[String]) {
        self.enums.push((field.clone(), values.to_vec()));
    }

    /// Fields a `type` rule declares boolean or number: their bare `true` or `42` is a value,
    /// and their words are that rule's to judge.
    pub fn learn_typed(&mut self, fields: &[FieldPath]) {
        self.typed.extend(fields.iter().cloned());
    }

    /// Is `text`, written in `field` (a concrete path), a template value not filled in?
    /// Emptiness is not judged here.
    pub fn is_template(&self, field: &str, text: &str) -> bool {
        let original = text.trim();
        if self.exempt(field) {
            return false;
        }
        let Some(found) = self.template_in(original) else {
            return false;
        };
        let here = Concrete::new(field.to_string());
        // An allowance names the value as written; an enum value inside brackets is that
        // value misspelt, which the enum rule reports better.
        !(self.allowed(&here, original)
            || found.is_some_and(|t| self.enum_allows(&here, &t))
            || self.is_typed(&here))
    }

    /// Does the text look like a template, whatever field holds it? The exceptions of a
    /// field are for [`Self::is_template`]; this cheap test lets callers skip naming the
    /// field for the great many values that are plainly real.
    pub fn looks_like_template(&self, text: &str) -> bool {
        self.template_in(text.trim()).is_some()
    }

    /// The template inside `t`, after unwrapping brackets: `Some(Some(inner))`, or
    /// `Some(None)` for brackets around nothing (`[]`, `()`); `None` when `t` is no template.
    fn template_in(&self, t: &str) -> Option<Option<String>> {
        if t.is_empty() {
            return None;
        }
        // Look-alike letters read as the ones they are drawn like (`ТBD`, `team-рlaceholder`).
        let folded = crate::confusables::fold(t);
        let normalised = self.normalise_angles(&folded);
        let mut t: &str = &normalised;
        for _ in 0..MAX_WRAPS {
            if self.template_here(t) {
                return Some(Some(t.to_string()));
            }
            match self.unwrap(t) {
                Some("") => return Some(None),
                Some(inner) => t = inner,
                None => return None,
            }
        }
        None
    }

    /// A bare boolean or number in `field` is no value, unless a rule says it is one.
    pub fn bare_is_missing(&self, field: &str, text: &str) -> bool {
        if !self.bare_scalars || self.exempt(field) {
            return false;
        }
        let here = Concrete::new(field.to_string());
        !self.is_typed(&here) && !self.allowed(&here, text.trim())
    }

    /// Does a `type` rule declare the field boolean or number? Its words are then judged by
    /// that rule (`account_view_confirmed: "pending"` is not true or false), as an enum
    /// field's are by its enum.
    fn is_typed(&self, here: &Concrete) -> bool {
        self.typed.iter().any(|f| f.matches_concrete(here))
    }

    /// Fields where placeholder-looking values are the point (`except_fields`), by top key.
    pub fn exempt(&self, path: &str) -> bool {
        if self.except_fields.is_empty() {
            return false;
        }
        let top = path.split(['.', '[']).next().unwrap_or(path);
        self.except_fields.iter().any(|f| f == top)
    }

    /// Whether the listed values and patterns alone say what is missing in this field (no
    /// exemption, allowance or enum value that looks like a template) — what the JSON
    /// Schema can repeat exactly.
    pub fn plain(&self, path: &str) -> bool {
        !self.exempt(path)
            && !self
                .allow
                .iter()
                .any(|a| a.field.covers_concrete(&Concrete::new(path.to_string())))
            && !self
                .enums
                .iter()
                .filter(|(f, _)| f.as_str() == path || f.matches(path))
                .any(|(_, vs)| vs.iter().any(|v| self.whole(v)))
    }

    /// The listed values (compared case-insensitively) and the patterns (anchored, matched
    /// against the trimmed text), for the JSON Schema to say the same.
    pub fn listed(&self) -> (&[String], &[Regex]) {
        (&self.values, &self.patterns)
    }

    /// A per-field allowance or an enum value: the text is tested first, the path only for
    /// a candidate.
    fn allowed(&self, here: &Concrete, text: &str) -> bool {
        self.allow
            .iter()
            .any(|a| a.allows(text) && a.field.covers_concrete(here))
            || self.enum_allows(here, text)
    }

    fn enum_allows(&self, here: &Concrete, text: &str) -> bool {
        self.enums.iter().any(|(f, vs)| {
            vs.iter().any(|v| v.eq_ignore_ascii_case(text)) && f.matches_concrete(here)
        })
    }

    /// A listed value or pattern, the whole text (a trailing `.` or `!` does not count).
    fn whole(&self, t: &str) -> bool {
        self.is_value(t)
            || (self.may_start_pattern(t)
                && match &self.any_whole {
                    Some(any) => any.is_match(t),
                    None => self.patterns.iter().any(|p| p.is_match(t)),
                })
    }

    /// `t` as written, a listed value, a marker with a note, or a pattern whole or with a
    /// note. One regex search in the common case, none when no pattern can start here.
    fn template_here(&self, t: &str) -> bool {
        if self.is_value(t) || self.marker_with_note(t) || self.has_word(t) {
            return true;
        }
        if !self.may_start_pattern(t) {
            return false;
        }
        let (Some(prefix), Some(whole)) = (&self.any_prefix, &self.any_whole) else {
            return self.patterns.iter().any(|p| p.is_match(t));
        };
        // No prefix match means no whole match either; a prefix that neither ends the text
        // nor starts a note may be a shorter alternative than a whole match.
        match prefix.find(t) {
            None => false,
            Some(m) if m.end() == t.len() || is_note(&t[m.end()..]) => true,
            Some(_) => whole.is_match(t),
        }
    }

    fn is_value(&self, t: &str) -> bool {
        let bare = t.trim_end_matches(['.', '!']).trim_end();
        if bare.len() > self.longest_value {
            return false;
        }
        let listed = |s: &str| self.values.iter().any(|v| v.eq_ignore_ascii_case(s));
        listed(t) || (!bare.is_empty() && bare.len() != t.len() && listed(bare))
    }

    /// A name made of letters, digits, `_`, `-` and spaces, one of whose parts is a listed
    /// word (`team_placeholder`).
    fn has_word(&self, t: &str) -> bool {
        !self.words.is_empty()
            && t.len() <= 80
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' '))
            && t.split(['_', '-', ' '])
                .any(|part| self.words.iter().any(|w| part.eq_ignore_ascii_case(w)))
    }

    /// `TBD - ask finance`, `TODO: owner`, `TBD.`
    fn marker_with_note(&self, t: &str) -> bool {
        self.markers.iter().any(|m| {
            t.get(..m.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(m))
                && is_note(&t[m.len()..])
        })
    }

    /// Could a pattern match here? Every match starts with one of the patterns' literal
    /// prefixes (`<`, `{{`) when they have a finite set of them.
    fn may_start_pattern(&self, t: &str) -> bool {
        match &self.first_literals {
            Some(lits) => lits.iter().any(|l| t.as_bytes().starts_with(l)),
            None => !self.patterns.is_empty(),
        }
    }

    /// The text inside one pair of wrapping brackets, trimmed.
    fn unwrap<'t>(&self, t: &'t str) -> Option<&'t str> {
        self.wrappers.iter().find_map(|&(open, close)| {
            let inner = t.strip_prefix(open)?.strip_suffix(close)?;
            Some(inner.trim())
        })
    }

    /// The text with other spellings of angle brackets read as `<` and `>`; borrowed
    /// unchanged in the common case (this runs for every value every rule looks at).
    fn normalise_angles<'t>(&self, t: &'t str) -> Cow<'t, str> {
        let angle = |c: char| self.angles.iter().find(|(o, cl)| c == *o || c == *cl);
        if t.is_ascii() || !t.chars().any(|c| !c.is_ascii() && angle(c).is_some()) {
            return Cow::Borrowed(t);
        }
        Cow::Owned(
            t.chars()
                .map(|c| match angle(c) {
                    Some((o, _)) if c == *o => '<',
                    Some(_) => '>',
                    None => c,
                })
                .collect(),
        )
    }
}

/// What may follow a marker or a pattern and leave it a template: nothing but closing
/// punctuation (`TBD.`), or a note set off by a space or `:` `;` `,` `(` `[`
/// (`TODO: owner`, `<OWNER> (fill in)`). A letter, digit, `-` or `_` straight after makes
/// another word (`todo-app`, `TBD_2`).
fn is_note(rest: &str) -> bool {
    let Some(first) = rest.chars().next() else {
        return false;
    };
    first.is_whitespace()
        || matches!(first, ':' | ';' | ',' | '(' | '[')
        || rest.chars().all(|c| matches!(c, '.' | '!' | '?' | '…'))
}

/// The patterns joined into one regex. Each compiled on its own when it was read, so only
/// the size limit can refuse the union; then whole values are tried pattern by pattern and
/// a note after a pattern goes unseen.
fn joined(source: &str) -> Option<Regex> {
    compiled(source, || {
        regex::RegexBuilder::new(source).size_limit(1 << 21).build()
    })
    .ok()
}

/// The literal prefixes of every match of `source`, if they are a finite set of non-empty
/// byte strings (a pattern that can start with anything has none).
fn first_literals(source: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(source).ok()?;
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let seq = extractor.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// Bracket pairs written as two characters each: `['[]', '()', '«»']`.
fn pairs(entry: Entry<'_>, problems: &mut Problems) -> Vec<(char, char)> {
    let mut out = Vec::new();
    for (text, pos) in entry.texts(problems).unwrap_or_default() {
        let mut chars = text.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(open), Some(close), None) => out.push((open, close)),
            _ => problems.push(
                entry.file,
                pos,
                format!(
                    "`{text}` in `{}` must be two characters, the opening and the closing one (e.g. `[]`)",
                    entry.name()
                ),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::decode::{Entries, Sources};
    use crate::yaml::{self, Limits};

    fn placeholders(section: &str) -> Placeholders {
        let doc = yaml::parse(section, Limits::default()).expect("yaml");
        let root = doc.root.expect("root");
        let mut sources = Sources::default();
        let file = sources.add("t.yml");
        let mut problems = Problems::default();
        let mut top = Entries::of(&root, file, "test", &mut problems).expect("map");
        let mut p = Placeholders::default();
        p.decode_layer(top.take("placeholders").expect("section"), &mut problems);
        assert!(problems.is_empty(), "{}", problems.render(&sources));
        p.learn();
        p
    }

    const SECTION: &str = "placeholders:\n  values: [TBD, N/A, none, '-', '?', pending]\n  markers: [TBD, TODO]\n  patterns: ['<[^<>]*>', '\\{\\{[^{}]*\\}\\}']\n  wrappers: ['<>', '[]', '()']\n  angle_brackets: ['＜＞', '«»']\n  allow:\n    credential_ref: {patterns: ['<[^<>]*>']}\n    exception_reason: {values: [NONE]}\n";

    #[test]
    fn whole_values_markers_patterns_and_wrappers() {
        let p = placeholders(SECTION);
        for t in [
            "TBD",
            "tbd",
            "TBD.",
            "n/a",
            " - ",
            "?",
            "None.",
            "TBD - ask finance",
            "TODO: owner",
            "todo (ask finance)",
            "<WORKLOAD_NAME>",
            "<WORKLOAD_NAME> (fill in)",
            "<<WORKLOAD_NAME>>",
            "＜WORKLOAD_NAME＞",
            "«WORKLOAD_NAME»",
            "[<WORKLOAD_NAME>]",
            "(<OWNER>)",
            "[(TBD)]",
            "{{ owner }}",
            "()",
        ] {
            assert!(p.is_template("owner", t), "{t}");
        }
        for t in [
            "support-platform",
            "todo-app",
            "TBD_2",
            "nonetheless",
            "none: invalid request shape is not retried",
            "pending approval of the Q4 plan",
            "a <b> tag",
            "(see ticket) team",
        ] {
            assert!(!p.is_template("owner", t), "{t}");
        }
    }

    #[test]
    fn patterns_are_prefiltered_by_their_first_literals() {
        assert_eq!(
            first_literals(r"(?:<[^<>]*>)|(?:\{\{[^{}]*\}\})"),
            Some(vec![b"<".to_vec(), b"{{".to_vec()])
        );
        assert_eq!(first_literals(r"(?:.*PLACEHOLDER)"), None);
        let p =
            placeholders("placeholders:\n  patterns: ['(?i)[a-z_]*_PLACEHOLDER', 'x?<[^<>]*>']\n");
        assert!(p.is_template("f", "TEAM_PLACEHOLDER"));
        assert!(p.is_template("f", "x<A>"));
        assert!(p.is_template("f", "<A> (fill in)"));
        assert!(!p.is_template("f", "team"));
    }

    #[test]
    fn allowances_are_per_field() {
        let p = placeholders(SECTION);
        assert!(!p.is_template("credential_ref", "<API_KEY_PLACEHOLDER>"));
        assert!(p.is_template("credential_ref", "[<API_KEY_PLACEHOLDER>]"));
        assert!(p.is_template("credential_ref", "TBD"));
        assert!(!p.is_template("exception_reason", "NONE"));
        assert!(p.is_template("next_owner", "NONE"));
        assert!(!p.plain("exception_reason"));
        assert!(p.plain("owner"));
    }

    #[test]
    fn bad_pairs_are_config_problems() {
        let doc = yaml::parse(
            "placeholders:\n  wrappers: ['[', '(()']\n",
            Limits::default(),
        )
        .expect("yaml");
        let root = doc.root.expect("root");
        let mut sources = Sources::default();
        let file = sources.add("t.yml");
        let mut problems = Problems::default();
        let mut top = Entries::of(&root, file, "test", &mut problems).expect("map");
        Placeholders::default().decode_layer(top.take("placeholders").expect("s"), &mut problems);
        assert_eq!(problems.list.len(), 2);
    }
}
