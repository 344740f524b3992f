//! Proof bundles: everything an auditor needs to check one answer with the
//! `bulletproofs` crate alone (format in docs/proof-bundle.md).
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::proof::{
    derived_commitments, verify_predicate, Answer, Commitment, Predicate, PredicateInputs,
    PredicateProof, ProofContext, PREDICATE_BITS,
};
use credence_crypto::PartyId;
use credence_ledger::{read, rules, Ledger};
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "credence-proof-bundle";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    pub format: String,
    pub version: u32,
    pub query_id: String,
    pub subject: String,
    pub responder: String,
    pub requester: String,
    /// Human form, e.g. "score >= 650".
    pub predicate: String,
    /// `Predicate::encode()` in hex: what the transcript absorbs.
    pub predicate_encoding: String,
    pub holds: bool,
    pub branch: u8,
    /// Ledger ids (records or score) the inputs come from.
    pub input_ids: Vec<String>,
    pub inputs_primary: Vec<String>,
    pub inputs_secondary: Vec<String>,
    /// The commitment(s) the range proof is over, derived from the inputs.
    pub derived_commitments: Vec<String>,
    pub range_bits: usize,
    /// `bulletproofs::RangeProof::to_bytes()` in hex.
    pub proof: String,
    pub answered_at: u64,
}

fn h(b: &[u8]) -> String {
    hex::encode(b)
}

/// Build the bundle of an answered query from a ledger view.
pub fn export(view: &Ledger, query_id: &[u8; 32]) -> Result<ProofBundle> {
    let (q, a) = read::answer(view.conn(), query_id)?
        .ok_or_else(|| ApiError::not_found("that query has no answer yet"))?;
    let inputs = rules::inputs_from_ids(view.conn(), &q, &a.inputs)?;
    let derived = derived_commitments(&q.predicate, &inputs, a.proof.answer)?;
    let answered_at = read::queries(
        view.conn(),
        &read::QueryFilter {
            subject: Some(q.subject),
            ..Default::default()
        },
    )?
    .into_iter()
    .find(|x| x.query_id == *query_id)
    .and_then(|x| x.answered_at)
    .unwrap_or(0);
    Ok(ProofBundle {
        format: FORMAT.into(),
        version: 1,
        query_id: h(query_id),
        subject: q.subject.to_hex(),
        responder: q.responder.to_hex(),
        requester: q.requester.to_hex(),
        predicate: q.predicate.to_string(),
        predicate_encoding: h(&q.predicate.encode()),
        holds: a.proof.answer.holds,
        branch: a.proof.answer.branch,
        input_ids: a.inputs.iter().map(|i| h(i)).collect(),
        inputs_primary: inputs.primary.iter().map(|c| h(&c.0)).collect(),
        inputs_secondary: inputs.secondary.iter().map(|c| h(&c.0)).collect(),
        derived_commitments: derived.iter().map(|c| h(&c.0)).collect(),
        range_bits: PREDICATE_BITS,
        proof: h(&a.proof.proof),
        answered_at,
    })
}

fn unhex<const N: usize>(what: &str, s: &str) -> Result<[u8; N]> {
    let v = hex::decode(s).map_err(|_| ApiError::invalid(format!("{what} is not hex")))?;
    v.try_into()
        .map_err(|_| ApiError::invalid(format!("{what} must be {N} bytes")))
}

/// Check a bundle on its own: the derived commitments follow from the inputs,
/// and the proof verifies under the transcript the bundle names. (Whether the
/// inputs are the ledger's is checked against a ledger with `check_against`.)
pub fn verify(b: &ProofBundle) -> Result<()> {
    if b.format != FORMAT || b.version != 1 {
        return Err(ApiError::invalid("not a version 1 credence proof bundle"));
    }
    let predicate: Predicate = b.predicate.parse()?;
    if hex::encode(predicate.encode()) != b.predicate_encoding {
        return Err(ApiError::invalid(
            "the predicate text and its encoding disagree",
        ));
    }
    let cs = |v: &[String]| -> Result<Vec<Commitment>> {
        v.iter()
            .map(|s| Ok(Commitment(unhex::<32>("commitment", s)?)))
            .collect()
    };
    let inputs = PredicateInputs {
        primary: cs(&b.inputs_primary)?,
        secondary: cs(&b.inputs_secondary)?,
    };
    let answer = Answer {
        holds: b.holds,
        branch: b.branch,
    };
    let derived = derived_commitments(&predicate, &inputs, answer)?;
    if derived != cs(&b.derived_commitments)? {
        return Err(ApiError::new(
            ErrorCode::ProofFailed,
            "the derived commitments do not follow from the inputs",
        ));
    }
    let ctx = ProofContext {
        query_id: unhex::<32>("query id", &b.query_id)?,
        subject: PartyId::from_hex(&b.subject)?.0,
        responder: PartyId::from_hex(&b.responder)?.0,
    };
    let proof = PredicateProof {
        answer,
        proof: hex::decode(&b.proof).map_err(|_| ApiError::invalid("proof is not hex"))?,
    };
    verify_predicate(&ctx, &predicate, &inputs, &proof)
        .map_err(|e| ApiError::new(ErrorCode::ProofFailed, e.to_string()))
}
