//! `check --fix` and `--diff`: the mechanical repairs, made as text edits at the places the
//! findings point to, so comments, order, quoting, line endings and a byte-order mark stay as
//! they were and nothing else changes:
//! - tracking parameters taken out of a link (`url-tracking`: the rule's own parameter list);
//! - an enum value rewritten in its canonical case (`Staging` → `staging`);
//! - `http://` made `https://` for a host in a policy's provider documentation list.
//!
//! Only findings of a packet's own policy rules are repaired, and only when the text at the
//! finding's place is what the rule judged; anything else is left for a person.

use crate::config::Config;
use crate::discover::Candidate;
use crate::engine::Report;
use crate::rules::urls::{glob_match, UrlCheck, UrlHosts, UrlRule};
use crate::rules::values::Enum;
use std::path::PathBuf;

/// The repaired text of one file.
#[derive(Debug)]
pub(crate) struct FileFix {
    pub path: PathBuf,
    /// As reports show it.
    pub display: String,
    pub before: String,
    pub after: String,
    /// How many edits were made.
    pub edits: usize,
}

/// One replacement: byte range of the file's text, and the new text.
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

/// The repairs the report's findings allow, per file (files with none are left out).
pub(crate) fn plan(config: &Config, report: &Report, candidates: &[Candidate]) -> Vec<FileFix> {
    let mut out = Vec::new();
    for packet in &report.packets {
        let Some(policy) = packet.kind.as_deref().and_then(|k| config.policy(k)) else {
            continue;
        };
        let Some(c) = candidates.iter().find(|c| c.display == packet.path) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&c.fs_path) else {
            continue;
        };
        let docs_hosts: Vec<String> = policy
            .rules
            .iter()
            .filter_map(|r| {
                let h = r.kind_as::<UrlHosts>()?;
                Some(h.providers.iter().flat_map(|(_, hosts)| hosts.clone()))
            })
            .flatten()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let tracking =
            crate::rules::urls::tracking_params(policy.rules.iter().filter(|r| r.enabled));
        let lines = LineIndex::new(&text);
        let mut edits: Vec<Edit> = Vec::new();
        let mut add = |e: Option<Edit>| {
            if let Some(e) = e {
                if !edits.iter().any(|o| o.start < e.end && e.start < o.end) {
                    edits.push(e);
                }
            }
        };
        for f in &packet.findings {
            let Some(rule) = policy.rules.iter().find(|r| r.id == f.rule) else {
                continue;
            };
            let Some(at) = lines.offset(f.line, f.column) else {
                continue;
            };
            if let Some(u) = rule.kind_as::<UrlRule>() {
                if matches!(u.check, UrlCheck::NoTracking(_) | UrlCheck::Https) {
                    add(repair_link(&text, at, &tracking, &docs_hosts));
                }
            }
        }
        // Enum values pass in any case, so they have no finding: look at the values.
        for (line, column, values) in enum_values(config, c, policy) {
            if let Some(at) = lines.offset(line, column) {
                add(canonical_case(&text, at, values));
            }
        }
        if edits.is_empty() {
            continue;
        }
        edits.sort_by_key(|e| std::cmp::Reverse(e.start));
        let mut after = text.clone();
        for e in &edits {
            after.replace_range(e.start..e.end, &e.with);
        }
        out.push(FileFix {
            path: c.fs_path.clone(),
            display: packet.path.clone(),
            before: text,
            after,
            edits: edits.len(),
        });
    }
    out
}

/// Byte offsets of lines and columns in the file as it is on disk (CRLF and a byte-order
/// mark included; findings count columns in characters after the mark).
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let mut starts = vec![if text.starts_with('\u{feff}') { 3 } else { 0 }];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn offset(&self, line: u32, column: u32) -> Option<usize> {
        let start = *self.starts.get(line.checked_sub(1)? as usize)?;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line_text = &self.text[start..end];
        let col = column.checked_sub(1)? as usize;
        let byte = line_text
            .char_indices()
            .nth(col)
            .map(|(i, _)| i)
            .or_else(|| (line_text.chars().count() == col).then_some(line_text.len()))?;
        Some(start + byte)
    }
}

