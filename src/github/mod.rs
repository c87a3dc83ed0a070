//! The pull-request gate, `packetgate github` (the GitHub Action's entry point).
//!
//! The flow is `packetgate check`'s with GitHub at both ends: settings (flags, action
//! inputs, `GITHUB_*`) → the event → the files it changed (REST list or `git diff`) → the
//! config, from the base branch where the pull request touches it → the engine and link
//! phase → render → publish (check run, sticky comment, review) → job summary, outputs,
//! exit code. Publishing never decides the verdict: a refused write falls back to
//! workflow-command annotations and the job summary, and a failing packet still exits 1.

pub mod api;
pub mod base;
pub mod event;
pub mod files;
pub mod inputs;
pub mod publish;
pub mod render;

use crate::app::{self, Exit, Judging};
use crate::cli::{CommentMode, GithubArgs, Scope};
use crate::config::{self, Config};
use crate::discover;
use crate::engine::Report;
use crate::finding::Verdict;
use crate::links;
use anyhow::{anyhow, Context, Result};
use api::Api;
use event::{Event, Target};
use files::Changes;
use inputs::Settings;
use publish::Delivery;
use render::View;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(args: &GithubArgs) -> Result<Exit> {
    let settings = inputs::resolve(args, &|k| std::env::var(k).ok()).map_err(|e| anyhow!(e))?;
    if let Some(ws) = settings.workspace.as_ref().filter(|w| w.is_dir()) {
        std::env::set_current_dir(ws)
            .with_context(|| format!("cannot enter GITHUB_WORKSPACE {}", ws.display()))?;
    }
    // Started first, so TLS is ready by the time the config is.
    let phase = (!settings.offline).then(links::Phase::prepare);
    let text = std::fs::read_to_string(&settings.event_path)
        .with_context(|| format!("cannot read the event {}", settings.event_path.display()))?;
    let payload: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("the event {} is not JSON", settings.event_path.display()))?;
    let event = event::read(
        &settings.event_name,
        &payload,
        settings.repository.as_deref(),
        settings.sha.as_deref(),
    )?;
    let api = match &settings.token {
        Some(token) => Some(Api::new(
            &settings.api_url,
            token.expose(),
            &event.owner,
            &event.repo,
        )?),
        None => None,
    };
    let mut notices = Vec::new();
    let changes = match settings.scope {
        Scope::Changed => changed_files(&event, api.as_ref(), &mut notices)?,
        Scope::All => None,
    };
    let config = load_config(
        &settings,
        &event,
        api.as_ref(),
        changes.as_ref(),
        &mut notices,
    )?;
    let candidates = candidates(
        &config,
        &settings,
        &event,
        api.as_ref(),
        changes.as_ref(),
        &mut notices,
    )?;
    let how = Judging {
        today: app::today(settings.today.as_deref())?,
        fail_on: app::fail_level(settings.fail_on, &config),
        max_age_days: settings.max_age_days,
        offline: settings.offline,
        link_cache: settings.link_cache.clone(),
        progress: false,
        keep_lines: false,
    };
    let report = app::judge(&config, &candidates, &how, phase)?;
    let report_path = write_json_report(&settings.report, &report);
    let view = View {
        report: &report,
        check_name: &settings.check_name,
        blob_url: format!(
            "{}/{}/{}/blob/{}",
            settings.server_url,
            event.owner,
            event.repo,
            event.head_sha()
        ),
        head_sha: event.head_sha(),
        scope: match settings.scope {
            Scope::All if event.pull().is_some() => format!("every packet, for {}", scope(&event)),
            _ => scope(&event),
        },
        notices: &notices,
        run_url: settings.run_url(),
        report_path: report_path.clone(),
    };
    let deliveries = if settings.dry_run {
        preview(&settings, &event, &view, changes.as_ref());
        Vec::new()
    } else {
        publish(&settings, &event, &view, api.as_ref(), changes.as_ref())
    };
    finish(&settings, &view, &deliveries, api.as_ref())
}

