//! `packetgate schema`: a JSON Schema (draft-07, what the YAML language server reads best) of
//! the packet kinds in effect, so an editor flags a wrong value while the packet is typed.
//!
//! The schema is generated from the policies, never written by hand: the policies are the
//! only definition of a packet, and a repository that extends them (a field, an allowed value,
//! a rule switched off) gets a schema that says the same. It sits beside the one-way flow: it
//! reads the validated config and prints JSON; no packet is opened.
//!
//! It says only what JSON Schema can say exactly, so that an editor does not flag what the
//! gate passes, and leaves the rest to `packetgate check`:
//! - a rule counts when it is enabled and can fail a packet (at or above the config's fail
//!   level): a notice is advice, and a schema has no softer way to say something;
//! - `required`, `type`, `enum`, `pattern`, `min-items` and `date` rules translate; conditional
//!   rules, freshness windows, links, claims and secrets stay with the gate;
//! - enums compare case-insensitively, as the gate does (`[tT][eE][sS][tT]`), and so does
//!   `packet:`;
//! - regexes are rewritten into ECMA-262, or left out when they use syntax it lacks ([`ecma`]);
//! - a required field must be filled in: not empty, and not a template value of the policy's
//!   `placeholders:` (`<…>`, `TBD`, …), unless the policy makes exceptions in that field
//!   (`allow`, an enum value that looks like a template); markers with notes, brackets
//!   around a template, lists of nothing and bare `true`/`42` are left to the gate;
//! - unknown fields stay allowed (the gate only warns about them);
//! - an optional field may be left empty (`null`), as the gate allows.
//!
//! Known differences: in an optional field, an empty text or a template value passes the gate
//! but fails a `type`, `enum` or `pattern` constraint here; a value the gate trims (`" test "`)
//! is matched untrimmed by `pattern` rules; and nested requirements under `**` are not
//! expressed.

mod ecma;
mod render;

use crate::config::policy::Policy;
use crate::config::Config;
use crate::fieldpath::{FieldPath, Step};
use crate::rules::{Constraint, Json, Rule};
use crate::yaml::{self, Node, ScalarKind};
use ecma::any_case;
use render::Out;
use serde_json::{json, Map, Value};

pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";
const DATE: &str = r"^\d{4}-\d{2}-\d{2}$";

// JSON types, as bits so that several rules on one field intersect.
const STRING: u8 = 1;
const NUMBER: u8 = 2;
const BOOLEAN: u8 = 4;
const ARRAY: u8 = 8;
const OBJECT: u8 = 16;
const ANY: u8 = 31;
const TYPE_NAMES: [(u8, &str); 5] = [
    (STRING, "string"),
    (NUMBER, "number"),
    (BOOLEAN, "boolean"),
    (ARRAY, "array"),
    (OBJECT, "object"),
];

/// How much a value must hold to count as filled in (the gate's `required`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Filled {
    /// Optional: may be absent or empty.
    #[default]
    No,
    /// Not empty (the policy exempts the field from template values: `credential_ref`).
    NotEmpty,
    /// Not empty and not a template value.
    NotTemplate,
}

/// What the schema says about one value: the packet, a field, a list item. Paths from the
/// policy's rules are walked into this tree, then it is rendered as JSON Schema.
#[derive(Debug, Default)]
struct Shape {
    description: Option<String>,
    examples: Vec<Value>,
    filled: Filled,
    /// Allowed JSON types (`None`: any); every rule that names a type narrows it.
    types: Option<u8>,
    /// ECMA-262 patterns, each with the message an editor shows when it fails.
    patterns: Vec<(String, String)>,
    min_items: u64,
    required: Vec<String>,
    properties: Vec<(String, Shape)>,
    /// `*`: every key.
    any_key: Option<Box<Shape>>,
    /// `[*]`: every item.
    items: Option<Box<Shape>>,
    /// `[n]`: one item.
    indexed: Vec<(usize, Shape)>,
    /// `**`: this value and every value below it.
    deep: Option<Box<Shape>>,
}

impl Shape {
    fn property(&mut self, key: &str) -> &mut Shape {
        let i = match self.properties.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.properties.push((key.to_string(), Shape::default()));
                self.properties.len() - 1
            }
        };
        &mut self.properties[i].1
    }

    fn step(&mut self, step: &Step) -> &mut Shape {
        match step {
            Step::Key(k) => self.property(k),
            Step::AnyKey => self.any_key.get_or_insert_with(Box::default),
            Step::AnyIndex => self.items.get_or_insert_with(Box::default),
            Step::Deep => self.deep.get_or_insert_with(Box::default),
            Step::Index(n) => {
                let i = match self.indexed.iter().position(|(i, _)| i == n) {
                    Some(i) => i,
                    None => {
                        self.indexed.push((*n, Shape::default()));
                        self.indexed.len() - 1
                    }
                };
                &mut self.indexed[i].1
            }
        }
    }

    fn at(&mut self, steps: &[Step]) -> &mut Shape {
        steps.iter().fold(self, |shape, step| shape.step(step))
    }

    fn restrict(&mut self, types: u8) {
        self.types = Some(self.types.unwrap_or(ANY) & types);
    }

    fn pattern(&mut self, pattern: String, message: String) {
        if !self.patterns.iter().any(|(p, _)| *p == pattern) {
            self.patterns.push((pattern, message));
        }
    }

    fn example(&mut self, value: Value) {
        if !self.examples.contains(&value) {
            self.examples.push(value);
        }
    }
}

