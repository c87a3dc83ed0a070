//! The contract: the operations of the two OpenAPI slices in the contracts folder, matching a
//! path to them, and the JSON Schema validators (parameters, request body, responses)
//! compiled from them on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

use super::contracts_dir;
use super::fixtures::read_json;
use super::util::percent_decode;

pub(super) struct Contract {
    ops: Vec<Operation>,
    /// `components.examples.*.value` of both files: templates for realistic answers.
    examples: Map<String, Value>,
}

pub(super) struct Operation {
    pub(super) method: String,
    pub(super) template: String,
    segments: Vec<Segment>,
    /// e.g. `checks/create`.
    pub(super) id: String,
    pub(super) docs_url: String,
    /// The OpenAPI document it comes from, with OpenAPI-only keywords made JSON Schema.
    doc: Arc<Value>,
    params: Vec<Param>,
    /// `Some(required)` when the operation takes a JSON body.
    pub(super) body: Option<bool>,
    params_validator: OnceLock<jsonschema::Validator>,
    body_validator: OnceLock<jsonschema::Validator>,
    /// Per status code: the JSON response schema, if the contract has one.
    response_validators: Mutex<HashMap<u16, Option<Arc<jsonschema::Validator>>>>,
}

enum Segment {
    Literal(String),
    /// `multi`: `x-multi-segment` (the contents path) takes the rest of the path.
    Param {
        name: String,
        multi: bool,
    },
}

pub(super) struct Param {
    name: String,
    pub(super) in_path: bool,
    required: bool,
    pub(super) schema: Value,
}

pub(super) fn contract() -> &'static Contract {
    // Parsed once per test binary: the files do not change while tests run.
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(Contract::load)
}

impl Contract {
    fn load() -> Contract {
        let dir = contracts_dir();
        let mut ops = Vec::new();
        let mut examples = Map::new();
        for file in ["rest-subset.openapi.json", "rest-extra.openapi.json"] {
            let mut doc = read_json(&dir.join(file));
            openapi_to_json_schema(&mut doc);
            if let Some(ex) = doc
                .pointer("/components/examples")
                .and_then(Value::as_object)
            {
                for (name, example) in ex {
                    examples
                        .entry(name.clone())
                        .or_insert_with(|| example["value"].clone());
                }
            }
            let doc = Arc::new(doc);
            let paths = doc["paths"].as_object().expect("OpenAPI `paths`");
            for (template, item) in paths {
                for (method, op) in item.as_object().into_iter().flatten() {
                    if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                        ops.push(Operation::new(&doc, template, method, op, item));
                    }
                }
            }
        }
        Contract { ops, examples }
    }

    pub(super) fn example(&self, name: &str) -> Value {
        self.examples
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("contract example `{name}` missing"))
    }

    /// The operations whose path template matches `path`, most specific template first,
    /// with the decoded path parameters.
    pub(super) fn route(&self, path: &str) -> Vec<(&Operation, Vec<(String, String)>)> {
        let mut found: Vec<_> = self
            .ops
            .iter()
            .filter_map(|op| op.match_path(path).map(|p| (op, p)))
            .collect();
        found.sort_by_key(|(op, _)| std::cmp::Reverse(op.literal_count()));
        found
    }
}

