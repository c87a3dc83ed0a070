//! The checks every request gets before any state is touched: credentials and User-Agent,
//! route and method, the repository and pull request under test, path and query parameters,
//! and the request body against its schema and GitHub's further rules — against the slices
//! in the contracts folder here, then against GitHub's published description (`published`).

use std::collections::HashMap;

use serde_json::Value;

use super::handle::{Ctx, Matched};
use super::http::RawRequest;
use super::openapi::{contract, describe_error, Operation};
use super::reply::Reply;
use super::rules::{body_rules, restated_by_body_rules};
use super::state::Shared;
use super::util::parse_query;

/// Headers HTTP defines (or GitHub reads) as one value: sent twice, they are refused.
const SINGLE_VALUE_HEADERS: [&str; 6] = [
    "authorization",
    "user-agent",
    "x-github-api-version",
    "content-type",
    "content-length",
    "host",
];

/// The REST API version the contract slices describe (and the only one the fake serves).
const API_VERSIONS: [&str; 1] = ["2022-11-28"];

impl Shared {
    /// The checks that need no state: route, credentials, parameters, body. Violations go to
    /// `ctx` and the first failing check decides the rejection, in GitHub's order
    /// (authentication, route, permission, validation).
    pub(super) fn check(
        &self,
        raw: &RawRequest,
        path: &str,
        body: &Value,
        ctx: &mut Ctx,
    ) -> Option<Matched> {
        let matched = self.check_slices(raw, path, body, ctx);
        self.check_published(raw, path, body, matched.is_some(), ctx);
        matched
    }

