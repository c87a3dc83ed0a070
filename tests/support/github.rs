//! A stateful fake of the GitHub REST API for integration tests: std threads, HTTP/1.1, loopback.
//!
//! `packetgate github` talks to GitHub through octocrab; these tests point it at this server
//! instead (`GITHUB_API_URL=fake.api_url()`). The server keeps the state a real pull request
//! would have (changed files, issue comments, reviews, check runs), answers the way GitHub
//! does (status codes, `Link` pagination, rate-limit headers, the 403/422 messages the notes in
//! the contracts folder describe) and checks every request against the contract: the route and
//! method must exist in the two OpenAPI slices, path and query parameters and the JSON body must
//! match their schemas, and the limits GitHub enforces outside the schemas (annotation titles,
//! columns, body sizes, who may approve, which lines a review comment may target) are checked
//! too. Every breach is answered the way GitHub would answer it *and* recorded, so a test ends
//! with `fake.assert_no_violations()` and catches a client that only works against a lenient
//! server. The fake also checks its own JSON answers against the response schemas, so drift
//! between the fake and the contract shows up as a violation rather than as a passing test.
//!
//! Include it with `#[path = "support/github.rs"] mod github;` — it depends on nothing else in
//! `tests/support`.
//!
//! ```ignore
//! let fake = github::FakeGitHub::start(github::Setup {
//!     files: vec![github::PrFile::added("budget.packet.json", "@@ -0,0 +1,3 @@\n+{\n+}\n+")],
//!     ..Default::default()
//! });
//! // run `packetgate github …` with GITHUB_API_URL=fake.api_url() and GITHUB_TOKEN=anything
//! fake.assert_no_violations();
//! assert_eq!(fake.check_runs()[0].conclusion.as_deref(), Some("failure"));
//! ```
//!
//! Connections are kept alive until the client closes them (hyper pools them), every answer
//! carries `Content-Length` (except 204, where HTTP forbids a body), and request bodies may come
//! with `Content-Length` or `Transfer-Encoding: chunked`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The repository and pull request of the webhook payloads in the contracts folder.
pub const OWNER: &str = "Codertocat";
pub const REPO: &str = "Hello-World";
pub const PULL_NUMBER: u64 = 2;
/// `pull_request.head.sha` in every payload of the contracts folder.
pub const HEAD_SHA: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
/// The author GitHub shows for anything the workflow token writes.
pub const BOT_LOGIN: &str = "github-actions[bot]";
/// GHES-style base path: a client that drops it talks to the wrong URL on a real server.
const API_PREFIX: &str = "/api/v3";
/// GitHub rejects issue comment bodies longer than this (characters).
const MAX_COMMENT_CHARS: usize = 65_536;
/// "The maximum size is 64 KB" for annotation `message` and `raw_details` (bytes).
const MAX_ANNOTATION_BYTES: usize = 64 * 1024;
/// The contents API stops inlining base64 content above 1 MiB (`encoding: "none"`).
const MAX_INLINE_CONTENT: usize = 1024 * 1024;
/// `GET …/pulls/{n}/files` never lists more than this many files.
const MAX_PR_FILES: usize = 3000;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// The world the fake starts with. `Setup::default()` is the pull request of the payloads
/// (Codertocat/Hello-World#2 at [`HEAD_SHA`]) with no files, comments or reviews.
#[derive(Debug, Clone)]
pub struct Setup {
    pub owner: String,
    pub repo: String,
    pub pull_number: u64,
    /// The PR head commit. Check runs and reviews must name a commit the PR has had (this
    /// one or one given to [`FakeGitHub::set_head_sha`]), else 422 + violation.
    pub head_sha: String,
    /// What `GET …/pulls/{n}` answers (`number` and `head.sha` are overwritten from above).
    /// Default: `pull_request` of `pull_request.opened.payload.json`.
    pub pull_request: Value,
    /// `GET …/pulls/{n}/files`, in this order, paginated like GitHub (at most 3,000 listed);
    /// replaced by [`FakeGitHub::set_files`].
    pub files: Vec<PrFile>,
    /// `GET …/contents/{path}?ref=R`: `(ref, path, text)`. A request without `ref` matches
    /// the entries whose ref is `""` (the default branch).
    pub contents: Vec<(String, String, String)>,
    /// Issue comments already on the PR.
    pub comments: Vec<Comment>,
    /// Reviews already on the PR.
    pub reviews: Vec<Review>,
    /// A read-only token (fork PR on `pull_request`): every write gets GitHub's 403.
    pub deny_writes: bool,
    /// When set, any other token gets 401 "Bad credentials" and a violation.
    pub token: Option<String>,
    /// Scripted failures, consulted in order before normal handling.
    pub faults: Vec<Fault>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            owner: OWNER.into(),
            repo: REPO.into(),
            pull_number: PULL_NUMBER,
            head_sha: HEAD_SHA.into(),
            pull_request: payload("pull_request.opened.payload.json")["pull_request"].clone(),
            files: Vec::new(),
            contents: Vec::new(),
            comments: Vec::new(),
            reviews: Vec::new(),
            deny_writes: false,
            token: None,
            faults: Vec::new(),
        }
    }
}

/// One entry of the PR's changed files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrFile {
    pub filename: String,
    /// added | removed | modified | renamed | copied | changed | unchanged
    pub status: String,
    pub previous_filename: Option<String>,
    /// The unified-diff hunks (GitHub omits `patch` for binary and very large diffs: `None`).
    pub patch: Option<String>,
}

impl PrFile {
    pub fn new(filename: &str, status: &str, patch: Option<&str>) -> PrFile {
        PrFile {
            filename: filename.into(),
            status: status.into(),
            previous_filename: None,
            patch: patch.map(str::to_string),
        }
    }

    pub fn added(filename: &str, patch: &str) -> PrFile {
        PrFile::new(filename, "added", Some(patch))
    }

    pub fn modified(filename: &str, patch: &str) -> PrFile {
        PrFile::new(filename, "modified", Some(patch))
    }

    pub fn removed(filename: &str) -> PrFile {
        PrFile::new(filename, "removed", None)
    }

    pub fn renamed(from: &str, to: &str, patch: Option<&str>) -> PrFile {
        PrFile {
            previous_filename: Some(from.into()),
            ..PrFile::new(to, "renamed", patch)
        }
    }