fn scope(event: &Event) -> String {
    match &event.target {
        Target::Pull(p) => format!("pull request #{}", p.number),
        Target::Push { .. } => "push".into(),
        Target::Audit { .. } if event.name == "schedule" => {
            "scheduled audit of every packet".into()
        }
        Target::Audit { .. } => "audit of every packet".into(),
    }
}

/// The files the event changed; `None` means every packet on the branch.
fn changed_files(
    event: &Event,
    api: Option<&Api>,
    notices: &mut Vec<String>,
) -> Result<Option<Changes>> {
    let here = Path::new(".");
    match &event.target {
        Target::Pull(pull) => {
            let changes = match api {
                Some(api) => files::from_api(api, pull)?,
                // A dry run without a token: the pull request's base against what is checked out.
                None => files::from_git(here, &pull.base_sha, "HEAD").with_context(|| {
                    format!(
                        "no token to list the pull request's files, and git cannot diff against its base {}",
                        base::short(&pull.base_sha)
                    )
                })?,
            };
            if !changes.complete {
                notices.push(format!(
                    "This pull request changes more files than GitHub lists ({}), so every packet on the branch was judged.",
                    files::MAX_FILES
                ));
                return Ok(None);
            }
            Ok(Some(changes))
        }
        Target::Push {
            before: Some(before),
            after,
        } => match files::from_git(here, before, after) {
            Ok(c) => Ok(Some(c)),
            Err(_) => {
                notices.push(format!(
                    "The push's previous commit {} is not in the clone (check out with `fetch-depth: 0`), so every packet on the branch was judged.",
                    base::short(before)
                ));
                Ok(None)
            }
        },
        Target::Push { before: None, .. } | Target::Audit { .. } => Ok(None),
    }
}

/// The config: for pull requests, from the base commit (see [`base`]).
fn load_config(
    settings: &Settings,
    event: &Event,
    api: Option<&Api>,
    changes: Option<&Changes>,
    notices: &mut Vec<String>,
) -> Result<Config> {
    match event.pull() {
        Some(pull) => base::load_config(settings.config.as_deref(), pull, api, changes, notices),
        None => config::load(Path::new("."), settings.config.as_deref()).map_err(|e| anyhow!(e)),
    }
}

/// Where a changed file's head version is read from.
enum Source {
    Workspace,
    Fetched(PathBuf),
}

/// Makes sure a changed file is judged as the pull request's head has it: the workspace's
/// copy when its blob id is the one GitHub lists, else the head's version from git or the
/// contents API (a checkout of the base, as `pull_request_target` makes, or of a merge
/// commit where the base changed the same file).
fn head_version(
    path: &str,
    changes: &Changes,
    head: &str,
    api: Option<&Api>,
    scratch: &Path,
) -> Result<Source> {
    let Some(want) = changes.blobs.get(path) else {
        return Ok(Source::Workspace);
    };
    let local = Path::new(path);
    let is_link = std::fs::symlink_metadata(local).is_ok_and(|m| m.file_type().is_symlink());
    // A symbolic link is judged (and refused) as it is.
    if is_link || std::fs::read(local).is_ok_and(|b| files::blob_id(&b) == *want) {
        return Ok(Source::Workspace);
    }
    let text = match crate::git::show(Path::new("."), head, path) {
        Ok(Some(text)) => text,
        _ => {
            let api = api.ok_or_else(|| {
                anyhow!("`{path}` in the workspace is not the pull request's version, and there is no token to fetch it: check out the pull request's head commit")
            })?;
            let route = api.repo(&format!("/contents/{}?ref={head}", base::encode_path(path)));
            let reply = api.get(
                "reading a changed packet at the head",
                &route,
                Some("application/vnd.github.raw+json"),
            )?;
            if reply.status == 404 {
                return Err(anyhow!(
                    "`{path}` is not at the head commit {}: check out the pull request's head commit",
                    base::short(head)
                ));
            }
            reply.body
        }
    };
    let target = scratch.join(path);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&target, text)?;
    Ok(Source::Fetched(target))
}

