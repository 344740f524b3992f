//! Records whose sealed content does not open their commitments: a reader
//! contests one, the regulator judges it.
use super::*;

/// Contest a record `me` can open whose sealed content does not open its
/// commitments: its content key goes to the consortium's regulator as
/// evidence, wrapped for the regulator's key alone. Refused for a record
/// whose content is sound (nothing to contest).
pub fn contest_record(view: &Ledger, me: &Identity, record_id: &Id) -> Result<SignedEntry> {
    let (rec, extra) = read::furnished(view, record_id)?;
    let key = rec.sealed.content_key(me, &extra)?;
    if opens_its_commitments(&rec, &key) {
        return Err(ApiError::invalid(format!(
            "record {} opens its commitments: there is nothing to contest",
            hex::encode(&record_id[..8])
        )));
    }
    let regulator = read::members(view)?
        .into_iter()
        .find(|m| m.role == Role::Regulator)
        .ok_or_else(|| {
            ApiError::not_found("the consortium has no regulator to judge the record")
        })?;
    let evidence = wrap_for(&key, &rec.sealed.header, &regulator.key, &mut OsRng)?;
    Ok(sign_entry(
        Entry::RecordContested {
            record_id: *record_id,
            contester: me.party_id(),
            regulator: regulator.party,
            evidence,
        },
        &[me],
    ))
}

/// Whether a record's sealed content, opened with `key`, is a payload that
/// opens exactly the record's commitments.
fn opens_its_commitments(rec: &RecordFurnished, key: &credence_crypto::seal::ContentKey) -> bool {
    rec.sealed
        .open_with_key(key)
        .ok()
        .and_then(|b| Payload::decode(b.expose()).ok())
        .is_some_and(|p| p.check_openings(&rec.commitments).is_ok())
}

/// Records of `subject` that `me` can open, still live and not yet under
/// review, whose sealed content does not open their commitments.
pub fn records_to_contest(view: &Ledger, me: &Identity, subject: &PartyId) -> Result<Vec<Id>> {
    let reviewed: std::collections::HashSet<Id> = read::record_reviews(view, None)?
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    let mine: std::collections::HashSet<Id> = read::records_readable_by(view, &me.party_id())?
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    let mut out = Vec::new();
    for info in read::records_of_subject(view, subject)? {
        if info.status != RecordStatus::Live
            || reviewed.contains(&info.record_id)
            || !mine.contains(&info.record_id)
        {
            continue;
        }
        match open_record(view, me, &info.record_id) {
            Err(e) if e.code == ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal) => {
                out.push(info.record_id)
            }
            _ => {}
        }
    }
    Ok(out)
}

/// As the regulator the evidence was wrapped for: open the contested record
/// with it, check its content against its commitments, and sign the verdict
/// (`true` = unusable). The record's values stay in memory.
pub fn judge_record(
    view: &Ledger,
    regulator: &Identity,
    record_id: &Id,
) -> Result<(bool, SignedEntry)> {
    let review = read::record_reviews(view, Some(&regulator.party_id()))?
        .into_iter()
        .find(|r| r.record_id == *record_id)
        .ok_or_else(|| ApiError::not_found("no open review of that record is addressed to you"))?;
    let (rec, _) = read::furnished(view, record_id)?;
    let key = rec
        .sealed
        .content_key(regulator, std::slice::from_ref(&review.evidence))?;
    let unusable = !opens_its_commitments(&rec, &key);
    Ok((
        unusable,
        sign_entry(
            Entry::RecordJudged {
                record_id: *record_id,
                regulator: regulator.party_id(),
                unusable,
            },
            &[regulator],
        ),
    ))
}
