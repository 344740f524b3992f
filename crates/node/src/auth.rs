//! Signed client requests.
//!
//! The caller's Ed25519 key signs the method, the path with its query, the
//! time, a fresh nonce, the node the request is for, and the hash of the body.
//! Everything the signature covers travels in headers, so a node checks the
//! signature before it reads a byte of the body, then checks the body against
//! the signed hash. The nonce and the node binding stop replays: the node
//! remembers every nonce for the whole time window, and a request signed for
//! one member's node is refused by every other.
use credence_crypto::hash::digest;
use credence_crypto::keys::{party_id_of, verify};
use credence_crypto::{Identity, PartyId, Signature};
use thiserror::Error;

pub const REQUEST_DOMAIN: &[u8] = b"credence.api.request.v2";
const BODY_DOMAIN: &[u8] = b"credence.api.body.v1";
/// How far a request's time may be from the node's clock.
pub const MAX_SKEW_SECS: u64 = 300;

pub const H_KEY: &str = "x-credence-key";
pub const H_TIME: &str = "x-credence-time";
pub const H_NONCE: &str = "x-credence-nonce";
pub const H_NODE: &str = "x-credence-node";
pub const H_BODY: &str = "x-credence-body";
pub const H_SIG: &str = "x-credence-signature";

/// A nonce: 16 random bytes, sent as 32 lowercase hex digits.
pub type Nonce = [u8; 16];

/// The hash of a request body, as signed.
pub fn body_hash(body: &[u8]) -> [u8; 32] {
    digest(BODY_DOMAIN, &[body])
}

/// The bytes a caller signs.
pub fn request_message(
    method: &str,
    path_and_query: &str,
    time: u64,
    nonce: &Nonce,
    node: &PartyId,
    body_hash: &[u8; 32],
) -> Vec<u8> {
    format!(
        "{method}\n{path_and_query}\n{time}\n{}\n{}\n{}",
        hex::encode(nonce),
        node.to_hex(),
        hex::encode(body_hash)
    )
    .into_bytes()
}

/// The six header values for a request to `node`.
pub fn sign_request(
    me: &Identity,
    node: &PartyId,
    method: &str,
    path_and_query: &str,
    time: u64,
    nonce: &Nonce,
    body: &[u8],
) -> [(&'static str, String); 6] {
    let bh = body_hash(body);
    let sig: Signature = me.sign(
        REQUEST_DOMAIN,
        &request_message(method, path_and_query, time, nonce, node, &bh),
    );
    [
        (H_KEY, hex::encode(me.public().sign)),
        (H_TIME, time.to_string()),
        (H_NONCE, hex::encode(nonce)),
        (H_NODE, node.to_hex()),
        (H_BODY, hex::encode(bh)),
        (H_SIG, hex::encode(sig.0)),
    ]
}

/// What a request's headers claim, checked: the signature verifies, the time
/// is fresh and the request is for this node. The body is not read yet; its
/// hash must equal `body_hash` (`SignedHeaders::check_body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub key: [u8; 32],
    pub party: PartyId,
    pub time: u64,
    pub nonce: Nonce,
    pub body_hash: [u8; 32],
}

#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    #[error("sign the request: the {0} header is missing")]
    Missing(&'static str),
    #[error("the {header} header must be {what}")]
    Malformed {
        header: &'static str,
        what: &'static str,
    },
    #[error("the request's time is more than 5 minutes from the node's clock")]
    Stale,
    #[error("the request is signed for another node ({0}); sign it for this one")]
    OtherNode(String),
    #[error("the request signature does not verify")]
    BadSignature,
    #[error("the body does not match the signed hash")]
    BodyMismatch,
}

fn fixed_hex<const N: usize>(
    value: Option<&str>,
    header: &'static str,
    what: &'static str,
) -> Result<[u8; N], AuthError> {
    let v = value.ok_or(AuthError::Missing(header))?;
    // Lowercase only: one spelling per value, as signed.
    if v.len() != 2 * N
        || !v
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(AuthError::Malformed { header, what });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(v, &mut out).map_err(|_| AuthError::Malformed { header, what })?;
    Ok(out)
}

