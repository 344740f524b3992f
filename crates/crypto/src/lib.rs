//! Credence cryptography: identities, the encrypted keystore, sealed records,
//! Pedersen commitments with Bulletproofs range and predicate proofs, and
//! `age` export. Knows nothing of the ledger.
#![forbid(unsafe_code)]

pub mod age_export;
mod error;
pub mod hash;
pub mod keys;
pub mod keystore;
pub mod proof;
pub mod seal;
mod secret;

pub use error::CryptoError;
pub use keys::{Identity, KeyId, PartyId, PublicIdentity, Signature};
pub use secret::Secret;
