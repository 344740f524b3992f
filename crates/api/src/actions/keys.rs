//! A party's key rotation.
use super::*;

/// `current` hands its party over to `next` (`Identity::rotated`): signed by
/// both, so only the holder of the current key rotates it, and only to a key
/// it holds.
pub fn rotate_key_entry(current: &Identity, next: &Identity) -> SignedEntry {
    sign_entry(
        Entry::KeyRotated {
            party: current.party_id(),
            new_key: next.public(),
            compromised_since: None,
        },
        &[current, next],
    )
}

/// As `rotate_key_entry`, declaring the current key leaked as of `since`
/// (unix seconds, not after now): the consents it granted since are revoked
/// with the rotation, and every record sealed to it is listed until it is
/// re-sealed (`reseal_record`).
pub fn declare_compromised_entry(current: &Identity, next: &Identity, since: u64) -> SignedEntry {
    sign_entry(
        Entry::KeyRotated {
            party: current.party_id(),
            new_key: next.public(),
            compromised_since: Some(since),
        },
        &[current, next],
    )
}

/// Whether a re-seal's submission re-sealed the record (`Ok(true)`), or
/// found it re-sealed already by the other party that may (`Ok(false)`: its
/// furnisher and its borrower may both be at it).
pub(crate) fn resealed(outcome: Result<u64>) -> Result<bool> {
    match outcome {
        Ok(_) => Ok(true),
        Err(e) if e.code == ErrorCode::Rejected(credence_ledger::RejectCode::NotSupported) => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Seal a record's content again, by its furnisher or its subject (`me`),
/// under a fresh content key, to `recipients` (the subject's current key and
/// every party that may read it now). `me` opens it first with `opener`
/// (the key it was sealed to: for a subject, the retired one; for a
/// furnisher, its own), so the content is carried over unchanged.
pub fn reseal_record(
    me: &Identity,
    opener: &Identity,
    rec: &RecordFurnished,
    extra: &[credence_crypto::seal::WrappedKey],
    recipients: &[PublicIdentity],
) -> Result<SignedEntry> {
    let plain = rec.sealed.open(opener, extra)?;
    let (sealed, _) = seal(me, rec.record_id, plain.expose(), recipients, &mut OsRng)?;
    Ok(sign_entry(
        Entry::RecordResealed {
            record_id: rec.record_id,
            subject: rec.subject,
            by: me.party_id(),
            sealed,
        },
        &[me],
    ))
}
