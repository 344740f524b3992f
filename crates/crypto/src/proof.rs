//! Pedersen commitments on Ristretto and Bulletproofs range proofs: per-record
//! validity proofs and predicate proofs over commitments the verifier derives.
//!
//! Every predicate is a linear inequality `constant + Σ kᵢ·vᵢ ≥ 0` over committed
//! values; the verifier recomputes `D = constant·B + Σ kᵢ·Cᵢ` from commitments it
//! read from the ledger and checks a range proof that D opens to a value in
//! [0, 2^64). A false predicate is answered by proving its complement.
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

/// Every committed field is proven to lie in [0, 2^FIELD_BITS).
pub const FIELD_BITS: usize = 32;
/// Predicate proofs show the derived value lies in [0, 2^PREDICATE_BITS).
pub const PREDICATE_BITS: usize = 64;
/// Most fields one validity proof covers (the aggregation capacity of the generators).
pub const MAX_VALIDITY_FIELDS: usize = 8;

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

struct Gens {
    pc: PedersenGens,
    bp: BulletproofGens,
}

/// Building the Bulletproofs generators hashes 64×8×2 points; do it once per process.
fn gens() -> &'static Gens {
    static GENS: OnceLock<Gens> = OnceLock::new();
    GENS.get_or_init(|| Gens { pc: PedersenGens::default(), bp: BulletproofGens::new(PREDICATE_BITS, MAX_VALIDITY_FIELDS) })
}

/// Commit to `value` with a fresh random blinding.
pub fn commit<R: RngCore + CryptoRng>(value: u64, rng: &mut R) -> (Commitment, Opening) {
    let blinding = Scalar::random(rng);
    let point = gens().pc.commit(Scalar::from(value), blinding);
    (Commitment(point.compress().to_bytes()), Opening { value, blinding: blinding.to_bytes() })
}

/// The commitment an opening opens.
pub fn commitment_of(opening: &Opening) -> Result<Commitment, CryptoError> {
    let blinding = blinding_scalar(opening)?;
    Ok(Commitment(gens().pc.commit(Scalar::from(opening.value), blinding).compress().to_bytes()))
}

fn blinding_scalar(opening: &Opening) -> Result<Scalar, CryptoError> {
    Option::from(Scalar::from_canonical_bytes(opening.blinding)).ok_or_else(|| CryptoError::Malformed {
        what: "opening",
        why: "blinding is not a canonical Ristretto scalar".into(),
    })
}

fn decompress(c: &Commitment, which: impl FnOnce() -> String) -> Result<RistrettoPoint, CryptoError> {
    CompressedRistretto(c.0)
        .decompress()
        .ok_or_else(|| CryptoError::Malformed { what: "commitment", why: format!("{} is not a valid Ristretto point", which()) })
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
            why: format!("{} bytes, expected {expected} for {m} value(s) of {bits} bits", bytes.len()),
        });
    }
    RangeProof::from_bytes(bytes).map_err(|e| CryptoError::Malformed { what: "range proof", why: e.to_string() })
}

