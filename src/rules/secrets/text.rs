//! The text a secret scan reads, and the way back to the file: invisible characters taken
//! out ([`Visible`]), values and prose read across their line breaks and quoted pieces read
//! as one ([`Spliced`]), a decoded value matched to its source characters ([`align`]), and
//! columns counted in one forward pass ([`Cursor`]). Each is linear in the text, so a 1 MiB
//! packet full of keys costs one pass, not one pass per key.

use crate::rules::Ctx;
use crate::yaml::{Node, Pos};
use regex::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Characters that display as nothing. A key with one inside still works once it is deleted,
/// so the scan reads the text without them (the file's own spelling is what gets masked).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A text with its invisible characters taken out and its look-alike characters read as the
/// ASCII ones they are drawn like ([`crate::confusables`]: `ＡＫＩＡ…`, `ѕk-…`).
pub(super) struct Visible<'t> {
    text: Cow<'t, str>,
    /// Where the visible text and the original drift apart, in order: (offset in the visible
    /// text, bytes of the original skipped up to there, whether the entry ends a folded
    /// character rather than follows a removed run). A removed run sits between characters,
    /// so a range ending there ends before it; a folded character is inside, so a range
    /// ending after it ends after all its bytes.
    cuts: Vec<(usize, usize, bool)>,
}

impl<'t> Visible<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        // Every invisible or look-alike character is outside ASCII.
        if text.is_ascii()
            || !text
                .chars()
                .any(|c| invisible(c) || crate::confusables::fold_char(c).is_some())
        {
            return Visible {
                text: Cow::Borrowed(text),
                cuts: Vec::new(),
            };
        }
        let mut clean = String::with_capacity(text.len());
        let mut cuts: Vec<(usize, usize, bool)> = Vec::new();
        let mut skipped = 0;
        for c in text.chars() {
            if invisible(c) {
                skipped += c.len_utf8();
                match cuts.last_mut() {
                    Some((at, total, false)) if *at == clean.len() => *total = skipped,
                    _ => cuts.push((clean.len(), skipped, false)),
                }
            } else if let Some(a) = crate::confusables::fold_char(c) {
                clean.push(a);
                skipped += c.len_utf8() - a.len_utf8();
                cuts.push((clean.len(), skipped, true));
            } else {
                clean.push(c);
            }
        }
        Visible {
            text: Cow::Owned(clean),
            cuts,
        }
    }

    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// Where the character at visible offset `i` stands in the original text.
    pub(super) fn start(&self, i: usize) -> usize {
        let n = self.cuts.partition_point(|(at, _, _)| *at <= i);
        i + n.checked_sub(1).map_or(0, |n| self.cuts[n].1)
    }

    /// Where the visible text up to `i` ends in the original text.
    pub(super) fn end(&self, i: usize) -> usize {
        let n = self
            .cuts
            .partition_point(|(at, _, folded)| *at < i || (*at == i && *folded));
        i + n.checked_sub(1).map_or(0, |n| self.cuts[n].1)
    }
}

/// Line and column of byte offsets in a text, asked for in increasing order (asking for an
/// earlier one starts over).
pub(super) struct Cursor<'t> {
    text: &'t str,
    first: Pos,
    byte: usize,
    pos: Pos,
}

impl<'t> Cursor<'t> {
    /// `first` is the position of the text's first character.
    pub(super) fn new(text: &'t str, first: Pos) -> Self {
        Cursor {
            text,
            first,
            byte: 0,
            pos: first,
        }
    }

    pub(super) fn at(&mut self, byte: usize) -> Pos {
        if byte < self.byte {
            *self = Cursor::new(self.text, self.first);
        }
        for c in self.text[self.byte..byte].chars() {
            if c == '\n' {
                self.pos = Pos::new(self.pos.line + 1, 1);
            } else {
                self.pos.col += 1;
            }
        }
        self.byte = byte;
        self.pos
    }
}

/// Where a character of a value stands in the file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub line: u32,
    pub col: u32,
    /// Byte offset in the line.
    pub byte: usize,
}

