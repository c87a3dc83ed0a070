//! The remote audit's GitHub side, driven through the library against the fake GitHub over
//! 127.0.0.1: org listings, repositories read from their tarballs within the request budget,
//! hostile archives, rate limits, and the sticky packet health issue. Every request must
//! validate against the contract slices and GitHub's published description.

#[path = "support/github/mod.rs"]
mod github;

use github::{FakeGitHub, FakeRepo, Fault, FaultReply, Issue, Org, RepoFile, Setup};
use packetgate::github::api::{Api, ApiError};
use packetgate::github::archive::{self, ArchiveError};
use packetgate::github::issue::{self, Outcome, MARKER};
use packetgate::github::repos::{self, Repo, RepoError, REQUESTS_PER_REPO};
use std::path::{Path, PathBuf};

const ORG: &str = "acme";

fn sha(i: usize) -> String {
    format!("{:040x}", 0xabc0_0000_u64 + i as u64)
}

fn repo(name: &str, i: usize, files: Vec<RepoFile>) -> FakeRepo {
    FakeRepo::new(name, &sha(i), files)
}

fn start(repos: Vec<FakeRepo>) -> FakeGitHub {
    FakeGitHub::start(Setup {
        org: Some(Org {
            name: ORG.into(),
            repos,
        }),
        ..Setup::default()
    })
}

fn api(fake: &FakeGitHub) -> Api {
    Api::new(&fake.api_url(), "t0ken", github::OWNER, github::REPO).expect("client")
}

/// A fresh folder under the target directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("audit-remote-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn org_repo(name: &str) -> Repo {
    Repo {
        owner: ORG.into(),
        name: name.into(),
        default_branch: None,
    }
}

#[test]
fn an_org_is_listed_page_by_page_without_archived_or_disabled_repositories() {
    let mut all: Vec<FakeRepo> = (0..230)
        .map(|i| repo(&format!("svc-{i:03}"), i, Vec::new()))
        .collect();
    all[3].archived = true;
    all[200].disabled = true;
    all[7].default_branch = "trunk".into();
    let fake = start(all);
    let api = api(&fake);
    let list = repos::list(&api, &repos::Source::parse("org:acme")).unwrap();
    assert_eq!(list.repos.len(), 228);
    assert_eq!(list.requests, 3, "230 repositories, 100 a page");
    assert_eq!(fake.count("GET", "/orgs/acme/repos"), 3);
    assert_eq!(
        list.left_out,
        ["acme/svc-003 (archived)", "acme/svc-200 (disabled)"]
    );
    let trunk = list.repos.iter().find(|r| r.name == "svc-007").unwrap();
    assert_eq!(trunk.default_branch.as_deref(), Some("trunk"));
    let sharded: usize = (0..4).map(|i| list.shard(i, 4).len()).sum();
    assert_eq!(sharded, 228);
    for r in fake.requests() {
        assert_eq!(r.query_param("per_page").as_deref(), Some("100"));
    }
    // An org the token cannot see.
    let fake2 = start(Vec::new());
    let api2 = self::api(&fake2);
    let empty = repos::list_org(&api2, ORG).unwrap();
    assert!(empty.repos.is_empty());
    fake.assert_no_violations();
    fake.assert_all_published();
}

fn packet_files() -> Vec<RepoFile> {
    let deep = format!("budgets/{}/deep.packet.yaml", "nested".repeat(20));
    vec![
        RepoFile::text("packetgate.toml", "[packets]\n"),
        RepoFile::text("budgets/a.packet.yaml", "packet: budget\nid: A\n"),
        RepoFile::text("docs/b.md", "---\npacket: budget\n---\n# B\n"),
        RepoFile::text(&deep, "packet: budget\nid: deep\n"),
    ]
}

