//! Reporters: the last stage. Each renders a finished [`Report`] into one format; none of
//! them decides anything (the verdicts are already in the report).

pub(crate) mod github;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod sarif;

use crate::config::Config;
use crate::engine::Report;
use crate::finding::Severity;
use crate::rules::core::CORE_RULES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// What a reporter may say about a rule (SARIF's rule list, `packetgate rules`).
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub kind: String,
    pub severity: Severity,
    pub enabled: bool,
    pub summary: String,
    pub doc: String,
    pub policies: Vec<String>,
    pub origin: String,
    /// Per packet kind that has the rule: its severity, `None` when switched off there.
    pub states: Vec<(String, Option<Severity>)>,
}

/// Every rule in effect: engine rules first, then each policy's rules (once per id).
pub fn catalog(config: &Config) -> Vec<RuleInfo> {
    let kinds = config.kinds();
    let mut out: Vec<RuleInfo> = CORE_RULES
        .iter()
        .map(|r| RuleInfo {
            id: r.id.into(),
            kind: "engine".into(),
            severity: Severity::Error,
            enabled: true,
            summary: r.summary.into(),
            doc: r.doc.into(),
            policies: vec!["(all)".into()],
            origin: "built into packetgate".into(),
            states: kinds
                .iter()
                .map(|k| (k.to_string(), Some(Severity::Error)))
                .collect(),
        })
        .collect();
    for policy in config.policies.iter().filter(|p| !p.is_abstract) {
        for rule in &policy.rules {
            let state = (policy.id.clone(), rule.enabled.then_some(rule.severity));
            if let Some(existing) = out.iter_mut().find(|r| r.id == rule.id) {
                existing.policies.push(policy.id.clone());
                // The rule is on while any kind has it on.
                if rule.enabled && !existing.enabled {
                    existing.enabled = true;
                    existing.severity = rule.severity;
                }
                existing.states.push(state);
                continue;
            }
            out.push(RuleInfo {
                id: rule.id.clone(),
                kind: rule.kind.clone(),
                severity: rule.severity,
                enabled: rule.enabled,
                summary: rule.summary.clone(),
                doc: rule.doc.clone(),
                policies: vec![policy.id.clone()],
                origin: rule.origin.clone(),
                states: vec![state],
            });
        }
    }
    out
}

/// How the human report looks: colour, and `--quiet` (findings and the verdict line only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Look {
    pub color: bool,
    pub quiet: bool,
}

/// Writes the report in `format`. Reports are streamed: 10,000 packets never sit in memory
/// twice as one big string.
pub fn write(
    format: Format,
    report: &Report,
    rules: &[RuleInfo],
    look: Look,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(report, look, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, rules, out),
        Format::Github => github::write(report, out),
    }
}

/// The report as a string (tests, previews).
pub fn render(format: Format, report: &Report, rules: &[RuleInfo], look: Look) -> String {
    let mut buf = Vec::new();
    let _ = write(format, report, rules, look, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