fn candidates(
    config: &Config,
    settings: &Settings,
    event: &Event,
    api: Option<&Api>,
    changes: Option<&Changes>,
    notices: &mut Vec<String>,
) -> Result<Vec<discover::Candidate>> {
    let Some(changes) = changes else {
        return Ok(discover::from_paths(config, &settings.paths)?);
    };
    for p in &settings.paths {
        if !p.exists() {
            return Err(anyhow!("no such file or folder: {}", discover::display(p)));
        }
    }
    let scratch = std::env::temp_dir().join(format!("packetgate-head-{}", std::process::id()));
    let mut out = Vec::new();
    let mut fetched = 0;
    for path in &changes.judge {
        if crate::packet::Form::of(path).is_none() {
            continue;
        }
        let fs_path = match head_version(path, changes, event.head_sha(), api, &scratch)? {
            Source::Workspace => PathBuf::from(path),
            Source::Fetched(p) => {
                fetched += 1;
                p
            }
        };
        let explicit = changes.were_packets.contains(path);
        out.extend(discover::changed_file(
            config,
            Path::new(path),
            fs_path,
            explicit,
            &settings.paths,
        ));
    }
    if fetched > 0 {
        notices.push(format!(
            "{fetched} changed file(s) in the workspace differ from the pull request's head (the checkout is not the head commit); they were judged as the head has them."
        ));
    }
    Ok(out)
}

fn write_json_report(path: &Path, report: &Report) -> Option<String> {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        crate::report::json::write(report, &mut out)?;
        out.flush()
    };
    match write() {
        Ok(()) => Some(path.display().to_string()),
        Err(e) => {
            eprintln!(
                "packetgate: cannot write the JSON report {}: {e}",
                path.display()
            );
            None
        }
    }
}

/// What the comment's first lines say about the run, so newer runs win.
fn stamp(event: &Event) -> publish::RunStamp {
    publish::RunStamp {
        head: event.head_sha().to_string(),
        updated: event
            .pull()
            .map(|p| p.updated_at.clone())
            .unwrap_or_default(),
    }
}

fn sticky_text(view: &View<'_>) -> String {
    // Room for the markers.
    render::comment(view, render::COMMENT_MAX - 400)
}

fn request_changes_text(view: &View<'_>) -> String {
    format!(
        "packetgate requests changes: {}. The pull request's packetgate comment lists every field to fix; this review is dismissed once every packet passes.",
        render::title(view.report)
    )
}

fn line_notes(view: &View<'_>) -> Vec<publish::LineNote> {
    view.report
        .packets
        .iter()
        .flat_map(|p| {
            p.findings.iter().map(move |f| publish::LineNote {
                path: p.path.clone(),
                line: f.line,
                body: format!(
                    "**{}** `{}`{}: {}\n\n**Fix:** {}",
                    f.severity,
                    f.rule,
                    f.field
                        .as_deref()
                        .map(|x| format!(" (`{x}`)"))
                        .unwrap_or_default(),
                    f.message,
                    f.fix
                ),
            })
        })
        .collect()
}

