//! Which files to judge: paths named on the command line (files or folders), the config's
//! globs, or the files git says changed since a ref. Folders are walked without following
//! symlinks; VCS and build folders are skipped.

use crate::config::Config;
use crate::packet::Form;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Clone)]
pub struct Candidate {
    pub fs_path: PathBuf,
    /// The path as reports show it (relative, `/`-separated).
    pub display: String,
    /// Named by the user or claimed by a config glob: a file that is no packet is a finding.
    pub explicit: bool,
    pub kind: Option<String>,
}

#[derive(Debug, Error)]
pub enum DiscoverError {
    #[error("no such file or folder: {0}")]
    Missing(String),
    #[error("cannot read folder {path}: {source}")]
    Walk {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

const SKIP_DIRS: &[&str] = &["target", "node_modules"];

pub use crate::place::display;

/// The path relative to the config root, for glob matching.
pub fn relative<'a>(config: &Config, path: &'a Path) -> std::borrow::Cow<'a, Path> {
    let clean = path.strip_prefix("./").unwrap_or(path);
    let root = config.root.strip_prefix("./").unwrap_or(&config.root);
    if root.as_os_str().is_empty() || root == Path::new(".") {
        if clean.is_relative() && !clean.starts_with("..") {
            return std::borrow::Cow::Borrowed(clean);
        }
    } else if let Ok(r) = clean.strip_prefix(root) {
        return std::borrow::Cow::Owned(r.to_path_buf());
    }
    if let (Ok(abs), Ok(root)) = (
        std::fs::canonicalize(clean),
        std::fs::canonicalize(&config.root),
    ) {
        if let Ok(r) = abs.strip_prefix(&root) {
            return std::borrow::Cow::Owned(r.to_path_buf());
        }
    }
    std::borrow::Cow::Borrowed(clean)
}

fn candidate(config: &Config, path: PathBuf, explicit: bool) -> Option<Candidate> {
    let rel = relative(config, &path);
    if !explicit && config.excluded(&rel) {
        return None;
    }
    let glob = config.glob_for(&rel);
    Some(Candidate {
        display: display(&path),
        explicit: explicit || glob.is_some(),
        kind: glob.and_then(|g| g.kind.clone()),
        fs_path: path,
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| DiscoverError::Walk {
            path: display(&d),
            source,
        })?;
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for e in names {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_ref()) {
                    subdirs.push(e.path());
                }
            } else if ft.is_file() && Form::of(&name).is_some() {
                out.push(e.path());
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// Candidates for `packetgate check PATH…` (or the config root when no path is given).
pub fn from_paths(config: &Config, paths: &[PathBuf]) -> Result<Vec<Candidate>, DiscoverError> {
    let mut out = Vec::new();
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![config.root.clone()]
    } else {
        paths.to_vec()
    };
    for p in &roots {
        if p.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files)?;
            out.extend(
                files
                    .into_iter()
                    .filter_map(|f| candidate(config, f, false)),
            );
        } else if p.exists() {
            out.extend(candidate(config, p.clone(), true));
        } else {
            return Err(DiscoverError::Missing(display(p)));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.display.clone()));
    Ok(out)
}

/// Candidates among files changed per git, limited to `paths` when given. Files in a
/// config glob are judged even without `packet:`; others only if they declare it.
pub fn from_changed(config: &Config, changed: &[PathBuf], paths: &[PathBuf]) -> Vec<Candidate> {
    changed
        .iter()
        .filter(|f| Form::of(&f.to_string_lossy()).is_some())
        .filter(|f| paths.is_empty() || paths.iter().any(|p| under(f, p)))
        .filter(|f| f.is_file())
        .filter_map(|f| candidate(config, f.clone(), false))
        .collect()
}

/// A file a pull request changed, reported under its repository path `path` but read from
/// `fs_path` (the workspace's copy, or the head's version fetched elsewhere). `explicit`:
/// judged even if it no longer declares a kind (it did before the change).
pub fn changed_file(
    config: &Config,
    path: &Path,
    fs_path: PathBuf,
    explicit: bool,
    paths: &[PathBuf],
) -> Option<Candidate> {
    Form::of(&path.to_string_lossy())?;
    if !paths.is_empty() && !paths.iter().any(|p| under(path, p)) {
        return None;
    }
    let mut c = candidate(config, path.to_path_buf(), explicit)?;
    c.fs_path = fs_path;
    Some(c)
}

/// `--only-packets`: named files are taken as a folder scan would find them, so one that
/// declares no `packet:` (and no config glob claims) is skipped, not reported. Pre-commit
/// hands over every staged YAML and Markdown file by name, most of which are no packets.
pub fn only_packets(config: &Config, candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates
        .into_iter()
        .filter(|c| Form::of(&c.fs_path.to_string_lossy()).is_some())
        .filter_map(|c| candidate(config, c.fs_path, false))
        .collect()
}

fn under(file: &Path, dir: &Path) -> bool {
    let norm = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| match crate::place::cwd() {
            Some(cwd) if p.is_relative() => cwd.join(p),
            _ => p.to_path_buf(),
        })
    };
    norm(file).starts_with(norm(dir))
}
