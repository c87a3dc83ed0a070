//! Hidden characters: a packet the reviewer and the gate would read differently. A zero-width
//! space inside `pack\u{200B}et:` or `$0.\u{200B}40` displays as nothing, so a reviewer reads `packet` and a
//! price; a gate reading the raw text would see neither. This step runs once, right after the
//! bytes are decoded and before YAML or Markdown is parsed: every character that displays as
//! nothing is taken out of the text all later stages read ([`strip`]), each line holding one
//! gets a `file-encoding` finding at the character, and [`Removed`] remembers where they
//! stood so every later finding is moved back to the column the file shows.
//!
//! What counts: Unicode's format characters (general category Cf: bidirectional controls,
//! zero-width characters, the soft hyphen, tags …), the default-ignorable code points that
//! renderers draw as nothing (Hangul fillers, the combining grapheme joiner, variation
//! selectors, reserved invisible code points), and the Braille blank. The table is checked
//! against the regex crate's Unicode tables in the tests below.
//!
//! Variation selectors are the one exception to "always a finding": after a symbol they pick
//! its emoji or text look (`\u{26A0}\u{FE0F}`, a warning sign drawn as an emoji), which is ordinary writing. They are still taken out of the
//! text the rules read, but reported only where they select nothing (after a letter, a digit,
//! a space, or at the start of a line).
//!
//! A right-to-left override is taken out too, but the gate still reads the line in its
//! logical order (`emitpu %9.99`, not the `99.9% uptime` it displays as): its finding is what
//! stops such a packet.

use crate::finding::Finding;
use crate::rules::core;
use crate::yaml::Pos;

/// How a character that displays as nothing is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Always a finding.
    Hidden,
    /// A variation selector: a finding only where it has nothing to select.
    Selector,
}

use Kind::{Hidden, Selector};

