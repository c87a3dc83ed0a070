//! The contracts folder (GitHub's REST description, webhook payloads, notes), the published
//! description vendored in `tests/fixtures/openapi/`, and reading their JSON files.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The contracts folder: `$PACKETGATE_CONTRACTS`, else `../shared/contracts/github` next to
/// the crate.
pub fn contracts_dir() -> PathBuf {
    const FALLBACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/contracts/github");
    let dir = match std::env::var_os("PACKETGATE_CONTRACTS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(FALLBACK),
    };
    if !dir.join("rest-subset.openapi.json").is_file() {
        panic!(
            "GitHub contract files not found in {}: set PACKETGATE_CONTRACTS to the folder \
             holding rest-subset.openapi.json (default when unset: {FALLBACK})",
            dir.display()
        );
    }
    dir
}

/// The operations packetgate uses from GitHub's published REST description (npm
/// `@octokit/openapi`), as `scripts/openapi-extract.py` writes them.
pub const PUBLISHED_FILE: &str = "octokit-openapi-23.0.2.json";

pub(super) fn published_description() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openapi")
        .join(PUBLISHED_FILE)
}

/// A webhook payload from the contracts folder, by file name
/// (`"pull_request.opened.payload.json"`).
pub fn payload(name: &str) -> Value {
    read_json(&contracts_dir().join(name))
}

pub(super) fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}
