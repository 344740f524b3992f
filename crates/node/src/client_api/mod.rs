//! The node's client API: HTTP/1.1 + JSON (hyper on tokio), on a loopback
//! address by default, for the desktop app, the CLI and light clients.
//!
//! Endpoints:
//! - `GET  /v1/status` — name, role, head, pending entries, health (no auth)
//! - `POST /v1/submit` — `{"entries": [hex], "wait_ms": n}` → receipts
//! - `GET  /v1/blocks?after=H&wait_ms=N` — new blocks since H (long poll)
//! - `GET  /v1/me/records` — records the caller can open, as sealed entries
//! - `GET  /v1/me/access-log` — a borrower's access log
//! - `GET  /v1/me/consents` — consents given (borrower) or received (member)
//! - `GET  /v1/queries?subject=HEX` — queries and answers; borrowers only their own
//! - `GET  /v1/incidents` — keys declared compromised and how far their
//!   records are re-sealed (a borrower: their own)
//! - `GET  /v1/me/entries` — the ids of the entries about a borrower (and of
//!   the answers about them), for a light client to prove
//! - `GET  /v1/proof?entry=HEX` — an accepted entry with its Merkle path and
//!   the certified headers that prove its place (a borrower: its own and the
//!   membership entries only; a key this node does not know: the membership
//!   entries only)
//! - `POST /v1/proofs` — `{"entries": [hex]}` (1 to 256): each proof as
//!   `/v1/proof` gives it, or its error in its place
//! - `GET  /v1/membership` — the ids of the genesis and the membership
//!   proposals and votes (any signed caller, known here or not), which a
//!   light client replays
//! - `GET  /v1/whoami` — what this node takes the caller for (member,
//!   borrower, or operator and its role)
//! - `POST /v1/operator/submit` — an operator's entries, which the node signs
//!   for its member when the operator's role allows them
//! - `POST /v1/operator/furnish` — `{"csv": text, "skip_bad": bool,
//!   "check_only": bool}`: a lender's officer's furnishing file (at most 256
//!   rows), sealed, proven and submitted by the node as the member
//! - `GET  /v1/operator/record-key?record=HEX` — a record's key wrapped to an
//!   analyst's own key
//! - `POST /v1/operator/rotate` — `{"sign_key", "enc_key", "signature"}`: an
//!   operator moves to a new key (which signs the hand-over); the old one is
//!   refused from then on
//!
//! Strangers reach this port, so nothing a client does may stall it for
//! others: connections are capped per address and in all; headers and bodies
//! must arrive within a time limit; the signature is checked from the headers
//! before the body is read; each caller holds a bounded share of the request
//! slots and of the waits (long polls); waiting holds no thread and no
//! database connection; `/v1/status` reads only memory.
mod limits;
mod quota;
mod replay;
mod rotate;
pub mod routes;
mod submit;

use crate::auth::{self, AuthError};
use crate::health::{panic_text, Health};
use crate::mempool::{Added, Mempool};
use crate::operators::Act;
use credence_crypto::PartyId;
use credence_ledger::clock::unix_now;
use credence_ledger::encode::entry_id;
use credence_ledger::ErrorCode;
use credence_ledger::{Ledger, SignedEntry};
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
pub use limits::ApiLimits;
use quota::{Quota, Refused};
use replay::{ReplayCache, Seen};
pub use routes::{receipt_json, Caller};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

/// What the API needs from the node.
pub struct ApiContext {
    pub name: String,
    pub role: String,
    pub party: PartyId,
    /// The consortium's name and the hash of its block 0: a client checks
    /// both against its profile before it trusts the node with anything.
    pub consortium: String,
    pub genesis: [u8; 32],
    pub ledger_path: PathBuf,
    pub mempool: Arc<Mempool>,
    /// New entries to gossip to the other members.
    pub gossip: Option<tokio::sync::mpsc::UnboundedSender<SignedEntry>>,
    /// The node's health; its stop flag ends the server.
    pub health: Arc<Health>,
    /// Test mode (a faulty member): accept entries without judging them first.
    pub unfiltered: bool,
    /// TLS with the node's certificate (`crate::tls`). Required unless the
    /// API is bound to a loopback address, where plain HTTP is served too.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Acting for the member's operators; `None` serves members and
    /// borrowers only.
    pub acting: Option<Acting>,
    /// Test mode (a lying member): how this node lies to light clients.
    pub lie: Option<Lie>,
}

