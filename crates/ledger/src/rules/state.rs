//! Reads of the derived state that the rules decide on, and the small
//! `need_*` checks built on them.
use super::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub party: PartyId,
    pub name: String,
    pub role: Role,
    pub key: PublicIdentity,
}

/// A member in force at the epoch of the block being applied (admitted
/// members count from their first epoch; removed ones no longer do).
pub fn member(conn: &Connection, p: &PartyId) -> rusqlite::Result<Option<MemberRow>> {
    conn.query_row(
        "SELECT name, role, sign_pk, enc_pk FROM members
         WHERE party = ?1 AND from_epoch <= (SELECT epoch FROM chain)
           AND (until_epoch IS NULL OR until_epoch > (SELECT epoch FROM chain))",
        [&p.0[..]],
        |r| {
            let role: String = r.get(1)?;
            Ok(MemberRow {
                party: *p,
                name: r.get(0)?,
                role: crate::column::role(&role)?,
                key: PublicIdentity {
                    sign: id32(r.get(2)?)?,
                    enc: id32(r.get(3)?)?,
                },
            })
        },
    )
    .optional()
}

pub fn subject_key(conn: &Connection, p: &PartyId) -> rusqlite::Result<Option<PublicIdentity>> {
    conn.query_row(
        "SELECT sign_pk, enc_pk FROM subjects WHERE party = ?1",
        [&p.0[..]],
        |r| {
            Ok(PublicIdentity {
                sign: id32(r.get(0)?)?,
                enc: id32(r.get(1)?)?,
            })
        },
    )
    .optional()
}

/// Whose *current* X25519 key `k` is: a record is sealed only to keys in
/// use (a key retired by a rotation names nobody here).
pub(super) fn party_of_key_id(conn: &Connection, k: &KeyId) -> rusqlite::Result<Option<PartyId>> {
    let m: Option<Vec<u8>> = conn
        .query_row(
            "SELECT party FROM members WHERE key_id = ?1",
            [&k.0[..]],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(p) = m {
        return Ok(Some(PartyId(id32(p)?)));
    }
    let s: Option<Vec<u8>> = conn
        .query_row(
            "SELECT party FROM subjects WHERE key_id = ?1",
            [&k.0[..]],
            |r| r.get(0),
        )
        .optional()?;
    s.map(|p| id32(p).map(PartyId)).transpose()
}

/// Does `grantee` hold a consent from `subject` that is neither revoked nor expired at `now`?
pub fn has_live_consent(
    conn: &Connection,
    subject: &PartyId,
    grantee: &PartyId,
    now: u64,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM consents WHERE subject = ?1 AND grantee = ?2
           AND revoked_height IS NULL AND expires_at > ?3)",
        params![&subject.0[..], &grantee.0[..], now as i64],
        |r| r.get(0),
    )
}

pub struct RecordRow {
    pub record_id: Id,
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub kind: RecordKind,
    pub status: RecordStatus,
    pub commitments: Vec<Commitment>,
}

pub(super) fn record_from_row(r: &rusqlite::Row) -> rusqlite::Result<RecordRow> {
    let kind: String = r.get(3)?;
    let cbytes: Vec<u8> = r.get(5)?;
    Ok(RecordRow {
        record_id: id32(r.get(0)?)?,
        subject: PartyId(id32(r.get(1)?)?),
        furnisher: PartyId(id32(r.get(2)?)?),
        kind: crate::column::kind(&kind)?,
        status: crate::column::record_status(&r.get::<_, String>(4)?)?,
        commitments: crate::column::decoded("record commitments", &cbytes)?,
    })
}

pub fn record(conn: &Connection, id: &Id) -> rusqlite::Result<Option<RecordRow>> {
    conn.query_row(
        "SELECT record_id, subject, furnisher, kind, status, commitments FROM records WHERE record_id = ?1",
        [&id[..]],
        record_from_row,
    )
    .optional()
}

/// The subject's live records of one kind, ordered by record id: the set every
/// member derives for sums.
pub fn live_records(
    conn: &Connection,
    subject: &PartyId,
    kind: RecordKind,
    at: u64,
) -> rusqlite::Result<Vec<RecordRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT record_id, subject, furnisher, kind, status, commitments FROM records
         WHERE subject = ?1 AND kind = ?2 AND status = 'live' AND NOT {} ORDER BY record_id",
        overdue("records.record_id", "?3")
    ))?;
    let rows = st.query_map(
        params![&subject.0[..], kind.as_str(), at as i64],
        record_from_row,
    )?;
    rows.collect()
}

