//! Spanned YAML: turns text into a small tree where every key and value keeps its line and
//! column, so a finding can point at the exact spot a person wrote.
//!
//! It sits at the very start of the flow: packets, policies and the repository config are all
//! read through [`parse`]. We build on `saphyr-parser`'s event stream instead of a serde
//! deserializer because we need positions for *every* value (not only the ones a struct
//! names), we need to see duplicate keys (serde maps silently keep one), and we need hard
//! budgets — depth, node count, alias expansion — so a hostile file cannot eat memory or
//! stack. The tree is built iteratively, never by recursion over the input.

mod explain;
mod keys;

pub use keys::root_has_key;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32) -> Self {
        Pos { line, col }
    }

    /// Moves a position found in a slice of a file (Markdown front matter) to the file's own
    /// numbering.
    pub fn offset_lines(self, lines: u32) -> Self {
        Pos::new(self.line + lines, self.col)
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How a scalar was written, which decides its YAML 1.2 core-schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Str,
    Bool(bool),
    Int,
    Float,
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar { text: String, kind: ScalarKind },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: String,
    pub pos: Pos,
    /// Last line the key's text covers (an explicit `? …` key may span several).
    pub end_line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    /// Last line the value's text covers (a block scalar spans several); collections keep
    /// their first line.
    pub end_line: u32,
    pub value: Value,
}

impl Node {
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar (`None` for collections and nulls).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar {
                kind: ScalarKind::Null,
                ..
            } => None,
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar {
                kind: ScalarKind::Bool(b),
                ..
            } => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self.value,
            Value::Scalar {
                kind: ScalarKind::Null,
                ..
            }
        )
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, v)| (k, v))
    }

    /// A short name of the node's type for messages ("a list", "a mapping", "text").
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Scalar { kind, .. } => match kind {
                ScalarKind::Str => "text",
                ScalarKind::Bool(_) => "a boolean",
                ScalarKind::Int | ScalarKind::Float => "a number",
                ScalarKind::Null => "empty",
            },
        }
    }

    /// Moves every position in the tree down by `lines` (Markdown front matter).
    pub fn shift_lines(&mut self, lines: u32) {
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(node) = stack.pop() {
            node.pos = node.pos.offset_lines(lines);
            node.end_line += lines;
            match &mut node.value {
                Value::Seq(items) => stack.extend(items.iter_mut()),
                Value::Map(entries) => {
                    for (k, v) in entries.iter_mut() {
                        k.pos = k.pos.offset_lines(lines);
                        k.end_line += lines;
                        stack.push(v);
                    }
                }
                Value::Scalar { .. } => {}
            }
        }
    }
}

/// Bytes of text that alias expansion may copy into one document. The node budget counts
/// values, not their size: without this, one 800 KB scalar aliased 49,000 times is 39 GB.
pub const MAX_ALIAS_BYTES: usize = 1024 * 1024;

/// Budgets that bound the work a single document may cause.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_nodes: usize,
    /// The run's deadline: reading stops there ([`ErrorKind::OutOfTime`]), looked at every
    /// [`CLOCK_EVERY`] events.
    pub deadline: Option<std::time::Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 50_000,
            deadline: None,
        }
    }
}

