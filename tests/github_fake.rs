//! Self-test of the fake GitHub API in `support/github.rs`: it must catch the client mistakes
//! it exists to catch and answer valid requests the way GitHub does, or the `packetgate github`
//! tests built on it prove nothing. Driven by a tiny std-only HTTP/1.1 client so that the fake
//! is tested independently of octocrab.

#[path = "support/github/mod.rs"]
mod github;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use github::{Comment, FakeGitHub, Fault, FaultReply, PrFile, Review, Setup};
use serde_json::{json, Value};

const REPO: &str = "/repos/Codertocat/Hello-World";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One keep-alive connection to the fake, like a pooled client connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// `/api/v3`
    base: String,
}

impl Client {
    fn connect(fake: &FakeGitHub) -> Client {
        let url = fake.api_url();
        let rest = url.strip_prefix("http://").expect("http URL");
        let (host, base) = rest.split_at(rest.find('/').expect("base path"));
        let stream = TcpStream::connect(host).expect("connect to the fake");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            base: base.to_string(),
        }
    }

    /// A well-formed API call: token, User-Agent, GitHub's media type, JSON body.
    fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        let target = format!("{}{path}", self.base);
        self.send(method, &target, &default_headers(), body.as_deref(), false)
            .expect("answer")
    }

    /// Anything at all: `target` is sent as is, only the headers given.
    fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        chunked: bool,
    ) -> std::io::Result<Resp> {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        // A body is JSON unless the caller names another type.
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req.push_str("Content-Type: application/json\r\n");
        }
        let mut bytes = Vec::new();
        match body {
            Some(b) if chunked => {
                req.push_str("Transfer-Encoding: chunked\r\n\r\n");
                bytes.extend_from_slice(req.as_bytes());
                // Two chunks, so the fake has to join them.
                let (a, c) = b.split_at(b.len() / 2);
                for part in [a, c] {
                    bytes.extend_from_slice(format!("{:x};ext=1\r\n", part.len()).as_bytes());
                    bytes.extend_from_slice(part);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
            }
            Some(b) => {
                req.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
                bytes.extend_from_slice(req.as_bytes());
                bytes.extend_from_slice(b);
            }
            None => {
                req.push_str("\r\n");
                bytes.extend_from_slice(req.as_bytes());
            }
        }
        self.writer.write_all(&bytes)?;
        self.read_response()
    }

    fn read_response(&mut self) -> std::io::Result<Resp> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed without an answer",
            ));
        }
        let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }
}

fn default_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Authorization", "Bearer ghs_test"),
        ("User-Agent", "packetgate-test"),
        ("Accept", "application/vnd.github+json"),
        ("X-GitHub-Api-Version", "2022-11-28"),
    ]
}

fn annotation(line: u64) -> Value {
    json!({"path": "budgets/api.packet.json", "start_line": line, "end_line": line,
           "annotation_level": "warning", "message": format!("finding on line {line}"),
           "title": "budget-freshness"})
}

fn annotations(from: u64, n: u64) -> Vec<Value> {
    (from..from + n).map(annotation).collect()
}

/// Each expected fragment must appear in some violation, and there must be no others.
fn assert_violations(fake: &FakeGitHub, expected: &[&str]) {
    let seen = fake.violations();
    for fragment in expected {
        assert!(
            seen.iter().any(|v| v.contains(fragment)),
            "no violation mentions {fragment:?}; got {seen:#?}"
        );
    }
    assert_eq!(seen.len(), expected.len(), "violations: {seen:#?}");
}

