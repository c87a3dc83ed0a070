//! The gate reads the pull request's head, always, or fails: past GitHub's 3,000-file list
//! cap the changed files come from git (hidden folders included), else the check fails
//! naming the cap; a changed file stops being a packet only if its base version was none,
//! read at the base rather than guessed from a diff GitHub may leave out; symbolic links
//! that are no packets are ignored like any non-packet; fetched head copies are gone when
//! the run ends. Real binary, fake GitHub API, real git repositories.

#[path = "support/github/mod.rs"]
mod fake;
mod support;

use fake::{FakeGitHub, PrFile, Setup};
use serde_json::Value;
use support::gate::{self, example, invalid, valid, Gate, Repo};

/// The pull request's files as GitHub lists them (blob ids at the head, an added patch).
fn listed(repo: &Repo, base: &str, head: &str) -> Vec<PrFile> {
    let raw = repo.git(&["diff", "--name-status", "--no-renames", base, head]);
    raw.lines()
        .map(|l| {
            let (st, path) = l.split_once('\t').unwrap();
            let mut f = match st {
                "A" => PrFile::added(path, "@@ -0,0 +1 @@\n+x"),
                "D" => PrFile::removed(path),
                _ => PrFile::modified(path, "@@ -1 +1 @@\n-x\n+y"),
            };
            if st != "D" {
                f.sha = Some(repo.blob(head, path));
            }
            f
        })
        .collect()
}

fn pr_event(repo: &Repo, base: &str, head: &str, changed: usize) -> std::path::PathBuf {
    let mut p = fake::payload("pull_request.opened.payload.json");
    p["pull_request"]["head"]["sha"] = head.into();
    p["pull_request"]["base"]["sha"] = base.into();
    p["pull_request"]["changed_files"] = changed.into();
    repo.event(&format!("pr-{}.json", &head[..7]), &p)
}

fn start(head: &str, files: Vec<PrFile>) -> FakeGitHub {
    FakeGitHub::start(Setup {
        head_sha: head.into(),
        files,
        token: Some("test-token".into()),
        ..Setup::default()
    })
}

fn run(dir: &std::path::Path, server: &FakeGitHub, ev: &std::path::Path, name: &str) -> Gate {
    gate::run(
        dir,
        &server.api_url(),
        ev,
        &[("GITHUB_EVENT_NAME", name)],
        &["--comment-mode", "off"],
    )
}

fn annotated(server: &FakeGitHub) -> Vec<String> {
    let mut paths: Vec<String> = server.check_runs()[0]
        .annotations
        .iter()
        .map(|a| a.path.clone())
        .collect();
    paths.dedup();
    paths
}

/// 3,000 ordinary files first, then a failing packet in a hidden folder: past the cap.
fn over_the_cap(name: &str) -> (Repo, String, String) {
    let repo = Repo::new(name);
    repo.write("README.md", "# budgets\n")
        .write("budgets/ok.yaml", &valid());
    let base = repo.commit("base");
    for i in 0..3000 {
        repo.write(&format!("src/f{i:04}.txt"), &format!("{i}\n"));
    }
    repo.write(".budgets/hidden.md", &invalid());
    let head = repo.commit("head");
    (repo, base, head)
}

#[test]
fn past_the_file_cap_the_changed_files_come_from_git_hidden_folders_included() {
    let (repo, base, head) = over_the_cap("cap-git");
    let mut files = listed(&repo, &base, &head);
    // Listed last, so the packet is the one file past GitHub's cap.
    files.sort_by_key(|f| f.filename.starts_with('.'));
    assert_eq!(files.len(), 3001);
    assert_eq!(files.last().unwrap().filename, ".budgets/hidden.md");
    let server = start(&head, files);
    // The base checked out, as pull_request_target does: the workspace has no such packet.
    repo.git(&["checkout", "-q", &base]);
    let ev = pr_event(&repo, &base, &head, 3001);
    let g = run(&repo.dir, &server, &ev, "pull_request_target");
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let check = &server.check_runs()[0];
    assert_eq!(check.head_sha, head);
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert_eq!(annotated(&server), [".budgets/hidden.md"]);
    assert!(check
        .summary
        .as_deref()
        .unwrap()
        .contains("the changed files came from git"));
    assert_eq!(
        server.count("GET", "/repos/Codertocat/Hello-World/pulls/2/files"),
        30
    );
    // The head's copy was fetched into a temporary folder, gone now.
    let tmp = repo.top.join("runner/tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in {}: {left:?}", tmp.display());
}

