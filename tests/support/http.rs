//! A loopback HTTP/1.1 server for the link-checking tests, std only.
//!
//! ```ignore
//! let server = TestServer::start(|req: &Request, hit: usize| match req.path.as_str() {
//!     "/ok" => Reply::ok("fine"),
//!     "/flaky" if hit == 0 => Reply::status(500),
//!     _ => Reply::status(404),
//! });
//! let url = server.url("/ok");
//! // … run the binary …
//! assert_eq!(server.hits("/ok"), 1);
//! ```
//!
//! One thread accepts (non-blocking, polling a stop flag), one thread per connection. Every
//! reply carries `Connection: close` and a `Content-Length`, so each request is its own
//! connection. Requests are recorded by path (the request target without its query string)
//! before the handler runs, so a request the server drops or answers late still counts.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query string: `/a/b`.
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    /// The request target as sent: `/a/b?x=1`.
    pub target: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer at once.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Sleep, then answer (for timeouts). If the client has gone, the write just fails.
    Delayed(Duration, Box<Reply>),
    /// Close the connection without writing a byte.
    Drop,
    /// Write these chunks, sleeping before each one, then close: a server that stalls in
    /// the middle of a body, trickles its headers (slowloris), or never stops sending.
    Script(Vec<(Duration, Vec<u8>)>),
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Response {
            status,
            headers: Vec::new(),
            body: format!("status {status}\n").into_bytes(),
        }
    }

    pub fn ok(body: &str) -> Reply {
        Reply::Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A redirect with `Location: location` (absolute or relative, sent as given).
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("Location", location)
    }

    /// The same reply with one more header (on a `Delayed`, the inner reply gets it).
    pub fn header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Response {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Response {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Delayed(d, inner) => Reply::Delayed(d, Box::new(inner.header(name, value))),
            other => other,
        }
    }

    /// A 200 with `Content-Length: declared` whose body stops after `sent` bytes and then
    /// stalls for `stall` before the connection closes.
    pub fn stalled_body(declared: usize, sent: usize, stall: Duration) -> Reply {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
        );
        Reply::Script(vec![
            (Duration::ZERO, head.into_bytes()),
            (Duration::ZERO, vec![b'x'; sent]),
            (stall, Vec::new()),
        ])
    }

    /// Headers one byte every `every`, never finishing within `total`.
    pub fn slowloris(every: Duration, total: Duration) -> Reply {
        let head = b"HTTP/1.1 200 OK\r\nX-Slow: ".to_vec();
        let n = (total.as_millis() / every.as_millis().max(1)) as usize;
        let mut steps = vec![(Duration::ZERO, head)];
        steps.extend((0..n).map(|_| (every, b"a".to_vec())));
        Reply::Script(steps)
    }

    /// A 200 of `chunks` × 1 MiB with no length (read until close): a gigantic body.
    pub fn endless_body(chunks: usize) -> Reply {
        let head =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n".to_vec();
        let mut steps = vec![(Duration::ZERO, head)];
        steps.extend((0..chunks).map(|_| (Duration::ZERO, vec![b'y'; 1 << 20])));
        Reply::Script(steps)
    }

    pub fn after(self, delay: Duration) -> Reply {
        Reply::Delayed(delay, Box::new(self))
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync + 'static;

#[derive(Default)]
struct Log {
    /// Per path: the methods of every request, in arrival order.
    by_path: HashMap<String, Vec<String>>,
    /// Every request target, in arrival order.
    all: Vec<String>,
    /// Every request, headers included, in arrival order.
    requests: Vec<Request>,
    /// Requests read and not yet answered (or dropped), and the most there ever were.
    in_flight: usize,
    max_in_flight: usize,
}

pub struct TestServer {
    addr: SocketAddr,
    scheme: &'static str,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
    acceptor: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start on 127.0.0.1 at a free port. `handler(req, hit)` gets how many requests this
    /// path had received before this one (0 for the first).
    pub fn start<F>(handler: F) -> TestServer
    where
        F: Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    {
        TestServer::listen(None, handler)
    }

    /// Like [`TestServer::start`], speaking TLS with `tls`'s certificate for 127.0.0.1 and
    /// `localhost`; [`TestServer::url`] then gives `https://` URLs.
    pub fn start_tls<F>(tls: &TestTls, handler: F) -> TestServer
    where
        F: Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    {
        TestServer::listen(Some(tls.server_config()), handler)
    }

    fn listen<F>(tls: Option<Arc<rustls::ServerConfig>>, handler: F) -> TestServer
    where
        F: Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Log::default()));
        let handler: Arc<Handler> = Arc::new(handler);
        let acceptor = {
            let (stop, log) = (stop.clone(), log.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (log, handler) = (log.clone(), handler.clone());
                            let tls = tls.clone();
                            thread::spawn(move || {
                                let _ = stream.set_nonblocking(false);
                                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                                match tls {
                                    None => serve(stream, &log, &*handler),
                                    Some(config) => {
                                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                                            return;
                                        };
                                        let tls = rustls::StreamOwned::new(conn, stream);
                                        serve(tls, &log, &*handler)
                                    }
                                }
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(2));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        TestServer {
            addr,
            scheme,
            stop,
            log,
            acceptor: Some(acceptor),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT/path` (`https://` for a TLS server)
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    /// How many requests (any method) arrived for `path` (query string ignored).
    pub fn hits(&self, path: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .by_path
            .get(path)
            .map_or(0, Vec::len)
    }

    /// The methods of the requests for `path`, in arrival order.
    pub fn methods(&self, path: &str) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .by_path
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    /// Every request the server received, any path.
    pub fn total_hits(&self) -> usize {
        self.log.lock().unwrap().all.len()
    }

    /// Every request target received, in arrival order.
    pub fn targets(&self) -> Vec<String> {
        self.log.lock().unwrap().all.clone()
    }

    /// Every request received for `path`, headers included.
    pub fn requests(&self, path: &str) -> Vec<Request> {
        let log = self.log.lock().unwrap();
        log.requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// The most requests the server was handling at once (read, not yet answered).
    pub fn max_in_flight(&self) -> usize {
        self.log.lock().unwrap().max_in_flight
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

/// A connection the server answers on: plain TCP, or TLS over it.
trait Conn: Read + Write {
    /// Stops writing (TLS: `close_notify` first), so the client sees the end of the reply.
    fn end_writes(&mut self);
    fn tcp(&self) -> &TcpStream;
}

impl Conn for TcpStream {
    fn end_writes(&mut self) {
        let _ = self.shutdown(Shutdown::Write);
    }
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn end_writes(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Write);
    }
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

fn read_request(stream: &mut impl Read) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    // An absolute-form target (`http://host/p`) is reduced to its path.
    let origin = match target.find("://") {
        Some(i) => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..]).to_string()
        }
        None => target.clone(),
    };
    let (path, query) = match origin.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (origin.clone(), None),
    };
    Some(Request {
        method,
        path,
        query,
        target,
        headers,
    })
}

