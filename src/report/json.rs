//! The JSON report: a stable contract (documented in docs/outputs.md). Keys are only ever added,
//! never renamed or removed, and `version` changes if that promise is ever broken.

use crate::engine::Report;
use crate::finding::{Finding, Severity, Verdict};
use crate::links::{LinkResult, Status};
use serde::Serialize;

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    verdict: Verdict,
    packets: Vec<PacketOut<'a>>,
    summary: Summary,
    today: String,
    /// The config file used, relative to the repository root; `null`: the built-ins alone.
    config: Option<String>,
    links: Links<'a>,
}

#[derive(Serialize)]
struct PacketOut<'a> {
    path: String,
    kind: Option<&'a str>,
    verdict: Verdict,
    findings: &'a [Finding],
    /// The packet's `owner` field (the audit groups by it).
    owner: Option<&'a str>,
    /// Every dated source with the day it goes stale.
    evidence: &'a [crate::rules::dates::Dated],
    /// The packet's waivers as judged, and the config's that accepted one of its findings.
    waivers: &'a [crate::waivers::model::Waiver],
}

#[derive(Serialize)]
struct Summary {
    packets: usize,
    passed: usize,
    failed: usize,
    errors: usize,
    warnings: usize,
    notices: usize,
    /// Findings a waiver accepted (not counted in `errors`, `warnings`, `notices`).
    waived: usize,
    fail_on: Severity,
}

#[derive(Serialize)]
struct Links<'a> {
    opened: bool,
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<LinkSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<&'a LinkResult>>,
}

#[derive(Serialize)]
struct LinkSummary {
    checked: usize,
    ok: usize,
    dead: usize,
    unverified: usize,
    refused: usize,
    excluded: usize,
    seconds: f64,
}

pub(crate) fn write(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let out = Out {
        version: 1,
        verdict: report.verdict,
        packets: report
            .packets
            .iter()
            .map(|p| PacketOut {
                path: crate::place::from_root(&p.path),
                kind: p.kind.as_deref(),
                verdict: p.verdict,
                findings: &p.findings,
                owner: p.owner.as_deref(),
                evidence: &p.evidence,
                waivers: &p.waivers,
            })
            .collect(),
        summary: Summary {
            packets: report.packets.len(),
            passed: report.packets.len() - report.failed(),
            failed: report.failed(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            notices: report.count(Severity::Notice),
            waived: report.waived(),
            fail_on: report.fail_on,
        },
        today: report.today.to_string(),
        config: report.config.as_deref().map(crate::place::from_root),
        links: Links {
            opened: report.links_not_opened.is_none(),
            reason: report.links_not_opened.as_deref(),
            summary: report.links.as_ref().map(|l| LinkSummary {
                checked: l.results.len(),
                ok: l.count(Status::Ok),
                dead: l.count(Status::Dead),
                unverified: l.count(Status::Unverified),
                refused: l.count(Status::Refused),
                excluded: l.count(Status::Excluded),
                seconds: (l.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            }),
            results: report.links.as_ref().map(|l| l.results.values().collect()),
        },
    };
    serde_json::to_writer_pretty(&mut *w, &out)?;
    writeln!(w)
}
