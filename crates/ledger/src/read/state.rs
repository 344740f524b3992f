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

/// The member whose current signing key `key` is (after a rotation, its
/// party is not the key's own id).
pub fn member_of_sign_key(view: &Ledger, key: &[u8; 32]) -> Result<Option<MemberRow>, LedgerError> {
    let party: Option<Vec<u8>> = view
        .conn()
        .query_row(
            "SELECT party FROM members WHERE sign_pk = ?1",
            [&key[..]],
            |r| r.get(0),
        )
        .optional()?;
    match party {
        None => Ok(None),
        Some(p) => member(view, &PartyId(id32(p)?)),
    }
}

/// Whether `p` is or was a member (admitted, in force or removed).
pub fn was_member(view: &Ledger, p: &PartyId) -> Result<bool, LedgerError> {
    Ok(view.conn().query_row(
        "SELECT EXISTS(SELECT 1 FROM members WHERE party = ?1)",
        [&p.0[..]],
        |r| r.get(0),
    )?)
}

/// The epoch from which a member's rotation makes `key` its key, if a
/// rotation (final, waiting or in force) names it.
pub fn member_key_from_epoch(view: &Ledger, key: &[u8; 32]) -> Result<Option<u64>, LedgerError> {
    Ok(view
        .conn()
        .query_row(
            "SELECT from_epoch FROM member_keys WHERE sign_pk = ?1 AND entry_id IS NOT NULL",
            [&key[..]],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map(|e| e as u64))
}

/// The member that signs with `key` in `epoch` (a block's proposer).
pub fn member_with_key_at_epoch(
    view: &Ledger,
    key: &[u8; 32],
    epoch: u64,
) -> Result<Option<PartyId>, LedgerError> {
    Ok(super::members_at_epoch(view, epoch)?
        .into_iter()
        .find(|m| m.member.key.sign == *key)
        .map(|m| m.member.party))
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
