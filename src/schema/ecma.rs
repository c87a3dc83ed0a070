//! Policy regexes (Rust `regex` syntax) rewritten as ECMA-262 patterns for the JSON Schema.
//!
//! JSON Schema's `pattern` is an ECMA-262 regex, and editors compile it with JavaScript's
//! `RegExp`, some with the `u` flag and some without. Copying a policy's regex text across
//! would work only by luck: Rust accepts escapes (`\:`), classes (`[[:alpha:]]`, `\pL`),
//! inline flags (`(?i)`, `(?s)`) and anchors (`\A`, `\z`) that JavaScript refuses or reads
//! differently. So the regex is parsed into its syntax tree and written out again, node by
//! node, in the subset both dialects read the same way in either mode. Anything outside that
//! subset makes the whole pattern untranslatable (`None`): the schema then leaves the check
//! to the gate rather than approximate it.
//!
//! What stays approximate: `\d`, `\w` and `\b` are ASCII in ECMA-262 and Unicode-aware in Rust,
//! so a value with non-ASCII digits or letters can be judged differently by the two. `.` is
//! written `[^\n]`, which is exactly Rust's meaning.

use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassPerl, ClassPerlKind, ClassSet, ClassSetItem, GroupKind,
    RepetitionKind, RepetitionRange,
};
use std::fmt::Write;

/// The regex as an ECMA-262 pattern with the same matches, or `None` when it uses syntax
/// that has no exact equivalent there.
pub(super) fn translate(rust_regex: &str) -> Option<String> {
    let tree = ast::parse::Parser::new().parse(rust_regex).ok()?;
    let mut out = String::new();
    emit(&tree, &mut out)?;
    Some(out)
}

/// One character outside a class, escaped where ECMA-262 gives it a meaning.
pub(super) fn literal(c: char) -> String {
    let mut out = String::new();
    push_char(c, false, &mut out);
    out
}

/// `^\s*(?:[tT][eE][sS][tT]|…)\s*$`: the values as the gate compares them (ASCII case
/// ignored, surrounding spaces trimmed).
pub(super) fn any_case(values: &[&str]) -> String {
    format!(r"^\s*(?:{})\s*$", alternatives(values))
}

pub(super) fn alternatives(values: &[&str]) -> String {
    let alts: Vec<String> = values
        .iter()
        .map(|v| {
            v.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else {
                        literal(c)
                    }
                })
                .collect()
        })
        .collect();
    alts.join("|")
}
fn emit(node: &Ast, out: &mut String) -> Option<()> {
    match node {
        Ast::Empty(_) => {}
        Ast::Literal(l) => {
            if is_astral(l.c) {
                // Two UTF-16 units: grouped, so a following repetition applies to both.
                out.push_str("(?:");
                push_char(l.c, false, out);
                out.push(')');
            } else {
                push_char(l.c, false, out);
            }
        }
        Ast::Dot(_) => out.push_str(r"[^\n]"),
        Ast::Assertion(a) => out.push_str(match a.kind {
            // Without the `m` flag (refused below) both dialects anchor at the text's ends.
            AssertionKind::StartLine => "^",
            AssertionKind::EndLine => "$",
            AssertionKind::WordBoundary => r"\b",
            AssertionKind::NotWordBoundary => r"\B",
            _ => return None,
        }),
        Ast::ClassPerl(p) => out.push_str(perl(p)),
        Ast::ClassBracketed(b) => {
            out.push('[');
            if b.negated {
                out.push('^');
            }
            match &b.kind {
                ClassSet::Item(item) => class_item(item, out)?,
                ClassSet::BinaryOp(_) => return None,
            }
            out.push(']');
        }
        Ast::Repetition(r) => {
            emit(&r.ast, out)?;
            match &r.op.kind {
                RepetitionKind::ZeroOrOne => out.push('?'),
                RepetitionKind::ZeroOrMore => out.push('*'),
                RepetitionKind::OneOrMore => out.push('+'),
                RepetitionKind::Range(RepetitionRange::Exactly(n)) => {
                    let _ = write!(out, "{{{n}}}");
                }
                RepetitionKind::Range(RepetitionRange::AtLeast(n)) => {
                    let _ = write!(out, "{{{n},}}");
                }
                RepetitionKind::Range(RepetitionRange::Bounded(m, n)) => {
                    let _ = write!(out, "{{{m},{n}}}");
                }
            }
            if !r.greedy {
                out.push('?');
            }
        }
        Ast::Group(g) => {
            match &g.kind {
                // Captures change nothing about what matches; named ones are written plain
                // because Rust allows names JavaScript does not.
                GroupKind::CaptureIndex(_) | GroupKind::CaptureName { .. } => out.push('('),
                GroupKind::NonCapturing(flags) if flags.items.is_empty() => out.push_str("(?:"),
                GroupKind::NonCapturing(_) => return None,
            }
            emit(&g.ast, out)?;
            out.push(')');
        }
        Ast::Alternation(a) => {
            for (i, branch) in a.asts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(branch, out)?;
            }
        }
        Ast::Concat(c) => {
            for part in &c.asts {
                emit(part, out)?;
            }
        }
        // Inline flags, `\pL`-style classes: no equivalent that reads the same in every mode.
        Ast::Flags(_) | Ast::ClassUnicode(_) => return None,
    }
    Some(())
}

