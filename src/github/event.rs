//! The workflow event: what `packetgate github` is judging. Read from the event payload
//! GitHub writes to `GITHUB_EVENT_PATH` (the webhook payload of the event that started the
//! run), with `GITHUB_REPOSITORY` / `GITHUB_SHA` for events whose payload does not say.
//!
//! The check run goes on the pull request's head commit from the payload — never on
//! `GITHUB_SHA`, which is the test merge commit on `pull_request` and the base branch's head
//! on `pull_request_target`.

use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Error)]
pub(crate) enum EventError {
    #[error("event `{0}` is not one packetgate handles: use pull_request, pull_request_target, merge_group, push, schedule or workflow_dispatch")]
    Unsupported(String),
    #[error("the `{event}` event payload has no `{field}`")]
    MissingField { event: String, field: &'static str },
    #[error("no repository: the payload names none and GITHUB_REPOSITORY is not set")]
    NoRepository,
    #[error("no commit to judge: the payload names none and GITHUB_SHA is not set")]
    NoSha,
}

/// A pull request as the payload describes it.
#[derive(Debug, Clone)]
pub struct Pull {
    pub number: u64,
    pub head_sha: String,
    pub base_sha: String,
    pub base_ref: String,
    pub fork: bool,
    /// When the pull request last changed: orders runs, so an older run never overwrites
    /// the comment of a newer one.
    pub updated_at: String,
    /// How many files the pull request changes, when the payload says.
    pub changed_files: Option<u64>,
}

#[derive(Debug, Clone)]
pub enum Target {
    /// `pull_request` or `pull_request_target`: the packets the pull request adds or changes.
    Pull(Pull),
    /// `push`: the packets the push changed. `before` is `None` for a new branch.
    Push {
        before: Option<String>,
        after: String,
    },
    /// `merge_group` (a merge queue): the packets changed between the group's base commit
    /// and its head (the base with the queued pull requests merged in).
    MergeGroup {
        base_sha: String,
        head_sha: String,
        /// `refs/heads/main`, the branch the group merges into.
        base_ref: String,
    },
    /// `schedule` or `workflow_dispatch`: every packet on the branch.
    Audit { sha: String },
}

#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub owner: String,
    pub repo: String,
    pub target: Target,
}

impl Event {
    /// The commit the check run goes on.
    pub fn head_sha(&self) -> &str {
        match &self.target {
            Target::Pull(p) => &p.head_sha,
            Target::Push { after, .. } => after,
            Target::MergeGroup { head_sha, .. } => head_sha,
            Target::Audit { sha } => sha,
        }
    }

