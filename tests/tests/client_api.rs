//! The client API as an attacker meets it: a real server on 127.0.0.1 over
//! a member's real ledger file, fed by raw TCP. Nothing a client sends may
//! stall the node for others or be served twice.
mod common;

use common::*;
use credence_crypto::{Identity, PartyId};
use credence_node::auth::{self, sign_request};
use credence_node::client_api::{self, ApiContext, ApiLimits, ApiServer};
use credence_node::health::Health;
use credence_node::mempool::Mempool;
use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Api {
    server: Option<ApiServer>,
    addr: SocketAddr,
    node: PartyId,
    health: Arc<Health>,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.health
            .stop_flag()
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(s) = self.server.take() {
            s.join();
        }
    }
}

/// bank-a's node API over bank-a's ledger file.
fn serve(w: &World, limits: ApiLimits) -> Api {
    serve_at(w, limits, "127.0.0.1:0", None, None).unwrap()
}

fn serve_at(
    w: &World,
    limits: ApiLimits,
    at: &str,
    tls: Option<Arc<credence_node::tls::ServerConfig>>,
    acting: Option<client_api::Acting>,
) -> std::io::Result<Api> {
    let health = Health::new(Arc::new(AtomicBool::new(false)));
    let ctx = Arc::new(ApiContext {
        name: "bank-a".into(),
        role: "lender".into(),
        party: w.bank_a.party_id(),
        consortium: "test".into(),
        genesis: [7; 32],
        ledger_path: w.dir.path().join("bank-a.db"),
        mempool: Arc::new(Mempool::new()),
        gossip: None,
        health: health.clone(),
        unfiltered: false,
        tls,
        acting,
        lie: None,
    });
    let server = client_api::serve(at.parse().unwrap(), ctx, limits)?;
    Ok(Api {
        addr: server.addr,
        server: Some(server),
        node: w.bank_a.party_id(),
        health,
    })
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn nonce() -> [u8; 16] {
    let mut n = [0u8; 16];
    OsRng.fill_bytes(&mut n);
    n
}

/// The bytes of a request `me` signs for `node`.
fn signed(me: &Identity, node: &PartyId, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let h = sign_request(me, node, method, path, now(), &nonce(), body);
    request(method, path, &h, body)
}

fn request(method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nhost: node\r\nconnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Send raw bytes; the status and JSON body of the reply.
fn send(addr: SocketAddr, bytes: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn status_time(addr: SocketAddr) -> Duration {
    let t = Instant::now();
    let (code, v) = send(addr, &request("GET", "/v1/status", &[], b""));
    assert_eq!(code, 200, "{v}");
    t.elapsed()
}

/// Finding 1: connections that announce a body and never send it held all
/// four API workers; no signature was needed.
#[test]
fn stalled_bodies_do_not_stall_the_api() {
    let w = world();
    let api = serve(&w, ApiLimits::default());
    // Unsigned: refused from the headers alone, before any body is read.
    let mut stalled = Vec::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(api.addr).unwrap();
        s.write_all(b"POST /v1/submit HTTP/1.1\r\nhost: node\r\ncontent-length: 100000\r\n\r\n")
            .unwrap();
        stalled.push(s);
    }
    for s in &mut stalled {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"HTTP/1.1 401", "refused at once, body unread");
    }
    // Signed, with a body that never comes: each holds only its own caller's
    // share; status and other callers are served at once.
    let borrower = w.s1.clone();
    let mut held = Vec::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(api.addr).unwrap();
        let full = signed(&borrower, &api.node, "POST", "/v1/submit", &[b'x'; 100_000]);
        s.write_all(&full[..full.len() - 100_000]).unwrap();
        held.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(status_time(api.addr) < Duration::from_secs(1));
    let t = Instant::now();
    let (code, v) = send(
        api.addr,
        &signed(&w.s2, &api.node, "GET", "/v1/me/consents", b""),
    );
    assert_eq!(code, 200, "{v}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // Headers that never finish are cut off.
    let api2 = serve(
        &w,
        ApiLimits {
            header_timeout: Duration::from_millis(500),
            body_timeout: Duration::from_millis(500),
            ..ApiLimits::default()
        },
    );
    let mut slow = TcpStream::connect(api2.addr).unwrap();
    slow.write_all(b"GET /v1/status HTTP/1.1\r\nhost: no")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "closed after the header timeout"
    );
    // A signed body that stops half way gets 408 after the body timeout.
    let mut half = TcpStream::connect(api2.addr).unwrap();
    let full = signed(&borrower, &api2.node, "POST", "/v1/submit", &[b'x'; 1000]);
    half.write_all(&full[..full.len() - 500]).unwrap();
    half.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reply = Vec::new();
    let _ = half.read_to_end(&mut reply);
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    drop(held);
}

/// Finding 2: 64 long polls from one enrolled borrower held the status
/// endpoint for 45 s.
#[test]
fn long_polls_from_one_caller_do_not_starve_others() {
    let w = world();
    let api = serve(&w, ApiLimits::default());
    let addr = api.addr;
    let polls: Vec<_> = (0..64)
        .map(|_| {
            let bytes = signed(
                &w.s1,
                &api.node,
                "GET",
                "/v1/blocks?after=1000000&wait_ms=3000",
                b"",
            );
            std::thread::spawn(move || send(addr, &bytes).0)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        assert!(status_time(addr) < Duration::from_secs(1));
    }
    let t = Instant::now();
    let (code, _) = send(
        addr,
        &signed(&w.s2, &api.node, "GET", "/v1/blocks?after=0", b""),
    );
    assert_eq!(code, 200);
    assert!(t.elapsed() < Duration::from_secs(1));
    let codes: Vec<u16> = polls.into_iter().map(|p| p.join().unwrap()).collect();
    let waited = codes.iter().filter(|c| **c == 200).count();
    let refused = codes.iter().filter(|c| **c == 429).count();
    assert_eq!(waited + refused, 64, "{codes:?}");
    // At most the caller's share of waits was held; the rest were refused
    // at once (some by its share of requests in progress, as they arrived
    // together).
    assert!(
        (1..=ApiLimits::default().waits_per_caller).contains(&waited),
        "{codes:?}"
    );
}

/// Finding 6: `after` wrapped to block 0 and `abc` read as −1.
#[test]
fn numbers_in_requests_are_range_checked() {
    let w = world();
    let api = serve(&w, ApiLimits::default());
    let get = |path: &str| send(api.addr, &signed(&w.s1, &api.node, "GET", path, b""));
    let (code, v) = get("/v1/blocks?after=9223372036854775807");
    assert_eq!(code, 200);
    assert_eq!(
        v["blocks"].as_array().unwrap().len(),
        0,
        "no wrap to block 0"
    );
    for bad in [
        "/v1/blocks?after=abc",
        "/v1/blocks?after=-1",
        "/v1/blocks?after=18446744073709551615",
        "/v1/blocks?wait_ms=120001",
        "/v1/blocks?after=1&after=2",
        "/v1/blocks?from=1",
    ] {
        let (code, v) = get(bad);
        assert_eq!(code, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid-input", "{bad}");
    }
    let (code, v) = get("/v1/blocks");
    assert_eq!(code, 200);
    assert_eq!(v["blocks"][0]["height"], 0, "no `after`: from block 0");
    let body = br#"{"entries": ["00"], "wait_ms": 18446744073709551615}"#;
    let (code, v) = send(
        api.addr,
        &signed(&w.s1, &api.node, "POST", "/v1/submit", body),
    );
    assert_eq!(code, 400, "{v}");
}

/// Finding 7: a signed request could be replayed within the time window, to
/// the same node or to another member's.
#[test]
fn signed_requests_are_served_once_and_only_by_their_node() {
    let w = world();
    let api = serve(&w, ApiLimits::default());
    let once = signed(&w.s1, &api.node, "GET", "/v1/me/consents", b"");
    assert_eq!(send(api.addr, &once).0, 200);
    let (code, v) = send(api.addr, &once);
    assert_eq!(code, 409, "{v}");
    assert_eq!(v["error"]["code"], "replayed");
    // Signed for the agency's node: refused here.
    let elsewhere = signed(&w.s1, &w.agency.party_id(), "GET", "/v1/me/consents", b"");
    let (code, v) = send(api.addr, &elsewhere);
    assert_eq!(code, 401, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("another node"));
    // A body other than the signed one is refused.
    let h = sign_request(
        &w.s1,
        &api.node,
        "POST",
        "/v1/submit",
        now(),
        &nonce(),
        b"{}",
    );
    let (code, v) = send(api.addr, &request("POST", "/v1/submit", &h, b"{ }"));
    assert_eq!(code, 400, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("signed hash"));
    // Outsiders are refused after their signature checks.
    let stranger = Identity::generate(&mut OsRng);
    let (code, v) = send(
        api.addr,
        &signed(&stranger, &api.node, "GET", "/v1/me/consents", b""),
    );
    assert_eq!(code, 403, "{v}");
    // An old request is refused even with a fresh nonce.
    let h = sign_request(
        &w.s1,
        &api.node,
        "GET",
        "/v1/me/consents",
        now() - auth::MAX_SKEW_SECS - 5,
        &nonce(),
        b"",
    );
    assert_eq!(
        send(api.addr, &request("GET", "/v1/me/consents", &h, b"")).0,
        401
    );
    // The health endpoint says all is well, and counts the nonces it keeps.
    let (code, v) = send(api.addr, &request("GET", "/v1/status", &[], b""));
    // A client checks these against its profile before it sends anything.
    assert_eq!(v["consortium"], "test", "{v}");
    assert_eq!(v["genesis"], "07".repeat(32), "{v}");
    assert_eq!(code, 200);
    assert_eq!(v["healthy"], true);
    assert!(v["nonces"].as_u64().unwrap() >= 1);
}

/// Off loopback the API speaks only TLS with the node's own certificate:
/// without one it does not start; plain HTTP is refused with a reason; a
/// client pinned to the node's certificate gets through, one pinned to any
/// other does not; and a client that stalls in the handshake is dropped like
/// one that stalls in its headers. On loopback plain HTTP is served too.
#[test]
fn off_loopback_the_api_speaks_only_pinned_tls() {
    use credence_node::client::NodeClient;
    use credence_node::{tls, NodeError};
    let w = world();
    let limits = ApiLimits {
        header_timeout: Duration::from_millis(500),
        ..ApiLimits::default()
    };
    let refused = serve_at(&w, limits.clone(), "0.0.0.0:0", None, None)
        .err()
        .unwrap();
    assert!(
        refused.to_string().contains("plain HTTP only on loopback"),
        "{refused}"
    );

    let names = tls::names_for("0.0.0.0:0".parse().unwrap(), &[]);
    let cert = tls::make_certificate(&w.bank_a, "bank-a", &names).unwrap();
    let config = tls::server_config(&w.bank_a, &cert).unwrap();
    let api = serve_at(&w, limits.clone(), "0.0.0.0:0", Some(config.clone()), None).unwrap();
    let lo = SocketAddr::from(([127, 0, 0, 1], api.addr.port()));

    let (code, v) = send(lo, &request("GET", "/v1/status", &[], b""));
    assert_eq!(code, 426, "{v}");
    assert_eq!(v["error"]["code"], "not-permitted", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("speaks only TLS"),
        "{v}"
    );

    let pinned = NodeClient::pinned(lo, api.node, w.s1.clone(), &cert);
    assert_eq!(pinned.status().unwrap()["name"], "bank-a");
    // A signed request, over the same pinned connection.
    pinned.get("/v1/me/consents").unwrap();

    let impostor = tls::make_certificate(&w.bank_b, "bank-a", &names).unwrap();
    let wrong = NodeClient::pinned(lo, api.node, w.s1.clone(), &impostor);
    assert!(
        matches!(wrong.status(), Err(NodeError::WrongCertificate(_))),
        "a certificate other than the pinned one is refused"
    );

    // A handshake begun and never finished: the node closes it.
    let mut s = TcpStream::connect(lo).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&[0x16, 0x03, 0x01]).unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 64];
    let _ = s.read(&mut buf);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(pinned.status().unwrap()["name"], "bank-a");
    drop(api);

    // On loopback: both.
    let api = serve_at(&w, limits, "127.0.0.1:0", Some(config), None).unwrap();
    let (code, v) = send(api.addr, &request("GET", "/v1/status", &[], b""));
    assert_eq!(code, 200, "{v}");
    let pinned = NodeClient::pinned(api.addr, api.node, w.s1.clone(), &cert);
    assert_eq!(pinned.status().unwrap()["name"], "bank-a");
}

/// A member's operators act for it within their role only: an officer's
/// question is signed by the node for the member and names the officer; an
/// officer cannot furnish, score, answer or vote, nor fetch record keys; an
/// analyst gets a record's key wrapped to its own key (and nobody else can
/// use that wrap) but cannot ask; a stranger's key is refused; an operator
/// removed from the registry is refused from its next request.
#[test]
fn operators_act_for_their_member_within_their_role() {
    use credence_crypto::proof::Predicate;
    use credence_ledger::encode::from_bytes;
    use credence_ledger::types::{Entry, QueryAsked, SignedEntry};
    use credence_ledger::{read, ErrorCode, Ledger};
    use credence_node::client::NodeClient;
    use credence_node::operators::{Operator, OperatorRole, Operators, OperatorsFile};
    use credence_node::NodeError;

    let w = world();
    let home = tempfile::tempdir().unwrap();
    let officer = Identity::generate(&mut OsRng);
    let analyst = Identity::generate(&mut OsRng);
    let stranger = Identity::generate(&mut OsRng);
    let op = |id: &Identity, name: &str, role| Operator {
        name: name.into(),
        role,
        sign_key: hex::encode(id.public().sign),
        enc_key: hex::encode(id.public().enc),
        added_at: 1,
        party: None,
        retired: Vec::new(),
    };
    let both = vec![
        op(&officer, "olga", OperatorRole::Officer),
        op(&analyst, "anil", OperatorRole::Analyst),
    ];
    OperatorsFile::sign(&w.bank_a, both.clone())
        .unwrap()
        .write(home.path())
        .unwrap();
    let api = serve_at(
        &w,
        ApiLimits::default(),
        "127.0.0.1:0",
        None,
        Some(client_api::Acting {
            identity: w.bank_a.clone(),
            operators: Operators::new(home.path(), w.bank_a.public()),
            furnisher: None,
        }),
    )
    .unwrap();
    let as_ = |id: &Identity| NodeClient::new(api.addr, api.node, id.clone());
    let refused =
        |r: Result<Vec<Option<credence_node::Receipt>>, NodeError>, code: ErrorCode, says: &str| {
            match r {
                Err(NodeError::Api {
                    code: c, message, ..
                }) => {
                    assert_eq!(c, code, "{message}");
                    assert!(message.contains(says), "{message}");
                }
                other => panic!("expected {code:?}, got {other:?}"),
            }
        };
    let question = |operator: Option<PartyId>, requester: PartyId| SignedEntry {
        entry: Entry::QueryAsked(QueryAsked {
            query_id: {
                let mut id = [0u8; 32];
                OsRng.fill_bytes(&mut id);
                id
            },
            requester,
            subject: w.s1.party_id(),
            consent_id: w.consent_a,
            predicate: Predicate::ScoreAtLeast { min: 300 },
            responder: w.agency.party_id(),
            target: None,
            operator,
        }),
        signatures: vec![],
    };

    // The officer asks: the node signs for bank-a, and the rules accept it.
    let r = as_(&officer)
        .operator_submit(
            &[question(Some(officer.party_id()), w.bank_a.party_id())],
            Duration::ZERO,
        )
        .unwrap();
    assert!(
        !matches!(r[0], Some(credence_node::Receipt::Rejected(_))),
        "the member-signed question passes the rules: {r:?}"
    );
    refused(
        as_(&officer).operator_submit(&[question(None, w.bank_a.party_id())], Duration::ZERO),
        ErrorCode::NotPermitted,
        "name the operator",
    );
    refused(
        as_(&officer).operator_submit(
            &[question(Some(officer.party_id()), w.bank_b.party_id())],
            Duration::ZERO,
        ),
        ErrorCode::NotPermitted,
        "this node's member",
    );

    // Not furnish, score, answer or vote: whatever the entry, only the
    // member's own key submits it.
    let l = Ledger::open_read_only(&w.dir.path().join("bank-a.db")).unwrap();
    let (record, _) = read::furnished(&l, &w.tradeline).unwrap();
    let score = read::scores_for(&l, &w.s1.party_id()).unwrap().remove(0);
    let unsigned = |entry| SignedEntry {
        entry,
        signatures: vec![],
    };
    for (entry, kind) in [
        (Entry::RecordFurnished(record.clone()), "record-furnished"),
        (Entry::ScoreCommitted(score), "score-committed"),
        (
            Entry::MemberVote {
                proposal_id: [9; 32],
                voter: w.bank_a.party_id(),
                approve: true,
            },
            "member-vote",
        ),
    ] {
        refused(
            as_(&officer).operator_submit(&[unsigned(entry)], Duration::ZERO),
            ErrorCode::NotPermitted,
            &format!("cannot submit {kind} entries"),
        );
    }
    // Nor through the members' endpoint.
    refused(
        as_(&officer).submit(
            &[question(Some(officer.party_id()), w.bank_a.party_id())],
            Duration::ZERO,
        ),
        ErrorCode::NotPermitted,
        "/v1/operator/submit",
    );
    let key_path = format!(
        "/v1/operator/record-key?record={}",
        hex::encode(w.tradeline)
    );
    match as_(&officer).get(&key_path) {
        Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotPermitted),
        other => panic!("an officer got a record key: {other:?}"),
    }

    // The analyst: a record's key wrapped to the analyst alone; no questions.
    let v = as_(&analyst).get(&key_path).unwrap();
    let wrap: credence_crypto::seal::WrappedKey =
        from_bytes("wrap", &hex::decode(v["wrap"].as_str().unwrap()).unwrap()).unwrap();
    let opened = record
        .sealed
        .open(&analyst, std::slice::from_ref(&wrap))
        .unwrap();
    assert!(!opened.expose().is_empty());
    assert!(
        record.sealed.open(&officer, &[wrap]).is_err(),
        "the wrap is the analyst's alone"
    );
    assert!(
        !v.to_string().contains(&hex::encode(&opened.expose()[..16])),
        "no content in clear"
    );
    as_(&analyst).get("/v1/me/records").unwrap();

    // A capture of everything between the analyst and the node, on plain
    // HTTP (no TLS to hide behind): the analyst lists the records, fetches
    // the wrapped key and opens the record locally; no field of it, and not
    // its plaintext, crosses the wire.
    let (relay_at, captured) = capture_relay(api.addr);
    let watched = NodeClient::new(relay_at, api.node, analyst.clone());
    let list = watched.get("/v1/me/records").unwrap();
    assert!(list.to_string().contains(&hex::encode(w.tradeline)));
    let v = watched.get(&key_path).unwrap();
    let wrap: credence_crypto::seal::WrappedKey =
        from_bytes("wrap", &hex::decode(v["wrap"].as_str().unwrap()).unwrap()).unwrap();
    let plaintext = record.sealed.open(&analyst, &[wrap]).unwrap();
    let payload = credence_ledger::payload::Payload::decode(plaintext.expose()).unwrap();
    let credence_ledger::payload::Payload::Tradeline(t) = payload else {
        panic!("the record is a tradeline")
    };
    drop(watched);
    let wire = captured.lock().unwrap().clone();
    assert!(
        wire.len() > 1000,
        "the capture saw the exchange ({} bytes)",
        wire.len()
    );
    let contains = |needle: &[u8]| wire.windows(needle.len()).any(|w| w == needle);
    // It did see the record: its sealed form.
    assert!(contains(
        hex::encode(&record.sealed.ciphertext.bytes().unwrap()[..24]).as_bytes()
    ));
    for field in [&t.payment_history, &t.date_opened, &t.account_status] {
        assert!(field.len() >= 2);
        assert!(
            !contains(format!("\"{field}\"").as_bytes()),
            "{field} crossed the wire"
        );
    }
    let p = plaintext.expose();
    assert!(
        !contains(&p[..24.min(p.len())]),
        "the plaintext crossed the wire"
    );
    assert!(!contains(hex::encode(&p[..24.min(p.len())]).as_bytes()));
    refused(
        as_(&analyst).operator_submit(
            &[question(Some(analyst.party_id()), w.bank_a.party_id())],
            Duration::ZERO,
        ),
        ErrorCode::NotPermitted,
        "analyst role",
    );

    // A key nobody registered.
    match as_(&stranger).get("/v1/me/consents") {
        Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotAMember),
        other => panic!("a stranger was served: {other:?}"),
    }
    // The officer removed: refused from the next request.
    as_(&officer).get("/v1/queries").unwrap();
    OperatorsFile::sign(&w.bank_a, vec![both[1].clone()])
        .unwrap()
        .write(home.path())
        .unwrap();
    match as_(&officer).get("/v1/queries") {
        Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotAMember),
        other => panic!("a removed officer was served: {other:?}"),
    }
    as_(&analyst).get("/v1/queries").unwrap();
}

