//! A client of a node's API, signing each request with the caller's key.
use crate::auth::sign_request;
use crate::{NodeError, Receipt};
use credence_crypto::{Identity, PartyId};
use credence_ledger::clock::unix_now;
use credence_ledger::encode::to_bytes;
use credence_ledger::{RejectCode, Rejection, SignedEntry};
use rand::RngCore;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

pub struct NodeClient {
    base: String,
    /// The node's party id: every request is signed for it alone.
    node: PartyId,
    me: Identity,
    agent: ureq::Agent,
}

impl std::fmt::Debug for NodeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeClient({})", self.base)
    }
}

impl NodeClient {
    /// A client of the node at `addr` whose member key is `node`, over plain
    /// HTTP: for a node on this machine only (loopback).
    pub fn new(addr: SocketAddr, node: PartyId, me: Identity) -> Self {
        Self::build(format!("http://{addr}"), node, me, None)
    }

    /// A client over TLS that accepts exactly the certificate `cert_der`
    /// (the node's, as its `node.json` or the profile publishes it).
    pub fn pinned(addr: SocketAddr, node: PartyId, me: Identity, cert_der: &[u8]) -> Self {
        // A node that binds every address is dialled on loopback, which its
        // certificate names.
        let addr = dial(addr);
        Self::build(format!("https://{addr}"), node, me, Some(cert_der))
    }

    /// `pinned` when the node publishes a certificate, `new` otherwise.
    pub fn to(addr: SocketAddr, node: PartyId, me: Identity, cert_der: Option<&[u8]>) -> Self {
        match cert_der {
            Some(c) => Self::pinned(addr, node, me, c),
            None => Self::new(dial(addr), node, me),
        }
    }

    fn build(base: String, node: PartyId, me: Identity, cert_der: Option<&[u8]>) -> Self {
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(150)))
            .http_status_as_error(false);
        if let Some(c) = cert_der {
            config = config.tls_config(crate::tls::client_tls(c));
        }
        NodeClient {
            base,
            node,
            me,
            agent: config.build().into(),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, NodeError> {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let url = format!("{}{path}", self.base);
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let headers = sign_request(
            &self.me,
            &self.node,
            method,
            path,
            unix_now(),
            &nonce,
            &bytes,
        );
        let unreachable = |e: ureq::Error| {
            if is_certificate_error(&e) {
                NodeError::WrongCertificate(self.base.clone())
            } else {
                NodeError::Unreachable(format!("{}: {e}", self.base))
            }
        };
        let mut resp = if method == "POST" {
            let mut r = self.agent.post(&url);
            for (k, v) in &headers {
                r = r.header(*k, v.as_str());
            }
            r.header("content-type", "application/json")
                .send(&bytes[..])
                .map_err(unreachable)?
        } else {
            let mut r = self.agent.get(&url);
            for (k, v) in &headers {
                r = r.header(*k, v.as_str());
            }
            r.call().map_err(unreachable)?
        };
        let status = resp.status().as_u16();
        let v: Value = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_json()
            .map_err(|e| NodeError::Unreachable(format!("{}: bad response: {e}", self.base)))?;
        if status >= 400 {
            // A code this client does not know (a newer node) reads as internal.
            let code = v["error"]["code"]
                .as_str()
                .and_then(credence_ledger::ErrorCode::parse)
                .unwrap_or(credence_ledger::ErrorCode::Internal);
            let message = v["error"]["message"].as_str().unwrap_or("").to_string();
            return Err(NodeError::Api {
                status,
                code,
                message,
            });
        }
        Ok(v)
    }

    /// The node this client signs its requests for.
    pub fn node(&self) -> PartyId {
        self.node
    }

    pub fn status(&self) -> Result<Value, NodeError> {
        self.call("GET", "/v1/status", None)
    }

    /// Submit and wait up to `wait` for each entry to be final or refused.
    pub fn submit(
        &self,
        entries: &[SignedEntry],
        wait: Duration,
    ) -> Result<Vec<Option<Receipt>>, NodeError> {
        self.submit_to("/v1/submit", entries, wait)
    }

    /// As an operator of the node's member: the node checks each entry
    /// against the operator's role and signs it for the member (an entry
    /// carries only the signatures that come before the member's).
    pub fn operator_submit(
        &self,
        entries: &[SignedEntry],
        wait: Duration,
    ) -> Result<Vec<Option<Receipt>>, NodeError> {
        self.submit_to("/v1/operator/submit", entries, wait)
    }

    fn submit_to(
        &self,
        path: &str,
        entries: &[SignedEntry],
        wait: Duration,
    ) -> Result<Vec<Option<Receipt>>, NodeError> {
        let body = serde_json::json!({
            "entries": entries.iter().map(|e| hex::encode(to_bytes(e))).collect::<Vec<_>>(),
            "wait_ms": wait.as_millis() as u64,
        });
        let v = self.call("POST", path, Some(&body))?;
        let list = v["receipts"]
            .as_array()
            .ok_or_else(|| NodeError::Unreachable("no receipts in the reply".into()))?;
        Ok(list.iter().map(parse_receipt).collect())
    }

    pub fn get(&self, path: &str) -> Result<Value, NodeError> {
        self.call("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value, NodeError> {
        self.call("POST", path, Some(body))
    }
}

/// Whether TLS failed on the peer's certificate (rustls reports it directly
/// or inside the I/O error of the stream it wraps).
fn is_certificate_error(e: &ureq::Error) -> bool {
    let bad = |r: &rustls::Error| matches!(r, rustls::Error::InvalidCertificate(_));
    match e {
        ureq::Error::Rustls(r) => bad(r),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .is_some_and(bad),
        _ => false,
    }
}

/// Where to dial a node that listens on `addr`.
fn dial(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let lo: std::net::IpAddr = if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        SocketAddr::new(lo, addr.port())
    } else {
        addr
    }
}

fn parse_receipt(v: &Value) -> Option<Receipt> {
    match v["status"].as_str()? {
        "final" => {
            let id: [u8; 32] = hex::decode(v["entry_id"].as_str()?).ok()?.try_into().ok()?;
            Some(Receipt::Final {
                height: v["height"].as_u64()?,
                entry_id: id,
            })
        }
        "rejected" => Some(Receipt::Rejected(Rejection::new(
            RejectCode::parse(v["code"].as_str()?).unwrap_or(RejectCode::Malformed),
            v["message"].as_str().unwrap_or("").to_string(),
        ))),
        _ => None,
    }
}
