//! `secret`: real-looking API keys, bearer tokens and copied `Authorization:` / `x-api-key`
//! headers anywhere in the file — fields, prose, comments. Only placeholders belong in a
//! packet. The secret itself is never repeated: [`mask`] keeps a short prefix, and the engine
//! masks every output string with [`Masker`] whether or not the rule is enabled.
//!
//! Key formats are policy data ([`Pattern`]: a regex, and for a generic credential parameter
//! how random its value must read). A key is found however the file spells it, in a value, a
//! mapping key, a comment or the prose: as the YAML parser decodes values and keys (escapes,
//! folding, `!!binary`), wrapped over the lines of a value, a paragraph or comments, glued
//! from quoted pieces (`"sk-…" + "…"`), or with invisible characters inside (`text`); in
//! the Markdown prose as it displays ([`prose`]: entities, escapes or markup between its
//! pieces, `sk&#45;proj-…`, `sk-**proj**-…`); and through the encodings a key is carried in
//! out of place, wherever they stand (`unescape`: percent-encoding, entities, backslash
//! escapes, base64 after `!!binary`, escaped blanks inside a key). Each is found at the place
//! the file writes it, and every spelling the file shows is masked too. A file the loader
//! refused is scanned the same way, as far as its YAML could be read (`collect`). The scan is linear in the size of the
//! file: a packet full of keys costs one pass, not one per key.

mod collect;
mod mask;
mod pattern;
mod place;
mod prose;
mod text;
mod unescape;

pub(crate) use collect::{common_rules, files_masker, of_policy, rejected};
pub(crate) use mask::{mask, Masker};
pub(crate) use pattern::Pattern;

use super::{decode_paths, decode_regex, path_in, Ctx, Kind, KindSpec, Phase, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use crate::yaml::{Node, Pos};
use place::{source_pieces, spelling, Covered, Fields};
use regex::{Regex, RegexSet};
use std::collections::HashSet;
use text::{align, Cursor, Spliced, Visible};
use unescape::Unescaped;

pub(crate) const KEYS: &[&str] = &["patterns", "allow", "fields", "token_like"];

pub(crate) static SECRET: KindSpec = KindSpec {
    id: "secret",
    keys: KEYS,
    decode: |e, p| Some(std::sync::Arc::new(Secret::decode(e, p)?)),
};

#[derive(Debug, Clone)]
pub(crate) struct Secret {
    /// Key formats; when a regex has a capture group, group 1 is the secret.
    pub patterns: Vec<Pattern>,
    /// The same patterns as one set: one pass over the packet says which can match at all.
    set: RegexSet,
    pub allow: Vec<Regex>,
    /// Limit the scan to these fields (default: the whole file, every line).
    pub fields: Vec<FieldPath>,
    /// Also flag random-looking tokens (a 20+ character alphanumeric run with many digits).
    pub token_like: bool,
}

/// A secret found in the text, by line and char column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub name: String,
    pub line: u32,
    pub col: u32,
    pub secret: String,
    /// Not a finding of its own: how the file spells a secret found here (escaped, or one
    /// line's piece of a split key), kept so that spelling is masked wherever it is printed.
    pub mask_only: bool,
}

impl Hit {
    fn end(&self) -> u32 {
        self.col + self.secret.chars().count() as u32
    }
}

/// A match in a scanned text, by byte range, before it gets a line and column.
#[derive(Debug)]
struct Found {
    name: String,
    start: usize,
    end: usize,
}

/// Pieces of a key shorter than this are not masked on their own (a two-letter tail would
/// garble every report it appears in, and reveals nothing).
const MIN_PIECE: usize = 6;

fn token_like(word: &str) -> bool {
    word.len() >= 20
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && word.chars().filter(|c| c.is_ascii_digit()).count() * 8 >= word.len()
}

