//! One request from record to answer: record it, run the contract checks, let a scripted
//! fault win, dispatch to the operation, check the fake's own answer against the response
//! schema, and stamp GitHub's standard headers.

use std::collections::HashMap;
use std::thread;

use serde_json::Value;

use super::http::RawRequest;
use super::openapi::{describe_error, Operation};
use super::reply::{fault_reply, Outcome, Reply};
use super::state::Shared;
use super::util::unix_now;
use super::{FaultReply, Recorded, API_PREFIX, CODELOAD_PREFIX};

/// Violations of one request, committed to the state when it is answered.
pub(super) struct Ctx {
    label: String,
    violations: Vec<String>,
    /// The first rejection decided; later checks still record their violations.
    rejection: Option<Reply>,
    /// The parameter and body schema errors the slices found, described: the published
    /// description's check records only the others.
    pub(super) schema_errors: Vec<String>,
}

impl Ctx {
    pub(super) fn violation(&mut self, message: impl Into<String>) {
        self.violations
            .push(format!("{}: {}", self.label, message.into()));
    }

    pub(super) fn reject(&mut self, reply: Reply) {
        self.rejection.get_or_insert(reply);
    }
}

/// The operation a request matched, its path parameters (decoded) and its query.
pub(super) type Matched = (
    &'static Operation,
    HashMap<String, String>,
    Vec<(String, String)>,
);

/// What a handler gets for one matched request.
pub(super) struct Call<'a> {
    pub(super) op: &'a Operation,
    pub(super) params: &'a HashMap<String, String>,
    pub(super) query: &'a [(String, String)],
    pub(super) raw: &'a RawRequest,
    pub(super) body: &'a Value,
}

impl Call<'_> {
    pub(super) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn id(&self, name: &str) -> u64 {
        self.params
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Shared {
    /// Record the request, answer it, record the status and the violations.
    pub(super) fn handle(&self, raw: &RawRequest) -> Outcome {
        let stripped = raw
            .path
            .strip_prefix(API_PREFIX)
            .filter(|p| p.starts_with('/'));
        if stripped.is_none() && raw.path.starts_with(&format!("{CODELOAD_PREFIX}/")) {
            return self.codeload(raw, &raw.path);
        }
        let path = stripped.unwrap_or(&raw.path).to_string();
        let mut ctx = Ctx {
            label: format!("{} {}", raw.method, path),
            violations: Vec::new(),
            rejection: None,
            schema_errors: Vec::new(),
        };
        if stripped.is_none() {
            ctx.violation(format!(
                "request path lacks the {API_PREFIX} prefix of GITHUB_API_URL (the client \
                 dropped the base path)"
            ));
            ctx.reject(Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest",
            ));
        }
        let body = if raw.body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&raw.body) {
                Ok(v) => v,
                Err(e) => {
                    ctx.violation(format!("request body is not JSON: {e}"));
                    ctx.reject(Reply::error(
                        400,
                        "Problems parsing JSON",
                        "https://docs.github.com/rest",
                    ));
                    Value::String(String::from_utf8_lossy(&raw.body).into_owned())
                }
            }
        };
        let index = {
            let mut st = self.lock();
            st.requests.push(Recorded {
                method: raw.method.clone(),
                path: path.clone(),
                query: raw.query.clone(),
                headers: raw.headers.clone(),
                body: body.clone(),
                status: 0,
            });
            st.requests.len() - 1
        };
        let outcome = self.respond(raw, &path, &body, &mut ctx);
        let mut st = self.lock();
        st.requests[index].status = match &outcome {
            Outcome::Reply(r) => r.status,
            Outcome::Drop => 0,
        };
        st.violations.append(&mut ctx.violations);
        outcome
    }

    fn respond(&self, raw: &RawRequest, path: &str, body: &Value, ctx: &mut Ctx) -> Outcome {
        let checked = self.check(raw, path, body, ctx);
        // Faults stand for the infrastructure in front of GitHub: they win over everything.
        let fault = self.lock().take_fault(&raw.method, path);
        match fault {
            None => {}
            Some(FaultReply::Delay(d)) => thread::sleep(d),
            Some(FaultReply::Drop) => return Outcome::Drop,
            Some(other) => return Outcome::Reply(self.stamp(fault_reply(&other))),
        }
        if let Some(reply) = ctx.rejection.take() {
            return Outcome::Reply(self.stamp(reply));
        }
        let Some((op, params, query)) = checked else {
            unreachable!("a request that matched no operation was rejected")
        };
        let call = Call {
            op,
            params: &params,
            query: &query,
            raw,
            body,
        };
        let reply = {
            let mut st = self.lock();
            self.dispatch(&mut st, ctx, &call)
        };
        // The fake checks itself: an answer the contract does not allow is a bug here.
        if (200..300).contains(&reply.status) && reply.is_json() {
            if let Some(validator) = op.response_validator(reply.status) {
                let answered: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
                for e in validator.iter_errors(&answered).take(5) {
                    let e = describe_error(&e, "response");
                    ctx.violation(format!("fake bug: answer breaks the response schema: {e}"));
                }
            }
        }
        Outcome::Reply(self.stamp(reply))
    }

    /// Standard headers on every answer.
    fn stamp(&self, reply: Reply) -> Reply {
        let used = self.lock().requests.len() as u64;
        let reset = unix_now() + 3600;
        let mut headers = vec![
            (
                "x-github-api-version-selected".to_string(),
                "2022-11-28".to_string(),
            ),
            (
                "x-github-media-type".into(),
                "github.v3; format=json".into(),
            ),
            ("x-github-request-id".into(), format!("FAKE:{used:08X}")),
        ];
        if !reply
            .headers
            .iter()
            .any(|(k, _)| k.starts_with("x-ratelimit-"))
        {
            headers.extend([
                ("x-ratelimit-limit".to_string(), "5000".to_string()),
                (
                    "x-ratelimit-remaining".into(),
                    5000u64.saturating_sub(used).to_string(),
                ),
                ("x-ratelimit-reset".into(), reset.to_string()),
                ("x-ratelimit-used".into(), used.to_string()),
                ("x-ratelimit-resource".into(), "core".into()),
            ]);
        }
        headers.extend(reply.headers);
        Reply { headers, ..reply }
    }
}