    fn check_slices(
        &self,
        raw: &RawRequest,
        path: &str,
        body: &Value,
        ctx: &mut Ctx,
    ) -> Option<Matched> {
        self.check_headers(raw, ctx);
        self.check_credentials(raw, ctx);

        let routes = contract().route(path);
        if routes.is_empty() {
            ctx.violation("no such route in the contract");
            ctx.reject(Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest",
            ));
            return None;
        }
        let Some((op, params)) = routes.iter().find(|(op, _)| op.method == raw.method) else {
            let template = &routes[0].0.template;
            let allowed: Vec<&str> = routes
                .iter()
                .filter(|(op, _)| op.template == *template)
                .map(|(op, _)| op.method.as_str())
                .collect();
            let mut message = format!(
                "{} is not an operation on {template} (the contract has {})",
                raw.method,
                allowed.join(", ")
            );
            if raw.method == "POST" && template.ends_with("/issues/comments/{comment_id}") {
                message.push_str(
                    "; octocrab's issues().update_comment() sends POST: send PATCH through the \
                     generic client",
                );
            }
            ctx.violation(message);
            ctx.reject(Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest",
            ));
            return None;
        };
        let query = parse_query(&raw.query);
        let by_name: HashMap<String, String> = params.iter().cloned().collect();
        self.check_target(&op.id, &by_name, ctx);
        self.check_params(op, params, &query, &raw.headers, ctx);
        if self.setup.deny_writes && raw.method != "GET" {
            ctx.reject(
                Reply::error(403, "Resource not accessible by integration", &op.docs_url)
                    .with_header("x-accepted-github-permissions", op.write_permission()),
            );
        }
        if let Some(required) = op.body {
            if required || !body.is_null() {
                let errors: Vec<String> = op
                    .body_validator()
                    .iter_errors(body)
                    .filter(|e| !restated_by_body_rules(&op.id, e))
                    .map(|e| describe_error(&e, "body"))
                    .collect();
                if !errors.is_empty() {
                    for e in &errors {
                        ctx.violation(format!("request body breaks the schema: {e}"));
                        ctx.schema_errors.push(e.clone());
                    }
                    let message = format!("Invalid request.\n\n{}", errors.join("\n"));
                    ctx.reject(Reply::error(422, &message, &op.docs_url));
                }
            }
        }
        let problems = body_rules(&op.id, body);
        if !problems.is_empty() {
            for p in &problems {
                ctx.violation(p.clone());
            }
            ctx.reject(Reply::unprocessable(&problems, &op.docs_url));
        }
        Some((op, by_name, query))
    }

    /// A header that takes one value must come once: a second `User-Agent` or
    /// `X-GitHub-Api-Version` reaches GitHub as one comma-joined value, which is no version
    /// GitHub knows (400 "Invalid API version") and no agent it can name.
    fn check_headers(&self, raw: &RawRequest, ctx: &mut Ctx) {
        for name in SINGLE_VALUE_HEADERS {
            let values: Vec<&str> = raw
                .headers
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect();
            if values.len() > 1 {
                ctx.violation(format!(
                    "header `{name}` sent {} times ({})",
                    values.len(),
                    values.join(" | ")
                ));
                ctx.reject(Reply::error(
                    400,
                    &format!("Duplicate header: {name}"),
                    "https://docs.github.com/rest",
                ));
            }
        }
        if let Some(v) = raw.header("x-github-api-version") {
            if !API_VERSIONS.contains(&v) {
                ctx.violation(format!(
                    "X-GitHub-Api-Version `{v}` is no version GitHub has"
                ));
                ctx.reject(Reply::error(
                    400,
                    &format!("Invalid API version: {v}"),
                    "https://docs.github.com/rest/about-the-rest-api/api-versions",
                ));
            }
        }
    }

    fn check_credentials(&self, raw: &RawRequest, ctx: &mut Ctx) {
        let auth = raw.header("authorization").unwrap_or("");
        let (scheme, token) = auth.split_once(' ').unwrap_or((auth, ""));
        let token = token.trim();
        if auth.is_empty() {
            ctx.violation("no Authorization header");
            ctx.reject(Reply::error(
                401,
                "Requires authentication",
                "https://docs.github.com/rest",
            ));
        } else if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
            || token.is_empty()
        {
            ctx.violation(format!(
                "Authorization must be `Bearer <token>` or `token <token>` (scheme was `{scheme}`)"
            ));
            ctx.reject(Reply::error(
                401,
                "Bad credentials",
                "https://docs.github.com/rest",
            ));
        } else if self.setup.token.as_deref().is_some_and(|t| t != token) {
            ctx.violation("Authorization carries a token other than the one given to the client");
            ctx.reject(Reply::error(
                401,
                "Bad credentials",
                "https://docs.github.com/rest",
            ));
        }
        if raw.header("user-agent").is_none_or(str::is_empty) {
            ctx.violation("no User-Agent header (GitHub rejects such requests)");
            ctx.reject(Reply::error(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a \
                 User-Agent header",
                "https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent",
            ));
        }
    }

    /// The repository and pull request must be the ones under test (or the org and one of
    /// its repositories); an issue to update is looked up by its handler.
    fn check_target(&self, op: &str, params: &HashMap<String, String>, ctx: &mut Ctx) {
        let setup = &self.setup;
        let mut wrong = |what: String| {
            ctx.violation(what);
            ctx.reject(Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest",
            ));
        };
        if let Some(org) = params.get("org") {
            let known = setup.org.as_ref().map(|o| o.name.as_str());
            if !known.is_some_and(|k| k.eq_ignore_ascii_case(org)) {
                wrong(format!("org `{org}` is not the org under test ({known:?})"));
            }
        }
        if let (Some(owner), Some(repo)) = (params.get("owner"), params.get("repo")) {
            if self.org_repo(owner, repo).is_some() {
                return;
            }
        }
        if let Some(owner) = params.get("owner") {
            if !owner.eq_ignore_ascii_case(&setup.owner) {
                wrong(format!(
                    "owner `{owner}` is not the repository under test ({})",
                    setup.owner
                ));
            }
        }
        if let Some(repo) = params.get("repo") {
            if !repo.eq_ignore_ascii_case(&setup.repo) {
                wrong(format!(
                    "repo `{repo}` is not the repository under test ({})",
                    setup.repo
                ));
            }
        }
        for key in ["pull_number", "issue_number"] {
            if op == "issues/update" && key == "issue_number" {
                continue;
            }
            if let Some(n) = params.get(key) {
                if n.parse::<u64>().ok() != Some(setup.pull_number) {
                    wrong(format!(
                        "{key} `{n}` is not the pull request under test ({})",
                        setup.pull_number
                    ));
                }
            }
        }
    }

    fn check_params(
        &self,
        op: &Operation,
        params: &[(String, String)],
        query: &[(String, String)],
        headers: &[(String, String)],
        ctx: &mut Ctx,
    ) {
        for e in op.param_errors(params, query, headers) {
            ctx.violation(format!("parameter breaks the schema: {}", e.text));
            ctx.reject(if e.in_path {
                Reply::error(404, "Not Found", &op.docs_url)
            } else {
                Reply::error(
                    422,
                    &format!("Invalid request.\n\n{}", e.text),
                    &op.docs_url,
                )
            });
            ctx.schema_errors.push(e.text);
        }
    }
}
