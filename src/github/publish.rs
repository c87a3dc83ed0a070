//! Sends the rendered verdict to GitHub: the check run (created completed with the first 50
//! annotations, then one update per further 50), the sticky comment (found again by its
//! hidden marker and a bot author, edited in place, never duplicated, never overwritten by
//! an older run), and the optional review (changes requested while packets fail, dismissed
//! once they pass) or inline review comments on the diff's lines.
//!
//! Each step reports a [`Delivery`]; a refused write (403) is `Refused`, so the caller can
//! fall back to workflow-command annotations and the job summary.

use super::api::{Api, ApiError};
use super::check::ANNOTATIONS_PER_REQUEST;
use crate::gate::Delivery;
use serde_json::{json, Value};

/// A call's error as a delivery: a refused write (403) is `Refused`, so the caller can fall
/// back; anything else `Failed`.
fn undelivered(e: ApiError) -> Delivery {
    if e.is_forbidden() {
        Delivery::Refused(e.to_string())
    } else {
        Delivery::Failed(e.to_string())
    }
}

/// A check run to create.
#[derive(Debug)]
pub(crate) struct CheckRun<'a> {
    pub name: &'a str,
    pub head_sha: &'a str,
    pub conclusion: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub annotations: &'a [Value],
}

/// The create request and the update requests, in order (also what `--dry-run` shows).
pub(crate) fn check_run_requests(run: &CheckRun<'_>) -> (Value, Vec<Value>) {
    let mut chunks = run.annotations.chunks(ANNOTATIONS_PER_REQUEST);
    let first = chunks.next().unwrap_or(&[]);
    let create = json!({
        "name": run.name,
        "head_sha": run.head_sha,
        "status": "completed",
        "conclusion": run.conclusion,
        "output": {"title": run.title, "summary": run.summary, "annotations": first},
    });
    let updates = chunks
        .map(|chunk| {
            json!({"output": {"title": run.title, "summary": run.summary, "annotations": chunk}})
        })
        .collect();
    (create, updates)
}

pub(crate) fn check_run(api: &Api, run: &CheckRun<'_>) -> Delivery {
    let (create, updates) = check_run_requests(run);
    let reply = match api.post("creating the check run", &api.repo("/check-runs"), &create) {
        Ok(r) => r,
        Err(e) => return undelivered(e),
    };
    let created = match reply.json("the created check run") {
        Ok(v) => v,
        Err(e) => return Delivery::Failed(e.to_string()),
    };
    let Some(id) = created.get("id").and_then(Value::as_u64) else {
        return Delivery::Failed(format!(
            "creating the check run: answered {} without an id",
            reply.status
        ));
    };
    for (i, update) in updates.iter().enumerate() {
        let what = format!("adding annotations {}–{}", (i + 1) * 50 + 1, (i + 2) * 50);
        if let Err(e) = api.patch(&what, &api.repo(&format!("/check-runs/{id}")), update) {
            return undelivered(e);
        }
    }
    let url = created
        .get("html_url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Delivery::Sent(format!(
        "check run `{}` ({}, {} annotations in {} requests) {url}",
        run.name,
        run.conclusion,
        run.annotations.len(),
        1 + updates.len()
    ))
}

/// The hidden line that marks our comment, per check name (two gates, two comments).
pub(crate) fn marker(kind: &str, check_name: &str) -> String {
    let name: String = check_name
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '-'))
        .collect();
    format!("<!-- packetgate:{kind} name=\"{name}\" -->")
}

/// Which run wrote a comment: newer runs may overwrite older ones, never the reverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunStamp {
    pub head: String,
    /// The pull request's `updated_at` as the run's event saw it (ISO 8601, UTC).
    pub updated: String,
}

impl RunStamp {
    pub(crate) fn render(&self) -> String {
        format!(
            "<!-- packetgate:run head={} updated={} -->",
            self.head, self.updated
        )
    }

