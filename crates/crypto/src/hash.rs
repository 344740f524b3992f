//! Domain-separated SHA-256, the one hash of the project.
use sha2::{Digest, Sha256};

/// `SHA-256(len(domain) || domain || for each part: len(part) || part)`, lengths as
/// u64 big-endian, so no two different (domain, parts) lists share an input.
pub fn digest(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((domain.len() as u64).to_be_bytes());
    h.update(domain);
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}
