//! Downloads through the API: a raw body streamed to a file under a size cap, following
//! GitHub's redirect from an archive route (`/repos/{o}/{r}/tarball/{ref}` answers 302 to
//! `codeload.github.com`). The API hop carries the token; the hops after it go through a
//! client with no credentials, because the URL GitHub redirects to is already signed (a
//! private repository's carries a short-lived `token` in its query) and the token must not
//! reach another host. Every hop is one counted request, with the gate's retry policy.

use super::{Api, ApiError, Attempt, Failure, Reply, JSON};
use http::Method;
use http_body_util::BodyExt;
use octocrab::Octocrab;
use std::fs::File;
use std::io::{Seek, Write};
use std::time::Duration;

/// Redirects followed after the API's own answer (GitHub sends one).
const MAX_REDIRECTS: usize = 3;
/// A download's whole transfer, per attempt.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(120);
/// How much of a refusal's body is kept for its message.
const ERROR_BODY_MAX: usize = 64 * 1024;

enum Got {
    Body(u64),
    Redirect(String),
}

impl Api {
    /// GETs `route` and writes the body to `to` (truncated first, and again before each
    /// retry), following redirects; returns the bytes written. A body over `max_bytes` stops
    /// the transfer with [`ApiError::TooLarge`]. A 404 is an [`ApiError::Status`] here: there
    /// is nothing to write.
    pub fn download(
        &self,
        what: &str,
        route: &str,
        to: &mut File,
        max_bytes: u64,
    ) -> Result<u64, ApiError> {
        let mut got = self.retrying(what, true, || {
            self.hop(&self.client, route, JSON, to, max_bytes)
        })?;
        let mut here = format!("{}{route}", self.base_url);
        for _ in 0..MAX_REDIRECTS {
            let location = match got {
                Got::Body(n) => return Ok(n),
                Got::Redirect(location) => location,
            };
            let next = url::Url::parse(&here)
                .and_then(|u| u.join(&location))
                .map_err(|e| ApiError::Transport {
                    what: what.into(),
                    message: format!("GitHub redirected to `{location}`, not a URL ({e})"),
                })?;
            if next.scheme() != "https" && !(next.scheme() == "http" && self.plain_http_ok) {
                return Err(ApiError::Transport {
                    what: what.into(),
                    message: format!("GitHub redirected to `{next}`, which is not https"),
                });
            }
            let client = self.download_client(&next)?;
            let path = match next.query() {
                Some(q) => format!("{}?{q}", next.path()),
                None => next.path().to_string(),
            };
            got = self.retrying(what, true, || {
                self.hop(&client, &path, "*/*", to, max_bytes)
            })?;
            here = next.to_string();
        }
        match got {
            Got::Body(n) => Ok(n),
            Got::Redirect(_) => Err(ApiError::Transport {
                what: what.into(),
                message: format!("more than {MAX_REDIRECTS} redirects"),
            }),
        }
    }

    /// A client for the host a download was redirected to: no token, and no base path (the
    /// URL's path is used whole). Kept for the next download from the same origin.
    fn download_client(&self, url: &url::Url) -> Result<Octocrab, ApiError> {
        let origin = url.origin().ascii_serialization();
        let mut cached = self.downloader.borrow_mut();
        if let Some((o, client)) = cached.as_ref() {
            if *o == origin {
                return Ok(client.clone());
            }
        }
        let uri: http::Uri = origin
            .parse()
            .map_err(|e| ApiError::Setup(format!("download host `{origin}`: {e}")))?;
        let client = {
            let _guard = self.runtime.enter();
            Octocrab::builder()
                .base_uri(uri)
                .map_err(|e| ApiError::Setup(e.to_string()))?
                .set_connect_timeout(Some(Duration::from_secs(10)))
                .set_read_timeout(Some(Duration::from_secs(30)))
                .build()
                .map_err(|e| ApiError::Setup(super::describe(&e)))?
        };
        *cached = Some((origin, client.clone()));
        Ok(client)
    }

    /// One GET: a 2xx body goes to `to`, a redirect is returned, anything else is judged.
    fn hop(
        &self,
        client: &Octocrab,
        route: &str,
        accept: &str,
        to: &mut File,
        max_bytes: u64,
    ) -> Result<Attempt<Got>, Failure> {
        to.set_len(0)
            .and_then(|()| to.rewind())
            .map_err(write_failed)?;
        let request = self
            .prepared(client, Method::GET, route, None, accept)
            .map_err(Failure::Transport)?;
        self.runtime.block_on(async {
            let call = async {
                let response = client
                    .execute(request)
                    .await
                    .map_err(|e| Failure::Transport(super::describe(&e)))?;
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let mut body = response.into_body();
                if (200..300).contains(&status) {
                    let mut written = 0u64;
                    while let Some(frame) = body.frame().await {
                        let frame = frame.map_err(|e| Failure::Transport(super::describe(&e)))?;
                        if let Ok(data) = frame.into_data() {
                            written += data.len() as u64;
                            if written > max_bytes {
                                return Err(Failure::TooLarge(max_bytes));
                            }
                            to.write_all(&data).map_err(write_failed)?;
                        }
                    }
                    to.flush().map_err(write_failed)?;
                    return Ok(Attempt::Done(Got::Body(written)));
                }
                if matches!(status, 301 | 302 | 303 | 307 | 308) {
                    if let Some(location) = headers
                        .get(http::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                    {
                        return Ok(Attempt::Done(Got::Redirect(location.to_string())));
                    }
                }
                // The start of a refusal's body, for its message.
                let mut kept = Vec::new();
                while let Some(frame) = body.frame().await {
                    let frame = frame.map_err(|e| Failure::Transport(super::describe(&e)))?;
                    if let Ok(data) = frame.into_data() {
                        let room = ERROR_BODY_MAX.saturating_sub(kept.len());
                        kept.extend_from_slice(&data[..data.len().min(room)]);
                    }
                }
                Ok(Attempt::Refused(Reply {
                    status,
                    headers,
                    body: String::from_utf8_lossy(&kept).into_owned(),
                }))
            };
            match tokio::time::timeout(TRANSFER_TIMEOUT, call).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Transport(format!(
                    "no whole answer within {} s",
                    TRANSFER_TIMEOUT.as_secs()
                ))),
            }
        })
    }
}

fn write_failed(e: std::io::Error) -> Failure {
    Failure::Transport(format!("cannot write the download: {e}"))
}
