//! Sealed records: one random content key per record; the payload is
//! ChaCha20-Poly1305 under that key with the header as associated data; the
//! content key is wrapped for each recipient with HPKE (RFC 9180 base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305); the recipients'
//! KeyIds sit beside their wraps so opening costs one X25519; the author signs
//! header, wraps and the ciphertext's digest together, so that a record
//! whose ciphertext is erased (`Ciphertext::Erased`) keeps a checkable
//! signature and commits to what it held.
use crate::{CryptoError, Identity, KeyId, PartyId, PublicIdentity, Secret, Signature};
use chacha20poly1305::aead::{Aead as _, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

pub const SEAL_VERSION: u8 = 1;

/// Length of the fixed header encoding: version (1) || context (32) || author (32).
pub const HEADER_LEN: usize = 65;

/// HPKE `info` prefix for content-key wraps; the header encoding follows it, so
/// a wrap only opens for the record (header) it was made for.
pub const WRAP_INFO_PREFIX: &[u8] = b"credence.seal.v1";

/// Domain of the author's signature.
const SIG_DOMAIN: &[u8] = b"credence.seal.sig.v2";

/// Domain of a payload ciphertext's digest.
const CIPHERTEXT_DOMAIN: &[u8] = b"credence.seal.ciphertext.v1";

/// Length of a wrapped content key: 32-byte key + 16-byte Poly1305 tag.
const WRAP_CT_LEN: usize = 32 + 16;

type HpkeAead = hpke::aead::ChaCha20Poly1305;
type HpkeKdf = hpke::kdf::HkdfSha256;
type HpkeKem = hpke::kem::X25519HkdfSha256;
type HpkePrivateKey = <HpkeKem as hpke::Kem>::PrivateKey;
type HpkePublicKey = <HpkeKem as hpke::Kem>::PublicKey;
type HpkeEncappedKey = <HpkeKem as hpke::Kem>::EncappedKey;

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

impl SealHeader {
    /// The fixed 65-byte encoding `version || context || author`.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = self.version;
        out[1..33].copy_from_slice(&self.context);
        out[33..].copy_from_slice(&self.author.0);
        out
    }

    fn check_version(&self) -> Result<(), CryptoError> {
        if self.version == SEAL_VERSION {
            Ok(())
        } else {
            Err(CryptoError::Malformed {
                what: "sealed record",
                why: format!(
                    "unsupported version {} (expected {SEAL_VERSION})",
                    self.version
                ),
            })
        }
    }

    /// HPKE `info` for this header's wraps.
    fn wrap_info(&self) -> Vec<u8> {
        let mut info = Vec::with_capacity(WRAP_INFO_PREFIX.len() + HEADER_LEN);
        info.extend_from_slice(WRAP_INFO_PREFIX);
        info.extend_from_slice(&self.encode());
        info
    }
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

/// A sealed record's payload ciphertext, or — once the record is erased —
/// only its digest. The author's signature and everything that commits to a
/// sealed record (entry signatures, ids, Merkle leaves) cover the digest, so
/// both forms check the same and neither can be swapped for another payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ciphertext {
    Kept(Vec<u8>),
    Erased { digest: [u8; 32] },
}

impl Ciphertext {
    pub fn digest(&self) -> [u8; 32] {
        match self {
            Ciphertext::Kept(ct) => crate::hash::digest(CIPHERTEXT_DOMAIN, &[ct]),
            Ciphertext::Erased { digest } => *digest,
        }
    }

    /// The ciphertext, unless it was erased.
    pub fn bytes(&self) -> Result<&[u8], CryptoError> {
        match self {
            Ciphertext::Kept(ct) => Ok(ct),
            Ciphertext::Erased { .. } => Err(CryptoError::Erased),
        }
    }

