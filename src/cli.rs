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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    BudgetChange,
    CostTrace,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Repository config file (default: .packetgate.yml in the current folder, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge packets: files or folders (default: the config's globs, else the current folder).
    Check(CheckArgs),
    /// List the rules in effect, with ids, kinds and severities.
    Rules {
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
        #[arg(value_enum)]
        kind: Kind,
        /// Markdown with YAML front matter instead of plain YAML.
        #[arg(long)]
        markdown: bool,
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
    pub max_age_days: Option<u32>,
    /// Colour in the human report.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    #[command(flatten)]
    pub config: ConfigArgs,
}
