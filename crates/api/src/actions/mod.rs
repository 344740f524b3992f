//! Use cases that write to the ledger: each builds a signed entry from what
//! the caller's own ledger view says, ready to submit. Inputs are validated
//! here, at the boundary, before anything is signed.
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::proof::{
    commit, prove_predicate, prove_validity, Commitment, Opening, Predicate, PredicateOpenings,
    ProofContext, FIELD_BITS,
};
use credence_crypto::seal::{seal, wrap_for};
use credence_crypto::{Identity, PartyId, PublicIdentity};
use credence_ledger::encode::{cosign_entry, sign_entry};
use credence_ledger::payload::{IncomePayload, Payload, ScorePayload, TradelinePayload};
use credence_ledger::rules::{record_validity_context, score_validity_context};
use credence_ledger::types::*;
use credence_ledger::{read, Ledger};
use rand::rngs::OsRng;
use rand::RngCore;

mod consent;
mod erasure;
mod faulty;
mod keys;
mod questions;
mod records;
mod review;
pub use consent::*;
pub use erasure::erase_record;
pub use faulty::{faulty_tradeline, SealFault};
pub(crate) use keys::resealed;
pub use keys::{declare_compromised_entry, reseal_record, rotate_key_entry};
pub use questions::*;
pub use records::*;
pub use review::{contest_record, judge_record, records_to_contest};

pub fn new_id() -> Id {
    let mut id = [0u8; 32];
    OsRng.fill_bytes(&mut id);
    id
}

pub fn open_dispute(
    view: &Ledger,
    subject: &Identity,
    record_id: &Id,
    reason: DisputeReason,
) -> Result<(Id, SignedEntry)> {
    let r = read::record(view, record_id)?.ok_or_else(|| ApiError::not_found("no such record"))?;
    if r.subject != subject.party_id() {
        return Err(ApiError::new(
            ErrorCode::NotPermitted,
            "you can only dispute your own records",
        ));
    }
    Ok(dispute_entry(subject, record_id, reason))
}

/// The signed dispute of `record_id` (the rules refuse it unless the record
/// is `subject`'s and not already disputed).
pub fn dispute_entry(
    subject: &Identity,
    record_id: &Id,
    reason: DisputeReason,
) -> (Id, SignedEntry) {
    let dispute_id = new_id();
    (
        dispute_id,
        sign_entry(
            Entry::DisputeOpened {
                dispute_id,
                subject: subject.party_id(),
                record_id: *record_id,
                reason,
            },
            &[subject],
        ),
    )
}

pub fn resolve_dispute(
    furnisher: &Identity,
    dispute_id: &Id,
    outcome: DisputeOutcome,
) -> SignedEntry {
    sign_entry(
        Entry::DisputeResolved {
            dispute_id: *dispute_id,
            furnisher: furnisher.party_id(),
            outcome,
        },
        &[furnisher],
    )
}

/// Propose admitting the candidate of `request` (a current member proposes;
/// the proposal counts as its approving vote).
pub fn propose_admission(proposer: &Identity, request: JoinRequest) -> (Id, SignedEntry) {
    let proposal_id = new_id();
    let e = sign_entry(
        Entry::MemberProposed {
            proposal_id,
            proposer: proposer.party_id(),
            change: MembershipChange::Admit(request),
        },
        &[proposer],
    );
    (proposal_id, e)
}

/// Propose removing member `party`.
pub fn propose_removal(proposer: &Identity, party: &PartyId) -> (Id, SignedEntry) {
    let proposal_id = new_id();
    let e = sign_entry(
        Entry::MemberProposed {
            proposal_id,
            proposer: proposer.party_id(),
            change: MembershipChange::Remove { party: *party },
        },
        &[proposer],
    );
    (proposal_id, e)
}

/// Propose replacing a member's leaked key with the new key of `request`
/// (which that key signed); 2/3 of the members decide, as for an admission.
pub fn propose_rekey(proposer: &Identity, request: RekeyRequest) -> (Id, SignedEntry) {
    let proposal_id = new_id();
    let e = sign_entry(
        Entry::MemberProposed {
            proposal_id,
            proposer: proposer.party_id(),
            change: MembershipChange::Rekey(request),
        },
        &[proposer],
    );
    (proposal_id, e)
}

/// A member's vote on a membership proposal.
pub fn vote_membership(voter: &Identity, proposal_id: &Id, approve: bool) -> SignedEntry {
    sign_entry(
        Entry::MemberVote {
            proposal_id: *proposal_id,
            voter: voter.party_id(),
            approve,
        },
        &[voter],
    )
}
