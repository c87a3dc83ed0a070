//! Which handler answers which operation, the small operations answered inline, and
//! GitHub's page-based pagination with `Link` headers.

use serde_json::Value;

use super::handle::{Call, Ctx};
use super::reply::Reply;
use super::state::{Shared, State};
use super::util::percent_encode;
use super::{Comment, API_PREFIX};

/// `GET …/pulls/{n}/files` never lists more than this many files.
const MAX_PR_FILES: usize = 3000;

impl Shared {
    pub(super) fn dispatch(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        match call.op.id.as_str() {
            "checks/create" => self.create_check_run(st, ctx, call),
            "checks/update" => self.update_check_run(st, ctx, call),
            "issues/list-comments" => {
                let items: Vec<Value> = st.comments.iter().map(|c| self.comment_json(c)).collect();
                self.paginate(call, items)
            }
            "issues/create-comment" => {
                let comment = Comment {
                    id: st.next_comment,
                    ..Comment::by_bot(0, call.body["body"].as_str().unwrap_or_default())
                };
                st.next_comment += 1;
                st.comments.push(comment.clone());
                Reply::json(201, &self.comment_json(&comment))
            }
            "issues/update-comment" => {
                let id = call.id("comment_id");
                match st.comments.iter_mut().find(|c| c.id == id) {
                    Some(c) => {
                        c.body = call.body["body"].as_str().unwrap_or_default().into();
                        Reply::json(200, &self.comment_json(c))
                    }
                    None => not_found(ctx, call, &format!("no issue comment {id}")),
                }
            }
            "issues/delete-comment" => {
                let id = call.id("comment_id");
                let before = st.comments.len();
                st.comments.retain(|c| c.id != id);
                if st.comments.len() < before {
                    Reply::no_content()
                } else {
                    not_found(ctx, call, &format!("no issue comment {id}"))
                }
            }
            "pulls/list-files" => {
                let items: Vec<Value> = st
                    .files
                    .iter()
                    .take(MAX_PR_FILES)
                    .map(|f| self.file_json(f, &st.head_sha))
                    .collect();
                self.paginate(call, items)
            }
            "pulls/list-reviews" => {
                let items: Vec<Value> = st.reviews.iter().map(|r| self.review_json(r)).collect();
                self.paginate(call, items)
            }
            "pulls/create-review" => self.create_review(st, ctx, call),
            "pulls/update-review" => {
                let id = call.id("review_id");
                match st.reviews.iter_mut().find(|r| r.id == id) {
                    Some(r) => {
                        r.body = call.body["body"].as_str().unwrap_or_default().into();
                        Reply::json(200, &self.review_json(r))
                    }
                    None => not_found(ctx, call, &format!("no review {id}")),
                }
            }
            "pulls/dismiss-review" => self.dismiss_review(st, ctx, call),
            "repos/get-content" => self.get_content(call),
            "pulls/get" => self.get_pull(st, call),
            "repos/list-for-org" => self.list_org_repos(call),
            "repos/get" => self.get_repo(ctx, call),
            "repos/download-tarball-archive" => self.tarball(call),
            "issues/list-for-repo" => self.list_issues(st, call),
            "issues/create" => self.create_issue(st, call),
            "issues/update" => self.update_issue(st, ctx, call),
            other => unreachable!("operation {other} in the contract but not in the fake"),
        }
    }

    /// One page of `items` with GitHub's `Link` header (`prev`, `next`, `last`, `first`).
    pub(super) fn paginate(&self, call: &Call<'_>, items: Vec<Value>) -> Reply {
        let per_page = call
            .query("per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(30)
            .clamp(1, 100);
        let page = call
            .query("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let last = items.len().div_ceil(per_page).max(1);
        let slice: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let mut reply = Reply::json(200, &Value::Array(slice));
        let kept: Vec<String> = call
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let link = |n: usize, rel: &str| {
            let mut q = kept.clone();
            q.push(format!("page={n}"));
            format!(
                "<{}{}?{}>; rel=\"{rel}\"",
                self.api_url(),
                call_path(call),
                q.join("&")
            )
        };
        let mut links = Vec::new();
        if page > 1 {
            links.push(link((page - 1).min(last), "prev"));
        }
        if page < last {
            links.push(link(page + 1, "next"));
            links.push(link(last, "last"));
        }
        if page > 1 {
            links.push(link(1, "first"));
        }
        if !links.is_empty() {
            reply = reply.with_header("link", &links.join(", "));
        }
        reply
    }
}

fn call_path(call: &Call<'_>) -> String {
    call.raw
        .path
        .strip_prefix(API_PREFIX)
        .unwrap_or(&call.raw.path)
        .to_string()
}

/// An id the client named does not exist: in a test the fake holds all the state, so the
/// client used a wrong id.
pub(super) fn not_found(ctx: &mut Ctx, call: &Call<'_>, what: &str) -> Reply {
    ctx.violation(what.to_string());
    Reply::error(404, "Not Found", &call.op.docs_url)
}
