//! `packetgate audit`: a front end beside `check` and the pull-request gate, on the same
//! core. It judges every packet of a tree (or one shard of it, `--shard I/N`), and reports
//! `check`'s JSON contract plus the packets' health by owner ([`health`]), as text, JSON or
//! the Markdown dashboard ([`dashboard`]). `audit merge` combines shard reports ([`merge`]).
//!
//! The flow: a [`Source`] says which trees to judge and where each stands (repository,
//! commit); each tree is judged by [`crate::session::judge`] and turned into report packets
//! ([`model::packets`]); [`model::Audit::assemble`] sorts them and computes the summary and
//! health, as merge does, so the two agree.
//!
//! Cross-repository audits (`--repos`, against `github::repos`) plug in as another [`Source`]
//! variant: per fetched snapshot, load its config, discover under its folder, keep
//! [`judge_tree`] (with the shard, if any) with an [`Origin`] naming the snapshot's repository, commit and
//! folder; then [`model::union_links`] the trees' links and [`model::Audit::assemble`] every
//! packet at once. `--publish-issue` hands [`dashboard::TITLE`] and [`dashboard::render`] to
//! the issue publisher, healthy when the verdict is a pass.

pub(crate) mod assemble;
pub(crate) mod dashboard;
pub(crate) mod health;
pub(crate) mod human;
pub(crate) mod merge;
pub(crate) mod model;
pub(crate) mod remote;
pub(crate) mod shard;

use crate::cli::{AuditArgs, AuditCommand, AuditFormat, AuditMergeArgs, AuditRunArgs};
use crate::config::valid_mention;
use crate::config::Config;
use crate::discover::{self, Candidate};
use crate::session::{self, Exit, Judging};
use anyhow::{anyhow, Context, Result};
use model::{Audit, Header, Origin};
use shard::Shard;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The largest shard report `audit merge` reads (a shard of 25,000 packets is about 90 MB).
pub(crate) const MAX_REPORT_BYTES: u64 = 1 << 30;

/// The default warning window, when neither the config nor a policy sets one (the built-in
/// `evidence-expiring` rule's).
pub(crate) const DEFAULT_WARN_DAYS: u32 = 7;

/// What an audit judges.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The working tree: these files or folders (none: the config's globs, else the current
    /// folder), at the given repository and commit.
    Local { paths: Vec<PathBuf>, origin: Origin },
    /// Other repositories, through the GitHub API (`--repos FILE|org:NAME`, see [`remote`]).
    Repos(String),
}

pub(crate) fn run(args: AuditArgs) -> Result<Exit> {
    match args.command {
        Some(AuditCommand::Merge(m)) => merge_files(m),
        None => local(args.run),
    }
}

/// `owner/name`.
pub(crate) fn valid_repository(s: &str) -> bool {
    let Some((owner, name)) = s.split_once('/') else {
        return false;
    };
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    part(owner) && part(name)
}

/// A commit id: 7 to 64 hex digits.
pub(crate) fn valid_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An `http(s)://host[:port]` URL with nothing Markdown could read as syntax.
pub(crate) fn valid_server(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let r = r.trim_end_matches('/');
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'))
    })
}

/// What a report read back must hold for its links and mentions to be rendered: the
/// same checks as on the way in.
pub(crate) fn check_header(h: &Header) -> Result<(), String> {
    if !valid_server(&h.server) {
        return Err(format!(
            "`audit.server` `{}` is no http(s) server URL",
            h.server
        ));
    }
    if let Some((owner, m)) = h.owners.iter().find(|(_, m)| !valid_mention(m)) {
        return Err(format!(
            "`audit.owners.{owner}` is `{m}`, not a GitHub user or team"
        ));
    }
    Ok(())
}

