//! Issue comments as GitHub renders them, with the users (bot or person) who write comments
//! and reviews and their author association.

use serde_json::{json, Value};

use super::openapi::contract;
use super::state::Shared;
use super::util::{iso8601, percent_encode, unix_now};
use super::{Comment, BOT_LOGIN};

impl Shared {
    pub(super) fn comment_json(&self, c: &Comment) -> Value {
        let mut v = contract().example("issue-comment");
        let now = iso8601(unix_now());
        v["id"] = json!(c.id);
        v["node_id"] = json!(format!("IC_kwDOFake{:010}", c.id));
        v["url"] = json!(format!("{}/issues/comments/{}", self.repo_api(), c.id));
        v["html_url"] = json!(format!(
            "{}/pull/{}#issuecomment-{}",
            self.repo_web(),
            self.setup.pull_number,
            c.id
        ));
        v["issue_url"] = json!(format!(
            "{}/issues/{}",
            self.repo_api(),
            self.setup.pull_number
        ));
        v["body"] = json!(c.body);
        v["user"] = self.user_json(&c.login, &c.user_type);
        v["created_at"] = json!(now);
        v["updated_at"] = json!(now);
        v["author_association"] = json!(self.association(&c.login, &c.user_type));
        v
    }

    pub(super) fn user_json(&self, login: &str, user_type: &str) -> Value {
        let web = self.web_url();
        let api = format!(
            "{}/users/{}",
            self.api_url(),
            login.replace('[', "%5B").replace(']', "%5D")
        );
        let id = if login == BOT_LOGIN {
            41_898_282
        } else {
            583_231
        };
        json!({
            "login": login,
            "id": id,
            "node_id": format!("MDQ6VXNlcj{id}"),
            "avatar_url": format!("{web}/avatars/u/{id}?v=4"),
            "gravatar_id": "",
            "url": api,
            // GitHub links the bot to its app page; `[bot]` would not be a valid URI.
            "html_url": if login == BOT_LOGIN {
                format!("{web}/apps/github-actions")
            } else {
                format!("{web}/{}", percent_encode(login))
            },
            "followers_url": format!("{api}/followers"),
            "following_url": format!("{api}/following{{/other_user}}"),
            "gists_url": format!("{api}/gists{{/gist_id}}"),
            "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/subscriptions"),
            "organizations_url": format!("{api}/orgs"),
            "repos_url": format!("{api}/repos"),
            "events_url": format!("{api}/events{{/privacy}}"),
            "received_events_url": format!("{api}/received_events"),
            "type": user_type,
            "user_view_type": "public",
            "site_admin": false,
        })
    }

    pub(super) fn association(&self, login: &str, user_type: &str) -> &'static str {
        if user_type == "Bot" {
            "NONE"
        } else if login.eq_ignore_ascii_case(&self.setup.owner) {
            "OWNER"
        } else {
            "CONTRIBUTOR"
        }
    }
}
