//! Read-only views of the state, for the API: plain structs, no formatting.
mod consents;
mod membership;
mod queries;
mod records;
mod state;

pub use consents::*;
pub use membership::*;
pub use queries::*;
pub use records::*;
pub use state::*;

use crate::column::id32;
use crate::encode::from_bytes;
use crate::error::LedgerError;
use crate::rules::MemberRow;
use crate::types::*;
use crate::Ledger;
use credence_crypto::seal::WrappedKey;
use credence_crypto::{KeyId, PartyId};
use rusqlite::{params, Connection, OptionalExtension};

pub fn members(view: &Ledger) -> Result<Vec<MemberRow>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare("SELECT party FROM members ORDER BY since, name")?;
    let ids: Vec<Vec<u8>> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for p in ids {
        if let Some(m) = crate::rules::member(conn, &PartyId(id32(p)?))? {
            out.push(m);
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub blocks: u64,
    pub members: u64,
    pub subjects: u64,
    pub records: u64,
    pub consents: u64,
    pub revoked_consents: u64,
    pub queries: u64,
    pub answers: u64,
    pub scores: u64,
    pub disputes: u64,
}

pub fn counts(view: &Ledger) -> Result<Counts, LedgerError> {
    let conn = view.conn();
    let c = |sql: &str| -> Result<u64, LedgerError> {
        Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    };
    Ok(Counts {
        blocks: c("SELECT COUNT(*) FROM blocks")?,
        members: c("SELECT COUNT(*) FROM members")?,
        subjects: c("SELECT COUNT(*) FROM subjects")?,
        records: c("SELECT COUNT(*) FROM records")?,
        consents: c("SELECT COUNT(*) FROM consents")?,
        revoked_consents: c("SELECT COUNT(*) FROM consents WHERE revoked_height IS NOT NULL")?,
        queries: c("SELECT COUNT(*) FROM queries")?,
        answers: c("SELECT COUNT(*) FROM queries WHERE answered_height IS NOT NULL")?,
        scores: c("SELECT COUNT(*) FROM scores")?,
        disputes: c("SELECT COUNT(*) FROM disputes")?,
    })
}

pub fn subjects(view: &Ledger) -> Result<Vec<PartyId>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare("SELECT party FROM subjects ORDER BY height, party")?;
    let v = st
        .query_map([], |r| Ok(PartyId(id32(r.get(0)?)?)))?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// The consortium's name, its epoch length, and the epoch of the last applied
/// block (None before genesis).
pub fn chain(view: &Ledger) -> Result<Option<(String, u64, u64)>, LedgerError> {
    let conn = view.conn();
    Ok(crate::rules::chain(conn).optional()?)
}
