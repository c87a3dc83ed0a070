//! Every event a required check meets, end to end: GitHub's community webhook examples
//! (`tests/fixtures/webhooks`, npm `@octokit/webhooks-examples`) and the contracts folder's
//! payloads, replayed with their commit ids rebased onto a scratch repository whose base and
//! head differ, against the fake GitHub API. Each ends as the event table of docs/github.md
//! says, with the check on the right commit or, for a closed pull request, a deleted ref or a
//! destroyed merge group, with nothing posted at all.

#[path = "support/github/mod.rs"]
mod fake;
mod support;

use fake::{FakeGitHub, PrFile, Setup};
use serde_json::Value;
use support::gate::{self, invalid, valid, Gate, Repo};

/// The base: a valid packet and a failing one; the head adds another failing one. A
/// change-only judge annotates `budgets/new.md` alone; a whole-branch one both.
struct World {
    repo: Repo,
    base: String,
    head: String,
}

fn world(name: &str) -> World {
    let repo = Repo::new(name);
    repo.write("README.md", "# budgets\n")
        .write("budgets/ok.yaml", &valid())
        .write("budgets/old.md", &invalid());
    let base = repo.commit("base");
    repo.write("budgets/new.md", &invalid());
    let head = repo.commit("head");
    World { repo, base, head }
}