#[test]
fn repositories_are_read_from_their_tarballs_within_the_request_budget() {
    let mut release = repo("web", 2, packet_files());
    release.default_branch = "release/1.0".into();
    let fake = start(vec![repo("api", 1, packet_files()), release]);
    let api = api(&fake);
    let scratch = Scratch::new("fetch");
    let list = repos::list_org(&api, ORG).unwrap();
    let mut snaps = Vec::new();
    for r in &list.repos {
        let snap = repos::fetch(&api, r, &scratch.0.join(&r.name)).unwrap();
        // Known default branch: the tarball's 302 and the download.
        assert_eq!(snap.requests, 2, "{snap:?}");
        snaps.push(snap);
    }
    assert_eq!(snaps[0].full_name, "acme/api");
    assert_eq!(snaps[0].commit, sha(1));
    assert_eq!(snaps[1].default_branch, "release/1.0");
    assert_eq!(snaps[1].commit, sha(2));
    for snap in &snaps {
        assert_eq!(snap.files, 4);
        assert!(snap.skipped.is_empty());
        for f in packet_files() {
            let RepoFile::Text { path, text } = f else {
                unreachable!()
            };
            assert_eq!(
                std::fs::read_to_string(snap.dir.join(&path)).unwrap(),
                text,
                "{path}"
            );
        }
    }
    // The budget, as the fake counted: each repository's requests and its share of the
    // listing.
    let share = fake.count("GET", "/orgs/").div_ceil(list.repos.len());
    let counted = fake.requests_per_repo();
    assert_eq!(counted.len(), 2);
    for (name, n) in &counted {
        assert_eq!(n + share, 3, "{name}");
        assert!(n + share <= REQUESTS_PER_REPO as usize);
    }
    // Named in a file: one more request for the default branch.
    let from_file = repos::parse_list("acme/api\n").unwrap();
    let snap = repos::fetch(&api, &from_file.repos[0], &scratch.0.join("again")).unwrap();
    assert_eq!(snap.requests, 3);
    assert_eq!(snap.commit, sha(1));
    // The archive is removed once unpacked.
    assert!(!scratch.0.join("again.tar.gz").exists());
    // The token went to the API only: the fake records a violation otherwise.
    fake.assert_no_violations();
    fake.assert_all_published();
}

#[test]
fn a_missing_repository_or_branch_is_not_found() {
    let fake = start(vec![repo("api", 1, packet_files())]);
    let api = api(&fake);
    let scratch = Scratch::new("missing");
    let wrong_branch = Repo {
        default_branch: Some("gone".into()),
        ..org_repo("api")
    };
    let e = repos::fetch(&api, &wrong_branch, &scratch.0.join("x")).unwrap_err();
    assert!(matches!(e, RepoError::NotFound { .. }), "{e}");
    let e = repos::fetch(&api, &org_repo("../etc"), &scratch.0.join("y")).unwrap_err();
    assert!(matches!(e, RepoError::Invalid { .. }), "{e}");
    fake.assert_no_violations();
}

