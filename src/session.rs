//! The judging session that `check`, the pull-request gate and the audit share: the config
//! a run loads, what it judges with (the clock, the fail level, links or not), the run itself
//! (engine, then link phase, then waivers), and how its verdict becomes an exit code. The
//! front ends (`app` for the CLI, `github`, `audit`) build a [`Judging`] and call [`judge`];
//! none of them reaches into another.

use crate::config::{self, Config};
use crate::dates::Date;
use crate::discover;
use crate::engine::{self, Options};
use crate::finding::{Severity, Verdict};
use crate::{links, place};
use anyhow::{anyhow, Result};
use std::path::Path;

/// How a run ended, in exit-code terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Pass = 0,
    Fail = 1,
    Usage = 2,
}

impl Exit {
    /// The exit code of a run whose verdict this is.
    pub fn of(verdict: Verdict) -> Exit {
        match verdict {
            Verdict::Pass => Exit::Pass,
            Verdict::Fail => Exit::Fail,
        }
    }
}

/// The config: `--config FILE` if given (it must exist), else the one [`place::find_config`]
/// finds from `start`, else the built-ins.
pub(crate) fn load_config(explicit: Option<&Path>, start: &Path) -> Result<Config> {
    if let Some(p) = explicit {
        if !p.is_file() {
            return Err(anyhow!(
                "--config {}: {}",
                p.display(),
                if p.exists() {
                    "not a file"
                } else {
                    "no such file"
                }
            ));
        }
    }
    let found = explicit
        .map(Path::to_path_buf)
        .or_else(|| place::find_config(start));
    config::load(Path::new("."), found.as_deref()).map_err(|e| anyhow!(e))
}

/// Query parameters the policies call tracking parameters (for redirect hops).
fn tracking_params(config: &Config) -> Vec<String> {
    crate::rules::urls::tracking_params(config.policies.iter().flat_map(|p| &p.rules))
}

/// What a run judges with, past config and candidates.
#[derive(Debug, Clone)]
pub(crate) struct Judging {
    pub today: Date,
    pub fail_on: Severity,
    pub max_age_days: Option<u32>,
    pub offline: bool,
    pub link_cache: Option<std::path::PathBuf>,
    /// Show the link phase's progress bar (a terminal, not CI).
    pub progress: bool,
    /// Keep source lines for snippets (the human report).
    pub keep_lines: bool,
}

/// `--today`, else today (UTC).
pub(crate) fn today(arg: Option<&str>) -> Result<Date> {
    match arg {
        Some(t) => {
            Date::parse(t).ok_or_else(|| anyhow!("--today `{t}` is not a date in YYYY-MM-DD form"))
        }
        None => Ok(Date::today_utc()),
    }
}

/// The fail level: the flag's, else the config's.
pub(crate) fn fail_level(flag: Option<Severity>, config: &Config) -> Severity {
    flag.unwrap_or(config.fail_on)
}

/// Judges the candidates: the engine, then the link phase (unless offline). `phase` is the
/// link phase started early (see [`links::Phase::prepare`]), if any.
pub(crate) fn judge(
    config: &Config,
    candidates: &[discover::Candidate],
    how: &Judging,
    mut phase: Option<links::Phase>,
) -> Result<engine::Report> {
    if how.offline {
        phase = None;
    } else if phase.is_none() {
        phase = Some(links::Phase::prepare());
    }
    let started = std::time::Instant::now();
    let deadline = started + config.run_limits.run_budget;
    // The link phase takes the packets' links as they are judged, within the run's budget.
    if let Some(phase) = &mut phase {
        let mut settings = config.links.clone();
        settings.budget = settings.budget.min(config.run_limits.run_budget);
        phase.configure(
            &settings,
            links::RunOptions {
                tracking_params: tracking_params(config),
                progress: how.progress,
                cache_path: how.link_cache.clone(),
            },
        );
    }
    let mut opts = Options {
        today: how.today,
        fail_on: how.fail_on,
        max_age_days: how.max_age_days,
        links_not_opened: how.offline.then(|| "--offline".to_string()),
        keep_lines: how.keep_lines,
        link_sink: phase.as_ref().and_then(links::Phase::sink),
        limits: config.run_limits,
        deadline: Some(deadline),
    };
    let mut report = engine::run(config, candidates, &opts);
    // Every sender must be gone for the link phase to see the end of its feed.
    opts.link_sink = None;
    if let Some(phase) = phase {
        let found = phase.finish(&engine::link_keys(&report))?;
        engine::apply_links(config, &mut report, found, &opts);
    }
    crate::waivers::settle(config, &mut report, how.today);
    Ok(report)
}