/// Check a request's signed headers. `get` returns a header's value by
/// (lowercase) name; `this_node` is the node's own party id; `now` its clock.
pub fn check_headers<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    method: &str,
    path_and_query: &str,
    this_node: &PartyId,
    now: u64,
) -> Result<SignedHeaders, AuthError> {
    let key: [u8; 32] = fixed_hex(get(H_KEY), H_KEY, "32 bytes of lowercase hex")?;
    let time_text = get(H_TIME).ok_or(AuthError::Missing(H_TIME))?;
    let malformed_time = AuthError::Malformed {
        header: H_TIME,
        what: "Unix seconds (digits only)",
    };
    if time_text.is_empty()
        || time_text.len() > 20
        || !time_text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed_time);
    }
    let time: u64 = time_text.parse().map_err(|_| malformed_time)?;
    let nonce: Nonce = fixed_hex(get(H_NONCE), H_NONCE, "16 bytes of lowercase hex")?;
    let node: [u8; 32] = fixed_hex(get(H_NODE), H_NODE, "a party id (64 lowercase hex digits)")?;
    let body_hash: [u8; 32] = fixed_hex(get(H_BODY), H_BODY, "32 bytes of lowercase hex")?;
    let sig: [u8; 64] = fixed_hex(get(H_SIG), H_SIG, "64 bytes of lowercase hex")?;
    if now.abs_diff(time) > MAX_SKEW_SECS {
        return Err(AuthError::Stale);
    }
    let node = PartyId(node);
    if node != *this_node {
        return Err(AuthError::OtherNode(node.short()));
    }
    let msg = request_message(method, path_and_query, time, &nonce, &node, &body_hash);
    verify(&key, REQUEST_DOMAIN, &msg, &Signature(sig)).map_err(|_| AuthError::BadSignature)?;
    Ok(SignedHeaders {
        key,
        party: party_id_of(&key),
        time,
        nonce,
        body_hash,
    })
}

impl SignedHeaders {
    pub fn check_body(&self, body: &[u8]) -> Result<(), AuthError> {
        if body_hash(body) == self.body_hash {
            Ok(())
        } else {
            Err(AuthError::BodyMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;
    use std::collections::HashMap;

    fn headers(h: &[(&'static str, String); 6]) -> HashMap<&'static str, String> {
        h.iter().cloned().collect()
    }

    fn check(
        h: &HashMap<&'static str, String>,
        path: &str,
        node: &PartyId,
        now: u64,
    ) -> Result<SignedHeaders, AuthError> {
        check_headers(|n| h.get(n).map(|s| s.as_str()), "POST", path, node, now)
    }

    #[test]
    fn a_signed_request_checks_and_binds_every_part() {
        let me = Identity::generate(&mut OsRng);
        let node = Identity::generate(&mut OsRng).party_id();
        let other = Identity::generate(&mut OsRng).party_id();
        let h = headers(&sign_request(
            &me,
            &node,
            "POST",
            "/v1/submit",
            1_000,
            &[7; 16],
            b"{}",
        ));
        let ok = check(&h, "/v1/submit", &node, 1_000).unwrap();
        assert_eq!(ok.party, me.party_id());
        ok.check_body(b"{}").unwrap();
        assert_eq!(ok.check_body(b"{ }"), Err(AuthError::BodyMismatch));
        // Another node, another path, another method, a stale time.
        assert!(matches!(
            check(&h, "/v1/submit", &other, 1_000),
            Err(AuthError::OtherNode(_))
        ));
        assert_eq!(
            check(&h, "/v1/blocks", &node, 1_000),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            check_headers(
                |n| h.get(n).map(|s| s.as_str()),
                "GET",
                "/v1/submit",
                &node,
                1_000
            ),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            check(&h, "/v1/submit", &node, 1_000 + 301),
            Err(AuthError::Stale)
        );
        // Each signed header, changed, breaks the signature.
        for name in [H_TIME, H_NONCE, H_BODY] {
            let mut t = h.clone();
            let v = t.get_mut(name).unwrap();
            let last = v.pop().unwrap();
            v.push(if last == '1' { '2' } else { '1' });
            assert_eq!(
                check(&t, "/v1/submit", &node, 1_000),
                Err(AuthError::BadSignature),
                "{name}"
            );
        }
    }

    #[test]
    fn malformed_headers_are_named() {
        let me = Identity::generate(&mut OsRng);
        let node = me.party_id();
        let h = headers(&sign_request(&me, &node, "POST", "/", 5, &[0; 16], b""));
        for name in [H_KEY, H_TIME, H_NONCE, H_NODE, H_BODY, H_SIG] {
            let mut t = h.clone();
            t.remove(name);
            assert_eq!(check(&t, "/", &node, 5), Err(AuthError::Missing(name)));
            for bad in ["", "zz", "+5", "-1", "99999999999999999999999"] {
                t.insert(name, bad.into());
                assert!(
                    matches!(check(&t, "/", &node, 5), Err(AuthError::Malformed { header, .. }) if header == name),
                    "{name}={bad}"
                );
            }
            let mut upper = h.clone();
            let v = upper.get_mut(name).unwrap();
            if v.bytes().any(|b| b.is_ascii_alphabetic()) {
                *v = v.to_uppercase();
                assert!(
                    check(&upper, "/", &node, 5).is_err(),
                    "{name} in upper case"
                );
            }
        }
    }
}
