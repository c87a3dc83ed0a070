//! `url`: every link in the packet — in fields and in Markdown prose — is clean: `https`
//! only, no tracking parameters, no credentials, a host in plain ASCII letters. A
//! secret-store reference written like a link (`vault://finops/key`, schemes listed in
//! `skip_schemes`) names a credential and is not judged, except in a field where a link
//! belongs. `url-hosts`: a list of evidence links holds at least N links to the provider's
//! documentation hosts. The links are found once per packet by the `link` kind's file
//! ([`super::links`]), in fields and in the prose as written and as it displays.

use super::links::Link;
use super::{decode_path, decode_paths, path_in, Ctx, Kind, KindSpec, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use crate::suggest;
use crate::yaml::Node;
use std::sync::Arc;
use url::Url;

pub(crate) const URL_KEYS: &[&str] = &[
    "check",
    "fields",
    "skip_fields",
    "prose",
    "params",
    "url_fields",
    "skip_schemes",
];
pub(crate) const HOSTS_KEYS: &[&str] = &["field", "provider_field", "providers", "min"];

pub(crate) static URL: KindSpec = KindSpec {
    id: "url",
    keys: URL_KEYS,
    decode: |e, p| Some(Arc::new(UrlRule::decode(e, p)?)),
};

pub(crate) static URL_HOSTS: KindSpec = KindSpec {
    id: "url-hosts",
    keys: HOSTS_KEYS,
    decode: |e, p| Some(Arc::new(UrlHosts::decode(e, p)?)),
};

const CHECKS: &[&str] = &["https", "no-tracking", "no-credentials", "plain-host"];

/// The links a rule looks at: in `fields` (all when empty) but not `skip`, plus the prose.
pub(crate) fn links<'c>(
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

#[derive(Debug, Clone)]
pub(crate) enum UrlCheck {
    Https,
    NoTracking(Vec<String>),
    NoCredentials,
    /// The host is written in ASCII letters: no internationalised (IDN) name, no punycode
    /// `xn--` label, where letters of another script can imitate a familiar host.
    PlainHost,
}

#[derive(Debug, Clone)]
pub(crate) struct UrlRule {
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
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
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

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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
pub(crate) fn tracking_params<'r>(rules: impl IntoIterator<Item = &'r super::Rule>) -> Vec<String> {
    let mut params: Vec<String> = rules
        .into_iter()
        .filter_map(|r| match &r.kind_as::<UrlRule>()?.check {
            UrlCheck::NoTracking(params) => Some(params.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    params.sort();
    params.dedup();
    params
}

pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UrlHosts {
    pub field: FieldPath,
    pub provider_field: Option<FieldPath>,
    pub providers: Vec<(String, Vec<String>)>,
    pub min: usize,
}

impl UrlHosts {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
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

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

impl Kind for UrlRule {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        UrlRule::check(self, rule, ctx, out);
    }
}

impl Kind for UrlHosts {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        UrlHosts::check(self, rule, ctx, out);
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
    fn matches_param_globs() {
        assert!(glob_match("utm_*", "utm_source"));
        assert!(!glob_match("utm_*", "autm"));
        assert!(glob_match("gclid", "gclid"));
    }
}
