//! Opening links: GET (many servers refuse HEAD), a bounded body prefix, redirects followed by
//! hand so every hop is checked again, retries only where they can help (408, 429, 5xx,
//! timeouts, dropped connections) with exponential backoff and `Retry-After`, a global and a
//! per-host limit, and a deadline for the whole phase.

use super::cache::Cache;
use super::guard::{Allow, DnsFailure, GuardedResolver};
use super::schedule::{Link, Schedule};
use super::settings::{expand_env, LinkSettings};
use super::{Cited, LinkResult, RunOptions, Status};
use anyhow::Context;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;
use tokio::sync::Semaphore;
use url::Url;

/// An honest user agent: who is asking, and which version.
pub(crate) const USER_AGENT: &str = concat!(
    "packetgate/",
    env!("CARGO_PKG_VERSION"),
    " (evidence link check; https://crates.io/crates/packetgate)"
);

/// The link thread: prepares TLS, waits for the settings, then opens every URL that arrives
/// on `urls` (one batch per packet; each distinct URL once), in the fair order of
/// [`super::schedule`], until the feed closes and every fetch is done. Results come back in
/// no particular order.
pub(crate) fn run(
    setup: oneshot::Receiver<(LinkSettings, RunOptions)>,
    urls: UnboundedReceiver<Vec<Cited>>,
) -> anyhow::Result<Vec<LinkResult>> {
    // The system's root certificates take a few milliseconds to load: do it now, while the
    // main thread reads the config.
    let tls = tls_config();
    // Waiting dominates, but handling a burst of responses (parsing, TLS) is real work:
    // one worker per core, at most two.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .context("starting the link checker")?;
    runtime.block_on(async move {
        let Ok((settings, opts)) = setup.await else {
            return Ok(Vec::new());
        };
        run_all(tls?, urls, &settings, &opts).await
    })
}

/// One TLS stack (rustls) with one crypto backend (ring), verifying against the platform's
/// root certificates; HTTP/1.1 only.
fn tls_config() -> anyhow::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .context("loading the system's root certificates")?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

struct Fetcher {
    client: reqwest::Client,
    settings: LinkSettings,
    allow: Arc<Allow>,
    tracking: Vec<String>,
    global: Semaphore,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    deadline: Instant,
}

async fn run_all(
    tls: rustls::ClientConfig,
    mut urls: UnboundedReceiver<Vec<Cited>>,
    settings: &LinkSettings,
    opts: &RunOptions,
) -> anyhow::Result<Vec<LinkResult>> {
    let allow = Arc::new(settings.allow.clone());
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would resolve names itself, past the guard.
        .no_proxy()
        .connect_timeout(settings.connect_timeout)
        .dns_resolver(Arc::new(GuardedResolver {
            allow: Arc::clone(&allow),
        }))
        .pool_max_idle_per_host(settings.per_host)
        .build()
        .context("building the HTTP client")?;
    let fetcher = Arc::new(Fetcher {
        client,
        settings: settings.clone(),
        allow,
        tracking: opts.tracking_params.clone(),
        global: Semaphore::new(settings.concurrency),
        hosts: Mutex::new(HashMap::new()),
        deadline: Instant::now() + settings.budget,
    });
    let mut cache = Cache::open(settings, opts.cache_path.as_deref());
    // Every key decided or started; queued ones wait in `schedule`.
    let mut seen = HashSet::new();
    let mut schedule = Schedule::default();
    let mut out = Vec::new();
    let mut set: tokio::task::JoinSet<(String, LinkResult)> = tokio::task::JoinSet::new();
    let mut feeding = true;
    let mut bar = crate::progress::Progress::new(opts.progress);
    loop {
        tokio::select! {
            packet = urls.recv(), if feeding => match packet {
                Some(packet) => {
                    let mut fresh = Vec::new();
                    for (url, evidence) in packet {
                        if seen.contains(&url) {
                            continue;
                        }
                        if settings.excluded(&url) {
                            seen.insert(url.clone());
                            let mut r = LinkResult::new(&url);
                            r.status = Status::Excluded;
                            r.reason = "excluded by `links.exclude`; not opened".into();
                            out.push(r);
                        } else if let Some(hit) = cache.as_ref().and_then(|c| c.fresh(&url)) {
                            seen.insert(url.clone());
                            out.push(hit);
                        } else {
                            fresh.push(fetcher.link(url, evidence));
                        }
                    }
                    schedule.add_packet(fresh);
                }
                None => feeding = false,
            },
            joined = set.join_next(), if !set.is_empty() => {
                if let Some(r) = joined {
                    let (host, r) = r.context("link check task")?;
                    schedule.done(&host);
                    if let Some(c) = cache.as_mut() {
                        c.record(&r);
                    }
                    out.push(r);
                }
            }
            else => break,
        }
        bar.update(out.len(), seen.len() + schedule.waiting(), feeding);
        // Start what the limits allow, in the schedule's order.
        while let Some(link) = schedule.next(settings.concurrency) {
            seen.insert(link.key.clone());
            let f = Arc::clone(&fetcher);
            set.spawn(async move { (link.host, f.check(link.key).await) });
        }
    }
    bar.finish();
    if let Some(c) = cache {
        c.save();
    }
    Ok(out)
}

