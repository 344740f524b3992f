//! Key rotation. A borrower's: the entry is signed by the current key and by
//! the new one (so nobody rotates a key they do not hold, nor to a key they
//! do not hold); from its block on, only the new key signs for the borrower
//! and new records are sealed to it. The retired key is kept
//! (`retired_keys`), so records sealed to it still name their holder.
//!
//! A rotation may also declare the old key compromised as of a time: the
//! consents it granted from then on are revoked with the declaration, and
//! the records sealed to it are listed (`incident_records`) until their
//! furnisher or their subject re-seals each (`RecordResealed`, here too).
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    if let Entry::RecordResealed { .. } = entry {
        return reseal(cx, entry);
    }
    let (conn, h) = (cx.conn, cx.h);
    let Entry::KeyRotated {
        party,
        new_key,
        compromised_since,
    } = entry
    else {
        return reject(C::Malformed, "entry routed to the key rules");
    };
    if let Some(since) = compromised_since {
        if *since > cx.ctx.timestamp {
            return reject(
                C::Malformed,
                "a key cannot be declared compromised as of a time after the declaration's block",
            );
        }
    }
    if let Some(m) = member(conn, party)? {
        return rotate_member(cx, &m, new_key, compromised_since.is_some());
    }
    let current = need_subject(conn, party)?;
    cx.sign(&[(&current.sign, "current key"), (&new_key.sign, "new key")])?;
    if key_in_use(conn, new_key)? {
        return reject(
            C::AlreadyExists,
            "the new key is, or was, already some party's key: make a fresh one",
        );
    }
    conn.execute(
        "INSERT INTO retired_keys (party, sign_pk, enc_pk, key_id, until_height) VALUES (?1,?2,?3,?4,?5)",
        params![&party.0[..], &current.sign[..], &current.enc[..], &key_id_of(&current.enc).0[..], h],
    )?;
    conn.execute(
        "UPDATE subjects SET sign_pk = ?2, enc_pk = ?3, key_id = ?4 WHERE party = ?1",
        params![
            &party.0[..],
            &new_key.sign[..],
            &new_key.enc[..],
            &key_id_of(&new_key.enc).0[..]
        ],
    )?;
    if let Some(since) = compromised_since {
        declare_compromised(cx, party, &current, *since)?;
    }
    Ok(())
}

/// A member's rotation. Its key is also its consensus and p2p key, which
/// every member must agree on for a whole epoch, so the new key takes over
/// at the next epoch (`apply_due_member_keys`); until then the old key
/// signs and votes. One rotation waits at a time.
fn rotate_member(cx: &mut Apply, m: &MemberRow, new_key: &PublicIdentity, leaked: bool) -> R<()> {
    let (conn, h) = (cx.conn, cx.h);
    if leaked {
        return reject(
            C::NotSupported,
            "a member's leaked key is declared by 2/3 of the members, which is not supported \
             yet; rotate it, and propose the member's removal if its key signed for an attacker",
        );
    }
    cx.sign(&[(&m.key.sign, "current key"), (&new_key.sign, "new key")])?;
    let leaving: bool = conn.query_row(
        "SELECT until_epoch IS NOT NULL FROM members WHERE party = ?1",
        [&m.party.0[..]],
        |r| r.get(0),
    )?;
    if leaving {
        return reject(
            C::NotSupported,
            "a member whose removal is decided does not rotate",
        );
    }
    let waiting: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM member_keys WHERE party = ?1 AND applied = 0)",
        [&m.party.0[..]],
        |r| r.get(0),
    )?;
    if waiting {
        return reject(
            C::AlreadyExists,
            "a rotation of this member's key already waits for the next epoch",
        );
    }
    if key_in_use(conn, new_key)? || member_key_known(conn, new_key)? {
        return reject(
            C::AlreadyExists,
            "the new key is, or was, already some party's key: make a fresh one",
        );
    }
    let epoch: i64 = conn.query_row("SELECT epoch FROM chain", [], |r| r.get(0))?;
    // The key in force until now, noted once, so every epoch's set is known.
    conn.execute(
        "INSERT OR IGNORE INTO member_keys (party, from_epoch, sign_pk, enc_pk, key_id, entry_id, height, applied)
         SELECT party, from_epoch, sign_pk, enc_pk, key_id, NULL, ?2, 1 FROM members WHERE party = ?1",
        params![&m.party.0[..], h],
    )?;
    conn.execute(
        "INSERT INTO member_keys (party, from_epoch, sign_pk, enc_pk, key_id, entry_id, height, applied)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
        params![
            &m.party.0[..],
            epoch + 1,
            &new_key.sign[..],
            &new_key.enc[..],
            &key_id_of(&new_key.enc).0[..],
            &cx.eid[..],
            h
        ],
    )?;
    Ok(())
}

