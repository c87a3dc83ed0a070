//! `packetgate audit --repos` and `--publish-issue` through the binary, against the fake
//! GitHub on 127.0.0.1: an org's repositories read from their archives, each judged with its
//! own config, within the request budget; shards of repositories that merge into the
//! unsharded report; a broken or hostile repository as a failing entry; the packet health
//! issue opened, edited, and closed once everything is healthy.

#[path = "support/github/mod.rs"]
mod fake;
mod support;

use fake::{FakeGitHub, FakeRepo, Org, RepoFile, Setup};
use serde_json::Value;
use std::path::Path;
use support::{root, scratch, Run, TODAY};

fn example(rel: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(rel)).unwrap()
}

fn repo(name: &str, i: u64, files: Vec<RepoFile>) -> FakeRepo {
    FakeRepo::new(name, &format!("{:040x}", 0xfeed_0000_u64 + i), files)
}

/// An org of four live repositories and an archived one.
fn org() -> Vec<FakeRepo> {
    let mut archived = repo(
        "old",
        9,
        vec![RepoFile::text(
            "x.yaml",
            &example("invalid/budget-change-dirty-links.yaml"),
        )],
    );
    archived.archived = true;
    vec![
        repo(
            "budgets",
            1,
            vec![
                RepoFile::text("README.md", "# budgets\n"),
                RepoFile::text("changes/new-class.yaml", &example("valid/budget-change-new-request-class.yaml")),
                RepoFile::text("changes/dirty.yaml", &example("invalid/budget-change-dirty-links.yaml")),
            ],
        ),
        // Its own config: globs with a kind, and a waiver of the one finding its trace has.
        repo(
            "traces",
            2,
            vec![
                RepoFile::text(
                    ".packetgate.yml",
                    "packets:\n  - {path: \"reviews/**\", kind: cost-trace}\nwaivers:\n  - {path: \"reviews/*.yaml\", rule: url-tracking, owner: finops, reason: vendor campaign link, expires: 2026-12-20}\n",
                ),
                RepoFile::text(
                    "reviews/summarizer.yaml",
                    &support::PASSING_TRACE
                        .replacen("packet: cost-trace\n", "", 1)
                        .replacen("https://apidoc.cometapi.com/\n", "https://apidoc.cometapi.com/?utm_source=x\n", 1),
                ),
            ],
        ),
        repo(
            "broken",
            3,
            vec![RepoFile::text(".packetgate.yml", "packets: 3\n")],
        ),
        // A config that names a file outside the repository: read from nowhere.
        repo(
            "escape",
            4,
            vec![
                RepoFile::text(".packetgate.yml", "policies: ['../../../../../../../../../../../../../../../../etc/passwd']\n"),
                RepoFile::text("a.yaml", &example("valid/budget-change-new-request-class.yaml")),
            ],
        ),
        archived,
    ]
}

fn start(repos: Vec<FakeRepo>) -> FakeGitHub {
    start_with(repos, Vec::new())
}

fn start_with(repos: Vec<FakeRepo>, issues: Vec<fake::Issue>) -> FakeGitHub {
    FakeGitHub::start(Setup {
        org: Some(Org {
            name: "acme".into(),
            repos,
        }),
        issues,
        ..Setup::default()
    })
}

fn audit(dir: &Path, fake: &FakeGitHub, args: &[&str]) -> Run {
    let mut cmd = support::bin();
    cmd.current_dir(dir)
        .args(["audit", "--offline", "--today", TODAY])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("GITHUB_TOKEN", "t0ken")
        .env("GITHUB_API_URL", fake.api_url())
        .env("TMPDIR", dir);
    cmd.output().expect("run packetgate").into()
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

fn packet<'a>(report: &'a Value, repo: &str, path: &str) -> &'a Value {
    report["packets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["repository"] == repo && p["path"] == path)
        .unwrap_or_else(|| panic!("no {repo}:{path} in {report:#}"))
}

