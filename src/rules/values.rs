//! Value-shape kinds: `enum` (one of a list, case-insensitive), `pattern` (a regex, anchored
//! by default), `type` (text, list, mapping, boolean, number) and `min-items`.
//! None of them reports an absent value: that is `required`'s job, so one mistake gives one
//! finding.

use super::placeholders::Placeholders;
use super::{
    decode_path, decode_paths, decode_regex, Constraint, Ctx, Json, Kind, KindSpec, Rule, Vars,
};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use crate::suggest;
use crate::yaml::{Node, ScalarKind, Value};
use regex::Regex;
use std::sync::Arc;

pub(crate) const ENUM_KEYS: &[&str] = &["field", "values"];
pub(crate) const PATTERN_KEYS: &[&str] = &["field", "pattern", "anchored", "expected"];
pub(crate) const TYPE_KEYS: &[&str] = &["fields", "type"];
pub(crate) const MIN_ITEMS_KEYS: &[&str] = &["field", "min"];

pub(crate) static ENUM: KindSpec = KindSpec {
    id: "enum",
    keys: ENUM_KEYS,
    decode: |e, p| Some(Arc::new(Enum::decode(e, p)?)),
};

pub(crate) static PATTERN: KindSpec = KindSpec {
    id: "pattern",
    keys: PATTERN_KEYS,
    decode: |e, p| Some(Arc::new(Pattern::decode(e, p)?)),
};

pub(crate) static TYPE: KindSpec = KindSpec {
    id: "type",
    keys: TYPE_KEYS,
    decode: |e, p| Some(Arc::new(TypeCheck::decode(e, p)?)),
};

pub(crate) static MIN_ITEMS: KindSpec = KindSpec {
    id: "min-items",
    keys: MIN_ITEMS_KEYS,
    decode: |e, p| Some(Arc::new(MinItems::decode(e, p)?)),
};

/// The filled-in values a path selects (template values and empties are skipped).
fn filled<'a>(ctx: &Ctx<'a>, path: &FieldPath) -> Vec<(String, &'a Node)> {
    path.select(ctx.root())
        .into_iter()
        .filter(|(p, n)| ctx.missing(p, Some(n)).is_none())
        .collect()
}

#[derive(Debug, Clone)]
pub(crate) struct Enum {
    pub field: FieldPath,
    pub values: Vec<String>,
}

impl Enum {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let field = e
            .require("field", "an `enum` rule", p)
            .and_then(|f| decode_path(f, p));
        let values = e
            .require("values", "an `enum` rule", p)
            .and_then(|v| v.texts(p))
            .map(|v| v.into_iter().map(|(t, _)| t.to_string()).collect());
        Some(Enum {
            field: field?,
            values: values?,
        })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let expected = self.values.join(", ");
        for (path, node) in filled(ctx, &self.field) {
            let found = match &node.value {
                Value::Scalar { text, .. } => text.trim(),
                _ => node.type_name(),
            };
            if node.as_str().is_some() && self.values.iter().any(|v| v.eq_ignore_ascii_case(found))
            {
                continue;
            }
            let hint = suggest::hint(found, self.values.iter().map(String::as_str));
            out.push(ctx.emit(
                rule,
                Some(&path),
                node.pos,
                format!("`{path}` is `{found}`; expected one of: {expected}{hint}"),
                format!("set `{path}` to one of: {expected}"),
                Vars {
                    field: &path,
                    value: found,
                    expected: &expected,
                },
            ));
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub field: FieldPath,
    pub regex: Regex,
    pub expected: String,
}

impl Pattern {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let field = e
            .require("field", "a `pattern` rule", p)
            .and_then(|f| decode_path(f, p));
        let anchored = e.boolean("anchored", p).unwrap_or(true);
        let expected = e.text("expected", p).map(str::to_string);
        let pattern = e.require("pattern", "a `pattern` rule", p);
        let regex = pattern.and_then(|entry| {
            let text = entry.text(p)?;
            decode_regex(entry, text, entry.value.pos, anchored, p)
        });
        let regex = regex?;
        Some(Pattern {
            field: field?,
            expected: expected.unwrap_or_else(|| format!("a value matching `{}`", regex.as_str())),
            regex,
        })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        for (path, node) in filled(ctx, &self.field) {
            let text = node
                .as_str()
                .filter(|_| node.as_seq().is_none() && node.as_map().is_none());
            if text.is_some_and(|t| self.regex.is_match(t.trim())) {
                continue;
            }
            let shown = text.unwrap_or(node.type_name());
            out.push(ctx.emit(
                rule,
                Some(&path),
                node.pos,
                format!("`{path}` is `{shown}`, not {}", self.expected),
                format!("write `{path}` as {}", self.expected),
                Vars {
                    field: &path,
                    value: shown,
                    expected: &self.expected,
                },
            ));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Text,
    List,
    Mapping,
    Boolean,
    Number,
}

impl Type {
    const NAMES: &'static [&'static str] = &["text", "list", "mapping", "boolean", "number"];

