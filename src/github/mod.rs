//! The pull-request gate, `packetgate github` (the GitHub Action's entry point): GitHub's
//! side of [`crate::gate`]. Here: settings (flags, action inputs, `GITHUB_*`), the event,
//! the REST client, and [`GitHub`], the [`Forge`] that lists a pull request's files, reads
//! files through the contents API, publishes (check run, sticky comment, review) and writes
//! the job summary and outputs. The flow itself — changed files, the base branch's config,
//! head versions, judging, rendering, the exit code — is [`gate::judge`]. Publishing never
//! decides the verdict: a refused write falls back to workflow-command annotations and the
//! job summary, and a failing packet still exits 1. The org audit's GitHub parts
//! (`repos`, `archive`, `issue`) live here too.

pub(crate) mod abort;
pub mod api;
pub mod archive;
pub(crate) mod check;
pub(crate) mod event;
pub(crate) mod files;
pub(crate) mod inputs;
pub mod issue;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod publish;
pub mod repos;
pub(crate) mod supervise;

use crate::cli::{GithubArgs, Scope};
use crate::gate::{self, base::Base, changes::Changes, render::View};
use crate::gate::{Change, Delivery, Forge, ForgeError, Unjudged};
use crate::links;
use crate::place;
use crate::session::Exit;
use anyhow::{anyhow, Context, Result};
use api::Api;
use event::{Event, Target};
use inputs::Settings;
use plan::{Plan, Step};
use std::io::Write;

/// `packetgate github`: judged in a worker under memory and time limits (see [`supervise`]).
pub fn run(args: &GithubArgs) -> Result<Exit> {
    supervise::run(args, judge)
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
    let api = settings.api_for(&event)?;
    // From here the commit the verdict is due for is known: whatever stops the judging (a
    // file list that cannot be read whole, a broken config, a git failure), the commit gets
    // a failing check that says why, never none.
    match judge_event(&settings, &event, api.as_ref(), phase) {
        Ok(exit) => Ok(exit),
        Err(e) => {
            let why = e.downcast::<Unjudged>().unwrap_or_else(|e| {
                let detail: String = format!("{e:#}").chars().take(2_000).collect();
                Unjudged {
                    title: "packetgate stopped before it could judge this commit".into(),
                    detail,
                }
            });
            Ok(abort::post(&settings, event.head_sha(), api.as_ref(), &why))
        }
    }
}

/// Judges the event's packets through [`gate::judge`], with GitHub as the forge.
fn judge_event(
    settings: &Settings,
    event: &Event,
    api: Option<&Api>,
    phase: Option<links::Phase>,
) -> Result<Exit> {
    let opts = gate::Options {
        scope: settings.scope,
        config: settings.config.as_deref(),
        paths: &settings.paths,
        today: settings.today.as_deref(),
        fail_on: settings.fail_on,
        max_age_days: settings.max_age_days,
        offline: settings.offline,
        link_cache: settings.link_cache.clone(),
        report: &settings.report,
        check_name: &settings.check_name,
        blob_url: format!(
            "{}/{}/{}/blob/{}",
            settings.server_url,
            event.owner,
            event.repo,
            event.head_sha()
        ),
        judged: match settings.scope {
            Scope::All if event.pull().is_some() => format!("every packet, for {}", scope(event)),
            _ => scope(event),
        },
        run_url: settings.run_url(),
    };
    let forge = GitHub {
        settings,
        event,
        api,
    };
    gate::judge(&forge, change(event), &opts, phase)
}

/// The event in the gate's terms.
fn change(event: &Event) -> Change<'_> {
    match &event.target {
        Target::Pull(p) => Change::Request {
            base: Base {
                sha: &p.base_sha,
                branch: &p.base_ref,
            },
            head: &p.head_sha,
        },
        Target::Push { before, after } => Change::Push {
            before: before.as_deref(),
            after,
        },
        Target::MergeGroup {
            base_sha,
            head_sha,
            base_ref,
        } => Change::Queue {
            base: Base {
                sha: base_sha,
                branch: base_ref.strip_prefix("refs/heads/").unwrap_or(base_ref),
            },
            head: head_sha,
        },
        Target::Audit { sha } => Change::Audit { head: sha },
    }
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

/// GitHub as the gate's forge: the REST API (when there is a token), the event, and the
/// Actions runner's files.
#[derive(Debug)]
pub struct GitHub<'a> {
    pub settings: &'a Settings,
    pub event: &'a Event,
    pub api: Option<&'a Api>,
}

impl Forge for GitHub<'_> {
    const NAME: &'static str = "GitHub";
    const MAX_FILES: usize = files::MAX_FILES;
    type Step = Step;

    fn list_files(&self) -> Result<Changes, ForgeError> {
        let api = self.api.ok_or(ForgeError::NoToken)?;
        let pull = self.event.pull().ok_or_else(|| {
            ForgeError::Failed(anyhow!("a {} event has no pull request", self.event.name))
        })?;
        files::from_api(api, pull).map_err(|e| ForgeError::Failed(e.into()))
    }

    fn read_file(
        &self,
        path: &str,
        commit: &str,
        what: &str,
    ) -> Result<Option<String>, ForgeError> {
        let api = self.api.ok_or(ForgeError::NoToken)?;
        let route = api.repo(&format!(
            "/contents/{}?ref={commit}",
            place::uri_reference(path)
        ));
        match api.get(what, &route, Some("application/vnd.github.raw+json")) {
            Ok(r) if r.status == 404 => Ok(None),
            Ok(r) => Ok(Some(r.body)),
            Err(e) => Err(ForgeError::Failed(e.into())),
        }
    }

    fn publish(&self, view: &View<'_>, changes: Option<&Changes>) -> Vec<(Step, Delivery)> {
        let plan = Plan::new(view, self.event, self.settings.comment_mode, changes);
        match (self.api, self.settings.dry_run) {
            (_, true) => {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(plan.preview().as_bytes());
                let _ = stdout.flush();
                Vec::new()
            }
            (Some(api), false) => plan.send(api),
            (None, false) => vec![(Step::CheckRun, Delivery::Skipped("no token".into()))],
        }
    }

    fn write_outputs(&self, view: &View<'_>, deliveries: &[(Step, Delivery)]) {
        let fork = self.event.pull().is_some_and(|p| p.fork);
        output::finish(self.settings, view, deliveries, self.api, fork);
    }
}