/// The warning window: the config's `freshness.warn_before_days`, else the built-in
/// `evidence-expiring` rule's, else [`DEFAULT_WARN_DAYS`].
pub(crate) fn warn_days(config: &Config) -> u32 {
    config.warn_before_days.unwrap_or_else(|| {
        config
            .policies
            .iter()
            .flat_map(|p| &p.rules)
            .filter(|r| r.id == health::EXPIRING_RULE)
            .find_map(|r| {
                r.kind_as::<crate::rules::dates::DateRule>()?
                    .warn_before_days
            })
            .unwrap_or(DEFAULT_WARN_DAYS)
    })
}

/// The run's header: what merge compares and the dashboard needs.
pub(crate) fn header(
    config: &Config,
    shard: Option<Shard>,
    shard_by: shard::ShardBy,
    server: String,
) -> Header {
    let config_digest = config
        .file
        .as_deref()
        .and_then(|f| std::fs::read(f).ok())
        .map(|bytes| sha1_smol::Sha1::from(bytes).digest().to_string());
    Header {
        shard,
        shard_by,
        server,
        warn_before_days: warn_days(config),
        config_digest,
        // A key written in the config is shown masked, as everywhere.
        owners: config
            .owners
            .iter()
            .map(|(k, v)| (config.masker.apply(k), config.masker.apply(v)))
            .filter(|(_, v)| valid_mention(v))
            .collect(),
    }
}

/// `$GITHUB_SERVER_URL`, else `https://github.com`.
pub(crate) fn server_from_env() -> String {
    std::env::var("GITHUB_SERVER_URL")
        .ok()
        .filter(|s| valid_server(s))
        .unwrap_or_else(|| "https://github.com".into())
}

/// The local tree's origin: the flags, else `$GITHUB_REPOSITORY` and `$GITHUB_SHA`, else
/// no repository and `git rev-parse HEAD`.
pub(crate) fn local_origin(repository: Option<String>, commit: Option<String>) -> Result<Origin> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(r) = repository.as_deref().filter(|r| !valid_repository(r)) {
        return Err(anyhow!("--repository `{r}` is not OWNER/NAME"));
    }
    if let Some(c) = commit.as_deref().filter(|c| !valid_commit(c)) {
        return Err(anyhow!(
            "--commit `{c}` is not a commit id (7 to 64 hex digits)"
        ));
    }
    let repository =
        repository.or_else(|| env("GITHUB_REPOSITORY").filter(|r| valid_repository(r)));
    let commit = commit
        .or_else(|| env("GITHUB_SHA").filter(|c| valid_commit(c)))
        .or_else(|| {
            let dir = crate::place::repository_root().unwrap_or(Path::new("."));
            std::process::Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(["rev-parse", "--verify", "--quiet", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|c| valid_commit(c))
        });
    Ok(Origin {
        repository,
        commit,
        root: None,
    })
}

/// Judges one tree: the candidates of `shard` (all of them without one), and returns its
/// packets and links.
///
/// A config waiver is judged over the whole run: one that accepts no finding in any packet
/// is named once, on the first packet it applies to. So a shard also judges, in their place
/// in discovery order, the other shards' packets that a config waiver applies to, and then
/// leaves them out of its report, and their citations out of its link results. Every shard
/// then names a config waiver exactly where the unsharded run does.
pub(crate) fn judge_tree(
    config: &Config,
    candidates: Vec<Candidate>,
    shard: Option<Shard>,
    how: &Judging,
    phase: Option<crate::links::Phase>,
    origin: &Origin,
) -> Result<(Vec<model::Packet>, model::Links)> {
    let Some(shard) = shard else {
        let report = session::judge(config, &candidates, how, phase)?;
        return Ok((model::packets(&report, origin), model::links(&report)));
    };
    let mut others = std::collections::BTreeSet::new();
    let judged: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| {
            if shard.contains(origin.repository.as_deref(), &origin.path_of(&c.display)) {
                return true;
            }
            let rel = discover::relative(config, &c.fs_path);
            let waived = config
                .waivers
                .iter()
                .any(|w| w.glob.is_match(&*rel) || w.glob.is_match(&c.display));
            if waived {
                others.insert(c.display.clone());
            }
            waived
        })
        .collect();
    let mut report = session::judge(config, &judged, how, phase)?;
    if !others.is_empty() {
        let cited_before = crate::engine::link_keys(&report);
        let secret_before = crate::engine::refused_secret_links(&report);
        report.packets.retain(|p| !others.contains(&p.path));
        let cited = crate::engine::link_keys(&report);
        let secret = crate::engine::refused_secret_links(&report);
        if let Some(links) = &mut report.links {
            links.results.retain(|url, r| {
                let now = cited
                    .get(url)
                    .copied()
                    .or_else(|| secret.iter().find(|s| &s.url == url).map(|s| s.cited));
                let before =
                    cited_before.contains_key(url) || secret_before.iter().any(|s| &s.url == url);
                match now {
                    Some(n) => {
                        r.cited = n;
                        true
                    }
                    // Cited by the other shards' packets alone: theirs to report.
                    None => !before,
                }
            });
        }
    }
    Ok((model::packets(&report, origin), model::links(&report)))
}

