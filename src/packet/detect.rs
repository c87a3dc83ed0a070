//! Which files a folder scan judges: a file is a packet when its YAML says so, with `packet` as
//! a key of its root mapping, however that key is spelled (quoted, escaped, in a flow mapping,
//! behind a tag, an anchor, an explicit `?`, merged in with `<<`, or as `!!binary`).
//!
//! A file nobody named is skipped when it is no packet, so this decision is the gate's front
//! door: a packet it misses is never judged and the pull request passes. Two rules follow.
//! The cheap text test that spares most files a YAML parse ([`may_declare`]) must accept every
//! spelling the parser accepts (a property test holds it to that). And a file that declares
//! the key but cannot be judged whole (over the size cap, not valid text, broken YAML further
//! down) still counts as declared, read as far as it goes ([`declares`] on [`lossy_text`]), so
//! it fails instead of vanishing. Markdown declares only in its front matter.

use super::{markdown, Form};
use crate::yaml;

/// The root key every packet names its kind with.
pub const KEY: &str = "packet";
/// [`KEY`] in base64: a `!!binary` key decodes to it.
const KEY_BASE64: &str = "cGFja2V0";

/// Whether the text could declare a packet: `false` only when no YAML reading of it has the
/// key `packet` anywhere. Most files never spell it out and are settled by one substring
/// search; the YAML spellings without the literal word need a backslash escape (`"p\x61cket"`)
/// or a `!!binary` tag, and for those the text is searched again with escapes decoded and
/// whitespace (which base64 ignores) dropped.
pub fn may_declare(text: &str) -> bool {
    if text.contains(KEY) {
        return true;
    }
    // `Packet:` / `PACKET:` are not the key, but a reader takes them for it (see
    // [`written_at_margin`]).
    if text
        .as_bytes()
        .windows(KEY.len())
        .any(|w| w.eq_ignore_ascii_case(KEY.as_bytes()))
    {
        return true;
    }
    if !text.contains(['\\', '!']) {
        return false;
    }
    let folded = unescape_without_whitespace(text);
    folded.contains(KEY) || folded.contains(KEY_BASE64)
}

/// Whether a file of this form declares `packet` at the root, reading the YAML as far as it
/// parses. For files that cannot be parsed whole; a file that parses is asked its tree.
pub fn declares(form: Form, text: &str) -> bool {
    if !may_declare(text) {
        return false;
    }
    let yaml = match form {
        Form::Yaml => text,
        Form::Markdown => match markdown::declaring_yaml(text) {
            Some(yaml) => yaml,
            // A heading above the front matter, `----` or `+++` fences: the line still counts.
            None => return written_at_margin(form, text),
        },
    };
    yaml::root_has_key(yaml, KEY) || written_at_margin(form, text)
}

