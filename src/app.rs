//! Runs a parsed command line: dispatches each command, and for `check` builds the plan
//! (config, candidates, options) before any packet is read, judges it through the shared
//! [`crate::session`], renders the report. Returns the exit code; errors that mean "usage or
//! configuration" come back as [`Exit::Usage`] so `main` maps them to 2.

use crate::cli::{CheckArgs, Cli, Color, Command, ListFormat};
use crate::config::Config;
use crate::discover;
use crate::finding::Severity;
use crate::report::{self, Format};
use crate::session::{fail_level, judge, load_config, today, Exit, Judging};
use crate::{git, links, schema, suggest, template};
use anyhow::{anyhow, Context, Result};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
        fail_on: fail_level(args.fail_on.map(Severity::from), &config),
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
            crate::text::plural(edits, "finding"),
            crate::text::plural(fixes.len(), "file")
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
    Ok(Exit::of(report.verdict))
}
