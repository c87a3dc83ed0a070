//! Policies as data: a policy is a YAML file of field docs, template placeholders, settings
//! and rules. Built-in policies ship inside the binary; a repository policy can `extends:`
//! one, override any rule by id (only the keys it writes change), switch rules off, change
//! severities and windows, and add rules.
//!
//! Loading happens in three steps, all before any packet is read: parse every file with
//! spans, merge each policy's chain of `extends` layer by layer (rule by rule, key by key,
//! each entry remembering its file), then decode the merged result into typed [`Rule`]s while
//! collecting every problem with its file and line.
//!
//! The model the loader builds ([`Policy`], its settings and field docs) lives in
//! `rules::policy`, beside the rules that read it.

use super::decode::{Entries, Entry, FileId, Problems, Sources};
use crate::finding::Severity;
pub use crate::rules::policy::{FieldDoc, Placeholders, Policy, Settings, COMMON};
use crate::rules::{Kinds, Rule, COMMON_KEYS};
use crate::suggest;
use crate::yaml::{self, Limits, Node, Pos};

pub const POLICY_KEYS: &[&str] = &[
    "policy",
    "extends",
    "description",
    "abstract",
    "fields",
    "placeholders",
    "settings",
    "rules",
];
const SETTINGS_KEYS: &[&str] = &[
    "max_age_days",
    "negations",
    "negating_determiners",
    "hedges",
    "epistemic",
    "subjects",
    "own",
    "models",
];
const FIELD_KEYS: &[&str] = &["description", "example", "aliases"];

/// The built-in policies, embedded at build time.
pub const BUILTIN: &[(&str, &str)] = &[
    (COMMON, include_str!("../../policies/common.yml")),
    (
        "budget-change",
        include_str!("../../policies/budget-change.yml"),
    ),
    ("cost-trace", include_str!("../../policies/cost-trace.yml")),
];

/// One policy file, parsed.
struct Layer<'a> {
    id: String,
    id_pos: Pos,
    extends: Option<(String, Pos)>,
    file: FileId,
    builtin: bool,
    top: Entries<'a>,
}

/// A policy's entries merged across its `extends` chain.
#[derive(Default)]
struct Merged<'a> {
    description: Option<Entry<'a>>,
    is_abstract: Option<Entry<'a>>,
    files: Vec<FileId>,
    fields: Vec<Entry<'a>>,
    placeholders: Vec<Entry<'a>>,
    settings: Vec<Entry<'a>>,
    rules: Vec<(String, Vec<Entry<'a>>, Pos, FileId)>,
}

fn replace_or_push<'a>(list: &mut Vec<Entry<'a>>, e: Entry<'a>) {
    match list.iter_mut().find(|x| x.key.text == e.key.text) {
        Some(slot) => *slot = e,
        None => list.push(e),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

const POLICY_LIMITS: Limits = Limits {
    max_depth: 32,
    max_nodes: 100_000,
    deadline: None,
};

/// The built-in policies, parsed once per process: they never change, and parsing them is
/// most of the cost of loading a config (which the fuzz targets do for every input).
fn builtin_parsed() -> &'static [Result<yaml::Document, yaml::Error>] {
    static PARSED: std::sync::OnceLock<Vec<Result<yaml::Document, yaml::Error>>> =
        std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|(_, t)| yaml::parse(t, POLICY_LIMITS))
            .collect()
    })
}

/// Parsed policy documents: owned here so the merge can borrow from them.
#[derive(Debug)]
pub struct Documents {
    docs: Vec<(FileId, Node, bool)>,
}

