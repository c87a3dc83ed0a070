//! Pull request reviews: create (commit and inline-comment checks), dismiss, and the review
//! JSON GitHub answers with.

use serde_json::{json, Value};

use super::handle::{Call, Ctx};
use super::openapi::contract;
use super::reply::Reply;
use super::routes::not_found;
use super::rules::inline_comment_problem;
use super::state::{Shared, State};
use super::util::{iso8601, unix_now};
use super::Review;

impl Shared {
    pub(super) fn create_review(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let b = call.body;
        let head = st.head_sha.clone();
        let commit_id = b["commit_id"].as_str().unwrap_or(&head);
        let mut problems = Vec::new();
        if !st.commits.iter().any(|c| c == commit_id) {
            problems.push(format!(
                "review commit_id {commit_id} is not a head of the PR ({})",
                st.commits.join(", ")
            ));
        }
        let comments = b["comments"].as_array().cloned().unwrap_or_default();
        for (i, c) in comments.iter().enumerate() {
            if let Some(p) = inline_comment_problem(&st.files, c) {
                problems.push(format!("comments[{i}]: {p}"));
            }
        }
        if !problems.is_empty() {
            for p in &problems {
                ctx.violation(p.clone());
            }
            return Reply::unprocessable(&problems, &call.op.docs_url);
        }
        let state = match b["event"].as_str() {
            Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
            Some("COMMENT") => "COMMENTED",
            Some("APPROVE") => "APPROVED",
            _ => "PENDING",
        };
        let review = Review {
            id: st.next_review,
            commit_id: commit_id.into(),
            comments,
            ..Review::by_bot(0, state, b["body"].as_str().unwrap_or_default())
        };
        st.next_review += 1;
        st.reviews.push(review.clone());
        Reply::json(200, &self.review_json(&review))
    }

    pub(super) fn dismiss_review(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let id = call.id("review_id");
        let Some(review) = st.reviews.iter_mut().find(|r| r.id == id) else {
            return not_found(ctx, call, &format!("no review {id}"));
        };
        let refusal = match review.state.as_str() {
            "COMMENTED" => Some("Can not dismiss a commented pull request review"),
            "PENDING" => Some("Can not dismiss a pending pull request review"),
            _ => None,
        };
        if let Some(refusal) = refusal {
            ctx.violation(format!(
                "review {id}: {refusal} (dismiss only APPROVED or CHANGES_REQUESTED reviews)"
            ));
            return Reply::unprocessable(&[refusal.to_string()], &call.op.docs_url);
        }
        review.state = "DISMISSED".into();
        Reply::json(200, &self.review_json(review))
    }

    pub(super) fn review_json(&self, r: &Review) -> Value {
        let mut v = contract().example("pull-request-review");
        let html = format!(
            "{}/pull/{}#pullrequestreview-{}",
            self.repo_web(),
            self.setup.pull_number,
            r.id
        );
        let pull = format!("{}/pulls/{}", self.repo_api(), self.setup.pull_number);
        v["id"] = json!(r.id);
        v["node_id"] = json!(format!("PRR_kwDOFake{:010}", r.id));
        v["user"] = self.user_json(&r.login, &r.user_type);
        v["body"] = json!(r.body);
        v["state"] = json!(r.state);
        v["html_url"] = json!(html);
        v["pull_request_url"] = json!(pull);
        v["_links"] = json!({"html": {"href": html}, "pull_request": {"href": pull}});
        v["commit_id"] = json!(r.commit_id);
        v["author_association"] = json!(self.association(&r.login, &r.user_type));
        match r.state.as_str() {
            "PENDING" => {
                v.as_object_mut().map(|m| m.remove("submitted_at"));
            }
            _ => v["submitted_at"] = json!(iso8601(unix_now())),
        }
        v
    }
}
