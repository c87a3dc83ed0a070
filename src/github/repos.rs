//! The repositories an org-wide audit reads, and each one's files at its default branch,
//! through the REST API and without a clone: `packetgate audit --repos FILE|org:NAME`.
//!
//! The flow per repository is at most three requests (see [`REQUESTS_PER_REPO`] for the
//! budget): the default branch, from the org listing or `GET /repos/{o}/{r}` (only for a
//! repository named in a file); `GET /repos/{o}/{r}/tarball/{branch}`, which GitHub answers
//! with a 302 to a signed download URL; and that download, made without the token (see
//! [`super::api`]). The archive is unpacked by [`super::archive`] as untrusted input. The
//! commit judged is the one the archive names in its pax global header (`comment`), which
//! GitHub and `git archive` both write, so the commit and the files always agree even when
//! the branch moves during the audit — no extra request is spent on it.
//!
//! Rate limits and retries are the gate's ([`Api`]); every retry is a request and is counted
//! in [`Snapshot::requests`]. Config and policies are the repository's own: they are in the
//! unpacked folder, read by the local audit from there.

use super::api::{Api, ApiError};
use super::archive::{self, ArchiveError, Skipped};
use serde_json::Value;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The most requests one repository may cost, its share of the org listing included: the
/// issue's budget. The flow above spends two (org listing) or three (file list), plus
/// retries when GitHub asks for them.
pub const REQUESTS_PER_REPO: u32 = 5;
/// The largest compressed archive downloaded (it is written to disk, not held in memory).
pub const MAX_ARCHIVE_BYTES: u64 = 512 * 1024 * 1024;
/// The org listing stops after this many pages (100 repositories each).
pub const MAX_LIST_PAGES: u32 = 1_000;

#[derive(Debug, Error)]
pub enum RepoError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A 404: the repository (or org) does not exist, or the token cannot see it.
    #[error("{what}: not found, or the token cannot read it (a token for other repositories needs `contents: read` on each)")]
    NotFound { what: String },
    #[error("{path}: {}", problems.join("; "))]
    BadList { path: String, problems: Vec<String> },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{repo}: {source}")]
    Archive { repo: String, source: ArchiveError },
    #[error("{repo}: the archive does not name its commit (no pax global header `comment` with a commit id)")]
    NoCommit { repo: String },
    #[error("{repo}: {message}")]
    Invalid { repo: String, message: String },
    #[error("{path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One repository to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
    /// Known from the org listing; `None` when named in a file (one more request).
    pub default_branch: Option<String>,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// Where `--repos` takes the repositories from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `org:NAME`.
    Org(String),
    /// A file with one `owner/name` per line.
    File(PathBuf),
}

impl Source {
    /// `org:NAME` names an org; anything else is a file path.
    pub fn parse(arg: &str) -> Source {
        match arg.strip_prefix("org:") {
            Some(org) => Source::Org(org.trim().to_string()),
            None => Source::File(PathBuf::from(arg)),
        }
    }
}

/// The repositories, in a stable order (by full name, case-insensitive), with the requests
/// the listing cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoList {
    pub repos: Vec<Repo>,
    pub requests: u32,
    /// Left out of an org listing: archived or disabled, as `owner/name (archived)`.
    pub left_out: Vec<String>,
}

impl RepoList {
    /// The repositories of shard `index` (0-based) of `count`: a stable partition by a hash
    /// of the lower-cased full name, so a shard keeps its repositories as others are added
    /// or removed, whatever the order of the list.
    pub fn shard(&self, index: u32, count: u32) -> Vec<&Repo> {
        self.repos
            .iter()
            .filter(|r| crate::audit::shard::of_repository(&r.full_name(), count) == index + 1)
            .collect()
    }
}

pub fn list(api: &Api, source: &Source) -> Result<RepoList, RepoError> {
    match source {
        Source::Org(org) => list_org(api, org),
        Source::File(path) => read_list(path),
    }
}

