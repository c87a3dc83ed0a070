//! The file read through the encodings a key is carried in when it is written out of its
//! place: percent-encoding (`sk%2Dproj-…`, from a URL), HTML character references
//! (`sk&#45;proj-…`), backslash escapes (`\x73k-…`, `\u0073k-…`, `sk\-proj`) and base64
//! after a `!!binary` tag. The YAML parser decodes escapes in double-quoted values and keys,
//! and the Markdown renderer decodes entities and escapes in prose; neither reads a comment,
//! a plain value or a line the parser gave up on (a syntax-error snippet prints it), and
//! nobody decodes percent-encoding but the site the link is opened on. So the secret scan
//! also reads the whole text with every such spelling decoded, wherever it stands, and maps
//! each key it finds back to the bytes the file spells it with. Decoding a spelling that
//! was not meant as one costs nothing: only a match of a key format counts.
//!
//! Escaped blanks (`\t`, `\0`, `\L`, `\N`, `\_`, `\x09` …: white space or a control character
//! as YAML decodes them) between two characters of a key are read through, as invisible
//! characters are: `gsk_Ss1…\t3Vv…` is one key split by a tab.
//!
//! One pass over the text; entities are decoded by the CommonMark parser's own rules
//! (`packet::html_entity`), `!!binary` as the YAML reader decodes it.

/// Characters that may start a spelling.
const STARTS: [char; 4] = ['%', '&', '\\', '!'];

/// The text with its spellings decoded, and where each decoded one came from.
#[derive(Debug)]
pub(super) struct Unescaped {
    pub text: String,
    /// One per decoded spelling: (start in `text`, end in `text`, start in the source, end
    /// in the source), in order.
    spans: Vec<(usize, usize, usize, usize)>,
}

/// One percent-encoded character at the start of `rest` (a run of `%HH` making one UTF-8
/// character) and the bytes it takes.
fn percent(rest: &str) -> Option<(char, usize)> {
    let byte = |i: usize| {
        let hex = rest.get(i * 3..i * 3 + 3)?.strip_prefix('%')?;
        u8::from_str_radix(hex, 16).ok()
    };
    let lead = byte(0)?;
    let len = match lead {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let bytes: Vec<u8> = (0..len).map(byte).collect::<Option<_>>()?;
    let c = std::str::from_utf8(&bytes).ok()?.chars().next()?;
    Some((c, len * 3))
}

/// A backslash escape at the start of `rest`: `\xHH`, `\uHHHH`, `\u{H…}`, `\UHHHHHHHH`, or
/// a backslash before ASCII punctuation (Markdown's and the shell's `\-`, `\_`).
fn backslash(rest: &str) -> Option<(char, usize)> {
    let body = &rest[1..];
    let hex = |digits: &str, n: usize| -> Option<char> {
        let h = digits.get(..n)?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        char::from_u32(u32::from_str_radix(h, 16).ok()?)
    };
    match body.chars().next()? {
        'x' => hex(&body[1..], 2).map(|c| (c, 4)),
        'u' if body[1..].starts_with('{') => {
            let end = body[2..].find('}').filter(|e| (1..=6).contains(e))?;
            hex(&body[2..], end).map(|c| (c, end + 4))
        }
        'u' => hex(&body[1..], 4).map(|c| (c, 6)),
        'U' => hex(&body[1..], 8).map(|c| (c, 10)),
        c if c.is_ascii_punctuation() => Some((c, 2)),
        _ => None,
    }
}

/// How `\_` is read: Markdown's (and the shell's) escaped `_`, or YAML's no-break space in a
/// double-quoted value. The text is read both ways when it holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Underscore {
    Markdown,
    Yaml,
}

/// A backslash escape at the start of `rest` that stands for white space or a control
/// character (YAML's `\t`, `\0`, `\n`, `\L`, `\N`, `\_` … in a double-quoted value, or a
/// `\x`/`\u` spelling of one), and its length.
fn blank_escape(rest: &str, underscore: Underscore) -> Option<usize> {
    let mut chars = rest.chars();
    if chars.next() != Some('\\') {
        return None;
    }
    let e = chars.next()?;
    if matches!(
        e,
        '0' | 'a' | 'b' | 't' | '\t' | 'n' | 'v' | 'f' | 'r' | 'e' | ' ' | 'N' | 'L' | 'P'
    ) || e == '_' && underscore == Underscore::Yaml
    {
        return Some(1 + e.len_utf8());
    }
    backslash(rest)
        .filter(|(c, _)| c.is_whitespace() || c.is_control())
        .map(|(_, len)| len)
}

