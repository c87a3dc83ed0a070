//! The config and policy files the gate judges with, for a pull request: a file the pull
//! request touches is read from the base commit — with `git show` when the clone has it,
//! else from the contents API — never from the head being judged; an untouched file is the
//! same on both sides and is read from the workspace. So a pull request cannot weaken the
//! gate that judges it; it gets a notice that its config change waits for review instead.

use super::api::Api;
use crate::discover;
use crate::git;
use std::cell::RefCell;
use std::collections::HashSet;
use std::io;
use std::path::Path;

#[derive(Debug)]
pub struct BaseFiles<'a> {
    pub api: Option<&'a Api>,
    pub base_sha: &'a str,
    /// Paths the pull request touches; `None` when not known in full (every config file is
    /// then read from the base).
    pub touched: Option<&'a HashSet<String>>,
    /// Files read from the base because the pull request touches them.
    pub from_base: RefCell<Vec<String>>,
}

/// A repository-relative, `/`-separated path (the working directory is the repository root).
pub fn repo_path(path: &Path) -> String {
    discover::display(path)
}

/// Percent-encodes a path for a URL, keeping `/`.
pub fn encode_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl BaseFiles<'_> {
    pub fn read(&self, path: &Path) -> io::Result<String> {
        let rel = repo_path(path);
        let touched = self.touched.is_none_or(|t| t.contains(&rel));
        if !touched {
            return std::fs::read_to_string(path);
        }
        self.from_base.borrow_mut().push(rel.clone());
        match git::show(Path::new("."), self.base_sha, &rel) {
            Ok(Some(text)) => return Ok(text),
            Ok(None) => return Err(io::ErrorKind::NotFound.into()),
            // The clone does not have the base commit (a shallow checkout): ask the API.
            Err(_) => {}
        }
        let Some(api) = self.api else {
            return Err(io::Error::other(format!(
                "the base commit {} is not in the clone and there is no token to fetch `{rel}` with",
                short(self.base_sha)
            )));
        };
        let route = api.repo(&format!(
            "/contents/{}?ref={}",
            encode_path(&rel),
            self.base_sha
        ));
        match api.get(
            "reading the base branch's config",
            &route,
            Some("application/vnd.github.raw+json"),
        ) {
            Ok(r) if r.status == 404 => Err(io::ErrorKind::NotFound.into()),
            Ok(r) => Ok(r.body),
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    }
}

pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_for_the_contents_api() {
        assert_eq!(encode_path("pol icies/a#b.yml"), "pol%20icies/a%23b.yml");
    }
}
