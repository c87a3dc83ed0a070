//! Waivers: accepting a finding on the record, with an owner, a reason and an expiry.
//!
//! A packet lists its own under `waivers:`; the repository config lists more with a `path`
//! glob. A waiver in force marks the findings it matches as waived: they stay in every
//! output, and no longer count toward the verdict. A waiver that is not in force (expired,
//! too long, incomplete, or of a rule that cannot be waived) waives nothing and is a finding
//! itself; one in force that matches nothing is `waiver-unused`. The ids and severities of
//! those findings are policy data (`kind: waiver` rules in `policies/common.yml`).
//!
//! Judged once per run, after the link phase ([`settle`]), since a waiver may accept a link
//! finding and "unused" is only known when every finding is in.

pub(crate) mod model;

use crate::config::Config;
use crate::dates::Date;
use crate::engine::Report;
use crate::fieldpath::FieldPath;
use crate::finding::{Finding, Severity, Verdict, Waived};
use crate::rules::waivers::{WaiverCheck, WaiverRule};
use crate::rules::{core, filled};
use crate::yaml::{Node, Pos};
use model::{
    scalar_text, State, Waiver, Written, DEFAULT_MAX_DAYS, KEYS, MAX_FIELD_CHARS, MAX_PER_PACKET,
};

/// Where a waiver is written, for its findings.
#[derive(Clone, Copy)]
enum Origin<'a> {
    /// The packet's `waivers[i]`.
    Packet(usize),
    /// The config's `waivers` entry, in that file.
    Config(&'a str),
}

/// A waiver judged against one packet's policy.
struct Judged {
    waiver: Waiver,
    /// Where it is written: the entry's position, and its index in the packet's list.
    pos: Pos,
    index: Option<usize>,
    /// The problem that keeps it out of force, as a finding's (field, pos, message, fix).
    problem: Option<(WaiverCheck, Option<String>, Pos, String, String)>,
    field_pattern: Option<FieldPath>,
}

