//! A stateful fake of the GitHub REST API for integration tests: std threads, HTTP/1.1, loopback.
//!
//! `packetgate github` talks to GitHub through octocrab; these tests point it at this server
//! instead (`GITHUB_API_URL=fake.api_url()`). The server keeps the state a real pull request
//! would have (changed files, issue comments, reviews, check runs), answers the way GitHub
//! does (status codes, `Link` pagination, rate-limit headers, the 403/422 messages the notes in
//! the contracts folder describe) and checks every request against the contract: the route and
//! method must exist in the two OpenAPI slices (or, for the remote audit's operations they lack,
//! in the published description's slice of them), path and query parameters and the JSON body must
//! match their schemas, and the limits GitHub enforces outside the schemas (annotation titles,
//! columns, body sizes, who may approve, which lines a review comment may target) are checked
//! too. The same request is then checked against GitHub's published description as well
//! (npm `@octokit/openapi`: the operations packetgate uses, each as published, vendored in
//! `tests/fixtures/openapi/` by `scripts/openapi-extract.py`): an operation it lacks, or
//! parameters, a body media type or a JSON body it refuses, are breaches too (one violation
//! per breach, in the slices' words when both see it; [`published_breaches`] checks a
//! recorded request against it alone). Every breach is answered the way GitHub would answer
//! it *and* recorded, so a test ends with `fake.assert_no_violations()` and catches a client
//! that only works against a lenient server. The fake also checks its own JSON answers
//! against the slices' response schemas, so drift between the fake and the contract shows up
//! as a violation rather than as a passing test.
//!
//! Include it with `#[path = "support/github/mod.rs"] mod github;` — it depends on nothing
//! else in `tests/support`.
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
//!
//! The parts: `setup` and `recorded` hold the public types a test builds and reads, `server`
//! the running fake, `fixtures` the contracts folder, its payloads and the published
//! description, `openapi` the contracts and their validators, `http` and `reply` the wire,
//! `state`, `handle`, `check`, `published` and `rules` what happens to every request, and
//! `routes` with `checks`, `comments`, `reviews` and `pulls` the answer of each operation;
//! `org` (an org's repositories, their tarballs and downloads) and `issues` serve the remote
//! audit.
#![allow(dead_code)]

mod check;
mod checks;
mod comments;
mod fixtures;
mod handle;
mod http;
mod issues;
mod openapi;
mod org;
mod published;
mod pulls;
mod recorded;
mod reply;
mod reviews;
mod routes;
mod rules;
mod server;
mod setup;
mod state;
mod util;

pub use fixtures::{contracts_dir, payload};
pub use issues::Issue;
pub use org::CODELOAD_PREFIX;
// Only the remote audit's tests read these.
#[allow(unused_imports)]
pub use org::{archive_of, pax_record, FakeRepo, Org, RepoFile};
// Only the tests of the fake itself read these.
#[allow(unused_imports)]
pub use fixtures::PUBLISHED_FILE;
#[allow(unused_imports)]
pub use published::{published_breaches, published_name, slice_operations_not_published};
pub use recorded::{Annotation, CheckRun, Recorded};
pub use server::FakeGitHub;
pub use setup::{Comment, Fault, FaultReply, PrFile, Review, Setup};

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
