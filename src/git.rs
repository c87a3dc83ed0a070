//! Changed files per git, for `--changed-since REF`: added, copied, modified and renamed
//! files between the merge base of REF and HEAD, and HEAD (removed files are skipped; a
//! renamed packet is judged under its new path).

use std::path::{Path, PathBuf};
use std::process::Command;
use thiserror::Error;

#[derive(Debug, Error)]
pub(crate) enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let mut cmd = Command::new("git");
    // In a container action the workspace is mounted from the runner and owned by another
    // user, which git refuses ("dubious ownership") unless told the directory is safe. The
    // runner checked the repository out itself, so inside Actions every directory is.
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        cmd.args(["-c", "safe.directory=*"]);
    }
    let out = cmd
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(GitError::Spawn)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out.stdout)
}

/// A commit id as people write it: its first seven characters.
pub(crate) fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// One line of `git diff --name-status`: what happened to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// `A`, `M`, `D`, `R`, `C`, `T`…
    pub status: u8,
    pub path: String,
    /// The old path of a rename or copy.
    pub from: Option<String>,
    /// The new side's blob id and mode (`100644`, `120000` for a symbolic link), when
    /// `git diff --raw` says; `None` for a removed file.
    pub blob: Option<(String, String)>,
}

impl Change {
    pub(crate) fn removed(&self) -> bool {
        self.status == b'D'
    }
}

/// Parses `git diff --name-status -z` output.
pub(crate) fn parse_changes(raw: &[u8]) -> Vec<Change> {
    let fields: Vec<&[u8]> = raw.split(|b| *b == 0).filter(|f| !f.is_empty()).collect();
    let text = |i: usize| {
        fields
            .get(i)
            .map(|f| String::from_utf8_lossy(f).into_owned())
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < fields.len() {
        let status = fields[i].first().copied().unwrap_or(b'?');
        if matches!(status, b'R' | b'C') {
            if let (Some(from), Some(path)) = (text(i + 1), text(i + 2)) {
                out.push(Change {
                    status,
                    path,
                    from: Some(from),
                    blob: None,
                });
            }
            i += 3;
        } else {
            if let Some(path) = text(i + 1) {
                out.push(Change {
                    status,
                    path,
                    from: None,
                    blob: None,
                });
            }
            i += 2;
        }
    }
    out
}

/// Parses `git diff --name-status -z` output into the paths to judge.
pub(crate) fn parse_name_status(raw: &[u8]) -> Vec<String> {
    parse_changes(raw)
        .into_iter()
        .filter(|c| !c.removed())
        .map(|c| c.path)
        .collect()
}

/// Parses `git diff --raw --no-abbrev -z` output: `:oldmode newmode old new STATUS\0path\0`,
/// with a second path after renames and copies.
pub(crate) fn parse_raw(raw: &[u8]) -> Vec<Change> {
    let fields: Vec<&[u8]> = raw.split(|b| *b == 0).filter(|f| !f.is_empty()).collect();
    let text = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
    let mut out = Vec::new();
    let mut i = 0;
    while i < fields.len() {
        let header = text(fields[i]);
        let parts: Vec<&str> = header.trim_start_matches(':').split(' ').collect();
        let (Some(mode), Some(blob), Some(st)) = (parts.get(1), parts.get(3), parts.get(4)) else {
            i += 1;
            continue;
        };
        let status = st.bytes().next().unwrap_or(b'?');
        let blob = (status != b'D').then(|| (blob.to_string(), mode.to_string()));
        if matches!(status, b'R' | b'C') {
            if let (Some(from), Some(path)) = (fields.get(i + 1), fields.get(i + 2)) {
                out.push(Change {
                    status,
                    path: text(path),
                    from: Some(text(from)),
                    blob,
                });
            }
            i += 3;
        } else {
            if let Some(path) = fields.get(i + 1) {
                out.push(Change {
                    status,
                    path: text(path),
                    from: None,
                    blob,
                });
            }
            i += 2;
        }
    }
    out
}

/// What changed between two commits (renames detected), paths relative to the top level:
/// from their merge base when there is one (what a pull request changed), else tree to tree.
pub(crate) fn diff(dir: &Path, from: &str, to: &str) -> Result<Vec<Change>, GitError> {
    let args: &[&str] = &["diff", "--raw", "--no-abbrev", "-z", "-M"];
    let range = format!("{from}...{to}");
    let raw = match git(dir, &[args, &[range.as_str()]].concat()) {
        Ok(r) => r,
        Err(_) => git(dir, &[args, &[from, to]].concat())?,
    };
    Ok(parse_raw(&raw))
}

/// Asks the `origin` remote for commits the clone lacks (a shallow checkout, or a head that
/// was never checked out). Best effort: the caller retries what needed them and fails then.
pub(crate) fn fetch(dir: &Path, shas: &[&str]) -> Result<(), GitError> {
    let mut args = vec![
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "origin",
    ];
    args.extend_from_slice(shas);
    git(dir, &args).map(|_| ())
}

/// A file's text at a commit; `Ok(None)` when the commit has no such file. An error when
/// git cannot answer (no repository, the commit is not fetched).
pub(crate) fn show(dir: &Path, rev: &str, path: &str) -> Result<Option<String>, GitError> {
    Ok(show_bytes(dir, rev, path)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// [`show`] as the bytes git stores: a packet is judged as written, bad bytes included.
pub(crate) fn show_bytes(dir: &Path, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    git(dir, &["cat-file", "-e", &format!("{rev}^{{commit}}")])?;
    Ok(git(dir, &["show", &format!("{rev}:{path}")]).ok())
}

/// Files changed between `since` and HEAD, as paths usable from the current directory.
pub(crate) fn changed_since(dir: &Path, since: &str) -> Result<Vec<PathBuf>, GitError> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let range = format!("{since}...HEAD");
    let raw = match git(dir, &["diff", "--name-status", "-z", "-M", &range]) {
        Ok(r) => r,
        // No merge base (unrelated histories): compare the two trees directly.
        Err(_) => git(dir, &["diff", "--name-status", "-z", "-M", since, "HEAD"])?,
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    Ok(parse_name_status(&raw)
        .into_iter()
        .map(|p| {
            let abs = top.join(p);
            abs.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(abs)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_diffs_give_the_new_blob_and_mode() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let raw = format!(
            ":100644 120000 {a} {b} T\0docs/i.md\0:100644 100644 {a} {b} R091\0o.md\0n.md\0:100644 000000 {a} {} D\0gone.md\0",
            "0".repeat(40)
        );
        let c = parse_raw(raw.as_bytes());
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].blob, Some((b.clone(), "120000".into())));
        assert_eq!(
            (c[1].from.as_deref(), c[1].path.as_str()),
            (Some("o.md"), "n.md")
        );
        assert_eq!((c[2].status, &c[2].blob), (b'D', &None));
    }

    #[test]
    fn parses_renames_and_skips_removals() {
        let raw = b"M\0a.yml\0D\0gone.md\0R087\0old.md\0new.md\0A\0b.md\0";
        assert_eq!(parse_name_status(raw), ["a.yml", "new.md", "b.md"]);
    }
}
