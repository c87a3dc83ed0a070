//! `required`: a field is present and filled in — not empty, not a value copied from the
//! seed template (`pass-or-fail`, `<WORKLOAD_NAME>`, `TBD` …). A nested path is required
//! within each parent that exists (`evidence_urls_checked[*].accessed`,
//! `pricing_verification.url`); whether the parent must exist is its own requirement.
//! `known-fields`: every top-level key is one the policy declares, so a misspelt field
//! (`ownr:`) is caught instead of silently leaving `owner` missing.

use super::{decode_paths, Constraint, Ctx, Kind, KindSpec, Missing, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use crate::suggest;
use crate::yaml::{Node, Value};
use std::sync::Arc;

pub(crate) const REQUIRED_KEYS: &[&str] = &["fields"];
pub(crate) const KNOWN_KEYS: &[&str] = &["allow"];

pub(crate) static REQUIRED: KindSpec = KindSpec {
    id: "required",
    keys: REQUIRED_KEYS,
    decode: |e, p| Some(Arc::new(Required::decode(e, p)?)),
};

pub(crate) static KNOWN_FIELDS: KindSpec = KindSpec {
    id: "known-fields",
    keys: KNOWN_KEYS,
    decode: |e, p| Some(Arc::new(KnownFields::decode(e, p)?)),
};

#[derive(Debug, Clone)]
pub(crate) struct Required {
    pub fields: Vec<FieldPath>,
}

impl Required {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = decode_paths(e.require("fields", "a `required` rule", p)?, p)?;
        Some(Required { fields })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        for path in &self.fields {
            check_path(rule, ctx, path, out);
        }
    }
}

/// Reports `path` when it is absent or not filled in. Shared with `conditional`.
pub(crate) fn check_path(rule: &Rule, ctx: &Ctx<'_>, path: &FieldPath, out: &mut Vec<Finding>) {
    let start = out.len();
    find_missing(rule, ctx, path, out);
    for f in &mut out[start..] {
        f.missing = true;
    }
}

fn find_missing(rule: &Rule, ctx: &Ctx<'_>, path: &FieldPath, out: &mut Vec<Finding>) {
    let Some((parent, key)) = path.split_last_key() else {
        // A path ending in an index: only "present and filled" can be asked of it.
        for (p, node) in path.select(ctx.root()) {
            if let Some(m) = ctx.missing(&p, Some(node)) {
                out.push(report(rule, ctx, &p, node, m));
            }
        }
        return;
    };
    let parents: Vec<(String, &Node)> = if parent.as_str().is_empty() {
        vec![(String::new(), ctx.root())]
    } else {
        parent.select(ctx.root())
    };
    for (ppath, pnode) in parents {
        // A parent that is itself empty or a template value is its own requirement's finding.
        if !ppath.is_empty() && ctx.missing(&ppath, Some(pnode)).is_some() {
            continue;
        }
        let field = if ppath.is_empty() {
            key.to_string()
        } else {
            format!("{ppath}.{key}")
        };
        match &pnode.value {
            Value::Map(_) => match pnode.get(key) {
                Some(v) => {
                    if let Some(m) = ctx.missing(&field, Some(v)) {
                        out.push(report(rule, ctx, &field, v, m));
                    }
                }
                None => {
                    let pos = if ppath.is_empty() {
                        ctx.root_pos()
                    } else {
                        pnode.pos
                    };
                    out.push(ctx.emit(
                        rule,
                        Some(&field),
                        pos,
                        Missing::Absent.describe(&field),
                        default_fix(ctx, &field, key, &Missing::Absent),
                        Vars {
                            field: &field,
                            ..Vars::default()
                        },
                    ));
                }
            },
            // A link written as a plain string is its own `url` (packet-format: "or, where
            // only the URL matters, as a plain string"); the other keys are still missing.
            Value::Scalar { .. } if key == "url" && pnode.as_str().is_some() => {}
            _ => out.push(ctx.emit(
                rule,
                Some(&field),
                pnode.pos,
                format!(
                    "`{ppath}` is {} without `{key}`",
                    if pnode.as_str().is_some() {
                        "plain text"
                    } else {
                        pnode.type_name()
                    }
                ),
                format!("write `{ppath}` as a mapping with `{key}:` (e.g. `{{url: …, {key}: …}}`)"),
                Vars {
                    field: &field,
                    ..Vars::default()
                },
            )),
        }
    }
}