fn member_key_known(conn: &Connection, k: &PublicIdentity) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM member_keys WHERE sign_pk = ?1 OR key_id = ?2)",
        params![&k.sign[..], &key_id_of(&k.enc).0[..]],
        |r| r.get(0),
    )
}

/// At the first block of an epoch: members whose rotation takes effect now
/// sign with the new key from this block on, and the old key is retired
/// (refused as a signer, never anyone's key again).
pub(crate) fn apply_due_member_keys(conn: &Connection, height: u64) -> rusqlite::Result<()> {
    let due: Vec<(Vec<u8>, i64)> = {
        let mut st = conn.prepare(
            "SELECT party, from_epoch FROM member_keys
             WHERE applied = 0 AND from_epoch <= (SELECT epoch FROM chain) ORDER BY party",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        v
    };
    for (party, from) in due {
        conn.execute(
            "INSERT INTO retired_keys (party, sign_pk, enc_pk, key_id, until_height)
             SELECT party, sign_pk, enc_pk, key_id, ?2 FROM members WHERE party = ?1",
            params![&party[..], height as i64],
        )?;
        conn.execute(
            "UPDATE members SET (sign_pk, enc_pk, key_id) =
               (SELECT sign_pk, enc_pk, key_id FROM member_keys WHERE party = ?1 AND from_epoch = ?2)
             WHERE party = ?1",
            params![&party[..], from],
        )?;
        conn.execute(
            "UPDATE member_keys SET applied = 1 WHERE party = ?1 AND from_epoch = ?2",
            params![&party[..], from],
        )?;
    }
    Ok(())
}

/// The old key of `party` was leaked as of `since`: revoke the consents it
/// granted from then on, and list every record still sealed to it.
fn declare_compromised(cx: &mut Apply, party: &PartyId, old: &PublicIdentity, since: u64) -> R<()> {
    let (conn, h, ts) = (cx.conn, cx.h, cx.ts);
    let kid = key_id_of(&old.enc);
    let revoked = conn.execute(
        "UPDATE consents SET revoked_height = ?2, revoked_at = ?3
         WHERE subject = ?1 AND granted_at >= ?4 AND revoked_height IS NULL",
        params![&party.0[..], h, ts, since as i64],
    )?;
    conn.execute(
        "INSERT INTO key_incidents (party, key_id, since, entry_id, height, at, revoked_consents, sign_pk) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        params![&party.0[..], &kid.0[..], since as i64, &cx.eid[..], h, ts, revoked as i64, &old.sign[..]],
    )?;
    list_records_sealed_to(conn, &kid, Some(party))
}

/// A member's key declared compromised by 2/3 of the members (`MembershipChange::Rekey`,
/// approved by the vote `decided_by`): from now on the key signs no entry,
/// a rotation it made that still waits is cancelled, the request's new key
/// takes over at `effective` (the next epoch), and every record still
/// sealed to the old key is listed for re-sealing by its furnisher.
pub(crate) fn declare_member_compromised(
    conn: &Connection,
    req: &crate::types::RekeyRequest,
    decided_by: &Id,
    (h, ts, effective): (i64, i64, i64),
) -> R<()> {
    let party = &req.party;
    let m = member(conn, party)?
        .ok_or_else(|| Rejection::new(C::UnknownMember, "the member to re-key is not in force"))?;
    if key_in_use(conn, &req.new_key)? || member_key_known(conn, &req.new_key)? {
        return reject(
            C::AlreadyExists,
            "the new key is, or was, already some party's key",
        );
    }
    conn.execute(
        "DELETE FROM member_keys WHERE party = ?1 AND applied = 0",
        [&party.0[..]],
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO member_keys (party, from_epoch, sign_pk, enc_pk, key_id, entry_id, height, applied)
         SELECT party, from_epoch, sign_pk, enc_pk, key_id, NULL, ?2, 1 FROM members WHERE party = ?1",
        params![&party.0[..], h],
    )?;
    conn.execute(
        "INSERT INTO member_keys (party, from_epoch, sign_pk, enc_pk, key_id, entry_id, height, applied)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
        params![
            &party.0[..],
            effective,
            &req.new_key.sign[..],
            &req.new_key.enc[..],
            &key_id_of(&req.new_key.enc).0[..],
            &decided_by[..],
            h
        ],
    )?;
    let kid = key_id_of(&m.key.enc);
    conn.execute(
        "INSERT INTO key_incidents (party, key_id, since, entry_id, height, at, revoked_consents, sign_pk) VALUES (?1,?2,?3,?4,?5,?6,0,?7)",
        params![&party.0[..], &kid.0[..], req.compromised_since as i64, &decided_by[..], h, ts, &m.key.sign[..]],
    )?;
    list_records_sealed_to(conn, &kid, None)
}

/// List in `incident_records` every live record (of `subject`, or of all)
/// whose current seal wraps the key `kid`.
fn list_records_sealed_to(conn: &Connection, kid: &KeyId, subject: Option<&PartyId>) -> R<()> {
    let ids: Vec<Vec<u8>> = {
        let mut st = conn.prepare(
            "SELECT record_id FROM records WHERE (?1 IS NULL OR subject = ?1) AND status != 'erased' ORDER BY record_id",
        )?;
        let v = st
            .query_map([subject.map(|p| p.0.to_vec())], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        v
    };
    for id in ids {
        let rid = crate::column::id32(id)?;
        let Some(seal) = current_seal(conn, &rid)? else {
            continue;
        };
        if seal.recipients.iter().any(|w| w.key_id == *kid) {
            conn.execute(
                "INSERT INTO incident_records (key_id, record_id, resealed_height) VALUES (?1, ?2, NULL)",
                params![&kid.0[..], &rid[..]],
            )?;
        }
    }
    Ok(())
}

/// A record sealed again, by its furnisher or its subject, to the parties
/// that may read it now (the subject's current key among them).
fn reseal(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, ctx, eid, h, ts) = (cx.conn, cx.ctx, cx.eid, cx.h, cx.ts);
    let Entry::RecordResealed {
        record_id,
        subject,
        by,
        sealed,
    } = entry
    else {
        return reject(C::Malformed, "entry routed to the re-seal rules");
    };
    let Some(rec) = record(conn, record_id)? else {
        return reject(C::UnknownRecord, "no such record");
    };
    if rec.subject != *subject {
        return reject(C::UnknownRecord, "the record is not about this subject");
    }
    if rec.status == RecordStatus::Erased {
        return reject(
            C::UnknownRecord,
            "the record is erased: there is nothing to re-seal",
        );
    }
    let key = if *by == rec.furnisher {
        need_member(conn, by, "furnisher")?.key
    } else if *by == rec.subject {
        need_subject(conn, by)?
    } else {
        return reject(
            C::WrongRole,
            "only the record's furnisher or its subject may re-seal it",
        );
    };
    cx.sign(&[(&key.sign, "re-sealer")])?;
    // A re-seal is only ever a remediation: the record must be listed by an
    // incident and not re-sealed since.
    let open: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM incident_records WHERE record_id = ?1 AND resealed_height IS NULL)",
        [&record_id[..]],
        |r| r.get(0),
    )?;
    if !open {
        return reject(
            C::NotSupported,
            "the record is not sealed to a key declared compromised (or is re-sealed already)",
        );
    }
    let parties = check_seal(cx, sealed, record_id, (by, &key), true)?;
    if !parties.contains(subject) {
        return reject(
            C::BadSeal,
            "a record must be sealed to its subject's current key (FCRA §609 access)",
        );
    }
    for p in &parties {
        if p != subject
            && *p != rec.furnisher
            && !has_live_consent(conn, subject, p, ctx.timestamp)?
        {
            return reject(
                C::NoLiveConsent,
                format!("sealed to {} without the subject's live consent", p.short()),
            );
        }
    }
    conn.execute(
        "UPDATE incident_records SET resealed_height = ?2 WHERE record_id = ?1 AND resealed_height IS NULL",
        params![&record_id[..], h],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO reseals (record_id, entry_id, by_party, height, at) VALUES (?1,?2,?3,?4,?5)",
        params![&record_id[..], &eid[..], &by.0[..], h, ts],
    )?;
    // Who reads it now is who the new seal names: the wraps shared for the
    // old content key open nothing any more.
    conn.execute(
        "DELETE FROM record_access WHERE record_id = ?1",
        [&record_id[..]],
    )?;
    for p in parties {
        conn.execute(
            "INSERT INTO record_access (record_id, party, via, wrap, height, at) VALUES (?1,?2,'sealed',NULL,?3,?4)",
            params![&record_id[..], &p.0[..], h, ts],
        )?;
    }
    Ok(())
}

/// Whether any party holds or held `k` (its signing key, its X25519 key,
/// or the party id it would make).
pub(crate) fn key_in_use(conn: &Connection, k: &PublicIdentity) -> rusqlite::Result<bool> {
    let kid = key_id_of(&k.enc);
    let party = k.party_id();
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM members WHERE sign_pk = ?1 OR key_id = ?2 OR party = ?3)
             OR EXISTS(SELECT 1 FROM subjects WHERE sign_pk = ?1 OR key_id = ?2 OR party = ?3)
             OR EXISTS(SELECT 1 FROM retired_keys WHERE sign_pk = ?1 OR key_id = ?2 OR party = ?3)",
        params![&k.sign[..], &kid.0[..], &party.0[..]],
        |r| r.get(0),
    )
}

/// Whether `k` (its signing or X25519 key) was retired by a rotation: a
/// retired key is never some party's key again.
pub(super) fn was_retired(conn: &Connection, k: &PublicIdentity) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM retired_keys WHERE sign_pk = ?1 OR key_id = ?2)",
        params![&k.sign[..], &key_id_of(&k.enc).0[..]],
        |r| r.get(0),
    )
}
