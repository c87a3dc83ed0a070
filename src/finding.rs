//! Findings: the plain data every stage produces and every reporter renders.
//!
//! A finding names the rule, its severity, the field (dotted path) or `None` for Markdown
//! prose and whole-file problems, a 1-based line and column, a message and a one-line fix.
//! Reporters never decide a verdict; [`Verdict`] is computed here from severities and the
//! fail level, once.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Notice,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            "notice" | "note" | "info" => Ok(Severity::Notice),
            other => Err(format!(
                "unknown severity `{other}`: use error, warning or notice"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// Dotted path of the field (`evidence_urls_checked[0].accessed`); `None` for prose lines
    /// and problems of the whole file.
    pub field: Option<String>,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub fix: String,
    /// The finding says a field is missing, empty or unfilled (a required-field rule, or a
    /// conditional rule that made a field required); every other finding is about a value
    /// that is there but wrong. The pull-request comment groups findings by this.
    pub missing: bool,
    /// A waiver accepted this finding: it stays in every output, shown as waived, and no
    /// longer counts toward the verdict. `None` in JSON is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waived>,
}

impl Finding {
    /// A finding at `pos` (a line or column of 0 reads as 1) about a value that is there
    /// (not a missing one), not waived.
    pub fn new(
        rule: impl Into<String>,
        severity: Severity,
        field: Option<String>,
        pos: crate::yaml::Pos,
        message: String,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            field,
            line: pos.line.max(1),
            column: pos.col.max(1),
            message,
            fix: fix.into(),
            missing: false,
            waived: None,
        }
    }

    /// Counts toward the verdict and the severity counts: not waived.
    pub fn counts(&self) -> bool {
        self.waived.is_none()
    }
}

/// Who accepted a finding, why, and until when (`waivers` in docs/configuration.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub owner: String,
    pub reason: String,
    /// The last day the waiver holds, YYYY-MM-DD.
    pub expires: String,
    /// Where the waiver is written: `packet` (the packet's own `waivers:`) or `config`.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    /// A packet fails when any finding that is not waived reaches the fail level.
    pub fn of(findings: &[Finding], fail_on: Severity) -> Verdict {
        if findings.iter().any(|f| f.severity >= fail_on && f.counts()) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    /// A run fails when any of its packets does.
    pub fn of_all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        if verdicts.into_iter().any(|v| v == Verdict::Fail) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}
