//! `conditional`: when some fields hold some values, other fields must hold others — the
//! packet's consistency rules ("approved requires both results pass", "FAIL requires an
//! exception reason"). The same [`Test`]s are the `unless` of `claim` rules.

use super::{decode_path, decode_regex, Ctx, Kind, KindSpec, Missing, Phase, Rule, Vars};
use crate::config::decode::{Entries, Entry, Problems};
use crate::fieldpath::FieldPath;
use crate::finding::{Finding, Severity};
use crate::yaml::{Node, Pos};
use regex::Regex;
use std::sync::Arc;

pub(crate) const KEYS: &[&str] = &["when", "then"];

pub(crate) static CONDITIONAL: KindSpec = KindSpec {
    id: "conditional",
    keys: KEYS,
    decode: |e, p| Some(Arc::new(Conditional::decode(e, p)?)),
};

const OPS: &[&str] = &[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "present",
    "matches",
    "min_words",
    "mentions_field",
    "rules_pass",
];

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Present(bool),
    Matches(Regex),
    MinWords(usize),
    MentionsField,
    RulesPass(Vec<String>),
}

/// One test on one field: `{field: approval_status, equals: approved}`.
#[derive(Debug, Clone)]
pub(crate) struct Test {
    pub field: Option<FieldPath>,
    pub op: Op,
}

fn decode_test(entry: Entry<'_>, p: &mut Problems) -> Option<Test> {
    let mut m = entry.map("a test", p)?;
    let field = match m.take("field") {
        Some(f) => Some(decode_path(f, p)?),
        None => None,
    };
    let mut op = None;
    let mut count = 0;
    for name in OPS {
        let Some(e) = m.take(name) else { continue };
        count += 1;
        let texts = |p: &mut Problems| -> Option<Vec<String>> {
            Some(
                e.texts(p)?
                    .into_iter()
                    .map(|(t, _)| t.to_string())
                    .collect(),
            )
        };
        op = match *name {
            "equals" => e.text(p).map(|t| Op::Equals(t.to_string())),
            "not_equals" => e.text(p).map(|t| Op::NotEquals(t.to_string())),
            "in" => texts(p).map(Op::In),
            "not_in" => texts(p).map(Op::NotIn),
            "present" => e.boolean(p).map(Op::Present),
            "matches" => e
                .text(p)
                .and_then(|t| decode_regex(e, t, e.value.pos, false, p))
                .map(Op::Matches),
            "min_words" => e.number(p).map(|n| Op::MinWords(n as usize)),
            "mentions_field" => e.boolean(p).map(|_| Op::MentionsField),
            _ => texts(p).map(Op::RulesPass),
        };
    }
    let needs_field = !matches!(op, Some(Op::RulesPass(_)));
    let ok = count == 1 && (field.is_some() || !needs_field);
    if count != 1 {
        p.push(
            m.file,
            m.pos,
            format!("a test needs exactly one of: {}", OPS.join(", ")),
        );
    } else if field.is_none() && needs_field {
        p.push(m.file, m.pos, "a test needs `field:`");
    }
    m.finish(&[OPS, &["field"]].concat(), "a test", p);
    if ok {
        Some(Test { field, op: op? })
    } else {
        None
    }
}

