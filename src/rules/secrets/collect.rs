//! Collecting secrets for masking outside the per-packet evaluation: before the rules run
//! (links go to the link phase early, and a link holding a secret is never sent), in a file
//! the loader refused, and in the config and policy files a config error quotes. The secret
//! rules of the policies read each of them as they read a packet.

use super::{Masker, Secret};
use crate::dates::Date;
use crate::finding::Finding;
use crate::packet::{Form, Packet, Removed};
use crate::rules::{Ctx, Policy};
use std::time::{Duration, Instant};

/// The secret rules of a policy, switched on or off: masking never depends on a rule.
pub(crate) fn of_policy(policy: &Policy) -> impl Iterator<Item = &Secret> {
    policy.rules.iter().filter_map(|r| r.kind_as::<Secret>())
}

/// `common`'s secret rules that the packet's policy does not already run: a repository
/// policy that does not extend `common` still gets its secrets masked.
pub(crate) fn common_rules<'a>(
    policies: &'a [Policy],
    policy: &'a Policy,
) -> impl Iterator<Item = &'a Secret> {
    Policy::common(policies)
        .into_iter()
        .flat_map(|p| p.rules.iter())
        .filter(move |r| policy.rule(&r.id).is_none())
        .filter_map(|r| r.kind_as::<Secret>())
}

/// The secrets of a file that could not be evaluated, found as in a packet: the secret
/// rules of `policy` (its kind's, else `common`) and those of `common` it does not run read
/// its text, whatever of its YAML could be read (values before a syntax error, the whole tree
/// of a file of no known kind) and, for Markdown, its prose as it displays. The enabled ones
/// report what they find — a key in a broken packet must still be rotated — and every secret
/// goes into the masker, since the file's snippets and messages are printed too.
pub(crate) fn rejected(
    policy: &Policy,
    common: Option<&Policy>,
    rejected: &Packet,
    today: Date,
    deadline: Option<(Instant, Duration)>,
    findings: &mut Vec<Finding>,
) -> Masker {
    let mut ctx = Ctx::new(rejected, policy, today, policy.settings.max_age_days);
    ctx.deadline = deadline;
    let own = policy.rules.iter();
    let from_common = common
        .filter(|c| c.id != policy.id)
        .into_iter()
        .flat_map(|c| c.rules.iter())
        .filter(|r| policy.rule(&r.id).is_none());
    let mut seen = Vec::new();
    let mut secrets = Vec::new();
    for rule in own.chain(from_common) {
        let Some(s) = rule.kind_as::<Secret>() else {
            continue;
        };
        if rule.enabled {
            let mut found = Vec::new();
            s.check_seen(rule, &ctx, &mut seen, &mut found);
            findings.extend(found.into_iter().map(|mut f| {
                rejected.removed.place(&mut f);
                f
            }));
        } else {
            secrets.extend(s.scan(&ctx).into_iter().map(|h| h.secret));
        }
    }
    secrets.extend(seen.into_iter().map(|h| h.secret));
    Masker::new(secrets)
}

/// Masks what is printed of files that are no packet (the config, repository policies): a
/// config error quotes keys, patterns and host names as written, and in the gate it goes to
/// a workflow command and the check run. The secret rules of the built-in policies, and of
/// `policies` (a repository's own), scan each file as they scan a packet: its text as
/// written (invisible characters read through), every value and key decoded, the values
/// read before a syntax error, split keys and other spellings. Each spelling found is masked.
pub(crate) fn files_masker(
    files: &[(&str, &str)],
    builtin: &[Policy],
    policies: &[Policy],
) -> Masker {
    if files.is_empty() {
        return Masker::default();
    }
    let Some(common) = Policy::common(builtin) else {
        return Masker::default();
    };
    // The same rule reaches every policy that extends `common`: scan with each once.
    let mut seen = std::collections::HashSet::new();
    let rules: Vec<&Secret> = builtin
        .iter()
        .chain(policies)
        .flat_map(|p| &p.rules)
        .filter_map(|r| r.kind_as::<Secret>())
        .filter(|s| {
            let patterns: Vec<&str> = s.patterns.iter().map(|p| p.regex.as_str()).collect();
            let allow: Vec<&str> = s.allow.iter().map(|a| a.as_str()).collect();
            seen.insert(format!(
                "{patterns:?} {allow:?} {:?} {}",
                s.fields, s.token_like
            ))
        })
        .collect();
    let limits = crate::yaml::Limits::default();
    let mut secrets = Vec::new();
    for &(path, text) in files {
        let root = match crate::yaml::parse(text, limits) {
            Ok(doc) => doc.root.unwrap_or_else(Packet::empty_root),
            Err(e) => crate::yaml::Node {
                pos: crate::yaml::Pos::new(1, 1),
                end_line: 1,
                value: crate::yaml::Value::Seq(crate::yaml::scalars_read(text, limits, &e)),
            },
        };
        let file = Packet {
            path: path.to_string(),
            form: Form::Yaml,
            prose_start: None,
            text: text.to_string(),
            removed: Removed::default(),
            root,
            kind: String::new(),
            kind_pos: None,
        };
        let ctx = Ctx::new(&file, common, Date::from_days(0), 0);
        for s in &rules {
            secrets.extend(s.scan(&ctx).into_iter().map(|h| h.secret));
        }
    }
    Masker::new(secrets)
}
