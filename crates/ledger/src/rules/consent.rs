//! A borrower's controls: a purpose-bound, expiring consent granted to a
//! member and revoked at will, and the security freeze of their file.
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, ctx, h, ts) = (cx.conn, cx.ctx, cx.h, cx.ts);
    match entry {
        Entry::ConsentGranted(c) => {
            let sk = need_subject(conn, &c.subject)?;
            cx.sign(&[(&sk.sign, "subject")])?;
            need_member(conn, &c.grantee, "grantee")?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM consents WHERE consent_id = ?1)",
                &c.consent_id,
                "consent",
            )?;
            if c.expires_at <= ctx.timestamp {
                return reject(C::Malformed, "the consent's expiry is not in the future");
            }
            if c.purpose == Purpose::Employment && !c.explicit {
                return reject(
                    C::Malformed,
                    "an employment consent must be explicit (FCRA §604(b))",
                );
            }
            if let AllowedPredicates::Only(tags) = &c.predicates {
                if tags.is_empty()
                    || tags
                        .iter()
                        .any(|t| crate::predicate::PredicateKind::from_tag(*t).is_none())
                {
                    return reject(
                        C::Malformed,
                        "allowed predicates must be a non-empty list of known kinds",
                    );
                }
            }
            conn.execute(
                "INSERT INTO consents (consent_id, subject, grantee, purpose, predicates, expires_at, explicit, granted_height, granted_at)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                params![
                    &c.consent_id[..], &c.subject.0[..], &c.grantee.0[..], c.purpose.as_str(),
                    to_bytes(&c.predicates), c.expires_at as i64, c.explicit, h, ts
                ],
            )?;
        }
        Entry::ConsentRevoked {
            consent_id,
            subject,
        } => {
            let sk = need_subject(conn, subject)?;
            cx.sign(&[(&sk.sign, "subject")])?;
            let row: Option<(Vec<u8>, Option<i64>)> = conn
                .query_row(
                    "SELECT subject, revoked_height FROM consents WHERE consent_id = ?1",
                    [&consent_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match row {
                None => return reject(C::UnknownRecord, "no such consent"),
                Some((s, _)) if s != subject.0 => {
                    return reject(C::WrongRole, "only the consent's subject may revoke it")
                }
                Some((_, Some(_))) => {
                    return reject(C::AlreadyExists, "the consent is already revoked")
                }
                _ => {}
            }
            conn.execute(
                "UPDATE consents SET revoked_height = ?1, revoked_at = ?2 WHERE consent_id = ?3",
                params![h, ts, &consent_id[..]],
            )?;
        }
        Entry::FileFrozen {
            change_id: _,
            subject,
            frozen,
        } => {
            let sk = need_subject(conn, subject)?;
            cx.sign(&[(&sk.sign, "subject")])?;
            match (frozen_since(conn, subject)?.is_some(), *frozen) {
                (true, true) => return reject(C::AlreadyExists, "the file is already frozen"),
                (false, false) => return reject(C::AlreadyExists, "the file is not frozen"),
                _ => {}
            }
            conn.execute(
                "UPDATE subjects SET frozen_height = ?1 WHERE party = ?2",
                params![frozen.then_some(h), &subject.0[..]],
            )?;
        }
        _ => return reject(C::Malformed, "entry routed to the consent rules"),
    }
    Ok(())
}
