//! The limits GitHub enforces outside the request schemas (see NOTES.md in the contracts
//! folder): check-run and annotation rules, comment and review body sizes, who may approve,
//! and which diff lines an inline review comment may target.

use serde_json::Value;

use super::PrFile;

/// GitHub rejects issue comment bodies longer than this (characters).
const MAX_COMMENT_CHARS: usize = 65_536;
/// "The maximum size is 64 KB" for annotation `message` and `raw_details` (bytes).
const MAX_ANNOTATION_BYTES: usize = 64 * 1024;

/// The check-run schemas branch on `status` with a root `oneOf`/`anyOf` whose failure says
/// only "not valid under any of the schemas"; [`body_rules`] states each branch plainly.
pub(super) fn restated_by_body_rules(op: &str, e: &jsonschema::ValidationError<'_>) -> bool {
    let schema_path = e.schema_path().to_string();
    op.starts_with("checks/")
        && e.instance_path().to_string().is_empty()
        && (schema_path.ends_with("/oneOf") || schema_path.ends_with("/anyOf"))
}

/// The rules GitHub enforces beyond the request schemas (see NOTES.md in the contracts
/// folder). Each returned string is one violation; any of them makes the answer a 422.
pub(super) fn body_rules(op: &str, b: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    match op {
        "checks/create" | "checks/update" => {
            let completed = b["status"] == "completed" || b.get("completed_at").is_some();
            if completed && b.get("conclusion").is_none() {
                problems.push("check run completed without a conclusion".to_string());
            }
            if let Some(status @ ("waiting" | "requested" | "pending")) = b["status"].as_str() {
                problems.push(format!(
                    "only GitHub Actions itself may set the status `{status}`"
                ));
            }
            if b["conclusion"] == "stale" {
                problems.push("only GitHub may set the conclusion `stale`".to_string());
            }
            let output = &b["output"];
            if op == "checks/update" && output.is_object() && output.get("title").is_none() {
                problems.push(
                    "check run output without a title (the update docs mark it required)"
                        .to_string(),
                );
            }
            for (i, a) in output["annotations"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let at = format!("output.annotations[{i}]");
                if let Some(title) = a["title"].as_str() {
                    let n = title.chars().count();
                    if n > 255 {
                        problems.push(format!("{at}.title has {n} characters (at most 255)"));
                    }
                }
                let (start, end) = (a["start_line"].as_i64(), a["end_line"].as_i64());
                if let (Some(start), Some(end)) = (start, end) {
                    if start < 1 {
                        problems.push(format!("{at}.start_line {start} (lines start at 1)"));
                    }
                    if end < start {
                        problems.push(format!("{at}.end_line {end} is before start_line {start}"));
                    }
                    let columns = a.get("start_column").is_some() || a.get("end_column").is_some();
                    if columns && start != end {
                        problems.push(format!(
                            "{at} has columns but spans lines {start}..{end} (columns only when \
                             start_line == end_line)"
                        ));
                    }
                }
                for key in ["message", "raw_details"] {
                    let len = a[key].as_str().map_or(0, str::len);
                    if len > MAX_ANNOTATION_BYTES {
                        problems.push(format!("{at}.{key} is {len} bytes (at most 64 KB)"));
                    }
                }
            }
        }
        "issues/create-comment" | "issues/update-comment" => {
            if let Some(body) = b["body"].as_str() {
                let n = body.chars().count();
                if body.trim().is_empty() {
                    problems.push("comment body is blank".to_string());
                }
                if n > MAX_COMMENT_CHARS {
                    problems.push(format!(
                        "comment body has {n} characters (at most {MAX_COMMENT_CHARS})"
                    ));
                }
            }
        }
        "pulls/create-review" | "pulls/update-review" => {
            let body = b["body"].as_str().unwrap_or("");
            let n = body.chars().count();
            if n > MAX_COMMENT_CHARS {
                problems.push(format!(
                    "review body has {n} characters (at most {MAX_COMMENT_CHARS})"
                ));
            }
            match b["event"].as_str() {
                Some(event @ ("REQUEST_CHANGES" | "COMMENT")) if body.trim().is_empty() => {
                    problems.push(format!("a {event} review needs a body"));
                }
                Some("APPROVE") => {
                    problems.push(
                        "GitHub Actions is not permitted to approve pull requests.".to_string(),
                    );
                }
                _ => {}
            }
            for (i, c) in b["comments"].as_array().into_iter().flatten().enumerate() {
                let n = c["body"].as_str().map_or(0, |s| s.chars().count());
                if n > MAX_COMMENT_CHARS {
                    problems.push(format!(
                        "comments[{i}].body has {n} characters (at most {MAX_COMMENT_CHARS})"
                    ));
                }
                if c.get("line").is_none() && c.get("position").is_none() {
                    problems.push(format!("comments[{i}] needs `line` (or `position`)"));
                }
                if c.get("start_line").is_some() && c.get("line").is_none() {
                    problems.push(format!("comments[{i}] has start_line without line"));
                }
                if let (Some(s), Some(l)) = (c["start_line"].as_u64(), c["line"].as_u64()) {
                    if s >= l {
                        problems.push(format!(
                            "comments[{i}] start_line {s} must be before line {l}"
                        ));
                    }
                }
                for key in ["side", "start_side"] {
                    if let Some(side) = c.get(key) {
                        if side != "LEFT" && side != "RIGHT" {
                            problems.push(format!(
                                "comments[{i}].{key} must be LEFT or RIGHT, not {side}"
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    problems
}

/// Whether an inline review comment targets a line GitHub can place: the file must be in
/// the PR and, when its patch is known, the line (or position) must be inside a hunk.
pub(super) fn inline_comment_problem(files: &[PrFile], c: &Value) -> Option<String> {
    let path = c["path"].as_str().unwrap_or_default();
    let Some(file) = files.iter().find(|f| f.filename == path) else {
        return Some(format!("path `{path}` is not a file of the pull request (GitHub: \"Path could not be resolved\")"));
    };
    let patch = file.patch.as_deref()?;
    let lines = DiffLines::parse(patch);
    if let Some(pos) = c["position"].as_u64() {
        if pos == 0 || pos > lines.positions {
            return Some(format!(
                "position {pos} is outside the diff of `{path}` (1..={})",
                lines.positions
            ));
        }
    }
    let side = c["side"].as_str().unwrap_or("RIGHT");
    let start_side = c["start_side"].as_str().unwrap_or(side);
    for (key, side) in [("line", side), ("start_line", start_side)] {
        if let Some(line) = c[key].as_u64() {
            let ok = match side {
                "LEFT" => lines.left.contains(&line),
                _ => lines.right.contains(&line),
            };
            if !ok {
                return Some(format!(
                    "{key} {line} ({side}) is not part of the diff of `{path}` (GitHub: \
                     \"Pull request review thread line must be part of the diff\")"
                ));
            }
        }
    }
    None
}

/// The lines a review comment may target in one file's patch.
struct DiffLines {
    /// The highest `position` (lines below the first hunk header, later headers included).
    positions: u64,
    left: Vec<u64>,
    right: Vec<u64>,
}

impl DiffLines {
    fn parse(patch: &str) -> DiffLines {
        let mut d = DiffLines {
            positions: 0,
            left: Vec::new(),
            right: Vec::new(),
        };
        let (mut old, mut new) = (0u64, 0u64);
        for (i, line) in patch.lines().enumerate() {
            if i > 0 {
                d.positions += 1;
            }
            if let Some(rest) = line.strip_prefix("@@") {
                // "@@ -a,b +c,d @@ context"
                let mut nums = rest.split_whitespace().take(2).map(|r| {
                    r[1..]
                        .split(',')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0)
                });
                old = nums.next().unwrap_or(0);
                new = nums.next().unwrap_or(0);
                continue;
            }
            match line.chars().next() {
                Some('+') => {
                    d.right.push(new);
                    new += 1;
                }
                Some('-') => {
                    d.left.push(old);
                    old += 1;
                }
                Some('\\') => {}
                _ => {
                    d.left.push(old);
                    d.right.push(new);
                    old += 1;
                    new += 1;
                }
            }
        }
        d
    }
}
