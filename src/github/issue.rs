//! The sticky "Packet health" issue of `packetgate audit --publish-issue`: one issue per
//! repository that holds the dashboard, found again by a hidden marker in its body *and* a
//! bot author (as the pull request's sticky comment is, so a person quoting the marker does
//! not get their issue rewritten), edited in place, closed as completed while everything is
//! healthy and reopened when something is not. A healthy audit never opens a new issue.
//!
//! The body is rendered (and escaped) by the caller, as the comment's is; here it gets its
//! marker and is cut to GitHub's size limit. Needs `issues: write` on the issue repository.

use super::api::{Api, ApiError};
use super::check::COMMENT_MAX;
use super::publish::is_bot;
use crate::gate::render::cut_chars;
use serde_json::{json, Value};

/// The hidden line that marks the dashboard issue.
pub const MARKER: &str = "<!-- packetgate:health -->";
/// GitHub's limit on an issue title, in characters.
pub const TITLE_MAX: usize = 256;
/// The issue list is read for at most this many pages (100 issues each).
pub const MAX_PAGES: u32 = 100;

/// What [`publish`] did, with the issue number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created(u64),
    /// The body (or title) edited; the state already right.
    Updated(u64),
    /// Already says this, in the right state: nothing sent.
    Unchanged(u64),
    /// Healthy now: closed as completed (with the new body).
    Closed(u64),
    /// Unhealthy again: reopened (with the new body).
    Reopened(u64),
    /// Healthy and there is no issue: none opened.
    NotNeeded,
}

/// The issue as found.
#[derive(Debug)]
struct Found {
    number: u64,
    title: String,
    body: String,
    open: bool,
}

/// The full body: the marker, then `body` cut to GitHub's limit.
pub fn issue_body(body: &str) -> String {
    let room = COMMENT_MAX - MARKER.chars().count() - 1;
    format!("{MARKER}\n{}", cut_chars(body, room))
}

/// Keeps the dashboard issue of `api`'s repository up to date.
pub fn publish(api: &Api, title: &str, body: &str, healthy: bool) -> Result<Outcome, ApiError> {
    let title = cut_chars(title.trim(), TITLE_MAX);
    let body = issue_body(body);
    let Some(found) = find(api)? else {
        if healthy {
            return Ok(Outcome::NotNeeded);
        }
        return create(api, &title, &body);
    };
    let state_right = found.open != healthy;
    if state_right && found.body == body && found.title == title {
        return Ok(Outcome::Unchanged(found.number));
    }
    let mut patch = json!({ "title": title, "body": body });
    let outcome = match (healthy, found.open) {
        (true, true) => {
            patch["state"] = json!("closed");
            patch["state_reason"] = json!("completed");
            Outcome::Closed(found.number)
        }
        (false, false) => {
            patch["state"] = json!("open");
            patch["state_reason"] = json!("reopened");
            Outcome::Reopened(found.number)
        }
        _ => Outcome::Updated(found.number),
    };
    api.patch(
        "updating the packet health issue",
        &api.repo(&format!("/issues/{}", found.number)),
        &patch,
    )?;
    Ok(outcome)
}

/// The oldest issue (open or closed) with the marker and a bot author; pull requests, which
/// the issue list includes, are passed over.
fn find(api: &Api) -> Result<Option<Found>, ApiError> {
    let what = "looking up the packet health issue";
    let mut route = api.repo("/issues?state=all&sort=created&direction=asc&per_page=100");
    for _ in 0..MAX_PAGES {
        let reply = api.get(what, &route, None)?;
        if reply.status == 404 {
            return Err(ApiError::Status {
                what: what.into(),
                status: 404,
                message: "no such repository, or its issues are off".into(),
            });
        }
        let page = reply.json(what)?;
        for item in page.as_array().into_iter().flatten() {
            if item.get("pull_request").is_some() || !is_bot(item) {
                continue;
            }
            let text = |k: &str| {
                item.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let body = text("body");
            if !body.contains(MARKER) {
                continue;
            }
            if let Some(number) = item.get("number").and_then(Value::as_u64) {
                return Ok(Some(Found {
                    number,
                    title: text("title"),
                    body,
                    open: text("state") == "open",
                }));
            }
        }
        match reply.next_page() {
            Some(next) => route = api.route_of(&next),
            None => break,
        }
    }
    Ok(None)
}

/// Opens the issue; a failure that may have opened it anyway (a 5xx, a dropped connection)
/// is followed by a look before the one retry, so it is never opened twice.
fn create(api: &Api, title: &str, body: &str) -> Result<Outcome, ApiError> {
    let payload = json!({ "title": title, "body": body });
    let route = api.repo("/issues");
    let mut last = None;
    for attempt in 0..2 {
        match api.post_once("opening the packet health issue", &route, &payload) {
            Ok(reply) => {
                let number = reply
                    .json("the new issue")?
                    .get("number")
                    .and_then(Value::as_u64)
                    .unwrap_or_default();
                return Ok(Outcome::Created(number));
            }
            Err(e @ (ApiError::Status { status: 500.., .. } | ApiError::Transport { .. }))
                if attempt == 0 =>
            {
                if let Some(found) = find(api)? {
                    return Ok(Outcome::Created(found.number));
                }
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::Transport {
        what: "opening the packet health issue".into(),
        message: "no answer after a retry".into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_keeps_its_marker_within_the_limit() {
        let long = "x".repeat(COMMENT_MAX * 2);
        let b = issue_body(&long);
        assert!(b.starts_with(MARKER));
        assert!(b.chars().count() <= COMMENT_MAX, "{}", b.chars().count());
        assert!(b.ends_with("more characters left out for GitHub's size limit]"));
        assert_eq!(issue_body("ok"), format!("{MARKER}\nok"));
    }
}
