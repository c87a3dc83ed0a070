//! `claim`: statements the seed guides say a smoke test cannot support — exact prices,
//! discounts, rate limits, uptime, latency targets, model inventory, final billing totals —
//! found in any field or in the Markdown prose. A claim inside a negated clause ("this test
//! does not prove 99.9% uptime") is not a claim. `unless` tests lift the rule, e.g. a price
//! confirmed in the account view.

use super::conditional::{decode_tests, Test};
use super::urls::locate;
use super::{decode_paths, path_in, Ctx, LazyRegex, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use crate::yaml::Pos;

pub const KEYS: &[&str] = &[
    "pattern",
    "fields",
    "skip_fields",
    "prose",
    "unless",
    "label",
];

#[derive(Debug, Clone)]
pub struct Claim {
    pub regex: LazyRegex,
    pub label: String,
    pub fields: Vec<FieldPath>,
    pub skip_fields: Vec<FieldPath>,
    pub prose: bool,
    pub unless: Vec<Test>,
}

impl Claim {
    pub fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
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
        let regex = e.require("pattern", "a `claim` rule", p).and_then(|entry| {
            let text = entry.text(p)?;
            // Claims are searched for inside longer text, case-insensitively.
            LazyRegex::decode(entry, format!("(?i){text}"), p)
        });
        Some(Claim {
            regex: regex?,
            label,
            fields: fields?,
            skip_fields: skip_fields?,
            prose,
            unless: unless?,
        })
    }

    pub fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let Some(regex) = self.regex.get() else {
            return;
        };
        if !ctx.may_match(regex) {
            return;
        }
        if !self.unless.is_empty() && self.unless.iter().all(|t| t.holds(ctx, &[])) {
            return;
        }
        let negations = &ctx.policy.settings.negations;
        for (path, node) in &ctx.scalars {
            if (!self.fields.is_empty() && !path_in(path, &self.fields))
                || path_in(path, &self.skip_fields)
            {
                continue;
            }
            let Some(text) = node.as_str() else { continue };
            for m in regex.find_iter(text) {
                if negated(text, m.start(), negations) {
                    continue;
                }
                let pos = locate(ctx, node, text, m.start());
                out.push(self.finding(rule, ctx, Some(&path.text), pos, m.as_str()));
            }
        }
        if !self.prose {
            return;
        }
        // A section headed "What this test does not prove" negates everything under it.
        let mut negating_section = false;
        for para in ctx.paragraphs() {
            let text = para.text.as_str();
            if para.heading {
                negating_section = negated(text, text.len(), negations);
            }
            for m in regex.find_iter(text) {
                if negating_section || negated(text, m.start(), negations) {
                    continue;
                }
                out.push(self.finding(rule, ctx, None, para.pos(m.start()), m.as_str()));
            }
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

const CONJUNCTIONS: &[&str] = &[
    ", and ",
    ", but ",
    ", so ",
    ", while ",
    ", yet ",
    ", although ",
    ", though ",
    ", whereas ",
];

/// Is the match inside a clause that negates it? Looks back to the start of the clause (a
/// sentence end or `;`; a line break inside a paragraph is no boundary) for a negation word.
pub fn negated(text: &str, start: usize, negations: &[String]) -> bool {
    let before = &text[..start];
    let clause_start = before
        .char_indices()
        .rev()
        .find(|(i, c)| {
            matches!(c, ';' | '!' | '?')
                || (*c == '.' && before[i + 1..].starts_with(char::is_whitespace))
        })
        .map(|(i, _)| i + 1)
        .unwrap_or(0);
    let mut clause = before[clause_start..].to_ascii_lowercase();
    // ", and the provider guarantees …" starts a new clause; a bare comma does not ("does
    // not prove spend, rate limits or 99.9% uptime" stays negated).
    if let Some(i) = CONJUNCTIONS
        .iter()
        .filter_map(|c| clause.rfind(c).map(|i| i + c.len()))
        .max()
    {
        clause = clause[i..].to_string();
    }
    let words: Vec<&str> = clause
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect();
    negations.iter().any(|n| {
        let n = n.to_ascii_lowercase();
        let parts: Vec<&str> = n.split_whitespace().collect();
        !parts.is_empty() && words.windows(parts.len()).any(|w| w == parts.as_slice())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neg(t: &str, needle: &str) -> bool {
        let words = ["not", "no", "never", "without", "doesn't", "does not"].map(String::from);
        negated(t, t.find(needle).unwrap(), &words)
    }

    #[test]
    fn negation_is_clause_local() {
        assert!(neg("This test does not prove 99.9% uptime.", "99.9%"));
        assert!(neg("We have no 20% discount", "20%"));
        assert!(!neg("Not tested. The SLA is 99.9% uptime", "99.9%"));
        assert!(!neg("Price is $0.40 per 1M tokens", "$0.40"));
        assert!(neg(
            "Price: unknown; we did not see $0.40 per 1M tokens",
            "$0.40"
        ));
        assert!(!neg("Nothing else; $0.40 per 1M tokens", "$0.40"));
        assert!(neg("This does not prove the\n99.9% uptime", "99.9%"));
        assert!(!neg("No retries, and it guarantees 99.9% uptime", "99.9%"));
        assert!(neg("Does not prove spend, limits or 99.9% uptime", "99.9%"));
    }
}
