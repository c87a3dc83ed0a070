//! Where a run stands: the current folder, the repository root above it, the config file found
//! by walking up (as git and ruff do), and paths re-expressed against the repository root for
//! the machine-read outputs (JSON, SARIF, workflow annotations), which must name the same file
//! from whichever folder the run started.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// The repository config's file name, looked for in each folder up to the repository root.
pub const CONFIG_FILE: &str = ".packetgate.yml";

/// A path as reports show it: from the current folder, `/`-separated, `.` and `..` read
/// through.
pub fn display(path: &Path) -> String {
    // `../../x` reached through a config above the current folder: shown from here.
    if path.components().any(|c| c == Component::ParentDir) {
        if let Some(cwd) = cwd() {
            let shown = relative_to_cwd(&cwd.join(path));
            if shown != path {
                return display(&shown);
            }
        }
    }
    let rel = cwd()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => parts.push(String::new()),
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The current folder, read once.
pub(crate) fn cwd() -> Option<&'static Path> {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

fn absolute(p: &Path) -> Option<PathBuf> {
    if p.is_absolute() {
        Some(p.to_path_buf())
    } else {
        cwd().map(|c| c.join(p))
    }
}

/// `..` and `.` taken out by reading the path, not the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The repository root of `from` (a folder): `GITHUB_WORKSPACE` when `from` is inside it,
/// else the nearest folder at or above `from` holding `.git` (a folder, or a file for a
/// worktree).
pub(crate) fn repository_root_of(from: &Path) -> Option<PathBuf> {
    let from = lexical(&absolute(from)?);
    if let Some(ws) = std::env::var_os("GITHUB_WORKSPACE").filter(|w| !w.is_empty()) {
        let ws = lexical(&absolute(Path::new(&ws))?);
        if from.starts_with(&ws) {
            return Some(ws);
        }
    }
    from.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The repository root of the current folder, found once.
pub(crate) fn repository_root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| cwd().and_then(repository_root_of))
        .as_deref()
}

/// The config that applies to `start` (a file or folder): the first `.packetgate.yml` found
/// in `start`'s folder or above it, up to its repository root (or the file system's root
/// outside a repository). Returned as a path relative to the current folder when it can be.
pub(crate) fn find_config(start: &Path) -> Option<PathBuf> {
    let abs = lexical(&absolute(start)?);
    let dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    let stop = repository_root_of(&dir);
    for d in dir.ancestors() {
        let candidate = d.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(relative_to_cwd(&candidate));
        }
        if stop.as_deref() == Some(d) {
            break;
        }
    }
    None
}

/// `path` (absolute) relative to the current folder: `sub/x`, `../x`, or itself when they
/// share nothing but the root.
pub(crate) fn relative_to_cwd(path: &Path) -> PathBuf {
    let Some(cwd) = cwd().map(lexical) else {
        return path.to_path_buf();
    };
    let path = lexical(path);
    if let Ok(r) = path.strip_prefix(&cwd) {
        return if r.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            r.to_path_buf()
        };
    }
    let mut up = PathBuf::new();
    for a in cwd.ancestors().skip(1) {
        up.push("..");
        if a.parent().is_none() {
            break;
        }
        if let Ok(r) = path.strip_prefix(a) {
            return up.join(r);
        }
    }
    path
}

/// A path as reports show it (relative to the current folder, `/`-separated) re-expressed
/// against the repository root, for outputs a machine reads. Unchanged outside a repository
/// or when the path lies outside the root.
pub(crate) fn from_root(shown: &str) -> String {
    let (Some(root), Some(cwd)) = (repository_root(), cwd()) else {
        return shown.to_string();
    };
    let abs = lexical(&cwd.join(shown));
    match abs.strip_prefix(lexical(root)) {
        Ok(r) => slashed(r),
        Err(_) => shown.to_string(),
    }
}

fn slashed(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// A relative path as a URI reference (RFC 3986): every byte outside the unreserved set and
/// `/` percent-encoded, so spaces, `#`, `?` and non-ASCII names stay one path. The one
/// encoder for repository paths in URLs: SARIF, the dashboard, line links, the contents API.
pub(crate) fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The repository path of `path` (relative to the working directory, the repository's
/// root), `..` resolved lexically; `None` for a path that leaves the repository. The working
/// directory is read on every call: the gate enters `GITHUB_WORKSPACE` after start-up.
pub(crate) fn repo_path(path: &Path) -> Option<String> {
    let rel = if path.is_absolute() {
        let cwd = std::env::current_dir().ok()?;
        let real = std::fs::canonicalize(&cwd).unwrap_or_else(|_| cwd.clone());
        path.strip_prefix(&cwd)
            .or_else(|_| path.strip_prefix(&real))
            .ok()?
            .to_path_buf()
    } else {
        path.to_path_buf()
    };
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_references_encode_what_a_path_must() {
        assert_eq!(uri_reference("a b/c#1?.md"), "a%20b/c%231%3F.md");
        assert_eq!(uri_reference("bü.md"), "b%C3%BC.md");
        assert_eq!(uri_reference("x/y-z_~.yaml"), "x/y-z_~.yaml");
        assert_eq!(uri_reference("pol icies/a#b.yml"), "pol%20icies/a%23b.yml");
    }

    #[test]
    fn repository_paths_resolve_dot_dot_and_refuse_to_leave() {
        assert_eq!(
            repo_path(Path::new("./policies/x.yml")).as_deref(),
            Some("policies/x.yml")
        );
        assert_eq!(
            repo_path(Path::new(".github/../policies/x.yml")).as_deref(),
            Some("policies/x.yml")
        );
        assert_eq!(repo_path(Path::new("../elsewhere.yml")), None);
        assert_eq!(repo_path(Path::new("/etc/passwd")), None);
    }

    #[test]
    fn lexical_takes_out_dots() {
        assert_eq!(lexical(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
        assert_eq!(lexical(Path::new("../x")), PathBuf::from("../x"));
    }
}
