//! The packets' health, grouped by owner: what fails and which fields to fix, evidence that
//! goes stale within the warning window (the `evidence-expiring` findings, with the dates
//! from the packet's `evidence`), waivers that run out within the window, and waivers
//! already out of force. Computed from the report's packets alone, so a merged report's
//! health is the unsharded one's. Packets with no `owner` are grouped last, as `null`.

use super::model::{Counts, Expiring, Failing, Header, Health, Owner, Packet, ToFix, WaiverDue};
use crate::dates::Date;
use crate::finding::Severity;
use crate::waivers::model::State;

/// The rule whose findings name evidence going stale soon (policies/common.yml).
pub(crate) const EXPIRING_RULE: &str = "evidence-expiring";

fn days_between(from: Date, to: Date) -> i64 {
    to.days() - from.days()
}

/// The health of `packets` (sorted as the report sorts them) as of `today`.
pub(crate) fn compute(
    packets: &[Packet],
    today: Date,
    fail_on: Severity,
    header: &Header,
) -> Health {
    let warn = header.warn_before_days;
    let mut owners: Vec<Owner> = Vec::new();
    for p in packets {
        let i = match owners.iter().position(|o| o.owner == p.owner) {
            Some(i) => i,
            None => {
                owners.push(Owner {
                    owner: p.owner.clone(),
                    mention: p.owner.as_ref().and_then(|o| header.owners.get(o).cloned()),
                    counts: Counts::default(),
                    failing: Vec::new(),
                    evidence_expiring: Vec::new(),
                    waivers_expiring: Vec::new(),
                    waivers_out_of_force: Vec::new(),
                });
                owners.len() - 1
            }
        };
        let o = &mut owners[i];
        o.counts.packets += 1;
        if p.verdict == crate::finding::Verdict::Fail {
            o.counts.failing += 1;
            o.failing.push(Failing {
                path: p.path.clone(),
                repository: p.repository.clone(),
                kind: p.kind.clone(),
                fix: p
                    .findings
                    .iter()
                    .filter(|f| f.counts() && f.severity >= fail_on)
                    .map(|f| ToFix {
                        field: f.field.clone(),
                        rule: f.rule.clone(),
                        severity: f.severity,
                        line: f.line,
                        fix: f.fix.clone(),
                    })
                    .collect(),
            });
        }
        o.counts.evidence_stale += p.evidence.iter().filter(|e| e.stale_on <= today).count();
        for f in p.findings.iter().filter(|f| f.rule == EXPIRING_RULE) {
            let Some(e) = p
                .evidence
                .iter()
                .find(|e| Some(e.field.as_str()) == f.field.as_deref())
            else {
                continue;
            };
            o.evidence_expiring.push(Expiring {
                path: p.path.clone(),
                repository: p.repository.clone(),
                field: e.field.clone(),
                line: e.line,
                date: e.date.to_string(),
                stale_on: e.stale_on.to_string(),
                days_left: days_between(today, e.stale_on),
            });
        }
        for w in &p.waivers {
            let days_left = Date::parse(&w.expires).map(|d| days_between(today, d));
            let due = WaiverDue {
                path: p.path.clone(),
                repository: p.repository.clone(),
                rule: w.rule.clone(),
                field: w.field.clone(),
                owner: w.owner.clone(),
                expires: w.expires.clone(),
                state: w.state,
                days_left,
            };
            match w.state {
                State::Active | State::Unused => {
                    if days_left.is_some_and(|d| (0..=i64::from(warn)).contains(&d)) {
                        o.waivers_expiring.push(due);
                    }
                }
                State::Expired | State::TooLong | State::Incomplete | State::NotWaivable => {
                    o.waivers_out_of_force.push(due);
                }
            }
        }
        o.counts.evidence_expiring = o.evidence_expiring.len();
        o.counts.waivers_expiring = o.waivers_expiring.len();
        o.counts.waivers_out_of_force = o.waivers_out_of_force.len();
    }
    // By owner name; packets without an owner last.
    owners.sort_by(|a, b| match (&a.owner, &b.owner) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut counts = Counts::default();
    for o in &owners {
        counts.add(&o.counts);
    }
    Health {
        warn_before_days: warn,
        counts,
        owners,
    }
}
