//! The rules: every entry is checked against the state so far and, if valid,
//! applied to the derived-state tables.
//!
//! Checks split in two: stateful checks run in order (each entry sees the
//! effects of the ones before it in the block); the expensive, state-free
//! ones — signatures and proofs, with their inputs already resolved from
//! state — are queued as `Deferred` and run in parallel before the block's
//! transaction commits. Either way nothing is committed unless every check of
//! every entry in the block passed.
//!
//! One module per family of entries (`membership`, `records`, `reviews`,
//! `consent`, `questions`, `disputes`); `state` holds the reads they decide
//! on, `inputs` what a question is answered over, `deferred` the state-free
//! checks.
mod consent;
mod deferred;
mod disputes;
mod erasure;
mod inputs;
mod keys;
mod membership;
mod passed;
mod questions;
mod records;
mod reviews;
mod state;

pub(crate) use deferred::{verify_validity_batches, Deferred};
pub use inputs::{check_target, derive_inputs, inputs_from_ids};
pub(crate) use inputs::{predicate_inputs, target_tradeline};
pub(crate) use keys::{apply_due_member_keys, key_in_use};
use state::*;
pub use state::{
    chain, frozen_since, has_live_consent, latest_score, live_records, member, overdue_dispute,
    query, record, subject_key, MemberRow, RecordRow,
};
pub(crate) use state::{current_seal, DISPUTE_DEADLINE};

use crate::column::id32;
use crate::encode::{entry_bytes, entry_id, to_bytes, ENTRY_SIG_DOMAIN};
use crate::error::{RejectCode as C, Rejection};
use crate::types::*;
use credence_crypto::keys::{key_id_of, verify};
use credence_crypto::proof::{
    verify_predicate, verify_validity, Commitment, Predicate, PredicateInputs, PredicateProof,
    ProofContext, ValidityProof,
};
use credence_crypto::seal::SealedRecord;
use credence_crypto::{KeyId, PartyId, PublicIdentity, Signature};
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::Arc;

/// Where in the chain an entry is being checked.
#[derive(Clone, Copy, Debug)]
pub struct BlockCtx {
    pub height: u64,
    pub timestamp: u64,
    pub index: usize,
    /// Re-applying a stored chain (`verify`), where an erased record's entry
    /// carries only its payload's digest; a new block never may.
    pub replaying: bool,
}

pub(crate) enum RuleError {
    Reject(Rejection),
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for RuleError {
    fn from(e: rusqlite::Error) -> Self {
        RuleError::Sql(e)
    }
}
impl From<Rejection> for RuleError {
    fn from(r: Rejection) -> Self {
        RuleError::Reject(r)
    }
}

type R<T> = Result<T, RuleError>;

fn reject<T>(code: C, msg: impl Into<String>) -> R<T> {
    Err(RuleError::Reject(Rejection::new(code, msg)))
}

/// The context a record's validity proof is bound to.
pub fn record_validity_context(r: &RecordFurnished) -> Vec<u8> {
    let mut c = b"record".to_vec();
    c.extend_from_slice(&r.record_id);
    c.extend_from_slice(&r.subject.0);
    c.extend_from_slice(&r.furnisher.0);
    c.push(match r.kind {
        RecordKind::Tradeline => 1,
        RecordKind::Income => 2,
    });
    c
}

/// The context a score's validity proof is bound to.
pub fn score_validity_context(s: &ScoreCommitted) -> Vec<u8> {
    let mut c = b"score".to_vec();
    c.extend_from_slice(&s.score_id);
    c.extend_from_slice(&s.agency.0);
    c.extend_from_slice(&s.subject.0);
    c.extend_from_slice(&s.period.to_be_bytes());
    c
}

/// subject, grantee, encoded predicates, expiry, revoked height.
type ConsentRow = (Vec<u8>, Vec<u8>, Vec<u8>, i64, Option<i64>);

/// One entry being applied: the state, where it stands in the chain, its id
/// and signed bytes, and the state-free checks it queues.
pub(super) struct Apply<'a> {
    pub conn: &'a Connection,
    pub ctx: &'a BlockCtx,
    pub se: &'a SignedEntry,
    pub eid: Id,
    pub msg: Arc<Vec<u8>>,
    /// Block height and timestamp as SQLite stores them.
    pub h: i64,
    pub ts: i64,
    pub deferred: &'a mut Vec<Deferred>,
}