    pub(crate) fn parse(body: &str) -> Option<RunStamp> {
        let start = body.find("<!-- packetgate:run ")?;
        let rest = &body[start..];
        let line = &rest[..rest.find("-->")?];
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|t| t.strip_prefix(k))
                .map(str::to_string)
        };
        Some(RunStamp {
            head: field("head=")?,
            updated: field("updated=").unwrap_or_default(),
        })
    }

    /// `self` is older than `other` and judged another commit.
    pub(crate) fn older_than(&self, other: &RunStamp) -> bool {
        self.head != other.head && !other.updated.is_empty() && self.updated < other.updated
    }
}

/// A comment or review we wrote earlier.
#[derive(Debug, Clone)]
struct Ours {
    id: u64,
    body: String,
    state: String,
    commit: String,
}

/// Written by a bot (the workflow token's `github-actions[bot]`, or an app's).
pub(crate) fn is_bot(item: &Value) -> bool {
    item.pointer("/user/type").and_then(Value::as_str) == Some("Bot")
}

/// Every item of a paginated list whose body holds `marker` and whose author is a bot (a
/// person pasting the marker into their own comment does not get it rewritten).
fn find_ours(api: &Api, what: &str, first: String, marker: &str) -> Result<Vec<Ours>, ApiError> {
    let mut found = Vec::new();
    let mut route = first;
    for _ in 0..100 {
        let reply = api.get(what, &route, None)?;
        let page = reply.json(what)?;
        for item in page.as_array().into_iter().flatten() {
            let body = item.get("body").and_then(Value::as_str).unwrap_or_default();
            if body.contains(marker) && is_bot(item) {
                if let Some(id) = item.get("id").and_then(Value::as_u64) {
                    found.push(Ours {
                        id,
                        body: body.to_string(),
                        state: item
                            .get("state")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        commit: item
                            .get("commit_id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    });
                }
            }
        }
        match reply.next_page() {
            Some(next) => route = api.route_of(&next),
            None => break,
        }
    }
    Ok(found)
}

/// The sticky comment to write.
#[derive(Debug)]
pub(crate) struct Sticky<'a> {
    pub pull: u64,
    pub check_name: &'a str,
    pub stamp: RunStamp,
    pub body: &'a str,
    /// Nothing to say (everything passes, no finding): do not open a new comment.
    pub quiet: bool,
}

/// The full body with its markers.
pub(crate) fn sticky_body(s: &Sticky<'_>) -> String {
    format!(
        "{}\n{}\n{}",
        marker("sticky", s.check_name),
        s.stamp.render(),
        s.body
    )
}

pub(crate) fn sticky(api: &Api, s: &Sticky<'_>) -> Delivery {
    let mark = marker("sticky", s.check_name);
    let list = api.repo(&format!("/issues/{}/comments?per_page=100", s.pull));
    let found = match find_ours(api, "looking up the comment", list, &mark) {
        Ok(f) => f,
        Err(e) => return undelivered(e),
    };
    let body = sticky_body(s);
    match found.first() {
        Some(existing) => {
            if let Some(theirs) = RunStamp::parse(&existing.body) {
                if s.stamp.older_than(&theirs) {
                    return Delivery::Skipped(format!(
                        "comment {} was written by a newer run (commit {}); left as it is",
                        existing.id, theirs.head
                    ));
                }
            }
            if existing.body == body {
                return Delivery::Skipped(format!("comment {} already says this", existing.id));
            }
            if let Some(d) = moved_on(api, s.pull, &s.stamp.head) {
                return d;
            }
            let route = api.repo(&format!("/issues/comments/{}", existing.id));
            match api.patch("editing the comment", &route, &json!({ "body": body })) {
                Ok(_) => Delivery::Sent(format!("comment {} edited", existing.id)),
                Err(e) => undelivered(e),
            }
        }
        None if s.quiet => Delivery::Skipped("every packet passes; no comment needed".into()),
        None => {
            if let Some(d) = moved_on(api, s.pull, &s.stamp.head) {
                return d;
            }
            create_comment(api, s, &body, &mark)
        }
    }
}

/// Posts the comment; a failure that may have created it anyway (a 5xx, a dropped
/// connection) is followed by a look before the one retry, so it is never posted twice.
fn create_comment(api: &Api, s: &Sticky<'_>, body: &str, mark: &str) -> Delivery {
    let route = api.repo(&format!("/issues/{}/comments", s.pull));
    let list = api.repo(&format!("/issues/{}/comments?per_page=100", s.pull));
    let payload = json!({ "body": body });
    for attempt in 0..2 {
        match api.post_once("posting the comment", &route, &payload) {
            Ok(r) => {
                let id = r
                    .json("the new comment")
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_u64))
                    .unwrap_or_default();
                return Delivery::Sent(format!("comment {id} created"));
            }
            Err(e)
                if attempt == 0
                    && matches!(
                        e,
                        ApiError::Status { status: 500.., .. } | ApiError::Transport { .. }
                    ) =>
            {
                match find_ours(api, "looking up the comment again", list.clone(), mark) {
                    Ok(found) if found.iter().any(|c| c.body == body) => {
                        return Delivery::Sent(format!("comment {} created", found[0].id));
                    }
                    Ok(_) => {}
                    Err(e) => return undelivered(e),
                }
            }
            Err(e) => return undelivered(e),
        }
    }
    Delivery::Failed("posting the comment: no answer after a retry".into())
}

