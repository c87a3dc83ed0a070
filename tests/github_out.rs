//! What the pull-request gate sends GitHub, as GitHub would take and show it: the real
//! binary against the fake GitHub API (which refuses duplicated single-value headers and
//! bodies over GitHub's limits), and every Markdown text it wrote — check-run summary, sticky
//! comment, inline review comments, job summary — rendered by a CommonMark parser to prove a
//! packet planted no link, image, mention or HTML, and that each value shows as written.

#[path = "support/github/mod.rs"]
mod fake;
mod support;

use fake::{FakeGitHub, PrFile, Setup};
use pulldown_cmark::{Event, Options, Parser, Tag};
use std::path::PathBuf;
use support::{root, scratch};

use support::gate::git;

/// A repository whose pull request adds `files`, and the fake GitHub serving it.
struct Pr {
    dir: PathBuf,
    event: PathBuf,
    fake: FakeGitHub,
}

fn pull_request(name: &str, files: &[(&str, String)]) -> Pr {
    let top = scratch(&format!("github-out-{name}"));
    let dir = top.join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    std::fs::write(dir.join("README.md"), "# budgets\n").unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "base"]);
    let base = git(&dir, &["rev-parse", "HEAD"]);
    let mut listed = Vec::new();
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        let lines: Vec<String> = text.lines().map(|l| format!("+{l}")).collect();
        let patch = format!("@@ -0,0 +1,{} @@\n{}", lines.len(), lines.join("\n"));
        listed.push(PrFile::added(path, &patch));
    }
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "head"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    for f in &mut listed {
        f.sha = Some(git(&dir, &["rev-parse", &format!("HEAD:{}", f.filename)]));
    }
    let mut payload = fake::payload("pull_request.opened.payload.json");
    payload["pull_request"]["head"]["sha"] = head.clone().into();
    payload["pull_request"]["base"]["sha"] = base.into();
    let event = top.join("event.json");
    std::fs::write(&event, serde_json::to_string(&payload).unwrap()).unwrap();
    let fake = FakeGitHub::start(Setup {
        head_sha: head,
        files: listed,
        token: Some("test-token".into()),
        ..Setup::default()
    });
    Pr { dir, event, fake }
}

/// Runs the gate in `inline` comment mode; (exit code, stderr, job summary).
fn gate(pr: &Pr) -> (i32, String, String) {
    let g = support::gate::run(
        &pr.dir,
        &pr.fake.api_url(),
        &pr.event,
        &[],
        &["--comment-mode", "inline"],
    );
    (g.code, g.stderr, g.summary)
}

/// Every Markdown text the gate wrote, named.
fn texts(pr: &Pr, job_summary: String) -> Vec<(String, String)> {
    let mut out = vec![("job summary".to_string(), job_summary)];
    for run in pr.fake.check_runs() {
        out.push(("check-run summary".into(), run.summary.unwrap_or_default()));
    }
    for c in pr.fake.comments() {
        out.push(("sticky comment".into(), c.body));
    }
    for r in pr.fake.reviews() {
        out.push(("review".into(), r.body));
        for c in r.comments {
            out.push(("inline comment".into(), c["body"].as_str().unwrap().into()));
        }
    }
    out
}

/// What a reader sees of a text: its code spans, and its plain text.
#[derive(Default)]
struct Seen {
    code: Vec<String>,
    text: String,
}

/// Renders `md` as GitHub does (tables, strikethrough, math, alerts) and fails on anything
/// active the gate did not write itself.
fn render(name: &str, md: &str) -> Seen {
    let mut seen = Seen::default();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_FOOTNOTES;
    // The gate's own tags and hidden markers; anything else is planted.
    let ours = [
        "<sub>",
        "</sub>",
        "<details>",
        "<summary>",
        "</summary>",
        "</details>",
    ];
    for event in Parser::new_ext(md, options) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => {
                let h = h.trim();
                assert!(
                    ours.contains(&h) || h.starts_with("<!-- packetgate:"),
                    "{name}: HTML {h:?} in\n{md}"
                );
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                panic!("{name}: an image of {dest_url} in\n{md}")
            }
            Event::Start(Tag::Link { dest_url, .. }) => assert!(
                dest_url.starts_with("https://github.com/Codertocat/Hello-World/blob/")
                    || dest_url
                        .starts_with("https://github.com/Codertocat/Hello-World/actions/runs/"),
                "{name}: a link to {dest_url} in\n{md}"
            ),
            Event::InlineMath(m) | Event::DisplayMath(m) => {
                panic!("{name}: math {m:?} in\n{md}")
            }
            Event::Code(c) => seen.code.push(c.into_string()),
            Event::Text(t) => {
                // GitHub links these after rendering: a mention, an issue, a bare URL (the
                // gate's own "pull request #2" aside).
                let t = t.replace("pull request #2", "");
                for (i, c) in t.char_indices() {
                    let next = t[i + c.len_utf8()..].chars().next();
                    if c == '@' || c == '#' {
                        assert!(
                            !next.is_some_and(|n| n.is_ascii_alphanumeric()),
                            "{name}: a live {c} in {t:?}"
                        );
                    }
                }
                assert!(
                    !t.contains("://") && !t.to_ascii_lowercase().contains("www."),
                    "{name}: a bare link in {t:?}"
                );
                seen.text.push_str(&t);
                seen.text.push(' ');
            }
            _ => {}
        }
    }
    seen
}

