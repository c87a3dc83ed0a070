//! `packetgate schema` as an editor uses it: the printed JSON Schema accepts every valid
//! example packet, rejects invalid ones where the gate rejects them, and follows the
//! repository's policies. Packets are converted to JSON the way the YAML language server
//! reads them (YAML 1.2; for Markdown, the front matter), then validated with `jsonschema`.

mod support;

use jsonschema::Validator;
use packetgate::yaml::{self, Node, ScalarKind};
use serde_json::Value;
use std::fs;
use std::path::Path;
use support::{check_json, root, run_in, scratch};

/// `packetgate schema ARGS…` in `dir`, parsed.
fn schema(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["schema"];
    all.extend_from_slice(args);
    let r = run_in(dir, &all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}", r.stdout))
}

fn validator(schema: &Value) -> Validator {
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::draft7::new(schema).unwrap_or_else(|e| panic!("not a usable draft-07 schema: {e}"))
}

fn json_of(node: &Node) -> Value {
    match &node.value {
        yaml::Value::Scalar { text, kind } => match kind {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool(b) => Value::Bool(*b),
            ScalarKind::Int | ScalarKind::Float => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::from(text.as_str())),
            ScalarKind::Str => Value::from(text.as_str()),
        },
        yaml::Value::Seq(items) => items.iter().map(json_of).collect(),
        yaml::Value::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.text.clone(), json_of(v)))
                .collect(),
        ),
    }
}

/// A packet's text as JSON: the whole file for YAML, the front matter for Markdown.
fn packet_json(name: &str, text: &str) -> Value {
    let yaml_text = if name.ends_with(".md") {
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("---"), "{name} opens its front matter");
        let front: Vec<&str> = lines.take_while(|l| *l != "---" && *l != "...").collect();
        front.join("\n") + "\n"
    } else {
        text.to_string()
    };
    let doc = yaml::parse(&yaml_text, yaml::Limits::default()).unwrap();
    json_of(&doc.root.unwrap())
}

fn file_json(path: &Path) -> Value {
    packet_json(&path.to_string_lossy(), &fs::read_to_string(path).unwrap())
}