/// An operator rotates their own key at their member's node: the new key
/// must sign the hand-over and be fresh (no member's, borrower's or other
/// operator's key); afterwards the old key is refused as retired, the new
/// one acts in the same role, and questions still name the operator's
/// first party. A borrower cannot use the route.
#[test]
fn an_operator_rotates_their_key_at_their_node_and_the_old_key_is_refused() {
    use credence_crypto::proof::Predicate;
    use credence_ledger::types::{Entry, QueryAsked, SignedEntry};
    use credence_ledger::{ErrorCode, RejectCode};
    use credence_node::client::NodeClient;
    use credence_node::operators::{
        rotation_message, Operator, OperatorRole, Operators, OperatorsFile, ROTATE_DOMAIN,
    };
    use credence_node::NodeError;

    let w = world();
    let home = tempfile::tempdir().unwrap();
    let officer = Identity::generate(&mut OsRng);
    let analyst = Identity::generate(&mut OsRng);
    let op = |id: &Identity, name: &str, role| Operator {
        name: name.into(),
        role,
        sign_key: hex::encode(id.public().sign),
        enc_key: hex::encode(id.public().enc),
        added_at: 1,
        party: None,
        retired: Vec::new(),
    };
    OperatorsFile::sign(
        &w.bank_a,
        vec![
            op(&officer, "olga", OperatorRole::Officer),
            op(&analyst, "anil", OperatorRole::Analyst),
        ],
    )
    .unwrap()
    .write(home.path())
    .unwrap();
    let api = serve_at(
        &w,
        ApiLimits::default(),
        "127.0.0.1:0",
        None,
        Some(client_api::Acting {
            identity: w.bank_a.clone(),
            operators: Operators::new(home.path(), w.bank_a.public()),
            furnisher: None,
        }),
    )
    .unwrap();
    let as_ = |id: &Identity| NodeClient::new(api.addr, api.node, id.clone());
    let registry = || std::fs::read(home.path().join("operators.json")).unwrap();
    // The body `by` sends to move to `next`, the hand-over signed by `signer`.
    let body = |by: &Identity, next: &Identity, signer: &Identity| {
        let msg = rotation_message(
            &w.bank_a.party_id(),
            &by.party_id(),
            &by.public().sign,
            &next.public(),
        );
        let sig = signer.sign(ROTATE_DOMAIN, &msg);
        serde_json::json!({"sign_key": hex::encode(next.public().sign),
            "enc_key": hex::encode(next.public().enc), "signature": hex::encode(sig.0)})
    };
    let refused = |r: Result<serde_json::Value, NodeError>, code: ErrorCode, says: &str| match r {
        Err(NodeError::Api {
            code: c, message, ..
        }) => {
            assert_eq!(c, code, "{message}");
            assert!(message.contains(says), "{message}");
        }
        other => panic!("expected {code:?}, got {other:?}"),
    };
    let before = registry();
    let next = officer.rotated(&mut OsRng);

    // The new key did not sign the hand-over (the old key forging it, or
    // a stranger's key claimed): refused, nothing written.
    refused(
        as_(&officer).post("/v1/operator/rotate", &body(&officer, &next, &officer)),
        ErrorCode::Rejected(RejectCode::BadSignature),
        "new key's signature",
    );
    // Keys in use: a borrower's, another member's, a colleague's.
    refused(
        as_(&officer).post("/v1/operator/rotate", &body(&officer, &w.s1, &w.s1)),
        ErrorCode::Rejected(RejectCode::AlreadyExists),
        "borrower's key",
    );
    refused(
        as_(&officer).post("/v1/operator/rotate", &body(&officer, &w.bank_b, &w.bank_b)),
        ErrorCode::Rejected(RejectCode::AlreadyExists),
        "member's",
    );
    refused(
        as_(&officer).post("/v1/operator/rotate", &body(&officer, &analyst, &analyst)),
        ErrorCode::Rejected(RejectCode::AlreadyExists),
        "registered twice",
    );
    // Malformed, and not an operator.
    refused(
        as_(&officer).post(
            "/v1/operator/rotate",
            &serde_json::json!({"sign_key": "zz"}),
        ),
        ErrorCode::InvalidInput,
        "sign_key",
    );
    refused(
        as_(&w.s1).post("/v1/operator/rotate", &body(&w.s1, &next, &next)),
        ErrorCode::NotPermitted,
        "only an operator",
    );
    assert_eq!(registry(), before, "nothing refused changed the registry");

    // The rotation.
    let v = as_(&officer)
        .post("/v1/operator/rotate", &body(&officer, &next, &next))
        .unwrap();
    assert_eq!(v["party"], officer.party_id().to_hex());
    assert_eq!(v["sign_key"], hex::encode(next.public().sign));

    // The old key: refused as retired, whatever it asks.
    match as_(&officer).get("/v1/queries") {
        Err(NodeError::Api { code, message, .. }) => {
            assert_eq!(code, ErrorCode::Unauthenticated);
            assert!(message.contains("retired"), "{message}");
        }
        other => panic!("a retired operator key was served: {other:?}"),
    }
    refused(
        as_(&officer).post("/v1/operator/rotate", &body(&officer, &next, &next)),
        ErrorCode::Unauthenticated,
        "retired",
    );
    // The new key: the same operator, in the same role, under the first party.
    let who = as_(&next).get("/v1/whoami").unwrap();
    assert_eq!(who["party"], officer.party_id().to_hex());
    assert_eq!(who["role"], "officer");
    let question = |operator: PartyId| SignedEntry {
        entry: Entry::QueryAsked(QueryAsked {
            query_id: {
                let mut id = [0u8; 32];
                OsRng.fill_bytes(&mut id);
                id
            },
            requester: w.bank_a.party_id(),
            subject: w.s1.party_id(),
            consent_id: w.consent_a,
            predicate: Predicate::ScoreAtLeast { min: 300 },
            responder: w.agency.party_id(),
            target: None,
            operator: Some(operator),
        }),
        signatures: vec![],
    };
    let r = as_(&next)
        .operator_submit(&[question(officer.party_id())], Duration::ZERO)
        .unwrap();
    assert!(
        !matches!(r[0], Some(credence_node::Receipt::Rejected(_))),
        "asked with the new key under the first party: {r:?}"
    );
    match as_(&next).operator_submit(&[question(next.public().party_id())], Duration::ZERO) {
        Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotPermitted),
        other => panic!("a question naming the new key's own id passed: {other:?}"),
    }
    // The registry is still bank-a's signed word, with the retired key listed.
    let file = OperatorsFile::read(home.path()).unwrap().unwrap();
    file.verify(&w.bank_a.public()).unwrap();
    assert_eq!(file.operators[0].retired.len(), 1);
    // The analyst is untouched.
    assert_eq!(as_(&analyst).get("/v1/whoami").unwrap()["role"], "analyst");
}

