//! The pull request itself (JSON or diff), its changed files, and file contents through the
//! contents API (base64 JSON or raw).

use serde_json::{json, Value};

use super::handle::Call;
use super::reply::Reply;
use super::state::{Shared, State};
use super::util::{base64_lines, fake_sha, percent_encode};
use super::PrFile;

/// The contents API stops inlining base64 content above 1 MiB (`encoding: "none"`).
const MAX_INLINE_CONTENT: usize = 1024 * 1024;

impl Shared {
    pub(super) fn file_json(&self, f: &PrFile, head: &str) -> Value {
        let (additions, deletions) = f.line_counts();
        let sha = f.sha.clone().unwrap_or_else(|| {
            fake_sha(&format!(
                "{}:{}",
                f.filename,
                f.patch.as_deref().unwrap_or("")
            ))
        });
        // GitHub percent-encodes each segment of the path in these URLs.
        let path = f
            .filename
            .split('/')
            .map(percent_encode)
            .collect::<Vec<_>>()
            .join("/");
        let mut v = json!({
            "sha": sha,
            "filename": f.filename,
            "status": f.status,
            "additions": additions,
            "deletions": deletions,
            "changes": additions + deletions,
            "blob_url": format!("{}/blob/{head}/{path}", self.repo_web()),
            "raw_url": format!("{}/raw/{head}/{path}", self.repo_web()),
            "contents_url": format!("{}/contents/{path}?ref={head}", self.repo_api()),
        });
        if let Some(patch) = &f.patch {
            v["patch"] = json!(patch);
        }
        if let Some(prev) = &f.previous_filename {
            v["previous_filename"] = json!(prev);
        }
        v
    }

    pub(super) fn get_content(&self, call: &Call<'_>) -> Reply {
        let path = call.params.get("path").map_or("", String::as_str);
        let wanted_ref = call.query("ref").unwrap_or("");
        let Some((_, _, text)) = self
            .setup
            .contents
            .iter()
            .find(|(r, p, _)| r == wanted_ref && p == path)
        else {
            // Absent files are a normal answer (clients probe for optional files).
            return Reply::error(404, "Not Found", &call.op.docs_url);
        };
        let accept = call.raw.header("accept").unwrap_or("");
        if accept.contains("application/vnd.github.raw")
            || accept.contains("application/vnd.github.v3.raw")
        {
            return Reply::text(200, "text/plain; charset=utf-8", text);
        }
        let sha = fake_sha(text);
        let git_url = format!("{}/git/blobs/{sha}", self.repo_api());
        let self_url = format!("{}/contents/{path}?ref={wanted_ref}", self.repo_api());
        let html_url = format!("{}/blob/{wanted_ref}/{path}", self.repo_web());
        let (content, encoding) = if text.len() > MAX_INLINE_CONTENT {
            (String::new(), "none")
        } else {
            (base64_lines(text.as_bytes()), "base64")
        };
        Reply::json(
            200,
            &json!({
                "type": "file",
                "encoding": encoding,
                "size": text.len(),
                "name": path.rsplit('/').next().unwrap_or(path),
                "path": path,
                "content": content,
                "sha": sha,
                "url": self_url,
                "git_url": git_url,
                "html_url": html_url,
                "download_url": format!("{}/raw/{wanted_ref}/{path}", self.repo_web()),
                "_links": {"git": git_url, "self": self_url, "html": html_url},
            }),
        )
    }

    pub(super) fn get_pull(&self, st: &State, call: &Call<'_>) -> Reply {
        let accept = call.raw.header("accept").unwrap_or("");
        if accept.contains("application/vnd.github.diff")
            || accept.contains("application/vnd.github.v3.diff")
        {
            let mut diff = String::new();
            for f in &st.files {
                let old = f.previous_filename.as_deref().unwrap_or(&f.filename);
                diff.push_str(&format!("diff --git a/{old} b/{}\n", f.filename));
                if let Some(patch) = &f.patch {
                    diff.push_str(&format!("--- a/{old}\n+++ b/{}\n{patch}\n", f.filename));
                }
            }
            return Reply::text(200, "text/plain; charset=utf-8", &diff);
        }
        let mut pr = self.setup.pull_request.clone();
        pr["number"] = json!(self.setup.pull_number);
        pr["head"]["sha"] = json!(st.head_sha);
        Reply::json(200, &pr)
    }
}
