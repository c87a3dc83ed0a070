//! The answers the fake gives: [`Reply`] with GitHub's JSON and error shapes, [`Outcome`]
//! (answer or drop the connection), and the replies of scripted faults (proxy errors, rate
//! limits, cut bodies).

use serde_json::{json, Value};

use super::http::reason;
use super::util::unix_now;
use super::FaultReply;

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Reply {
    pub(super) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: serde_json::to_vec(body).expect("serialise JSON"),
        }
    }

    pub(super) fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// GitHub's error shape (`basic-error`).
    pub(super) fn error(status: u16, message: &str, docs_url: &str) -> Reply {
        Reply::json(
            status,
            &json!({"message": message, "documentation_url": docs_url, "status": status.to_string()}),
        )
    }

    /// A 422 carrying the reasons in `errors`, like GitHub's semantic rejections.
    pub(super) fn unprocessable(errors: &[String], docs_url: &str) -> Reply {
        Reply::json(
            422,
            &json!({"message": "Unprocessable Entity", "errors": errors,
                    "documentation_url": docs_url, "status": "422"}),
        )
    }

    pub(super) fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub(super) fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub(super) fn is_json(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("application/json"))
    }
}

pub(super) enum Outcome {
    Reply(Reply),
    Drop,
}

pub(super) fn fault_reply(fault: &FaultReply) -> Reply {
    match *fault {
        FaultReply::Status(status @ (502 | 504)) => Reply::text(
            status,
            "text/html; charset=utf-8",
            &format!(
                "<html><body><h1>{status} {}</h1>Server got itself in trouble</body></html>\n",
                reason(status)
            ),
        ),
        FaultReply::Status(status) => {
            let message = match status {
                500 => "Server Error",
                _ => reason(status),
            };
            Reply::error(status, message, "https://docs.github.com/rest")
        }
        FaultReply::RateLimited {
            status,
            retry_after_secs,
            reset_in_secs,
        } => {
            let mut reply;
            match retry_after_secs {
                Some(after) => {
                    reply = Reply::error(
                        status,
                        "You have exceeded a secondary rate limit. Please wait a few minutes before \
                         you try again. If you reach out to GitHub Support for help, please include \
                         the request ID FAKE:0000.",
                        "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                    )
                    .with_header("retry-after", &after.to_string());
                }
                None => {
                    reply = Reply::error(
                        status,
                        "API rate limit exceeded for installation ID 1. If you reach out to GitHub \
                         Support for help, please include the request ID FAKE:0000.",
                        "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits",
                    );
                }
            }
            if retry_after_secs.is_none() || reset_in_secs.is_some() {
                let reset = unix_now() + reset_in_secs.unwrap_or(60);
                reply = reply
                    .with_header("x-ratelimit-limit", "5000")
                    .with_header("x-ratelimit-remaining", "0")
                    .with_header("x-ratelimit-used", "5000")
                    .with_header("x-ratelimit-reset", &reset.to_string())
                    .with_header("x-ratelimit-resource", "core");
            }
            reply
        }
        FaultReply::TruncatedJson => {
            let whole = r#"{"id":4000001,"node_id":"CR_kwDOFake","url":"http://127.0.0.1/api/v3/x","status":"completed","conclusion":"success"}"#;
            Reply::text(
                200,
                "application/json; charset=utf-8",
                &whole[..whole.len() / 2],
            )
        }
        FaultReply::Drop | FaultReply::Delay(_) => unreachable!("handled before replying"),
    }
}