fn publish(
    settings: &Settings,
    event: &Event,
    view: &View<'_>,
    api: Option<&Api>,
    changes: Option<&Changes>,
) -> Vec<(&'static str, Delivery)> {
    let Some(api) = api else {
        return vec![("check run", Delivery::Skipped("no token".into()))];
    };
    let report = view.report;
    let mut out = Vec::new();
    let summary = render::summary(
        view,
        render::CHECK_SUMMARY_MAX,
        "the job summary and the JSON report have them all",
    );
    let title = render::title(report);
    let annotations = render::annotations(report);
    let run = publish::CheckRun {
        name: &settings.check_name,
        head_sha: event.head_sha(),
        conclusion: render::conclusion(report),
        title: &title,
        summary: &summary,
        annotations: &annotations,
    };
    out.push(("check run", publish::check_run(api, &run)));
    let Some(pull) = event.pull() else {
        return out;
    };
    if settings.comment_mode == CommentMode::Off {
        return out;
    }
    let body = sticky_text(view);
    let sticky = publish::Sticky {
        pull: pull.number,
        check_name: &settings.check_name,
        stamp: stamp(event),
        body: &body,
        quiet: report.packets.iter().all(|p| p.findings.is_empty()),
    };
    let comment = publish::sticky(api, &sticky);
    let refused = matches!(comment, Delivery::Refused(_));
    out.push(("comment", comment));
    if refused {
        return out;
    }
    match settings.comment_mode {
        CommentMode::Review => {
            let failing = (report.verdict == Verdict::Fail).then(|| request_changes_text(view));
            out.push((
                "review",
                publish::request_changes(
                    api,
                    pull.number,
                    &settings.check_name,
                    event.head_sha(),
                    failing.as_deref(),
                ),
            ));
        }
        CommentMode::Inline => {
            let empty = Default::default();
            out.push((
                "line comments",
                publish::inline_review(
                    api,
                    pull.number,
                    &settings.check_name,
                    event.head_sha(),
                    &line_notes(view),
                    changes.map(|c| &c.diff_lines).unwrap_or(&empty),
                ),
            ));
        }
        CommentMode::Sticky | CommentMode::Off => {}
    }
    out
}

