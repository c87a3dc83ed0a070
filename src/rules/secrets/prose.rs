//! Secrets in Markdown prose as a reader sees it. The line scan reads the file as written, so
//! a key that the prose spells with an entity (`sk&#45;proj-…`, `&#115;k-…`), a backslash
//! escape (`sk\-proj…`), markup between its pieces (`sk-**proj**-…`, `sk-<b>proj</b>-…`) or
//! in a link's destination written that way is invisible to it, while anyone who opens the
//! rendered page can copy the key. So the scan also reads the rendered paragraphs
//! (`packet::prose`) and places each key at the file's spot through the paragraph's source
//! map. What the file shows is the spelling, not the key: that spelling, line by line, is
//! what must be masked wherever a line is printed, so each piece comes back as a mask-only
//! hit. A key the line scan already found is not reported twice.

use super::place::Covered;
use super::{Hit, Secret, MIN_PIECE};
use crate::packet::Paragraph;
use crate::rules::Ctx;
use std::collections::HashMap;
use std::ops::Range;

/// Lines and character columns of byte offsets in a text, counted on from the last offset
/// asked for on the same line: keys come in the order the prose has them, so a line of
/// thousands of keys is counted once, and a reference definition read out of order costs its
/// own line only.
struct Columns<'t> {
    text: &'t str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    last: HashMap<u32, (usize, u32)>,
}

impl<'t> Columns<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Columns {
            text,
            starts,
            last: HashMap::new(),
        }
    }

    /// The 1-based line holding byte `at`, and the bytes of that line (without its break).
    fn line_of(&self, at: usize) -> (u32, Range<usize>) {
        let i = self.starts.partition_point(|s| *s <= at).max(1) - 1;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |next| next - 1);
        (i as u32 + 1, self.starts[i]..end.max(self.starts[i]))
    }

    fn col(&mut self, line: u32, line_start: usize, at: usize) -> u32 {
        let (from, col) = match self.last.get(&line) {
            Some(&(byte, col)) if byte <= at => (byte, col),
            _ => (line_start, 1),
        };
        let col = col
            + self
                .text
                .get(from..at)
                .map_or(0, |t| t.chars().count() as u32);
        self.last.insert(line, (at, col));
        col
    }

    /// The file's spelling of `ranges` (bytes of the text), one trimmed piece per line it
    /// covers: `(line, column, piece)`.
    fn pieces(&mut self, ranges: &[Range<usize>]) -> Vec<(u32, u32, &'t str)> {
        let mut out = Vec::new();
        for r in ranges {
            let mut at = r.start;
            while at < r.end.min(self.text.len()) {
                let (line, bytes) = self.line_of(at);
                if let Some(raw) = self.text.get(at..r.end.min(bytes.end)) {
                    let piece = raw.trim();
                    if !piece.is_empty() {
                        let lead = raw.len() - raw.trim_start().len();
                        out.push((line, self.col(line, bytes.start, at + lead), piece));
                    }
                }
                at = bytes.end + 1;
            }
        }
        out
    }
}

impl Secret {
    /// Secrets the rendered prose shows, placed where the file writes them: a finding unless
    /// the line scan has a key there already (`out` holds its hits), and the file's spelling
    /// as mask-only hits.
    pub(super) fn prose_hits(&self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        if ctx.packet.prose_start.is_some() {
            self.paragraph_hits(&ctx.packet.text, ctx.paragraphs(), out);
        }
    }

    fn paragraph_hits(&self, text: &str, paragraphs: &[Paragraph], out: &mut Vec<Hit>) {
        let earlier = Covered::new(out);
        // Lines are counted only once a key turns up.
        let mut cols: Option<Columns<'_>> = None;
        // A paragraph that is one run of the file's own characters was read by the line scan.
        for para in paragraphs.iter().filter(|p| !p.is_verbatim()) {
            let which = self.which(&para.text);
            if which.is_empty() && !self.token_like {
                continue;
            }
            for f in self.find(&which, &para.text) {
                let secret = &para.text[f.start..f.end];
                let pieces = cols
                    .get_or_insert_with(|| Columns::new(text))
                    .pieces(&para.source(f.start, f.end));
                let found_already = pieces.iter().any(|(line, col, piece)| {
                    earlier.overlaps(*line, *col, col + piece.chars().count() as u32)
                });
                // Found already, the key as it reads is still masked: the line scan may have
                // read only its first piece (`sk-proj-…**rest**`).
                let pos = para.pos(f.start);
                out.push(Hit {
                    name: f.name.clone(),
                    line: pos.line,
                    col: pos.col,
                    secret: secret.to_string(),
                    mask_only: found_already,
                });
                for (line, col, piece) in pieces {
                    if piece != secret && piece.chars().count() >= MIN_PIECE {
                        out.push(Hit {
                            name: f.name.clone(),
                            line,
                            col,
                            secret: piece.to_string(),
                            mask_only: true,
                        });
                    }
                }
            }
        }
    }
}
