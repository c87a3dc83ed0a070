//! The running fake ([`FakeGitHub`]): binds 127.0.0.1, accepts connections on a thread of
//! its own, and gives the test the state the requests left behind.

use std::fmt;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::http::serve_connection;
use super::openapi::{contract, published};
use super::state::{method_matches, Shared, State};
use super::{CheckRun, Comment, Issue, PrFile, Recorded, Review, Setup, CODELOAD_PREFIX};

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
        // Load and check the contracts now, so a missing file fails here and not in a thread.
        contract();
        published();
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

    /// The repository's issues now (the pull request among them), by number.
    pub fn issues(&self) -> Vec<Issue> {
        let mut issues = self.lock().issues.clone();
        issues.sort_by_key(|i| i.number);
        issues
    }

    /// Requests per repository, `owner/name` lower-cased: the API's `/repos/{o}/{r}…` and
    /// the downloads under `/codeload/{o}/{r}/…`. The org listing (`/orgs/…`) is no one
    /// repository's: count it with [`FakeGitHub::count`].
    pub fn requests_per_repo(&self) -> std::collections::BTreeMap<String, usize> {
        let mut out = std::collections::BTreeMap::new();
        for r in &self.lock().requests {
            let rest = r
                .path
                .strip_prefix("/repos/")
                .or_else(|| r.path.strip_prefix(&format!("{CODELOAD_PREFIX}/")));
            let mut parts = rest.unwrap_or_default().split('/');
            if let (Some(owner), Some(name)) = (parts.next(), parts.next()) {
                if !owner.is_empty() && !name.is_empty() {
                    *out.entry(format!("{owner}/{name}").to_ascii_lowercase())
                        .or_insert(0) += 1;
                }
            }
        }
        out
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