fn rejected(e: ProofError) -> CryptoError {
    match e {
        // Undecodable points inside the proof are reported by bulletproofs as a
        // verification failure; only a parse error is a format problem.
        ProofError::FormatError => CryptoError::Malformed { what: "range proof", why: e.to_string() },
        other => CryptoError::ProofRejected(other.to_string()),
    }
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

fn validity_transcript(context: &[u8], n: usize) -> Transcript {
    let mut t = Transcript::new(b"credence.validity.v1");
    t.append_message(b"context", context);
    t.append_u64(b"fields", n as u64);
    t
}

fn check_field_count(n: usize) -> Result<(), CryptoError> {
    if (1..=MAX_VALIDITY_FIELDS).contains(&n) {
        Ok(())
    } else {
        Err(CryptoError::Malformed {
            what: "validity proof",
            why: format!("covers 1 to {MAX_VALIDITY_FIELDS} fields, got {n}"),
        })
    }
}

pub fn prove_validity(context: &[u8], openings: &[Opening]) -> Result<ValidityProof, CryptoError> {
    check_field_count(openings.len())?;
    // bulletproofs would return a proof that merely fails to verify; say why instead.
    for o in openings {
        if o.value >> FIELD_BITS != 0 {
            return Err(CryptoError::OutOfRange { value: o.value.into(), bits: FIELD_BITS });
        }
    }
    let m = openings.len().next_power_of_two();
    let mut values: Vec<u64> = openings.iter().map(|o| o.value).collect();
    let mut blindings = openings.iter().map(blinding_scalar).collect::<Result<Vec<_>, _>>()?;
    // Padding (0, 0) commits to the identity point, which the verifier adds on its own.
    values.resize(m, 0);
    blindings.resize(m, Scalar::ZERO);
    let g = gens();
    let mut t = validity_transcript(context, openings.len());
    let result = RangeProof::prove_multiple_with_rng(&g.bp, &g.pc, &mut t, &values, &blindings, FIELD_BITS, &mut OsRng);
    values.zeroize();
    blindings.zeroize();
    let (proof, _) = result.map_err(|e| CryptoError::Malformed { what: "validity proof", why: e.to_string() })?;
    Ok(ValidityProof(proof.to_bytes()))
}

pub fn verify_validity(context: &[u8], commitments: &[Commitment], proof: &ValidityProof) -> Result<(), CryptoError> {
    check_field_count(commitments.len())?;
    for (i, c) in commitments.iter().enumerate() {
        decompress(c, || format!("field {i}"))?;
    }
    let m = commitments.len().next_power_of_two();
    let rp = parse_range_proof(&proof.0, FIELD_BITS, m)?;
    let mut vs: Vec<CompressedRistretto> = commitments.iter().map(|c| CompressedRistretto(c.0)).collect();
    vs.resize(m, CompressedRistretto::identity());
    let g = gens();
    let mut t = validity_transcript(context, commitments.len());
    rp.verify_multiple_with_rng(&g.bp, &g.pc, &mut t, &vs, FIELD_BITS, &mut OsRng).map_err(rejected)
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
        // Thresholds are bounded like the committed fields so that every claim's
        // constant stays far below the group order (no wrap-around mod ℓ).
        let threshold = |what: &'static str, value: u64| {
            if value >> FIELD_BITS == 0 {
                Ok(())
            } else {
                Err(CryptoError::ThresholdOutOfRange { what, value, bits: FIELD_BITS })
            }
        };
        match *self {
            Predicate::ScoreAtLeast { min } => threshold("score threshold", min),
            Predicate::ScoreInRange { min, max } => {
                threshold("score threshold", min)?;
                threshold("score threshold", max)?;
                if min > max {
                    return Err(CryptoError::Malformed {
                        what: "predicate",
                        why: format!("score range {min}..{max} is empty (min > max)"),
                    });
                }
                Ok(())
            }
            Predicate::BalanceAtMost { max } => threshold("balance limit", max),
            Predicate::TotalDebtBelow { limit } => threshold("debt limit", limit),
            Predicate::DebtToIncomeBelow { percent } => {
                if (1..=100).contains(&percent) {
                    Ok(())
                } else {
                    Err(CryptoError::Malformed {
                        what: "predicate",
                        why: format!("debt-to-income percent must be in 1..=100, got {percent}"),
                    })
                }
            }
            Predicate::NoSeriousDelinquency => Ok(()),
        }
    }

    /// Canonical bytes absorbed by the transcript: a tag byte then each
    /// parameter as u64 big-endian.
    pub fn encode(&self) -> Vec<u8> {
        let (tag, params): (u8, &[u64]) = match self {
            Predicate::ScoreAtLeast { min } => (1, &[*min][..]),
            Predicate::ScoreInRange { min, max } => (2, &[*min, *max][..]),
            Predicate::BalanceAtMost { max } => (3, &[*max][..]),
            Predicate::TotalDebtBelow { limit } => (4, &[*limit][..]),
            Predicate::DebtToIncomeBelow { percent } => (5, &[*percent][..]),
            Predicate::NoSeriousDelinquency => (6, &[][..]),
        };
        let mut out = Vec::with_capacity(1 + 8 * params.len());
        out.push(tag);
        for p in params {
            out.extend_from_slice(&p.to_be_bytes());
        }
        out
    }

    /// Every answer this predicate can have, the "holds" answer first.
    fn answers(&self) -> &'static [Answer] {
        const HOLDS: Answer = Answer { holds: true, branch: 0 };
        const BELOW: Answer = Answer { holds: false, branch: 0 };
        const ABOVE: Answer = Answer { holds: false, branch: 1 };
        match self {
            Predicate::ScoreInRange { .. } => &[HOLDS, BELOW, ABOVE],
            _ => &[HOLDS, BELOW],
        }
    }

    /// The linear claims (each must lie in [0, 2^PREDICATE_BITS)) behind `answer`.
    fn claims(&self, answer: Answer) -> Result<Vec<Claim>, CryptoError> {
        use Predicate::*;
        let c = |constant: i128, primary: i128, secondary: i128| Claim { constant, primary, secondary };
        let claims = match (*self, answer.holds, answer.branch) {
            (ScoreAtLeast { min }, true, 0) => vec![c(-i128::from(min), 1, 0)],
            (ScoreAtLeast { min }, false, 0) => vec![c(i128::from(min) - 1, -1, 0)],
            (ScoreInRange { min, max }, true, 0) => vec![c(-i128::from(min), 1, 0), c(i128::from(max), -1, 0)],
            (ScoreInRange { min, .. }, false, 0) => vec![c(i128::from(min) - 1, -1, 0)],
            (ScoreInRange { max, .. }, false, 1) => vec![c(-i128::from(max) - 1, 1, 0)],
            (BalanceAtMost { max }, true, 0) => vec![c(i128::from(max), -1, 0)],
            (BalanceAtMost { max }, false, 0) => vec![c(-i128::from(max) - 1, 1, 0)],
            (TotalDebtBelow { limit }, true, 0) => vec![c(i128::from(limit) - 1, -1, 0)],
            (TotalDebtBelow { limit }, false, 0) => vec![c(-i128::from(limit), 1, 0)],
            (DebtToIncomeBelow { percent }, true, 0) => vec![c(-1, -100, i128::from(percent))],
            (DebtToIncomeBelow { percent }, false, 0) => vec![c(0, 100, -i128::from(percent))],
            (NoSeriousDelinquency, true, 0) => vec![c(0, -1, 0)],
            (NoSeriousDelinquency, false, 0) => vec![c(-1, 1, 0)],
            (_, holds, branch) => {
                return Err(CryptoError::Malformed {
                    what: "predicate answer",
                    why: format!("branch {branch} does not exist for `{self}` answered {}", if holds { "true" } else { "false" }),
                })
            }
        };
        Ok(claims)
    }

    /// Score and balance questions are about one committed field; sums take any
    /// number (an empty sum is 0); only debt-to-income has a second list.
    fn check_shape(&self, primary: usize, secondary: usize, what: &str) -> Result<(), CryptoError> {
        let ok = match self {
            Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. } | Predicate::BalanceAtMost { .. } => {
                primary == 1 && secondary == 0
            }
            Predicate::TotalDebtBelow { .. } | Predicate::NoSeriousDelinquency => secondary == 0,
            Predicate::DebtToIncomeBelow { .. } => true,
        };
        if ok {
            return Ok(());
        }
        let expected = match self {
            Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. } => "exactly one primary (the score) and no secondary",
            Predicate::BalanceAtMost { .. } => "exactly one primary (the balance) and no secondary",
            Predicate::TotalDebtBelow { .. } => "primary balances only, no secondary",
            Predicate::NoSeriousDelinquency => "primary delinquency flags only, no secondary",
            Predicate::DebtToIncomeBelow { .. } => unreachable!("every shape is accepted"),
        };
        Err(CryptoError::InputMismatch(format!(
            "`{self}` takes {expected}; got {primary} primary and {secondary} secondary {what}"
        )))
    }
}