fn report(rule: &Rule, ctx: &Ctx<'_>, field: &str, node: &Node, m: Missing) -> Finding {
    let key = field.rsplit('.').next().unwrap_or(field);
    let value = m.value();
    ctx.emit(
        rule,
        Some(field),
        node.pos,
        m.describe(field),
        default_fix(ctx, field, key, &m),
        Vars {
            field,
            value,
            ..Vars::default()
        },
    )
}

/// "add `key:` with <what the field doc says>", shared with `conditional`.
pub(crate) fn default_fix(ctx: &Ctx<'_>, field: &str, key: &str, m: &Missing) -> String {
    if field != key {
        let parent = &field[..field.len() - key.len()].trim_end_matches('.');
        return match m {
            Missing::Absent => format!("add `{key}:` to `{parent}`"),
            _ => format!("fill in `{key}` of `{parent}`"),
        };
    }
    let doc = ctx.policy.field_doc(key);
    let what = doc
        .map(|d| d.description.clone())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "a real value".to_string());
    let example = doc
        .and_then(|d| d.example.as_deref())
        .map(|e| format!(", e.g. `{key}: {}`", pasteable(e)))
        .unwrap_or_default();
    match m {
        Missing::Absent => format!("add `{key}:` with {what}{example}"),
        Missing::Empty | Missing::Placeholder(_) | Missing::Bare(..) => {
            format!("fill in {what}{example}")
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct KnownFields {
    pub allow: Vec<String>,
}

impl KnownFields {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let allow = match e.take("allow") {
            Some(a) => a
                .texts(p)?
                .into_iter()
                .map(|(t, _)| t.to_string())
                .collect(),
            None => Vec::new(),
        };
        Some(KnownFields { allow })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let Some(map) = ctx.root().as_map() else {
            return;
        };
        let known: Vec<&str> = ctx
            .policy
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .chain(self.allow.iter().map(String::as_str))
            .chain(["packet", "waivers"])
            .collect();
        for (key, _) in map {
            if known.contains(&key.text.as_str()) {
                continue;
            }
            let guess = suggest::closest(&key.text, known.iter().copied());
            let message = match guess {
                Some(g) => format!("unknown field `{}`; did you mean `{g}`?", key.text),
                None => format!(
                    "unknown field `{}` for a {} packet",
                    key.text, ctx.policy.id
                ),
            };
            let fix = match guess {
                Some(g) => format!("rename `{}` to `{g}`", key.text),
                None => "remove it, or declare it under `fields:` in a repository policy".into(),
            };
            out.push(ctx.emit(
                rule,
                Some(&key.text),
                key.pos,
                message,
                fix,
                Vars {
                    field: &key.text,
                    ..Vars::default()
                },
            ));
        }
    }
}

/// An example value as it must be written after `key: ` to paste as valid YAML: as it is when
/// it reads as one plain scalar (or is already a flow collection or quoted), else in double
/// quotes (`bounded: 2 retries …` holds `: `, which would start a mapping).
fn pasteable(example: &str) -> std::borrow::Cow<'_, str> {
    let e = example.trim();
    if e.starts_with(['[', '{', '"', '\'']) {
        return std::borrow::Cow::Borrowed(example);
    }
    let plain = !e.is_empty()
        && !e.starts_with([
            '-', '?', ':', ',', ']', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`',
        ])
        && !e.contains(": ")
        && !e.contains(" #")
        && !e.ends_with(':');
    if plain {
        std::borrow::Cow::Borrowed(example)
    } else {
        std::borrow::Cow::Owned(format!(
            "\"{}\"",
            e.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    }
}

impl Kind for Required {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        Required::check(self, rule, ctx, out);
    }

    fn schema(&self) -> Vec<Constraint<'_>> {
        self.fields.iter().map(Constraint::Required).collect()
    }
}

impl Kind for KnownFields {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        KnownFields::check(self, rule, ctx, out);
    }
}

#[cfg(test)]
mod paste_tests {
    use super::pasteable;

    #[test]
    fn examples_paste_as_valid_yaml() {
        assert_eq!(pasteable("cost per case"), "cost per case");
        assert_eq!(
            pasteable("bounded: 2 retries, then recorded"),
            "\"bounded: 2 retries, then recorded\""
        );
        assert_eq!(pasteable("[a, b]"), "[a, b]");
        assert_eq!(pasteable("- x"), "\"- x\"");
        assert_eq!(pasteable("a \"b\" #c"), "\"a \\\"b\\\" #c\"");
    }
}
