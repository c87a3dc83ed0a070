//! The audit report as data. Its JSON is `check`'s contract (docs/outputs.md) with two keys
//! more per packet (`repository`, `commit`) and two more at the top (`audit`: what the run
//! was; `health`: the packets' health by owner). Every audit output renders this, and
//! `audit merge` reads it back, so a merged report is assembled from exactly what the shards
//! wrote, by the same code that assembles an unsharded one ([`Audit::assemble`], in [`super::assemble`]).

use super::shard::Shard;
use crate::engine;
use crate::finding::{Finding, Severity, Verdict};
use crate::rules::dates::Dated;
use crate::waivers::model::{State, Waiver};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The report version; the same promise as `check`'s (keys are only ever added).
pub(crate) const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Audit {
    pub version: u32,
    pub verdict: Verdict,
    pub packets: Vec<Packet>,
    pub summary: Summary,
    pub today: String,
    pub config: Option<String>,
    pub links: Links,
    pub audit: Header,
    pub health: Health,
}

/// What the run was: enough for `audit merge` to tell shards of one run from reports that
/// do not belong together, and to render what the run would have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// `I/N` for a shard's report; `null` for a whole one (a merged report is whole).
    pub shard: Option<Shard>,
    /// What the shards partition: `path` (packets) or `repository` (`--repos`).
    #[serde(default)]
    pub shard_by: super::shard::ShardBy,
    /// Where packet links point (`$GITHUB_SERVER_URL`, else `https://github.com`).
    pub server: String,
    /// Waivers running out within this many days are named (`freshness.warn_before_days`).
    pub warn_before_days: u32,
    /// SHA-1 of the config file's bytes (`null`: the built-ins alone).
    pub config_digest: Option<String>,
    /// The config's `owners:`: packet owner → GitHub user or team to mention.
    pub owners: BTreeMap<String, String>,
}

/// One packet: `check`'s packet object, plus where it lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Packet {
    /// Relative to its repository's root.
    pub path: String,
    /// `owner/name`, when known.
    pub repository: Option<String>,
    /// The commit the packet was read at, when known.
    pub commit: Option<String>,
    pub kind: Option<String>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub owner: Option<String>,
    pub evidence: Vec<Dated>,
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub packets: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notices: usize,
    pub waived: usize,
    pub fail_on: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Links {
    pub opened: bool,
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<LinkSummary>,
    /// One result per distinct link (docs/links.md), by URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LinkSummary {
    pub checked: usize,
    pub ok: usize,
    pub dead: usize,
    pub unverified: usize,
    pub refused: usize,
    pub excluded: usize,
    /// Wall time of the link phase (the longest shard's, in a merged report).
    pub seconds: f64,
}

/// Where a judged tree of packets stands: its repository and commit, and the folder its
/// paths are relative to (`None`: the current repository's root; a cross-repository run
/// names each snapshot's folder).
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub root: Option<std::path::PathBuf>,
}

impl Origin {
    /// A packet's path as the report names it: relative to the tree's root.
    pub(crate) fn path_of(&self, shown: &str) -> String {
        match &self.root {
            None => crate::place::from_root(shown),
            Some(root) => {
                let cwd = crate::place::cwd();
                let root = match cwd {
                    Some(c) if root.is_relative() => c.join(root),
                    _ => root.clone(),
                };
                let abs = cwd.map_or_else(|| std::path::PathBuf::from(shown), |c| c.join(shown));
                match abs.strip_prefix(&root) {
                    Ok(r) => r
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                    Err(_) => shown.to_string(),
                }
            }
        }
    }
}

/// The packets of a judged run, as the audit reports them.
pub(crate) fn packets(report: &engine::Report, origin: &Origin) -> Vec<Packet> {
    report
        .packets
        .iter()
        .map(|p| Packet {
            path: origin.path_of(&p.path),
            repository: origin.repository.clone(),
            commit: origin.commit.clone(),
            kind: p.kind.clone(),
            verdict: p.verdict,
            findings: p.findings.clone(),
            owner: p.owner.clone(),
            evidence: p.evidence.clone(),
            waivers: p.waivers.clone(),
        })
        .collect()
}

/// The run's links, as the audit reports them: results ordered by URL.
pub(crate) fn links(report: &engine::Report) -> Links {
    let results = report.links.as_ref().map(|l| {
        l.results
            .values()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect::<Vec<_>>()
    });
    let seconds = report
        .links
        .as_ref()
        .map_or(0.0, |l| (l.elapsed.as_secs_f64() * 1000.0).round() / 1000.0);
    finish_links(
        report.links_not_opened.is_none(),
        report.links_not_opened.clone(),
        results,
        seconds,
    )
}