/// A tar entry with any name, written byte by byte (the `tar` crate refuses `..` and
/// absolute names, which is the point here).
fn raw_entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, data: &[u8], link: &str) {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn pax_global(out: &mut Vec<u8>, commit: &str) {
    let rec = github::pax_record("comment", commit);
    raw_entry(
        out,
        "pax_global_header",
        tar::EntryType::XGlobalHeader,
        rec.as_bytes(),
        "",
    );
}

fn gzip(mut tar: Vec<u8>) -> Vec<u8> {
    use std::io::Write;
    tar.extend_from_slice(&[0; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn hostile(name: &str, i: usize, entries: impl FnOnce(&mut Vec<u8>)) -> FakeRepo {
    let mut tar = Vec::new();
    pax_global(&mut tar, &sha(i));
    entries(&mut tar);
    FakeRepo {
        archive: Some(gzip(tar)),
        ..repo(name, i, Vec::new())
    }
}

#[test]
fn hostile_archives_are_refused_or_skipped() {
    use tar::EntryType::{Block, Link, Regular, Symlink, XHeader};
    let top = "acme-x-abc0000";
    let fake = start(vec![
        hostile("dotdot", 1, |t| {
            raw_entry(t, &format!("{top}/../../escaped"), Regular, b"x", "")
        }),
        hostile("absolute", 2, |t| {
            raw_entry(t, "/tmp/packetgate-absolute", Regular, b"x", "")
        }),
        hostile("links", 3, |t| {
            raw_entry(t, &format!("{top}/ok.packet.yaml"), Regular, b"id: 1\n", "");
            raw_entry(t, &format!("{top}/passwd"), Symlink, b"", "/etc/passwd");
            raw_entry(t, &format!("{top}/up"), Symlink, b"", "../..");
            raw_entry(t, &format!("{top}/hard"), Link, b"", "/etc/shadow");
            raw_entry(t, &format!("{top}/dev"), Block, b"", "");
            // Through a link that is not there: a plain folder is made instead.
            raw_entry(t, &format!("{top}/up/x.md"), Regular, b"x", "");
        }),
        hostile("oversize", 4, |t| {
            // Claims more than the cap; the bytes never come.
            let mut h = tar::Header::new_ustar();
            h.set_path(format!("{top}/huge.bin")).unwrap();
            h.set_size(archive::MAX_EXTRACTED_BYTES + 1);
            h.set_entry_type(Regular);
            h.set_cksum();
            t.extend_from_slice(h.as_bytes());
        }),
        hostile("bigmeta", 5, |t| {
            raw_entry(t, "PaxHeader", XHeader, &vec![b'a'; 1 << 20], "")
        }),
        hostile("nocommit", 6, |t| {
            t.clear();
            raw_entry(t, &format!("{top}/a.md"), Regular, b"x", "");
        }),
        FakeRepo {
            archive: Some(b"this is not gzip".to_vec()),
            ..repo("garbage", 7, Vec::new())
        },
    ]);
    let api = api(&fake);
    let scratch = Scratch::new("hostile");
    let fetch = |name: &str| repos::fetch(&api, &org_repo(name), &scratch.0.join("in").join(name));
    let archive_error = |r: Result<repos::Snapshot, RepoError>| match r {
        Err(RepoError::Archive { source, .. }) => source,
        other => panic!("expected an archive error, got {other:?}"),
    };
    assert!(matches!(
        archive_error(fetch("dotdot")),
        ArchiveError::UnsafePath { .. }
    ));
    assert!(!scratch.0.join("escaped").exists());
    assert!(
        !scratch.0.join("in/dotdot").exists(),
        "nothing half-unpacked is left"
    );
    assert!(!scratch.0.join("in/escaped").exists());
    assert!(matches!(
        archive_error(fetch("absolute")),
        ArchiveError::UnsafePath { .. }
    ));
    assert!(!Path::new("/tmp/packetgate-absolute").exists());
    let e = archive_error(fetch("oversize"));
    assert!(matches!(e, ArchiveError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("MAX_EXTRACTED_BYTES"), "{e}");
    let e = archive_error(fetch("bigmeta"));
    assert!(matches!(e, ArchiveError::MetaTooLarge { .. }), "{e}");
    assert!(matches!(
        archive_error(fetch("garbage")),
        ArchiveError::Corrupt(_)
    ));
    assert!(matches!(fetch("nocommit"), Err(RepoError::NoCommit { .. })));

    let snap = fetch("links").unwrap();
    let kinds: Vec<(&str, &str)> = snap
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("passwd", "symlink"),
            ("up", "symlink"),
            ("hard", "hardlink"),
            ("dev", "device")
        ]
    );
    assert_eq!(snap.files, 2);
    for entry in walk(&snap.dir) {
        let meta = std::fs::symlink_metadata(&entry).unwrap();
        assert!(!meta.file_type().is_symlink(), "{}", entry.display());
    }
    assert!(snap.dir.join("up").is_dir());
    fake.assert_no_violations();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn too_many_entries_are_refused() {
    let mut tar = Vec::new();
    pax_global(&mut tar, &sha(1));
    for i in 0..=archive::MAX_ENTRIES {
        // Links: counted like any entry, and cheap (nothing is written for them).
        raw_entry(
            &mut tar,
            &format!("t/{i}"),
            tar::EntryType::Symlink,
            b"",
            "x",
        );
    }
    let scratch = Scratch::new("entries");
    let e = archive::unpack(gzip(tar).as_slice(), &scratch.0).unwrap_err();
    assert!(matches!(e, ArchiveError::TooManyEntries { .. }), "{e}");
    assert!(e.to_string().contains("MAX_ENTRIES"));
}

#[test]
fn rate_limits_and_failed_downloads_are_retried_and_counted() {
    let mut setup = Setup {
        org: Some(Org {
            name: ORG.into(),
            repos: vec![repo("api", 1, packet_files())],
        }),
        ..Setup::default()
    };
    setup.faults = vec![
        Fault::new(
            "GET",
            "/repos/acme/api/tarball",
            1,
            FaultReply::RateLimited {
                status: 429,
                retry_after_secs: Some(1),
                reset_in_secs: None,
            },
        ),
        Fault::new("GET", "/codeload/acme/api/", 1, FaultReply::Status(502)),
        Fault::new(
            "GET",
            "/orgs/acme/repos",
            1,
            FaultReply::RateLimited {
                status: 403,
                retry_after_secs: None,
                reset_in_secs: Some(1),
            },
        ),
    ];
    let fake = FakeGitHub::start(setup);
    let api = api(&fake);
    let scratch = Scratch::new("retry");
    let list = repos::list_org(&api, ORG).unwrap();
    assert_eq!(list.requests, 2, "the primary limit waited out once");
    let snap = repos::fetch(&api, &list.repos[0], &scratch.0.join("api")).unwrap();
    assert_eq!(snap.requests, 4, "each retry is a request");
    assert_eq!(snap.commit, sha(1));
    assert_eq!(fake.requests_per_repo()["acme/api"], 4);
    assert!(fake.requests_per_repo()["acme/api"] < REQUESTS_PER_REPO as usize);
    fake.assert_no_violations();

    // A limit that resets in an hour is reported, not waited for.
    let fake = FakeGitHub::start(Setup {
        org: Some(Org {
            name: ORG.into(),
            repos: vec![repo("api", 1, packet_files())],
        }),
        faults: vec![Fault::new(
            "GET",
            "/repos/acme/api/tarball",
            9,
            FaultReply::RateLimited {
                status: 403,
                retry_after_secs: None,
                reset_in_secs: Some(3600),
            },
        )],
        ..Setup::default()
    });
    let api = self::api(&fake);
    let e = repos::fetch(&api, &org_repo("api"), &scratch.0.join("limited")).unwrap_err();
    assert!(
        matches!(e, RepoError::Api(ApiError::RateLimited { .. })),
        "{e}"
    );
}

#[test]
fn the_fake_refuses_audit_requests_the_contract_refuses() {
    let fake = start(vec![repo("api", 1, Vec::new())]);
    let api = api(&fake);
    let r = api
        .get("x", "/orgs/acme/repos?per_page=500", None)
        .unwrap_err();
    assert!(matches!(r, ApiError::Status { status: 422, .. }), "{r}");
    let r = api.get("x", "/orgs/someone-else/repos", None).unwrap();
    assert_eq!(r.status, 404);
    let v = fake.violations();
    assert!(v.iter().any(|v| v.contains("per_page")), "{v:#?}");
    assert!(v.iter().any(|v| v.contains("someone-else")), "{v:#?}");
}

fn marked(text: &str) -> String {
    format!("{MARKER}\n{text}")
}

#[test]
fn the_health_issue_is_created_edited_closed_and_reopened() {
    let mut issues: Vec<Issue> = (100..250)
        .map(|n| Issue::by_user(n, "octocat", &format!("Issue {n}"), "text"))
        .collect();
    // A person quoting the marker, and a pull request by a bot with it: neither is ours.
    let theirs = Issue::by_user(90, "octocat", "Packet health", &marked("mine"));
    let pull = Issue {
        is_pull: true,
        ..Issue::by_bot(91, "Packet health", &marked("a pull request"))
    };
    issues.push(theirs.clone());
    issues.push(pull.clone());
    let fake = FakeGitHub::start(Setup {
        issues,
        ..Setup::default()
    });
    let api = api(&fake);
    let title = "Packet health";

    assert_eq!(
        issue::publish(&api, title, "all good", true).unwrap(),
        Outcome::NotNeeded
    );
    assert_eq!(fake.count("POST", "/repos/"), 0);

    let created = issue::publish(&api, title, "2 packets fail", false).unwrap();
    let Outcome::Created(n) = created else {
        panic!("{created:?}")
    };
    let ours = |fake: &FakeGitHub| fake.issues().into_iter().find(|i| i.number == n).unwrap();
    assert_eq!(ours(&fake).body, marked("2 packets fail"));
    assert_eq!(ours(&fake).state, "open");

    assert_eq!(
        issue::publish(&api, title, "2 packets fail", false).unwrap(),
        Outcome::Unchanged(n)
    );
    assert_eq!(
        issue::publish(&api, title, "1 packet fails", false).unwrap(),
        Outcome::Updated(n)
    );
    assert_eq!(ours(&fake).body, marked("1 packet fails"));

    assert_eq!(
        issue::publish(&api, title, "all good", true).unwrap(),
        Outcome::Closed(n)
    );
    let closed = ours(&fake);
    assert_eq!(
        (closed.state.as_str(), closed.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    assert_eq!(closed.body, marked("all good"));
    assert_eq!(
        issue::publish(&api, title, "all good", true).unwrap(),
        Outcome::Unchanged(n)
    );

    assert_eq!(
        issue::publish(&api, title, "3 packets fail", false).unwrap(),
        Outcome::Reopened(n)
    );
    assert_eq!(ours(&fake).state, "open");
    assert_eq!(fake.count("POST", "/repos/"), 1, "one issue, ever");

    // The others are as they were.
    let now = fake.issues();
    assert_eq!(now.iter().find(|i| i.number == 90), Some(&theirs));
    assert_eq!(now.iter().find(|i| i.number == 91), Some(&pull));
    // The whole list was read, closed issues included.
    assert!(fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .all(|r| r.query_param("state").as_deref() == Some("all")));
    assert!(fake.count("GET", "/repos/Codertocat/Hello-World/issues") >= 2 * 6);
    fake.assert_no_violations();
    fake.assert_all_published();
}

#[test]
fn the_health_issue_body_is_capped_and_a_refusal_is_typed() {
    let fake = FakeGitHub::start(Setup::default());
    let api = api(&fake);
    let huge = "x".repeat(100_000);
    let Outcome::Created(n) = issue::publish(&api, "Packet health", &huge, false).unwrap() else {
        panic!()
    };
    let body = &fake
        .issues()
        .into_iter()
        .find(|i| i.number == n)
        .unwrap()
        .body;
    assert!(body.chars().count() <= 65_536);
    assert!(body.starts_with(MARKER));
    fake.assert_no_violations();

    let fake = FakeGitHub::start(Setup {
        deny_writes: true,
        ..Setup::default()
    });
    let api = self::api(&fake);
    let e = issue::publish(&api, "Packet health", "1 packet fails", false).unwrap_err();
    assert!(e.is_forbidden(), "{e}");
    assert!(e.to_string().contains("issues=write"), "{e}");
}