impl Documents {
    /// Parses built-ins and repository policy texts. `repo` holds (display name, text).
    pub fn parse(
        repo: &[(String, String)],
        sources: &mut Sources,
        problems: &mut Problems,
    ) -> Documents {
        let mut docs = Vec::new();
        let all = BUILTIN
            .iter()
            .zip(builtin_parsed())
            .map(|((n, _), parsed)| (format!("<built-in>/{n}.yml"), parsed.clone(), true))
            .chain(
                repo.iter()
                    .map(|(n, t)| (n.clone(), yaml::parse(t, POLICY_LIMITS), false)),
            );
        for (name, parsed, builtin) in all {
            let file = sources.add(name);
            match parsed {
                Ok(doc) => {
                    problems.duplicate_keys(file, &doc);
                    match doc.root {
                        Some(root) => docs.push((file, root, builtin)),
                        None => problems.push(file, Pos::new(1, 1), "policy file is empty"),
                    }
                }
                Err(e) => problems.push(file, e.pos, e.to_string()),
            }
        }
        Documents { docs }
    }

    /// Ids of every non-abstract policy defined, even ones whose rules do not decode (so a
    /// config naming a kind is judged against what the files say).
    pub fn kinds(&self) -> Vec<&str> {
        self.docs
            .iter()
            .filter(|(_, root, _)| root.get("abstract").and_then(Node::as_bool) != Some(true))
            .filter_map(|(_, root, _)| root.get("policy").and_then(Node::as_str))
            .collect()
    }

    /// Resolves `extends`, merges and decodes every policy, with the built-in rule kinds.
    pub fn resolve(&self, sources: &Sources, problems: &mut Problems) -> Vec<Policy> {
        self.resolve_with(Kinds::BUILTIN, sources, problems)
    }

    /// [`Documents::resolve`], with the rule kinds given.
    pub fn resolve_with(
        &self,
        kinds: Kinds<'_>,
        sources: &Sources,
        problems: &mut Problems,
    ) -> Vec<Policy> {
        let mut layers: Vec<Layer<'_>> = Vec::new();
        for (file, root, builtin) in &self.docs {
            let Some(mut top) = Entries::of(root, *file, "a policy file", problems) else {
                continue;
            };
            let id_entry = top.require("policy", "a policy file (its id)", problems);
            let id = id_entry.and_then(|e| e.text(problems).map(|t| (t.to_string(), e.value.pos)));
            let extends = top
                .take("extends")
                .and_then(|e| e.text(problems).map(|t| (t.to_string(), e.value.pos)));
            let Some((id, id_pos)) = id else { continue };
            if !valid_id(&id) {
                problems.push(
                    *file,
                    id_pos,
                    format!("policy id `{id}` must be lower-case letters, digits and `-`"),
                );
                continue;
            }
            layers.push(Layer {
                id,
                id_pos,
                extends,
                file: *file,
                builtin: *builtin,
                top,
            });
        }

        // The layer that defines each id: a repository layer wins over a built-in one.
        let mut policies = Vec::new();
        let mut ids: Vec<&str> = Vec::new();
        for l in &layers {
            if !ids.contains(&l.id.as_str()) {
                ids.push(&l.id);
            }
        }
        for (i, l) in layers.iter().enumerate() {
            let same: Vec<&Layer<'_>> = layers
                .iter()
                .filter(|o| o.id == l.id && !o.builtin)
                .collect();
            if !l.builtin && same.len() > 1 && !std::ptr::eq(same[0], l) {
                problems.push(
                    l.file,
                    l.id_pos,
                    format!(
                        "policy `{}` is defined by more than one repository file",
                        l.id
                    ),
                );
            }
            let shadows_builtin = layers[..i].iter().any(|o| o.builtin && o.id == l.id);
            if !l.builtin
                && shadows_builtin
                && l.extends.as_ref().map(|(e, _)| e.as_str()) != Some(l.id.as_str())
            {
                problems.push(
                    l.file,
                    l.id_pos,
                    format!("policy `{}` is built in: add `extends: {}` to change it, or choose a new id", l.id, l.id),
                );
            }
        }
        for id in ids {
            let Some(leaf) = layers.iter().rposition(|l| l.id == id) else {
                continue;
            };
            let Some(chain) = chain(&layers, leaf, problems) else {
                continue;
            };
            let mut merged = Merged::default();
            for &i in &chain {
                merge_layer(&mut merged, &layers[i], i == leaf, problems);
            }
            if let Some(p) = decode(id, &merged, kinds, sources, problems) {
                policies.push(p);
            }
        }
        policies
    }
}

