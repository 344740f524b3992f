//! Proof bundles: everything an auditor needs to check one answer without
//! Credence (format in docs/proof-bundle.md).
//!
//! A bundle carries the signed ledger entries of the question, the answer and
//! every input (record or score), and the Ed25519 keys of their signers.
//! `verify_bundle` decodes those entries, checks their signatures and the
//! inputs' own validity proofs, checks that every field the bundle shows is
//! what the signed entries say, recomputes the derived commitments and
//! verifies the range proof. What only a ledger can show (membership, that the
//! entries were accepted in a block, the block time, that the inputs were the
//! complete set) is listed in the report as not checked;
//! `verify_against_ledger` checks those too.
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::keys::{party_id_of, verify as verify_signature};
use credence_crypto::proof::{
    derived_commitments, verify_predicate, verify_validity, Commitment, Predicate, PredicateInputs,
    ProofContext, PREDICATE_BITS,
};
use credence_crypto::{PartyId, Signature};
use credence_ledger::encode::{entry_bytes, entry_id, from_bytes, ENTRY_SIG_DOMAIN};
use credence_ledger::rules::{record_validity_context, score_validity_context};
use credence_ledger::{
    read, Entry, Id, Ledger, QueryAnswered, QueryAsked, RecordKind, SignedEntry,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod export;
mod verify;
pub use export::export;
pub use verify::{verify_against_ledger, verify_bundle};

pub const FORMAT: &str = "credence-proof-bundle";
/// Version 2: the bundle carries the signed entries. Version 1 bundles (no
/// entries) are refused: nothing in them was bound.
pub const VERSION: u32 = 2;

/// A proof bundle. Every byte string is lowercase hex of exactly its length;
/// unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    pub format: String,
    pub version: u32,
    pub query_id: String,
    pub subject: String,
    pub responder: String,
    pub requester: String,
    /// The canonical text (`Predicate::parse_canonical`), e.g. "score >= 650".
    pub predicate: String,
    /// `Predicate::encode()` in hex: what the transcript absorbs.
    pub predicate_encoding: String,
    pub holds: bool,
    pub branch: u8,
    /// Ledger ids (records or score) the inputs come from, in the answer's order.
    pub input_ids: Vec<String>,
    pub inputs_primary: Vec<String>,
    pub inputs_secondary: Vec<String>,
    /// The commitment(s) the range proof is over, derived from the inputs.
    pub derived_commitments: Vec<String>,
    pub range_bits: usize,
    /// `bulletproofs::RangeProof::to_bytes()` in hex.
    pub proof: String,
    /// Unix seconds of the block holding the answer. Not signed by any entry:
    /// checked only against a ledger.
    pub answered_at: u64,
    /// The signed `QueryAsked` entry.
    pub question_entry: BundleEntry,
    /// The signed `QueryAnswered` entry.
    pub answer_entry: BundleEntry,
    /// The signed `ScoreCommitted` / `RecordFurnished` entry of each input id, same order.
    pub input_entries: Vec<BundleEntry>,
    /// The Ed25519 key of every party that signed one of the entries, once each.
    pub signer_keys: Vec<SignerKey>,
}

/// One signed ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    /// The entry's id: `SHA-256` of the entry bytes under `credence.entry.id.v1`.
    pub entry_id: String,
    /// The canonical encoding of the entry (what the signatures sign).
    pub entry: String,
    /// Ed25519 signatures, 64 bytes each, in the order the rules require.
    pub signatures: Vec<String>,
}

/// A signer: its party id and the Ed25519 public key the id is the hash of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerKey {
    pub party: String,
    pub ed25519: String,
}

/// One line of a verification report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportItem {
    /// Short name: "signatures", "fields", "inputs", "proof", "answered_at"…
    pub item: String,
    pub detail: String,
}

fn item(name: &str, detail: impl Into<String>) -> ReportItem {
    ReportItem {
        item: name.to_string(),
        detail: detail.into(),
    }
}

/// What a verification established. Returned only when every check made
/// passed (a failed check is an error); `not_checked` lists what this
/// verification could not establish and needs a ledger (or a full replay).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleReport {
    pub query_id: String,
    pub subject: String,
    pub requester: String,
    pub responder: String,
    /// The canonical text of the signed question's predicate.
    pub predicate: String,
    pub holds: bool,
    pub branch: u8,
    pub input_ids: Vec<String>,
    /// As the bundle states it; see `not_checked` unless `against_ledger`.
    pub answered_at: u64,
    pub against_ledger: bool,
    pub checked: Vec<ReportItem>,
    pub not_checked: Vec<ReportItem>,
}

fn h(b: &[u8]) -> String {
    hex::encode(b)
}

fn failed(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ProofFailed, message)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex, any even length.
fn unhex_vec(what: &str, s: &str) -> Result<Vec<u8>> {
    if !is_lower_hex(s) {
        return Err(ApiError::invalid(format!(
            "{what} is not lowercase hex (digits 0-9 and a-f only)"
        )));
    }
    hex::decode(s).map_err(|_| ApiError::invalid(format!("{what} has an odd number of hex digits")))
}

/// Lowercase hex of exactly N bytes.
fn unhex<const N: usize>(what: &str, s: &str) -> Result<[u8; N]> {
    unhex_vec(what, s)?
        .try_into()
        .map_err(|_| ApiError::invalid(format!("{what} must be {N} bytes ({} hex digits)", 2 * N)))
}

fn bundle_entry(se: &SignedEntry) -> BundleEntry {
    BundleEntry {
        entry_id: h(&entry_id(&se.entry)),
        entry: h(&entry_bytes(&se.entry)),
        signatures: se.signatures.iter().map(|s| h(&s.0)).collect(),
    }
}

#[cfg(test)]
mod tests;