/// Every repository of an org (`GET /orgs/{org}/repos`, 100 a page), **without the archived
/// and the disabled ones**: an archived repository cannot change, and a disabled one cannot
/// be read; both are named in [`RepoList::left_out`].
pub fn list_org(api: &Api, org: &str) -> Result<RepoList, RepoError> {
    if !valid_name(org) {
        return Err(RepoError::BadList {
            path: format!("org:{org}"),
            problems: vec![format!("`{org}` is not an org name")],
        });
    }
    let what = format!("listing the repositories of {org}");
    let before = api.calls();
    let mut route = format!("/orgs/{org}/repos?per_page=100");
    let mut out = RepoList::default();
    for _ in 0..MAX_LIST_PAGES {
        let reply = api.get(&what, &route, None)?;
        if reply.status == 404 {
            return Err(RepoError::NotFound {
                what: format!("org `{org}`"),
            });
        }
        let page = reply.json(&what)?;
        let items = page.as_array().ok_or_else(|| RepoError::Invalid {
            repo: format!("org:{org}"),
            message: "the repository listing is not a list".into(),
        })?;
        for item in items {
            let full = item.get("full_name").and_then(Value::as_str);
            let (Some(full), Some(branch)) =
                (full, item.get("default_branch").and_then(Value::as_str))
            else {
                continue;
            };
            let Some((owner, name)) = full.split_once('/') else {
                continue;
            };
            let flag = |k: &str| item.get(k).and_then(Value::as_bool) == Some(true);
            if flag("archived") || flag("disabled") {
                let why = if flag("archived") {
                    "archived"
                } else {
                    "disabled"
                };
                out.left_out.push(format!("{full} ({why})"));
                continue;
            }
            out.repos.push(Repo {
                owner: owner.to_string(),
                name: name.to_string(),
                default_branch: Some(branch.to_string()),
            });
        }
        match reply.next_page() {
            Some(next) => route = api.route_of(&next),
            None => break,
        }
    }
    out.requests = api.calls() - before;
    sort_unique(&mut out.repos);
    Ok(out)
}

/// A file with one `owner/name` per line; `#` starts a comment, blank lines are ignored.
/// Every malformed line is reported, with its number.
pub fn read_list(path: &Path) -> Result<RepoList, RepoError> {
    let text = std::fs::read_to_string(path).map_err(|source| RepoError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_list(&text).map_err(|problems| RepoError::BadList {
        path: path.display().to_string(),
        problems,
    })
}

/// The repositories a `--repos` file names, or every problem found in it.
pub fn parse_list(text: &str) -> Result<RepoList, Vec<String>> {
    let mut repos = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('/').collect();
        match parts.as_slice() {
            [owner, name] if valid_name(owner) && valid_name(name) => repos.push(Repo {
                owner: owner.to_string(),
                name: name.to_string(),
                default_branch: None,
            }),
            _ => problems.push(format!("line {}: `{line}` is not `owner/name`", i + 1)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    sort_unique(&mut repos);
    Ok(RepoList {
        repos,
        ..RepoList::default()
    })
}

/// GitHub's owner and repository names: letters, digits, `-`, `_`, `.` (not `.` or `..`).
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn sort_unique(repos: &mut Vec<Repo>) {
    repos.sort_by_key(|r| r.full_name().to_ascii_lowercase());
    repos.dedup_by(|a, b| a.full_name().eq_ignore_ascii_case(&b.full_name()));
}

/// A repository's files at its default branch, unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub full_name: String,
    pub default_branch: String,
    /// The full commit id the files are from.
    pub commit: String,
    /// The unpacked repository root.
    pub dir: PathBuf,
    /// Requests this repository cost (retries included; not the listing's share).
    pub requests: u32,
    pub files: u64,
    pub bytes: u64,
    /// Links and special files left out.
    pub skipped: Vec<Skipped>,
}

/// Downloads `repo` at its default branch and unpacks it into `dest_dir` (created; it must
/// not exist or be empty). The compressed archive is kept beside it, as
/// `dest_dir` + `.tar.gz`, only while unpacking. When the download or the archive fails,
/// `dest_dir` is removed again.
pub fn fetch(api: &Api, repo: &Repo, dest_dir: &Path) -> Result<Snapshot, RepoError> {
    let before = api.calls();
    let full = repo.full_name();
    if !valid_name(&repo.owner) || !valid_name(&repo.name) {
        return Err(RepoError::Invalid {
            repo: full,
            message: "not an `owner/name`".into(),
        });
    }
    let branch = match &repo.default_branch {
        Some(b) => b.clone(),
        None => default_branch(api, repo)?,
    };
    prepare(dest_dir)?;
    let archive_path = {
        let mut p = dest_dir.as_os_str().to_owned();
        p.push(".tar.gz");
        PathBuf::from(p)
    };
    let folder_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RepoError::Folder { path, source }
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&archive_path)
        .map_err(folder_error(&archive_path))?;
    let route = format!(
        "/repos/{}/{}/tarball/{}",
        repo.owner,
        repo.name,
        encode_ref(&branch)
    );
    let what = format!("downloading {full} at `{branch}`");
    let downloaded = api.download(&what, &route, &mut file, MAX_ARCHIVE_BYTES);
    let unpacked = downloaded.map_err(|e| match e {
        ApiError::Status { status: 404, .. } => RepoError::NotFound {
            what: format!("{full} at `{branch}`"),
        },
        e => RepoError::Api(e),
    });
    let unpacked = unpacked.and_then(|_| {
        use std::io::Seek;
        file.rewind().map_err(folder_error(&archive_path))?;
        archive::unpack(&mut file, dest_dir).map_err(|source| RepoError::Archive {
            repo: full.clone(),
            source,
        })
    });
    drop(file);
    let _ = std::fs::remove_file(&archive_path);
    if unpacked.is_err() {
        // Nothing half-unpacked (from a refused archive) is left for a caller to judge.
        let _ = std::fs::remove_dir_all(dest_dir);
    }
    let unpacked = unpacked?;
    let commit = unpacked
        .commit
        .filter(|c| is_commit_id(c))
        .ok_or_else(|| RepoError::NoCommit { repo: full.clone() })?;
    Ok(Snapshot {
        full_name: full,
        default_branch: branch,
        commit,
        dir: dest_dir.to_path_buf(),
        requests: api.calls() - before,
        files: unpacked.files,
        bytes: unpacked.bytes,
        skipped: unpacked.skipped,
    })
}

/// `GET /repos/{o}/{r}`: the default branch (one request, for repositories named in a file).
fn default_branch(api: &Api, repo: &Repo) -> Result<String, RepoError> {
    let full = repo.full_name();
    let what = format!("reading {full}");
    let reply = api.get(&what, &format!("/repos/{full}"), None)?;
    if reply.status == 404 {
        return Err(RepoError::NotFound { what: full });
    }
    let v = reply.json(&what)?;
    if v.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Err(RepoError::Invalid {
            repo: full,
            message: "the repository is disabled".into(),
        });
    }
    v.get("default_branch")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .ok_or_else(|| RepoError::Invalid {
            repo: full,
            message: "GitHub named no default branch (an empty repository?)".into(),
        })
}

