//! The pull-request gate, `packetgate github` (the GitHub Action's entry point).
//!
//! The flow is `packetgate check`'s with GitHub at both ends: settings (flags, action
//! inputs, `GITHUB_*`) → the event → the files it changed (REST list or `git diff`) → the
//! config, from the base branch where the pull request touches it → the engine and link
//! phase → render → publish (check run, sticky comment, review) → job summary, outputs,
//! exit code. Publishing never decides the verdict: a refused write falls back to
//! workflow-command annotations and the job summary, and a failing packet still exits 1.

pub mod abort;
pub mod api;
pub mod archive;
pub mod base;
pub mod event;
pub mod files;
pub mod inputs;
pub mod issue;
pub mod markdown;
pub mod output;
pub mod plan;
pub mod publish;
pub mod render;
pub mod repos;
pub mod supervise;

use crate::cli::{GithubArgs, Scope};
use crate::config::{self, Config};
use crate::discover;
use crate::engine::Report;
use crate::links;
use crate::session::{self, Exit, Judging};
use anyhow::{anyhow, Context, Result};
use api::Api;
use event::{Event, Target};
use files::Changes;
use inputs::Settings;
use plan::{Plan, Step};
use publish::Delivery;
use render::View;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `packetgate github`: judged in a worker under memory and time limits (see [`supervise`]).
pub fn run(args: &GithubArgs) -> Result<Exit> {
    supervise::run(args)
}

/// The gate's work, in the worker process.
fn judge(args: &GithubArgs) -> Result<Exit> {
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
    if let Some(why) = event::nothing_to_do(&settings.event_name, &payload) {
        return Ok(output::idle(&settings, &why));
    }
    let event = event::read(
        &settings.event_name,
        &payload,
        settings.repository.as_deref(),
        settings.sha.as_deref(),
    )?;
    let api = api_for(&settings, &event)?;
    // From here the commit the verdict is due for is known: whatever stops the judging (a
    // file list that cannot be read whole, a broken config, a git failure), the commit gets
    // a failing check that says why, never none.
    match judge_event(&settings, &event, api.as_ref(), phase) {
        Ok(exit) => Ok(exit),
        Err(e) => {
            let why = e.downcast::<abort::Unjudged>().unwrap_or_else(|e| {
                let detail: String = format!("{e:#}").chars().take(2_000).collect();
                abort::Unjudged {
                    title: "packetgate stopped before it could judge this commit".into(),
                    detail,
                }
            });
            Ok(abort::post(&settings, event.head_sha(), api.as_ref(), &why))
        }
    }
}

/// The API client for the event's repository (none without a token).
fn api_for(settings: &inputs::Settings, event: &Event) -> Result<Option<Api>> {
    let Some(token) = &settings.token else {
        return Ok(None);
    };
    Ok(Some(Api::new(
        &settings.api_url,
        token.expose(),
        &event.owner,
        &event.repo,
    )?))
}

/// Judges the event's packets and publishes the verdict.
fn judge_event(
    settings: &inputs::Settings,
    event: &Event,
    api: Option<&Api>,
    phase: Option<links::Phase>,
) -> Result<Exit> {
    let mut notices = Vec::new();
    let changes = match settings.scope {
        Scope::Changed => changed_files(event, api, &mut notices)?,
        Scope::All => None,
    };
    let config = load_config(settings, event, api, changes.as_ref(), &mut notices)?;
    // Head versions fetched for judging live here until the run ends, whatever way it ends.
    let scratch =
        Scratch(std::env::temp_dir().join(format!("packetgate-head-{}", std::process::id())));
    let candidates = candidates(
        &scratch.0,
        &config,
        settings,
        event,
        api,
        changes.as_ref(),
        &mut notices,
    )?;
    let how = Judging {
        today: session::today(settings.today.as_deref())?,
        fail_on: session::fail_level(settings.fail_on.map(Into::into), &config),
        max_age_days: settings.max_age_days,
        offline: settings.offline,
        link_cache: settings.link_cache.clone(),
        progress: false,
        keep_lines: false,
    };
    let report = session::judge(&config, &candidates, &how, phase)?;
    drop(scratch);
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
            Scope::All if event.pull().is_some() => format!("every packet, for {}", scope(event)),
            _ => scope(event),
        },
        notices: &notices,
        run_url: settings.run_url(),
        report_path: report_path.clone(),
    };
    let plan = Plan::new(&view, event, settings.comment_mode, changes.as_ref());
    let deliveries = match (&api, settings.dry_run) {
        (_, true) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(plan.preview().as_bytes());
            let _ = stdout.flush();
            Vec::new()
        }
        (Some(api), false) => plan.send(api),
        (None, false) => vec![(Step::CheckRun, Delivery::Skipped("no token".into()))],
    };
    let fork = event.pull().is_some_and(|p| p.fork);
    Ok(output::finish(settings, &view, &deliveries, api, fork))
}

