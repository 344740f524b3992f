//! The node's client API: HTTP + JSON on (by default) a loopback address, for
//! the desktop app, the CLI and light clients. Requests that read or write
//! are signed (`auth`); a caller reads only what it may.
//!
//! Endpoints:
//! - `GET  /v1/status` — name, role, head, pending entries (no auth)
//! - `POST /v1/submit` — `{"entries": [hex], "wait_ms": n}` → receipts
//! - `GET  /v1/blocks?after=H&wait_ms=N` — new blocks since H (long poll)
//! - `GET  /v1/me/records` — records the caller can open, as sealed entries
//! - `GET  /v1/me/access-log` — a borrower's access log
//! - `GET  /v1/me/consents` — consents given (borrower) or received (member)
//! - `GET  /v1/queries?subject=HEX` — queries and answers; borrowers only their own
use crate::auth::{request_message, H_KEY, H_SIG, H_TIME, MAX_SKEW_SECS, REQUEST_DOMAIN};
use crate::mempool::{Added, Mempool};
use crate::Receipt;
use credence_crypto::keys::{party_id_of, verify};
use credence_crypto::{PartyId, Signature};
use credence_ledger::encode::{entry_id, from_bytes, to_bytes};
use credence_ledger::{read, rules, Ledger, SignedEntry};
use serde_json::{json, Value};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the API needs from the node.
pub struct ApiContext {
    pub name: String,
    pub role: String,
    pub party: PartyId,
    pub ledger_path: PathBuf,
    pub mempool: Arc<Mempool>,
    /// New entries to gossip to the other members.
    pub gossip: Option<tokio::sync::mpsc::UnboundedSender<SignedEntry>>,
    pub shutdown: Arc<AtomicBool>,
    /// Test mode (a faulty member): accept entries without judging them first.
    pub unfiltered: bool,
}

pub const MAX_BODY: usize = 16 * 1024 * 1024;
const MAX_WAIT_MS: u64 = 120_000;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Start serving on `addr` with `threads` workers; returns their handles.
pub fn serve(
    addr: SocketAddr,
    ctx: Arc<ApiContext>,
    threads: usize,
) -> std::io::Result<Vec<std::thread::JoinHandle<()>>> {
    let server =
        Arc::new(tiny_http::Server::http(addr).map_err(|e| std::io::Error::other(e.to_string()))?);
    tracing::info!(%addr, "client API listening");
    let mut handles = Vec::new();
    for i in 0..threads.max(1) {
        let server = server.clone();
        let ctx = ctx.clone();
        handles.push(
            std::thread::Builder::new()
                .name(format!("api-{i}"))
                .spawn(move || worker(&server, &ctx))
                .expect("spawn api worker"),
        );
    }
    Ok(handles)
}

struct Worker {
    /// Writable: `check_candidates` runs its trial in a transaction it rolls back.
    ledger: Option<Ledger>,
}

fn worker(server: &tiny_http::Server, ctx: &ApiContext) {
    let mut w = Worker { ledger: None };
    while !ctx.shutdown.load(Ordering::SeqCst) {
        let req = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "client API receive failed");
                continue;
            }
        };
        let mut req = req;
        let (status, body) = match route(&mut w, ctx, &mut req) {
            Ok(r) | Err(r) => r,
        };
        respond(req, status, body);
    }
}

fn respond(req: tiny_http::Request, status: u16, v: Value) {
    let resp = tiny_http::Response::from_string(v.to_string())
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes(&b"content-type"[..], &b"application/json"[..])
                .expect("static header"),
        );
    if let Err(e) = req.respond(resp) {
        tracing::debug!(error = %e, "client went away");
    }
}

fn error(code: &str, message: impl Into<String>) -> Value {
    json!({"error": {"code": code, "message": message.into()}})
}

type Out = Result<(u16, Value), (u16, Value)>;

fn ledger<'a>(w: &'a mut Worker, ctx: &ApiContext) -> Result<&'a mut Ledger, (u16, Value)> {
    if w.ledger.is_none() {
        let l =
            Ledger::open(&ctx.ledger_path).map_err(|e| (500, error("storage", e.to_string())))?;
        w.ledger = Some(l);
    }
    Ok(w.ledger.as_mut().expect("just set"))
}

/// Who signed the request: a member or an enrolled borrower.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Member(PartyId),
    Subject(PartyId),
}

impl Caller {
    fn party(&self) -> PartyId {
        match self {
            Caller::Member(p) | Caller::Subject(p) => *p,
        }
    }
}

