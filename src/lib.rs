//! packetgate: gates pull requests carrying AI API token-budget packets.
//!
//! The flow runs one way: [`config`] (repository config and policies) → [`discover`] (which
//! files are packets) → [`packet`] (parse with spans) → [`rules`] (evaluate the policy) →
//! `links` (open the cited links) → `waivers` (accepted findings) → [`report`] (render
//! findings). [`engine`] strings the stages together; the `gate` runs them for a pull request
//! on any forge, and [`github`] is GitHub's side of it.
//!
//! The library's surface is deliberate and small: what the binary, the fuzz targets and the
//! integration tests drive. Loading a config (with extra rule kinds: [`rules::Kind`]),
//! finding and parsing packets, judging them and rendering the report; the YAML reader, dates
//! and findings those speak in; and the GitHub client pieces the org audit's tests exercise.
//! Everything else is `pub(crate)`, and `unreachable_pub` keeps it so.

// On the library alone (not in Cargo.toml's [lints]): test crates' helper modules are theirs.
#![warn(unreachable_pub)]

pub mod config;
pub mod confusables;
pub mod dates;
pub mod discover;
pub mod engine;
pub mod fieldpath;
pub mod finding;
pub mod github;
pub mod packet;
pub mod report;
pub mod rules;
pub mod schema;
pub mod template;
pub mod yaml;

mod app;
mod audit;
mod cli;
mod fix;
mod gate;
mod git;
mod interrupt;
mod links;
mod place;
mod progress;
mod session;
mod suggest;
mod text;
mod waivers;

/// The binary's entry: its command line, running it, and the exit codes.
pub use app::run;
pub use cli::Cli;
pub use session::Exit;
