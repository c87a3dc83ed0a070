//! The gate never leaves a commit without a check: `packetgate github` judges in a worker
//! process (itself, re-run with `PACKETGATE_GATE_WORKER=1`) under a memory ceiling
//! (`RLIMIT_AS`, set by the worker on itself before any work) and a time limit the
//! supervisor keeps. When the worker is killed by either, or dies any other way than with
//! one of the gate's exit codes, the supervisor writes the check run as a failure that names
//! the limit ([`super::abort`]). The worker's output passes straight through.
//!
//! Limits: `PACKETGATE_MEMORY_MB` (default 4096; 0 = none) and `PACKETGATE_TIME_LIMIT_SECS`
//! (default 1800).

use super::abort;
use super::{event, inputs};
use crate::cli::GithubArgs;
use crate::gate::Unjudged;
use crate::session::Exit;
use anyhow::{anyhow, Context, Result};
use std::time::{Duration, Instant};

const WORKER: &str = "PACKETGATE_GATE_WORKER";

fn limit(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `worker` (the judging) in a child process under the limits, or — in that child —
/// runs it directly.
pub(crate) fn run(args: &GithubArgs, worker: fn(&GithubArgs) -> Result<Exit>) -> Result<Exit> {
    let memory_mb = limit("PACKETGATE_MEMORY_MB", 4096);
    if std::env::var_os(WORKER).is_some() {
        if memory_mb > 0 {
            let bytes = memory_mb.saturating_mul(1024 * 1024);
            // Best effort where the platform has no such limit; the time limit still holds.
            let _ = rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes);
        }
        return worker(args);
    }
    let seconds = limit("PACKETGATE_TIME_LIMIT_SECS", 1800);
    let exe = std::env::current_exe().context("cannot find packetgate's own executable")?;
    let mut child = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(WORKER, "1")
        .spawn()
        .context("cannot start the judging process")?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // A killed worker had no chance to remove the head copies it fetched.
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("packetgate-head-{}", child.id())),
    );
    let why = match status.map(|s| s.code()) {
        Some(Some(0)) => return Ok(Exit::Pass),
        Some(Some(1)) => return Ok(Exit::Fail),
        Some(Some(2)) => return Ok(Exit::Usage),
        None => Unjudged {
            title: format!("packetgate ran out of time ({seconds} s)"),
            detail: format!(
                "Judging took longer than the gate's time limit of {seconds} seconds (`PACKETGATE_TIME_LIMIT_SECS`) and was stopped."
            ),
        },
        Some(code) => Unjudged {
            title: format!("packetgate's judging process stopped (memory ceiling {memory_mb} MB, or a crash)"),
            detail: format!(
                "The judging process ended without a verdict ({}), which is what hitting the memory ceiling of {memory_mb} MB (`PACKETGATE_MEMORY_MB`) does.",
                code.map(|c| format!("exit code {c}"))
                    .unwrap_or_else(|| "killed by a signal".into())
            ),
        },
    };
    post(args, &why)
}

/// The failing check run, on the commit the event names; nothing for an event with nothing to
/// judge (the worker would have posted nothing either).
fn post(args: &GithubArgs, why: &Unjudged) -> Result<Exit> {
    let settings = inputs::resolve(args, &|k| std::env::var(k).ok()).map_err(|e| anyhow!(e))?;
    let text = std::fs::read_to_string(&settings.event_path)
        .with_context(|| format!("cannot read the event {}", settings.event_path.display()))?;
    let payload: serde_json::Value = serde_json::from_str(&text)?;
    if event::nothing_to_do(&settings.event_name, &payload).is_some() {
        return Ok(Exit::Usage);
    }
    let ev = event::read(
        &settings.event_name,
        &payload,
        settings.repository.as_deref(),
        settings.sha.as_deref(),
    )?;
    let api = settings.api_for(&ev)?;
    Ok(abort::post(&settings, ev.head_sha(), api.as_ref(), why))
}
