//! What a rule kind is to the rest of packetgate: a [`Kind`] (a decoded rule's parameters and
//! how they judge a packet) and a [`KindSpec`] (its id, its keys and its decoder), listed once
//! in [`super::REGISTRY`].
//!
//! Everything that used to match on a closed list of kinds asks the trait instead: when a
//! rule runs ([`Phase`]), what it still does when switched off, whether its findings can be
//! waived, what it says about the packet's shape for `packetgate schema` ([`Constraint`]) and
//! what it tells the policy's placeholders. Code that needs one kind's parameters (the fixer,
//! the waivers, the audit) asks for them by type with [`Rule::kind_as`]. So a new kind is one
//! file and one line in the registry, and a policy naming a kind nobody registered is a
//! config error at load, never a rule silently dropped.

use super::placeholders::Placeholders;
use super::{Ctx, Rule};
use crate::config::decode::{Entries, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

/// When a rule is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// On each packet, in the policy's order.
    Packet,
    /// On each packet after every [`Phase::Packet`] rule, seeing their findings (a
    /// `conditional` rule with a `rules_pass` test).
    AfterRules,
    /// On each packet, in the policy's order, and still past the run's deadline: masking
    /// never depends on time (`secret`).
    Always,
    /// Never per packet: after the link phase (`link`, see `engine::apply_links`) or once the
    /// run's findings are known (`waiver`, see `crate::waivers`).
    Elsewhere,
}

/// A JSON type a value may take, as `packetgate schema` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {
    String,
    Number,
    Boolean,
    Array,
    Object,
}

/// What a rule says about the packet's shape that a JSON Schema can say exactly; the schema
/// generator (`crate::schema`) turns each into JSON Schema and leaves out what it cannot.
#[derive(Debug, Clone, Copy)]
pub enum Constraint<'a> {
    /// The field is present and filled in.
    Required(&'a FieldPath),
    /// The values are of one of these JSON types.
    Types(&'a FieldPath, &'a [Json]),
    /// One of these values, in any case.
    OneOf(&'a FieldPath, &'a [String]),
    /// Matches the regex (Rust syntax); the text says what it expects.
    Pattern(&'a FieldPath, &'a str, &'a str),
    /// A list with at least this many items.
    MinItems(&'a FieldPath, usize),
    /// A date written `YYYY-MM-DD`.
    Date(&'a FieldPath),
}

/// A decoded rule's kind-specific parameters, and how they judge.
pub trait Kind: Any + Debug + Send + Sync {
    /// Judges one packet: pushes a finding per problem. `prior` holds the findings of the
    /// [`Phase::Packet`] rules for a [`Phase::AfterRules`] rule, and is empty otherwise.
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, prior: &[Finding], out: &mut Vec<Finding>);

    fn phase(&self) -> Phase {
        Phase::Packet
    }

    /// What the rule still does while switched off (`enabled: false`): nothing, except for
    /// secret rules, whose secrets are masked whether or not they are reported.
    fn switched_off(&self, _ctx: &Ctx<'_>) {}

    /// Can a waiver accept this rule's findings? A policy's `waivable: false` can only say
    /// no to a kind that says yes.
    fn waivable(&self) -> bool {
        true
    }

    /// What the rule says about the packet's shape (`packetgate schema`).
    fn schema(&self) -> Vec<Constraint<'_>> {
        Vec::new()
    }

    /// Tells the policy's placeholders what the rule says about fields (a value an enum
    /// accepts is never a template value), once the policy's rules are decoded.
    fn teach(&self, _placeholders: &mut Placeholders) {}
}

/// Decodes a rule's kind-specific keys; `None` after pushing at least one problem.
pub(crate) type Decode = fn(&mut Entries<'_>, &mut Problems) -> Option<Arc<dyn Kind>>;

/// A rule kind as a policy names it: one static per kind, listed in [`super::REGISTRY`].
#[derive(Debug)]
pub struct KindSpec {
    /// What a policy writes after `kind:`.
    pub id: &'static str,
    /// The keys a rule of this kind accepts besides [`super::COMMON_KEYS`].
    pub keys: &'static [&'static str],
    pub decode: Decode,
}

/// The rule kinds a config may use: the built-in ones ([`super::REGISTRY`]) and any a caller
/// of the library adds (see `config::load_with_kinds`).
#[derive(Debug, Clone, Copy)]
pub struct Kinds<'k> {
    extra: &'k [&'k KindSpec],
}

impl Kinds<'static> {
    /// The built-in kinds alone.
    pub const BUILTIN: Kinds<'static> = Kinds { extra: &[] };
}

impl<'k> Kinds<'k> {
    /// The built-in kinds and `extra`.
    ///
    /// # Panics
    ///
    /// When two kinds share an id: a policy naming it could not say which it means.
    pub fn with(extra: &'k [&'k KindSpec]) -> Self {
        let kinds = Kinds { extra };
        let ids: Vec<&str> = kinds.ids().collect();
        for (i, id) in ids.iter().enumerate() {
            assert!(
                !ids[..i].contains(id),
                "rule kind `{id}` is registered twice"
            );
        }
        kinds
    }

    pub fn all(&self) -> impl Iterator<Item = &'k KindSpec> {
        super::REGISTRY.iter().chain(self.extra).copied()
    }

    pub fn ids(&self) -> impl Iterator<Item = &'static str> + 'k {
        self.all().map(|k| k.id)
    }

    pub fn get(&self, id: &str) -> Option<&'k KindSpec> {
        self.all().find(|k| k.id == id)
    }
}

impl Default for Kinds<'static> {
    fn default() -> Self {
        Kinds::BUILTIN
    }
}

impl Rule {
    /// The rule's parameters when it is of kind `K`.
    pub fn kind_as<K: Kind>(&self) -> Option<&K> {
        let any: &dyn Any = self.check.as_ref();
        any.downcast_ref::<K>()
    }
}