/// A line that a reader takes for the packet declaration, whatever the YAML makes of it:
/// `packet`, in any case, quoted or not, then any spacing (a tab, a no-break space) and `:`
/// or `=` (TOML front matter), at the margin — column 1 in YAML, outside code and indented
/// less than four spaces in Markdown (`--- packet: x` counts: a document start, then the
/// key). Such a file is judged, and fails if it cannot be read as a packet, instead of
/// disappearing from a folder scan because its spelling is off.
pub(super) fn written_at_margin(form: Form, text: &str) -> bool {
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if form == Form::Markdown {
            if let Some(open) = fence {
                if t.starts_with(open) {
                    fence = None;
                }
                continue;
            }
            if indent < 4 && (t.starts_with("```") || t.starts_with("~~~")) {
                fence = Some(&t[..3]);
                continue;
            }
            if indent >= 4 {
                continue;
            }
        } else if indent > 0 {
            continue;
        }
        let t = t.strip_prefix("--- ").map_or(t, str::trim_start);
        let key = t.trim_start_matches(['"', '\'']);
        let Some(head) = key.get(..KEY.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(KEY) {
            continue;
        }
        let rest = key[KEY.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start_matches(|c: char| c.is_whitespace());
        if rest.starts_with([':', '=']) {
            return true;
        }
    }
    false
}

/// Text to read a declaration from when the bytes are not valid text or are cut at the size
/// cap: the encoding [`super::decode_text`] would choose, with each bad sequence replaced by
/// U+FFFD and line endings normalised.
pub(super) fn lossy_text(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], word: fn([u8; 2]) -> u16| {
        let units = rest.chunks_exact(2).map(|c| word([c[0], c[1]]));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    let utf32 = |rest: &[u8], word: fn([u8; 4]) -> u32| {
        rest.chunks_exact(4)
            .map(|c| char::from_u32(word([c[0], c[1], c[2], c[3]])))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    // UTF-32 is never judged (its NUL bytes make it binary to the decoder), but a packet
    // saved that way must fail, not vanish; its marks come first, as they begin with UTF-16's.
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE, 0, 0]) {
        utf32(rest, u32::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(&[0, 0, 0xFE, 0xFF]) {
        utf32(rest, u32::from_be_bytes)
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)
    } else if super::looks_like_utf16(bytes) {
        // The zero half of each ASCII character says which end comes first.
        if bytes.get(1) == Some(&0) {
            utf16(bytes, u16::from_le_bytes)
        } else {
            utf16(bytes, u16::from_be_bytes)
        }
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

/// The text with YAML's double-quoted escapes decoded wherever they stand, escaped line
/// breaks joined, and the whitespace base64 skips removed. Decoding outside quotes too only
/// makes the test accept more, never less.
fn unescape_without_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut push = |c: char| {
        if !c.is_ascii_whitespace() {
            out.push(c);
        }
    };
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            push(c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        let hex = |n: usize, chars: &mut std::str::Chars<'_>| {
            let digits: String = chars.clone().take(n).collect();
            let code = (digits.len() == n)
                .then(|| u32::from_str_radix(&digits, 16).ok())
                .flatten()
                .and_then(char::from_u32);
            if code.is_some() {
                chars.nth(n - 1);
            }
            code
        };
        let decoded = match e {
            'x' => hex(2, &mut chars),
            'u' => hex(4, &mut chars),
            'U' => hex(8, &mut chars),
            // An escaped line break joins the lines; the whitespace after it goes anyway.
            '\n' => None,
            '0' => Some('\0'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'v' => Some('\u{b}'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            'N' => Some('\u{85}'),
            '_' => Some('\u{a0}'),
            'L' => Some('\u{2028}'),
            'P' => Some('\u{2029}'),
            other => Some(other),
        };
        if let Some(d) = decoded {
            push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefilter_sees_through_escapes_and_base64() {
        for text in [
            "packet: x\n",
            "\"p\\x61cket\": x\n",
            "\"\\u0070\\U00000061\\x63ket\": x\n",
            "? \"pac\\\n   ket\"\n: x\n",
            "? !!binary cGFja2V0\n: x\n",
            "? !!binary |\n  cGFj\n  a2V0\n: x\n",
            "? !!binary \"\\x63GFj\\ta2V0==\"\n: x\n",
        ] {
            assert!(may_declare(text), "{text:?}");
        }
        for text in ["owner: x\n", "a: \"\\x41\\n\"\n", "tag: !!str pack\n"] {
            assert!(!may_declare(text), "{text:?}");
        }
    }

    #[test]
    fn markdown_declares_in_its_front_matter_only() {
        let fenced = "# Example\n\n```yaml\npacket: budget-change\n```\n";
        assert!(!declares(Form::Markdown, fenced));
        assert!(!declares(
            Form::Markdown,
            &format!("---\ntitle: docs\n---\n{fenced}")
        ));
        assert!(declares(
            Form::Markdown,
            "---\n'packet': cost-trace\nowner: [x\n---\n"
        ));
        assert!(declares(
            Form::Markdown,
            "---\npacket: cost-trace\nnever closed\n"
        ));
    }

    #[test]
    fn lossy_text_reads_what_decoding_refuses() {
        assert_eq!(
            lossy_text(b"packet: x\r\n# \xff\n"),
            "packet: x\n# \u{fffd}\n"
        );
        let mut le = vec![];
        for u in "packet: x\n".encode_utf16() {
            le.extend(u.to_le_bytes());
        }
        assert_eq!(lossy_text(&le), "packet: x\n");
        le.insert(0, 0xFE);
        le.insert(0, 0xFF);
        le.push(0x41);
        assert_eq!(lossy_text(&le), "packet: x\n");
        let mut utf32 = vec![0, 0, 0xFE, 0xFF];
        for c in "packet: x\n".chars() {
            utf32.extend(u32::from(c).to_be_bytes());
        }
        assert_eq!(lossy_text(&utf32), "packet: x\n");
    }
}
