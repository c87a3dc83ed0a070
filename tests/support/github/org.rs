//! An org of repositories for the remote audit ([`Org`], [`FakeRepo`]): the org listing,
//! a repository, its tarball route (a 302 to a codeload-style URL on the same server, as
//! GitHub redirects to `codeload.github.com`), and the download itself — a gzip tar with
//! the pax global header `comment` set to the commit id and every file under one top folder
//! `owner-repo-<sha7>/`, as GitHub's archives are.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::handle::{Call, Ctx};
use super::http::RawRequest;
use super::openapi::contract;
use super::recorded::Recorded;
use super::reply::{fault_reply, Outcome, Reply};
use super::routes::not_found;
use super::state::Shared;
use super::util::{iso8601, percent_decode, percent_encode, unix_now};
use super::FaultReply;

/// The path the download URLs start with (no `/api/v3`: it is not the API).
pub const CODELOAD_PREFIX: &str = "/codeload";

/// An org with its repositories (the owner of each is the org).
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub name: String,
    pub repos: Vec<FakeRepo>,
}

/// One repository of the org.
#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub name: String,
    pub default_branch: String,
    /// The default branch's commit (40 hex digits): in the archive's pax header.
    pub commit: String,
    pub archived: bool,
    pub disabled: bool,
    /// The files at the default branch.
    pub files: Vec<RepoFile>,
    /// Served instead of an archive made from `files` (a hostile archive, built by a test).
    pub archive: Option<Vec<u8>>,
}

impl FakeRepo {
    pub fn new(name: &str, commit: &str, files: Vec<RepoFile>) -> FakeRepo {
        FakeRepo {
            name: name.into(),
            default_branch: "main".into(),
            commit: commit.into(),
            archived: false,
            disabled: false,
            files,
            archive: None,
        }
    }
}

/// A file of a repository: its text, or a file on disk read when the archive is made (the
/// benchmark's 100,000 packets stay on disk, not in the fake's memory).
#[derive(Debug, Clone)]
pub enum RepoFile {
    Text { path: String, text: String },
    Disk { path: String, from: PathBuf },
}

impl RepoFile {
    pub fn text(path: &str, text: &str) -> RepoFile {
        RepoFile::Text {
            path: path.into(),
            text: text.into(),
        }
    }

    fn path(&self) -> &str {
        match self {
            RepoFile::Text { path, .. } | RepoFile::Disk { path, .. } => path,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            RepoFile::Text { text, .. } => text.as_bytes().to_vec(),
            RepoFile::Disk { from, .. } => std::fs::read(from)
                .unwrap_or_else(|e| panic!("fake repository file {}: {e}", from.display())),
        }
    }
}

/// The gzip tar GitHub would serve for `owner/repo` at `commit`.
pub fn archive_of(owner: &str, repo: &FakeRepo) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let pax = pax_record("comment", &repo.commit);
    let mut global = tar::Header::new_ustar();
    global.set_entry_type(tar::EntryType::XGlobalHeader);
    global.set_path("pax_global_header").expect("pax path");
    global.set_size(pax.len() as u64);
    global.set_mode(0o666);
    global.set_cksum();
    tar.append(&global, pax.as_bytes()).expect("pax header");
    let top = format!("{owner}-{}-{}", repo.name, &repo.commit[..7]);
    let mut dirs = BTreeSet::new();
    dirs.insert(String::new());
    for f in &repo.files {
        let mut at = f.path();
        while let Some((parent, _)) = at.rsplit_once('/') {
            dirs.insert(parent.to_string());
            at = parent;
        }
    }
    for dir in &dirs {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o775);
        h.set_size(0);
        let path = if dir.is_empty() {
            format!("{top}/")
        } else {
            format!("{top}/{dir}/")
        };
        tar.append_data(&mut h, path, std::io::empty())
            .expect("dir entry");
    }
    for f in &repo.files {
        let data = f.bytes();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o664);
        h.set_size(data.len() as u64);
        tar.append_data(&mut h, format!("{top}/{}", f.path()), data.as_slice())
            .expect("file entry");
    }
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .expect("finish the archive")
}

/// One pax record: `LEN key=value\n`, where LEN counts the whole record, itself included.
pub fn pax_record(key: &str, value: &str) -> String {
    let rest = format!(" {key}={value}\n");
    let mut len = rest.len() + 1;
    while len.to_string().len() + rest.len() != len {
        len += 1;
    }
    format!("{len}{rest}")
}

impl Shared {
    /// The org repository `owner/name`, if any (case-insensitive, as GitHub).
    pub(super) fn org_repo(&self, owner: &str, name: &str) -> Option<&FakeRepo> {
        let org = self.setup.org.as_ref()?;
        if !org.name.eq_ignore_ascii_case(owner) {
            return None;
        }
        org.repos.iter().find(|r| r.name.eq_ignore_ascii_case(name))
    }