#[test]
fn past_the_file_cap_without_the_commits_in_the_clone_the_check_fails_naming_the_cap() {
    let (repo, base, head) = over_the_cap("cap-fail");
    let server = start(&head, listed(&repo, &base, &head));
    // A checkout of something else entirely, with no `origin` to fetch from.
    let other = Repo::new("cap-fail-other");
    other.write("README.md", "# elsewhere\n");
    other.commit("other");
    let ev = pr_event(&repo, &base, &head, 3001);
    let g = run(&other.dir, &server, &ev, "pull_request");
    assert_eq!(g.code, 2, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1, "never left without a check");
    assert_eq!(runs[0].head_sha, head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(
        runs[0].title.as_deref(),
        Some("This pull request changes more files than GitHub lists (3000)")
    );
    assert!(g
        .stdout
        .contains("::error title=This pull request changes more files"));
    assert_eq!(g.output("conclusion"), "failure");
}

#[test]
fn a_modified_file_stops_being_a_packet_only_if_its_base_version_was_none() {
    let repo = Repo::new("were-packets");
    let md = example("valid/budget-change-raise-support-bot.md");
    repo.write("README.md", "# budgets\n")
        .write("budgets/a.md", &md)
        .write(
            "docs/notes.md",
            "# Notes\n\nNothing here declares anything.\n",
        );
    let base = repo.commit("base");
    // The packet drops its declaration; the notes change, still no packet.
    repo.write(
        "budgets/a.md",
        &invalid().replacen("packet: budget-change\n", "", 1),
    )
    .write("docs/notes.md", "# Notes\n\nStill nothing.\n");
    let head = repo.commit("head");
    let mut files = listed(&repo, &base, &head);
    for f in &mut files {
        f.patch = match f.filename.as_str() {
            // GitHub leaves the patch out of large diffs.
            "budgets/a.md" => None,
            // A diff that claims a declaration the base never had is not believed.
            _ => Some("@@ -1,2 +1,2 @@\n-packet: budget-change\n+# Notes".into()),
        };
    }
    let server = start(&head, files);
    let ev = pr_event(&repo, &base, &head, 2);
    let g = run(&repo.dir, &server, &ev, "pull_request");
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    assert_eq!(annotated(&server), ["budgets/a.md"]);
    assert_eq!(g.output("packets"), "1");
}

#[cfg(unix)]
#[test]
fn symbolic_links_that_are_no_packets_are_ignored_and_linked_packets_refused() {
    let repo = Repo::new("links");
    repo.write("README.md", "# budgets\n")
        .write("budgets/ok.yaml", &valid());
    let base = repo.commit("base");
    repo.symlink("docs/index.md", "../README.md");
    let docs = repo.commit("docs link");
    let server = start(&docs, listed(&repo, &base, &docs));
    let ev = pr_event(&repo, &base, &docs, 1);
    let g = run(&repo.dir, &server, &ev, "pull_request");
    assert_eq!(g.code, 0, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let check = &server.check_runs()[0];
    assert_eq!(check.conclusion.as_deref(), Some("neutral"), "{check:?}");
    // A link to a packet inside the repository is a packet, and is refused.
    repo.symlink("budgets/alias.yaml", "ok.yaml");
    let alias = repo.commit("packet link");
    let server = start(&alias, listed(&repo, &base, &alias));
    let ev = pr_event(&repo, &base, &alias, 2);
    let g = run(&repo.dir, &server, &ev, "pull_request");
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    assert_eq!(annotated(&server), ["budgets/alias.yaml"]);
    let sent: Value = serde_json::to_value(
        server.check_runs()[0]
            .annotations
            .iter()
            .map(|a| a.message.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(sent.to_string().contains("symbolic link"), "{sent}");
}

fn limited(name: &str, env: &[(&str, &str)], delay_files: bool) -> (Gate, FakeGitHub, String) {
    let repo = Repo::new(name);
    repo.write("README.md", "# budgets\n");
    let base = repo.commit("base");
    repo.write("budgets/ok.yaml", &valid());
    let head = repo.commit("head");
    let mut setup = Setup {
        head_sha: head.clone(),
        files: listed(&repo, &base, &head),
        token: Some("test-token".into()),
        ..Setup::default()
    };
    if delay_files {
        setup.faults = vec![fake::Fault::new(
            "GET",
            "/repos/Codertocat/Hello-World/pulls/2/files",
            1,
            fake::FaultReply::Delay(std::time::Duration::from_secs(5)),
        )];
    }
    let server = FakeGitHub::start(setup);
    let ev = pr_event(&repo, &base, &head, 1);
    let g = gate::run(&repo.dir, &server.api_url(), &ev, env, &[]);
    (g, server, head)
}

#[test]
fn judging_that_runs_out_of_time_still_writes_a_failing_check() {
    let started = std::time::Instant::now();
    let (g, server, head) = limited("time-limit", &[("PACKETGATE_TIME_LIMIT_SECS", "1")], true);
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(g.code, 2, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].head_sha, head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(
        runs[0].title.as_deref(),
        Some("packetgate ran out of time (1 s)")
    );
}

#[test]
fn judging_that_hits_the_memory_ceiling_still_writes_a_failing_check() {
    let (g, server, head) = limited("memory-limit", &[("PACKETGATE_MEMORY_MB", "16")], false);
    assert_eq!(g.code, 2, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1, "{}", g.stderr);
    assert_eq!(runs[0].head_sha, head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert!(
        runs[0]
            .title
            .as_deref()
            .unwrap()
            .contains("memory ceiling 16 MB"),
        "{:?}",
        runs[0].title
    );
}
