//! When the gate cannot judge what it was asked to judge — a pull request past GitHub's
//! file-list cap that git cannot diff either, a judging process that ran out of memory or
//! time — it must still leave a check run, or a required check would sit missing (and an
//! unrequired one could be read as "nothing to see"). This writes that run: a failure whose
//! title names the limit, on the commit the verdict was due for, with the same name as
//! always; plus the `::error`, the job summary and the outputs. Exit code 2.

use super::api::Api;
use super::inputs::Settings;
use super::publish;
use crate::gate::{Delivery, Unjudged};
use crate::report::github::{escape_data, escape_property};
use crate::session::Exit;
use std::io::Write;

/// Writes the failing check run and the runner's traces; the exit code is always 2.
pub(crate) fn post(settings: &Settings, head_sha: &str, api: Option<&Api>, why: &Unjudged) -> Exit {
    let summary = format!(
        "packetgate could not judge this commit, so the check fails rather than pass unread.\n\n{}\n",
        why.detail
    );
    let run = publish::CheckRun {
        name: &settings.check_name,
        head_sha,
        conclusion: "failure",
        title: &why.title,
        summary: &summary,
        annotations: &[],
    };
    eprintln!("packetgate: {why}");
    println!(
        "::error title={}::{}",
        escape_property(&why.title),
        escape_data(&why.detail)
    );
    if settings.dry_run {
        return Exit::Usage;
    }
    let delivery = match api {
        Some(api) => publish::check_run(api, &run),
        None => Delivery::Skipped("no token".into()),
    };
    eprintln!("packetgate: check run {}", delivery.describe());
    let append = |path: &std::path::Path, text: &str| {
        let done = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = done {
            eprintln!("packetgate: cannot write {}: {e}", path.display());
        }
    };
    if let Some(path) = &settings.step_summary {
        append(
            path,
            &format!(
                "## {}\n\n**{}**\n\n{summary}",
                settings.check_name, why.title
            ),
        );
    }
    if let Some(path) = &settings.output {
        append(path, "verdict=fail\nconclusion=failure\n");
    }
    Exit::Usage
}
