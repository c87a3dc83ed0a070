//! The pull-request gate's platform-neutral half: what a change touched (the forge's list, or
//! git's), the config from its base commit, the changed files as its head has them, judging,
//! the rendered verdict and the exit code. What differs per code forge — listing a change's
//! files, reading a file at a commit, publishing the verdict, the CI runner's outputs — sits
//! behind [`Forge`]; `github` is one implementation, and this module never names it.
//!
//! The flow ([`judge`]): changed files → config from the base → head versions → engine and
//! link phase → JSON report → [`Forge::publish`] → [`Forge::write_outputs`] → exit code.
//! Publishing never decides the verdict: a failing packet exits 1 whatever was delivered.

pub(crate) mod base;
pub(crate) mod changes;
pub(crate) mod forge;
pub(crate) mod head;
pub(crate) mod markdown;
pub(crate) mod render;

pub(crate) use forge::{Delivery, Forge, ForgeError, Unjudged};

use crate::cli::{FailOn, Scope};
use crate::config::{self, Config};
use crate::engine::Report;
use crate::finding::Verdict;
use crate::session::{self, Exit, Judging};
use crate::{git, links};
use anyhow::{anyhow, Context, Result};
use base::Base;
use changes::Changes;
use head::Scratch;
use render::View;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a run judges, as the forge's event describes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change<'a> {
    /// A change request (GitHub's pull request): the files it changes, as its head has them,
    /// with its base commit's config.
    Request { base: Base<'a>, head: &'a str },
    /// A push: what changed since `before` (`None` for a new branch: every packet).
    Push {
        before: Option<&'a str>,
        after: &'a str,
    },
    /// A merge queue's group: what changed between its base and its head, with the base's
    /// config.
    Queue { base: Base<'a>, head: &'a str },
    /// Every packet at a commit (a scheduled or manual run).
    Audit { head: &'a str },
}

impl<'a> Change<'a> {
    /// The commit the verdict goes on.
    pub(crate) fn head(&self) -> &'a str {
        match *self {
            Change::Request { head, .. } | Change::Queue { head, .. } | Change::Audit { head } => {
                head
            }
            Change::Push { after, .. } => after,
        }
    }
}

/// How a run judges (flags and inputs) and how the forge names what it shows.
#[derive(Debug, Clone)]
pub(crate) struct Options<'a> {
    pub scope: Scope,
    pub config: Option<&'a Path>,
    pub paths: &'a [PathBuf],
    pub today: Option<&'a str>,
    pub fail_on: Option<FailOn>,
    pub max_age_days: Option<u32>,
    pub offline: bool,
    pub link_cache: Option<PathBuf>,
    /// Where the full JSON report is written.
    pub report: &'a Path,
    /// The verdict's name on the forge (GitHub's check name).
    pub check_name: &'a str,
    /// Where line links point: the judged commit's files (`…/blob/SHA`).
    pub blob_url: String,
    /// What was judged, as the texts say it: "pull request #12", "push".
    pub judged: String,
    /// The CI run, when known.
    pub run_url: Option<String>,
}

/// Judges the change's packets, publishes the verdict through `forge` and returns the exit
/// code. An [`Unjudged`] error means the change could not be read whole; the caller still
/// owes the commit a failing verdict.
pub(crate) fn judge<F: Forge>(
    forge: &F,
    change: Change<'_>,
    opts: &Options<'_>,
    phase: Option<links::Phase>,
) -> Result<Exit> {
    let mut notices = Vec::new();
    let changes = match opts.scope {
        Scope::Changed => changed_files(forge, change, &mut notices)?,
        Scope::All => None,
    };
    let config = load_config(forge, change, opts.config, changes.as_ref(), &mut notices)?;
    // Head versions fetched for judging live here until the run ends, whatever way it ends.
    let scratch = Scratch::of_this_process();
    let candidates = head::candidates(
        &scratch.0,
        &config,
        opts.paths,
        change.head(),
        forge,
        changes.as_ref(),
        &mut notices,
    )?;
    let how = Judging {
        today: session::today(opts.today)?,
        fail_on: session::fail_level(opts.fail_on.map(Into::into), &config),
        max_age_days: opts.max_age_days,
        offline: opts.offline,
        link_cache: opts.link_cache.clone(),
        progress: false,
        keep_lines: false,
    };
    let report = session::judge(&config, &candidates, &how, phase)?;
    drop(scratch);
    let report_path = write_json_report(opts.report, &report);
    let view = View {
        report: &report,
        check_name: opts.check_name,
        blob_url: opts.blob_url.clone(),
        head_sha: change.head(),
        scope: opts.judged.clone(),
        notices: &notices,
        run_url: opts.run_url.clone(),
        report_path,
    };
    let deliveries = forge.publish(&view, changes.as_ref());
    forge.write_outputs(&view, &deliveries);
    let failed = deliveries
        .iter()
        .any(|(_, d)| matches!(d, Delivery::Failed(_)));
    Ok(exit(report.verdict, failed))
}