fn judge(
    w: &Written,
    origin: Origin<'_>,
    policy: &crate::config::policy::Policy,
    known: &dyn Fn(&str) -> bool,
    today: Date,
    max_days: u32,
) -> Judged {
    let rule = scalar_text(w.rule.as_ref());
    let field = scalar_text(w.field.as_ref());
    let expires_text = scalar_text(w.expires.as_ref());
    let expires_on = Date::parse(&expires_text);
    let (prefix, path) = match origin {
        Origin::Packet(i) => (String::new(), format!("waivers[{i}]")),
        Origin::Config(file) => (
            format!("config waiver ({file} line {}): ", w.pos.line),
            String::new(),
        ),
    };
    let at = |key: &str| -> Option<String> {
        (!path.is_empty()).then(|| {
            if key.is_empty() {
                path.clone()
            } else {
                format!("{path}.{key}")
            }
        })
    };
    let mut waiver = Waiver {
        rule: rule.clone(),
        field: (!field.is_empty()).then(|| field.clone()),
        owner: scalar_text(w.owner.as_ref()),
        reason: scalar_text(w.reason.as_ref()),
        expires: expires_text.clone(),
        source: match origin {
            Origin::Packet(_) => "packet",
            Origin::Config(_) => "config",
        }
        .to_string(),
        line: w.pos.line,
        state: State::Active,
        waived: 0,
        expires_on,
    };
    let full =
        "a waiver needs `rule`, `owner` (who accepts the risk), `reason` and `expires: YYYY-MM-DD`";
    let mut problem: Option<(WaiverCheck, Option<String>, Pos, String, String)> = None;
    let mut incomplete = |key: &str, pos: Pos, what: String| {
        if problem.is_none() {
            problem = Some((
                WaiverCheck::Incomplete,
                at(key),
                pos,
                format!("{prefix}{what}; it waives nothing"),
                full.to_string(),
            ));
        }
    };
    if let Some(kind) = w.not_a_map {
        incomplete(
            "",
            w.pos,
            format!(
                "the waiver is {kind}, not a mapping of `rule`, `owner`, `reason` and `expires`"
            ),
        );
    }
    for (key, pos) in &w.unknown {
        let hint = crate::suggest::hint(key, KEYS.iter().copied());
        incomplete(key, *pos, format!("`{key}` is no waiver key{hint}"));
    }
    // Each value must be written, as text, and not a template.
    let values: [(&str, &Option<Node>); 4] = [
        ("rule", &w.rule),
        ("owner", &w.owner),
        ("reason", &w.reason),
        ("expires", &w.expires),
    ];
    for (key, node) in values {
        let pos = node.as_ref().map_or(w.pos, |n| n.pos);
        match node {
            _ if w.not_a_map.is_some() => {}
            None => incomplete(key, pos, format!("the waiver has no `{key}`")),
            Some(n) if n.as_str().is_none() => incomplete(
                key,
                pos,
                format!("the waiver's `{key}` is {}, not text", n.type_name()),
            ),
            Some(n) => {
                let where_ = at(key).unwrap_or_else(|| key.to_string());
                let text = scalar_text(Some(n));
                // An owner or a reason is words: at least two letters, and not the key's own
                // name (`owner: owner`), whatever template shape it has.
                let wordless = matches!(key, "owner" | "reason")
                    && (text.chars().filter(|c| c.is_alphabetic()).count() < 2
                        || text.eq_ignore_ascii_case(key));
                if wordless || filled::missing(&policy.placeholders, &where_, n).is_some() {
                    incomplete(
                        key,
                        pos,
                        format!(
                            "the waiver's `{key}` is `{}`, which is no value",
                            scalar_text(Some(n))
                        ),
                    );
                }
            }
        }
    }
    if let Some(n) = &w.field {
        if n.as_str().is_none() {
            incomplete(
                "field",
                n.pos,
                format!(
                    "the waiver's `field` is {}, not a dotted path",
                    n.type_name()
                ),
            );
        }
    }
    if let Some(n) = w.field.as_ref().filter(|n| n.as_str().is_some()) {
        if field.is_empty() {
            incomplete(
                "field",
                n.pos,
                "the waiver's `field` is empty; leave `field` out to waive the rule's every finding".into(),
            );
        } else if field.contains("**") || field.chars().count() > MAX_FIELD_CHARS {
            incomplete(
                "field",
                n.pos,
                format!("the waiver's `field` must be a dotted path of at most {MAX_FIELD_CHARS} characters without `**` (`*` matches one key or index)"),
            );
        }
    }
    let field_pattern =
        if field.is_empty() || field.contains("**") || field.chars().count() > MAX_FIELD_CHARS {
            None
        } else {
            match FieldPath::parse(&field) {
                Ok(p) => Some(p),
                Err(e) => {
                    let pos = w.field.as_ref().map_or(w.pos, |n| n.pos);
                    incomplete(
                        "field",
                        pos,
                        format!("the waiver's `field` `{field}` is no field path: {e}"),
                    );
                    None
                }
            }
        };
    let rule_pos = w.rule.as_ref().map_or(w.pos, |n| n.pos);
    if !rule.is_empty() && !known(&rule) {
        let ids = policy
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .chain(core::CORE_RULES.iter().map(|c| c.id));
        let hint = crate::suggest::hint(&rule, ids);
        incomplete(
            "rule",
            rule_pos,
            format!("the waiver names rule `{rule}`, which is no rule here{hint}"),
        );
    }
    let expires_pos = w.expires.as_ref().map_or(w.pos, |n| n.pos);
    if w.expires.as_ref().and_then(Node::as_str).is_some()
        && expires_on.is_none()
        && !expires_text.is_empty()
    {
        incomplete(
            "expires",
            expires_pos,
            format!("the waiver's `expires` is `{expires_text}`, not a date in YYYY-MM-DD form"),
        );
    }
    let waivable = core::CORE_RULES.iter().all(|c| c.id != rule)
        && policy.rule(&rule).is_none_or(|r| r.waivable);
    if problem.is_none() && !waivable {
        problem = Some((
            WaiverCheck::NotWaivable,
            at("rule"),
            rule_pos,
            format!("{prefix}`{rule}` cannot be waived; the waiver waives nothing"),
            "fix what the finding names; this rule's findings cannot be accepted by a waiver"
                .into(),
        ));
    }
    if let (None, Some(d)) = (&problem, expires_on) {
        let left = d.days() - today.days();
        if left < 0 {
            problem = Some((
                WaiverCheck::Expired,
                at("expires"),
                expires_pos,
                format!("{prefix}the waiver of `{rule}` expired on {d}; its findings count again"),
                format!("fix what the finding names, or renew the waiver with a new `expires` (at most {max_days} days out) if the reason still holds"),
            ));
        } else if left > i64::from(max_days) {
            problem = Some((
                WaiverCheck::TooLong,
                at("expires"),
                expires_pos,
                format!("{prefix}the waiver of `{rule}` runs to {d}, {left} days from today; a waiver runs at most {max_days} days"),
                format!(
                    "set `expires` to {} or sooner, and renew it then if it still holds",
                    Date::from_days(today.days() + i64::from(max_days))
                ),
            ));
        }
    }
    if let Some((check, ..)) = &problem {
        waiver.state = match check {
            WaiverCheck::Expired => State::Expired,
            WaiverCheck::TooLong => State::TooLong,
            WaiverCheck::NotWaivable => State::NotWaivable,
            WaiverCheck::Incomplete | WaiverCheck::Unused => State::Incomplete,
        };
    }
    Judged {
        waiver,
        pos: w.pos,
        index: match origin {
            Origin::Packet(i) => Some(i),
            Origin::Config(_) => None,
        },
        problem,
        field_pattern,
    }
}

