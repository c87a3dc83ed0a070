//! Repository configuration (`.packetgate.yml`) and the policies it brings in.
//!
//! First stage of the flow: everything here is read and validated in full — config keys,
//! globs, every policy file — before a single packet is opened. A broken config is one
//! error listing every problem with its file and line (exit code 2), never a partial run.

pub mod decode;
pub mod policy;

use crate::finding::Severity;
use crate::packet::LoadLimits;
use crate::rules::{secrets, KindSpec, Kinds};
use decode::{Entries, Problems, Sources};
use globset::{Glob, GlobBuilder, GlobMatcher};
use policy::{Documents, Policy};
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use crate::place::CONFIG_FILE;
const CONFIG_KEYS: &[&str] = &[
    "policies",
    "packets",
    "exclude",
    "max_age_days",
    "fail_on",
    "limits",
    "links",
    "waivers",
    "freshness",
    "owners",
];
const PACKETS_KEYS: &[&str] = &["path", "kind"];
const LIMITS_KEYS: &[&str] = &[
    "max_file_bytes",
    "max_packets",
    "max_links_per_packet",
    "run_budget_secs",
];

/// Bounds on a whole run (`limits:`), so it ends in bounded time and memory; what they cut
/// off is a finding, never silently dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    pub max_packets: usize,
    pub max_links_per_packet: usize,
    pub run_budget: std::time::Duration,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            max_packets: 20_000,
            max_links_per_packet: 100,
            run_budget: std::time::Duration::from_secs(900),
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration ({} problem{}):\n{problems}", problems.0.len(), if problems.0.len() == 1 { "" } else { "s" })]
    Invalid { problems: decode::ProblemList },
}

/// A glob that marks files as packets, optionally of a given kind.
#[derive(Debug, Clone)]
pub struct PacketGlob {
    pub pattern: String,
    pub matcher: GlobMatcher,
    pub kind: Option<String>,
    /// Where the kind was written, for config errors.
    kind_at: Option<(decode::FileId, crate::yaml::Pos)>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The folder paths in the config are relative to (the config file's folder).
    pub root: PathBuf,
    /// The config file, when there is one.
    pub file: Option<PathBuf>,
    pub packets: Vec<PacketGlob>,
    pub exclude: Vec<GlobMatcher>,
    /// Overrides every policy's freshness window.
    pub max_age_days: Option<u32>,
    pub fail_on: Severity,
    pub limits: LoadLimits,
    pub run_limits: RunLimits,
    pub policies: Vec<Policy>,
    /// How links are opened (`links:`).
    pub links: crate::links::LinkSettings,
    /// Waivers for the packets a glob matches (`waivers:`).
    pub waivers: Vec<crate::waivers::model::ConfigWaiver>,
    /// `waivers.max_days`: how long a waiver may run, over the policies' `waiver-too-long`.
    pub waiver_max_days: Option<u32>,
    /// `freshness.warn_before_days`: over the policies' `evidence-expiring`.
    pub warn_before_days: Option<u32>,
    /// The secrets written in the config file, found as in a packet: what its waivers say is
    /// printed with findings, masked with this.
    pub masker: crate::rules::secrets::Masker,
    /// `owners:`: a packet's `owner` → the GitHub user or team the audit dashboard mentions.
    pub owners: std::collections::BTreeMap<String, String>,
}

impl Config {
    /// Kinds a packet may declare (non-abstract policies).
    pub fn kinds(&self) -> Vec<&str> {
        self.policies
            .iter()
            .filter(|p| !p.is_abstract)
            .map(|p| p.id.as_str())
            .collect()
    }

    pub fn policy(&self, kind: &str) -> Option<&Policy> {
        self.policies
            .iter()
            .find(|p| p.id == kind && !p.is_abstract)
    }

    /// The glob entry that claims a path (relative to the root), if any.
    pub fn glob_for(&self, rel: &Path) -> Option<&PacketGlob> {
        self.packets.iter().find(|g| g.matcher.is_match(rel))
    }

    pub fn excluded(&self, rel: &Path) -> bool {
        self.exclude.iter().any(|g| g.is_match(rel))
    }
}

fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g: Glob| g.compile_matcher())
        .map_err(|e| e.kind().to_string())
}

