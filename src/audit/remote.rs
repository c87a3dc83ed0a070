//! `packetgate audit --repos FILE|org:NAME`: the audit across repositories, read through the
//! GitHub API without cloning (`github::repos`): the list (an org's, or a file's), then per
//! repository of this shard one archive of its default branch, unpacked into a scratch
//! folder, judged with that repository's own config and policies, and removed before the
//! next. A repository that cannot be read, or whose config is broken, is one failing entry
//! (`repository-unreadable`): what an audit did not read never counts as healthy.
//!
//! `--publish-issue` ([`publish`]) keeps the "Packet health" issue of one repository up to date
//! from any audit report, a shard's, a merged one's or a whole run's.

use super::model::{self, Origin, Packet};
use super::shard::Shard;
use crate::config::{self, Config};
use crate::finding::{Finding, Severity, Verdict};
use crate::github::api::Api;
use crate::github::repos::{self, Repo, Source};
use crate::session::Judging;
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

/// The token and API the audit reads with: `$GITHUB_TOKEN` (a token that can read every
/// audited repository), `$GITHUB_API_URL` (else `https://api.github.com`).
pub(crate) fn client(owner: &str, repo: &str) -> Result<Api> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let token = env("GITHUB_TOKEN").ok_or_else(|| {
        anyhow!("no token: set GITHUB_TOKEN to a token that can read the repositories (and write issues, for --publish-issue)")
    })?;
    let api_url = env("GITHUB_API_URL")
        .unwrap_or_else(|| "https://api.github.com".into())
        .trim_end_matches('/')
        .to_string();
    Api::new(&api_url, &token, owner, repo).map_err(|e| anyhow!(e))
}

/// What the run read: the packets of every repository of the shard, their links, and the
/// requests each repository cost.
#[derive(Debug)]
pub(crate) struct Read {
    pub packets: Vec<Packet>,
    pub links: Vec<model::Links>,
    /// (`owner/name`, requests), in the order read.
    pub requests: Vec<(String, u32)>,
    /// Requests the listing cost.
    pub listing: u32,
    /// Left out of an org listing (archived, disabled).
    pub left_out: Vec<String>,
}

