//! Consents, by subject, by grantee, by id.
use super::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentInfo {
    pub consent: Consent,
    pub granted_at: u64,
    pub revoked_at: Option<u64>,
}

impl ConsentInfo {
    pub fn live_at(&self, now: u64) -> bool {
        self.revoked_at.is_none() && self.consent.expires_at > now
    }
}

pub(super) fn consent_info(r: &rusqlite::Row) -> rusqlite::Result<ConsentInfo> {
    let purpose: String = r.get(3)?;
    let preds: Vec<u8> = r.get(4)?;
    Ok(ConsentInfo {
        consent: Consent {
            consent_id: id32(r.get(0)?)?,
            subject: PartyId(id32(r.get(1)?)?),
            grantee: PartyId(id32(r.get(2)?)?),
            purpose: Purpose::parse(&purpose).unwrap_or(Purpose::ConsumerRequest),
            predicates: postcard::from_bytes(&preds).unwrap_or(AllowedPredicates::Only(vec![])),
            expires_at: r.get::<_, i64>(5)? as u64,
            explicit: r.get(6)?,
        },
        granted_at: r.get::<_, i64>(7)? as u64,
        revoked_at: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
    })
}

const CONSENT_COLS: &str =
    "consent_id, subject, grantee, purpose, predicates, expires_at, explicit, granted_at, revoked_at";

pub fn consents_of_subject(
    view: &Ledger,
    subject: &PartyId,
) -> Result<Vec<ConsentInfo>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(&format!(
        "SELECT {CONSENT_COLS} FROM consents WHERE subject = ?1 ORDER BY granted_height"
    ))?;
    let v = st
        .query_map([&subject.0[..]], consent_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

pub fn consents_to_grantee(
    view: &Ledger,
    grantee: &PartyId,
) -> Result<Vec<ConsentInfo>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(&format!(
        "SELECT {CONSENT_COLS} FROM consents WHERE grantee = ?1 ORDER BY granted_height"
    ))?;
    let v = st
        .query_map([&grantee.0[..]], consent_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

pub fn consent(view: &Ledger, id: &Id) -> Result<Option<ConsentInfo>, LedgerError> {
    let conn = view.conn();
    Ok(conn
        .query_row(
            &format!("SELECT {CONSENT_COLS} FROM consents WHERE consent_id = ?1"),
            [&id[..]],
            consent_info,
        )
        .optional()?)
}

/// Since which height `subject`'s file is frozen (no new question about
/// them is accepted), if it is.
pub fn frozen_since(view: &Ledger, subject: &PartyId) -> Result<Option<u64>, LedgerError> {
    Ok(crate::rules::frozen_since(view.conn(), subject)?)
}