/// Reads a config or policy file by path. The working tree's files for `packetgate check`;
/// the base branch's for the pull-request gate, so a pull request cannot rewrite the
/// policy that judges it.
pub type Reader<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

fn read_file(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

/// Loads the config: the file given, else `.packetgate.yml` in `root` if present, else
/// built-ins only.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
    load_with_kinds(root, explicit, &[])
}

/// [`load`], with rule kinds of the caller's own besides the built-in ones: a library user's
/// policies may name them in `kind:` (`tests/rule_kind.rs` adds one).
///
/// # Panics
///
/// When one of `kinds` has the id of another kind, built-in or given.
pub fn load_with_kinds(
    root: &Path,
    explicit: Option<&Path>,
    kinds: &[&KindSpec],
) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(root.join(CONFIG_FILE)).filter(|p| p.is_file()),
    };
    let file = match path {
        Some(path) => {
            let text = read_file(&path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            Some((path, text))
        }
        None => None,
    };
    load_from_with(root, file, &read_file, Kinds::with(kinds))
}

/// Loads a config whose text is already read (`None`: built-ins only); policy files it
/// names are read through `read`.
pub fn load_from(
    root: &Path,
    file: Option<(PathBuf, String)>,
    read: Reader<'_>,
) -> Result<Config, ConfigError> {
    load_from_with(root, file, read, Kinds::BUILTIN)
}

fn load_from_with(
    root: &Path,
    file: Option<(PathBuf, String)>,
    read: Reader<'_>,
    kinds: Kinds<'_>,
) -> Result<Config, ConfigError> {
    let mut sources = Sources::default();
    let mut problems = Problems::default();
    let path = file.as_ref().map(|(p, _)| p.clone());
    let mut config = Config {
        root: root.to_path_buf(),
        file: path.clone(),
        packets: Vec::new(),
        exclude: Vec::new(),
        max_age_days: None,
        fail_on: Severity::Error,
        limits: LoadLimits::default(),
        run_limits: RunLimits::default(),
        policies: Vec::new(),
        links: crate::links::LinkSettings::default(),
        waivers: Vec::new(),
        waiver_max_days: None,
        warn_before_days: None,
        owners: std::collections::BTreeMap::new(),
        masker: Default::default(),
    };
    let mut repo_policies: Vec<(String, String)> = Vec::new();
    let parsed;
    if let Some((path, text)) = &file {
        config.root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let file = sources.add(crate::place::display(path));
        parsed = crate::yaml::parse(text, crate::yaml::Limits::default());
        match &parsed {
            Err(e) => problems.push(file, e.pos, e.to_string()),
            Ok(doc) => {
                problems.duplicate_keys(file, doc);
                if let Some(root_node) = &doc.root {
                    if let Some(top) =
                        Entries::of(root_node, file, "the config file", &mut problems)
                    {
                        read_config(&mut config, top, &mut repo_policies, read, &mut problems);
                    }
                }
            }
        }
    }
    let docs = Documents::parse(&repo_policies, &mut sources, &mut problems);
    config.policies = docs.resolve_with(kinds, &sources, &mut problems);
    let defined = docs.kinds();
    for g in &config.packets {
        if let (Some(kind), Some((file, pos))) = (&g.kind, g.kind_at) {
            if !defined.contains(&kind.as_str()) {
                let hint = crate::suggest::hint(kind, defined.iter().copied());
                problems.push(
                    file,
                    pos,
                    format!(
                        "packets glob `{}` names kind `{kind}`, which no policy defines{hint}",
                        g.pattern
                    ),
                );
            }
        }
    }
    if !problems.is_empty() {
        // Problems quote the files (keys, patterns, hosts): a key written there is masked
        // as in a packet's findings.
        let mut files: Vec<(&str, &str)> = repo_policies
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        if let Some((path, text)) = &file {
            files.push((path.to_str().unwrap_or(CONFIG_FILE), text.as_str()));
        }
        let masker = files_masker(&files, &config.policies);
        let mut list = problems.render(&sources);
        for line in &mut list.0 {
            *line = masker.apply(line);
        }
        return Err(ConfigError::Invalid { problems: list });
    }
    if let Some((path, text)) = &file {
        config.masker = files_masker(
            &[(path.to_str().unwrap_or(CONFIG_FILE), text.as_str())],
            &config.policies,
        );
    }
    Ok(config)
}