    fn repo_json(&self, template: &str, owner: &str, repo: &FakeRepo) -> Value {
        let mut v = contract().example(template);
        if v.is_array() {
            v = v[0].clone();
        }
        let api = format!("{}/repos/{owner}/{}", self.api_url(), repo.name);
        let id = 1_000_000 + repo.name.bytes().map(u64::from).sum::<u64>();
        v["id"] = json!(id);
        v["name"] = json!(repo.name);
        v["full_name"] = json!(format!("{owner}/{}", repo.name));
        v["default_branch"] = json!(repo.default_branch);
        v["archived"] = json!(repo.archived);
        v["disabled"] = json!(repo.disabled);
        v["private"] = json!(false);
        v["url"] = json!(api);
        v["html_url"] = json!(format!("{}/{owner}/{}", self.web_url(), repo.name));
        v["owner"] = self.user_json(owner, "Organization");
        v["pushed_at"] = json!(iso8601(unix_now()));
        if let Some(m) = v.as_object_mut() {
            // Not a fork: no parent or source repository (the published example has them,
            // without fields their schema requires).
            m.remove("parent");
            m.remove("source");
            m.entry("language").or_insert(Value::Null);
        }
        v
    }

    pub(super) fn list_org_repos(&self, call: &Call<'_>) -> Reply {
        let org = self.setup.org.clone().unwrap_or_default();
        let items: Vec<Value> = org
            .repos
            .iter()
            .map(|r| self.repo_json("minimal-repository-items", &org.name, r))
            .collect();
        self.paginate(call, items)
    }

    pub(super) fn get_repo(&self, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let (owner, name) = (&call.params["owner"], &call.params["repo"]);
        match self.org_repo(owner, name) {
            Some(r) => {
                let owner = self.setup.org.as_ref().map_or("", |o| o.name.as_str());
                Reply::json(
                    200,
                    &self.repo_json("full-repository-default-response", owner, r),
                )
            }
            None => not_found(
                ctx,
                call,
                &format!("no repository {owner}/{name} in the org"),
            ),
        }
    }

    /// `GET /repos/{o}/{r}/tarball/{ref}`: 302 to the download, for the default branch or
    /// the commit; 404 for any other ref (as GitHub, without a violation: a wrong ref is the
    /// client's question, answered).
    pub(super) fn tarball(&self, call: &Call<'_>) -> Reply {
        let (owner, name, reference) = (
            &call.params["owner"],
            &call.params["repo"],
            &call.params["ref"],
        );
        match self.org_repo(owner, name) {
            Some(r) if *reference == r.default_branch || *reference == r.commit => {
                let location = format!(
                    "{}{CODELOAD_PREFIX}/{owner}/{}/legacy.tar.gz/refs/heads/{}",
                    self.web_url(),
                    r.name,
                    percent_encode(reference)
                );
                Reply {
                    status: 302,
                    headers: vec![("content-type".into(), "text/html;charset=utf-8".into())],
                    body: Vec::new(),
                }
                .with_header("location", &location)
            }
            _ => Reply::error(404, "Not Found", &call.op.docs_url),
        }
    }

    /// A download from the codeload-style URL: recorded like API requests, refused with a
    /// violation when it carries the token (the API's credentials must not go to the
    /// download host), subject to scripted faults.
    pub(super) fn codeload(&self, raw: &RawRequest, path: &str) -> Outcome {
        let mut violations = Vec::new();
        if raw.header("authorization").is_some() {
            violations.push(format!(
                "{} {path}: the download carries an Authorization header (the token must not \
                 leave the API host)",
                raw.method
            ));
        }
        let reply = match self.lock().take_fault(&raw.method, path) {
            Some(FaultReply::Drop) => None,
            Some(FaultReply::Delay(d)) => {
                std::thread::sleep(d);
                Some(self.archive_reply(raw, path, &mut violations))
            }
            Some(other) => Some(fault_reply(&other)),
            None => Some(self.archive_reply(raw, path, &mut violations)),
        };
        let mut st = self.lock();
        st.requests.push(Recorded {
            method: raw.method.clone(),
            path: path.to_string(),
            query: raw.query.clone(),
            headers: raw.headers.clone(),
            body: Value::Null,
            status: reply.as_ref().map_or(0, |r| r.status),
        });
        st.violations.append(&mut violations);
        match reply {
            Some(r) => Outcome::Reply(r),
            None => Outcome::Drop,
        }
    }

    fn archive_reply(&self, raw: &RawRequest, path: &str, violations: &mut Vec<String>) -> Reply {
        let rest = path
            .strip_prefix(CODELOAD_PREFIX)
            .unwrap_or_default()
            .trim_start_matches('/');
        let parts: Vec<&str> = rest.splitn(4, '/').collect();
        let found = match parts.as_slice() {
            [owner, name, "legacy.tar.gz", reference] if raw.method == "GET" => {
                let reference = percent_decode(
                    reference.strip_prefix("refs/heads/").unwrap_or(reference),
                    false,
                );
                self.org_repo(owner, name)
                    .filter(|r| reference == r.default_branch || reference == r.commit)
                    .map(|r| (owner.to_string(), r))
            }
            _ => None,
        };
        let Some((owner, repo)) = found else {
            violations.push(format!(
                "{} {path}: no such download (the fake redirects only to its own URLs)",
                raw.method
            ));
            return Reply::text(404, "text/plain; charset=utf-8", "404: Not Found");
        };
        let body = repo
            .archive
            .clone()
            .unwrap_or_else(|| archive_of(&owner, repo));
        let top = format!("{owner}-{}-{}", repo.name, &repo.commit[..7]);
        Reply {
            status: 200,
            headers: vec![
                ("content-type".into(), "application/x-gzip".into()),
                (
                    "content-disposition".into(),
                    format!("attachment; filename={top}.tar.gz"),
                ),
                ("etag".into(), format!("\"{}\"", repo.commit)),
            ],
            body,
        }
    }
}