/// `constant + primary·Σ primary values + secondary·Σ secondary values`.
#[derive(Clone, Copy, Debug)]
struct Claim {
    constant: i128,
    primary: i128,
    secondary: i128,
}

fn scalar_of(x: i128) -> Scalar {
    let s = Scalar::from(x.unsigned_abs());
    if x < 0 {
        -s
    } else {
        s
    }
}

impl Claim {
    fn value(&self, primary_sum: i128, secondary_sum: i128) -> i128 {
        // Sums of u64 values times |k| ≤ 100 cannot approach i128::MAX for any
        // realistic input count.
        self.constant + self.primary * primary_sum + self.secondary * secondary_sum
    }
    fn point(&self, primary_sum: &RistrettoPoint, secondary_sum: &RistrettoPoint) -> RistrettoPoint {
        scalar_of(self.constant) * gens().pc.B + scalar_of(self.primary) * primary_sum + scalar_of(self.secondary) * secondary_sum
    }
    fn blinding(&self, primary_sum: &Scalar, secondary_sum: &Scalar) -> Scalar {
        scalar_of(self.primary) * primary_sum + scalar_of(self.secondary) * secondary_sum
    }
}

fn in_predicate_range(v: i128) -> bool {
    v >= 0 && v >> PREDICATE_BITS == 0
}