/// Every character taken out, in code point order (ranges do not overlap).
const TABLE: &[(char, char, &str, Kind)] = &[
    ('\u{00AD}', '\u{00AD}', "SOFT HYPHEN", Hidden),
    ('\u{034F}', '\u{034F}', "COMBINING GRAPHEME JOINER", Hidden),
    ('\u{0600}', '\u{0605}', "ARABIC NUMBER SIGN", Hidden),
    ('\u{061C}', '\u{061C}', "ARABIC LETTER MARK", Hidden),
    ('\u{06DD}', '\u{06DD}', "ARABIC END OF AYAH", Hidden),
    ('\u{070F}', '\u{070F}', "SYRIAC ABBREVIATION MARK", Hidden),
    ('\u{0890}', '\u{0891}', "ARABIC CURRENCY MARK ABOVE", Hidden),
    (
        '\u{08E2}',
        '\u{08E2}',
        "ARABIC DISPUTED END OF AYAH",
        Hidden,
    ),
    ('\u{115F}', '\u{115F}', "HANGUL CHOSEONG FILLER", Hidden),
    ('\u{1160}', '\u{1160}', "HANGUL JUNGSEONG FILLER", Hidden),
    ('\u{17B4}', '\u{17B5}', "KHMER INHERENT VOWEL", Hidden),
    (
        '\u{180B}',
        '\u{180D}',
        "MONGOLIAN FREE VARIATION SELECTOR",
        Selector,
    ),
    ('\u{180E}', '\u{180E}', "MONGOLIAN VOWEL SEPARATOR", Hidden),
    (
        '\u{180F}',
        '\u{180F}',
        "MONGOLIAN FREE VARIATION SELECTOR",
        Selector,
    ),
    ('\u{200B}', '\u{200B}', "ZERO WIDTH SPACE", Hidden),
    ('\u{200C}', '\u{200C}', "ZERO WIDTH NON-JOINER", Hidden),
    ('\u{200D}', '\u{200D}', "ZERO WIDTH JOINER", Hidden),
    ('\u{200E}', '\u{200E}', "LEFT-TO-RIGHT MARK", Hidden),
    ('\u{200F}', '\u{200F}', "RIGHT-TO-LEFT MARK", Hidden),
    ('\u{202A}', '\u{202A}', "LEFT-TO-RIGHT EMBEDDING", Hidden),
    ('\u{202B}', '\u{202B}', "RIGHT-TO-LEFT EMBEDDING", Hidden),
    ('\u{202C}', '\u{202C}', "POP DIRECTIONAL FORMATTING", Hidden),
    ('\u{202D}', '\u{202D}', "LEFT-TO-RIGHT OVERRIDE", Hidden),
    ('\u{202E}', '\u{202E}', "RIGHT-TO-LEFT OVERRIDE", Hidden),
    ('\u{2060}', '\u{2060}', "WORD JOINER", Hidden),
    ('\u{2061}', '\u{2064}', "INVISIBLE OPERATOR", Hidden),
    (
        '\u{2065}',
        '\u{2065}',
        "RESERVED INVISIBLE CODE POINT",
        Hidden,
    ),
    ('\u{2066}', '\u{2066}', "LEFT-TO-RIGHT ISOLATE", Hidden),
    ('\u{2067}', '\u{2067}', "RIGHT-TO-LEFT ISOLATE", Hidden),
    ('\u{2068}', '\u{2068}', "FIRST STRONG ISOLATE", Hidden),
    ('\u{2069}', '\u{2069}', "POP DIRECTIONAL ISOLATE", Hidden),
    (
        '\u{206A}',
        '\u{206F}',
        "DEPRECATED FORMAT CHARACTER",
        Hidden,
    ),
    ('\u{2800}', '\u{2800}', "BRAILLE PATTERN BLANK", Hidden),
    ('\u{3164}', '\u{3164}', "HANGUL FILLER", Hidden),
    ('\u{FE00}', '\u{FE0F}', "VARIATION SELECTOR", Selector),
    ('\u{FEFF}', '\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE", Hidden),
    ('\u{FFA0}', '\u{FFA0}', "HALFWIDTH HANGUL FILLER", Hidden),
    (
        '\u{FFF0}',
        '\u{FFF8}',
        "RESERVED INVISIBLE CODE POINT",
        Hidden,
    ),
    (
        '\u{FFF9}',
        '\u{FFFB}',
        "INTERLINEAR ANNOTATION CHARACTER",
        Hidden,
    ),
    ('\u{110BD}', '\u{110BD}', "KAITHI NUMBER SIGN", Hidden),
    ('\u{110CD}', '\u{110CD}', "KAITHI NUMBER SIGN ABOVE", Hidden),
    (
        '\u{13430}',
        '\u{1343F}',
        "EGYPTIAN HIEROGLYPH FORMAT CONTROL",
        Hidden,
    ),
    ('\u{1BCA0}', '\u{1BCA3}', "SHORTHAND FORMAT CONTROL", Hidden),
    (
        '\u{1D173}',
        '\u{1D17A}',
        "MUSICAL SYMBOL FORMAT CONTROL",
        Hidden,
    ),
    (
        '\u{E0000}',
        '\u{E0000}',
        "RESERVED INVISIBLE CODE POINT",
        Hidden,
    ),
    ('\u{E0001}', '\u{E0001}', "LANGUAGE TAG", Hidden),
    (
        '\u{E0002}',
        '\u{E001F}',
        "RESERVED INVISIBLE CODE POINT",
        Hidden,
    ),
    ('\u{E0020}', '\u{E007F}', "TAG CHARACTER", Hidden),
    (
        '\u{E0080}',
        '\u{E00FF}',
        "RESERVED INVISIBLE CODE POINT",
        Hidden,
    ),
    ('\u{E0100}', '\u{E01EF}', "VARIATION SELECTOR", Selector),
    (
        '\u{E01F0}',
        '\u{E0FFF}',
        "RESERVED INVISIBLE CODE POINT",
        Hidden,
    ),
];

fn lookup(c: char) -> Option<(&'static str, Kind)> {
    if c < '\u{00AD}' {
        return None;
    }
    let i = TABLE.partition_point(|(_, hi, ..)| *hi < c);
    TABLE
        .get(i)
        .filter(|(lo, ..)| *lo <= c)
        .map(|(_, _, name, kind)| (*name, *kind))
}

/// Hidden characters that appear only once YAML decodes a value — an escape in a
/// double-quoted scalar (`"\u200B"`), a `!!binary` value — are taken out of the tree's keys
/// and values too, one `file-encoding` finding at each value that held one, so a value of
/// nothing but a zero-width space is empty to every rule, as it is to a reader.
pub(super) fn strip_decoded(root: &mut crate::yaml::Node) -> Vec<Finding> {
    use crate::yaml::Value;
    let mut out = Vec::new();
    let mut report = |text: &mut String, pos: Pos| {
        let Some(c) = text.chars().find(|&c| lookup(c).is_some()) else {
            return;
        };
        let name = lookup(c).map_or("", |(n, _)| n);
        text.retain(|c| lookup(c).is_none());
        out.push(super::finding(
            core::FILE_ENCODING,
            None,
            pos,
            format!(
                "an escape decodes to the hidden character U+{:04X} ({name}): the value reads differently from what is displayed",
                u32::from(c)
            ),
            "delete the escape that writes an invisible character",
        ));
    };
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let pos = node.pos;
        match &mut node.value {
            Value::Scalar { text, .. } => {
                if !text.is_ascii() {
                    report(text, pos);
                }
            }
            Value::Seq(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    if !k.text.is_ascii() {
                        report(&mut k.text, k.pos);
                    }
                    stack.push(v);
                }
            }
        }
    }
    out
}

