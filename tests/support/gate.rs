//! Running `packetgate github` against the fake GitHub from a scratch git repository, for
//! the event tests (`tests/github_events.rs`): a repository whose base and head differ, and
//! a runner environment with nothing of the machine's own leaking in.
#![allow(dead_code)]

use super::{bin, root, scratch, TODAY};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn example(rel: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(rel)).unwrap()
}

/// Five findings: three missing fields, two invalid values.
pub fn invalid() -> String {
    example("invalid/budget-change-approved-incomplete.md")
}

pub fn valid() -> String {
    example("valid/budget-change-new-request-class.yaml")
}

/// A scratch repository: `top/repo`, with room beside it for events and the runner's files.
#[derive(Debug)]
pub struct Repo {
    pub top: PathBuf,
    pub dir: PathBuf,
}

impl Repo {
    pub fn new(name: &str) -> Repo {
        let top = scratch(&format!("gate-{name}"));
        let dir = top.join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q"]);
        Repo { top, dir }
    }

    pub fn write(&self, path: &str, text: &str) -> &Repo {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &Repo {
        std::fs::remove_file(self.dir.join(path)).unwrap();
        self
    }

    #[cfg(unix)]
    pub fn symlink(&self, path: &str, target: &str) -> &Repo {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }

    /// Commits everything and returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "-qm", message, "--allow-empty"]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.dir, args)
    }

    /// The blob id of `path` at `rev`, as GitHub's file list gives it.
    pub fn blob(&self, rev: &str, path: &str) -> String {
        self.git(&["rev-parse", &format!("{rev}:{path}")])
    }

    pub fn event(&self, name: &str, payload: &serde_json::Value) -> PathBuf {
        let path = self.top.join(name);
        std::fs::write(&path, serde_json::to_string(payload).unwrap()).unwrap();
        path
    }
}

#[derive(Debug)]
pub struct Gate {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub summary: String,
    pub outputs: HashMap<String, String>,
}

impl Gate {
    pub fn output(&self, key: &str) -> &str {
        self.outputs.get(key).map(String::as_str).unwrap_or("")
    }
}

/// The runner: `GITHUB_EVENT_NAME`, `GITHUB_REPOSITORY` and `GITHUB_SHA` as given, the
/// workspace `dir`, `TMPDIR` a folder of its own (`runner/tmp`, to see what is left there).
pub fn run(dir: &Path, api_url: &str, event: &Path, env: &[(&str, &str)], args: &[&str]) -> Gate {
    let runner = dir.parent().unwrap().join("runner");
    let _ = std::fs::remove_dir_all(&runner);
    std::fs::create_dir_all(runner.join("tmp")).unwrap();
    let summary = runner.join("summary.md");
    let output = runner.join("output.txt");
    let out = bin()
        .arg("github")
        .args(["--offline", "--today", TODAY])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &runner)
        .env("TMPDIR", runner.join("tmp"))
        .env("GITHUB_API_URL", api_url)
        .env("GITHUB_TOKEN", "test-token")
        .env("GITHUB_EVENT_PATH", event)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_SHA", "0123456789012345678901234567890123456789")
        .env("GITHUB_WORKSPACE", dir)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_RUN_ID", "4242")
        .env("RUNNER_TEMP", &runner)
        .envs(env.iter().copied())
        .output()
        .expect("run packetgate github");
    Gate {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}
