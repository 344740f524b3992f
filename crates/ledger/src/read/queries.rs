//! Questions, their answers, and a borrower's access log.
use super::*;

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
    /// The member's staff key the question was asked for, if any.
    pub operator: Option<PartyId>,
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

pub fn queries(view: &Ledger, f: &QueryFilter) -> Result<Vec<QueryInfo>, LedgerError> {
    let conn = view.conn();
    let mut sql = String::from(
        "SELECT q.query_id, q.requester, q.subject, q.consent_id, c.purpose, q.predicate_text, q.responder,
                q.asked_at, q.asked_height, q.answered_at, q.holds, q.operator
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
                operator: r
                    .get::<_, Option<Vec<u8>>>(11)?
                    .map(id32)
                    .transpose()?
                    .map(PartyId),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// The answer entry of a query, if answered.
pub fn answer(
    view: &Ledger,
    query_id: &Id,
) -> Result<Option<(QueryAsked, QueryAnswered)>, LedgerError> {
    let conn = view.conn();
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
    /// "query", "record-sealed", "record-shared", "score", "erasure".
    pub action: String,
    pub detail: String,
}

pub fn access_log(view: &Ledger, subject: &PartyId) -> Result<Vec<AccessEvent>, LedgerError> {
    let conn = view.conn();
    let mut out = Vec::new();
    for q in queries(
        view,
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
    let mut st = conn.prepare(
        "SELECT e.by_party, e.height, e.at, e.grounds, r.kind FROM erasures e JOIN records r ON r.record_id = e.record_id
         WHERE e.subject = ?1",
    )?;
    let rows = st.query_map([&subject.0[..]], |r| {
        Ok(AccessEvent {
            party: PartyId(id32(r.get(0)?)?),
            height: r.get::<_, i64>(1)? as u64,
            at: r.get::<_, i64>(2)? as u64,
            action: "erasure".into(),
            detail: format!(
                "a {} record's content was erased ({})",
                r.get::<_, String>(4)?,
                r.get::<_, String>(3)?
            ),
        })
    })?;
    for r in rows {
        out.push(r?);
    }
    out.sort_by_key(|e| (e.height, e.at));
    Ok(out)
}
