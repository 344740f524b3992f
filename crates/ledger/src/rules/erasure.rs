//! Erasure: a record past the genesis policy's retention (any member), or
//! named in a lawful request the regulator approved (the regulator alone),
//! loses its sealed content. The record leaves every answer and every
//! member's access; the store then keeps only the payload's digest
//! (`store::erase_stored_payload`).
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, eid, h, ts) = (cx.conn, cx.eid, cx.h, cx.ts);
    let Entry::RecordErased {
        record_id,
        subject,
        by,
        grounds,
    } = entry
    else {
        return reject(C::Malformed, "entry routed to the erasure rules");
    };
    let m = need_member(conn, by, "erasing member")?;
    cx.sign(&[(&m.key.sign, "erasing member")])?;
    let Some(rec) = record(conn, record_id)? else {
        return reject(C::UnknownRecord, "no such record");
    };
    if rec.subject != *subject {
        return reject(C::UnknownRecord, "the record is not about this subject");
    }
    if rec.status == RecordStatus::Erased {
        return reject(C::AlreadyExists, "the record is already erased");
    }
    match grounds {
        ErasureGrounds::Retention => {
            let (at, days): (i64, i64) = conn.query_row(
                "SELECT r.at, c.retention_days FROM records r, chain c WHERE r.record_id = ?1",
                [&record_id[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let until = at + days * 86_400;
            if ts < until {
                return reject(
                    C::Retained,
                    format!(
                        "the record is kept {days} days from its block: it may be erased from unix time {until}, {} day(s) from now",
                        (until - ts + 86_399) / 86_400
                    ),
                );
            }
        }
        ErasureGrounds::LawfulRequest => {
            need_role(&m, Role::Regulator, "approver of a lawful request")?
        }
    }
    conn.execute(
        "UPDATE records SET status = 'erased' WHERE record_id = ?1",
        [&record_id[..]],
    )?;
    // Nobody opens it any more: the shared wraps go with the content.
    conn.execute(
        "DELETE FROM record_access WHERE record_id = ?1",
        [&record_id[..]],
    )?;
    conn.execute(
        "INSERT INTO erasures (record_id, subject, grounds, by_party, entry_id, height, at) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![&record_id[..], &subject.0[..], grounds.as_str(), &by.0[..], &eid[..], h, ts],
    )?;
    Ok(())
}
