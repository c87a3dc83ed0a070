//! The pull request's file list from the REST API (100 per page, GitHub's 3,000-file cap):
//! GitHub's half of [`crate::gate::changes`], which also reads changes from `git diff`.

use super::api::{Api, ApiError};
use super::event::Pull;
use crate::gate::changes::{patch_lines, Changes};
use serde_json::Value;

/// GitHub lists at most this many files of a pull request.
pub(crate) const MAX_FILES: usize = 3000;
const PER_PAGE: usize = 100;

/// The pull request's files, one request per 100.
pub(crate) fn from_api(api: &Api, pull: &Pull) -> Result<Changes, ApiError> {
    let mut changes = Changes {
        complete: true,
        ..Changes::default()
    };
    let mut route = api.repo(&format!("/pulls/{}/files?per_page={PER_PAGE}", pull.number));
    let mut listed = 0usize;
    loop {
        let reply = api.get("listing the pull request's files", &route, None)?;
        if reply.status == 404 {
            return Err(ApiError::Status {
                what: "listing the pull request's files".into(),
                status: 404,
                message: format!("pull request #{} not found", pull.number),
            });
        }
        let page = reply.json("the pull request's files")?;
        let items = page.as_array().cloned().unwrap_or_default();
        for item in &items {
            let name = item.get("filename").and_then(Value::as_str);
            let status = item
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("modified");
            let Some(name) = name else { continue };
            let from = item
                .get("previous_filename")
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Some(patch) = item.get("patch").and_then(Value::as_str) {
                changes
                    .diff_lines
                    .insert(name.to_string(), patch_lines(patch));
            }
            if let Some(sha) = item.get("sha").and_then(Value::as_str) {
                changes.blobs.insert(name.to_string(), sha.to_string());
            }
            changes.add(status, name.to_string(), from);
        }
        listed += items.len();
        match reply.next_page() {
            Some(next) if listed < MAX_FILES && !items.is_empty() => route = api.route_of(&next),
            // GitHub stops listing at its cap, whether or not the payload said how many.
            Some(_) => {
                changes.complete = false;
                break;
            }
            None => break,
        }
    }
    if pull.changed_files.is_some_and(|n| n as usize > listed) {
        changes.complete = false;
    }
    Ok(changes)
}
