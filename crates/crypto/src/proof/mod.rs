//! Pedersen commitments on Ristretto and Bulletproofs range proofs: per-record
//! validity proofs and predicate proofs over commitments the verifier derives.
//!
//! Every predicate is a linear inequality `constant + Σ kᵢ·vᵢ ≥ 0` over committed
//! values; the verifier recomputes `D = constant·B + Σ kᵢ·Cᵢ` from commitments it
//! read from the ledger and checks a range proof that D opens to a value in
//! [0, 2^64). A false predicate is answered by proving its complement.
//!
//! `commitment`: commitments and their openings; `validity`: a record's
//! validity proof (`plus`: its Bulletproofs+ form, verified in batches); `predicate`: the questions, their claims and proofs;
//! `syntax`: the one text form of a predicate.
use crate::CryptoError;
use bulletproofs::{BulletproofGens, PedersenGens, ProofError, RangeProof};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use merlin::Transcript;
use rand::rngs::OsRng;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use zeroize::Zeroize;

mod commitment;
mod plus;
mod predicate;
mod syntax;
#[cfg(test)]
mod tests;
mod validity;

pub use commitment::*;
pub use predicate::*;
pub use validity::*;

/// Every committed field is proven to lie in [0, 2^FIELD_BITS).
pub const FIELD_BITS: usize = 32;
/// Predicate proofs show the derived value lies in [0, 2^PREDICATE_BITS).
pub const PREDICATE_BITS: usize = 64;
/// Most fields one validity proof covers (the aggregation capacity of the generators).
pub const MAX_VALIDITY_FIELDS: usize = 8;

fn decompress(
    c: &Commitment,
    which: impl FnOnce() -> String,
) -> Result<RistrettoPoint, CryptoError> {
    CompressedRistretto(c.0)
        .decompress()
        .ok_or_else(|| CryptoError::Malformed {
            what: "commitment",
            why: format!("{} is not a valid Ristretto point", which()),
        })
}

/// Size of a serialized `RangeProof` over `m` values of `bits` bits: four points,
/// three scalars, log2(bits·m) (L, R) pairs and two scalars.
fn range_proof_len(bits: usize, m: usize) -> usize {
    let lg = (bits * m).trailing_zeros() as usize;
    (2 * lg + 9) * 32
}

/// Parse a proof, checking its size first so that a proof for another number of
/// values is reported as malformed rather than as a failed verification.
fn parse_range_proof(bytes: &[u8], bits: usize, m: usize) -> Result<RangeProof, CryptoError> {
    let expected = range_proof_len(bits, m);
    if bytes.len() != expected {
        return Err(CryptoError::Malformed {
            what: "range proof",
            why: format!(
                "{} bytes, expected {expected} for {m} value(s) of {bits} bits",
                bytes.len()
            ),
        });
    }
    RangeProof::from_bytes(bytes).map_err(|e| CryptoError::Malformed {
        what: "range proof",
        why: e.to_string(),
    })
}

fn rejected(e: ProofError) -> CryptoError {
    match e {
        // Undecodable points inside the proof are reported by bulletproofs as a
        // verification failure; only a parse error is a format problem.
        ProofError::FormatError => CryptoError::Malformed {
            what: "range proof",
            why: e.to_string(),
        },
        other => CryptoError::ProofRejected(other.to_string()),
    }
}
