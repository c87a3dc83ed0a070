//! The pull-request gate end to end: the real binary, a real git repository per scenario,
//! GitHub's real webhook payloads, and a fake GitHub API on 127.0.0.1 that checks every
//! request body against GitHub's published REST description (`GITHUB_API_URL` points at
//! it, GHES-style, with an `/api/v3` path). Each scenario also pins the number of requests.

#[path = "support/github/mod.rs"]
mod fake;
mod support;

use fake::{Comment, FakeGitHub, Fault, FaultReply, PrFile, Setup};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{root, scratch, TODAY};

fn example(rel: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(rel)).unwrap()
}

fn valid() -> String {
    example("valid/budget-change-new-request-class.yaml")
}

/// A passing Markdown packet, to fix an invalid one in place.
fn valid_md() -> String {
    example("valid/budget-change-raise-support-bot.md")
}

/// Five findings: three missing fields, two invalid values.
fn invalid() -> String {
    example("invalid/budget-change-approved-incomplete.md")
}

use support::gate::{git, Gate};

enum Edit<'a> {
    Write(&'a str, String),
    Remove(&'a str),
    Rename(&'a str, &'a str),
}

/// A repository with a base commit and a pull request's head commit on top.
struct Repo {
    dir: PathBuf,
    base: String,
    head: String,
    /// The pull request's files as GitHub lists them.
    files: Vec<PrFile>,
}

fn added_patch(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| format!("+{l}")).collect();
    format!("@@ -0,0 +1,{} @@\n{}", lines.len(), lines.join("\n"))
}

fn repo(name: &str, base_files: &[(&str, String)], edits: &[Edit<'_>]) -> Repo {
    let top = scratch(&format!("github-{name}"));
    let dir = top.join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    std::fs::write(dir.join("README.md"), "# budgets\n").unwrap();
    for (path, text) in base_files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "base"]);
    let base = git(&dir, &["rev-parse", "HEAD"]);
    let mut files = Vec::new();
    for e in edits {
        match e {
            Edit::Write(path, text) => {
                let p = dir.join(path);
                let existed = p.exists();
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, text).unwrap();
                files.push(if existed {
                    PrFile::modified(path, &added_patch(text))
                } else {
                    PrFile::added(path, &added_patch(text))
                });
            }
            Edit::Remove(path) => {
                std::fs::remove_file(dir.join(path)).unwrap();
                files.push(PrFile::removed(path));
            }
            Edit::Rename(from, to) => {
                let to_path = dir.join(to);
                std::fs::create_dir_all(to_path.parent().unwrap()).unwrap();
                std::fs::rename(dir.join(from), to_path).unwrap();
                files.push(PrFile::renamed(from, to, None));
            }
        }
    }
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "head"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    // GitHub lists each file's blob id at the head; the gate checks the workspace against it.
    for f in files.iter_mut().filter(|f| f.status != "removed") {
        f.sha = Some(git(&dir, &["rev-parse", &format!("HEAD:{}", f.filename)]));
    }
    Repo {
        dir,
        base,
        head,
        files,
    }
}

/// The `opened` payload, pointed at this repository's commits.
fn event(repo: &Repo, file: &str, head: &str, updated_at: &str) -> PathBuf {
    let mut payload = fake::payload(file);
    if let Some(o) = payload.as_object_mut() {
        o.remove("_derived_note");
    }
    payload["pull_request"]["head"]["sha"] = head.into();
    payload["pull_request"]["base"]["sha"] = repo.base.clone().into();
    payload["pull_request"]["updated_at"] = updated_at.into();
    let path = repo
        .dir
        .parent()
        .unwrap()
        .join(format!("event-{}.json", &head[..7]));
    std::fs::write(&path, serde_json::to_string(&payload).unwrap()).unwrap();
    path
}

fn setup(repo: &Repo) -> Setup {
    Setup {
        head_sha: repo.head.clone(),
        files: repo.files.clone(),
        token: Some("test-token".into()),
        ..Setup::default()
    }
}

fn gate(repo: &Repo, server: &FakeGitHub, event: &Path, args: &[&str]) -> Gate {
    gate_in(&repo.dir, server, event, args)
}

fn gate_in(dir: &Path, server: &FakeGitHub, event: &Path, args: &[&str]) -> Gate {
    gate_env(dir, server, event, args, &[])
}

/// `env` overrides the runner's variables (`GITHUB_EVENT_NAME`, `GITHUB_SHA`…).
fn gate_env(
    dir: &Path,
    server: &FakeGitHub,
    event: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Gate {
    support::gate::run(dir, &server.api_url(), event, env, args)
}

/// Method and path of every request, in order (`GET /repos/…/files?page=2`).
fn calls(server: &FakeGitHub) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            let path = r
                .path
                .trim_start_matches("/repos/Codertocat/Hello-World")
                .to_string();
            format!("{} {path}", r.method)
        })
        .collect()
}

const LATER: &str = "2026-11-20T12:00:00Z";

#[test]
fn a_passing_pull_request_gets_a_green_check_and_no_comment() {
    let repo = repo(
        "pass",
        &[],
        &[Edit::Write("budgets/new-class.yaml", valid())],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 0, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].name, "packetgate");
    assert_eq!(runs[0].head_sha, repo.head, "the PR head, not GITHUB_SHA");
    assert_eq!(runs[0].conclusion.as_deref(), Some("success"));
    assert_eq!(runs[0].title.as_deref(), Some("1 packet passes"));
    assert!(runs[0].annotations.is_empty());
    assert!(
        server.comments().is_empty(),
        "nothing to say, so no comment"
    );
    assert_eq!(
        calls(&server),
        [
            "GET /pulls/2/files",
            "POST /check-runs",
            "GET /issues/2/comments"
        ]
    );
    assert_eq!(g.output("verdict"), "pass");
    assert_eq!(g.output("failed-packets"), "0");
    assert!(g.summary.contains("1 packet passes"), "{}", g.summary);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(g.output("report")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "pass");
    assert!(g.stderr.contains("3 GitHub API requests"), "{}", g.stderr);
}

/// 24 packets × 5 findings.
fn failing_edits(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("budgets/change-{i:02}.md"), invalid()))
        .collect()
}