/// The waiver's field covers the finding's: the same path, a path inside it, or a match of
/// its pattern (`sources[*].url`).
fn covers(pattern: &Option<FieldPath>, written: &Option<String>, field: Option<&str>) -> bool {
    let (Some(pattern), Some(written)) = (pattern, written) else {
        return true;
    };
    let Some(field) = field else {
        return false;
    };
    field == written
        || field
            .strip_prefix(written.as_str())
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        || ancestors(field).any(|a| pattern.matches(a))
}

/// The field and every path that holds it: `a.b[0].c`, `a.b[0]`, `a.b`, `a`.
fn ancestors(field: &str) -> impl Iterator<Item = &str> {
    let cuts = field
        .char_indices()
        .filter(|&(i, c)| i > 0 && (c == '.' || c == '['))
        .map(|(i, _)| i);
    std::iter::once(field).chain(cuts.map(move |i| &field[..i]))
}

/// How specific a waiver's field is: a waiver without one covers the most, a longer path
/// the least. The most specific waiver in force is the one a finding is shown waived by.
fn specificity(j: &Judged) -> usize {
    j.waiver.field.as_ref().map_or(0, |f| 1 + f.len())
}

fn rule_for(
    policy: &crate::config::policy::Policy,
    check: WaiverCheck,
) -> Option<&crate::rules::Rule> {
    policy
        .rules
        .iter()
        .find(|r| r.enabled && r.kind_as::<WaiverRule>().is_some_and(|w| w.check == check))
}

