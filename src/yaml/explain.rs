//! Pointing a parser error where a person would look. The scanner reports some mistakes
//! where it gave up, which can be lines later (a key without `:` is noticed at the next
//! token, an unclosed `[` at the next field, sometimes past the end of the file); these
//! helpers read the source again to find the line to blame. They run once per bad file.

use super::{Builder, Error, ErrorKind, Frame, Pos};

/// Is the line blank or only a comment (nothing the scanner reads)? Only spaces and tabs are
/// YAML white space: a form feed is content.
fn is_blank_yaml(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    t.is_empty() || t.starts_with('#') || t == "\r"
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl Builder<'_> {
    /// Turns a parser error into ours, pointing where a person would look: the scanner
    /// reports some errors where it gave up, not where the mistake is.
    pub(super) fn explain(&self, pos: Pos, info: &str) -> Error {
        if info.contains("recursion limit") {
            // The scanner's own flow-nesting guard (it reads ahead of our depth count):
            // point at the bracket that crosses our budget instead.
            let pos = self
                .flow_bracket_at(self.limits.max_depth + 1)
                .unwrap_or(pos);
            return Error {
                pos,
                kind: ErrorKind::TooDeep(self.limits.max_depth),
            };
        }
        if info.contains("must be followed by a valid YAML whitespace") {
            // `key:<TAB>value`: the scanner stops just past the tab.
            let before = Pos::new(pos.line, pos.col.saturating_sub(1));
            if let Some(tab) = [before, pos]
                .into_iter()
                .find(|p| self.char_at(*p) == Some('\t'))
            {
                return Error {
                    pos: tab,
                    kind: ErrorKind::Syntax("a tab after `:`; write a space there".into()),
                };
            }
        }
        if info.contains("tab") {
            if let Some(tab) = self.indent_tab_from(pos.line) {
                return Error {
                    pos: tab,
                    kind: ErrorKind::Syntax(
                        "a tab in the indentation; YAML indents with spaces".into(),
                    ),
                };
            }
        }
        // The scanner may give up on a line past the last one (`a: [b` with no final line
        // break): that is the end too, not a line to index.
        let at_end = pos.line as usize >= self.line_starts().len()
            && self.line(pos.line).is_none_or(|l| l.trim().is_empty());
        if let Some((open, c)) = self.open_flow_frame() {
            // Also when the parser only stops at a later field: a line no deeper than the
            // one that opened the bracket cannot continue it.
            let resumed = pos.line > open.line
                && self
                    .line(pos.line)
                    .is_some_and(|l| indent_of(l) <= self.line(open.line).map_or(0, indent_of));
            if at_end || resumed {
                return Error {
                    pos: open,
                    kind: ErrorKind::Syntax(format!("`{c}` opened here is never closed ({info})")),
                };
            }
        }
        if info.contains("simple key expect") {
            // The scanner notices a key without `:` only at the next token, which may be
            // lines later (or past the end): blame the key's own line.
            if let Some(key) = self.key_line_before(pos) {
                return Error {
                    pos: key,
                    kind: ErrorKind::Syntax(
                        "this line has no `:` after its key (a field is `key: value`)".into(),
                    ),
                };
            }
        }
        if info.contains("did not find expected key") {
            // The parser points past a stray `- ` item marker; point at the marker.
            if let Some(line) = self.line(pos.line) {
                let before: String = line.chars().take(pos.col as usize - 1).collect();
                if before.trim_start().starts_with('-') && before.trim_end().ends_with('-') {
                    let dash = before.chars().take_while(|c| *c == ' ').count() as u32;
                    return Error {
                        pos: Pos::new(pos.line, dash + 1),
                        kind: ErrorKind::Syntax(info.to_string()),
                    };
                }
            }
        }
        Error {
            pos,
            kind: ErrorKind::Syntax(info.to_string()),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// One line of the text (1-based), without its line break.
    fn line(&self, n: u32) -> Option<&str> {
        let start = *self.line_starts().get(n.checked_sub(1)? as usize)?;
        self.text[start..].split('\n').next()
    }

    fn char_at(&self, pos: Pos) -> Option<char> {
        self.line(pos.line)?
            .chars()
            .nth(pos.col.checked_sub(1)? as usize)
    }

    /// The line that starts the key the scanner gave up on at `pos`: the nearest line
    /// above that holds something and is indented no deeper than the token at `pos`.
    fn key_line_before(&self, pos: Pos) -> Option<Pos> {
        let indent = pos.col.saturating_sub(1) as usize;
        if let Some(line) = self.line(pos.line) {
            // Only when the scanner stopped at the first token of its line (or past the end).
            if line.chars().take(indent).any(|c| c != ' ') {
                return None;
            }
        }
        (1..pos.line).rev().find_map(|n| {
            let line = self.line(n)?;
            (!is_blank_yaml(line) && indent_of(line) <= indent)
                .then(|| Pos::new(n, indent_of(line) as u32 + 1))
        })
    }

    /// The innermost collection still open that was written in flow style (`[` / `{`).
    fn open_flow_frame(&self) -> Option<(Pos, char)> {
        self.stack.iter().rev().find_map(|f| {
            let pos = match f {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            self.char_at(pos)
                .filter(|c| matches!(c, '[' | '{'))
                .map(|c| (pos, c))
        })
    }

    /// The first line from `line` on whose indentation holds a tab, and the tab's column.
    fn indent_tab_from(&self, line: u32) -> Option<Pos> {
        let first = line.saturating_sub(1) as usize;
        self.text
            .split('\n')
            .enumerate()
            .skip(first)
            .find_map(|(i, l)| {
                let indent = l.len() - l.trim_start().len();
                l[..indent]
                    .find('\t')
                    .map(|b| Pos::new(i as u32 + 1, l[..b].chars().count() as u32 + 1))
            })
    }

    /// Where flow nesting reaches `depth`, counting from the deepest collection the builder
    /// has opened (brackets inside quotes are not counted).
    fn flow_bracket_at(&self, depth: usize) -> Option<Pos> {
        let (start, mut level) = match self.stack.last() {
            Some(Frame::Seq { pos, .. } | Frame::Map { pos, .. }) => (*pos, self.stack.len() - 1),
            None => (Pos::new(1, 1), 0),
        };
        let (mut line, mut col) = (start.line, start.col);
        let offset = self.line_starts().get(line as usize - 1)?;
        let line_text = &self.text[*offset..];
        let skip: usize = line_text
            .chars()
            .take(col as usize - 1)
            .map(char::len_utf8)
            .sum();
        let mut quote: Option<char> = None;
        for c in self.text[offset + skip..].chars() {
            match (quote, c) {
                (_, '\n') => {
                    line += 1;
                    col = 0;
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '[' | '{') => {
                    level += 1;
                    if level >= depth {
                        return Some(Pos::new(line, col));
                    }
                }
                (None, ']' | '}') => level = level.saturating_sub(1),
                _ => {}
            }
            col += 1;
        }
        None
    }
}
