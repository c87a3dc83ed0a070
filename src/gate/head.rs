//! The changed files as the change's head has them. The workspace is used where it holds the
//! head's exact blob; otherwise (a checkout of the base, as `pull_request_target` makes, or
//! of a merge commit) the head's version comes from git or the forge's API into a scratch
//! folder that is removed however the run ends. Symbolic links are judged without being
//! followed out of the repository.

use super::changes::{self, Changes};
use super::forge::{Forge, ForgeError};
use crate::config::Config;
use crate::{discover, git, packet, place};
use anyhow::{anyhow, Result};
use std::path::{Path, PathBuf};

/// The folder of head versions fetched for judging, removed when dropped (an error or a
/// panic on the way out included), so no pull request's text stays on the runner.
#[derive(Debug)]
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    /// This process's folder (the supervisor removes it by the same name if the worker dies).
    pub(crate) fn of_this_process() -> Scratch {
        Scratch(std::env::temp_dir().join(format!("packetgate-head-{}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a changed file is a symbolic link at the head: as git lists it, else as the
/// workspace has it.
pub(crate) fn is_link(path: &str, changes: &Changes) -> bool {
    changes.links.contains(path)
        || std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether a symbolic link may be a packet, decided without following it out of the
/// repository: a config glob claims it, its base version was one, or it points inside the
/// repository at a file that declares `packet`. A link that leaves the repository (or whose
/// target cannot be read) may be one, and is refused as a packet; any other link — such as
/// `docs/index.md -> ../README.md` — is a non-packet, ignored as such.
pub(crate) fn link_may_be_packet(config: &Config, path: &str, changes: &Changes) -> bool {
    if changes.were_packets.contains(path) || config.glob_for(Path::new(path)).is_some() {
        return true;
    }
    let Ok(target) = std::fs::read_link(path) else {
        return true;
    };
    let joined = Path::new(path)
        .parent()
        .unwrap_or(Path::new(""))
        .join(&target);
    let Some(inside) = place::repo_path(&joined) else {
        return true;
    };
    // The target's own links resolved, it must still be inside the repository.
    let (Ok(real), Ok(root)) = (std::fs::canonicalize(&inside), std::fs::canonicalize(".")) else {
        return true;
    };
    if !real.starts_with(&root) {
        return true;
    }
    let Some(form) = packet::Form::of(path) else {
        return false;
    };
    match changes::read_head(&real) {
        Some(text) => packet::declares(form, &text),
        None => true,
    }
}

/// Where a changed file's head version is read from.
enum Source {
    Workspace,
    Fetched(PathBuf),
}

/// Makes sure a changed file is judged as the pull request's head has it: the workspace's
/// copy when its blob id is the one the file list names, else the head's version from git or
/// the forge's API (a checkout of the base, as `pull_request_target` makes, or of a merge
/// commit where the base changed the same file).
fn head_version<F: Forge + ?Sized>(
    path: &str,
    changes: &Changes,
    head: &str,
    forge: &F,
    scratch: &Path,
) -> Result<Source> {
    let Some(want) = changes.blobs.get(path) else {
        return Ok(Source::Workspace);
    };
    let local = Path::new(path);
    let is_link = std::fs::symlink_metadata(local).is_ok_and(|m| m.file_type().is_symlink());
    // A symbolic link is judged (and refused) as it is.
    if is_link || changes::file_blob_id(local).is_ok_and(|id| id == *want) {
        return Ok(Source::Workspace);
    }
    let bytes = match git::show_bytes(Path::new("."), head, path) {
        Ok(Some(bytes)) => bytes,
        _ => match forge.read_file(path, head, "reading a changed packet at the head") {
            Ok(Some(text)) => text.into_bytes(),
            Ok(None) => {
                return Err(anyhow!(
                    "`{path}` is not at the head commit {}: check out the pull request's head commit",
                    git::short(head)
                ))
            }
            Err(ForgeError::NoToken) => {
                return Err(anyhow!("`{path}` in the workspace is not the pull request's version, and there is no token to fetch it: check out the pull request's head commit"))
            }
            Err(ForgeError::Failed(e)) => return Err(e),
        },
    };
    let target = scratch.join(path);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A link at the head stays a link (git's bytes are its target), refused as one.
    #[cfg(unix)]
    if changes.links.contains(path) {
        let to = String::from_utf8_lossy(&bytes).into_owned();
        std::os::unix::fs::symlink(to, &target)?;
        return Ok(Source::Fetched(target));
    }
    std::fs::write(&target, bytes)?;
    Ok(Source::Fetched(target))
}

/// The files to judge: each changed file that may be a packet, as the head has it (see
/// `head_version`); with no change list, every packet under `paths`.
pub(crate) fn candidates<F: Forge + ?Sized>(
    scratch: &Path,
    config: &Config,
    paths: &[PathBuf],
    head: &str,
    forge: &F,
    changes: Option<&Changes>,
    notices: &mut Vec<String>,
) -> Result<Vec<discover::Candidate>> {
    let Some(changes) = changes else {
        return Ok(discover::from_paths(config, paths)?);
    };
    for p in paths {
        if !p.exists() {
            return Err(anyhow!("no such file or folder: {}", discover::display(p)));
        }
    }
    let mut out = Vec::new();
    let mut fetched = 0;
    for path in &changes.judge {
        if packet::Form::of(path).is_none() {
            continue;
        }
        if is_link(path, changes) && !link_may_be_packet(config, path, changes) {
            continue;
        }
        let fs_path = match head_version(path, changes, head, forge, scratch)? {
            Source::Workspace => PathBuf::from(path),
            Source::Fetched(p) => {
                fetched += 1;
                p
            }
        };
        let explicit = changes.were_packets.contains(path);
        out.extend(discover::changed_file(
            config,
            Path::new(path),
            fs_path,
            explicit,
            paths,
        ));
    }
    if fetched > 0 {
        notices.push(format!(
            "{} in the workspace {} from the pull request's head (the checkout is not the head commit); {} judged as the head has {}.",
            crate::text::plural(fetched, "changed file"),
            if fetched == 1 { "differs" } else { "differ" },
            if fetched == 1 { "it was" } else { "they were" },
            if fetched == 1 { "it" } else { "them" }
        ));
    }
    Ok(out)
}
