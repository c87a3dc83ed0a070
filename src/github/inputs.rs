//! Settings of a `packetgate github` run: command-line flags first, then the action's inputs
//! as the runner passes them to a Docker action (`INPUT_TOKEN`, `INPUT_CONFIG`, … upper-cased,
//! underscores), then the standard `GITHUB_*` variables. Resolved once, before any work,
//! so a bad input is a usage error (exit 2) and not a half-finished run.

use super::api::{Api, ApiError};
use super::event::Event;
use crate::cli::{CommentMode, FailOn, GithubArgs, Scope};
use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub(crate) enum InputError {
    #[error("input `{name}` is `{value}`: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "no event: pass --event FILE or set GITHUB_EVENT_PATH (it is set inside GitHub Actions)"
    )]
    NoEvent,
    #[error("no token: set the action's `token` input or GITHUB_TOKEN (or use --dry-run)")]
    NoToken,
}

/// The API token. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(****)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub dry_run: bool,
    pub token: Option<Token>,
    pub event_path: PathBuf,
    pub event_name: String,
    pub repository: Option<String>,
    pub sha: Option<String>,
    pub api_url: String,
    pub server_url: String,
    pub workspace: Option<PathBuf>,
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub run_id: Option<String>,
    pub config: Option<PathBuf>,
    pub check_name: String,
    pub comment_mode: CommentMode,
    pub scope: Scope,
    pub offline: bool,
    pub max_age_days: Option<u32>,
    pub fail_on: Option<FailOn>,
    pub paths: Vec<PathBuf>,
    pub report: PathBuf,
    pub today: Option<String>,
    pub link_cache: Option<PathBuf>,
}

impl Settings {
    /// A link to the workflow run, when known.
    pub fn run_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/actions/runs/{}",
            self.server_url,
            self.repository.as_deref()?,
            self.run_id.as_deref()?
        ))
    }

    /// The API client for the event's repository (none without a token).
    pub fn api_for(&self, event: &Event) -> Result<Option<Api>, ApiError> {
        let Some(token) = &self.token else {
            return Ok(None);
        };
        Ok(Some(Api::new(
            &self.api_url,
            token.expose(),
            &event.owner,
            &event.repo,
        )?))
    }
}

fn flag(name: &'static str, value: &str) -> Result<bool, InputError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(InputError::Invalid {
            name,
            value: value.into(),
            expected: "use true or false",
        }),
    }
}

