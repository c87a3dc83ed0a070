//! Unpacks a repository archive (a gzip tar as GitHub's `/tarball` and `git archive` make
//! it) into a folder, for the remote audit to judge without a clone. The archive comes from
//! a repository packetgate does not control, so it is read as hostile: nothing is written
//! outside the folder (absolute paths and `..` are refused), links and device files are
//! skipped and never followed or created, and the unpacked bytes, the number of entries and
//! the size of every metadata entry are capped, so an archive can neither escape nor
//! exhaust the disk or the memory.
//!
//! The tar entries are read raw (no GNU long-name or pax processing by the `tar` crate,
//! which would read a metadata entry of any size into memory); the long names and the pax
//! global header's `comment` (the commit id GitHub and `git archive` put there) are read
//! here under [`MAX_META_BYTES`].

use flate2::read::GzDecoder;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use tar::EntryType;
use thiserror::Error;

/// Unpacked bytes one archive may hold (file contents, as their headers declare them). A
/// packet repository is far smaller; a monorepo past this is refused rather than filling
/// the runner's disk.
pub const MAX_EXTRACTED_BYTES: u64 = 1 << 30;
/// Entries one archive may hold (files, folders, skipped links, metadata).
pub const MAX_ENTRIES: u64 = 200_000;
/// The largest metadata entry read (a long name, a pax header): they are read into memory.
pub const MAX_META_BYTES: u64 = 64 * 1024;

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("the archive is not a readable gzip tar ({0})")]
    Corrupt(String),
    /// An entry named outside the folder: an absolute path or one with `..`.
    #[error("the archive names `{path}`, which is outside the repository's folder; nothing was written there")]
    UnsafePath { path: String },
    #[error("the archive unpacks to more than {limit} bytes (the cap MAX_EXTRACTED_BYTES)")]
    TooLarge { limit: u64 },
    #[error("the archive has more than {limit} entries (the cap MAX_ENTRIES)")]
    TooManyEntries { limit: u64 },
    #[error(
        "the archive has a metadata entry of {size} bytes (the cap MAX_META_BYTES is {limit})"
    )]
    MetaTooLarge { size: u64, limit: u64 },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// An entry left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path inside the repository.
    pub path: String,
    /// `symlink`, `hardlink`, `device`, `fifo` or `other`.
    pub kind: &'static str,
}

/// What an archive held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unpacked {
    /// The top-level folder every entry sat in (`owner-repo-1a2b3c4` on GitHub).
    pub top: Option<String>,
    /// The pax global header's `comment`: the commit the archive was made from.
    pub commit: Option<String>,
    pub files: u64,
    pub bytes: u64,
    pub skipped: Vec<Skipped>,
}