/// Test mode: the ways a faulty member lies to a borrower's light client,
/// for the tests that show each is caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lie {
    /// Leave the questions about the borrower (and their answers) out.
    Hide,
    /// Add a question about the borrower that no block holds.
    Forge,
    /// Serve proofs from blocks the members did not certify.
    Fork,
}

impl Lie {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hide" => Some(Lie::Hide),
            "forge" => Some(Lie::Forge),
            "fork" => Some(Lie::Fork),
            _ => None,
        }
    }
}

/// What the node needs to act for its operators: the member's key (it signs
/// what an operator may submit, and re-wraps records for analysts) and the
/// registry of operators.
pub struct Acting {
    pub identity: credence_crypto::Identity,
    pub operators: crate::operators::Operators,
    /// Furnishing for a lender's officers; `None`: this node does not.
    pub furnisher: Option<Arc<dyn Furnisher>>,
}

/// Furnishing the rows of a furnishing file an officer sends
/// (`POST /v1/operator/furnish`), as the member: sealing and proving need
/// the member's key and the furnishing use case, which lives above the
/// node, so whoever runs the node gives it (`credence_api::member::run`).
pub trait Furnisher: Send + Sync {
    /// Furnish `csv` (a furnishing file's text, at most `MAX_FURNISH_ROWS`
    /// rows); with `check_only`, judge its rows against the ledger and
    /// submit nothing. The report as JSON (`submitted`, `corrections`,
    /// `already`, `left_out`: [{line, column, why}]), or why not.
    fn furnish(
        &self,
        csv: &str,
        skip_bad: bool,
        check_only: bool,
    ) -> Result<Value, (ErrorCode, String)>;
}

/// Most rows in one `POST /v1/operator/furnish`: a request's work stays
/// short, and an officer's app shows progress between requests.
pub const MAX_FURNISH_ROWS: usize = 256;

pub(crate) type Reply = (u16, Value);
pub(crate) type Out = Result<Reply, Reply>;

pub(crate) fn error(code: ErrorCode, message: impl Into<String>) -> Value {
    json!({"error": {"code": code.as_str(), "message": message.into()}})
}

/// The head as the API last read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Head {
    height: Option<u64>,
    hash: [u8; 32],
}

/// A running API server.
pub struct ApiServer {
    threads: Vec<std::thread::JoinHandle<()>>,
    pub addr: SocketAddr,
}

impl ApiServer {
    /// Wait for the server to stop (after the node's stop flag is raised).
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Ledger connections for the blocking pool, reused.
struct Connections {
    path: PathBuf,
    idle: Mutex<Vec<Ledger>>,
}

impl Connections {
    fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> Result<T, Reply>) -> Result<T, Reply> {
        let held = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut l = match held {
            Some(l) => l,
            None => Ledger::open(&self.path).map_err(routes::storage)?,
        };
        let r = f(&mut l);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(l);
        r
    }
}

struct State {
    ctx: Arc<ApiContext>,
    limits: ApiLimits,
    db: Connections,
    head: watch::Receiver<Head>,
    work: Semaphore,
    callers: Arc<Quota<[u8; 32]>>,
    waits: Arc<Quota<[u8; 32]>>,
    peers: Arc<Quota<IpAddr>>,
    replay: ReplayCache,
    /// One furnishing at a time: each proves on every core.
    furnishing: Semaphore,
}

