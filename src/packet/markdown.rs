//! Markdown front matter: the YAML between a first line `---` and the next `---` (or `...`).
//! The prose after it is rendered in `prose`.

use crate::yaml::Pos;

#[derive(Debug)]
pub(super) struct FrontMatter<'a> {
    pub yaml: &'a str,
    /// Lines before the YAML starts (the opening `---`), added back to every position.
    pub line_offset: u32,
    /// First line of prose after the closing line (1-based).
    pub prose_start: u32,
}

#[derive(Debug)]
pub(super) struct SplitError {
    pub pos: Pos,
    pub message: String,
    pub fix: &'static str,
}

fn is_fence(line: &str, closers: &[&str]) -> bool {
    let t = line.trim_end();
    closers.contains(&t)
}

pub(super) fn split(text: &str) -> Result<FrontMatter<'_>, SplitError> {
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
pub(super) fn declaring_yaml(text: &str) -> Option<&str> {
    match split(text) {
        Ok(fm) => Some(fm.yaml),
        Err(_) => {
            let first = text.split_inclusive('\n').next()?;
            is_fence(first, &["---"]).then(|| &text[first.len()..])
        }
    }
}

/// Does this line begin a new block (heading, list item, table row, fence, quote)? A line
/// test for scans that read the raw lines (a key split over two prose lines); rules that read
/// sentences use the rendered prose (`prose::render`).
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

#[cfg(test)]
mod tests {
    use super::*;

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
