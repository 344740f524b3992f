//! Sealed records: one random content key per record; the payload is
//! ChaCha20-Poly1305 under that key with the header as associated data; the
//! content key is wrapped for each recipient with HPKE (RFC 9180 base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305); the recipients'
//! KeyIds sit beside their wraps so opening costs one X25519; the author signs
//! header, wraps and ciphertext together.
use crate::{CryptoError, Identity, KeyId, PartyId, PublicIdentity, Secret, Signature};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

pub const SEAL_VERSION: u8 = 1;

/// What the payload's AEAD binds as associated data (fixed 65-byte encoding:
/// version || context || author).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealHeader {
    pub version: u8,
    /// What the sealed bytes are about (a record id, a score id): binds the
    /// ciphertext to its place on the ledger.
    pub context: [u8; 32],
    pub author: PartyId,
}

/// The content key wrapped for one recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    pub key_id: KeyId,
    /// HPKE encapsulated key (X25519 ephemeral public key).
    pub enc: [u8; 32],
    /// HPKE ciphertext of the 32-byte content key (48 bytes with the tag).
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedRecord {
    pub header: SealHeader,
    pub recipients: Vec<WrappedKey>,
    pub ciphertext: Vec<u8>,
    /// Author's Ed25519 signature over header, recipients and ciphertext.
    pub signature: Signature,
}

/// A record's content key, kept only in memory.
#[derive(Clone)]
pub struct ContentKey(pub(crate) Secret<[u8; 32]>);

impl std::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentKey(<redacted>)")
    }
}

/// Seal `plaintext` for `recipients`; returns the record and its content key
/// (for later sharing with a newly consented recipient).
pub fn seal<R: RngCore + CryptoRng>(
    _author: &Identity,
    _context: [u8; 32],
    _plaintext: &[u8],
    _recipients: &[PublicIdentity],
    _rng: &mut R,
) -> Result<(SealedRecord, ContentKey), CryptoError> {
    todo!("seal")
}

/// Wrap an existing content key for one more recipient (for `RecordShared`).
pub fn wrap_for<R: RngCore + CryptoRng>(
    _key: &ContentKey,
    _header: &SealHeader,
    _recipient: &PublicIdentity,
    _rng: &mut R,
) -> Result<WrappedKey, CryptoError> {
    todo!("wrap_for")
}

impl SealedRecord {
    /// Check that `author` is the header's author and signed this record.
    pub fn verify_author(&self, _author: &PublicIdentity) -> Result<(), CryptoError> {
        todo!()
    }

    /// Recover the content key using `me`'s X25519 key from the record's own
    /// wraps or from `extra` wraps shared later.
    pub fn content_key(&self, _me: &Identity, _extra: &[WrappedKey]) -> Result<ContentKey, CryptoError> {
        todo!()
    }

    /// Decrypt the payload with a content key.
    pub fn open_with_key(&self, _key: &ContentKey) -> Result<Secret<Vec<u8>>, CryptoError> {
        todo!()
    }

    /// `content_key` then `open_with_key`.
    pub fn open(&self, me: &Identity, extra: &[WrappedKey]) -> Result<Secret<Vec<u8>>, CryptoError> {
        let k = self.content_key(me, extra)?;
        self.open_with_key(&k)
    }
}
