//! The engine strings the stages together for a set of candidate files: load → evaluate →
//! mask → verdict, in parallel over packets. It produces a [`Report`] of plain data; the
//! reporters only render it.

use crate::config::Config;
use crate::dates::Date;
use crate::discover::Candidate;
use crate::finding::{Finding, Severity, Verdict};
use crate::links::{self, LinkReport, LinkResult, Status};
use crate::packet::{self, Loaded, Origin};
use crate::rules::links::LinkClass;
use crate::rules::secrets::{self, Masker};
use crate::rules::{self, core, Ctx};
use crate::yaml::Pos;
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
    /// Where cited links are sent as soon as a packet is judged (the running link phase).
    pub link_sink: Option<links::Sink>,
    /// The run's bounds (`limits:`).
    pub limits: crate::config::RunLimits,
    /// When the run's time budget ends; packets not started by then are not judged.
    pub deadline: Option<std::time::Instant>,
}

/// One place a packet cites a link.
#[derive(Debug, Clone)]
pub struct Citation {
    /// The link's key ([`links::key`]): what is fetched.
    pub key: String,
    /// As written in the packet.
    pub url: String,
    pub field: Option<String>,
    pub line: u32,
    pub column: u32,
    /// The URL holds a secret the packet's rules found: it is never opened.
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct PacketReport {
    pub path: String,
    pub kind: Option<String>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// The source lines findings point at, secrets masked (for snippets).
    pub lines: BTreeMap<u32, String>,
    /// Links the packet cites (only when the link phase will run).
    pub citations: Vec<Citation>,
    /// The packet's secrets, to mask anything added after evaluation.
    pub masker: Masker,
    /// The packet's `owner` field, masked (the audit groups by it).
    pub owner: Option<String>,
    /// Every dated source and the day it goes stale (the audit's evidence windows).
    pub evidence: Vec<crate::rules::dates::Dated>,
    /// The packet's `waivers:` as written, judged by [`crate::waivers::settle`].
    pub written_waivers: Vec<crate::waivers::model::Written>,
    /// `waivers:` is no list: where, and what it is instead.
    pub waivers_shape: Option<(crate::yaml::Pos, &'static str)>,
    /// The config waivers whose `path` matches the packet (indices into `Config::waivers`).
    pub config_waivers: Vec<usize>,
    /// The waivers as judged: the packet's own, and the config's that accepted a finding.
    pub waivers: Vec<crate::waivers::model::Waiver>,
}

impl PacketReport {
    /// A packet's report with its findings and the verdict they give, and nothing else yet
    /// (no snippets, links, secrets, owner, evidence or waivers).
    pub fn new(
        path: String,
        kind: Option<String>,
        findings: Vec<Finding>,
        fail_on: Severity,
    ) -> PacketReport {
        PacketReport {
            path,
            kind,
            verdict: Verdict::of(&findings, fail_on),
            findings,
            lines: BTreeMap::new(),
            citations: Vec::new(),
            masker: Masker::default(),
            owner: None,
            evidence: Vec::new(),
            written_waivers: Vec::new(),
            waivers_shape: None,
            config_waivers: Vec::new(),
            waivers: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub packets: Vec<PacketReport>,
    pub verdict: Verdict,
    pub today: Date,
    pub fail_on: Severity,
    pub links_not_opened: Option<String>,
    /// The config file used, as shown (relative to the current folder); `None`: built-ins.
    pub config: Option<String>,
    /// What the link phase found, when it ran.
    pub links: Option<LinkReport>,
}

impl Report {
    /// Findings of this severity that count (waived ones do not).
    pub fn count(&self, severity: Severity) -> usize {
        self.packets
            .iter()
            .flat_map(|p| &p.findings)
            .filter(|f| f.severity == severity && f.counts())
            .count()
    }

    /// Findings a waiver accepted.
    pub fn waived(&self) -> usize {
        self.packets
            .iter()
            .flat_map(|p| &p.findings)
            .filter(|f| !f.counts())
            .count()
    }

    pub fn failed(&self) -> usize {
        self.packets
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .count()
    }
}

/// A packet the run did not judge, because a limit cut it off: a failing finding, so what was
/// not judged never passes.
fn not_judged(
    c: &Candidate,
    rule: &str,
    message: String,
    fix: &str,
    opts: &Options,
) -> PacketReport {
    let f = Finding::new(rule, Severity::Error, None, Pos::new(1, 1), message, fix);
    finish(c, c.kind.clone(), vec![f], None, &Masker::default(), opts)
}

/// Judges every candidate. Files that turn out not to be packets are left out.
pub fn run(config: &Config, all: &[Candidate], opts: &Options) -> Report {
    let max = opts.limits.max_packets;
    let (candidates, beyond) = all.split_at(all.len().min(max));
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
                        if opts.deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                            out.push((i, not_judged(
                                c,
                                core::LIMIT_TIME,
                                format!(
                                    "not judged: the run's time budget ({} s) ran out first",
                                    opts.limits.run_budget.as_secs()
                                ),
                                "raise `limits.run_budget_secs` in the config, or judge fewer packets per run",
                                opts,
                            )));
                            continue;
                        }
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
            // A worker that panicked must not take its packets' findings with it and let the
            // run pass: the panic goes on (exit 101, a failure), never a silent pass.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let mut packets: Vec<PacketReport> = results.into_iter().map(|(_, r)| r).collect();
    packets.extend(beyond.iter().map(|c| {
        not_judged(
            c,
            core::LIMIT_PACKETS,
            format!("not judged: this run judges at most {max} files (`limits.max_packets`)"),
            "raise `limits.max_packets` in the config, or split the change",
            opts,
        )
    }));
    let verdict = Verdict::of_all(packets.iter().map(|p| p.verdict));
    Report {
        packets,
        verdict,
        today: opts.today,
        fail_on: opts.fail_on,
        links_not_opened: opts.links_not_opened.clone(),
        config: config.file.as_deref().map(crate::place::display),
        links: None,
    }
}

/// Loads and judges one file.
pub fn check_one(config: &Config, c: &Candidate, opts: &Options) -> Option<PacketReport> {
    let bytes = match read_capped(c, config.limits.max_file_bytes) {
        Ok(b) => b,
        Err(e) => {
            let f = Finding::new(
                core::FILE_UNREADABLE,
                Severity::Error,
                None,
                Pos::new(1, 1),
                format!("cannot read the file: {e}"),
                "check the path and the file's permissions",
            );
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
    check_bytes(config, c, &bytes, opts)
}

/// Judges one file's bytes as read from `c` (what [`check_one`] does after reading; the
/// fuzz targets call it with bytes held in memory).
pub fn check_bytes(
    config: &Config,
    c: &Candidate,
    bytes: &[u8],
    opts: &Options,
) -> Option<PacketReport> {
    let kinds = config.kinds();
    let origin = Origin {
        explicit: c.explicit,
        assigned_kind: c.kind.as_deref(),
    };
    let mut limits = config.limits;
    // A huge packet's YAML is read against the run's deadline too, not only between files.
    limits.yaml.deadline = opts.deadline;
    match packet::load(&c.display, bytes, origin, &kinds, limits) {
        Loaded::NotPacket => None,
        Loaded::Rejected {
            kind,
            text,
            removed,
            root,
            mut findings,
        } => {
            let Some(text) = text else {
                return Some(finish(c, kind, findings, None, &Masker::default(), opts));
            };
            let rejected = packet::Packet {
                path: c.display.clone(),
                form: packet::Form::of(&c.display).unwrap_or(packet::Form::Yaml),
                prose_start: None,
                text,
                removed,
                root: root.unwrap_or_else(packet::Packet::empty_root),
                kind: kind.clone().unwrap_or_default(),
                kind_pos: None,
            }
            .with_prose();
            let masker = rejected_secrets(config, &rejected, opts, &mut findings);
            let source = Some((rejected.text.as_str(), &rejected.removed));
            Some(finish(c, kind, findings, source, &masker, opts))
        }
        Loaded::Packet(p, mut findings) => {
            let Some(policy) = config.policy(&p.kind) else {
                // The loader only accepts kinds the config knows; keep the invariant visible.
                return Some(finish(
                    c,
                    Some(p.kind.clone()),
                    findings,
                    Some((&p.text, &p.removed)),
                    &Masker::default(),
                    opts,
                ));
            };
            let window = opts
                .max_age_days
                .or(config.max_age_days)
                .unwrap_or(policy.settings.max_age_days);
            let mut ctx = Ctx::new(&p, policy, opts.today, window);
            ctx.warn_before_days = config.warn_before_days;
            ctx.deadline = opts.deadline.map(|d| (d, opts.limits.run_budget));
            // A repository policy that does not extend `common` still gets its secrets masked.
            let common = secrets::common_rules(&config.policies, policy);
            let mut secrets: Vec<String> = Vec::new();
            let mut citations = Vec::new();
            if let Some(sink) = &opts.link_sink {
                // Links go to the link phase before the rules run, so requests overlap with
                // evaluation; a link holding a secret (any secret rule's, on or off) is
                // never sent.
                secrets = secrets::of_policy(policy)
                    .chain(common)
                    .flat_map(|s| s.scan(&ctx))
                    .map(|h| h.secret)
                    .collect();
                citations = self::citations(&ctx, &Masker::new(secrets.clone()));
                if let Some(f) =
                    cap_links(&mut citations, opts.limits.max_links_per_packet, &|url| {
                        config.links.excluded(url)
                    })
                {
                    findings.push(f);
                }
                sink.send_packet(
                    citations
                        .iter()
                        .filter(|c| !c.secret)
                        .map(|c| (c.key.clone(), c.field.is_some()))
                        .collect(),
                );
            } else {
                for s in common {
                    secrets.extend(s.scan(&ctx).into_iter().map(|h| h.secret));
                }
            }
            let eval = rules::evaluate(&ctx);
            // The rules read the text without its hidden characters: back to the file's columns.
            findings.extend(eval.findings.into_iter().map(|mut f| {
                p.removed.place(&mut f);
                f
            }));
            secrets.extend(eval.secrets);
            let masker = Masker::new(secrets);
            let mut report = finish(
                c,
                Some(p.kind.clone()),
                findings,
                Some((&p.text, &p.removed)),
                &masker,
                opts,
            );
            if opts.keep_lines {
                for cite in &citations {
                    if let Some(line) = p.text.lines().nth(cite.line as usize - 1) {
                        report.lines.entry(cite.line).or_insert_with(|| {
                            p.removed.shown(cite.line, line, |l| masker.apply(l))
                        });
                    }
                }
            }
            report.citations = citations;
            // A template owner (`<TEAM_OR_COST_OWNER>`, `TBD`) is no owner: the audit lists
            // such packets under "no owner", not under the placeholder's name.
            report.owner = p
                .root
                .get("owner")
                .filter(|n| ctx.missing("owner", Some(n)).is_none())
                .and_then(crate::yaml::Node::as_str)
                .map(|o| masker.apply(o.trim()));
            report.evidence = evidence(&ctx);
            match crate::waivers::model::from_packet(&p.root) {
                Ok(w) => report.written_waivers = w,
                Err(shape) => report.waivers_shape = Some(shape),
            }
            report.config_waivers = config_waivers(config, c);
            report.masker = masker;
            Some(report)
        }
    }
}

/// Keeps the citations of the first `max` distinct links that would be opened (excluded
/// links and links holding secrets are never opened, so they do not count); the rest are
/// not opened, which is a finding at the first link left out.
fn cap_links(
    citations: &mut Vec<Citation>,
    max: usize,
    excluded: &dyn Fn(&str) -> bool,
) -> Option<Finding> {
    let counts = |c: &Citation| !c.secret && !excluded(&c.url);
    let mut seen = std::collections::HashSet::new();
    let cut = citations
        .iter()
        .position(|c| counts(c) && seen.insert(c.key.clone()) && seen.len() > max)?;
    let total = {
        let mut all: Vec<&str> = citations
            .iter()
            .filter(|c| counts(c))
            .map(|c| c.key.as_str())
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    };
    let first = &citations[cut];
    let f = Finding::new(
        core::LIMIT_LINKS,
        Severity::Error,
        first.field.clone(),
        Pos::new(first.line, first.column),
        format!(
            "the packet cites {total} links; only the first {max} are opened (`limits.max_links_per_packet`)"
        ),
        "cite the few sources the change rests on, or raise `limits.max_links_per_packet`",
    );
    let kept: std::collections::HashSet<String> =
        citations[..cut].iter().map(|c| c.key.clone()).collect();
    citations.retain(|c| kept.contains(&c.key) || !counts(c));
    Some(f)
}

fn read_capped(c: &Candidate, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    // A packet is a file in the repository, not a pointer to one elsewhere on the machine
    // (a pull request could add `budget.yml -> /etc/…` and have its text quoted back).
    if std::fs::symlink_metadata(&c.fs_path)?
        .file_type()
        .is_symlink()
    {
        return Err(std::io::Error::other(
            "it is a symbolic link; packets must be regular files",
        ));
    }
    let file = std::fs::File::open(&c.fs_path)?;
    let mut bytes = Vec::new();
    // One byte over the cap is enough to know the file is too large, without reading it all.
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The secrets of a file that could not be evaluated (see [`secrets::rejected`]): read with
/// the secret rules of its kind's policy, when the config assigns it one, and of `common`.
fn rejected_secrets(
    config: &Config,
    rejected: &packet::Packet,
    opts: &Options,
    findings: &mut Vec<Finding>,
) -> Masker {
    let common = rules::policy::Policy::common(&config.policies);
    let Some(policy) = config.policy(&rejected.kind).or(common) else {
        return Masker::default();
    };
    let deadline = opts.deadline.map(|d| (d, opts.limits.run_budget));
    secrets::rejected(policy, common, rejected, opts.today, deadline, findings)
}

fn finish(
    c: &Candidate,
    kind: Option<String>,
    mut findings: Vec<Finding>,
    source: Option<(&str, &packet::Removed)>,
    masker: &Masker,
    opts: &Options,
) -> PacketReport {
    if !masker.is_empty() {
        for f in &mut findings {
            f.message = masker.apply(&f.message);
            f.fix = masker.apply(&f.fix);
            // A key can be a secret too, and a key is what `field` names.
            if let Some(field) = &mut f.field {
                *field = masker.apply(field);
            }
        }
    }
    findings.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    findings.dedup();
    let mut lines = BTreeMap::new();
    if let Some((text, removed)) = source.filter(|_| opts.keep_lines) {
        let wanted: Vec<u32> = findings.iter().map(|f| f.line).collect();
        for (i, line) in text.lines().enumerate() {
            let n = i as u32 + 1;
            if wanted.contains(&n) {
                // The file's line, its hidden characters shown as markers: findings point at
                // the file's columns.
                lines.insert(n, removed.shown(n, line, |l| masker.apply(l)));
            }
        }
    }
    PacketReport {
        lines,
        masker: masker.clone(),
        ..PacketReport::new(c.display.clone(), kind, findings, opts.fail_on)
    }
}

/// The most dated sources kept per packet for the audit's health and chart (a packet cites
/// a handful; one built to cite thousands would make an org audit hold millions).
pub const MAX_EVIDENCE: usize = 100;

/// The dated sources the policy's freshness rules read, each once, the first
/// [`MAX_EVIDENCE`] in the file's order.
fn evidence(ctx: &Ctx<'_>) -> Vec<crate::rules::dates::Dated> {
    let mut out: Vec<crate::rules::dates::Dated> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rule in ctx.policy.rules.iter().filter(|r| r.enabled) {
        if let Some(d) = rule.kind_as::<rules::dates::DateRule>() {
            for dated in d.dated(ctx) {
                if seen.insert(dated.field.clone()) {
                    out.push(dated);
                }
            }
        }
    }
    out.sort_by_key(|d| d.line);
    out.truncate(MAX_EVIDENCE);
    out
}

/// The config waivers whose `path` glob matches the file (relative to the config's folder,
/// as the `packets` globs match).
fn config_waivers(config: &Config, c: &Candidate) -> Vec<usize> {
    if config.waivers.is_empty() {
        return Vec::new();
    }
    // Only files inside the config's folder: a glob never reaches `../` (`**` would match it).
    let (Ok(file), Ok(root)) = (
        std::fs::canonicalize(&c.fs_path),
        std::fs::canonicalize(&config.root),
    ) else {
        return Vec::new();
    };
    let Ok(rel) = file.strip_prefix(&root) else {
        return Vec::new();
    };
    config
        .waivers
        .iter()
        .enumerate()
        .filter(|(_, w)| w.glob.is_match(rel))
        .map(|(i, _)| i)
        .collect()
}

/// Every http(s) link the packet cites, in fields and prose.
fn citations(ctx: &Ctx<'_>, masker: &Masker) -> Vec<Citation> {
    ctx.links()
        .iter()
        .filter_map(|l| {
            let key = links::key(&l.url)?;
            Some(Citation {
                secret: !masker.is_empty() && masker.apply(&l.url) != l.url,
                key,
                url: l.url.clone(),
                field: l.field.as_ref().map(|f| f.text.clone()),
                line: l.pos.line,
                // Found in the text without hidden characters: the file's column.
                column: ctx.packet.removed.column(l.pos.line, l.pos.col),
            })
        })
        .collect()
}

/// The distinct links the packets cite, each with how often it is cited. Links holding a
/// secret are left out (see [`refused_secret_links`]).
pub fn link_keys(report: &Report) -> std::collections::BTreeMap<String, usize> {
    let mut keys = std::collections::BTreeMap::new();
    for c in report.packets.iter().flat_map(|p| &p.citations) {
        if !c.secret {
            *keys.entry(c.key.clone()).or_insert(0) += 1;
        }
    }
    keys
}

/// Results for links that hold a secret: never opened.
pub fn refused_secret_links(report: &Report) -> Vec<LinkResult> {
    let mut out: Vec<LinkResult> = Vec::new();
    for p in &report.packets {
        for c in p.citations.iter().filter(|c| c.secret) {
            let masked = p.masker.apply(&c.key);
            match out.iter_mut().find(|r| r.url == masked) {
                Some(r) => r.cited += 1,
                None => {
                    let mut r = LinkResult::new(&masked);
                    r.status = Status::Refused;
                    r.reason = "the URL holds a secret; it is not sent anywhere".into();
                    r.cited = 1;
                    out.push(r);
                }
            }
        }
    }
    out
}

/// Turns link results into findings through each packet's `link` rules, then judges the
/// packets again. Everything shown is masked with the packets' secrets.
pub fn apply_links(config: &Config, report: &mut Report, mut links: LinkReport, opts: &Options) {
    for r in refused_secret_links(report) {
        links.results.insert(r.url.clone(), r);
    }
    let budget = config.links.budget.min(config.run_limits.run_budget);
    let all = Masker::new(
        report
            .packets
            .iter()
            .flat_map(|p| p.masker.secrets().iter().cloned())
            .collect(),
    );
    for packet in &mut report.packets {
        let Some(policy) = packet.kind.as_deref().and_then(|k| config.policy(k)) else {
            continue;
        };
        let rules: Vec<(&rules::Rule, LinkClass)> = policy
            .rules
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| Some((r, r.kind_as::<rules::links::LinkRule>()?.class)))
            .collect();
        let mut added = Vec::new();
        for cite in &packet.citations {
            let key = if cite.secret {
                packet.masker.apply(&cite.key)
            } else {
                cite.key.clone()
            };
            let Some(result) = links.results.get(&key) else {
                continue;
            };
            if result.out_of_time {
                added.push(Finding::new(
                    core::LIMIT_TIME,
                    Severity::Error,
                    cite.field.as_deref().map(|f| packet.masker.apply(f)),
                    Pos::new(cite.line, cite.column),
                    packet.masker.apply(&format!(
                        "link `{}` was not checked: the link phase's time budget ({} s) ran out first ({}); evidence that was not checked cannot pass",
                        cite.url,
                        budget.as_secs_f64(),
                        result.reason
                    )),
                    "raise `links.budget_secs` (and `limits.run_budget_secs`) in the config, or cite fewer slow links",
                ));
                continue;
            }
            for (rule, class) in &rules {
                if let Some((message, fix)) = link_message(*class, cite, result) {
                    added.push(Finding::new(
                        rule.id.clone(),
                        rule.severity,
                        cite.field.as_deref().map(|f| packet.masker.apply(f)),
                        Pos::new(cite.line, cite.column),
                        packet.masker.apply(&message),
                        packet.masker.apply(&fix),
                    ));
                }
            }
        }
        if added.is_empty() {
            continue;
        }
        packet.findings.extend(added);
        packet
            .findings
            .sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
        packet.findings.dedup();
        packet.verdict = Verdict::of(&packet.findings, opts.fail_on);
    }
    for r in links.results.values_mut() {
        for text in [&mut r.url, &mut r.reason] {
            *text = all.apply(text);
        }
        for text in [&mut r.final_url, &mut r.tracking_hop]
            .into_iter()
            .flatten()
        {
            *text = all.apply(text);
        }
    }
    report.verdict = Verdict::of_all(report.packets.iter().map(|p| p.verdict));
    report.links = Some(links);
}

/// The finding text for a citation whose result falls in the class.
fn link_message(class: LinkClass, cite: &Citation, r: &LinkResult) -> Option<(String, String)> {
    let url = &cite.url;
    match (class, r.status) {
        (LinkClass::Dead, Status::Dead) => Some((
            format!("link `{url}` is dead: {}", r.reason),
            "link the page's current address, or re-check the evidence and replace the link"
                .into(),
        )),
        (LinkClass::Unverified, Status::Unverified) => Some((
            format!("link `{url}` could not be verified: {}", r.reason),
            "open it in a browser to confirm it still holds the evidence; if the site blocks checkers, list it in `links.exclude`".into(),
        )),
        (LinkClass::Refused, Status::Refused) => Some((
            format!("link `{url}` was not opened: {}", r.reason),
            "link a public page; intranet documentation needs `links.allow_private` in the config".into(),
        )),
        (LinkClass::Redirect, Status::Ok) => r.tracking_hop.as_ref().map(|hop| {
            (
                format!("link `{url}` redirects through `{hop}`, which carries tracking parameters"),
                format!(
                    "link the final page directly: {}",
                    r.final_url.as_deref().unwrap_or(hop)
                ),
            )
        }),
        _ => None,
    }
}
