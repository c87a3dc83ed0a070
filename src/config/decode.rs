//! Reading typed settings out of spanned YAML while collecting *every* problem.
//!
//! Config and policy files are validated in full before any packet is read, so a user fixes
//! all their mistakes in one pass. Each problem keeps the file and line of the key or value
//! it is about. Entries remember which file they came from because a policy that extends
//! another is decoded from a merge of both files.

use crate::suggest;
use crate::yaml::{Key, Node, Pos};
use std::fmt;

/// Index into [`Sources`].
pub type FileId = usize;

/// Display names of every config or policy source, built-ins included.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    names: Vec<String>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>) -> FileId {
        self.names.push(name.into());
        self.names.len() - 1
    }

    pub fn name(&self, id: FileId) -> &str {
        self.names
            .get(id)
            .map(String::as_str)
            .unwrap_or("<unknown>")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: FileId,
    pub pos: Pos,
    pub message: String,
}

/// Every problem found so far, in the order found.
#[derive(Debug, Default)]
pub struct Problems {
    pub list: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, file: FileId, pos: Pos, message: impl Into<String>) {
        self.list.push(Problem {
            file,
            pos,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Each key a parsed file writes twice, as a problem: YAML keeps the last one silently.
    pub fn duplicate_keys(&mut self, file: FileId, doc: &crate::yaml::Document) {
        for d in &doc.duplicates {
            self.push(
                file,
                d.pos,
                format!(
                    "`{}` is written twice (first at line {})",
                    d.key, d.first.line
                ),
            );
        }
    }

    pub fn render(&self, sources: &Sources) -> ProblemList {
        let mut sorted: Vec<&Problem> = self.list.iter().collect();
        sorted.sort_by_key(|p| (p.file, p.pos));
        let mut lines: Vec<String> = sorted
            .into_iter()
            .map(|p| format!("{}:{}: {}", sources.name(p.file), p.pos, p.message))
            .collect();
        lines.dedup();
        ProblemList(lines)
    }
}

/// Rendered problems, one per line, for the "broken config" error.
#[derive(Debug, Clone)]
pub struct ProblemList(pub Vec<String>);

impl fmt::Display for ProblemList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.0 {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// One `key: value` entry and the file it came from.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub key: &'a Key,
    pub value: &'a Node,
    pub file: FileId,
}

impl<'a> Entry<'a> {
    pub fn problem(&self, problems: &mut Problems, message: impl Into<String>) {
        problems.push(self.file, self.value.pos, message);
    }

    pub fn name(&self) -> &'a str {
        &self.key.text
    }

    /// A scalar text value (numbers and booleans are taken as written).
    pub fn text(&self, problems: &mut Problems) -> Option<&'a str> {
        match self.value.as_str() {
            Some(t) if self.value.as_map().is_none() && self.value.as_seq().is_none() => Some(t),
            _ => {
                self.problem(
                    problems,
                    format!(
                        "`{}` must be text, found {}",
                        self.key.text,
                        self.value.type_name()
                    ),
                );
                None
            }
        }
    }

    pub fn boolean(&self, problems: &mut Problems) -> Option<bool> {
        let b = self.value.as_bool();
        if b.is_none() {
            self.problem(
                problems,
                format!(
                    "`{}` must be true or false, found {}",
                    self.key.text,
                    self.value.type_name()
                ),
            );
        }
        b
    }

    pub fn number(&self, problems: &mut Problems) -> Option<u64> {
        let n = self.value.as_str().and_then(|t| t.parse::<u64>().ok());
        if n.is_none() {
            self.problem(
                problems,
                format!(
                    "`{}` must be a whole number of 0 or more, found `{}`",
                    self.key.text,
                    self.value.as_str().unwrap_or(self.value.type_name())
                ),
            );
        }
        n
    }

    /// A list of texts; a single text is taken as a list of one.
    pub fn texts(&self, problems: &mut Problems) -> Option<Vec<(&'a str, Pos)>> {
        if let Some(items) = self.value.as_seq() {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in items {
                match item.as_str() {
                    Some(t) if item.as_seq().is_none() && item.as_map().is_none() => {
                        out.push((t, item.pos))
                    }
                    _ => {
                        ok = false;
                        problems.push(
                            self.file,
                            item.pos,
                            format!(
                                "items of `{}` must be text, found {}",
                                self.key.text,
                                item.type_name()
                            ),
                        );
                    }
                }
            }
            return ok.then_some(out);
        }
        self.text(problems).map(|t| vec![(t, self.value.pos)])
    }

    /// The entries of a mapping value.
    pub fn map(&self, what: &str, problems: &mut Problems) -> Option<Entries<'a>> {
        Entries::of(self.value, self.file, what, problems)
    }
}

/// The entries of one mapping, tracking which keys were read so the rest can be reported as
/// unknown.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    pub items: Vec<Entry<'a>>,
    used: Vec<bool>,
    pub file: FileId,
    pub pos: Pos,
}

impl<'a> Entries<'a> {
    pub fn of(node: &'a Node, file: FileId, what: &str, problems: &mut Problems) -> Option<Self> {
        match node.as_map() {
            Some(map) => Some(Entries::from_items(
                map.iter()
                    .map(|(key, value)| Entry { key, value, file })
                    .collect(),
                file,
                node.pos,
            )),
            None => {
                problems.push(
                    file,
                    node.pos,
                    format!(
                        "{what} must be a mapping of `key: value`, found {}",
                        node.type_name()
                    ),
                );
                None
            }
        }
    }

    pub fn from_items(items: Vec<Entry<'a>>, file: FileId, pos: Pos) -> Self {
        let used = vec![false; items.len()];
        Entries {
            items,
            used,
            file,
            pos,
        }
    }

    pub fn take(&mut self, key: &str) -> Option<Entry<'a>> {
        let i = self.items.iter().position(|e| e.key.text == key)?;
        self.used[i] = true;
        Some(self.items[i])
    }

    pub fn has(&self, key: &str) -> bool {
        self.items.iter().any(|e| e.key.text == key)
    }

    pub fn require(&mut self, key: &str, what: &str, problems: &mut Problems) -> Option<Entry<'a>> {
        let e = self.take(key);
        if e.is_none() {
            problems.push(self.file, self.pos, format!("{what} needs `{key}:`"));
        }
        e
    }

    pub fn text(&mut self, key: &str, problems: &mut Problems) -> Option<&'a str> {
        self.take(key)?.text(problems)
    }

    pub fn boolean(&mut self, key: &str, problems: &mut Problems) -> Option<bool> {
        self.take(key)?.boolean(problems)
    }

    pub fn number(&mut self, key: &str, problems: &mut Problems) -> Option<u64> {
        self.take(key)?.number(problems)
    }

    /// Reports every key not read, with a suggestion from `known`.
    pub fn finish(self, known: &[&str], what: &str, problems: &mut Problems) {
        for (entry, used) in self.items.iter().zip(&self.used) {
            if !used {
                let hint = suggest::hint(&entry.key.text, known.iter().copied());
                problems.push(
                    entry.file,
                    entry.key.pos,
                    format!("unknown key `{}` in {what}{hint}", entry.key.text),
                );
            }
        }
    }
}
