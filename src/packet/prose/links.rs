//! Links in the prose: where a link's destination is written, so its rendered text keeps
//! the way back to the file. An inline link's follows its text (`[t](dest)`), spelled with
//! any escapes and entities the file uses; a reference link's (`[t][r]`, `[t][]`, `[t]`) is in
//! its definition (`[r]: dest`), somewhere else in the prose. Each definition is rendered once,
//! in the order the file writes them, before the prose is read, so the reading never goes back
//! over the file however many links use one definition, and out of order.

use super::{Builder, Locator, Span};
use crate::yaml::Pos;

/// A link or image being rendered: its destination is written after its text, or in a
/// reference definition (`def`: where that definition starts).
pub(super) struct LinkFrame {
    dest: String,
    start: usize,
    end: usize,
    pos: Pos,
    text_from: usize,
    def: Option<usize>,
}

/// A reference definition's destination, rendered once where the definition writes it: each
/// link that uses it copies it (a definition used ten thousand times is read once, and the
/// reading never goes back to it).
#[derive(Debug, Default)]
pub(super) struct Rendered {
    text: String,
    spans: Vec<Span>,
}

impl Builder<'_> {
    /// A link or image starts: its destination comes at its end.
    pub(super) fn link_start(
        &mut self,
        dest: &str,
        range: std::ops::Range<usize>,
        def: Option<usize>,
    ) {
        let pos = self.loc.at(range.start);
        self.links.push(LinkFrame {
            dest: dest.to_string(),
            start: range.start,
            end: range.end,
            pos,
            text_from: self.text.len(),
            def,
        });
    }

    pub(super) fn link_end(&mut self) {
        let Some(frame) = self.links.pop() else {
            return;
        };
        let dest = frame.dest.as_str();
        let shown = self.text.get(frame.text_from..).unwrap_or("").trim();
        // An autolink (`<https://…>`) shows its destination already.
        if dest.is_empty() || shown == dest || dest.strip_prefix("mailto:") == Some(shown) {
            return;
        }
        let to = frame.end.min(self.src.len());
        // A reference link's destination is where its definition writes it.
        if let Some((key, def)) = frame.def.and_then(|d| self.defs.remove_entry(&d)) {
            if let Some(first) = def.spans.first().copied() {
                let none = first.src - self.base..first.src - self.base;
                self.atomic_at(" (", first.pos, none.clone());
                let at = self.text.len();
                self.text.push_str(&def.text);
                let spans = def.spans.iter().map(|s| Span {
                    at: s.at + at,
                    ..*s
                });
                self.spans.extend(spans);
                self.atomic_at(")", first.pos, none);
            }
            self.defs.insert(key, def);
            self.seen = self.seen.max(frame.end);
            return;
        }
        // An inline link's follows its text: after `](`, blanks and an opening `<`, spelled
        // as written (escapes and entities included), or else found as it reads.
        let from = self.seen.min(to);
        let found = destination_at(self.src, from, to).or_else(|| {
            self.src[from..to]
                .find(dest)
                .filter(|_| !dest.contains('\n'))
                .map(|i| from + i)
        });
        match found.filter(|_| !dest.contains('\n')) {
            Some(at) => {
                self.atomic(" (", at..at);
                let reached = self.aligned(dest, at, to);
                self.atomic(")", reached..reached);
            }
            None => {
                let whole = frame.start..to;
                self.atomic_at(" (", frame.pos, whole.start..whole.start);
                self.atomic_at(dest, frame.pos, whole.clone());
                self.atomic_at(")", frame.pos, whole.end..whole.end);
            }
        }
        // The next link's destination is looked for after this link, whatever was found.
        self.seen = self.seen.max(frame.end);
    }

    /// Renders every reference definition's destination once, in the order the file writes
    /// them, so the reading only ever moves forward; then starts the reading over.
    pub(super) fn read_definitions(&mut self, defs: &pulldown_cmark::RefDefs<'_>) {
        let mut all: Vec<(usize, usize, &str)> = defs
            .iter()
            .map(|(_, d)| (d.span.start, d.span.end, d.dest.as_ref()))
            .filter(|(_, _, dest)| !dest.is_empty() && !dest.contains('\n'))
            .collect();
        all.sort_unstable_by_key(|(start, ..)| *start);
        for (start, end, dest) in all {
            let end = end.min(self.src.len());
            let Some(at) = definition_destination(self.src, start.min(end), end) else {
                continue;
            };
            self.aligned(dest, at, end);
            let spans = std::mem::take(&mut self.spans);
            self.defs.insert(
                start,
                Rendered {
                    text: std::mem::take(&mut self.text),
                    spans,
                },
            );
            self.run_end = None;
        }
        self.loc = Locator::new(self.src, self.first_line);
        self.seen = 0;
    }
}

/// Where an inline link's destination starts: after the first `](` from `from`, the blanks
/// (one line break at most) and an opening `<`.
fn destination_at(src: &str, from: usize, to: usize) -> Option<usize> {
    let open = from + src[from..to].find("](")? + 2;
    skip_to_destination(src, open, to)
}

/// Where a reference definition's destination starts: after its label's `]:`, the blanks
/// and an opening `<`. The label ends at its first `]` not escaped.
fn definition_destination(src: &str, start: usize, end: usize) -> Option<usize> {
    let bytes = &src.as_bytes()[..end];
    let mut i = start + 1;
    while i < end && bytes[i] != b']' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    (bytes.get(i + 1) == Some(&b':')).then_some(())?;
    skip_to_destination(src, i + 2, end)
}

fn skip_to_destination(src: &str, mut i: usize, to: usize) -> Option<usize> {
    let bytes = &src.as_bytes()[..to];
    let mut breaks = 0;
    while i < to && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        breaks += usize::from(bytes[i] == b'\n');
        i += 1;
    }
    if breaks > 1 {
        return None;
    }
    i += usize::from(bytes.get(i) == Some(&b'<'));
    (i < to && src.is_char_boundary(i)).then_some(i)
}
