//! An optional on-disk cache of links that opened fine, so repeated local dry-runs (and CI
//! runs restoring the file from an Actions cache) do not fetch them again. Only successes
//! are kept, each with the time it was checked; entries older than `max_age` are ignored.
//! Failures are never cached: a dead link is asked again every run.

use super::settings::LinkSettings;
use super::{LinkResult, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    checked_at: u64,
    http_status: Option<u16>,
    final_url: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    links: BTreeMap<String, Entry>,
}

#[derive(Debug)]
pub(crate) struct Cache {
    path: PathBuf,
    max_age: Duration,
    file: File,
    now: u64,
    changed: bool,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Cache {
    /// The cache the settings (or `--link-cache`) name, read if it exists. A cache that cannot
    /// be read is started afresh, with a note on stderr.
    pub(crate) fn open(settings: &LinkSettings, path: Option<&Path>) -> Option<Cache> {
        let path = path
            .map(Path::to_path_buf)
            .or_else(|| settings.cache.as_ref().map(|c| c.path.clone()))?;
        let max_age = settings
            .cache
            .as_ref()
            .map_or(Duration::from_secs(24 * 3600), |c| c.max_age);
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<File>(&bytes)
                .ok()
                .filter(|f| f.version == 1)
                .unwrap_or_else(|| {
                    eprintln!(
                        "packetgate: link cache {} is not readable; starting a new one",
                        path.display()
                    );
                    File::default()
                }),
            Err(_) => File::default(),
        };
        Some(Cache {
            path,
            max_age,
            file,
            now: now(),
            changed: false,
        })
    }

    /// A fresh successful result for this URL, if the cache has one.
    pub(crate) fn fresh(&self, url: &str) -> Option<LinkResult> {
        let e = self.file.links.get(url)?;
        let age = self.now.saturating_sub(e.checked_at);
        if age > self.max_age.as_secs() {
            return None;
        }
        let mut r = LinkResult::new(url);
        r.status = Status::Ok;
        r.http_status = e.http_status;
        r.final_url = e.final_url.clone();
        r.reason = format!("ok when checked {} min ago (cached)", age / 60);
        r.cached = true;
        Some(r)
    }

    /// Keeps a success; forgets the URL after a failure.
    pub(crate) fn record(&mut self, r: &LinkResult) {
        if r.status == Status::Ok && r.tracking_hop.is_none() {
            self.file.links.insert(
                r.url.clone(),
                Entry {
                    checked_at: self.now,
                    http_status: r.http_status,
                    final_url: r.final_url.clone(),
                },
            );
            self.changed = true;
        } else if self.file.links.remove(&r.url).is_some() {
            self.changed = true;
        }
    }

    /// Writes the cache (expired entries dropped) through a temporary file and a rename.
    pub(crate) fn save(mut self) {
        let max_age = self.max_age.as_secs();
        let now = self.now;
        let before = self.file.links.len();
        self.file
            .links
            .retain(|_, e| now.saturating_sub(e.checked_at) <= max_age);
        if !self.changed && before == self.file.links.len() {
            return;
        }
        self.file.version = 1;
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            crate::interrupt::write_atomic(&self.path, &serde_json::to_vec_pretty(&self.file)?)
        };
        if let Err(e) = write() {
            eprintln!(
                "packetgate: could not write the link cache {}: {e}",
                self.path.display()
            );
        }
    }
}
