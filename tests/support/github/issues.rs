//! The repository's issues ([`Issue`]) for the audit's sticky dashboard: listed (with the
//! pull request among them, as GitHub lists pull requests as issues), created and updated
//! (title, body, state and `state_reason`).

use serde_json::{json, Value};

use super::handle::{Call, Ctx};
use super::openapi::contract;
use super::reply::Reply;
use super::routes::not_found;
use super::state::{Shared, State};
use super::util::{iso8601, unix_now};
use super::BOT_LOGIN;

/// An issue of the repository under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// open | closed
    pub state: String,
    /// completed | not_planned | reopened | duplicate
    pub state_reason: Option<String>,
    pub login: String,
    /// "Bot" | "User"
    pub user_type: String,
    /// A pull request, as the issue list shows it (with a `pull_request` key).
    pub is_pull: bool,
}

impl Issue {
    /// An open issue by `github-actions[bot]`.
    pub fn by_bot(number: u64, title: &str, body: &str) -> Issue {
        Issue {
            number,
            title: title.into(),
            body: body.into(),
            state: "open".into(),
            state_reason: None,
            login: BOT_LOGIN.into(),
            user_type: "Bot".into(),
            is_pull: false,
        }
    }

    pub fn by_user(number: u64, login: &str, title: &str, body: &str) -> Issue {
        Issue {
            login: login.into(),
            user_type: "User".into(),
            ..Issue::by_bot(number, title, body)
        }
    }

    pub fn closed(self) -> Issue {
        Issue {
            state: "closed".into(),
            state_reason: Some("completed".into()),
            ..self
        }
    }
}

impl Shared {
    fn issue_json(&self, i: &Issue) -> Value {
        let mut v = contract().example("issue");
        let api = format!("{}/issues/{}", self.repo_api(), i.number);
        // A stable creation time per number: the list sorts by it.
        let created = iso8601(1_700_000_000 + i.number * 60);
        v["id"] = json!(5_000_000 + i.number);
        v["node_id"] = json!(format!("I_kwDOFake{:08}", i.number));
        v["number"] = json!(i.number);
        v["url"] = json!(api);
        v["repository_url"] = json!(self.repo_api());
        v["labels_url"] = json!(format!("{api}/labels{{/name}}"));
        v["comments_url"] = json!(format!("{api}/comments"));
        v["events_url"] = json!(format!("{api}/events"));
        v["title"] = json!(i.title);
        v["body"] = json!(i.body);
        v["state"] = json!(i.state);
        v["state_reason"] = json!(i.state_reason);
        v["user"] = self.user_json(&i.login, &i.user_type);
        v["author_association"] = json!(self.association(&i.login, &i.user_type));
        v["labels"] = json!([]);
        v["assignee"] = Value::Null;
        v["assignees"] = json!([]);
        v["milestone"] = Value::Null;
        v["closed_by"] = Value::Null;
        v["comments"] = json!(0);
        v["created_at"] = json!(created);
        v["updated_at"] = json!(iso8601(unix_now()));
        v["closed_at"] = if i.state == "closed" {
            json!(iso8601(unix_now()))
        } else {
            Value::Null
        };
        if i.is_pull {
            v["html_url"] = json!(format!("{}/pull/{}", self.repo_web(), i.number));
            v["pull_request"] = json!({
                "url": format!("{}/pulls/{}", self.repo_api(), i.number),
                "html_url": format!("{}/pull/{}", self.repo_web(), i.number),
                "diff_url": format!("{}/pull/{}.diff", self.repo_web(), i.number),
                "patch_url": format!("{}/pull/{}.patch", self.repo_web(), i.number),
            });
        } else {
            v["html_url"] = json!(format!("{}/issues/{}", self.repo_web(), i.number));
            if let Some(m) = v.as_object_mut() {
                m.remove("pull_request");
            }
        }
        v
    }

    /// `state` (open by default, closed, all), `sort=created` with `direction` (desc by
    /// default), paginated.
    pub(super) fn list_issues(&self, st: &State, call: &Call<'_>) -> Reply {
        let state = call.query("state").unwrap_or("open");
        let mut items: Vec<&Issue> = st
            .issues
            .iter()
            .filter(|i| state == "all" || i.state == state)
            .collect();
        items.sort_by_key(|i| i.number);
        if call.query("direction") != Some("asc") {
            items.reverse();
        }
        let items = items.into_iter().map(|i| self.issue_json(i)).collect();
        self.paginate(call, items)
    }

    pub(super) fn create_issue(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let number = st.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1;
        let title = match &call.body["title"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let issue = Issue::by_bot(number, &title, call.body["body"].as_str().unwrap_or(""));
        st.issues.push(issue.clone());
        let v = self.issue_json(&issue);
        Reply::json(201, &v).with_header("location", v["url"].as_str().unwrap_or_default())
    }

    pub(super) fn update_issue(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let number = call.id("issue_number");
        let Some(issue) = st.issues.iter_mut().find(|i| i.number == number) else {
            return not_found(ctx, call, &format!("no issue {number}"));
        };
        let b = call.body;
        if let Some(t) = b["title"].as_str() {
            issue.title = t.into();
        }
        if let Some(text) = b["body"].as_str() {
            issue.body = text.into();
        }
        if let Some(state) = b["state"].as_str() {
            if state != issue.state {
                issue.state = state.into();
                // GitHub ignores `state_reason` unless the state changes.
                issue.state_reason = match (state, b["state_reason"].as_str()) {
                    ("open", _) => Some("reopened".into()),
                    (_, Some(r)) => Some(r.into()),
                    (_, None) => Some("completed".into()),
                };
            }
        }
        let v = self.issue_json(issue);
        Reply::json(200, &v)
    }
}
