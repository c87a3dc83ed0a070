//! SARIF 2.1.0, for code-scanning uploads: one run, the rules in effect as the driver's rule
//! list, one result per finding with its physical location and the fix in the message.

use super::RuleInfo;
use crate::engine::Report;
use crate::finding::Severity;
use crate::place;
use serde_json::{json, Value};
use std::io::Write as _;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "note",
    }
}

pub(crate) fn write(
    report: &Report,
    rules: &[RuleInfo],
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let rule_list: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": {"text": if r.summary.is_empty() { r.id.clone() } else { r.summary.clone() }},
                "fullDescription": {"text": if r.doc.is_empty() { r.summary.clone() } else { r.doc.clone() }},
                "help": {"text": r.doc},
                "defaultConfiguration": {"level": level(r.severity), "enabled": r.enabled},
                "properties": {"kind": r.kind, "policies": r.policies},
            })
        })
        .collect();
    // The log around the results is small; the results are written one at a time, so a
    // report of a million findings is never held whole.
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "packetgate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/packetgate/packetgate",
                "rules": rule_list,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": base_ids(),
            "results": RESULTS,
        }],
    });
    let envelope = serde_json::to_string_pretty(&log)?;
    let marker = format!("\"{RESULTS}\"");
    let (head, tail) = envelope
        .split_once(&marker)
        .unwrap_or((envelope.as_str(), ""));
    let mut w = std::io::BufWriter::new(w);
    w.write_all(head.as_bytes())?;
    w.write_all(b"[")?;
    let mut first = true;
    for packet in &report.packets {
        let uri = place::uri_reference(&place::from_root(&packet.path));
        for f in &packet.findings {
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": format!("{} Fix: {}", f.message, f.fix)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }],
                "properties": {"field": f.field, "fix": f.fix, "packetKind": packet.kind},
            });
            // A waiver is a suppression in SARIF's terms: accepted, with its justification;
            // `inSource` when the packet itself carries it, `external` for the config's.
            if let Some(w) = &f.waived {
                result["suppressions"] = json!([{
                    "kind": if w.source == "packet" { "inSource" } else { "external" },
                    "status": "accepted",
                    "justification": format!("{} (owner: {}, expires: {})", w.reason, w.owner, w.expires),
                }]);
                result["properties"]["waived"] = json!(w);
            }
            if let Some(i) = rules.iter().position(|r| r.id == f.rule) {
                result["ruleIndex"] = json!(i);
            }
            if !first {
                w.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut w, &result)?;
        }
    }
    w.write_all(b"]")?;
    w.write_all(tail.as_bytes())?;
    writeln!(w)?;
    w.flush()
}

/// Result paths are relative to the repository root, named by this base id.
const SRCROOT: &str = "%SRCROOT%";

/// Where `%SRCROOT%` is on this machine (when known): a `file:` URI ending in `/`.
fn base_ids() -> Value {
    match place::repository_root().or_else(place::cwd) {
        Some(root) => {
            let mut path = root.to_string_lossy().replace('\\', "/");
            if !path.ends_with('/') {
                path.push('/');
            }
            if !path.starts_with('/') {
                path.insert(0, '/');
            }
            json!({ SRCROOT: {"uri": format!("file://{}", place::uri_reference(&path))} })
        }
        None => json!({ SRCROOT: {"description": {"text": "the repository root"}} }),
    }
}

/// Stands for the results in the log's envelope until they are written out.
const RESULTS: &str = "@@packetgate-results@@";
