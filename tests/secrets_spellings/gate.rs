//! The pull-request gate for `tests/secrets_spellings.rs`: a git repository whose head adds the
//! generated files, the event of the pull request's opening, and a runner that starts
//! `packetgate github` and keeps everything it printed or wrote.

use super::cases::Case;
use super::fake;
use super::support::{bin, scratch, TODAY};
use std::collections::HashMap;
use std::path::PathBuf;

use super::support::gate::git;

/// A repository whose base commit holds a README and whose head adds `cases`; the pull
/// request's files as GitHub would list them, and the event of its opening.
pub struct PullRequest {
    pub dir: PathBuf,
    pub head: String,
    pub files: Vec<fake::PrFile>,
    pub event: PathBuf,
}

pub fn pull_request(name: &str, cases: &[&Case]) -> PullRequest {
    let top = scratch(name);
    let dir = top.join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    std::fs::write(dir.join("README.md"), "# budgets\n").unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "base"]);
    let base = git(&dir, &["rev-parse", "HEAD"]);
    for c in cases {
        std::fs::write(dir.join(&c.name), &c.text).unwrap();
    }
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "head"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let blobs: HashMap<String, String> = git(&dir, &["ls-tree", "HEAD"])
        .lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once('\t')?;
            Some((path.to_string(), meta.split(' ').nth(2)?.to_string()))
        })
        .collect();
    let files = cases
        .iter()
        .map(|c| {
            let lines: Vec<String> = c.text.lines().map(|l| format!("+{l}")).collect();
            let patch = format!("@@ -0,0 +1,{} @@\n{}", lines.len(), lines.join("\n"));
            let mut f = fake::PrFile::added(&c.name, &patch);
            f.sha = blobs.get(&c.name).cloned();
            f
        })
        .collect();
    let mut payload = fake::payload("pull_request.opened.payload.json");
    if let Some(o) = payload.as_object_mut() {
        o.remove("_derived_note");
    }
    payload["pull_request"]["head"]["sha"] = head.clone().into();
    payload["pull_request"]["base"]["sha"] = base.into();
    payload["pull_request"]["updated_at"] = "2026-11-20T12:00:00Z".into();
    let event = top.join("event.json");
    std::fs::write(&event, serde_json::to_string(&payload).unwrap()).unwrap();
    PullRequest {
        dir,
        head,
        files,
        event,
    }
}

/// `packetgate github ARGS…` in the pull request's clone, as a runner starts it; what it
/// printed, and every file it wrote in the runner's folder.
pub fn gate(
    pr: &PullRequest,
    args: &[&str],
    env: &[(&str, String)],
) -> (i32, Vec<(String, String)>) {
    let runner = pr.dir.parent().unwrap().join("runner");
    let _ = std::fs::remove_dir_all(&runner);
    std::fs::create_dir_all(&runner).unwrap();
    let out = bin()
        .args(["github", "--offline", "--today", TODAY, "--event"])
        .arg(&pr.event)
        .args(args)
        .current_dir(&pr.dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &runner)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_SHA", "0123456789012345678901234567890123456789")
        .env("GITHUB_WORKSPACE", &pr.dir)
        .env("GITHUB_STEP_SUMMARY", runner.join("summary.md"))
        .env("GITHUB_OUTPUT", runner.join("output.txt"))
        .env("GITHUB_RUN_ID", "4242")
        .env("RUNNER_TEMP", &runner)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run packetgate github");
    let mut texts = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for entry in std::fs::read_dir(&runner).unwrap().filter_map(Result::ok) {
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            texts.push((entry.file_name().to_string_lossy().into_owned(), text));
        }
    }
    (out.status.code().unwrap_or(-1), texts)
}
