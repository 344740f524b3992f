//! Disputes (FCRA §611): a borrower disputes a record; its furnisher
//! resolves the dispute, correcting the record or confirming it.
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, h, ts) = (cx.conn, cx.h, cx.ts);
    match entry {
        Entry::DisputeOpened {
            dispute_id,
            subject,
            record_id,
            reason,
        } => {
            let sk = need_subject(conn, subject)?;
            cx.sign(&[(&sk.sign, "subject")])?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM disputes WHERE dispute_id = ?1)",
                dispute_id,
                "dispute",
            )?;
            match record(conn, record_id)? {
                Some(r) if r.subject == *subject && r.status == RecordStatus::Live => {}
                Some(_) => {
                    return reject(
                        C::UnknownRecord,
                        "a subject may only dispute its own live records",
                    )
                }
                None => return reject(C::UnknownRecord, "no such record"),
            }
            let open: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM disputes WHERE record_id = ?1 AND resolved_height IS NULL)",
                [&record_id[..]],
                |r| r.get(0),
            )?;
            if open {
                return reject(C::AlreadyExists, "this record already has an open dispute");
            }
            conn.execute(
                "INSERT INTO disputes (dispute_id, subject, record_id, reason, opened_height, opened_at) VALUES (?1,?2,?3,?4,?5,?6)",
                params![&dispute_id[..], &subject.0[..], &record_id[..], reason.as_str(), h, ts],
            )?;
            conn.execute(
                "UPDATE records SET compliance = ?1 WHERE record_id = ?2",
                params![ComplianceCode::Disputed.as_str(), &record_id[..]],
            )?;
        }
        Entry::DisputeResolved {
            dispute_id,
            furnisher,
            outcome,
        } => {
            let f = need_member(conn, furnisher, "furnisher")?;
            cx.sign(&[(&f.key.sign, "furnisher")])?;
            let row: Option<(Vec<u8>, Option<i64>)> = conn
                .query_row(
                    "SELECT record_id, resolved_height FROM disputes WHERE dispute_id = ?1",
                    [&dispute_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((rid, resolved)) = row else {
                return reject(C::UnknownDispute, "no such dispute");
            };
            if resolved.is_some() {
                return reject(C::AlreadyExists, "the dispute is already resolved");
            }
            let rid = id32(rid)?;
            let rec = record(conn, &rid)?
                .ok_or_else(|| Rejection::new(C::UnknownRecord, "disputed record vanished"))?;
            if rec.furnisher != *furnisher {
                return reject(
                    C::WrongRole,
                    "only the record's furnisher resolves its dispute",
                );
            }
            let correction = match outcome {
                DisputeOutcome::Corrected { correction } => {
                    let corrects: Option<Option<Vec<u8>>> = conn
                        .query_row(
                            "SELECT corrects FROM records WHERE record_id = ?1",
                            [&correction[..]],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if corrects.flatten().as_deref() != Some(&rid[..]) {
                        return reject(C::UnknownRecord, "the correction must be a furnished record that corrects the disputed one");
                    }
                    Some(correction.to_vec())
                }
                DisputeOutcome::Deleted => {
                    conn.execute(
                        "UPDATE records SET status = 'deleted' WHERE record_id = ?1",
                        [&rid[..]],
                    )?;
                    None
                }
                DisputeOutcome::Verified => None,
            };
            conn.execute(
                "UPDATE disputes SET resolved_height = ?1, resolved_at = ?2, outcome = ?3, correction = ?4 WHERE dispute_id = ?5",
                params![h, ts, outcome.as_str(), correction, &dispute_id[..]],
            )?;
            conn.execute(
                "UPDATE records SET compliance = ?1 WHERE record_id = ?2",
                params![ComplianceCode::DisputeResolved.as_str(), &rid[..]],
            )?;
        }
        _ => return reject(C::Malformed, "entry routed to the disputes rules"),
    }
    Ok(())
}