fn serve(mut stream: impl Conn, log: &Mutex<Log>, handler: &Handler) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let hit = {
        let mut log = log.lock().unwrap();
        log.all.push(req.target.clone());
        log.requests.push(req.clone());
        log.in_flight += 1;
        log.max_in_flight = log.max_in_flight.max(log.in_flight);
        let seen = log.by_path.entry(req.path.clone()).or_default();
        seen.push(req.method.clone());
        seen.len() - 1
    };
    let mut reply = handler(&req, hit);
    let done = || log.lock().unwrap().in_flight -= 1;
    loop {
        match reply {
            Reply::Delayed(d, inner) => {
                thread::sleep(d);
                reply = *inner;
            }
            Reply::Drop => {
                let _ = stream.tcp().shutdown(Shutdown::Both);
                done();
                return;
            }
            Reply::Script(steps) => {
                let mut stream = stream;
                for (wait, bytes) in steps {
                    thread::sleep(wait);
                    // The client hanging up is the point of most scripts.
                    if stream
                        .write_all(&bytes)
                        .and_then(|()| stream.flush())
                        .is_err()
                    {
                        break;
                    }
                }
                let _ = stream.tcp().shutdown(Shutdown::Both);
                done();
                return;
            }
            Reply::Response {
                status,
                headers,
                body,
            } => {
                write_response(stream, &req, status, &headers, &body, done);
                return;
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn write_response(
    mut stream: impl Conn,
    req: &Request,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    done: impl FnOnce(),
) {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    // Counted as answered before the first byte goes out: the client cannot start its next
    // request (on a freed slot) before it has read this one's answer.
    done();
    let mut out = head.into_bytes();
    if req.method != "HEAD" {
        out.extend_from_slice(body);
    }
    let _ = stream.write_all(&out);
    let _ = stream.flush();
    stream.end_writes();
    // Let the client read to EOF before the socket closes (avoids a reset that loses the reply).
    let _ = stream
        .tcp()
        .set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 512];
    let _ = std::io::Read::read(&mut stream.tcp(), &mut sink);
}

/// A throw-away certificate authority and a server certificate it signed for 127.0.0.1 and
/// `localhost`, made with the `openssl` command. The binary trusts it through
/// `SSL_CERT_FILE` = [`TestTls::ca_file`] (read by the platform verifier on Linux).
pub struct TestTls {
    dir: PathBuf,
}

impl TestTls {
    pub fn new(dir: &Path) -> TestTls {
        std::fs::create_dir_all(dir).unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=packetgate test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&ca);
        let mut leaf = vec!["req"];
        leaf.extend(ec);
        leaf.extend([
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ]);
        run(&leaf);
        std::fs::write(
            dir.join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ]);
        TestTls {
            dir: dir.to_path_buf(),
        }
    }

    /// The CA certificate (PEM), for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let cert = std::fs::read(self.dir.join("leaf.pem")).unwrap();
        let key = std::fs::read(self.dir.join("leaf.key")).unwrap();
        let chain = vec![CertificateDer::from_pem_slice(&cert).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(&key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}
