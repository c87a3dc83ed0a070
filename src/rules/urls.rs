//! `url`: every link in the packet — in fields and in Markdown prose — is clean: `https`
//! only, no tracking parameters, no credentials, a host in plain ASCII letters. A
//! secret-store reference written like a link (`vault://finops/key`, schemes listed in
//! `skip_schemes`) names a credential and is not judged, except in a field where a link
//! belongs. `url-hosts`: a list of evidence links holds at least N links to the provider's
//! documentation hosts. Prose links are read as written and as the prose displays
//! ([`prose_links`]), so an entity or an escape in a link (`http&#58;//…`) or a destination
//! written in a reference definition hides nothing; each link is found once, at the spot
//! the file writes it.

use super::{decode_path, decode_paths, path_in, Ctx, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::{Concrete, FieldPath};
use crate::finding::Finding;
use crate::suggest;
use crate::yaml::{Node, Pos};
use regex::Regex;
use std::sync::OnceLock;
use url::Url;

pub const URL_KEYS: &[&str] = &[
    "check",
    "fields",
    "skip_fields",
    "prose",
    "params",
    "url_fields",
    "skip_schemes",
];
pub const HOSTS_KEYS: &[&str] = &["field", "provider_field", "providers", "min"];

const CHECKS: &[&str] = &["https", "no-tracking", "no-credentials", "plain-host"];

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
pub fn find_urls_at(text: &str) -> Vec<(usize, usize, &str)> {
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
pub fn all_links(ctx: &Ctx<'_>) -> Vec<Link> {
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

/// The links a rule looks at: in `fields` (all when empty) but not `skip`, plus the prose.
pub fn links<'c>(
    ctx: &'c Ctx<'_>,
    fields: &'c [FieldPath],
    skip: &'c [FieldPath],
    prose: bool,
) -> impl Iterator<Item = &'c Link> {
    ctx.links().iter().filter(move |l| match &l.field {
        Some(path) => (fields.is_empty() || path_in(path, fields)) && !path_in(path, skip),
        None => prose,
    })
}

/// Where a match inside a scalar's value (`text[offset..]`) stands in the file: the same
/// occurrence of its first word, searched from the value's start to its last line (block
/// scalars span several). Falls back to the value's position when the source spells the
/// value differently (escapes).
pub fn locate(ctx: &Ctx<'_>, node: &Node, text: &str, offset: usize) -> Pos {
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

#[derive(Debug, Clone)]
pub enum UrlCheck {
    Https,
    NoTracking(Vec<String>),
    NoCredentials,
    /// The host is written in ASCII letters: no internationalised (IDN) name, no punycode
    /// `xn--` label, where letters of another script can imitate a familiar host.
    PlainHost,
}

#[derive(Debug, Clone)]
pub struct UrlRule {
    pub check: UrlCheck,
    pub fields: Vec<FieldPath>,
    pub skip_fields: Vec<FieldPath>,
    pub prose: bool,
    /// Fields whose whole value must be a link (`https` check only): `www.example.com/x`
    /// there is a finding, not silently no link at all.
    pub url_fields: Vec<FieldPath>,
    /// Schemes of references that are not links (`vault://`, `op://`): a secret-store name
    /// in `credential_ref` is a placeholder, nothing to open. In `url_fields` they are still
    /// judged, since a link belongs there.
    pub skip_schemes: Vec<String>,
}

impl UrlRule {
    pub fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = match e.take("fields") {
            Some(f) => decode_paths(f, p)?,
            None => Vec::new(),
        };
        let skip_fields = match e.take("skip_fields") {
            Some(f) => decode_paths(f, p)?,
            None => Vec::new(),
        };
        let prose = e.boolean("prose", p).unwrap_or(true);
        let url_fields = match e.take("url_fields") {
            Some(f) => decode_paths(f, p)?,
            None => Vec::new(),
        };
        let skip_schemes: Vec<String> = match e.take("skip_schemes") {
            Some(v) => v
                .texts(p)?
                .into_iter()
                .map(|(t, _)| t.trim().trim_end_matches("://").to_ascii_lowercase())
                .collect(),
            None => Vec::new(),
        };
        let params: Vec<String> = match e.take("params") {
            Some(v) => v
                .texts(p)?
                .into_iter()
                .map(|(t, _)| t.to_ascii_lowercase())
                .collect(),
            None => Vec::new(),
        };
        let entry = e.require("check", "a `url` rule", p)?;
        let name = entry.text(p)?;
        let check = match name {
            "https" => UrlCheck::Https,
            "no-tracking" => {
                if params.is_empty() {
                    entry.problem(
                        p,
                        "a `no-tracking` check needs `params:` (e.g. [utm_*, gclid])",
                    );
                    return None;
                }
                UrlCheck::NoTracking(params)
            }
            "no-credentials" => UrlCheck::NoCredentials,
            "plain-host" => UrlCheck::PlainHost,
            other => {
                let hint = suggest::hint(other, CHECKS.iter().copied());
                entry.problem(
                    p,
                    format!(
                        "unknown url check `{other}`; use one of: {}{hint}",
                        CHECKS.join(", ")
                    ),
                );
                return None;
            }
        };
        if !url_fields.is_empty() && !matches!(check, UrlCheck::Https) {
            entry.problem(p, "`url_fields` belongs to the `https` check");
            return None;
        }
        Some(UrlRule {
            check,
            fields,
            skip_fields,
            prose,
            url_fields,
            skip_schemes,
        })
    }

    /// A reference such as `vault://finops/key`, outside the fields where a link belongs.
    fn skipped(&self, link: &Link) -> bool {
        if self.skip_schemes.is_empty() {
            return false;
        }
        let Some((scheme, _)) = link.url.split_once("://") else {
            return false;
        };
        self.skip_schemes
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme))
            && !link
                .field
                .as_ref()
                .is_some_and(|f| self.url_fields.iter().any(|u| u.matches_concrete(f)))
    }

    pub fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        for link in links(ctx, &self.fields, &self.skip_fields, self.prose) {
            if self.skipped(link) {
                continue;
            }
            let Some((message, fix)) = self.judge(&link.url, link.parsed.as_ref()) else {
                continue;
            };
            let field = link.field.as_ref().map(|c| c.text.as_str());
            out.push(ctx.emit(
                rule,
                field,
                link.pos,
                message,
                fix,
                Vars {
                    field: field.unwrap_or(""),
                    value: &link.url,
                    ..Vars::default()
                },
            ));
        }
        self.check_url_fields(rule, ctx, out);
    }

    /// Values of `url_fields` that hold no link at all.
    fn check_url_fields(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        if self.url_fields.is_empty() {
            return;
        }
        for (path, node) in &ctx.scalars {
            if !self.url_fields.iter().any(|f| f.matches_concrete(path))
                || path_in(path, &self.skip_fields)
            {
                continue;
            }
            let Some(text) = node.as_str() else { continue };
            if text.contains("://") || ctx.missing(&path.text, Some(node)).is_some() {
                continue;
            }
            let shown = text.trim();
            out.push(ctx.emit(
                rule,
                Some(&path.text),
                node.pos,
                format!("`{}` is `{shown}`, not a full https link", path.text),
                format!(
                    "write the full address, e.g. `https://{}`",
                    shown.trim_start_matches('/')
                ),
                Vars {
                    field: &path.text,
                    value: shown,
                    ..Vars::default()
                },
            ));
        }
    }

    fn judge(&self, raw: &str, parsed: Option<&Url>) -> Option<(String, String)> {
        match &self.check {
            UrlCheck::Https => {
                let scheme = raw.split("://").next().unwrap_or("").to_ascii_lowercase();
                (scheme != "https").then(|| {
                    let shown = redact_written_userinfo(raw);
                    (
                        format!("link `{shown}` uses `{scheme}`; evidence links must be https"),
                        "link the https address of the same page".to_string(),
                    )
                })
            }
            UrlCheck::NoTracking(params) => {
                let url = parsed?;
                let found: Vec<String> = url
                    .query_pairs()
                    .map(|(k, _)| k.to_string())
                    .filter(|k| {
                        params
                            .iter()
                            .any(|p| glob_match(p, &k.to_ascii_lowercase()))
                    })
                    .collect();
                (!found.is_empty()).then(|| {
                    (
                        format!(
                            "link `{}` carries tracking {} {}",
                            redact_written_userinfo(raw),
                            if found.len() == 1 { "parameter" } else { "parameters" },
                            found.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                        ),
                        "remove the tracking parameters so another reviewer opens the same clean page".to_string(),
                    )
                })
            }
            UrlCheck::NoCredentials => {
                let url = parsed?;
                (!url.username().is_empty() || url.password().is_some()).then(|| {
                    (
                        format!(
                            "link `{}` has credentials in it",
                            redact_written_userinfo(raw)
                        ),
                        "remove the `user:password@` part and rotate that password".to_string(),
                    )
                })
            }
            UrlCheck::PlainHost => {
                let written = written_host(raw);
                if written.is_ascii() && !written.to_ascii_lowercase().contains("xn--") {
                    return None;
                }
                // The parsed host is the punycode form of an internationalised one.
                let ascii = parsed
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| written.to_ascii_lowercase());
                let punycode = ascii.split('.').any(|l| l.starts_with("xn--"));
                if written.is_ascii() && !punycode {
                    return None;
                }
                let shown = if written.is_ascii() || written == ascii {
                    format!("`{written}`")
                } else {
                    format!("`{written}` (`{ascii}`)")
                };
                Some((
                    format!(
                        "link host {shown} is an internationalised name: letters of another script can imitate a familiar host"
                    ),
                    "type the host in plain ASCII letters, as the site itself spells it".to_string(),
                ))
            }
        }
    }
}

