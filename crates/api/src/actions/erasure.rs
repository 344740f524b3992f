//! Erasing a record's sealed content (retention, or a lawful request the
//! regulator approved).
use super::*;
use credence_ledger::RejectCode;

/// The erasure of `record_id` by the member `me`, checked against `view`
/// first so that the common mistakes are named before anything is signed
/// (the rules decide the rest: retention, and who may approve a request).
pub fn erase_record(
    view: &Ledger,
    me: &Identity,
    record_id: &Id,
    grounds: ErasureGrounds,
) -> Result<SignedEntry> {
    let rec = read::record(view, record_id)?.ok_or_else(|| {
        ApiError::not_found(format!("no record {}", hex::encode(&record_id[..8])))
    })?;
    if rec.status == RecordStatus::Erased {
        return Err(ApiError::new(
            ErrorCode::Rejected(RejectCode::AlreadyExists),
            format!("record {} is already erased", hex::encode(&record_id[..8])),
        ));
    }
    Ok(sign_entry(
        Entry::RecordErased {
            record_id: *record_id,
            subject: rec.subject,
            by: me.party_id(),
            grounds,
        },
        &[me],
    ))
}