#[test]
fn an_org_is_audited_repository_by_repository_with_their_own_configs() {
    let dir = scratch("audit-remote-org");
    let fake = start(org());
    let r = audit(&dir, &fake, &["--repos", "org:acme", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = json(&r);
    let paths: Vec<String> = report["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["repository"].as_str().unwrap(),
                p["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            "acme/broken:.packetgate.yml",
            "acme/budgets:changes/dirty.yaml",
            "acme/budgets:changes/new-class.yaml",
            "acme/escape:.packetgate.yml",
            "acme/traces:reviews/summarizer.yaml",
        ],
        "the archived repository is left out"
    );
    let good = packet(&report, "acme/budgets", "changes/new-class.yaml");
    assert_eq!(good["verdict"], "pass");
    assert_eq!(good["commit"], format!("{:040x}", 0xfeed_0001_u64));
    assert_eq!(
        packet(&report, "acme/budgets", "changes/dirty.yaml")["verdict"],
        "fail"
    );
    // The traces repository's own config: its glob gives the kind, its waiver applies.
    let trace = packet(&report, "acme/traces", "reviews/summarizer.yaml");
    assert_eq!(trace["kind"], "cost-trace");
    assert_eq!(trace["verdict"], "pass", "{trace:#}");
    assert_eq!(trace["findings"][0]["waived"]["source"], "config");
    // Broken and escaping configs: a failing entry each, nothing of the machine read.
    for repo in ["acme/broken", "acme/escape"] {
        let p = packet(&report, repo, ".packetgate.yml");
        assert_eq!(p["findings"][0]["rule"], "repository-unreadable");
        assert_eq!(p["verdict"], "fail");
    }
    assert!(!r.stdout.contains("root:x:0"), "/etc/passwd was read");
    assert!(
        packet(&report, "acme/escape", ".packetgate.yml")["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("outside the repository")
    );
    // At most 5 requests per repository (here 2: archive and its download), the list apart.
    for (repo, n) in fake.requests_per_repo() {
        assert!(n <= 5, "{repo}: {n} requests");
    }
    assert!(r.stderr.contains("read 4 repositories in"), "{}", r.stderr);
    assert!(
        r.stderr.contains("left out: acme/old (archived)"),
        "{}",
        r.stderr
    );
    fake.assert_no_violations();
    // Nothing unpacked is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("packetgate-audit")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn repository_shards_merge_into_the_unsharded_report() {
    let dir = scratch("audit-remote-shards");
    let fake = start(org());
    let whole = audit(&dir, &fake, &["--repos", "org:acme", "--format", "json"]);
    let mut files = Vec::new();
    let mut seen = 0;
    for i in 1..=3 {
        let out = dir.join(format!("shard-{i}.json"));
        let shard = format!("{i}/3");
        let r = audit(
            &dir,
            &fake,
            &["--repos", "org:acme", "--shard", &shard, "--format", "json"],
        );
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        seen += json(&r)["packets"].as_array().unwrap().len();
        std::fs::write(&out, &r.stdout).unwrap();
        files.push(out.to_string_lossy().into_owned());
    }
    assert_eq!(seen, 5, "the shards are disjoint and cover the run");
    let mut args = vec!["merge", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let merged = support::run_in(&dir, &[&["audit"][..], &args].concat());
    assert_eq!(merged.code, whole.code, "{}", merged.stderr);
    assert_eq!(json(&merged), json(&whole));
    // Each repository was read by one shard: 3 shard runs + 1 whole run, 2 requests a read.
    for (repo, n) in fake.requests_per_repo() {
        assert!(
            n <= 4,
            "{repo}: {n} requests over the whole run and its shards"
        );
    }
}

#[test]
fn a_repository_list_file_names_the_repositories() {
    let dir = scratch("audit-remote-file");
    let fake = start(org());
    std::fs::write(
        dir.join("repos.txt"),
        "# audited\nacme/budgets\nacme/missing\n",
    )
    .unwrap();
    let r = audit(&dir, &fake, &["--repos", "repos.txt", "--format", "json"]);
    assert_eq!(r.code, 1);
    let report = json(&r);
    assert_eq!(report["packets"].as_array().unwrap().len(), 3, "{report:#}");
    let missing = packet(&report, "acme/missing", ".");
    assert_eq!(missing["findings"][0]["rule"], "repository-unreadable");
    std::fs::write(dir.join("bad.txt"), "acme/budgets\nnot a repo\n").unwrap();
    let r = audit(&dir, &fake, &["--repos", "bad.txt"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
    // No token: a usage error, before anything is read.
    let mut cmd = support::bin();
    let out = cmd
        .current_dir(&dir)
        .args(["audit", "--offline", "--repos", "org:acme"])
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_packet_health_issue_is_opened_updated_and_closed() {
    let dir = scratch("audit-remote-issue");
    let fake = start(org());
    let issue_repo = format!("{}/{}", fake::OWNER, fake::REPO);
    let r = audit(
        &dir,
        &fake,
        &[
            "--repos",
            "org:acme",
            "--publish-issue",
            "--issue-repo",
            &issue_repo,
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("packet health issue: opened"),
        "{}",
        r.stderr
    );
    let issues: Vec<fake::Issue> = fake.issues().into_iter().filter(|i| !i.is_pull).collect();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let body = &issues[0].body;
    assert_eq!(issues[0].title, "Packet health");
    assert!(body.contains("<!-- packetgate:health -->"), "{body}");
    assert!(
        body.contains("```mermaid") && body.contains("gantt"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "/acme/budgets/blob/{:040x}/changes/dirty.yaml",
            0xfeed_0001_u64
        )),
        "links to each packet at its commit: {body}"
    );
    // A second run with the same packets edits nothing new.
    let again = audit(
        &dir,
        &fake,
        &[
            "--repos",
            "org:acme",
            "--publish-issue",
            "--issue-repo",
            &issue_repo,
        ],
    );
    assert!(
        again.stderr.contains("already says this"),
        "{}",
        again.stderr
    );
    fake.assert_no_violations();
    // Everything healthy: the issue is closed, as completed.
    let healthy = start_with(
        vec![repo(
            "budgets",
            1,
            vec![RepoFile::text(
                "a.yaml",
                &example("valid/budget-change-new-request-class.yaml"),
            )],
        )],
        fake.issues().into_iter().filter(|i| !i.is_pull).collect(),
    );
    let r = audit(
        &dir,
        &healthy,
        &[
            "--repos",
            "org:acme",
            "--publish-issue",
            "--issue-repo",
            &issue_repo,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("closed"), "{}", r.stderr);
    let issues: Vec<fake::Issue> = healthy
        .issues()
        .into_iter()
        .filter(|i| !i.is_pull)
        .collect();
    assert_eq!(
        (issues[0].state.as_str(), issues[0].state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    healthy.assert_no_violations();
}

/// Attack 4: a repository past the packet limit is one entry, not one per file; a packet
/// citing hundreds of dated sources keeps at most 100 for the health report.
#[test]
fn a_repository_cannot_amplify_the_report() {
    let dir = scratch("audit-remote-amplify");
    let mut files = vec![RepoFile::text(
        ".packetgate.yml",
        "limits: {max_packets: 3}\n",
    )];
    for i in 0..5 {
        files.push(RepoFile::text(
            &format!("p{i}.yaml"),
            "packet: budget-change\n",
        ));
    }
    let mut sources = String::from("sources:\n");
    for i in 0..150 {
        sources.push_str(&format!(
            "  - {{url: \"https://apidoc.cometapi.com/p{i}\", accessed: 2026-11-14}}\n"
        ));
    }
    let many = repo(
        "dated",
        6,
        vec![RepoFile::text(
            "t.yaml",
            &format!("{}{sources}", support::PASSING_TRACE),
        )],
    );
    let fake = start(vec![repo("wide", 5, files), many]);
    let r = audit(&dir, &fake, &["--repos", "org:acme", "--format", "json"]);
    let report = json(&r);
    let wide: Vec<&Value> = report["packets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["repository"] == "acme/wide")
        .collect();
    assert_eq!(wide.len(), 1, "{report:#}");
    assert!(wide[0]["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("more than `limits.max_packets` (3)"));
    let dated = packet(&report, "acme/dated", "t.yaml");
    assert_eq!(dated["evidence"].as_array().unwrap().len(), 100);
}
