//! A record's validity proof: every committed field in [0, 2^FIELD_BITS).
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