/// The character a double-quoted escape (`rest` starts at its `\`) stands for, and how many
/// bytes it takes; `None` for a line-break escape or an unknown one.
fn escape(rest: &str) -> (Option<char>, usize) {
    let Some(e) = rest[1..].chars().next() else {
        return (None, 1);
    };
    let simple = |c: char| (Some(c), 1 + e.len_utf8());
    match e {
        '0' => simple('\0'),
        'a' => simple('\u{7}'),
        'b' => simple('\u{8}'),
        't' | '\t' => simple('\t'),
        'n' => simple('\n'),
        'v' => simple('\u{b}'),
        'f' => simple('\u{c}'),
        'r' => simple('\r'),
        'e' => simple('\u{1b}'),
        ' ' | '"' | '/' | '\\' => simple(e),
        'N' => simple('\u{85}'),
        '_' => simple('\u{a0}'),
        'L' => simple('\u{2028}'),
        'P' => simple('\u{2029}'),
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            rest.get(2..2 + n)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
                .map_or((None, 2), |c| (Some(c), 2 + n))
        }
        _ => (None, 1 + e.len_utf8()),
    }
}

/// Finds where characters of a scalar's value (byte offsets, ascending) stand in the file.
/// One walk over the value and its source together: each character of the value is matched
/// to the next source character that spells it (itself, or an escape in a double-quoted
/// value); quotes, indentation, line breaks and a block header are stepped over. `None` from
/// where the value cannot be followed in the source (a `!!binary` value) and for white space
/// (a line break may have become a space).
pub(super) fn align(
    ctx: &Ctx<'_>,
    node: &Node,
    value: &str,
    offsets: &[usize],
) -> Vec<Option<Place>> {
    let mut out = vec![None; offsets.len()];
    let last_line = node.end_line.max(node.pos.line);
    let mut line_no = node.pos.line;
    let mut line = ctx.line(line_no);
    let mut byte = line
        .char_indices()
        .nth(node.pos.col.saturating_sub(1) as usize)
        .map_or(line.len(), |(i, _)| i);
    let mut col = node.pos.col;
    let double = line[byte..].starts_with('"');
    if line[byte..].starts_with(['|', '>']) {
        // A block scalar: its text starts on the next line.
        byte = line.len();
    }
    let mut k = 0;
    'value: for (o, d) in value.char_indices() {
        if k == offsets.len() {
            break;
        }
        let wanted = offsets[k] == o;
        if !d.is_whitespace() {
            loop {
                let Some(c) = line[byte..].chars().next() else {
                    if line_no >= last_line {
                        break 'value;
                    }
                    line_no += 1;
                    line = ctx.line(line_no);
                    (byte, col) = (0, 1);
                    continue;
                };
                let (spelled, len) = if double && c == '\\' {
                    escape(&line[byte..])
                } else {
                    (Some(c), c.len_utf8())
                };
                let here = Place {
                    line: line_no,
                    col,
                    byte,
                };
                col += line[byte..byte + len].chars().count() as u32;
                byte += len;
                if spelled == Some(d) {
                    if wanted {
                        out[k] = Some(here);
                    }
                    break;
                }
            }
        }
        while k < offsets.len() && offsets[k] <= o {
            k += 1;
        }
    }
    out
}

/// Characters a key is made of, on both sides of a place where a text is read as one piece.
fn keyish(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// Quoted pieces glued together (`"sk-…" + "…"`, `"…" "…"`, `'…' . '…'`), also across a
/// line break.
fn glue() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"["'][ \t]*(?:(?:\+|\.|\|\|)[ \t]*)?(?:\n[ \t]*(?:(?:\+|\.|\|\|)[ \t]*)?)?["']"#,
        )
        .expect("static regex")
    })
}

/// The packet text read across the places where an author may split a key: the line breaks
/// inside a multi-line value or a prose paragraph (with the next line's indentation), and
/// quoted pieces glued together. Only the lines around such places are kept; `joins` are the
/// offsets where something was taken out, so a match that crosses one is a split secret.
#[derive(Debug, Default)]
pub(super) struct Spliced {
    pub text: String,
    /// (offset in `text`, offset in the packet text) where each copied run starts.
    runs: Vec<(usize, usize)>,
    joins: Vec<usize>,
}

