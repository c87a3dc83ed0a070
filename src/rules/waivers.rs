//! `waiver`: rules about the waivers themselves (see [`crate::waivers`]). Like `link` rules
//! they read nothing in the packet's fields: they name what is wrong with a waiver once the
//! run's findings are known, so they are judged by [`crate::waivers::settle`], never here.

use super::{Ctx, Kind, KindSpec, Phase, Rule};
use crate::config::decode::{Entries, Problems};
use crate::finding::Finding;
use std::sync::Arc;

pub(crate) const KEYS: &[&str] = &["check", "max_days"];

pub(crate) static WAIVER: KindSpec = KindSpec {
    id: "waiver",
    keys: KEYS,
    decode: |e, p| Some(Arc::new(WaiverRule::decode(e, p)?)),
};

/// What a `waiver` rule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum WaiverCheck {
    /// The waiver's `expires` day has passed.
    Expired,
    /// The waiver expires further out than `max_days` from today.
    TooLong,
    /// `rule`, `owner`, `reason` or `expires` is missing, a placeholder or malformed, or the
    /// rule is none the run knows.
    Incomplete,
    /// The waiver names a rule that cannot be waived (`waivable: false`, the engine's rules).
    NotWaivable,
    /// A waiver in force that accepted no finding.
    Unused,
}

impl WaiverCheck {
    pub(crate) const ALL: [WaiverCheck; 5] = [
        WaiverCheck::Expired,
        WaiverCheck::TooLong,
        WaiverCheck::Incomplete,
        WaiverCheck::NotWaivable,
        WaiverCheck::Unused,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WaiverCheck::Expired => "expired",
            WaiverCheck::TooLong => "too-long",
            WaiverCheck::Incomplete => "incomplete",
            WaiverCheck::NotWaivable => "not-waivable",
            WaiverCheck::Unused => "unused",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct WaiverRule {
    pub check: WaiverCheck,
    /// For `too-long`: the longest a waiver may run, in days from today (default 90; the
    /// config's `waivers.max_days` wins).
    pub max_days: Option<u32>,
}

impl WaiverRule {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let entry = e.require("check", "a `waiver` rule", p)?;
        let text = entry.text(p)?;
        let Some(check) = WaiverCheck::ALL.into_iter().find(|c| c.as_str() == text) else {
            let names: Vec<&str> = WaiverCheck::ALL.iter().map(|c| c.as_str()).collect();
            entry.problem(
                p,
                format!(
                    "unknown waiver check `{text}`: use one of {}{}",
                    names.join(", "),
                    crate::suggest::hint(text, names.iter().copied())
                ),
            );
            return None;
        };
        let max_days = e
            .number("max_days", p)
            .map(|n| n.min(u64::from(u32::MAX)) as u32);
        Some(WaiverRule { check, max_days })
    }
}

impl Kind for WaiverRule {
    /// Nothing per packet: see [`Phase::Elsewhere`].
    fn check(&self, _rule: &Rule, _ctx: &Ctx<'_>, _prior: &[Finding], _out: &mut Vec<Finding>) {}

    /// Judged once the run's findings are known (`crate::waivers::settle`).
    fn phase(&self) -> Phase {
        Phase::Elsewhere
    }

    /// A waiver cannot waive waivers.
    fn waivable(&self) -> bool {
        false
    }
}
