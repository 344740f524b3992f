//! Records, scores, disputes and record reviews.
use super::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordInfo {
    pub record_id: Id,
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub kind: RecordKind,
    pub status: RecordStatus,
    pub compliance: Option<ComplianceCode>,
    pub corrects: Option<Id>,
    pub height: u64,
    pub at: u64,
}

const RECORD_COLS: &str = "r.record_id, r.subject, r.furnisher, r.kind, r.status, r.compliance, r.corrects, r.height, r.at";

pub(super) fn record_info(r: &rusqlite::Row) -> rusqlite::Result<RecordInfo> {
    let kind: String = r.get(3)?;
    let corrects: Option<Vec<u8>> = r.get(6)?;
    Ok(RecordInfo {
        record_id: id32(r.get(0)?)?,
        subject: PartyId(id32(r.get(1)?)?),
        furnisher: PartyId(id32(r.get(2)?)?),
        kind: if kind == "income" {
            RecordKind::Income
        } else {
            RecordKind::Tradeline
        },
        status: crate::column::record_status(&r.get::<_, String>(4)?)?,
        compliance: crate::column::compliance(r.get(5)?)?,
        corrects: corrects.map(id32).transpose()?,
        height: r.get::<_, i64>(7)? as u64,
        at: r.get::<_, i64>(8)? as u64,
    })
}