/// Reads and judges the repositories `spec` names that fall in `shard`.
pub(crate) fn read(spec: &str, shard: Option<Shard>, how: &Judging) -> Result<Read> {
    let api = client("-", "-")?;
    let list = repos::list(&api, &Source::parse(spec)).map_err(|e| anyhow!(e))?;
    let mine: Vec<&Repo> = list
        .repos
        .iter()
        .filter(|r| shard.is_none_or(|s| s.contains_repository(&r.full_name())))
        .collect();
    let scratch = scratch_dir()?;
    let mut out = Read {
        packets: Vec::new(),
        links: Vec::new(),
        requests: Vec::new(),
        listing: list.requests,
        left_out: list.left_out.clone(),
    };
    for (i, repo) in mine.iter().enumerate() {
        let full = repo.full_name();
        let dest = scratch.join(format!("r{i}"));
        let before = api.calls();
        let judged = repos::fetch(&api, repo, &dest)
            .map_err(|e| (".".to_string(), format!("cannot read the repository: {e}")))
            .and_then(|snap| {
                let result = judge_snapshot(&snap, how);
                let _ = std::fs::remove_dir_all(&snap.dir);
                result.map(|(p, l)| (p, l, snap.commit))
            });
        out.requests.push((full.clone(), api.calls() - before));
        match judged {
            Ok((packets, links, _)) => {
                out.packets.extend(packets);
                out.links.push(links);
            }
            Err((path, message)) => out.packets.push(unreadable(&full, &path, message)),
        }
        let _ = std::fs::remove_dir_all(&dest);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(out)
}

/// A folder for the snapshots, removed when the run ends: under `$RUNNER_TEMP`, else the
/// system's temporary folder (`$TMPDIR`; a tmpfs there makes unpacking faster).
fn scratch_dir() -> Result<PathBuf> {
    let base = std::env::var_os("RUNNER_TEMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("packetgate-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Judges one snapshot with its own config. `Err` is (path, why) of a repository whose
/// config could not be read.
fn judge_snapshot(
    snap: &repos::Snapshot,
    how: &Judging,
) -> std::result::Result<(Vec<Packet>, model::Links), (String, String)> {
    let config = load_config(&snap.dir).map_err(|e| {
        // The messages name files from the repository's root, not the scratch folder.
        let mut text = e.to_string();
        for prefix in [
            crate::place::display(&snap.dir),
            snap.dir.display().to_string(),
        ] {
            text = text.replace(&format!("{prefix}/"), "");
        }
        (
            config::CONFIG_FILE.to_string(),
            format!("the repository's packetgate config is invalid: {text}"),
        )
    })?;
    let candidates = crate::discover::from_paths(&config, &[]).map_err(|e| {
        (
            ".".to_string(),
            format!("cannot list the repository's files: {e}"),
        )
    })?;
    // A repository past the run's packet limit is one entry, not a failing entry per file
    // beyond it: an archive of 200,000 empty files would otherwise be a report of as many.
    let max = config.run_limits.max_packets;
    if candidates.len() > max {
        return Err((
            ".".to_string(),
            format!(
                "the repository holds {} candidate packet files, more than `limits.max_packets` ({max}); its packets were not judged",
                candidates.len()
            ),
        ));
    }
    let origin = Origin {
        repository: Some(snap.full_name.clone()),
        commit: Some(snap.commit.clone()),
        root: Some(snap.dir.clone()),
    };
    super::judge_tree(&config, candidates, None, how, None, &origin).map_err(|e| {
        (
            ".".to_string(),
            format!("cannot judge the repository: {e:#}"),
        )
    })
}

/// The repository's `.packetgate.yml`, if any, with its policy files read from inside the
/// repository only: a config naming `../../etc/passwd` reads nothing of the machine's.
fn load_config(root: &Path) -> std::result::Result<Config, config::ConfigError> {
    let file = root.join(config::CONFIG_FILE);
    let text =
        match std::fs::symlink_metadata(&file) {
            Ok(m) if m.is_file() => Some(std::fs::read_to_string(&file).map_err(|source| {
                config::ConfigError::Read {
                    path: config::CONFIG_FILE.into(),
                    source,
                }
            })?),
            _ => None,
        };
    let inside = |path: &Path| -> std::io::Result<String> {
        let real = std::fs::canonicalize(path)?;
        let top = std::fs::canonicalize(root)?;
        if !real.starts_with(&top) || std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(std::io::Error::other(
                "it is outside the repository; policy files are read from the repository alone",
            ));
        }
        std::fs::read_to_string(real)
    };
    config::load_from(root, text.map(|t| (file, t)), &inside)
}

/// A repository (or its config) that could not be read: one failing entry in its place.
fn unreadable(repository: &str, path: &str, message: String) -> Packet {
    let finding = Finding::new(
        crate::rules::core::REPOSITORY_UNREADABLE,
        Severity::Error,
        None,
        crate::yaml::Pos::new(1, 1),
        message,
        "give the token `contents: read` on the repository, or fix its `.packetgate.yml`",
    );
    Packet {
        path: path.to_string(),
        repository: Some(repository.to_string()),
        commit: None,
        kind: None,
        verdict: Verdict::Fail,
        findings: vec![finding],
        owner: None,
        evidence: Vec::new(),
        waivers: Vec::new(),
    }
}

/// `--publish-issue`: the dashboard as the sticky "Packet health" issue of `issue_repo`
/// (else `$GITHUB_REPOSITORY`). Returns what was done, for the log.
pub(crate) fn publish(audit: &model::Audit, issue_repo: Option<&str>) -> Result<String> {
    let repo = issue_repo
        .map(str::to_string)
        .or_else(|| std::env::var("GITHUB_REPOSITORY").ok())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            anyhow!("--publish-issue needs --issue-repo OWNER/NAME (or $GITHUB_REPOSITORY)")
        })?;
    if !super::valid_repository(&repo) {
        return Err(anyhow!("--issue-repo `{repo}` is not OWNER/NAME"));
    }
    let (owner, name) = repo.split_once('/').unwrap_or_default();
    let api = client(owner, name)?;
    let body = super::dashboard::render(audit);
    let outcome = crate::github::issue::publish(
        &api,
        super::dashboard::TITLE,
        &body,
        audit.verdict == Verdict::Pass,
    )
    .map_err(|e| anyhow!(e))?;
    use crate::github::issue::Outcome;
    Ok(match outcome {
        Outcome::Created(n) => format!("opened {repo}#{n}"),
        Outcome::Updated(n) => format!("updated {repo}#{n}"),
        Outcome::Unchanged(n) => format!("{repo}#{n} already says this"),
        Outcome::Closed(n) => format!("closed {repo}#{n}: every packet is healthy"),
        Outcome::Reopened(n) => format!("reopened {repo}#{n}"),
        Outcome::NotNeeded => "every packet is healthy; no issue opened".into(),
    })
}
