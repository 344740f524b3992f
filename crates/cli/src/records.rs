//! A reader's records: `my-records`, `export-record`, `export-age-identity`.
use crate::args::*;
use crate::secrets::*;
use anyhow::{anyhow, Context, Result};
use credence_api::crypto::{age_export, PartyId};
use credence_api::ledger::{read, Ledger};
use credence_api::{parse_id, ApiError};

pub(crate) fn export_record(args: ExportRecordArgs) -> Result<i32> {
    let ExportRecordArgs {
        keys,
        db,
        record,
        to,
        out,
    } = args;
    let me = unlock(&keys)?;
    let view = Ledger::open_read_only(&db)?;
    let rid = parse_id("record id", &record)?;
    let (rec, extra) = read::furnished(&view, &rid)?;
    let plain = rec.sealed.open(&me, &extra).map_err(ApiError::from)?;
    let recipient: [u8; 32] = match to {
        None => me.public().enc,
        Some(t) if t.starts_with("age1") => {
            age_export::parse_recipient(&t).map_err(ApiError::from)?
        }
        Some(t) => {
            let p = PartyId::from_hex(&t).map_err(|_| {
                ApiError::invalid(format!(
                    "--to must be a party id (64 hex digits) on this ledger or an age1… recipient, not {t:?}"
                ))
            })?;
            match read::member(&view, &p)? {
                Some(m) => m.key.enc,
                None => {
                    read::subject_key(&view, &p)?
                        .ok_or_else(|| anyhow!("no member or subject {t} on this ledger"))?
                        .enc
                }
            }
        }
    };
    let payload = credence_api::ledger::payload::Payload::decode(plain.expose())?;
    let text = serde_json::to_vec_pretty(&export_view(&payload))?;
    let file = age_export::export_to_key(&text, &recipient).map_err(ApiError::from)?;
    std::fs::write(&out, file).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} (age, for {})",
        out.display(),
        age_export::age_recipient_of_key(&recipient)
    );
    Ok(0)
}

pub(crate) fn export_age_identity(args: ExportAgeIdentityArgs) -> Result<i32> {
    let ExportAgeIdentityArgs { keys, out } = args;
    let me = unlock(&keys)?;
    let secret = age_export::age_identity(&me);
    write_private(
        &out,
        format!(
            "# credence identity {}\n{}\n",
            me.party_id(),
            secret.expose()
        )
        .as_bytes(),
    )?;
    eprintln!("wrote {} (keep it private; mode 0600)", out.display());
    Ok(0)
}

pub(crate) fn my_records(args: MyRecordsArgs) -> Result<i32> {
    let MyRecordsArgs { keys, db, json } = args;
    let me = unlock(&keys)?;
    let view = Ledger::open_read_only(&db)?;
    let recs = credence_api::reads::readable_records(&view, &me)?;
    let log = credence_api::reads::access_log(&view, &me.party_id())?;
    if json {
        let v = serde_json::json!({
            "party": me.party_id().to_hex(),
            "records": recs.iter().map(|r| serde_json::json!({
                "record_id": hex::encode(r.info.record_id), "kind": r.info.kind.as_str(), "status": r.info.status,
                "compliance": r.info.compliance, "furnisher": credence_api::reads::party_name(&view, &r.info.furnisher),
                "content": export_view(&r.payload)})).collect::<Vec<_>>(),
            "access_log": log.iter().map(|(e, who)| serde_json::json!({"at": e.at, "who": who, "action": e.action, "detail": e.detail})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{} records readable by {}",
            recs.len(),
            me.party_id().short()
        );
        for r in &recs {
            println!(
                "  {} {} {} from {}",
                hex::encode(&r.info.record_id[..8]),
                r.info.kind.as_str(),
                r.info.status,
                credence_api::reads::party_name(&view, &r.info.furnisher)
            );
        }
        println!("access log:");
        for (e, who) in &log {
            println!("  {} {:<14} {:<10} {}", e.at, e.action, who, e.detail);
        }
    }
    Ok(0)
}

/// A record's content for its reader: amounts as values, no blinding factors.
pub(crate) fn export_view(p: &credence_api::ledger::payload::Payload) -> serde_json::Value {
    use credence_api::ledger::payload::Payload;
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
