//! The questions a lender may ask: their claims over derived commitments,
//! and their proofs.
use super::*;

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
    /// Σ balances / Σ credit limits < percent % over the subject's live
    /// tradelines (credit utilisation). Inputs: primary = balances,
    /// secondary = credit limits of the same tradelines.
    UtilisationBelow { percent: u64 },
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
        let ratio = |what: &str, percent: u64| {
            if (1..=100).contains(&percent) {
                Ok(())
            } else {
                Err(CryptoError::Malformed {
                    what: "predicate",
                    why: format!("{what} percent must be in 1..=100, got {percent}"),
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
            Predicate::DebtToIncomeBelow { percent } => ratio("debt-to-income", percent),
            Predicate::UtilisationBelow { percent } => ratio("credit utilisation", percent),
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
            Predicate::UtilisationBelow { percent } => (7, &[*percent][..]),
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
            // p·Σlimit − 100·Σbalance − 1 ≥ 0, or its negation.
            (UtilisationBelow { percent }, true, 0) => vec![c(-1, -100, i128::from(percent))],
            (UtilisationBelow { percent }, false, 0) => vec![c(0, 100, -i128::from(percent))],
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
    /// number (an empty sum is 0); the two ratios have a second list.
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
            // One limit per balance: both lists come from the same tradelines.
            Predicate::UtilisationBelow { .. } => (
                primary == secondary,
                "one credit limit (secondary) per balance (primary)",
            ),
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
pub(super) struct Claim {
    constant: i128,
    primary: i128,
    secondary: i128,
}

pub(super) fn scalar_of(x: i128) -> Scalar {
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

pub(super) fn in_predicate_range(v: i128) -> bool {
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
pub(super) fn predicate_transcript(
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

pub(super) fn check_openings(
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
