//! The rules' own reads of the state, for callers that hold a `Ledger`:
//! the same functions the rules decide by, so a front end and the rules
//! cannot disagree about a member, a record, a query or a question's inputs.
use super::*;
use crate::rules;
use credence_crypto::proof::PredicateInputs;
use credence_crypto::PublicIdentity;

pub fn member(view: &Ledger, p: &PartyId) -> Result<Option<MemberRow>, LedgerError> {
    Ok(rules::member(view.conn(), p)?)
}

pub fn subject_key(view: &Ledger, p: &PartyId) -> Result<Option<PublicIdentity>, LedgerError> {
    Ok(rules::subject_key(view.conn(), p)?)
}

/// Whose borrower key a signing key is: the borrower it signs for now, or
/// the one whose rotation retired it (and the block of that rotation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyHolder {
    Subject(PartyId),
    Retired { party: PartyId, until_height: u64 },
}

pub fn subject_of_sign_key(
    view: &Ledger,
    key: &[u8; 32],
) -> Result<Option<KeyHolder>, LedgerError> {
    let conn = view.conn();
    let now: Option<Vec<u8>> = conn
        .query_row(
            "SELECT party FROM subjects WHERE sign_pk = ?1",
            [&key[..]],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(p) = now {
        return Ok(Some(KeyHolder::Subject(PartyId(id32(p)?))));
    }
    let retired: Option<(Vec<u8>, i64)> = conn
        .query_row(
            "SELECT party, until_height FROM retired_keys WHERE sign_pk = ?1",
            [&key[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match retired {
        Some((p, h)) => Some(KeyHolder::Retired {
            party: PartyId(id32(p)?),
            until_height: h as u64,
        }),
        None => None,
    })
}

/// Whether `k` is, or was, the key of a member or a borrower (its signing
/// key, its X25519 key or its party id): a key handed to anyone else must
/// be fresh.
pub fn key_in_use(view: &Ledger, k: &PublicIdentity) -> Result<bool, LedgerError> {
    Ok(rules::key_in_use(view.conn(), k)?)
}

pub fn record(view: &Ledger, id: &Id) -> Result<Option<rules::RecordRow>, LedgerError> {
    Ok(rules::record(view.conn(), id)?)
}

/// A question as asked, and whether it is answered.
pub fn query(view: &Ledger, id: &Id) -> Result<Option<(QueryAsked, bool)>, LedgerError> {
    Ok(rules::query(view.conn(), id)?)
}

/// What `q` is answered over at time `at`, as every member derives it.
pub fn derive_inputs(
    view: &Ledger,
    q: &QueryAsked,
    at: u64,
) -> Result<(Vec<Id>, PredicateInputs), LedgerError> {
    rules::derive_inputs(view.conn(), q, at)
}

/// The inputs of an answer, rebuilt from the ids it names.
pub fn inputs_from_ids(
    view: &Ledger,
    q: &QueryAsked,
    ids: &[Id],
) -> Result<PredicateInputs, LedgerError> {
    rules::inputs_from_ids(view.conn(), q, ids)
}

/// The one target check: `target` is a live tradeline of `subject`.
pub fn check_target(
    view: &Ledger,
    subject: &PartyId,
    target: &Id,
    at: u64,
) -> Result<rules::RecordRow, LedgerError> {
    rules::check_target(view.conn(), subject, target, at)
}
