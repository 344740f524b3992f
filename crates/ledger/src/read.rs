//! Read-only views of the state, for the API: plain structs, no formatting.
use crate::column::id32;
use crate::encode::from_bytes;
use crate::error::LedgerError;
use crate::rules::{member, MemberRow};
use crate::types::*;
use credence_crypto::seal::WrappedKey;
use credence_crypto::PartyId;
use rusqlite::{params, Connection, OptionalExtension};

pub fn members(conn: &Connection) -> Result<Vec<MemberRow>, LedgerError> {
    let mut st = conn.prepare("SELECT party FROM members ORDER BY since, name")?;
    let ids: Vec<Vec<u8>> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for p in ids {
        if let Some(m) = member(conn, &PartyId(id32(p)?))? {
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

pub fn counts(conn: &Connection) -> Result<Counts, LedgerError> {
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

pub fn subjects(conn: &Connection) -> Result<Vec<PartyId>, LedgerError> {
    let mut st = conn.prepare("SELECT party FROM subjects ORDER BY height, party")?;
    let v = st
        .query_map([], |r| Ok(PartyId(id32(r.get(0)?)?)))?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordInfo {
    pub record_id: Id,
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub kind: RecordKind,
    pub status: String,
    pub compliance: Option<String>,
    pub corrects: Option<Id>,
    pub height: u64,
    pub at: u64,
}

const RECORD_COLS: &str = "r.record_id, r.subject, r.furnisher, r.kind, r.status, r.compliance, r.corrects, r.height, r.at";

fn record_info(r: &rusqlite::Row) -> rusqlite::Result<RecordInfo> {
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
        status: r.get(4)?,
        compliance: r.get(5)?,
        corrects: corrects.map(id32).transpose()?,
        height: r.get::<_, i64>(7)? as u64,
        at: r.get::<_, i64>(8)? as u64,
    })
}

/// Records `party` can open (sealed to it or shared with it later).
pub fn records_readable_by(
    conn: &Connection,
    party: &PartyId,
) -> Result<Vec<RecordInfo>, LedgerError> {
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
    conn: &Connection,
    subject: &PartyId,
) -> Result<Vec<RecordInfo>, LedgerError> {
    let sql = format!(
        "SELECT {RECORD_COLS} FROM records r WHERE r.subject = ?1 ORDER BY r.height, r.record_id"
    );
    let mut st = conn.prepare(&sql)?;
    let v = st
        .query_map([&subject.0[..]], record_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

fn entry_body(conn: &Connection, entry_id: &[u8]) -> Result<SignedEntry, LedgerError> {
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
    conn: &Connection,
    record_id: &Id,
) -> Result<(RecordFurnished, Vec<WrappedKey>), LedgerError> {
    let eid: Vec<u8> = conn
        .query_row(
            "SELECT entry_id FROM records WHERE record_id = ?1",
            [&record_id[..]],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| LedgerError::NotFound(format!("record {}", hex::encode(&record_id[..8]))))?;
    let Entry::RecordFurnished(r) = entry_body(conn, &eid)?.entry else {
        return Err(LedgerError::Decode {
            what: "record entry",
            why: "not a furnished record".into(),
        });
    };
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
    conn: &Connection,
    agency: &PartyId,
    subject: &PartyId,
) -> Result<Option<ScoreCommitted>, LedgerError> {
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
pub fn scores_for(conn: &Connection, party: &PartyId) -> Result<Vec<ScoreCommitted>, LedgerError> {
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

fn consent_info(r: &rusqlite::Row) -> rusqlite::Result<ConsentInfo> {
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
    conn: &Connection,
    subject: &PartyId,
) -> Result<Vec<ConsentInfo>, LedgerError> {
    let mut st = conn.prepare(&format!(
        "SELECT {CONSENT_COLS} FROM consents WHERE subject = ?1 ORDER BY granted_height"
    ))?;
    let v = st
        .query_map([&subject.0[..]], consent_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

pub fn consents_to_grantee(
    conn: &Connection,
    grantee: &PartyId,
) -> Result<Vec<ConsentInfo>, LedgerError> {
    let mut st = conn.prepare(&format!(
        "SELECT {CONSENT_COLS} FROM consents WHERE grantee = ?1 ORDER BY granted_height"
    ))?;
    let v = st
        .query_map([&grantee.0[..]], consent_info)?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

pub fn consent(conn: &Connection, id: &Id) -> Result<Option<ConsentInfo>, LedgerError> {
    Ok(conn
        .query_row(
            &format!("SELECT {CONSENT_COLS} FROM consents WHERE consent_id = ?1"),
            [&id[..]],
            consent_info,
        )
        .optional()?)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryInfo {
    pub query_id: Id,
    pub requester: PartyId,
    pub subject: PartyId,
    pub consent_id: Id,
    pub purpose: String,
    pub predicate: String,
    pub responder: PartyId,
    pub asked_at: u64,
    pub asked_height: u64,
    pub answered_at: Option<u64>,
    pub holds: Option<bool>,
}

/// Filters for the audit trail; `None` means any.
#[derive(Clone, Debug, Default)]
pub struct QueryFilter {
    pub subject: Option<PartyId>,
    pub requester: Option<PartyId>,
    pub responder: Option<PartyId>,
    pub unanswered_only: bool,
    pub limit: Option<u32>,
}

pub fn queries(conn: &Connection, f: &QueryFilter) -> Result<Vec<QueryInfo>, LedgerError> {
    let mut sql = String::from(
        "SELECT q.query_id, q.requester, q.subject, q.consent_id, c.purpose, q.predicate_text, q.responder,
                q.asked_at, q.asked_height, q.answered_at, q.holds
         FROM queries q JOIN consents c ON c.consent_id = q.consent_id WHERE 1=1",
    );
    let mut args: Vec<Vec<u8>> = Vec::new();
    for (col, v) in [
        ("q.subject", &f.subject),
        ("q.requester", &f.requester),
        ("q.responder", &f.responder),
    ] {
        if let Some(p) = v {
            args.push(p.0.to_vec());
            sql.push_str(&format!(" AND {col} = ?{}", args.len()));
        }
    }
    if f.unanswered_only {
        sql.push_str(" AND q.answered_height IS NULL");
    }
    sql.push_str(" ORDER BY q.asked_height, q.query_id");
    if let Some(l) = f.limit {
        sql.push_str(&format!(" LIMIT {l}"));
    }
    let mut st = conn.prepare(&sql)?;
    let v = st
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(QueryInfo {
                query_id: id32(r.get(0)?)?,
                requester: PartyId(id32(r.get(1)?)?),
                subject: PartyId(id32(r.get(2)?)?),
                consent_id: id32(r.get(3)?)?,
                purpose: r.get(4)?,
                predicate: r.get(5)?,
                responder: PartyId(id32(r.get(6)?)?),
                asked_at: r.get::<_, i64>(7)? as u64,
                asked_height: r.get::<_, i64>(8)? as u64,
                answered_at: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
                holds: r.get(10)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// The answer entry of a query, if answered.
pub fn answer(
    conn: &Connection,
    query_id: &Id,
) -> Result<Option<(QueryAsked, QueryAnswered)>, LedgerError> {
    let row: Option<Option<Vec<u8>>> = conn
        .query_row(
            "SELECT answer_entry FROM queries WHERE query_id = ?1",
            [&query_id[..]],
            |r| r.get(0),
        )
        .optional()?;
    let Some(Some(eid)) = row else {
        return Ok(None);
    };
    let Some((q, _)) = crate::rules::query(conn, query_id)? else {
        return Ok(None);
    };
    match entry_body(conn, &eid)?.entry {
        Entry::QueryAnswered(a) => Ok(Some((q, a))),
        _ => Err(LedgerError::Decode {
            what: "answer entry",
            why: "not an answer".into(),
        }),
    }
}

/// One line of a subject's access log (FCRA §609(a)(3), GDPR Art. 15(1)(c)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessEvent {
    pub at: u64,
    pub height: u64,
    pub party: PartyId,
    /// "query", "record-sealed", "record-shared", "score".
    pub action: String,
    pub detail: String,
}

pub fn access_log(conn: &Connection, subject: &PartyId) -> Result<Vec<AccessEvent>, LedgerError> {
    let mut out = Vec::new();
    for q in queries(
        conn,
        &QueryFilter {
            subject: Some(*subject),
            ..Default::default()
        },
    )? {
        let answer = match q.holds {
            Some(true) => "answered: holds",
            Some(false) => "answered: does not hold",
            None => "not answered",
        };
        out.push(AccessEvent {
            at: q.asked_at,
            height: q.asked_height,
            party: q.requester,
            action: "query".into(),
            detail: format!("\"{}\" for {} ({answer})", q.predicate, q.purpose),
        });
    }
    let mut st = conn.prepare(
        "SELECT a.party, a.via, a.height, a.at, r.kind FROM record_access a JOIN records r ON r.record_id = a.record_id
         WHERE r.subject = ?1 AND a.party != ?1 AND a.party != r.furnisher",
    )?;
    let rows = st.query_map([&subject.0[..]], |r| {
        let via: String = r.get(1)?;
        let kind: String = r.get(4)?;
        Ok(AccessEvent {
            party: PartyId(id32(r.get(0)?)?),
            action: if via == "shared" {
                "record-shared".into()
            } else {
                "record-sealed".into()
            },
            height: r.get::<_, i64>(2)? as u64,
            at: r.get::<_, i64>(3)? as u64,
            detail: format!("a {kind} record was made readable to this member"),
        })
    })?;
    for r in rows {
        out.push(r?);
    }
    let mut st =
        conn.prepare("SELECT agency, height, at, period FROM scores WHERE subject = ?1")?;
    let rows = st.query_map([&subject.0[..]], |r| {
        Ok(AccessEvent {
            party: PartyId(id32(r.get(0)?)?),
            height: r.get::<_, i64>(1)? as u64,
            at: r.get::<_, i64>(2)? as u64,
            action: "score".into(),
            detail: format!("score committed for period {}", r.get::<_, i64>(3)?),
        })
    })?;
    for r in rows {
        out.push(r?);
    }
    out.sort_by_key(|e| (e.height, e.at));
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeInfo {
    pub dispute_id: Id,
    pub subject: PartyId,
    pub record_id: Id,
    pub reason: String,
    pub opened_at: u64,
    pub resolved_at: Option<u64>,
    pub outcome: Option<String>,
}

pub fn disputes(
    conn: &Connection,
    subject: Option<&PartyId>,
) -> Result<Vec<DisputeInfo>, LedgerError> {
    let mut st = conn.prepare(
        "SELECT dispute_id, subject, record_id, reason, opened_at, resolved_at, outcome FROM disputes
         WHERE ?1 IS NULL OR subject = ?1 ORDER BY opened_height",
    )?;
    let v = st
        .query_map([subject.map(|s| s.0.to_vec())], |r| {
            Ok(DisputeInfo {
                dispute_id: id32(r.get(0)?)?,
                subject: PartyId(id32(r.get(1)?)?),
                record_id: id32(r.get(2)?)?,
                reason: r.get(3)?,
                opened_at: r.get::<_, i64>(4)? as u64,
                resolved_at: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                outcome: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// A member in force during an epoch, with the p2p address the ledger holds
/// for it (members admitted after genesis; founding members' addresses are
/// in the genesis file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochMember {
    pub member: MemberRow,
    pub address: Option<String>,
}

/// The members in force during `epoch`: the validator set of that epoch.
pub fn members_at_epoch(conn: &Connection, epoch: u64) -> Result<Vec<EpochMember>, LedgerError> {
    let mut st = conn.prepare(
        "SELECT party, name, role, sign_pk, enc_pk, address FROM members
         WHERE from_epoch <= ?1 AND (until_epoch IS NULL OR until_epoch > ?1)
         ORDER BY since, name",
    )?;
    let rows = st.query_map([epoch as i64], |r| {
        let role: String = r.get(2)?;
        Ok(EpochMember {
            member: MemberRow {
                party: PartyId(id32(r.get(0)?)?),
                name: r.get(1)?,
                role: crate::column::role(&role)?,
                key: credence_crypto::PublicIdentity {
                    sign: id32(r.get(3)?)?,
                    enc: id32(r.get(4)?)?,
                },
            },
            address: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The consortium's name, its epoch length, and the epoch of the last applied
/// block (None before genesis).
pub fn chain(conn: &Connection) -> Result<Option<(String, u64, u64)>, LedgerError> {
    Ok(crate::rules::chain(conn).optional()?)
}

/// Whether an approved membership change waits for a later epoch.
pub fn membership_change_pending(conn: &Connection) -> Result<bool, LedgerError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM membership_proposals, chain
         WHERE status = 'approved' AND effective_epoch > chain.epoch)",
        [],
        |r| r.get(0),
    )?)
}

/// A membership proposal and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalInfo {
    pub proposal_id: Id,
    pub proposer: PartyId,
    pub change: MembershipChange,
    pub height: u64,
    pub status: String,
    pub effective_epoch: Option<u64>,
    /// (voter, approve) in the order the votes landed.
    pub votes: Vec<(PartyId, bool)>,
}

/// A `membership_proposals` row as stored: id, proposer, change, height,
/// status, effective epoch.
type ProposalRow = (Vec<u8>, Vec<u8>, Vec<u8>, i64, String, Option<i64>);

pub fn membership_proposals(conn: &Connection) -> Result<Vec<ProposalInfo>, LedgerError> {
    let mut st = conn.prepare(
        "SELECT proposal_id, proposer, change, height, status, effective_epoch
         FROM membership_proposals ORDER BY height, proposal_id",
    )?;
    let rows: Vec<ProposalRow> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (id, proposer, change, height, status, eff) in rows {
        let mut vs = conn.prepare(
            "SELECT voter, approve FROM membership_votes WHERE proposal_id = ?1 ORDER BY height, voter",
        )?;
        let votes = vs
            .query_map([&id[..]], |r| Ok((PartyId(id32(r.get(0)?)?), r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        out.push(ProposalInfo {
            proposal_id: id32(id)?,
            proposer: PartyId(id32(proposer)?),
            change: crate::encode::from_bytes("membership change", &change)?,
            height: height as u64,
            status,
            effective_epoch: eff.map(|e| e as u64),
            votes,
        });
    }
    Ok(out)
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
    conn: &Connection,
    open_for: Option<&PartyId>,
) -> Result<Vec<ReviewInfo>, LedgerError> {
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
