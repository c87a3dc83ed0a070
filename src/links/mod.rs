//! The link phase: opens every distinct URL the checked packets cite and classifies it as
//! ok, dead, unverified or refused. It runs on its own thread beside evaluation (each packet
//! sends its links as it is judged) and ends before reporting;
//! [`crate::engine::apply_links`] turns results into findings through the policies' `link`
//! rules.
//!
//! Each distinct URL (fragment stripped) is fetched once per run. Requests are bounded by a
//! global and a per-host limit, retried only when retrying can help, and the whole phase has
//! a time budget. Nothing is sent to a private address unless the config allows it.

pub(crate) mod cache;
pub(crate) mod fetch;
pub(crate) mod guard;
mod iana;
mod schedule;
pub(crate) mod settings;

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub(crate) use settings::LinkSettings;

/// What opening a link found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Dead,
    Unverified,
    Refused,
    /// Matched `links.exclude`: not opened.
    Excluded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Dead => "dead",
            Status::Unverified => "unverified",
            Status::Refused => "refused",
            Status::Excluded => "excluded",
        }
    }
}

/// One distinct URL and what became of it. Serialized as-is in the JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct LinkResult {
    pub url: String,
    pub status: Status,
    /// The last HTTP status seen (none when no response came).
    pub http_status: Option<u16>,
    /// Where the redirects ended (the URL itself when there were none).
    pub final_url: Option<String>,
    pub reason: String,
    /// HTTP requests sent for this URL: every hop and every retry.
    pub attempts: u32,
    pub ms: u64,
    pub cached: bool,
    /// How many citations in the checked packets point at it.
    pub cited: usize,
    /// A redirect hop that carries tracking parameters (the link works, but is not clean).
    pub tracking_hop: Option<String>,
    /// The phase's time budget ran out before the link could be checked (not started, a
    /// request cut short, or a retry not sent): a failing `limit-time` finding, never a
    /// warning, since evidence that was not checked cannot pass.
    pub out_of_time: bool,
}

impl LinkResult {
    pub fn new(url: &str) -> Self {
        LinkResult {
            url: url.to_string(),
            status: Status::Unverified,
            http_status: None,
            final_url: None,
            reason: String::new(),
            attempts: 0,
            ms: 0,
            cached: false,
            cited: 0,
            tracking_hop: None,
            out_of_time: false,
        }
    }
}

/// The whole phase's outcome.
#[derive(Debug, Clone, Default)]
pub struct LinkReport {
    /// By key ([`key`]), sorted.
    pub results: BTreeMap<String, LinkResult>,
    pub elapsed: Duration,
}

impl LinkReport {
    pub fn count(&self, status: Status) -> usize {
        self.results.values().filter(|r| r.status == status).count()
    }
}

/// The key a URL is fetched under: parsed, normalised, fragment stripped. `None` for
/// anything that is not an http(s) URL (other schemes are the `url-https` rule's business).
pub(crate) fn key(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url.to_string())
}

/// How the phase is run.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunOptions {
    /// Query parameters that mark a tracking URL (from the policies' `no-tracking` rules).
    pub tracking_params: Vec<String>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Overrides `links.cache.path`.
    pub cache_path: Option<std::path::PathBuf>,
}

/// A running link phase. It is started before the config is read, so the system's root
/// certificates load while the policies compile; then URLs are fed in while packets are
/// still being judged, so the first requests leave as soon as the first packet is read.
/// [`Phase::finish`] waits for the rest.
#[derive(Debug)]
pub(crate) struct Phase {
    setup: Option<tokio::sync::oneshot::Sender<(LinkSettings, RunOptions)>>,
    sink: Option<Sink>,
    thread: std::thread::JoinHandle<anyhow::Result<Vec<LinkResult>>>,
    start: Instant,
}

/// One link a packet cites: its key ([`key`]) and whether a field cites it (evidence) rather
/// than prose.
pub(crate) type Cited = (String, bool);

/// Where URLs to open are sent (cheap to clone, one per worker).
#[derive(Debug, Clone)]
pub struct Sink(tokio::sync::mpsc::UnboundedSender<Vec<Cited>>);

impl Sink {
    /// Queues one packet's links, in the order it cites them; a URL is opened once however
    /// many packets cite it. The packets share the time budget fairly (see `schedule`).
    pub fn send_packet(&self, links: Vec<Cited>) {
        // A phase that could not start drops the URLs; finish() reports why.
        let _ = self.0.send(links);
    }
}

impl Phase {
    /// Starts the link thread; it prepares TLS and waits for [`Phase::configure`]. Dropped
    /// without being configured (a config error), it ends without a request.
    pub(crate) fn prepare() -> Phase {
        let (setup_tx, setup_rx) = tokio::sync::oneshot::channel();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("links".into())
            .spawn(move || fetch::run(setup_rx, rx))
            .expect("spawn the link thread");
        Phase {
            setup: Some(setup_tx),
            sink: Some(Sink(tx)),
            thread,
            start: Instant::now(),
        }
    }

    /// Hands the settings over; fetching starts with the first URL sent.
    pub(crate) fn configure(&mut self, settings: &LinkSettings, opts: RunOptions) {
        if let Some(setup) = self.setup.take() {
            let _ = setup.send((settings.clone(), opts));
        }
        self.start = Instant::now();
    }

    pub(crate) fn sink(&self) -> Option<Sink> {
        self.sink.clone()
    }

    /// Closes the feed, waits for every URL, and counts the citations (from the packets).
    pub(crate) fn finish(mut self, cited: &BTreeMap<String, usize>) -> anyhow::Result<LinkReport> {
        drop(self.sink.take());
        drop(self.setup.take());
        let fetched = self
            .thread
            .join()
            .map_err(|_| anyhow::anyhow!("the link checker stopped unexpectedly"))??;
        let mut results = BTreeMap::new();
        for mut r in fetched {
            r.cited = cited.get(&r.url).copied().unwrap_or(0);
            results.insert(r.url.clone(), r);
        }
        Ok(LinkReport {
            results,
            elapsed: self.start.elapsed(),
        })
    }
}
