//! Check runs: create and update (fields replace, annotations append) and the check-run JSON
//! GitHub answers with.

use serde_json::{json, Value};

use super::handle::{Call, Ctx};
use super::openapi::contract;
use super::reply::Reply;
use super::routes::not_found;
use super::state::{Shared, State};
use super::util::{iso8601, unix_now};
use super::{Annotation, CheckRun};

impl Shared {
    pub(super) fn create_check_run(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let b = call.body;
        let head_sha = b["head_sha"].as_str().unwrap_or_default();
        if !st.commits.iter().any(|c| c == head_sha) {
            ctx.violation(format!(
                "check run head_sha {head_sha} is not a head of the PR ({}): use \
                 pull_request.head.sha from the event, not GITHUB_SHA",
                st.commits.join(", ")
            ));
            return Reply::error(
                422,
                &format!("No commit found for SHA: {head_sha}"),
                &call.op.docs_url,
            );
        }
        let now = iso8601(unix_now());
        let mut run = CheckRun {
            id: st.next_check_run,
            name: String::new(),
            head_sha: head_sha.into(),
            status: "queued".into(),
            conclusion: None,
            details_url: None,
            external_id: None,
            title: None,
            summary: None,
            text: None,
            annotations: Vec::new(),
            started_at: now,
            completed_at: None,
        };
        st.next_check_run += 1;
        apply_check_run(&mut run, b);
        st.check_runs.push(run.clone());
        Reply::json(201, &self.check_run_json(&run))
    }

    pub(super) fn update_check_run(&self, st: &mut State, ctx: &mut Ctx, call: &Call<'_>) -> Reply {
        let id = call.id("check_run_id");
        match st.check_runs.iter_mut().find(|r| r.id == id) {
            Some(run) => {
                apply_check_run(run, call.body);
                let run = run.clone();
                Reply::json(200, &self.check_run_json(&run))
            }
            None => not_found(ctx, call, &format!("no check run {id}")),
        }
    }

    fn check_run_json(&self, run: &CheckRun) -> Value {
        let mut v = contract().example("check-run");
        let url = format!("{}/check-runs/{}", self.repo_api(), run.id);
        let html_url = format!("{}/runs/{}", self.repo_web(), run.id);
        v["id"] = json!(run.id);
        v["node_id"] = json!(format!("CR_kwDOFake{:010}", run.id));
        v["name"] = json!(run.name);
        v["head_sha"] = json!(run.head_sha);
        v["external_id"] = json!(run.external_id.as_deref().unwrap_or(""));
        v["details_url"] = json!(run.details_url.as_deref().unwrap_or(&html_url));
        v["html_url"] = json!(html_url);
        v["status"] = json!(run.status);
        v["conclusion"] = json!(run.conclusion);
        v["started_at"] = json!(run.started_at);
        v["completed_at"] = json!(run.completed_at);
        v["output"] = json!({
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": run.annotations.len(),
            "annotations_url": format!("{url}/annotations"),
        });
        v["url"] = json!(url);
        v["check_suite"] = json!({"id": 5_000_001});
        v["app"]["id"] = json!(15368);
        v["app"]["slug"] = json!("github-actions");
        v["app"]["name"] = json!("GitHub Actions");
        v["pull_requests"] = json!(self.minimal_pull(&run.head_sha));
        v
    }

    /// `pull_requests` of a check run: GitHub leaves it empty when the head is a fork.
    fn minimal_pull(&self, head_sha: &str) -> Vec<Value> {
        let pr = &self.setup.pull_request;
        if pr["head"]["repo"]["full_name"] != pr["base"]["repo"]["full_name"] {
            return Vec::new();
        }
        let side = |s: &str, sha: &Value| {
            let repo = &pr[s]["repo"];
            json!({"ref": pr[s]["ref"], "sha": sha,
                   "repo": {"id": repo["id"], "url": repo["url"], "name": repo["name"]}})
        };
        vec![json!({
            "url": format!("{}/pulls/{}", self.repo_api(), self.setup.pull_number),
            "id": pr["id"],
            "number": self.setup.pull_number,
            "head": side("head", &json!(head_sha)),
            "base": side("base", &pr["base"]["sha"]),
        })]
    }
}

/// Create and update share this: fields present replace, annotations append.
fn apply_check_run(run: &mut CheckRun, b: &Value) {
    let s = |k: &str| b[k].as_str().map(str::to_string);
    if let Some(name) = s("name") {
        run.name = name;
    }
    if let Some(url) = s("details_url") {
        run.details_url = Some(url);
    }
    if let Some(id) = s("external_id") {
        run.external_id = Some(id);
    }
    if let Some(at) = s("started_at") {
        run.started_at = at;
    }
    if let Some(status) = s("status") {
        run.status = status;
    }
    if let Some(conclusion) = s("conclusion") {
        // "Providing conclusion will automatically set the status parameter to completed."
        run.conclusion = Some(conclusion);
        run.status = "completed".into();
    }
    if run.status == "completed" && run.completed_at.is_none() {
        run.completed_at = Some(s("completed_at").unwrap_or_else(|| iso8601(unix_now())));
    }
    let output = &b["output"];
    let o = |k: &str| output[k].as_str().map(str::to_string);
    if let Some(title) = o("title") {
        run.title = Some(title);
    }
    if let Some(summary) = o("summary") {
        run.summary = Some(summary);
    }
    if let Some(text) = o("text") {
        run.text = Some(text);
    }
    if let Some(annotations) = output["annotations"].as_array() {
        run.annotations
            .extend(annotations.iter().map(Annotation::from_json));
    }
}
