//! Identities: an Ed25519 key to sign and an X25519 key to receive sealed data.
//!
//! `PartyId` names a member or a subject on the ledger (hash of its signing key);
//! `KeyId` names one X25519 key version (hash of that public key), so a sealed
//! record can say which of its wraps is for whom without trial decryption.
use crate::{hash::digest, CryptoError, Secret};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey as XPublic, StaticSecret};

const PARTY_DOMAIN: &[u8] = b"credence.party.v1";
const KEY_ID_DOMAIN: &[u8] = b"credence.x25519-key.v1";

/// A member's or subject's id: SHA-256 of its Ed25519 public key (domain-separated).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartyId(pub [u8; 32]);

/// One version of an X25519 key: the first 16 bytes of its domain-separated hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(pub [u8; 16]);

macro_rules! hex_id {
    ($t:ty, $n:expr) => {
        impl $t {
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            pub fn from_hex(s: &str) -> Result<Self, CryptoError> {
                let v = hex::decode(s.trim()).map_err(|e| CryptoError::Malformed {
                    what: stringify!($t),
                    why: e.to_string(),
                })?;
                let a: [u8; $n] = v.try_into().map_err(|_| CryptoError::Malformed {
                    what: stringify!($t),
                    why: format!("expected {} hex digits", 2 * $n),
                })?;
                Ok(Self(a))
            }
            /// The first 8 bytes in hex: enough for a person to tell ids apart.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..8])
            }
        }
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($t), self.short())
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
    };
}
hex_id!(PartyId, 32);
hex_id!(KeyId, 16);

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({}…)", hex::encode(&self.0[..8]))
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Signature;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("64 signature bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Signature, E> {
                let a: [u8; 64] = v
                    .try_into()
                    .map_err(|_| E::invalid_length(v.len(), &self))?;
                Ok(Signature(a))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Signature, A::Error> {
                let mut a = [0u8; 64];
                for (i, b) in a.iter_mut().enumerate() {
                    *b = seq
                        .next_element()?
                        .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                Ok(Signature(a))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// The public half of an identity, as published on the ledger.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PublicIdentity {
    /// Ed25519 verifying key.
    pub sign: [u8; 32],
    /// X25519 public key for sealed records.
    pub enc: [u8; 32],
}

impl PublicIdentity {
    pub fn party_id(&self) -> PartyId {
        party_id_of(&self.sign)
    }
    pub fn key_id(&self) -> KeyId {
        key_id_of(&self.enc)
    }
    /// Check `sig` over `msg` under `domain` with `verify_strict`, the one rule.
    pub fn verify(&self, domain: &[u8], msg: &[u8], sig: &Signature) -> Result<(), CryptoError> {
        verify(&self.sign, domain, msg, sig)
    }
}

pub fn party_id_of(sign_pk: &[u8; 32]) -> PartyId {
    PartyId(digest(PARTY_DOMAIN, &[sign_pk]))
}

pub fn key_id_of(enc_pk: &[u8; 32]) -> KeyId {
    let d = digest(KEY_ID_DOMAIN, &[enc_pk]);
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    KeyId(k)
}

/// What is actually signed: the domain-separated hash of the message, so that a
/// signature made for one purpose never verifies for another.
fn signed_bytes(domain: &[u8], msg: &[u8]) -> [u8; 32] {
    digest(domain, &[msg])
}

/// Verify an Ed25519 signature with `verify_strict` (rejects small-order keys and
/// non-canonical signatures: every member must agree on validity).
pub fn verify(
    sign_pk: &[u8; 32],
    domain: &[u8],
    msg: &[u8],
    sig: &Signature,
) -> Result<(), CryptoError> {
    let vk = VerifyingKey::from_bytes(sign_pk).map_err(|_| CryptoError::Malformed {
        what: "Ed25519 public key",
        why: "not a valid curve point".into(),
    })?;
    let s = ed25519_dalek::Signature::from_bytes(&sig.0);
    vk.verify_strict(&signed_bytes(domain, msg), &s)
        .map_err(|_| CryptoError::BadSignature { what: "message" })
}

/// A full identity: both private keys. Never serialised except into the
/// encrypted keystore; `Debug` shows only the public part.
#[derive(Clone)]
pub struct Identity {
    sign: SigningKey,
    enc: StaticSecret,
    /// Derived once: recomputing the X25519 public key costs a scalar multiplication.
    public: PublicIdentity,
    /// The party these keys act for: the one their first signing key made.
    /// After a rotation the keys change and the party stays.
    party: PartyId,
    /// Keys this party held before a rotation, newest first: they sign
    /// nothing more, but what was sealed to them still opens.
    earlier: Vec<Identity>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Identity({:?}, <private keys redacted>)",
            self.party_id()
        )
    }
}