/// A prose line without its trailing blanks and a hard line break's backslash (an odd run of
/// them: `\\` is an escaped backslash).
fn without_hard_break(line: &str) -> &str {
    let body = line.trim_end_matches([' ', '\t']);
    let slashes = body.len() - body.trim_end_matches('\\').len();
    if slashes % 2 == 1 {
        body[..body.len() - 1].trim_end_matches([' ', '\t'])
    } else {
        body
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// Where a YAML line's content starts: past its indentation and any `- ` item markers (the
/// lines of an item's mapping sit there, not deeper).
fn content_indent(line: &str) -> usize {
    let mut rest = line.trim_start_matches([' ', '\t']);
    while let Some(after) = rest
        .strip_prefix('-')
        .filter(|a| a.starts_with([' ', '\t']))
    {
        rest = after.trim_start_matches([' ', '\t']);
    }
    line.len() - rest.len()
}

/// Does some word of the text (letters and digits between separators) mix small letters with
/// a capital past its first letter, as random text does (`BJMIIzrh`, `qwErty`) and words do
/// not (`Configured`, `tokens`)?
pub(super) fn mixed_case(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        w.bytes().any(|b| b.is_ascii_lowercase())
            && w.bytes().skip(1).any(|b| b.is_ascii_uppercase())
    })
}

/// Does the text end in 8 or more capitals (the first half of an AWS key id, also at the
/// end of a link's path)?
fn capitals_at_end(run: &str) -> bool {
    run.bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric())
        .filter(|b| b.is_ascii_uppercase())
        .count()
        >= 8
        && run
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric())
            .all(|b| b.is_ascii_uppercase())
}

/// Does the line end in what may be the first part of a key: a run of key characters long
/// enough to be one, with a digit or mixed case inside a word (as random text has), all in
/// capitals (`AKIAGCLPIH`, an AWS key id's first half), or pieces joined by `_` or `-` as a
/// key's prefix joins them (`sk_live_Orxpaecw`, and, however short, `sk-pr` or `ghp_Gg`: the
/// first line of a key split over three)? Only then is it read on into the next line, so
/// `the key was` + `sk-…` does not become `wassk-…` (a key split again further down would be
/// lost), and prose words do not run together.
fn ends_in_fragment(line: &str) -> bool {
    let trimmed = line.trim_end();
    let start = trimmed
        .char_indices()
        .rev()
        .take_while(|(_, c)| keyish(*c) || matches!(c, '+' | '/' | '=' | '.' | '~'))
        .last()
        .map_or(trimmed.len(), |(i, _)| i);
    let run = &trimmed[start..];
    let alnum_start = run.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    // A key's prefix: two or more letters or digits, then `_` or `-` (`sk-`, `ghp_`).
    let prefixed = alnum_start
        .find(['_', '-'])
        .is_some_and(|i| i >= 2 && alnum_start[..i].bytes().all(|b| b.is_ascii_alphanumeric()));
    run.len() >= 8
        && (run.bytes().any(|b| b.is_ascii_digit())
            || capitals_at_end(run)
            || mixed_case(run)
            || run
                .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .contains(['_', '-']))
        || run.len() >= 3 && prefixed
}