    /// (additions, deletions) as GitHub counts them from the patch.
    fn line_counts(&self) -> (u64, u64) {
        let patch = self.patch.as_deref().unwrap_or("");
        let count = |c: char| patch.lines().filter(|l| l.starts_with(c)).count() as u64;
        (count('+'), count('-'))
    }
}

/// An issue comment on the PR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub login: String,
    /// "Bot" | "User"
    pub user_type: String,
}

impl Comment {
    /// A comment by `github-actions[bot]` (what the workflow token writes).
    pub fn by_bot(id: u64, body: &str) -> Comment {
        Comment {
            id,
            body: body.into(),
            login: BOT_LOGIN.into(),
            user_type: "Bot".into(),
        }
    }

    pub fn by_user(id: u64, login: &str, body: &str) -> Comment {
        Comment {
            id,
            body: body.into(),
            login: login.into(),
            user_type: "User".into(),
        }
    }
}

/// A pull request review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: u64,
    /// APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    pub state: String,
    pub body: String,
    pub login: String,
    pub user_type: String,
    pub commit_id: String,
    /// The inline `comments` entries of the create request, as sent.
    pub comments: Vec<Value>,
}

impl Review {
    pub fn by_bot(id: u64, state: &str, body: &str) -> Review {
        Review {
            id,
            state: state.into(),
            body: body.into(),
            login: BOT_LOGIN.into(),
            user_type: "Bot".into(),
            commit_id: HEAD_SHA.into(),
            comments: Vec::new(),
        }
    }

    pub fn by_user(id: u64, login: &str, state: &str, body: &str) -> Review {
        Review {
            login: login.into(),
            user_type: "User".into(),
            ..Review::by_bot(id, state, body)
        }
    }
}

/// The first `times` requests whose method and path (after `/api/v3`, without the query)
/// match get `reply` instead of normal handling. They are still recorded and still checked
/// against the contract.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `"POST"`, … or `"*"` for any method.
    pub method: String,
    /// e.g. `"/repos/Codertocat/Hello-World/check-runs"`.
    pub path_prefix: String,
    pub times: usize,
    pub reply: FaultReply,
}

impl Fault {
    pub fn new(method: &str, path_prefix: &str, times: usize, reply: FaultReply) -> Fault {
        Fault {
            method: method.into(),
            path_prefix: path_prefix.into(),
            times,
            reply,
        }
    }
}

#[derive(Debug, Clone)]
pub enum FaultReply {
    /// That status with a small body: HTML for 502/504 (what a proxy sends), JSON otherwise.
    Status(u16),
    /// GitHub's rate limiting (`status` 403 or 429). With `retry_after_secs`: the secondary
    /// limit (`retry-after` header, "You have exceeded a secondary rate limit…"). Otherwise the
    /// primary one ("API rate limit exceeded…"). `x-ratelimit-remaining: 0` and
    /// `x-ratelimit-reset: now + reset_in_secs` are sent for the primary limit always (reset
    /// default 60 s) and for the secondary one when `reset_in_secs` is given.
    RateLimited {
        status: u16,
        retry_after_secs: Option<u64>,
        reset_in_secs: Option<u64>,
    },
    /// 200 with a JSON body cut in half (the Content-Length matches what is sent).
    TruncatedJson,
    /// Read the request, then close the connection without answering.
    Drop,
    /// Wait, then handle the request normally (for client timeouts).
    Delay(Duration),
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Without the `/api/v3` prefix (as sent when the prefix was missing) and the query.
    pub path: String,
    /// The raw query string without `?` (`""` if none).
    pub query: String,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The JSON body; `Null` if there was none, a `String` if it was not JSON.
    pub body: Value,
    /// The status answered; 0 while in flight or when the connection was dropped.
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(&self.query)
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// A check run as it stands after all requests.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    /// queued | in_progress | completed
    pub status: String,
    pub conclusion: Option<String>,
    pub details_url: Option<String>,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    /// Every annotation sent, create and updates together (GitHub appends them).
    pub annotations: Vec<Annotation>,
    started_at: String,
    completed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub path: String,
    pub start_line: u64,
    pub end_line: u64,
    pub start_column: Option<u64>,
    pub end_column: Option<u64>,
    /// notice | warning | failure
    pub annotation_level: String,
    pub message: String,
    pub title: Option<String>,
    pub raw_details: Option<String>,
}

impl Annotation {
    /// From a request entry that already passed schema validation.
    fn from_json(v: &Value) -> Annotation {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let n = |k: &str| v[k].as_u64();
        Annotation {
            path: s("path").unwrap_or_default(),
            start_line: n("start_line").unwrap_or(0),
            end_line: n("end_line").unwrap_or(0),
            start_column: n("start_column"),
            end_column: n("end_column"),
            annotation_level: s("annotation_level").unwrap_or_default(),
            message: s("message").unwrap_or_default(),
            title: s("title"),
            raw_details: s("raw_details"),
        }
    }
}

/// The running fake. Dropping it stops accepting connections.
pub struct FakeGitHub {
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeGitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeGitHub")
            .field("api_url", &self.api_url())
            .finish_non_exhaustive()
    }
}

