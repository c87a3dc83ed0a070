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

use super::{hidden, html};
use crate::yaml::Pos;

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
    /// Where each run of `text` comes from, in order of `at`.
    spans: Vec<Span>,
}

/// A run of rendered text and where it comes from. A verbatim run is the file's own
/// characters on one line, so each character has its own column; any other run (an entity,
/// a line break read as a space, a link's destination written elsewhere) maps as a whole to
/// the place of the construct it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    at: usize,
    pos: Pos,
    verbatim: bool,
}

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

/// A link or image being rendered: its destination is written after its text.
struct LinkFrame {
    dest: String,
    end: usize,
    pos: Pos,
    text_from: usize,
}

/// Builds the pieces of one prose text from the parser's events.
struct Builder<'s> {
    src: &'s str,
    loc: Locator<'s>,
    out: Vec<Paragraph>,
    text: String,
    spans: Vec<Span>,
    heading: bool,
    code: bool,
    /// Where the last verbatim run ends in the source (a run that goes on extends it).
    run_end: Option<usize>,
    /// The furthest the source has been read: a link's destination is looked for after it.
    seen: usize,
    links: Vec<LinkFrame>,
    html: html::Reader,
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
                spans: std::mem::take(&mut self.spans),
            });
        }
        self.run_end = None;
    }

    /// Text that maps as a whole to `pos`. Characters that display as nothing (spelled as
    /// entities) are dropped; line breaks read as spaces.
    fn atomic_at(&mut self, text: &str, pos: Pos) {
        let start = self.text.len();
        for c in text.chars().filter(|c| !hidden::is_hidden(*c)) {
            self.text.push(if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                c
            });
        }
        if self.text.len() > start
            && !matches!(self.spans.last(), Some(s) if !s.verbatim && s.pos == pos)
        {
            self.spans.push(Span {
                at: start,
                pos,
                verbatim: false,
            });
        }
        self.run_end = None;
    }

    fn atomic(&mut self, text: &str, src_at: usize) {
        self.seen = self.seen.max(src_at);
        let pos = self.loc.at(src_at);
        self.atomic_at(text, pos);
    }

    /// The file's own characters, on one line, starting at `src_at`.
    fn verbatim(&mut self, text: &str, src_at: usize) {
        if text.is_empty() {
            return;
        }
        let goes_on = self.run_end == Some(src_at) && self.spans.last().is_some_and(|s| s.verbatim);
        // A new span every `SPAN_BYTES` or so, so placing a character counts a bounded
        // stretch of text, however long the line (a 1 MiB line of claims stays linear).
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
                });
                span_at = here;
            }
            let step = (span_at + SPAN_BYTES - here).min(text.len() - i);
            i += step;
            while !text.is_char_boundary(i) {
                i += 1;
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
                    self.atomic(&text[ti..ti + tc.len_utf8()], at);
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
                html::Run::Entity(at, t) => self.atomic(&t, range.start + at),
                html::Run::Break(at) => self.atomic(" ", range.start + at),
                html::Run::Tag { at, name, closing } => {
                    if html::is_heading(&name) {
                        self.flush();
                        self.heading = !closing;
                    } else if html::is_block(&name) {
                        self.flush();
                    } else if name == "br" {
                        self.atomic(" ", range.start + at);
                    }
                }
            }
        }
    }

    fn link_end(&mut self) {
        let Some(frame) = self.links.pop() else {
            return;
        };
        let dest = frame.dest.as_str();
        let shown = self.text.get(frame.text_from..).unwrap_or("").trim();
        // An autolink (`<https://…>`) shows its destination already.
        if dest.is_empty() || shown == dest || dest.strip_prefix("mailto:") == Some(shown) {
            return;
        }
        // The destination of an inline link follows its text; a reference link's is
        // written elsewhere, and maps to the link.
        let to = frame.end.min(self.src.len());
        let from = self.seen.min(to);
        let found = self.src[from..to]
            .find(dest)
            .filter(|_| !dest.contains('\n'))
            .map(|i| from + i);
        match found {
            Some(at) => {
                self.atomic(" (", at);
                self.verbatim(dest, at);
                let pos = self.loc.at(at);
                self.atomic_at(")", pos);
            }
            None => {
                self.atomic_at(" (", frame.pos);
                self.atomic_at(dest, frame.pos);
                self.atomic_at(")", frame.pos);
            }
        }
        // The next link's destination is looked for after this link, whatever was found.
        self.seen = self.seen.max(frame.end);
    }
}

/// The prose (the text after the front matter, its first line numbered `first_line`) as a
/// reader sees it, piece by piece, rendered by a CommonMark parser (with GitHub's tables,
/// strikethrough and task lists): emphasis and strikethrough markers dropped, code spans
/// and code blocks kept as text, a link's or image's text followed by its destination,
/// HTML tags dropped and their text kept, entities and backslash escapes decoded, soft
/// line breaks read as spaces.
pub fn render(prose: &str, first_line: u32) -> Vec<Paragraph> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut b = Builder {
        src: prose,
        loc: Locator::new(prose, first_line),
        out: Vec::new(),
        text: String::new(),
        spans: Vec::new(),
        heading: false,
        code: false,
        run_end: None,
        seen: 0,
        links: Vec::new(),
        html: html::Reader::default(),
    };
    for (event, range) in Parser::new_ext(prose, options).into_offset_iter() {
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
            Event::SoftBreak | Event::HardBreak => b.atomic(" ", range.start),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let pos = b.loc.at(range.start);
                b.links.push(LinkFrame {
                    dest: dest_url.to_string(),
                    end: range.end,
                    pos,
                    text_from: b.text.len(),
                });
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
        render(prose, 10).into_iter().map(|p| p.text).collect()
    }

    /// Where `needle` in the piece holding it is placed in the file.
    fn place(prose: &str, needle: &str) -> (u32, u32) {
        let ps = render(prose, 10);
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
        let ps = render(prose, 1);
        let flags: Vec<(bool, bool)> = ps.iter().map(|p| (p.heading, p.code)).collect();
        assert_eq!(flags[0], (true, false));
        assert_eq!(flags[1], (false, false));
        assert_eq!(flags[9], (false, true));
        assert_eq!(flags[11], (true, false));
        assert_eq!(flags[12], (false, false));
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
        // A destination is placed where it is written; a reference's, at the link.
        let prose = "See [it](https://x.example/p).\nAnd [ref][r].\n\n[r]: https://r.example/\n";
        assert_eq!(place(prose, "https://x"), (10, 10));
        assert_eq!(place(prose, "https://r"), (11, 5));
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

    #[test]
    fn long_lines_keep_exact_columns() {
        for unit in [
            "Input costs $0.40 per 1M tokens. ",
            "Entrée coûte **$0.40** la ligne. ",
        ] {
            let line = unit.repeat(100);
            let ps = render(&line, 1);
            let p = &ps[0];
            let (rendered, source) = (p.text.rfind('$').unwrap(), line.rfind('$').unwrap());
            let col = line[..source].chars().count() as u32 + 1;
            assert_eq!(p.pos(rendered), Pos::new(1, col), "{unit}");
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
            for p in render(prose, 3) {
                let _ = p.pos(0);
                let _ = p.pos(p.text.len());
                let _ = p.pos(p.text.len() + 10);
            }
        }
    }
}