impl Identity {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let sign = SigningKey::generate(rng);
        let enc = StaticSecret::random_from_rng(rng);
        Self::from_parts(sign, enc)
    }

    /// Rebuild from the 64 secret bytes kept in the keystore (sign || enc).
    pub fn from_secret_bytes(bytes: &Secret<[u8; 64]>) -> Self {
        let b = bytes.expose();
        let mut s = [0u8; 32];
        let mut e = [0u8; 32];
        s.copy_from_slice(&b[..32]);
        e.copy_from_slice(&b[32..]);
        let id = Self::from_parts(SigningKey::from_bytes(&s), StaticSecret::from(e));
        zeroize::Zeroize::zeroize(&mut s);
        zeroize::Zeroize::zeroize(&mut e);
        id
    }

    /// The 64 secret bytes (sign || enc), wrapped so they cannot be logged.
    pub fn secret_bytes(&self) -> Secret<[u8; 64]> {
        let mut b = [0u8; 64];
        b[..32].copy_from_slice(&self.sign.to_bytes());
        b[32..].copy_from_slice(self.enc.as_bytes());
        Secret::new(b)
    }

    fn from_parts(sign: SigningKey, enc: StaticSecret) -> Self {
        let public = PublicIdentity {
            sign: sign.verifying_key().to_bytes(),
            enc: XPublic::from(&enc).to_bytes(),
        };
        Identity {
            sign,
            enc,
            party: public.party_id(),
            public,
            earlier: Vec::new(),
        }
    }

    /// Fresh keys for the same party: a key rotation.
    pub fn rotated<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Self {
        Self::generate(rng).for_party(self.party)
    }

    /// These keys, acting for `party` (a rotated identity read back).
    pub fn for_party(mut self, party: PartyId) -> Self {
        self.party = party;
        self
    }

    /// These keys, also holding `earlier` (retired keys of the same party,
    /// newest first) to open what was sealed to them.
    pub fn with_earlier(mut self, earlier: Vec<Identity>) -> Self {
        self.earlier = earlier
            .into_iter()
            .map(|mut e| {
                e.earlier.clear();
                e
            })
            .collect();
        self
    }

    /// The retired keys this identity holds (see `with_earlier`).
    pub fn earlier(&self) -> &[Identity] {
        &self.earlier
    }

    /// Whether these keys replaced the party's first ones.
    pub fn is_rotated(&self) -> bool {
        self.party != self.public.party_id()
    }

    pub fn public(&self) -> PublicIdentity {
        self.public
    }

    /// The Ed25519 seed, for the consensus engine's own key type (the same
    /// key signs entries, authenticates p2p links and votes).
    pub fn signing_seed(&self) -> Secret<[u8; 32]> {
        Secret::new(self.sign.to_bytes())
    }

    /// A 32-byte secret for another use of this identity (`label` names the
    /// use), so that one keystore serves it without a second secret file.
    /// One-way: the derived secret reveals nothing of the identity's keys,
    /// and different labels give unrelated secrets.
    pub fn derive_secret(&self, label: &str) -> Secret<[u8; 32]> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"credence/derive-secret/v1");
        h.update((label.len() as u64).to_le_bytes());
        h.update(label.as_bytes());
        h.update(self.secret_bytes().expose());
        Secret::new(h.finalize().into())
    }

    /// The party these keys act for (after a rotation, not the one the
    /// current signing key would make).
    pub fn party_id(&self) -> PartyId {
        self.party
    }

    pub fn key_id(&self) -> KeyId {
        self.public().key_id()
    }

    /// Sign `msg` under `domain`.
    pub fn sign(&self, domain: &[u8], msg: &[u8]) -> Signature {
        Signature(self.sign.sign(&signed_bytes(domain, msg)).to_bytes())
    }

    /// The X25519 secret, for opening sealed records and age export.
    pub(crate) fn x25519_secret(&self) -> &StaticSecret {
        &self.enc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn sign_verify_and_domain_separation() {
        let id = Identity::generate(&mut OsRng);
        let sig = id.sign(b"d1", b"hello");
        id.public().verify(b"d1", b"hello", &sig).unwrap();
        assert!(id.public().verify(b"d2", b"hello", &sig).is_err());
        assert!(id.public().verify(b"d1", b"hellp", &sig).is_err());
        let derived = id.derive_secret("tls");
        assert_eq!(derived.expose(), id.derive_secret("tls").expose());
        assert_ne!(derived.expose(), id.derive_secret("tlt").expose());
        assert_ne!(
            derived.expose(),
            Identity::generate(&mut OsRng).derive_secret("tls").expose()
        );
        let mut bad = sig;
        bad.0[10] ^= 1;
        assert!(id.public().verify(b"d1", b"hello", &bad).is_err());
    }

    #[test]
    fn secret_bytes_round_trip_and_debug_redacts() {
        let id = Identity::generate(&mut OsRng);
        let again = Identity::from_secret_bytes(&id.secret_bytes());
        assert_eq!(id.public(), again.public());
        let dbg = format!("{id:?}");
        let sk_hex = hex::encode(&id.secret_bytes().expose()[..32]);
        assert!(!dbg.contains(&sk_hex));
    }

    #[test]
    fn ids_round_trip_hex() {
        let id = Identity::generate(&mut OsRng);
        let p = id.party_id();
        assert_eq!(PartyId::from_hex(&p.to_hex()).unwrap(), p);
        assert!(PartyId::from_hex("zz").is_err());
        assert!(PartyId::from_hex("abcd").is_err());
    }
}
