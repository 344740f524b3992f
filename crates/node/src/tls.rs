//! TLS for the client API, pinned rather than trusted through a CA.
//!
//! Each node's certificate is self-signed by an Ed25519 key derived from the
//! node's own identity (so the keystore stays the only secret file), made at
//! `credence node init` and published in `node.json` and the consortium
//! profile with its SHA-256 fingerprint. A client accepts exactly that
//! certificate for that member: a certificate is as trustworthy as the
//! profile that names it, and people compare fingerprints, not CAs.
//!
//! Architecture invariant: plain HTTP is served only by a client API bound
//! to a loopback address; anything else speaks TLS 1.3 or nothing.
use credence_crypto::{Identity, Secret};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;

pub use rustls::ServerConfig;

/// What the identity-derived secret is for (see `Identity::derive_secret`).
const KEY_LABEL: &str = "client-api-tls/ed25519";

/// PKCS#8 v1 header of an Ed25519 private key (RFC 8410): the 32-byte
/// seed follows.
const PKCS8_ED25519: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An Ed25519 SubjectPublicKeyInfo's header: the 32-byte key follows.
const SPKI_ED25519: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("cannot make the node's TLS certificate: {0}")]
    Certificate(String),
    #[error("the TLS certificate in node.json is not this node's: it was made for another key")]
    NotOurs,
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// The one crypto provider (aws-lc-rs, already built for the consensus
/// engine's cryptography).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn private_key(identity: &Identity) -> Secret<Vec<u8>> {
    let seed = identity.derive_secret(KEY_LABEL);
    let mut der = PKCS8_ED25519.to_vec();
    der.extend_from_slice(seed.expose());
    Secret::new(der)
}

/// The Ed25519 public key inside `der`'s SubjectPublicKeyInfo.
fn public_key(identity: &Identity) -> Result<Vec<u8>, TlsError> {
    let key = private_key(identity);
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(key.expose().as_slice()),
        &rcgen::PKCS_ED25519,
    )
    .map_err(|e| TlsError::Certificate(e.to_string()))?;
    Ok(pair.public_key_raw().to_vec())
}

/// The names a certificate for a client API on `api` must carry: its own
/// address (unless it binds every address), loopback, and `extra` (the
/// host names or addresses clients dial when they differ from the bind).
pub fn names_for(api: SocketAddr, extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    if !api.ip().is_unspecified() {
        names.push(api.ip().to_string());
    }
    names.extend(extra.iter().cloned());
    names.sort();
    names.dedup();
    names
}

/// Whether a certificate can carry `names` (ASCII host names or addresses).
pub fn check_names(names: &[String]) -> Result<(), TlsError> {
    rcgen::CertificateParams::new(names.to_vec())
        .map(|_| ())
        .map_err(|e| TlsError::Certificate(format!("{e} (names: {})", names.join(", "))))
}

/// A self-signed certificate (DER) for `identity`'s node under `names`.
pub fn make_certificate(
    identity: &Identity,
    node_name: &str,
    names: &[String],
) -> Result<Vec<u8>, TlsError> {
    let key = private_key(identity);
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(key.expose().as_slice()),
        &rcgen::PKCS_ED25519,
    )
    .map_err(|e| TlsError::Certificate(e.to_string()))?;
    let mut params = rcgen::CertificateParams::new(names.to_vec())
        .map_err(|e| TlsError::Certificate(format!("{e} (names: {})", names.join(", "))))?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("Credence node {node_name}"),
    );
    let cert = params
        .self_signed(&pair)
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    Ok(cert.der().to_vec())
}

/// The certificate's SHA-256 fingerprint, as people compare it: hex.
pub fn fingerprint(cert_der: &[u8]) -> String {
    hex::encode(Sha256::digest(cert_der))
}

/// Whether `cert_der` carries `identity`'s TLS key.
pub fn is_ours(identity: &Identity, cert_der: &[u8]) -> Result<bool, TlsError> {
    let mut spki = SPKI_ED25519.to_vec();
    spki.extend_from_slice(&public_key(identity)?);
    Ok(cert_der.windows(spki.len()).any(|w| w == spki.as_slice()))
}

/// The server side: TLS 1.3 with `cert_der`, whose key is derived from
/// `identity` again here (it is never stored).
pub fn server_config(
    identity: &Identity,
    cert_der: &[u8],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    if !is_ours(identity, cert_der)? {
        return Err(TlsError::NotOurs);
    }
    let key = private_key(identity);
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert_der.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.expose().clone())),
        )
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    Ok(Arc::new(config))
}

/// The client side: an agent that accepts exactly `cert_der` (pinned: it is
/// the only root, and it signs nothing but itself).
pub fn client_tls(cert_der: &[u8]) -> ureq::tls::TlsConfig {
    let cert = ureq::tls::Certificate::from_der(cert_der).to_owned();
    ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]))
        .unversioned_rustls_crypto_provider(provider())
        .build()
}

/// The first byte of a TLS connection (a handshake record).
pub(crate) const HANDSHAKE: u8 = 0x16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_carries_its_identity_key_and_no_other() {
        let me = Identity::generate(&mut rand::rngs::OsRng);
        let other = Identity::generate(&mut rand::rngs::OsRng);
        let names = names_for("127.0.0.1:7001".parse().unwrap(), &["node.example".into()]);
        assert!(names.contains(&"node.example".to_string()));
        let cert = make_certificate(&me, "bank-a", &names).unwrap();
        assert!(is_ours(&me, &cert).unwrap());
        assert!(!is_ours(&other, &cert).unwrap());
        server_config(&me, &cert).unwrap();
        assert!(matches!(
            server_config(&other, &cert),
            Err(TlsError::NotOurs)
        ));
        assert_eq!(fingerprint(&cert).len(), 64);
        // The key is derived, not random: the same identity makes a
        // certificate with the same key again.
        let again = make_certificate(&me, "bank-a", &names).unwrap();
        assert!(is_ours(&me, &again).unwrap());
        assert!(make_certificate(&me, "bank-a", &["bänk".into()]).is_err());
        assert!(check_names(&["bänk".into()]).is_err());
        check_names(&names).unwrap();
    }
}