/// Start serving on `addr`: a thread for the server's runtime and one that
/// follows the ledger's head. Both stop when the node's stop flag is raised.
pub fn serve(
    addr: SocketAddr,
    ctx: Arc<ApiContext>,
    limits: ApiLimits,
) -> std::io::Result<ApiServer> {
    if ctx.tls.is_none() && !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the client API on {addr} would be reachable from other machines, and it serves \
                 plain HTTP only on loopback: this node has no TLS certificate (node.json's \
                 tls_cert; `credence node init` makes one)"
            ),
        ));
    }
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "client API listening");
    let head_ledger = Ledger::open_read_only(&ctx.ledger_path)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let (head_tx, head_rx) = watch::channel(read_head(&head_ledger).unwrap_or_default());
    let health = ctx.health.clone();
    let follow = {
        let health = health.clone();
        health.clone().spawn("client API head", move || {
            // The head is read here, every 25 ms, so that status and long
            // polls never touch the database.
            while !health.stopping() {
                match read_head(&head_ledger) {
                    Ok(h) => {
                        head_tx.send_if_modified(|old| std::mem::replace(old, h) != h);
                    }
                    Err(e) => tracing::warn!(error = %e, "client API cannot read the head"),
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        })?
    };
    let state = Arc::new(State {
        db: Connections {
            path: ctx.ledger_path.clone(),
            idle: Mutex::new(Vec::new()),
        },
        head: head_rx,
        work: Semaphore::new(limits.work),
        furnishing: Semaphore::new(1),
        callers: Quota::new(limits.work_per_caller, limits.connections),
        waits: Quota::new(limits.waits_per_caller, limits.waits),
        peers: Quota::new(limits.connections_per_ip, limits.connections),
        replay: ReplayCache::new(limits.nonces_per_key),
        limits,
        ctx,
    });
    let server = health.clone().spawn("client API", move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(state.limits.work + 4)
            .thread_name("client-api")
            .enable_all()
            .build()
            .expect("the client API's runtime starts");
        rt.block_on(accept_loop(listener, state));
        rt.shutdown_timeout(Duration::from_secs(2));
    })?;
    Ok(ApiServer {
        threads: vec![server, follow],
        addr,
    })
}

fn read_head(l: &Ledger) -> Result<Head, credence_ledger::LedgerError> {
    Ok(match l.head()? {
        Some(h) => Head {
            height: Some(h.height),
            hash: h.hash,
        },
        None => Head::default(),
    })
}

async fn accept_loop(listener: std::net::TcpListener, st: Arc<State>) {
    let plain_allowed = listener
        .local_addr()
        .map(|a| a.ip().is_loopback())
        .unwrap_or(false);
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            return st
                .ctx
                .health
                .fail("client API", format!("cannot listen: {e}"))
        }
    };
    let mut last_prune = Instant::now();
    while !st.ctx.health.stopping() {
        if last_prune.elapsed() > Duration::from_secs(30) {
            st.replay.prune(unix_now());
            last_prune = Instant::now();
        }
        let (stream, peer) =
            match tokio::time::timeout(Duration::from_millis(200), listener.accept()).await {
                Err(_) => continue,
                Ok(Err(e)) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "client API cannot accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Ok(Ok(c)) => c,
            };
        let Ok(slot) = st.peers.take(peer.ip()) else {
            tracing::debug!(%peer, "client API: too many connections; closing");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let st = st.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let lifetime = st.limits.connection_lifetime;
            let served = tokio::time::timeout(lifetime, connection(st, stream, plain_allowed));
            match served.await {
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "client API connection ended"),
                Err(_) => tracing::debug!(%peer, "client API connection closed: lifetime over"),
                Ok(Ok(())) => {}
            }
        });
    }
}

/// Serve one connection: TLS when it opens with a handshake, plain HTTP only
/// when the API is bound to loopback. The handshake shares the header time
/// limit, so a client that stalls in it is dropped like one that stalls in
/// its headers.
async fn connection(
    st: Arc<State>,
    stream: tokio::net::TcpStream,
    plain_allowed: bool,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let Some(tls) = st.ctx.tls.clone() else {
        return serve_http(st, stream).await;
    };
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout(st.limits.header_timeout, stream.peek(&mut first)).await;
    if !matches!(peeked, Ok(Ok(1))) {
        return Ok(());
    }
    if first[0] == crate::tls::HANDSHAKE {
        let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
        let stream = tokio::time::timeout(st.limits.header_timeout, accept)
            .await
            .map_err(|_| "the TLS handshake took too long")??;
        serve_http(st, stream).await
    } else if plain_allowed {
        serve_http(st, stream).await
    } else {
        refuse_plain(stream).await
    }
}

async fn serve_http<S>(
    st: Arc<State>,
    stream: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = {
        let st = st.clone();
        hyper::service::service_fn(move |req| handle(st.clone(), req))
    };
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(st.limits.header_timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), svc)
        .await?;
    Ok(())
}

/// Plain HTTP reached an API that is not on loopback: say so, in the clear
/// (the reply holds nothing but the refusal), and close.
async fn refuse_plain(
    mut stream: tokio::net::TcpStream,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Read what the client sent first, so closing does not reset the
    // connection before it reads the refusal.
    let mut request = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut request)).await;
    let body = error(
        ErrorCode::NotPermitted,
        "this client API is not on loopback and speaks only TLS: connect with https and the \
         node's certificate as the consortium profile pins it",
    )
    .to_string();
    let reply = format!(
        "HTTP/1.1 426 Upgrade Required\r\nupgrade: TLS/1.3\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(())
}

