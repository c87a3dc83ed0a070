//! What differs from one code forge to the next, behind one small trait: how a change's files
//! are listed and a file read at a commit through the forge's API, how the verdict is
//! published, and what the run leaves on the runner. Everything else — git, the base branch's
//! config, head versions, judging, rendering, the exit code — is the gate's own
//! ([`super::judge`]).

use super::changes::Changes;
use super::render::View;
use std::fmt;

/// A code forge the gate runs on: GitHub today (`github::GitHub`).
///
/// A second forge (GitLab merge requests, say) reads its own event and settings, builds a
/// [`super::Change`] and a [`super::Options`], and implements these four methods over its
/// own API client and CI runner: the merge request's file list ([`Forge::list_files`]), a
/// file at a commit ([`Forge::read_file`]), the verdict as a commit status and a note or
/// discussion ([`Forge::publish`]), and the job's traces ([`Forge::write_outputs`]), plus
/// its name and file-list cap. The flow in [`super::judge`] then runs unchanged, git
/// fallbacks and exit code included. What stays the forge's own: reading its event and
/// settings, and posting a failing verdict when [`Unjudged`] stops the flow.
pub(crate) trait Forge {
    /// The forge's name, as notices say it ("GitHub").
    const NAME: &'static str;
    /// The most files [`Forge::list_files`] can list; past it the flow asks git.
    const MAX_FILES: usize;

    /// One kind of thing [`Forge::publish`] sends (GitHub: check run, comment, review, line
    /// comments), as the forge names it in its traces.
    type Step: Copy + fmt::Debug + fmt::Display;

    /// The change request's files as the forge's API lists them: paths, statuses, blob ids
    /// at the head and the diff's lines, with `complete: false` past the forge's cap (the
    /// flow then asks git). [`ForgeError::NoToken`] when the run cannot call the API: the flow
    /// diffs with git instead.
    fn list_files(&self) -> Result<Changes, ForgeError>;

    /// A file's text at a commit through the forge's API (for a clone that lacks the
    /// commit); `Ok(None)` when the commit has no such file. `what` names the read in errors
    /// ("reading the base branch's config").
    fn read_file(&self, path: &str, commit: &str, what: &str)
        -> Result<Option<String>, ForgeError>;

    /// Sends the verdict (or, in a dry run, prints what would be sent), one delivery per
    /// thing sent. `changes` carries the diff's lines, for comments on them.
    fn publish(&self, view: &View<'_>, changes: Option<&Changes>) -> Vec<(Self::Step, Delivery)>;

    /// The run's traces on the CI runner: what was delivered, the findings again when the
    /// verdict could not be posted, the job summary, the step outputs.
    fn write_outputs(&self, view: &View<'_>, deliveries: &[(Self::Step, Delivery)]);
}

/// Why a forge's API did not answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ForgeError {
    /// The run has no token for the API (a dry run, a fork's workflow without one).
    #[error("no token")]
    NoToken,
    /// The API was asked and failed.
    #[error(transparent)]
    Failed(anyhow::Error),
}

/// What became of one thing the gate meant to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    Sent(String),
    Skipped(String),
    /// The token may not write it (fork pull requests, read-only tokens).
    Refused(String),
    Failed(String),
}

impl Delivery {
    pub(crate) fn describe(&self) -> String {
        match self {
            Delivery::Sent(s) => format!("sent: {s}"),
            Delivery::Skipped(s) => format!("not sent: {s}"),
            Delivery::Refused(s) => format!("refused: {s}"),
            Delivery::Failed(s) => format!("failed: {s}"),
        }
    }
}

/// Why nothing could be judged: carried through `anyhow` to the forge's front end, which
/// still leaves a failing verdict on the commit (a required check must never sit missing).
#[derive(Debug, thiserror::Error)]
#[error("{title}: {detail}")]
pub(crate) struct Unjudged {
    /// Names the limit: "more files than GitHub lists (3,000) …".
    pub title: String,
    pub detail: String,
}