    pub fn is_erased(&self) -> bool {
        matches!(self, Ciphertext::Erased { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedRecord {
    pub header: SealHeader,
    pub recipients: Vec<WrappedKey>,
    pub ciphertext: Ciphertext,
    /// Author's Ed25519 signature over header, recipients and the
    /// ciphertext's digest.
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

impl ContentKey {
    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(self.0.expose().into())
    }
}

/// The payload nonce: all zero. Safe because every content key encrypts exactly
/// one message (a fresh key per record; `wrap_for` re-wraps, never re-encrypts).
const PAYLOAD_NONCE: [u8; 12] = [0u8; 12];

/// HPKE base-mode single-shot seal with the suite sealed records use.
/// Returns `(enc, ciphertext || tag)`. Public so that `tests/hpke_vectors.rs`
/// can check this exact call against RFC 9180; records use `seal`/`wrap_for`.
pub fn hpke_seal<R: RngCore + CryptoRng>(
    recipient_pk: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<([u8; 32], Vec<u8>), CryptoError> {
    let pk = HpkePublicKey::from_bytes(recipient_pk).map_err(|_| CryptoError::Malformed {
        what: "recipient X25519 public key",
        why: "not 32 bytes".into(),
    })?;
    // Sealed in place in a buffer sized for the tag, so no reallocation leaves a
    // copy of the plaintext behind.
    let mut buf = Vec::with_capacity(plaintext.len() + 16);
    buf.extend_from_slice(plaintext);
    let sealed = hpke::single_shot_seal_in_place_detached::<HpkeAead, HpkeKdf, HpkeKem, R>(
        &OpModeS::Base,
        &pk,
        info,
        &mut buf,
        aad,
        rng,
    );
    match sealed {
        Ok((enc, tag)) => {
            buf.extend_from_slice(&tag.to_bytes());
            let mut enc_bytes = [0u8; 32];
            enc_bytes.copy_from_slice(&enc.to_bytes());
            Ok((enc_bytes, buf))
        }
        Err(_) => {
            buf.zeroize();
            // The only failure for X25519 is an all-zero DH result, i.e. a
            // low-order recipient key.
            Err(CryptoError::Malformed {
                what: "recipient X25519 public key",
                why: "rejected by HPKE (low-order point)".into(),
            })
        }
    }
}

/// HPKE base-mode single-shot open, the counterpart of [`hpke_seal`]. Any
/// failure (bad enc, wrong key, altered ciphertext/info/aad) is `OpenFailed`.
pub fn hpke_open(
    recipient_sk: &Secret<[u8; 32]>,
    enc: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret<Vec<u8>>, CryptoError> {
    let sk =
        HpkePrivateKey::from_bytes(recipient_sk.expose()).map_err(|_| CryptoError::OpenFailed)?;
    let encapped = HpkeEncappedKey::from_bytes(enc).map_err(|_| CryptoError::OpenFailed)?;
    let body_len = ciphertext
        .len()
        .checked_sub(16)
        .ok_or(CryptoError::OpenFailed)?;
    let tag = hpke::aead::AeadTag::<HpkeAead>::from_bytes(&ciphertext[body_len..])
        .map_err(|_| CryptoError::OpenFailed)?;
    // Opened in place; on success the buffer moves (no copy) into a `Secret`,
    // on failure it is wiped (it may hold partly decrypted bytes).
    let mut buf = ciphertext[..body_len].to_vec();
    let opened = hpke::single_shot_open_in_place_detached::<HpkeAead, HpkeKdf, HpkeKem>(
        &OpModeR::Base,
        &sk,
        &encapped,
        info,
        &mut buf,
        aad,
        &tag,
    );
    match opened {
        Ok(()) => Ok(Secret::new(buf)),
        Err(_) => {
            buf.zeroize();
            Err(CryptoError::OpenFailed)
        }
    }
}

/// What the author signs: header || u32 count || per wrap (key_id || enc ||
/// u32 len || ciphertext) || the payload ciphertext's digest. Every
/// variable-length part is length-prefixed so no two records share a signed
/// message.
fn signed_message(header: &SealHeader, wraps: &[WrappedKey], ciphertext: &Ciphertext) -> Vec<u8> {
    let wraps_len: usize = wraps.iter().map(|w| 16 + 32 + 4 + w.ciphertext.len()).sum();
    let mut msg = Vec::with_capacity(HEADER_LEN + 4 + wraps_len + 32);
    msg.extend_from_slice(&header.encode());
    msg.extend_from_slice(&len_u32(wraps.len()).to_be_bytes());
    for w in wraps {
        msg.extend_from_slice(&w.key_id.0);
        msg.extend_from_slice(&w.enc);
        msg.extend_from_slice(&len_u32(w.ciphertext.len()).to_be_bytes());
        msg.extend_from_slice(&w.ciphertext);
    }
    msg.extend_from_slice(&ciphertext.digest());
    msg
}

/// Lengths are encoded as u32; a record cannot get near 4 GiB (the payload AEAD
/// and the ledger refuse far smaller), so overflow is a programming error.
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).expect("sealed record part longer than 4 GiB")
}

fn no_recipients() -> CryptoError {
    CryptoError::Malformed {
        what: "sealed record",
        why: "no recipients".into(),
    }
}

/// Wrap `key` for `recipient` under `header` (HPKE info binds the header, aad
/// binds the recipient's KeyId).
fn wrap_with<R: RngCore + CryptoRng>(
    key: &ContentKey,
    header: &SealHeader,
    recipient: &PublicIdentity,
    rng: &mut R,
) -> Result<WrappedKey, CryptoError> {
    let key_id = recipient.key_id();
    let (enc, ciphertext) = hpke_seal(
        &recipient.enc,
        &header.wrap_info(),
        &key_id.0,
        key.0.expose(),
        rng,
    )?;
    Ok(WrappedKey {
        key_id,
        enc,
        ciphertext,
    })
}

/// Seal `plaintext` for `recipients`; returns the record and its content key
/// (for later sharing with a newly consented recipient).
pub fn seal<R: RngCore + CryptoRng>(
    author: &Identity,
    context: [u8; 32],
    plaintext: &[u8],
    recipients: &[PublicIdentity],
    rng: &mut R,
) -> Result<(SealedRecord, ContentKey), CryptoError> {
    if recipients.is_empty() {
        return Err(no_recipients());
    }
    let header = SealHeader {
        version: SEAL_VERSION,
        context,
        author: author.party_id(),
    };

    let mut raw = [0u8; 32];
    rng.fill_bytes(&mut raw);
    let key = ContentKey(Secret::new(raw));
    raw.zeroize();

    let aad = header.encode();
    let ciphertext = key
        .cipher()
        .encrypt(
            (&PAYLOAD_NONCE).into(),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Malformed {
            what: "plaintext",
            why: "too long for ChaCha20-Poly1305".into(),
        })?;

    // One wrap per distinct X25519 key: a recipient listed twice gets one wrap.
    let mut wraps: Vec<WrappedKey> = Vec::with_capacity(recipients.len());
    for r in recipients {
        let kid = r.key_id();
        if wraps.iter().any(|w| w.key_id == kid) {
            continue;
        }
        wraps.push(wrap_with(&key, &header, r, rng)?);
    }

    let ciphertext = Ciphertext::Kept(ciphertext);
    let signature = author.sign(SIG_DOMAIN, &signed_message(&header, &wraps, &ciphertext));
    Ok((
        SealedRecord {
            header,
            recipients: wraps,
            ciphertext,
            signature,
        },
        key,
    ))
}

/// Wrap an existing content key for one more recipient (for `RecordShared`).
pub fn wrap_for<R: RngCore + CryptoRng>(
    key: &ContentKey,
    header: &SealHeader,
    recipient: &PublicIdentity,
    rng: &mut R,
) -> Result<WrappedKey, CryptoError> {
    header.check_version()?;
    wrap_with(key, header, recipient, rng)
}

impl SealedRecord {
    /// The same record with its ciphertext erased: what a member keeps once
    /// the record is erased. It still verifies (`verify_author`) and never
    /// opens.
    pub fn erased(&self) -> SealedRecord {
        SealedRecord {
            ciphertext: Ciphertext::Erased {
                digest: self.ciphertext.digest(),
            },
            ..self.clone()
        }
    }

    /// Check that `author` is the header's author and signed this record.
    pub fn verify_author(&self, author: &PublicIdentity) -> Result<(), CryptoError> {
        self.header.check_version()?;
        if self.recipients.is_empty() {
            return Err(no_recipients());
        }
        if self.header.author != author.party_id() {
            return Err(CryptoError::BadSignature {
                what: "sealed record (not signed by the header's author)",
            });
        }
        self.verify_signed_by(author)
    }

    /// Check that `key` signed this record, the header's author party being
    /// the caller's to check (a party keeps its id across key rotations, so
    /// only the caller knows which key is the author's now).
    pub fn verify_signed_by(&self, key: &PublicIdentity) -> Result<(), CryptoError> {
        self.header.check_version()?;
        if self.recipients.is_empty() {
            return Err(no_recipients());
        }
        let author = key;
        let msg = signed_message(&self.header, &self.recipients, &self.ciphertext);
        author
            .verify(SIG_DOMAIN, &msg, &self.signature)
            .map_err(|e| match e {
                CryptoError::BadSignature { .. } => CryptoError::BadSignature {
                    what: "sealed record",
                },
                other => other,
            })
    }

    /// Recover the content key using `me`'s X25519 key from the record's own
    /// wraps or from `extra` wraps shared later.
    pub fn content_key(
        &self,
        me: &Identity,
        extra: &[WrappedKey],
    ) -> Result<ContentKey, CryptoError> {
        self.header.check_version()?;
        if self.recipients.is_empty() {
            return Err(no_recipients());
        }
        // My current key first, then the keys I held before a rotation.
        let keys: Vec<&Identity> = std::iter::once(me).chain(me.earlier()).collect();
        let mut candidates = keys
            .iter()
            .flat_map(|k| {
                let id = k.key_id();
                self.recipients
                    .iter()
                    .chain(extra)
                    .filter(move |w| w.key_id == id)
                    .map(move |w| (*k, w))
            })
            .peekable();
        if candidates.peek().is_none() {
            return Err(CryptoError::NotARecipient);
        }
        let info = self.header.wrap_info();
        // Normally exactly one wrap names me; if a later-shared one also does,
        // a damaged wrap must not hide a good one, so try each in order.
        for (holder, w) in candidates {
            // A wrong-length wrap cannot hold a content key; skip the X25519.
            if w.ciphertext.len() != WRAP_CT_LEN {
                continue;
            }
            let sk = Secret::new(holder.x25519_secret().to_bytes());
            if let Ok(pt) = hpke_open(&sk, &w.enc, &info, &w.key_id.0, &w.ciphertext) {
                if let Ok(mut k) = <[u8; 32]>::try_from(pt.expose().as_slice()) {
                    let key = ContentKey(Secret::new(k));
                    k.zeroize();
                    return Ok(key);
                }
            }
        }
        Err(CryptoError::OpenFailed)
    }

    /// Decrypt the payload with a content key.
    pub fn open_with_key(&self, key: &ContentKey) -> Result<Secret<Vec<u8>>, CryptoError> {
        self.header.check_version()?;
        let ciphertext = self.ciphertext.bytes()?;
        let aad = self.header.encode();
        key.cipher()
            .decrypt(
                (&PAYLOAD_NONCE).into(),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Secret::new)
            .map_err(|_| CryptoError::OpenFailed)
    }

    /// `content_key` then `open_with_key`.
    pub fn open(
        &self,
        me: &Identity,
        extra: &[WrappedKey],
    ) -> Result<Secret<Vec<u8>>, CryptoError> {
        // An erased record says so before any key work.
        self.ciphertext.bytes()?;
        let k = self.content_key(me, extra)?;
        self.open_with_key(&k)
    }
}

#[cfg(test)]
mod tests;