fn reviews_route(api: &Api, pull: u64) -> String {
    api.repo(&format!("/pulls/{pull}/reviews"))
}

fn reviews_list(api: &Api, pull: u64) -> String {
    format!("{}?per_page=100", reviews_route(api, pull))
}

/// The pull request's head now, when it is no longer `head`: a run for an older commit that
/// finishes late must not write over what the newer commit's run says (or will say).
pub(crate) fn superseded(api: &Api, pull: u64, head: &str) -> Result<Option<String>, ApiError> {
    let reply = api.get(
        "reading the pull request",
        &api.repo(&format!("/pulls/{pull}")),
        None,
    )?;
    let now = reply
        .json("the pull request")?
        .pointer("/head/sha")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(now.filter(|sha| sha != head))
}

fn moved_on(api: &Api, pull: u64, head: &str) -> Option<Delivery> {
    match superseded(api, pull, head) {
        Ok(None) => None,
        Ok(Some(now)) => Some(Delivery::Skipped(format!(
            "the pull request has moved on to commit {}; that commit's run speaks for it",
            crate::git::short(&now)
        ))),
        Err(e) => Some(undelivered(e)),
    }
}

/// `review` mode: request changes while packets fail; dismiss that once they pass.
pub(crate) fn request_changes(
    api: &Api,
    pull: u64,
    check_name: &str,
    head_sha: &str,
    failing: Option<&str>,
) -> Delivery {
    let mark = marker("review", check_name);
    let ours = match find_ours(api, "listing reviews", reviews_list(api, pull), &mark) {
        Ok(o) => o,
        Err(e) => return undelivered(e),
    };
    let active: Vec<&Ours> = ours
        .iter()
        .filter(|r| r.state == "CHANGES_REQUESTED")
        .collect();
    match failing {
        Some(_) if !active.is_empty() => Delivery::Skipped("changes are already requested".into()),
        Some(text) => {
            if let Some(d) = moved_on(api, pull, head_sha) {
                return d;
            }
            let body = json!({
                "commit_id": head_sha,
                "event": "REQUEST_CHANGES",
                "body": format!("{mark}\n{text}"),
            });
            match api.post("requesting changes", &reviews_route(api, pull), &body) {
                Ok(_) => Delivery::Sent("review requesting changes".into()),
                Err(e) => undelivered(e),
            }
        }
        None if active.is_empty() => Delivery::Skipped("no review to dismiss".into()),
        None => {
            if let Some(d) = moved_on(api, pull, head_sha) {
                return d;
            }
            for r in &active {
                let route = api.repo(&format!("/pulls/{pull}/reviews/{}/dismissals", r.id));
                let body = json!({"message": "Every packet passes now.", "event": "DISMISS"});
                if let Err(e) = api.put("dismissing the review", &route, &body) {
                    return undelivered(e);
                }
            }
            Delivery::Sent(format!(
                "{} dismissed",
                crate::text::plural(active.len(), "review")
            ))
        }
    }
}