fn example() -> String {
    std::fs::read_to_string(root().join("examples/valid/budget-change-new-request-class.yaml"))
        .unwrap()
}

fn set(packet: &str, key: &str, value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap();
    let mut done = false;
    let out: Vec<String> = packet
        .lines()
        .map(|l| match l.strip_prefix(&format!("{key}:")) {
            Some(_) if !done => {
                done = true;
                format!("{key}: {quoted}")
            }
            _ => l.to_string(),
        })
        .collect();
    assert!(done, "no {key}");
    out.join("\n") + "\n"
}

const PLANTED: &str = "@octo-org/platform [click](https://evil.example/x) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> www.evil.example #12 $x$ | cell";
const BREAKOUT: &str = "x` @octo-org/admins [pwn](https://evil.example) <b>b</b> `";
const FILE: &str = "budgets/@octo-org <b>team</b> [y](https:evil).yaml";

#[test]
fn planted_markdown_reaches_github_inert_and_every_value_shows_as_written() {
    let mut packet = example();
    packet = set(&packet, "owner", "<WORKLOAD_NAME>");
    packet = set(&packet, "environment", PLANTED);
    packet = set(&packet, "change_id", BREAKOUT);
    packet = set(&packet, "provider", "a`b");
    let pr = pull_request("planted", &[(FILE, packet)]);
    let (code, stderr, job_summary) = gate(&pr);
    assert_eq!(code, 1, "{stderr}");
    pr.fake.assert_no_violations();
    let texts = texts(&pr, job_summary);
    let names: Vec<&str> = texts.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "job summary",
        "check-run summary",
        "sticky comment",
        "inline comment",
    ] {
        assert!(names.contains(&want), "no {want} among {names:?}");
    }
    // What each kind of text shows, its pieces together (one inline comment per finding).
    let mut kinds: Vec<(String, Seen, String)> = Vec::new();
    for (name, md) in &texts {
        let seen = render(name, md);
        match kinds.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, all, mds)) => {
                all.code.extend(seen.code);
                all.text.push_str(&seen.text);
                mds.push_str(md);
            }
            None => kinds.push((name.clone(), seen, md.clone())),
        }
    }
    for (name, seen, md) in &kinds {
        if name == "review" {
            continue;
        }
        // Each value as the packet has it, in one code span: no `&lt;` in sight.
        for value in ["<WORKLOAD_NAME>", PLANTED, "a`b"] {
            assert!(
                seen.code.iter().any(|c| c == value),
                "{name}: {value:?} not shown whole; code spans {:?}\n{md}",
                seen.code
            );
        }
        assert!(!md.contains("&lt;"), "{name}: an entity shown as is\n{md}");
        if name != "inline comment" {
            assert!(
                seen.code.iter().any(|c| c == FILE),
                "{name}: the file name not shown whole\n{md}"
            );
        }
        // The break-out value is inert above; its words are all still there to read.
        let all = format!("{}{}", seen.text, seen.code.join(""));
        for word in ["octo-org/admins", "pwn", "evil.example"] {
            assert!(all.contains(word), "{name}: {word} lost\n{md}");
        }
    }
}

#[test]
fn every_request_carries_one_user_agent_and_one_api_version() {
    let pr = pull_request(
        "headers",
        &[("budgets/a.yaml", set(&example(), "owner", ""))],
    );
    let (code, stderr, _) = gate(&pr);
    assert_eq!(code, 1, "{stderr}");
    pr.fake.assert_no_violations();
    let requests = pr.fake.requests();
    assert!(requests.len() >= 4, "{}", requests.len());
    for r in &requests {
        let count = |name: &str| r.headers.iter().filter(|(k, _)| k == name).count();
        assert_eq!(
            count("user-agent"),
            1,
            "{} {}: {:?}",
            r.method,
            r.path,
            r.headers
        );
        assert_eq!(count("x-github-api-version"), 1, "{} {}", r.method, r.path);
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
    }
}

#[test]
fn values_past_githubs_limits_are_cut_by_githubs_count_with_a_note() {
    // 70,000 two-byte characters: past the inline comment's 65,536 characters, and past
    // the annotation's 64 KB though under its 65,536 characters.
    let long = "é".repeat(70_000);
    let pr = pull_request(
        "limits",
        &[("budgets/a.yaml", set(&example(), "environment", &long))],
    );
    let (code, stderr, job_summary) = gate(&pr);
    assert_eq!(code, 1, "{stderr}");
    pr.fake.assert_no_violations();
    let run = &pr.fake.check_runs()[0];
    let note = &run.annotations[0].message;
    assert!(note.len() <= 64 * 1024, "{}", note.len());
    assert!(
        note.contains("more characters left out for GitHub's size limit]"),
        "{}",
        &note[note.len() - 200..]
    );
    let reviews = pr.fake.reviews();
    let inline = reviews[0].comments[0]["body"].as_str().unwrap();
    assert!(inline.chars().count() <= 65_536);
    assert!(
        inline.contains("more characters left out"),
        "{}",
        inline.len()
    );
    for (name, md) in texts(&pr, job_summary) {
        assert!(
            md.chars().count() <= 65_536 || name == "job summary",
            "{name}"
        );
    }
}
