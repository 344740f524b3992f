//! A record's validity proof: every committed field in [0, 2^FIELD_BITS).
//!
//! Two forms, told apart by size: Bulletproofs+ (`plus`), which furnishers
//! make and members verify in batches, and the `bulletproofs` form of
//! ledgers written before it, still verified one by one so that those
//! files keep verifying. Both are sound range proofs over the same
//! commitments; accepting either weakens nothing.
use super::*;

/// One aggregated proof that every committed field of a record is in
/// [0, 2^FIELD_BITS). `context` (record id, furnisher…) is bound in the transcript.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidityProof(pub Vec<u8>);

impl std::fmt::Debug for ValidityProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ValidityProof({} bytes)", self.0.len())
    }
}

/// One validity proof to check, with what it is checked against.
#[derive(Clone, Copy, Debug)]
pub struct ValidityCheck<'a> {
    pub context: &'a [u8],
    pub commitments: &'a [Commitment],
    pub proof: &'a ValidityProof,
}

pub(super) fn validity_transcript(context: &[u8], n: usize) -> Transcript {
    let mut t = Transcript::new(b"credence.validity.v1");
    t.append_message(b"context", context);
    t.append_u64(b"fields", n as u64);
    t
}

pub(super) fn check_field_count(n: usize) -> Result<(), CryptoError> {
    if (1..=MAX_VALIDITY_FIELDS).contains(&n) {
        Ok(())
    } else {
        Err(CryptoError::Malformed {
            what: "validity proof",
            why: format!("covers 1 to {MAX_VALIDITY_FIELDS} fields, got {n}"),
        })
    }
}

/// Prove that every opening's value is in [0, 2^FIELD_BITS) (Bulletproofs+).
/// Errors: `Malformed` for 0 or more than 8 fields or a non-canonical
/// blinding, `OutOfRange` for a value ≥ 2^FIELD_BITS (checked before proving).
pub fn prove_validity(context: &[u8], openings: &[Opening]) -> Result<ValidityProof, CryptoError> {
    check_field_count(openings.len())?;
    for o in openings {
        if o.value >> FIELD_BITS != 0 {
            return Err(CryptoError::OutOfRange {
                value: o.value.into(),
                bits: FIELD_BITS,
            });
        }
    }
    let (mut values, mut blindings) = padded_openings(openings)?;
    let pc = &gens().pc;
    let commitments: Vec<CompressedRistretto> = values
        .iter()
        .zip(&blindings)
        .map(|(v, b)| pc.commit(Scalar::from(*v), *b).compress())
        .collect();
    let result = plus::prove(context, openings.len(), &commitments, &values, &blindings);
    values.zeroize();
    blindings.zeroize();
    Ok(ValidityProof(result?))
}

/// The openings' values and blindings, padded to a power of two with
/// (0, 0), which commits to the identity point the verifier adds on its own.
fn padded_openings(openings: &[Opening]) -> Result<(Vec<u64>, Vec<Scalar>), CryptoError> {
    let m = openings.len().next_power_of_two();
    let mut values: Vec<u64> = openings.iter().map(|o| o.value).collect();
    let mut blindings = openings
        .iter()
        .map(blinding_scalar)
        .collect::<Result<Vec<_>, _>>()?;
    values.resize(m, 0);
    blindings.resize(m, Scalar::ZERO);
    Ok((values, blindings))
}

/// The record's commitments padded with the identity to a power of two.
/// Not decoded here: each form's verifier decodes them once, and refuses an
/// undecodable one by its field.
fn padded(commitments: &[Commitment]) -> Result<Vec<CompressedRistretto>, CryptoError> {
    check_field_count(commitments.len())?;
    let mut vs: Vec<CompressedRistretto> = commitments
        .iter()
        .map(|c| CompressedRistretto(c.0))
        .collect();
    vs.resize(
        commitments.len().next_power_of_two(),
        CompressedRistretto::identity(),
    );
    Ok(vs)
}

/// Check a validity proof against the record's commitments, in field order.
/// `Malformed` for a bad field count, an undecodable commitment or proof bytes
/// of neither form's size; `ProofRejected` when the proof does not verify.
pub fn verify_validity(
    context: &[u8],
    commitments: &[Commitment],
    proof: &ValidityProof,
) -> Result<(), CryptoError> {
    verify_validity_batch(&[ValidityCheck {
        context,
        commitments,
        proof,
    }])
}

/// Check many validity proofs at once: the Bulletproofs+ ones in one batch
/// (several times cheaper per proof than one by one), earlier ones singly.
/// Ok only when every proof verifies; an error does not say which failed,
/// so a caller that must judge each record checks them one by one then.
pub fn verify_validity_batch(checks: &[ValidityCheck<'_>]) -> Result<(), CryptoError> {
    let mut batch = Vec::with_capacity(checks.len());
    for c in checks {
        let vs = padded(c.commitments)?;
        let m = vs.len();
        if c.proof.0.len() == range_proof_len(FIELD_BITS, m) {
            verify_bulletproofs(c.context, c.commitments, &vs, &c.proof.0)?;
        } else {
            batch.push(plus::prepare(
                c.context,
                c.commitments.len(),
                &vs,
                &c.proof.0,
            )?);
        }
    }
    plus::verify_batch(batch)
}

/// The form ledgers written before Bulletproofs+ carry.
fn verify_bulletproofs(
    context: &[u8],
    commitments: &[Commitment],
    vs: &[CompressedRistretto],
    proof: &[u8],
) -> Result<(), CryptoError> {
    for (i, c) in commitments.iter().enumerate() {
        decompress(c, || format!("field {i}"))?;
    }
    let rp = parse_range_proof(proof, FIELD_BITS, vs.len())?;
    let g = gens();
    let mut t = validity_transcript(context, commitments.len());
    rp.verify_multiple_with_rng(&g.bp, &g.pc, &mut t, vs, FIELD_BITS, &mut OsRng)
        .map_err(rejected)
}

/// A validity proof in the `bulletproofs` form, as ledgers written before
/// Bulletproofs+ carry; for tests that those still verify.
#[doc(hidden)]
pub fn prove_validity_bulletproofs(
    context: &[u8],
    openings: &[Opening],
) -> Result<ValidityProof, CryptoError> {
    check_field_count(openings.len())?;
    let (mut values, mut blindings) = padded_openings(openings)?;
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
