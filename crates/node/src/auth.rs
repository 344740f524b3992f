//! Signed client requests: the caller's Ed25519 key signs method, path, time
//! and body hash; the node checks the key is a member's or an enrolled
//! borrower's and the time is fresh.
use credence_crypto::hash::digest;
use credence_crypto::{Identity, Signature};

pub const REQUEST_DOMAIN: &[u8] = b"credence.api.request.v1";
/// How far a request's time may be from the node's clock.
pub const MAX_SKEW_SECS: u64 = 300;

pub const H_KEY: &str = "x-credence-key";
pub const H_TIME: &str = "x-credence-time";
pub const H_SIG: &str = "x-credence-signature";

pub fn request_message(method: &str, path: &str, time: u64, body: &[u8]) -> Vec<u8> {
    let body_hash = digest(b"credence.api.body.v1", &[body]);
    format!("{method}\n{path}\n{time}\n{}", hex::encode(body_hash)).into_bytes()
}

/// The three header values for a request.
pub fn sign_request(
    me: &Identity,
    method: &str,
    path: &str,
    time: u64,
    body: &[u8],
) -> [(String, String); 3] {
    let sig: Signature = me.sign(REQUEST_DOMAIN, &request_message(method, path, time, body));
    [
        (H_KEY.into(), hex::encode(me.public().sign)),
        (H_TIME.into(), time.to_string()),
        (H_SIG.into(), hex::encode(sig.0)),
    ]
}
