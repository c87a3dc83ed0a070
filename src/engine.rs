//! The engine strings the stages together for a set of candidate files: load → evaluate →
//! mask → verdict, in parallel over packets. It produces a [`Report`] of plain data; the
//! reporters only render it.

use crate::config::policy::Policy;
use crate::config::Config;
use crate::dates::Date;
use crate::discover::Candidate;
use crate::finding::{Finding, Severity, Verdict};
use crate::packet::{self, Loaded, Origin};
use crate::rules::secrets::Masker;
use crate::rules::{self, core, Check, Ctx};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone)]
pub struct Options {
    pub today: Date,
    pub fail_on: Severity,
    /// Overrides the policies' freshness window (CLI, else config).
    pub max_age_days: Option<u32>,
    /// Why links were not opened, when they were not.
    pub links_not_opened: Option<String>,
    /// Keep the source lines findings point at (only the human report shows them).
    pub keep_lines: bool,
}

#[derive(Debug, Clone)]
pub struct PacketReport {
    pub path: String,
    pub kind: Option<String>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// The source lines findings point at, secrets masked (for snippets).
    pub lines: BTreeMap<u32, String>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub packets: Vec<PacketReport>,
    pub verdict: Verdict,
    pub today: Date,
    pub fail_on: Severity,
    pub links_not_opened: Option<String>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.packets
            .iter()
            .flat_map(|p| &p.findings)
            .filter(|f| f.severity == severity)
            .count()
    }

    pub fn failed(&self) -> usize {
        self.packets
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .count()
    }
}

/// Judges every candidate. Files that turn out not to be packets are left out.
pub fn run(config: &Config, candidates: &[Candidate], opts: &Options) -> Report {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(candidates.len().div_ceil(32).max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, PacketReport)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = candidates.get(i) else { break };
                        if let Some(r) = check_one(config, c, opts) {
                            out.push((i, r));
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let packets: Vec<PacketReport> = results.into_iter().map(|(_, r)| r).collect();
    let verdict = if packets.iter().any(|p| p.verdict == Verdict::Fail) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    Report {
        packets,
        verdict,
        today: opts.today,
        fail_on: opts.fail_on,
        links_not_opened: opts.links_not_opened.clone(),
    }
}

/// Loads and judges one file.
pub fn check_one(config: &Config, c: &Candidate, opts: &Options) -> Option<PacketReport> {
    let kinds = config.kinds();
    let bytes = match read_capped(c, config.limits.max_file_bytes) {
        Ok(b) => b,
        Err(e) => {
            let f = Finding {
                rule: core::FILE_UNREADABLE.into(),
                severity: Severity::Error,
                field: None,
                line: 1,
                column: 1,
                message: format!("cannot read the file: {e}"),
                fix: "check the path and the file's permissions".into(),
            };
            return Some(finish(
                c,
                c.kind.clone(),
                vec![f],
                None,
                &Masker::default(),
                opts,
            ));
        }
    };
    let origin = Origin {
        explicit: c.explicit,
        assigned_kind: c.kind.as_deref(),
    };
    match packet::load(&c.display, &bytes, origin, &kinds, config.limits) {
        Loaded::NotPacket => None,
        Loaded::Rejected {
            kind,
            text,
            findings,
        } => {
            let masker = text
                .as_deref()
                .map(|t| text_masker(config, t))
                .unwrap_or_default();
            Some(finish(c, kind, findings, text.as_deref(), &masker, opts))
        }
        Loaded::Packet(p, mut findings) => {
            let Some(policy) = config.policy(&p.kind) else {
                // The loader only accepts kinds the config knows; keep the invariant visible.
                return Some(finish(
                    c,
                    Some(p.kind.clone()),
                    findings,
                    Some(&p.text),
                    &Masker::default(),
                    opts,
                ));
            };
            let window = opts
                .max_age_days
                .or(config.max_age_days)
                .unwrap_or(policy.settings.max_age_days);
            let ctx = Ctx::new(&p, policy, opts.today, window);
            let eval = rules::evaluate(&ctx);
            findings.extend(eval.findings);
            let mut secrets = eval.secrets;
            // A repository policy that does not extend `common` still gets its secrets masked.
            for s in common_secret_rules(config, policy) {
                secrets.extend(s.scan(&ctx).into_iter().map(|h| h.secret));
            }
            let masker = Masker::new(secrets);
            Some(finish(
                c,
                Some(p.kind.clone()),
                findings,
                Some(&p.text),
                &masker,
                opts,
            ))
        }
    }
}

fn read_capped(c: &Candidate, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(&c.fs_path)?;
    let mut bytes = Vec::new();
    // One byte over the cap is enough to know the file is too large, without reading it all.
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `common`'s secret rules that the packet's policy does not already run.
fn common_secret_rules<'a>(
    config: &'a Config,
    policy: &'a Policy,
) -> impl Iterator<Item = &'a rules::secrets::Secret> {
    config
        .policies
        .iter()
        .filter(|p| p.id == "common")
        .flat_map(|p| p.rules.iter())
        .filter(move |r| policy.rule(&r.id).is_none())
        .filter_map(|r| match &r.check {
            Check::Secret(s) => Some(s),
            _ => None,
        })
}

/// Masking for a file that could not be evaluated: every whole-file secret rule of `common`.
fn text_masker(config: &Config, text: &str) -> Masker {
    let mut hits = Vec::new();
    let rules = config
        .policies
        .iter()
        .filter(|p| p.id == "common")
        .flat_map(|p| p.rules.iter())
        .filter_map(|r| match &r.check {
            Check::Secret(s) if s.fields.is_empty() => Some(s),
            _ => None,
        });
    for s in rules {
        for (i, line) in text.lines().enumerate() {
            s.scan_line(i as u32 + 1, line, &mut hits);
        }
    }
    Masker::new(hits.into_iter().map(|h| h.secret).collect())
}

fn finish(
    c: &Candidate,
    kind: Option<String>,
    mut findings: Vec<Finding>,
    text: Option<&str>,
    masker: &Masker,
    opts: &Options,
) -> PacketReport {
    if !masker.is_empty() {
        for f in &mut findings {
            f.message = masker.apply(&f.message);
            f.fix = masker.apply(&f.fix);
        }
    }
    findings.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    findings.dedup();
    let mut lines = BTreeMap::new();
    if let Some(text) = text.filter(|_| opts.keep_lines) {
        let wanted: Vec<u32> = findings.iter().map(|f| f.line).collect();
        for (i, line) in text.lines().enumerate() {
            let n = i as u32 + 1;
            if wanted.contains(&n) {
                lines.insert(n, masker.apply(line));
            }
        }
    }
    PacketReport {
        path: c.display.clone(),
        kind,
        verdict: Verdict::of(&findings, opts.fail_on),
        findings,
        lines,
    }
}
