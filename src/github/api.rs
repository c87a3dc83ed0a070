//! The GitHub REST client: octocrab's HTTP stack (rustls + ring, one crypto backend) with
//! the request policy packetgate needs on top — bounded retries with backoff on 5xx,
//! dropped connections and rate limits (honouring `Retry-After` and `x-ratelimit-reset`),
//! typed errors callers branch on (a refused write falls back; anything else is reported),
//! and a count of the calls made. The token goes only into the `Authorization` header and
//! into no message.
//!
//! Downloads (repository archives, see [`Api::download`]) stream a raw body to a file under a
//! size cap and follow GitHub's redirect to the download host without the token.
//!
//! Requests go through octocrab's generic `execute` with routes relative to the base URL,
//! so `GITHUB_API_URL` with a path (`https://HOST/api/v3` on GitHub Enterprise Server) keeps
//! its path, and the verbs are the ones GitHub documents (its `update_comment` sends POST).

use http::{HeaderMap, Method};
use octocrab::Octocrab;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thiserror::Error;

mod download;

#[derive(Debug, Error)]
pub enum ApiError {
    /// A write the token may not make: fork pull requests, read-only tokens.
    #[error("GitHub refused {what} (403 {message}){}", permissions.as_deref().map(|p| format!("; it needs {p}")).unwrap_or_default())]
    Forbidden {
        what: String,
        message: String,
        /// `x-accepted-github-permissions`: the permissions the call wanted.
        permissions: Option<String>,
    },
    #[error("{what}: {status} {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    #[error("{what}: rate limited by GitHub (the limit resets in {wait_secs} s); try again later")]
    RateLimited { what: String, wait_secs: u64 },
    #[error("{what}: {message}")]
    Transport { what: String, message: String },
    #[error("{what}: the answer is not the JSON GitHub sends ({message})")]
    Invalid { what: String, message: String },
    #[error("cannot set up the GitHub client: {0}")]
    Setup(String),
    /// A download past its size cap: stopped, not retried.
    #[error("{what}: the answer is larger than {limit} bytes, the most packetgate reads")]
    TooLarge { what: String, limit: u64 },
}