async fn handle(
    st: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let health = st.ctx.health.clone();
    let (status, body) = match std::panic::AssertUnwindSafe(route(st, req))
        .catch_unwind()
        .await
    {
        Ok(Ok(r)) | Ok(Err(r)) => r,
        Err(p) => {
            health.fail(
                "client API",
                format!("a request handler panicked: {}", panic_text(&*p)),
            );
            (
                500,
                error(
                    ErrorCode::Internal,
                    "the node failed while serving this request and is stopping",
                ),
            )
        }
    };
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

fn busy(r: Refused) -> Reply {
    match r {
        Refused::Caller => (
            429,
            error(
                ErrorCode::Overloaded,
                "this caller has too many requests in progress; wait for one to finish",
            ),
        ),
        Refused::Full => (
            503,
            error(
                ErrorCode::Overloaded,
                "the node is serving its maximum of requests; retry shortly",
            ),
        ),
    }
}

impl State {
    /// Run `f` on the blocking pool with a ledger connection, once a work
    /// slot is free (bounded wait).
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Ledger) -> Result<T, Reply> + Send + 'static,
    ) -> Result<T, Reply> {
        let permit = tokio::time::timeout(self.limits.queue_timeout, self.work.acquire())
            .await
            .map_err(|_| busy(Refused::Full))?
            .map_err(|_| busy(Refused::Full))?;
        let me = self.clone();
        let r = tokio::task::spawn_blocking(move || me.db.with(f)).await;
        drop(permit);
        match r {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_panic() {
                    panic_text(&*e.into_panic())
                } else {
                    "cancelled".into()
                };
                self.ctx
                    .health
                    .fail("client API", format!("a database task failed: {why}"));
                Err((
                    500,
                    error(
                        ErrorCode::Internal,
                        "the node failed while serving this request and is stopping",
                    ),
                ))
            }
        }
    }
}