/// The layers of a policy, base first. A repository layer that extends its own id sits on
/// the built-in layer of that id.
fn chain(layers: &[Layer<'_>], leaf: usize, problems: &mut Problems) -> Option<Vec<usize>> {
    let mut out = vec![leaf];
    let mut current = leaf;
    loop {
        let l = &layers[current];
        let Some((parent, pos)) = &l.extends else {
            break;
        };
        let found = if *parent == l.id {
            layers[..current].iter().rposition(|o| o.id == *parent)
        } else {
            layers.iter().rposition(|o| o.id == *parent)
        };
        let Some(next) = found else {
            let known: Vec<&str> = layers.iter().map(|o| o.id.as_str()).collect();
            let hint = suggest::hint(parent, known);
            problems.push(
                l.file,
                *pos,
                format!("`extends: {parent}` names no policy{hint}"),
            );
            return None;
        };
        if out.contains(&next) {
            problems.push(l.file, *pos, format!("`extends: {parent}` makes a cycle"));
            return None;
        }
        out.push(next);
        current = next;
    }
    out.reverse();
    Some(out)
}

fn merge_layer<'a>(m: &mut Merged<'a>, layer: &Layer<'a>, is_leaf: bool, problems: &mut Problems) {
    let mut top = layer.top.clone();
    m.files.push(layer.file);
    if let Some(d) = top.take("description") {
        m.description = Some(d);
    }
    if let Some(a) = top.take("abstract") {
        if is_leaf {
            m.is_abstract = Some(a);
        }
    }
    if let Some(f) = top.take("fields") {
        if let Some(map) = f.map("`fields`", problems) {
            for e in map.items {
                replace_or_push(&mut m.fields, e);
            }
        }
    }
    if let Some(p) = top.take("placeholders") {
        m.placeholders.push(p);
    }
    if let Some(s) = top.take("settings") {
        if let Some(map) = s.map("`settings`", problems) {
            for e in map.items {
                replace_or_push(&mut m.settings, e);
            }
        }
    }
    if let Some(r) = top.take("rules") {
        match r.value.as_seq() {
            None => r.problem(problems, "`rules` must be a list of rules"),
            Some(items) => {
                for item in items {
                    let entry = Entry {
                        key: r.key,
                        value: item,
                        file: r.file,
                    };
                    let Some(mut map) = entry.map("a rule", problems) else {
                        continue;
                    };
                    let Some(id) = map
                        .require("id", "a rule", problems)
                        .and_then(|e| e.text(problems))
                    else {
                        continue;
                    };
                    if !valid_id(id) {
                        problems.push(
                            r.file,
                            item.pos,
                            format!("rule id `{id}` must be lower-case letters, digits and `-`"),
                        );
                        continue;
                    }
                    let own: Vec<Entry<'a>> = map
                        .items
                        .iter()
                        .copied()
                        .filter(|e| e.key.text != "id")
                        .collect();
                    match m.rules.iter_mut().find(|(rid, ..)| rid == id) {
                        Some((_, entries, pos, file)) => {
                            for e in own {
                                replace_or_push(entries, e);
                            }
                            *pos = item.pos;
                            *file = r.file;
                        }
                        None => m.rules.push((id.to_string(), own, item.pos, r.file)),
                    }
                }
            }
        }
    }
    top.finish(POLICY_KEYS, "a policy file", problems);
}

