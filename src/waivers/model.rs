//! The waiver types: as written (in a packet's `waivers:` or the config's) and as judged,
//! and reading them from YAML. Judging them against a run's findings is [`super::settle`].

use crate::dates::Date;
use crate::yaml::{Node, Pos};
use globset::GlobMatcher;
use serde::Serialize;

/// The keys a waiver may carry (a config waiver adds `path`).
pub(crate) const KEYS: &[&str] = &["rule", "field", "reason", "owner", "expires"];
/// How long a waiver may run, from today, unless a policy or the config says otherwise.
pub(crate) const DEFAULT_MAX_DAYS: u32 = 90;
/// The most waivers one packet may carry: each finding is matched against each waiver, so a
/// packet cannot make a run quadratic, and a packet that needs more has a problem no waiver
/// should hide. The ones past it waive nothing.
pub(crate) const MAX_PER_PACKET: usize = 200;
/// The longest `field` a waiver may name: a packet's paths are short, and matching a long
/// pattern against every finding would cost more than it says.
pub(crate) const MAX_FIELD_CHARS: usize = 200;

/// A waiver as written: its values as YAML nodes (placeholders are judged per packet, with
/// the packet's policy), where it stands, and what is wrong with its shape.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub rule: Option<Node>,
    pub field: Option<Node>,
    pub owner: Option<Node>,
    pub reason: Option<Node>,
    pub expires: Option<Node>,
    pub pos: Pos,
    /// Keys that are no waiver key, with where they stand.
    pub unknown: Vec<(String, Pos)>,
    /// The entry is not a mapping (what it is instead).
    pub not_a_map: Option<&'static str>,
}

/// A waiver in the repository config: applies to packets whose path matches `path`.
#[derive(Debug, Clone)]
pub struct ConfigWaiver {
    pub written: Written,
    pub pattern: String,
    pub glob: GlobMatcher,
}

/// Whether a waiver is in force, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// In force, and it accepted at least one finding.
    Active,
    /// In force, and it accepted nothing.
    Unused,
    Expired,
    TooLong,
    Incomplete,
    NotWaivable,
}

/// A waiver as judged, for the reports (`waivers` in the JSON report, read back by
/// `audit merge`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Waiver {
    pub rule: String,
    pub field: Option<String>,
    pub owner: String,
    pub reason: String,
    /// As written (`""` when missing).
    pub expires: String,
    /// `packet` or `config`.
    pub source: String,
    /// The line it is written on, in the packet or the config file.
    pub line: u32,
    pub state: State,
    /// How many findings it accepted in this packet.
    pub waived: usize,
    #[serde(skip)]
    pub expires_on: Option<Date>,
}

/// A scalar's text, trimmed (`""` when absent or not a scalar).
pub(crate) fn scalar_text(node: Option<&Node>) -> String {
    node.and_then(Node::as_str)
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// Reads one waiver entry (`item`, a node of a `waivers:` list). `extra` are keys the caller
/// takes itself (the config's `path`), returned with their nodes.
pub(crate) fn read_entry<'a>(
    item: &'a Node,
    extra: &[&str],
) -> (Written, Vec<(&'a str, &'a Node)>) {
    let mut w = Written {
        pos: item.pos,
        ..Written::default()
    };
    let mut taken = Vec::new();
    let Some(map) = item.as_map() else {
        w.not_a_map = Some(item.type_name());
        return (w, taken);
    };
    for (key, value) in map {
        let slot = match key.text.as_str() {
            "rule" => &mut w.rule,
            "field" => &mut w.field,
            "owner" => &mut w.owner,
            "reason" => &mut w.reason,
            "expires" => &mut w.expires,
            other if extra.contains(&other) => {
                taken.push((other, value));
                continue;
            }
            other => {
                w.unknown.push((other.to_string(), key.pos));
                continue;
            }
        };
        *slot = Some(value.clone());
    }
    (w, taken)
}

/// A packet's own `waivers:`. `Err` carries where the list stands and what it is instead,
/// when it is no list.
pub(crate) fn from_packet(root: &Node) -> Result<Vec<Written>, (Pos, &'static str)> {
    let Some(node) = root.get("waivers") else {
        return Ok(Vec::new());
    };
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err((node.pos, node.type_name()));
    };
    Ok(items.iter().map(|i| read_entry(i, &[]).0).collect())
}
