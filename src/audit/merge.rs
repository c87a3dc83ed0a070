//! `packetgate audit merge FILE…`: shard reports back into one. Each file must be an audit
//! report of the same run — the same day, fail level, config, warning window, owners map
//! and link mode — and no packet may appear twice; shards of one partition must all be
//! there. The packets are concatenated and the report assembled as an unsharded run
//! assembles it, so the result is that run's report (timings aside).

use super::model::{self, Audit, Header};
use crate::dates::Date;
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub(crate) enum MergeError {
    #[error("{file}: {reason}")]
    NotAReport { file: String, reason: String },
    #[error("{file} does not belong with {first}: {what} differs ({theirs} there, {ours} here)")]
    Mismatch {
        file: String,
        first: String,
        what: &'static str,
        ours: String,
        theirs: String,
    },
    #[error("{path} is in both {a} and {b}: the reports overlap")]
    Overlap { path: String, a: String, b: String },
    #[error("{0}")]
    Shards(String),
}

/// Reads one report (its name for messages, and its text).
pub(crate) fn parse(name: &str, text: &str) -> Result<Audit, MergeError> {
    let not = |reason: String| MergeError::NotAReport {
        file: name.to_string(),
        reason,
    };
    // A first pass reads only the keys that say what the file is (the rest is skipped, not
    // held); then the report itself, straight into its types: a shard's report runs to
    // tens of megabytes, and a JSON tree of it to several times that.
    #[derive(serde::Deserialize)]
    struct Probe {
        version: Option<serde_json::Value>,
        audit: Option<serde::de::IgnoredAny>,
        health: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| {
        not(if e.is_syntax() || e.is_eof() {
            format!("not JSON: {e}")
        } else {
            format!("not an audit report: {e}")
        })
    })?;
    if probe.audit.is_none() || probe.health.is_none() {
        return Err(not(
            "not an audit report (no `audit` and `health`; write one with `packetgate audit --format json`)"
                .into(),
        ));
    }
    let version = probe.version.unwrap_or_default();
    if version != model::VERSION {
        return Err(not(format!(
            "report version {version} is not {} (merge reports written by the same packetgate)",
            model::VERSION
        )));
    }
    let audit: Audit =
        serde_json::from_str(text).map_err(|e| not(format!("not an audit report: {e}")))?;
    super::check_header(&audit.audit).map_err(not)?;
    Ok(audit)
}

/// Merges reports read by [`parse`], named as given.
pub(crate) fn merge(reports: Vec<(String, Audit)>) -> Result<Audit, MergeError> {
    let Some((first_name, first)) = reports.first() else {
        return Err(MergeError::Shards("no report to merge".into()));
    };
    let first_name = first_name.clone();
    let today = Date::parse(&first.today).ok_or_else(|| MergeError::NotAReport {
        file: first_name.clone(),
        reason: format!("`today` is `{}`, not a date", first.today),
    })?;
    let key = |a: &Audit| -> Vec<(&'static str, String)> {
        vec![
            ("today", a.today.clone()),
            ("fail_on", a.summary.fail_on.to_string()),
            ("config", format!("{:?}", a.config)),
            (
                "the config's content",
                format!("{:?}", a.audit.config_digest),
            ),
            ("warn_before_days", a.audit.warn_before_days.to_string()),
            ("owners", format!("{:?}", a.audit.owners)),
            ("server", a.audit.server.clone()),
            ("shard_by", format!("{:?}", a.audit.shard_by)),
            ("links.opened", a.links.opened.to_string()),
            ("links.reason", format!("{:?}", a.links.reason)),
        ]
    };
    let want = key(first);
    for (name, r) in &reports[1..] {
        for ((what, ours), (_, theirs)) in want.iter().zip(key(r)) {
            if *ours != theirs {
                return Err(MergeError::Mismatch {
                    file: name.clone(),
                    first: first_name.clone(),
                    what,
                    ours: ours.clone(),
                    theirs,
                });
            }
        }
    }
    check_shards(&reports)?;
    check_trees(&reports)?;
    // No packet twice (repository + path).
    let mut seen: BTreeMap<(Option<&str>, &str), &str> = BTreeMap::new();
    for (name, r) in &reports {
        for p in &r.packets {
            if let Some(other) = seen.insert((p.repository.as_deref(), p.path.as_str()), name) {
                let path = match &p.repository {
                    Some(repo) => format!("{repo}:{}", p.path),
                    None => p.path.clone(),
                };
                return Err(MergeError::Overlap {
                    path,
                    a: other.to_string(),
                    b: name.clone(),
                });
            }
        }
    }
    let links = model::union_links(reports.iter().map(|(_, r)| &r.links));
    let header = Header {
        shard: None,
        ..first.audit.clone()
    };
    let fail_on = first.summary.fail_on;
    let config = first.config.clone();
    let packets = reports.into_iter().flat_map(|(_, r)| r.packets).collect();
    Ok(Audit::assemble(
        header, today, fail_on, config, links, packets,
    ))
}

