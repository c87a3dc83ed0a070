//! What the connection threads share: the setup, the state the requests change (pull
//! request head, files, comments, reviews, check runs, faults, the record of requests and
//! violations), and the URLs the fake answers with.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use super::{
    CheckRun, Comment, Fault, FaultReply, Issue, PrFile, Recorded, Review, Setup, API_PREFIX,
};

pub(super) struct Shared {
    pub(super) addr: SocketAddr,
    pub(super) setup: Setup,
    pub(super) state: Mutex<State>,
    pub(super) stop: AtomicBool,
}

pub(super) struct State {
    /// The PR head now, and every head it has had (the commits GitHub would find).
    pub(super) head_sha: String,
    pub(super) commits: Vec<String>,
    pub(super) files: Vec<PrFile>,
    pub(super) requests: Vec<Recorded>,
    pub(super) violations: Vec<String>,
    pub(super) check_runs: Vec<CheckRun>,
    pub(super) comments: Vec<Comment>,
    pub(super) reviews: Vec<Review>,
    /// The repository's issues, the pull request among them.
    pub(super) issues: Vec<Issue>,
    /// Each fault with how many times it has fired.
    faults: Vec<(Fault, usize)>,
    pub(super) next_check_run: u64,
    pub(super) next_comment: u64,
    pub(super) next_review: u64,
}

impl State {
    pub(super) fn new(setup: &Setup) -> State {
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
            issues: {
                let mut issues = setup.issues.clone();
                if !issues.iter().any(|i| i.number == setup.pull_number) {
                    let title = setup.pull_request["title"].as_str().unwrap_or("");
                    let body = setup.pull_request["body"].as_str().unwrap_or("");
                    issues.push(Issue {
                        is_pull: true,
                        ..Issue::by_user(setup.pull_number, &setup.owner, title, body)
                    });
                }
                issues
            },
            faults: setup.faults.iter().map(|f| (f.clone(), 0)).collect(),
            next_check_run: 4_000_001,
            next_comment: after(&mut setup.comments.iter().map(|c| c.id), 1_000_000),
            next_review: after(&mut setup.reviews.iter().map(|r| r.id), 2_000_000),
        }
    }

    pub(super) fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultReply> {
        let (fault, fired) = self.faults.iter_mut().find(|(f, fired)| {
            *fired < f.times
                && method_matches(&f.method, method)
                && path.starts_with(&f.path_prefix)
        })?;
        *fired += 1;
        Some(fault.reply.clone())
    }
}

impl Shared {
    pub(super) fn api_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    pub(super) fn web_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(super) fn repo_api(&self) -> String {
        format!(
            "{}/repos/{}/{}",
            self.api_url(),
            self.setup.owner,
            self.setup.repo
        )
    }

    pub(super) fn repo_web(&self) -> String {
        format!(
            "{}/{}/{}",
            self.web_url(),
            self.setup.owner,
            self.setup.repo
        )
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}