fn scope(event: &Event) -> String {
    match &event.target {
        Target::Pull(p) => format!("pull request #{}", p.number),
        Target::Push { .. } => "push".into(),
        Target::MergeGroup { base_ref, .. } => format!(
            "merge queue group for `{}`",
            base_ref.strip_prefix("refs/heads/").unwrap_or(base_ref)
        ),
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
                Some(api) => {
                    let mut listed = files::from_api(api, pull)?;
                    files::read_were_packets(&mut listed, &pull.base_sha, Some(api));
                    listed
                }
                // A dry run without a token: the pull request's base against what is checked out.
                None => files::from_git(here, &pull.base_sha, "HEAD").with_context(|| {
                    format!(
                        "no token to list the pull request's files, and git cannot diff against its base {}",
                        crate::git::short(&pull.base_sha)
                    )
                })?,
            };
            let changes = if changes.complete {
                changes
            } else {
                // Past the cap the list is not the pull request: git's is, or nothing is.
                let listed = files::from_git_fetching(here, &pull.base_sha, &pull.head_sha)
                    .map_err(|e| abort::Unjudged {
                        title: format!(
                            "This pull request changes more files than GitHub lists ({})",
                            files::MAX_FILES
                        ),
                        detail: format!(
                            "GitHub's file list stops at {} files, and git could not diff the base {} against the head {} either ({e}). Check out with `fetch-depth: 0` (or let the runner reach `origin`) so the changed files can be read whole.",
                            files::MAX_FILES,
                            crate::git::short(&pull.base_sha),
                            crate::git::short(&pull.head_sha)
                        ),
                    })?;
                notices.push(format!(
                    "This pull request changes more files than GitHub lists ({}); the changed files came from git (`base...head`).",
                    files::MAX_FILES
                ));
                listed
            };
            describe_moves(&changes, notices);
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
                    crate::git::short(before)
                ));
                Ok(None)
            }
        },
        Target::MergeGroup {
            base_sha, head_sha, ..
        } => files::from_git_fetching(here, base_sha, head_sha)
            .map(Some)
            // The queue waits for this check: a failing one dequeues now, a missing one
            // only at the queue's timeout.
            .map_err(|e| {
                abort::Unjudged {
                    title: "packetgate could not read the merge group's changes".into(),
                    detail: format!(
                        "git cannot diff the merge group's base {} against its head {} ({e}). Check out with `fetch-depth: 0`, or let the runner reach `origin`.",
                        crate::git::short(base_sha),
                        crate::git::short(head_sha)
                    ),
                }
                .into()
            }),
        Target::Push { before: None, .. } | Target::Audit { .. } => Ok(None),
    }
}