/// The schema of one kind, as a tree: field docs first, then what the rules say.
fn kind_shape(policy: &Policy, config: &Config) -> Shape {
    let mut root = Shape {
        filled: Filled::NotEmpty,
        ..Shape::default()
    };
    root.restrict(OBJECT);
    if !policy.description.is_empty() {
        root.description = Some(policy.description.clone());
    }
    for f in &policy.fields {
        let field = root.property(&f.name);
        if !f.description.is_empty() {
            field.description = Some(f.description.clone());
        }
        if let Some(e) = &f.example {
            field.example(example(e));
        }
    }
    let packet = root.property("packet");
    packet.pattern(any_case(&[&policy.id]), format!("`{}`", policy.id));
    packet.example(Value::String(policy.id.clone()));
    let rules: Vec<&Rule> = policy
        .rules
        .iter()
        .filter(|r| r.enabled && r.severity >= config.fail_on)
        .collect();
    // What each rule's kind says about the shape (`Kind::schema`), in the rules' order.
    let constraints: Vec<Constraint<'_>> = rules.iter().flat_map(|r| r.check.schema()).collect();
    // Requirements first: whether a field may be left empty decides its `null`.
    for c in &constraints {
        if let Constraint::Required(path) = c {
            require(&mut root, policy, path);
        }
    }
    for c in &constraints {
        constrain(&mut root, c);
    }
    root
}

fn require(root: &mut Shape, policy: &Policy, path: &FieldPath) {
    let steps = path.steps();
    // Under `**` the gate asks every value at every depth, scalars included: nothing a
    // schema could usefully say.
    if steps.contains(&Step::Deep) {
        return;
    }
    // A field with its own exceptions (`NONE` is a real `exception_reason`, `pending` a real
    // `approval_status`) is left to the gate: the shared pattern would reject them.
    let how = if !policy.placeholders.plain(path.as_str()) {
        Filled::NotEmpty
    } else {
        Filled::NotTemplate
    };
    match steps.split_last() {
        Some((Step::Key(key), parent_steps)) => {
            let parent = root.at(parent_steps);
            if !parent.required.contains(key) {
                parent.required.push(key.clone());
            }
            if !parent_steps.is_empty() {
                // The gate reads a plain string as a link's own `url`; any other key needs a
                // mapping around it.
                parent.restrict(if key == "url" {
                    STRING | NUMBER | BOOLEAN | OBJECT
                } else {
                    OBJECT
                });
            }
            let field = parent.property(key);
            field.filled = field.filled.max(how);
        }
        // A path ending in `[*]`, `[n]` or `*`: each value it selects is filled in.
        Some(_) => {
            let value = root.at(steps);
            value.filled = value.filled.max(how);
        }
        None => {}
    }
}

fn constrain(root: &mut Shape, c: &Constraint<'_>) {
    match *c {
        Constraint::Required(_) => {}
        Constraint::Types(field, types) => {
            let bits = types.iter().fold(0, |bits, t| {
                bits | match t {
                    Json::String => STRING,
                    Json::Number => NUMBER,
                    Json::Boolean => BOOLEAN,
                    Json::Array => ARRAY,
                    Json::Object => OBJECT,
                }
            });
            root.at(field.steps()).restrict(bits);
        }
        Constraint::OneOf(field, values) => {
            let shape = root.at(field.steps());
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            shape.pattern(
                any_case(&values),
                format!("one of: {} (any case)", values.join(", ")),
            );
            for v in values {
                shape.example(Value::String(v.to_string()));
            }
        }
        Constraint::Pattern(field, regex, expected) => {
            if let Some(re) = ecma::translate(regex) {
                root.at(field.steps()).pattern(re, expected.to_string());
            }
        }
        Constraint::MinItems(field, min) => {
            let shape = root.at(field.steps());
            shape.restrict(ARRAY);
            shape.min_items = shape.min_items.max(min as u64);
        }
        Constraint::Date(field) => {
            let shape = root.at(field.steps());
            shape.restrict(STRING);
            shape.pattern(DATE.into(), "a date in YYYY-MM-DD form".into());
        }
    }
}

/// A field doc's example as the value it shows: `false` is a boolean and `[a, b]` a list.
/// Text that parses as a block mapping (`returned: unit_metric missing`) stays text: it is
/// written to follow `field: ` on one line.
fn example(text: &str) -> Value {
    let t = text.trim();
    match yaml::parse(t, yaml::Limits::default()) {
        Ok(doc) => match doc.root {
            Some(node) if node.as_map().is_none() || t.starts_with('{') => json_value(&node),
            _ => Value::String(text.to_string()),
        },
        Err(_) => Value::String(text.to_string()),
    }
}

