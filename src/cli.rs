//! Command-line definitions (clap). Parsing only: `app` turns these into a plan and runs it.

use crate::report::Format;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "packetgate",
    version,
    about = "Gate AI API token-budget packets: policy rules, evidence freshness, line-accurate findings.",
    after_help = "Exit codes: 0 every packet passes, 1 a packet fails, 2 usage or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// A number of days: a whole number, 0 or more (a negative one is read as a value, so the
/// message says what is wrong with it rather than calling it an unknown flag).
fn days(s: &str) -> Result<u32, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("{n} is negative; give a number of days, 0 or more")),
        Ok(n) => u32::try_from(n).map_err(|_| format!("{n} days is too many")),
        Err(_) => Err(format!("`{s}` is not a whole number of days")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

impl From<FailOn> for crate::finding::Severity {
    fn from(f: FailOn) -> Self {
        match f {
            FailOn::Error => crate::finding::Severity::Error,
            FailOn::Warning => crate::finding::Severity::Warning,
        }
    }
}

/// How `packetgate rules` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Which packets `packetgate github` judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    /// The packets the event changed (every packet for `schedule` and `workflow_dispatch`).
    Changed,
    /// Every packet on the branch.
    All,
}

/// What `packetgate github` says on the pull request besides the check run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommentMode {
    /// One comment, found again and edited in place on every run.
    Sticky,
    /// The sticky comment, plus a review requesting changes while packets fail (dismissed
    /// once they pass).
    Review,
    /// The sticky comment, plus review comments on the lines of the diff.
    Inline,
    /// No comment: the check run only.
    Off,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Repository config file (default: the first .packetgate.yml in the folder of the first
    /// path given, else the current folder, or above it up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge packets: files or folders (default: the config's globs, else the current folder).
    Check(CheckArgs),
    /// Judge every packet and report their health by owner: failing packets, evidence going
    /// stale, waivers running out (`audit merge` combines shard reports).
    Audit(AuditArgs),
    /// The pull-request gate (the GitHub Action's entry point): judge the packets the event
    /// changed, publish a check run and a sticky comment, write the job summary and outputs.
    Github(GithubArgs),
    /// List the rules in effect: id, type, and the severity in each packet kind.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: ListFormat,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Explain one rule: what it checks, why, and an example.
    Explain {
        /// A rule id, as printed in findings (e.g. bc-required).
        rule_id: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print a template packet to fill in.
    New {
        /// The packet kind: budget-change, cost-trace, or a kind a repository policy adds.
        kind: String,
        /// Markdown with YAML front matter instead of plain YAML.
        #[arg(long)]
        markdown: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print a shell completion script: `packetgate completions bash > ~/.local/share/bash-completion/completions/packetgate`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `packetgate manpage > packetgate.1`.
    Manpage,
    /// Print a JSON Schema (draft-07) of the packet kinds, generated from the policies in
    /// effect, for editors with the YAML language server.
    Schema {
        /// Only this kind (e.g. budget-change, cost-trace, or a kind a repository policy adds).
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Packet files or folders to check.
    pub paths: Vec<PathBuf>,
    /// Only packets added, modified or renamed between REF and HEAD (per git).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Do not open any link (date rules still apply; the report says links were not opened).
    #[arg(long)]
    pub offline: bool,
    /// Cache successful link checks in FILE and reuse them (overrides `links.cache.path`).
    #[arg(long, value_name = "FILE")]
    pub link_cache: Option<std::path::PathBuf>,
    /// The day every date rule is judged against (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// Lowest severity that fails a packet (default: the config's, else error).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Freshness window in days for every date rule (overrides config and policies).
    #[arg(long, value_name = "DAYS")]
    #[arg(allow_negative_numbers = true, value_parser = days)]
    pub max_age_days: Option<u32>,
    /// Colour in the human report.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Repair what is mechanical, in place, then judge again: tracking parameters out of
    /// links, enum values in their canonical case, `https://` for provider docs hosts.
    /// Comments, order and formatting stay as they are.
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Show what --fix would change, as a unified diff, and write nothing (exit 1 when
    /// there is something to fix).
    #[arg(long)]
    pub diff: bool,
    /// Also write a report to FILE, in --output-format (json by default), in the same run:
    /// a machine-readable report beside the human one, as CI wants.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// The format of --output-file.
    #[arg(long, value_enum, requires = "output_file", value_name = "FORMAT")]
    pub output_format: Option<Format>,
    /// Print findings and the verdict line only: no progress bar, no passing packets, no
    /// link table or notes.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip named files that are not packets, as a folder scan does (for pre-commit hooks,
    /// which pass every staged YAML and Markdown file).
    #[arg(long)]
    pub only_packets: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, clap::Args)]
pub struct GithubArgs {
    /// Only folders or files under these paths (default: every packet the event changed).
    pub paths: Vec<PathBuf>,
    /// Print the check run and comment that would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `changed`: the packets the event changed; `all`: every packet (as `schedule` does).
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,
    /// The event payload (default: $GITHUB_EVENT_PATH).
    #[arg(long, value_name = "FILE")]
    pub event: Option<PathBuf>,
    /// The event name (default: $GITHUB_EVENT_NAME, else pull_request).
    #[arg(long, value_name = "NAME")]
    pub event_name: Option<String>,
    /// The check run's name, as branch protection requires it (default: packetgate).
    #[arg(long, value_name = "NAME")]
    pub check_name: Option<String>,
    /// What to post on the pull request besides the check run (default: sticky).
    #[arg(long, value_enum)]
    pub comment_mode: Option<CommentMode>,
    /// Do not open any link.
    #[arg(long)]
    pub offline: bool,
    /// Freshness window in days for every date rule.
    #[arg(long, value_name = "DAYS")]
    #[arg(allow_negative_numbers = true, value_parser = days)]
    pub max_age_days: Option<u32>,
    /// Lowest severity that fails a packet.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// The day date rules are judged against (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// Cache successful link checks in FILE.
    #[arg(long, value_name = "FILE")]
    pub link_cache: Option<PathBuf>,
    /// Where to write the JSON report (default: $RUNNER_TEMP/packetgate-report.json).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// How `packetgate audit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Health by owner, as text.
    Human,
    /// The JSON contract of `check`, plus `audit` and `health`.
    Json,
    /// The packet-health dashboard (GitHub Markdown, with a Mermaid chart).
    Markdown,
}

/// A shard, `I/N`: checked when parsed, so a bad one is a usage error (exit 2).
fn shard(s: &str) -> Result<crate::audit::shard::Shard, String> {
    s.parse()
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    #[command(flatten)]
    pub run: AuditRunArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Combine shard reports (`audit --shard I/N --format json`) into the report one
    /// unsharded run writes.
    Merge(AuditMergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct AuditRunArgs {
    /// Packet files or folders (default: the config's globs, else the current folder; a
    /// folder named `merge` is written `./merge`).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: AuditFormat,
    /// Judge only shard I of N (1-based): a stable partition by a hash of each packet's
    /// repository and path.
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub shard: Option<crate::audit::shard::Shard>,
    /// Do not open any link.
    #[arg(long)]
    pub offline: bool,
    /// Cache successful link checks in FILE and reuse them.
    #[arg(long, value_name = "FILE")]
    pub link_cache: Option<PathBuf>,
    /// The day every date rule is judged against (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// Lowest severity that fails a packet (default: the config's, else error).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Freshness window in days for every date rule (overrides config and policies).
    #[arg(long, value_name = "DAYS")]
    #[arg(allow_negative_numbers = true, value_parser = days)]
    pub max_age_days: Option<u32>,
    /// The repository the packets belong to, for links in the dashboard (default:
    /// $GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repository: Option<String>,
    /// The commit the packets are read at (default: $GITHUB_SHA, else `git rev-parse HEAD`).
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Also write the report to FILE, in --output-format (json by default).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// The format of --output-file.
    #[arg(long, value_enum, requires = "output_file", value_name = "FORMAT")]
    pub output_format: Option<AuditFormat>,
    /// Audit other repositories through the GitHub API instead of the working tree: `org:NAME`
    /// (every repository of the org but archived ones) or a FILE with one `owner/name` per line.
    /// Each is read at its default branch with its own config; `--shard` then partitions the
    /// repositories. Needs $GITHUB_TOKEN.
    #[arg(long, value_name = "FILE|org:NAME", conflicts_with_all = ["paths", "repository", "commit"])]
    pub repos: Option<String>,
    #[command(flatten)]
    pub publish: PublishArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Publishing the dashboard as the sticky issue.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Keep the "Packet health" issue up to date with this report: opened or edited while a
    /// packet fails, closed once every packet is healthy. Needs $GITHUB_TOKEN with
    /// `issues: write` on the issue's repository.
    #[arg(long)]
    pub publish_issue: bool,
    /// The repository of the issue (default: $GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME", requires = "publish_issue")]
    pub issue_repo: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AuditMergeArgs {
    /// Shard reports: JSON written by `packetgate audit --format json`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: AuditFormat,
    /// Also write the merged report to FILE, in --output-format (json by default).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// The format of --output-file.
    #[arg(long, value_enum, requires = "output_file", value_name = "FORMAT")]
    pub output_format: Option<AuditFormat>,
    #[command(flatten)]
    pub publish: PublishArgs,
    /// The config the shards were judged with (default: found as `check` finds it). Its
    /// digest must be the shards'; the dashboard's mentions come from it, not the reports.
    #[command(flatten)]
    pub config: ConfigArgs,
}