/// How many events are read between two looks at the clock: a document smaller than this is
/// never cut short, and a look costs nothing next to the events between.
pub const CLOCK_EVERY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not YAML.
    Syntax(String),
    /// Nesting deeper than the budget.
    TooDeep(usize),
    /// More nodes than the budget, counting every alias expansion.
    TooManyNodes(usize),
    /// Aliases copy more text than [`MAX_ALIAS_BYTES`]: a few nodes can still be huge.
    TooMuchAliasedText(usize),
    /// More than one document in one file.
    MultipleDocuments,
    /// An alias whose anchor is not defined before it.
    UnknownAlias,
    /// The deadline in [`Limits`] passed after this many events were read.
    OutOfTime(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub pos: Pos,
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Syntax(msg) => write!(f, "YAML syntax error: {msg}"),
            ErrorKind::TooDeep(max) => write!(f, "YAML nesting is deeper than {max} levels"),
            ErrorKind::TooManyNodes(max) => write!(
                f,
                "YAML document has more than {max} values (aliases counted as expanded)"
            ),
            ErrorKind::TooMuchAliasedText(max) => write!(
                f,
                "YAML aliases copy more than {max} bytes of text (a big value repeated by `*alias`)"
            ),
            ErrorKind::MultipleDocuments => {
                write!(f, "file holds more than one YAML document")
            }
            ErrorKind::UnknownAlias => write!(f, "alias refers to an anchor that is not defined"),
            ErrorKind::OutOfTime(_) => {
                write!(
                    f,
                    "the run's time budget ran out while the YAML was read; a file not read whole cannot pass"
                )
            }
        }
    }
}

/// A duplicate mapping key: YAML forbids it and serde-style loaders silently keep one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key as written, and its dotted path (`pricing_source.accessed`).
    pub key: String,
    pub path: String,
    pub pos: Pos,
    pub first: Pos,
}

/// The result of parsing one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `None` when the text holds no document at all (empty, or only comments).
    pub root: Option<Node>,
    pub duplicates: Vec<Duplicate>,
}

fn pos_of(span: &Span) -> Pos {
    let m = span.start;
    Pos::new(m.line() as u32, m.col() as u32 + 1)
}

fn scalar_kind(text: &str, style: ScalarStyle) -> ScalarKind {
    if style != ScalarStyle::Plain {
        return ScalarKind::Str;
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
        "true" | "True" | "TRUE" => ScalarKind::Bool(true),
        "false" | "False" | "FALSE" => ScalarKind::Bool(false),
        _ if is_int(text) => ScalarKind::Int,
        _ if is_float(text) => ScalarKind::Float,
        _ => ScalarKind::Str,
    }
}

fn is_int(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = digits.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_float(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | "+.inf" | "-.inf" | ".nan") {
        return true;
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_dot => seen_dot = true,
            'e' | 'E' if seen_digit => {
                let rest: String = chars.collect();
                let exp = rest.strip_prefix(['-', '+']).unwrap_or(&rest);
                return !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit());
            }
            _ => return false,
        }
    }
    seen_digit && seen_dot
}

/// A collection being built; its parent gets it when its end event arrives.
enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        /// Where each key is in `entries`, once the mapping is big enough to need it: finding
        /// a duplicate must not cost a scan of the mapping (25,000 keys would take seconds),
        /// while a packet's few keys are found faster by looking.
        index: Option<HashMap<String, usize>>,
        pending_key: Option<Key>,
    },
}

/// Mappings with this many keys get an index for the duplicate check.
const INDEX_FROM: usize = 32;

/// An anchored value, and what copying it costs.
struct Anchored {
    node: Node,
    nodes: usize,
    bytes: usize,
}

struct Builder<'t> {
    /// The source, to step over an `&anchor` or `!tag` written before a value.
    text: &'t str,
    /// Where each line starts, computed only when a position must be re-read (rare).
    line_starts: std::cell::OnceCell<Vec<usize>>,
    /// A (character index, byte offset) pair in `text`: events arrive in source order, so
    /// turning the parser's character index into a byte offset walks forward from here.
    cursor: Cell<(usize, usize)>,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    alias_bytes: usize,
    root: Option<Node>,
    documents: usize,
    duplicates: Vec<Duplicate>,
    /// Every scalar read, keys included, when the caller asks for them ([`scalars_read`]).
    seen: Option<Vec<Node>>,
}

/// How many nodes a value holds, and how many bytes of text (keys included).
fn node_weight(node: &Node) -> (usize, usize) {
    let (mut count, mut bytes) = (0, 0);
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => {
                bytes += entries.iter().map(|(k, _)| k.text.len()).sum::<usize>();
                stack.extend(entries.iter().map(|(_, v)| v));
            }
            Value::Scalar { text, .. } => bytes += text.len(),
        }
    }
    (count, bytes)
}