/// A YAML value as JSON, the way a YAML 1.2 reader (the language server) converts it.
fn json_value(node: &Node) -> Value {
    match &node.value {
        yaml::Value::Scalar { text, kind } => match kind {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool(b) => Value::Bool(*b),
            ScalarKind::Int | ScalarKind::Float => text
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                })
                .unwrap_or_else(|| Value::String(text.clone())),
            ScalarKind::Str => Value::String(text.clone()),
        },
        yaml::Value::Seq(items) => Value::Array(items.iter().map(json_value).collect()),
        yaml::Value::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.text.clone(), json_value(v)))
                .collect(),
        ),
    }
}

fn comment() -> String {
    format!(
        "Generated by packetgate {} from the policies in effect; run `packetgate schema` again \
         after changing them. Conditional rules, freshness windows, links, claims and secrets \
         are judged by `packetgate check` only.",
        env!("CARGO_PKG_VERSION")
    )
}

/// The schema of every kind in effect, or of one kind with `kind`. The error names the kinds
/// there are.
pub fn generate(config: &Config, kind: Option<&str>) -> Result<Value, String> {
    let kinds = config.kinds();
    if let Some(k) = kind {
        let Some(policy) = config.policy(k) else {
            return Err(format!(
                "no packet kind `{k}`{}; kinds in effect: {}",
                crate::suggest::hint(k, kinds.iter().copied()),
                kinds.join(", ")
            ));
        };
        let mut out = Out::new(policy);
        let Value::Object(body) = out.render(&kind_shape(policy, config)) else {
            unreachable!("a shape renders as an object");
        };
        let mut schema = Map::new();
        schema.insert("$schema".into(), DRAFT_07.into());
        schema.insert("$comment".into(), comment().into());
        schema.insert("title".into(), format!("packetgate {k} packet").into());
        schema.extend(body);
        if !out.definitions.is_empty() {
            schema.insert("definitions".into(), Value::Object(out.definitions));
        }
        return Ok(Value::Object(schema));
    }
    let mut definitions = Map::new();
    let mut all_of = Vec::new();
    for k in &kinds {
        let Some(policy) = config.policy(k) else {
            continue;
        };
        let mut out = Out::new(policy);
        let body = out.render(&kind_shape(policy, config));
        definitions.extend(out.definitions);
        definitions.insert(policy.id.clone(), body);
        all_of.push(json!({
            "if": {"properties": {"packet": {"pattern": any_case(&[k])}}, "required": ["packet"]},
            "then": {"$ref": format!("#/definitions/{k}")},
        }));
    }
    let mut examples: Vec<Value> = kinds.iter().map(|k| Value::from(*k)).collect();
    examples.dedup();
    Ok(json!({
        "$schema": DRAFT_07,
        "$comment": comment(),
        "title": "packetgate packet",
        "description": format!("An AI API token-budget packet: {}.", kinds.join(" or ")),
        "type": "object",
        "properties": {
            "packet": {
                "description": "the packet kind",
                "pattern": any_case(&kinds),
                "patternErrorMessage": format!("Expected one of: {} (any case).", kinds.join(", ")),
                "examples": examples,
            },
            "waivers": {
                "description": "findings accepted on the record, each until a day (docs/waivers.md)",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "owner", "reason", "expires"],
                    "properties": {
                        "rule": {"type": "string", "description": "the rule id, as printed in findings"},
                        "field": {"type": "string", "description": "only findings on this dotted path (or inside it)"},
                        "owner": {"type": "string", "description": "who accepts the finding"},
                        "reason": {"type": "string", "description": "why it is accepted"},
                        "expires": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "the last day the waiver holds (YYYY-MM-DD)"},
                    },
                    "additionalProperties": false,
                },
            },
        },
        "allOf": all_of,
        "definitions": definitions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_ignore_ascii_case_only() {
        assert_eq!(
            any_case(&["test", "2XX", "a.b"]),
            r"^\s*(?:[tT][eE][sS][tT]|2[xX][xX]|[aA]\.[bB])\s*$"
        );
    }

    #[test]
    fn examples_keep_their_yaml_type() {
        assert_eq!(example("false"), json!(false));
        assert_eq!(example("2026-11-14"), json!("2026-11-14"));
        assert_eq!(example("\"<API_KEY>\""), json!("<API_KEY>"));
        assert_eq!(example("[a, b]"), json!(["a", "b"]));
        assert_eq!(
            example("{url: https://x.example/, accessed: 2026-11-12}"),
            json!({"url": "https://x.example/", "accessed": "2026-11-12"})
        );
        assert_eq!(
            example("returned: unit_metric missing"),
            json!("returned: unit_metric missing")
        );
    }
}