/// The folder to unpack into: created, and empty.
fn prepare(dir: &Path) -> Result<(), RepoError> {
    let err = |source| RepoError::Folder {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    if std::fs::read_dir(dir).map_err(err)?.next().is_some() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the folder to unpack into is not empty",
        )));
    }
    Ok(())
}

/// A branch name as one path segment (`release/1.0` → `release%2F1.0`).
fn encode_ref(branch: &str) -> String {
    let mut out = String::new();
    for b in branch.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A SHA-1 or SHA-256 commit id in lower-case hex.
fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_files_name_every_bad_line() {
        let ok = parse_list("# audited\nacme/api\n\n  acme/web  # the site\nAcme/API\n").unwrap();
        let names: Vec<String> = ok.repos.iter().map(Repo::full_name).collect();
        assert_eq!(names, ["acme/api", "acme/web"]);
        let bad = parse_list("acme/api\nacme\nacme/a/b\n/x\nacme/../x\nacme/ok\nacme/sp ace\n")
            .unwrap_err();
        assert_eq!(
            bad,
            [
                "line 2: `acme` is not `owner/name`",
                "line 3: `acme/a/b` is not `owner/name`",
                "line 4: `/x` is not `owner/name`",
                "line 5: `acme/../x` is not `owner/name`",
                "line 7: `acme/sp ace` is not `owner/name`",
            ]
        );
    }

    #[test]
    fn shards_partition_stably() {
        let list = RepoList {
            repos: (0..200)
                .map(|i| Repo {
                    owner: "bench".into(),
                    name: format!("repo-{i:03}"),
                    default_branch: None,
                })
                .collect(),
            ..RepoList::default()
        };
        let sizes: Vec<usize> = (0..4).map(|i| list.shard(i, 4).len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        assert!(sizes.iter().all(|&n| n > 25), "{sizes:?}");
        use crate::audit::shard::of_repository;
        assert_eq!(
            of_repository("Bench/Repo-007", 4),
            of_repository("bench/repo-007", 4)
        );
        assert_eq!(of_repository("anything", 1), 1);
        assert_eq!(Source::parse("org:acme"), Source::Org("acme".into()));
        assert_eq!(Source::parse("repos.txt"), Source::File("repos.txt".into()));
        assert_eq!(encode_ref("release/1.0"), "release%2F1.0");
    }
}
