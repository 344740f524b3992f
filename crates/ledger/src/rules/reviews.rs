//! Record reviews: the agency contests a record it cannot use; the
//! regulator judges it, and a record judged unusable leaves every answer.
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, h, ts) = (cx.conn, cx.h, cx.ts);
    match entry {
        Entry::RecordContested {
            record_id,
            contester,
            regulator,
            evidence,
        } => {
            let Some(rec) = record(conn, record_id)? else {
                return reject(C::UnknownRecord, "no such record");
            };
            let c = need_member(conn, contester, "contester")?;
            cx.sign(&[(&c.key.sign, "contester")])?;
            let can_open: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM record_access WHERE record_id = ?1 AND party = ?2)",
                params![&record_id[..], &contester.0[..]],
                |r| r.get(0),
            )?;
            if !can_open {
                return reject(
                    C::WrongRole,
                    "only a member the record is sealed or shared to can contest it",
                );
            }
            if rec.status != RecordStatus::Live {
                return reject(
                    C::UnknownRecord,
                    format!("the record is {}, not live: nothing uses it", rec.status),
                );
            }
            let reg = need_member(conn, regulator, "regulator")?;
            need_role(&reg, Role::Regulator, "regulator")?;
            if evidence.key_id != reg.key.key_id() {
                return reject(
                    C::BadSeal,
                    "the evidence is not wrapped for the regulator's key",
                );
            }
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM record_reviews WHERE record_id = ?1)",
                record_id,
                "a review of record",
            )?;
            conn.execute(
                "INSERT INTO record_reviews (record_id, contester, regulator, evidence, contested_height, contested_at)
                 VALUES (?1,?2,?3,?4,?5,?6)",
                params![&record_id[..], &contester.0[..], &regulator.0[..], to_bytes(evidence), h, ts],
            )?;
        }
        Entry::RecordJudged {
            record_id,
            regulator,
            unusable,
        } => {
            let reg = need_member(conn, regulator, "regulator")?;
            need_role(&reg, Role::Regulator, "regulator")?;
            cx.sign(&[(&reg.key.sign, "regulator")])?;
            let row: Option<(Vec<u8>, Option<String>)> = conn
                .query_row(
                    "SELECT regulator, verdict FROM record_reviews WHERE record_id = ?1",
                    [&record_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((addressed, verdict)) = row else {
                return reject(C::UnknownRecord, "the record is not contested");
            };
            if id32(addressed)? != regulator.0 {
                return reject(C::WrongRole, "the evidence was handed to another regulator");
            }
            if verdict.is_some() {
                return reject(C::AlreadyExists, "the record is already judged");
            }
            conn.execute(
                "UPDATE record_reviews SET verdict = ?1, judged_height = ?2, judged_at = ?3 WHERE record_id = ?4",
                params![if *unusable { "unusable" } else { "sound" }, h, ts, &record_id[..]],
            )?;
            if *unusable {
                conn.execute(
                    "UPDATE records SET status = 'unusable' WHERE record_id = ?1",
                    [&record_id[..]],
                )?;
            }
        }
        _ => return reject(C::Malformed, "entry routed to the reviews rules"),
    }
    Ok(())
}
