//! Markdown prose rendered to the plain text a reader sees, with the way back to the file.
//!
//! Rules that read sentences (claims above all) must judge what the prose says, not how it is
//! marked up: `**$0.40** per 1M tokens`, `&#36;0.40`, `\$0.40`, `<b>$0.40</b>` and a table
//! cell holding the sentence all display the same figure, so they must get the same verdict.
//! A maintained CommonMark parser (pulldown-cmark) decides what the markup means; this file
//! only turns its events into [`Paragraph`]s and keeps, for every run of rendered text, the
//! place in the file it came from, so a finding still points at the exact line and column.
//! It reads the packet text after hidden characters were taken out (`hidden`), and runs
//! after the front matter was split off (`markdown`), when a rule first asks for the prose.
//! Each run also keeps the bytes of the file it was rendered from ([`Paragraph::source`]),
//! so a key spelled with markup can be masked as the file spells it; where a link's
//! destination is written is `links`' business.

mod links;

use super::{hidden, html};
use crate::yaml::Pos;
use links::{LinkFrame, Rendered};

/// One piece of prose as a reader sees it: a paragraph, a heading, a list item, a table cell,
/// a line of a code block or a run of HTML text, rendered to plain text on one line (a
/// sentence wrapped over two lines is one sentence), with the way back to the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Paragraph {
    pub text: String,
    /// A heading (`#`, setext or `<h1>`…`<h6>`): what it says covers the text under it.
    pub heading: bool,
    /// A line of a fenced or indented code block.
    pub code: bool,
    /// Where the piece stands when it is (part of) a table cell.
    pub cell: Option<Cell>,
    /// Where each run of `text` comes from, in order of `at`.
    spans: Vec<Span>,
}

/// A table cell's place: which table of the prose (counted from 0), which row (0 is the
/// header row) and which column (0 is the first). A reader reads a cell with its column's
/// header and its row's first cell ("Uptime SLA" over "99.9%" in the row of "gpt-4o-mini").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    pub table: u32,
    pub row: u32,
    pub col: u32,
}

/// A run of rendered text and where it comes from. A verbatim run is the file's own
/// characters on one line, so each character has its own column and byte; any other run (an
/// entity, a line break read as a space) maps as a whole to the place of the construct it
/// came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    at: usize,
    pos: Pos,
    verbatim: bool,
    /// The bytes of the packet text the run was rendered from (for a verbatim run, its own
    /// characters; for an entity, the entity; empty where nothing in the file spells it, as
    /// the space a line break reads as).
    src: usize,
    src_end: usize,
}

/// How far apart (in bytes of the file) two runs of rendered text may stand and still be read
/// as one spelling: the markup between the pieces of a word (`**`, `<b>`, `</span>`).
const MARKUP_GAP: usize = 256;

impl Paragraph {
    /// The file position of a byte offset in `text`: the 1-based line and character column
    /// where that character, or the construct it was rendered from, stands in the file.
    pub fn pos(&self, offset: usize) -> Pos {
        let i = self.spans.partition_point(|s| s.at <= offset).max(1) - 1;
        let Some(span) = self.spans.get(i) else {
            return Pos::new(1, 1);
        };
        if !span.verbatim {
            return span.pos;
        }
        let mut end = offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let chars = self.text[span.at..end.max(span.at)].chars().count();
        Pos::new(span.pos.line, span.pos.col + chars as u32)
    }

    /// Is the text the file's own characters, on one line, as written (nothing rendered)?
    /// A scan of the file's lines has then read it already.
    pub fn is_verbatim(&self) -> bool {
        matches!(self.spans.as_slice(), [only] if only.verbatim)
    }

    /// The bytes of the packet text that `text[start..end]` was rendered from: the file's own
    /// spelling of it, markup between its pieces included (`sk-**proj**-…`, `&#115;k-…`).
    /// Usually one range; more when pieces stand apart (a reference link's destination is
    /// written in its definition). Ranges may cross lines (an HTML tag broken over two).
    pub fn source(&self, start: usize, end: usize) -> Vec<std::ops::Range<usize>> {
        let end = end.min(self.text.len());
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        if start >= end || self.spans.is_empty() {
            return out;
        }
        let first = self.spans.partition_point(|s| s.at <= start).max(1) - 1;
        for (k, span) in self.spans.iter().enumerate().skip(first) {
            if span.at >= end {
                break;
            }
            let (a, b) = if span.verbatim {
                let next = self.spans.get(k + 1).map_or(self.text.len(), |n| n.at);
                let (from, to) = (start.max(span.at), end.min(next));
                (span.src + (from - span.at), span.src + (to - span.at))
            } else {
                (span.src, span.src_end)
            };
            match out.last_mut() {
                Some(r) if a >= r.start && a <= r.end + MARKUP_GAP => r.end = r.end.max(b),
                _ => out.push(a..b),
            }
        }
        out.retain(|r| r.end > r.start);
        out
    }
}