fn decode(
    id: &str,
    m: &Merged<'_>,
    kinds: Kinds<'_>,
    sources: &Sources,
    problems: &mut Problems,
) -> Option<Policy> {
    let before = problems.list.len();
    let description = m
        .description
        .and_then(|d| d.text(problems))
        .unwrap_or_default()
        .to_string();
    let is_abstract = m
        .is_abstract
        .and_then(|a| a.boolean(problems))
        .unwrap_or(false);

    let mut fields = Vec::new();
    for e in &m.fields {
        let doc = if let Some(text) = e.value.as_str() {
            FieldDoc {
                name: e.name().to_string(),
                description: text.to_string(),
                example: None,
                aliases: Vec::new(),
            }
        } else {
            let Some(mut map) = e.map("a field doc", problems) else {
                continue;
            };
            let description = map
                .text("description", problems)
                .unwrap_or_default()
                .to_string();
            let example = map.text("example", problems).map(str::to_string);
            let aliases = map
                .take("aliases")
                .and_then(|a| a.texts(problems))
                .unwrap_or_default()
                .into_iter()
                .map(|(t, _)| t.to_string())
                .collect();
            map.finish(FIELD_KEYS, "a field doc", problems);
            FieldDoc {
                name: e.name().to_string(),
                description,
                example,
                aliases,
            }
        };
        fields.push(doc);
    }

    let mut placeholders = Placeholders::default();
    for p in &m.placeholders {
        placeholders.decode_layer(*p, problems);
    }

    let mut settings = Settings {
        max_age_days: 30,
        negations: Vec::new(),
        vocabulary: Default::default(),
    };
    let file = m.files.last().copied().unwrap_or(0);
    let mut s = Entries::from_items(m.settings.clone(), file, Pos::new(1, 1));
    if let Some(n) = s.number("max_age_days", problems) {
        settings.max_age_days = n.min(u64::from(u32::MAX)) as u32;
    }
    if let Some(n) = s.take("negations").and_then(|e| e.texts(problems)) {
        settings.negations = n.into_iter().map(|(t, _)| t.to_string()).collect();
    }
    decode_vocabulary(&mut s, &mut settings, problems);
    s.finish(SETTINGS_KEYS, "`settings`", problems);

    let mut rules_out = Vec::new();
    // Rules that are whole (they have a kind): what a misspelt override most likely meant.
    let whole: Vec<&str> = m
        .rules
        .iter()
        .filter(|(_, entries, _, _)| entries.iter().any(|e| e.name() == "kind"))
        .map(|(rid, ..)| rid.as_str())
        .collect();
    for (rid, entries, pos, rfile) in &m.rules {
        if !entries.iter().any(|e| e.name() == "kind") {
            let hint = suggest::hint(rid, whole.iter().copied());
            problems.push(
                *rfile,
                *pos,
                format!("rule `{rid}` is no rule this policy inherits, and a new rule needs `kind:`{hint}"),
            );
            continue;
        }
        if let Some(rule) = decode_rule(rid, entries, *pos, *rfile, kinds, sources, problems) {
            rules_out.push(rule);
        }
    }
    if problems.list.len() > before {
        return None;
    }
    placeholders.learn();
    for rule in &rules_out {
        rule.check.teach(&mut placeholders);
    }
    Some(Policy {
        id: id.to_string(),
        description,
        is_abstract,
        files: m
            .files
            .iter()
            .map(|f| sources.name(*f).to_string())
            .collect(),
        fields,
        placeholders,
        settings,
        rules: rules_out,
    })
}

