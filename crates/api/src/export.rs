//! A reader takes a record out: opened with the reader's own key and sealed
//! again as an age file to the reader, a member or subject on the ledger, or
//! any age recipient. Amounts leave as values; blinding factors never do.
use crate::error::{ApiError, Result};
use credence_crypto::{age_export, Identity, PartyId, Secret};
use credence_ledger::payload::Payload;
use credence_ledger::{read, Id, Ledger};

/// An exported record: the age file's bytes and whom it is for.
pub struct ExportedRecord {
    pub file: Vec<u8>,
    /// The age recipient (`age1…`) the file is encrypted to.
    pub recipient: String,
}

/// Export record `record` (readable by `me`) to `to`: `None` for `me`, an
/// `age1…` recipient, or the party id of a member or subject on `view`.
pub fn export_record(
    view: &Ledger,
    me: &Identity,
    record: &Id,
    to: Option<&str>,
) -> Result<ExportedRecord> {
    let (rec, extra) = read::furnished(view, record)?;
    let plain = rec.sealed.open(me, &extra)?;
    let recipient: [u8; 32] = match to {
        None => me.public().enc,
        Some(t) if t.starts_with("age1") => age_export::parse_recipient(t)?,
        Some(t) => {
            let p = PartyId::from_hex(t).map_err(|_| {
                ApiError::invalid(format!(
                    "the recipient must be a party id (64 hex digits) on this ledger or an age1… recipient, not {t:?}"
                ))
            })?;
            match read::member(view, &p)? {
                Some(m) => m.key.enc,
                None => {
                    read::subject_key(view, &p)?
                        .ok_or_else(|| {
                            ApiError::not_found(format!("no member or subject {t} on this ledger"))
                        })?
                        .enc
                }
            }
        }
    };
    let payload = Payload::decode(plain.expose())?;
    let text = serde_json::to_vec_pretty(&record_content(&payload))
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    Ok(ExportedRecord {
        file: age_export::export_to_key(&text, &recipient)?,
        recipient: age_export::age_recipient_of_key(&recipient),
    })
}

/// `me`'s age identity (`AGE-SECRET-KEY-1…`), to open exported files with
/// standard age tools.
pub fn age_identity(me: &Identity) -> Secret<String> {
    age_export::age_identity(me)
}

/// A record's content for its reader: amounts as values, no blinding factors.
pub fn record_content(p: &Payload) -> serde_json::Value {
    match p {
        Payload::Tradeline(t) => {
            let v: Vec<u64> = t.amounts.iter().map(|o| o.value).collect();
            serde_json::json!({
                "kind": "tradeline", "account_type": t.account_type, "portfolio_type": t.portfolio_type,
                "account_status": t.account_status, "date_opened": t.date_opened,
                "date_of_account_information": t.date_of_account_information,
                "date_of_first_delinquency": t.date_of_first_delinquency, "payment_history": t.payment_history,
                "balance_cents": v.first(), "credit_limit_cents": v.get(1), "past_due_cents": v.get(2),
                "scheduled_payment_cents": v.get(3), "days_past_due": v.get(4), "serious_delinquency": v.get(5).map(|x| *x > 0),
                "attributes": t.attributes.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
            })
        }
        Payload::Income(i) => {
            serde_json::json!({"kind": "income", "source": i.source, "monthly_income_cents": i.monthly_income.value})
        }
        Payload::Score(s) => {
            serde_json::json!({"kind": "score", "model": s.model, "period": s.period, "score": s.score.value})
        }
    }
}