/// The built-in policies alone (no repository config), decoded.
pub fn builtin_policies() -> Vec<Policy> {
    let mut sources = Sources::default();
    let mut problems = Problems::default();
    let docs = Documents::parse(&[], &mut sources, &mut problems);
    docs.resolve(&sources, &mut problems)
}

/// [`secrets::files_masker`] with the built-in policies, decoded only when there is a file
/// to mask.
fn files_masker(files: &[(&str, &str)], policies: &[Policy]) -> secrets::Masker {
    if files.is_empty() {
        return secrets::Masker::default();
    }
    secrets::files_masker(files, &builtin_policies(), policies)
}

fn read_config(
    config: &mut Config,
    mut top: Entries<'_>,
    repo_policies: &mut Vec<(String, String)>,
    read: Reader<'_>,
    p: &mut Problems,
) {
    if let Some(e) = top.take("policies") {
        for (rel, pos) in e.texts(p).unwrap_or_default() {
            let path = config.root.join(rel);
            match read(&path) {
                Ok(t) => repo_policies.push((crate::place::display(&path), t)),
                Err(err) => p.push(
                    e.file,
                    pos,
                    format!("cannot read policy file `{rel}`: {err}"),
                ),
            }
        }
    }
    if let Some(e) = top.take("packets") {
        match e.value.as_seq() {
            None => e.problem(p, "`packets` must be a list of `{path: GLOB, kind: KIND}`"),
            Some(items) => {
                for item in items {
                    let sub = decode::Entry {
                        key: e.key,
                        value: item,
                        file: e.file,
                    };
                    let Some(mut m) = sub.map("a `packets` entry", p) else {
                        continue;
                    };
                    let pattern = m
                        .require("path", "a `packets` entry", p)
                        .and_then(|x| x.text(p).map(|t| (t, x)));
                    let kind_entry = m.take("kind");
                    let kind = kind_entry.and_then(|k| k.text(p)).map(str::to_string);
                    let kind_at = kind_entry.map(|k| (k.file, k.value.pos));
                    m.finish(PACKETS_KEYS, "a `packets` entry", p);
                    if let Some((pattern, entry)) = pattern {
                        match glob(pattern) {
                            Ok(matcher) => config.packets.push(PacketGlob {
                                pattern: pattern.to_string(),
                                matcher,
                                kind,
                                kind_at,
                            }),
                            Err(msg) => entry.problem(p, format!("bad glob `{pattern}`: {msg}")),
                        }
                    }
                }
            }
        }
    }
    if let Some(e) = top.take("exclude") {
        for (pattern, pos) in e.texts(p).unwrap_or_default() {
            match glob(pattern) {
                Ok(m) => config.exclude.push(m),
                Err(msg) => p.push(e.file, pos, format!("bad glob `{pattern}`: {msg}")),
            }
        }
    }
    if let Some(n) = top.number("max_age_days", p) {
        config.max_age_days = Some(n.min(u64::from(u32::MAX)) as u32);
    }
    if let Some(e) = top.take("fail_on") {
        if let Some(t) = e.text(p) {
            match t.parse::<Severity>() {
                Ok(s) if s != Severity::Notice => config.fail_on = s,
                Ok(_) => e.problem(p, "`fail_on` must be `error` or `warning`"),
                Err(msg) => e.problem(p, msg),
            }
        }
    }
    if let Some(e) = top.take("limits") {
        if let Some(mut m) = e.map("`limits`", p) {
            if let Some(n) = m.number("max_file_bytes", p) {
                config.limits.max_file_bytes = n;
            }
            let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX).max(1);
            if let Some(n) = m.number("max_packets", p) {
                config.run_limits.max_packets = size(n);
            }
            if let Some(n) = m.number("max_links_per_packet", p) {
                config.run_limits.max_links_per_packet = size(n);
            }
            if let Some(n) = m.number("run_budget_secs", p) {
                config.run_limits.run_budget = std::time::Duration::from_secs(n);
            }
            m.finish(LIMITS_KEYS, "`limits`", p);
        }
    }
    if let Some(e) = top.take("links") {
        crate::links::settings::decode(e, &mut config.links, p);
    }
    if let Some(e) = top.take("waivers") {
        read_waivers(config, e, p);
    }
    if let Some(e) = top.take("freshness") {
        if let Some(mut m) = e.map("`freshness`", p) {
            if let Some(n) = m.number("warn_before_days", p) {
                config.warn_before_days = Some(n.min(u64::from(u32::MAX)) as u32);
            }
            m.finish(&["warn_before_days"], "`freshness`", p);
        }
    }
    if let Some(e) = top.take("owners") {
        read_owners(config, e, p);
    }
    top.finish(CONFIG_KEYS, "the config file", p);
}

