//! "Filled" means a real value. For every required field of both kinds — read from the
//! built-in policies through `packetgate schema --kind …`, so the list cannot drift from
//! them — a valid example packet gets that field's value replaced by each spelling of
//! nothing (nulls, empty collections, lists of nothing, templates in brackets or with a
//! note, `N/A`-like words, bare booleans and numbers), and the real binary must report a
//! missing or template finding on that field. The untouched packet must still pass.
//!
//! Then the smaller verdict fixes: a `decision_note` naming fields in natural spelling,
//! secret-store references in `credential_ref` (not links; a real key there still fails),
//! and the optional fields both guides use (`notes`, `provider`) known in both kinds.
//!
//! Variants are written to one folder and judged in one run, as a user would name them.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use support::{check_json, root, run_in, scratch};

/// The valid example each kind's variants start from.
const BASES: &[(&str, &str)] = &[
    ("budget-change", "budget-change-new-request-class.yaml"),
    ("cost-trace", "cost-trace-summarizer.yaml"),
];

/// Spellings of nothing, as YAML written after `field: `.
const NOTHING: &[&str] = &[
    // Nulls and empty collections.
    "~",
    "\"\"",
    "\"   \"",
    "[]",
    "{}",
    // Lists and mappings of nothing, recursively.
    "[~]",
    "[{}]",
    "[null, \"\"]",
    "[[], {}, ~]",
    "{url: , accessed: }",
    "[{url: , accessed: }]",
    "[\"<WORKLOAD_NAME>\", TBD, ~]",
    // A template used as a key.
    "{<TEAM_OR_COST_OWNER>: }",
    // Templates as written, wrapped, and with a note after them.
    "<WORKLOAD_NAME>",
    "\"<<WORKLOAD_NAME>>\"",
    "\"＜WORKLOAD_NAME＞\"",
    "\"[<WORKLOAD_NAME>]\"",
    "\"(<OWNER>)\"",
    "\"«WORKLOAD_NAME»\"",
    "\"<WORKLOAD_NAME> (fill in)\"",
    "\"TBD - ask finance\"",
    "\"TODO: owner\"",
    "\"(TBD)\"",
    "\"{{ owner }}\"",
    // Words that say "no value yet".
    "N/A",
    "n/a",
    "NA",
    "unknown",
    "none yet",
    "\"-\"",
    "\"--\"",
    "\"?\"",
    "TBD.",
    "tbd",
    "to be decided",
    "pending",
    // Other template shapes and words people write (found by an attack on the gate).
    "TBA",
    "\"${OWNER}\"",
    "\"[OWNER]\"",
    "\"{OWNER}\"",
    "__OWNER__",
    "REPLACE_ME",
    "CHANGEME",
    "TEAM_PLACEHOLDER",
    "team_placeholder",
    "placeholder",
    "XXX",
    "\"<OWNER\"",
    "\"[TEAM NAME]\"",
    "\"(fill in)\"",
    "\"T.B.D.\"",
    "\"N / A\"",
    "\"~~TBD~~\"",
    "to be added",
    // Look-alike letters from other scripts: Cyrillic `Т` and `р`, fullwidth letters.
    "\"\u{0422}BD\"",
    "\"team-\u{0440}laceholder\"",
    "\"ＴＢＤ\"",
    // Bare booleans and numbers where text belongs.
    "true",
    "false",
    "42",
    "0",
];

/// (field, spelling) pairs the policies make real values, each with the reason. Every
/// field named here must still be a required field (checked), so this cannot go stale.
const REAL_VALUES: &[(&str, &str, &str)] = &[
    (
        "credential_ref",
        "<WORKLOAD_NAME>",
        "a placeholder is the point of credential_ref",
    ),
    (
        "credential_ref",
        "[\"<WORKLOAD_NAME>\", TBD, ~]",
        "a placeholder is the point of credential_ref, also in a list",
    ),
    (
        "approval_status",
        "pending",
        "pending is one of approval_status's enum values",
    ),
];

/// A required field: its top-level key, and for a nested requirement the key inside the
/// mapping (`pricing_source.url`) or inside the list's first item (`source_urls[0].url`).
#[derive(Debug, Clone)]
struct Field {
    top: String,
    sub: Option<String>,
    in_list: bool,
}

impl Field {
    fn top(name: &str) -> Field {
        Field {
            top: name.to_string(),
            sub: None,
            in_list: false,
        }
    }

    fn path(&self) -> String {
        match (&self.sub, self.in_list) {
            (Some(s), true) => format!("{}[0].{s}", self.top),
            (Some(s), false) => format!("{}.{s}", self.top),
            (None, _) => self.top.clone(),
        }
    }
}

