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
    GENS.get_or_init(|| Gens {
        pc: PedersenGens::default(),
        bp: BulletproofGens::new(PREDICATE_BITS, MAX_VALIDITY_FIELDS),
    })
}

/// Commit to `value` with a fresh random blinding.
pub fn commit<R: RngCore + CryptoRng>(value: u64, rng: &mut R) -> (Commitment, Opening) {
    let blinding = Scalar::random(rng);
    let point = gens().pc.commit(Scalar::from(value), blinding);
    (
        Commitment(point.compress().to_bytes()),
        Opening {
            value,
            blinding: blinding.to_bytes(),
        },
    )
}

/// The commitment an opening opens.
pub fn commitment_of(opening: &Opening) -> Result<Commitment, CryptoError> {
    let blinding = blinding_scalar(opening)?;
    Ok(Commitment(
        gens()
            .pc
            .commit(Scalar::from(opening.value), blinding)
            .compress()
            .to_bytes(),
    ))
}

fn blinding_scalar(opening: &Opening) -> Result<Scalar, CryptoError> {
    Option::from(Scalar::from_canonical_bytes(opening.blinding)).ok_or_else(|| {
        CryptoError::Malformed {
            what: "opening",
            why: "blinding is not a canonical Ristretto scalar".into(),
        }
    })
}

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

/// Prove that every opening's value is in [0, 2^FIELD_BITS). Errors:
/// `Malformed` for 0 or more than 8 fields or a non-canonical blinding,
/// `OutOfRange` for a value ≥ 2^FIELD_BITS (checked before proving).
pub fn prove_validity(context: &[u8], openings: &[Opening]) -> Result<ValidityProof, CryptoError> {
    check_field_count(openings.len())?;
    // bulletproofs would return a proof that merely fails to verify; say why instead.
    for o in openings {
        if o.value >> FIELD_BITS != 0 {
            return Err(CryptoError::OutOfRange {
                value: o.value.into(),
                bits: FIELD_BITS,
            });
        }
    }
    let m = openings.len().next_power_of_two();
    let mut values: Vec<u64> = openings.iter().map(|o| o.value).collect();
    let mut blindings = openings
        .iter()
        .map(blinding_scalar)
        .collect::<Result<Vec<_>, _>>()?;
    // Padding (0, 0) commits to the identity point, which the verifier adds on its own.
    values.resize(m, 0);
    blindings.resize(m, Scalar::ZERO);
    let g = gens();
    let mut t = validity_transcript(context, openings.len());
    let result = RangeProof::prove_multiple_with_rng(
        &g.bp, &g.pc, &mut t, &values, &blindings, FIELD_BITS, &mut OsRng,
    );
    values.zeroize();
    blindings.zeroize();
    let (proof, _) = result.map_err(|e| CryptoError::Malformed {
        what: "validity proof",
        why: e.to_string(),
    })?;
    Ok(ValidityProof(proof.to_bytes()))
}

/// Check a validity proof against the record's commitments, in field order.
/// `Malformed` for a bad field count, an undecodable commitment or proof bytes
/// of the wrong size; `ProofRejected` when the proof does not verify.
pub fn verify_validity(
    context: &[u8],
    commitments: &[Commitment],
    proof: &ValidityProof,
) -> Result<(), CryptoError> {
    check_field_count(commitments.len())?;
    for (i, c) in commitments.iter().enumerate() {
        decompress(c, || format!("field {i}"))?;
    }
    let m = commitments.len().next_power_of_two();
    let rp = parse_range_proof(&proof.0, FIELD_BITS, m)?;
    let mut vs: Vec<CompressedRistretto> = commitments
        .iter()
        .map(|c| CompressedRistretto(c.0))
        .collect();
    vs.resize(m, CompressedRistretto::identity());
    let g = gens();
    let mut t = validity_transcript(context, commitments.len());
    rp.verify_multiple_with_rng(&g.bp, &g.pc, &mut t, &vs, FIELD_BITS, &mut OsRng)
        .map_err(rejected)
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
        write!(
            f,
            "PredicateProof({:?}, {} bytes)",
            self.answer,
            self.proof.len()
        )
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
                Err(CryptoError::ThresholdOutOfRange {
                    what,
                    value,
                    bits: FIELD_BITS,
                })
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
            // Debt is never negative: "total_debt < 0" could only ever be
            // false, so it is refused as a question rather than answered.
            Predicate::TotalDebtBelow { limit: 0 } => Err(CryptoError::Malformed {
                what: "predicate",
                why: "total_debt < 0 can never hold (debt is not negative); give a limit of at least 1"
                    .into(),
            }),
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
        const HOLDS: Answer = Answer {
            holds: true,
            branch: 0,
        };
        const BELOW: Answer = Answer {
            holds: false,
            branch: 0,
        };
        const ABOVE: Answer = Answer {
            holds: false,
            branch: 1,
        };
        match self {
            Predicate::ScoreInRange { .. } => &[HOLDS, BELOW, ABOVE],
            _ => &[HOLDS, BELOW],
        }
    }

    /// The linear claims (each must lie in [0, 2^PREDICATE_BITS)) behind `answer`.
    fn claims(&self, answer: Answer) -> Result<Vec<Claim>, CryptoError> {
        use Predicate::*;
        let c = |constant: i128, primary: i128, secondary: i128| Claim {
            constant,
            primary,
            secondary,
        };
        let claims = match (*self, answer.holds, answer.branch) {
            (ScoreAtLeast { min }, true, 0) => vec![c(-i128::from(min), 1, 0)],
            (ScoreAtLeast { min }, false, 0) => vec![c(i128::from(min) - 1, -1, 0)],
            (ScoreInRange { min, max }, true, 0) => {
                vec![c(-i128::from(min), 1, 0), c(i128::from(max), -1, 0)]
            }
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
                    why: format!(
                        "branch {branch} does not exist for `{self}` answered {}",
                        if holds { "true" } else { "false" }
                    ),
                })
            }
        };
        Ok(claims)
    }

    /// Score and balance questions are about one committed field; sums take any
    /// number (an empty sum is 0); only debt-to-income has a second list.
    fn check_shape(&self, primary: usize, secondary: usize, what: &str) -> Result<(), CryptoError> {
        let (ok, expected) = match self {
            Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. } => (
                primary == 1 && secondary == 0,
                "exactly one primary (the score) and no secondary",
            ),
            Predicate::BalanceAtMost { .. } => (
                primary == 1 && secondary == 0,
                "exactly one primary (the balance) and no secondary",
            ),
            Predicate::TotalDebtBelow { .. } => {
                (secondary == 0, "primary balances only, no secondary")
            }
            Predicate::NoSeriousDelinquency => (
                secondary == 0,
                "primary delinquency flags only, no secondary",
            ),
            Predicate::DebtToIncomeBelow { .. } => (true, "any number of payments and incomes"),
        };
        if ok {
            return Ok(());
        }
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
    fn point(
        &self,
        primary_sum: &RistrettoPoint,
        secondary_sum: &RistrettoPoint,
    ) -> RistrettoPoint {
        scalar_of(self.constant) * gens().pc.B
            + scalar_of(self.primary) * primary_sum
            + scalar_of(self.secondary) * secondary_sum
    }
    fn blinding(&self, primary_sum: &Scalar, secondary_sum: &Scalar) -> Scalar {
        scalar_of(self.primary) * primary_sum + scalar_of(self.secondary) * secondary_sum
    }
}