    fn parse(s: &str) -> Option<Type> {
        Some(match s {
            "text" | "string" => Type::Text,
            "list" => Type::List,
            "mapping" | "map" => Type::Mapping,
            "boolean" | "bool" => Type::Boolean,
            "number" => Type::Number,
            _ => return None,
        })
    }

    fn fits(self, node: &Node) -> bool {
        match (&node.value, self) {
            (Value::Seq(_), Type::List) | (Value::Map(_), Type::Mapping) => true,
            (Value::Scalar { kind, .. }, t) => match (kind, t) {
                (ScalarKind::Bool(_), Type::Boolean) => true,
                (ScalarKind::Int | ScalarKind::Float, Type::Number) => true,
                // A number or date written unquoted is still text to a reader.
                (ScalarKind::Str | ScalarKind::Int | ScalarKind::Float, Type::Text) => true,
                _ => false,
            },
            _ => false,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Type::Text => "text",
            Type::List => "a list",
            Type::Mapping => "a mapping",
            Type::Boolean => "true or false",
            Type::Number => "a number",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TypeCheck {
    pub fields: Vec<FieldPath>,
    pub expected: Type,
}

impl TypeCheck {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = e
            .require("fields", "a `type` rule", p)
            .and_then(|f| decode_paths(f, p));
        let ty = e.require("type", "a `type` rule", p).and_then(|t| {
            let text = t.text(p)?;
            let ty = Type::parse(text);
            if ty.is_none() {
                let hint = suggest::hint(text, Type::NAMES.iter().copied());
                t.problem(
                    p,
                    format!(
                        "unknown type `{text}`; use one of: {}{hint}",
                        Type::NAMES.join(", ")
                    ),
                );
            }
            ty
        });
        Some(TypeCheck {
            fields: fields?,
            expected: ty?,
        })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        for (path, node) in self.fields.iter().flat_map(|f| filled(ctx, f)) {
            if self.expected.fits(node) {
                continue;
            }
            let found = node
                .as_str()
                .map(|t| format!("`{t}`"))
                .unwrap_or_else(|| node.type_name().to_string());
            let expected = self.expected.name();
            out.push(ctx.emit(
                rule,
                Some(&path),
                node.pos,
                format!("`{path}` must be {expected}, found {found}"),
                format!("write `{path}` as {expected}"),
                Vars {
                    field: &path,
                    value: node.as_str().unwrap_or_default(),
                    expected,
                },
            ));
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MinItems {
    pub field: FieldPath,
    pub min: usize,
}

impl MinItems {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let field = e
            .require("field", "a `min-items` rule", p)
            .and_then(|f| decode_path(f, p));
        let min = e.number("min", p).unwrap_or(1) as usize;
        Some(MinItems { field: field?, min })
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        for (path, node) in filled(ctx, &self.field) {
            let (message, fix) = match node.as_seq() {
                Some(items) if items.len() >= self.min => continue,
                Some(items) => (
                    format!(
                        "`{path}` lists {}; at least {} needed",
                        crate::text::plural(items.len(), "item"),
                        self.min
                    ),
                    format!(
                        "add at least {} more to `{path}`",
                        crate::text::plural(self.min - items.len(), "item")
                    ),
                ),
                None => (
                    format!("`{path}` must be a list, found {}", node.type_name()),
                    format!("write `{path}` as a list, one `- ` item per line"),
                ),
            };
            out.push(ctx.emit(
                rule,
                Some(&path),
                node.pos,
                message,
                fix,
                Vars {
                    field: &path,
                    ..Vars::default()
                },
            ));
        }
    }
}

impl Kind for Enum {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        Enum::check(self, rule, ctx, out);
    }

    fn schema(&self) -> Vec<Constraint<'_>> {
        vec![Constraint::OneOf(&self.field, &self.values)]
    }

    fn teach(&self, placeholders: &mut Placeholders) {
        placeholders.learn_enum(&self.field, &self.values);
    }
}

impl Kind for Pattern {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        Pattern::check(self, rule, ctx, out);
    }

    fn schema(&self) -> Vec<Constraint<'_>> {
        vec![Constraint::Pattern(
            &self.field,
            self.regex.as_str(),
            &self.expected,
        )]
    }
}

impl Kind for TypeCheck {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        TypeCheck::check(self, rule, ctx, out);
    }

    fn schema(&self) -> Vec<Constraint<'_>> {
        let types: &[Json] = match self.expected {
            // The gate reads an unquoted number as text too.
            Type::Text => &[Json::String, Json::Number],
            Type::List => &[Json::Array],
            Type::Mapping => &[Json::Object],
            Type::Boolean => &[Json::Boolean],
            Type::Number => &[Json::Number],
        };
        self.fields
            .iter()
            .map(|f| Constraint::Types(f, types))
            .collect()
    }

    fn teach(&self, placeholders: &mut Placeholders) {
        if matches!(self.expected, Type::Boolean | Type::Number) {
            placeholders.learn_typed(&self.fields);
        }
    }
}

impl Kind for MinItems {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        MinItems::check(self, rule, ctx, out);
    }

    fn schema(&self) -> Vec<Constraint<'_>> {
        vec![Constraint::MinItems(&self.field, self.min)]
    }
}