    pub fn pull(&self) -> Option<&Pull> {
        match &self.target {
            Target::Pull(p) => Some(p),
            _ => None,
        }
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// Why an event leaves nothing to judge and nothing to post, or `None` when it has work.
/// A closed pull request needs no check (closing is not merging into anything that waits
/// for one), a push that deletes a branch or tag has no commit to judge, and a destroyed
/// merge group has no head left to put a check on. Anything else a handled event sends —
/// every other pull-request action, labels and edits included — is judged, so a required
/// check is there whatever moved the pull request last.
pub(crate) fn nothing_to_do(name: &str, payload: &Value) -> Option<String> {
    let action = text(payload, "/action").unwrap_or_default();
    match name {
        "pull_request" | "pull_request_target" if action == "closed" => {
            let number = payload
                .pointer("/pull_request/number")
                .or_else(|| payload.get("number"))
                .and_then(Value::as_u64)
                .map(|n| format!(" #{n}"))
                .unwrap_or_default();
            let how = if payload.pointer("/pull_request/merged") == Some(&Value::Bool(true)) {
                "was merged"
            } else {
                "was closed"
            };
            Some(format!(
                "pull request{number} {how}: nothing to judge, no check run or comment posted"
            ))
        }
        "push"
            if payload.get("deleted") == Some(&Value::Bool(true))
                || text(payload, "/after") == Some(ZERO_SHA) =>
        {
            let what = text(payload, "/ref").unwrap_or("a ref");
            Some(format!(
                "the push deleted `{what}`: no commit to judge, no check run posted"
            ))
        }
        "merge_group" if action == "destroyed" => {
            let why = text(payload, "/reason").unwrap_or("removed");
            Some(format!(
                "the merge group was destroyed ({why}): no commit to judge, no check run posted"
            ))
        }
        _ => None,
    }
}

/// Reads the event. `env_repo` and `env_sha` are `GITHUB_REPOSITORY` and `GITHUB_SHA`.
pub(crate) fn read(
    name: &str,
    payload: &Value,
    env_repo: Option<&str>,
    env_sha: Option<&str>,
) -> Result<Event, EventError> {
    let missing = |field| EventError::MissingField {
        event: name.to_string(),
        field,
    };
    let full = text(payload, "/repository/full_name")
        .or(env_repo)
        .ok_or(EventError::NoRepository)?;
    let (owner, repo) = full.split_once('/').ok_or(EventError::NoRepository)?;
    let target = match name {
        "pull_request" | "pull_request_target" => {
            let pr = payload
                .get("pull_request")
                .ok_or_else(|| missing("pull_request"))?;
            let number = pr
                .get("number")
                .and_then(Value::as_u64)
                .or_else(|| payload.get("number").and_then(Value::as_u64))
                .ok_or_else(|| missing("pull_request.number"))?;
            let head_sha = text(pr, "/head/sha").ok_or_else(|| missing("pull_request.head.sha"))?;
            let base_sha = text(pr, "/base/sha").ok_or_else(|| missing("pull_request.base.sha"))?;
            let head_repo = text(pr, "/head/repo/full_name").unwrap_or_default();
            Target::Pull(Pull {
                number,
                head_sha: head_sha.to_string(),
                base_sha: base_sha.to_string(),
                base_ref: text(pr, "/base/ref").unwrap_or_default().to_string(),
                fork: pr
                    .pointer("/head/repo/fork")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    || (!head_repo.is_empty() && head_repo != full),
                updated_at: text(pr, "/updated_at").unwrap_or_default().to_string(),
                changed_files: pr.get("changed_files").and_then(Value::as_u64),
            })
        }
        "push" => {
            let after = text(payload, "/after")
                .filter(|s| *s != ZERO_SHA)
                .or(env_sha)
                .ok_or(EventError::NoSha)?;
            Target::Push {
                before: text(payload, "/before")
                    .filter(|s| *s != ZERO_SHA)
                    .map(str::to_string),
                after: after.to_string(),
            }
        }
        "merge_group" => {
            let group = payload
                .get("merge_group")
                .ok_or_else(|| missing("merge_group"))?;
            Target::MergeGroup {
                base_sha: text(group, "/base_sha")
                    .ok_or_else(|| missing("merge_group.base_sha"))?
                    .to_string(),
                head_sha: text(group, "/head_sha")
                    .ok_or_else(|| missing("merge_group.head_sha"))?
                    .to_string(),
                base_ref: text(group, "/base_ref").unwrap_or_default().to_string(),
            }
        }
        "schedule" | "workflow_dispatch" => Target::Audit {
            sha: env_sha.ok_or(EventError::NoSha)?.to_string(),
        },
        other => return Err(EventError::Unsupported(other.to_string())),
    };
    Ok(Event {
        name: name.to_string(),
        owner: owner.to_string(),
        repo: repo.to_string(),
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pull_request_uses_the_head_sha_not_the_merge_commit() {
        let payload = json!({
            "number": 7,
            "repository": {"full_name": "acme/budgets"},
            "pull_request": {
                "number": 7, "updated_at": "2026-11-20T10:00:00Z", "changed_files": 3,
                "head": {"sha": "aaa", "repo": {"full_name": "someone/budgets", "fork": true}},
                "base": {"sha": "bbb", "ref": "main", "repo": {"full_name": "acme/budgets"}}
            }
        });
        let e = read("pull_request", &payload, None, Some("merge")).unwrap();
        assert_eq!(e.head_sha(), "aaa");
        let p = e.pull().unwrap();
        assert!(p.fork);
        assert_eq!((p.base_sha.as_str(), p.number), ("bbb", 7));
        assert_eq!((e.owner.as_str(), e.repo.as_str()), ("acme", "budgets"));
    }

    #[test]
    fn new_branch_push_has_no_before_and_audits_need_a_sha() {
        let payload =
            json!({"before": ZERO_SHA, "after": "ccc", "repository": {"full_name": "a/b"}});
        let e = read("push", &payload, None, None).unwrap();
        assert!(matches!(e.target, Target::Push { before: None, .. }));
        assert!(matches!(
            read("schedule", &json!({}), Some("a/b"), None),
            Err(EventError::NoSha)
        ));
        assert!(matches!(
            read("issues", &json!({}), Some("a/b"), Some("x")),
            Err(EventError::Unsupported(_))
        ));
    }

    #[test]
    fn a_merge_group_is_judged_on_its_head_and_deletions_and_closes_are_idle() {
        let payload = json!({
            "action": "checks_requested",
            "merge_group": {"head_sha": "hhh", "base_sha": "bbb", "base_ref": "refs/heads/main"},
            "repository": {"full_name": "a/b"}
        });
        assert_eq!(nothing_to_do("merge_group", &payload), None);
        let e = read("merge_group", &payload, None, Some("other")).unwrap();
        assert_eq!(e.head_sha(), "hhh");
        assert!(matches!(e.target, Target::MergeGroup { ref base_sha, .. } if base_sha == "bbb"));
        let closed = json!({"action": "closed", "number": 3, "pull_request": {"merged": true}});
        assert_eq!(
            nothing_to_do("pull_request_target", &closed).as_deref(),
            Some("pull request #3 was merged: nothing to judge, no check run or comment posted")
        );
        let deleted = json!({"ref": "refs/tags/v1", "deleted": true, "after": ZERO_SHA});
        assert!(nothing_to_do("push", &deleted)
            .unwrap()
            .contains("`refs/tags/v1`"));
        assert_eq!(
            nothing_to_do("pull_request", &json!({"action": "labeled"})),
            None
        );
    }
}
