//! `link`: the links a packet cites, and what opening them found.
//!
//! Finding them: every link in the fields and in the Markdown prose, found once per packet
//! ([`all_links`], cached by `Ctx::links`) and shared by the `url` rules and the link phase.
//! Prose links are read as written and as the prose displays ([`prose_links`]), so an
//! entity or an escape in a link (`http&#58;//…`) or a destination written in a reference
//! definition hides nothing; each link is found once, at the spot the file writes it.
//!
//! Judging them: `link` rules do nothing while a packet is evaluated; after the link phase
//! (see [`crate::links`]) each cited link whose result falls in the rule's `class` becomes a
//! finding at the citation, with the rule's severity. So a policy decides how much a dead,
//! unverified or refused link matters.

use super::{Ctx, Kind, KindSpec, Phase, Rule};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::Concrete;
use crate::finding::Finding;
use crate::suggest;
use crate::yaml::{Node, Pos};
use regex::Regex;
use std::sync::{Arc, OnceLock};
use url::Url;

pub(crate) const KEYS: &[&str] = &["class"];
const CLASSES: &[&str] = &["dead", "unverified", "refused", "redirect"];

pub(crate) static LINK: KindSpec = KindSpec {
    id: "link",
    keys: KEYS,
    decode: |e, p| Some(Arc::new(LinkRule::decode(e, p)?)),
};

/// Which link results a rule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkClass {
    /// 404/410 or a DNS name that does not exist.
    Dead,
    /// Could not be confirmed: bot walls, rate limits, server errors, timeouts, TLS.
    Unverified,
    /// Not opened for safety (private address, credentials, https → http redirect).
    Refused,
    /// Reached through a redirect hop that carries tracking parameters.
    Redirect,
}

#[derive(Debug, Clone)]
pub(crate) struct LinkRule {
    pub class: LinkClass,
}

impl LinkRule {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let entry = e.require("class", "a `link` rule", p)?;
        let class = match entry.text(p)? {
            "dead" => LinkClass::Dead,
            "unverified" => LinkClass::Unverified,
            "refused" => LinkClass::Refused,
            "redirect" => LinkClass::Redirect,
            other => {
                let hint = suggest::hint(other, CLASSES.iter().copied());
                entry.problem(
                    p,
                    format!(
                        "unknown link class `{other}`; use one of: {}{hint}",
                        CLASSES.join(", ")
                    ),
                );
                return None;
            }
        };
        Some(LinkRule { class })
    }
}

/// Characters that end a link in running text.
fn ends_link(c: char) -> bool {
    c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`' | ')' | ']' | '}' | '|')
}

fn url_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)\b[a-z][a-z0-9+.\-]*://[^\s<>"'`\)\]\}|]+"#).expect("static regex")
    })
}

