//! The check run's GitHub-only parts: its conclusion, its annotations, and the size limits
//! GitHub puts on every text the gate sends (the Markdown itself is rendered by
//! [`crate::gate::render`]).

use crate::engine::Report;
use crate::finding::{Severity, Verdict};
use crate::gate::render::cut_bytes;
use serde_json::{json, Value};

/// Check-run `summary` and `text`: at most 65,535 characters.
pub(crate) const CHECK_SUMMARY_MAX: usize = 65_535;
/// An issue comment's body: at most 65,536 characters.
pub(crate) const COMMENT_MAX: usize = 65_536;
/// A step's job summary: at most 1 MiB.
pub(crate) const JOB_SUMMARY_MAX: usize = 1024 * 1024;
/// An annotation's `message`: "The maximum size is 64 KB", counted in bytes.
pub(crate) const ANNOTATION_MESSAGE_MAX: usize = 64 * 1024;
/// An inline review comment's body: at most 65,536 characters, as an issue comment's.
pub(crate) const REVIEW_COMMENT_MAX: usize = 65_536;
/// Annotations GitHub takes per check-run request.
pub(crate) const ANNOTATIONS_PER_REQUEST: usize = 50;

/// `success`, `failure`, or `neutral` when no packet was judged.
pub(crate) fn conclusion(report: &Report) -> &'static str {
    if report.packets.is_empty() {
        "neutral"
    } else if report.verdict == Verdict::Fail {
        "failure"
    } else {
        "success"
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "failure",
        Severity::Warning => "warning",
        Severity::Notice => "notice",
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One annotation per finding, on its line, in report order.
pub(crate) fn annotations(report: &Report) -> Vec<Value> {
    report
        .packets
        .iter()
        .flat_map(|p| p.findings.iter().map(move |f| (p, f)))
        .map(|(p, f)| {
            let mut title = match &f.field {
                Some(field) => format!("{}: {field}", f.rule),
                None => f.rule.clone(),
            };
            let mut message = format!("{}\nFix: {}", f.message, f.fix);
            // A waived finding stays on its line, as a notice naming who accepted it.
            let level = match &f.waived {
                Some(w) => {
                    title = format!("waived {}: {title}", f.severity);
                    message.push_str(&format!(
                        "\nWaived by {} until {} ({}): {}",
                        w.owner, w.expires, w.source, w.reason
                    ));
                    "notice"
                }
                None => level(f.severity),
            };
            json!({
                "path": p.path,
                "start_line": f.line,
                "end_line": f.line,
                "annotation_level": level,
                "title": cut(&title, 255),
                "message": cut_bytes(&message, ANNOTATION_MESSAGE_MAX),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::render::sample::{finding, report};

    #[test]
    fn conclusions_and_annotations() {
        let r = report(vec![
            vec![finding(
                "bc-required",
                "unit_metric",
                2,
                true,
                Severity::Error,
            )],
            vec![],
        ]);
        assert_eq!(conclusion(&r), "failure");
        assert_eq!(conclusion(&report(vec![])), "neutral");
        let pass = report(vec![vec![finding("w", "u", 5, false, Severity::Warning)]]);
        assert_eq!(conclusion(&pass), "success");
        let many: Vec<_> = (1..=400)
            .map(|i| finding("bc-required", &format!("f{i}"), i, true, Severity::Error))
            .collect();
        let a = annotations(&report(vec![many]));
        assert_eq!(a.len(), 400);
        assert_eq!(a[0]["annotation_level"], "failure");
        assert_eq!(a[0]["title"], "bc-required: f1");
    }
}