impl Spliced {
    pub(super) fn new(ctx: &Ctx<'_>) -> Self {
        let text = ctx.packet.text.as_str();
        let count = text.split('\n').count();
        // 0-based line index → the line (ctx numbers them from 1).
        let line = |i: usize| ctx.line(i as u32 + 1);
        let blank = |i: usize| i >= count || line(i).trim().is_empty();
        // Lines `i` whose next line goes on from them (0-based), found without allocating
        // for the packets that have none.
        let mut joined: Vec<usize> = Vec::new();
        // Lines `i` whose value goes on in line `j` after blank lines only (a blank line in
        // a quoted or block scalar is a line break of the value): (i, j).
        let mut over_blanks: Vec<(usize, usize)> = Vec::new();
        for node in ctx.texts() {
            if node.end_line <= node.pos.line || node.as_str().is_none() {
                continue;
            }
            let first = node.pos.line as usize - 1;
            let base = indent(line(first));
            // Continuation lines sit deeper than the key, or (a value that starts its line,
            // as a block scalar's text does) at the value's own indentation.
            let own = node.pos.col as usize - 1 == base;
            let goes_on = |l: &str| indent(l) > base || own && indent(l) == base;
            let last = (node.end_line as usize - 1).min(count - 1);
            for i in first..last {
                if blank(i) || !ends_in_fragment(line(i)) {
                    continue;
                }
                let next = (i + 1..=last).find(|&j| !blank(j));
                match next {
                    Some(j) if j == i + 1 && goes_on(line(j)) => joined.push(i),
                    Some(j) if goes_on(line(j)) => over_blanks.push((i, j)),
                    _ => {}
                }
            }
        }
        // The YAML's lines, whatever the parser made of them (a file it gave up on has no
        // values to follow): a comment going on in the next line's comment, and a line going
        // on in a deeper one, also past blank lines (in YAML that can only continue a value),
        // and from there in the lines at that depth (the third line of a key split over three).
        let yaml_end = ctx
            .packet
            .prose_start
            .map_or(count, |p| (p as usize).saturating_sub(1).min(count));
        let mut comment_cuts: Vec<(usize, usize)> = Vec::new();
        // The line a value went on in, and its indentation.
        let mut going_on: Option<(usize, usize)> = None;
        for i in 0..yaml_end.saturating_sub(1) {
            let this = line(i);
            if blank(i) || !ends_in_fragment(this) {
                continue;
            }
            let Some(j) = (i + 1..yaml_end).find(|&j| !blank(j)) else {
                continue;
            };
            let next = line(j);
            let next_body = next.trim_start_matches([' ', '\t']);
            if let Some(comment) = next_body.strip_prefix('#') {
                let in_comment = this.trim_start().starts_with('#') || this.contains(" #");
                if in_comment && j == i + 1 {
                    let text_at = next.len() - comment.trim_start_matches([' ', '\t', '#']).len();
                    comment_cuts.push((i, text_at));
                }
            } else if indent(next) > content_indent(this) || going_on == Some((i, indent(next))) {
                if j == i + 1 {
                    joined.push(i);
                } else {
                    over_blanks.push((i, j));
                }
                going_on = Some((j, indent(next)));
            }
        }
        // Prose lines that end in a hard break (`\`): the backslash goes with the break.
        let mut hard_breaks: Vec<usize> = Vec::new();
        if let Some(start) = ctx.packet.prose_start {
            for i in (start as usize - 1)..count.saturating_sub(1) {
                let body = without_hard_break(line(i));
                if ends_in_fragment(body)
                    && !blank(i + 1)
                    && !crate::packet::starts_block(line(i + 1))
                {
                    joined.push(i);
                    if body.len() < line(i).trim_end_matches([' ', '\t']).len() {
                        hard_breaks.push(i);
                    }
                }
            }
        }
        let start_of = |i: usize| line(i).as_ptr() as usize - text.as_ptr() as usize;
        // What is taken out: the break between joined lines (trailing and leading blanks
        // included, and blank lines between), and the glue between quoted pieces.
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        for &i in &joined {
            let body = if hard_breaks.binary_search(&i).is_ok() {
                without_hard_break(line(i))
            } else {
                line(i).trim_end_matches([' ', '\t'])
            };
            cuts.push((
                start_of(i) + body.len(),
                start_of(i + 1) + indent(line(i + 1)),
            ));
        }
        for &(i, j) in &over_blanks {
            let end = start_of(i) + line(i).trim_end_matches([' ', '\t']).len();
            cuts.push((end, start_of(j) + indent(line(j))));
            joined.extend(i..j);
        }
        for &(i, text_at) in &comment_cuts {
            let end = start_of(i) + line(i).trim_end_matches([' ', '\t']).len();
            cuts.push((end, start_of(i + 1) + text_at));
            joined.push(i);
        }
        // (offset, lines before it), carried forward so line numbers cost one pass.
        let mut counted = (0, 0);
        for m in glue().find_iter(text) {
            let before = text[..m.start()].chars().next_back().is_some_and(keyish);
            let after = text[m.end()..].chars().next().is_some_and(keyish);
            if before && after {
                cuts.push((m.start(), m.end()));
                if let Some(nl) = m.as_str().find('\n') {
                    let at = m.start() + nl;
                    counted = (at, counted.1 + text[counted.0..at].matches('\n').count());
                    joined.push(counted.1);
                }
            }
        }
        if cuts.is_empty() {
            return Spliced::default();
        }
        cuts.sort_unstable();
        joined.sort_unstable();
        joined.dedup();
        let is_joined = |i: usize| joined.binary_search(&i).is_ok();
        let mut out = Spliced::default();
        let mut cut = cuts.iter().peekable();
        let mut i = 0;
        while i < count {
            let group_start = i;
            while i + 1 < count && is_joined(i) {
                i += 1;
            }
            let (from, to) = (start_of(group_start), start_of(i) + line(i).len());
            i += 1;
            while cut.next_if(|c| c.0 < from).is_some() {}
            // A line on its own is kept only when a glue cut falls inside it.
            if group_start + 1 == i && cut.peek().is_none_or(|c| c.0 >= to) {
                continue;
            }
            let mut at = from;
            while let Some(&&(start, end)) = cut.peek().filter(|c| c.0 < to) {
                cut.next();
                if start < at {
                    at = at.max(end);
                    continue;
                }
                out.runs.push((out.text.len(), at));
                out.text.push_str(&text[at..start]);
                out.joins.push(out.text.len());
                at = end;
            }
            out.runs.push((out.text.len(), at));
            out.text.push_str(&text[at.min(to)..to]);
            out.text.push('\n');
        }
        out
    }