impl Operation {
    fn new(doc: &Arc<Value>, template: &str, method: &str, op: &Value, item: &Value) -> Operation {
        let resolve = |p: &Value| -> Value {
            match p["$ref"].as_str() {
                Some(r) => doc
                    .pointer(r.trim_start_matches('#'))
                    .cloned()
                    .unwrap_or_else(|| panic!("unresolved parameter {r}")),
                None => p.clone(),
            }
        };
        let declared = item["parameters"]
            .as_array()
            .into_iter()
            .chain(op["parameters"].as_array())
            .flatten();
        let mut multi = Vec::new();
        let params = declared
            .map(|p| {
                let p = resolve(p);
                let name = p["name"].as_str().unwrap_or_default().to_string();
                if p["x-multi-segment"] == json!(true) {
                    multi.push(name.clone());
                }
                let mut schema = p["schema"].clone();
                if name == "per_page" {
                    // Only the description says "max 100"; GitHub enforces it.
                    schema["minimum"] = json!(1);
                    schema["maximum"] = json!(100);
                }
                Param {
                    in_path: p["in"] == "path",
                    required: p["required"] == json!(true),
                    name,
                    schema,
                }
            })
            .collect();
        let segments = template
            .trim_start_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param {
                        name: name.into(),
                        multi: multi.iter().any(|m| m == name),
                    },
                    None => Segment::Literal(s.into()),
                },
            )
            .collect();
        let body = op["requestBody"]["content"]
            .get("application/json")
            .map(|_| op["requestBody"]["required"] == json!(true));
        Operation {
            method: method.to_ascii_uppercase(),
            template: template.into(),
            segments,
            id: op["operationId"].as_str().unwrap_or_default().into(),
            docs_url: op["externalDocs"]["url"]
                .as_str()
                .unwrap_or("https://docs.github.com/rest")
                .into(),
            doc: doc.clone(),
            params,
            body,
            params_validator: OnceLock::new(),
            body_validator: OnceLock::new(),
            response_validators: Mutex::new(HashMap::new()),
        }
    }

    fn literal_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    fn match_path(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut params = Vec::new();
        let mut i = 0;
        for segment in &self.segments {
            match segment {
                Segment::Literal(lit) => {
                    if parts.get(i) != Some(&lit.as_str()) {
                        return None;
                    }
                    i += 1;
                }
                Segment::Param { name, multi: true } => {
                    let rest = parts.get(i..).filter(|r| !r.is_empty())?.join("/");
                    params.push((name.clone(), percent_decode(&rest, false)));
                    i = parts.len();
                }
                Segment::Param { name, .. } => {
                    let part = parts.get(i).filter(|p| !p.is_empty())?;
                    params.push((name.clone(), percent_decode(part, false)));
                    i += 1;
                }
            }
        }
        (i == parts.len()).then_some(params)
    }

    /// JSON pointer (not yet URI-escaped) to this operation in its document.
    fn pointer(&self) -> String {
        format!(
            "/paths/{}/{}",
            pointer_token(&self.template),
            self.method.to_ascii_lowercase()
        )
    }

    /// Path and query parameters as one object: each value coerced to the declared type
    /// when it parses as such, so a wrong one fails its schema with a readable message.
    pub(super) fn params_validator(&self) -> &jsonschema::Validator {
        self.params_validator.get_or_init(|| {
            let properties: Map<String, Value> = self
                .params
                .iter()
                .map(|p| (p.name.clone(), p.schema.clone()))
                .collect();
            let required: Vec<&str> = self
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name.as_str())
                .collect();
            build_validator(&json!({
                "type": "object",
                "properties": properties,
                "required": required,
            }))
        })
    }

    pub(super) fn body_validator(&self) -> &jsonschema::Validator {
        self.body_validator.get_or_init(|| {
            let at = format!(
                "{}/requestBody/content/application~1json/schema",
                self.pointer()
            );
            build_validator(&rooted(&self.doc, &at))
        })
    }

    pub(super) fn response_validator(&self, status: u16) -> Option<Arc<jsonschema::Validator>> {
        let mut cache = self
            .response_validators
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cache
            .entry(status)
            .or_insert_with(|| {
                let at = format!(
                    "{}/responses/{status}/content/application~1json/schema",
                    self.pointer()
                );
                self.doc
                    .pointer(&at)
                    .map(|_| Arc::new(build_validator(&rooted(&self.doc, &at))))
            })
            .clone()
    }

    pub(super) fn param_schema(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The permission a 403 names in `x-accepted-github-permissions`.
    pub(super) fn write_permission(&self) -> &'static str {
        match self.id.split('/').next() {
            Some("checks") => "checks=write",
            Some("issues") => "issues=write; pull_requests=write",
            Some("pulls") => "pull_requests=write",
            _ => "contents=write",
        }
    }
}

/// The whole document as the schema root, pointing at one schema inside it: its `$ref`s to
/// `#/components/...` then resolve without copying components around.
fn rooted(doc: &Value, pointer: &str) -> Value {
    let mut root = doc.clone();
    root["$ref"] = json!(format!("#{}", uri_fragment_escape(pointer)));
    root
}

fn build_validator(schema: &Value) -> jsonschema::Validator {
    // OpenAPI 3.0 schemas are a Draft 4 dialect (boolean exclusiveMinimum, no $defs).
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("contract schema does not compile: {e}"))
}

/// OpenAPI 3.0's `nullable: true` is not JSON Schema: spell it as a type union (and allow
/// `null` in an `enum`), everywhere in the document.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = m.get("type").cloned() {
                    m.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = m.get_mut("enum") {
                    if !e.contains(&Value::Null) {
                        e.push(Value::Null);
                    }
                }
            }
            m.values_mut().for_each(openapi_to_json_schema);
        }
        Value::Array(a) => a.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer made safe for a URI fragment (`{owner}` has characters a URI may not hold).
fn uri_fragment_escape(pointer: &str) -> String {
    let mut out = String::new();
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One schema error, short: the location and what is wrong (the value only when short).
pub(super) fn describe_error(e: &jsonschema::ValidationError<'_>, what: &str) -> String {
    let at = e.instance_path().to_string();
    let at = if at.is_empty() { what.to_string() } else { at };
    let full = e.to_string();
    let text = if full.chars().count() <= 120 {
        full
    } else {
        e.masked().to_string()
    };
    format!("{at}: {text}")
}