/// A key split over lines has letters and digits, or mixed case inside a word, or is in
/// capitals throughout (an AWS key id); two words run together (`tokens` + `configured`)
/// are none of these.
fn looks_random(secret: &str) -> bool {
    secret.chars().any(|c| c.is_ascii_alphabetic())
        && (random_piece(secret)
            || secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// Does a piece of text read as part of a random key rather than a word: a digit, or mixed
/// case inside a word (`XW2b…`, `qwErty`, `BJMIIzrh`; not `continues` or `Continues`)?
fn random_piece(piece: &str) -> bool {
    piece.bytes().any(|b| b.is_ascii_digit()) || text::mixed_case(piece)
}

/// The start of the last character of `text[..end]`.
fn last_char(text: &str, end: usize) -> usize {
    text[..end].char_indices().next_back().map_or(0, |(i, _)| i)
}

/// Other spellings of a found secret that outputs may re-derive, each masked as well:
/// - as it reads, look-alike and invisible characters read through (`ＡＫＩＡ…` is `AKIA…`,
///   the spelling a URL parser gives a host);
/// - its ASCII characters alone (what punycode keeps of a host: `xn--k-proj…`);
/// - its long pieces between `.` `/` `~` `=` `+` (a value caught with a path or a domain
///   after it is printed elsewhere without them).
fn derived_spellings(secret: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let read = Visible::new(secret).text().to_string();
    let ascii: String = secret.chars().filter(char::is_ascii).collect();
    if !secret.is_ascii() && ascii.chars().count() >= 8 {
        out.push(ascii.clone());
    }
    for spelling in [secret, read.as_str(), ascii.as_str()] {
        let pieces: Vec<&str> = spelling.split(['.', '/', '~', '=', '+']).collect();
        if pieces.len() > 1 {
            out.extend(
                pieces
                    .into_iter()
                    .filter(|p| {
                        let n = p.chars().count();
                        n >= 12 || n >= 8 && p.chars().any(|c| c.is_numeric())
                    })
                    .map(str::to_string),
            );
        }
    }
    if read != secret {
        out.push(read);
    }
    out.retain(|s| s != secret);
    out.sort();
    out.dedup();
    out
}

impl Secret {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = match e.take("fields") {
            Some(f) => decode_paths(f, p),
            None => Some(Vec::new()),
        };
        let token_like = e.boolean("token_like", p).unwrap_or(false);
        // Placeholders are judged against the whole value a pattern caught: each `allow`
        // regex is anchored at both ends, so `<key>-redacted` is not allowed by `redacted`.
        let mut allow = Vec::new();
        if let Some(a) = e.take("allow") {
            for (text, pos) in a.texts(p).unwrap_or_default() {
                allow.extend(decode_regex(a, text, pos, true, p));
            }
        }
        let mut patterns = Vec::new();
        if let Some(entry) = e.take("patterns") {
            let Some(items) = entry.value.as_seq() else {
                entry.problem(p, "`patterns` must be a list of `{name, pattern}`");
                return None;
            };
            let mut ok = true;
            for item in items {
                let sub = crate::config::decode::Entry {
                    key: entry.key,
                    value: item,
                    file: entry.file,
                };
                match Pattern::decode(sub, p) {
                    Some(pattern) => patterns.push(pattern),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
        }
        if patterns.is_empty() && !token_like {
            p.push(
                e.file,
                e.pos,
                "a `secret` rule needs `patterns:` or `token_like: true`",
            );
            return None;
        }
        let joined: Vec<&str> = patterns.iter().map(|pat| pat.regex.as_str()).collect();
        let set = match super::compiled(&joined.join("\u{0}"), || RegexSet::new(&joined)) {
            Ok(set) => set,
            Err(err) => {
                p.push(
                    e.file,
                    e.pos,
                    format!("secret patterns do not combine: {err}"),
                );
                return None;
            }
        };
        Some(Secret {
            patterns,
            set,
            allow,
            fields: fields?,
            token_like,
        })
    }

    fn allowed(&self, secret: &str) -> bool {
        self.allow.iter().any(|a| a.is_match(secret))
    }

    /// The patterns that match somewhere in `text` (read without invisible characters).
    fn which(&self, text: &str) -> Vec<usize> {
        self.set
            .matches(Visible::new(text).text())
            .into_iter()
            .collect()
    }

    /// Every secret in `text` for the listed patterns (and random-looking tokens when the
    /// rule asks for them), by byte range in `text`. Invisible characters are read through.
    fn find(&self, which: &[usize], text: &str) -> Vec<Found> {
        let visible = Visible::new(text);
        let clean = visible.text();
        let mut found = Vec::new();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for pattern in which.iter().filter_map(|&i| self.patterns.get(i)) {
            for caps in pattern.regex.captures_iter(clean) {
                let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                    continue;
                };
                if m.as_str().is_empty() || self.allowed(m.as_str()) || !pattern.accepts(m.as_str())
                {
                    continue;
                }
                taken.push((m.start(), m.end()));
                found.push(Found {
                    name: pattern.name.clone(),
                    start: visible.start(m.start()),
                    end: visible.end(m.end()),
                });
            }
        }
        if self.token_like {
            taken.sort_unstable();
            let (mut next, mut reach) = (0, 0);
            // `_` stays inside a word so `req_01HX…` is judged whole (and can be allowed).
            let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
            let mut word_start = None;
            for (i, c) in clean.char_indices().chain([(clean.len(), ' ')]) {
                if is_word(c) {
                    word_start.get_or_insert(i);
                    continue;
                }
                let Some(start) = word_start.take() else {
                    continue;
                };
                let word = &clean[start..i];
                while next < taken.len() && taken[next].0 <= start {
                    reach = reach.max(taken[next].1);
                    next += 1;
                }
                // A word inside a pattern's match is that match's business.
                if token_like(word) && !self.allowed(word) && reach < i {
                    found.push(Found {
                        name: "random-looking token".into(),
                        start: visible.start(start),
                        end: visible.end(i),
                    });
                }
            }
        }
        found.sort_by_key(|f| f.start);
        found
    }

    /// Secrets in one line of text, trying only the patterns listed.
    fn scan_line_with(&self, which: &[usize], line_no: u32, line: &str, out: &mut Vec<Hit>) {
        let mut cols = Cursor::new(line, Pos::new(line_no, 1));
        for f in self.find(which, line) {
            out.push(Hit {
                col: cols.at(f.start).col,
                name: f.name,
                line: line_no,
                secret: line[f.start..f.end].to_string(),
                mask_only: false,
            });
        }
    }

    /// Every secret the rule sees in the packet: the scanned fields' lines, or every line.
    /// Mask-only hits (other spellings) come along; a hit inside a longer one on the same
    /// line is no finding of its own but stays as mask-only: it can be a spelling the longer
    /// one does not contain (`\u0000…` in the file, NUL characters in the value).
    pub(crate) fn scan(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let mut hits = self.scan_raw(ctx);
        hits.sort_by_cached_key(|h| (h.line, h.col, std::cmp::Reverse(h.secret.chars().count())));
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        let mut spellings = HashSet::new();
        // The furthest end of the hits kept so far on the current line.
        let mut reach: Option<(u32, u32)> = None;
        for h in hits {
            if h.mask_only {
                if spellings.insert((h.line, h.col, h.secret.clone())) {
                    kept.push(h);
                }
                continue;
            }
            let end = h.end();
            match reach {
                Some((line, far)) if line == h.line && end <= far => {
                    if spellings.insert((h.line, h.col, h.secret.clone())) {
                        kept.push(Hit {
                            mask_only: true,
                            ..h
                        });
                    }
                    continue;
                }
                Some((line, far)) if line == h.line => reach = Some((line, far.max(end))),
                _ => reach = Some((h.line, end)),
            }
            kept.push(h);
        }
        let derived: Vec<Hit> = kept
            .iter()
            .flat_map(|h| {
                derived_spellings(&h.secret).into_iter().map(|secret| Hit {
                    secret,
                    mask_only: true,
                    ..h.clone()
                })
            })
            .collect();
        kept.extend(derived);
        kept
    }

    fn scan_raw(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let mut hits = Vec::new();
        if !self.fields.is_empty() {
            for (path, node) in &ctx.scalars {
                if path_in(path, &self.fields) {
                    if let Some(value) = node.as_str() {
                        let which = self.which(value);
                        self.value_hits(ctx, node, value, &which, false, &mut hits);
                    }
                }
            }
            return hits;
        }
        let text = ctx.packet.text.as_str();
        let spliced = Spliced::new(ctx);
        let mut which = self.which(text);
        if !ctx.decoded.is_empty() {
            which.extend(self.which(&ctx.decoded));
        }
        let spliced_which = if spliced.is_empty() {
            Vec::new()
        } else {
            self.which(&spliced.text)
        };
        which.extend(&spliced_which);
        // `\_` is read both ways: Markdown's `_`, YAML's no-break space inside a key.
        let readings: Vec<(Unescaped, Vec<usize>)> =
            [Unescaped::new(text), Unescaped::yaml_underscore(text)]
                .into_iter()
                .flatten()
                .map(|u| {
                    let which = self.which(&u.text);
                    (u, which)
                })
                .filter(|(_, which)| !which.is_empty())
                .collect();
        for (_, w) in &readings {
            which.extend(w);
        }
        which.sort_unstable();
        which.dedup();
        if which.is_empty() && !self.token_like {
            self.prose_hits(ctx, &mut hits);
            return hits;
        }
        for (i, line) in text.lines().enumerate() {
            self.scan_line_with(&which, i as u32 + 1, line, &mut hits);
        }
        // Values and keys written with escapes or folded across lines: scan what they
        // decode to.
        if !ctx.decoded.is_empty() {
            for node in ctx.texts() {
                let Some(value) = node.as_str() else { continue };
                if !ctx.spelled_as_is(node, value) {
                    self.value_hits(ctx, node, value, &which, true, &mut hits);
                }
            }
        }
        if !spliced_which.is_empty() || (self.token_like && !spliced.is_empty()) {
            self.spliced_hits(ctx, &spliced, &spliced_which, &mut hits);
        }
        for (u, w) in &readings {
            self.unescaped_hits(ctx, u, w, &mut hits);
        }
        self.prose_hits(ctx, &mut hits);
        hits
    }

    /// Secrets the file spells another way (percent-encoded, with entities or escapes,
    /// base64 after `!!binary`; see [`Unescaped`]) wherever they stand, at the place the
    /// spelling starts; the spelling itself, line by line, comes along to be masked.
    fn unescaped_hits(&self, ctx: &Ctx<'_>, u: &Unescaped, which: &[usize], out: &mut Vec<Hit>) {
        let text = ctx.packet.text.as_str();
        let mut cursor = Cursor::new(text, Pos::new(1, 1));
        for f in self.find(which, &u.text) {
            if !u.crosses(f.start, f.end) {
                continue;
            }
            let (from, to) = (u.source_start(f.start), u.source_end(f.end));
            let pos = cursor.at(from);
            out.push(Hit {
                name: f.name.clone(),
                line: pos.line,
                col: pos.col,
                secret: u.text[f.start..f.end].to_string(),
                mask_only: false,
            });
            source_pieces(text, &f.name, from..to, pos, out);
            // Escaped blanks read through: the decoded value shows the key in pieces.
            let cuts = u.blank_cuts(f.start, f.end);
            if cuts.is_empty() {
                continue;
            }
            let mut at = f.start;
            for cut in cuts.into_iter().chain([f.end]) {
                let piece = &u.text[at..cut];
                if piece.chars().count() >= MIN_PIECE {
                    let pos = cursor.at(u.source_start(at));
                    out.push(Hit {
                        name: f.name.clone(),
                        line: pos.line,
                        col: pos.col,
                        secret: piece.to_string(),
                        mask_only: true,
                    });
                }
                at = cut;
            }
        }
    }

    /// Secrets in one value, placed where the file has them. With `decoded_only`, a secret
    /// the file spells as is (the line scan has it) is left out. A secret the file spells
    /// otherwise (escapes) also gets that spelling masked.
    fn value_hits(
        &self,
        ctx: &Ctx<'_>,
        node: &Node,
        value: &str,
        which: &[usize],
        decoded_only: bool,
        out: &mut Vec<Hit>,
    ) {
        let found = self.find(which, value);
        if found.is_empty() {
            return;
        }
        let mut offsets: Vec<usize> = found
            .iter()
            .flat_map(|f| [f.start, last_char(value, f.end)])
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let places = align(ctx, node, value, &offsets);
        let place = |o: usize| places[offsets.partition_point(|x| *x < o)];
        for f in found {
            let secret = &value[f.start..f.end];
            let Some(start) = place(f.start) else {
                // Not spelled out in the file at all (a `!!binary` value): at the value.
                out.push(Hit {
                    name: f.name,
                    line: node.pos.line,
                    col: node.pos.col,
                    secret: secret.to_string(),
                    mask_only: false,
                });
                continue;
            };
            let as_is = ctx.line(start.line)[start.byte..].starts_with(secret);
            if decoded_only && as_is {
                continue;
            }
            if !as_is {
                if let Some(last) = place(last_char(value, f.end)) {
                    out.extend(spelling(ctx, &f.name, start, last));
                }
            }
            out.push(Hit {
                name: f.name,
                line: start.line,
                col: start.col,
                secret: secret.to_string(),
                mask_only: false,
            });
        }
    }

    /// Secrets that only appear when the packet is read across the places where a key can
    /// be split (see [`Spliced`]); each line's piece is masked too.
    fn spliced_hits(&self, ctx: &Ctx<'_>, spliced: &Spliced, which: &[usize], out: &mut Vec<Hit>) {
        let found: Vec<Found> = self
            .find(which, &spliced.text)
            .into_iter()
            .filter(|f| {
                spliced.crosses(f.start, f.end) && looks_random(&spliced.text[f.start..f.end])
            })
            .collect();
        if found.is_empty() {
            return;
        }
        let earlier = Covered::new(out);
        let text = ctx.packet.text.as_str();
        // Every place to turn into a line and column, in one pass over the text.
        let pieces: Vec<Vec<(usize, usize)>> = found
            .iter()
            .map(|f| spliced.pieces(f.start, f.end))
            .collect();
        let mut offsets: Vec<usize> = found
            .iter()
            .map(|f| spliced.original(f.start))
            .chain(pieces.iter().flatten().map(|(start, _)| *start))
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let mut cursor = Cursor::new(text, Pos::new(1, 1));
        let places: Vec<Pos> = offsets.iter().map(|&o| cursor.at(o)).collect();
        let place = |o: usize| places[offsets.partition_point(|x| *x < o)];
        for (f, pieces) in found.iter().zip(pieces) {
            let pos = place(spliced.original(f.start));
            // A key found on its line already (maybe only its first piece, or a parameter
            // holding it): no second finding, but the pieces that go on past the break are
            // masked when they read as part of a key, not as the next line's words.
            let found_already = earlier.holds_start(pos.line, pos.col);
            out.push(Hit {
                name: f.name.clone(),
                line: pos.line,
                col: pos.col,
                secret: spliced.text[f.start..f.end].to_string(),
                mask_only: found_already,
            });
            for (i, (start, end)) in pieces.into_iter().enumerate() {
                let piece = &text[start..end];
                if piece.chars().count() >= MIN_PIECE
                    && (!found_already || i == 0 || random_piece(piece))
                {
                    let pos = place(start);
                    out.push(Hit {
                        name: f.name.clone(),
                        line: pos.line,
                        col: pos.col,
                        secret: piece.to_string(),
                        mask_only: true,
                    });
                }
            }
        }
    }

    /// Reports hits not already covered by `seen` (hits of earlier secret rules), and adds
    /// them to it.
    pub(crate) fn check_seen(
        &self,
        rule: &Rule,
        ctx: &Ctx<'_>,
        seen: &mut Vec<Hit>,
        out: &mut Vec<Finding>,
    ) {
        let hits = self.scan(ctx);
        if hits.is_empty() {
            return;
        }
        let earlier = Covered::new(seen);
        let fields = Fields::new(ctx, &hits);
        for hit in hits {
            if hit.mask_only || earlier.covers(&hit) {
                if hit.mask_only {
                    seen.push(hit);
                }
                continue;
            }
            let field = fields.of(&hit);
            let masked = mask(&hit.secret);
            out.push(ctx.emit(
                rule,
                field,
                Pos::new(hit.line, hit.col),
                format!("{} in the packet: `{masked}`", hit.name),
                "remove it, reference the secret store or a placeholder such as `<API_KEY_PLACEHOLDER>` instead, and rotate the key".into(),
                Vars { field: field.unwrap_or(""), value: &masked, expected: "" },
            ));
            seen.push(hit);
        }
    }
}

/// What a packet's secret rules found so far: the enabled rules' hits, shared so that one
/// leaked key is one finding whichever rules match it, and the secrets the switched-off rules
/// saw, which are masked all the same.
#[derive(Debug, Default)]
pub struct Seen {
    hits: Vec<Hit>,
    off: Vec<String>,
}

impl Seen {
    /// Every secret seen, for the packet's masker.
    pub fn into_secrets(self) -> Vec<String> {
        let mut out = self.off;
        out.extend(self.hits.into_iter().map(|h| h.secret));
        out
    }
}

impl Kind for Secret {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        let mut seen = std::mem::take(&mut ctx.secrets.borrow_mut().hits);
        self.check_seen(rule, ctx, &mut seen, out);
        ctx.secrets.borrow_mut().hits = seen;
    }

    /// Secrets are masked whatever the time: a secret rule runs past the run's deadline.
    fn phase(&self) -> Phase {
        Phase::Always
    }

    /// A switched-off rule still scans: masking never depends on a rule.
    fn switched_off(&self, ctx: &Ctx<'_>) {
        let found = self.scan(ctx);
        ctx.secrets
            .borrow_mut()
            .off
            .extend(found.into_iter().map(|h| h.secret));
    }

    /// A credential found is rotated, never accepted.
    fn waivable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_heuristic() {
        assert!(token_like("a8f9d7c6b5a4e3f2d1c0b9a8"));
        assert!(!token_like("finops-cometapi-test-key"));
        assert!(!token_like("cost_per_resolved_ticket"));
    }
}