fn examples(event: &str) -> Vec<Value> {
    let path = support::root().join("tests/fixtures/webhooks/octokit-webhooks-examples-7.6.1.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["examples"][event].as_array().unwrap().clone()
}

fn full_name(payload: &Value) -> String {
    payload["repository"]["full_name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The fake, set up as the payload's repository and pull request, at the world's head.
fn server(w: &World, payload: &Value) -> FakeGitHub {
    let full = full_name(payload);
    let (owner, repo) = full.split_once('/').unwrap();
    let mut file = PrFile::added("budgets/new.md", "@@ -0,0 +1 @@\n+x");
    file.sha = Some(w.repo.blob(&w.head, "budgets/new.md"));
    FakeGitHub::start(Setup {
        owner: owner.into(),
        repo: repo.into(),
        pull_number: payload["pull_request"]["number"].as_u64().unwrap_or(2),
        head_sha: w.head.clone(),
        files: vec![file],
        token: Some("test-token".into()),
        ..Setup::default()
    })
}

fn replay(w: &World, server: &FakeGitHub, name: &str, payload: &Value, i: usize) -> Gate {
    let ev = w.repo.event(&format!("{name}-{i}.json"), payload);
    let full = full_name(payload);
    // On merge_group, workflow_dispatch and push the runner's GITHUB_SHA is the commit run on.
    gate::run(
        &w.repo.dir,
        &server.api_url(),
        &ev,
        &[
            ("GITHUB_EVENT_NAME", name),
            ("GITHUB_REPOSITORY", &full),
            ("GITHUB_SHA", &w.head),
        ],
        &[],
    )
}

/// Nothing judged, nothing sent, exit 0, and a notice saying why.
fn assert_idle(g: &Gate, server: &FakeGitHub, why: &str, label: &str) {
    assert_eq!(g.code, 0, "{label}: {}", g.stderr);
    assert!(
        server.requests().is_empty(),
        "{label}: {:?}",
        server.requests()
    );
    assert!(g.stdout.starts_with("::notice"), "{label}: {}", g.stdout);
    assert!(g.stdout.contains(why), "{label}: {}", g.stdout);
    assert_eq!(g.output("verdict"), "skipped", "{label}");
    assert!(g.summary.contains("Nothing to judge"), "{label}");
}

/// One failing check run on the head, annotating exactly `paths`.
fn assert_checked(g: &Gate, server: &FakeGitHub, w: &World, paths: &[&str], label: &str) {
    assert_eq!(g.code, 1, "{label}: {}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1, "{label}");
    assert_eq!(runs[0].name, "packetgate", "{label}");
    assert_eq!(
        runs[0].head_sha, w.head,
        "{label}: the check goes on the head"
    );
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"), "{label}");
    let mut annotated: Vec<&str> = runs[0]
        .annotations
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    annotated.dedup();
    assert_eq!(annotated, paths, "{label}");
}

#[test]
fn every_pull_request_action_is_judged_on_the_head_and_closed_ones_post_nothing() {
    let w = world("pr-actions");
    let mut payloads = examples("pull_request");
    for file in [
        "pull_request.opened.payload.json",
        "pull_request.synchronize.payload.json",
        "pull_request.opened.with-organization.payload.json",
    ] {
        payloads.push(fake::payload(file));
    }
    let (mut judged, mut closed) = (0, 0);
    for name in ["pull_request", "pull_request_target"] {
        for (i, original) in payloads.iter().enumerate() {
            let mut p = original.clone();
            p["pull_request"]["head"]["sha"] = w.head.clone().into();
            p["pull_request"]["base"]["sha"] = w.base.clone().into();
            let action = p["action"].as_str().unwrap().to_string();
            let label = format!("{name} {action} #{i}");
            let server = server(&w, &p);
            let g = replay(&w, &server, name, &p, i);
            if action == "closed" {
                assert_idle(&g, &server, "nothing to judge", &label);
                closed += 1;
            } else {
                assert_checked(&g, &server, &w, &["budgets/new.md"], &label);
                judged += 1;
            }
        }
    }
    assert_eq!((judged, closed), (2 * 30, 2 * 2));
}

#[test]
fn pushes_judge_their_commit_and_deletions_judge_nothing() {
    let w = world("pushes");
    let (mut judged, mut deleted) = (0, 0);
    for (i, original) in examples("push").iter().enumerate() {
        let mut p = original.clone();
        let label = format!("push #{i} {}", p["ref"]);
        let server = server(&w, &p);
        if p["deleted"] == Value::Bool(true) {
            // The deleted ref's last commit, rebased; `after` stays all zeros.
            p["before"] = w.head.clone().into();
            let g = replay(&w, &server, "push", &p, i);
            assert_idle(&g, &server, "the push deleted `refs/", &label);
            deleted += 1;
        } else {
            // A new branch or tag (`before` all zeros): every packet at the pushed commit.
            p["after"] = w.head.clone().into();
            p["head_commit"]["id"] = w.head.clone().into();
            let g = replay(&w, &server, "push", &p, i);
            assert_checked(
                &g,
                &server,
                &w,
                &["budgets/new.md", "budgets/old.md"],
                &label,
            );
            judged += 1;
        }
    }
    assert_eq!((judged, deleted), (3, 4));
}

#[test]
fn a_merge_group_is_judged_between_its_base_and_head_and_checked_on_its_head() {
    let w = world("merge-group");
    let all = examples("merge_group");
    assert_eq!(all.len(), 2);
    for (i, original) in all.iter().enumerate() {
        let mut p = original.clone();
        p["merge_group"]["base_sha"] = w.base.clone().into();
        p["merge_group"]["head_sha"] = w.head.clone().into();
        p["merge_group"]["head_commit"]["id"] = w.head.clone().into();
        let server = server(&w, &p);
        let g = replay(&w, &server, "merge_group", &p, i);
        assert_checked(
            &g,
            &server,
            &w,
            &["budgets/new.md"],
            &format!("merge_group #{i}"),
        );
        assert!(
            g.summary.contains("merge queue group for `main`"),
            "{}",
            g.summary
        );
        // No pull request to comment on, no file list to read: git diffs the group.
        let calls: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
        assert_eq!(calls, ["POST"]);
    }
    // A destroyed group (its pull request left the queue) has no head to put a check on.
    let mut p = all[0].clone();
    p["action"] = "destroyed".into();
    p["reason"] = "dequeued".into();
    let server = server(&w, &p);
    let g = replay(&w, &server, "merge_group", &p, 9);
    assert_idle(&g, &server, "destroyed (dequeued)", "merge_group destroyed");
}

#[test]
fn a_merge_group_in_a_shallow_clone_fetches_its_base() {
    let w = world("merge-group-shallow");
    // What actions/checkout makes on merge_group: the group's head alone, depth 1.
    let clone = w.repo.top.join("clone");
    let url = format!("file://{}", w.repo.dir.display());
    gate::git(&w.repo.top, &["clone", "-q", "--depth", "1", &url, "clone"]);
    let has_base = |dir: &std::path::Path| {
        std::process::Command::new("git")
            .args(["cat-file", "-e", &format!("{}^{{commit}}", w.base)])
            .current_dir(dir)
            .status()
            .unwrap()
            .success()
    };
    assert!(!has_base(&clone), "the shallow clone lacks the base");
    let (g, server) = merge_group_in(&w, &clone, "shallow.json");
    assert_checked(&g, &server, &w, &["budgets/new.md"], "shallow merge_group");
    assert!(has_base(&clone), "fetched from origin");
}

/// The first merge_group example, rebased onto the world's base and head, judged in `clone`.
fn merge_group_in(w: &World, clone: &std::path::Path, name: &str) -> (gate::Gate, FakeGitHub) {
    let mut p = examples("merge_group")[0].clone();
    p["merge_group"]["base_sha"] = w.base.clone().into();
    p["merge_group"]["head_sha"] = w.head.clone().into();
    let server = server(w, &p);
    let ev = w.repo.event(name, &p);
    let full = full_name(&p);
    let g = gate::run(
        clone,
        &server.api_url(),
        &ev,
        &[
            ("GITHUB_EVENT_NAME", "merge_group"),
            ("GITHUB_REPOSITORY", &full),
            ("GITHUB_SHA", &w.head),
        ],
        &[],
    );
    (g, server)
}

#[test]
fn workflow_dispatch_audits_every_packet_at_the_commit_run_on() {
    let w = world("dispatch");
    for (i, p) in examples("workflow_dispatch").iter().enumerate() {
        let server = server(&w, p);
        let g = replay(&w, &server, "workflow_dispatch", p, i);
        assert_checked(
            &g,
            &server,
            &w,
            &["budgets/new.md", "budgets/old.md"],
            &format!("workflow_dispatch #{i}"),
        );
        assert!(g.summary.contains("audit of every packet"));
    }
}

#[test]
fn a_merge_group_git_cannot_diff_gets_a_failing_check_on_its_head() {
    let w = world("merge-group-unreadable");
    // The group's head alone, and no remote to ask for its base.
    let clone = w.repo.top.join("clone");
    let url = format!("file://{}", w.repo.dir.display());
    gate::git(&w.repo.top, &["clone", "-q", "--depth", "1", &url, "clone"]);
    gate::git(&clone, &["remote", "remove", "origin"]);
    let (g, server) = merge_group_in(&w, &clone, "unreadable.json");
    assert_eq!(g.code, 2, "{}\n{}", g.stdout, g.stderr);
    server.assert_no_violations();
    let runs = server.check_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].head_sha, w.head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(
        runs[0].title.as_deref(),
        Some("packetgate could not read the merge group's changes")
    );
}