/// Applies the waivers of every packet in the report, and the config's: marks the findings
/// they accept, adds the findings about the waivers themselves, and judges the packets and
/// the run again.
pub(crate) fn settle(config: &Config, report: &mut Report, today: Date) {
    let config_file = config
        .file
        .as_deref()
        .map(crate::place::display)
        .unwrap_or_default();
    let known = |id: &str| {
        core::CORE_RULES.iter().any(|c| c.id == id)
            || config.policies.iter().any(|p| p.rule(id).is_some())
    };
    // Per config waiver: the first packet it applies to, and how many findings it accepted.
    let mut config_use: Vec<(Option<usize>, usize)> = vec![(None, 0); config.waivers.len()];
    let mut config_unused_rule: Vec<Option<(Severity, String)>> = vec![None; config.waivers.len()];
    for (pi, packet) in report.packets.iter_mut().enumerate() {
        let Some(policy) = packet.kind.as_deref().and_then(|k| config.policy(k)) else {
            continue;
        };
        let max_days = config
            .waiver_max_days
            .or_else(|| {
                policy.rules.iter().find_map(|r| {
                    r.kind_as::<WaiverRule>()
                        .filter(|w| w.check == WaiverCheck::TooLong)?
                        .max_days
                })
            })
            .unwrap_or(DEFAULT_MAX_DAYS);
        let mut judged: Vec<(Judged, Option<usize>)> = Vec::new();
        if let Some((pos, what)) = packet.waivers_shape {
            if let Some(rule) = rule_for(policy, WaiverCheck::Incomplete) {
                packet.findings.push(finding(
                    rule,
                    Some("waivers".into()),
                    pos,
                    format!("`waivers` is {what}, not a list of waivers; it waives nothing"),
                    "write `waivers:` as a list of `{rule, field, owner, reason, expires}`".into(),
                ));
            }
        }
        for (i, w) in packet.written_waivers.iter().enumerate() {
            if i == MAX_PER_PACKET {
                if let Some(rule) = rule_for(policy, WaiverCheck::Incomplete) {
                    packet.findings.push(finding(
                        rule,
                        Some(format!("waivers[{i}]")),
                        w.pos,
                        format!(
                            "the packet carries {} waivers; a packet carries at most {MAX_PER_PACKET}, and the rest waive nothing",
                            packet.written_waivers.len()
                        ),
                        "fix the findings instead, or split the packet".into(),
                    ));
                }
                break;
            }
            judged.push((
                judge(w, Origin::Packet(i), policy, &known, today, max_days),
                None,
            ));
        }
        for &ci in &packet.config_waivers {
            let cw = &config.waivers[ci];
            let j = judge(
                &cw.written,
                Origin::Config(&config_file),
                policy,
                &known,
                today,
                max_days,
            );
            // A config waiver of a rule this kind does not have does not apply here (one
            // of a rule no policy has is incomplete, and is named).
            if known(&j.waiver.rule)
                && policy.rule(&j.waiver.rule).is_none()
                && core::CORE_RULES.iter().all(|c| c.id != j.waiver.rule)
            {
                continue;
            }
            if config_use[ci].0.is_none() {
                config_use[ci].0 = Some(pi);
            }
            judged.push((j, Some(ci)));
        }
        let mask = |t: &str| config.masker.apply(&packet.masker.apply(t));
        for f in &mut packet.findings {
            f.waived = None;
            // Every waiver in force that covers the finding accepts it (none of them is
            // unused); it is shown waived by the most specific, the first of equals.
            let matching: Vec<usize> = judged
                .iter()
                .enumerate()
                .filter(|(_, (j, _))| {
                    j.problem.is_none()
                        && j.waiver.rule == f.rule
                        && covers(&j.field_pattern, &j.waiver.field, f.field.as_deref())
                })
                .map(|(i, _)| i)
                .collect();
            let Some(mut pick) = matching.first().copied() else {
                continue;
            };
            for &i in &matching {
                let (j, ci) = &mut judged[i];
                j.waiver.waived += 1;
                if let Some(ci) = ci {
                    config_use[*ci].1 += 1;
                }
                if specificity(&judged[i].0) > specificity(&judged[pick].0) {
                    pick = i;
                }
            }
            let j = &judged[pick].0;
            f.waived = Some(Waived {
                owner: mask(&j.waiver.owner),
                reason: mask(&j.waiver.reason),
                expires: mask(&j.waiver.expires),
                source: j.waiver.source.clone(),
            });
        }
        let mut added = Vec::new();
        let mut kept = Vec::new();
        for (mut j, ci) in judged {
            if let Some((check, field, pos, message, fix)) = j.problem.take() {
                // A config waiver out of force is named on the packets it would have waived
                // a finding in, or else once, on the first packet it applies to.
                let matters = ci.is_none()
                    || packet.findings.iter().any(|f| {
                        f.rule == j.waiver.rule
                            && covers(&j.field_pattern, &j.waiver.field, f.field.as_deref())
                    })
                    || ci.is_some_and(|ci| config_use[ci].0 == Some(pi));
                if let Some(rule) = rule_for(policy, check).filter(|_| matters) {
                    added.push(finding(rule, field, pos, message, fix));
                }
            } else if j.waiver.waived == 0 {
                match ci {
                    None => {
                        j.waiver.state = State::Unused;
                        if let Some(rule) = rule_for(policy, WaiverCheck::Unused) {
                            let what = j
                                .waiver
                                .field
                                .as_deref()
                                .map(|f| format!(" on `{f}`"))
                                .unwrap_or_default();
                            added.push(finding(
                                rule,
                                j.index.map(|i| format!("waivers[{i}]")),
                                j.pos,
                                format!("the waiver of `{}`{what} accepts no finding: the rule no longer fires here", j.waiver.rule),
                                "remove the waiver".into(),
                            ));
                        }
                    }
                    Some(ci) => {
                        if config_unused_rule[ci].is_none() {
                            config_unused_rule[ci] = rule_for(policy, WaiverCheck::Unused)
                                .map(|r| (r.severity, r.id.clone()));
                        }
                        continue;
                    }
                }
            }
            if ci.is_none() || j.waiver.waived > 0 || j.waiver.state != State::Active {
                // Everything a waiver says is printed: each part masked, keys as well.
                let w = &mut j.waiver;
                for text in [&mut w.rule, &mut w.owner, &mut w.reason, &mut w.expires] {
                    *text = mask(text);
                }
                if let Some(field) = &mut w.field {
                    *field = mask(field);
                }
                kept.push(j.waiver);
            }
        }
        for f in &mut added {
            f.message = mask(&f.message);
            f.fix = mask(&f.fix);
            if let Some(field) = &mut f.field {
                *field = mask(field);
            }
        }
        packet.findings.extend(added);
        packet
            .findings
            .sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
        packet.waivers = kept;
    }
    // A config waiver in force that accepted nothing in any packet it applies to: named
    // once, on the first of them.
    for (ci, (first, used)) in config_use.iter().enumerate() {
        let (Some(pi), 0, Some((severity, id))) = (first, used, &config_unused_rule[ci]) else {
            continue;
        };
        let w = &config.waivers[ci];
        let rule = config.masker.apply(&scalar_text(w.written.rule.as_ref()));
        report.packets[*pi].findings.push(Finding::new(
            id.clone(),
            *severity,
            None,
            Pos::new(1, 1),
            format!(
                "config waiver ({config_file} line {}) of `{rule}` for `{}` accepts no finding in the packets judged",
                w.written.pos.line,
                config.masker.apply(&w.pattern)
            ),
            "remove the waiver from the config, or narrow its `path`",
        ));
        report.packets[*pi]
            .findings
            .sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    }
    for packet in &mut report.packets {
        packet.verdict = Verdict::of(&packet.findings, report.fail_on);
    }
    report.verdict = Verdict::of_all(report.packets.iter().map(|p| p.verdict));
}

fn finding(
    rule: &crate::rules::Rule,
    field: Option<String>,
    pos: Pos,
    message: String,
    fix: String,
) -> Finding {
    Finding::new(
        rule.id.clone(),
        rule.severity,
        field,
        pos,
        rule.message.clone().unwrap_or(message),
        rule.fix.clone().unwrap_or(fix),
    )
}