impl ApiError {
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ApiError::Forbidden { .. })
    }
}

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self, what: &str) -> Result<Value, ApiError> {
        serde_json::from_str(&self.body).map_err(|e| ApiError::Invalid {
            what: what.to_string(),
            message: e.to_string(),
        })
    }

    /// The `rel="next"` URL of a paginated answer.
    pub fn next_page(&self) -> Option<String> {
        let link = self.headers.get("link")?.to_str().ok()?;
        link.split(',').find_map(|part| {
            let (url, rel) = part.split_once(';')?;
            rel.contains("rel=\"next\"").then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
        })
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubled each retry.
    pub backoff: Duration,
    /// The longest single wait a rate limit may ask for before the call gives up.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

#[derive(Debug)]
pub struct Api {
    client: Octocrab,
    runtime: tokio::runtime::Runtime,
    /// `/repos/OWNER/REPO`.
    repo_path: String,
    /// The base URL's path (`/api/v3` on GHES), stripped from pagination links.
    base_path: String,
    retry: RetryPolicy,
    calls: Cell<u32>,
    /// The base URL as given, without a trailing `/` (redirects resolve against it).
    base_url: String,
    /// Whether a download may be redirected to plain `http`: only when the API itself is
    /// (a loopback test server, a plain-HTTP GitHub Enterprise Server).
    plain_http_ok: bool,
    /// The credential-free client of the last download host, with its origin.
    downloader: RefCell<Option<(String, Octocrab)>>,
}

const API_VERSION: &str = "2022-11-28";
const JSON: &str = "application/vnd.github+json";

impl Api {
    pub fn new(api_url: &str, token: &str, owner: &str, repo: &str) -> Result<Api, ApiError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        let uri: http::Uri = api_url
            .parse()
            .map_err(|e| ApiError::Setup(format!("GITHUB_API_URL `{api_url}`: {e}")))?;
        let base_path = uri.path().trim_end_matches('/').to_string();
        let plain_http_ok = uri.scheme_str() == Some("http");
        let client = {
            let _guard = runtime.enter();
            Octocrab::builder()
                .base_uri(uri)
                .map_err(|e| ApiError::Setup(e.to_string()))?
                .personal_token(token.to_string())
                .set_connect_timeout(Some(Duration::from_secs(10)))
                .set_read_timeout(Some(Duration::from_secs(30)))
                .set_write_timeout(Some(Duration::from_secs(30)))
                .build()
                .map_err(|e| {
                    let mut why = describe(&e);
                    if why.contains("root CA certificates") {
                        why.push_str("; point SSL_CERT_FILE at a CA bundle");
                    }
                    ApiError::Setup(why)
                })?
        };
        Ok(Api {
            client,
            runtime,
            repo_path: format!("/repos/{owner}/{repo}"),
            base_path,
            retry: RetryPolicy::default(),
            calls: Cell::new(0),
            base_url: api_url.trim_end_matches('/').to_string(),
            plain_http_ok,
            downloader: RefCell::new(None),
        })
    }

    /// Requests made so far (retries included).
    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    /// `/repos/OWNER/REPO` + `rest`.
    pub fn repo(&self, rest: &str) -> String {
        format!("{}{rest}", self.repo_path)
    }

    /// A pagination link as a route relative to the base URL.
    pub fn route_of(&self, url: &str) -> String {
        let path = match url.find("://") {
            Some(i) => {
                let after = &url[i + 3..];
                after.find('/').map(|j| &after[j..]).unwrap_or("/")
            }
            None => url,
        };
        path.strip_prefix(self.base_path.as_str())
            .filter(|_| !self.base_path.is_empty())
            .unwrap_or(path)
            .to_string()
    }

    pub fn get(&self, what: &str, route: &str, accept: Option<&str>) -> Result<Reply, ApiError> {
        self.send(what, Method::GET, route, None, accept)
    }

    pub fn post(&self, what: &str, route: &str, body: &Value) -> Result<Reply, ApiError> {
        self.send(what, Method::POST, route, Some(body), None)
    }

    /// A POST that is not repeated after a 5xx or a dropped connection, which may have
    /// created the thing anyway: the caller looks before trying again (rate limits, which
    /// GitHub answers before doing anything, are still waited out).
    pub fn post_once(&self, what: &str, route: &str, body: &Value) -> Result<Reply, ApiError> {
        self.request(what, Method::POST, route, Some(body), None, false)
    }

    pub fn patch(&self, what: &str, route: &str, body: &Value) -> Result<Reply, ApiError> {
        self.send(what, Method::PATCH, route, Some(body), None)
    }

    pub fn put(&self, what: &str, route: &str, body: &Value) -> Result<Reply, ApiError> {
        self.send(what, Method::PUT, route, Some(body), None)
    }

    /// Sends one request, retrying what is worth retrying. Any 2xx is `Ok`; so is a 404 to a
    /// GET (callers ask "is it there?"); a 404 to a write is an error like any other status.
    pub fn send(
        &self,
        what: &str,
        method: Method,
        route: &str,
        body: Option<&Value>,
        accept: Option<&str>,
    ) -> Result<Reply, ApiError> {
        self.request(what, method, route, body, accept, true)
    }

    fn request(
        &self,
        what: &str,
        method: Method,
        route: &str,
        body: Option<&Value>,
        accept: Option<&str>,
        retry_failures: bool,
    ) -> Result<Reply, ApiError> {
        let read = method == Method::GET;
        self.retrying(what, retry_failures, || {
            let r = self
                .once(method.clone(), route, body, accept.unwrap_or(JSON))
                .map_err(Failure::Transport)?;
            Ok(
                if (200..300).contains(&r.status) || (read && r.status == 404) {
                    Attempt::Done(r)
                } else {
                    Attempt::Refused(r)
                },
            )
        })
    }

    /// The retry policy around any exchange: each attempt is counted, rate limits are waited
    /// out (or reported when the wait is too long), 5xx and dropped connections are tried
    /// again with backoff when `retry_failures`, anything else is an error.
    fn retrying<T>(
        &self,
        what: &str,
        retry_failures: bool,
        mut attempt_once: impl FnMut() -> Result<Attempt<T>, Failure>,
    ) -> Result<T, ApiError> {
        let mut attempt = 0;
        loop {
            self.calls.set(self.calls.get() + 1);
            let give_up = attempt >= self.retry.retries;
            let may_retry = !give_up && retry_failures;
            match attempt_once() {
                Ok(Attempt::Done(t)) => return Ok(t),
                Ok(Attempt::Refused(r)) => match retry_wait(&r, attempt, &self.retry, now_secs()) {
                    Some(Wait::TooLong(wait_secs)) => {
                        return Err(ApiError::RateLimited {
                            what: what.into(),
                            wait_secs,
                        })
                    }
                    Some(Wait::Backoff(d)) if !give_up && (retry_failures || r.status < 500) => {
                        std::thread::sleep(d)
                    }
                    // Still limited after every retry: not a refusal, whatever the status.
                    Some(Wait::Backoff(d)) if r.status < 500 => {
                        return Err(ApiError::RateLimited {
                            what: what.into(),
                            wait_secs: d.as_secs(),
                        })
                    }
                    _ => return Err(status_error(what, r)),
                },
                Err(Failure::TooLarge(limit)) => {
                    return Err(ApiError::TooLarge {
                        what: what.into(),
                        limit,
                    })
                }
                Err(Failure::Transport(_)) if may_retry => {
                    std::thread::sleep(backoff(&self.retry, attempt))
                }
                Err(Failure::Transport(message)) => {
                    return Err(ApiError::Transport {
                        what: what.into(),
                        message,
                    })
                }
            }
            attempt += 1;
        }
    }

    fn once(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
        accept: &str,
    ) -> Result<Reply, String> {
        let request = self.prepared(&self.client, method, route, body, accept)?;
        self.runtime.block_on(async {
            let call = async {
                let response = self
                    .client
                    .execute(request)
                    .await
                    .map_err(|e| describe(&e))?;
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = self
                    .client
                    .body_to_string(response)
                    .await
                    .map_err(|e| describe(&e))?;
                Ok(Reply {
                    status,
                    headers,
                    body,
                })
            };
            match tokio::time::timeout(Duration::from_secs(60), call).await {
                Ok(r) => r,
                Err(_) => Err("no answer within 60 s".to_string()),
            }
        })
    }
}

