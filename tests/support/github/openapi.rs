//! The contracts: the operations of the two OpenAPI slices in the contracts folder
//! ([`contract`]) and of GitHub's published description as vendored from npm
//! `@octokit/openapi` ([`published`]), matching a path to them, and the JSON Schema
//! validators (parameters, request body, responses) compiled from them on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

use super::contracts_dir;
use super::fixtures::{published_description, read_json};
use super::util::percent_decode;

pub(super) struct Contract {
    /// How violations name it: `the contract slices`, `@octokit/openapi 23.0.2`.
    pub(super) name: String,
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
    /// The media types `requestBody.content` names (`application/json`).
    pub(super) body_media_types: Vec<String>,
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
    /// `path`, `query`, `header` or `cookie`.
    location: String,
    required: bool,
    pub(super) schema: Value,
}

impl Param {
    pub(super) fn in_path(&self) -> bool {
        self.location == "path"
    }
}

/// One parameter that breaks its schema, described.
pub(super) struct ParamError {
    pub(super) text: String,
    /// GitHub answers a bad path parameter with 404, any other with 422.
    pub(super) in_path: bool,
}

/// The two slices in the contracts folder, and for the operations they lack (the remote
/// audit's: org repositories, a repository, its tarball, issues) the published
/// description's slice of them, with GitHub's limits added as for the others.
pub(super) fn contract() -> &'static Contract {
    // Parsed once per test binary: the files do not change while tests run.
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let dir = contracts_dir();
        let mut docs: Vec<Value> = ["rest-subset.openapi.json", "rest-extra.openapi.json"]
            .map(|file| read_json(&dir.join(file)))
            .into();
        docs.push(read_json(&published_description()));
        Contract::load("the contract slices".into(), docs, true)
    })
}

/// GitHub's published description (the operations packetgate uses, each as published),
/// from `tests/fixtures/openapi/`.
pub(super) fn published() -> &'static Contract {
    static PUBLISHED: OnceLock<Contract> = OnceLock::new();
    PUBLISHED.get_or_init(|| {
        let doc = read_json(&published_description());
        let source = &doc["_source"];
        let name = match (source["package"].as_str(), source["version"].as_str()) {
            (Some(package), Some(version)) => format!("{package} {version}"),
            _ => panic!(
                "{}: no `_source` package and version",
                published_description().display()
            ),
        };
        Contract::load(name, vec![doc], false)
    })
}

impl Contract {
    /// `github_limits`: add the limits GitHub enforces that only the descriptions' prose
    /// states (the slices); off for the published description, which is taken as is.
    fn load(name: String, docs: Vec<Value>, github_limits: bool) -> Contract {
        let mut ops = Vec::new();
        let mut examples = Map::new();
        for mut doc in docs {
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
                    // An operation an earlier document has is taken from that one.
                    let known = ops.iter().any(|o: &Operation| {
                        o.template == *template && o.method.eq_ignore_ascii_case(method)
                    });
                    if !known
                        && ["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                    {
                        ops.push(Operation::new(
                            &doc,
                            template,
                            method,
                            op,
                            item,
                            github_limits,
                        ));
                    }
                }
            }
        }
        Contract {
            name,
            ops,
            examples,
        }
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

    /// The operation for this method and path, with the decoded path parameters.
    pub(super) fn operation(
        &self,
        method: &str,
        path: &str,
    ) -> Option<(&Operation, Vec<(String, String)>)> {
        self.route(path)
            .into_iter()
            .find(|(op, _)| op.method.eq_ignore_ascii_case(method))
    }

    /// Every operation as `METHOD template`.
    pub(super) fn operation_names(&self) -> Vec<String> {
        self.ops
            .iter()
            .map(|op| format!("{} {}", op.method, op.template))
            .collect()
    }
}

impl Operation {
    fn new(
        doc: &Arc<Value>,
        template: &str,
        method: &str,
        op: &Value,
        item: &Value,
        github_limits: bool,
    ) -> Operation {
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
                if github_limits && name == "per_page" {
                    // Only the description says "max 100"; GitHub enforces it.
                    schema["minimum"] = json!(1);
                    schema["maximum"] = json!(100);
                }
                Param {
                    location: p["in"].as_str().unwrap_or_default().to_string(),
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
        let body_media_types = op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
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
            body_media_types,
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

    /// The parameters as one object (see [`Operation::param_errors`]).
    fn params_validator(&self) -> &jsonschema::Validator {
        self.params_validator.get_or_init(|| {
            // Cookies are neither sent nor read here.
            let params = || self.params.iter().filter(|p| p.location != "cookie");
            let properties: Map<String, Value> = params()
                .map(|p| (p.name.clone(), p.schema.clone()))
                .collect();
            let required: Vec<&str> = params()
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

    /// The path, query and header parameters that break their schemas (or a required one
    /// missing). Undeclared query parameters and headers are ignored, as GitHub does; header
    /// names match whatever their case (`headers` come lower-cased).
    pub(super) fn param_errors(
        &self,
        path_params: &[(String, String)],
        query: &[(String, String)],
        headers: &[(String, String)],
    ) -> Vec<ParamError> {
        let mut object = Map::new();
        for p in &self.params {
            let found = match p.location.as_str() {
                "path" => path_params.iter().find(|(k, _)| *k == p.name),
                // The last of a repeated query parameter, as `Call::query` reads it.
                "query" => query.iter().rev().find(|(k, _)| *k == p.name),
                "header" => {
                    let wanted = p.name.to_ascii_lowercase();
                    headers.iter().find(|(k, _)| *k == wanted)
                }
                _ => None,
            };
            if let Some((_, text)) = found {
                object.insert(p.name.clone(), coerce(text, &p.schema));
            }
        }
        self.params_validator()
            .iter_errors(&Value::Object(object))
            .map(|e| {
                let at = e.instance_path().to_string();
                let name = at.trim_start_matches('/');
                ParamError {
                    in_path: self.param_schema(name).is_some_and(Param::in_path),
                    text: describe_error(&e, "parameters"),
                }
            })
            .collect()
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

/// A path, query or header value as the declared schema type, when it parses as one, so a
/// wrong one fails its schema with a readable message.
fn coerce(text: &str, schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("integer") => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map_or_else(|| json!(text), |n| json!(n)),
        Some("boolean") => match text {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(text),
        },
        _ => json!(text),
    }
}
