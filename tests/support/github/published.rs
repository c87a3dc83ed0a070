//! Every request against GitHub's published description too (npm `@octokit/openapi`, the
//! operations packetgate uses as `scripts/openapi-extract.py` vendors them): the operation
//! must exist there, and its path, query and header parameters, the body's media type and
//! the JSON body must match it as published. The slices in the contracts folder stay the
//! first check; a breach both see is recorded once, under the slices' wording.

use serde_json::Value;

use super::handle::Ctx;
use super::http::RawRequest;
use super::openapi::{contract, describe_error, published, Operation, ParamError};
use super::reply::Reply;
use super::rules::restated_by_body_rules;
use super::state::Shared;
use super::util::parse_query;
use super::{FakeGitHub, Recorded};

/// One way a request breaks the published description.
pub(super) enum Breach {
    NoOperation,
    Param(ParamError),
    /// The body came as a media type the operation does not take (or with none).
    MediaType(String),
    Body(String),
}

/// The published operation for the request, if any, and what the request breaks.
/// `for_fake`: leave out the body errors the fake's own rules state plainly (see
/// [`restated_by_body_rules`]).
pub(super) fn breaches(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &Value,
    for_fake: bool,
) -> (Option<&'static Operation>, Vec<Breach>) {
    let Some((op, path_params)) = published().operation(method, path) else {
        return (None, vec![Breach::NoOperation]);
    };
    let mut found: Vec<Breach> = op
        .param_errors(&path_params, query, headers)
        .into_iter()
        .map(Breach::Param)
        .collect();
    if !body.is_null() && !op.body_media_types.is_empty() {
        let sent = headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let taken = sent
            .as_deref()
            .is_some_and(|s| op.body_media_types.iter().any(|m| m == s || m == "*/*"));
        if !taken {
            found.push(Breach::MediaType(sent.unwrap_or_default()));
        }
    }
    if let Some(required) = op.body {
        if required || !body.is_null() {
            found.extend(
                op.body_validator()
                    .iter_errors(body)
                    .filter(|e| !(for_fake && restated_by_body_rules(&op.id, e)))
                    .map(|e| Breach::Body(describe_error(&e, "body"))),
            );
        }
    }
    (Some(op), found)
}

impl Breach {
    fn describe(&self, op: Option<&Operation>, method: &str) -> String {
        let name = &published().name;
        match self {
            Breach::NoOperation => format!(
                "no operation of {name} (GitHub's published description, as vendored in \
                 tests/fixtures/openapi) is {method} on this path"
            ),
            Breach::Param(e) => format!("parameter breaks {name}: {}", e.text),
            Breach::MediaType(sent) => format!(
                "request body sent as `{sent}`, but {name} takes {}",
                op.map(|op| op.body_media_types.join(", "))
                    .unwrap_or_default()
            ),
            Breach::Body(e) => format!("request body breaks {name}: {e}"),
        }
    }

    /// The text the slices would record for the same error, if they check that kind.
    fn slice_text(&self) -> Option<&str> {
        match self {
            Breach::Param(e) => Some(&e.text),
            Breach::Body(e) => Some(e),
            Breach::NoOperation | Breach::MediaType(_) => None,
        }
    }
}

impl Shared {
    /// The published description's verdict on a request the slices have checked;
    /// `routed`: whether the slices had an operation for it (when not, the request is
    /// refused already and there is nothing more to say).
    pub(super) fn check_published(
        &self,
        raw: &RawRequest,
        path: &str,
        body: &Value,
        routed: bool,
        ctx: &mut Ctx,
    ) {
        if !routed {
            return;
        }
        let query = parse_query(&raw.query);
        let (op, found) = breaches(&raw.method, path, &query, &raw.headers, body, true);
        let docs_url = op.map_or("https://docs.github.com/rest", |op| op.docs_url.as_str());
        for breach in found {
            if breach
                .slice_text()
                .is_some_and(|t| ctx.schema_errors.iter().any(|s| s == t))
            {
                continue;
            }
            ctx.violation(breach.describe(op, &raw.method));
            ctx.reject(match &breach {
                Breach::NoOperation => Reply::error(404, "Not Found", docs_url),
                Breach::Param(e) if e.in_path => Reply::error(404, "Not Found", docs_url),
                Breach::MediaType(_) => Reply::error(415, "Unsupported Media Type", docs_url),
                Breach::Param(ParamError { text: e, .. }) | Breach::Body(e) => {
                    Reply::error(422, &format!("Invalid request.\n\n{e}"), docs_url)
                }
            });
        }
    }
}

/// What a recorded request breaks in GitHub's published description (`@octokit/openapi`),
/// checked on its own, without the slices: empty when it is a request GitHub documents.
pub fn published_breaches(r: &Recorded) -> Vec<String> {
    let query = parse_query(&r.query);
    let (op, found) = breaches(&r.method, &r.path, &query, &r.headers, &r.body, false);
    found.iter().map(|b| b.describe(op, &r.method)).collect()
}

/// The name violations give the published description: `@octokit/openapi 23.0.2`.
pub fn published_name() -> &'static str {
    &published().name
}

/// The slices' operations (`METHOD template`) the published description lacks: none, or
/// the fake serves what GitHub does not document.
pub fn slice_operations_not_published() -> Vec<String> {
    let have = published().operation_names();
    contract()
        .operation_names()
        .into_iter()
        .filter(|op| !have.contains(op))
        .collect()
}

impl FakeGitHub {
    /// Panics unless every request so far is one GitHub's published description allows,
    /// checked on its own (beside the violations the fake records as it answers).
    pub fn assert_all_published(&self) {
        let requests = self.requests();
        assert!(!requests.is_empty(), "no request to check");
        // Downloads from the codeload-style URL are not API requests.
        let broken: Vec<String> = requests
            .iter()
            .filter(|r| !r.path.starts_with(super::CODELOAD_PREFIX))
            .flat_map(|r| {
                published_breaches(r)
                    .into_iter()
                    .map(move |b| format!("{} {}?{}: {b}", r.method, r.path, r.query))
            })
            .collect();
        assert!(
            broken.is_empty(),
            "requests GitHub's published description refuses:\n  {}",
            broken.join("\n  ")
        );
    }
}