/// A key no node knows (an operator of another member, a light client
/// before enrolment) may read the consortium's membership with its proofs,
/// and nothing else: not another entry's proof, not its existence.
#[test]
fn a_stranger_reads_the_membership_and_nothing_else() {
    use credence_ledger::ErrorCode;
    use credence_node::client::NodeClient;
    use credence_node::NodeError;

    let w = world();
    let api = serve(&w, ApiLimits::default());
    let stranger = NodeClient::new(api.addr, api.node, Identity::generate(&mut OsRng));
    let listed = stranger.get("/v1/membership").unwrap();
    let ids: Vec<&str> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "the founding alone: {listed}");
    assert_eq!(listed["entries"][0]["height"], 0);
    let genesis = ids[0].to_string();

    // Proven: the genesis. Not proven, and not told apart from an id that
    // is not there: an entry about a borrower and a made-up id.
    let borrower = NodeClient::new(api.addr, api.node, w.s1.clone());
    let about = borrower.get("/v1/me/entries").unwrap();
    let record = about["entries"][0]["entry_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(about["entries"][0]["height"].as_u64().unwrap() > 0);
    let made_up = hex::encode([0x5a; 32]);
    let v = stranger
        .post(
            "/v1/proofs",
            &serde_json::json!({"entries": [genesis, record, made_up]}),
        )
        .unwrap();
    let proofs = v["proofs"].as_array().unwrap();
    assert!(proofs[0]["error"].is_null(), "{}", proofs[0]);
    assert_eq!(proofs[0]["height"], 0);
    assert!(proofs[0]["entry"].is_string() && proofs[0]["path"].is_array());
    assert_eq!(proofs[1]["error"], proofs[2]["error"]);
    assert_eq!(proofs[1]["error"]["code"], "not-found");
    match stranger.get(&format!("/v1/proof?entry={record}")) {
        Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotFound),
        other => panic!("a stranger got a record's proof: {other:?}"),
    }
    // The same entry proves to its borrower.
    borrower
        .get(&format!("/v1/proof?entry={record}"))
        .expect("the borrower proves their own record");

    // Everything else is refused as from a key the node does not know.
    for path in [
        "/v1/whoami",
        "/v1/me/entries",
        "/v1/me/records",
        "/v1/me/consents",
        "/v1/me/access-log",
        "/v1/queries",
        "/v1/blocks",
        "/v1/operator/record-key?record=00",
    ] {
        match stranger.get(path) {
            Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotAMember, "{path}"),
            other => panic!("a stranger was served {path}: {other:?}"),
        }
    }
    match stranger.submit(&[], Duration::ZERO) {
        Err(NodeError::Api { code, .. }) => assert_eq!(code, ErrorCode::NotAMember),
        other => panic!("a stranger submitted: {other:?}"),
    }
    // A forged signature is refused before anything is read.
    let mut h = sign_request(
        &w.s2,
        &api.node,
        "GET",
        "/v1/membership",
        now(),
        &nonce(),
        b"",
    );
    let sig = h.iter_mut().find(|(k, _)| *k == auth::H_SIG).unwrap();
    sig.1 = hex::encode([0x11u8; 64]);
    let (code, body) = send(api.addr, &request("GET", "/v1/membership", &h, b""));
    assert_eq!(code, 401, "{body}");
}

/// A TCP relay on 127.0.0.1 to `to` that keeps a copy of every byte both
/// ways: a loopback capture. It serves at most 16 connections, and each
/// pump stops when its side closes or is idle for 10 s.
fn capture_relay(to: SocketAddr) -> (SocketAddr, Arc<std::sync::Mutex<Vec<u8>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let at = listener.local_addr().unwrap();
    let captured = Arc::new(std::sync::Mutex::new(Vec::new()));
    let cap = captured.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().take(16).flatten() {
            let Ok(server) = TcpStream::connect(to) else {
                return;
            };
            for (mut from, mut into) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                let cap = cap.clone();
                std::thread::spawn(move || {
                    from.set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || into.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        cap.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = into.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    (at, captured)
}
