//! Field paths: how policies name the values they check, and how findings name them back.
//!
//! Syntax: keys joined by dots, list items by `[n]` or `[*]`, `*` for any key and `**` for
//! any depth: `evidence_urls_checked[*].url`, `**.accessed`, `pricing_verification.url`.
//! Selecting a path yields every matching node with its concrete path
//! (`evidence_urls_checked[1].url`), which is exactly what a finding reports.

use crate::yaml::{Node, Value};
use std::fmt;

/// One step of a path: `key`, `*`, `[n]`, `[*]` or `**`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    AnyKey,
    Index(usize),
    AnyIndex,
    Deep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    steps: Vec<Step>,
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FieldPath {
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty field path".into());
        }
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            match name {
                "" if rest.is_empty() => return Err(format!("`{text}` has an empty segment")),
                "" => {}
                "*" => steps.push(Step::AnyKey),
                "**" => steps.push(Step::Deep),
                n if n.contains(['*', ']', ' ']) => {
                    return Err(format!("`{n}` is not a field name (in `{text}`)"))
                }
                n => steps.push(Step::Key(n.to_string())),
            }
            while !rest.is_empty() {
                let Some(end) = rest.find(']') else {
                    return Err(format!("unclosed `[` in `{text}`"));
                };
                let inner = &rest[1..end];
                if inner == "*" {
                    steps.push(Step::AnyIndex);
                } else {
                    let n = inner
                        .parse()
                        .map_err(|_| format!("`[{inner}]` is not `[*]` or a number in `{text}`"))?;
                    steps.push(Step::Index(n));
                }
                rest = &rest[end + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(format!("unexpected `{rest}` in `{text}`"));
                }
            }
        }
        Ok(FieldPath {
            text: text.to_string(),
            steps,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed steps, for code that maps a path onto another structure (the JSON Schema).
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// True when the path names one place (no wildcards), so a missing value can be named.
    pub fn is_concrete(&self) -> bool {
        self.steps
            .iter()
            .all(|s| matches!(s, Step::Key(_) | Step::Index(_)))
    }

    /// The path without its last key, and that key: `a[*].url` → (`a[*]`, `url`).
    pub fn split_last_key(&self) -> Option<(FieldPath, &str)> {
        let Some(Step::Key(last)) = self.steps.last() else {
            return None;
        };
        let parent_text = self
            .text
            .strip_suffix(last.as_str())
            .map(|t| t.trim_end_matches('.'))
            .unwrap_or("");
        Some((
            FieldPath {
                text: parent_text.to_string(),
                steps: self.steps[..self.steps.len() - 1].to_vec(),
            },
            last,
        ))
    }

    /// The top-level key a path starts with, when it starts with one.
    pub fn top_key(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// Every node the path selects, with its concrete dotted path.
    pub fn select<'a>(&self, root: &'a Node) -> Vec<(String, &'a Node)> {
        let mut current: Vec<(String, &'a Node)> = vec![(String::new(), root)];
        for step in &self.steps {
            let mut next = Vec::new();
            for (path, node) in current {
                match step {
                    Step::Key(k) => {
                        if let Some(v) = node.get(k) {
                            next.push((join_key(&path, k), v));
                        }
                    }
                    Step::AnyKey => {
                        if let Some(map) = node.as_map() {
                            for (k, v) in map {
                                next.push((join_key(&path, &k.text), v));
                            }
                        }
                    }
                    Step::Index(i) => {
                        if let Some(v) = node.as_seq().and_then(|s| s.get(*i)) {
                            next.push((format!("{path}[{i}]"), v));
                        }
                    }
                    Step::AnyIndex => {
                        if let Some(items) = node.as_seq() {
                            for (i, v) in items.iter().enumerate() {
                                next.push((format!("{path}[{i}]"), v));
                            }
                        }
                    }
                    Step::Deep => descend(&path, node, &mut next),
                }
            }
            current = next;
        }
        current
    }

    /// Does a concrete path (as produced by [`select`](Self::select)) match this pattern?
    pub fn matches(&self, concrete: &str) -> bool {
        self.matches_concrete(&Concrete::new(concrete.to_string()))
    }

    pub fn matches_concrete(&self, c: &Concrete) -> bool {
        match_steps(&self.steps, &c.text, &c.segs, false)
    }

    /// The shortest proper ancestor of `c` that this pattern names exactly, as a path
    /// (`review_date` for `review_date[0]`).
    pub fn matched_ancestor(&self, c: &Concrete) -> Option<String> {
        (1..c.segs.len())
            .find(|&n| match_steps(&self.steps, &c.text, &c.segs[..n], false))
            .map(|n| c.prefix(n))
    }

    /// Does the pattern name this path or one of its ancestors? (`does_not_prove` covers
    /// `does_not_prove[2]`: a field filter names a whole subtree.)
    pub fn covers_concrete(&self, c: &Concrete) -> bool {
        match_steps(&self.steps, &c.text, &c.segs, true)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    /// A key, as a byte range of the path text.
    Key(usize, usize),
    Index(usize),
}

/// A concrete path (`evidence_urls_checked[0].url`) split once into its segments, so
/// matching it against many patterns allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concrete {
    pub text: String,
    segs: Vec<Seg>,
}

impl Concrete {
    pub fn new(text: String) -> Self {
        let mut segs = Vec::new();
        let mut start = 0;
        for seg in text.split('.') {
            let name_len = seg.find('[').unwrap_or(seg.len());
            if name_len > 0 {
                segs.push(Seg::Key(start, start + name_len));
            }
            let mut rest = &seg[name_len..];
            while let Some(end) = rest.find(']') {
                // A key may hold brackets itself (`a]]`, `x[é]`): only `[digits]` is an index.
                if let Some(Ok(i)) = rest.strip_prefix('[').map(|r| r[..end - 1].parse()) {
                    segs.push(Seg::Index(i));
                }
                rest = &rest[end + 1..];
            }
            start += seg.len() + 1;
        }
        Concrete { text, segs }
    }

    /// The path of the first `n` segments.
    fn prefix(&self, n: usize) -> String {
        let mut out = String::new();
        for seg in &self.segs[..n] {
            match *seg {
                Seg::Key(a, b) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.text[a..b]);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

fn match_steps(steps: &[Step], text: &str, segs: &[Seg], prefix: bool) -> bool {
    match steps.first() {
        None => prefix || segs.is_empty(),
        Some(Step::Deep) => {
            (0..=segs.len()).any(|skip| match_steps(&steps[1..], text, &segs[skip..], prefix))
        }
        Some(step) => {
            let Some(seg) = segs.first() else {
                return false;
            };
            let ok = match (step, seg) {
                (Step::Key(k), Seg::Key(a, b)) => k == &text[*a..*b],
                (Step::AnyKey, Seg::Key(..)) => true,
                (Step::Index(i), Seg::Index(p)) => i == p,
                (Step::AnyIndex, Seg::Index(_)) => true,
                _ => false,
            };
            ok && match_steps(&steps[1..], text, &segs[1..], prefix)
        }
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The node itself and every node below it (for `**`), iteratively.
fn descend<'a>(path: &str, node: &'a Node, out: &mut Vec<(String, &'a Node)>) {
    let mut stack = vec![(path.to_string(), node)];
    while let Some((p, n)) = stack.pop() {
        match &n.value {
            Value::Map(entries) => {
                for (k, v) in entries.iter().rev() {
                    stack.push((join_key(&p, &k.text), v));
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push((format!("{p}[{i}]"), v));
                }
            }
            Value::Scalar { .. } => {}
        }
        out.push((p, n));
    }
}

/// Every scalar in the tree with its path, in document order (used by text-scanning rules).
pub fn scalars(root: &Node) -> Vec<(Concrete, &Node)> {
    let mut all = Vec::new();
    descend("", root, &mut all);
    all.retain(|(p, n)| !p.is_empty() && matches!(n.value, Value::Scalar { .. }));
    all.sort_by_key(|(_, n)| n.pos);
    all.into_iter()
        .map(|(p, n)| (Concrete::new(p), n))
        .collect()
}

/// Every mapping key in the tree with its path, in document order: a key is text a reader
/// sees too (`"Input costs $0.40 per 1M tokens": true`).
pub fn keys(root: &Node) -> Vec<(Concrete, &crate::yaml::Key)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root)];
    while let Some((p, n)) = stack.pop() {
        match &n.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let path = join_key(&p, &k.text);
                    out.push((path.clone(), k));
                    stack.push((path, v));
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    stack.push((format!("{p}[{i}]"), v));
                }
            }
            Value::Scalar { .. } => {}
        }
    }
    out.sort_by_key(|(_, k)| k.pos);
    out.into_iter()
        .map(|(p, k)| (Concrete::new(p), k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, Limits};

    fn doc(t: &str) -> Node {
        parse(t, Limits::default()).unwrap().root.unwrap()
    }

    fn paths(p: &str, root: &Node) -> Vec<String> {
        FieldPath::parse(p)
            .unwrap()
            .select(root)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    #[test]
    fn selects_with_wildcards() {
        let d = doc("e:\n  - url: a\n    accessed: x\n  - url: b\np:\n  accessed: y\n");
        assert_eq!(paths("e[*].url", &d), ["e[0].url", "e[1].url"]);
        assert_eq!(paths("e[1].url", &d), ["e[1].url"]);
        assert_eq!(paths("**.accessed", &d), ["e[0].accessed", "p.accessed"]);
        assert_eq!(paths("*.accessed", &d), ["p.accessed"]);
        assert!(paths("missing.x", &d).is_empty());
    }

    #[test]
    fn matches_concrete_paths() {
        let p = FieldPath::parse("sources[*].wording").unwrap();
        assert!(p.matches("sources[3].wording"));
        assert!(!p.matches("sources[3].url"));
        assert!(FieldPath::parse("**.url").unwrap().matches("a.b[2].url"));
        assert!(FieldPath::parse("notes").unwrap().matches("notes"));
        let skip = FieldPath::parse("does_not_prove").unwrap();
        let item = Concrete::new("does_not_prove[2]".into());
        assert!(!skip.matches_concrete(&item));
        assert!(skip.covers_concrete(&item));
        assert!(!skip.covers_concrete(&Concrete::new("does_not_prove_x".into())));
    }

    #[test]
    fn keys_holding_brackets_are_not_indexes() {
        // Found by the `packet` fuzz target: `]]]]acke[[]]]: x` panicked while slicing.
        for key in ["a]]]]", "x[[]]]]b", "a[0]x5]", "é]]", "a[é]", "[", "]"] {
            let c = Concrete::new(key.to_string());
            assert!(!c.segs.contains(&Seg::Index(5)), "{key}: {:?}", c.segs);
        }
        let c = Concrete::new("a[0]x5][7]".to_string());
        assert_eq!(c.segs, [Seg::Key(0, 1), Seg::Index(0), Seg::Index(7)]);
    }

    #[test]
    fn splits_the_last_key() {
        let p = FieldPath::parse("evidence_urls_checked[*].accessed").unwrap();
        let (parent, key) = p.split_last_key().unwrap();
        assert_eq!(parent.as_str(), "evidence_urls_checked[*]");
        assert_eq!(key, "accessed");
        let owner = FieldPath::parse("owner").unwrap();
        let (parent, key) = owner.split_last_key().unwrap();
        assert_eq!((parent.as_str(), key), ("", "owner"));
    }

    #[test]
    fn rejects_bad_paths() {
        for bad in ["", "a..b", "a[", "a[x]", "a]b", "a[0]b"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
    }
}