/// Line and column of byte offsets in the prose, asked for mostly in increasing order (one
/// pass over the text in all); an earlier offset is counted from its line's start.
struct Locator<'s> {
    src: &'s str,
    byte: usize,
    pos: Pos,
}

impl<'s> Locator<'s> {
    fn new(src: &'s str, first_line: u32) -> Self {
        Locator {
            src,
            byte: 0,
            pos: Pos::new(first_line, 1),
        }
    }

    fn at(&mut self, offset: usize) -> Pos {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.byte {
            let back = &self.src[offset..self.byte];
            let line = self.pos.line - back.matches('\n').count() as u32;
            let start = self.src[..offset].rfind('\n').map_or(0, |i| i + 1);
            self.pos = Pos::new(line, self.src[start..offset].chars().count() as u32 + 1);
        } else {
            let ahead = &self.src[self.byte..offset];
            match ahead.rfind('\n') {
                Some(nl) => {
                    self.pos = Pos::new(
                        self.pos.line + ahead.matches('\n').count() as u32,
                        ahead[nl + 1..].chars().count() as u32 + 1,
                    );
                }
                None => self.pos.col += ahead.chars().count() as u32,
            }
        }
        self.byte = offset;
        self.pos
    }
}

/// The longest stretch of text one verbatim span covers.
const SPAN_BYTES: usize = 256;

/// How far a rendered character is looked for in its source before it is taken as written
/// differently (an escape, a tab expanded): past container prefixes such as `> ` or a list's
/// indentation, and no further, so a mismatch costs a bounded step.
const LOOKAHEAD: usize = 64;

/// Builds the pieces of one prose text from the parser's events.
struct Builder<'s> {
    src: &'s str,
    /// Where `src` starts in the packet text, and its line there.
    base: usize,
    first_line: u32,
    loc: Locator<'s>,
    out: Vec<Paragraph>,
    text: String,
    spans: Vec<Span>,
    heading: bool,
    code: bool,
    /// The table cell being read, and how many tables were opened before it.
    cell: Option<Cell>,
    tables: u32,
    /// Where the last verbatim run ends in the source (a run that goes on extends it).
    run_end: Option<usize>,
    /// The furthest the source has been read: a link's destination is looked for after it.
    seen: usize,
    links: Vec<LinkFrame>,
    html: html::Reader,
    /// Reference definitions' destinations, by where each definition starts.
    defs: std::collections::HashMap<usize, Rendered>,
}

impl<'s> Builder<'s> {
    fn flush(&mut self) {
        if self.text.trim().is_empty() {
            self.text.clear();
            self.spans.clear();
        } else {
            self.out.push(Paragraph {
                text: std::mem::take(&mut self.text),
                heading: self.heading,
                code: self.code,
                cell: self.cell,
                spans: std::mem::take(&mut self.spans),
            });
        }
        self.run_end = None;
    }

