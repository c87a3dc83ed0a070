//! Markdown front matter: the YAML between a first line `---` and the next `---` (or `...`).

use crate::yaml::Pos;

#[derive(Debug)]
pub struct FrontMatter<'a> {
    pub yaml: &'a str,
    /// Lines before the YAML starts (the opening `---`), added back to every position.
    pub line_offset: u32,
    /// First line of prose after the closing line (1-based).
    pub prose_start: u32,
}

#[derive(Debug)]
pub struct SplitError {
    pub pos: Pos,
    pub message: String,
    pub fix: &'static str,
}

fn is_fence(line: &str, closers: &[&str]) -> bool {
    let t = line.trim_end();
    closers.contains(&t)
}

pub fn split(text: &str) -> Result<FrontMatter<'_>, SplitError> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if !is_fence(first, &["---"]) {
        return Err(SplitError {
            pos: Pos::new(1, 1),
            message: "Markdown packet has no YAML front matter (first line must be `---`)".into(),
            fix: "start the file with `---`, the packet fields, then a closing `---`",
        });
    }
    let start = first.len();
    let mut offset = start;
    for (i, line) in lines.enumerate() {
        if is_fence(line, &["---", "..."]) {
            return Ok(FrontMatter {
                yaml: &text[start..offset],
                line_offset: 1,
                prose_start: i as u32 + 3,
            });
        }
        offset += line.len();
    }
    Err(SplitError {
        pos: Pos::new(1, 1),
        message: "front matter opened with `---` at line 1 is never closed".into(),
        fix: "add a line `---` after the last packet field",
    })
}

/// The YAML a Markdown file declares itself in: the front matter, up to its closing line or,
/// when it is never closed, to the end of the file (a forgotten closer must not hide a
/// packet). `None` when the first line is not `---`: Markdown declares nothing in its body,
/// so a document showing an example packet in a fenced block is not a packet.
pub fn declaring_yaml(text: &str) -> Option<&str> {
    match split(text) {
        Ok(fm) => Some(fm.yaml),
        Err(_) => {
            let first = text.split_inclusive('\n').next()?;
            is_fence(first, &["---"]).then(|| &text[first.len()..])
        }
    }
}

/// A run of prose lines read as one text (a paragraph, a list item, a heading), so a sentence
/// wrapped over two lines is still one sentence. Lines are joined with `\n`.
#[derive(Debug, PartialEq, Eq)]
pub struct Paragraph {
    pub text: String,
    /// Byte offset in `text` where each line starts, with its 1-based line number.
    starts: Vec<(usize, u32)>,
}

impl Paragraph {
    /// The file position of a byte offset in `text`.
    pub fn pos(&self, offset: usize) -> Pos {
        let i = self.starts.partition_point(|(o, _)| *o <= offset).max(1) - 1;
        let (start, line) = self.starts[i];
        let col = self.text[start..offset].chars().count() as u32 + 1;
        Pos::new(line, col)
    }
}

/// Does this line begin a new block (heading, list item, table row, fence, quote)?
pub fn starts_block(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with(['#', '|', '>']) || t.starts_with("```") || t.starts_with("~~~") {
        return true;
    }
    if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        return rest.is_empty() || rest.starts_with(char::is_whitespace);
    }
    // `1. item` / `2) item`, but not `99.9% uptime`.
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = &t[digits..];
    digits > 0
        && rest.starts_with(['.', ')'])
        && (rest.len() == 1 || rest[1..].starts_with(char::is_whitespace))
}

/// Group prose lines into paragraphs: a blank line ends one, a block start begins one.
pub fn paragraphs<'a>(lines: impl Iterator<Item = (u32, &'a str)>) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut current: Option<Paragraph> = None;
    for (n, line) in lines {
        let blank = line.trim().is_empty();
        if blank || starts_block(line) {
            out.extend(current.take());
        }
        if blank {
            continue;
        }
        let p = current.get_or_insert_with(|| Paragraph {
            text: String::new(),
            starts: Vec::new(),
        });
        if !p.text.is_empty() {
            p.text.push('\n');
        }
        p.starts.push((p.text.len(), n));
        p.text.push_str(line);
        if line.trim_start().starts_with('#') {
            // A heading is one line.
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_join_wrapped_lines_and_map_positions() {
        let text = "# Head\nThis does not prove\n99.9% uptime.\n\n- item one\n  wrapped\n- item two\n1. three\n";
        let ps = paragraphs(text.lines().enumerate().map(|(i, l)| (i as u32 + 1, l)));
        let texts: Vec<&str> = ps.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "# Head",
                "This does not prove\n99.9% uptime.",
                "- item one\n  wrapped",
                "- item two",
                "1. three"
            ]
        );
        let at = ps[1].text.find("99.9").unwrap();
        assert_eq!(ps[1].pos(at), Pos::new(3, 1));
        assert_eq!(ps[1].pos(5), Pos::new(2, 6));
        assert_eq!(
            ps[2].pos(ps[2].text.find("wrapped").unwrap()),
            Pos::new(6, 3)
        );
    }

    #[test]
    fn splits_with_trailing_spaces_and_dot_closer() {
        let fm = split("---  \na: 1\n...\nprose\n").unwrap();
        assert_eq!(fm.yaml, "a: 1\n");
        assert_eq!(fm.prose_start, 4);
        let fm = split("---\n---\n").unwrap();
        assert_eq!(fm.yaml, "");
        assert_eq!(fm.prose_start, 3);
    }
}