async fn route(st: Arc<State>, req: Request<Incoming>) -> Out {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let query = req.uri().query().map(str::to_string);
    if (method.as_str(), path.as_str()) == ("GET", "/v1/status") {
        routes::params(query.as_deref(), &[])?;
        return Ok(status(&st));
    }
    // Who is asking, from the headers alone.
    let signed = auth::check_headers(
        |n| req.headers().get(n).and_then(|v| v.to_str().ok()),
        &method,
        &path_and_query,
        &st.ctx.party,
        unix_now(),
    )
    .map_err(|e| (401, error(ErrorCode::Unauthenticated, e.to_string())))?;
    // This caller's share of requests in progress; given back before any
    // wait, so waits are counted by their own share.
    let in_flight = st.callers.take(signed.key).map_err(busy)?;
    let key = signed.key;
    let known = {
        let st2 = st.clone();
        st.blocking(move |l| {
            let acting = st2
                .ctx
                .acting
                .as_ref()
                .map(|a| (&st2.ctx.party, &a.operators));
            routes::caller(l, &key, acting)
        })
        .await?
    };
    let Some(caller) = known else {
        // A key this node does not know may read the consortium's public
        // membership and nothing else. Its nonces are not kept: replaying a
        // public read changes nothing, and made-up keys must not fill memory.
        if !PUBLIC_READS.contains(&(method.as_str(), path.as_str())) {
            return Err(routes::stranger());
        }
        let body = read_body(&st.limits, req).await?;
        signed
            .check_body(&body)
            .map_err(|e: AuthError| (400, error(ErrorCode::Unauthenticated, e.to_string())))?;
        return public_read(&st, None, (&method, &path), query.as_deref(), body).await;
    };
    match st
        .replay
        .check(&signed.key, &signed.nonce, signed.time, unix_now())
    {
        Seen::First => {}
        Seen::Replay => {
            return Err((
                409,
                error(
                    ErrorCode::Replayed,
                    "this signed request was served already; sign a new one (fresh nonce)",
                ),
            ))
        }
        Seen::TooMany => {
            return Err((
                429,
                error(
                    ErrorCode::Overloaded,
                    "this key made too many requests in the last 10 minutes; slow down",
                ),
            ))
        }
    }
    let body = read_body(&st.limits, req).await?;
    signed
        .check_body(&body)
        .map_err(|e: AuthError| (400, error(ErrorCode::Unauthenticated, e.to_string())))?;
    match (method.as_str(), path.as_str()) {
        ("POST", "/v1/submit") => {
            routes::params(query.as_deref(), &[])?;
            if let Caller::Operator { .. } = caller {
                return Err((
                    403,
                    error(
                        ErrorCode::NotPermitted,
                        "an operator's entries go through /v1/operator/submit, which signs them \
                         for the member within the operator's role",
                    ),
                ));
            }
            submit::submit(&st, signed.key, body, in_flight).await
        }
        ("GET", "/v1/me/entries") => {
            routes::params(query.as_deref(), &[])?;
            let (lie, st2) = (st.ctx.lie, st.clone());
            st.blocking(move |l| {
                let forger = st2.ctx.acting.as_ref().map(|a| &a.identity);
                routes::my_entries(l, &caller, lie.zip(forger))
            })
            .await
        }
        ("GET", "/v1/proof") | ("POST", "/v1/proofs") | ("GET", "/v1/membership") => {
            caller.may(Act::ReadQueries)?;
            public_read(&st, Some(caller), (&method, &path), query.as_deref(), body).await
        }
        ("GET", "/v1/whoami") => {
            routes::params(query.as_deref(), &[])?;
            Ok((200, routes::whoami(&caller)))
        }
        ("POST", "/v1/operator/submit") => {
            routes::params(query.as_deref(), &[])?;
            submit::operator_submit(&st, &caller, signed.key, body, in_flight).await
        }
        ("POST", "/v1/operator/rotate") => {
            routes::params(query.as_deref(), &[])?;
            rotate::operator_rotate(&st, &caller, body).await
        }
        ("POST", "/v1/operator/furnish") => {
            routes::params(query.as_deref(), &[])?;
            submit::operator_furnish(&st, &caller, body).await
        }
        ("GET", "/v1/operator/record-key") => {
            let p = routes::params(query.as_deref(), &["record"])?;
            caller.may(Act::OpenRecord)?;
            let Caller::Operator {
                operator,
                registered,
                ..
            } = caller
            else {
                return Err((
                    403,
                    error(
                        ErrorCode::NotPermitted,
                        "record keys are re-wrapped for a member's analysts only",
                    ),
                ));
            };
            let record = p.get("record").map(|s| s.to_string()).unwrap_or_default();
            let st2 = st.clone();
            let reply = st
                .blocking(move |l| {
                    let acting = st2.ctx.acting.as_ref().expect("operators imply acting");
                    routes::record_key(l, &acting.identity, &registered.key, &record)
                })
                .await?;
            tracing::info!(operator = %operator, record = %p.get("record").unwrap_or(&""), "record key wrapped for an analyst");
            Ok(reply)
        }
        ("GET", "/v1/blocks") => {
            let p = routes::params(query.as_deref(), &["after", "wait_ms"])?;
            let after = p
                .get("after")
                .map(|v| routes::number("after", v, i64::MAX as u64))
                .transpose()?;
            let max_wait = st.limits.max_wait.as_millis() as u64;
            let wait = p
                .get("wait_ms")
                .map(|v| routes::number("wait_ms", v, max_wait))
                .transpose()?
                .unwrap_or(0);
            if wait > 0 {
                let waiting = st.waits.take(signed.key).map_err(busy)?;
                drop(in_flight);
                wait_for_block(&st, after, Duration::from_millis(wait)).await;
                drop(waiting);
            }
            st.blocking(move |l| routes::blocks(l, after)).await
        }
        ("GET", "/v1/me/records") => {
            routes::params(query.as_deref(), &[])?;
            caller.may(Act::ReadRecords)?;
            st.blocking(move |l| routes::records(l, &caller)).await
        }
        ("GET", "/v1/me/access-log") => {
            routes::params(query.as_deref(), &[])?;
            st.blocking(move |l| routes::access_log(l, &caller)).await
        }
        ("GET", "/v1/me/consents") => {
            routes::params(query.as_deref(), &[])?;
            caller.may(Act::ReadConsents)?;
            st.blocking(move |l| routes::consents(l, &caller)).await
        }
        ("GET", "/v1/incidents") => {
            routes::params(query.as_deref(), &[])?;
            caller.may(Act::ReadQueries)?;
            st.blocking(move |l| routes::incidents(l, &caller)).await
        }
        ("GET", "/v1/queries") => {
            let p = routes::params(query.as_deref(), &["subject"])?;
            let subject = p.get("subject").map(|s| s.to_string());
            caller.may(Act::ReadQueries)?;
            st.blocking(move |l| routes::queries(l, &caller, subject.as_deref()))
                .await
        }
        _ => Err((
            404,
            error(ErrorCode::NotFound, format!("no endpoint {method} {path}")),
        )),
    }
}