#[test]
fn a_failing_pull_request_sends_120_annotations_in_three_batches() {
    let packets = failing_edits(24);
    let edits: Vec<Edit<'_>> = packets
        .iter()
        .map(|(p, t)| Edit::Write(p, t.clone()))
        .collect();
    let repo = repo("fail120", &[], &edits);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    server.assert_all_published();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(
        run.title.as_deref(),
        Some("24 of 24 packets fail: 72 missing fields, 48 invalid values")
    );
    assert_eq!(
        run.annotations.len(),
        120,
        "every annotation reached GitHub"
    );
    let first = &run.annotations[0];
    assert_eq!(first.path, "budgets/change-00.md");
    assert_eq!((first.start_line, first.end_line), (2, 2));
    assert_eq!(first.annotation_level, "failure");
    // One create with 50, two updates with 50 and 20.
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/check-runs"))
        .map(|r| {
            r.body["output"]["annotations"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .collect();
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(
        calls(&server),
        [
            "GET /pulls/2/files",
            "POST /check-runs",
            &format!("PATCH /check-runs/{}", run.id),
            &format!("PATCH /check-runs/{}", run.id),
            "GET /issues/2/comments",
            "GET /pulls/2",
            "POST /issues/2/comments",
        ]
    );
    let comments = server.comments();
    assert_eq!(comments.len(), 1);
    let body = &comments[0].body;
    assert!(body.contains("<!-- packetgate:sticky"), "{body}");
    assert!(body.contains("**Missing fields**") && body.contains("**Invalid fields**"));
    assert!(body.contains(&format!(
        "[line 2](https://github.com/Codertocat/Hello-World/blob/{}/budgets/change-00.md#L2)",
        repo.head
    )));
    assert!(body.contains("**Fix:** add `unit_metric:`"));
    assert_eq!(g.output("verdict"), "fail");
    assert_eq!(g.output("failed-packets"), "24");
    assert_eq!(g.output("missing-fields"), "72");
    assert_eq!(g.output("invalid-fields"), "48");
    assert!(g.summary.contains("24 of 24 packets fail"));
    // The check run delivered the annotations; the job log carries no duplicates.
    assert!(!g.stdout.contains("::error"), "{}", g.stdout);
}

#[test]
fn reruns_edit_one_comment_turn_it_green_and_never_go_back_in_time() {
    let repo = repo(
        "rerun",
        &[],
        &[
            Edit::Write("budgets/a.md", invalid()),
            Edit::Write("budgets/b.yaml", valid()),
        ],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev1 = event(
        &repo,
        "pull_request.opened.payload.json",
        &repo.head,
        "2026-11-20T10:00:00Z",
    );
    let g = gate(&repo, &server, &ev1, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    let first = server.comments();
    assert_eq!(first.len(), 1);
    assert!(first[0].body.contains("1 of 2 packets fails"));

    // The author fixes one field and pushes: the same comment is edited.
    let fixed_one = invalid().replace("approver_initials", "approver_initials: MK\n#");
    std::fs::write(repo.dir.join("budgets/a.md"), &fixed_one).unwrap();
    git(&repo.dir, &["commit", "-qam", "fix one"]);
    let head2 = git(&repo.dir, &["rev-parse", "HEAD"]);
    server.set_head_sha(&head2);
    let ev2 = event(
        &repo,
        "pull_request.synchronize.payload.json",
        &head2,
        "2026-11-20T11:00:00Z",
    );
    let g = gate(&repo, &server, &ev2, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    let second = server.comments();
    assert_eq!(second.len(), 1, "edited, not duplicated");
    assert_eq!(second[0].id, first[0].id);
    assert_ne!(second[0].body, first[0].body);
    assert_eq!(
        server.count("POST", "/repos/Codertocat/Hello-World/issues/2/comments"),
        1
    );
    assert_eq!(
        server.count("PATCH", "/repos/Codertocat/Hello-World/issues/comments/"),
        1
    );

    // Everything fixed: the comment turns to a short passing state and the check is green.
    std::fs::write(repo.dir.join("budgets/a.md"), valid_md()).unwrap();
    git(&repo.dir, &["commit", "-qam", "fix all"]);
    let head3 = git(&repo.dir, &["rev-parse", "HEAD"]);
    server.set_head_sha(&head3);
    let ev3 = event(
        &repo,
        "pull_request.synchronize.payload.json",
        &head3,
        "2026-11-20T12:00:00Z",
    );
    let g = gate(&repo, &server, &ev3, &[]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let third = server.comments();
    assert_eq!(third.len(), 1);
    assert!(
        third[0]
            .body
            .contains("## ✅ packetgate: All 2 packets pass"),
        "{}",
        third[0].body
    );
    assert!(!third[0].body.contains("Missing fields"));
    let runs = server.check_runs();
    assert_eq!(runs.last().unwrap().conclusion.as_deref(), Some("success"));
    assert_eq!(runs.last().unwrap().head_sha, head3);

    // A late re-run of the first commit's workflow (which checks out that commit) does not
    // overwrite the newer state.
    git(&repo.dir, &["checkout", "-q", &repo.head]);
    server.set_head_sha(&repo.head);
    let before = server.requests().len();
    let g = gate(&repo, &server, &ev1, &[]);
    assert_eq!(g.code, 1, "its own verdict still stands");
    assert!(g.stderr.contains("written by a newer run"), "{}", g.stderr);
    assert_eq!(server.comments()[0].body, third[0].body);
    let late: Vec<String> = calls(&server)[before..].to_vec();
    assert_eq!(
        late,
        [
            "GET /pulls/2/files",
            "POST /check-runs",
            "GET /issues/2/comments"
        ]
    );
    server.assert_no_violations();
    server.assert_all_published();
}

#[test]
fn a_comment_with_the_marker_from_a_person_is_left_alone() {
    let repo = repo("impostor", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let mut s = setup(&repo);
    s.comments = vec![Comment::by_user(
        77,
        "mallory",
        "<!-- packetgate:sticky name=\"packetgate\" -->\nall good!",
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1);
    let comments = server.comments();
    assert_eq!(comments.len(), 2, "ours is a new comment");
    assert_eq!(
        comments[0].body,
        "<!-- packetgate:sticky name=\"packetgate\" -->\nall good!"
    );
    server.assert_no_violations();
}

#[test]
fn a_250_file_pull_request_is_listed_in_three_pages() {
    let mut edits = vec![Edit::Write("budgets/a.md", invalid())];
    let names: Vec<String> = (0..249).map(|i| format!("src/module_{i:03}.txt")).collect();
    for n in &names {
        edits.push(Edit::Write(n, format!("{n}\n")));
    }
    let repo = repo("files250", &[], &edits);
    assert_eq!(repo.files.len(), 250);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    server.assert_no_violations();
    let pages: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/files"))
        .map(|r| {
            format!(
                "{}|{}",
                r.query_param("per_page").unwrap_or_default(),
                r.query_param("page").unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(pages, ["100|", "100|2", "100|3"]);
    // Three pages, the check run, the comment lookup, the head check, the comment.
    assert_eq!(server.requests().len(), 3 + 1 + 3);
    assert_eq!(server.check_runs()[0].annotations.len(), 5);
}

#[test]
fn removed_packets_are_skipped_and_renamed_ones_judged_under_the_new_name() {
    let repo = repo(
        "renames",
        &[
            ("budgets/gone.md", invalid()),
            ("budgets/old-name.md", invalid()),
        ],
        &[
            Edit::Remove("budgets/gone.md"),
            Edit::Rename("budgets/old-name.md", "budgets/2026/new-name.md"),
        ],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1);
    server.assert_no_violations();
    let run = &server.check_runs()[0];
    let paths: std::collections::BTreeSet<&str> =
        run.annotations.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["budgets/2026/new-name.md"]
    );
    assert_eq!(
        run.title.as_deref(),
        Some("1 of 1 packet fails: 3 missing fields, 2 invalid values")
    );
    assert_eq!(g.output("packets"), "1");
    let summary = run.summary.as_deref().unwrap();
    assert!(summary.contains("Removed by this change, so not judged: `budgets/gone.md`."));
    assert!(summary.contains(
        "Renamed, and judged under the new name: `budgets/old-name.md` → `budgets/2026/new-name.md`."
    ));
}

const BASE_CONFIG: &str = "policies: [policies/acme.yml]\n";
const BASE_POLICY: &str =
    "policy: budget-change\nextends: budget-change\nsettings:\n  max_age_days: 45\n";
const WEAK_POLICY: &str = "policy: budget-change\nextends: budget-change\nrules:\n  - id: bc-required\n    enabled: false\n  - id: bc-approved-complete\n    enabled: false\n  - id: bc-approver-initials\n    enabled: false\n  - id: bc-approved-results\n    enabled: false\n  - id: bc-retry-behavior\n    enabled: false\n";

fn policy_repo(name: &str) -> Repo {
    repo(
        name,
        &[
            (".packetgate.yml", BASE_CONFIG.into()),
            ("policies/acme.yml", BASE_POLICY.into()),
        ],
        &[
            Edit::Write("policies/acme.yml", WEAK_POLICY.into()),
            Edit::Write("budgets/a.md", invalid()),
        ],
    )
}

fn assert_base_policy_used(g: &Gate, server: &FakeGitHub) {
    assert_eq!(
        g.code, 1,
        "the weakened head policy must not pass it\n{}",
        g.stderr
    );
    let run = &server.check_runs()[0];
    assert_eq!(run.annotations.len(), 5, "the base policy's rules all ran");
    let summary = run.summary.as_deref().unwrap_or_default();
    assert!(
        summary.contains("changes `policies/acme.yml`, which configures the gate. It was judged with the base branch's version"),
        "{summary}"
    );
    let comment = &server.comments()[0].body;
    assert!(comment.contains("policies/acme.yml"), "{comment}");
    assert!(g.summary.contains("policies/acme.yml"));
}

#[test]
fn a_policy_changed_in_the_pull_request_is_read_from_the_base_commit() {
    let repo = policy_repo("policy-git");
    // The head really is weaker: `packetgate check` in the workspace passes.
    let local = support::check(&repo.dir, &["budgets/a.md"]);
    assert_eq!(local.code, 0, "{}", local.stdout);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_base_policy_used(&g, &server);
    // The clone has the base commit: git answers, the API is not asked.
    assert_eq!(
        server.count("GET", "/repos/Codertocat/Hello-World/contents"),
        0
    );
    server.assert_no_violations();
}

#[test]
fn without_the_base_commit_in_the_clone_the_base_policy_comes_from_the_contents_api() {
    let repo = policy_repo("policy-api");
    // A checkout without history: the files, no .git.
    let bare = repo.dir.parent().unwrap().join("checkout");
    let _ = std::fs::remove_dir_all(&bare);
    std::fs::create_dir_all(bare.join("policies")).unwrap();
    std::fs::create_dir_all(bare.join("budgets")).unwrap();
    for f in [".packetgate.yml", "policies/acme.yml", "budgets/a.md"] {
        std::fs::copy(repo.dir.join(f), bare.join(f)).unwrap();
    }
    let mut s = setup(&repo);
    s.contents = vec![
        (
            repo.base.clone(),
            ".packetgate.yml".into(),
            BASE_CONFIG.into(),
        ),
        (
            repo.base.clone(),
            "policies/acme.yml".into(),
            BASE_POLICY.into(),
        ),
    ];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate_in(&bare, &server, &ev, &[]);
    assert_base_policy_used(&g, &server);
    let reads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/contents/"))
        .collect();
    // Every config file comes from the base, touched or not: one read each. The changed
    // policy is read at the base once more first, to know whether it was a packet there.
    let paths: Vec<&str> = reads.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/repos/Codertocat/Hello-World/contents/policies/acme.yml",
            "/repos/Codertocat/Hello-World/contents/.packetgate.yml",
            "/repos/Codertocat/Hello-World/contents/policies/acme.yml"
        ]
    );
    for r in &reads {
        assert_eq!(r.query_param("ref").as_deref(), Some(repo.base.as_str()));
    }
    server.assert_no_violations();
    server.assert_all_published();
}

#[test]
fn a_fork_pull_request_with_a_read_only_token_fails_closed() {
    let repo = repo("fork", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let mut s = setup(&repo);
    s.deny_writes = true;
    let server = FakeGitHub::start(s);
    let ev = event(
        &repo,
        "pull_request.opened.fork.derived.json",
        &repo.head,
        LATER,
    );
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(
        g.code, 1,
        "a refused write never turns the status green\n{}",
        g.stderr
    );
    assert!(server.check_runs().is_empty() && server.comments().is_empty());
    // The findings go on the job as workflow commands…
    let errors = g
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error file=budgets/a.md,line="))
        .count();
    assert_eq!(errors, 5, "{}", g.stdout);
    // …and, every one of them, in the job summary.
    assert!(
        g.summary.contains("could not write everything to GitHub"),
        "{}",
        g.summary
    );
    assert!(g.summary.contains("checks=write") || g.summary.contains("checks: write"));
    for line in ["#L2)", "#L18)", "#L20)"] {
        assert!(g.summary.contains(line), "{line}");
    }
    assert_eq!(g.summary.matches("budgets/a.md#L").count(), 5 + 1);
    assert_eq!(g.output("verdict"), "fail");
    // No retries on a refusal: list, create (403), comment lookup, head check, comment (403).
    assert_eq!(
        calls(&server),
        [
            "GET /pulls/2/files",
            "POST /check-runs",
            "GET /issues/2/comments",
            "GET /pulls/2",
            "POST /issues/2/comments"
        ]
    );
    assert!(!g.stderr.contains("test-token") && !g.stdout.contains("test-token"));
}

#[test]
fn a_passing_fork_pull_request_still_passes_when_writes_are_refused() {
    let repo = repo("fork-pass", &[], &[Edit::Write("budgets/b.yaml", valid())]);
    let mut s = setup(&repo);
    s.deny_writes = true;
    let server = FakeGitHub::start(s);
    let ev = event(
        &repo,
        "pull_request.opened.fork.derived.json",
        &repo.head,
        LATER,
    );
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    assert!(g.summary.contains("1 packet passes"));
}

#[test]
fn a_502_is_retried_and_the_check_run_created_once() {
    let repo = repo("retry", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let mut s = setup(&repo);
    s.faults = vec![
        Fault::new(
            "POST",
            "/repos/Codertocat/Hello-World/check-runs",
            1,
            FaultReply::Status(502),
        ),
        Fault::new(
            "GET",
            "/repos/Codertocat/Hello-World/issues/2/comments",
            1,
            FaultReply::RateLimited {
                status: 403,
                retry_after_secs: Some(1),
                reset_in_secs: None,
            },
        ),
    ];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    server.assert_no_violations();
    assert_eq!(server.check_runs().len(), 1);
    assert_eq!(server.comments().len(), 1);
    assert_eq!(
        calls(&server),
        [
            "GET /pulls/2/files",
            "POST /check-runs",
            "POST /check-runs",
            "GET /issues/2/comments",
            "GET /issues/2/comments",
            "GET /pulls/2",
            "POST /issues/2/comments"
        ]
    );
}

#[test]
fn a_server_that_keeps_failing_is_reported_and_the_run_is_not_green() {
    let repo = repo("down", &[], &[Edit::Write("budgets/b.yaml", valid())]);
    let mut s = setup(&repo);
    s.faults = vec![Fault::new(
        "POST",
        "/repos/Codertocat/Hello-World/check-runs",
        100,
        FaultReply::Status(503),
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(
        g.code, 2,
        "a pass GitHub never heard of is not a pass\n{}",
        g.stderr
    );
    assert_eq!(
        server.count("POST", "/repos/Codertocat/Hello-World/check-runs"),
        4,
        "1 + 3 retries"
    );
    assert!(g.stderr.contains("check run failed"), "{}", g.stderr);
    assert!(g.summary.contains("could not write everything"));
}

#[test]
fn review_mode_requests_changes_then_dismisses_them() {
    let repo = repo("review", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(
        &repo,
        "pull_request.opened.payload.json",
        &repo.head,
        "2026-11-20T10:00:00Z",
    );
    let g = gate(&repo, &server, &ev, &["--comment-mode", "review"]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    let reviews = server.reviews();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].state, "CHANGES_REQUESTED");
    // Failing again: no second review.
    let g = gate(&repo, &server, &ev, &["--comment-mode", "review"]);
    assert_eq!(g.code, 1);
    assert_eq!(server.reviews().len(), 1);

    std::fs::write(repo.dir.join("budgets/a.md"), valid_md()).unwrap();
    git(&repo.dir, &["commit", "-qam", "fix"]);
    let head2 = git(&repo.dir, &["rev-parse", "HEAD"]);
    server.set_head_sha(&head2);
    let ev2 = event(
        &repo,
        "pull_request.synchronize.payload.json",
        &head2,
        "2026-11-20T11:00:00Z",
    );
    let g = gate(&repo, &server, &ev2, &["--comment-mode", "review"]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    assert_eq!(server.reviews()[0].state, "DISMISSED");
    assert_eq!(
        server.count("PUT", "/repos/Codertocat/Hello-World/pulls/2/reviews/"),
        1
    );
    server.assert_no_violations();
    server.assert_all_published();
}

#[test]
fn inline_mode_comments_on_the_lines_of_the_diff_once_per_commit() {
    let repo = repo("inline", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &["--comment-mode", "inline"]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    let reviews = server.reviews();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].state, "COMMENTED");
    let lines: Vec<u64> = reviews[0]
        .comments
        .iter()
        .map(|c| c["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 18, 18, 20, 20]);
    let g = gate(&repo, &server, &ev, &["--comment-mode", "inline"]);
    assert_eq!(g.code, 1);
    assert_eq!(
        server.reviews().len(),
        1,
        "not repeated for the same commit"
    );
    server.assert_no_violations();
    server.assert_all_published();
}

#[test]
fn dry_run_prints_what_it_would_send_and_writes_nothing() {
    let repo = repo("dry", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &["--dry-run"]);
    assert_eq!(g.code, 1, "the same verdict as a real run");
    assert!(g.stdout.contains("nothing is sent"));
    assert!(
        g.stdout.contains("=== check run `packetgate`"),
        "{}",
        g.stdout
    );
    assert!(g
        .stdout
        .contains("title: 1 of 1 packet fails: 3 missing fields, 2 invalid values"));
    assert!(g.stdout.contains("<!-- packetgate:sticky"));
    assert!(server.requests().iter().all(|r| r.method == "GET"));
    server.assert_no_violations();
}

#[test]
fn a_dry_run_without_a_token_uses_git() {
    let repo = repo("dry-git", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let out = support::bin()
        .args([
            "github",
            "--dry-run",
            "--offline",
            "--today",
            TODAY,
            "--event",
        ])
        .arg(&ev)
        .current_dir(&repo.dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 of 1 packet fails"), "{stdout}");
}

#[test]
fn a_missing_token_outside_dry_run_is_a_usage_error() {
    let repo = repo("notoken", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let out = support::bin()
        .args(["github", "--offline", "--event"])
        .arg(&ev)
        .current_dir(&repo.dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token"));
}

/// Every request body the fake received, as one string.
fn sent(server: &FakeGitHub) -> String {
    server
        .requests()
        .iter()
        .map(|r| r.body.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn secrets_in_packets_reach_github_masked() {
    let leaked = example("invalid/budget-change-leaked-key.md");
    let repo = repo("secrets", &[], &[Edit::Write("budgets/leak.md", leaked)]);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &["--comment-mode", "inline"]);
    assert_eq!(g.code, 1);
    server.assert_no_violations();
    let all = format!("{}{}{}{}", sent(&server), g.stdout, g.stderr, g.summary);
    assert!(all.contains("sk-p****"), "the finding is there, masked");
    for raw in ["378N4QvLVj63ITEaWXW2bWUz", "o4pzfgfeUVYHXmN1ty33AmLv"] {
        assert!(!all.contains(raw), "secret {raw} left the runner");
    }
    let report = std::fs::read_to_string(g.output("report")).unwrap();
    assert!(!report.contains("378N4QvLVj63ITEaWXW2bWUz"));
}

#[test]
fn a_thousand_findings_are_all_annotated_and_the_texts_cut_with_a_count() {
    let packets = failing_edits(200);
    let edits: Vec<Edit<'_>> = packets
        .iter()
        .map(|(p, t)| Edit::Write(p, t.clone()))
        .collect();
    let repo = repo("fail1000", &[], &edits);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    server.assert_no_violations();
    let run = &server.check_runs()[0];
    assert_eq!(run.annotations.len(), 1000);
    assert_eq!(
        server.count("PATCH", "/repos/Codertocat/Hello-World/check-runs/"),
        19
    );
    let summary = run.summary.as_deref().unwrap();
    assert!(summary.chars().count() <= 65_535);
    assert!(
        summary.contains("not shown here** (of 1000)"),
        "cut with a count"
    );
    let comment = &server.comments()[0].body;
    assert!(comment.chars().count() <= 65_536);
    assert!(comment.contains("not listed here for GitHub's size limit"));
    // The job summary (1 MiB) holds every finding.
    assert_eq!(g.summary.matches("| error |").count(), 1000);
}

#[test]
fn a_push_judges_the_packets_it_changed() {
    let repo = repo(
        "push",
        &[("budgets/old.md", invalid())],
        &[
            Edit::Write("budgets/new.md", invalid()),
            Edit::Write("notes.txt", "x\n".into()),
        ],
    );
    let mut s = setup(&repo);
    s.files.clear();
    let server = FakeGitHub::start(s);
    let ev = repo.dir.parent().unwrap().join("push.json");
    let payload = serde_json::json!({
        "ref": "refs/heads/main", "before": repo.base, "after": repo.head,
        "repository": {"full_name": "Codertocat/Hello-World"}
    });
    std::fs::write(&ev, payload.to_string()).unwrap();
    let g = gate_env(
        &repo.dir,
        &server,
        &ev,
        &[],
        &[("GITHUB_EVENT_NAME", "push")],
    );
    assert_eq!(g.code, 1, "{}", g.stderr);
    server.assert_no_violations();
    assert_eq!(
        calls(&server),
        ["POST /check-runs"],
        "git diff, no file list, no comment"
    );
    let run = &server.check_runs()[0];
    assert_eq!(run.head_sha, repo.head);
    assert!(run.annotations.iter().all(|a| a.path == "budgets/new.md"));
    assert_eq!(g.output("packets"), "1");
}

#[test]
fn a_scheduled_audit_judges_every_packet_on_the_branch() {
    let repo = repo(
        "audit",
        &[("budgets/old.md", invalid()), ("budgets/ok.yaml", valid())],
        &[Edit::Write("budgets/new.md", valid_md())],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = repo.dir.parent().unwrap().join("schedule.json");
    std::fs::write(&ev, r#"{"schedule": "0 6 * * 1"}"#).unwrap();
    let g = gate_env(
        &repo.dir,
        &server,
        &ev,
        &[],
        &[
            ("GITHUB_EVENT_NAME", "schedule"),
            ("GITHUB_SHA", &repo.head),
        ],
    );
    assert_eq!(g.code, 1, "{}", g.stderr);
    server.assert_no_violations();
    assert_eq!(calls(&server), ["POST /check-runs"]);
    let run = &server.check_runs()[0];
    assert_eq!(run.head_sha, repo.head);
    assert_eq!(
        run.title.as_deref(),
        Some("1 of 3 packets fails: 3 missing fields, 2 invalid values")
    );
    assert!(g.summary.contains("scheduled audit of every packet"));
}

#[test]
fn pull_request_target_judges_the_head_even_when_the_base_is_checked_out() {
    // The base has a valid packet; the pull request breaks it and adds a broken one.
    let repo = repo(
        "target",
        &[("budgets/a.md", valid_md())],
        &[
            Edit::Write("budgets/a.md", invalid()),
            Edit::Write("budgets/new.md", invalid()),
        ],
    );
    // The base branch checked out, as `pull_request_target` does by default, and no head
    // commit in the clone: the head's versions come from the contents API.
    let checkout = repo.dir.parent().unwrap().join("base-checkout");
    let _ = std::fs::remove_dir_all(&checkout);
    std::fs::create_dir_all(checkout.join("budgets")).unwrap();
    std::fs::write(checkout.join("budgets/a.md"), valid_md()).unwrap();
    let mut s = setup(&repo);
    s.contents = vec![
        (repo.head.clone(), "budgets/a.md".into(), invalid()),
        (repo.head.clone(), "budgets/new.md".into(), invalid()),
    ];
    let server = FakeGitHub::start(s);
    let ev = event(
        &repo,
        "pull_request.opened.fork.derived.json",
        &repo.head,
        LATER,
    );
    let g = gate_env(
        &checkout,
        &server,
        &ev,
        &[],
        &[("GITHUB_EVENT_NAME", "pull_request_target")],
    );
    assert_eq!(g.code, 1, "the head's packets fail\n{}", g.stderr);
    server.assert_no_violations();
    let run = &server.check_runs()[0];
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.annotations.len(), 10);
    // The two head versions, and the modified packet's base version (was it a packet?).
    assert_eq!(
        server.count("GET", "/repos/Codertocat/Hello-World/contents/budgets/"),
        3
    );
    assert!(run
        .summary
        .as_deref()
        .unwrap()
        .contains("differ from the pull request's head"));
    // The fetched copies are reported under their repository paths.
    assert!(run
        .annotations
        .iter()
        .all(|a| a.path.starts_with("budgets/")));
}

#[test]
fn a_config_path_with_dot_dot_still_reads_the_base_policy() {
    let repo = repo(
        "dotdot",
        &[
            (
                ".github/packetgate.yml",
                "policies: [../policies/acme.yml]\n".into(),
            ),
            ("policies/acme.yml", BASE_POLICY.into()),
        ],
        &[
            Edit::Write("policies/acme.yml", WEAK_POLICY.into()),
            Edit::Write("budgets/a.md", invalid()),
        ],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &["--config", ".github/packetgate.yml"]);
    assert_base_policy_used(&g, &server);
}

#[test]
fn dropping_the_packet_line_does_not_stop_a_packet_being_judged() {
    let repo = repo(
        "unpacket",
        &[("budgets/a.md", valid_md())],
        &[Edit::Write(
            "budgets/a.md",
            invalid().replacen("packet: budget-change\n", "", 1),
        )],
    );
    let mut s = setup(&repo);
    // GitHub's patch shows the removed declaration.
    s.files[0].patch = Some("@@ -1,3 +1,2 @@\n ---\n-packet: budget-change\n change_id: X".into());
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    let run = &server.check_runs()[0];
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.annotations[0].path, "budgets/a.md");
}

#[test]
fn a_changed_file_that_quotes_the_packet_key_is_judged() {
    let repo = repo(
        "quoted-key",
        &[],
        &[
            Edit::Write(
                "budgets/a.yaml",
                valid().replacen("packet: budget-change", "\"packet\": budget-change", 1),
            ),
            Edit::Write(
                "budgets/b.md",
                invalid().replacen("packet: budget-change", "'packet': budget-change", 1),
            ),
            // Shows a packet in a fenced block: documentation, not a packet.
            Edit::Write(
                "docs/packets.md",
                "# Packets\n\n```yaml\npacket: budget-change\n```\n".into(),
            ),
        ],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let run = &server.check_runs()[0];
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(
        run.title.as_deref(),
        Some("1 of 2 packets fails: 3 missing fields, 2 invalid values")
    );
    assert_eq!(run.annotations.len(), 5);
    assert!(run.annotations.iter().all(|a| a.path == "budgets/b.md"));
    assert_eq!(g.output("packets"), "2");
}

#[test]
fn an_oversize_file_that_declares_a_packet_fails_the_check() {
    let mut big = String::from("\"packet\": budget-change\nnotes: |\n");
    while big.len() < 1_200_000 {
        big.push_str("  evidence pasted whole instead of linked, line after line after line\n");
    }
    // A bigger data file that only nests `packet` keys stays silent.
    let mut data = String::from("rows:\n");
    while data.len() < 3_000_000 {
        data.push_str("  - packet: {bytes: 1500}\n");
    }
    let repo = repo(
        "oversize",
        &[],
        &[
            Edit::Write("budgets/big.yaml", big),
            Edit::Write("docs/data.yaml", data),
            Edit::Write("budgets/ok.yaml", valid()),
        ],
    );
    let mut s = setup(&repo);
    // GitHub lists no patch for diffs this large.
    for f in &mut s.files {
        if f.filename != "budgets/ok.yaml" {
            f.patch = None;
        }
    }
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let run = &server.check_runs()[0];
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.annotations.len(), 1, "{:?}", run.annotations);
    let a = &run.annotations[0];
    assert_eq!((a.path.as_str(), a.start_line), ("budgets/big.yaml", 1));
    assert!(
        a.message.contains("over the 1048576-byte limit"),
        "{}",
        a.message
    );
    assert_eq!(g.output("packets"), "2");
}

#[test]
fn a_head_version_read_from_git_is_judged_byte_for_byte() {
    // The workspace holds the base; the head's packet, with a Latin-1 byte in a comment,
    // comes from git. Read as text it would lose the byte and pass; it must fail as written.
    let repo = repo(
        "head-bytes",
        &[],
        &[Edit::Write("budgets/ok.yaml", valid())],
    );
    let mut bytes = b"# caf\xe9 budget\n".to_vec();
    bytes.extend(valid().into_bytes());
    std::fs::write(repo.dir.join("budgets/latin1.yaml"), &bytes).unwrap();
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-qm", "latin1"]);
    let head = git(&repo.dir, &["rev-parse", "HEAD"]);
    git(&repo.dir, &["checkout", "-q", &repo.base]);
    let mut s = setup(&repo);
    s.head_sha = head.clone();
    let mut file = PrFile::added("budgets/latin1.yaml", "@@ -0,0 +1 @@\n+x");
    file.sha = Some(git(
        &repo.dir,
        &["rev-parse", &format!("{head}:budgets/latin1.yaml")],
    ));
    s.files.push(file);
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let run = &server.check_runs()[0];
    let a: Vec<(&str, u64, Option<&str>)> = run
        .annotations
        .iter()
        .map(|a| (a.path.as_str(), a.start_line, a.title.as_deref()))
        .collect();
    assert_eq!(
        a,
        [("budgets/latin1.yaml", 1, Some("file-encoding"))],
        "{run:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_packet_that_is_a_symbolic_link_is_refused_not_followed() {
    let outside = scratch("github-symlink-target").join("secret.yml");
    std::fs::write(
        &outside,
        "packet: budget-change\nowner: someone-elses-file\n",
    )
    .unwrap();
    let repo = repo("symlink", &[], &[Edit::Write("budgets/ok.yaml", valid())]);
    std::os::unix::fs::symlink(&outside, repo.dir.join("budgets/link.yml")).unwrap();
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-qm", "link"]);
    let head = git(&repo.dir, &["rev-parse", "HEAD"]);
    let mut s = setup(&repo);
    s.head_sha = head.clone();
    let mut link = PrFile::added("budgets/link.yml", "@@ -0,0 +1 @@\n+x");
    link.sha = Some(git(&repo.dir, &["rev-parse", "HEAD:budgets/link.yml"]));
    s.files.push(link);
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    let sent = sent(&server);
    assert!(
        !sent.contains("someone-elses-file"),
        "the link target was read"
    );
    assert!(sent.contains("symbolic link"), "{sent}");
}

#[test]
fn a_run_for_a_superseded_commit_does_not_comment() {
    let repo = repo("superseded", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let server = FakeGitHub::start(setup(&repo));
    // The pull request moved on while this run was judging.
    server.set_head_sha("1111111111111111111111111111111111111111");
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &["--comment-mode", "review"]);
    assert_eq!(g.code, 1);
    assert!(server.comments().is_empty() && server.reviews().is_empty());
    assert!(
        g.stderr.contains("moved on to commit 1111111"),
        "{}",
        g.stderr
    );
    assert_eq!(
        server.check_runs().len(),
        1,
        "its own commit still gets its check run"
    );
    server.assert_no_violations();
}

#[test]
fn a_comment_post_that_fails_after_creating_is_not_posted_twice() {
    let repo = repo("comment502", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let mut s = setup(&repo);
    s.faults = vec![Fault::new(
        "POST",
        "/repos/Codertocat/Hello-World/issues/2/comments",
        1,
        FaultReply::Status(502),
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1);
    assert_eq!(server.comments().len(), 1);
    assert_eq!(
        calls(&server)[2..],
        [
            "GET /issues/2/comments",
            "GET /pulls/2",
            "POST /issues/2/comments",
            "GET /issues/2/comments",
            "POST /issues/2/comments"
        ]
    );
    server.assert_no_violations();
}

/// A container action sees the runner's workspace owned by another user; git refuses such a
/// repository unless told it is safe, and packetgate tells it so inside Actions.
#[cfg(unix)]
#[test]
fn git_accepts_a_workspace_owned_by_another_user_inside_actions() {
    let repo = repo(
        "foreign-owner",
        &[("budgets/old.md", invalid())],
        &[Edit::Write("budgets/new.md", invalid())],
    );
    let chown = Command::new("chown")
        .args(["-R", "4242:4242"])
        .arg(&repo.dir)
        .status();
    if !chown.is_ok_and(|s| s.success()) {
        // Only root can hand the folder to another user; the refusal below needs that.
        eprintln!("skipped: cannot chown (not root)");
        return;
    }
    let ev = repo.dir.parent().unwrap().join("push.json");
    let payload = serde_json::json!({
        "before": repo.base, "after": repo.head,
        "repository": {"full_name": "Codertocat/Hello-World"}
    });
    std::fs::write(&ev, payload.to_string()).unwrap();
    let mut s = setup(&repo);
    s.files.clear();
    let server = FakeGitHub::start(s);
    let push = [("GITHUB_EVENT_NAME", "push")];
    // Without the Actions marker git refuses: every packet is judged, with a notice.
    let g = gate_env(&repo.dir, &server, &ev, &[], &push);
    assert_eq!(g.output("packets"), "2", "{}", g.summary);
    assert!(g.summary.contains("is not in the clone"), "{}", g.summary);
    // Inside Actions the diff works: only the changed packet.
    let g = gate_env(
        &repo.dir,
        &server,
        &ev,
        &[],
        &[("GITHUB_EVENT_NAME", "push"), ("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(g.output("packets"), "1", "{}", g.summary);
    assert!(!g.summary.contains("is not in the clone"));
}

// ---------------------------------------------------------------------------------------------
// Fault injection: GitHub misbehaving. Nothing hangs, and the verdict still reaches the job
// (exit code and job summary) whatever GitHub does with the check run.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_burst_of_5xx_within_the_retries_is_ridden_out() {
    let repo = repo("burst", &[], &[Edit::Write("budgets/a.md", invalid())]);
    let mut s = setup(&repo);
    s.faults = vec![Fault::new(
        "GET",
        "/repos/Codertocat/Hello-World/pulls/2/files",
        3,
        FaultReply::Status(502),
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    assert_eq!(
        server.count("GET", "/repos/Codertocat/Hello-World/pulls/2/files"),
        4
    );
    assert_eq!(server.check_runs()[0].annotations.len(), 5);
    server.assert_no_violations();
}

#[test]
fn a_truncated_answer_to_the_check_run_keeps_every_finding_on_the_job() {
    let repo = repo(
        "truncated-check",
        &[],
        &[Edit::Write("budgets/a.md", invalid())],
    );
    let mut s = setup(&repo);
    s.faults = vec![Fault::new(
        "POST",
        "/repos/Codertocat/Hello-World/check-runs",
        1,
        FaultReply::TruncatedJson,
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    assert!(
        g.stderr.contains("not the JSON GitHub sends"),
        "{}",
        g.stderr
    );
    let errors = g
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .count();
    assert_eq!(errors, 5, "{}", g.stdout);
    assert!(g.summary.contains("could not write everything"));
    assert_eq!(g.summary.matches("budgets/a.md#L").count(), 5 + 1);
}

#[test]
fn a_truncated_file_list_fails_the_check_instead_of_judging_nothing() {
    let repo = repo(
        "truncated-files",
        &[],
        &[Edit::Write("budgets/a.md", invalid())],
    );
    let mut s = setup(&repo);
    s.faults = vec![Fault::new(
        "GET",
        "/repos/Codertocat/Hello-World/pulls/2/files",
        1,
        FaultReply::TruncatedJson,
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 2, "{}", g.stderr);
    assert!(
        g.stderr.contains("the pull request's files"),
        "{}",
        g.stderr
    );
    // A required check is never left missing: the commit gets a failure that says why.
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].head_sha, repo.head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert!(
        runs[0]
            .summary
            .as_deref()
            .is_some_and(|s| s.contains("the pull request's files")),
        "{runs:?}"
    );
}

#[test]
fn a_broken_config_fails_the_check_instead_of_leaving_none() {
    let repo = repo(
        "broken-config",
        &[(".packetgate.yml", "max_age_days: [not, a, number]\n".into())],
        &[Edit::Write("budgets/a.md", invalid())],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 2, "{}", g.stderr);
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1, "{}\n{runs:?}", g.stderr);
    assert_eq!(runs[0].head_sha, repo.head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert!(
        runs[0]
            .title
            .as_deref()
            .is_some_and(|t| t.contains("could not judge") || t.contains("stopped before")),
        "{runs:?}"
    );
}

/// A broken base config quoting keys (an unknown key named like one, a `links.hosts` key
/// holding one as a user name, a bad `exclude` regex): the `::error` line, the step summary,
/// the failing check run and the dry run's output show them masked.
#[test]
fn keys_in_a_broken_config_reach_github_masked() {
    let keys = [
        "sk-ant-api03-Q9w8E7r6T5y4U3i2O1p0AsDfGhJkLzXcVbNm-QwErTyUiOp",
        "ghp_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8",
        "sk-proj-Cf8Qz2Wm7Lx1Kc4Vn9Rj3Hd6Fs0Gp5Ay2Ue8Io1Pa4SdQw",
    ];
    let config = format!(
        "{}: true\nlinks:\n  hosts:\n    'https://{}@docs.example.com':\n      headers: {{X-Docs-Token: a}}\n  exclude: ['(unclosed {}']\n",
        keys[0], keys[1], keys[2]
    );
    let repo = repo(
        "broken-config-keys",
        &[(".packetgate.yml", config)],
        &[Edit::Write("budgets/a.md", invalid())],
    );
    let shown = |text: &str| {
        let text = text.to_ascii_lowercase();
        keys.iter()
            .flat_map(|k| {
                let k: Vec<char> = k.to_ascii_lowercase().chars().collect();
                k.windows(8)
                    .map(|w| w.iter().collect::<String>())
                    .collect::<Vec<_>>()
            })
            .find(|w| text.contains(w.as_str()))
    };
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    for args in [&[][..], &["--dry-run"][..]] {
        let g = gate(&repo, &server, &ev, args);
        assert_eq!(g.code, 2, "{args:?}: {}", g.stderr);
        let printed = format!("{}\n{}\n{}", g.stdout, g.stderr, g.summary);
        assert!(printed.contains("::error"), "{printed}");
        assert!(printed.contains("ghp_****@docs.example.com"), "{printed}");
        assert_eq!(shown(&printed), None, "{args:?}: {printed}");
    }
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    let run = format!(
        "{:?} {:?} {:?}",
        runs[0].title, runs[0].summary, runs[0].text
    );
    assert!(run.contains("sk-a****"), "{run}");
    assert_eq!(shown(&run), None, "{run}");
    assert_eq!(shown(&sent(&server)), None);
    server.assert_no_violations();
}

#[test]
fn a_rate_limit_that_resets_in_an_hour_is_not_waited_for() {
    let repo = repo("ratelimit", &[], &[Edit::Write("budgets/b.yaml", valid())]);
    let mut s = setup(&repo);
    s.faults = vec![Fault::new(
        "POST",
        "/repos/Codertocat/Hello-World/check-runs",
        10,
        FaultReply::RateLimited {
            status: 403,
            retry_after_secs: None,
            reset_in_secs: Some(3600),
        },
    )];
    let server = FakeGitHub::start(s);
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let started = std::time::Instant::now();
    let g = gate(&repo, &server, &ev, &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        g.code, 2,
        "a pass GitHub never heard of is not a pass\n{}",
        g.stderr
    );
    assert!(g.stderr.contains("rate limited"), "{}", g.stderr);
    assert!(
        !g.stderr.contains("refused"),
        "a rate limit is not a refusal: {}",
        g.stderr
    );
    assert_eq!(
        server.count("POST", "/repos/Codertocat/Hello-World/check-runs"),
        1
    );
}

/// The passing trace with one tracking parameter (`url-tracking` on `source_urls[0].url`),
/// and a waiver of it when `waiver` is set.
fn tracked_trace(waiver: bool) -> String {
    let mut text = support::PASSING_TRACE.replacen(
        "  - url: https://apidoc.cometapi.com/\n",
        "  - url: https://apidoc.cometapi.com/?utm_source=newsletter\n",
        1,
    );
    if waiver {
        text.push_str("waivers:\n  - {rule: url-tracking, owner: finops-platform, reason: vendor campaign link, expires: 2026-12-20}\n");
    }
    text
}

#[test]
fn a_waived_finding_is_a_notice_on_its_line_and_listed_as_waived_in_the_comment() {
    let repo = repo(
        "waived",
        &[],
        &[
            Edit::Write("budgets/a.yaml", tracked_trace(true)),
            Edit::Write("budgets/b.md", invalid()),
        ],
    );
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "b.md fails\n{}", g.stderr);
    let run = &server.check_runs()[0];
    let waived: Vec<_> = run
        .annotations
        .iter()
        .filter(|a| a.path == "budgets/a.yaml")
        .collect();
    assert_eq!(waived.len(), 1, "{:?}", run.annotations);
    assert_eq!(waived[0].annotation_level, "notice");
    assert_eq!(waived[0].start_line, 6);
    assert!(
        waived[0]
            .message
            .contains("Waived by finops-platform until 2026-12-20"),
        "{:?}",
        waived[0]
    );
    let summary = run.summary.as_deref().unwrap_or_default();
    assert!(summary.contains("| Waived |"), "{summary}");
    let body = &server.comments()[0].body;
    assert!(
        body.contains("**Waived (accepted on the record; they do not fail the check)**")
            && body.contains(
                "**Waived** by finops-platform until 2026-12-20 (packet): vendor campaign link"
            ),
        "{body}"
    );
    server.assert_no_violations();
}

#[test]
fn a_config_waiver_the_pull_request_adds_does_not_apply_to_it() {
    let config = "waivers:\n  - path: 'budgets/*.yaml'\n    rule: url-tracking\n    owner: finops-platform\n    reason: vendor campaign link\n    expires: 2026-12-20\n";
    let repo = repo(
        "waiver-in-pr",
        &[],
        &[
            Edit::Write(".packetgate.yml", config.into()),
            Edit::Write("budgets/a.yaml", tracked_trace(false)),
        ],
    );
    // In the workspace, the waiver applies.
    let local = support::check(&repo.dir, &["budgets/a.yaml"]);
    assert_eq!(local.code, 0, "{}", local.stdout);
    let server = FakeGitHub::start(setup(&repo));
    let ev = event(&repo, "pull_request.opened.payload.json", &repo.head, LATER);
    let g = gate(&repo, &server, &ev, &[]);
    assert_eq!(g.code, 1, "the base branch has no waiver\n{}", g.stderr);
    let run = &server.check_runs()[0];
    assert!(run
        .annotations
        .iter()
        .any(|a| a.annotation_level == "failure"
            && a.title.as_deref().unwrap_or("").contains("url-tracking")));
    server.assert_no_violations();
}