impl Apply<'_> {
    /// Require exactly these signers, in this order; their signatures are
    /// checked with the deferred checks.
    pub fn sign(&mut self, signers: &[(&[u8; 32], &'static str)]) -> R<()> {
        let sigs = &self.se.signatures;
        if sigs.len() != signers.len() {
            return reject(
                C::BadSignature,
                format!(
                    "expected {} signature(s), found {}",
                    signers.len(),
                    sigs.len()
                ),
            );
        }
        for ((pk, who), sig) in signers.iter().zip(sigs) {
            let leaked: bool = self
                .conn
                .prepare_cached("SELECT EXISTS(SELECT 1 FROM key_incidents WHERE sign_pk = ?1)")?
                .query_row([&pk[..]], |r| r.get(0))?;
            if leaked {
                return reject(
                    C::BadSignature,
                    format!("the {who}'s key was declared compromised: it signs nothing more"),
                );
            }
            self.deferred.push(Deferred::Signature {
                signer: **pk,
                domain: ENTRY_SIG_DOMAIN,
                msg: self.msg.clone(),
                sig: *sig,
                who,
            });
        }
        Ok(())
    }
}

/// Validate `se` against the state in `conn` and apply it. The caller owns the
/// transaction and runs `deferred` before committing.
pub(crate) fn validate_and_apply(
    conn: &Connection,
    ctx: &BlockCtx,
    se: &SignedEntry,
    deferred: &mut Vec<Deferred>,
) -> R<()> {
    let eid = entry_id(&se.entry);
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM entries WHERE entry_id = ?1)",
        [&eid[..]],
        |r| r.get(0),
    )?;
    if exists {
        return reject(
            C::AlreadyExists,
            "this exact entry is already on the ledger (a replay)",
        );
    }
    let (h, ts) = (ctx.height as i64, ctx.timestamp as i64);
    let mut cx = Apply {
        conn,
        ctx,
        se,
        eid,
        msg: Arc::new(entry_bytes(&se.entry)),
        h,
        ts,
        deferred,
    };
    let entry = &se.entry;
    match entry {
        Entry::Genesis(_) | Entry::MemberProposed { .. } | Entry::MemberVote { .. } => {
            membership::apply(&mut cx, entry)?
        }
        Entry::KeyRotated { .. } | Entry::RecordResealed { .. } => keys::apply(&mut cx, entry)?,
        Entry::SubjectEnrolled { .. } | Entry::RecordFurnished(_) | Entry::RecordShared { .. } => {
            records::apply(&mut cx, entry)?
        }
        Entry::RecordContested { .. } | Entry::RecordJudged { .. } => {
            reviews::apply(&mut cx, entry)?
        }
        Entry::ConsentGranted(_) | Entry::ConsentRevoked { .. } | Entry::FileFrozen { .. } => {
            consent::apply(&mut cx, entry)?
        }
        Entry::QueryAsked(_) | Entry::QueryAnswered(_) | Entry::ScoreCommitted(_) => {
            questions::apply(&mut cx, entry)?
        }
        Entry::DisputeOpened { .. } | Entry::DisputeResolved { .. } => {
            disputes::apply(&mut cx, entry)?
        }
        Entry::RecordErased { .. } => erasure::apply(&mut cx, entry)?,
    }
    conn.execute(
        "INSERT INTO entries (entry_id, height, idx, kind, subject, body) VALUES (?1,?2,?3,?4,?5,?6)",
        params![
            &eid[..], h, ctx.index as i64, se.entry.kind(), se.entry.subject().map(|s| s.0.to_vec()), to_bytes(se)
        ],
    )?;
    Ok(())
}
