//! Which files a change touched, whoever listed them: the forge's API (see
//! [`super::Forge::list_files`]) or `git diff` between two commits (pushes, merge queues,
//! runs without a token, lists past the forge's cap). Added, modified, renamed, copied and
//! changed files are judged (a renamed packet under its new path); removed files are not.
//! Every path touched — old names included — is kept, so the gate can tell whether the change
//! touched its own config or policies.

use crate::git::{self, GitError};
use crate::packet::{self, Form};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    /// Repository-relative paths to judge, in the order listed.
    pub judge: Vec<String>,
    /// Every path the change touches: removed files and the old names of renames too.
    pub touched: HashSet<String>,
    pub removed: Vec<String>,
    /// `(old, new)`.
    pub renamed: Vec<(String, String)>,
    /// New-side lines each file's diff shows (review comments can only go there).
    pub diff_lines: BTreeMap<String, BTreeSet<u32>>,
    /// The git blob id of each judged file at the head, as the forge or git lists it: the workspace
    /// must hold exactly these contents, or it is not the head being judged.
    pub blobs: BTreeMap<String, String>,
    /// Files whose old version declared `packet`, read at the base (never guessed from a
    /// diff, which GitHub leaves out for large files): dropping or respelling the
    /// declaration does not make a packet stop being judged.
    pub were_packets: BTreeSet<String>,
    /// Changed files that existed before the change: new path → old path.
    pub before: BTreeMap<String, String>,
    /// Files that are symbolic links at the head, when git says (GitHub's list does not).
    pub links: BTreeSet<String>,
    /// `false` when the list stops at the forge's cap and more files changed.
    pub complete: bool,
}

impl Changes {
    /// Records one changed file as a listing names it: `status` is GitHub's word for it
    /// (`added`, `removed`, `modified`, `renamed`, `copied`, `changed`, `unchanged`), `from`
    /// the old path of a rename or copy.
    pub(crate) fn add(&mut self, status: &str, path: String, from: Option<String>) {
        self.touched.insert(path.clone());
        if let Some(from) = &from {
            self.touched.insert(from.clone());
        }
        match status {
            "removed" => self.removed.push(path),
            "unchanged" => {}
            _ => {
                if status != "added" {
                    let old = from.clone().unwrap_or_else(|| path.clone());
                    self.before.insert(path.clone(), old);
                }
                if let (Some(from), "renamed") = (from, status) {
                    self.renamed.push((from, path.clone()));
                }
                self.judge.push(path);
            }
        }
    }
}

/// What changed between two commits, per git.
pub(crate) fn from_git(dir: &Path, from: &str, to: &str) -> Result<Changes, GitError> {
    let mut changes = Changes {
        complete: true,
        ..Changes::default()
    };
    for c in git::diff(dir, from, to)? {
        if let Some((blob, mode)) = &c.blob {
            changes.blobs.insert(c.path.clone(), blob.clone());
            if mode == "120000" {
                changes.links.insert(c.path.clone());
            }
        }
        if matches!(c.status, b'M' | b'R' | b'T') {
            let old = c.from.as_deref().unwrap_or(&c.path);
            let form = Form::of(old).unwrap_or(Form::Yaml);
            if let Ok(Some(text)) = git::show(dir, from, old) {
                if packet::declares(form, &text) {
                    changes.were_packets.insert(c.path.clone());
                }
            }
        }
        let status = match c.status {
            b'D' => "removed",
            b'R' => "renamed",
            b'C' => "copied",
            b'A' => "added",
            _ => "modified",
        };
        changes.add(status, c.path, c.from);
    }
    Ok(changes)
}

/// [`from_git`], asking the remote for the two commits first when the clone lacks them.
pub(crate) fn from_git_fetching(dir: &Path, from: &str, to: &str) -> Result<Changes, GitError> {
    match from_git(dir, from, to) {
        Ok(c) => Ok(c),
        Err(_) => {
            let _ = git::fetch(dir, &[from, to]);
            from_git(dir, from, to)
        }
    }
}