/// The commitments the verifier derives for `answer`, in proof order.
pub fn derived_commitments(pred: &Predicate, inputs: &PredicateInputs, answer: Answer) -> Result<Vec<Commitment>, CryptoError> {
    pred.validate()?;
    pred.check_shape(inputs.primary.len(), inputs.secondary.len(), "inputs")?;
    let claims = pred.claims(answer)?;
    let sum = |list: &[Commitment], which: &str| -> Result<RistrettoPoint, CryptoError> {
        list.iter()
            .enumerate()
            .try_fold(RistrettoPoint::identity(), |acc, (i, c)| Ok(acc + decompress(c, || format!("{which} input {i}"))?))
    };
    let p = sum(&inputs.primary, "primary")?;
    let s = sum(&inputs.secondary, "secondary")?;
    Ok(claims.iter().map(|cl| Commitment(cl.point(&p, &s).compress().to_bytes())).collect())
}

/// The transcript of a predicate proof. Its exact order is documented (an auditor
/// re-implements it): context, predicate, answer, then both input lists.
fn predicate_transcript(ctx: &ProofContext, pred: &Predicate, inputs: &PredicateInputs, answer: Answer) -> Transcript {
    let mut t = Transcript::new(b"credence.predicate.v1");
    t.append_message(b"query", &ctx.query_id);
    t.append_message(b"subject", &ctx.subject);
    t.append_message(b"responder", &ctx.responder);
    t.append_message(b"predicate", &pred.encode());
    t.append_message(b"answer", &[answer.holds as u8, answer.branch]);
    t.append_u64(b"primary", inputs.primary.len() as u64);
    for c in &inputs.primary {
        t.append_message(b"in", &c.0);
    }
    t.append_u64(b"secondary", inputs.secondary.len() as u64);
    for c in &inputs.secondary {
        t.append_message(b"in", &c.0);
    }
    t
}

fn check_openings(inputs: &[Commitment], openings: &[Opening], which: &str) -> Result<(), CryptoError> {
    for (i, (c, o)) in inputs.iter().zip(openings).enumerate() {
        if commitment_of(o)? != *c {
            return Err(CryptoError::InputMismatch(format!("{which} opening {i} does not open {which} input {i}")));
        }
    }
    Ok(())
}

/// Evaluate the predicate on the openings and prove the true side.
pub fn prove_predicate(
    ctx: &ProofContext,
    pred: &Predicate,
    inputs: &PredicateInputs,
    openings: &PredicateOpenings,
) -> Result<PredicateProof, CryptoError> {
    pred.validate()?;
    pred.check_shape(inputs.primary.len(), inputs.secondary.len(), "inputs")?;
    if openings.primary.len() != inputs.primary.len() || openings.secondary.len() != inputs.secondary.len() {
        return Err(CryptoError::InputMismatch(format!(
            "{} primary and {} secondary openings for {} primary and {} secondary inputs",
            openings.primary.len(),
            openings.secondary.len(),
            inputs.primary.len(),
            inputs.secondary.len()
        )));
    }
    check_openings(&inputs.primary, &openings.primary, "primary")?;
    check_openings(&inputs.secondary, &openings.secondary, "secondary")?;

    let value_sum = |os: &[Opening]| os.iter().map(|o| i128::from(o.value)).sum::<i128>();
    let blinding_sum = |os: &[Opening]| os.iter().map(blinding_scalar).sum::<Result<Scalar, _>>();
    let (pv, sv) = (value_sum(&openings.primary), value_sum(&openings.secondary));

    // The holds side first; a false predicate is answered by whichever complement
    // branch is in range (exactly one is when the openings are in-range fields).
    let mut chosen = None;
    for &answer in pred.answers() {
        let claims = pred.claims(answer)?;
        let values: Vec<i128> = claims.iter().map(|c| c.value(pv, sv)).collect();
        if values.iter().all(|&v| in_predicate_range(v)) {
            chosen = Some((answer, claims, values));
            break;
        }
    }
    let (answer, claims, values) = chosen.ok_or_else(|| {
        CryptoError::InputMismatch(format!(
            "neither `{pred}` nor its complement can be proven from these openings (a committed value is out of range)"
        ))
    })?;

    let (mut pr, mut sr) = (blinding_sum(&openings.primary)?, blinding_sum(&openings.secondary)?);
    let mut blindings: Vec<Scalar> = claims.iter().map(|c| c.blinding(&pr, &sr)).collect();
    // in_predicate_range guarantees each value fits a u64.
    let mut values: Vec<u64> = values.iter().map(|&v| v as u64).collect();
    let g = gens();
    let mut t = predicate_transcript(ctx, pred, inputs, answer);
    let result = RangeProof::prove_multiple_with_rng(&g.bp, &g.pc, &mut t, &values, &blindings, PREDICATE_BITS, &mut OsRng);
    pr.zeroize();
    sr.zeroize();
    blindings.zeroize();
    values.zeroize();
    let (proof, vs) = result.map_err(|e| CryptoError::Malformed { what: "predicate proof", why: e.to_string() })?;
    debug_assert_eq!(
        vs.iter().map(|v| Commitment(v.to_bytes())).collect::<Vec<_>>(),
        derived_commitments(pred, inputs, answer)?,
        "prover and verifier must derive the same commitments"
    );
    Ok(PredicateProof { answer, proof: proof.to_bytes() })
}