/// `owners:`, a mapping of packet owner → `@user` or `@org/team`.
fn read_owners(config: &mut Config, e: decode::Entry<'_>, p: &mut Problems) {
    if e.value.is_null() {
        return;
    }
    let Some(m) = e.map("`owners`", p) else {
        return;
    };
    for entry in &m.items {
        let Some(handle) = entry.text(p) else {
            continue;
        };
        let handle = handle.trim();
        if !valid_mention(handle) {
            entry.problem(
                p,
                format!(
                    "`owners.{}` is `{handle}`: write a GitHub user (`@name`) or team (`@org/team`)",
                    entry.key.text
                ),
            );
            continue;
        }
        config
            .owners
            .insert(entry.key.text.clone(), handle.to_string());
    }
}

/// `waivers:`, a list of waivers each with a `path` glob, or a mapping of `max_days` and
/// `list`. The shape is checked here (a broken one is a config error); what a waiver says
/// (owner, reason, expiry) is judged per packet, as a finding.
fn read_waivers(config: &mut Config, e: decode::Entry<'_>, p: &mut Problems) {
    let list = if e.value.as_map().is_some() {
        let Some(mut m) = e.map("`waivers`", p) else {
            return;
        };
        if let Some(n) = m.number("max_days", p) {
            config.waiver_max_days = Some(n.min(u64::from(u32::MAX)) as u32);
        }
        let list = m.take("list");
        m.finish(&["max_days", "list"], "`waivers`", p);
        match list {
            Some(l) => l,
            None => return,
        }
    } else {
        e
    };
    if list.value.is_null() {
        return;
    }
    let Some(items) = list.value.as_seq() else {
        list.problem(
            p,
            "`waivers` must be a list of `{path, rule, field, owner, reason, expires}`, or a mapping of `max_days` and `list`",
        );
        return;
    };
    for item in items {
        let (written, extra) = crate::waivers::model::read_entry(item, &["path"]);
        if let Some(kind) = written.not_a_map {
            p.push(
                list.file,
                item.pos,
                format!("a `waivers` entry is {kind}, not a mapping of `path`, `rule`, `owner`, `reason` and `expires`"),
            );
            continue;
        }
        for (key, pos) in &written.unknown {
            let keys: Vec<&str> = crate::waivers::model::KEYS
                .iter()
                .copied()
                .chain(["path"])
                .collect();
            let hint = crate::suggest::hint(key, keys.iter().copied());
            p.push(list.file, *pos, format!("`{key}` is no waiver key{hint}"));
        }
        let Some((_, path)) = extra.first() else {
            p.push(
                list.file,
                item.pos,
                "a config waiver needs `path`: a glob of the packets it applies to",
            );
            continue;
        };
        let Some(pattern) = path.as_str().filter(|t| !t.trim().is_empty()) else {
            p.push(list.file, path.pos, "a waiver's `path` must be a glob");
            continue;
        };
        match glob(pattern) {
            Ok(glob) => config.waivers.push(crate::waivers::model::ConfigWaiver {
                written,
                pattern: pattern.to_string(),
                glob,
            }),
            Err(msg) => p.push(list.file, path.pos, format!("bad glob `{pattern}`: {msg}")),
        }
    }
}

/// `@user` or `@org/team`, as GitHub spells them.
pub fn valid_mention(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('@') else {
        return false;
    };
    let (user, team) = match rest.split_once('/') {
        Some((u, t)) => (u, Some(t)),
        None => (rest, None),
    };
    let user_ok = (1..=39).contains(&user.len())
        && user.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !user.starts_with('-')
        && !user.ends_with('-');
    let team_ok = team.is_none_or(|t| {
        (1..=100).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    user_ok && team_ok
}
