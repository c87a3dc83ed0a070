//! The policy model: what a policy file says once loaded (`config::policy` reads, merges and
//! decodes the files), and what the rules read while they judge a packet. A policy is its
//! field docs, its template placeholders, its settings and its rules.

pub use super::placeholders::Placeholders;
use super::Rule;

#[derive(Debug, Clone)]
pub struct FieldDoc {
    pub name: String,
    pub description: String,
    pub example: Option<String>,
    /// Other ways to name the field in prose (`retry behaviour`, `evidence links`), for a
    /// note that must name fields. Case, spaces, `-` and `_` are folded when comparing.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub max_age_days: u32,
    pub negations: Vec<String>,
    /// The words that scope claims (negation, hedging, the packet's own subject, model
    /// names), split and compiled once.
    pub vocabulary: super::claims::detect::Vocabulary,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub description: String,
    pub is_abstract: bool,
    /// Files the policy was assembled from, base first.
    pub files: Vec<String>,
    pub fields: Vec<FieldDoc>,
    pub placeholders: Placeholders,
    pub settings: Settings,
    pub rules: Vec<Rule>,
}

/// The built-in policy the others extend: the secret rules every packet is scanned with
/// live there, whatever policy judges it.
pub const COMMON: &str = "common";

impl Policy {
    /// `common` among `policies`.
    pub fn common(policies: &[Policy]) -> Option<&Policy> {
        policies.iter().find(|p| p.id == COMMON)
    }

    pub fn field_doc(&self, name: &str) -> Option<&FieldDoc> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}