/// Records past the genesis policy's retention at `now` and not yet
/// erased, oldest first, at most `limit`: what a retention sweep erases.
pub fn records_past_retention(
    view: &Ledger,
    now: u64,
    limit: usize,
) -> Result<Vec<RecordInfo>, LedgerError> {
    let conn = view.conn();
    let sql = format!(
        "SELECT {RECORD_COLS} FROM records r, chain c
         WHERE r.status != 'erased' AND r.at + 86400 * c.retention_days <= ?1
         ORDER BY r.height, r.record_id LIMIT ?2"
    );
    let mut st = conn.prepare(&sql)?;
    let v = st
        .query_map(params![now as i64, limit as i64], record_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// Records `party` can open (sealed to it or shared with it later).
pub fn records_readable_by(view: &Ledger, party: &PartyId) -> Result<Vec<RecordInfo>, LedgerError> {
    let conn = view.conn();
    let sql = format!(
        "SELECT {RECORD_COLS} FROM record_access a JOIN records r ON r.record_id = a.record_id
         WHERE a.party = ?1 ORDER BY r.height, r.record_id"
    );
    let mut st = conn.prepare(&sql)?;
    let v = st
        .query_map([&party.0[..]], record_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

pub fn records_of_subject(
    view: &Ledger,
    subject: &PartyId,
) -> Result<Vec<RecordInfo>, LedgerError> {
    let conn = view.conn();
    let sql = format!(
        "SELECT {RECORD_COLS} FROM records r WHERE r.subject = ?1 ORDER BY r.height, r.record_id"
    );
    let mut st = conn.prepare(&sql)?;
    let v = st
        .query_map([&subject.0[..]], record_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

pub(super) fn entry_body(conn: &Connection, entry_id: &[u8]) -> Result<SignedEntry, LedgerError> {
    let body: Vec<u8> = conn
        .query_row(
            "SELECT body FROM entries WHERE entry_id = ?1",
            [entry_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| LedgerError::NotFound("entry".into()))?;
    from_bytes("entry", &body)
}

/// A furnished record as on the ledger, plus wraps shared with later recipients.
pub fn furnished(
    view: &Ledger,
    record_id: &Id,
) -> Result<(RecordFurnished, Vec<WrappedKey>), LedgerError> {
    let conn = view.conn();
    let eid: Vec<u8> = conn
        .query_row(
            "SELECT entry_id FROM records WHERE record_id = ?1",
            [&record_id[..]],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| LedgerError::NotFound(format!("record {}", hex::encode(&record_id[..8]))))?;
    let Entry::RecordFurnished(mut r) = entry_body(conn, &eid)?.entry else {
        return Err(LedgerError::Decode {
            what: "record entry",
            why: "not a furnished record".into(),
        });
    };
    // A re-sealed record opens from its latest seal.
    if let Some(sealed) = crate::rules::current_seal(conn, record_id)? {
        r.sealed = sealed;
    }
    let mut st =
        conn.prepare("SELECT wrap FROM record_access WHERE record_id = ?1 AND wrap IS NOT NULL")?;
    let wraps: Vec<Vec<u8>> = st
        .query_map([&record_id[..]], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let wraps = wraps
        .iter()
        .map(|w| from_bytes("shared wrap", w))
        .collect::<Result<_, _>>()?;
    Ok((r, wraps))
}

/// The latest score entry by `agency` for `subject`.
pub fn latest_score_entry(
    view: &Ledger,
    agency: &PartyId,
    subject: &PartyId,
) -> Result<Option<ScoreCommitted>, LedgerError> {
    let conn = view.conn();
    let eid: Option<Vec<u8>> = conn
        .query_row(
            "SELECT entry_id FROM scores WHERE agency = ?1 AND subject = ?2 ORDER BY period DESC LIMIT 1",
            params![&agency.0[..], &subject.0[..]],
            |r| r.get(0),
        )
        .optional()?;
    match eid {
        None => Ok(None),
        Some(e) => match entry_body(conn, &e)?.entry {
            Entry::ScoreCommitted(s) => Ok(Some(s)),
            _ => Err(LedgerError::Decode {
                what: "score entry",
                why: "not a score".into(),
            }),
        },
    }
}

/// Scores readable by `party` (its own as agency, or about it as subject).
pub fn scores_for(view: &Ledger, party: &PartyId) -> Result<Vec<ScoreCommitted>, LedgerError> {
    let conn = view.conn();
    let mut st = conn
        .prepare("SELECT entry_id FROM scores WHERE agency = ?1 OR subject = ?1 ORDER BY height")?;
    let ids: Vec<Vec<u8>> = st
        .query_map([&party.0[..]], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.iter()
        .map(|e| match entry_body(conn, e)?.entry {
            Entry::ScoreCommitted(s) => Ok(s),
            _ => Err(LedgerError::Decode {
                what: "score entry",
                why: "not a score".into(),
            }),
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeInfo {
    pub dispute_id: Id,
    pub subject: PartyId,
    pub record_id: Id,
    pub reason: String,
    pub opened_at: u64,
    /// When the furnisher's time to answer ends (the genesis policy's
    /// days after `opened_at`); unanswered by then, the record is left out
    /// of answers.
    pub deadline: u64,
    pub resolved_at: Option<u64>,
    pub outcome: Option<String>,
}

pub fn disputes(view: &Ledger, subject: Option<&PartyId>) -> Result<Vec<DisputeInfo>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(&format!(
        "SELECT dispute_id, subject, record_id, reason, opened_at, resolved_at, outcome, {}
         FROM disputes WHERE ?1 IS NULL OR subject = ?1 ORDER BY opened_height",
        crate::rules::DISPUTE_DEADLINE
    ))?;
    let v = st
        .query_map([subject.map(|s| s.0.to_vec())], |r| {
            Ok(DisputeInfo {
                dispute_id: id32(r.get(0)?)?,
                subject: PartyId(id32(r.get(1)?)?),
                record_id: id32(r.get(2)?)?,
                reason: r.get(3)?,
                opened_at: r.get::<_, i64>(4)? as u64,
                deadline: r.get::<_, i64>(7)? as u64,
                resolved_at: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                outcome: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// A review of a record whose sealed content was contested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewInfo {
    pub record_id: Id,
    /// The record's subject and furnisher.
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub contester: PartyId,
    pub regulator: PartyId,
    /// The record's content key wrapped for the regulator.
    pub evidence: WrappedKey,
    pub contested_at: u64,
    /// `unusable` or `sound`; `None` while the regulator has not judged.
    pub verdict: Option<String>,
    pub judged_at: Option<u64>,
}

/// Every review, oldest first; with `open_for`, only those still waiting for
/// that regulator.
pub fn record_reviews(
    view: &Ledger,
    open_for: Option<&PartyId>,
) -> Result<Vec<ReviewInfo>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(
        "SELECT v.record_id, r.subject, r.furnisher, v.contester, v.regulator, v.evidence,
                v.contested_at, v.verdict, v.judged_at
         FROM record_reviews v JOIN records r ON r.record_id = v.record_id
         WHERE (?1 IS NULL OR (v.regulator = ?1 AND v.verdict IS NULL))
         ORDER BY v.contested_height, v.record_id",
    )?;
    let rows = st.query_map([open_for.map(|p| p.0.to_vec())], |r| {
        let evidence: Vec<u8> = r.get(5)?;
        Ok(ReviewInfo {
            record_id: id32(r.get(0)?)?,
            subject: PartyId(id32(r.get(1)?)?),
            furnisher: PartyId(id32(r.get(2)?)?),
            contester: PartyId(id32(r.get(3)?)?),
            regulator: PartyId(id32(r.get(4)?)?),
            evidence: crate::column::decoded("review evidence", &evidence)?,
            contested_at: r.get::<_, i64>(6)? as u64,
            verdict: r.get(7)?,
            judged_at: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An accepted entry by its id (refused entries are kept elsewhere).
pub fn stored_entry(view: &Ledger, entry_id: &Id) -> Result<Option<SignedEntry>, LedgerError> {
    let body: Option<Vec<u8>> = view
        .conn()
        .query_row(
            "SELECT body FROM entries WHERE entry_id = ?1",
            [&entry_id[..]],
            |r| r.get(0),
        )
        .optional()?;
    body.map(|b| from_bytes("entry", &b)).transpose()
}

/// Where an accepted entry sits: its block's height, its index in the
/// block, and the subject it concerns (if any).
pub fn entry_place(
    view: &Ledger,
    entry_id: &Id,
) -> Result<Option<(u64, usize, Option<PartyId>)>, LedgerError> {
    let row: Option<(i64, i64, Option<Vec<u8>>)> = view
        .conn()
        .query_row(
            "SELECT height, idx, subject FROM entries WHERE entry_id = ?1",
            [&entry_id[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(h, i, s)| Ok((h as u64, i as usize, s.map(id32).transpose()?.map(PartyId))))
        .transpose()
}

/// Every accepted entry about `subject`, and the answers to questions about
/// them, as (entry id, height), oldest first: what a light client proves
/// one by one.
pub fn entries_about(view: &Ledger, subject: &PartyId) -> Result<Vec<(Id, u64)>, LedgerError> {
    let mut st = view.conn().prepare(
        "SELECT entry_id, height FROM entries WHERE subject = ?1
         UNION SELECT answer_entry, answered_height FROM queries
             WHERE subject = ?1 AND answer_entry IS NOT NULL
         ORDER BY 2, 1",
    )?;
    let rows = st.query_map([&subject.0[..]], |r| {
        Ok((id32(r.get(0)?)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the accepted entry `entry_id` is about `subject`, or answers a
/// question about them.
pub fn entry_concerns(
    view: &Ledger,
    entry_id: &Id,
    subject: &PartyId,
) -> Result<bool, LedgerError> {
    Ok(view.conn().query_row(
        "SELECT EXISTS(SELECT 1 FROM entries WHERE entry_id = ?1 AND subject = ?2)
             OR EXISTS(SELECT 1 FROM queries WHERE answer_entry = ?1 AND subject = ?2)",
        [&entry_id[..], &subject.0[..]],
        |r| r.get(0),
    )?)
}

/// The id of the entry that put a record or a score on the ledger.
pub fn entry_of_input(view: &Ledger, input: &Id) -> Result<Option<Id>, LedgerError> {
    let eid: Option<Vec<u8>> = view
        .conn()
        .query_row(
            "SELECT entry_id FROM records WHERE record_id = ?1
             UNION ALL SELECT entry_id FROM scores WHERE score_id = ?1",
            [&input[..]],
            |r| r.get(0),
        )
        .optional()?;
    Ok(eid.map(id32).transpose()?)
}

/// Every score's agency and block time, oldest first.
pub fn score_times(view: &Ledger) -> Result<Vec<(PartyId, u64)>, LedgerError> {
    let mut st = view
        .conn()
        .prepare("SELECT agency, at FROM scores ORDER BY height, score_id")?;
    let rows = st.query_map([], |r| {
        Ok((PartyId(id32(r.get(0)?)?), r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A key declared compromised (`KeyRotated` with `compromised_since`), and
/// where its remediation stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIncident {
    pub party: PartyId,
    pub key_id: KeyId,
    /// Leaked as of this time (unix seconds).
    pub since: u64,
    /// The declaration's block and time.
    pub height: u64,
    pub at: u64,
    /// Consents granted from `since` on, revoked by the declaration.
    pub revoked_consents: u64,
    /// Entries the key signed from `since` until the declaration.
    pub suspect_entries: Vec<SuspectEntry>,
    /// Every record that was sealed to the key when it was declared.
    pub records: Vec<IncidentRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuspectEntry {
    pub entry_id: Id,
    pub height: u64,
    pub index: u64,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRecord {
    pub record_id: Id,
    pub furnisher: PartyId,
    pub resealed_height: Option<u64>,
    pub erased: bool,
}

impl KeyIncident {
    /// Records still readable only by the compromised key: neither
    /// re-sealed nor erased.
    pub fn remaining(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.resealed_height.is_none() && !r.erased)
            .count()
    }
}

/// An incident as people read it (the regulator's home, an auditor through
/// the regulator's node): where the remediation stands, in counts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncidentSummary {
    pub party: String,
    pub key_id: String,
    pub since: u64,
    pub declared_at: u64,
    pub height: u64,
    pub revoked_consents: u64,
    /// Entries the key signed from `since` until the declaration, by kind.
    pub suspect_entries: Vec<String>,
    pub records: usize,
    pub resealed: usize,
    pub erased: usize,
    /// Records still readable only by the leaked key.
    pub remaining: usize,
}

impl From<&KeyIncident> for IncidentSummary {
    fn from(i: &KeyIncident) -> Self {
        IncidentSummary {
            party: i.party.to_hex(),
            key_id: hex::encode(i.key_id.0),
            since: i.since,
            declared_at: i.at,
            height: i.height,
            revoked_consents: i.revoked_consents,
            suspect_entries: i.suspect_entries.iter().map(|e| e.kind.clone()).collect(),
            records: i.records.len(),
            resealed: i
                .records
                .iter()
                .filter(|r| r.resealed_height.is_some())
                .count(),
            erased: i.records.iter().filter(|r| r.erased).count(),
            remaining: i.remaining(),
        }
    }
}

/// What a subject signs (so what a leaked key could have signed for them).
const SUBJECT_SIGNED: &str =
    "('consent-granted', 'consent-revoked', 'dispute-opened', 'file-frozen', 'record-resealed')";

/// Key incidents, of one party or of all, in ledger order.
pub fn key_incidents(
    view: &Ledger,
    party: Option<&PartyId>,
) -> Result<Vec<KeyIncident>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(
        "SELECT party, key_id, since, height, at, revoked_consents FROM key_incidents
         WHERE ?1 IS NULL OR party = ?1 ORDER BY height, key_id",
    )?;
    let heads = st
        .query_map([party.map(|p| p.0.to_vec())], |r| {
            Ok((
                PartyId(id32(r.get(0)?)?),
                KeyId(crate::column::bytes(r.get(1)?)?),
                r.get::<_, i64>(2)? as u64,
                r.get::<_, i64>(3)? as u64,
                r.get::<_, i64>(4)? as u64,
                r.get::<_, i64>(5)? as u64,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(heads.len());
    for (party, key_id, since, height, at, revoked_consents) in heads {
        let mut st = conn.prepare(&format!(
            "SELECT e.entry_id, e.height, e.idx, e.kind FROM entries e JOIN blocks b ON b.height = e.height
             WHERE e.subject = ?1 AND e.height < ?2 AND b.timestamp >= ?3 AND e.kind IN {SUBJECT_SIGNED}
             ORDER BY e.height, e.idx"
        ))?;
        let suspect_entries = st
            .query_map(params![&party.0[..], height as i64, since as i64], |r| {
                Ok(SuspectEntry {
                    entry_id: id32(r.get(0)?)?,
                    height: r.get::<_, i64>(1)? as u64,
                    index: r.get::<_, i64>(2)? as u64,
                    kind: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut st = conn.prepare(
            "SELECT i.record_id, r.furnisher, i.resealed_height, r.status = 'erased'
             FROM incident_records i JOIN records r ON r.record_id = i.record_id
             WHERE i.key_id = ?1 ORDER BY r.height, i.record_id",
        )?;
        let records = st
            .query_map([&key_id.0[..]], |r| {
                Ok(IncidentRecord {
                    record_id: id32(r.get(0)?)?,
                    furnisher: PartyId(id32(r.get(1)?)?),
                    resealed_height: r.get::<_, Option<i64>>(2)?.map(|h| h as u64),
                    erased: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        out.push(KeyIncident {
            party,
            key_id,
            since,
            height,
            at,
            revoked_consents,
            suspect_entries,
            records,
        });
    }
    Ok(out)
}