/// What any key may read, known here or not: the consortium's membership
/// entries and their proofs. A known caller (`Some`) may also have proven
/// what it may otherwise read.
const PUBLIC_READS: [(&str, &str); 3] = [
    ("GET", "/v1/membership"),
    ("GET", "/v1/proof"),
    ("POST", "/v1/proofs"),
];

async fn public_read(
    st: &Arc<State>,
    caller: Option<Caller>,
    (method, path): (&str, &str),
    query: Option<&str>,
    body: Bytes,
) -> Out {
    let lie = st.ctx.lie;
    match (method, path) {
        ("GET", "/v1/membership") => {
            routes::params(query, &[])?;
            st.blocking(|l| routes::membership(l)).await
        }
        ("GET", "/v1/proof") => {
            let p = routes::params(query, &["entry"])?;
            let entry = p.get("entry").map(|s| s.to_string()).unwrap_or_default();
            let st2 = st.clone();
            st.blocking(move |l| {
                let forger = st2.ctx.acting.as_ref().map(|a| &a.identity);
                routes::proof(l, caller.as_ref(), &entry, lie.zip(forger))
            })
            .await
        }
        ("POST", "/v1/proofs") => {
            routes::params(query, &[])?;
            let st2 = st.clone();
            st.blocking(move |l| {
                let forger = st2.ctx.acting.as_ref().map(|a| &a.identity);
                routes::proofs(l, caller.as_ref(), &body, lie.zip(forger))
            })
            .await
        }
        _ => Err((
            404,
            error(ErrorCode::NotFound, format!("no endpoint {method} {path}")),
        )),
    }
}

/// The body, within the size and time limits.
async fn read_body(limits: &ApiLimits, req: Request<Incoming>) -> Result<Bytes, Reply> {
    let too_big = || {
        (
            413,
            error(
                ErrorCode::InvalidInput,
                format!("the body is over {} bytes", limits.max_body),
            ),
        )
    };
    if let Some(len) = req.headers().get(hyper::header::CONTENT_LENGTH) {
        let len: u64 = len
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                (
                    400,
                    error(ErrorCode::InvalidInput, "content-length is not a number"),
                )
            })?;
        if len > limits.max_body as u64 {
            return Err(too_big());
        }
    }
    let body = Limited::new(req.into_body(), limits.max_body);
    match tokio::time::timeout(limits.body_timeout, body.collect()).await {
        Err(_) => Err((
            408,
            error(
                ErrorCode::InvalidInput,
                format!(
                    "the body did not arrive within {} s",
                    limits.body_timeout.as_secs()
                ),
            ),
        )),
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(too_big())
            } else {
                Err((
                    400,
                    error(
                        ErrorCode::InvalidInput,
                        format!("cannot read the body: {e}"),
                    ),
                ))
            }
        }
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

fn status(st: &State) -> Reply {
    let head = *st.head.borrow();
    let problems = st.ctx.health.problems();
    let healthy = problems.is_empty();
    (
        if healthy { 200 } else { 503 },
        json!({
            "name": st.ctx.name, "role": st.ctx.role, "party": st.ctx.party.to_hex(),
            "consortium": st.ctx.consortium, "genesis": hex::encode(st.ctx.genesis),
            "height": head.height, "head_hash": head.height.map(|_| hex::encode(head.hash)),
            "pending": st.ctx.mempool.len(),
            "healthy": healthy, "problems": problems,
            "serving": st.callers.held(), "waiting": st.waits.held(),
            "connections": st.peers.held(), "nonces": st.replay.len(),
        }),
    )
}

/// Until the head is above `after` or `wait` has passed; holds nothing.
async fn wait_for_block(st: &State, after: Option<u64>, wait: Duration) {
    let mut rx = st.head.clone();
    let above = |h: &Head| match (h.height, after) {
        (Some(_), None) => true,
        (Some(h), Some(a)) => h > a,
        (None, _) => false,
    };
    let _ = tokio::time::timeout(wait, rx.wait_for(above)).await;
}