fn decode_rule(
    id: &str,
    entries: &[Entry<'_>],
    pos: Pos,
    file: FileId,
    kinds: Kinds<'_>,
    sources: &Sources,
    p: &mut Problems,
) -> Option<Rule> {
    let mut e = Entries::from_items(entries.to_vec(), file, pos);
    let what = format!("rule `{id}`");
    let kind_entry = e.require("kind", &what, p);
    let kind = kind_entry.and_then(|k| k.text(p)).map(str::to_string);
    let severity = match e.take("severity") {
        Some(s) => {
            let text = s.text(p)?;
            match text.parse::<Severity>() {
                Ok(sev) => Some(sev),
                Err(msg) => {
                    s.problem(p, msg);
                    None
                }
            }
        }
        None => Some(Severity::Error),
    };
    let enabled = e.boolean("enabled", p).unwrap_or(true);
    let waivable = e.boolean("waivable", p).unwrap_or(true);
    let summary = e.text("summary", p).unwrap_or_default().to_string();
    let message = e.text("message", p).map(str::to_string);
    let fix = e.text("fix", p).map(str::to_string);
    let doc = e.text("doc", p).unwrap_or_default().to_string();
    let mut files: Vec<FileId> = entries.iter().map(|x| x.file).collect();
    files.sort_unstable();
    files.dedup();
    let origin = files
        .iter()
        .map(|f| sources.name(*f))
        .collect::<Vec<_>>()
        .join(" + ");
    let kind = kind?;
    let Some(spec) = kinds.get(&kind) else {
        let hint = suggest::hint(&kind, kinds.ids());
        if let Some(k) = kind_entry {
            k.problem(p, format!("unknown rule kind `{kind}`{hint}"));
        }
        return None;
    };
    let before = p.list.len();
    let check = (spec.decode)(&mut e, p);
    if check.is_none() && p.list.len() == before {
        // A kind that refuses a rule says why; one that does not must not drop it silently.
        p.push(
            file,
            pos,
            format!("{what} (kind `{kind}`) could not be read"),
        );
    }
    e.finish(
        &[COMMON_KEYS, spec.keys].concat(),
        &format!("{what} (kind `{kind}`)"),
        p,
    );
    Some(Rule {
        id: id.to_string(),
        kind,
        severity: severity?,
        enabled,
        summary,
        message,
        fix,
        doc,
        // A credential found is rotated, never accepted, and a waiver cannot waive waivers:
        // the kind says so (`Kind::waivable`), and no policy can say otherwise.
        waivable: waivable && check.as_ref().is_none_or(|c| c.waivable()),
        check: check?,
        origin,
    })
}

/// The claim vocabulary of `settings`: word lists split into phrases, regex lists compiled.
fn decode_vocabulary(s: &mut Entries<'_>, settings: &mut Settings, problems: &mut Problems) {
    use crate::rules::claims::detect::phrases;
    let mut list = |key: &str, problems: &mut Problems| -> Vec<String> {
        s.take(key)
            .and_then(|e| e.texts(problems))
            .map(|v| v.into_iter().map(|(t, _)| t.to_string()).collect())
            .unwrap_or_default()
    };
    let determiners = list("negating_determiners", problems);
    let hedges = list("hedges", problems);
    let epistemic = list("epistemic", problems);
    let v = &mut settings.vocabulary;
    v.negations = phrases(&settings.negations);
    v.determiners = phrases(&determiners);
    v.hedges = phrases(&hedges);
    v.epistemic = phrases(&epistemic);
    for key in ["subjects", "own", "models"] {
        let Some(entry) = s.take(key) else { continue };
        let Some(items) = entry.texts(problems) else {
            continue;
        };
        let source = crate::rules::ascii_word_boundaries(&format!(
            "(?i)\\b(?:{})\\b",
            items
                .iter()
                .map(|(t, _)| format!("(?:{t})"))
                .collect::<Vec<_>>()
                .join("|")
        ));
        match crate::rules::compiled(&source, || regex::Regex::new(&source)) {
            Ok(re) if key == "subjects" => settings.vocabulary.subjects = Some(re),
            Ok(re) if key == "own" => settings.vocabulary.own = Some(re),
            Ok(re) => settings.vocabulary.models = Some(re),
            Err(e) => entry.problem(problems, format!("`{key}` is not a valid regex list: {e}")),
        }
    }
}