/// Characters a key is made of.
fn keyish(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// A `!!binary` tag (or `!<tag:yaml.org,2002:binary>`) at the start of `rest`, followed by
/// base64 of text: how many bytes lead up to the base64, its length, and the text.
fn binary(rest: &str) -> Option<(usize, usize, String)> {
    let tag = ["!!binary", "!<tag:yaml.org,2002:binary>"]
        .into_iter()
        .find(|t| rest.starts_with(t))?;
    let after = &rest[tag.len()..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    if gap == 0 {
        return None;
    }
    let run = after[gap..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    if run < 8 {
        return None;
    }
    let text = crate::yaml::binary_text(&after[gap..gap + run])?;
    Some((tag.len() + gap, run, text))
}

/// The run of escaped blanks at `src[i..]`: `Ok(length)` when a key character stands on both
/// sides of it as decoded (`decoded` holds the text decoded up to `copied`), `Err(length)`
/// when not (0: no escaped blank there). The caller does not look inside a run again, so a
/// long one costs one pass.
fn blanks_inside_a_word(
    src: &str,
    i: usize,
    copied: usize,
    decoded: &str,
    underscore: Underscore,
) -> Result<usize, usize> {
    let Some(mut len) = blank_escape(&src[i..], underscore) else {
        return Err(0);
    };
    while let Some(more) = blank_escape(&src[i + len..], underscore) {
        len += more;
    }
    let before = src[copied..i]
        .chars()
        .next_back()
        .or_else(|| decoded.chars().next_back());
    let after = src[i + len..].chars().next();
    if before.is_some_and(keyish) && after.is_some_and(keyish) {
        Ok(len)
    } else {
        Err(len)
    }
}

impl Unescaped {
    /// `None` when the text spells nothing another way (most packets).
    pub(super) fn new(src: &str) -> Option<Self> {
        Self::reading(src, Underscore::Markdown)
    }

    /// The text read with `\_` as YAML reads it in a double-quoted value (a no-break space),
    /// when it holds one: `None` otherwise.
    pub(super) fn yaml_underscore(src: &str) -> Option<Self> {
        if !src.contains("\\_") {
            return None;
        }
        Self::reading(src, Underscore::Yaml)
    }

    fn reading(src: &str, underscore: Underscore) -> Option<Self> {
        if !src.contains(STARTS) {
            return None;
        }
        let mut out = Unescaped {
            text: String::with_capacity(src.len()),
            spans: Vec::new(),
        };
        let mut copied = 0;
        let mut at = 0;
        // The end of the last run of escaped blanks found not to be inside a word.
        let mut blank_run_end = 0;
        while let Some(i) = src[at..].find(STARTS).map(|i| at + i) {
            let rest = &src[i..];
            let decoded = match rest.as_bytes()[0] {
                b'%' => percent(rest).map(|(c, len)| (0, len, c.to_string())),
                b'&' => crate::packet::html_entity(rest).map(|(t, len)| (0, len, t)),
                // Escaped blanks between two characters of a key (`gsk_Ss1\t3Vv…`) are read
                // through, as invisible characters are: the key is one word split by them.
                b'\\' => match (i >= blank_run_end)
                    .then(|| blanks_inside_a_word(src, i, copied, &out.text, underscore))
                {
                    Some(Ok(len)) => Some((0, len, String::new())),
                    Some(Err(len)) => {
                        blank_run_end = i + len;
                        backslash(rest).map(|(c, len)| (0, len, c.to_string()))
                    }
                    None => backslash(rest).map(|(c, len)| (0, len, c.to_string())),
                },
                _ => binary(rest),
            };
            // A spelling of a control character is left as written: it is no part of a key.
            let Some((skip, len, text)) =
                decoded.filter(|(_, _, t)| !t.chars().any(|c| c.is_control() && c != '\t'))
            else {
                at = i + 1;
                continue;
            };
            let from = i + skip;
            out.text.push_str(&src[copied..from]);
            let start = out.text.len();
            out.text.push_str(&text);
            out.spans.push((start, out.text.len(), from, from + len));
            copied = from + len;
            at = copied;
        }
        if out.spans.is_empty() {
            return None;
        }
        out.text.push_str(&src[copied..]);
        Some(out)
    }

    /// Does `start..end` of the decoded text take in a decoded spelling? (If not, the text
    /// is as the file has it there, and the plain scan read it.)
    pub(super) fn crosses(&self, start: usize, end: usize) -> bool {
        let i = self.spans.partition_point(|s| s.1 <= start);
        self.spans.get(i).is_some_and(|s| s.0 < end)
    }

    /// Where escaped blanks were read through inside `start..end` of the decoded text: the
    /// value as YAML decodes it has white space there, so its pieces are spellings too.
    pub(super) fn blank_cuts(&self, start: usize, end: usize) -> Vec<usize> {
        let first = self.spans.partition_point(|s| s.0 <= start);
        self.spans[first..]
            .iter()
            .take_while(|s| s.0 < end)
            .filter(|s| s.0 == s.1)
            .map(|s| s.0)
            .collect()
    }

    /// The source offset where the decoded character at `i` is spelled (a decoded spelling
    /// maps to its first byte).
    pub(super) fn source_start(&self, i: usize) -> usize {
        let n = self.spans.partition_point(|s| s.0 <= i);
        match n.checked_sub(1).map(|n| self.spans[n]) {
            Some((_, end, from, _)) if i < end => from,
            Some((_, end, _, to)) => to + (i - end),
            None => i,
        }
    }

    /// The source offset where the decoded text up to `i` ends (a decoded spelling it ends
    /// inside is taken whole).
    pub(super) fn source_end(&self, i: usize) -> usize {
        let n = self.spans.partition_point(|s| s.0 < i);
        match n.checked_sub(1).map(|n| self.spans[n]) {
            Some((_, end, _, to)) if i <= end => to,
            Some((_, end, _, to)) => to + (i - end),
            None => i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(src: &str) -> String {
        Unescaped::new(src).map_or(src.to_string(), |u| u.text)
    }

    #[test]
    fn decodes_every_spelling() {
        assert_eq!(decoded("sk%2Dproj"), "sk-proj");
        assert_eq!(decoded("%C3%A9t%C3%A9"), "été");
        assert_eq!(
            decoded("sk&#45;proj &#x73;k &amp; &lowbar;"),
            "sk-proj sk & _"
        );
        assert_eq!(
            decoded(r"\x73k \u0073k \u{73}k \U00000073k sk\-proj"),
            "sk sk sk sk sk-proj"
        );
        assert_eq!(decoded("a: !!binary c2stcHJvai0x"), "a: !!binary sk-proj-1");
        // Not spellings: left as written.
        assert_eq!(
            decoded(r"100% \n \q &nope %ZZ %0A !!str x"),
            r"100% \n \q &nope %ZZ %0A !!str x"
        );
    }

    #[test]
    fn escaped_blanks_inside_a_word_are_read_through() {
        assert_eq!(
            decoded(r"gsk_ab\t3c gsk_ab\0\L3c ab\N3 ab\x093 ab\u00a03"),
            "gsk_ab3c gsk_ab3c ab3 ab3 ab3"
        );
        // Not between two characters of a key: left as written (or decoded, a tab).
        assert_eq!(decoded(r"a:\tb a \0 b \x09."), "a:\\tb a \\0 b \t.");
        // `\_` is Markdown's `_`, and YAML's no-break space in a second reading.
        assert_eq!(decoded(r"ab\_3c"), "ab_3c");
        let yaml = Unescaped::yaml_underscore(r"ab\_3c x\y").unwrap();
        assert_eq!(yaml.text, "ab3c x\\y");
        assert_eq!(yaml.blank_cuts(0, 4), [2]);
        assert_eq!((yaml.source_start(2), yaml.source_end(4)), (4, 6));
        assert!(Unescaped::yaml_underscore("ab_3c").is_none());
    }

    #[test]
    fn maps_back_to_the_source() {
        let src = "key=sk%2Dproj-1 !!binary c2stcHJvai0x";
        let u = Unescaped::new(src).unwrap();
        let at = u.text.find("sk-proj-1").unwrap();
        let (from, to) = (u.source_start(at), u.source_end(at + 9));
        assert_eq!(&src[from..to], "sk%2Dproj-1");
        assert!(u.crosses(at, at + 9));
        assert!(!u.crosses(0, 4));
        let bin = u.text.rfind("sk-proj-1").unwrap();
        let (from, to) = (u.source_start(bin + 3), u.source_end(bin + 5));
        assert_eq!(&src[from..to], "c2stcHJvai0x");
    }
}
