//! packetgate: gates pull requests carrying AI API token-budget packets.
//!
//! The flow runs one way: [`config`] (repository config and policies) → [`discover`] (which
//! files are packets) → [`packet`] (parse with spans) → [`rules`] (evaluate the policy) →
//! [`links`] (open the cited links) → [`waivers`] (accepted findings) → [`report`] (render findings). [`engine`] strings the stages together.

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod confusables;
pub mod dates;
pub mod discover;
pub mod engine;
pub mod fieldpath;
pub mod finding;
pub mod fix;
pub mod gate;
pub mod git;
pub mod github;
pub mod interrupt;
pub mod links;
pub mod packet;
pub mod place;
pub mod progress;
pub mod report;
pub mod rules;
pub mod schema;
pub mod session;
pub mod suggest;
pub mod template;
pub mod text;
pub mod waivers;
pub mod yaml;
