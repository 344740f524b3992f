//! Enrolment, consents and sharing: what a borrower signs to let members in.
use super::*;

/// The subject signs its enrolment; the enrolling lender countersigns.
pub fn enrol(subject: &Identity, lender: &Identity) -> SignedEntry {
    let mut se = sign_entry(
        Entry::SubjectEnrolled {
            subject: subject.public(),
            lender: lender.party_id(),
        },
        &[subject],
    );
    cosign_entry(&mut se, lender);
    se
}

/// The longest a consent may last, in days (10 years).
pub const MAX_CONSENT_DAYS: u64 = 3_650;

/// Check what a borrower asks a consent to be, and when it expires: it
/// lasts 1 to `MAX_CONSENT_DAYS` days from `now` and allows at least one
/// kind of question.
pub fn consent_terms(days: u64, predicates: &AllowedPredicates, now: u64) -> Result<u64> {
    if !(1..=MAX_CONSENT_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "a consent lasts from 1 day to 10 years (3,650 days)",
        ));
    }
    if matches!(predicates, AllowedPredicates::Only(t) if t.is_empty()) {
        return Err(ApiError::invalid(
            "choose at least one question the consent allows, or all of them",
        ));
    }
    Ok(now + days * 86_400)
}

pub fn grant_consent(
    subject: &Identity,
    grantee: &PartyId,
    purpose: Purpose,
    predicates: AllowedPredicates,
    expires_at: u64,
    explicit: bool,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    if expires_at <= now {
        return Err(ApiError::invalid(
            "the consent's expiry must be in the future",
        ));
    }
    if purpose == Purpose::Employment && !explicit {
        return Err(ApiError::invalid(
            "an employment consent must be given explicitly",
        ));
    }
    let consent_id = new_id();
    let c = Consent {
        consent_id,
        subject: subject.party_id(),
        grantee: *grantee,
        purpose,
        predicates,
        expires_at,
        explicit,
    };
    Ok((consent_id, sign_entry(Entry::ConsentGranted(c), &[subject])))
}

pub fn revoke_consent(view: &Ledger, subject: &Identity, consent_id: &Id) -> Result<SignedEntry> {
    let c =
        read::consent(view, consent_id)?.ok_or_else(|| ApiError::not_found("no such consent"))?;
    if c.consent.subject != subject.party_id() {
        return Err(ApiError::new(
            ErrorCode::NotPermitted,
            "only the borrower who gave a consent can revoke it",
        ));
    }
    if c.revoked_at.is_some() {
        return Err(ApiError::invalid("this consent is already revoked"));
    }
    Ok(revoke_entry(subject, consent_id))
}

/// The signed revocation of `consent_id` (the rules refuse it unless
/// `subject` gave that consent and it is live).
pub fn revoke_entry(subject: &Identity, consent_id: &Id) -> SignedEntry {
    sign_entry(
        Entry::ConsentRevoked {
            consent_id: *consent_id,
            subject: subject.party_id(),
        },
        &[subject],
    )
}

/// The subject's signed security freeze of their file (`frozen: false`
/// lifts it); the rules refuse a change to the state it is already in.
pub fn freeze_entry(subject: &Identity, frozen: bool) -> SignedEntry {
    let mut change_id = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut change_id);
    sign_entry(
        Entry::FileFrozen {
            change_id,
            subject: subject.party_id(),
            frozen,
        },
        &[subject],
    )
}

/// Wrap the content key of every record `sharer` can open about `subject` for
/// `recipient` (a member that has just been given consent).
pub fn share_records(
    view: &Ledger,
    sharer: &Identity,
    subject: &PartyId,
    recipient: &PartyId,
) -> Result<Vec<SignedEntry>> {
    let m = read::member(view, recipient)?
        .ok_or_else(|| ApiError::not_found("the recipient is not a member"))?;
    let already: Vec<Id> = read::records_readable_by(view, recipient)?
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    let mut out = Vec::new();
    for info in read::records_of_subject(view, subject)? {
        if already.contains(&info.record_id)
            || (info.furnisher != sharer.party_id() && info.subject != sharer.party_id())
        {
            continue;
        }
        let (rec, extra) = read::furnished(view, &info.record_id)?;
        out.push(share_record(sharer, &rec, &extra, recipient, &m.key)?);
    }
    Ok(out)
}

/// Share one record `sharer` can open with `recipient` (whose public keys
/// are `key`): its content key wrapped for the recipient, signed.
pub fn share_record(
    sharer: &Identity,
    rec: &RecordFurnished,
    extra: &[credence_crypto::seal::WrappedKey],
    recipient: &PartyId,
    key: &PublicIdentity,
) -> Result<SignedEntry> {
    let content = rec.sealed.content_key(sharer, extra)?;
    let wrap = wrap_for(&content, &rec.sealed.header, key, &mut OsRng)?;
    Ok(sign_entry(
        Entry::RecordShared {
            record_id: rec.record_id,
            sharer: sharer.party_id(),
            recipient: *recipient,
            wrap,
        },
        &[sharer],
    ))
}