/// The required text fields of a kind that `example` holds, from the kind's JSON Schema:
/// top-level `required`, and the `required` keys of each mapping field and of each list
/// field's items. A field the schema types as boolean or number only is left out: its
/// words are judged by its `type` rule.
fn required_fields(kind: &str, example: &str) -> Vec<Field> {
    let r = run_in(&root(), &["schema", "--kind", kind]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let schema: Value = serde_json::from_str(&r.stdout).expect("schema JSON");
    let flag_or_number = |t: &Value| matches!(t.as_str(), Some("boolean" | "number" | "null"));
    let is_text = |prop: &Value| match &prop["type"] {
        Value::Array(ts) => !ts.iter().all(flag_or_number),
        t @ Value::String(_) => !flag_or_number(t),
        _ => true,
    };
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for top in names(&schema["required"]) {
        if is_text(&schema["properties"][&top]) {
            out.push(Field::top(&top));
        }
    }
    let props = schema["properties"].as_object().expect("properties");
    for (top, prop) in props {
        if !example.contains(&format!("\n{top}:")) {
            continue;
        }
        for (inner, in_list) in [(prop, false), (&prop["items"], true)] {
            for sub in names(&inner["required"]) {
                if is_text(&inner["properties"][&sub]) {
                    out.push(Field {
                        top: top.clone(),
                        sub: Some(sub),
                        in_list,
                    });
                }
            }
        }
    }
    assert!(
        out.len() >= 10,
        "{kind}: only {} required fields",
        out.len()
    );
    out
}

/// The packet with `field`'s value (its line and the lines indented under it) replaced.
fn replace_value(text: &str, field: &Field, value: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let top_at = lines
        .iter()
        .position(|l| l.starts_with(&format!("{}:", field.top)))
        .unwrap_or_else(|| panic!("no `{}:` in the example", field.top));
    let (at, prefix) = match &field.sub {
        None => (top_at, String::new()),
        Some(sub) => {
            let heads: &[&str] = if field.in_list {
                &["  - ", "    "]
            } else {
                &["  "]
            };
            let i = lines[top_at + 1..]
                .iter()
                .position(|l| heads.iter().any(|h| l.starts_with(&format!("{h}{sub}:"))))
                .unwrap_or_else(|| panic!("no `{sub}:` under `{}:`", field.top));
            let at = top_at + 1 + i;
            let head = heads
                .iter()
                .find(|h| lines[at].starts_with(*h))
                .expect("head");
            (at, head.to_string())
        }
    };
    let indent = if field.sub.is_some() { "    " } else { "" };
    let deeper = |l: &str| {
        l.len() > indent.len()
            && l.starts_with(indent)
            && (l[indent.len()..].starts_with(' ')
                || (field.sub.is_none() && l[indent.len()..].starts_with('-')))
    };
    let end = at + 1 + lines[at + 1..].iter().take_while(|l| deeper(l)).count();
    let key = field.sub.as_deref().unwrap_or(&field.top);
    let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
    out.push(format!("{prefix}{key}: {value}"));
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    out.join("\n") + "\n"
}

fn example(name: &str) -> String {
    fs::read_to_string(root().join("examples/valid").join(name)).expect("example")
}

/// Judges every file of `files` (name → text) in one run; the packets by name.
fn judge_all(dir: &Path, files: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    for (name, text) in files {
        fs::write(dir.join(name), text).expect("write variant");
    }
    let args: Vec<&str> = files.keys().map(String::as_str).collect();
    let (_, json) = check_json(dir, &args);
    json["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .map(|p| (p["path"].as_str().unwrap_or("?").to_string(), p.clone()))
        .collect()
}

fn findings(packet: &Value) -> &[Value] {
    packet["findings"].as_array().map_or(&[], Vec::as_slice)
}

/// Is `a` the path `b` or an ancestor of it (`pricing_source` of `pricing_source.url`)?
fn within(a: &str, b: &str) -> bool {
    b.strip_prefix(a)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// A missing or template finding on the field, on a part of it, or on what holds it (a
/// mapping found empty as a whole is reported where it sits).
fn has_missing_finding(packet: &Value, field: &Field) -> bool {
    let path = field.path();
    findings(packet).iter().any(|f| {
        let on = f["field"].as_str().unwrap_or("");
        let msg = f["message"].as_str().unwrap_or("");
        let here = within(on, &path) || within(&path, on);
        here && f["missing"] == true
            && (msg.contains(" is missing")
                || msg.contains(" is empty")
                || msg.contains("still holds the template value"))
    })
}

#[test]
fn every_required_field_filled_with_nothing_is_missing() {
    let dir = scratch("filled-nothing");
    let mut files = BTreeMap::new();
    let mut expected: Vec<(String, Field, &str)> = Vec::new();
    let mut all_required = Vec::new();
    for (kind, base) in BASES {
        let text = example(base);
        files.insert(format!("{kind}--valid.yaml"), text.clone());
        let fields = required_fields(kind, &text);
        all_required.extend(fields.iter().map(Field::path));
        for (i, field) in fields.iter().enumerate() {
            for (j, spelling) in NOTHING.iter().enumerate() {
                if REAL_VALUES
                    .iter()
                    .any(|(f, s, _)| *f == field.path() && s == spelling)
                {
                    continue;
                }
                let name = format!("{kind}--f{i:02}-s{j:02}.yaml");
                files.insert(name.clone(), replace_value(&text, field, spelling));
                expected.push((name, field.clone(), spelling));
            }
        }
    }
    for (field, _, why) in REAL_VALUES {
        assert!(
            all_required.iter().any(|f| f == field),
            "`{field}` ({why}) is no longer a required field: update REAL_VALUES"
        );
    }
    let packets = judge_all(&dir, &files);
    for (kind, _) in BASES {
        let valid = &packets[&format!("{kind}--valid.yaml")];
        assert_eq!(valid["verdict"], "pass", "{valid:#}");
        assert!(findings(valid).is_empty(), "{valid:#}");
    }
    let mut failures = Vec::new();
    for (name, field, spelling) in &expected {
        let p = &packets[name];
        if p["verdict"] != "fail" || !has_missing_finding(p, field) {
            let got: Vec<String> = findings(p)
                .iter()
                .map(|f| format!("{} {}: {}", f["rule"], f["field"], f["message"]))
                .collect();
            failures.push(format!(
                "{name}: `{}: {spelling}` → {} {got:?}",
                field.path(),
                p["verdict"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} variants not reported missing:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
}

#[test]
fn policy_values_that_look_like_placeholders_stay_real() {
    let dir = scratch("filled-real-values");
    let bc = example("budget-change-new-request-class.yaml");
    let ct = example("cost-trace-summarizer.yaml");
    let field = Field::top;
    let mut files = BTreeMap::new();
    for (i, (f, spelling, _)) in REAL_VALUES.iter().enumerate() {
        files.insert(
            format!("real-{i}.yaml"),
            replace_value(&bc, &field(f), spelling),
        );
    }
    for (name, text) in [
        (
            "retry-none.yaml",
            replace_value(&bc, &field("retry_behavior"), "none"),
        ),
        (
            "status-any-case.yaml",
            replace_value(&bc, &field("approval_status"), "Pending"),
        ),
        (
            "exception-none.yaml",
            replace_value(&ct, &field("exception_reason"), "none"),
        ),
        (
            "quoted-number.yaml",
            replace_value(&ct, &field("owner"), "\"42\""),
        ),
        (
            "request-log-id.yaml",
            replace_value(&ct, &field("request_ref"), "4815162342"),
        ),
        (
            "flag-bare.yaml",
            replace_value(&bc, &field("shared_spend"), "false"),
        ),
    ] {
        files.insert(name.to_string(), text);
    }
    for (name, p) in judge_all(&dir, &files) {
        assert_eq!(p["verdict"], "pass", "{name}: {p:#}");
    }
}

#[test]
fn decision_note_may_name_fields_in_natural_spelling() {
    let dir = scratch("filled-decision-note");
    let bc = example("budget-change-new-request-class.yaml");
    let returned = |note: &str| {
        bc.replace(
            "approval_status: pending\n",
            &format!("approval_status: returned\ndecision_note: {note}\n"),
        )
    };
    let names_a_field = [
        "\"returned: unit_metric missing\"",
        "\"returned: the unit metric is unclear\"",
        "\"Returned until the Unit-Metric is chosen\"",
        "\"error-path result not recorded\"",
        "\"the Error Path Result is missing\"",
        "\"retry behaviour on the error path is unbounded\"",
        "\"returned: behaviour under errors not recorded\"",
        "\"returned: evidence links are stale\"",
        "\"the evidence is older than thirty days\"",
        "\"returned: owner mapping and allocation rule missing\"",
        "\"what the test does not prove is not written down (does-not-prove)\"",
        // A field named as what is missing or wrong: its key, or its words with a cue.
        "\"missing unit_metric and retry_behavior\"",
        "\"owner field is empty\"",
        "\"returned: no retry behavior given\"",
        "\"please add the unit metric\"",
        "\"needs more work on the unit metric\"",
        "\"needs more work: `owner`\"",
        "\"returned: allocation unclear, see notes\"",
        "\"unit metric: too vague to read spend movement\"",
        "\"the approver initials are wrong\"",
        "\"returned, evidence links older than 30 days\"",
    ];
    let names_nothing = [
        "\"needs more work\"",
        "\"returned, see the thread\"",
        "\"this packet is not ready\"",
        // The black-box attack's notes: a field named as a bystander, not as what is wrong.
        "\"needs more work, ask the owner\"",
        "\"needs more work; see notes\"",
        "\"needs more work, per the approval status\"",
        "\"needs more work before the provider signs off\"",
        // And more of their kind.
        "\"needs more work from the owner\"",
        "\"returned; the provider has not signed off\"",
        "\"the owner needs to sign off again\"",
        "\"needs more work in the owner's absence\"",
        "\"needs more work - ask the environment team\"",
    ];
    let mut files = BTreeMap::new();
    for (i, note) in names_a_field.iter().enumerate() {
        files.insert(format!("names-{i:02}.yaml"), returned(note));
    }
    for (i, note) in names_nothing.iter().enumerate() {
        files.insert(format!("vague-{i:02}.yaml"), returned(note));
    }
    for (name, p) in judge_all(&dir, &files) {
        let rules: Vec<&str> = findings(&p)
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        if name.starts_with("names-") {
            assert_eq!(p["verdict"], "pass", "{name}: {p:#}");
        } else {
            assert_eq!(rules, ["bc-returned-note-names-fields"], "{name}: {p:#}");
        }
    }
}

#[test]
fn secret_store_references_are_not_links() {
    let dir = scratch("filled-credential-ref");
    let bc = example("budget-change-new-request-class.yaml");
    let credential = Field::top("credential_ref");
    let references = [
        "\"vault://finops/cometapi-test-key\"",
        "\"op://Finops/CometAPI test key/credential\"",
        "\"aws-sm://prod/finops/cometapi-key\"",
        "\"gcp-sm://projects/finops-prod/secrets/cometapi-key/versions/latest\"",
        "\"azure-kv://finops-kv/cometapi-key\"",
        "\"env:COMETAPI_API_KEY\"",
        "env:COMETAPI_API_KEY",
        "\"VAULT://finops/cometapi-test-key\"",
    ];
    let mut files = BTreeMap::new();
    for (i, r) in references.iter().enumerate() {
        files.insert(
            format!("store-{i}.yaml"),
            replace_value(&bc, &credential, r),
        );
    }
    let key = "\"sk-proj-Xq7fJ2LmN9pR4tV8wY3zB6cD1eG5hK0a\"";
    files.insert("real-key.yaml".into(), replace_value(&bc, &credential, key));
    // Where a link belongs, a secret-store reference is still no https link.
    files.insert(
        "vault-evidence.yaml".into(),
        bc.replacen(
            "  - url: https://www.finops.org/framework/capabilities/allocation/\n",
            "  - url: vault://finops/evidence\n",
            1,
        ),
    );
    let packets = judge_all(&dir, &files);
    for (name, p) in &packets {
        if name.starts_with("store-") {
            assert_eq!(p["verdict"], "pass", "{name}: {p:#}");
            assert!(findings(p).is_empty(), "{name}: {p:#}");
        }
    }
    let real = &packets["real-key.yaml"];
    assert_eq!(real["verdict"], "fail");
    assert!(
        findings(real).iter().any(|f| f["field"] == "credential_ref"
            && f["rule"]
                .as_str()
                .is_some_and(|r| r.starts_with("secret") || r == "bc-credential-ref")),
        "{real:#}"
    );
    assert!(
        !real.to_string().contains("Xq7fJ2LmN9pR4tV8"),
        "the key is masked: {real:#}"
    );
    let evidence = &packets["vault-evidence.yaml"];
    assert!(
        findings(evidence)
            .iter()
            .any(|f| f["rule"] == "url-https" && f["field"] == "evidence_urls_checked[2].url"),
        "{evidence:#}"
    );
}

#[test]
fn notes_and_provider_are_known_in_both_kinds() {
    let dir = scratch("filled-known-fields");
    let note = "notes: \"Short sanitized note.\"\n";
    let provider = "provider: cometapi\n";
    let mut files = BTreeMap::new();
    for (kind, base) in BASES {
        let text: String = example(base)
            .lines()
            .filter(|l| !l.starts_with("notes:") && !l.starts_with("provider:"))
            .map(|l| format!("{l}\n"))
            .collect();
        files.insert(format!("{kind}.yaml"), format!("{text}{provider}{note}"));
    }
    for (name, p) in judge_all(&dir, &files) {
        assert_eq!(p["verdict"], "pass", "{name}: {p:#}");
        assert!(findings(&p).is_empty(), "{name}: no unknown-field: {p:#}");
    }
}