fn class_item(item: &ClassSetItem, out: &mut String) -> Option<()> {
    match item {
        ClassSetItem::Empty(_) => {}
        ClassSetItem::Literal(l) if !is_astral(l.c) => push_char(l.c, true, out),
        ClassSetItem::Range(r) if !is_astral(r.start.c) && !is_astral(r.end.c) => {
            push_char(r.start.c, true, out);
            out.push('-');
            push_char(r.end.c, true, out);
        }
        ClassSetItem::Perl(p) => out.push_str(perl(p)),
        ClassSetItem::Union(u) => {
            for i in &u.items {
                class_item(i, out)?;
            }
        }
        // `[[:alpha:]]`, `\pL`, nested classes and astral characters (two UTF-16 units,
        // which a class without the `u` flag would split).
        _ => return None,
    }
    Some(())
}

fn perl(p: &ClassPerl) -> &'static str {
    match (&p.kind, p.negated) {
        (ClassPerlKind::Digit, false) => r"\d",
        (ClassPerlKind::Digit, true) => r"\D",
        (ClassPerlKind::Space, false) => r"\s",
        (ClassPerlKind::Space, true) => r"\S",
        (ClassPerlKind::Word, false) => r"\w",
        (ClassPerlKind::Word, true) => r"\W",
    }
}

fn is_astral(c: char) -> bool {
    u32::from(c) > 0xFFFF
}

/// Writes one character, escaped so it reads as itself with or without the `u` flag: only
/// syntax characters get a backslash (the `u` flag refuses any other identity escape), and
/// invisible ones are written as `\uXXXX`.
fn push_char(c: char, in_class: bool, out: &mut String) {
    let special: &[char] = if in_class {
        &['\\', ']', '[', '^', '-']
    } else {
        &[
            '\\', '^', '$', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/',
        ]
    };
    if special.contains(&c) {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || (c.is_whitespace() && c != ' ') || is_astral(c) {
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            let _ = write!(out, "\\u{u:04X}");
        }
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_common_subset() {
        assert_eq!(
            translate(r"^(?:[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)$").as_deref(),
            Some(r"^(?:[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)$")
        );
        assert_eq!(
            translate(r"^(?:CC-\d{4})$").as_deref(),
            Some(r"^(?:CC-\d{4})$")
        );
        assert_eq!(
            translate(r"a{2,}?b{0,3}(x|y)+?\bz\B").as_deref(),
            Some(r"a{2,}?b{0,3}(x|y)+?\bz\B")
        );
        assert_eq!(
            translate(r"(?P<id>\w+)\s\S\W\D").as_deref(),
            Some(r"(\w+)\s\S\W\D")
        );
    }

    #[test]
    fn rewrites_escapes_javascript_reads_differently() {
        // `\:` and `\#` are superfluous escapes Rust allows and the `u` flag refuses.
        assert_eq!(translate(r"a\:b\#c").as_deref(), Some("a:b#c"));
        assert_eq!(translate(r"\.\*\/").as_deref(), Some(r"\.\*\/"));
        assert_eq!(translate(r"[\-\]a-z^]").as_deref(), Some(r"[\-\]a-z\^]"));
        assert_eq!(translate(r"\t\x41").as_deref(), Some(r"\u0009A"));
        assert_eq!(translate("a.b").as_deref(), Some(r"a[^\n]b"));
        assert_eq!(translate("😀+").as_deref(), Some(r"(?:\uD83D\uDE00)+"));
    }

    #[test]
    fn refuses_what_has_no_exact_equivalent() {
        for rust_only in [
            r"(?s).*\bhttps?://\S+.*",
            r"(?i)yes",
            r"(?i:yes)",
            r"\Aabc\z",
            r"\pL+",
            r"[[:alpha:]]",
            r"[a-z&&[^aeiou]]",
            r"[\pL]",
            r"\b{start}x",
            "[😀]",
        ] {
            assert_eq!(translate(rust_only), None, "{rust_only}");
        }
    }
}