/// A single test or a list of tests (all must hold).
pub(crate) fn decode_tests(entry: Entry<'_>, p: &mut Problems) -> Option<Vec<Test>> {
    match entry.value.as_seq() {
        Some(items) => {
            let mut out = Vec::new();
            let mut ok = true;
            for item in items {
                let sub = Entry {
                    key: entry.key,
                    value: item,
                    file: entry.file,
                };
                match decode_test(sub, p) {
                    Some(t) => out.push(t),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
        None => decode_test(entry, p).map(|t| vec![t]),
    }
}

fn words(s: &str) -> usize {
    s.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Does the text name a field of the policy as what is missing or wrong (see
/// [`super::mention`]): its key (`unit_metric`, `` `owner` ``), or its name in words
/// (`unit metric`, `Error-path result`) or one of the field doc's `aliases` (`retry
/// behaviour`, `evidence links`) with a cue ("missing", "add the …", "… is empty"). Case is
/// folded and a plural `s` allowed. The kind marker `packet` and the field holding the text
/// do not count ("this packet needs work" names nothing), nor does a field named as a
/// bystander ("needs more work, ask the owner").
fn mentions_field(ctx: &Ctx<'_>, own: Option<&FieldPath>, text: &str) -> bool {
    let own = own.map(FieldPath::as_str);
    let names: Vec<Vec<String>> = ctx
        .policy
        .fields
        .iter()
        .filter(|f| f.name != "packet" && Some(f.name.as_str()) != own)
        .flat_map(|f| std::iter::once(&f.name).chain(&f.aliases))
        .map(|n| super::mention::name_words(n))
        .filter(|w| !w.is_empty())
        .collect();
    super::mention::names_a_field(text, &names)
}

impl Test {
    fn value<'a>(&self, ctx: &Ctx<'a>) -> Option<&'a Node> {
        self.field.as_ref().and_then(|f| ctx.value(f))
    }

    /// The value, when it is filled in (not absent, empty or a template value).
    fn filled<'a>(&self, ctx: &Ctx<'a>) -> Option<&'a Node> {
        self.field.as_ref().and_then(|f| ctx.filled(f))
    }

    fn text<'a>(&self, ctx: &Ctx<'a>) -> Option<&'a str> {
        self.filled(ctx).and_then(Node::as_str).map(str::trim)
    }

    pub(crate) fn holds(&self, ctx: &Ctx<'_>, prior: &[Finding]) -> bool {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        match &self.op {
            Op::Equals(v) => self.text(ctx).is_some_and(|t| eq(t, v)),
            Op::NotEquals(v) => self.text(ctx).is_none_or(|t| !eq(t, v)),
            Op::In(vs) => self.text(ctx).is_some_and(|t| vs.iter().any(|v| eq(t, v))),
            Op::NotIn(vs) => self.text(ctx).is_none_or(|t| !vs.iter().any(|v| eq(t, v))),
            Op::Present(want) => self.filled(ctx).is_some() == *want,
            Op::Matches(re) => self.text(ctx).is_some_and(|t| re.is_match(t)),
            Op::MinWords(n) => self.text(ctx).is_some_and(|t| words(t) >= *n),
            Op::MentionsField => self
                .text(ctx)
                .is_some_and(|t| mentions_field(ctx, self.field.as_ref(), t)),
            Op::RulesPass(ids) => !prior
                .iter()
                .any(|f| f.severity == Severity::Error && ids.contains(&f.rule)),
        }
    }

    fn field_name(&self) -> &str {
        self.field.as_ref().map(FieldPath::as_str).unwrap_or("")
    }

    /// How the condition reads in a message: "`approval_status` is `approved`".
    fn describe_condition(&self) -> String {
        let f = self.field_name();
        match &self.op {
            Op::Equals(v) => format!("`{f}` is `{v}`"),
            Op::NotEquals(v) => format!("`{f}` is not `{v}`"),
            Op::In(vs) => format!("`{f}` is one of {}", vs.join(", ")),
            Op::NotIn(vs) => format!("`{f}` is none of {}", vs.join(", ")),
            Op::Present(true) => format!("`{f}` is filled in"),
            Op::Present(false) => format!("`{f}` is absent"),
            Op::Matches(re) => format!("`{f}` matches `{}`", re.as_str()),
            Op::MinWords(n) => format!("`{f}` has {n}+ words"),
            Op::MentionsField => format!("`{f}` names a field"),
            Op::RulesPass(ids) => format!("rules {} pass", ids.join(", ")),
        }
    }

    /// What the requirement asks, for a message: "`happy_path_result` must be `pass`".
    fn describe_requirement(&self) -> String {
        let f = self.field_name();
        match &self.op {
            Op::Equals(v) => format!("`{f}` must be `{v}`"),
            Op::NotEquals(v) => format!("`{f}` must not be `{v}`"),
            Op::In(vs) => format!("`{f}` must be one of {}", vs.join(", ")),
            Op::NotIn(vs) => format!("`{f}` must not be {}", vs.join(" or ")),
            Op::Present(true) => format!("`{f}` is required"),
            Op::Present(false) => format!("`{f}` must be left out"),
            Op::Matches(re) => format!("`{f}` must match `{}`", re.as_str()),
            Op::MinWords(n) => format!("`{f}` must say more than a bare word ({n}+ words)"),
            Op::MentionsField => format!("`{f}` must name the missing field(s)"),
            Op::RulesPass(_) => {
                "every required field must be filled in and every evidence date valid".into()
            }
        }
    }

    fn describe_actual(&self, ctx: &Ctx<'_>, prior: &[Finding]) -> String {
        if let Op::RulesPass(ids) = &self.op {
            let failing: Vec<&Finding> = prior
                .iter()
                .filter(|f| f.severity == Severity::Error && ids.contains(&f.rule))
                .collect();
            let mut names: Vec<&str> = failing.iter().map(|f| f.rule.as_str()).collect();
            names.dedup();
            return format!(
                "{} {} {}",
                names.join(", "),
                if names.len() == 1 {
                    "reports"
                } else {
                    "report"
                },
                crate::text::plural(failing.len(), "error")
            );
        }
        match self.value(ctx) {
            None => "it is missing".into(),
            Some(n) => match ctx.missing(self.field_name(), Some(n)) {
                Some(Missing::Placeholder(v)) => format!("it still holds the template value `{v}`"),
                Some(Missing::Bare(v, what)) => format!("it holds only {what}, `{v}`"),
                Some(_) => "it is empty".into(),
                None => match n.as_str() {
                    Some(t) => format!("it is `{}`", t.trim()),
                    None => format!("it is {}", n.type_name()),
                },
            },
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Conditional {
    pub when: Vec<Test>,
    pub then: Vec<Test>,
}

impl Conditional {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let when = e
            .require("when", "a `conditional` rule", p)
            .and_then(|w| decode_tests(w, p));
        let then = e
            .require("then", "a `conditional` rule", p)
            .and_then(|t| decode_tests(t, p));
        Some(Conditional {
            when: when?,
            then: then?,
        })
    }

    /// Whether the rule looks at other rules' findings (and so must run after them).
    pub(crate) fn needs_findings(&self) -> bool {
        self.when
            .iter()
            .chain(&self.then)
            .any(|t| matches!(t.op, Op::RulesPass(_)))
    }

    pub(crate) fn check(
        &self,
        rule: &Rule,
        ctx: &Ctx<'_>,
        prior: &[Finding],
        out: &mut Vec<Finding>,
    ) {
        if !self.when.iter().all(|t| t.holds(ctx, prior)) {
            return;
        }
        let because = self
            .when
            .iter()
            .map(Test::describe_condition)
            .collect::<Vec<_>>()
            .join(" and ");
        let anchor: Pos = self
            .when
            .iter()
            .find_map(|t| t.value(ctx))
            .map(|n| n.pos)
            .unwrap_or_else(|| ctx.root_pos());
        for req in &self.then {
            if req.holds(ctx, prior) {
                continue;
            }
            let target = req.value(ctx);
            // "Is required" restates a finding another rule already made about this field,
            // or about a parent found missing as a whole: one mistake, one finding.
            if matches!(req.op, Op::Present(true))
                && out.iter().any(|f| {
                    f.field
                        .as_deref()
                        .is_some_and(|done| covers_field(done, f.missing, req.field_name()))
                })
            {
                continue;
            }
            let field = match &req.op {
                Op::RulesPass(_) => self.when.first().map(Test::field_name).unwrap_or(""),
                _ => req.field_name(),
            };
            let pos = match (&req.op, target) {
                (Op::RulesPass(_), _) | (_, None) => anchor,
                (_, Some(n)) => n.pos,
            };
            let message = format!(
                "{because}, so {} ({})",
                req.describe_requirement(),
                req.describe_actual(ctx, prior)
            );
            let fix = match &req.op {
                Op::Present(true) => {
                    let key = field.rsplit('.').next().unwrap_or(field);
                    super::required::default_fix(ctx, field, key, &Missing::Absent)
                }
                _ => fix_for(req, &because),
            };
            let value = target.and_then(Node::as_str).unwrap_or_default();
            let mut finding = ctx.emit(
                rule,
                (!field.is_empty()).then_some(field),
                pos,
                message,
                fix,
                Vars {
                    field,
                    value,
                    expected: "",
                },
            );
            // A failed "is required" means the field is absent or unfilled.
            finding.missing = matches!(req.op, Op::Present(true));
            out.push(finding);
        }
    }
}

/// Does a finding on `done` already speak for `field`: the same field, or (when it says
/// the value is missing) a parent of it (`pricing_source` for `pricing_source.accessed`)?
fn covers_field(done: &str, missing: bool, field: &str) -> bool {
    done == field
        || (missing
            && field
                .strip_prefix(done)
                .is_some_and(|rest| rest.starts_with(['.', '['])))
}

fn fix_for(req: &Test, because: &str) -> String {
    let f = req.field_name();
    match &req.op {
        Op::Equals(v) => format!("make `{f}` `{v}`, or revise what requires it ({because})"),
        Op::NotEquals(v) => format!("replace `{v}` in `{f}` with the real value"),
        Op::In(vs) => format!("set `{f}` to one of {}", vs.join(", ")),
        Op::NotIn(vs) => format!("`{f}` must not be {}", vs.join(" or ")),
        Op::Present(true) => format!("add `{f}:` with a real value"),
        Op::Present(false) => format!("remove `{f}`"),
        Op::Matches(_) => format!("rewrite `{f}` in the expected form"),
        Op::MinWords(_) => format!("name a real metric in `{f}`, e.g. `cost per resolved support case`"),
        Op::MentionsField => format!("name in `{f}` each field the change was returned for, e.g. `missing unit_metric and retry_behavior`"),
        Op::RulesPass(ids) => format!("fix the findings of {} first, or set the status back to pending", ids.join(", ")),
    }
}

impl Kind for Conditional {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, prior: &[Finding], out: &mut Vec<Finding>) {
        Conditional::check(self, rule, ctx, prior, out);
    }

    /// A rule with a `rules_pass` test runs after the others, and sees their findings.
    fn phase(&self) -> Phase {
        if self.needs_findings() {
            Phase::AfterRules
        } else {
            Phase::Packet
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words() {
        assert_eq!(words("tokens"), 1);
        assert_eq!(words("cost per resolved case"), 4);
        assert_eq!(words(" - "), 0);
    }

    #[test]
    fn ops_list_is_unique() {
        let mut v = OPS.to_vec();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), OPS.len());
        assert!(crate::suggest::closest("equal", OPS.iter().copied()).is_some());
    }
}