fn local(args: AuditRunArgs) -> Result<Exit> {
    crate::interrupt::install();
    let phase = (!args.offline).then(crate::links::Phase::prepare);
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let config = session::load_config(args.config.config.as_deref(), start)?;
    let today = session::today(args.today.as_deref())?;
    let source = match &args.repos {
        Some(spec) => Source::Repos(spec.clone()),
        None => Source::Local {
            paths: args.paths.clone(),
            origin: local_origin(args.repository.clone(), args.commit.clone())?,
        },
    };
    let how = Judging {
        today,
        fail_on: session::fail_level(args.fail_on.map(Into::into), &config),
        max_age_days: args.max_age_days,
        offline: args.offline,
        link_cache: args.link_cache.clone(),
        progress: args.format == AuditFormat::Human
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("NO_COLOR").is_none(),
        keep_lines: false,
    };
    let by = match source {
        Source::Repos(_) => shard::ShardBy::Repository,
        Source::Local { .. } => shard::ShardBy::Path,
    };
    let header = header(&config, args.shard, by, server_from_env());
    let config_path = config
        .file
        .as_deref()
        .map(|f| crate::place::from_root(&discover::display(f)));
    let audit = match source {
        Source::Repos(spec) => {
            drop(phase);
            let read = remote::read(&spec, args.shard, &how)?;
            let total: u32 = read.requests.iter().map(|(_, n)| n).sum();
            let most = read.requests.iter().map(|(_, n)| *n).max().unwrap_or(0);
            eprintln!(
                "packetgate: read {} {} in {} requests (at most {most} per repository, {} for the list){}",
                read.requests.len(),
                if read.requests.len() == 1 {
                    "repository"
                } else {
                    "repositories"
                },
                total + read.listing,
                read.listing,
                if read.left_out.is_empty() {
                    String::new()
                } else {
                    format!("; left out: {}", read.left_out.join(", "))
                }
            );
            let links = model::union_links(read.links.iter());
            let mut links = links;
            if read.links.is_empty() {
                links.opened = !how.offline;
                links.reason = how.offline.then(|| "--offline".to_string());
            }
            Audit::assemble(header, today, how.fail_on, config_path, links, read.packets)
        }
        Source::Local { paths, origin } => {
            let candidates = discover::from_paths(&config, &paths)?;
            let (packets, links) =
                judge_tree(&config, candidates, args.shard, &how, phase, &origin)?;
            Audit::assemble(header, today, how.fail_on, config_path, links, packets)
        }
    };
    emit(
        &audit,
        args.format,
        args.output_file.as_deref(),
        args.output_format,
        &args.publish,
    )
}

