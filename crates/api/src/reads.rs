//! Use cases that read: a borrower's own records and access log, the asker's
//! verification of an answer, the regulator's audit trail.
use crate::actions::open_record_as_sealed;
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::proof::{verify_predicate, ProofContext};
use credence_crypto::{Identity, PartyId};
use credence_ledger::payload::Payload;
use credence_ledger::read::{self, AccessEvent, QueryFilter, QueryInfo, RecordInfo};
use credence_ledger::{Id, Ledger};

/// A member's display name, or the short id of a subject.
pub fn party_name(view: &Ledger, p: &PartyId) -> String {
    match read::member(view, p) {
        Ok(Some(m)) => m.name,
        _ => format!("subject {}", p.short()),
    }
}

/// A record opened in memory for its reader.
#[derive(Debug)]
pub struct OpenedRecord {
    pub info: RecordInfo,
    pub payload: Payload,
    /// Why the sealed content does not open the record's commitments, if it
    /// does not: shown to the reader, never used in a computation.
    pub mismatch: Option<credence_ledger::payload::SealMismatch>,
}

/// Every record `me` can open (a borrower: its own; an agency: those sealed or
/// shared to it), decrypted in memory.
pub fn readable_records(view: &Ledger, me: &Identity) -> Result<Vec<OpenedRecord>> {
    let mut out = Vec::new();
    for info in read::records_readable_by(view, &me.party_id())? {
        match open_record_as_sealed(view, me, &info.record_id) {
            Ok((payload, mismatch)) => out.push(OpenedRecord {
                payload,
                mismatch,
                info,
            }),
            // A furnisher sealed bytes that are no record at all: there is
            // nothing to show, and one bad record must not hide the others.
            Err(e) if e.code == ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal) => {
                tracing::warn!(record = %hex::encode(&info.record_id[..8]), "{}", e.message);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// A borrower's access log with names resolved.
pub fn access_log(view: &Ledger, subject: &PartyId) -> Result<Vec<(AccessEvent, String)>> {
    Ok(read::access_log(view, subject)?
        .into_iter()
        .map(|e| {
            let n = party_name(view, &e.party);
            (e, n)
        })
        .collect())
}

/// The asker's check of an answer: the rules already verified it when it was
/// stored, but the asker re-derives the inputs from its own ledger and checks
/// the proof itself rather than trusting that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAnswer {
    pub query_id: Id,
    pub predicate: String,
    pub holds: bool,
    pub verified: bool,
}

pub fn verify_answer(view: &Ledger, query_id: &Id) -> Result<VerifiedAnswer> {
    let (q, a) = read::answer(view, query_id)?
        .ok_or_else(|| ApiError::not_found("that query has no answer yet"))?;
    let inputs = read::inputs_from_ids(view, &q, &a.inputs)?;
    let ctx = ProofContext {
        query_id: q.query_id,
        subject: q.subject.0,
        responder: q.responder.0,
    };
    let verified = verify_predicate(&ctx, &q.predicate, &inputs, &a.proof).is_ok();
    if !verified {
        return Err(ApiError::new(
            ErrorCode::ProofFailed,
            "the stored answer's proof does not verify against this ledger",
        ));
    }
    Ok(VerifiedAnswer {
        query_id: *query_id,
        predicate: q.predicate.to_string(),
        holds: a.proof.answer.holds,
        verified,
    })
}

/// The regulator's audit trail: who asked what about whom, under which
/// consent, when, and the answer.
pub fn audit(view: &Ledger, filter: &QueryFilter) -> Result<Vec<QueryInfo>> {
    Ok(read::queries(view, filter)?)
}

/// The agency that answers questions in this consortium (the first one
/// listed), as the asker's ledger names it.
pub fn answering_agency(view: &Ledger) -> Result<credence_ledger::rules::MemberRow> {
    read::members(view)?
        .into_iter()
        .find(|m| m.role == credence_ledger::types::Role::Agency)
        .ok_or_else(|| ApiError::not_found("this consortium has no agency to answer questions"))
}