impl FakeGitHub {
    /// Start on 127.0.0.1 at a free port.
    pub fn start(setup: Setup) -> FakeGitHub {
        // Load and check the contract now, so a missing folder fails here and not in a thread.
        contract();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = State::new(&setup);
        let shared = Arc::new(Shared {
            addr,
            setup,
            state: Mutex::new(state),
            stop: AtomicBool::new(false),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::spawn(move || {
                while !shared.stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let shared = shared.clone();
                            thread::spawn(move || serve_connection(stream, &shared));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        FakeGitHub {
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT/api/v3` — the value for `GITHUB_API_URL`.
    pub fn api_url(&self) -> String {
        self.shared.api_url()
    }

    /// A new push to the PR: `GET …/pulls/{n}` reports `sha` as the head from now on, and
    /// check runs and reviews may name it (older heads stay valid, as on GitHub).
    pub fn set_head_sha(&self, sha: &str) {
        let mut st = self.lock();
        st.head_sha = sha.to_string();
        if !st.commits.iter().any(|c| c == sha) {
            st.commits.push(sha.to_string());
        }
    }

    /// A push that changes the diff: what `GET …/pulls/{n}/files` lists from now on.
    pub fn set_files(&self, files: Vec<PrFile>) {
        self.lock().files = files;
    }

    /// Every request, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// How many requests had this method (case-insensitive, `"*"` for any) and a path
    /// starting with `path_prefix` (after `/api/v3`).
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| method_matches(method, &r.method) && r.path.starts_with(path_prefix))
            .count()
    }

    pub fn check_runs(&self) -> Vec<CheckRun> {
        self.lock().check_runs.clone()
    }

    /// The issue comments now on the PR, oldest first.
    pub fn comments(&self) -> Vec<Comment> {
        self.lock().comments.clone()
    }

    pub fn reviews(&self) -> Vec<Review> {
        self.lock().reviews.clone()
    }

    /// Every contract violation seen, as `"METHOD /path: what was wrong"`.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Panics listing the violations and the requests, if there was any violation.
    pub fn assert_no_violations(&self) {
        let st = self.lock();
        if st.violations.is_empty() {
            return;
        }
        let requests: Vec<String> = st
            .requests
            .iter()
            .map(|r| format!("  {} {} ?{} -> {}", r.method, r.path, r.query, r.status))
            .collect();
        panic!(
            "the fake GitHub saw contract violations:\n  {}\nrequests:\n{}",
            st.violations.join("\n  "),
            requests.join("\n")
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic in a connection thread must not hide the state from the test.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

/// The contracts folder: `$PACKETGATE_CONTRACTS`, else `../shared/contracts/github` next to
/// the crate.
pub fn contracts_dir() -> PathBuf {
    const FALLBACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/contracts/github");
    let dir = match std::env::var_os("PACKETGATE_CONTRACTS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(FALLBACK),
    };
    if !dir.join("rest-subset.openapi.json").is_file() {
        panic!(
            "GitHub contract files not found in {}: set PACKETGATE_CONTRACTS to the folder \
             holding rest-subset.openapi.json (default when unset: {FALLBACK})",
            dir.display()
        );
    }
    dir
}

/// A webhook payload from the contracts folder, by file name
/// (`"pull_request.opened.payload.json"`).
pub fn payload(name: &str) -> Value {
    read_json(&contracts_dir().join(name))
}

// ---------------------------------------------------------------------------------------------
// The contract: operations, parameters and compiled validators
// ---------------------------------------------------------------------------------------------

struct Contract {
    ops: Vec<Operation>,
    /// `components.examples.*.value` of both files: templates for realistic answers.
    examples: Map<String, Value>,
}

struct Operation {
    method: String,
    template: String,
    segments: Vec<Segment>,
    /// e.g. `checks/create`.
    id: String,
    docs_url: String,
    /// The OpenAPI document it comes from, with OpenAPI-only keywords made JSON Schema.
    doc: Arc<Value>,
    params: Vec<Param>,
    /// `Some(required)` when the operation takes a JSON body.
    body: Option<bool>,
    params_validator: OnceLock<jsonschema::Validator>,
    body_validator: OnceLock<jsonschema::Validator>,
    /// Per status code: the JSON response schema, if the contract has one.
    response_validators: Mutex<HashMap<u16, Option<Arc<jsonschema::Validator>>>>,
}

enum Segment {
    Literal(String),
    /// `multi`: `x-multi-segment` (the contents path) takes the rest of the path.
    Param {
        name: String,
        multi: bool,
    },
}

struct Param {
    name: String,
    in_path: bool,
    required: bool,
    schema: Value,
}

fn contract() -> &'static Contract {
    // Parsed once per test binary: the files do not change while tests run.
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(Contract::load)
}

impl Contract {
    fn load() -> Contract {
        let dir = contracts_dir();
        let mut ops = Vec::new();
        let mut examples = Map::new();
        for file in ["rest-subset.openapi.json", "rest-extra.openapi.json"] {
            let mut doc = read_json(&dir.join(file));
            openapi_to_json_schema(&mut doc);
            if let Some(ex) = doc
                .pointer("/components/examples")
                .and_then(Value::as_object)
            {
                for (name, example) in ex {
                    examples
                        .entry(name.clone())
                        .or_insert_with(|| example["value"].clone());
                }
            }
            let doc = Arc::new(doc);
            let paths = doc["paths"].as_object().expect("OpenAPI `paths`");
            for (template, item) in paths {
                for (method, op) in item.as_object().into_iter().flatten() {
                    if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                        ops.push(Operation::new(&doc, template, method, op, item));
                    }
                }
            }
        }
        Contract { ops, examples }
    }

    fn example(&self, name: &str) -> Value {
        self.examples
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("contract example `{name}` missing"))
    }

    /// The operations whose path template matches `path`, most specific template first,
    /// with the decoded path parameters.
    fn route(&self, path: &str) -> Vec<(&Operation, Vec<(String, String)>)> {
        let mut found: Vec<_> = self
            .ops
            .iter()
            .filter_map(|op| op.match_path(path).map(|p| (op, p)))
            .collect();
        found.sort_by_key(|(op, _)| std::cmp::Reverse(op.literal_count()));
        found
    }
}

impl Operation {
    fn new(doc: &Arc<Value>, template: &str, method: &str, op: &Value, item: &Value) -> Operation {
        let resolve = |p: &Value| -> Value {
            match p["$ref"].as_str() {
                Some(r) => doc
                    .pointer(r.trim_start_matches('#'))
                    .cloned()
                    .unwrap_or_else(|| panic!("unresolved parameter {r}")),
                None => p.clone(),
            }
        };
        let declared = item["parameters"]
            .as_array()
            .into_iter()
            .chain(op["parameters"].as_array())
            .flatten();
        let mut multi = Vec::new();
        let params = declared
            .map(|p| {
                let p = resolve(p);
                let name = p["name"].as_str().unwrap_or_default().to_string();
                if p["x-multi-segment"] == json!(true) {
                    multi.push(name.clone());
                }
                let mut schema = p["schema"].clone();
                if name == "per_page" {
                    // Only the description says "max 100"; GitHub enforces it.
                    schema["minimum"] = json!(1);
                    schema["maximum"] = json!(100);
                }
                Param {
                    in_path: p["in"] == "path",
                    required: p["required"] == json!(true),
                    name,
                    schema,
                }
            })
            .collect();
        let segments = template
            .trim_start_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param {
                        name: name.into(),
                        multi: multi.iter().any(|m| m == name),
                    },
                    None => Segment::Literal(s.into()),
                },
            )
            .collect();
        let body = op["requestBody"]["content"]
            .get("application/json")
            .map(|_| op["requestBody"]["required"] == json!(true));
        Operation {
            method: method.to_ascii_uppercase(),
            template: template.into(),
            segments,
            id: op["operationId"].as_str().unwrap_or_default().into(),
            docs_url: op["externalDocs"]["url"]
                .as_str()
                .unwrap_or("https://docs.github.com/rest")
                .into(),
            doc: doc.clone(),
            params,
            body,
            params_validator: OnceLock::new(),
            body_validator: OnceLock::new(),
            response_validators: Mutex::new(HashMap::new()),
        }
    }

    fn literal_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    fn match_path(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut params = Vec::new();
        let mut i = 0;
        for segment in &self.segments {
            match segment {
                Segment::Literal(lit) => {
                    if parts.get(i) != Some(&lit.as_str()) {
                        return None;
                    }
                    i += 1;
                }
                Segment::Param { name, multi: true } => {
                    let rest = parts.get(i..).filter(|r| !r.is_empty())?.join("/");
                    params.push((name.clone(), percent_decode(&rest, false)));
                    i = parts.len();
                }
                Segment::Param { name, .. } => {
                    let part = parts.get(i).filter(|p| !p.is_empty())?;
                    params.push((name.clone(), percent_decode(part, false)));
                    i += 1;
                }
            }
        }
        (i == parts.len()).then_some(params)
    }

    /// JSON pointer (not yet URI-escaped) to this operation in its document.
    fn pointer(&self) -> String {
        format!(
            "/paths/{}/{}",
            pointer_token(&self.template),
            self.method.to_ascii_lowercase()
        )
    }

    /// Path and query parameters as one object: each value coerced to the declared type
    /// when it parses as such, so a wrong one fails its schema with a readable message.
    fn params_validator(&self) -> &jsonschema::Validator {
        self.params_validator.get_or_init(|| {
            let properties: Map<String, Value> = self
                .params
                .iter()
                .map(|p| (p.name.clone(), p.schema.clone()))
                .collect();
            let required: Vec<&str> = self
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name.as_str())
                .collect();
            build_validator(&json!({
                "type": "object",
                "properties": properties,
                "required": required,
            }))
        })
    }

    fn body_validator(&self) -> &jsonschema::Validator {
        self.body_validator.get_or_init(|| {
            let at = format!(
                "{}/requestBody/content/application~1json/schema",
                self.pointer()
            );
            build_validator(&rooted(&self.doc, &at))
        })
    }

    fn response_validator(&self, status: u16) -> Option<Arc<jsonschema::Validator>> {
        let mut cache = self
            .response_validators
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cache
            .entry(status)
            .or_insert_with(|| {
                let at = format!(
                    "{}/responses/{status}/content/application~1json/schema",
                    self.pointer()
                );
                self.doc
                    .pointer(&at)
                    .map(|_| Arc::new(build_validator(&rooted(&self.doc, &at))))
            })
            .clone()
    }

    fn param_schema(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The permission a 403 names in `x-accepted-github-permissions`.
    fn write_permission(&self) -> &'static str {
        match self.id.split('/').next() {
            Some("checks") => "checks=write",
            Some("issues") => "issues=write; pull_requests=write",
            Some("pulls") => "pull_requests=write",
            _ => "contents=write",
        }
    }
}

/// The whole document as the schema root, pointing at one schema inside it: its `$ref`s to
/// `#/components/...` then resolve without copying components around.
fn rooted(doc: &Value, pointer: &str) -> Value {
    let mut root = doc.clone();
    root["$ref"] = json!(format!("#{}", uri_fragment_escape(pointer)));
    root
}

fn build_validator(schema: &Value) -> jsonschema::Validator {
    // OpenAPI 3.0 schemas are a Draft 4 dialect (boolean exclusiveMinimum, no $defs).
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("contract schema does not compile: {e}"))
}

/// OpenAPI 3.0's `nullable: true` is not JSON Schema: spell it as a type union (and allow
/// `null` in an `enum`), everywhere in the document.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = m.get("type").cloned() {
                    m.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = m.get_mut("enum") {
                    if !e.contains(&Value::Null) {
                        e.push(Value::Null);
                    }
                }
            }
            m.values_mut().for_each(openapi_to_json_schema);
        }
        Value::Array(a) => a.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer made safe for a URI fragment (`{owner}` has characters a URI may not hold).
fn uri_fragment_escape(pointer: &str) -> String {
    let mut out = String::new();
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One schema error, short: the location and what is wrong (the value only when short).
fn describe_error(e: &jsonschema::ValidationError<'_>, what: &str) -> String {
    let at = e.instance_path().to_string();
    let at = if at.is_empty() { what.to_string() } else { at };
    let full = e.to_string();
    let text = if full.chars().count() <= 120 {
        full
    } else {
        e.masked().to_string()
    };
    format!("{at}: {text}")
}

// ---------------------------------------------------------------------------------------------
// State and request handling
// ---------------------------------------------------------------------------------------------

struct Shared {
    addr: SocketAddr,
    setup: Setup,
    state: Mutex<State>,
    stop: AtomicBool,
}

struct State {
    /// The PR head now, and every head it has had (the commits GitHub would find).
    head_sha: String,
    commits: Vec<String>,
    files: Vec<PrFile>,
    requests: Vec<Recorded>,
    violations: Vec<String>,
    check_runs: Vec<CheckRun>,
    comments: Vec<Comment>,
    reviews: Vec<Review>,
    /// Each fault with how many times it has fired.
    faults: Vec<(Fault, usize)>,
    next_check_run: u64,
    next_comment: u64,
    next_review: u64,
}

impl State {
    fn new(setup: &Setup) -> State {
        let after =
            |ids: &mut dyn Iterator<Item = u64>, floor: u64| ids.max().unwrap_or(0).max(floor) + 1;
        State {
            head_sha: setup.head_sha.clone(),
            commits: vec![setup.head_sha.clone()],
            files: setup.files.clone(),
            requests: Vec::new(),
            violations: Vec::new(),
            check_runs: Vec::new(),
            comments: setup.comments.clone(),
            reviews: setup.reviews.clone(),
            faults: setup.faults.iter().map(|f| (f.clone(), 0)).collect(),
            next_check_run: 4_000_001,
            next_comment: after(&mut setup.comments.iter().map(|c| c.id), 1_000_000),
            next_review: after(&mut setup.reviews.iter().map(|r| r.id), 2_000_000),
        }
    }

    fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultReply> {
        let (fault, fired) = self.faults.iter_mut().find(|(f, fired)| {
            *fired < f.times
                && method_matches(&f.method, method)
                && path.starts_with(&f.path_prefix)
        })?;
        *fired += 1;
        Some(fault.reply.clone())
    }
}

/// A request as read off the wire.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl RawRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: serde_json::to_vec(body).expect("serialise JSON"),
        }
    }

    fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// GitHub's error shape (`basic-error`).
    fn error(status: u16, message: &str, docs_url: &str) -> Reply {
        Reply::json(
            status,
            &json!({"message": message, "documentation_url": docs_url, "status": status.to_string()}),
        )
    }

    /// A 422 carrying the reasons in `errors`, like GitHub's semantic rejections.
    fn unprocessable(errors: &[String], docs_url: &str) -> Reply {
        Reply::json(
            422,
            &json!({"message": "Unprocessable Entity", "errors": errors,
                    "documentation_url": docs_url, "status": "422"}),
        )
    }

    fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn is_json(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("application/json"))
    }
}

enum Outcome {
    Reply(Reply),
    Drop,
}

/// Violations of one request, committed to the state when it is answered.
struct Ctx {
    label: String,
    violations: Vec<String>,
    /// The first rejection decided; later checks still record their violations.
    rejection: Option<Reply>,
}

impl Ctx {
    fn violation(&mut self, message: impl Into<String>) {
        self.violations
            .push(format!("{}: {}", self.label, message.into()));
    }