/// The scalar written at `at`: its inner byte range (inside quotes when quoted).
fn scalar_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = &text[at..];
    let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    let line = &rest[..line_end];
    let first = line.chars().next()?;
    if first == '"' || first == '\'' {
        let close = line[1..].find(first)? + 1;
        return Some((at + 1, at + close));
    }
    // A plain scalar: up to a comment, or in a flow collection up to `,` `]` `}`.
    let before = &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..at];
    let in_flow = before.contains(['[', '{']);
    let mut end = line.len();
    for (i, c) in line.char_indices() {
        if c == '#' && i > 0 && line[..i].ends_with([' ', '\t'])
            || in_flow && matches!(c, ',' | ']' | '}')
        {
            end = i;
            break;
        }
    }
    let trimmed = line[..end].trim_end().len();
    (trimmed > 0).then_some((at, at + trimmed))
}

/// A link written at `at` (a value, or a link inside prose): up to white space or a
/// character that ends a link in running text.
fn link_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = &text[at..];
    if !rest.get(..8)?.eq_ignore_ascii_case("https://")
        && !rest.get(..7)?.eq_ignore_ascii_case("http://")
    {
        return scalar_at(text, at).filter(|(s, e)| text[*s..*e].contains("://"));
    }
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')' | ']'))
        .unwrap_or(rest.len());
    let link = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
    (!link.is_empty()).then_some((at, at + link.len()))
}

fn canonical_case(text: &str, at: usize, values: &[String]) -> Option<Edit> {
    let (start, end) = scalar_at(text, at)?;
    let written = &text[start..end];
    let canonical = values.iter().find(|v| v.eq_ignore_ascii_case(written))?;
    (canonical != written).then(|| Edit {
        start,
        end,
        with: canonical.clone(),
    })
}

/// The link at `at` with both link repairs made: `https://` for a docs host, tracking
/// parameters out.
fn repair_link(text: &str, at: usize, params: &[String], docs_hosts: &[String]) -> Option<Edit> {
    let (start, end) = link_at(text, at)?;
    let mut link = text[start..end].to_string();
    if let Some(e) = to_https(text, at, docs_hosts) {
        link.replace_range(..e.end - e.start, &e.with);
    }
    if let Some(e) = without_tracking(&link, 0, params) {
        link = e.with;
    }
    (link != text[start..end]).then_some(Edit {
        start,
        end,
        with: link,
    })
}

/// Where each scalar an enum rule judges stands (line, column in the file), with the rule's
/// values, read from the packet as the engine reads it.
fn enum_values<'p>(
    config: &Config,
    c: &Candidate,
    policy: &'p crate::config::policy::Policy,
) -> Vec<(u32, u32, &'p [String])> {
    let Ok(bytes) = std::fs::read(&c.fs_path) else {
        return Vec::new();
    };
    let origin = crate::packet::Origin {
        explicit: c.explicit,
        assigned_kind: c.kind.as_deref(),
    };
    let crate::packet::Loaded::Packet(p, _) =
        crate::packet::load(&c.display, &bytes, origin, &config.kinds(), config.limits)
    else {
        return Vec::new();
    };
    let mut scalars = Vec::new();
    walk(&p.root, String::new(), &mut scalars);
    let mut out = Vec::new();
    for rule in policy.rules.iter().filter(|r| r.enabled) {
        let Some(e) = rule.kind_as::<Enum>() else {
            continue;
        };
        for (path, node) in &scalars {
            if e.field.matches(path) {
                let mut f = crate::finding::Finding::new(
                    "",
                    crate::finding::Severity::Notice,
                    None,
                    node.pos,
                    String::new(),
                    "",
                );
                p.removed.place(&mut f);
                out.push((f.line, f.column, e.values.as_slice()));
            }
        }
    }
    out
}

/// Every scalar under `node` with its concrete path (`a.b[0].c`).
fn walk<'n>(
    node: &'n crate::yaml::Node,
    path: String,
    out: &mut Vec<(String, &'n crate::yaml::Node)>,
) {
    match &node.value {
        crate::yaml::Value::Scalar { .. } => out.push((path, node)),
        crate::yaml::Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), out);
            }
        }
        crate::yaml::Value::Map(entries) => {
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.text.clone()
                } else {
                    format!("{path}.{}", k.text)
                };
                walk(v, p, out);
            }
        }
    }
}

