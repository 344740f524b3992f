//! Export in the `age` format (age-encryption.org/v1) so the standard `age`
//! tool can decrypt what Credence exports.
use crate::{CryptoError, Identity, PublicIdentity, Secret};

/// The recipient string (`age1…`) of an identity's X25519 key.
pub fn age_recipient(_pk: &PublicIdentity) -> String {
    todo!()
}

/// The identity string (`AGE-SECRET-KEY-1…`) of an identity's X25519 key.
pub fn age_identity(_id: &Identity) -> Secret<String> {
    todo!()
}

/// Encrypt `plaintext` to `recipient` as a binary age file.
pub fn export(_plaintext: &[u8], _recipient: &PublicIdentity) -> Result<Vec<u8>, CryptoError> {
    todo!()
}