fn header(req: &tiny_http::Request, name: &str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

fn authenticate(l: &Ledger, req: &tiny_http::Request, body: &[u8]) -> Result<Caller, (u16, Value)> {
    let unauth = |m: &str| (401, error("unauthenticated", m.to_string()));
    let key = header(req, H_KEY)
        .ok_or_else(|| unauth("sign the request: the x-credence-key header is missing"))?;
    let time: u64 = header(req, H_TIME)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| unauth("x-credence-time must be Unix seconds"))?;
    let sig = header(req, H_SIG).ok_or_else(|| unauth("x-credence-signature is missing"))?;
    let key: [u8; 32] = hex::decode(&key)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| unauth("x-credence-key must be 32 bytes of hex"))?;
    let sig: [u8; 64] = hex::decode(&sig)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| unauth("x-credence-signature must be 64 bytes of hex"))?;
    if now().abs_diff(time) > MAX_SKEW_SECS {
        return Err(unauth(
            "the request's time is more than 5 minutes from the node's clock",
        ));
    }
    let msg = request_message(req.method().as_str(), req.url(), time, body);
    verify(&key, REQUEST_DOMAIN, &msg, &Signature(sig))
        .map_err(|_| unauth("the request signature does not verify"))?;
    let party = party_id_of(&key);
    let conn = l.conn();
    let sql = |e| ledger_err(credence_ledger::LedgerError::from(e));
    if rules::member(conn, &party).map_err(sql)?.is_some() {
        return Ok(Caller::Member(party));
    }
    if rules::subject_key(conn, &party).map_err(sql)?.is_some() {
        return Ok(Caller::Subject(party));
    }
    Err((
        403,
        error(
            "not-a-member",
            "this key is neither a member nor an enrolled borrower of this consortium",
        ),
    ))
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

fn ledger_err(e: credence_ledger::LedgerError) -> (u16, Value) {
    (500, error("storage", e.to_string()))
}

pub fn receipt_json(r: &Option<Receipt>) -> Value {
    match r {
        Some(Receipt::Final { height, entry_id }) => {
            json!({"status": "final", "height": height, "entry_id": hex::encode(entry_id)})
        }
        Some(Receipt::Rejected(rej)) => {
            json!({"status": "rejected", "code": rej.code.as_str(), "message": rej.message})
        }
        None => json!({"status": "pending"}),
    }
}

fn route(w: &mut Worker, ctx: &ApiContext, req: &mut tiny_http::Request) -> Out {
    let mut body = Vec::new();
    req.as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            (
                400,
                error("invalid-input", format!("cannot read the body: {e}")),
            )
        })?;
    if body.len() > MAX_BODY {
        return Err((413, error("invalid-input", "the body is over 16 MiB")));
    }
    let path = req.url().split('?').next().unwrap_or("").to_string();
    let method = req.method().as_str().to_string();
    if (method.as_str(), path.as_str()) == ("GET", "/v1/status") {
        let l = ledger(w, ctx)?;
        let head = l.head().map_err(ledger_err)?;
        return Ok((
            200,
            json!({
                "name": ctx.name, "role": ctx.role, "party": ctx.party.to_hex(),
                "height": head.map(|h| h.height), "head_hash": head.map(|h| hex::encode(h.hash)),
                "pending": ctx.mempool.len(),
            }),
        ));
    }
    let caller = authenticate(ledger(w, ctx)?, req, &body)?;
    match (method.as_str(), path.as_str()) {
        ("POST", "/v1/submit") => submit(w, ctx, &body),
        ("GET", "/v1/blocks") => {
            let after: i64 = query_param(req.url(), "after")
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1);
            let wait = query_param(req.url(), "wait_ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0u64)
                .min(MAX_WAIT_MS);
            blocks(w, ctx, after, Duration::from_millis(wait))
        }
        ("GET", "/v1/me/records") => {
            let l = ledger(w, ctx)?;
            let recs = read::records_readable_by(l.conn(), &caller.party()).map_err(ledger_err)?;
            let mut out = Vec::new();
            for r in recs {
                let (rec, extra) = read::furnished(l.conn(), &r.record_id).map_err(ledger_err)?;
                out.push(json!({
                    "record_id": hex::encode(r.record_id), "subject": r.subject.to_hex(), "furnisher": r.furnisher.to_hex(),
                    "kind": r.kind.as_str(), "status": r.status, "compliance": r.compliance, "at": r.at,
                    "record": hex::encode(to_bytes(&rec)), "shared_wraps": hex::encode(to_bytes(&extra)),
                }));
            }
            Ok((200, json!({"records": out})))
        }
        ("GET", "/v1/me/access-log") => {
            let l = ledger(w, ctx)?;
            let Caller::Subject(me) = caller else {
                return Err((
                    400,
                    error(
                        "invalid-input",
                        "the access log is a borrower's; members use /v1/queries",
                    ),
                ));
            };
            let log = read::access_log(l.conn(), &me).map_err(ledger_err)?;
            Ok((
                200,
                json!({"events": log.iter().map(|e| json!({"at": e.at, "height": e.height, "party": e.party.to_hex(), "action": e.action, "detail": e.detail})).collect::<Vec<_>>()}),
            ))
        }
        ("GET", "/v1/me/consents") => {
            let l = ledger(w, ctx)?;
            let list = match caller {
                Caller::Subject(me) => read::consents_of_subject(l.conn(), &me),
                Caller::Member(me) => read::consents_to_grantee(l.conn(), &me),
            }
            .map_err(ledger_err)?;
            Ok((
                200,
                json!({"consents": list.iter().map(|c| json!({
                "consent_id": hex::encode(c.consent.consent_id), "subject": c.consent.subject.to_hex(),
                "grantee": c.consent.grantee.to_hex(), "purpose": c.consent.purpose.as_str(),
                "expires_at": c.consent.expires_at, "granted_at": c.granted_at, "revoked_at": c.revoked_at,
            })).collect::<Vec<_>>()}),
            ))
        }
        ("GET", "/v1/queries") => {
            let l = ledger(w, ctx)?;
            let subject = match query_param(req.url(), "subject") {
                Some(s) => Some(
                    PartyId::from_hex(&s)
                        .map_err(|e| (400, error("invalid-input", e.to_string())))?,
                ),
                None => None,
            };
            if let Caller::Subject(me) = caller {
                if subject != Some(me) {
                    return Err((
                        403,
                        error(
                            "not-permitted",
                            "a borrower may read only the queries about themselves",
                        ),
                    ));
                }
            }
            let qs = read::queries(
                l.conn(),
                &read::QueryFilter {
                    subject,
                    limit: Some(10_000),
                    ..Default::default()
                },
            )
            .map_err(ledger_err)?;
            Ok((
                200,
                json!({"queries": qs.iter().map(|q| json!({
                "query_id": hex::encode(q.query_id), "requester": q.requester.to_hex(), "subject": q.subject.to_hex(),
                "purpose": q.purpose, "predicate": q.predicate, "asked_at": q.asked_at, "answered_at": q.answered_at, "holds": q.holds,
            })).collect::<Vec<_>>()}),
            ))
        }
        _ => Err((
            404,
            error("not-found", format!("no endpoint {method} {path}")),
        )),
    }
}

