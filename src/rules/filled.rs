//! "Filled in" as the rules read it: is a value something a reader would call a value, or
//! absent, empty, or a template left in place? Every rule asks the same question here
//! ([`Ctx::missing`](super::Ctx::missing)), so `required` reports a gap once and the value
//! rules (`enum`, `pattern`, `date`, `url`) skip it instead of reporting it a second way.
//!
//! One text is judged by the policy's `placeholders:` data (`placeholders`); this
//! file walks the shapes around texts: a list or mapping whose items are all missing
//! (`[~]`, `[{}]`, `[null, ""]`, `{<TEAM_OR_COST_OWNER>: }`) holds nothing, and a bare
//! `true` or `42` says nothing where text belongs.

use super::placeholders::Placeholders;
use crate::yaml::{Node, ScalarKind, Value};

/// Why a value does not count as filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Absent,
    Empty,
    Placeholder(String),
    /// A bare boolean or number where the field wants text: (value, "a boolean"/"a number").
    Bare(String, &'static str),
}

impl Missing {
    pub fn describe(&self, field: &str) -> String {
        match self {
            Missing::Absent => format!("required field `{field}` is missing"),
            Missing::Empty => format!("required field `{field}` is empty"),
            Missing::Placeholder(v) => {
                format!("`{field}` still holds the template value `{v}`")
            }
            Missing::Bare(v, what) => {
                format!("required field `{field}` is empty: it holds only {what}, `{v}`")
            }
        }
    }

    /// The value a message or fix template names as `{value}`.
    pub fn value(&self) -> &str {
        match self {
            Missing::Placeholder(v) | Missing::Bare(v, _) => v,
            Missing::Absent | Missing::Empty => "",
        }
    }
}

/// Is the value at `path` (a concrete path) absent, empty or a template value?
pub(crate) fn missing(ph: &Placeholders, path: &str, node: &Node) -> Option<Missing> {
    missing_at(ph, &|| path.to_string(), node)
}

/// The walk, with the path written out only when a field's exceptions must be looked up:
/// most values are plainly real, and lists and mappings would otherwise format a path for
/// every item each time a rule asks.
fn missing_at(ph: &Placeholders, path: &dyn Fn() -> String, node: &Node) -> Option<Missing> {
    let template = |text: &str| ph.looks_like_template(text) && ph.is_template(&path(), text);
    match &node.value {
        Value::Scalar { kind, text } => {
            if *kind == ScalarKind::Null || text.trim().is_empty() {
                Some(Missing::Empty)
            } else if template(text) {
                Some(Missing::Placeholder(text.trim().to_string()))
            } else {
                let what = match kind {
                    ScalarKind::Bool(_) => "a boolean",
                    ScalarKind::Int | ScalarKind::Float => "a number",
                    _ => return None,
                };
                (ph.bare_scalars && ph.bare_is_missing(&path(), text))
                    .then(|| Missing::Bare(text.trim().to_string(), what))
            }
        }
        Value::Seq(items) if items.is_empty() => Some(Missing::Empty),
        Value::Map(entries) if entries.is_empty() => Some(Missing::Empty),
        Value::Seq(items) if ph.nested => all_missing(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| missing_at(ph, &|| format!("{}[{i}]", path()), item)),
        ),
        Value::Map(entries) if ph.nested => all_missing(entries.iter().map(|(key, value)| {
            // A template used as a key (`owner: {<TEAM_OR_COST_OWNER>: }`) fills nothing in.
            if template(&key.text) {
                return Some(Missing::Placeholder(key.text.trim().to_string()));
            }
            // A real key says something even over a bare value (`{2XX: true}`): the value
            // rules judge that shape; only a blank or template under it is nothing.
            match missing_at(ph, &|| format!("{}.{}", path(), key.text), value)? {
                Missing::Bare(..) => None,
                m => Some(m),
            }
        })),
        // Without `nested`: a list of template texts (and blanks) is a template.
        Value::Seq(items) => {
            let all_templates = items.iter().all(|i| {
                i.as_str()
                    .is_some_and(|t| t.trim().is_empty() || template(t))
            });
            (all_templates && !ph.exempt(&path())).then(|| {
                Missing::Placeholder(items[0].as_str().unwrap_or_default().trim().to_string())
            })
        }
        Value::Map(_) => None,
    }
}