pub fn verify_predicate(
    ctx: &ProofContext,
    pred: &Predicate,
    inputs: &PredicateInputs,
    proof: &PredicateProof,
) -> Result<(), CryptoError> {
    let derived = derived_commitments(pred, inputs, proof.answer)?;
    let rp = parse_range_proof(&proof.proof, PREDICATE_BITS, derived.len())?;
    let vs: Vec<CompressedRistretto> = derived.iter().map(|c| CompressedRistretto(c.0)).collect();
    let g = gens();
    let mut t = predicate_transcript(ctx, pred, inputs, proof.answer);
    rp.verify_multiple_with_rng(&g.bp, &g.pc, &mut t, &vs, PREDICATE_BITS, &mut OsRng).map_err(rejected)
}

const PREDICATE_FORMS: &str = "`score >= N`, `score in A..B` (inclusive), `balance <= N`, `total_debt < N`, `dti < P` (percent), `no_serious_delinquency`";

impl std::fmt::Display for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Predicate::ScoreAtLeast { min } => write!(f, "score >= {min}"),
            Predicate::ScoreInRange { min, max } => write!(f, "score in {min}..{max}"),
            Predicate::BalanceAtMost { max } => write!(f, "balance <= {max}"),
            Predicate::TotalDebtBelow { limit } => write!(f, "total_debt < {limit}"),
            Predicate::DebtToIncomeBelow { percent } => write!(f, "dti < {percent}"),
            Predicate::NoSeriousDelinquency => f.write_str("no_serious_delinquency"),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Number(u64),
    Op(&'static str),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(ch) = rest.chars().next() {
        if ch.is_ascii_alphabetic() || ch == '_' {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            out.push(Token::Word(rest[..end].to_ascii_lowercase()));
            rest = &rest[end..];
        } else if ch.is_ascii_digit() {
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let n = rest[..end].parse().map_err(|_| format!("number {} does not fit in 64 bits", &rest[..end]))?;
            out.push(Token::Number(n));
            rest = &rest[end..];
        } else if let Some(op) = [">=", "<=", "..", "<"].into_iter().find(|op| rest.starts_with(op)) {
            out.push(Token::Op(op));
            rest = &rest[op.len()..];
        } else {
            return Err(format!("unexpected character {ch:?}"));
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

impl std::str::FromStr for Predicate {
    type Err = CryptoError;

    /// Parse the canonical form printed by `Display` (case-insensitive keywords,
    /// optional spaces); the result is validated.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = |why: String| CryptoError::Malformed { what: "predicate", why: format!("{why} in {s:?}; accepted forms: {PREDICATE_FORMS}") };
        let tokens = tokenize(s).map_err(malformed)?;
        use Token::{Number as N, Op, Word as W};
        let pred = match tokens.as_slice() {
            [W(w), Op(">="), N(n)] if w == "score" => Predicate::ScoreAtLeast { min: *n },
            [W(w), W(i), N(a), Op(".."), N(b)] if w == "score" && i == "in" => Predicate::ScoreInRange { min: *a, max: *b },
            [W(w), Op("<="), N(n)] if w == "balance" => Predicate::BalanceAtMost { max: *n },
            [W(w), Op("<"), N(n)] if w == "total_debt" => Predicate::TotalDebtBelow { limit: *n },
            [W(w), Op("<"), N(n)] if w == "dti" => Predicate::DebtToIncomeBelow { percent: *n },
            [W(w)] if w == "no_serious_delinquency" => Predicate::NoSeriousDelinquency,
            [] => return Err(malformed("empty predicate".into())),
            _ => return Err(malformed("unrecognised predicate".into())),
        };
        pred.validate()?;
        Ok(pred)
    }
}