/// A file's text for deciding whether it declares `packet`: at most the packet size cap
/// and one byte more (enough to see the declaration, never the whole of a huge file).
pub(crate) fn read_head(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1024 * 1024 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Git's blob id of a file's bytes: what GitHub's file list calls the file's `sha` (the
/// reference [`file_blob_id`] is tested against).
#[cfg(test)]
fn blob_id(bytes: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    h.digest().to_string()
}

/// Git's blob id of a file on disk, read a block at a time: a changed file may be far over the
/// packet size cap, and checking it is the head's version must not hold it all in memory.
pub(crate) fn file_blob_id(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {len}\0").as_bytes());
    let mut buf = vec![0; 64 * 1024];
    let mut read = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        h.update(&buf[..n]);
    }
    if read != len {
        return Err(std::io::Error::other("the file changed while it was read"));
    }
    Ok(h.digest().to_string())
}

/// New-side line numbers a unified diff shows (added and context lines).
pub(crate) fn patch_lines(patch: &str) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let mut line = 0u32;
    let mut in_hunk = false;
    for l in patch.lines() {
        if let Some(rest) = l.strip_prefix("@@") {
            // @@ -a,b +c,d @@
            line = rest
                .split_whitespace()
                .find_map(|t| t.strip_prefix('+'))
                .and_then(|t| t.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            in_hunk = line > 0;
            continue;
        }
        if !in_hunk {
            continue;
        }
        match l.as_bytes().first() {
            Some(b'-') => {}
            Some(b'\\') => {}
            _ => {
                out.insert(line);
                line += 1;
            }
        }
    }
    out
}

/// Notices for packets the change removed (not judged) and renamed (judged under the new
/// name), so a reader of the check run knows why they are missing or moved.
pub(crate) fn describe_moves(changes: &Changes, notices: &mut Vec<String>) {
    let packetish = |p: &str| Form::of(p).is_some();
    let list = |items: Vec<String>| {
        let n = items.len();
        let mut shown: Vec<String> = items.into_iter().take(10).collect();
        if n > 10 {
            shown.push(format!("and {} more", n - 10));
        }
        shown.join(", ")
    };
    let removed: Vec<String> = changes
        .removed
        .iter()
        .filter(|p| packetish(p))
        .map(|p| format!("`{p}`"))
        .collect();
    if !removed.is_empty() {
        notices.push(format!(
            "Removed by this change, so not judged: {}.",
            list(removed)
        ));
    }
    let renamed: Vec<String> = changes
        .renamed
        .iter()
        .filter(|(from, to)| packetish(from) || packetish(to))
        .map(|(from, to)| format!("`{from}` → `{to}`"))
        .collect();
    if !renamed.is_empty() {
        notices.push(format!(
            "Renamed, and judged under the new name: {}.",
            list(renamed)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        let dir = std::env::temp_dir().join(format!("packetgate-blob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("big"), &big).unwrap();
        assert_eq!(file_blob_id(&dir.join("big")).unwrap(), blob_id(&big));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn patch_lines_are_the_new_side() {
        let patch = "@@ -1,3 +1,4 @@\n a\n-b\n+c\n+d\n e\n@@ -10,2 +11,2 @@\n x\n+y\n\\ No newline at end of file";
        let lines: Vec<u32> = patch_lines(patch).into_iter().collect();
        assert_eq!(lines, [1, 2, 3, 4, 11, 12]);
    }

    #[test]
    fn renames_are_judged_under_the_new_name_and_removals_skipped() {
        let mut c = Changes::default();
        c.add("renamed", "b/new.md".into(), Some("b/old.md".into()));
        c.add("removed", "b/gone.md".into(), None);
        c.add("added", "b/a.md".into(), None);
        assert_eq!(c.judge, ["b/new.md", "b/a.md"]);
        assert!(c.touched.contains("b/old.md") && c.touched.contains("b/gone.md"));
        assert_eq!(c.removed, ["b/gone.md"]);
    }
}
