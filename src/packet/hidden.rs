//! Hidden characters: a packet the reviewer and the gate read differently. Found once per
//! file, right after decoding, and reported as `file-encoding` findings that do not stop the
//! packet being judged.

use crate::finding::Finding;
use crate::rules::core;
use crate::yaml::Pos;

/// Characters that change how a line displays without showing themselves: bidirectional
/// overrides and isolates (the "Trojan Source" trick: U+202E before `emitpu %9.99` shows a claim
/// the rules never see) and zero-width characters that split a word, a key or a field name.
fn hidden_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{2060}' => "WORD JOINER",
        '\u{2061}'..='\u{2064}' => "INVISIBLE OPERATOR",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        _ => return None,
    })
}

/// One finding per line that holds a hidden character, at the first one. They do not stop
/// the packet being judged: the other rules still run on the text as the gate reads it.
pub fn hidden_chars(text: &str) -> Vec<Finding> {
    // Every such character is encoded with one of these lead bytes: most files skip the rest.
    if !text.bytes().any(|b| matches!(b, 0xE1 | 0xE2 | 0xEF)) {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (col, (c, name)) = line
                .chars()
                .enumerate()
                .find_map(|(col, c)| hidden_char(c).map(|name| (col, (c, name))))?;
            Some(super::finding(
                core::FILE_ENCODING,
                None,
                Pos::new(i as u32 + 1, col as u32 + 1),
                format!(
                    "hidden character U+{:04X} ({name}): the line displays differently from what the gate reads",
                    u32::from(c)
                ),
                "delete the invisible character (an editor that shows invisible characters finds it)",
            ))
        })
        .collect()
}