fn submit(w: &mut Worker, ctx: &ApiContext, body: &[u8]) -> Out {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        (
            400,
            error("invalid-input", format!("the body is not JSON: {e}")),
        )
    })?;
    let list = v["entries"].as_array().ok_or_else(|| {
        (
            400,
            error("invalid-input", "\"entries\" must be a list of hex strings"),
        )
    })?;
    let wait = Duration::from_millis(v["wait_ms"].as_u64().unwrap_or(30_000).min(MAX_WAIT_MS));
    let mut entries = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let bytes = e
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| (400, error("invalid-input", format!("entry {i} is not hex"))))?;
        let se: SignedEntry = from_bytes("entry", &bytes)
            .map_err(|e| (400, error("invalid-input", format!("entry {i}: {e}"))))?;
        entries.push(se);
    }
    // A first judgement against this node's state: what it refuses now never
    // reaches the pool (the block's judgement is the final one).
    let verdicts = if ctx.unfiltered {
        vec![Ok(()); entries.len()]
    } else {
        ledger(w, ctx)?
            .check_candidates(now(), &entries)
            .map_err(ledger_err)?
    };
    let ids: Vec<_> = entries.iter().map(|e| entry_id(&e.entry)).collect();
    for ((e, v), id) in entries.into_iter().zip(verdicts).zip(&ids) {
        match v {
            Err(r) => ctx.mempool.reject(*id, r),
            Ok(()) => match ctx.mempool.add(e.clone()) {
                Added::New => {
                    if let Some(g) = &ctx.gossip {
                        let _ = g.send(e);
                    }
                }
                Added::Known => {}
                Added::Full => {
                    return Err((
                        503,
                        error(
                            "busy",
                            "the node's pool of pending entries is full; retry shortly",
                        ),
                    ))
                }
            },
        }
    }
    let receipts = ctx.mempool.wait(&ids, wait);
    Ok((
        200,
        json!({"receipts": receipts.iter().map(receipt_json).collect::<Vec<_>>()}),
    ))
}

fn blocks(w: &mut Worker, ctx: &ApiContext, after: i64, wait: Duration) -> Out {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let l = ledger(w, ctx)?;
        let head = l.head().map_err(ledger_err)?;
        if head.map(|h| h.height as i64 > after).unwrap_or(false)
            || std::time::Instant::now() >= deadline
        {
            let mut out = Vec::new();
            if let Some(h) = head {
                let from = (after + 1).max(0) as u64;
                for height in from..=h.height.min(from + 99) {
                    if let Some((b, _)) = l.block(height).map_err(ledger_err)? {
                        out.push(json!({"height": height, "hash": hex::encode(credence_ledger::encode::block_hash(&b)),
                            "timestamp": b.header.timestamp, "entries": b.entries.len()}));
                    }
                }
            }
            return Ok((200, json!({"blocks": out})));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