/// Unpacks the gzip tar read from `archive` into `dest` (which must exist and be empty),
/// without its top-level folder.
pub fn unpack(archive: impl Read, dest: &Path) -> Result<Unpacked, ArchiveError> {
    let mut tar = tar::Archive::new(GzDecoder::new(io::BufReader::new(archive)));
    let entries = tar.entries().map_err(corrupt)?.raw(true);
    let mut out = Unpacked::default();
    let mut count = 0u64;
    // A GNU long name or a pax `path` for the next entry.
    let mut long_name: Option<Vec<u8>> = None;
    // The folder the last file went to (archives list a folder's files together).
    let mut last_dir: Option<PathBuf> = None;
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        count += 1;
        if count > MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries { limit: MAX_ENTRIES });
        }
        let kind = entry.header().entry_type();
        match kind {
            EntryType::GNULongName
            | EntryType::GNULongLink
            | EntryType::XHeader
            | EntryType::XGlobalHeader => {
                let data = read_meta(&mut entry)?;
                match kind {
                    EntryType::GNULongName => {
                        long_name = Some(trim_nul(&data).to_vec());
                    }
                    EntryType::XHeader => {
                        for ext in tar::PaxExtensions::new(&data) {
                            let ext = ext.map_err(corrupt)?;
                            match ext.key_bytes() {
                                b"path" => long_name = Some(ext.value_bytes().to_vec()),
                                // Only files past 8 GiB need a pax size.
                                b"size" => {
                                    return Err(ArchiveError::TooLarge {
                                        limit: MAX_EXTRACTED_BYTES,
                                    })
                                }
                                _ => {}
                            }
                        }
                    }
                    EntryType::XGlobalHeader => {
                        for ext in tar::PaxExtensions::new(&data) {
                            let ext = ext.map_err(corrupt)?;
                            if ext.key_bytes() == b"comment" {
                                out.commit = ext.value().ok().map(|v| v.trim().to_string());
                            }
                        }
                    }
                    // A link's long target: links are skipped.
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        let raw_path = long_name
            .take()
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        let Some(inside) = inside_path(&raw_path, &mut out.top)? else {
            continue;
        };
        let rel = inside.to_string_lossy().into_owned();
        let skip = match kind {
            EntryType::Regular | EntryType::Continuous => None,
            EntryType::Directory => {
                let dir = dest.join(&inside);
                fs::create_dir_all(&dir)
                    .map_err(|source| ArchiveError::Write { path: dir, source })?;
                continue;
            }
            EntryType::Symlink => Some("symlink"),
            EntryType::Link => Some("hardlink"),
            EntryType::Char | EntryType::Block => Some("device"),
            EntryType::Fifo => Some("fifo"),
            _ => Some("other"),
        };
        if let Some(kind) = skip {
            out.skipped.push(Skipped { path: rel, kind });
            continue;
        }
        let size = entry.header().size().map_err(corrupt)?;
        out.bytes = out.bytes.saturating_add(size);
        if out.bytes > MAX_EXTRACTED_BYTES {
            return Err(ArchiveError::TooLarge {
                limit: MAX_EXTRACTED_BYTES,
            });
        }
        let target = dest.join(&inside);
        if let Some(dir) = target.parent().filter(|d| last_dir.as_deref() != Some(*d)) {
            fs::create_dir_all(dir).map_err(|source| ArchiveError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
            last_dir = Some(dir.to_path_buf());
        }
        // No link is ever created under `dest`, so this opens a plain file inside it.
        let mut file = fs::File::create(&target).map_err(|source| ArchiveError::Write {
            path: target.clone(),
            source,
        })?;
        let copied = io::copy(&mut (&mut entry).take(size), &mut file).map_err(corrupt)?;
        if copied != size {
            return Err(ArchiveError::Corrupt(format!("`{shown}` is cut short")));
        }
        out.files += 1;
    }
    Ok(out)
}

fn corrupt(e: io::Error) -> ArchiveError {
    ArchiveError::Corrupt(e.to_string())
}

fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

fn read_meta(entry: &mut tar::Entry<'_, impl Read>) -> Result<Vec<u8>, ArchiveError> {
    let size = entry.header().size().map_err(corrupt)?;
    if size > MAX_META_BYTES {
        return Err(ArchiveError::MetaTooLarge {
            size,
            limit: MAX_META_BYTES,
        });
    }
    let mut data = Vec::with_capacity(size as usize);
    entry.take(size).read_to_end(&mut data).map_err(corrupt)?;
    Ok(data)
}

/// The entry's path inside the repository: the top-level folder stripped (and checked to be
/// the same for every entry), `.` dropped. `None` for the top folder itself. An absolute
/// path or `..` anywhere is refused.
fn inside_path(raw: &[u8], top: &mut Option<String>) -> Result<Option<PathBuf>, ArchiveError> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let unsafe_path = || ArchiveError::UnsafePath { path: text.clone() };
    if raw.contains(&0) || raw.starts_with(b"/") || raw.starts_with(b"\\") {
        return Err(unsafe_path());
    }
    let path = Path::new(&text);
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_path())
            }
        }
    }
    // A Windows drive or UNC prefix is a normal component on Unix: refuse it anyway.
    if parts
        .iter()
        .any(|p| p.to_string_lossy().contains(['\\', ':']))
    {
        return Err(unsafe_path());
    }
    let Some((first, rest)) = parts.split_first() else {
        return Ok(None);
    };
    let first = first.to_string_lossy().into_owned();
    match top {
        Some(t) if *t != first => {
            return Err(ArchiveError::Corrupt(format!(
                "`{text}` is not under the archive's top folder `{t}`"
            )))
        }
        Some(_) => {}
        None => *top = Some(first),
    }
    if rest.is_empty() {
        return Ok(None);
    }
    Ok(Some(rest.iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        let mut top = None;
        assert_eq!(
            inside_path(b"o-r-abc1234/docs/a.md", &mut top).unwrap(),
            Some(PathBuf::from("docs/a.md"))
        );
        assert_eq!(top.as_deref(), Some("o-r-abc1234"));
        assert_eq!(inside_path(b"o-r-abc1234/", &mut top).unwrap(), None);
        assert_eq!(
            inside_path(b"./o-r-abc1234/./x", &mut top).unwrap(),
            Some(PathBuf::from("x"))
        );
        for bad in [
            &b"/etc/passwd"[..],
            b"o-r-abc1234/../../x",
            b"../x",
            b"o-r-abc1234/a/../../b",
            b"o-r-abc1234/C:\\x",
        ] {
            assert!(
                matches!(
                    inside_path(bad, &mut top),
                    Err(ArchiveError::UnsafePath { .. })
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            inside_path(b"other-top/x", &mut top),
            Err(ArchiveError::Corrupt(_))
        ));
    }
}
