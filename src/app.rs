//! Runs a parsed command line: builds the plan (config, candidates, options) before any
//! packet is read, runs the engine, renders the report. Returns the exit code; errors that
//! mean "usage or configuration" come back as [`Exit::Usage`] so `main` maps them to 2.

use crate::cli::{CheckArgs, Cli, Color, Command, FailOn, ListFormat};
use crate::config::{self, Config};
use crate::dates::Date;
use crate::discover;
use crate::engine::{self, Options};
use crate::finding::{Severity, Verdict};
use crate::report::{self, Format};
use crate::{git, links, place, schema, suggest, template};
use anyhow::{anyhow, Context, Result};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// How a run ended, in exit-code terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Pass = 0,
    Fail = 1,
    Usage = 2,
}

/// The config: `--config FILE` if given (it must exist), else the one [`place::find_config`]
/// finds from `start`, else the built-ins.
pub fn load_config(explicit: Option<&Path>, start: &Path) -> Result<Config> {
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

pub fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Audit(args) => crate::audit::run(args),
        Command::Github(args) => crate::github::run(&args),
        Command::Rules { format, config } => {
            let config = load_config(config.config.as_deref(), Path::new("."))?;
            print(&match format {
                ListFormat::Human => rules_table(&config),
                ListFormat::Json => rules_json(&config),
            });
            Ok(Exit::Pass)
        }
        Command::Explain { rule_id, config } => {
            let config = load_config(config.config.as_deref(), Path::new("."))?;
            let rules = report::catalog(&config);
            match rules.iter().find(|r| r.id == rule_id) {
                Some(r) => {
                    print(&format!(
                        "{} ({} rule, {} by default{}; policies: {})\n{}\n\n{}\n",
                        r.id,
                        r.kind,
                        r.severity,
                        if r.enabled { "" } else { ", switched off" },
                        r.policies.join(", "),
                        r.summary,
                        r.doc.trim_end()
                    ));
                    Ok(Exit::Pass)
                }
                None => Err(anyhow!(
                    "no rule `{rule_id}`{}; `packetgate rules` lists them",
                    suggest::hint(&rule_id, rules.iter().map(|r| r.id.as_str()))
                )),
            }
        }
        Command::New {
            kind,
            markdown,
            config,
        } => {
            let config = load_config(config.config.as_deref(), Path::new("."))?;
            let kinds = config.kinds();
            let policy = config.policy(&kind).ok_or_else(|| {
                anyhow!(
                    "no packet kind `{kind}` (kinds in effect: {}){}",
                    kinds.join(", "),
                    suggest::hint(&kind, kinds.iter().copied())
                )
            })?;
            print(&template::render(policy, markdown));
            Ok(Exit::Pass)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "packetgate", &mut out);
            print(&String::from_utf8_lossy(&out));
            Ok(Exit::Pass)
        }
        Command::Manpage => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("rendering the man page")?;
            print(&String::from_utf8_lossy(&out));
            Ok(Exit::Pass)
        }
        Command::Schema { kind, config } => {
            let config = load_config(config.config.as_deref(), Path::new("."))?;
            let schema = schema::generate(&config, kind.as_deref()).map_err(|e| anyhow!(e))?;
            print(&format!("{schema:#}\n"));
            Ok(Exit::Pass)
        }
    }
}

fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`packetgate rules | head`) is not an error worth a panic.
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// `packetgate rules`: one row per rule, one column per packet kind with the rule's severity
/// there (`off` when a policy switched it off for that kind, `-` when the kind lacks it).
fn rules_table(config: &Config) -> String {
    let rules = report::catalog(config);
    let kinds = config.kinds();
    let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(10);
    let widths: Vec<usize> = kinds.iter().map(|k| k.len().max(7)).collect();
    let mut out = format!("{:<w$}  {:<12}", "id", "type");
    for (k, kw) in kinds.iter().zip(&widths) {
        out.push_str(&format!("  {k:<kw$}"));
    }
    out.push_str("  summary\n");
    for r in rules {
        out.push_str(&format!("{:<w$}  {:<12}", r.id, r.kind));
        for (k, kw) in kinds.iter().zip(&widths) {
            let state = match r.states.iter().find(|(kind, _)| kind == k) {
                Some((_, Some(sev))) => sev.as_str(),
                Some((_, None)) => "off",
                None => "-",
            };
            out.push_str(&format!("  {state:<kw$}"));
        }
        out.push_str(&format!("  {}\n", r.summary));
    }
    out
}

