//! `url`: every link in the packet — in fields and in Markdown prose — is clean: `https`
//! only, no tracking parameters, no credentials. `url-hosts`: a list of evidence links holds
//! at least N links to the provider's documentation hosts.

use super::{decode_path, decode_paths, path_in, Ctx, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::{Concrete, FieldPath};
use crate::finding::Finding;
use crate::suggest;
use crate::yaml::{Node, Pos};
use regex::Regex;
use std::sync::OnceLock;
use url::Url;

pub const URL_KEYS: &[&str] = &["check", "fields", "skip_fields", "prose", "params"];
pub const HOSTS_KEYS: &[&str] = &["field", "provider_field", "providers", "min"];

const CHECKS: &[&str] = &["https", "no-tracking", "no-credentials"];

fn url_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)\b[a-z][a-z0-9+.\-]*://[^\s<>"'`\)\]\}|]+"#).expect("static regex")
    })
}

/// Every URL-looking substring of a text, with its char offset.
pub fn find_urls(text: &str) -> Vec<(usize, &str)> {
    url_regex()
        .find_iter(text)
        .map(|m| {
            let s = m
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_']);
            (text[..m.start()].chars().count(), s)
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
}

/// Every link in every scalar and in the prose (see [`Ctx::links`], which caches it).
pub fn all_links(ctx: &Ctx<'_>) -> Vec<Link> {
    let mut out = Vec::new();
    for (path, node) in &ctx.scalars {
        let Some(text) = node.as_str() else { continue };
        if !text.contains("://") {
            continue;
        }
        for (_, url) in find_urls(text) {
            out.push(Link {
                field: Some(path.clone()),
                pos: locate(ctx, node, url),
                url: url.to_string(),
            });
        }
    }
    for (line, text) in ctx.packet.prose() {
        if !text.contains("://") {
            continue;
        }
        for (col, url) in find_urls(text) {
            out.push(Link {
                field: None,
                pos: Pos::new(line, col as u32 + 1),
                url: url.to_string(),
            });
        }
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

/// The position of `needle` on the node's own line, or the node's position.
pub fn locate(ctx: &Ctx<'_>, node: &Node, needle: &str) -> Pos {
    let line = ctx.line(node.pos.line);
    match line.find(needle) {
        Some(i) => Pos::new(node.pos.line, line[..i].chars().count() as u32 + 1),
        None => node.pos,
    }
}

/// The URL with any password replaced, so a report never repeats it.
pub fn redact_userinfo(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    }
    shown.to_string()
}

#[derive(Debug, Clone)]
pub enum UrlCheck {
    Https,
    NoTracking(Vec<String>),
    NoCredentials,
}

#[derive(Debug, Clone)]
pub struct UrlRule {
    pub check: UrlCheck,
    pub fields: Vec<FieldPath>,
    pub skip_fields: Vec<FieldPath>,
    pub prose: bool,
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
        Some(UrlRule {
            check,
            fields,
            skip_fields,
            prose,
        })
    }

    pub fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        for link in links(ctx, &self.fields, &self.skip_fields, self.prose) {
            let Some((message, fix)) = self.judge(&link.url) else {
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
    }

    fn judge(&self, raw: &str) -> Option<(String, String)> {
        let parsed = Url::parse(raw).ok();
        match &self.check {
            UrlCheck::Https => {
                let scheme = raw.split("://").next().unwrap_or("").to_ascii_lowercase();
                (scheme != "https").then(|| {
                    let shown = parsed
                        .as_ref()
                        .map(redact_userinfo)
                        .unwrap_or_else(|| raw.to_string());
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
                            "link `{}` carries tracking parameter(s) {}",
                            redact_userinfo(&url),
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
                        format!("link `{}` has credentials in it", redact_userinfo(&url)),
                        "remove the `user:password@` part and rotate that password".to_string(),
                    )
                })
            }
        }
    }
}

/// `utm_*`-style matching: a trailing `*` matches any suffix.
fn glob_match(pattern: &str, name: &str) -> bool {
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
                "`{list_path}` has {count} link(s) to {who}'s documentation ({expected}); at least {} needed",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_urls_in_prose() {
        let t = "See [docs](https://apidoc.cometapi.com/support) and http://x.example/a?b=1.";
        let found: Vec<&str> = find_urls(t).into_iter().map(|(_, u)| u).collect();
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
