//! Pedersen commitments on Ristretto and Bulletproofs range proofs: per-record
//! validity proofs and predicate proofs over commitments the verifier derives.
//!
//! Every predicate is a linear inequality `constant + Σ kᵢ·vᵢ ≥ 0` over committed
//! values; the verifier recomputes `D = constant·B + Σ kᵢ·Cᵢ` from commitments it
//! read from the ledger and checks a range proof that D opens to a value in
//! [0, 2^64). A false predicate is answered by proving its complement.
use crate::CryptoError;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// Every committed field is proven to lie in [0, 2^FIELD_BITS).
pub const FIELD_BITS: usize = 32;
/// Predicate proofs show the derived value lies in [0, 2^PREDICATE_BITS).
pub const PREDICATE_BITS: usize = 64;

/// A compressed Ristretto point `v·B + r·B̃` (bulletproofs' `PedersenGens::default()`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Commitment(pub [u8; 32]);

impl std::fmt::Debug for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Commitment({}…)", hex::encode(&self.0[..6]))
    }
}

/// The opening of a commitment. Travels only inside sealed payloads.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, zeroize::Zeroize)]
pub struct Opening {
    pub value: u64,
    /// Canonical Ristretto scalar bytes.
    pub blinding: [u8; 32],
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opening(<redacted>)")
    }
}

/// Commit to `value` with a fresh random blinding.
pub fn commit<R: RngCore + CryptoRng>(_value: u64, _rng: &mut R) -> (Commitment, Opening) {
    todo!()
}

/// The commitment an opening opens.
pub fn commitment_of(_opening: &Opening) -> Result<Commitment, CryptoError> {
    todo!()
}

/// One aggregated proof that every committed field of a record is in
/// [0, 2^FIELD_BITS). `context` (record id, furnisher…) is bound in the transcript.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidityProof(pub Vec<u8>);

impl std::fmt::Debug for ValidityProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ValidityProof({} bytes)", self.0.len())
    }
}

pub fn prove_validity(_context: &[u8], _openings: &[Opening]) -> Result<ValidityProof, CryptoError> {
    todo!()
}

pub fn verify_validity(_context: &[u8], _commitments: &[Commitment], _proof: &ValidityProof) -> Result<(), CryptoError> {
    todo!()
}

/// The questions a lender may ask (the design's predicate table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Predicate {
    /// score ≥ min. Inputs: primary = [score].
    ScoreAtLeast { min: u64 },
    /// min ≤ score ≤ max. Inputs: primary = [score].
    ScoreInRange { min: u64, max: u64 },
    /// balance of one record ≤ max. Inputs: primary = [balance].
    BalanceAtMost { max: u64 },
    /// Σ balances of the subject's live tradelines < limit. Inputs: primary = balances.
    TotalDebtBelow { limit: u64 },
    /// Σ scheduled payments / Σ incomes < percent %. Inputs: primary = scheduled
    /// payments, secondary = incomes.
    DebtToIncomeBelow { percent: u64 },
    /// Σ serious-delinquency flags ≤ 0. Inputs: primary = flags.
    NoSeriousDelinquency,
}

/// Commitments a predicate is evaluated over, read from the ledger by the verifier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PredicateInputs {
    pub primary: Vec<Commitment>,
    pub secondary: Vec<Commitment>,
}

/// The openings of `PredicateInputs`, same shape, known only to the prover.
#[derive(Clone, Debug, Default)]
pub struct PredicateOpenings {
    pub primary: Vec<Opening>,
    pub secondary: Vec<Opening>,
}

/// What a proof is bound to, so it cannot be replayed for another question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofContext {
    pub query_id: [u8; 32],
    pub subject: [u8; 32],
    pub responder: [u8; 32],
}

/// The answer: whether the predicate holds, and for a false interval which
/// side of it was proven (0 below, 1 above; 0 for every other predicate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub holds: bool,
    pub branch: u8,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredicateProof {
    pub answer: Answer,
    /// A serialized `bulletproofs::RangeProof` (aggregated when two claims).
    pub proof: Vec<u8>,
}

impl std::fmt::Debug for PredicateProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PredicateProof({:?}, {} bytes)", self.answer, self.proof.len())
    }
}

impl Predicate {
    /// Reject parameters outside what can be proven (thresholds ≥ 2^FIELD_BITS,
    /// min > max, percent outside 1..=100).
    pub fn validate(&self) -> Result<(), CryptoError> {
        todo!()
    }
    /// Canonical bytes absorbed by the transcript: a tag byte then each
    /// parameter as u64 big-endian.
    pub fn encode(&self) -> Vec<u8> {
        todo!()
    }
}

/// The commitments the verifier derives for `answer`, in proof order.
pub fn derived_commitments(_pred: &Predicate, _inputs: &PredicateInputs, _answer: Answer) -> Result<Vec<Commitment>, CryptoError> {
    todo!()
}

/// Evaluate the predicate on the openings and prove the true side.
pub fn prove_predicate(
    _ctx: &ProofContext,
    _pred: &Predicate,
    _inputs: &PredicateInputs,
    _openings: &PredicateOpenings,
) -> Result<PredicateProof, CryptoError> {
    todo!()
}

pub fn verify_predicate(
    _ctx: &ProofContext,
    _pred: &Predicate,
    _inputs: &PredicateInputs,
    _proof: &PredicateProof,
) -> Result<(), CryptoError> {
    todo!()
}
