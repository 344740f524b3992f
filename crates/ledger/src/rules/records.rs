//! Borrowers and their records: enrolment, furnishing a sealed record with
//! its validity proof, and sharing a record's content key with another party.
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, ctx, eid, h, ts) = (cx.conn, cx.ctx, cx.eid, cx.h, cx.ts);
    match entry {
        Entry::SubjectEnrolled { subject, lender } => {
            let l = need_member(conn, lender, "enrolling lender")?;
            need_role(&l, Role::Lender, "enrolling member")?;
            cx.sign(&[
                (&subject.sign, "subject"),
                (&l.key.sign, "enrolling lender"),
            ])?;
            let p = subject.party_id();
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM subjects WHERE party = ?1)",
                &p.0,
                "subject",
            )?;
            if member(conn, &p)?.is_some()
                || party_of_key_id(conn, &subject.key_id())?.is_some()
                || keys::was_retired(conn, subject)?
            {
                return reject(C::AlreadyExists, "the subject's key is already in use");
            }
            conn.execute(
                "INSERT INTO subjects (party, sign_pk, enc_pk, key_id, enrolled_by, height, at) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                params![&p.0[..], &subject.sign[..], &subject.enc[..], &key_id_of(&subject.enc).0[..], &lender.0[..], h, ts],
            )?;
        }
        Entry::RecordFurnished(r) => {
            let f = need_member(conn, &r.furnisher, "furnisher")?;
            need_role(&f, Role::Lender, "furnisher")?;
            cx.sign(&[(&f.key.sign, "furnisher")])?;
            need_subject(conn, &r.subject)?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM records WHERE record_id = ?1)",
                &r.record_id,
                "record",
            )?;
            if r.commitments.len() != r.kind.field_count() {
                return reject(
                    C::Malformed,
                    format!(
                        "a {} commits {} fields, found {}",
                        r.kind.as_str(),
                        r.kind.field_count(),
                        r.commitments.len()
                    ),
                );
            }
            if let Some(old) = r.corrects {
                match record(conn, &old)? {
                    Some(o) if o.subject == r.subject && o.furnisher == r.furnisher && o.kind == r.kind && o.status == RecordStatus::Live => {}
                    Some(_) => return reject(C::UnknownRecord, "a correction must replace a live record of the same subject, furnisher and kind"),
                    None => return reject(C::UnknownRecord, "the corrected record does not exist"),
                }
            }
            let parties = check_seal(cx, &r.sealed, &r.record_id, (&f.party, &f.key), true)?;
            let sp = r.subject;
            if !parties.contains(&sp) {
                return reject(
                    C::BadSeal,
                    "a record must be sealed to its subject (FCRA §609 access)",
                );
            }
            for p in &parties {
                if *p != sp && *p != r.furnisher && !has_live_consent(conn, &sp, p, ctx.timestamp)?
                {
                    return reject(
                        C::NoLiveConsent,
                        format!("sealed to {} without the subject's live consent", p.short()),
                    );
                }
            }
            cx.deferred.push(Deferred::Validity {
                context: record_validity_context(r),
                commitments: r.commitments.clone(),
                proof: r.validity.clone(),
            });
            if let Some(old) = r.corrects {
                conn.execute(
                    "UPDATE records SET status = 'superseded' WHERE record_id = ?1",
                    [&old[..]],
                )?;
            }
            conn.execute(
                "INSERT INTO records (record_id, subject, furnisher, kind, corrects, status, compliance, commitments, entry_id, height, at)
                 VALUES (?1,?2,?3,?4,?5,'live',NULL,?6,?7,?8,?9)",
                params![
                    &r.record_id[..], &r.subject.0[..], &r.furnisher.0[..], r.kind.as_str(),
                    r.corrects.as_ref().map(|c| c.to_vec()), to_bytes(&r.commitments), &eid[..], h, ts
                ],
            )?;
            for p in parties {
                conn.execute(
                    "INSERT INTO record_access (record_id, party, via, wrap, height, at) VALUES (?1,?2,'sealed',NULL,?3,?4)",
                    params![&r.record_id[..], &p.0[..], h, ts],
                )?;
            }
        }
        Entry::RecordShared {
            record_id,
            sharer,
            recipient,
            wrap,
        } => {
            let Some(rec) = record(conn, record_id)? else {
                return reject(C::UnknownRecord, "no such record");
            };
            let sharer_key = if *sharer == rec.furnisher {
                need_member(conn, sharer, "sharer")?.key
            } else if *sharer == rec.subject {
                need_subject(conn, sharer)?
            } else {
                return reject(
                    C::WrongRole,
                    "only the record's furnisher or subject may share it",
                );
            };
            cx.sign(&[(&sharer_key.sign, "sharer")])?;
            let m = need_member(conn, recipient, "recipient")?;
            if wrap.key_id != m.key.key_id() {
                return reject(C::BadSeal, "the wrap is not for the recipient's key");
            }
            if !has_live_consent(conn, &rec.subject, recipient, ctx.timestamp)? {
                return reject(
                    C::NoLiveConsent,
                    format!("{} holds no live consent from the subject", m.name),
                );
            }
            let has: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM record_access WHERE record_id = ?1 AND party = ?2)",
                params![&record_id[..], &recipient.0[..]],
                |r| r.get(0),
            )?;
            if has {
                return reject(
                    C::AlreadyExists,
                    format!("{} can already open this record", m.name),
                );
            }
            conn.execute(
                "INSERT INTO record_access (record_id, party, via, wrap, height, at) VALUES (?1,?2,'shared',?3,?4,?5)",
                params![&record_id[..], &recipient.0[..], to_bytes(wrap), h, ts],
            )?;
        }
        _ => return reject(C::Malformed, "entry routed to the records rules"),
    }
    Ok(())
}