/// Resolves the settings. `env` reads one environment variable (empty counts as unset:
/// the runner passes inputs nobody set as empty strings).
pub(crate) fn resolve(
    args: &GithubArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, InputError> {
    let get = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let token = get("INPUT_TOKEN")
        .or_else(|| get("GITHUB_TOKEN"))
        .map(Token);
    if token.is_none() && !args.dry_run {
        return Err(InputError::NoToken);
    }
    let event_path = args
        .event
        .clone()
        .or_else(|| get("GITHUB_EVENT_PATH").map(PathBuf::from))
        .ok_or(InputError::NoEvent)?;
    let comment_mode = match (&args.comment_mode, get("INPUT_COMMENT_MODE")) {
        (Some(m), _) => *m,
        (None, Some(v)) => <CommentMode as clap::ValueEnum>::from_str(&v, true).map_err(|_| {
            InputError::Invalid {
                name: "comment_mode",
                value: v,
                expected: "use sticky, review, inline or off",
            }
        })?,
        (None, None) => CommentMode::Sticky,
    };
    let fail_on = match (args.fail_on, get("INPUT_FAIL_ON")) {
        (Some(f), _) => Some(f),
        (None, Some(v)) => Some(
            <FailOn as clap::ValueEnum>::from_str(&v, true).map_err(|_| InputError::Invalid {
                name: "fail_on",
                value: v,
                expected: "use error or warning",
            })?,
        ),
        (None, None) => None,
    };
    let max_age_days = match (args.max_age_days, get("INPUT_MAX_AGE_DAYS")) {
        (Some(n), _) => Some(n),
        (None, Some(v)) => Some(v.parse().map_err(|_| InputError::Invalid {
            name: "max_age_days",
            value: v,
            expected: "use a whole number of days",
        })?),
        (None, None) => None,
    };
    let scope = match (args.scope, get("INPUT_SCOPE")) {
        (Some(s), _) => s,
        (None, Some(v)) => {
            <Scope as clap::ValueEnum>::from_str(&v, true).map_err(|_| InputError::Invalid {
                name: "scope",
                value: v,
                expected: "use changed or all",
            })?
        }
        (None, None) => Scope::Changed,
    };
    let offline = args.offline
        || match get("INPUT_OFFLINE") {
            Some(v) => flag("offline", &v)?,
            None => false,
        };
    let paths = if args.paths.is_empty() {
        get("INPUT_PATHS")
            .map(|v| {
                v.split(['\n', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        args.paths.clone()
    };
    let report = args
        .report
        .clone()
        .or_else(|| get("INPUT_REPORT").map(PathBuf::from))
        .unwrap_or_else(|| {
            get("RUNNER_TEMP")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir)
                .join("packetgate-report.json")
        });
    Ok(Settings {
        dry_run: args.dry_run,
        token,
        event_path,
        event_name: args
            .event_name
            .clone()
            .or_else(|| get("GITHUB_EVENT_NAME"))
            .unwrap_or_else(|| "pull_request".into()),
        repository: get("GITHUB_REPOSITORY"),
        sha: get("GITHUB_SHA"),
        api_url: get("GITHUB_API_URL")
            .unwrap_or_else(|| "https://api.github.com".into())
            .trim_end_matches('/')
            .to_string(),
        server_url: get("GITHUB_SERVER_URL")
            .unwrap_or_else(|| "https://github.com".into())
            .trim_end_matches('/')
            .to_string(),
        workspace: get("GITHUB_WORKSPACE").map(PathBuf::from),
        step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        output: get("GITHUB_OUTPUT").map(PathBuf::from),
        run_id: get("GITHUB_RUN_ID"),
        config: args
            .config
            .config
            .clone()
            .or_else(|| get("INPUT_CONFIG").map(PathBuf::from)),
        check_name: args
            .check_name
            .clone()
            .or_else(|| get("INPUT_CHECK_NAME"))
            .unwrap_or_else(|| "packetgate".into()),
        comment_mode,
        scope,
        offline,
        max_age_days,
        fail_on,
        paths,
        report,
        today: args.today.clone(),
        link_cache: args.link_cache.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::collections::HashMap;

    fn settings(argv: &[&str], vars: &[(&str, &str)]) -> Result<Settings, InputError> {
        let cli = crate::cli::Cli::try_parse_from(
            std::iter::once("packetgate")
                .chain(std::iter::once("github"))
                .chain(argv.iter().copied()),
        )
        .unwrap();
        let crate::cli::Command::Github(args) = cli.command else {
            unreachable!()
        };
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(&args, &|k| vars.get(k).cloned())
    }

    #[test]
    fn inputs_fill_in_what_flags_leave_out() {
        let s = settings(
            &[],
            &[
                ("INPUT_TOKEN", ""),
                ("GITHUB_TOKEN", "ghs_x"),
                ("GITHUB_EVENT_PATH", "/e.json"),
                ("INPUT_COMMENT_MODE", "Review"),
                ("INPUT_OFFLINE", "true"),
                ("INPUT_MAX_AGE_DAYS", "14"),
                ("INPUT_FAIL_ON", "warning"),
                ("INPUT_CHECK_NAME", "budget gate"),
                ("INPUT_PATHS", "budgets/\nreviews/"),
                ("GITHUB_API_URL", "https://ghe.example/api/v3/"),
            ],
        )
        .unwrap();
        assert_eq!(s.token.as_ref().unwrap().expose(), "ghs_x");
        assert_eq!(format!("{:?}", s.token), "Some(Token(****))");
        assert_eq!(s.comment_mode, CommentMode::Review);
        assert!(s.offline);
        assert_eq!(s.max_age_days, Some(14));
        assert_eq!(s.fail_on, Some(FailOn::Warning));
        assert_eq!(s.check_name, "budget gate");
        assert_eq!(s.paths.len(), 2);
        assert_eq!(s.api_url, "https://ghe.example/api/v3");
        let s = settings(
            &["--comment-mode", "off", "--check-name", "x"],
            &[
                ("GITHUB_TOKEN", "t"),
                ("GITHUB_EVENT_PATH", "/e"),
                ("INPUT_COMMENT_MODE", "inline"),
            ],
        )
        .unwrap();
        assert_eq!(
            (s.comment_mode, s.check_name.as_str()),
            (CommentMode::Off, "x")
        );
    }

    #[test]
    fn bad_inputs_and_a_missing_token_are_errors() {
        let base = [("GITHUB_EVENT_PATH", "/e.json"), ("GITHUB_TOKEN", "t")];
        for (k, v) in [
            ("INPUT_OFFLINE", "maybe"),
            ("INPUT_MAX_AGE_DAYS", "-3"),
            ("INPUT_COMMENT_MODE", "loud"),
            ("INPUT_FAIL_ON", "notice"),
        ] {
            let mut vars = base.to_vec();
            vars.push((k, v));
            assert!(
                matches!(settings(&[], &vars), Err(InputError::Invalid { .. })),
                "{k}"
            );
        }
        assert!(matches!(
            settings(&[], &[("GITHUB_EVENT_PATH", "/e")]),
            Err(InputError::NoToken)
        ));
        assert!(settings(&["--dry-run"], &[("GITHUB_EVENT_PATH", "/e")]).is_ok());
    }
}