/// `--dry-run`: what would be sent, on stdout.
fn preview(settings: &Settings, event: &Event, view: &View<'_>, changes: Option<&Changes>) {
    let report = view.report;
    let summary = render::summary(
        view,
        render::CHECK_SUMMARY_MAX,
        "the job summary and the JSON report have them all",
    );
    let title = render::title(report);
    let annotations = render::annotations(report);
    let run = publish::CheckRun {
        name: &settings.check_name,
        head_sha: event.head_sha(),
        conclusion: render::conclusion(report),
        title: &title,
        summary: &summary,
        annotations: &annotations,
    };
    let (_, updates) = publish::check_run_requests(&run);
    let mut out = String::new();
    out.push_str("packetgate github --dry-run: nothing is sent.\n\n");
    out.push_str(&format!(
        "=== check run `{}` on {} — conclusion: {} ===\ntitle: {title}\nannotations: {} (in {} request(s))\n\n{summary}\n",
        settings.check_name,
        event.head_sha(),
        run.conclusion,
        annotations.len(),
        1 + updates.len()
    ));
    if let (Some(pull), true) = (event.pull(), settings.comment_mode != CommentMode::Off) {
        let body = sticky_text(view);
        let sticky = publish::Sticky {
            pull: pull.number,
            check_name: &settings.check_name,
            stamp: stamp(event),
            body: &body,
            quiet: report.packets.iter().all(|p| p.findings.is_empty()),
        };
        out.push_str(&format!(
            "=== comment on pull request #{} (created, or the earlier one edited) ===\n{}\n",
            pull.number,
            publish::sticky_body(&sticky)
        ));
        match settings.comment_mode {
            CommentMode::Review => out.push_str(&format!(
                "=== review ===\n{}\n",
                if report.verdict == Verdict::Fail {
                    format!("REQUEST_CHANGES: {}", request_changes_text(view))
                } else {
                    "earlier change requests dismissed".to_string()
                }
            )),
            CommentMode::Inline => {
                let notes = line_notes(view);
                let on_diff = notes
                    .iter()
                    .filter(|n| {
                        changes
                            .and_then(|c| c.diff_lines.get(&n.path))
                            .is_some_and(|l| l.contains(&n.line))
                    })
                    .count();
                out.push_str(&format!(
                    "=== line comments ===\n{} of {} finding(s) are on lines of the diff\n",
                    on_diff.min(publish::MAX_LINE_NOTES),
                    notes.len()
                ));
            }
            _ => {}
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// Job summary, outputs, fallback annotations, the exit code.
fn finish(
    settings: &Settings,
    view: &View<'_>,
    deliveries: &[(&'static str, Delivery)],
    api: Option<&Api>,
) -> Result<Exit> {
    let report = view.report;
    let check_delivered = deliveries
        .iter()
        .any(|(what, d)| *what == "check run" && matches!(d, Delivery::Sent(_)));
    let mut stderr = std::io::stderr().lock();
    for (what, d) in deliveries {
        let _ = writeln!(stderr, "packetgate: {what} {}", d.describe());
    }
    if let Some(api) = api {
        let _ = writeln!(stderr, "packetgate: {} GitHub API request(s)", api.calls());
    }
    drop(stderr);
    // Without the check run, the findings go on the job as workflow-command annotations
    // (the runner shows the first few per step) and in full in the job summary.
    if !settings.dry_run && !check_delivered {
        let mut stdout = std::io::stdout().lock();
        let _ = crate::report::github::write(report, &mut stdout);
        let _ = stdout.flush();
    }
    let mut prelude = String::new();
    let trouble: Vec<String> = deliveries
        .iter()
        .filter(|(_, d)| matches!(d, Delivery::Refused(_) | Delivery::Failed(_)))
        .map(|(what, d)| format!("- {what}: {}", d.describe()))
        .collect();
    if !trouble.is_empty() {
        prelude.push_str(&format!(
            "> [!WARNING]\n> packetgate could not write everything to GitHub; the verdict below still holds and sets the job's result.\n\n{}\n\n",
            trouble.join("\n")
        ));
        if deliveries
            .iter()
            .any(|(_, d)| matches!(d, Delivery::Refused(_)))
        {
            prelude.push_str("A refused write usually means a pull request from a fork (its token is read-only) or a workflow without `checks: write` / `pull-requests: write`. The findings are on this job as annotations and all of them are listed here.\n\n");
        }
    }
    // A dry run sends nothing and leaves the runner's files alone too.
    let step_summary = settings.step_summary.as_ref().filter(|_| !settings.dry_run);
    if let Some(path) = step_summary {
        let budget = render::JOB_SUMMARY_MAX.saturating_sub(prelude.len() + 64);
        let body = render::summary(view, budget, "the JSON report has them all");
        let text = format!("## {}\n\n{prelude}{body}\n", settings.check_name);
        if let Err(e) = append(path, &text) {
            eprintln!(
                "packetgate: cannot write the job summary {}: {e}",
                path.display()
            );
        }
    }
    if let Some(path) = settings.output.as_ref().filter(|_| !settings.dry_run) {
        let c = render::Counts::of(report);
        let mut lines = format!(
            "verdict={}\nconclusion={}\npackets={}\nfailed-packets={}\nmissing-fields={}\ninvalid-fields={}\n",
            report.verdict.as_str(),
            render::conclusion(report),
            c.packets,
            c.failed,
            c.missing,
            c.invalid
        );
        if let Some(p) = &view.report_path {
            lines.push_str(&format!("report={p}\n"));
        }
        if let Err(e) = append(path, &lines) {
            eprintln!(
                "packetgate: cannot write the outputs {}: {e}",
                path.display()
            );
        }
    }
    let failed_to_deliver = deliveries
        .iter()
        .any(|(_, d)| matches!(d, Delivery::Failed(_)));
    Ok(match report.verdict {
        Verdict::Fail => Exit::Fail,
        // The verdict is a pass, but GitHub did not get it: a required check would stay
        // missing, so the run must not look green.
        Verdict::Pass if failed_to_deliver => Exit::Usage,
        Verdict::Pass => Exit::Pass,
    })
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}
