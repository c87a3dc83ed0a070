//! `link`: what opening a link found. These rules do nothing while a packet is evaluated;
//! after the link phase (see [`crate::links`]) each cited link whose result falls in the
//! rule's `class` becomes a finding at the citation, with the rule's severity. So a policy
//! decides how much a dead, unverified or refused link matters.

use crate::config::decode::{Entries, Problems};
use crate::suggest;

pub const KEYS: &[&str] = &["class"];
const CLASSES: &[&str] = &["dead", "unverified", "refused", "redirect"];

/// Which link results a rule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkClass {
    /// 404/410 or a DNS name that does not exist.
    Dead,
    /// Could not be confirmed: bot walls, rate limits, server errors, timeouts, TLS.
    Unverified,
    /// Not opened for safety (private address, credentials, https → http redirect).
    Refused,
    /// Reached through a redirect hop that carries tracking parameters.
    Redirect,
}

#[derive(Debug, Clone)]
pub struct LinkRule {
    pub class: LinkClass,
}

impl LinkRule {
    pub fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let entry = e.require("class", "a `link` rule", p)?;
        let class = match entry.text(p)? {
            "dead" => LinkClass::Dead,
            "unverified" => LinkClass::Unverified,
            "refused" => LinkClass::Refused,
            "redirect" => LinkClass::Redirect,
            other => {
                let hint = suggest::hint(other, CLASSES.iter().copied());
                entry.problem(
                    p,
                    format!(
                        "unknown link class `{other}`; use one of: {}{hint}",
                        CLASSES.join(", ")
                    ),
                );
                return None;
            }
        };
        Some(LinkRule { class })
    }
}