#[test]
fn contract_violations_are_recorded_and_answered_like_github() {
    let fake = FakeGitHub::start(Setup::default());
    let mut c = Client::connect(&fake);

    let too_many = c.call(
        "POST",
        &format!("{REPO}/check-runs"),
        Some(json!({"name": "packetgate", "head_sha": github::HEAD_SHA,
                    "output": {"title": "t", "summary": "s", "annotations": annotations(1, 51)}})),
    );
    assert_eq!(too_many.status, 422);
    assert!(too_many.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid request.\n\n"));

    let no_conclusion = c.call(
        "POST",
        &format!("{REPO}/check-runs"),
        Some(json!({"name": "packetgate", "head_sha": github::HEAD_SHA, "status": "completed"})),
    );
    assert_eq!(no_conclusion.status, 422);

    let no_auth = c
        .send(
            "GET",
            &format!("/api/v3{REPO}/pulls/2/files"),
            &[("User-Agent", "t")],
            None,
            false,
        )
        .unwrap();
    assert_eq!(no_auth.status, 401);

    let no_agent = c
        .send(
            "GET",
            &format!("/api/v3{REPO}/pulls/2/files"),
            &[("Authorization", "token ghs_test")],
            None,
            false,
        )
        .unwrap();
    assert_eq!(no_agent.status, 403);

    let unknown = c.call("GET", &format!("{REPO}/actions/runs"), None);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["message"], "Not Found");

    // What octocrab's issues().update_comment() sends.
    let post_edit = c.call(
        "POST",
        &format!("{REPO}/issues/comments/1"),
        Some(json!({"body": "x"})),
    );
    assert_eq!(post_edit.status, 404);

    let no_prefix = c
        .send(
            "GET",
            &format!("{REPO}/pulls/2/files"),
            &default_headers(),
            None,
            false,
        )
        .unwrap();
    assert_eq!(no_prefix.status, 404);

    let wrong_pull = c.call("GET", &format!("{REPO}/pulls/3/files"), None);
    assert_eq!(wrong_pull.status, 404);

    assert_violations(
        &fake,
        &[
            "has more than 50 items",
            "check run completed without a conclusion",
            "no Authorization header",
            "no User-Agent header",
            "no such route",
            "update_comment() sends POST",
            "lacks the /api/v3 prefix",
            "pull_number `3` is not the pull request under test",
        ],
    );
    // The completed-without-conclusion request breaks the schema (oneOf) and the explicit rule.
    assert_eq!(fake.requests().len(), 8);
    assert!(
        fake.check_runs().is_empty(),
        "rejected requests change nothing"
    );
}

#[test]
fn check_run_create_then_update_appends_annotations() {
    let fake = FakeGitHub::start(Setup::default());
    let mut c = Client::connect(&fake);

    let created = c.call(
        "POST",
        &format!("{REPO}/check-runs"),
        Some(json!({"name": "packetgate", "head_sha": github::HEAD_SHA, "status": "in_progress",
                    "output": {"title": "first", "summary": "50 so far", "annotations": annotations(1, 50)}})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert!(created
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert!(created.header("x-ratelimit-remaining").is_some());
    let run = created.json();
    assert_eq!(run["status"], "in_progress");
    assert_eq!(run["output"]["annotations_count"], 50);
    let id = run["id"].as_u64().unwrap();

    // Same connection (keep-alive), chunked body.
    let update = json!({"conclusion": "failure",
                        "output": {"title": "final", "summary": "60 findings", "text": "details",
                                   "annotations": annotations(51, 10)}});
    let patched = c
        .send(
            "PATCH",
            &format!("/api/v3{REPO}/check-runs/{id}"),
            &default_headers(),
            Some(&serde_json::to_vec(&update).unwrap()),
            true,
        )
        .unwrap();
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["status"], "completed");
    assert_eq!(patched.json()["output"]["annotations_count"], 60);

    fake.assert_no_violations();
    let runs = fake.check_runs();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.title.as_deref(), Some("final"));
    assert_eq!(run.summary.as_deref(), Some("60 findings"));
    assert_eq!(run.annotations.len(), 60);
    assert_eq!(run.annotations[59].start_line, 60);
    let recorded = fake.requests();
    assert_eq!(
        recorded.iter().map(|r| r.status).collect::<Vec<_>>(),
        [201, 200]
    );
    assert_eq!(recorded[1].body["conclusion"], "failure");
    assert_eq!(recorded[1].header("authorization"), Some("Bearer ghs_test"));
    assert_eq!(fake.count("PATCH", &format!("{REPO}/check-runs/")), 1);
}

#[test]
fn check_run_rules_beyond_the_schema() {
    let fake = FakeGitHub::start(Setup::default());
    let mut c = Client::connect(&fake);
    let mut columns = annotation(3);
    columns["end_line"] = json!(4);
    columns["start_column"] = json!(2);
    let mut long_title = annotation(5);
    long_title["title"] = json!("t".repeat(256));
    let r = c.call(
        "POST",
        &format!("{REPO}/check-runs"),
        Some(json!({"name": "packetgate", "head_sha": github::HEAD_SHA,
                    "output": {"title": "t", "summary": "s", "annotations": [columns, long_title]}})),
    );
    assert_eq!(r.status, 422);
    // The merge commit (GITHUB_SHA) is not the PR head.
    let r = c.call(
        "POST",
        &format!("{REPO}/check-runs"),
        Some(json!({"name": "packetgate", "head_sha": "34c5c7793cb3b279e22454cb6750c80560547b3a"})),
    );
    assert_eq!(r.status, 422);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("No commit found for SHA"));
    assert_violations(
        &fake,
        &[
            "has columns but spans lines",
            "title has 256 characters",
            "is not a head of the PR",
        ],
    );
}