/// `packetgate rules --format json`: the same, as data.
fn rules_json(config: &Config) -> String {
    let rules: Vec<serde_json::Value> = report::catalog(config)
        .into_iter()
        .map(|r| {
            let kinds: serde_json::Map<String, serde_json::Value> = r
                .states
                .iter()
                .map(|(k, s)| (k.clone(), s.map_or("off", Severity::as_str).into()))
                .collect();
            serde_json::json!({
                "id": r.id,
                "type": r.kind,
                "kinds": kinds,
                "summary": r.summary,
                "origin": r.origin,
            })
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&serde_json::json!({ "rules": rules })).unwrap_or_default();
    text.push('\n');
    text
}

/// Query parameters the policies call tracking parameters (for redirect hops).
fn tracking_params(config: &Config) -> Vec<String> {
    crate::rules::urls::tracking_params(config.policies.iter().flat_map(|p| &p.rules))
}

/// What a run judges with, past config and candidates.
#[derive(Debug, Clone)]
pub struct Judging {
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
pub fn today(arg: Option<&str>) -> Result<Date> {
    match arg {
        Some(t) => {
            Date::parse(t).ok_or_else(|| anyhow!("--today `{t}` is not a date in YYYY-MM-DD form"))
        }
        None => Ok(Date::today_utc()),
    }
}

/// The fail level: the flag's, else the config's.
pub fn fail_level(flag: Option<FailOn>, config: &Config) -> Severity {
    match flag {
        Some(FailOn::Error) => Severity::Error,
        Some(FailOn::Warning) => Severity::Warning,
        None => config.fail_on,
    }
}

/// Judges the candidates: the engine, then the link phase (unless offline). `phase` is the
/// link phase started early (see [`links::Phase::prepare`]), if any.
pub fn judge(
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

/// `--color`; with `auto`, the conventions of other tools: `NO_COLOR` (set and not empty)
/// turns colour off, `FORCE_COLOR` or `CLICOLOR_FORCE` (set, not empty, not `0`) turn it on
/// even through a pipe, else colour when stdout is a terminal.
fn wants_color(flag: Color) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let forced = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    match flag {
        Color::Always => true,
        Color::Never => false,
        Color::Auto if set("NO_COLOR") => false,
        Color::Auto if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") => true,
        Color::Auto => std::io::stdout().is_terminal(),
    }
}

fn check(args: CheckArgs) -> Result<Exit> {
    crate::interrupt::install();
    // Started first, so TLS is ready by the time the config is.
    let phase = (!args.offline).then(links::Phase::prepare);
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let config = load_config(args.config.config.as_deref(), start)?;
    let today = today(args.today.as_deref())?;
    let candidates = match &args.changed_since {
        Some(since) => {
            let changed = git::changed_since(Path::new("."), since).context("--changed-since")?;
            for p in &args.paths {
                if !p.exists() {
                    return Err(anyhow!("no such file or folder: {}", discover::display(p)));
                }
            }
            discover::from_changed(&config, &changed, &args.paths)
        }
        None => discover::from_paths(&config, &args.paths)?,
    };
    let candidates = if args.only_packets {
        discover::only_packets(&config, candidates)
    } else {
        candidates
    };
    let how = Judging {
        today,
        fail_on: fail_level(args.fail_on, &config),
        max_age_days: args.max_age_days,
        offline: args.offline,
        link_cache: args.link_cache.clone(),
        progress: args.format == Format::Human
            && !args.quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("NO_COLOR").is_none(),
        keep_lines: args.format == Format::Human,
    };
    if args.fix || args.diff {
        // The repairs need no link: plan them from an offline pass.
        let offline = Judging {
            offline: true,
            progress: false,
            ..how.clone()
        };
        let first = judge(&config, &candidates, &offline, None)?;
        let fixes = crate::fix::plan(&config, &first, &candidates);
        if args.diff {
            let mut text = String::new();
            for f in &fixes {
                text.push_str(&crate::fix::unified_diff(f));
            }
            print(&text);
            return Ok(if fixes.is_empty() {
                Exit::Pass
            } else {
                Exit::Fail
            });
        }
        for f in &fixes {
            crate::interrupt::write_atomic(&f.path, f.after.as_bytes())
                .with_context(|| format!("writing the fix to {}", f.display))?;
        }
        let edits: usize = fixes.iter().map(|f| f.edits).sum();
        eprintln!(
            "packetgate: fixed {} in {}",
            report::plural(edits, "finding"),
            report::plural(fixes.len(), "file")
        );
    }
    let report = judge(&config, &candidates, &how, phase)?;
    let color = args.format == Format::Human && wants_color(args.color);
    let file_format = args.output_format.unwrap_or(Format::Json);
    let rules = if args.format == Format::Sarif
        || args.output_file.is_some() && file_format == Format::Sarif
    {
        report::catalog(&config)
    } else {
        Vec::new()
    };
    if let Some(path) = &args.output_file {
        let text = report::render(file_format, &report, &rules, report::Look::default());
        crate::interrupt::write_atomic(path, text.as_bytes())
            .with_context(|| format!("--output-file {}", path.display()))?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // A closed pipe (`| head`) ends the output early; it is not a failure of the check.
    let look = report::Look {
        color,
        quiet: args.quiet,
    };
    let _ = report::write(args.format, &report, &rules, look, &mut out).and_then(|()| out.flush());
    Ok(match report.verdict {
        Verdict::Pass => Exit::Pass,
        Verdict::Fail => Exit::Fail,
    })
}