/// The reports must be of one tree: each repository read at one commit, and shards of a
/// path partition (one repository's tree) of one repository. A stale shard of an older commit
/// would otherwise stand in for the packets the new commit changed.
fn check_trees(reports: &[(String, Audit)]) -> Result<(), MergeError> {
    let mut commits: BTreeMap<Option<&str>, (Option<&str>, &str)> = BTreeMap::new();
    for (name, r) in reports {
        for p in &r.packets {
            // A repository that could not be read has no commit.
            if p.commit.is_none() && p.repository.is_some() {
                continue;
            }
            let here = (p.commit.as_deref(), name.as_str());
            match commits.get(&p.repository.as_deref()) {
                Some((commit, other)) if *commit != here.0 => {
                    return Err(MergeError::Shards(format!(
                        "{other} and {name} read {} at different commits ({} and {}): shards of different runs do not merge",
                        p.repository.as_deref().unwrap_or("the repository"),
                        commit.unwrap_or("unknown"),
                        here.0.unwrap_or("unknown")
                    )));
                }
                Some(_) => {}
                None => {
                    commits.insert(p.repository.as_deref(), here);
                }
            }
        }
    }
    let by_path = reports
        .iter()
        .any(|(_, r)| r.audit.shard.is_some() && r.audit.shard_by == super::shard::ShardBy::Path);
    if by_path && commits.len() > 1 {
        let names: Vec<&str> = commits.keys().map(|r| r.unwrap_or("(none)")).collect();
        return Err(MergeError::Shards(format!(
            "shards of one tree hold packets of several repositories ({}): shards of different runs do not merge",
            names.join(", ")
        )));
    }
    Ok(())
}

/// Shards of one partition must all be there, once each: a missing shard would drop its
/// packets from the dashboard without a word.
fn check_shards(reports: &[(String, Audit)]) -> Result<(), MergeError> {
    let shards: Vec<(&str, super::shard::Shard)> = reports
        .iter()
        .filter_map(|(n, r)| r.audit.shard.map(|s| (n.as_str(), s)))
        .collect();
    let Some((_, first)) = shards.first() else {
        return Ok(());
    };
    let count = first.count;
    let mut have: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, s) in &shards {
        if s.count != count {
            return Err(MergeError::Shards(format!(
                "{name} is shard {s}, but {} is of {count} shards: shards of different partitions do not merge",
                shards[0].0
            )));
        }
        // A packet outside its report's shard: a different partition, or an edited report.
        let report = &reports.iter().find(|(n, _)| n == name).map(|(_, r)| r);
        if let Some(p) = report.iter().flat_map(|r| &r.packets).find(|p| {
            let by = report.map_or(Default::default(), |r| r.audit.shard_by);
            !s.holds(by, p.repository.as_deref(), &p.path)
        }) {
            return Err(MergeError::Shards(format!(
                "{name} is shard {s}, but holds {}, which is not in that shard",
                p.path
            )));
        }
        if let Some(other) = have.insert(s.index, name) {
            return Err(MergeError::Shards(format!(
                "{other} and {name} are both shard {s}"
            )));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !have.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Shards(format!(
            "shard{} {} {} missing: merge all {count} shards of the run",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
        )));
    }
    Ok(())
}