/// Links from their results: sorted by URL and counted.
pub(crate) fn finish_links(
    opened: bool,
    reason: Option<String>,
    results: Option<Vec<serde_json::Value>>,
    seconds: f64,
) -> Links {
    let results = results.map(|mut r| {
        r.sort_by(|a, b| url_of(a).cmp(url_of(b)));
        r
    });
    let summary = results.as_ref().map(|r| {
        let count = |s: &str| r.iter().filter(|v| v["status"] == s).count();
        LinkSummary {
            checked: r.len(),
            ok: count("ok"),
            dead: count("dead"),
            unverified: count("unverified"),
            refused: count("refused"),
            excluded: count("excluded"),
            seconds,
        }
    });
    Links {
        opened,
        reason,
        summary,
        results,
    }
}

/// The links of several runs of one audit (shards, or repositories) as one: a result per
/// URL with its citations summed, the summary counted again, the longest phase's time.
/// The link mode (`opened`, `reason`) is the first's; merge checks that they agree.
pub(crate) fn union_links<'a>(all: impl Iterator<Item = &'a Links> + Clone) -> Links {
    let first = all.clone().next();
    let results = if all.clone().any(|l| l.results.is_some()) {
        let mut by_url: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for v in all.clone().flat_map(|l| l.results.iter().flatten()) {
            match by_url.get_mut(url_of(v)) {
                Some(have) => {
                    let cited =
                        have["cited"].as_u64().unwrap_or(0) + v["cited"].as_u64().unwrap_or(0);
                    have["cited"] = cited.into();
                }
                None => {
                    by_url.insert(url_of(v).to_string(), v.clone());
                }
            }
        }
        Some(by_url.into_values().collect())
    } else {
        None
    };
    let seconds = all
        .filter_map(|l| l.summary.as_ref().map(|s| s.seconds))
        .fold(0.0, f64::max);
    finish_links(
        first.is_none_or(|l| l.opened),
        first.and_then(|l| l.reason.clone()),
        results,
        seconds,
    )
}

pub(crate) fn url_of(v: &serde_json::Value) -> &str {
    v["url"].as_str().unwrap_or("")
}

impl Audit {
    /// The JSON report, streamed to `w`.
    pub(crate) fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        w.write_all(b"\n")
    }

    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

// ---- health, by owner (computed by `super::health`) ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Health {
    pub warn_before_days: u32,
    pub counts: Counts,
    pub owners: Vec<Owner>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub packets: usize,
    pub failing: usize,
    /// Dated sources already stale.
    pub evidence_stale: usize,
    pub evidence_expiring: usize,
    pub waivers_expiring: usize,
    pub waivers_out_of_force: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.packets += o.packets;
        self.failing += o.failing;
        self.evidence_stale += o.evidence_stale;
        self.evidence_expiring += o.evidence_expiring;
        self.waivers_expiring += o.waivers_expiring;
        self.waivers_out_of_force += o.waivers_out_of_force;
    }
}

/// One owner's packets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Owner {
    /// The packets' `owner`; `null` for packets without one.
    pub owner: Option<String>,
    /// Whom to mention for it (the config's `owners:`).
    pub mention: Option<String>,
    pub counts: Counts,
    pub failing: Vec<Failing>,
    pub evidence_expiring: Vec<Expiring>,
    pub waivers_expiring: Vec<WaiverDue>,
    pub waivers_out_of_force: Vec<WaiverDue>,
}

/// A failing packet and what to fix in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Failing {
    pub path: String,
    pub repository: Option<String>,
    pub kind: Option<String>,
    /// The findings at or above the fail level that no waiver accepted.
    pub fix: Vec<ToFix>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ToFix {
    pub field: Option<String>,
    pub rule: String,
    pub severity: Severity,
    pub line: u32,
    pub fix: String,
}

/// A dated source going stale within the warning window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Expiring {
    pub path: String,
    pub repository: Option<String>,
    pub field: String,
    pub line: u32,
    pub date: String,
    pub stale_on: String,
    pub days_left: i64,
}

/// A waiver running out, or out of force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WaiverDue {
    pub path: String,
    pub repository: Option<String>,
    pub rule: String,
    pub field: Option<String>,
    pub owner: String,
    pub expires: String,
    pub state: State,
    /// Days until it expires (negative: since), when `expires` is a date.
    pub days_left: Option<i64>,
}
