//! `secret`: real-looking API keys, bearer tokens and copied `Authorization:` / `x-api-key`
//! headers anywhere in the file — fields, prose, comments. Only placeholders belong in a
//! packet. The secret itself is never repeated: [`mask`] keeps a short prefix, and the engine
//! masks every output string with [`Masker`] whether or not the rule is enabled.

use super::{decode_paths, decode_regex, path_in, Ctx, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use crate::yaml::Pos;
use regex::{Regex, RegexSet};

pub const KEYS: &[&str] = &["patterns", "allow", "fields", "token_like"];

#[derive(Debug, Clone)]
pub struct Secret {
    /// (name, regex): when the regex has a capture group, group 1 is the secret.
    pub patterns: Vec<(String, Regex)>,
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
pub struct Hit {
    pub name: String,
    pub line: u32,
    pub col: u32,
    pub secret: String,
}

impl Hit {
    /// Does this hit's text span contain the other's (same line)?
    fn covers(&self, other: &Hit) -> bool {
        let len = |h: &Hit| h.secret.chars().count() as u32;
        self.line == other.line
            && self.col <= other.col
            && other.col + len(other) <= self.col + len(self)
    }
}

/// The masked form: a short prefix, then `****`. Short secrets show less.
pub fn mask(secret: &str) -> String {
    let keep = (secret.chars().count() / 4).min(4);
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}****")
}

/// The byte offset of a 1-based character column in a text.
fn byte_at(text: &str, col: u32) -> usize {
    text.char_indices()
        .nth(col.saturating_sub(1) as usize)
        .map_or(text.len(), |(i, _)| i)
}

fn token_like(word: &str) -> bool {
    word.len() >= 20
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && word.chars().filter(|c| c.is_ascii_digit()).count() * 8 >= word.len()
}

impl Secret {
    pub fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = match e.take("fields") {
            Some(f) => decode_paths(f, p),
            None => Some(Vec::new()),
        };
        let token_like = e.boolean("token_like", p).unwrap_or(false);
        let mut allow = Vec::new();
        if let Some(a) = e.take("allow") {
            for (text, pos) in a.texts(p).unwrap_or_default() {
                allow.extend(decode_regex(a, text, pos, false, p));
            }
        }
        let mut patterns = Vec::new();
        if let Some(entry) = e.take("patterns") {
            let mut ok = true;
            match entry.value.as_seq() {
                Some(items) => {
                    for item in items {
                        let sub = crate::config::decode::Entry {
                            key: entry.key,
                            value: item,
                            file: entry.file,
                        };
                        let Some(mut m) = sub.map("a secret pattern", p) else {
                            ok = false;
                            continue;
                        };
                        let name = m
                            .require("name", "a secret pattern", p)
                            .and_then(|n| n.text(p));
                        let regex = m.require("pattern", "a secret pattern", p).and_then(|r| {
                            let t = r.text(p)?;
                            decode_regex(r, t, r.value.pos, false, p)
                        });
                        m.finish(&["name", "pattern"], "a secret pattern", p);
                        match (name, regex) {
                            (Some(n), Some(r)) => patterns.push((n.to_string(), r)),
                            _ => ok = false,
                        }
                    }
                }
                None => {
                    entry.problem(p, "`patterns` must be a list of `{name, pattern}`");
                    ok = false;
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
        let joined: Vec<&str> = patterns.iter().map(|(_, r)| r.as_str()).collect();
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

    /// Secrets in one line of text (every pattern).
    pub fn scan_line(&self, line_no: u32, line: &str, out: &mut Vec<Hit>) {
        let all: Vec<usize> = (0..self.patterns.len()).collect();
        self.scan_line_with(&all, line_no, line, out);
    }

    /// Secrets in one line of text, trying only the patterns listed.
    fn scan_line_with(&self, which: &[usize], line_no: u32, line: &str, out: &mut Vec<Hit>) {
        for (name, re) in which.iter().filter_map(|&i| self.patterns.get(i)) {
            for caps in re.captures_iter(line) {
                let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                    continue;
                };
                let secret = m.as_str();
                if secret.is_empty() || self.allowed(secret) {
                    continue;
                }
                out.push(Hit {
                    name: name.clone(),
                    line: line_no,
                    col: line[..m.start()].chars().count() as u32 + 1,
                    secret: secret.to_string(),
                });
            }
        }
        if self.token_like {
            let mut offset = 0;
            // `_` stays inside a word so `req_01HX…` is judged whole (and can be allowed).
            for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                let start = offset;
                offset += word.len() + 1;
                if token_like(word)
                    && !self.allowed(word)
                    && !out
                        .iter()
                        .any(|h| h.line == line_no && h.secret.contains(word))
                {
                    out.push(Hit {
                        name: "random-looking token".into(),
                        line: line_no,
                        col: line[..start].chars().count() as u32 + 1,
                        secret: word.to_string(),
                    });
                }
            }
        }
    }

    /// Every secret the rule sees in the packet: the scanned fields' lines, or every line.
    pub fn scan(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let mut hits = self.scan_raw(ctx);
        let mut kept: Vec<Hit> = Vec::new();
        hits.sort_by_key(|h| (h.line, h.col, std::cmp::Reverse(h.secret.len())));
        for h in hits.drain(..) {
            if !kept.iter().any(|k| k.covers(&h)) {
                kept.push(h);
            }
        }
        kept
    }

    fn scan_raw(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let mut hits = Vec::new();
        if self.fields.is_empty() {
            let mut which: Vec<usize> = self.set.matches(&ctx.packet.text).into_iter().collect();
            if !ctx.decoded.is_empty() {
                which.extend(&self.set.matches(&ctx.decoded));
                which.sort_unstable();
                which.dedup();
            }
            if which.is_empty() && !self.token_like {
                return hits;
            }
            for (i, line) in ctx.packet.text.lines().enumerate() {
                self.scan_line_with(&which, i as u32 + 1, line, &mut hits);
            }
            // Values written with escapes or folded across lines: scan what they decode to.
            if !ctx.decoded.is_empty() {
                for (_, node) in &ctx.scalars {
                    let Some(text) = node.as_str() else { continue };
                    if ctx.line(node.pos.line).contains(text) {
                        continue;
                    }
                    let mut found = Vec::new();
                    self.scan_line_with(&which, node.pos.line, text, &mut found);
                    for mut h in found {
                        // Written literally on one of the value's lines: the line scan has it.
                        if (node.pos.line..=node.end_line).any(|l| ctx.line(l).contains(&h.secret))
                        {
                            continue;
                        }
                        let pos = super::urls::locate(ctx, node, text, byte_at(text, h.col));
                        (h.line, h.col) = (pos.line, pos.col);
                        hits.push(h);
                    }
                }
            }
        } else {
            for (path, node) in &ctx.scalars {
                if !path_in(path, &self.fields) {
                    continue;
                }
                if let Some(text) = node.as_str() {
                    let mut found = Vec::new();
                    self.scan_line(node.pos.line, text, &mut found);
                    for mut h in found {
                        let pos = super::urls::locate(ctx, node, text, byte_at(text, h.col));
                        (h.line, h.col) = (pos.line, pos.col);
                        hits.push(h);
                    }
                }
            }
        }
        hits
    }

    /// Reports hits not already covered by `seen` (hits of earlier secret rules), and adds
    /// them to it.
    pub fn check(&self, rule: &Rule, ctx: &Ctx<'_>, seen: &mut Vec<Hit>, out: &mut Vec<Finding>) {
        for hit in self.scan(ctx) {
            if seen.iter().any(|s| s.covers(&hit)) {
                continue;
            }
            seen.push(hit.clone());
            let field = ctx
                .scalars
                .iter()
                .find(|(_, n)| {
                    (n.pos.line..=n.end_line).contains(&hit.line)
                        && n.as_str().is_some_and(|t| t.contains(&hit.secret))
                })
                .map(|(p, _)| p.text.as_str());
            let masked = mask(&hit.secret);
            out.push(ctx.emit(
                rule,
                field,
                Pos::new(hit.line, hit.col),
                format!("{} in the packet: `{masked}`", hit.name),
                "remove it, reference the secret store or a placeholder such as `<API_KEY_PLACEHOLDER>` instead, and rotate the key".into(),
                Vars { field: field.unwrap_or(""), value: &masked, expected: "" },
            ));
        }
    }
}

/// Replaces every secret found in a packet wherever it appears in output text.
#[derive(Debug, Default, Clone)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    pub fn new(mut secrets: Vec<String>) -> Self {
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), &mask(s));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_with_a_short_prefix() {
        assert_eq!(
            mask("sk-proj-378N4QvLVj63ITEaWXW2bWUzByWltYFNg6Dn896R"),
            "sk-p****"
        );
        assert_eq!(mask("hunter2"), "h****");
        assert_eq!(mask("abc"), "****");
    }

    #[test]
    fn masker_masks_every_occurrence() {
        let m = Masker::new(vec!["secret-value-123".into()]);
        assert_eq!(
            m.apply("a secret-value-123 b secret-value-123"),
            "a secr**** b secr****"
        );
    }

    #[test]
    fn token_heuristic() {
        assert!(token_like("a8f9d7c6b5a4e3f2d1c0b9a8"));
        assert!(!token_like("finops-cometapi-test-key"));
        assert!(!token_like("cost_per_resolved_ticket"));
    }
}