/// Every schema error as `instance-path: message`.
fn errors(v: &Validator, packet: &Value) -> Vec<String> {
    v.iter_errors(packet)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn examples(folder: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(root().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_valid_example_matches_the_schema() {
    let all = validator(&schema(&root(), &[]));
    let files = examples("examples/valid");
    assert_eq!(files.len(), 4);
    for path in files {
        let packet = file_json(&path);
        assert_eq!(errors(&all, &packet), Vec::<String>::new(), "{path:?}");
        // The kind's own schema agrees.
        let kind = packet["packet"].as_str().unwrap();
        let one = validator(&schema(&root(), &["--kind", kind]));
        assert_eq!(errors(&one, &packet), Vec::<String>::new(), "{path:?}");
    }
}

/// A valid example with lines replaced, written to `dir` for the gate to judge as well.
fn variant(dir: &Path, base: &str, name: &str, edits: &[(&str, &str)]) -> (String, Value) {
    let mut text = fs::read_to_string(root().join("examples/valid").join(base)).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{base} has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    fs::write(dir.join(name), &text).unwrap();
    (name.to_string(), packet_json(name, &text))
}

#[test]
fn the_schema_rejects_what_the_gate_rejects() {
    let v = validator(&schema(&root(), &[]));
    let dir = scratch("schema-invalid");
    let bc = "budget-change-new-request-class.yaml";
    let ct = "cost-trace-summarizer.yaml";
    let mut cases: Vec<(String, Value, Vec<&str>)> = Vec::new();
    for (file, expected) in [
        (
            "budget-change-approved-incomplete.md",
            vec![r#": "unit_metric" is a required property"#],
        ),
        (
            "cost-trace-pass-with-exception.yaml",
            vec![
                "/request_status_class: ",
                r#"/pricing_source: "accessed" is a required property"#,
            ],
        ),
        (
            "cost-trace-template-unfilled.yaml",
            vec![
                "/workload: ",
                "/source_urls: ",
                r#""pricing_source" is a required"#,
            ],
        ),
        (
            "budget-change-template-unfilled.yaml",
            vec![
                "/owner: ",
                "/evidence_urls_checked: ",
                "/happy_path_result: ",
            ],
        ),
        ("not-a-packet-kind.yaml", vec!["/packet: "]),
    ] {
        let path = root().join("examples/invalid").join(file);
        fs::copy(&path, dir.join(file)).unwrap();
        cases.push((file.to_string(), file_json(&path), expected));
    }
    for (name, edits, expected) in [
        (
            "wrong-environment.yaml",
            vec![("environment: test", "environment: prod-ish")],
            vec!["/environment: "],
        ),
        (
            "plain-link.yaml",
            vec![(
                "  - url: https://apidoc.cometapi.com/\n    accessed: 2026-11-16\n",
                "  - https://apidoc.cometapi.com/\n",
            )],
            vec!["/evidence_urls_checked/0: "],
        ),
        (
            "slashed-date.yaml",
            vec![("accessed: 2026-11-16", "accessed: 2026/11/16")],
            vec!["/evidence_urls_checked/0/accessed: "],
        ),
        (
            "quoted-flag.yaml",
            vec![("touches_pricing: true", "touches_pricing: \"yes\"")],
            vec!["/touches_pricing: "],
        ),
        (
            "empty-owner.yaml",
            vec![("owner: support-platform", "owner: \"  \"")],
            vec!["/owner: "],
        ),
    ] {
        let (name, json) = variant(&dir, bc, name, &edits);
        cases.push((name, json, expected));
    }
    let (name, json) = variant(
        &dir,
        ct,
        "decision-word.yaml",
        &[("decision: PASS", "decision: passed")],
    );
    cases.push((name, json, vec!["/decision: "]));

    for (name, packet, expected) in &cases {
        let found = errors(&v, packet);
        for e in expected {
            assert!(
                found.iter().any(|f| f.contains(e)),
                "{name}: no schema error like `{e}` in {found:#?}"
            );
        }
        let (code, report) = check_json(&dir, &[name]);
        assert_eq!(code, 1, "the gate fails {name} too: {report}");
    }
}

#[test]
fn the_schema_accepts_what_the_gate_accepts() {
    let v = validator(&schema(&root(), &[]));
    let dir = scratch("schema-valid-variants");
    for (base, name, edits) in [
        (
            "budget-change-new-request-class.yaml",
            "any-case.yaml",
            vec![
                ("packet: budget-change", "packet: Budget-Change"),
                ("environment: test", "environment: TEST"),
                ("happy_path_result: pass", "happy_path_result: \"Pass \""),
            ],
        ),
        (
            "budget-change-new-request-class.yaml",
            "optional-left-empty.yaml",
            vec![("shared_spend: true", "shared_spend:\napprover_initials:")],
        ),
        (
            "cost-trace-summarizer.yaml",
            "lower-case.yaml",
            vec![("request_status_class: 2XX", "request_status_class: 2xx")],
        ),
    ] {
        let (name, packet) = variant(&dir, base, name, &edits);
        assert_eq!(errors(&v, &packet), Vec::<String>::new(), "{name}");
        let (code, report) = check_json(&dir, &[&name]);
        assert_eq!(code, 0, "the gate passes {name} too: {report}");
    }
}

#[test]
fn kinds_are_tied_together_and_one_can_be_printed_alone() {
    let all = schema(&root(), &[]);
    let ties = all["allOf"].as_array().unwrap();
    assert_eq!(ties.len(), 2);
    assert_eq!(ties[0]["if"]["required"][0], "packet");
    assert_eq!(ties[0]["then"]["$ref"], "#/definitions/budget-change");
    assert_eq!(ties[1]["then"]["$ref"], "#/definitions/cost-trace");
    assert!(all.get("additionalProperties").is_none());

    let one = schema(&root(), &["--kind", "cost-trace"]);
    assert_eq!(one["title"], "packetgate cost-trace packet");
    assert!(one["properties"]["review_date"]["pattern"]
        .as_str()
        .is_some_and(|p| p.contains(r"\d{4}")));
    let v = validator(&one);
    let trace = file_json(&root().join("examples/valid/cost-trace-summarizer.yaml"));
    assert!(v.is_valid(&trace));
    let change = file_json(&root().join("examples/valid/budget-change-new-request-class.yaml"));
    assert!(
        errors(&v, &change)
            .iter()
            .any(|e| e.starts_with("/packet: ")),
        "a budget change is not a cost trace"
    );

    let r = run_in(&root(), &["schema", "--kind", "budget-chnage"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `budget-change`"),
        "{}",
        r.stderr
    );
}

const ACME: &str = r#"policy: budget-change
extends: budget-change
fields:
  cost_center: {description: the finance cost center, example: CC-1234}
rules:
  - id: bc-environment
    values: [test, staging, production, sandbox]
  - id: bc-change-id
    enabled: false
  - id: bc-approval-status
    severity: notice
  - id: acme-cost-center
    kind: pattern
    field: cost_center
    pattern: 'CC-\d{4}'
    expected: a cost center like CC-1234
  - id: acme-cost-center-required
    kind: required
    fields: [cost_center]
  - id: acme-quiet-notes
    kind: pattern
    field: notes
    pattern: '(?i).*'
"#;

const VENDOR: &str = "policy: vendor-review\nextends: budget-change\nfields:\n  vendor: {description: the vendor reviewed}\nrules:\n  - id: vr-required\n    kind: required\n    fields: [vendor]\n";

#[test]
fn repository_policies_show_up_in_the_schema() {
    let dir = scratch("schema-policy");
    fs::create_dir_all(dir.join("policies")).unwrap();
    fs::write(dir.join("policies/acme.yml"), ACME).unwrap();
    fs::write(dir.join("policies/vendor.yml"), VENDOR).unwrap();
    fs::write(
        dir.join(".packetgate.yml"),
        "policies: [policies/acme.yml, policies/vendor.yml]\n",
    )
    .unwrap();
    // Found in the current folder, or named with --config from elsewhere: the same schema.
    let s = schema(&dir, &[]);
    let config = dir.join(".packetgate.yml");
    assert_eq!(s, schema(&root(), &["--config", config.to_str().unwrap()]));
    let bc = &s["definitions"]["budget-change"];
    let cost_center = &bc["properties"]["cost_center"];
    assert_eq!(cost_center["description"], "the finance cost center");
    assert_eq!(cost_center["examples"][0], "CC-1234");
    assert!(bc["required"]
        .as_array()
        .unwrap()
        .contains(&"cost_center".into()));
    assert!(
        bc["properties"]["change_id"].get("pattern").is_none(),
        "a rule switched off says nothing: {}",
        bc["properties"]["change_id"]
    );
    assert!(
        bc["properties"]["notes"].get("pattern").is_none(),
        "an inline flag is left to the gate"
    );
    assert!(s["definitions"]["vendor-review"]["required"]
        .as_array()
        .unwrap()
        .contains(&"vendor".into()));

    // Each variant is judged by the schema and by the gate, with the same verdict.
    let v = validator(&s);
    for (name, edits, ok) in [
        (
            "sandbox.yaml",
            vec![("environment: test", "environment: sandbox")],
            true,
        ),
        (
            "loose-id-and-status.yaml",
            vec![
                ("change_id: CHG-2026-0157", "change_id: budget bump"),
                ("approval_status: pending", "approval_status: parked"),
            ],
            true,
        ),
        (
            "bad-cost-center.yaml",
            vec![("cost_center: CC-1234", "cost_center: CC-12")],
            false,
        ),
        (
            "no-cost-center.yaml",
            vec![("cost_center: CC-1234\n", "")],
            false,
        ),
    ] {
        let mut edits = edits;
        edits.insert(0, ("\nnotes:", "\ncost_center: CC-1234\nnotes:"));
        let (name, packet) = variant(&dir, "budget-change-new-request-class.yaml", name, &edits);
        let found = errors(&v, &packet);
        assert_eq!(found.is_empty(), ok, "{name}: {found:#?}");
        let (code, report) = check_json(&dir, &[&name]);
        assert_eq!(code == 0, ok, "the gate agrees on {name}: {report}");
    }
    let (name, packet) = variant(
        &dir,
        "budget-change-new-request-class.yaml",
        "vendor.yaml",
        &[("packet: budget-change", "packet: vendor-review\nvendor: ")],
    );
    let found = errors(&v, &packet);
    assert!(
        found.iter().any(|e| e.starts_with("/vendor: ")),
        "{name}: {found:#?}"
    );
}