fn in_predicate_range(v: i128) -> bool {
    v >= 0 && v >> PREDICATE_BITS == 0
}

/// The commitments the verifier derives for `answer`, in proof order.
pub fn derived_commitments(
    pred: &Predicate,
    inputs: &PredicateInputs,
    answer: Answer,
) -> Result<Vec<Commitment>, CryptoError> {
    pred.validate()?;
    pred.check_shape(inputs.primary.len(), inputs.secondary.len(), "inputs")?;
    let claims = pred.claims(answer)?;
    let sum = |list: &[Commitment], which: &str| -> Result<RistrettoPoint, CryptoError> {
        list.iter()
            .enumerate()
            .try_fold(RistrettoPoint::identity(), |acc, (i, c)| {
                Ok(acc + decompress(c, || format!("{which} input {i}"))?)
            })
    };
    let p = sum(&inputs.primary, "primary")?;
    let s = sum(&inputs.secondary, "secondary")?;
    Ok(claims
        .iter()
        .map(|cl| Commitment(cl.point(&p, &s).compress().to_bytes()))
        .collect())
}

/// The transcript of a predicate proof. Its exact order is documented (an auditor
/// re-implements it): context, predicate, answer, then both input lists.
fn predicate_transcript(
    ctx: &ProofContext,
    pred: &Predicate,
    inputs: &PredicateInputs,
    answer: Answer,
) -> Transcript {
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

fn check_openings(
    inputs: &[Commitment],
    openings: &[Opening],
    which: &str,
) -> Result<(), CryptoError> {
    for (i, (c, o)) in inputs.iter().zip(openings).enumerate() {
        if commitment_of(o)? != *c {
            return Err(CryptoError::InputMismatch(format!(
                "{which} opening {i} does not open {which} input {i}"
            )));
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
    if openings.primary.len() != inputs.primary.len()
        || openings.secondary.len() != inputs.secondary.len()
    {
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

    let (mut pr, mut sr) = (
        blinding_sum(&openings.primary)?,
        blinding_sum(&openings.secondary)?,
    );
    let mut blindings: Vec<Scalar> = claims.iter().map(|c| c.blinding(&pr, &sr)).collect();
    // in_predicate_range guarantees each value fits a u64.
    let mut values: Vec<u64> = values.iter().map(|&v| v as u64).collect();
    let g = gens();
    let mut t = predicate_transcript(ctx, pred, inputs, answer);
    let result = RangeProof::prove_multiple_with_rng(
        &g.bp,
        &g.pc,
        &mut t,
        &values,
        &blindings,
        PREDICATE_BITS,
        &mut OsRng,
    );
    pr.zeroize();
    sr.zeroize();
    blindings.zeroize();
    values.zeroize();
    let (proof, vs) = result.map_err(|e| CryptoError::Malformed {
        what: "predicate proof",
        why: e.to_string(),
    })?;
    debug_assert_eq!(
        vs.iter()
            .map(|v| Commitment(v.to_bytes()))
            .collect::<Vec<_>>(),
        derived_commitments(pred, inputs, answer)?,
        "prover and verifier must derive the same commitments"
    );
    Ok(PredicateProof {
        answer,
        proof: proof.to_bytes(),
    })
}

/// Recompute the derived commitment(s) from `inputs` and `proof.answer` and check
/// the range proof. `ThresholdOutOfRange`/`Malformed` for an invalid predicate,
/// `InputMismatch` for inputs of the wrong shape, `Malformed` for an answer
/// branch the predicate does not have or undecodable bytes, `ProofRejected` when
/// the proof does not verify (other context, inputs, predicate or answer).
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
    rp.verify_multiple_with_rng(&g.bp, &g.pc, &mut t, &vs, PREDICATE_BITS, &mut OsRng)
        .map_err(rejected)
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
            // Keywords hold no digits, so `in600` reads as `in 600`.
            let end = rest
                .find(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
                .unwrap_or(rest.len());
            out.push(Token::Word(rest[..end].to_ascii_lowercase()));
            rest = &rest[end..];
        } else if ch.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let n = rest[..end]
                .parse()
                .map_err(|_| format!("number {} does not fit in 64 bits", &rest[..end]))?;
            out.push(Token::Number(n));
            rest = &rest[end..];
        } else if let Some(op) = [">=", "<=", "..", "<"]
            .into_iter()
            .find(|op| rest.starts_with(op))
        {
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
        let malformed = |why: String| CryptoError::Malformed {
            what: "predicate",
            why: format!("{why} in {s:?}; accepted forms: {PREDICATE_FORMS}"),
        };
        let tokens = tokenize(s).map_err(malformed)?;
        use Token::{Number as N, Op, Word as W};
        let pred = match tokens.as_slice() {
            [W(w), Op(">="), N(n)] if w == "score" => Predicate::ScoreAtLeast { min: *n },
            [W(w), W(i), N(a), Op(".."), N(b)] if w == "score" && i == "in" => {
                Predicate::ScoreInRange { min: *a, max: *b }
            }
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

impl Predicate {
    /// Parse the one canonical text of a predicate: exactly what `Display`
    /// prints (lowercase keywords, single spaces around operators, decimal
    /// numbers without sign or leading zeros), validated. Proof bundles carry
    /// only this form, so the text a verifier shows is the predicate that was
    /// proven, byte for byte; `FromStr` stays lenient for what people type.
    pub fn parse_canonical(s: &str) -> Result<Predicate, CryptoError> {
        let pred: Predicate = s.parse()?;
        let canonical = pred.to_string();
        if canonical != s {
            return Err(CryptoError::Malformed {
                what: "predicate",
                why: format!("{s:?} is not in canonical form (it would be {canonical:?})"),
            });
        }
        Ok(pred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ProofContext {
        ProofContext {
            query_id: [1; 32],
            subject: [2; 32],
            responder: [3; 32],
        }
    }

    /// Golden vector: a commitment, the commitment a verifier derives for
    /// "score >= 650" from it, and a challenge drawn from the predicate
    /// transcript (docs/proof-bundle.md). An outside verifier must reproduce
    /// all three; a change here breaks every proof bundle.
    #[test]
    fn golden_commitment_derivation_and_transcript() {
        let o = Opening {
            value: 700,
            blinding: Scalar::from(5u64).to_bytes(),
        };
        let c = commitment_of(&o).unwrap();
        let inputs = PredicateInputs {
            primary: vec![c],
            secondary: vec![],
        };
        let pred = Predicate::ScoreAtLeast { min: 650 };
        let answer = Answer {
            holds: true,
            branch: 0,
        };
        let derived = derived_commitments(&pred, &inputs, answer).unwrap();
        let mut t = predicate_transcript(&ctx(), &pred, &inputs, answer);
        let mut challenge = [0u8; 32];
        t.challenge_bytes(b"golden", &mut challenge);
        assert_eq!(hex::encode(c.0), GOLDEN_COMMITMENT);
        assert_eq!(hex::encode(derived[0].0), GOLDEN_DERIVED);
        assert_eq!(hex::encode(challenge), GOLDEN_CHALLENGE);
        // The derived commitment opens to 700 − 650 with the same blinding.
        let d = commitment_of(&Opening {
            value: 50,
            blinding: o.blinding,
        })
        .unwrap();
        assert_eq!(d, derived[0]);
    }

    const GOLDEN_COMMITMENT: &str =
        "a4d42fc5649dcedf8bb803d4e9205417134156eb217a7d3b96bcf61a4ae87864";
    const GOLDEN_DERIVED: &str = "6405cf4ad2ed85cda7fd25064d2f62d68e0bd8310d0cfce9794ea0ed85ea8f13";
    const GOLDEN_CHALLENGE: &str =
        "f50753703cd9b8a97e45a3f29ada4301f27cf45a5ca7bde4d87c6c4863f2965e";

    fn committed(values: &[u64]) -> (Vec<Commitment>, Vec<Opening>) {
        values.iter().map(|&v| commit(v, &mut OsRng)).unzip()
    }

    fn setup(primary: &[u64], secondary: &[u64]) -> (PredicateInputs, PredicateOpenings) {
        let (pc, po) = committed(primary);
        let (sc, so) = committed(secondary);
        (
            PredicateInputs {
                primary: pc,
                secondary: sc,
            },
            PredicateOpenings {
                primary: po,
                secondary: so,
            },
        )
    }

    /// Prove, check the answer, verify, and return the proof for tampering tests.
    fn prove_ok(
        pred: Predicate,
        primary: &[u64],
        secondary: &[u64],
        expected: Answer,
    ) -> (PredicateInputs, PredicateProof) {
        let (inputs, openings) = setup(primary, secondary);
        let proof = prove_predicate(&ctx(), &pred, &inputs, &openings).unwrap();
        assert_eq!(
            proof.answer, expected,
            "{pred} over {primary:?} / {secondary:?}"
        );
        verify_predicate(&ctx(), &pred, &inputs, &proof).unwrap();
        (inputs, proof)
    }

    const YES: Answer = Answer {
        holds: true,
        branch: 0,
    };
    const NO: Answer = Answer {
        holds: false,
        branch: 0,
    };
    const NO_ABOVE: Answer = Answer {
        holds: false,
        branch: 1,
    };

    fn assert_rejected(r: Result<(), CryptoError>) {
        assert!(
            matches!(r, Err(CryptoError::ProofRejected(_))),
            "expected ProofRejected, got {r:?}"
        );
    }

    #[test]
    fn commit_opens_and_rejects_noncanonical_blinding() {
        let (c, o) = commit(700, &mut OsRng);
        assert_eq!(commitment_of(&o).unwrap(), c);
        let other = Opening {
            value: 701,
            ..o.clone()
        };
        assert_ne!(commitment_of(&other).unwrap(), c);
        let bad = Opening {
            value: 700,
            blinding: [0xff; 32],
        };
        assert!(matches!(
            commitment_of(&bad),
            Err(CryptoError::Malformed {
                what: "opening",
                ..
            })
        ));
    }

    #[test]
    fn proof_score_at_least_true_and_false() {
        let p = Predicate::ScoreAtLeast { min: 650 };
        prove_ok(p, &[650], &[], YES);
        prove_ok(p, &[820], &[], YES);
        prove_ok(p, &[649], &[], NO);
        prove_ok(Predicate::ScoreAtLeast { min: 0 }, &[0], &[], YES);
    }

    #[test]
    fn proof_score_in_range_true_below_above() {
        let p = Predicate::ScoreInRange { min: 600, max: 750 };
        for s in [600, 700, 750] {
            let (_, proof) = prove_ok(p, &[s], &[], YES);
            assert_eq!(
                proof.proof.len(),
                range_proof_len(64, 2),
                "two claims aggregate into one proof"
            );
        }
        prove_ok(p, &[599], &[], NO);
        prove_ok(p, &[0], &[], NO);
        prove_ok(p, &[751], &[], NO_ABOVE);
        prove_ok(
            Predicate::ScoreInRange { min: 700, max: 700 },
            &[700],
            &[],
            YES,
        );
    }

    #[test]
    fn proof_balance_at_most_true_and_false() {
        let p = Predicate::BalanceAtMost { max: 5000 };
        prove_ok(p, &[5000], &[], YES);
        prove_ok(p, &[0], &[], YES);
        prove_ok(p, &[5001], &[], NO);
    }

    #[test]
    fn proof_total_debt_sums_three_balances() {
        let p = Predicate::TotalDebtBelow { limit: 40_000 };
        let (_, proof) = prove_ok(p, &[10_000, 20_000, 9_999], &[], YES);
        assert_eq!(proof.proof.len(), range_proof_len(64, 1));
        prove_ok(p, &[10_000, 20_000, 10_000], &[], NO);
        prove_ok(
            p,
            &[u32::MAX as u64, u32::MAX as u64, u32::MAX as u64],
            &[],
            NO,
        );
    }

    #[test]
    fn proof_dti_sums_two_incomes_and_three_payments() {
        let p = Predicate::DebtToIncomeBelow { percent: 43 };
        // incomes 3000 + 2000 = 5000; 43 % of it is 2150.
        prove_ok(p, &[1000, 1000, 149], &[3000, 2000], YES);
        prove_ok(p, &[1000, 1000, 150], &[3000, 2000], NO);
        prove_ok(p, &[1000, 1000, 151], &[3000, 2000], NO);
        // No income at all: the ratio is not below anything.
        prove_ok(p, &[], &[], NO);
        prove_ok(p, &[], &[1], YES);
    }

    #[test]
    fn proof_no_serious_delinquency_true_and_false() {
        let p = Predicate::NoSeriousDelinquency;
        prove_ok(p, &[0, 0, 0], &[], YES);
        prove_ok(p, &[0, 1, 0], &[], NO);
        prove_ok(p, &[1, 1, 1], &[], NO);
    }

    #[test]
    fn proof_empty_inputs_for_sums() {
        prove_ok(Predicate::TotalDebtBelow { limit: 1 }, &[], &[], YES);
        // "total debt < 0" is refused as a question (it can never hold).
        assert!(matches!(
            Predicate::TotalDebtBelow { limit: 0 }.validate(),
            Err(CryptoError::Malformed { .. })
        ));
        prove_ok(Predicate::NoSeriousDelinquency, &[], &[], YES);
    }

    #[test]
    fn proof_flipped_byte_is_rejected() {
        let p = Predicate::ScoreInRange { min: 600, max: 750 };
        let (inputs, proof) = prove_ok(p, &[700], &[], YES);
        // One byte in every 32-byte element: points, scalars, the inner-product proof.
        for i in (0..proof.proof.len()).step_by(32) {
            let mut bad = proof.clone();
            bad.proof[i + 5] ^= 0x01;
            let r = verify_predicate(&ctx(), &p, &inputs, &bad);
            assert!(
                matches!(
                    r,
                    Err(CryptoError::ProofRejected(_)) | Err(CryptoError::Malformed { .. })
                ),
                "flipped byte at {}: {r:?}",
                i + 5
            );
        }
        let mut short = proof.clone();
        short.proof.truncate(short.proof.len() - 32);
        assert!(matches!(
            verify_predicate(&ctx(), &p, &inputs, &short),
            Err(CryptoError::Malformed { .. })
        ));
    }

    #[test]
    fn proof_replay_with_other_context_is_rejected() {
        let p = Predicate::ScoreAtLeast { min: 650 };
        let (inputs, proof) = prove_ok(p, &[700], &[], YES);
        let base = ctx();
        for other in [
            ProofContext {
                query_id: [9; 32],
                ..base
            },
            ProofContext {
                subject: [9; 32],
                ..base
            },
            ProofContext {
                responder: [9; 32],
                ..base
            },
        ] {
            assert_rejected(verify_predicate(&other, &p, &inputs, &proof));
        }
    }

    #[test]
    fn proof_replay_with_other_threshold_is_rejected() {
        let (inputs, proof) = prove_ok(Predicate::ScoreAtLeast { min: 650 }, &[700], &[], YES);
        for min in [600, 651, 700] {
            assert_rejected(verify_predicate(
                &ctx(),
                &Predicate::ScoreAtLeast { min },
                &inputs,
                &proof,
            ));
        }
        let (inputs, proof) = prove_ok(
            Predicate::ScoreInRange { min: 600, max: 750 },
            &[700],
            &[],
            YES,
        );
        assert_rejected(verify_predicate(
            &ctx(),
            &Predicate::ScoreInRange { min: 600, max: 749 },
            &inputs,
            &proof,
        ));
        let (inputs, proof) = prove_ok(
            Predicate::DebtToIncomeBelow { percent: 43 },
            &[100],
            &[1000],
            YES,
        );
        assert_rejected(verify_predicate(
            &ctx(),
            &Predicate::DebtToIncomeBelow { percent: 36 },
            &inputs,
            &proof,
        ));
        // Same claim shape, different predicate kind.
        let (inputs, proof) = prove_ok(Predicate::TotalDebtBelow { limit: 1 }, &[0], &[], YES);
        assert_rejected(verify_predicate(
            &ctx(),
            &Predicate::NoSeriousDelinquency,
            &inputs,
            &proof,
        ));
    }

    #[test]
    fn proof_replay_with_other_inputs_is_rejected() {
        // Another commitment to the very same score.
        let p = Predicate::ScoreAtLeast { min: 650 };
        let (inputs, proof) = prove_ok(p, &[700], &[], YES);
        let (other, _) = commit(700, &mut OsRng);
        assert_rejected(verify_predicate(
            &ctx(),
            &p,
            &PredicateInputs {
                primary: vec![other],
                secondary: vec![],
            },
            &proof,
        ));
        let extra = PredicateInputs {
            primary: vec![inputs.primary[0], other],
            secondary: vec![],
        };
        assert!(matches!(
            verify_predicate(&ctx(), &p, &extra, &proof),
            Err(CryptoError::InputMismatch(_))
        ));

        let p = Predicate::TotalDebtBelow { limit: 40_000 };
        let (inputs, proof) = prove_ok(p, &[10_000, 20_000, 5_000], &[], YES);
        let (zero, _) = commit(0, &mut OsRng);
        let mut extra = inputs.clone();
        extra.primary.push(zero);
        assert_rejected(verify_predicate(&ctx(), &p, &extra, &proof));
        let mut missing = inputs.clone();
        missing.primary.pop();
        assert_rejected(verify_predicate(&ctx(), &p, &missing, &proof));
        let mut swapped = inputs.clone();
        swapped.primary[1] = zero;
        assert_rejected(verify_predicate(&ctx(), &p, &swapped, &proof));
        // Reordering keeps the sum but not the transcript.
        let mut reordered = inputs.clone();
        reordered.primary.swap(0, 2);
        assert_rejected(verify_predicate(&ctx(), &p, &reordered, &proof));

        // Moving an income into the payments list.
        let p = Predicate::DebtToIncomeBelow { percent: 43 };
        let (inputs, proof) = prove_ok(p, &[100, 200, 300], &[3000, 2000], YES);
        let mut moved = inputs.clone();
        moved.primary.push(moved.secondary.pop().unwrap());
        assert_rejected(verify_predicate(&ctx(), &p, &moved, &proof));
        let mut bad_point = inputs.clone();
        bad_point.secondary[0] = Commitment([0xff; 32]);
        assert!(matches!(
            verify_predicate(&ctx(), &p, &bad_point, &proof),
            Err(CryptoError::Malformed {
                what: "commitment",
                ..
            })
        ));
    }

    #[test]
    fn proof_tampered_answer_is_rejected() {
        let p = Predicate::ScoreAtLeast { min: 650 };
        let (inputs, proof) = prove_ok(p, &[600], &[], NO);
        let flipped = PredicateProof {
            answer: YES,
            ..proof.clone()
        };
        assert_rejected(verify_predicate(&ctx(), &p, &inputs, &flipped));
        let branch = PredicateProof {
            answer: NO_ABOVE,
            ..proof.clone()
        };
        assert!(matches!(
            verify_predicate(&ctx(), &p, &inputs, &branch),
            Err(CryptoError::Malformed { .. })
        ));

        let p = Predicate::ScoreInRange { min: 600, max: 750 };
        let (inputs, proof) = prove_ok(p, &[800], &[], NO_ABOVE);
        let below = PredicateProof {
            answer: NO,
            ..proof.clone()
        };
        assert_rejected(verify_predicate(&ctx(), &p, &inputs, &below));
        // A two-claim "holds" proof has another size: caught before verification.
        let holds = PredicateProof {
            answer: YES,
            ..proof.clone()
        };
        assert!(matches!(
            verify_predicate(&ctx(), &p, &inputs, &holds),
            Err(CryptoError::Malformed { .. })
        ));
        for answer in [
            Answer {
                holds: false,
                branch: 2,
            },
            Answer {
                holds: true,
                branch: 1,
            },
        ] {
            let bad = PredicateProof {
                answer,
                ..proof.clone()
            };
            assert!(matches!(
                verify_predicate(&ctx(), &p, &inputs, &bad),
                Err(CryptoError::Malformed { .. })
            ));
        }

        let p = Predicate::NoSeriousDelinquency;
        let (inputs, proof) = prove_ok(p, &[0, 0], &[], YES);
        let flipped = PredicateProof {
            answer: NO,
            ..proof
        };
        assert_rejected(verify_predicate(&ctx(), &p, &inputs, &flipped));
    }

    #[test]
    fn proof_forged_false_statement_fails() {
        // Score 600 against "score >= 650": D = C − 650·B opens to −50 mod ℓ. A
        // forger runs bulletproofs directly with our transcript and claims "holds".
        let p = Predicate::ScoreAtLeast { min: 650 };
        let (inputs, openings) = setup(&[600], &[]);
        let r = blinding_scalar(&openings.primary[0]).unwrap();
        let g = gens();
        let forged_answer = YES;
        let derived = derived_commitments(&p, &inputs, forged_answer).unwrap();
        for v in [(-50i64) as u64, 0, 50] {
            let mut t = predicate_transcript(&ctx(), &p, &inputs, forged_answer);
            let (rp, vs) =
                RangeProof::prove_multiple(&g.bp, &g.pc, &mut t, &[v], &[r], PREDICATE_BITS)
                    .unwrap();
            assert_ne!(vs[0].to_bytes(), derived[0].0, "no u64 value opens D");
            let forged = PredicateProof {
                answer: forged_answer,
                proof: rp.to_bytes(),
            };
            assert_rejected(verify_predicate(&ctx(), &p, &inputs, &forged));
        }
        // A value ≥ 2^32 on a 32-bit validity proof (not proven valid first) cannot be proven either.
        let (c, o) = commit(1 << 40, &mut OsRng);
        let mut t = validity_transcript(b"rec", 1);
        let (rp, _) = RangeProof::prove_multiple(
            &g.bp,
            &g.pc,
            &mut t,
            &[o.value],
            &[blinding_scalar(&o).unwrap()],
            FIELD_BITS,
        )
        .unwrap();
        assert_rejected(verify_validity(b"rec", &[c], &ValidityProof(rp.to_bytes())));
    }

    #[test]
    fn proof_prover_checks_inputs() {
        let p = Predicate::ScoreAtLeast { min: 650 };
        let (inputs, openings) = setup(&[700], &[]);
        // Opening of another commitment.
        let (_, stranger) = commit(700, &mut OsRng);
        let wrong = PredicateOpenings {
            primary: vec![stranger],
            secondary: vec![],
        };
        let e = prove_predicate(&ctx(), &p, &inputs, &wrong).unwrap_err();
        assert!(
            matches!(&e, CryptoError::InputMismatch(m) if m.contains("primary opening 0")),
            "{e}"
        );
        // Shape mismatches.
        let none = PredicateOpenings::default();
        assert!(matches!(
            prove_predicate(&ctx(), &p, &inputs, &none),
            Err(CryptoError::InputMismatch(_))
        ));
        let (two, two_open) = setup(&[700, 710], &[]);
        assert!(matches!(
            prove_predicate(&ctx(), &p, &two, &two_open),
            Err(CryptoError::InputMismatch(_))
        ));
        let (with_secondary, ws_open) = setup(&[700], &[1]);
        assert!(matches!(
            prove_predicate(&ctx(), &p, &with_secondary, &ws_open),
            Err(CryptoError::InputMismatch(_))
        ));
        let (debts, debts_open) = setup(&[1], &[2]);
        assert!(matches!(
            prove_predicate(
                &ctx(),
                &Predicate::TotalDebtBelow { limit: 10 },
                &debts,
                &debts_open
            ),
            Err(CryptoError::InputMismatch(_))
        ));
        // Inconsistent openings (sum ≥ 2^64): neither side is provable.
        let (huge, huge_open) = setup(&[u64::MAX, u64::MAX], &[]);
        assert!(matches!(
            prove_predicate(
                &ctx(),
                &Predicate::TotalDebtBelow { limit: 1 },
                &huge,
                &huge_open
            ),
            Err(CryptoError::InputMismatch(_))
        ));
        prove_predicate(&ctx(), &p, &inputs, &openings).unwrap();
    }

    #[test]
    fn proof_validate_rejects_bad_parameters() {
        let big = 1u64 << 32;
        let cases = [
            (Predicate::ScoreAtLeast { min: big }, "score threshold", big),
            (
                Predicate::ScoreInRange { min: 0, max: big },
                "score threshold",
                big,
            ),
            (
                Predicate::ScoreInRange {
                    min: big,
                    max: big + 1,
                },
                "score threshold",
                big,
            ),
            (
                Predicate::BalanceAtMost { max: u64::MAX },
                "balance limit",
                u64::MAX,
            ),
            (Predicate::TotalDebtBelow { limit: big }, "debt limit", big),
        ];
        for (p, what, value) in cases {
            assert_eq!(
                p.validate(),
                Err(CryptoError::ThresholdOutOfRange {
                    what,
                    value,
                    bits: 32
                }),
                "{p:?}"
            );
        }
        Predicate::ScoreAtLeast { min: big - 1 }.validate().unwrap();
        for percent in [0, 101] {
            assert!(matches!(
                Predicate::DebtToIncomeBelow { percent }.validate(),
                Err(CryptoError::Malformed { .. })
            ));
        }
        Predicate::DebtToIncomeBelow { percent: 1 }
            .validate()
            .unwrap();
        Predicate::DebtToIncomeBelow { percent: 100 }
            .validate()
            .unwrap();
        assert!(matches!(
            Predicate::ScoreInRange { min: 751, max: 750 }.validate(),
            Err(CryptoError::Malformed { .. })
        ));

        // prove and verify both refuse before touching the inputs.
        let p = Predicate::ScoreAtLeast { min: big };
        let (inputs, openings) = setup(&[700], &[]);
        assert!(matches!(
            prove_predicate(&ctx(), &p, &inputs, &openings),
            Err(CryptoError::ThresholdOutOfRange { .. })
        ));
        let proof = PredicateProof {
            answer: YES,
            proof: vec![0; 672],
        };
        assert!(matches!(
            verify_predicate(&ctx(), &p, &inputs, &proof),
            Err(CryptoError::ThresholdOutOfRange { .. })
        ));
    }

    #[test]
    fn proof_encode_is_tag_then_big_endian_parameters() {
        assert_eq!(
            Predicate::ScoreAtLeast { min: 650 }.encode(),
            [&[1u8][..], &650u64.to_be_bytes()].concat()
        );
        assert_eq!(
            Predicate::ScoreInRange { min: 600, max: 750 }.encode(),
            [&[2u8][..], &600u64.to_be_bytes(), &750u64.to_be_bytes()].concat()
        );
        assert_eq!(
            Predicate::BalanceAtMost { max: 1 }.encode(),
            [3, 0, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(
            Predicate::TotalDebtBelow { limit: 256 }.encode(),
            [4, 0, 0, 0, 0, 0, 0, 1, 0]
        );
        assert_eq!(
            Predicate::DebtToIncomeBelow { percent: 43 }.encode(),
            [5, 0, 0, 0, 0, 0, 0, 0, 43]
        );
        assert_eq!(Predicate::NoSeriousDelinquency.encode(), [6]);
    }

    #[test]
    fn proof_predicate_parse_and_display() {
        let cases = [
            ("score >= 650", Predicate::ScoreAtLeast { min: 650 }),
            (
                "score in 600..750",
                Predicate::ScoreInRange { min: 600, max: 750 },
            ),
            ("balance <= 5000", Predicate::BalanceAtMost { max: 5000 }),
            (
                "total_debt < 40000",
                Predicate::TotalDebtBelow { limit: 40000 },
            ),
            ("dti < 43", Predicate::DebtToIncomeBelow { percent: 43 }),
            ("no_serious_delinquency", Predicate::NoSeriousDelinquency),
        ];
        for (text, pred) in cases {
            assert_eq!(text.parse::<Predicate>().unwrap(), pred);
            assert_eq!(pred.to_string(), text);
            assert_eq!(pred.to_string().parse::<Predicate>().unwrap(), pred);
        }
        assert_eq!(
            "SCORE>=650".parse::<Predicate>().unwrap(),
            Predicate::ScoreAtLeast { min: 650 }
        );
        assert_eq!(
            "  Score In600 .. 750 ".parse::<Predicate>().unwrap(),
            Predicate::ScoreInRange { min: 600, max: 750 }
        );
        assert_eq!(
            "Total_Debt<1".parse::<Predicate>().unwrap(),
            Predicate::TotalDebtBelow { limit: 1 }
        );
        assert_eq!(
            " No_Serious_Delinquency ".parse::<Predicate>().unwrap(),
            Predicate::NoSeriousDelinquency
        );
        for bad in [
            "",
            "score > 650",
            "score >= -1",
            "score >= 6 50",
            "scorein 600..750",
            "score in 600...750",
            "balance < 5000",
            "dti <= 43",
            "score >= 99999999999999999999999",
            "no serious delinquency",
            "score >= 650 extra",
        ] {
            match bad.parse::<Predicate>() {
                Err(CryptoError::Malformed {
                    what: "predicate",
                    why,
                }) => assert!(why.contains("accepted forms"), "{why}"),
                other => panic!("{bad:?} parsed as {other:?}"),
            }
        }
        // Parsed predicates are validated.
        assert!(matches!(
            "dti < 0".parse::<Predicate>(),
            Err(CryptoError::Malformed { .. })
        ));
        assert!(matches!(
            "score in 750..600".parse::<Predicate>(),
            Err(CryptoError::Malformed { .. })
        ));
        assert!(matches!(
            "score >= 4294967296".parse::<Predicate>(),
            Err(CryptoError::ThresholdOutOfRange { .. })
        ));
    }

    #[test]
    fn proof_predicate_canonical_text_is_exactly_display() {
        for text in [
            "score >= 650",
            "score >= 0",
            "score in 600..750",
            "balance <= 4294967295",
            "total_debt < 4000000",
            "dti < 43",
            "no_serious_delinquency",
        ] {
            let p = Predicate::parse_canonical(text).unwrap();
            assert_eq!(p.to_string(), text);
        }
        for loose in [
            "SCORE >= 650",
            "score >= 0650",
            "score >= 00",
            "score>=650",
            "score  >= 650",
            " score >= 650",
            "score >= 650 ",
            "score in 600 .. 750",
            "Score In600..750",
            "No_Serious_Delinquency",
        ] {
            assert!(
                matches!(
                    Predicate::parse_canonical(loose),
                    Err(CryptoError::Malformed {
                        what: "predicate",
                        ..
                    })
                ),
                "{loose:?}"
            );
        }
        // Canonical but out of range: refused like any parsed predicate.
        assert!(matches!(
            Predicate::parse_canonical("score >= 4294967296"),
            Err(CryptoError::ThresholdOutOfRange { .. })
        ));
        assert!(Predicate::parse_canonical("dti < 0").is_err());
        assert!(Predicate::parse_canonical("score in 2..1").is_err());
    }

    #[test]
    fn proof_validity_for_one_to_eight_fields() {
        for n in 1..=MAX_VALIDITY_FIELDS {
            let values: Vec<u64> = (0..n as u64)
                .map(|i| if i == 0 { u32::MAX as u64 } else { i * 1000 })
                .collect();
            let (cs, os) = committed(&values);
            let proof = prove_validity(b"record-1", &os).unwrap();
            assert_eq!(proof.0.len(), range_proof_len(32, n.next_power_of_two()));
            verify_validity(b"record-1", &cs, &proof).unwrap();
            assert_rejected(verify_validity(b"record-2", &cs, &proof));
            // Another commitment in place of the last field.
            let mut other = cs.clone();
            other[n - 1] = commit(values[n - 1], &mut OsRng).0;
            assert_rejected(verify_validity(b"record-1", &other, &proof));
        }
    }

    #[test]
    fn proof_validity_rejects_bad_inputs() {
        let (cs, os) = committed(&[1, 2, 3]);
        let proof = prove_validity(b"r", &os).unwrap();
        // Same padded size, different field count: the transcript and padding differ.
        let four = [
            cs.clone(),
            vec![commitment_of(&Opening {
                value: 0,
                blinding: [0; 32],
            })
            .unwrap()],
        ]
        .concat();
        assert_rejected(verify_validity(b"r", &four, &proof));
        // Two fields pad to m = 2: a proof for m = 4 has the wrong size.
        assert!(matches!(
            verify_validity(b"r", &cs[..2], &proof),
            Err(CryptoError::Malformed {
                what: "range proof",
                ..
            })
        ));
        let mut reordered = cs.clone();
        reordered.swap(0, 1);
        assert_rejected(verify_validity(b"r", &reordered, &proof));
        let mut flipped = proof.clone();
        flipped.0[100] ^= 1;
        assert!(verify_validity(b"r", &cs, &flipped).is_err());

        let out = Opening {
            value: 1 << 32,
            ..os[0].clone()
        };
        assert_eq!(
            prove_validity(b"r", &[os[0].clone(), out]),
            Err(CryptoError::OutOfRange {
                value: 1 << 32,
                bits: 32
            })
        );
        assert!(matches!(
            prove_validity(b"r", &[]),
            Err(CryptoError::Malformed { .. })
        ));
        let nine: Vec<Opening> = (0..9).map(|_| os[0].clone()).collect();
        assert!(matches!(
            prove_validity(b"r", &nine),
            Err(CryptoError::Malformed { .. })
        ));
        assert!(matches!(
            verify_validity(b"r", &[], &proof),
            Err(CryptoError::Malformed { .. })
        ));
        let bad_point = [cs[0], cs[1], Commitment([0xff; 32])];
        assert!(matches!(
            verify_validity(b"r", &bad_point, &proof),
            Err(CryptoError::Malformed {
                what: "commitment",
                ..
            })
        ));
    }

    #[test]
    fn proof_sizes() {
        let (_, proof) = prove_ok(Predicate::ScoreAtLeast { min: 1 }, &[5], &[], YES);
        assert_eq!(proof.proof.len(), 672);
        let (_, proof) = prove_ok(Predicate::ScoreInRange { min: 1, max: 9 }, &[5], &[], YES);
        assert_eq!(proof.proof.len(), 736);
        let (_, os) = committed(&[1; 8]);
        assert_eq!(prove_validity(b"r", &os).unwrap().0.len(), 800);
        assert_eq!(prove_validity(b"r", &os[..6]).unwrap().0.len(), 800);
        assert_eq!(prove_validity(b"r", &os[..1]).unwrap().0.len(), 608);
    }
}