/// Does the character display as nothing? (The renderer drops those an entity spells, such
/// as `&#8203;`, which the text itself no longer holds.)
pub(super) fn is_hidden(c: char) -> bool {
    lookup(c).is_some()
}

/// What a selector may follow: a symbol or a letter of a script with variants, not ASCII, a
/// space or another invisible character. (A digit, `#` or `*` is the one ASCII base: a keycap, `1` U+FE0F U+20E3.)
fn selects_something(prev: Option<char>, next: Option<char>) -> bool {
    match prev {
        Some('0'..='9' | '#' | '*') => next == Some('\u{20E3}'),
        Some(p) => !p.is_ascii() && !p.is_whitespace() && lookup(p).is_none(),
        None => false,
    }
}

/// One character taken out of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cut {
    line: u32,
    /// Its column in the file (1-based, in characters).
    col: u32,
    c: char,
    /// Reported (and shown as a marker in snippets), or a variation selector doing its job.
    reported: bool,
}

/// Where characters were taken out, to move positions in the stripped text back to the
/// file's columns. Lines are never removed, so line numbers need no mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Sorted by line, then column.
    cuts: Vec<Cut>,
}

/// What a snippet shows in place of a reported hidden character: visible, and one column
/// wide, so the caret under a finding lines up with the file's columns.
pub(super) const MARKER: char = '\u{FFFD}';

impl Removed {
    pub fn is_empty(&self) -> bool {
        self.cuts.is_empty()
    }

    fn on_line(&self, line: u32) -> &[Cut] {
        let from = self.cuts.partition_point(|c| c.line < line);
        let to = from + self.cuts[from..].partition_point(|c| c.line == line);
        &self.cuts[from..to]
    }