impl Api {
    /// A request as `client` will send it, with one API version header.
    fn prepared(
        &self,
        client: &Octocrab,
        method: Method,
        route: &str,
        body: Option<&Value>,
        accept: &str,
    ) -> Result<http::Request<octocrab::OctoBody>, String> {
        let builder = http::Request::builder()
            .method(method)
            .uri(route)
            .header(http::header::ACCEPT, accept);
        let mut request = client
            .build_request(builder, body)
            .map_err(|e| e.to_string())?;
        // One value per header: `build_request` adds octocrab's own version header, and a
        // second one reaches GitHub as a comma-joined version it does not know. `insert`
        // replaces it, so the version is pinned here, not by octocrab's release. The
        // `User-Agent` is octocrab's alone: its client appends that header to every request
        // (after this point), so one of our own would make two.
        request.headers_mut().insert(
            "x-github-api-version",
            http::HeaderValue::from_static(API_VERSION),
        );
        Ok(request)
    }
}

/// An octocrab error with its causes, one line.
fn describe(e: &octocrab::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One attempt's result: an answer to keep, or one the retry policy judges.
enum Attempt<T> {
    Done(T),
    Refused(Reply),
}

/// An attempt that got no answer to judge.
enum Failure {
    /// A dropped connection, a timeout, a body that could not be read: worth retrying.
    Transport(String),
    /// The body passed this many bytes: retrying would read it again.
    TooLarge(u64),
}

#[derive(Debug, PartialEq, Eq)]
enum Wait {
    Backoff(Duration),
    /// The limit resets later than the cap allows waiting.
    TooLong(u64),
}

fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    policy.backoff * 2u32.saturating_pow(attempt.min(10))
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether (and how long) to wait before retrying an answer that is not a success.
fn retry_wait(r: &Reply, attempt: u32, policy: &RetryPolicy, now: u64) -> Option<Wait> {
    let exhausted = header(r, "x-ratelimit-remaining") == Some("0");
    let limited = r.status == 429
        || (r.status == 403
            && (exhausted
                || header(r, "retry-after").is_some()
                || r.body.to_ascii_lowercase().contains("rate limit")));
    if limited {
        let secs =
            if let Some(s) = header(r, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
                s
            } else if let Some(reset) = header(r, "x-ratelimit-reset")
                .and_then(|v| v.trim().parse::<u64>().ok())
                // Every answer carries the primary limit's reset; it is the wait only when
                // that limit is the one used up (a secondary limit says so in its body).
                .filter(|_| exhausted)
            {
                reset.saturating_sub(now) + 1
            } else {
                // A secondary limit with no hint: GitHub asks for at least a minute.
                return Some(Wait::Backoff(
                    backoff(policy, attempt)
                        .max(Duration::from_secs(60))
                        .min(policy.max_wait),
                ));
            };
        let d = Duration::from_secs(secs);
        return Some(if d > policy.max_wait {
            Wait::TooLong(secs)
        } else {
            Wait::Backoff(d.max(backoff(policy, attempt) / 4))
        });
    }
    match r.status {
        500..=599 | 408 => Some(Wait::Backoff(backoff(policy, attempt))),
        _ => None,
    }
}

fn status_error(what: &str, r: Reply) -> ApiError {
    let message = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| {
            r.body
                .chars()
                .take(200)
                .collect::<String>()
                .trim()
                .to_string()
        });
    if r.status == 403 {
        return ApiError::Forbidden {
            what: what.into(),
            message,
            permissions: header(&r, "x-accepted-github-permissions").map(str::to_string),
        };
    }
    ApiError::Status {
        what: what.into(),
        status: r.status,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&'static str, &str)], body: &str) -> Reply {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Reply {
            status,
            headers: map,
            body: body.into(),
        }
    }

    #[test]
    fn rate_limits_wait_for_the_reset_and_give_up_past_the_cap() {
        let p = RetryPolicy::default();
        let r = reply(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1010"),
            ],
            "",
        );
        assert_eq!(
            retry_wait(&r, 0, &p, 1000),
            Some(Wait::Backoff(Duration::from_secs(11)))
        );
        let r = reply(429, &[("retry-after", "3")], "");
        assert_eq!(
            retry_wait(&r, 0, &p, 0),
            Some(Wait::Backoff(Duration::from_secs(3)))
        );
        let r = reply(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "5000"),
            ],
            "",
        );
        assert_eq!(retry_wait(&r, 0, &p, 1000), Some(Wait::TooLong(4001)));
        // A secondary limit: the primary's reset is an hour away and not the wait.
        let r2 = reply(
            403,
            &[
                ("x-ratelimit-remaining", "4000"),
                ("x-ratelimit-reset", "4600"),
            ],
            "You have exceeded a secondary rate limit",
        );
        assert_eq!(
            retry_wait(&r2, 0, &p, 1000),
            Some(Wait::Backoff(Duration::from_secs(60)))
        );
        // A refused write is not a rate limit.
        let r = reply(
            403,
            &[],
            r#"{"message":"Resource not accessible by integration"}"#,
        );
        assert_eq!(retry_wait(&r, 0, &p, 0), None);
        assert!(status_error("x", r).is_forbidden());
        assert_eq!(
            retry_wait(&reply(502, &[], ""), 1, &p, 0),
            Some(Wait::Backoff(Duration::from_secs(1)))
        );
        assert_eq!(retry_wait(&reply(422, &[], ""), 0, &p, 0), None);
    }

    #[test]
    fn next_page_comes_from_the_link_header() {
        let r = reply(
            200,
            &[(
                "link",
                r#"<https://h/api/v3/repos/o/r/pulls/1/files?per_page=100&page=2>; rel="next", <https://h/api/v3/repos/o/r/pulls/1/files?per_page=100&page=3>; rel="last""#,
            )],
            "[]",
        );
        assert_eq!(
            r.next_page().as_deref(),
            Some("https://h/api/v3/repos/o/r/pulls/1/files?per_page=100&page=2")
        );
    }
}