/// SQL: whether `record` has a dispute its furnisher left unanswered past
/// the genesis policy's deadline at time `at` (FCRA §611). Such a record is
/// decided for the borrower: left out of answers until the furnisher
/// confirms or corrects it.
fn overdue(record: &str, at: &str) -> String {
    format!(
        "EXISTS(SELECT 1 FROM disputes WHERE disputes.record_id = {record}
            AND disputes.resolved_height IS NULL AND {DISPUTE_DEADLINE} <= {at})"
    )
}

/// SQL: when a row of `disputes` must be answered by (Unix seconds).
pub(crate) const DISPUTE_DEADLINE: &str =
    "disputes.opened_at + 86400 * (SELECT dispute_days FROM chain)";

/// `live_records`' test for one record.
pub fn overdue_dispute(conn: &Connection, record_id: &Id, at: u64) -> rusqlite::Result<bool> {
    conn.query_row(
        &format!("SELECT {}", overdue("?1", "?2")),
        params![&record_id[..], at as i64],
        |r| r.get(0),
    )
}

/// The latest score `agency` committed for `subject` (highest period).
pub fn latest_score(
    conn: &Connection,
    agency: &PartyId,
    subject: &PartyId,
) -> rusqlite::Result<Option<(Id, Commitment)>> {
    conn.query_row(
        "SELECT score_id, commitment FROM scores WHERE agency = ?1 AND subject = ?2 ORDER BY period DESC LIMIT 1",
        params![&agency.0[..], &subject.0[..]],
        |r| Ok((id32(r.get(0)?)?, Commitment(id32(r.get(1)?)?))),
    )
    .optional()
}

pub fn query(conn: &Connection, id: &Id) -> rusqlite::Result<Option<(QueryAsked, bool)>> {
    conn.query_row(
        "SELECT requester, subject, consent_id, predicate, responder, target, answered_height, operator FROM queries WHERE query_id = ?1",
        [&id[..]],
        |r| {
            let pbytes: Vec<u8> = r.get(3)?;
            let target: Option<Vec<u8>> = r.get(5)?;
            let answered: Option<i64> = r.get(6)?;
            let operator: Option<Vec<u8>> = r.get(7)?;
            Ok((
                QueryAsked {
                    query_id: *id,
                    requester: PartyId(id32(r.get(0)?)?),
                    subject: PartyId(id32(r.get(1)?)?),
                    consent_id: id32(r.get(2)?)?,
                    predicate: postcard::from_bytes(&pbytes)
                        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Blob, Box::new(e)))?,
                    responder: PartyId(id32(r.get(4)?)?),
                    target: target.map(id32).transpose()?,
                    operator: operator.map(id32).transpose()?.map(PartyId),
                },
                answered.is_some(),
            ))
        },
    )
    .optional()
}

pub(super) fn need_member(conn: &Connection, p: &PartyId, what: &str) -> R<MemberRow> {
    match member(conn, p)? {
        Some(m) => Ok(m),
        None => reject(
            C::UnknownMember,
            format!("the {what} {} is not a member", p.short()),
        ),
    }
}

pub(super) fn need_role(m: &MemberRow, role: Role, what: &str) -> R<()> {
    if m.role != role {
        return reject(
            C::WrongRole,
            format!(
                "the {what} {} is a {}, not a {}",
                m.name,
                m.role.as_str(),
                role.as_str()
            ),
        );
    }
    Ok(())
}

pub(super) fn need_subject(conn: &Connection, p: &PartyId) -> R<PublicIdentity> {
    match subject_key(conn, p)? {
        Some(k) => Ok(k),
        None => reject(
            C::UnknownSubject,
            format!("subject {} is not enrolled", p.short()),
        ),
    }
}