    /// Text that maps as a whole to `pos`, rendered from `src` (bytes of the prose).
    /// Characters that display as nothing (spelled as entities) are dropped; line breaks
    /// read as spaces.
    fn atomic_at(&mut self, text: &str, pos: Pos, src: std::ops::Range<usize>) {
        let start = self.text.len();
        for c in text.chars().filter(|c| !hidden::is_hidden(*c)) {
            self.text.push(if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                c
            });
        }
        let (from, to) = (self.base + src.start, self.base + src.end.max(src.start));
        if self.text.len() > start {
            match self.spans.last_mut() {
                Some(s) if !s.verbatim && s.pos == pos => {
                    s.src = s.src.min(from);
                    s.src_end = s.src_end.max(to);
                }
                _ => self.spans.push(Span {
                    at: start,
                    pos,
                    verbatim: false,
                    src: from,
                    src_end: to,
                }),
            }
        }
        self.run_end = None;
    }

    /// Text rendered from the construct at `src` (bytes of the prose).
    fn atomic(&mut self, text: &str, src: std::ops::Range<usize>) {
        self.seen = self.seen.max(src.end);
        let pos = self.loc.at(src.start);
        self.atomic_at(text, pos, src);
    }

    /// The file's own characters, on one line, starting at `src_at`.
    fn verbatim(&mut self, text: &str, src_at: usize) {
        if text.is_empty() {
            return;
        }
        let goes_on = self.run_end == Some(src_at) && self.spans.last().is_some_and(|s| s.verbatim);
        // A new span every `SPAN_BYTES` or so, so placing a character counts a bounded
        // stretch of text, however long the line (a 1 MiB line of claims stays linear). Each
        // span keeps the bytes of the file it covers.
        let mut span_at = if goes_on {
            self.spans.last().map_or(0, |s| s.at)
        } else {
            usize::MAX
        };
        let mut i = 0;
        while i < text.len() {
            let here = self.text.len() + i;
            if span_at == usize::MAX || here - span_at >= SPAN_BYTES {
                let pos = self.loc.at(src_at + i);
                self.spans.push(Span {
                    at: here,
                    pos,
                    verbatim: true,
                    src: self.base + src_at + i,
                    src_end: self.base + src_at + i,
                });
                span_at = here;
            }
            let step = (span_at + SPAN_BYTES - here).min(text.len() - i);
            i += step;
            while !text.is_char_boundary(i) {
                i += 1;
            }
            if let Some(last) = self.spans.last_mut() {
                last.src_end = self.base + src_at + i;
            }
        }
        self.text.push_str(text);
        self.run_end = Some(src_at + text.len());
        self.seen = self.seen.max(src_at + text.len());
    }

    /// Text the parser rendered from `range` of the source (`text` has no line break):
    /// each character is matched to the next source character that spells it, stepping
    /// over markup (backticks, container prefixes); a character written otherwise maps to
    /// where the reading stands. Returns the source offset reached.
    fn aligned(&mut self, text: &str, from: usize, to: usize) -> usize {
        let to = to.min(self.src.len());
        let from = from.min(to);
        if self.src[from..].starts_with(text) && from + text.len() <= to && !text.contains('\n') {
            self.verbatim(text, from);
            return from + text.len();
        }
        let mut cur = from;
        // (start in `text`, start in the source, end in the source) of the run being matched.
        let mut run: Option<(usize, usize, usize)> = None;
        for (ti, tc) in text.char_indices() {
            // An entity that spells this character maps to the whole entity.
            if tc != '&' && self.src[cur..to].starts_with('&') {
                if let Some((decoded, len)) = html::entity(&self.src[cur..to]) {
                    let mut one = decoded.chars();
                    if one.next() == Some(tc) && one.next().is_none() {
                        if let Some((t0, s0, _)) = run.take() {
                            self.verbatim(&text[t0..ti], s0);
                        }
                        self.atomic(&text[ti..ti + tc.len_utf8()], cur..cur + len);
                        cur += len;
                        continue;
                    }
                }
            }
            let found = self.src[cur..to]
                .char_indices()
                .take(LOOKAHEAD)
                .take_while(|(_, sc)| *sc != '\n' || tc.is_whitespace())
                .find(|(_, sc)| *sc == tc || (tc.is_whitespace() && sc.is_whitespace()))
                .map(|(i, sc)| (cur + i, sc));
            match found {
                Some((at, sc)) if sc != '\n' => {
                    match run {
                        Some((_, _, end)) if end == at => {}
                        _ => {
                            if let Some((t0, s0, _)) = run {
                                self.verbatim(&text[t0..ti], s0);
                            }
                            run = Some((ti, at, at));
                        }
                    }
                    if let Some(r) = run.as_mut() {
                        r.2 = at + sc.len_utf8();
                    }
                    cur = at + sc.len_utf8();
                }
                other => {
                    if let Some((t0, s0, _)) = run.take() {
                        self.verbatim(&text[t0..ti], s0);
                    }
                    let at = other.map_or(cur, |(at, _)| at);
                    self.atomic(&text[ti..ti + tc.len_utf8()], at..at);
                    if let Some((at, _)) = other {
                        cur = at + 1;
                    }
                }
            }
        }
        if let Some((t0, s0, _)) = run {
            self.verbatim(&text[t0..], s0);
        }
        self.seen = self.seen.max(cur);
        cur
    }

    /// A code block's text: each line its own piece.
    fn code_text(&mut self, text: &str, range: std::ops::Range<usize>) {
        let mut cur = range.start;
        let mut lines = text.split('\n').peekable();
        while let Some(line) = lines.next() {
            if !line.is_empty() {
                cur = self.aligned(line, cur, range.end);
            }
            if lines.peek().is_some() {
                self.flush();
                let end = range.end.min(self.src.len());
                cur = self.src[cur.min(end)..end]
                    .find('\n')
                    .map_or(end, |i| cur + i + 1);
            }
        }
    }

    /// Raw HTML: text between tags kept, entities decoded, block tags ending a piece.
    fn html_text(&mut self, chunk: &str, range: std::ops::Range<usize>) {
        for run in self.html.read(chunk) {
            match run {
                html::Run::Text(at, t) => {
                    self.aligned(t, range.start + at, range.end);
                }
                html::Run::Entity { at, len, text } => {
                    let at = range.start + at;
                    self.atomic(&text, at..at + len);
                }
                html::Run::Break(at) => self.atomic(" ", range.start + at..range.start + at),
                html::Run::Tag { at, name, closing } => {
                    if html::is_heading(&name) {
                        self.flush();
                        self.heading = !closing;
                    } else if html::is_block(&name) {
                        self.flush();
                    } else if name == "br" {
                        self.atomic(" ", range.start + at..range.start + at);
                    }
                }
            }
        }
    }
}