/// One inline comment.
#[derive(Debug, Clone)]
pub(crate) struct LineNote {
    pub path: String,
    pub line: u32,
    pub body: String,
}

/// At most this many inline comments per review: the sticky comment has the full list.
pub(crate) const MAX_LINE_NOTES: usize = 50;

/// `inline` mode: one review per head commit with comments on the diff's lines (GitHub
/// refuses comments on lines the diff does not show; those stay in the sticky comment).
pub(crate) fn inline_review(
    api: &Api,
    pull: u64,
    check_name: &str,
    head_sha: &str,
    on_diff: &[LineNote],
) -> Delivery {
    if on_diff.is_empty() {
        return Delivery::Skipped("no finding is on a line of the diff".into());
    }
    let mark = format!("{} <!-- head={head_sha} -->", marker("inline", check_name));
    let ours = match find_ours(api, "listing reviews", reviews_list(api, pull), &mark) {
        Ok(o) => o,
        Err(e) => return undelivered(e),
    };
    if ours
        .iter()
        .any(|r| r.commit == head_sha || r.body.contains(&mark))
    {
        return Delivery::Skipped("this commit already has its line comments".into());
    }
    let comments: Vec<Value> = on_diff
        .iter()
        .map(|n| json!({"path": n.path, "line": n.line, "side": "RIGHT", "body": n.body}))
        .collect();
    let body = json!({
        "commit_id": head_sha,
        "event": "COMMENT",
        "body": format!("{mark}\n{} on the lines of this change; the full list is in the packetgate comment.", crate::text::plural(on_diff.len(), "finding")),
        "comments": comments,
    });
    match api.post("posting line comments", &reviews_route(api, pull), &body) {
        Ok(_) => Delivery::Sent(format!(
            "review with {}",
            crate::text::plural(on_diff.len(), "line comment")
        )),
        Err(e) => undelivered(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_go_out_fifty_at_a_time() {
        let notes: Vec<Value> = (0..120).map(|i| json!({"n": i})).collect();
        let run = CheckRun {
            name: "packetgate",
            head_sha: "abc",
            conclusion: "failure",
            title: "t",
            summary: "s",
            annotations: &notes,
        };
        let (create, updates) = check_run_requests(&run);
        assert_eq!(
            create["output"]["annotations"].as_array().unwrap().len(),
            50
        );
        let sizes: Vec<usize> = updates
            .iter()
            .map(|u| u["output"]["annotations"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [50, 20]);
    }

    #[test]
    fn stamps_order_runs() {
        let new = RunStamp {
            head: "b".into(),
            updated: "2026-11-20T10:00:00Z".into(),
        };
        let old = RunStamp {
            head: "a".into(),
            updated: "2026-11-19T10:00:00Z".into(),
        };
        let body = format!("{}\n{}\ntext", marker("sticky", "packetgate"), new.render());
        assert_eq!(RunStamp::parse(&body), Some(new.clone()));
        assert!(old.older_than(&new));
        assert!(!new.older_than(&old));
        // A re-run of the same commit may always rewrite.
        assert!(!RunStamp {
            head: "b".into(),
            updated: "2026-11-01T00:00:00Z".into()
        }
        .older_than(&new));
        assert_eq!(
            marker("sticky", "a\"-->b"),
            "<!-- packetgate:sticky name=\"ab\" -->"
        );
    }
}