fn merge_files(args: AuditMergeArgs) -> Result<Exit> {
    let config = session::load_config(args.config.config.as_deref(), Path::new("."))?;
    let mut reports = Vec::new();
    for f in &args.files {
        let name = f.display().to_string();
        let size = std::fs::metadata(f)
            .with_context(|| format!("reading {name}"))?
            .len();
        if size > MAX_REPORT_BYTES {
            return Err(anyhow!(
                "{name} is {size} bytes; a shard report is at most {MAX_REPORT_BYTES} (split the run into more shards)"
            ));
        }
        let text = std::fs::read_to_string(f).with_context(|| format!("reading {name}"))?;
        reports.push((name.clone(), merge::parse(&name, &text)?));
    }
    let merged = merge::merge(reports)?;
    // What the dashboard links to and mentions comes from this run, not from the reports
    // (an artifact can be edited): the config the shards were judged with, which must be
    // the one here, and $GITHUB_SERVER_URL.
    let here = header(&config, None, merged.audit.shard_by, server_from_env());
    if here.config_digest != merged.audit.config_digest {
        return Err(anyhow!(
            "the shards were judged with {}, and the config here is {}: run `audit merge` where the shards' config is, or name it with --config",
            merged.audit.config_digest.as_deref().map_or("the built-in policies".to_string(), |d| format!("a config of sha1 {d}")),
            here.config_digest.as_deref().map_or("none (the built-in policies)".to_string(), |d| format!("sha1 {d}"))
        ));
    }
    let today = crate::dates::Date::parse(&merged.today)
        .ok_or_else(|| anyhow!("the reports' day `{}` is no date", merged.today))?;
    let audit = Audit::assemble(
        here,
        today,
        merged.summary.fail_on,
        merged.config,
        merged.links,
        merged.packets,
    );
    emit(
        &audit,
        args.format,
        args.output_file.as_deref(),
        args.output_format,
        &args.publish,
    )
}

/// Writes the report in `format` to `w`; JSON is streamed (an org's report runs to
/// hundreds of megabytes).
fn write(audit: &Audit, format: AuditFormat, w: &mut dyn Write) -> std::io::Result<()> {
    match format {
        AuditFormat::Json => audit.write_json(w),
        other => w.write_all(render(audit, other).as_bytes()),
    }
}

/// The report in `format`.
pub(crate) fn render(audit: &Audit, format: AuditFormat) -> String {
    match format {
        AuditFormat::Human => human::render(audit),
        AuditFormat::Json => audit.to_json(),
        AuditFormat::Markdown => dashboard::render(audit),
    }
}

/// Writes the report (and the `--output-file` one); the exit code follows the verdict.
/// Evidence going stale and waivers running out are notices: they never fail the run.
fn emit(
    audit: &Audit,
    format: AuditFormat,
    output_file: Option<&Path>,
    output_format: Option<AuditFormat>,
    publish: &crate::cli::PublishArgs,
) -> Result<Exit> {
    if publish.publish_issue {
        let done = remote::publish(audit, publish.issue_repo.as_deref())?;
        eprintln!("packetgate: packet health issue: {done}");
    }
    if let Some(path) = output_file {
        let format = output_format.unwrap_or(AuditFormat::Json);
        crate::interrupt::write_atomic_with(path, |w| write(audit, format, w))
            .with_context(|| format!("--output-file {}", path.display()))?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A closed pipe ends the output early; it is not a failure of the audit.
    let _ = write(audit, format, &mut out).and_then(|()| out.flush());
    Ok(Exit::of(audit.verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_repositories_commits_and_servers_are_checked() {
        for ok in ["@alice", "@acme/support-finops", "@a-b/team.x_y"] {
            assert!(valid_mention(ok), "{ok}");
        }
        for bad in [
            "alice",
            "@",
            "@-a",
            "@a/",
            "@everyone) [x](y)",
            "@a b",
            "@a/b/c",
        ] {
            assert!(!valid_mention(bad), "{bad}");
        }
        assert!(valid_repository("acme/budgets") && !valid_repository("acme/../x"));
        assert!(!valid_repository("acme") && !valid_repository("a/b c"));
        assert!(valid_commit("0123abc") && !valid_commit("0123ab") && !valid_commit("xyzxyzx"));
        assert!(valid_server("https://github.example.com") && valid_server("http://h:8080/"));
        assert!(!valid_server("https://e.x/a)b") && !valid_server("javascript:x"));
    }
}