/// The exit code: the verdict's, except that a pass the forge did not get is no pass.
pub(crate) fn exit(verdict: Verdict, failed_to_deliver: bool) -> Exit {
    match verdict {
        Verdict::Fail => Exit::Fail,
        // The verdict is a pass, but the forge did not get it: a required check would stay
        // missing, so the run must not look green.
        Verdict::Pass if failed_to_deliver => Exit::Usage,
        Verdict::Pass => Exit::Pass,
    }
}

/// The files the change touched; `None` means every packet on the branch.
fn changed_files<F: Forge>(
    forge: &F,
    change: Change<'_>,
    notices: &mut Vec<String>,
) -> Result<Option<Changes>> {
    let here = Path::new(".");
    match change {
        Change::Request { base, head } => {
            let changes = match forge.list_files() {
                Ok(mut listed) => {
                    base::read_were_packets(&mut listed, base.sha, forge);
                    listed
                }
                // A dry run without a token: the pull request's base against what is checked out.
                Err(ForgeError::NoToken) => changes::from_git(here, base.sha, "HEAD")
                    .with_context(|| {
                        format!(
                            "no token to list the pull request's files, and git cannot diff against its base {}",
                            git::short(base.sha)
                        )
                    })?,
                Err(ForgeError::Failed(e)) => return Err(e),
            };
            let changes = if changes.complete {
                changes
            } else {
                // Past the cap the list is not the pull request: git's is, or nothing is.
                let listed = changes::from_git_fetching(here, base.sha, head).map_err(|e| {
                    Unjudged {
                        title: format!(
                            "This pull request changes more files than {} lists ({})",
                            F::NAME,
                            F::MAX_FILES
                        ),
                        detail: format!(
                            "{}'s file list stops at {} files, and git could not diff the base {} against the head {} either ({e}). Check out with `fetch-depth: 0` (or let the runner reach `origin`) so the changed files can be read whole.",
                            F::NAME,
                            F::MAX_FILES,
                            git::short(base.sha),
                            git::short(head)
                        ),
                    }
                })?;
                notices.push(format!(
                    "This pull request changes more files than {} lists ({}); the changed files came from git (`base...head`).",
                    F::NAME,
                    F::MAX_FILES
                ));
                listed
            };
            changes::describe_moves(&changes, notices);
            Ok(Some(changes))
        }
        Change::Push {
            before: Some(before),
            after,
        } => match changes::from_git(here, before, after) {
            Ok(c) => Ok(Some(c)),
            Err(_) => {
                notices.push(format!(
                    "The push's previous commit {} is not in the clone (check out with `fetch-depth: 0`), so every packet on the branch was judged.",
                    git::short(before)
                ));
                Ok(None)
            }
        },
        Change::Queue { base, head } => changes::from_git_fetching(here, base.sha, head)
            .map(Some)
            // The queue waits for this check: a failing one dequeues now, a missing one
            // only at the queue's timeout.
            .map_err(|e| {
                Unjudged {
                    title: "packetgate could not read the merge group's changes".into(),
                    detail: format!(
                        "git cannot diff the merge group's base {} against its head {} ({e}). Check out with `fetch-depth: 0`, or let the runner reach `origin`.",
                        git::short(base.sha),
                        git::short(head)
                    ),
                }
                .into()
            }),
        Change::Push { before: None, .. } | Change::Audit { .. } => Ok(None),
    }
}

/// The config: for change requests and merge queues, from the base commit (see [`base`]), so
/// the queue judges a pull request with the rules its own check used.
fn load_config<F: Forge>(
    forge: &F,
    change: Change<'_>,
    explicit: Option<&Path>,
    changes: Option<&Changes>,
    notices: &mut Vec<String>,
) -> Result<Config> {
    match change {
        Change::Request { base, .. } | Change::Queue { base, .. } => {
            base::load_config(explicit, base, forge, changes, notices)
        }
        Change::Push { .. } | Change::Audit { .. } => {
            config::load(Path::new("."), explicit).map_err(|e| anyhow!(e))
        }
    }
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