/// The prose (the text after the front matter, starting at byte `base` of the packet text,
/// its first line numbered `first_line`) as a
/// reader sees it, piece by piece, rendered by a CommonMark parser (with GitHub's tables,
/// strikethrough and task lists): emphasis and strikethrough markers dropped, code spans
/// and code blocks kept as text, a link's or image's text followed by its destination,
/// HTML tags dropped and their text kept, entities and backslash escapes decoded, soft
/// line breaks read as spaces. A reference link's destination is placed where its definition
/// writes it.
pub(super) fn render(prose: &str, first_line: u32, base: usize) -> Vec<Paragraph> {
    use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut b = Builder {
        src: prose,
        base,
        first_line,
        loc: Locator::new(prose, first_line),
        out: Vec::new(),
        text: String::new(),
        spans: Vec::new(),
        heading: false,
        code: false,
        cell: None,
        tables: 0,
        run_end: None,
        seen: 0,
        links: Vec::new(),
        html: html::Reader::default(),
        defs: std::collections::HashMap::new(),
    };
    let mut events = Parser::new_ext(prose, options).into_offset_iter();
    b.read_definitions(events.reference_definitions());
    while let Some((event, range)) = events.next() {
        match event {
            Event::Text(t) if b.code => b.code_text(&t, range),
            Event::Text(t) | Event::Code(t) => {
                b.aligned(&t, range.start, range.end);
            }
            Event::Html(t) => b.html_text(&t, range),
            Event::InlineHtml(t) => {
                // A whole tag or comment: it never leaves the reader inside one.
                b.html = html::Reader::default();
                b.html_text(&t, range);
                b.html = html::Reader::default();
            }
            Event::SoftBreak | Event::HardBreak => b.atomic(" ", range.start..range.start),
            Event::Start(
                Tag::Link {
                    link_type,
                    dest_url,
                    id,
                    ..
                }
                | Tag::Image {
                    link_type,
                    dest_url,
                    id,
                    ..
                },
            ) => {
                let by_reference = matches!(
                    link_type,
                    LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut
                );
                let def = by_reference
                    .then(|| events.reference_definitions().get(&id))
                    .flatten()
                    .map(|d| d.span.start);
                b.link_start(&dest_url, range, def);
            }
            Event::End(TagEnd::Link | TagEnd::Image) => b.link_end(),
            Event::Start(Tag::Heading { .. }) => {
                b.flush();
                b.heading = true;
            }
            Event::Start(Tag::CodeBlock(_)) => {
                b.flush();
                b.code = true;
            }
            Event::Start(Tag::HtmlBlock) => {
                b.flush();
                b.html = html::Reader::default();
            }
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock) => {
                b.flush();
                (b.heading, b.code) = (false, false);
            }
            // Tables: each cell is a piece of its own, and knows its row and column. The header
            // row is row 0; a body row starts the next.
            Event::Start(Tag::Table(_)) => {
                b.flush();
                b.cell = Some(Cell {
                    table: b.tables,
                    row: 0,
                    col: 0,
                });
                b.tables += 1;
            }
            Event::Start(Tag::TableHead) => {
                b.flush();
                if let Some(c) = b.cell.as_mut() {
                    c.col = 0;
                }
            }
            Event::Start(Tag::TableRow) => {
                b.flush();
                if let Some(c) = b.cell.as_mut() {
                    c.row += 1;
                    c.col = 0;
                }
            }
            Event::End(TagEnd::TableCell) => {
                b.flush();
                if let Some(c) = b.cell.as_mut() {
                    c.col += 1;
                }
            }
            Event::End(TagEnd::Table) => {
                b.flush();
                b.cell = None;
            }
            Event::Start(
                Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript,
            )
            | Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript,
            )
            | Event::TaskListMarker(_) => {}
            // Every other start or end is a block boundary: paragraphs, list items, quotes,
            // tables, rows and cells, rules.
            Event::Start(_) | Event::End(_) | Event::Rule => b.flush(),
            _ => {}
        }
    }
    b.flush();
    b.out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `prose` (its first line numbered 10) and returns each piece's text.
    fn texts(prose: &str) -> Vec<String> {
        render(prose, 10, 0).into_iter().map(|p| p.text).collect()
    }

    /// Where `needle` in the piece holding it is placed in the file.
    fn place(prose: &str, needle: &str) -> (u32, u32) {
        let ps = render(prose, 10, 0);
        let p = ps
            .iter()
            .find(|p| p.text.contains(needle))
            .unwrap_or_else(|| panic!("`{needle}` not in {ps:?}"));
        let pos = p.pos(p.text.find(needle).unwrap());
        (pos.line, pos.col)
    }

    #[test]
    fn markup_renders_to_what_it_displays() {
        let claim = "Input costs $0.40 per 1M tokens.";
        for prose in [
            "Input costs **$0.40** per 1M tokens.",
            "Input costs `$0.40` per 1M tokens.",
            "Input costs &#36;0.40 per 1M tokens.",
            "Input costs &dollar;0.40 per 1M tokens.",
            "Input costs \\$0.40 per 1M tokens.",
            "Input costs <b>$0.40</b> per 1M tokens.",
            "Input *costs* ~~$0.40~~ per 1M tokens.",
            "Input costs $0.40\nper 1M tokens.",
            "Input costs $0.40  \nper 1M tokens.",
            "| a |\n|---|\n| Input costs $0.40 per 1M tokens. |",
            "- Input costs $0.40 per 1M tokens.",
            "> Input costs $0.40\n> per 1M tokens.",
            "<p>Input costs &#36;0.40\nper 1M tokens.</p>",
            "Input costs $0.&#8203;40 per 1M tokens.",
        ] {
            assert!(
                texts(prose).iter().any(|t| t == claim),
                "{prose:?} renders as {:?}",
                texts(prose)
            );
        }
    }

    #[test]
    fn blocks_are_pieces() {
        let prose = "# Head *one*\n\nThis does not prove\n99.9% uptime.\n\n- item one\n  wrapped\n- item two\n  1. nested\n\n| a | b |\n|---|---|\n| c | d |\n\n```\ncode $1\n\nline 3\n```\n\n<div>\n<h2>Html head</h2>\ntext\n</div>\n";
        assert_eq!(
            texts(prose),
            [
                "Head one",
                "This does not prove 99.9% uptime.",
                "item one wrapped",
                "item two",
                "nested",
                "a",
                "b",
                "c",
                "d",
                "code $1",
                "line 3",
                "Html head",
                " text ",
            ]
        );
        let ps = render(prose, 1, 0);
        let flags: Vec<(bool, bool)> = ps.iter().map(|p| (p.heading, p.code)).collect();
        assert_eq!(flags[0], (true, false));
        assert_eq!(flags[1], (false, false));
        assert_eq!(flags[9], (false, true));
        assert_eq!(flags[11], (true, false));
        assert_eq!(flags[12], (false, false));
    }

    #[test]
    fn table_cells_know_their_row_and_column() {
        let prose = "Intro.\n\n| Model | Price |\n|---|---|\n| gpt-4o-mini | $0.15 |\n| | 99.9% |\n\nAfter.\n\n| a |\n|---|\n| b |\n";
        type Place = Option<(u32, u32, u32)>;
        let cells: Vec<(String, Place)> = render(prose, 1, 0)
            .into_iter()
            .map(|p| (p.text, p.cell.map(|c| (c.table, c.row, c.col))))
            .collect();
        let want = [
            ("Intro.", None),
            ("Model", Some((0, 0, 0))),
            ("Price", Some((0, 0, 1))),
            ("gpt-4o-mini", Some((0, 1, 0))),
            ("$0.15", Some((0, 1, 1))),
            // An empty cell is no piece, but the next one keeps its column.
            ("99.9%", Some((0, 2, 1))),
            ("After.", None),
            ("a", Some((1, 0, 0))),
            ("b", Some((1, 1, 0))),
        ];
        assert_eq!(
            cells,
            want.map(|(t, c)| (t.to_string(), c)).to_vec(),
            "{cells:?}"
        );
    }

    #[test]
    fn links_show_text_and_destination() {
        assert_eq!(
            texts("See [the price](https://x.example/p \"t\") and <https://y.example/>."),
            ["See the price (https://x.example/p) and https://y.example/."]
        );
        assert_eq!(
            texts("![chart $0.40](img.png) [ref][r]\n\n[r]: https://r.example/\n"),
            ["chart $0.40 (img.png) ref (https://r.example/)"]
        );
        // A destination is placed where it is written, a reference link's in its definition.
        let prose = "See [it](https://x.example/p).\nAnd [ref][r].\n\n[r]: https://r.example/\n";
        assert_eq!(place(prose, "https://x"), (10, 10));
        assert_eq!(place(prose, "https://r"), (13, 6));
    }

    #[test]
    fn offsets_map_back_to_the_file() {
        // Bold figure, code span, entity, escape, inline HTML: the figure's own column.
        assert_eq!(place("Input costs **$0.40** per 1M.", "$0.40"), (10, 15));
        assert_eq!(place("Input costs **$0.40** per 1M.", "per"), (10, 23));
        assert_eq!(place("x\n\nInput costs `$0.40` per 1M.", "$0.40"), (12, 14));
        assert_eq!(place("Input costs &#36;0.40 per 1M.", "$0.40"), (10, 13));
        assert_eq!(place("Input costs &#36;0.40 per 1M.", "0.40"), (10, 18));
        assert_eq!(place("Input costs \\$0.40 per 1M.", "$0.40"), (10, 14));
        assert_eq!(place("Input <b>costs $0.40</b>.", "$0.40"), (10, 16));
        // A wrapped sentence: the second line's words on the second line.
        assert_eq!(place("Input costs\n  $0.40 per 1M.", "$0.40"), (11, 3));
        // A table cell.
        assert_eq!(
            place("| a | b |\n|---|---|\n| x | $0.40 per 1M |", "$0.40"),
            (12, 7)
        );
        // Quoted and listed text, code block lines, non-ASCII before the figure.
        assert_eq!(place("> a\n> b $0.40", "$0.40"), (11, 5));
        assert_eq!(place("- é\n  ü $0.40", "$0.40"), (11, 5));
        assert_eq!(place("> ```\n> x\n> co $0.40\n> ```", "$0.40"), (12, 6));
        assert_eq!(place("    code\n    $0.40", "$0.40"), (11, 5));
        assert_eq!(place("<p>\nsome $0.40</p>", "$0.40"), (11, 6));
        // A code span across a line break.
        assert_eq!(place("`a\nb $0.40`", "$0.40"), (11, 3));
    }

    /// The file's spelling of `needle` as rendered in the piece holding it (a prose whose
    /// first byte is byte 0 of the file).
    fn spelling(prose: &str, needle: &str) -> Vec<String> {
        let ps = render(prose, 10, 0);
        let p = ps
            .iter()
            .find(|p| p.text.contains(needle))
            .unwrap_or_else(|| panic!("`{needle}` not in {ps:?}"));
        let at = p.text.find(needle).unwrap();
        p.source(at, at + needle.len())
            .into_iter()
            .map(|r| prose[r].to_string())
            .collect()
    }

    #[test]
    fn a_rendered_range_maps_to_the_file_spelling() {
        let key = "sk-proj-abc123";
        for (prose, spelled) in [
            ("The key sk-proj-abc123 here.", "sk-proj-abc123"),
            ("The key sk&#45;proj-abc123 here.", "sk&#45;proj-abc123"),
            ("The key &#115;k-proj-abc123 here.", "&#115;k-proj-abc123"),
            (
                "The key &#x73;k-proj-abc12&#51; here.",
                "&#x73;k-proj-abc12&#51;",
            ),
            ("The key sk\\-proj-abc123 here.", "sk\\-proj-abc123"),
            ("The key sk-**proj**-abc123 here.", "sk-**proj**-abc123"),
            (
                "The key sk-<b>proj</b>-abc123 here.",
                "sk-<b>proj</b>-abc123",
            ),
            ("| a |\n|---|\n| sk-*proj*-abc123 |", "sk-*proj*-abc123"),
            (
                "See [sk&#45;proj-abc123](https://x.example/).",
                "sk&#45;proj-abc123",
            ),
            (
                "See [it](https://x.example/?k=sk&#45;proj-abc123).",
                "sk&#45;proj-abc123",
            ),
            (
                "See [it][1].\n\n[1]: https://x.example/?k=sk&#45;proj-abc123",
                "sk&#45;proj-abc123",
            ),
        ] {
            assert_eq!(spelling(prose, key), [spelled], "{prose:?}");
        }
        // A second reading of the same definition maps to the same place.
        let twice = "[a][1] and [b][1]\n\n[1]: https://x.example/&#x61;";
        let p = &render(twice, 1, 0)[0];
        assert_eq!(
            p.text,
            "a (https://x.example/a) and b (https://x.example/a)"
        );
        let second = p.text.rfind("https").unwrap();
        assert_eq!(p.pos(second), Pos::new(3, 6));
        assert_eq!(
            p.source(second, p.text.len() - 1)
                .into_iter()
                .map(|r| &twice[r])
                .collect::<Vec<_>>(),
            ["https://x.example/&#x61;"]
        );
    }

    #[test]
    fn destinations_written_otherwise_are_placed_where_written() {
        assert_eq!(
            place("See [d](http&#58;//x.example/a).", "http://x"),
            (10, 9)
        );
        assert_eq!(
            place("See [d](<http&#58;//x.example/a>).", "http://x"),
            (10, 10)
        );
        assert_eq!(
            place("See [d](\n  https://x.example/a\\_b).", "https://x"),
            (11, 3)
        );
        assert_eq!(
            place(
                "See [d][r].\n\n[R]:\n  <http&#58;//x.example/a> \"t\"",
                "http://x"
            ),
            (13, 4)
        );
        assert_eq!(
            place("See [d].\n\n[d]: https://x.example/", "https://x"),
            (12, 6)
        );
        // The source of a run never runs past the text.
        for p in render("[a][1]\n\n[1]: &#x68;", 1, 0) {
            let _ = p.source(0, p.text.len() + 5);
        }
    }

    #[test]
    fn long_lines_keep_exact_columns() {
        for unit in [
            "Input costs $0.40 per 1M tokens. ",
            "Entrée coûte **$0.40** la ligne. ",
        ] {
            let line = unit.repeat(100);
            let ps = render(&line, 1, 0);
            let p = &ps[0];
            let (rendered, source) = (p.text.rfind('$').unwrap(), line.rfind('$').unwrap());
            let col = line[..source].chars().count() as u32 + 1;
            assert_eq!(p.pos(rendered), Pos::new(1, col), "{unit}");
            // The file's own spelling comes back whole across span boundaries.
            let pieces = p.source(0, p.text.len());
            assert_eq!(pieces.first().map(|r| r.start), Some(0), "{unit}");
            assert_eq!(
                pieces.last().map(|r| r.end),
                Some(line.trim_end().len()),
                "{unit}"
            );
            // Placing a character counts at most one span's text.
            let ends = p.spans.iter().skip(1).map(|s| s.at).chain([p.text.len()]);
            assert!(p
                .spans
                .iter()
                .zip(ends)
                .all(|(s, end)| end - s.at < SPAN_BYTES + 4));
        }
    }

    #[test]
    fn positions_past_the_end_and_odd_input_do_not_panic() {
        for prose in [
            "",
            "\n\n",
            "[",
            "<",
            "&#",
            "`",
            "<a href=\"",
            "<!--",
            "| a |\n|-",
            "[x](<a\nb>)",
            "*".repeat(1000).as_str(),
        ] {
            for p in render(prose, 3, 0) {
                let _ = p.pos(0);
                let _ = p.pos(p.text.len());
                let _ = p.pos(p.text.len() + 10);
            }
        }
    }
}
