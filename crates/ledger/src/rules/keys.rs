//! A borrower's key rotation: the entry is signed by the current key and by
//! the new one (so nobody rotates a key they do not hold, nor to a key they
//! do not hold); from its block on, only the new key signs for the borrower
//! and new records are sealed to it. The retired key is kept
//! (`retired_keys`), so records sealed to it still name their holder.
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, h) = (cx.conn, cx.h);
    let Entry::KeyRotated {
        party,
        new_key,
        compromised,
    } = entry
    else {
        return reject(C::Malformed, "entry routed to the key rules");
    };
    if *compromised {
        return reject(
            C::NotSupported,
            "declaring a key compromised is not supported yet: rotate it (compromised = false)",
        );
    }
    if member(conn, party)?.is_some() {
        return reject(
            C::NotSupported,
            "a member's key is also its consensus key, whose rotation is not supported yet: \
             remove the member and admit its new key",
        );
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
    Ok(())
}

/// Whether any party holds or held `k` (its signing key, its X25519 key,
/// or the party id it would make).
fn key_in_use(conn: &Connection, k: &PublicIdentity) -> rusqlite::Result<bool> {
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
