//! Where a secret stands: which hits of earlier secret rules cover a new one ([`Covered`]),
//! which field a hit is in ([`Fields`]), and the file's own spelling of a secret, line by
//! line, as mask-only hits ([`spelling`], [`source_pieces`]), so every piece the file shows
//! is masked wherever that line is printed.

use super::{Hit, MIN_PIECE};
use crate::rules::secrets::text::Place;
use crate::rules::Ctx;
use crate::yaml::Pos;
use std::collections::HashMap;

/// Hits of earlier secret rules, by line: is a new hit inside one of them?
pub(super) struct Covered {
    /// Per line: (start column, the furthest end of hits starting there or before).
    lines: HashMap<u32, Vec<(u32, u32)>>,
}

impl Covered {
    pub(super) fn new(hits: &[Hit]) -> Self {
        let mut lines: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        for h in hits.iter().filter(|h| !h.mask_only) {
            lines.entry(h.line).or_default().push((h.col, h.end()));
        }
        for spans in lines.values_mut() {
            spans.sort_unstable();
            let mut reach = 0;
            for span in spans.iter_mut() {
                reach = reach.max(span.1);
                span.1 = reach;
            }
        }
        Covered { lines }
    }

    pub(super) fn covers(&self, h: &Hit) -> bool {
        self.lines.get(&h.line).is_some_and(|spans| {
            let i = spans.partition_point(|(col, _)| *col <= h.col);
            i > 0 && spans[i - 1].1 >= h.end()
        })
    }

    /// Does any of them stand on `line` between columns `from` and `to` (end exclusive)?
    pub(super) fn overlaps(&self, line: u32, from: u32, to: u32) -> bool {
        self.lines.get(&line).is_some_and(|spans| {
            let i = spans.partition_point(|(col, _)| *col < to);
            i > 0 && spans[i - 1].1 > from
        })
    }

    /// Does the hit start inside one of them?
    pub(super) fn holds_start(&self, line: u32, col: u32) -> bool {
        self.lines.get(&line).is_some_and(|spans| {
            // Spans are not merged, so look at every one that starts before.
            let i = spans.partition_point(|(c, _)| *c <= col);
            spans[..i].last().is_some_and(|(_, reach)| *reach > col)
        })
    }
}

/// Which field a hit is in: the value that starts last before it on its line (or the
/// multi-line value it continues), if the hit lies within that value.
pub(super) struct Fields<'c> {
    ctx: &'c Ctx<'c>,
    /// Per line that holds a hit: (column where a value starts on it, index in `scalars`).
    lines: HashMap<u32, Vec<(u32, usize)>>,
    /// Characters in each of those values.
    widths: HashMap<usize, u32>,
}

impl<'c> Fields<'c> {
    pub(super) fn new(ctx: &'c Ctx<'c>, hits: &[Hit]) -> Self {
        let mut wanted: Vec<u32> = hits.iter().map(|h| h.line).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut lines: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
        let mut widths = HashMap::new();
        for (i, (_, n)) in ctx.scalars.iter().enumerate() {
            let Some(text) = n.as_str() else { continue };
            let from = wanted.partition_point(|l| *l < n.pos.line);
            for &l in wanted[from..]
                .iter()
                .take_while(|l| **l <= n.end_line.max(n.pos.line))
            {
                let col = if l == n.pos.line { n.pos.col } else { 1 };
                lines.entry(l).or_default().push((col, i));
                widths
                    .entry(i)
                    .or_insert_with(|| text.chars().count() as u32);
            }
        }
        for starts in lines.values_mut() {
            starts.sort_unstable();
        }
        Fields { ctx, lines, widths }
    }

    pub(super) fn of(&self, hit: &Hit) -> Option<&'c str> {
        let starts = self.lines.get(&hit.line)?;
        let i = starts
            .partition_point(|(col, _)| *col <= hit.col)
            .checked_sub(1)?;
        let (path, node) = &self.ctx.scalars[starts[i].1];
        let text = node.as_str()?;
        // Within the value's width (quotes included); a secret in a comment after the value
        // is in no field.
        let inside = node.end_line > node.pos.line
            || hit.col <= node.pos.col + self.widths.get(&starts[i].1).copied().unwrap_or(0) + 1
            || text.len() <= 4096 && text.contains(&hit.secret);
        inside.then_some(path.text.as_str())
    }
}

/// The pieces of the source between two places (the first character of a secret and its
/// last), one per line, as mask-only hits.
pub(super) fn spelling(ctx: &Ctx<'_>, name: &str, from: Place, last: Place) -> Vec<Hit> {
    let mut out = Vec::new();
    for line_no in from.line..=last.line {
        let line = ctx.line(line_no);
        let start = if line_no == from.line {
            from.byte
        } else {
            line.len() - line.trim_start().len()
        };
        let end = if line_no == last.line {
            line[last.byte..]
                .chars()
                .next()
                .map_or(line.len(), |c| last.byte + c.len_utf8())
        } else {
            line.trim_end().len()
        };
        let piece = line.get(start..end.max(start)).unwrap_or("");
        if piece.chars().count() >= MIN_PIECE {
            out.push(Hit {
                name: name.to_string(),
                line: line_no,
                col: line[..start].chars().count() as u32 + 1,
                secret: piece.to_string(),
                mask_only: true,
            });
        }
    }
    out
}

/// The file's bytes `range` (starting at `first`), one trimmed piece per line, as mask-only
/// hits.
pub(super) fn source_pieces(
    text: &str,
    name: &str,
    range: std::ops::Range<usize>,
    first: Pos,
    out: &mut Vec<Hit>,
) {
    let Some(spelled) = text.get(range) else {
        return;
    };
    for (k, piece) in spelled.split('\n').enumerate() {
        let (line, col) = if k == 0 {
            (first.line, first.col)
        } else {
            (first.line + k as u32, 1)
        };
        let trimmed = piece.trim();
        if trimmed.chars().count() >= MIN_PIECE {
            let lead = piece.len() - piece.trim_start().len();
            out.push(Hit {
                name: name.to_string(),
                line,
                col: col + piece[..lead].chars().count() as u32,
                secret: trimmed.to_string(),
                mask_only: true,
            });
        }
    }
}
