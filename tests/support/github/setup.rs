//! What a test hands the fake before it starts: the pull request ([`Setup`]), its changed
//! files, comments and reviews, and the failures to script ([`Fault`], [`FaultReply`]).

use std::time::Duration;

use serde_json::Value;

use super::{payload, Issue, Org, BOT_LOGIN, HEAD_SHA, OWNER, PULL_NUMBER, REPO};

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
    /// Issues already in the repository (the pull request is listed among them as well).
    pub issues: Vec<Issue>,
    /// An org of repositories for the remote audit (`GET /orgs/{org}/repos`, each
    /// repository, its tarball and download).
    pub org: Option<Org>,
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
            issues: Vec::new(),
            org: None,
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
    /// The file's git blob id at the head; `None`: a stable stand-in.
    pub sha: Option<String>,
}

impl PrFile {
    pub fn new(filename: &str, status: &str, patch: Option<&str>) -> PrFile {
        PrFile {
            filename: filename.into(),
            status: status.into(),
            previous_filename: None,
            patch: patch.map(str::to_string),
            sha: None,
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
    pub(super) fn line_counts(&self) -> (u64, u64) {
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
