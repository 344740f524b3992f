//! The keystore: a file of named identities, encrypted at rest under a
//! passphrase (Argon2id → ChaCha20-Poly1305), kept apart from the ledger database.
use crate::{CryptoError, Identity, Secret};
use std::path::Path;

/// Argon2id cost. `Default` is the OWASP recommendation (19 MiB, t=2, p=1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams { m_cost_kib: 19 * 1024, t_cost: 2, p_cost: 1 }
    }
}

/// Write `entries` (label, identity) to `path`, atomically, mode 0600.
pub fn write(
    _path: &Path,
    _passphrase: &Secret<String>,
    _entries: &[(String, Identity)],
    _params: KdfParams,
) -> Result<(), CryptoError> {
    todo!()
}

/// Read every (label, identity) from `path`. A wrong passphrase or any altered
/// byte gives `CryptoError::WrongPassphrase`.
pub fn read(_path: &Path, _passphrase: &Secret<String>) -> Result<Vec<(String, Identity)>, CryptoError> {
    todo!()
}