/// How one request went.
enum Step {
    /// Go on to this URL (a redirect).
    Next(Url),
    /// Finished with this class and reason.
    Done(Status, String),
}

impl Fetcher {
    async fn check(self: Arc<Self>, url: String) -> LinkResult {
        let mut r = LinkResult::new(&url);
        let (status, reason) = self.follow(&url, &mut r).await;
        r.status = status;
        r.reason = match (&r.tracking_hop, status) {
            (Some(hop), Status::Ok) => {
                format!("{reason}; a redirect hop carries tracking parameters: {hop}")
            }
            _ => reason,
        };
        r
    }

    /// Too little of the phase's time budget is left to try a request (timers are coarse, so
    /// a few milliseconds left would only send a request that is cut off at once).
    fn budget_spent(&self) -> bool {
        self.deadline.saturating_duration_since(Instant::now()) < Duration::from_millis(50)
    }

    /// Follows redirects by hand, judging every hop before opening it.
    async fn follow(&self, url: &str, r: &mut LinkResult) -> (Status, String) {
        let mut current = match Url::parse(url) {
            Ok(u) => u,
            Err(e) => return (Status::Unverified, format!("not a valid URL: {e}")),
        };
        let mut previous: Option<Url> = None;
        let first = current.origin();
        let mut stayed = true;
        for hop in 0..=self.settings.max_redirects {
            stayed &= current.origin() == first;
            if let Some(why) = self.refuse(&current, previous.as_ref()) {
                r.final_url = Some(current.to_string());
                let prefix = if hop > 0 {
                    format!("redirect to {current} not followed: ")
                } else {
                    String::new()
                };
                return (Status::Refused, format!("{prefix}{why}"));
            }
            if hop > 0 && r.tracking_hop.is_none() && self.has_tracking(&current) {
                r.tracking_hop = Some(current.to_string());
            }
            r.final_url = Some(current.to_string());
            let headers = self.headers(&current, stayed);
            match self.fetch(&current, headers, r).await {
                Step::Next(next) => {
                    previous = Some(std::mem::replace(&mut current, next));
                }
                Step::Done(status, reason) => return (status, reason),
            }
        }
        (
            Status::Unverified,
            format!(
                "more than {} redirects; last at {current}",
                self.settings.max_redirects
            ),
        )
    }

