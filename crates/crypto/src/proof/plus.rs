//! Bulletproofs+ (`tari_bulletproofs_plus`) over the ledger's own Pedersen
//! commitments, for records' validity proofs: a proof is about 100 bytes
//! smaller than its `bulletproofs` form, and many are verified in one
//! multiscalar multiplication (BENCHMARKS.md, "Validity proof levers").
//!
//! The value sits on the Ristretto basepoint and the blinding on
//! `bulletproofs`' `B_blinding`, so one commitment serves both proof systems:
//! validity here, predicates in `predicate`. The library works on
//! curve25519-dalek 5; points cross over as their canonical encoding.
use super::*;
use curve25519_dalek_5 as c5;
use tari_bulletproofs_plus::{
    commitment_opening::CommitmentOpening,
    generators::pedersen_gens::ExtensionDegree,
    range_parameters::RangeParameters,
    range_proof::{RangeProof as PlusProof, VerifyAction},
    range_statement::RangeStatement,
    range_witness::RangeWitness,
    ristretto::RistrettoRangeProof,
    PedersenGens as PlusPedersenGens, Transcript as PlusTranscript,
};

type Point5 = c5::ristretto::RistrettoPoint;

/// Size of a serialized Bulletproofs+ proof over `m` values of `bits` bits:
/// one extension-degree byte, three points, log2(bits·m) (L, R) pairs and
/// three scalars. Always odd, so never the (even) size of a `bulletproofs` proof.
pub(super) fn plus_proof_len(bits: usize, m: usize) -> usize {
    let lg = (bits * m).trailing_zeros() as usize;
    1 + (2 * lg + 6) * 32
}

/// The generators, built once per process: our Pedersen bases and room for
/// `MAX_VALIDITY_FIELDS` values of `FIELD_BITS` bits.
fn params() -> &'static RangeParameters<Point5> {
    static PARAMS: OnceLock<RangeParameters<Point5>> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let ours = &gens().pc;
        let to5 = |p: RistrettoPoint| {
            c5::ristretto::CompressedRistretto(p.compress().to_bytes())
                .decompress()
                .expect("a valid point re-encodes")
        };
        let (value_base, blinding_base) = (to5(ours.B), to5(ours.B_blinding));
        let pc = PlusPedersenGens {
            h_base: value_base,
            h_base_compressed: value_base.compress(),
            g_base_vec: vec![blinding_base],
            g_base_compressed_vec: vec![blinding_base.compress()],
            extension_degree: ExtensionDegree::DefaultPedersen,
        };
        RangeParameters::init(FIELD_BITS, MAX_VALIDITY_FIELDS, pc)
            .expect("power-of-two bit length and capacity")
    })
}

fn transcript(context: &[u8], n: usize) -> PlusTranscript {
    let mut t = PlusTranscript::new(b"credence.validity.v2");
    t.append_message(b"context", context);
    t.append_u64(b"fields", n as u64);
    t
}

/// Prove `values[i]` (with `blindings[i]`) in [0, 2^FIELD_BITS), padded to
/// a power of two by the caller with (0, 0), which commits to the identity.
pub(super) fn prove(
    context: &[u8],
    fields: usize,
    commitments: &[CompressedRistretto],
    values: &[u64],
    blindings: &[Scalar],
) -> Result<Vec<u8>, CryptoError> {
    let malformed = |why: String| CryptoError::Malformed {
        what: "validity proof",
        why,
    };
    let statement = statement(commitments)?;
    let openings = values
        .iter()
        .zip(blindings)
        .map(|(v, b)| {
            let mut bytes = b.to_bytes();
            let s = c5::Scalar::from_canonical_bytes(bytes);
            bytes.zeroize();
            Option::<c5::Scalar>::from(s)
                .map(|s| CommitmentOpening::new(*v, vec![s]))
                .ok_or_else(|| malformed("blinding is not canonical".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // `CommitmentOpening` zeroizes its blindings on drop.
    let witness = RangeWitness::init(openings).map_err(|e| malformed(e.to_string()))?;
    let proof = PlusProof::prove(&mut transcript(context, fields), &statement, &witness)
        .map_err(|e| malformed(e.to_string()))?;
    Ok(proof.to_bytes())
}

/// One record's check, ready for a batch: its statement and parsed proof.
pub(super) struct Prepared {
    context: Vec<u8>,
    fields: usize,
    statement: RangeStatement<Point5>,
    proof: RistrettoRangeProof,
}

/// Decode the padded commitments and the proof (its size checked first).
pub(super) fn prepare(
    context: &[u8],
    fields: usize,
    commitments: &[CompressedRistretto],
    proof: &[u8],
) -> Result<Prepared, CryptoError> {
    // The commitments first, as for the other form: an undecodable one is
    // named before the proof's size is judged.
    let statement = statement(commitments)?;
    let m = commitments.len();
    let expected = plus_proof_len(FIELD_BITS, m);
    if proof.len() != expected {
        return Err(CryptoError::Malformed {
            what: "validity proof",
            why: format!(
                "{} bytes, expected {expected} for {m} value(s) of {FIELD_BITS} bits",
                proof.len()
            ),
        });
    }
    let proof = RistrettoRangeProof::from_bytes(proof).map_err(|e| CryptoError::Malformed {
        what: "validity proof",
        why: e.to_string(),
    })?;
    Ok(Prepared {
        context: context.to_vec(),
        fields,
        statement,
        proof,
    })
}

fn statement(commitments: &[CompressedRistretto]) -> Result<RangeStatement<Point5>, CryptoError> {
    let points = commitments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c5::ristretto::CompressedRistretto(c.to_bytes())
                .decompress()
                .ok_or_else(|| CryptoError::Malformed {
                    what: "commitment",
                    why: format!("field {i} is not a valid Ristretto point"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let m = points.len();
    RangeStatement::init(params().clone(), points, vec![None; m], None).map_err(|e| {
        CryptoError::Malformed {
            what: "validity proof",
            why: e.to_string(),
        }
    })
}

/// Verify every prepared proof in one multiscalar multiplication (with
/// weights drawn from all of them). `ProofRejected` when any fails, without
/// saying which: the caller checks one by one to find it.
pub(super) fn verify_batch(items: Vec<Prepared>) -> Result<(), CryptoError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut transcripts = Vec::with_capacity(items.len());
    let mut statements = Vec::with_capacity(items.len());
    let mut proofs = Vec::with_capacity(items.len());
    for p in items {
        transcripts.push(transcript(&p.context, p.fields));
        statements.push(p.statement);
        proofs.push(p.proof);
    }
    PlusProof::verify_batch(
        &mut transcripts,
        &statements,
        &proofs,
        VerifyAction::VerifyOnly,
    )
    .map(|_| ())
    .map_err(|e| CryptoError::ProofRejected(e.to_string()))
}