/// Notices for packets the change removed (not judged) and renamed (judged under the new
/// name), so a reader of the check run knows why they are missing or moved.
fn describe_moves(changes: &Changes, notices: &mut Vec<String>) {
    let packetish = |p: &str| crate::packet::Form::of(p).is_some();
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

/// The config: for pull requests and merge groups, from the base commit (see [`base`]), so
/// the queue judges a pull request with the rules its own check used.
fn load_config(
    settings: &Settings,
    event: &Event,
    api: Option<&Api>,
    changes: Option<&Changes>,
    notices: &mut Vec<String>,
) -> Result<Config> {
    let base = match &event.target {
        Target::Pull(pull) => base::Base {
            sha: &pull.base_sha,
            branch: &pull.base_ref,
        },
        Target::MergeGroup {
            base_sha, base_ref, ..
        } => base::Base {
            sha: base_sha,
            branch: base_ref.strip_prefix("refs/heads/").unwrap_or(base_ref),
        },
        Target::Push { .. } | Target::Audit { .. } => {
            return config::load(Path::new("."), settings.config.as_deref()).map_err(|e| anyhow!(e))
        }
    };
    base::load_config(settings.config.as_deref(), base, api, changes, notices)
}

/// The folder of head versions fetched for judging, removed when dropped (an error or a
/// panic on the way out included), so no pull request's text stays on the runner.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a changed file is a symbolic link at the head: as git lists it, else as the
/// workspace has it.
fn is_link(path: &str, changes: &Changes) -> bool {
    changes.links.contains(path)
        || std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether a symbolic link may be a packet, decided without following it out of the
/// repository: a config glob claims it, its base version was one, or it points inside the
/// repository at a file that declares `packet`. A link that leaves the repository (or whose
/// target cannot be read) may be one, and is refused as a packet; any other link — such as
/// `docs/index.md -> ../README.md` — is a non-packet, ignored as such.
fn link_may_be_packet(config: &Config, path: &str, changes: &Changes) -> bool {
    if changes.were_packets.contains(path) || config.glob_for(Path::new(path)).is_some() {
        return true;
    }
    let Ok(target) = std::fs::read_link(path) else {
        return true;
    };
    let joined = Path::new(path)
        .parent()
        .unwrap_or(Path::new(""))
        .join(&target);
    let Some(inside) = crate::place::repo_path(&joined) else {
        return true;
    };
    // The target's own links resolved, it must still be inside the repository.
    let (Ok(real), Ok(root)) = (std::fs::canonicalize(&inside), std::fs::canonicalize(".")) else {
        return true;
    };
    if !real.starts_with(&root) {
        return true;
    }
    let Some(form) = crate::packet::Form::of(path) else {
        return false;
    };
    match files::read_head(&real) {
        Some(text) => crate::packet::declares(form, &text),
        None => true,
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
    if is_link || files::file_blob_id(local).is_ok_and(|id| id == *want) {
        return Ok(Source::Workspace);
    }
    let bytes = match crate::git::show_bytes(Path::new("."), head, path) {
        Ok(Some(bytes)) => bytes,
        _ => {
            let api = api.ok_or_else(|| {
                anyhow!("`{path}` in the workspace is not the pull request's version, and there is no token to fetch it: check out the pull request's head commit")
            })?;
            let route = api.repo(&format!(
                "/contents/{}?ref={head}",
                crate::place::uri_reference(path)
            ));
            let reply = api.get(
                "reading a changed packet at the head",
                &route,
                Some("application/vnd.github.raw+json"),
            )?;
            if reply.status == 404 {
                return Err(anyhow!(
                    "`{path}` is not at the head commit {}: check out the pull request's head commit",
                    crate::git::short(head)
                ));
            }
            reply.body.into_bytes()
        }
    };
    let target = scratch.join(path);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A link at the head stays a link (git's bytes are its target), refused as one.
    #[cfg(unix)]
    if changes.links.contains(path) {
        let to = String::from_utf8_lossy(&bytes).into_owned();
        std::os::unix::fs::symlink(to, &target)?;
        return Ok(Source::Fetched(target));
    }
    std::fs::write(&target, bytes)?;
    Ok(Source::Fetched(target))
}

fn candidates(
    scratch: &Path,
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
    let mut out = Vec::new();
    let mut fetched = 0;
    for path in &changes.judge {
        if crate::packet::Form::of(path).is_none() {
            continue;
        }
        if is_link(path, changes) && !link_may_be_packet(config, path, changes) {
            continue;
        }
        let fs_path = match head_version(path, changes, event.head_sha(), api, scratch)? {
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
            "{} in the workspace {} from the pull request's head (the checkout is not the head commit); {} judged as the head has {}.",
            crate::report::plural(fetched, "changed file"),
            if fetched == 1 { "differs" } else { "differ" },
            if fetched == 1 { "it was" } else { "they were" },
            if fetched == 1 { "it" } else { "them" }
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