    /// Why this hop is not opened, if it is not.
    fn refuse(&self, url: &Url, previous: Option<&Url>) -> Option<String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Some(format!("`{}:` is not a web address", url.scheme()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Some("the URL carries credentials, which are never sent".into());
        }
        if previous.is_some_and(|p| p.scheme() == "https") && url.scheme() == "http" {
            return Some("it downgrades https to plain http".into());
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        ip.and_then(|ip| self.allow.refuses(ip))
            .map(|why| format!("{} is {why}", url.host_str().unwrap_or("")))
    }

    fn has_tracking(&self, url: &Url) -> bool {
        url.query_pairs().any(|(k, _)| {
            let k = k.to_ascii_lowercase();
            self.tracking
                .iter()
                .any(|p| crate::rules::urls::glob_match(p, &k))
        })
    }

    fn host_key(url: &Url) -> (String, String) {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let with_port = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
        (host, with_port)
    }

    /// A link to schedule, with the host and per-host limit its first request counts against.
    fn link(&self, key: String, evidence: bool) -> Link {
        let (host, limit) = match Url::parse(&key) {
            Ok(url) => {
                let (_, with_port) = Self::host_key(&url);
                (with_port, self.limit(&url))
            }
            Err(_) => (String::new(), self.settings.per_host),
        };
        Link {
            key,
            host,
            limit,
            evidence,
        }
    }

    fn limit(&self, url: &Url) -> usize {
        let (host, with_port) = Self::host_key(url);
        self.settings
            .host(&with_port)
            .or_else(|| self.settings.host(&host))
            .and_then(|h| h.per_host)
            .unwrap_or(self.settings.per_host)
    }

    fn host_limit(&self, url: &Url) -> Arc<Semaphore> {
        let (_, with_port) = Self::host_key(url);
        let limit = self.limit(url);
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(with_port)
            .or_insert_with(|| Arc::new(Semaphore::new(limit)))
            .clone()
    }

    /// The configured headers for this hop: only over https, only at the exact origin
    /// (scheme, host, port) they are configured for, and only while every hop so far stayed
    /// there (`stayed`), so a redirect elsewhere and back never carries them.
    fn headers(&self, url: &Url, stayed: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if !stayed || url.scheme() != "https" {
            return headers;
        }
        for (name, value) in self.settings.headers_for(&url.origin()) {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&expand_env(value)),
            ) {
                headers.insert(n, v);
            }
        }
        headers
    }

    /// One hop: the request and its retries.
    async fn fetch(&self, url: &Url, headers: HeaderMap, r: &mut LinkResult) -> Step {
        let host_slots = self.host_limit(url);
        let mut attempt = 0;
        loop {
            if self.budget_spent() {
                r.out_of_time = true;
                return Step::Done(Status::Unverified, "not checked: time budget spent".into());
            }
            let capped;
            let outcome = {
                // Per host first, then global: a busy host does not hold global slots.
                let Ok(_host) = host_slots.acquire().await else {
                    return Step::Done(Status::Unverified, "internal: host limit closed".into());
                };
                let Ok(_slot) = self.global.acquire().await else {
                    return Step::Done(Status::Unverified, "internal: limit closed".into());
                };
                // Waiting for a slot may have used up the budget.
                if self.budget_spent() {
                    r.out_of_time = true;
                    return Step::Done(Status::Unverified, "not checked: time budget spent".into());
                }
                let left = self.deadline.saturating_duration_since(Instant::now());
                capped = left < self.settings.timeout;
                let timeout = self.settings.timeout.min(left);
                r.attempts += 1;
                let sent = Instant::now();
                let outcome = self
                    .request(url, headers.clone(), timeout, &mut r.http_status)
                    .await;
                // Time spent on requests, not waiting for a slot or a retry.
                r.ms += sent.elapsed().as_millis() as u64;
                outcome
            };
            let retry = match outcome {
                Outcome::Final(step) => return step,
                Outcome::NotSent(step) => {
                    // The resolver stopped it: no request left the machine.
                    r.attempts -= 1;
                    return step;
                }
                Outcome::Retry { why, .. } if capped && self.budget_spent() => {
                    // Cut short by the budget, not by the request's own timeout.
                    r.out_of_time = true;
                    return Step::Done(
                        Status::Unverified,
                        format!("{why}: the time budget ran out during the request"),
                    );
                }
                Outcome::Retry { why, wait } => (why, wait),
            };
            if attempt >= self.settings.retries {
                let n = attempt + 1;
                let times = if n == 1 { "1 attempt" } else { "attempts" };
                let reason = if n == 1 {
                    format!("{} after {times}", retry.0)
                } else {
                    format!("{} after {n} {times}", retry.0)
                };
                return Step::Done(Status::Unverified, reason);
            }
            let backoff = self.settings.backoff * 2u32.saturating_pow(attempt);
            let wait = retry
                .1
                .map(|w| w.min(self.settings.retry_after_max))
                .unwrap_or(backoff);
            if Instant::now() + wait >= self.deadline {
                r.out_of_time = true;
                return Step::Done(
                    Status::Unverified,
                    format!("{}; not retried: time budget spent", retry.0),
                );
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn request(
        &self,
        url: &Url,
        headers: HeaderMap,
        timeout: Duration,
        last_status: &mut Option<u16>,
    ) -> Outcome {
        let sent = self
            .client
            .get(url.clone())
            .headers(headers)
            .timeout(timeout)
            .send()
            .await;
        let mut resp = match sent {
            Ok(resp) => resp,
            Err(e) => return classify_error(&e),
        };
        let code = resp.status().as_u16();
        *last_status = Some(code);
        if resp.status().is_redirection() {
            if let Some(loc) = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()) {
                return match url.join(loc) {
                    Ok(next) => Outcome::Final(Step::Next(next)),
                    Err(e) => Outcome::Final(Step::Done(
                        Status::Unverified,
                        format!("HTTP {code} with a bad Location `{loc}`: {e}"),
                    )),
                };
            }
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        // Read at most a prefix of the body: enough to finish small pages (so the
        // connection can be reused), never a whole large download.
        let mut read = 0usize;
        while read < self.settings.body_bytes {
            match resp.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        Outcome::Final(Step::Done(
            match code {
                200..=299 => Status::Ok,
                404 | 410 => Status::Dead,
                408 | 429 | 500..=599 => {
                    return Outcome::Retry {
                        why: format!("HTTP {code}"),
                        wait: retry_after,
                    }
                }
                _ => Status::Unverified,
            },
            match code {
                200..=299 => format!("HTTP {code}"),
                404 => "HTTP 404: not found".into(),
                410 => "HTTP 410: gone".into(),
                401 | 403 => {
                    format!("HTTP {code}: the site refuses automated requests (login or bot wall)")
                }
                300..=399 => format!("HTTP {code} without a Location"),
                _ => format!("HTTP {code}"),
            },
        ))
    }
}

enum Outcome {
    Final(Step),
    /// Decided before any request was sent (DNS said no).
    NotSent(Step),
    Retry {
        why: String,
        wait: Option<Duration>,
    },
}

/// Sorts a client error into a class. Timeouts and dropped connections may be retried.
fn classify_error(e: &reqwest::Error) -> Outcome {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut io_kind = None;
    let mut text = Vec::new();
    while let Some(err) = source {
        if let Some(dns) = err.downcast_ref::<DnsFailure>() {
            return Outcome::NotSent(Step::Done(
                match dns {
                    DnsFailure::Refused { .. } => Status::Refused,
                    DnsFailure::NotFound { detail, .. } if temporary_dns(detail) => {
                        Status::Unverified
                    }
                    DnsFailure::NotFound { .. } => Status::Dead,
                },
                dns.to_string(),
            ));
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        if err.downcast_ref::<rustls::Error>().is_some() {
            return Outcome::Final(Step::Done(Status::Unverified, format!("TLS: {err}")));
        }
        text.push(err.to_string());
        source = err.source();
    }
    let detail = text.last().cloned().unwrap_or_default();
    if e.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
        return Outcome::Retry {
            why: "timed out".into(),
            wait: None,
        };
    }
    match io_kind {
        Some(std::io::ErrorKind::ConnectionRefused) => {
            Outcome::Final(Step::Done(Status::Unverified, "connection refused".into()))
        }
        Some(
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::UnexpectedEof,
        ) => Outcome::Retry {
            why: "connection dropped".into(),
            wait: None,
        },
        _ if text
            .iter()
            .any(|t| t.contains("certificate") || t.contains("tls")) =>
        {
            Outcome::Final(Step::Done(Status::Unverified, format!("TLS: {detail}")))
        }
        _ if e.is_request() || e.is_body() || e.is_decode() => Outcome::Retry {
            why: format!("connection dropped ({detail})"),
            wait: None,
        },
        _ => Outcome::Final(Step::Done(Status::Unverified, detail)),
    }
}

/// A resolver failure that says "try again later", not "no such name".
fn temporary_dns(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("temporary") || d.contains("try again") || d.contains("timed out")
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(at.saturating_sub(now).max(0) as u64))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as Unix seconds.
fn http_date(value: &str) -> Option<i64> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let date = crate::dates::Date::parse(&format!("{year:0>4}-{month:02}-{day:0>2}"))?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    Some(date.days() * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:01:40 GMT"), Some(100));
        assert_eq!(
            retry_after("Thu, 01 Jan 1970 00:01:40 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }
}