/// Resolves YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`): the merged mappings' entries
/// are added unless the mapping writes the key itself. A `<<` holding anything else stays an
/// ordinary key (and an unknown field).
fn merge_keys(entries: Vec<(Key, Node)>) -> Vec<(Key, Node)> {
    let is_merge = |(k, v): &(Key, Node)| {
        k.text == "<<"
            && match &v.value {
                Value::Map(_) => true,
                Value::Seq(items) => items.iter().all(|i| i.as_map().is_some()),
                Value::Scalar { .. } => false,
            }
    };
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = entries.into_iter().partition(is_merge);
    let mut written: HashSet<String> = own.iter().map(|(k, _)| k.text.clone()).collect();
    for (_, value) in merges {
        let sources = match value.value {
            Value::Map(m) => vec![m],
            Value::Seq(items) => items
                .into_iter()
                .filter_map(|i| match i.value {
                    Value::Map(m) => Some(m),
                    _ => None,
                })
                .collect(),
            Value::Scalar { .. } => Vec::new(),
        };
        for (k, v) in sources.into_iter().flatten() {
            if written.insert(k.text.clone()) {
                own.push((k, v));
            }
        }
    }
    own
}

fn key_text(node: &Node) -> String {
    match &node.value {
        Value::Scalar { text, .. } => text.clone(),
        // Complex keys are legal YAML but never a packet field; give them a readable name.
        Value::Seq(_) => "[…]".to_string(),
        Value::Map(_) => "{…}".to_string(),
    }
}

/// `!!binary` (also spelled `!<tag:yaml.org,2002:binary>`).
fn is_binary(tag: &Tag) -> bool {
    is_core(tag, "binary")
}

/// A core-schema tag such as `!!str`, in either spelling.
fn is_core(tag: &Tag, name: &str) -> bool {
    tag.handle == "tag:yaml.org,2002:" && tag.suffix == name
        || tag.handle.is_empty()
            && tag
                .suffix
                .strip_prefix("tag:yaml.org,2002:")
                .is_some_and(|s| s == name)
}