/// Since which height `subject`'s file is frozen, if it is (an unknown
/// subject reads as not frozen).
pub fn frozen_since(conn: &Connection, subject: &PartyId) -> rusqlite::Result<Option<u64>> {
    Ok(conn
        .query_row(
            "SELECT frozen_height FROM subjects WHERE party = ?1",
            [&subject.0[..]],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()?
        .flatten()
        .map(|h| h as u64))
}

/// Refuse a question or answer about a subject whose file is frozen.
pub(super) fn need_not_frozen(conn: &Connection, subject: &PartyId, what: &str) -> R<()> {
    match frozen_since(conn, subject)? {
        Some(h) => reject(
            C::Frozen,
            format!(
                "the borrower froze their file at block {h}: no {what} about them is accepted \
                 until they lift the freeze"
            ),
        ),
        None => Ok(()),
    }
}

pub(super) fn need_new(conn: &Connection, sql: &str, id: &[u8], what: &str) -> R<()> {
    let exists: bool = conn.query_row(sql, [id], |r| r.get(0))?;
    if exists {
        return reject(
            C::AlreadyExists,
            format!("{what} {} already exists", hex::encode(&id[..8])),
        );
    }
    Ok(())
}

/// Check a sealed payload's shape and queue its author check; return the
/// parties it is sealed to, resolved from their key ids. A new entry must
/// carry its ciphertext; only a record's entry re-applied from a stored
/// chain (`erasable`, while replaying) may carry the erased form, which is
/// noted for `verify` to match against the chain's erasures.
pub(super) fn check_seal(
    cx: &mut Apply,
    sealed: &SealedRecord,
    context: &Id,
    author: (&PartyId, &PublicIdentity),
    erasable: bool,
) -> R<Vec<PartyId>> {
    let (author_party, author_key) = author;
    let conn = cx.conn;
    if sealed.ciphertext.is_erased() {
        if !(erasable && cx.ctx.replaying) {
            return reject(
                C::BadSeal,
                "the sealed payload carries no ciphertext (only an erasure removes it)",
            );
        }
        conn.execute(
            "INSERT OR IGNORE INTO temp.erased_payloads (record_id, height, idx) VALUES (?1, ?2, ?3)",
            params![&context[..], cx.h, cx.ctx.index as i64],
        )?;
    }
    if sealed.header.context != *context {
        return reject(C::BadSeal, "the sealed payload is bound to another id");
    }
    if sealed.header.author != *author_party {
        return reject(
            C::BadSeal,
            "the sealed payload's author is not the entry's author",
        );
    }
    let mut parties = Vec::with_capacity(sealed.recipients.len());
    for w in &sealed.recipients {
        match party_of_key_id(conn, &w.key_id)? {
            Some(p) if !parties.contains(&p) => parties.push(p),
            Some(_) => return reject(C::BadSeal, "a recipient is listed twice"),
            None => {
                return reject(
                    C::BadSeal,
                    format!(
                        "recipient key {} belongs to no member or subject",
                        w.key_id.short()
                    ),
                )
            }
        }
    }
    cx.deferred.push(Deferred::Seal {
        sealed: sealed.clone(),
        author: *author_key,
    });
    Ok(parties)
}

/// The consortium's name, epoch length and the epoch being applied.
pub fn chain(conn: &Connection) -> rusqlite::Result<(String, u64, u64)> {
    conn.query_row(
        "SELECT consortium, epoch_length, epoch FROM chain",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        },
    )
}

/// The seal a record opens from now on: its latest re-seal, else the one
/// it was furnished with; `None` for an unknown record.
pub(crate) fn current_seal(
    conn: &Connection,
    record_id: &Id,
) -> rusqlite::Result<Option<SealedRecord>> {
    let eid: Option<Vec<u8>> = conn
        .query_row(
            "SELECT COALESCE((SELECT entry_id FROM reseals WHERE record_id = ?1),
                             (SELECT entry_id FROM records WHERE record_id = ?1))",
            [&record_id[..]],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let Some(eid) = eid else {
        return Ok(None);
    };
    let body: Vec<u8> = conn.query_row(
        "SELECT body FROM entries WHERE entry_id = ?1",
        [&eid[..]],
        |r| r.get(0),
    )?;
    let se: SignedEntry = crate::column::decoded("entry", &body)?;
    Ok(match se.entry {
        Entry::RecordFurnished(r) => Some(r.sealed),
        Entry::RecordResealed { sealed, .. } => Some(sealed),
        _ => None,
    })
}
