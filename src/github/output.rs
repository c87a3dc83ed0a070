//! The run's traces on the runner: what was delivered (stderr), the fallback annotations when
//! the check run could not be written, the job summary (every finding, 1 MiB cap), the step
//! outputs ([`crate::gate::Forge::write_outputs`] for GitHub). The exit code is the gate's
//! ([`crate::gate::exit`]): the verdict's, and a pass that did not reach GitHub is no pass.

use super::api::Api;
use super::check;
use super::inputs::Settings;
use super::plan::Step;
use crate::gate::markdown::{message, text, Place};
use crate::gate::render::{self, View};
use crate::gate::Delivery;
use crate::session::Exit;
use std::io::Write;
use std::path::Path;

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// What the job summary says first when something did not reach GitHub.
fn trouble(deliveries: &[(Step, Delivery)], fork: bool) -> String {
    let lines: Vec<String> = deliveries
        .iter()
        .filter(|(_, d)| matches!(d, Delivery::Refused(_) | Delivery::Failed(_)))
        .map(|(step, d)| format!("- {step}: {}", message(&d.describe(), Place::Line)))
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "> [!WARNING]\n> packetgate could not write everything to GitHub; the verdict below still holds and sets the job's result.\n\n{}\n\n",
        lines.join("\n")
    );
    if deliveries
        .iter()
        .any(|(_, d)| matches!(d, Delivery::Refused(_)))
    {
        out.push_str(if fork {
            "This pull request comes from a fork, so the workflow's token is read-only. "
        } else {
            "A refused write means a read-only token or a workflow without `checks: write` / `pull-requests: write`. "
        });
        out.push_str(
            "The findings are on this job as annotations, and all of them are listed here.\n\n",
        );
    }
    out
}

/// Writes the traces.
pub(crate) fn finish(
    settings: &Settings,
    view: &View<'_>,
    deliveries: &[(Step, Delivery)],
    api: Option<&Api>,
    fork: bool,
) {
    let report = view.report;
    let mut stderr = std::io::stderr().lock();
    for (step, d) in deliveries {
        let _ = writeln!(stderr, "packetgate: {step} {}", d.describe());
    }
    if let Some(api) = api {
        let _ = writeln!(
            stderr,
            "packetgate: {}",
            crate::text::plural(api.calls() as usize, "GitHub API request")
        );
    }
    drop(stderr);
    // A dry run sends nothing and leaves the runner's files alone too.
    if settings.dry_run {
        return;
    }
    let check_delivered = deliveries
        .iter()
        .any(|(step, d)| *step == Step::CheckRun && matches!(d, Delivery::Sent(_)));
    // Without the check run, the findings go on the job as workflow-command annotations
    // (the runner shows the first few per step) and in full in the job summary.
    if !check_delivered {
        let mut stdout = std::io::stdout().lock();
        let _ = crate::report::github::write(report, &mut stdout);
        let _ = stdout.flush();
    }
    if let Some(path) = &settings.step_summary {
        let prelude = trouble(deliveries, fork);
        let budget = check::JOB_SUMMARY_MAX.saturating_sub(prelude.len() + 64);
        let body = render::summary(view, budget, "the JSON report has them all");
        let text = format!("## {}\n\n{prelude}{body}\n", text(&settings.check_name));
        if let Err(e) = append(path, &text) {
            eprintln!(
                "packetgate: cannot write the job summary {}: {e}",
                path.display()
            );
        }
    }
    if let Some(path) = &settings.output {
        let c = render::Counts::of(report);
        let mut lines = format!(
            "verdict={}\nconclusion={}\npackets={}\nfailed-packets={}\nmissing-fields={}\ninvalid-fields={}\n",
            report.verdict.as_str(),
            check::conclusion(report),
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
}

/// An event with nothing to judge (see [`super::event::nothing_to_do`]): a notice on the job,
/// a line in the job summary, `verdict=skipped`, and exit 0. Nothing is sent to GitHub.
pub(crate) fn idle(settings: &Settings, why: &str) -> Exit {
    eprintln!("packetgate: {why}");
    println!(
        "::notice title={}::{}",
        crate::report::github::escape_property(&settings.check_name),
        crate::report::github::escape_data(why)
    );
    if settings.dry_run {
        return Exit::Pass;
    }
    if let Some(path) = &settings.step_summary {
        let text = format!("## {}\n\nNothing to judge: {why}.\n", settings.check_name);
        if let Err(e) = append(path, &text) {
            eprintln!(
                "packetgate: cannot write the job summary {}: {e}",
                path.display()
            );
        }
    }
    if let Some(path) = &settings.output {
        let lines = "verdict=skipped\nconclusion=skipped\npackets=0\nfailed-packets=0\n";
        if let Err(e) = append(path, lines) {
            eprintln!(
                "packetgate: cannot write the outputs {}: {e}",
                path.display()
            );
        }
    }
    Exit::Pass
}