/// The text a `!!binary` value encodes, when it is base64 of UTF-8 text (no control
/// characters but tabs and line breaks). A YAML loader hands
/// those bytes to whoever reads the packet, so the rules read them too: a key must not hide
/// behind an encoding.
pub fn binary_text(base64: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(base64.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut padding = false;
    for c in base64.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            _ => return None,
        };
        if padding {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let text = String::from_utf8(bytes).ok()?;
    let control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    (!text.is_empty() && !text.chars().any(control)).then_some(text)
}

impl Builder<'_> {
    fn count(&mut self, n: usize, pos: Pos) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Error {
                pos,
                kind: ErrorKind::TooManyNodes(self.limits.max_nodes),
            });
        }
        Ok(())
    }

    fn push_frame(&mut self, frame: Frame, pos: Pos) -> Result<(), Error> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(Error {
                pos,
                kind: ErrorKind::TooDeep(self.limits.max_depth),
            });
        }
        self.count(1, pos)?;
        self.stack.push(frame);
        Ok(())
    }

    /// The dotted path of the collection being built (the top of the stack).
    fn open_path(&self) -> String {
        let mut path = String::new();
        let depth = self.stack.len().saturating_sub(1);
        for frame in &self.stack[..depth] {
            match frame {
                Frame::Map { pending_key, .. } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(pending_key.as_ref().map_or("", |k| k.text.as_str()));
                }
                Frame::Seq { items, .. } => path.push_str(&format!("[{}]", items.len())),
            }
        }
        path
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let (nodes, bytes) = node_weight(&node);
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    nodes,
                    bytes,
                },
            );
        }
        let duplicate = match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
                None
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                None
            }
            Some(Frame::Map {
                entries,
                index,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    *pending_key = Some(Key {
                        text: key_text(&node),
                        pos: node.pos,
                        end_line: node.end_line,
                    });
                    None
                }
                Some(key) => {
                    let first = match index {
                        Some(index) => index.get(&key.text).copied(),
                        None => entries.iter().position(|(k, _)| k.text == key.text),
                    };
                    match first {
                        Some(i) => Some((key, entries[i].0.pos)),
                        None => {
                            if let Some(index) = index {
                                index.insert(key.text.clone(), entries.len());
                            } else if entries.len() >= INDEX_FROM {
                                let mut all: HashMap<String, usize> = entries
                                    .iter()
                                    .enumerate()
                                    .map(|(i, (k, _))| (k.text.clone(), i))
                                    .collect();
                                all.insert(key.text.clone(), entries.len());
                                *index = Some(all);
                            }
                            entries.push((key, node));
                            None
                        }
                    }
                }
            },
        };
        if let Some((key, first)) = duplicate {
            let parent = self.open_path();
            self.duplicates.push(Duplicate {
                path: if parent.is_empty() {
                    key.text.clone()
                } else {
                    format!("{parent}.{}", key.text)
                },
                key: key.text,
                pos: key.pos,
                first,
            });
        }
    }

    /// The byte offset of the parser's character index. Walks forward from the last one
    /// asked for, so a document costs one pass however many values it holds.
    fn byte_of(&self, index: usize) -> usize {
        let (mut chars, mut byte) = self.cursor.get();
        if index < chars {
            (chars, byte) = (0, 0);
        }
        for c in self.text[byte..].chars() {
            if chars == index {
                break;
            }
            chars += 1;
            byte += c.len_utf8();
        }
        self.cursor.set((chars, byte));
        byte
    }

    /// Where the value itself starts: past any `&anchor` / `!tag` properties on its line.
    ///
    /// Reads only the properties and the blanks after them, never the rest of the line: a
    /// flow list of empty anchored nodes (`[&a,&b,…]`) is one long line, and reading to its
    /// end for every node made such a document quadratic (175,000 anchors, 90 s).
    fn value_pos(&self, pos: Pos, index: usize) -> Pos {
        let start = self.byte_of(index);
        let mut chars = self.text[start..].chars().peekable();
        let mut col = pos.col;
        // An anchor name or tag shorthand ends at a blank or a flow indicator (YAML 1.2
        // `ns-anchor-char`, `ns-tag-char`); a verbatim tag `!<…>` ends at its `>`.
        let ends = |c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}');
        while let Some(&first) = chars.peek().filter(|c| matches!(c, '&' | '!')) {
            chars.next();
            col += 1;
            if first == '!' && chars.peek() == Some(&'<') {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    col += 1;
                    if c == '>' {
                        break;
                    }
                }
            }
            while chars.next_if(|c| !ends(*c)).is_some() {
                col += 1;
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {
                col += 1;
            }
        }
        match chars.peek() {
            // Properties alone on the line (or on an empty node): the value starts on a
            // later line, or is not written at all.
            None | Some('\n' | '\r' | '#' | ',' | ']' | '}') => pos,
            Some(_) => Pos::new(pos.line, col),
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<bool, Error> {
        let pos = pos_of(span);
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::StreamEnd => return Ok(false),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Error {
                        pos,
                        kind: ErrorKind::MultipleDocuments,
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, pos)?;
                let binary = tag
                    .as_deref()
                    .filter(|t| is_binary(t))
                    .and_then(|_| binary_text(&text));
                let (text, kind) = match binary {
                    Some(decoded) => (decoded, ScalarKind::Str),
                    // `!!str 123` is text by the author's own word: the rules read a bare
                    // number as no value where text belongs.
                    None if tag.as_deref().is_some_and(|t| is_core(t, "str")) => {
                        (text.into_owned(), ScalarKind::Str)
                    }
                    None => {
                        let kind = scalar_kind(&text, style);
                        (text.into_owned(), kind)
                    }
                };
                let node = Node {
                    pos: if anchor != 0 || tag.is_some() {
                        self.value_pos(pos, span.start.index())
                    } else {
                        pos
                    },
                    end_line: (span.end.line() as u32).max(pos.line),
                    value: Value::Scalar { text, kind },
                };
                if let Some(seen) = &mut self.seen {
                    seen.push(node.clone());
                }
                self.finish(node, anchor);
            }
            Event::SequenceStart(anchor, _tag) => self.push_frame(
                Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                },
                pos,
            )?,
            Event::MappingStart(anchor, _tag) => self.push_frame(
                Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    index: None,
                    pending_key: None,
                },
                pos,
            )?,
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => (
                        Node {
                            pos,
                            end_line: pos.line,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            pos,
                            end_line: pos.line,
                            value: Value::Map(merge_keys(entries)),
                        },
                        anchor,
                    ),
                    None => return Ok(true),
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(Error {
                        pos,
                        kind: ErrorKind::UnknownAlias,
                    });
                };
                // Expanding an alias costs as much as the value it copies, in values and in
                // bytes: this is what stops "billion laughs" documents, wide or tall.
                let (nodes, bytes) = (anchored.nodes, anchored.bytes);
                self.alias_bytes = self.alias_bytes.saturating_add(bytes);
                if self.alias_bytes > MAX_ALIAS_BYTES {
                    return Err(Error {
                        pos,
                        kind: ErrorKind::TooMuchAliasedText(MAX_ALIAS_BYTES),
                    });
                }
                self.count(nodes, pos)?;
                let mut copy = self.anchors[&id].node.clone();
                copy.pos = pos;
                copy.end_line = pos.line;
                self.finish(copy, 0);
            }
        }
        Ok(true)
    }
}

