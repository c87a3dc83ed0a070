//! Raw HTML inside Markdown prose, read as the text it displays: tags dropped, the text
//! between them kept, entities decoded. CommonMark hands raw HTML through untouched (an HTML
//! block, or a tag inside a paragraph), so the prose renderer (`prose`) passes it here.
//!
//! This is not an HTML parser and does not need to be one: it only has to know where tags
//! are, because the text between them is what a browser shows. Comments are the exception
//! worth a decision: their text is not displayed, but a reviewer reads it in the diff and a
//! claim or key hidden there is still written in the packet, so it is read like text.
//! Entities are decoded by the CommonMark parser itself, one at a time (HTML's named entities
//! are CommonMark's), so no entity table lives here.

/// One piece of an HTML chunk, with its byte offset in the chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Run<'a> {
    /// Text shown as written.
    Text(usize, &'a str),
    /// An entity (`&#36;`, `&amp;`): where it starts, how many bytes it takes, and the text
    /// it stands for.
    Entity { at: usize, len: usize, text: String },
    /// A line break inside the HTML.
    Break(usize),
    /// A tag, by its lowercase name (empty for declarations and processing instructions).
    Tag {
        at: usize,
        name: String,
        closing: bool,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum State {
    #[default]
    Text,
    /// Inside `<…>`: the name read so far, whether it is still being read, and the quote a
    /// value is open in (a `>` inside quotes does not end the tag).
    Tag {
        at: usize,
        name: String,
        naming: bool,
        closing: bool,
        quote: Option<u8>,
    },
    Comment,
}

/// Reads HTML one chunk at a time (an HTML block comes line by line); a tag or a comment may
/// go on into the next chunk.
#[derive(Debug, Default)]
pub(super) struct Reader {
    state: State,
}

/// Does a tag start at `rest` (just after its `<`)? A letter, `/` and a letter, `!` or `?`.
fn opens_tag(rest: &[u8]) -> Option<bool> {
    match rest {
        [b'/', c, ..] if c.is_ascii_alphabetic() => Some(true),
        [c, ..] if c.is_ascii_alphabetic() || *c == b'!' || *c == b'?' => Some(false),
        _ => None,
    }
}

/// The entity at the start of `rest` (which starts with `&`) and its length, if the
/// CommonMark parser reads it as one. A numeric one is decoded here, as CommonMark does
/// (up to 7 decimal or 6 hex digits; no character, a surrogate or NUL reads as U+FFFD); a
/// named one is left to the parser, which holds HTML's table.
pub fn entity(rest: &str) -> Option<(String, usize)> {
    if let Some(found) = numeric_entity(rest) {
        return Some(found);
    }
    let end = rest
        .bytes()
        .take(34)
        .skip(1)
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'#'))
        .map(|i| i + 1)?;
    if end < 2 || rest.as_bytes()[end] != b';' {
        return None;
    }
    let raw = &rest[..=end];
    let decoded: String = pulldown_cmark::Parser::new(raw)
        .filter_map(|e| match e {
            pulldown_cmark::Event::Text(t) => Some(t),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat();
    (decoded != raw && !decoded.is_empty()).then_some((decoded, raw.len()))
}

fn numeric_entity(rest: &str) -> Option<(String, usize)> {
    let body = rest.strip_prefix("&#")?;
    let (digits, radix, max, skip) = match body.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16, 6, 3),
        None => (body, 10, 7, 2),
    };
    let n = digits
        .bytes()
        .take(max + 1)
        .take_while(|b| (*b as char).is_digit(radix))
        .count();
    if n == 0 || n > max || digits.as_bytes().get(n) != Some(&b';') {
        return None;
    }
    let c = u32::from_str_radix(&digits[..n], radix)
        .ok()
        .filter(|c| *c != 0)
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    Some((c.to_string(), skip + n + 1))
}

fn push_text<'a>(out: &mut Vec<Run<'a>>, chunk: &'a str, from: usize, to: usize) {
    if to > from {
        out.push(Run::Text(from, &chunk[from..to]));
    }
}