    pub(super) fn is_empty(&self) -> bool {
        self.joins.is_empty()
    }

    /// Does the range `start..end` of `text` take in a place where something was taken out?
    pub(super) fn crosses(&self, start: usize, end: usize) -> bool {
        let i = self.joins.partition_point(|j| *j <= start);
        self.joins.get(i).is_some_and(|j| *j < end)
    }

    /// The offset in the packet text of offset `i` of `text`.
    pub(super) fn original(&self, i: usize) -> usize {
        let r = self.runs.partition_point(|(at, _)| *at <= i) - 1;
        let (at, orig) = self.runs[r];
        orig + (i - at)
    }

    /// The pieces of `start..end` as the packet text has them (byte ranges there).
    pub(super) fn pieces(&self, start: usize, end: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = start;
        let first = self.joins.partition_point(|j| *j <= start);
        for &j in self.joins[first..].iter().take_while(|j| **j < end) {
            out.push((self.original(at), self.original(at) + (j - at)));
            at = j;
        }
        out.push((self.original(at), self.original(at) + (end - at)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_maps_back() {
        let v = Visible::new("ab\u{200b}cd");
        assert_eq!(v.text(), "abcd");
        assert_eq!((v.start(1), v.end(4)), (1, 7));
        assert_eq!((v.start(2), v.end(2)), (5, 2));
        // A look-alike is read as ASCII; a range ending after it ends after all its bytes.
        let wide = Visible::new("ｓ\u{200b}k-ѕ");
        assert_eq!(wide.text(), "sk-s");
        assert_eq!((wide.start(0), wide.end(1)), (0, 3));
        assert_eq!((wide.start(1), wide.end(2)), (6, 7));
        assert_eq!((wide.start(3), wide.end(4)), (8, 10));
        let plain = Visible::new("é plain");
        assert_eq!(
            (plain.text(), plain.start(3), plain.end(3)),
            ("é plain", 3, 3)
        );
    }

    #[test]
    fn escapes_decode() {
        assert_eq!(escape(r"\x73k"), (Some('s'), 4));
        assert_eq!(escape(r"\u00e9"), (Some('é'), 6));
        assert_eq!(escape(r#"\""#), (Some('"'), 2));
        assert_eq!(escape("\\"), (None, 1));
        assert_eq!(escape(r"\xZZ"), (None, 2));
    }

    #[test]
    fn fragments_of_keys_and_words() {
        for key in [
            "sk_live_BJMIIzrh",
            "see AKIAGCLPIH",
            "notes: http://x.example/AKIAHKXCBD",
            "x: ghp_qwErtyuiop",
            "sk-proj-378N4",
            // The short first line of a key split over three.
            "# test key: ghp_Gg",
            "  sk-pr",
            "the key was sk-",
        ] {
            assert!(ends_in_fragment(key), "{key}");
        }
        for words in [
            "the key was",
            "tokens configured",
            "Configured",
            "- url: https://x.example/a/",
            "notes: |",
            "- a",
            "x-",
            "sk",
        ] {
            assert!(!ends_in_fragment(words), "{words}");
        }
    }

    #[test]
    fn cursor_counts_lines_and_chars() {
        let mut c = Cursor::new("ab\né€x\n", Pos::new(1, 1));
        assert_eq!(c.at(1), Pos::new(1, 2));
        assert_eq!(c.at(8), Pos::new(2, 3));
        assert_eq!(c.at(0), Pos::new(1, 1));
    }
}