/// Parses one YAML document with the given budgets.
pub fn parse(text: &str, limits: Limits) -> Result<Document, Error> {
    read(text, limits, false, None).0
}

/// Every scalar of the text that the parser reads before it stops, keys included and each
/// decoded (escapes, folding, `!!binary`), in the order written. A file whose YAML is broken
/// further down still spells its first values: what is printed of it (a snippet, a message)
/// must be masked as its values read.
///
/// The deadline is not looked at: masking never depends on time. After a parse the deadline
/// cut short (`error`, [`ErrorKind::OutOfTime`]), reading stops where that parse stopped, so
/// it reads the same values and costs no more than the parse did.
pub fn scalars_read(text: &str, limits: Limits, error: &Error) -> Vec<Node> {
    let stop_after = match error.kind {
        ErrorKind::OutOfTime(events) => Some(events),
        _ => None,
    };
    let limits = Limits {
        deadline: None,
        ..limits
    };
    read(text, limits, true, stop_after).1
}

fn read(
    text: &str,
    limits: Limits,
    keep: bool,
    stop_after: Option<usize>,
) -> (Result<Document, Error>, Vec<Node>) {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder {
        text,
        line_starts: std::cell::OnceCell::new(),
        cursor: Cell::new((0, 0)),
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        alias_bytes: 0,
        root: None,
        documents: 0,
        duplicates: Vec::new(),
        seen: keep.then(Vec::new),
    };
    let mut result = Ok(());
    let mut events = 0;
    while let Some(item) = parser.next_event() {
        if stop_after == Some(events) {
            break;
        }
        events += 1;
        if events % CLOCK_EVERY == 0
            && limits
                .deadline
                .is_some_and(|d| std::time::Instant::now() >= d)
        {
            let pos = match &item {
                Ok((_, span)) => pos_of(span),
                Err(e) => Pos::new(e.marker().line().max(1) as u32, e.marker().col() as u32 + 1),
            };
            result = Err(Error {
                pos,
                kind: ErrorKind::OutOfTime(events - 1),
            });
            break;
        }
        match item {
            Ok((event, span)) => match builder.event(event, &span) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            },
            Err(e) => {
                let m = e.marker();
                let pos = Pos::new(m.line().max(1) as u32, m.col() as u32 + 1);
                result = Err(builder.explain(pos, e.info()));
                break;
            }
        }
    }
    let seen = builder.seen.take().unwrap_or_default();
    let doc = result.map(|()| Document {
        root: builder.root,
        duplicates: builder.duplicates,
    });
    (doc, seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text, Limits::default()).unwrap().root.unwrap()
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let n = root("a: 1\nlist:\n  - x: hello\n    y: [1, 2]\n");
        let (k, v) = n.entry("list").unwrap();
        assert_eq!(k.pos, Pos::new(2, 1));
        let item = &v.as_seq().unwrap()[0];
        assert_eq!(item.pos, Pos::new(3, 5));
        let (yk, yv) = item.entry("y").unwrap();
        assert_eq!(yk.pos, Pos::new(4, 5));
        assert_eq!(yv.as_seq().unwrap()[1].pos, Pos::new(4, 12));
    }

    #[test]
    fn types_plain_scalars_by_core_schema() {
        let n = root("a: true\nb: 'true'\nc: ~\nd: 12\ne: 1.5\nf: 2026-07-01\ng:\n");
        assert_eq!(n.get("a").unwrap().as_bool(), Some(true));
        assert_eq!(n.get("b").unwrap().as_bool(), None);
        assert!(n.get("c").unwrap().is_null());
        assert_eq!(n.get("d").unwrap().type_name(), "a number");
        assert_eq!(n.get("e").unwrap().type_name(), "a number");
        assert_eq!(n.get("f").unwrap().as_str(), Some("2026-07-01"));
        assert!(n.get("g").unwrap().is_null());
    }

    #[test]
    fn reports_duplicate_keys_and_keeps_the_first() {
        let d = parse("a: 1\nb: 2\na: 3\n", Limits::default()).unwrap();
        assert_eq!(d.duplicates.len(), 1);
        assert_eq!(d.duplicates[0].pos, Pos::new(3, 1));
        assert_eq!(d.duplicates[0].first, Pos::new(1, 1));
        assert_eq!(d.root.unwrap().get("a").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn stops_alias_bombs() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='j' {
            bomb.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        let err = parse(&bomb, Limits::default()).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::TooManyNodes(_)), "{err:?}");
    }

    #[test]
    fn stops_deep_nesting_without_recursion() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse(&deep, Limits::default()).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::TooDeep(64)), "{err:?}");
        let mut block = String::new();
        for depth in 0..200 {
            block.push_str(&" ".repeat(depth));
            block.push_str("k:\n");
        }
        let err = parse(&block, Limits::default()).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::TooDeep(64)), "{err:?}");
    }

    #[test]
    fn stops_alias_bombs_made_of_big_values() {
        let bomb = format!(
            "a: &a \"{}\"\nb: [{}]\n",
            "x".repeat(100_000),
            vec!["*a"; 20].join(", ")
        );
        let err = parse(&bomb, Limits::default()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooMuchAliasedText(MAX_ALIAS_BYTES));
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn reads_binary_text_and_leaves_other_bytes_alone() {
        let n = root("a: !!binary c2VjcmV0IHRleHQ=\nb: !!binary R0lGODlhAQABAAAAACw=\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("secret text"));
        assert_eq!(n.get("a").unwrap().pos, Pos::new(1, 13));
        assert_eq!(n.get("b").unwrap().as_str(), Some("R0lGODlhAQABAAAAACw="));
    }

    #[test]
    fn errors_point_at_the_line_to_blame() {
        let at = |t: &str| parse(t, Limits::default()).unwrap_err().pos;
        // A key without `:`, noticed only at the next field or past the end.
        assert_eq!(at("a: 1\nowner x\n\nb: 2\n"), Pos::new(2, 1));
        assert_eq!(at("a: 1\nnotes\n"), Pos::new(2, 1));
        // An unclosed bracket, noticed only at the next field.
        assert_eq!(at("a: [1, 2\nb: 3\n"), Pos::new(1, 4));
        // A stray list item, and a tab after a colon.
        assert_eq!(at("a: 1\n- b\n"), Pos::new(2, 1));
        assert_eq!(at("a:\tb\n"), Pos::new(1, 3));
    }

    #[test]
    fn big_mappings_and_tagged_lists_stay_linear() {
        let keys: String = (0..20_000).map(|i| format!("k{i}: {i}\n")).collect();
        let d = parse(&format!("{keys}k7: again\n"), Limits::default()).unwrap();
        assert_eq!(d.duplicates.len(), 1);
        let tags = format!("a: [{}]\n", vec!["!!str x"; 20_000].join(", "));
        let n = root(&tags);
        assert_eq!(
            n.get("a").unwrap().as_seq().unwrap()[19_999].pos.col,
            4 + 9 * 19_999 + 7
        );
    }

    #[test]
    fn values_start_past_their_properties() {
        let n = root("a: [&x1 v, &x2, !t w, !<tag:x,y> z, &x3 !!str u]\nb: &y # c\n  t\n");
        let cols: Vec<u32> = n.get("a").unwrap().as_seq().unwrap()[..]
            .iter()
            .map(|v| v.pos.col)
            .collect();
        assert_eq!([cols[0], cols[2], cols[3], cols[4]], [9, 20, 34, 47]);
        assert_eq!(n.get("b").unwrap().pos.line, 2);
        // Empty anchored nodes on one line: each is placed without reading to the line's end
        // (quadratic: 175,000 of them took 90 s).
        let empty: Vec<String> = (0..40_000).map(|i| format!("&a{i}")).collect();
        let start = std::time::Instant::now();
        let n = root(&format!("a: [{}]\n", empty.join(",")));
        assert_eq!(n.get("a").unwrap().as_seq().unwrap().len(), 40_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n", Limits::default()).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Syntax(_)));
        assert!(err.pos.line >= 2, "{err:?}");
    }

    #[test]
    fn rejects_a_second_document() {
        let err = parse("a: 1\n---\nb: 2\n", Limits::default()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MultipleDocuments);
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn scalars_before_an_error_are_read_decoded() {
        let text = "a: \"\\x73k-1\"\n? !!binary c2stMg==\n: x\nb: [1\nc: 2\n";
        let err = parse(text, Limits::default()).unwrap_err();
        let read: Vec<(String, u32)> = scalars_read(text, Limits::default(), &err)
            .iter()
            .map(|n| (n.as_str().unwrap_or("").to_string(), n.pos.line))
            .collect();
        assert_eq!(
            &read[..4],
            [
                ("a".into(), 1),
                ("sk-1".into(), 1),
                ("sk-2".into(), 2),
                ("x".into(), 3)
            ]
        );
    }

    #[test]
    fn the_deadline_stops_reading_and_the_scalars_stop_there_too() {
        let text: String = (0..5_000).map(|i| format!("k{i}: v{i}\n")).collect();
        let past = Limits {
            deadline: Some(std::time::Instant::now()),
            ..Limits::default()
        };
        let err = parse(&text, past).unwrap_err();
        assert_eq!(err.kind, ErrorKind::OutOfTime(CLOCK_EVERY - 1));
        // Stream, document and mapping start, then key and value pairs.
        let pairs = (CLOCK_EVERY - 1 - 3) / 2;
        assert_eq!(err.pos.line as usize, pairs + 1);
        let read = scalars_read(&text, past, &err);
        assert_eq!(read.len(), CLOCK_EVERY - 1 - 3);
        assert_eq!(
            read.last().unwrap().as_str(),
            Some(&*format!("v{}", pairs - 1))
        );
        // A small document is never cut short; no deadline, no stop.
        assert!(parse("a: 1\n", past).is_ok());
        assert!(parse(&text, Limits::default()).is_ok());
    }

    #[test]
    fn empty_text_has_no_root() {
        assert!(parse("# just a comment\n", Limits::default())
            .unwrap()
            .root
            .is_none());
    }
}
