//! Changed files per git, for `--changed-since REF`: added, copied, modified and renamed
//! files between the merge base of REF and HEAD, and HEAD (removed files are skipped; a
//! renamed packet is judged under its new path).

use std::path::{Path, PathBuf};
use std::process::Command;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
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

/// Parses `git diff --name-status -z` output into the paths to judge.
pub fn parse_name_status(raw: &[u8]) -> Vec<String> {
    let fields: Vec<&[u8]> = raw.split(|b| *b == 0).filter(|f| !f.is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < fields.len() {
        let status = fields[i].first().copied().unwrap_or(b'?');
        match status {
            b'R' | b'C' => {
                if let Some(new) = fields.get(i + 2) {
                    out.push(String::from_utf8_lossy(new).into_owned());
                }
                i += 3;
            }
            b'D' => i += 2,
            _ => {
                if let Some(p) = fields.get(i + 1) {
                    out.push(String::from_utf8_lossy(p).into_owned());
                }
                i += 2;
            }
        }
    }
    out
}

/// Files changed between `since` and HEAD, as paths usable from the current directory.
pub fn changed_since(dir: &Path, since: &str) -> Result<Vec<PathBuf>, GitError> {
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
    fn parses_renames_and_skips_removals() {
        let raw = b"M\0a.yml\0D\0gone.md\0R087\0old.md\0new.md\0A\0b.md\0";
        assert_eq!(parse_name_status(raw), ["a.yml", "new.md", "b.md"]);
    }
}