/// A link as the packet writes it, with its user name and password shown as `****`
/// (`https://****:****@host/…`; a user name is often the token itself,
/// `https://TOKEN@github.com/…`). Messages quote the link as written, never as the URL parser
/// would serialise it: the parser rewrites what it reads (a host in small letters, `\` in a
/// path as `/`, percent-encoding), and a key inside a rewritten link would no longer be the
/// spelling the masker knows. Also for a link that does not parse.
fn redact_written_userinfo(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_string();
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) if rest[..at].contains(':') => format!("{scheme}://****:****{}", &rest[at..]),
        Some(at) => format!("{scheme}://****{}", &rest[at..]),
        None => raw.to_string(),
    }
}

/// The host of a link as the packet writes it: between `://` and the path, without any
/// `user:password@` or `:port`.
fn written_host(raw: &str) -> &str {
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.starts_with('[') {
        // An IPv6 literal: up to its closing bracket.
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// `utm_*`-style matching: a trailing `*` matches any suffix.
/// The tracking parameters the given rules name (their `url` rules' `no-tracking` lists),
/// sorted and once each.
pub fn tracking_params<'r>(rules: impl IntoIterator<Item = &'r super::Rule>) -> Vec<String> {
    let mut params: Vec<String> = rules
        .into_iter()
        .filter_map(|r| match &r.check {
            super::Check::Url(u) => match &u.check {
                UrlCheck::NoTracking(params) => Some(params.clone()),
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .collect();
    params.sort();
    params.dedup();
    params
}

pub fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

#[derive(Debug, Clone)]
pub struct UrlHosts {
    pub field: FieldPath,
    pub provider_field: Option<FieldPath>,
    pub providers: Vec<(String, Vec<String>)>,
    pub min: usize,
}

impl UrlHosts {
    pub fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let field = e
            .require("field", "a `url-hosts` rule", p)
            .and_then(|f| decode_path(f, p));
        let provider_field = match e.take("provider_field") {
            Some(f) => Some(decode_path(f, p)?),
            None => None,
        };
        let min = e.number("min", p).unwrap_or(1) as usize;
        let mut providers = Vec::new();
        if let Some(entry) = e.require("providers", "a `url-hosts` rule", p) {
            let mut map = entry.map("`providers`", p)?;
            for item in map.items.clone() {
                map.take(item.name());
                let hosts = item.texts(p)?;
                providers.push((
                    item.name().to_ascii_lowercase(),
                    hosts
                        .into_iter()
                        .map(|(h, _)| h.to_ascii_lowercase())
                        .collect(),
                ));
            }
        }
        Some(UrlHosts {
            field: field?,
            provider_field,
            providers,
            min,
        })
    }

    pub fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let selected = self.field.select(ctx.root());
        let Some((list_path, list_node)) = selected.first().map(|(p, n)| (p.clone(), *n)) else {
            return;
        };
        if ctx.missing(&list_path, Some(list_node)).is_some() {
            return;
        }
        let provider = self
            .provider_field
            .as_ref()
            .and_then(|f| ctx.filled(f))
            .and_then(Node::as_str)
            .map(|s| s.trim().to_ascii_lowercase());
        let (hosts, who): (Vec<&str>, String) = match &provider {
            Some(name) => match self.providers.iter().find(|(n, _)| n == name) {
                Some((_, h)) => (h.iter().map(String::as_str).collect(), format!("`{name}`")),
                None => {
                    let field = self
                        .provider_field
                        .as_ref()
                        .map(FieldPath::as_str)
                        .unwrap_or("provider");
                    let pos = self
                        .provider_field
                        .as_ref()
                        .and_then(|f| ctx.value(f))
                        .map(|n| n.pos)
                        .unwrap_or(list_node.pos);
                    let known: Vec<&str> = self.providers.iter().map(|(n, _)| n.as_str()).collect();
                    out.push(ctx.emit(
                        rule,
                        Some(field),
                        pos,
                        format!(
                            "provider `{name}` has no documentation hosts in the policy, so `{list_path}` cannot be checked for a provider docs link{}",
                            suggest::hint(name, known.iter().copied())
                        ),
                        format!("add `{name}` and its docs hosts under `providers:` of rule `{}` in a repository policy", rule.id),
                        Vars { field, value: name, ..Vars::default() },
                    ));
                    return;
                }
            },
            None => (
                self.providers
                    .iter()
                    .flat_map(|(_, h)| h.iter().map(String::as_str))
                    .collect(),
                "any known provider".to_string(),
            ),
        };
        let count = urls_of(list_node)
            .iter()
            .filter_map(|u| Url::parse(u).ok())
            .filter(|u| {
                u.host_str().is_some_and(|h| {
                    let h = h.to_ascii_lowercase();
                    hosts
                        .iter()
                        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
                })
            })
            .count();
        if count >= self.min {
            return;
        }
        let expected = hosts.join(", ");
        out.push(ctx.emit(
            rule,
            Some(&list_path),
            list_node.pos,
            format!(
                "`{list_path}` has {} to {who}'s documentation ({expected}); at least {} needed",
                crate::text::plural(count, "link"),
                self.min
            ),
            format!("add the provider documentation page you checked, with its `accessed` date (hosts: {expected})"),
            Vars {
                field: &list_path,
                expected: &expected,
                ..Vars::default()
            },
        ));
    }
}

/// URLs held by a list of evidence entries: plain strings or mappings with `url`.
fn urls_of(node: &Node) -> Vec<String> {
    let items: Vec<&Node> = match node.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![node],
    };
    items
        .into_iter()
        .filter_map(|i| i.as_str().or_else(|| i.get("url").and_then(Node::as_str)))
        .map(|s| s.trim().to_string())
        .collect()
}

/// A one-line value written in the file exactly as it reads (no escapes): a position inside
/// it is its column plus the characters before it, counted on from the last position asked
/// for, so a value holding thousands of claims is placed in one pass.
#[derive(Debug)]
pub struct Verbatim {
    line: u32,
    col: u32,
    cursor: std::cell::Cell<(usize, u32)>,
}

impl Verbatim {
    pub fn new(ctx: &Ctx<'_>, node: &crate::yaml::Node, text: &str) -> Option<Verbatim> {
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

    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let (mut at, mut chars) = self.cursor.get();
        if offset < at {
            (at, chars) = (0, 0);
        }
        chars += text[at..offset].chars().count() as u32;
        self.cursor.set((offset, chars));
        Pos::new(self.line, self.col + chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_credentials_as_written() {
        assert_eq!(
            written_host("https://bot:pw@аpidoc.example:8443/x?y#z"),
            "аpidoc.example"
        );
        assert_eq!(written_host("https://[::1]:80/"), "[::1]");
        // A link the URL parser refuses still has its password hidden.
        assert_eq!(
            redact_written_userinfo("http://u:p w@host.example/a@b"),
            "http://****:****@host.example/a@b"
        );
        assert_eq!(
            redact_written_userinfo("https://TOKEN@github.com/o/r.git"),
            "https://****@github.com/o/r.git"
        );
        // As written: the parser would print `sk/-proj…` and a host in small letters.
        assert_eq!(
            redact_written_userinfo("http://Key-Host.example/sk\\-proj"),
            "http://Key-Host.example/sk\\-proj"
        );
        assert_eq!(
            redact_written_userinfo("http://host/a@b"),
            "http://host/a@b"
        );
    }

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

    #[test]
    fn matches_param_globs() {
        assert!(glob_match("utm_*", "utm_source"));
        assert!(!glob_match("utm_*", "autm"));
        assert!(glob_match("gclid", "gclid"));
    }
}