impl Reader {
    /// The runs of one chunk, in order.
    pub(super) fn read<'a>(&mut self, chunk: &'a str) -> Vec<Run<'a>> {
        let bytes = chunk.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        // Where the text not yet pushed starts.
        let mut from = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match &mut self.state {
                State::Text => match b {
                    b'\n' => {
                        push_text(&mut out, chunk, from, i);
                        out.push(Run::Break(i));
                        i += 1;
                        from = i;
                    }
                    b'&' => match entity(&chunk[i..]) {
                        Some((text, len)) => {
                            push_text(&mut out, chunk, from, i);
                            out.push(Run::Entity { at: i, len, text });
                            i += len;
                            from = i;
                        }
                        None => i += 1,
                    },
                    b'<' if bytes[i + 1..].starts_with(b"!--") => {
                        push_text(&mut out, chunk, from, i);
                        self.state = State::Comment;
                        i += 4;
                        from = i;
                    }
                    b'<' => match opens_tag(&bytes[i + 1..]) {
                        Some(closing) => {
                            push_text(&mut out, chunk, from, i);
                            self.state = State::Tag {
                                at: i,
                                name: String::new(),
                                naming: true,
                                closing,
                                quote: None,
                            };
                            i += 1 + usize::from(closing);
                            from = i;
                        }
                        None => i += 1,
                    },
                    _ => i += 1,
                },
                State::Tag {
                    at,
                    name,
                    naming,
                    closing,
                    quote,
                } => {
                    match (b, *quote) {
                        (q, Some(open)) if q == open => *quote = None,
                        (_, Some(_)) => {}
                        (b'"' | b'\'', None) => {
                            *naming = false;
                            *quote = Some(b);
                        }
                        (b'>', None) => {
                            out.push(Run::Tag {
                                at: *at,
                                name: std::mem::take(name),
                                closing: *closing,
                            });
                            self.state = State::Text;
                        }
                        (c, None) if *naming && c.is_ascii_alphanumeric() => {
                            name.push(c.to_ascii_lowercase() as char);
                        }
                        _ => *naming = false,
                    }
                    i += 1;
                    from = i;
                }
                State::Comment => {
                    if bytes[i..].starts_with(b"-->") {
                        push_text(&mut out, chunk, from, i);
                        self.state = State::Text;
                        i += 3;
                        from = i;
                    } else if b == b'\n' {
                        push_text(&mut out, chunk, from, i);
                        out.push(Run::Break(i));
                        i += 1;
                        from = i;
                    } else {
                        i += 1;
                    }
                }
            }
        }
        if !matches!(self.state, State::Tag { .. }) {
            push_text(&mut out, chunk, from, bytes.len());
        }
        out
    }
}

/// Tags that start a new block of text where they stand (a cell, a paragraph, a list item).
pub(super) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "caption"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "figcaption"
            | "figure"
            | "footer"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// `h1` … `h6`.
pub(super) fn is_heading(name: &str) -> bool {
    matches!(name.as_bytes(), [b'h', b'1'..=b'6'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(chunks: &[&str]) -> String {
        let mut r = Reader::default();
        let mut out = String::new();
        for c in chunks {
            for run in r.read(c) {
                match run {
                    Run::Text(_, t) => out.push_str(t),
                    Run::Entity { text, .. } => out.push_str(&text),
                    Run::Break(_) => out.push('/'),
                    Run::Tag { name, closing, .. } => {
                        out.push_str(&format!("[{}{name}]", if closing { "/" } else { "" }))
                    }
                }
            }
        }
        out
    }

    #[test]
    fn tags_drop_and_text_stays() {
        assert_eq!(
            texts(&["<p class=\"a>b\">Input costs &#36;0.40 &amp; more</p>\n"]),
            "[p]Input costs $0.40 & more[/p]/"
        );
        assert_eq!(texts(&["a <!-- hidden $1 --> b"]), "a  hidden $1  b");
        assert_eq!(texts(&["<!-- a\n", "b --> c"]), " a/b  c");
        assert_eq!(texts(&["<a\n", "href=x>t</a>"]), "[a]t[/a]");
        assert_eq!(texts(&["1 < 2 &bogus; &"]), "1 < 2 &bogus; &");
        assert_eq!(texts(&["<!DOCTYPE html><br/>x"]), "[][br]x");
    }

    #[test]
    fn offsets_point_into_the_chunk() {
        let chunk = "<b>x</b> &#36;1";
        let runs = Reader::default().read(chunk);
        assert_eq!(
            runs,
            [
                Run::Tag {
                    at: 0,
                    name: "b".into(),
                    closing: false
                },
                Run::Text(3, "x"),
                Run::Tag {
                    at: 4,
                    name: "b".into(),
                    closing: true
                },
                Run::Text(8, " "),
                Run::Entity {
                    at: 9,
                    len: 5,
                    text: "$".into()
                },
                Run::Text(14, "1"),
            ]
        );
    }

    #[test]
    fn numeric_entities_read_as_the_parser_reads_them() {
        for raw in [
            "&#36;",
            "&#x24;",
            "&#X24;",
            "&#0;",
            "&#1114112;",
            "&#xD800;",
            "&#12345678;",
            "&#x1234567;",
            "&#;",
            "&#x;",
            "&#36",
            "&#115;k",
            "&#0000036;",
        ] {
            let parsed: String = pulldown_cmark::Parser::new(raw)
                .filter_map(|e| match e {
                    pulldown_cmark::Event::Text(t) => Some(t.to_string()),
                    _ => None,
                })
                .collect();
            let ours = match entity(raw) {
                Some((text, len)) => format!("{text}{}", &raw[len..]),
                None => raw.to_string(),
            };
            assert_eq!(ours, parsed, "{raw}");
        }
    }
}