fn without_tracking(text: &str, at: usize, params: &[String]) -> Option<Edit> {
    let (start, end) = link_at(text, at)?;
    let link = &text[start..end];
    let (head, fragment) = match link.find('#') {
        Some(i) => link.split_at(i),
        None => (link, ""),
    };
    let (base, query) = head.split_once('?')?;
    let tracking = |pair: &str| {
        let key = pair.split('=').next().unwrap_or("");
        let key = url::form_urlencoded::parse(format!("{key}=").as_bytes())
            .next()
            .map_or_else(|| key.to_string(), |(k, _)| k.into_owned())
            .to_ascii_lowercase();
        params.iter().any(|p| glob_match(p, &key))
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !tracking(p))
        .collect();
    if kept.len() == query.split('&').filter(|p| !p.is_empty()).count() {
        return None;
    }
    let mut with = base.to_string();
    if !kept.is_empty() {
        with.push('?');
        with.push_str(&kept.join("&"));
    }
    with.push_str(fragment);
    Some(Edit { start, end, with })
}

fn to_https(text: &str, at: usize, docs_hosts: &[String]) -> Option<Edit> {
    let (start, end) = link_at(text, at)?;
    let link = &text[start..end];
    if !link.get(..7)?.eq_ignore_ascii_case("http://") {
        return None;
    }
    let host = url::Url::parse(link).ok()?.host_str()?.to_ascii_lowercase();
    docs_hosts.contains(&host).then(|| Edit {
        start,
        end: start + 7,
        with: "https://".into(),
    })
}

/// A unified diff of one file's repair, with one line of context around each change.
pub(crate) fn unified_diff(fix: &FileFix) -> String {
    let before: Vec<&str> = fix.before.split_inclusive('\n').collect();
    let after: Vec<&str> = fix.after.split_inclusive('\n').collect();
    let mut out = format!("--- a/{0}\n+++ b/{0}\n", fix.display);
    // Edits never add or remove a line: compare line by line.
    let changed: Vec<usize> = (0..before.len().max(after.len()))
        .filter(|&i| before.get(i) != after.get(i))
        .collect();
    let mut i = 0;
    while i < changed.len() {
        // Changes within two lines of each other share a hunk.
        let mut j = i;
        while j + 1 < changed.len() && changed[j + 1] <= changed[j] + 3 {
            j += 1;
        }
        let from = changed[i].saturating_sub(1);
        let to = (changed[j] + 1).min(before.len().saturating_sub(1));
        let count = to - from + 1;
        out.push_str(&format!(
            "@@ -{},{count} +{},{count} @@\n",
            from + 1,
            from + 1
        ));
        for k in from..=to {
            let (b, a) = (before.get(k).copied(), after.get(k).copied());
            match (b, a) {
                (Some(b), Some(a)) if a == b => push_line(&mut out, ' ', b),
                _ => {
                    if let Some(b) = b {
                        push_line(&mut out, '-', b);
                    }
                    if let Some(a) = a {
                        push_line(&mut out, '+', a);
                    }
                }
            }
        }
        i = j + 1;
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_come_out_and_the_rest_stays() {
        let params = vec!["utm_*".to_string(), "fbclid".to_string()];
        let text = "url: https://x.example/a?utm_source=n&id=3&fbclid=z#top # note\n";
        let e = without_tracking(text, 5, &params).unwrap();
        let mut t = text.to_string();
        t.replace_range(e.start..e.end, &e.with);
        assert_eq!(t, "url: https://x.example/a?id=3#top # note\n");
        let text = "see <https://x.example/?utm_medium=e>.\n";
        let e = without_tracking(text, 5, &params).unwrap();
        assert_eq!(e.with, "https://x.example/");
    }

    #[test]
    fn enum_case_and_quotes() {
        let values = vec!["staging".to_string(), "production".to_string()];
        let text = "environment: \"Staging\"  # tested there\r\n";
        let e = canonical_case(text, 13, &values).unwrap();
        assert_eq!(
            (&text[e.start..e.end], e.with.as_str()),
            ("Staging", "staging")
        );
        assert!(canonical_case("environment: stage\n", 13, &values).is_none());
    }

    #[test]
    fn lines_and_columns_on_disk() {
        let text = "\u{feff}a: 1\r\nbé: x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.offset(1, 1), Some(3));
        assert_eq!(&text[idx.offset(2, 5).unwrap()..], "x\n");
    }
}