/// Every URL-looking substring of a text as `(byte offset, character offset, link)`.
/// Characters are counted on from the previous link, so a line of thousands of links costs
/// one pass.
pub(crate) fn find_urls_at(text: &str) -> Vec<(usize, usize, &str)> {
    let mut counted = (0, 0);
    url_regex()
        .find_iter(text)
        .map(|m| {
            let mut end = m.end();
            // An IPv6 literal host keeps its brackets (`http://[::1]:8080/x`): the regex
            // stops at `]`, so carry on past it.
            if m.as_str().contains("://[") && text[end..].starts_with(']') {
                end += 1;
                end += text[end..].find(ends_link).unwrap_or(text.len() - end);
            }
            let s = text[m.start()..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_']);
            let (byte, chars) = counted;
            let col = chars + text[byte..m.start()].chars().count();
            counted = (m.start(), col);
            (m.start(), col, s)
        })
        .collect()
}

/// One link found in the packet and where it stands.
#[derive(Debug, Clone)]
pub struct Link {
    /// The field holding it; `None` for Markdown prose.
    pub field: Option<Concrete>,
    pub pos: Pos,
    pub url: String,
    /// The link parsed, once for every rule that looks at it (`None`: not a valid URL).
    pub parsed: Option<Url>,
}

/// Every link in every scalar and in the prose (see [`Ctx::links`], which caches it).
pub(crate) fn all_links(ctx: &Ctx<'_>) -> Vec<Link> {
    let mut out = Vec::new();
    for (path, node) in &ctx.scalars {
        let Some(text) = node.as_str() else { continue };
        if !text.contains("://") {
            continue;
        }
        let verbatim = Verbatim::new(ctx, node, text);
        for (offset, _, url) in find_urls_at(text) {
            out.push(Link {
                field: Some(path.clone()),
                pos: verbatim
                    .as_ref()
                    .map_or_else(|| locate(ctx, node, text, offset), |v| v.pos(text, offset)),
                url: url.to_string(),
                parsed: Url::parse(url).ok(),
            });
        }
    }
    out.extend(prose_links(ctx));
    out
}

/// Links in the Markdown prose: as each line writes them, and as the rendered paragraphs
/// show them (`packet::prose`: entities and escapes decoded, a reference link's destination
/// read from its definition, markup inside a link dropped). A link is what a reader clicks,
/// so where a line's link overlaps the spelling of a rendered one, the rendered one stands
/// for it (`http://x/?utm\_source=a` opens `utm_source`; `h&#116;tp://x/` is no `tp://x/`
/// link); the lines still add what the rendering drops (an HTML attribute, a definition no
/// link uses). One link per spot, in the order the file has them.
fn prose_links(ctx: &Ctx<'_>) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    let mut spots = std::collections::HashSet::new();
    // The bytes of the file each rendered link is spelled with.
    let mut spelled: Vec<(usize, usize)> = Vec::new();
    // A paragraph that is one run of the file's own characters reads as its line does.
    for para in ctx.paragraphs().iter().filter(|p| !p.is_verbatim()) {
        if !para.text.contains("://") {
            continue;
        }
        for (offset, _, url) in find_urls_at(&para.text) {
            let pos = para.pos(offset);
            let source = para.source(offset, offset + url.len());
            spelled.extend(source.into_iter().map(|r| (r.start, r.end)));
            // A reference definition used twice is one link.
            if spots.insert((pos.line, pos.col)) {
                out.push(Link {
                    field: None,
                    pos,
                    url: url.to_string(),
                    parsed: Url::parse(url).ok(),
                });
            }
        }
    }
    let rendered = out.len();
    spelled.sort_unstable();
    // The furthest end of the spellings up to each one, to test overlap by one search.
    let reach: Vec<usize> = spelled
        .iter()
        .scan(0, |far, r| {
            *far = r.1.max(*far);
            Some(*far)
        })
        .collect();
    let overlaps = |start: usize, end: usize| {
        let i = spelled.partition_point(|r| r.0 < end);
        i > 0 && reach[i - 1] > start
    };
    let text_at = ctx.packet.text.as_ptr() as usize;
    for (line, text) in ctx.packet.prose() {
        if !text.contains("://") {
            continue;
        }
        let line_at = text.as_ptr() as usize - text_at;
        for (byte, col, url) in find_urls_at(text) {
            let start = line_at + byte;
            if !overlaps(start, start + url.len()) {
                out.push(Link {
                    field: None,
                    pos: Pos::new(line, col as u32 + 1),
                    url: url.to_string(),
                    parsed: Url::parse(url).ok(),
                });
            }
        }
    }
    if rendered > 0 {
        out.sort_by_key(|l| (l.pos.line, l.pos.col));
    }
    out
}

/// Where a match inside a scalar's value (`text[offset..]`) stands in the file: the same
/// occurrence of its first word, searched from the value's start to its last line (block
/// scalars span several). Falls back to the value's position when the source spells the
/// value differently (escapes).
pub(crate) fn locate(ctx: &Ctx<'_>, node: &Node, text: &str, offset: usize) -> Pos {
    let found = text.get(offset..).unwrap_or("");
    let token = found.split_whitespace().next().unwrap_or("");
    if token.is_empty() {
        return node.pos;
    }
    let nth = text[..offset].matches(token).count();
    let mut seen = 0;
    for line_no in node.pos.line..=node.end_line.max(node.pos.line) {
        let line = ctx.line(line_no);
        let from = if line_no == node.pos.line {
            line.char_indices()
                .nth(node.pos.col.saturating_sub(1) as usize)
                .map_or(line.len(), |(i, _)| i)
        } else {
            0
        };
        for (i, _) in line[from..].match_indices(token) {
            if seen == nth {
                return Pos::new(line_no, line[..from + i].chars().count() as u32 + 1);
            }
            seen += 1;
        }
    }
    // Not spelled the same in the source: a double-quoted value with escapes (`\x73k-…`).
    let line = ctx.line(node.pos.line);
    let target = text[..offset].chars().count();
    quoted_col(line, node.pos.col, target).map_or(node.pos, |col| Pos::new(node.pos.line, col))
}

/// The column of the `target`-th decoded character of a double-quoted scalar that starts
/// (with its `"`) at `quote_col`, stepping over escapes; `None` if it is not on this line.
fn quoted_col(line: &str, quote_col: u32, target: usize) -> Option<u32> {
    let mut chars = line.chars().skip(quote_col.saturating_sub(1) as usize);
    if chars.next()? != '"' {
        return None;
    }
    let mut col = quote_col + 1;
    for _ in 0..target {
        let c = chars.next()?;
        if c == '"' {
            return None;
        }
        if c == '\\' {
            let extra = match chars.next()? {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            for _ in 0..extra {
                chars.next()?;
            }
            col += 1 + extra;
        }
        col += 1;
    }
    Some(col)
}

/// A one-line value written in the file exactly as it reads (no escapes): a position inside
/// it is its column plus the characters before it, counted on from the last position asked
/// for, so a value holding thousands of claims is placed in one pass.
#[derive(Debug)]
pub(crate) struct Verbatim {
    line: u32,
    col: u32,
    cursor: std::cell::Cell<(usize, u32)>,
}

impl Verbatim {
    pub(crate) fn new(ctx: &Ctx<'_>, node: &crate::yaml::Node, text: &str) -> Option<Verbatim> {
        if node.pos.line != node.end_line || text.contains('\n') {
            return None;
        }
        // Looked up at the place through the context's per-line index, never by walking the
        // line: a flow mapping of 20,000 values on one line costs one pass.
        let skip = ctx.spelled_at(node, text)?;
        Some(Verbatim {
            line: node.pos.line,
            col: node.pos.col + skip,
            cursor: std::cell::Cell::new((0, 0)),
        })
    }

    pub(crate) fn pos(&self, text: &str, offset: usize) -> Pos {
        let (mut at, mut chars) = self.cursor.get();
        if offset < at {
            (at, chars) = (0, 0);
        }
        chars += text[at..offset].chars().count() as u32;
        self.cursor.set((offset, chars));
        Pos::new(self.line, self.col + chars)
    }
}

impl Kind for LinkRule {
    /// Nothing per packet: see [`Phase::Elsewhere`].
    fn check(&self, _rule: &Rule, _ctx: &Ctx<'_>, _prior: &[Finding], _out: &mut Vec<Finding>) {}

    /// Judged after the link phase, from what opening the links found.
    fn phase(&self) -> Phase {
        Phase::Elsewhere
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ipv6_literal_links_whole() {
        let found =
            find_urls_at("see http://[::ffff:10.0.0.1]:8080/x?y=1, then (https://a.example/b)");
        let urls: Vec<&str> = found.iter().map(|(_, _, u)| *u).collect();
        assert_eq!(
            urls,
            ["http://[::ffff:10.0.0.1]:8080/x?y=1", "https://a.example/b"]
        );
    }

    #[test]
    fn finds_urls_in_prose() {
        let t = "See [docs](https://apidoc.cometapi.com/support) and http://x.example/a?b=1.";
        let found: Vec<&str> = find_urls_at(t).into_iter().map(|(_, _, u)| u).collect();
        assert_eq!(
            found,
            [
                "https://apidoc.cometapi.com/support",
                "http://x.example/a?b=1"
            ]
        );
    }
}