#[test]
fn a_push_moves_the_head_and_changes_the_files() {
    let fake = FakeGitHub::start(Setup {
        files: vec![PrFile::added("a.packet.json", "@@ -0,0 +1 @@\n+{}")],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let pushed = "1111111111111111111111111111111111111111";
    fake.set_head_sha(pushed);
    fake.set_files(vec![
        PrFile::renamed("a.packet.json", "b.packet.json", None),
        PrFile::removed("c.packet.json"),
    ]);
    let pr = c.call("GET", &format!("{REPO}/pulls/2"), None).json();
    assert_eq!(pr["head"]["sha"], pushed);
    let files = c.call("GET", &format!("{REPO}/pulls/2/files"), None).json();
    assert_eq!(files[0]["previous_filename"], "a.packet.json");
    assert_eq!(files[0]["status"], "renamed");
    assert!(files[1].get("patch").is_none());
    // Check runs may name the new head and the old one (a late re-run), nothing else.
    for (sha, status) in [
        (pushed, 201),
        (github::HEAD_SHA, 201),
        ("2222222222222222222222222222222222222222", 422),
    ] {
        let r = c.call(
            "POST",
            &format!("{REPO}/check-runs"),
            Some(json!({"name": "packetgate", "head_sha": sha})),
        );
        assert_eq!(r.status, status, "{sha}");
    }
    assert_violations(
        &fake,
        &["2222222222222222222222222222222222222222 is not a head of the PR"],
    );
}

#[test]
fn comments_paginate_with_link_headers_and_edit_with_patch() {
    let comments = (1..=250)
        .map(|i| Comment::by_user(i, "Codertocat", &format!("comment {i}")))
        .collect();
    let fake = FakeGitHub::start(Setup {
        comments,
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);

    let first = c.call(
        "GET",
        &format!("{REPO}/issues/2/comments?per_page=100"),
        None,
    );
    assert_eq!(first.status, 200);
    assert_eq!(first.json().as_array().unwrap().len(), 100);
    let link = first.header("link").expect("Link header").to_string();
    let api = fake.api_url();
    assert!(
        link.contains(&format!(
            "<{api}{REPO}/issues/2/comments?per_page=100&page=2>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");

    // Follow `last` as a client would: the URL is absolute.
    let last_url = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"last\""))
        .unwrap();
    let target = last_url
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .strip_prefix(&format!("http://{}", api.split('/').nth(2).unwrap()))
        .unwrap()
        .to_string();
    let last = c
        .send("GET", &target, &default_headers(), None, false)
        .unwrap();
    let page = last.json();
    assert_eq!(page.as_array().unwrap().len(), 50);
    assert_eq!(page[49]["id"], 250);
    assert_eq!(page[0]["user"]["login"], "Codertocat");
    let link = last.header("link").unwrap();
    assert!(
        !link.contains("rel=\"next\"") && link.contains("rel=\"first\""),
        "{link}"
    );

    let created = c.call(
        "POST",
        &format!("{REPO}/issues/2/comments"),
        Some(json!({"body": "<!-- packetgate -->\nreport"})),
    );
    assert_eq!(created.status, 201);
    let created = created.json();
    assert_eq!(created["user"]["login"], github::BOT_LOGIN);
    assert_eq!(created["user"]["type"], "Bot");
    let id = created["id"].as_u64().unwrap();
    assert!(id > 250);

    let edited = c.call(
        "PATCH",
        &format!("{REPO}/issues/comments/{id}"),
        Some(json!({"body": "<!-- packetgate -->\nnew report"})),
    );
    assert_eq!(edited.status, 200);
    fake.assert_no_violations();

    let now = fake.comments();
    assert_eq!(now.len(), 251);
    assert_eq!(now[250].body, "<!-- packetgate -->\nnew report");
    assert_eq!(now[250].user_type, "Bot");

    let too_big = c.call(
        "GET",
        &format!("{REPO}/issues/2/comments?per_page=101"),
        None,
    );
    assert_eq!(too_big.status, 422);
    let too_long = c.call(
        "POST",
        &format!("{REPO}/issues/2/comments"),
        Some(json!({"body": "x".repeat(65_537)})),
    );
    assert_eq!(too_long.status, 422);
    assert_violations(
        &fake,
        &[
            "/per_page: 101 is greater than the maximum of 100",
            "65537 characters",
        ],
    );
}

#[test]
fn files_are_paginated_and_capped_at_3000() {
    let files = (0..3005)
        .map(|i| PrFile::added(&format!("p/{i}.packet.json"), "@@ -0,0 +1,2 @@\n+{\n+}"))
        .collect();
    let fake = FakeGitHub::start(Setup {
        files,
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let r = c.call(
        "GET",
        &format!("{REPO}/pulls/2/files?per_page=100&page=30"),
        None,
    );
    let page = r.json();
    assert_eq!(page.as_array().unwrap().len(), 100);
    assert_eq!(page[99]["filename"], "p/2999.packet.json");
    assert_eq!(page[0]["additions"], 2);
    assert!(!r.header("link").unwrap().contains("rel=\"next\""));
    let beyond = c.call(
        "GET",
        &format!("{REPO}/pulls/2/files?per_page=100&page=31"),
        None,
    );
    assert_eq!(beyond.json(), json!([]));
    fake.assert_no_violations();
}

#[test]
fn contents_answer_raw_or_json_by_accept_header() {
    let text = "schema: 1\nbudget: 2000\n";
    let fake = FakeGitHub::start(Setup {
        contents: vec![("main".into(), ".packetgate/policy.yaml".into(), text.into())],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let target = format!("/api/v3{REPO}/contents/.packetgate/policy.yaml?ref=main");

    let mut raw_headers = default_headers();
    raw_headers[2] = ("Accept", "application/vnd.github.raw+json");
    let raw = c.send("GET", &target, &raw_headers, None, false).unwrap();
    assert_eq!(raw.status, 200);
    assert_eq!(raw.text(), text);

    let object = c
        .send("GET", &target, &default_headers(), None, false)
        .unwrap();
    let object = object.json();
    assert_eq!(object["type"], "file");
    assert_eq!(object["encoding"], "base64");
    assert_eq!(object["size"], text.len());
    assert_eq!(
        object["content"], "c2NoZW1hOiAxCmJ1ZGdldDogMjAwMAo=\n",
        "base64 with GitHub's line breaks"
    );

    let other_ref = c.call(
        "GET",
        &format!("{REPO}/contents/.packetgate/policy.yaml?ref=feature"),
        None,
    );
    assert_eq!(other_ref.status, 404);
    assert_eq!(other_ref.json()["message"], "Not Found");
    fake.assert_no_violations();
}

#[test]
fn a_scripted_502_then_success() {
    let fake = FakeGitHub::start(Setup {
        faults: vec![Fault::new(
            "POST",
            &format!("{REPO}/check-runs"),
            1,
            FaultReply::Status(502),
        )],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let body = json!({"name": "packetgate", "head_sha": github::HEAD_SHA,
                      "output": {"title": "t", "summary": "s"}});
    let failed = c.call("POST", &format!("{REPO}/check-runs"), Some(body.clone()));
    assert_eq!(failed.status, 502);
    assert!(failed.text().contains("Bad Gateway"));
    let retried = c.call("POST", &format!("{REPO}/check-runs"), Some(body));
    assert_eq!(retried.status, 201);
    assert_eq!(
        fake.check_runs().len(),
        1,
        "the faulted request changed nothing"
    );
    assert_eq!(
        fake.requests().iter().map(|r| r.status).collect::<Vec<_>>(),
        [502, 201]
    );
    fake.assert_no_violations();
}

#[test]
fn rate_limits_truncation_and_dropped_connections() {
    let files = format!("{REPO}/pulls/2/files");
    let fake = FakeGitHub::start(Setup {
        faults: vec![
            Fault::new(
                "GET",
                &files,
                1,
                FaultReply::RateLimited {
                    status: 403,
                    retry_after_secs: None,
                    reset_in_secs: Some(30),
                },
            ),
            Fault::new(
                "GET",
                &files,
                1,
                FaultReply::RateLimited {
                    status: 429,
                    retry_after_secs: Some(7),
                    reset_in_secs: None,
                },
            ),
            Fault::new("GET", &files, 1, FaultReply::TruncatedJson),
            Fault::new("GET", &files, 1, FaultReply::Drop),
        ],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let primary = c.call("GET", &files, None);
    assert_eq!(primary.status, 403);
    assert_eq!(primary.header("x-ratelimit-remaining"), Some("0"));
    assert!(primary
        .header("x-ratelimit-reset")
        .unwrap()
        .parse::<u64>()
        .is_ok());
    assert!(primary.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("API rate limit exceeded"));

    let secondary = c.call("GET", &files, None);
    assert_eq!(secondary.status, 429);
    assert_eq!(secondary.header("retry-after"), Some("7"));
    assert!(secondary.json()["message"]
        .as_str()
        .unwrap()
        .contains("secondary rate limit"));

    let truncated = c.call("GET", &files, None);
    assert_eq!(truncated.status, 200);
    assert!(serde_json::from_slice::<Value>(&truncated.body).is_err());

    let target = format!("/api/v3{files}");
    let dropped = c.send("GET", &target, &default_headers(), None, false);
    assert!(dropped.is_err(), "the fake closed without answering");

    // A new connection gets normal service.
    let mut c = Client::connect(&fake);
    assert_eq!(c.call("GET", &files, None).status, 200);
    assert_eq!(
        fake.requests().iter().map(|r| r.status).collect::<Vec<_>>(),
        [403, 429, 200, 0, 200]
    );
    fake.assert_no_violations();
}

#[test]
fn a_given_token_must_be_the_one_sent_and_delays_delay() {
    let files = format!("{REPO}/pulls/2/files");
    let fake = FakeGitHub::start(Setup {
        token: Some("ghs_expected".into()),
        faults: vec![Fault::new(
            "*",
            &files,
            1,
            FaultReply::Delay(Duration::from_millis(150)),
        )],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let started = std::time::Instant::now();
    assert_eq!(c.call("GET", &files, None).status, 401, "wrong token");
    assert!(started.elapsed() >= Duration::from_millis(150));
    let mut headers = default_headers();
    headers[0] = ("Authorization", "token ghs_expected");
    let ok = c
        .send("GET", &format!("/api/v3{files}"), &headers, None, false)
        .unwrap();
    assert_eq!(ok.status, 200);
    assert_violations(&fake, &["a token other than the one given"]);
}

#[test]
fn deny_writes_answers_403_naming_the_permission() {
    let fake = FakeGitHub::start(Setup {
        deny_writes: true,
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let check = c.call(
        "POST",
        &format!("{REPO}/check-runs"),
        Some(json!({"name": "packetgate", "head_sha": github::HEAD_SHA})),
    );
    assert_eq!(check.status, 403);
    assert_eq!(
        check.json()["message"],
        "Resource not accessible by integration"
    );
    assert_eq!(
        check.header("x-accepted-github-permissions"),
        Some("checks=write")
    );
    let review = c.call(
        "POST",
        &format!("{REPO}/pulls/2/reviews"),
        Some(json!({"event": "COMMENT", "body": "b"})),
    );
    assert_eq!(
        review.header("x-accepted-github-permissions"),
        Some("pull_requests=write")
    );
    // Reads still work on a read-only token.
    assert_eq!(
        c.call("GET", &format!("{REPO}/pulls/2/files"), None).status,
        200
    );
    assert!(fake.check_runs().is_empty() && fake.reviews().is_empty());
    fake.assert_no_violations();
}

#[test]
fn reviews_follow_githubs_rules() {
    let patch = "@@ -1,3 +1,4 @@\n {\n-  \"budget\": 1\n+  \"budget\": 2,\n+  \"x\": 3\n }";
    let fake = FakeGitHub::start(Setup {
        files: vec![PrFile::modified("b.packet.json", patch)],
        reviews: vec![Review::by_user(7, "Codertocat", "COMMENTED", "looks fine")],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let reviews = format!("{REPO}/pulls/2/reviews");

    let approve = c.call("POST", &reviews, Some(json!({"event": "APPROVE"})));
    assert_eq!(approve.status, 422);
    assert_eq!(
        approve.json()["errors"][0],
        "GitHub Actions is not permitted to approve pull requests."
    );

    let outside_diff = c.call(
        "POST",
        &reviews,
        Some(json!({"event": "COMMENT", "body": "b",
                    "comments": [{"path": "b.packet.json", "line": 9, "body": "here"}]})),
    );
    assert_eq!(outside_diff.status, 422);

    let changes = c.call(
        "POST",
        &reviews,
        Some(json!({"event": "REQUEST_CHANGES", "body": "budget too high",
                    "commit_id": github::HEAD_SHA,
                    "comments": [{"path": "b.packet.json", "line": 3, "side": "RIGHT", "body": "here"},
                                 {"path": "b.packet.json", "line": 2, "side": "LEFT", "body": "was"}]})),
    );
    assert_eq!(changes.status, 200, "{}", changes.text());
    assert_eq!(changes.json()["state"], "CHANGES_REQUESTED");
    let id = changes.json()["id"].as_u64().unwrap();

    let commented = c.call(
        "PUT",
        &format!("{reviews}/7/dismissals"),
        Some(json!({"message": "stale", "event": "DISMISS"})),
    );
    assert_eq!(commented.status, 422);

    let dismissed = c.call(
        "PUT",
        &format!("{reviews}/{id}/dismissals"),
        Some(json!({"message": "resolved", "event": "DISMISS"})),
    );
    assert_eq!(dismissed.status, 200);
    assert_eq!(dismissed.json()["state"], "DISMISSED");

    let listed = c.call("GET", &reviews, None).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let now = fake.reviews();
    assert_eq!(now[1].state, "DISMISSED");
    assert_eq!(now[1].login, github::BOT_LOGIN);
    assert_eq!(now[1].comments.len(), 2);
    assert_violations(
        &fake,
        &[
            "not permitted to approve",
            "line 9 (RIGHT) is not part of the diff",
            "Can not dismiss a commented pull request review",
        ],
    );
}

#[test]
fn payloads_load_from_the_contracts_folder() {
    let opened = github::payload("pull_request.opened.payload.json");
    assert_eq!(opened["pull_request"]["head"]["sha"], github::HEAD_SHA);
    let fork = github::payload("pull_request.opened.fork.derived.json");
    assert!(fork.get("_derived_note").is_some());
    assert!(github::contracts_dir().join("NOTES.md").is_file());

    // The PR the fake serves is the payload's, and it passes the response schema.
    let fake = FakeGitHub::start(Setup::default());
    let pr = Client::connect(&fake).call("GET", &format!("{REPO}/pulls/2"), None);
    assert_eq!(pr.json()["head"]["sha"], github::HEAD_SHA);
    fake.assert_no_violations();
}

#[test]
fn duplicated_single_value_headers_and_oversize_bodies_are_refused() {
    let fake = FakeGitHub::start(Setup {
        files: vec![PrFile::added("b.md", "@@ -0,0 +1,2 @@\n+a\n+b")],
        ..Setup::default()
    });
    let mut c = Client::connect(&fake);
    let files = format!("/api/v3{REPO}/pulls/2/files");
    // What octocrab's default client sends beside a caller's own User-Agent and version.
    let mut twice = default_headers();
    twice.push(("User-Agent", "octocrab"));
    let agents = c.send("GET", &files, &twice, None, false).unwrap();
    assert_eq!(agents.status, 400);
    let mut twice = default_headers();
    twice.push(("X-GitHub-Api-Version", "2022-11-28"));
    assert_eq!(
        c.send("GET", &files, &twice, None, false).unwrap().status,
        400
    );
    let mut unknown = default_headers();
    unknown.retain(|(k, _)| *k != "X-GitHub-Api-Version");
    unknown.push(("X-GitHub-Api-Version", "2022-11-28, 2022-11-28"));
    assert_eq!(
        c.send("GET", &files, &unknown, None, false).unwrap().status,
        400
    );

    // An inline comment: 65,536 characters pass, one more is refused (GitHub counts
    // characters, so 'é' counts once though it is two bytes).
    let review = |body: String| {
        json!({"event": "COMMENT", "body": "see the lines",
               "comments": [{"path": "b.md", "line": 1, "side": "RIGHT", "body": body}]})
    };
    let reviews = format!("{REPO}/pulls/2/reviews");
    let at_limit = c.call("POST", &reviews, Some(review("é".repeat(65_536))));
    assert_eq!(at_limit.status, 200, "{}", at_limit.text());
    let over = c.call("POST", &reviews, Some(review("é".repeat(65_537))));
    assert_eq!(over.status, 422);
    // An annotation message: 64 KB in bytes, so 32,769 two-byte characters are too many.
    let note = |message: String| {
        json!({"name": "packetgate", "head_sha": github::HEAD_SHA, "status": "completed",
               "conclusion": "failure", "output": {"title": "t", "summary": "s",
               "annotations": [{"path": "b.md", "start_line": 1, "end_line": 1,
                                "annotation_level": "failure", "message": message}]}})
    };
    let runs = format!("{REPO}/check-runs");
    assert_eq!(
        c.call("POST", &runs, Some(note("é".repeat(32_768)))).status,
        201
    );
    assert_eq!(
        c.call("POST", &runs, Some(note("é".repeat(32_769)))).status,
        422
    );
    assert_violations(
        &fake,
        &[
            "header `user-agent` sent 2 times (packetgate-test | octocrab)",
            "header `x-github-api-version` sent 2 times",
            "X-GitHub-Api-Version `2022-11-28, 2022-11-28` is no version",
            "comments[0].body has 65537 characters (at most 65536)",
            "output.annotations[0].message is 65538 bytes (at most 64 KB)",
        ],
    );
}

/// The second contract: GitHub's published description (npm `@octokit/openapi`, the
/// operations packetgate uses as vendored in tests/fixtures/openapi). A request it refuses,
/// the fake refuses, even where the slices in the contracts folder would let it through.
#[test]
fn what_the_published_description_refuses_the_fake_refuses() {
    let fake = FakeGitHub::start(Setup::default());
    let mut c = Client::connect(&fake);
    let name = github::published_name();
    let runs = format!("{REPO}/check-runs");
    let run = |extra: Value| {
        let mut body = json!({"name": "packetgate", "head_sha": github::HEAD_SHA,
                              "output": {"title": "t", "summary": "s"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        body
    };
    let mut bad_level = annotation(1);
    bad_level["annotation_level"] = json!("error");
    let bodies = [
        // A conclusion GitHub does not have.
        run(json!({"status": "completed", "conclusion": "passed"})),
        // An annotation level GitHub does not have (`error` is the workflow command's word).
        run(json!({"output": {"title": "t", "summary": "s", "annotations": [bad_level]}})),
        // No head_sha.
        run(json!({"head_sha": null})),
        // The slices (GitHub's upstream description) list `waiting` for Actions' own use;
        // the published description does not list it at all.
        run(json!({"status": "waiting"})),
    ];
    for body in bodies {
        assert_eq!(c.call("POST", &runs, Some(body)).status, 422);
    }
    // A comment body sent as text: the published operation takes JSON only.
    let comments = format!("/api/v3{REPO}/issues/2/comments");
    let mut text = default_headers();
    text.push(("Content-Type", "text/plain"));
    let r = c
        .send("POST", &comments, &text, Some(br#"{"body": "hi"}"#), false)
        .unwrap();
    assert_eq!(r.status, 415, "{}", r.text());

    // Each is refused by the published description on its own, naming what is wrong.
    let recorded = fake.requests();
    let wrong = [
        "/conclusion",
        "/output/annotations/0/annotation_level",
        "\"head_sha\" is a required property",
        "/status",
        "sent as `text/plain`",
    ];
    assert_eq!(recorded.len(), wrong.len());
    for (r, what) in recorded.iter().zip(wrong) {
        let breaches = github::published_breaches(r);
        assert!(
            breaches
                .iter()
                .any(|b| b.contains(name) && b.contains(what)),
            "{what}: {breaches:#?}"
        );
    }
    // One violation per breach: in the slices' words where they see it too.
    assert_violations(
        &fake,
        &[
            "request body breaks the schema: /conclusion",
            "request body breaks the schema: /output/annotations/0/annotation_level",
            "request body breaks the schema: body: \"head_sha\" is a required property",
            &format!("request body breaks {name}: /status: \"waiting\" is not one of"),
            "only GitHub Actions itself may set the status `waiting`",
            &format!("request body sent as `text/plain`, but {name} takes application/json"),
        ],
    );
    assert!(fake.check_runs().is_empty() && fake.comments().is_empty());
}

/// The published description's other refusals, checked on recorded requests directly, and
/// every operation of the slices is one GitHub publishes.
#[test]
fn the_published_description_knows_every_operation_and_parameter() {
    assert_eq!(
        github::slice_operations_not_published(),
        Vec::<String>::new()
    );
    let version = github::published_name()
        .strip_prefix("@octokit/openapi ")
        .expect("named after the npm package");
    assert_eq!(
        github::PUBLISHED_FILE,
        format!("octokit-openapi-{version}.json")
    );
    let request = |method: &str, path: &str, query: &str, body: Value| github::Recorded {
        method: method.into(),
        path: format!("{REPO}{path}"),
        query: query.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
        status: 0,
    };
    let name = github::published_name();
    let cases = [
        (
            request("GET", "/actions/runs", "", Value::Null),
            "no operation of",
        ),
        (
            request("POST", "/pulls/2/files", "", json!({})),
            "no operation of",
        ),
        (
            request("PATCH", "/check-runs/abc", "", json!({"name": "x"})),
            "parameter breaks @octokit/openapi",
        ),
        (
            request("GET", "/issues/2/comments", "since=yesterday", Value::Null),
            "/since: \"yesterday\" is not a \"date-time\"",
        ),
        (
            request("GET", "/pulls/2/files", "per_page=many", Value::Null),
            "/per_page: \"many\" is not of type \"integer\"",
        ),
        (
            request(
                "PUT",
                "/pulls/2/reviews/7/dismissals",
                "",
                json!({"event": "DISMISS"}),
            ),
            "\"message\" is a required property",
        ),
    ];
    for (r, what) in &cases {
        let breaches = github::published_breaches(r);
        assert!(
            breaches
                .iter()
                .any(|b| b.contains(name) && b.contains(what)),
            "{} {}?{}: {what}: {breaches:#?}",
            r.method,
            r.path,
            r.query
        );
    }
    let fine = request(
        "GET",
        "/contents/docs/a%20b.md",
        "ref=0123456789abcdef0123456789abcdef01234567",
        Value::Null,
    );
    assert_eq!(github::published_breaches(&fine), Vec::<String>::new());
}

/// The remote audit's routes, octocrab aside: the org listing pages, the tarball's 302 to a
/// download on the same server whose archive holds the commit and the files under
/// `owner-repo-<sha7>/`, a download that carries the token is a violation, and issues are
/// listed with the pull request among them.
#[test]
fn an_org_its_tarballs_and_issues() {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let fake = FakeGitHub::start(Setup {
        org: Some(github::Org {
            name: "acme".into(),
            repos: (0..3)
                .map(|i| {
                    github::FakeRepo::new(
                        &format!("r{i}"),
                        commit,
                        vec![github::RepoFile::text("a/b.md", "hello\n")],
                    )
                })
                .collect(),
        }),
        ..Setup::default()
    });
    let mut client = Client::connect(&fake);
    let page = client.call("GET", "/orgs/acme/repos?per_page=2", None);
    assert_eq!(page.status, 200);
    assert_eq!(page.json().as_array().unwrap().len(), 2);
    assert!(page
        .header("link")
        .unwrap()
        .contains("page=2>; rel=\"next\""));
    let repo = client.call("GET", "/repos/acme/r1", None);
    assert_eq!(repo.json()["default_branch"], "main");

    let redirect = client.call("GET", "/repos/acme/r1/tarball/main", None);
    assert_eq!(redirect.status, 302);
    let location = redirect.header("location").unwrap().to_string();
    let path = &location[location.find("/codeload/").unwrap()..];
    assert_eq!(path, "/codeload/acme/r1/legacy.tar.gz/refs/heads/main");
    assert_eq!(
        client
            .call("GET", "/repos/acme/r1/tarball/nope", None)
            .status,
        404
    );
    let download = client
        .send("GET", path, &[("User-Agent", "x")], None, false)
        .unwrap();
    assert_eq!(download.status, 200);
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(download.body.as_slice()));
    let mut names = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type() == tar::EntryType::XGlobalHeader {
            let pax = entry.pax_extensions().unwrap().unwrap();
            let comment: Vec<String> = pax
                .filter_map(Result::ok)
                .filter(|e| e.key() == Ok("comment"))
                .map(|e| e.value().unwrap().to_string())
                .collect();
            assert_eq!(comment, [commit]);
            continue;
        }
        names.push(entry.path().unwrap().display().to_string());
    }
    assert_eq!(
        names,
        [
            "acme-r1-0123456/",
            "acme-r1-0123456/a/",
            "acme-r1-0123456/a/b.md"
        ]
    );
    fake.assert_no_violations();
    // The token must not follow the redirect.
    let leaked = client
        .send("GET", path, &default_headers(), None, false)
        .unwrap();
    assert_eq!(leaked.status, 200);
    assert_violations(&fake, &["the download carries an Authorization header"]);
    assert_eq!(fake.requests_per_repo()["acme/r1"], 5);

    let issues = client.call(
        "GET",
        "/repos/Codertocat/Hello-World/issues?state=all",
        None,
    );
    let listed = issues.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed[0]["pull_request"].is_object(),
        "the pull request is listed"
    );
    let created = client.call(
        "POST",
        "/repos/Codertocat/Hello-World/issues",
        Some(json!({"title": "Packet health", "body": "x"})),
    );
    assert_eq!(created.status, 201);
    let n = created.json()["number"].as_u64().unwrap();
    let closed = client.call(
        "PATCH",
        &format!("/repos/Codertocat/Hello-World/issues/{n}"),
        Some(json!({"state": "closed", "state_reason": "completed"})),
    );
    assert_eq!(closed.json()["state"], "closed");
    assert_eq!(closed.json()["state_reason"], "completed");
    let bad = client.call(
        "PATCH",
        &format!("/repos/Codertocat/Hello-World/issues/{n}"),
        Some(json!({"state": "finished"})),
    );
    assert_eq!(bad.status, 422);
    assert!(
        fake.violations()[1].contains("state"),
        "{:#?}",
        fake.violations()
    );
}
