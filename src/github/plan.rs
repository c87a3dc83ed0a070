//! What a run means to tell GitHub, rendered once: the check run, the sticky comment, the
//! review or line comments. `--dry-run` prints this plan; a real run sends it. One plan for
//! both, so the preview cannot drift from what is sent.

use super::api::Api;
use super::check;
use super::event::Event;
use super::publish::{self, LineNote, RunStamp};
use crate::cli::CommentMode;
use crate::finding::Verdict;
use crate::gate::changes::Changes;
use crate::gate::markdown::{code, message, Place};
use crate::gate::render::{self, View};
use crate::gate::Delivery;
use serde_json::Value;
use std::fmt;

/// One kind of thing sent to GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    CheckRun,
    Comment,
    Review,
    LineComments,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::CheckRun => "check run",
            Step::Comment => "comment",
            Step::Review => "review",
            Step::LineComments => "line comments",
        })
    }
}

/// The review in `review` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReviewIntent {
    /// Request changes with this text (packets fail).
    RequestChanges(String),
    /// Dismiss the change requests made earlier (packets pass).
    Dismiss,
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub check_name: String,
    pub head_sha: String,
    pub conclusion: &'static str,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Value>,
    /// The pull request, when there is one and comments are on.
    pub pull: Option<u64>,
    /// The sticky comment's text (markers added when sent).
    pub comment: String,
    pub stamp: RunStamp,
    /// Nothing worth a new comment: every packet passes without a finding.
    pub quiet: bool,
    pub review: Option<ReviewIntent>,
    /// `inline` mode: findings on lines of the diff (GitHub refuses others).
    pub line_notes: Option<Vec<LineNote>>,
    /// Findings in all, for the preview's count of line notes.
    pub findings: usize,
}

fn line_notes(view: &View<'_>, changes: Option<&Changes>) -> Vec<LineNote> {
    let on_diff = |path: &str, line: u32| {
        changes
            .and_then(|c| c.diff_lines.get(path))
            .is_some_and(|l| l.contains(&line))
    };
    view.report
        .packets
        .iter()
        .flat_map(|p| p.findings.iter().map(move |f| (p, f)))
        .filter(|(p, f)| on_diff(&p.path, f.line))
        .take(publish::MAX_LINE_NOTES)
        .map(|(p, f)| LineNote {
            path: p.path.clone(),
            line: f.line,
            body: render::cut_chars(
                &format!(
                    "**{}** {}{}: {}\n\n**Fix:** {}",
                    f.severity,
                    code(&f.rule, Place::Line),
                    f.field
                        .as_deref()
                        .map(|x| format!(" ({})", code(x, Place::Line)))
                        .unwrap_or_default(),
                    message(&f.message, Place::Line),
                    message(&f.fix, Place::Line)
                ),
                check::REVIEW_COMMENT_MAX,
            ),
        })
        .collect()
}

impl Plan {
    pub(crate) fn new(
        view: &View<'_>,
        event: &Event,
        mode: CommentMode,
        changes: Option<&Changes>,
    ) -> Plan {
        let report = view.report;
        let pull = event.pull().filter(|_| mode != CommentMode::Off);
        Plan {
            check_name: view.check_name.to_string(),
            head_sha: event.head_sha().to_string(),
            conclusion: check::conclusion(report),
            title: render::title(report),
            summary: render::summary(
                view,
                check::CHECK_SUMMARY_MAX,
                "the job summary and the JSON report have them all",
            ),
            annotations: check::annotations(report),
            pull: pull.map(|p| p.number),
            // Room for the hidden markers.
            comment: render::comment(view, check::COMMENT_MAX - 400),
            stamp: RunStamp {
                head: event.head_sha().to_string(),
                updated: pull.map(|p| p.updated_at.clone()).unwrap_or_default(),
            },
            quiet: report.packets.iter().all(|p| p.findings.is_empty()),
            review: (pull.is_some() && mode == CommentMode::Review).then(|| {
                if report.verdict == Verdict::Fail {
                    ReviewIntent::RequestChanges(format!(
                        "packetgate requests changes: {}. The pull request's packetgate comment lists every field to fix; this review is dismissed once every packet passes.",
                        render::title(report)
                    ))
                } else {
                    ReviewIntent::Dismiss
                }
            }),
            line_notes: (pull.is_some() && mode == CommentMode::Inline)
                .then(|| line_notes(view, changes)),
            findings: report.packets.iter().map(|p| p.findings.len()).sum(),
        }
    }

    fn check_run(&self) -> publish::CheckRun<'_> {
        publish::CheckRun {
            name: &self.check_name,
            head_sha: &self.head_sha,
            conclusion: self.conclusion,
            title: &self.title,
            summary: &self.summary,
            annotations: &self.annotations,
        }
    }

    fn sticky(&self, pull: u64) -> publish::Sticky<'_> {
        publish::Sticky {
            pull,
            check_name: &self.check_name,
            stamp: self.stamp.clone(),
            body: &self.comment,
            quiet: self.quiet,
        }
    }

    /// Sends the plan; a refused comment stops the review steps (same permission).
    pub(crate) fn send(&self, api: &Api) -> Vec<(Step, Delivery)> {
        let mut out = vec![(Step::CheckRun, publish::check_run(api, &self.check_run()))];
        let Some(pull) = self.pull else {
            return out;
        };
        let comment = publish::sticky(api, &self.sticky(pull));
        let refused = matches!(comment, Delivery::Refused(_));
        out.push((Step::Comment, comment));
        if refused {
            return out;
        }
        if let Some(review) = &self.review {
            let failing = match review {
                ReviewIntent::RequestChanges(text) => Some(text.as_str()),
                ReviewIntent::Dismiss => None,
            };
            out.push((
                Step::Review,
                publish::request_changes(api, pull, &self.check_name, &self.head_sha, failing),
            ));
        }
        if let Some(notes) = &self.line_notes {
            out.push((
                Step::LineComments,
                publish::inline_review(api, pull, &self.check_name, &self.head_sha, notes),
            ));
        }
        out
    }

    /// `--dry-run`'s text.
    pub(crate) fn preview(&self) -> String {
        let (_, updates) = publish::check_run_requests(&self.check_run());
        let mut out = format!(
            "packetgate github --dry-run: nothing is sent.\n\n=== check run `{}` on {} — conclusion: {} ===\ntitle: {}\nannotations: {} (in {})\n\n{}\n",
            self.check_name,
            self.head_sha,
            self.conclusion,
            self.title,
            self.annotations.len(),
            crate::text::plural(1 + updates.len(), "request"),
            self.summary
        );
        let Some(pull) = self.pull else {
            return out;
        };
        out.push_str(&format!(
            "=== comment on pull request #{pull} (created, or the earlier one edited) ===\n{}\n",
            publish::sticky_body(&self.sticky(pull))
        ));
        match &self.review {
            Some(ReviewIntent::RequestChanges(text)) => {
                out.push_str(&format!("=== review ===\nREQUEST_CHANGES: {text}\n"))
            }
            Some(ReviewIntent::Dismiss) => {
                out.push_str("=== review ===\nearlier change requests dismissed\n")
            }
            None => {}
        }
        if let Some(notes) = &self.line_notes {
            out.push_str(&format!(
                "=== line comments ===\n{} of {} {} on lines of the diff\n",
                notes.len(),
                crate::text::plural(self.findings, "finding"),
                if notes.len() == 1 { "is" } else { "are" }
            ));
        }
        out
    }
}
