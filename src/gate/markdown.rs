//! Markdown that says what a packet holds and does nothing else: every string a packet (or
//! its file name) brought into the check-run summary, the job summary, the sticky comment or
//! an inline review comment goes through here, escaped for where it lands and no further.
//!
//! - A value is a code span whose fence is longer than any backtick run inside it, so it
//!   cannot close early; inside it nothing is Markdown, HTML or an entity, so `<WORKLOAD_NAME>`
//!   is written as it is (an `&lt;` there would show as `&lt;`).
//! - Text outside code spans has every Markdown-active character backslash-escaped (no
//!   emphasis, link, image, autolink, HTML, entity, math or table break), and the things
//!   GitHub links *after* rendering — `@mentions`, `#123`, bare `https://` and `www.` — get a
//!   zero-width space after their trigger, which no escape can do.
//! - In a table cell a `|` is escaped even inside a code span (GitHub's tables split cells
//!   before reading spans, and drop the backslash); elsewhere it is left as it is.
//!
//! Finding messages quote values between single backticks (`` `field` is `value` ``);
//! [`message`] reads those spans back and re-fences each one. A value that itself holds a
//! backtick next to a space can be read back split, and is then shown partly as text: still
//! inert, only not in one piece. Annotations are plain text on GitHub and need none of this.

/// Where a string lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A GitHub table cell: `|` splits cells, even inside code spans.
    Cell,
    /// Anywhere else inline: a heading, a list item, a quote.
    Line,
}

/// `s` as one code span that shows exactly `s` (line breaks become spaces: a span is
/// one line here).
pub(crate) fn code(s: &str, place: Place) -> String {
    let flat = s.replace("\r\n", " ").replace(['\r', '\n'], " ");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A span drops one space at each end when both ends have one: pad, and the padding
    // is what is dropped.
    let pad = flat.is_empty() || flat.starts_with(['`', ' ']) || flat.ends_with(['`', ' ']);
    let body = match place {
        Place::Cell => flat.replace('|', "\\|"),
        Place::Line => flat,
    };
    if pad {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// The characters that start Markdown, HTML, entities, math or table cells.
const ACTIVE: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '!', '~', '&', '$', '|', '#', '(', ')',
];

const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// `s` as text that renders as its own characters.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &s[i..];
        match c {
            '\r' | '\n' => out.push(' '),
            // `@team`, `#12`: linked by GitHub after rendering, whatever the escaping.
            '@' => {
                out.push('@');
                out.push(ZERO_WIDTH_SPACE);
            }
            '#' if chars.peek().is_some_and(|(_, n)| n.is_ascii_alphanumeric()) => {
                out.push_str("\\#");
                out.push(ZERO_WIDTH_SPACE);
            }
            // Bare `https://…` and `www.…`: GitHub's autolinks.
            ':' if rest.starts_with("://") => {
                out.push(':');
                out.push(ZERO_WIDTH_SPACE);
            }
            'w' | 'W'
                if rest.len() >= 4
                    && rest.is_char_boundary(4)
                    && rest[..4].eq_ignore_ascii_case("www.")
                    && !prev.is_some_and(char::is_alphanumeric) =>
            {
                out.push(c);
                out.push(ZERO_WIDTH_SPACE);
            }
            c if ACTIVE.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// A finding's message, fix or a notice: its backtick-quoted values as code spans, the
/// rest as text.
pub(crate) fn message(s: &str, place: Place) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut plain = 0;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        match span_end(s, i, run) {
            Some((inner_end, end)) => {
                out.push_str(&text(&s[plain..i]));
                out.push_str(&code(&s[i + run..inner_end], place));
                i = end;
                plain = end;
            }
            None => i += run,
        }
    }
    out.push_str(&text(&s[plain..]));
    out
}

/// Where the span opened by the `run` backticks at `at` ends: (end of its content, end of
/// its closing fence). A longer fence closes at the next run of the same length, as in
/// CommonMark; a single backtick opens only where a quote may open and closes at the first
/// backtick where a quote may close, so a value with a backtick inside a word stays whole.
fn span_end(s: &str, at: usize, run: usize) -> Option<(usize, usize)> {
    let bytes = s.as_bytes();
    let from = at + run;
    if run > 1 {
        let mut j = from;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let n = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                if n == run {
                    return Some((j, j + n));
                }
                j += n;
            } else {
                j += 1;
            }
        }
        return None;
    }
    let opens = s[..at]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || "([{\"'“‘/:".contains(c));
    if !opens {
        return None;
    }
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == b'`' {
            let after = s[j + 1..].chars().next();
            if j > from && after.is_none_or(|c| c.is_whitespace() || ",.;:)]}!?\"'”’/".contains(c))
            {
                return Some((j, j + 1));
            }
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_outgrows_every_backtick_run() {
        assert_eq!(code("<WORKLOAD_NAME>", Place::Line), "`<WORKLOAD_NAME>`");
        assert_eq!(code("a``b", Place::Line), "```a``b```");
        assert_eq!(code("`x", Place::Line), "`` `x ``");
        assert_eq!(code(" x", Place::Line), "`  x `");
        assert_eq!(code("a|b", Place::Cell), "`a\\|b`");
        assert_eq!(code("a|b", Place::Line), "`a|b`");
        assert_eq!(code("", Place::Line), "`  `");
    }

    #[test]
    fn text_is_inert() {
        assert_eq!(text("[x](y) <b>"), "\\[x\\]\\(y\\) \\<b\\>");
        assert_eq!(text("@team #12"), "@\u{200B}team \\#\u{200B}12");
        assert_eq!(
            text("https://e.x www.e.x"),
            "https:\u{200B}//e.x w\u{200B}ww.e.x"
        );
        assert_eq!(text("unit_metric"), "unit\\_metric");
    }

    #[test]
    fn messages_keep_their_quoted_values_whole() {
        assert_eq!(
            message(
                "`workload` still holds the template value `<WORKLOAD_NAME>`",
                Place::Line
            ),
            "`workload` still holds the template value `<WORKLOAD_NAME>`"
        );
        assert_eq!(
            message("`a` is `it`s`, (`b`)", Place::Line),
            "`a` is ``it`s``, \\(`b`\\)"
        );
        assert_eq!(message("no `quote", Place::Line), "no \\`quote");
    }
}
