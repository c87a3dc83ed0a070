//! The config and policy files the gate judges a pull request with: every one of them is
//! read from the pull request's **base** commit — with `git show` when the clone has it,
//! else through the forge's API ([`Forge::read_file`]) — never from the head being judged. So a pull request cannot
//! weaken the gate that judges it, whatever path spelling, `..` or symlink it uses; one that
//! touches those files gets a notice that its change waits for review.

use super::changes::Changes;
use super::forge::{Forge, ForgeError};
use crate::config::{self, Config, CONFIG_FILE};
use crate::git;
use crate::packet::{self, Form};
use crate::place::repo_path;
use anyhow::{anyhow, Result};
use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};

/// Reads files as they are at the base commit.
#[derive(Debug)]
struct BaseFiles<'a, F: ?Sized> {
    forge: &'a F,
    base_sha: &'a str,
    /// Every file asked for (repository paths) and whether the base has it.
    read: RefCell<Vec<(String, bool)>>,
}

impl<F: Forge + ?Sized> BaseFiles<'_, F> {
    fn read(&self, path: &Path) -> io::Result<String> {
        let rel = repo_path(path).ok_or_else(|| {
            io::Error::other(format!(
                "`{}` is outside the repository; config and policy files must be inside it",
                path.display()
            ))
        })?;
        let result = self.fetch(&rel);
        let found = result.is_ok();
        self.read.borrow_mut().push((rel, found));
        result
    }

    fn fetch(&self, rel: &str) -> io::Result<String> {
        match git::show(Path::new("."), self.base_sha, rel) {
            Ok(Some(text)) => return Ok(text),
            Ok(None) => return Err(io::ErrorKind::NotFound.into()),
            // The clone does not have the base commit (a shallow checkout): ask the API.
            Err(_) => {}
        }
        match self
            .forge
            .read_file(rel, self.base_sha, "reading the base branch's config")
        {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err(io::ErrorKind::NotFound.into()),
            Err(ForgeError::NoToken) => Err(io::Error::other(format!(
                "the base commit {} is not in the clone and there is no token to fetch `{rel}` with",
                git::short(self.base_sha)
            ))),
            Err(ForgeError::Failed(e)) => Err(io::Error::other(e.to_string())),
        }
    }
}

/// The commit a change is judged against: a pull request's base, or a merge group's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Base<'a> {
    pub sha: &'a str,
    /// The branch, for notices (`main`); may be empty.
    pub branch: &'a str,
}

/// The config for a pull request or merge group, every file from the base commit, and the
/// notices for the ones the change touches (`changes`: `None` when the list is not complete).
pub(crate) fn load_config<F: Forge + ?Sized>(
    explicit: Option<&Path>,
    base_commit: Base<'_>,
    forge: &F,
    changes: Option<&Changes>,
    notices: &mut Vec<String>,
) -> Result<Config> {
    let source = BaseFiles {
        forge,
        base_sha: base_commit.sha,
        read: RefCell::default(),
    };
    let path = explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
    let file = match source.read(&path) {
        Ok(text) => Some((path.clone(), text)),
        // No config at the base: the built-in policies, as on the base branch.
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow!("cannot read the config {}: {e}", path.display())),
    };
    let reader = |p: &Path| source.read(p);
    let config = config::load_from(Path::new("."), file, &reader).map_err(|e| anyhow!(e))?;
    let base = if base_commit.branch.is_empty() {
        format!("@ {}", git::short(base_commit.sha))
    } else {
        format!("`{}` @ {}", base_commit.branch, git::short(base_commit.sha))
    };
    for (rel, found) in source.read.borrow().iter() {
        if !changes.is_some_and(|c| c.touched.contains(rel)) {
            continue;
        }
        notices.push(if *found {
            format!(
                "This pull request changes `{rel}`, which configures the gate. It was judged with the base branch's version ({base}); the change takes effect once it is reviewed and merged."
            )
        } else {
            format!(
                "This pull request adds `{rel}`, which configures the gate. The base branch ({base}) has no such file, so the packets were judged as the base branch judges them; the new file takes effect once it is reviewed and merged."
            )
        });
    }
    Ok(config)
}

/// Marks the changed files whose base version declared `packet`, reading each one at the
/// base: `git show` when the clone has the base commit, else through the forge's API. A file
/// that cannot be read at all counts as having declared it — judged, never silently dropped.
pub(crate) fn read_were_packets<F: Forge + ?Sized>(
    changes: &mut Changes,
    base_sha: &str,
    forge: &F,
) {
    let dir = Path::new(".");
    for (path, old) in &changes.before {
        let Some(form) = Form::of(old).or(Form::of(path)) else {
            continue;
        };
        let text = match git::show(dir, base_sha, old) {
            Ok(found) => found,
            Err(_) => match forge.read_file(old, base_sha, "reading a changed file at the base") {
                Ok(found) => found,
                Err(_) => Some(format!("{}: unread", packet::KEY)),
            },
        };
        if text.is_some_and(|t| packet::declares(form, &t)) {
            changes.were_packets.insert(path.clone());
        }
    }
}