    /// The file's column of the character at `col` of the stripped line: `col` plus the
    /// characters taken out before it. The `k`-th cut of a line stands before stripped
    /// column `cut.col - k`, which never decreases, so the count is a binary search (a line
    /// of thousands of hidden characters and findings stays linear).
    pub fn column(&self, line: u32, col: u32) -> u32 {
        let cuts = self.on_line(line);
        let (mut lo, mut hi) = (0, cuts.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if cuts[mid].col - mid as u32 <= col {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        col + lo as u32
    }

    /// Moves a finding made on the stripped text to the file's column.
    pub fn place(&self, f: &mut Finding) {
        if !self.cuts.is_empty() {
            f.column = self.column(f.line, f.column);
        }
    }

    /// A line of the stripped text as a snippet shows it: masked by `mask`, with a marker
    /// where each reported character stood (and a selector put back where it selects), so
    /// columns count as in the file. When masking changed the line, the masked line is shown
    /// as it is: a secret is never put back together to place a marker inside it.
    pub fn shown(&self, line: u32, text: &str, mask: impl Fn(&str) -> String) -> String {
        let masked = mask(text);
        let cuts = self.on_line(line);
        if cuts.is_empty() || masked != text {
            return masked;
        }
        let mut out = String::with_capacity(text.len() + 3 * cuts.len());
        let mut cuts = cuts.iter().peekable();
        let mut col = 1;
        let mut put_back = |col: &mut u32, out: &mut String| {
            while let Some(cut) = cuts.next_if(|c| c.col == *col) {
                out.push(if cut.reported { MARKER } else { cut.c });
                *col += 1;
            }
        };
        for c in text.chars() {
            put_back(&mut col, &mut out);
            out.push(c);
            col += 1;
        }
        put_back(&mut col, &mut out);
        out
    }
}

/// The decoded text with its hidden characters taken out.
#[derive(Debug)]
pub struct Stripped {
    pub text: String,
    pub removed: Removed,
    /// One `file-encoding` finding per line that holds a reported character, at the first
    /// one, in the file's own columns.
    pub findings: Vec<Finding>,
}

/// Takes every character that displays as nothing out of the text (see the module docs).
pub fn strip(text: String) -> Stripped {
    // Most packets are ASCII: one fast pass says there is nothing to do.
    if text.is_ascii() || !text.chars().any(|c| lookup(c).is_some()) {
        return Stripped {
            text,
            removed: Removed::default(),
            findings: Vec::new(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut cuts = Vec::new();
    let mut findings = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let n = i as u32 + 1;
        let mut reported_here = false;
        let mut prev = None;
        let mut chars = line.chars().peekable();
        let mut col = 0;
        while let Some(c) = chars.next() {
            col += 1;
            let Some((name, kind)) = lookup(c) else {
                out.push(c);
                prev = Some(c);
                continue;
            };
            let reported = kind == Hidden || !selects_something(prev, chars.peek().copied());
            cuts.push(Cut {
                line: n,
                col,
                c,
                reported,
            });
            if reported && !reported_here {
                reported_here = true;
                findings.push(super::finding(
                    core::FILE_ENCODING,
                    None,
                    Pos::new(n, col),
                    format!(
                        "hidden character U+{:04X} ({name}): the line displays differently from what it holds; the gate reads it with the character taken out",
                        u32::from(c)
                    ),
                    "delete the invisible character (an editor that shows invisible characters finds it)",
                ));
            }
            prev = Some(c);
        }
    }
    Stripped {
        text: out,
        removed: Removed { cuts },
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is exactly Cf, the default-ignorable code points and the Braille blank, as
    /// the regex crate's Unicode tables (a maintained copy of the Unicode data) define them.
    #[test]
    fn table_matches_unicode_data() {
        let hir = regex_syntax::Parser::new()
            .parse(r"[\p{Cf}\p{Default_Ignorable_Code_Point}\x{2800}]")
            .unwrap();
        let regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) =
            hir.kind()
        else {
            panic!("not a class")
        };
        let expected: Vec<(char, char)> = class
            .ranges()
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect();
        let mut ours: Vec<(char, char)> = Vec::new();
        for &(lo, hi, ..) in TABLE {
            match ours.last_mut() {
                Some((_, end)) if char::from_u32(u32::from(*end) + 1) == Some(lo) => *end = hi,
                _ => ours.push((lo, hi)),
            }
        }
        assert_eq!(ours, expected);
        assert!(TABLE.windows(2).all(|w| w[0].1 < w[1].0), "sorted, apart");
    }

    #[test]
    fn strips_and_maps_columns_back() {
        let s = strip("packet: x\npack\u{200B}et: a\u{200B}\u{202E}b c\n".into());
        assert_eq!(s.text, "packet: x\npacket: ab c\n");
        let at: Vec<(u32, u32)> = s.findings.iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(at, [(2, 5)], "one per line, at the first");
        // `b` is column 10 of the stripped line and column 13 in the file.
        assert_eq!(s.removed.column(2, 10), 13);
        assert_eq!(s.removed.column(2, 4), 4);
        assert_eq!(s.removed.column(2, 5), 6);
        assert_eq!(s.removed.column(1, 5), 5);
        // Runs of cuts, checked against counting one by one.
        let text = "a\u{200B}\u{200B}b\u{200B}c\u{200B}\u{200B}\u{200B}d\u{200B}";
        let t = strip(text.into());
        let slow = |col: u32| {
            let mut original = col;
            for cut in t.removed.on_line(1) {
                if cut.col <= original {
                    original += 1;
                }
            }
            original
        };
        for col in 1..=6 {
            assert_eq!(t.removed.column(1, col), slow(col), "column {col}");
        }
        assert_eq!(t.removed.column(1, 4), 10);
        let shown = s.removed.shown(2, "packet: ab c", str::to_string);
        assert_eq!(shown, "pack\u{FFFD}et: a\u{FFFD}\u{FFFD}b c");
        assert_eq!(shown.chars().position(|c| c == 'b'), Some(12));
        // A masked line is shown masked, without markers.
        assert_eq!(
            s.removed.shown(2, "packet: ab c", |_| "****".into()),
            "****"
        );
    }

    #[test]
    fn selectors_are_reported_only_where_they_select_nothing() {
        let s = strip("a: \u{26A0}\u{FE0F} 1\u{FE0F}\u{20E3}\nb: $0.4\u{FE0F}0\n".into());
        assert_eq!(s.text, "a: \u{26A0} 1\u{20E3}\nb: $0.40\n");
        let at: Vec<(u32, u32)> = s.findings.iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(at, [(2, 8)]);
        assert!(s.findings[0]
            .message
            .contains("U+FE0F (VARIATION SELECTOR)"));
        assert_eq!(
            s.removed.shown(1, "a: \u{26A0} 1\u{20E3}", str::to_string),
            "a: \u{26A0}\u{FE0F} 1\u{FE0F}\u{20E3}"
        );
    }

    #[test]
    fn ascii_and_plain_unicode_are_untouched() {
        for t in ["packet: x\n", "owner: Zoë — équipe\n"] {
            let s = strip(t.into());
            assert_eq!(s.text, t);
            assert!(s.removed.is_empty() && s.findings.is_empty());
        }
    }
}