/// Missing when every part is; the reason shown is the first template seen, if any (a
/// list of `TBD`s still holds the template value), else "empty".
fn all_missing(parts: impl Iterator<Item = Option<Missing>>) -> Option<Missing> {
    let mut shown = Missing::Empty;
    for part in parts {
        match part? {
            m @ (Missing::Placeholder(_) | Missing::Bare(..)) if shown == Missing::Empty => {
                shown = m;
            }
            _ => {}
        }
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::decode::{Problems, Sources};
    use crate::config::policy::Documents;
    use crate::yaml::{self, Limits};

    /// The built-in budget-change policy's placeholders (its rules teach enums and types).
    fn builtin() -> Placeholders {
        let mut sources = Sources::default();
        let mut problems = Problems::default();
        let docs = Documents::parse(&[], &mut sources, &mut problems);
        let policies = docs.resolve(&sources, &mut problems);
        policies
            .into_iter()
            .find(|p| p.id == "budget-change")
            .expect("built-in")
            .placeholders
    }

    fn judge(ph: &Placeholders, field: &str, value: &str) -> Option<Missing> {
        let doc = yaml::parse(&format!("{field}: {value}\n"), Limits::default()).expect("yaml");
        let root = doc.root.expect("root");
        missing(ph, field, root.get(field).expect("field"))
    }

    #[test]
    fn collections_of_nothing_are_missing() {
        let ph = builtin();
        for v in [
            "[~]",
            "[{}]",
            "[null, \"\"]",
            "[[], {}]",
            "{url: , accessed: }",
            "[{url: }]",
        ] {
            assert_eq!(judge(&ph, "owner", v), Some(Missing::Empty), "{v}");
        }
        assert_eq!(
            judge(&ph, "owner", "{<TEAM_OR_COST_OWNER>: }"),
            Some(Missing::Placeholder("<TEAM_OR_COST_OWNER>".into()))
        );
        assert_eq!(
            judge(&ph, "does_not_prove", "[~, TBD]"),
            Some(Missing::Placeholder("TBD".into()))
        );
        assert_eq!(judge(&ph, "does_not_prove", "[~, exact spend]"), None);
        assert_eq!(judge(&ph, "sources", "[{area: docs, url: }]"), None);
        assert_eq!(judge(&ph, "request_status_class", "{2XX: true}"), None);
        assert!(judge(&ph, "owner", "[true]").is_some());
    }

    #[test]
    fn bare_scalars_only_where_text_belongs() {
        let ph = builtin();
        assert_eq!(
            judge(&ph, "owner", "true"),
            Some(Missing::Bare("true".into(), "a boolean"))
        );
        assert_eq!(
            judge(&ph, "change_reason", "42"),
            Some(Missing::Bare("42".into(), "a number"))
        );
        assert_eq!(judge(&ph, "touches_pricing", "true"), None);
        assert_eq!(judge(&ph, "owner", "\"42\""), None, "quoted text is text");
    }

    #[test]
    fn enum_values_are_never_templates() {
        let ph = builtin();
        assert_eq!(judge(&ph, "approval_status", "pending"), None);
        assert_eq!(judge(&ph, "approval_status", "Pending"), None);
        assert!(judge(&ph, "owner", "pending").is_some());
        assert!(judge(&ph, "happy_path_result", "pending").is_some());
        assert_eq!(judge(&ph, "retry_behavior", "none"), None);
        assert!(judge(&ph, "change_reason", "none").is_some());
    }
}
