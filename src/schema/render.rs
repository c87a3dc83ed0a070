//! Rendering a [`Shape`] tree as JSON Schema draft-07: types, patterns with the messages an
//! editor shows, nested properties and items, and the named definitions that several values
//! share (a filled-in value) or that refer to themselves (`**`, any depth).

use super::ecma::{self, alternatives};
use super::{Filled, Shape, ANY, ARRAY, OBJECT, STRING, TYPE_NAMES};
use crate::config::policy::Policy;
use serde_json::{json, Map, Value};

/// The pattern a filled-in text matches: something besides spaces, and (unless exempt) no
/// template value of the policy. A placeholder pattern with syntax ECMA-262 lacks is left out.
fn filled_pattern(policy: &Policy, how: Filled) -> (String, String) {
    let (values, patterns) = policy.placeholders.listed();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let mut alts = Vec::new();
    if !values.is_empty() {
        alts.push(alternatives(&values));
    }
    // Placeholder patterns are stored anchored (`^(?:…)$`); the anchors move outside.
    alts.extend(patterns.iter().filter_map(|p| {
        let t = ecma::translate(p.as_str())?;
        Some(t.strip_prefix('^')?.strip_suffix('$')?.to_string())
    }));
    if how == Filled::NotEmpty || alts.is_empty() {
        return (
            r"\S".into(),
            "a value: a required field cannot be empty".into(),
        );
    }
    let mut shown: Vec<&str> = values.iter().take(3).copied().collect();
    shown.push("…");
    (
        format!(r"^(?!\s*(?:{})\s*$)[\s\S]*\S", alts.join("|")),
        format!(
            "a real value: a required field cannot be empty or a template value ({})",
            shown.join(", ")
        ),
    )
}

/// Rendering state: the definitions made so far (`**` needs a named, recursive schema).
#[derive(Debug)]
pub(super) struct Out<'a> {
    policy: &'a Policy,
    pub definitions: Map<String, Value>,
    deep: usize,
}

impl<'a> Out<'a> {
    pub(super) fn new(policy: &'a Policy) -> Self {
        Out {
            policy,
            definitions: Map::new(),
            deep: 0,
        }
    }

    pub(super) fn render(&mut self, s: &Shape) -> Value {
        let mut o = Map::new();
        let mut all_of = Vec::new();
        if let Some(d) = &s.description {
            o.insert("description".into(), d.as_str().into());
        }
        if !s.examples.is_empty() {
            o.insert("examples".into(), Value::Array(s.examples.clone()));
        }
        self.checks(s, &mut o, &mut all_of);
        if !s.required.is_empty() {
            o.insert("required".into(), s.required.clone().into());
        }
        if !s.properties.is_empty() {
            let props: Map<String, Value> = s
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), self.render(v)))
                .collect();
            o.insert("properties".into(), Value::Object(props));
        }
        if let Some(items) = &s.items {
            let items = self.render(items);
            o.insert("items".into(), items);
        }
        if let Some(last) = s.indexed.iter().map(|(i, _)| *i).max() {
            let mut tuple = vec![json!({}); last + 1];
            for (i, shape) in &s.indexed {
                tuple[*i] = self.render(shape);
            }
            all_of.push(json!({ "items": tuple }));
        }
        // Wrapped in `allOf`, so every key gets it even where `properties` names the key
        // (older language servers skip named keys in `patternProperties`).
        if let Some(any) = &s.any_key {
            all_of.push(json!({"patternProperties": {"^": self.render(any)}}));
        }
        if let Some(deep) = &s.deep {
            let name = self.any_depth(deep);
            all_of.push(reference(&name));
        }
        if !all_of.is_empty() {
            o.insert("allOf".into(), all_of.into());
        }
        Value::Object(o)
    }

    /// What the value itself must be: its types, patterns and sizes.
    fn checks(&mut self, s: &Shape, o: &mut Map<String, Value>, all_of: &mut Vec<Value>) {
        let filled = s.filled != Filled::No;
        if filled && s.types.is_none() && s.patterns.is_empty() && s.min_items == 0 {
            // The common case, a required field of any type: one shared definition.
            let name = self.filled_in(s.filled);
            all_of.push(reference(&name));
            return;
        }
        let allowed = s.types.unwrap_or(ANY);
        if s.types.is_some() || filled {
            let mut names: Vec<&str> = TYPE_NAMES
                .iter()
                .filter(|(bit, _)| allowed & bit != 0)
                .map(|(_, name)| *name)
                .collect();
            // An optional value may be left empty, as the gate allows.
            if !filled {
                names.push("null");
            }
            let names = match names.as_slice() {
                [one] => Value::from(*one),
                _ => Value::from(names),
            };
            o.insert("type".into(), names);
        }
        let mut patterns = s.patterns.clone();
        if filled && allowed & STRING != 0 && patterns.is_empty() {
            patterns.push(filled_pattern(self.policy, s.filled));
        }
        for (i, (re, message)) in patterns.into_iter().enumerate() {
            match (i, pattern_check(re, &message)) {
                (0, Value::Object(first)) => o.extend(first),
                (_, other) => all_of.push(other),
            }
        }
        let min_items = if filled {
            s.min_items.max(1)
        } else {
            s.min_items
        };
        if min_items > 0 && allowed & ARRAY != 0 {
            o.insert("minItems".into(), min_items.into());
        }
        if filled && allowed & OBJECT != 0 {
            o.insert("minProperties".into(), 1.into());
        }
    }

    /// The shared definition of a filled-in value of any type, made on first use.
    fn filled_in(&mut self, how: Filled) -> String {
        let suffix = if how == Filled::NotEmpty {
            "not-empty"
        } else {
            "filled-in"
        };
        let name = format!("{}.{suffix}", self.policy.id);
        if !self.definitions.contains_key(&name) {
            let (re, message) = filled_pattern(self.policy, how);
            let mut def = json!({
                "description": "a required field: present, not empty, and (unless the policy exempts it) not a template value",
                "type": ["string", "number", "boolean", "array", "object"],
                "minItems": 1,
                "minProperties": 1,
            });
            if let (Value::Object(d), Value::Object(p)) = (&mut def, pattern_check(re, &message)) {
                d.extend(p);
            }
            self.definitions.insert(name.clone(), def);
        }
        name
    }

    /// A definition that applies `shape` to a value and, through itself, to every value below.
    fn any_depth(&mut self, shape: &Shape) -> String {
        self.deep += 1;
        let name = format!("{}.any-depth-{}", self.policy.id, self.deep);
        let me = reference(&name);
        let mut def = self.render(shape);
        let recurse = json!({"patternProperties": {"^": me.clone()}, "items": me});
        if let Value::Object(o) = &mut def {
            match o.get_mut("allOf") {
                Some(Value::Array(all)) => all.push(recurse),
                _ => {
                    o.insert("allOf".into(), json!([recurse]));
                }
            }
        }
        self.definitions.insert(name.clone(), def);
        name
    }
}

fn reference(definition: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{definition}") })
}

/// `pattern` with the message the YAML language server shows when it fails.
fn pattern_check(re: String, message: &str) -> Value {
    json!({"pattern": re, "patternErrorMessage": format!("Expected {message}.")})
}