    fn reject(&mut self, reply: Reply) {
        self.rejection.get_or_insert(reply);
    }
}

/// The operation a request matched, its path parameters (decoded) and its query.
type Matched = (
    &'static Operation,
    HashMap<String, String>,
    Vec<(String, String)>,
);

/// What a handler gets for one matched request.
struct Call<'a> {
    op: &'a Operation,
    params: &'a HashMap<String, String>,
    query: &'a [(String, String)],
    raw: &'a RawRequest,
    body: &'a Value,
}

impl Call<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn id(&self, name: &str) -> u64 {
        self.params
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Shared {
    fn api_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    fn web_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn repo_api(&self) -> String {
        format!(
            "{}/repos/{}/{}",
            self.api_url(),
            self.setup.owner,
            self.setup.repo
        )
    }

    fn repo_web(&self) -> String {
        format!(
            "{}/{}/{}",
            self.web_url(),
            self.setup.owner,
            self.setup.repo
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record the request, answer it, record the status and the violations.
    fn handle(&self, raw: &RawRequest) -> Outcome {
        let stripped = raw
            .path
            .strip_prefix(API_PREFIX)
            .filter(|p| p.starts_with('/'));
        let path = stripped.unwrap_or(&raw.path).to_string();
        let mut ctx = Ctx {
            label: format!("{} {}", raw.method, path),
            violations: Vec::new(),
            rejection: None,
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

    /// The checks that need no state: route, credentials, parameters, body. Violations go to
    /// `ctx` and the first failing check decides the rejection, in GitHub's order
    /// (authentication, route, permission, validation).
    fn check(&self, raw: &RawRequest, path: &str, body: &Value, ctx: &mut Ctx) -> Option<Matched> {
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
        let params: HashMap<String, String> = params.iter().cloned().collect();
        let query = parse_query(&raw.query);

        self.check_target(&params, ctx);
        self.check_params(op, &params, &query, ctx);
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
        Some((op, params, query))
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

    /// The repository and pull request must be the ones under test.
    fn check_target(&self, params: &HashMap<String, String>, ctx: &mut Ctx) {
        let setup = &self.setup;
        let mut wrong = |what: String| {
            ctx.violation(what);
            ctx.reject(Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest",
            ));
        };
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
        params: &HashMap<String, String>,
        query: &[(String, String)],
        ctx: &mut Ctx,
    ) {
        let mut object = Map::new();
        let declared = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for (name, text) in declared {
            // Undeclared query parameters are ignored, as GitHub does.
            if let Some(p) = op.param_schema(name) {
                object.insert(name.into(), coerce(text, &p.schema));
            }
        }
        for e in op.params_validator().iter_errors(&Value::Object(object)) {
            let at = e.instance_path().to_string();
            let name = at.trim_start_matches('/');
            let in_path = op.param_schema(name).is_some_and(|p| p.in_path);
            let e = describe_error(&e, "parameters");
            ctx.violation(format!("parameter breaks the schema: {e}"));
            ctx.reject(if in_path {
                Reply::error(404, "Not Found", &op.docs_url)
            } else {
                Reply::error(422, &format!("Invalid request.\n\n{e}"), &op.docs_url)
            });
        }
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

    fn dispatch(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
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
            other => unreachable!("operation {other} in the contract but not in the fake"),
        }
    }

    // --- check runs ---------------------------------------------------------------------------

    fn create_check_run(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let b = call.body;
        let head_sha = b["head_sha"].as_str().unwrap_or_default();
        if !st.commits.iter().any(|c| c == head_sha) {
            ctx.violation(format!(
                "check run head_sha {head_sha} is not a head of the PR ({}): use \
                 pull_request.head.sha from the event, not GITHUB_SHA",
                st.commits.join(", ")
            ));
            return Reply::error(
                422,
                &format!("No commit found for SHA: {head_sha}"),
                &call.op.docs_url,
            );
        }
        let now = iso8601(unix_now());
        let mut run = CheckRun {
            id: st.next_check_run,
            name: String::new(),
            head_sha: head_sha.into(),
            status: "queued".into(),
            conclusion: None,
            details_url: None,
            external_id: None,
            title: None,
            summary: None,
            text: None,
            annotations: Vec::new(),
            started_at: now,
            completed_at: None,
        };
        st.next_check_run += 1;
        apply_check_run(&mut run, b);
        st.check_runs.push(run.clone());
        Reply::json(201, &self.check_run_json(&run))
    }

    fn update_check_run(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let id = call.id("check_run_id");
        match st.check_runs.iter_mut().find(|r| r.id == id) {
            Some(run) => {
                apply_check_run(run, call.body);
                let run = run.clone();
                Reply::json(200, &self.check_run_json(&run))
            }
            None => not_found(ctx, call, &format!("no check run {id}")),
        }
    }

    fn check_run_json(&self, run: &CheckRun) -> Value {
        let mut v = contract().example("check-run");
        let url = format!("{}/check-runs/{}", self.repo_api(), run.id);
        let html_url = format!("{}/runs/{}", self.repo_web(), run.id);
        v["id"] = json!(run.id);
        v["node_id"] = json!(format!("CR_kwDOFake{:010}", run.id));
        v["name"] = json!(run.name);
        v["head_sha"] = json!(run.head_sha);
        v["external_id"] = json!(run.external_id.as_deref().unwrap_or(""));
        v["details_url"] = json!(run.details_url.as_deref().unwrap_or(&html_url));
        v["html_url"] = json!(html_url);
        v["status"] = json!(run.status);
        v["conclusion"] = json!(run.conclusion);
        v["started_at"] = json!(run.started_at);
        v["completed_at"] = json!(run.completed_at);
        v["output"] = json!({
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": run.annotations.len(),
            "annotations_url": format!("{url}/annotations"),
        });
        v["url"] = json!(url);
        v["check_suite"] = json!({"id": 5_000_001});
        v["app"]["id"] = json!(15368);
        v["app"]["slug"] = json!("github-actions");
        v["app"]["name"] = json!("GitHub Actions");
        v["pull_requests"] = json!(self.minimal_pull(&run.head_sha));
        v
    }

    /// `pull_requests` of a check run: GitHub leaves it empty when the head is a fork.
    fn minimal_pull(&self, head_sha: &str) -> Vec<Value> {
        let pr = &self.setup.pull_request;
        if pr["head"]["repo"]["full_name"] != pr["base"]["repo"]["full_name"] {
            return Vec::new();
        }
        let side = |s: &str, sha: &Value| {
            let repo = &pr[s]["repo"];
            json!({"ref": pr[s]["ref"], "sha": sha,
                   "repo": {"id": repo["id"], "url": repo["url"], "name": repo["name"]}})
        };
        vec![json!({
            "url": format!("{}/pulls/{}", self.repo_api(), self.setup.pull_number),
            "id": pr["id"],
            "number": self.setup.pull_number,
            "head": side("head", &json!(head_sha)),
            "base": side("base", &pr["base"]["sha"]),
        })]
    }

    // --- issue comments -----------------------------------------------------------------------

    fn comment_json(&self, c: &Comment) -> Value {
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

    fn user_json(&self, login: &str, user_type: &str) -> Value {
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

    fn association(&self, login: &str, user_type: &str) -> &'static str {
        if user_type == "Bot" {
            "NONE"
        } else if login.eq_ignore_ascii_case(&self.setup.owner) {
            "OWNER"
        } else {
            "CONTRIBUTOR"
        }
    }

    // --- reviews ------------------------------------------------------------------------------

    fn create_review(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
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

    fn dismiss_review(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
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

    fn review_json(&self, r: &Review) -> Value {
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

    // --- files, contents, the pull request ----------------------------------------------------

    fn file_json(&self, f: &PrFile, head: &str) -> Value {
        let (additions, deletions) = f.line_counts();
        let sha = fake_sha(&format!(
            "{}:{}",
            f.filename,
            f.patch.as_deref().unwrap_or("")
        ));
        let mut v = json!({
            "sha": sha,
            "filename": f.filename,
            "status": f.status,
            "additions": additions,
            "deletions": deletions,
            "changes": additions + deletions,
            "blob_url": format!("{}/blob/{head}/{}", self.repo_web(), f.filename),
            "raw_url": format!("{}/raw/{head}/{}", self.repo_web(), f.filename),
            "contents_url": format!("{}/contents/{}?ref={head}", self.repo_api(), f.filename),
        });
        if let Some(patch) = &f.patch {
            v["patch"] = json!(patch);
        }
        if let Some(prev) = &f.previous_filename {
            v["previous_filename"] = json!(prev);
        }
        v
    }

    fn get_content(&self, call: &Call<'_>) -> Reply {
        let path = call.params.get("path").map_or("", String::as_str);
        let wanted_ref = call.query("ref").unwrap_or("");
        let Some((_, _, text)) = self
            .setup
            .contents
            .iter()
            .find(|(r, p, _)| r == wanted_ref && p == path)
        else {
            // Absent files are a normal answer (clients probe for optional files).
            return Reply::error(404, "Not Found", &call.op.docs_url);
        };
        let accept = call.raw.header("accept").unwrap_or("");
        if accept.contains("application/vnd.github.raw")
            || accept.contains("application/vnd.github.v3.raw")
        {
            return Reply::text(200, "text/plain; charset=utf-8", text);
        }
        let sha = fake_sha(text);
        let git_url = format!("{}/git/blobs/{sha}", self.repo_api());
        let self_url = format!("{}/contents/{path}?ref={wanted_ref}", self.repo_api());
        let html_url = format!("{}/blob/{wanted_ref}/{path}", self.repo_web());
        let (content, encoding) = if text.len() > MAX_INLINE_CONTENT {
            (String::new(), "none")
        } else {
            (base64_lines(text.as_bytes()), "base64")
        };
        Reply::json(
            200,
            &json!({
                "type": "file",
                "encoding": encoding,
                "size": text.len(),
                "name": path.rsplit('/').next().unwrap_or(path),
                "path": path,
                "content": content,
                "sha": sha,
                "url": self_url,
                "git_url": git_url,
                "html_url": html_url,
                "download_url": format!("{}/raw/{wanted_ref}/{path}", self.repo_web()),
                "_links": {"git": git_url, "self": self_url, "html": html_url},
            }),
        )
    }

    fn get_pull(&self, st: &State, call: &Call<'_>) -> Reply {
        let accept = call.raw.header("accept").unwrap_or("");
        if accept.contains("application/vnd.github.diff")
            || accept.contains("application/vnd.github.v3.diff")
        {
            let mut diff = String::new();
            for f in &st.files {
                let old = f.previous_filename.as_deref().unwrap_or(&f.filename);
                diff.push_str(&format!("diff --git a/{old} b/{}\n", f.filename));
                if let Some(patch) = &f.patch {
                    diff.push_str(&format!("--- a/{old}\n+++ b/{}\n{patch}\n", f.filename));
                }
            }
            return Reply::text(200, "text/plain; charset=utf-8", &diff);
        }
        let mut pr = self.setup.pull_request.clone();
        pr["number"] = json!(self.setup.pull_number);
        pr["head"]["sha"] = json!(st.head_sha);
        Reply::json(200, &pr)
    }

    // --- pagination ---------------------------------------------------------------------------

    /// One page of `items` with GitHub's `Link` header (`prev`, `next`, `last`, `first`).
    fn paginate(&self, call: &Call<'_>, items: Vec<Value>) -> Reply {
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
fn not_found(ctx: &mut Ctx, call: &Call<'_>, what: &str) -> Reply {
    ctx.violation(what.to_string());
    Reply::error(404, "Not Found", &call.op.docs_url)
}

/// Whether an inline review comment targets a line GitHub can place: the file must be in
/// the PR and, when its patch is known, the line (or position) must be inside a hunk.
fn inline_comment_problem(files: &[PrFile], c: &Value) -> Option<String> {
    let path = c["path"].as_str().unwrap_or_default();
    let Some(file) = files.iter().find(|f| f.filename == path) else {
        return Some(format!("path `{path}` is not a file of the pull request (GitHub: \"Path could not be resolved\")"));
    };
    let patch = file.patch.as_deref()?;
    let lines = DiffLines::parse(patch);
    if let Some(pos) = c["position"].as_u64() {
        if pos == 0 || pos > lines.positions {
            return Some(format!(
                "position {pos} is outside the diff of `{path}` (1..={})",
                lines.positions
            ));
        }
    }
    let side = c["side"].as_str().unwrap_or("RIGHT");
    let start_side = c["start_side"].as_str().unwrap_or(side);
    for (key, side) in [("line", side), ("start_line", start_side)] {
        if let Some(line) = c[key].as_u64() {
            let ok = match side {
                "LEFT" => lines.left.contains(&line),
                _ => lines.right.contains(&line),
            };
            if !ok {
                return Some(format!(
                    "{key} {line} ({side}) is not part of the diff of `{path}` (GitHub: \
                     \"Pull request review thread line must be part of the diff\")"
                ));
            }
        }
    }
    None
}

/// Create and update share this: fields present replace, annotations append.
fn apply_check_run(run: &mut CheckRun, b: &Value) {
    let s = |k: &str| b[k].as_str().map(str::to_string);
    if let Some(name) = s("name") {
        run.name = name;
    }
    if let Some(url) = s("details_url") {
        run.details_url = Some(url);
    }
    if let Some(id) = s("external_id") {
        run.external_id = Some(id);
    }
    if let Some(at) = s("started_at") {
        run.started_at = at;
    }
    if let Some(status) = s("status") {
        run.status = status;
    }
    if let Some(conclusion) = s("conclusion") {
        // "Providing conclusion will automatically set the status parameter to completed."
        run.conclusion = Some(conclusion);
        run.status = "completed".into();
    }
    if run.status == "completed" && run.completed_at.is_none() {
        run.completed_at = Some(s("completed_at").unwrap_or_else(|| iso8601(unix_now())));
    }
    let output = &b["output"];
    let o = |k: &str| output[k].as_str().map(str::to_string);
    if let Some(title) = o("title") {
        run.title = Some(title);
    }
    if let Some(summary) = o("summary") {
        run.summary = Some(summary);
    }
    if let Some(text) = o("text") {
        run.text = Some(text);
    }
    if let Some(annotations) = output["annotations"].as_array() {
        run.annotations
            .extend(annotations.iter().map(Annotation::from_json));
    }
}

/// The check-run schemas branch on `status` with a root `oneOf`/`anyOf` whose failure says
/// only "not valid under any of the schemas"; [`body_rules`] states each branch plainly.
fn restated_by_body_rules(op: &str, e: &jsonschema::ValidationError<'_>) -> bool {
    let schema_path = e.schema_path().to_string();
    op.starts_with("checks/")
        && e.instance_path().to_string().is_empty()
        && (schema_path.ends_with("/oneOf") || schema_path.ends_with("/anyOf"))
}

/// The rules GitHub enforces beyond the request schemas (see NOTES.md in the contracts
/// folder). Each returned string is one violation; any of them makes the answer a 422.
fn body_rules(op: &str, b: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    match op {
        "checks/create" | "checks/update" => {
            let completed = b["status"] == "completed" || b.get("completed_at").is_some();
            if completed && b.get("conclusion").is_none() {
                problems.push("check run completed without a conclusion".to_string());
            }
            if let Some(status @ ("waiting" | "requested" | "pending")) = b["status"].as_str() {
                problems.push(format!(
                    "only GitHub Actions itself may set the status `{status}`"
                ));
            }
            if b["conclusion"] == "stale" {
                problems.push("only GitHub may set the conclusion `stale`".to_string());
            }
            let output = &b["output"];
            if op == "checks/update" && output.is_object() && output.get("title").is_none() {
                problems.push(
                    "check run output without a title (the update docs mark it required)"
                        .to_string(),
                );
            }
            for (i, a) in output["annotations"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let at = format!("output.annotations[{i}]");
                if let Some(title) = a["title"].as_str() {
                    let n = title.chars().count();
                    if n > 255 {
                        problems.push(format!("{at}.title has {n} characters (at most 255)"));
                    }
                }
                let (start, end) = (a["start_line"].as_i64(), a["end_line"].as_i64());
                if let (Some(start), Some(end)) = (start, end) {
                    if start < 1 {
                        problems.push(format!("{at}.start_line {start} (lines start at 1)"));
                    }
                    if end < start {
                        problems.push(format!("{at}.end_line {end} is before start_line {start}"));
                    }
                    let columns = a.get("start_column").is_some() || a.get("end_column").is_some();
                    if columns && start != end {
                        problems.push(format!(
                            "{at} has columns but spans lines {start}..{end} (columns only when \
                             start_line == end_line)"
                        ));
                    }
                }
                for key in ["message", "raw_details"] {
                    let len = a[key].as_str().map_or(0, str::len);
                    if len > MAX_ANNOTATION_BYTES {
                        problems.push(format!("{at}.{key} is {len} bytes (at most 64 KB)"));
                    }
                }
            }
        }
        "issues/create-comment" | "issues/update-comment" => {
            if let Some(body) = b["body"].as_str() {
                let n = body.chars().count();
                if body.trim().is_empty() {
                    problems.push("comment body is blank".to_string());
                }
                if n > MAX_COMMENT_CHARS {
                    problems.push(format!(
                        "comment body has {n} characters (at most {MAX_COMMENT_CHARS})"
                    ));
                }
            }
        }
        "pulls/create-review" | "pulls/update-review" => {
            let body = b["body"].as_str().unwrap_or("");
            let n = body.chars().count();
            if n > MAX_COMMENT_CHARS {
                problems.push(format!(
                    "review body has {n} characters (at most {MAX_COMMENT_CHARS})"
                ));
            }
            match b["event"].as_str() {
                Some(event @ ("REQUEST_CHANGES" | "COMMENT")) if body.trim().is_empty() => {
                    problems.push(format!("a {event} review needs a body"));
                }
                Some("APPROVE") => {
                    problems.push(
                        "GitHub Actions is not permitted to approve pull requests.".to_string(),
                    );
                }
                _ => {}
            }
            for (i, c) in b["comments"].as_array().into_iter().flatten().enumerate() {
                if c.get("line").is_none() && c.get("position").is_none() {
                    problems.push(format!("comments[{i}] needs `line` (or `position`)"));
                }
                if c.get("start_line").is_some() && c.get("line").is_none() {
                    problems.push(format!("comments[{i}] has start_line without line"));
                }
                if let (Some(s), Some(l)) = (c["start_line"].as_u64(), c["line"].as_u64()) {
                    if s >= l {
                        problems.push(format!(
                            "comments[{i}] start_line {s} must be before line {l}"
                        ));
                    }
                }
                for key in ["side", "start_side"] {
                    if let Some(side) = c.get(key) {
                        if side != "LEFT" && side != "RIGHT" {
                            problems.push(format!(
                                "comments[{i}].{key} must be LEFT or RIGHT, not {side}"
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    problems
}

/// The lines a review comment may target in one file's patch.
struct DiffLines {
    /// The highest `position` (lines below the first hunk header, later headers included).
    positions: u64,
    left: Vec<u64>,
    right: Vec<u64>,
}

impl DiffLines {
    fn parse(patch: &str) -> DiffLines {
        let mut d = DiffLines {
            positions: 0,
            left: Vec::new(),
            right: Vec::new(),
        };
        let (mut old, mut new) = (0u64, 0u64);
        for (i, line) in patch.lines().enumerate() {
            if i > 0 {
                d.positions += 1;
            }
            if let Some(rest) = line.strip_prefix("@@") {
                // "@@ -a,b +c,d @@ context"
                let mut nums = rest.split_whitespace().take(2).map(|r| {
                    r[1..]
                        .split(',')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0)
                });
                old = nums.next().unwrap_or(0);
                new = nums.next().unwrap_or(0);
                continue;
            }
            match line.chars().next() {
                Some('+') => {
                    d.right.push(new);
                    new += 1;
                }
                Some('-') => {
                    d.left.push(old);
                    old += 1;
                }
                Some('\\') => {}
                _ => {
                    d.left.push(old);
                    d.right.push(new);
                    old += 1;
                    new += 1;
                }
            }
        }
        d
    }
}

fn fault_reply(fault: &FaultReply) -> Reply {
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

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 on one connection
// ---------------------------------------------------------------------------------------------

/// Reads that wait out the socket's short read timeout until data comes or the fake stops:
/// idle keep-alive connections must stay open (hyper reuses them) yet not outlive the test.
struct Patient<'a> {
    stream: TcpStream,
    stop: &'a AtomicBool,
}

impl Read for Patient<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.stop.load(Ordering::SeqCst) {
                        return Err(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(Patient {
        stream: read_half,
        stop: &shared.stop,
    });
    let mut writer = stream;
    // Until the client closes, a read fails, or the fake stops.
    while let Ok(Some(raw)) = read_request(&mut reader, &mut writer) {
        match shared.handle(&raw) {
            Outcome::Drop => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Outcome::Reply(reply) => {
                if write_reply(&mut writer, &reply, !raw.keep_alive).is_err() || !raw.keep_alive {
                    break;
                }
            }
        }
    }
    let _ = writer.shutdown(Shutdown::Write);
    // Let the client read to EOF before the socket closes (a reset can lose the answer).
    let _ = writer.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = writer.read(&mut [0u8; 512]);
}

fn read_request(
    reader: &mut impl BufRead,
    writer: &mut TcpStream,
) -> io::Result<Option<RawRequest>> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad request line",
        ));
    };
    let http10 = parts.next() == Some("HTTP/1.0");
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if (chunked || length > 0) && header("expect").is_some_and(|v| v == "100-continue") {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    let keep_alive = match header("connection") {
        Some(c) if c.contains("close") => false,
        Some(c) if c.contains("keep-alive") => true,
        _ => !http10,
    };
    // An absolute-form target (`http://host/p`) is reduced to its path.
    let origin = match target.find("://") {
        Some(i) => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..]).to_string()
        }
        None => target,
    };
    let (path, query) = match origin.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (origin, String::new()),
    };
    Ok(Some(RawRequest {
        method,
        path,
        query,
        headers,
        body,
        keep_alive,
    }))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut t = String::new();
                if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
}

fn write_reply(stream: &mut TcpStream, reply: &Reply, close: bool) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    // HTTP forbids a body (and so a Content-Length) on 204.
    if reply.status != 204 {
        head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
    }
    if close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&reply.body);
    stream.write_all(&out)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

/// A query/path value as the declared schema type, when it parses as one.
fn coerce(text: &str, schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("integer") => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        Some("boolean") => match text {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(text),
        },
        _ => json!(text),
    }
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Standard base64 with a line break every 60 characters and at the end, as the contents
/// API sends it.
fn base64_lines(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut flat = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                flat.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                flat.push('=');
            }
        }
    }
    let mut out = String::new();
    for line in flat.as_bytes().chunks(60) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// A stable 40-hex-digit stand-in for a git object id (nothing checks it against content).
fn fake_sha(seed: &str) -> String {
    let mut out = String::new();
    for salt in 0u64..3 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(40);
    out
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (proleptic Gregorian calendar, UTC).
fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
