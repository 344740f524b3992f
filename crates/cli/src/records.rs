//! A reader's records: `my-records`, `export-record`, `export-age-identity`.
use crate::args::*;
use crate::secrets::*;
use anyhow::{Context, Result};
use credence_api::{export, parse_id, reads, LedgerView};

pub(crate) fn export_record(args: ExportRecordArgs) -> Result<i32> {
    let ExportRecordArgs {
        keys,
        db,
        record,
        to,
        out,
    } = args;
    let me = unlock(&keys)?;
    let view = LedgerView::open(&db)?;
    let rid = parse_id("record id", &record)?;
    let exported = export::export_record(&view, &me, &rid, to.as_deref())?;
    std::fs::write(&out, exported.file).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} (age, for {})", out.display(), exported.recipient);
    Ok(0)
}

pub(crate) fn export_age_identity(args: ExportAgeIdentityArgs) -> Result<i32> {
    let ExportAgeIdentityArgs { keys, out } = args;
    let me = unlock(&keys)?;
    let secret = export::age_identity(&me);
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
    let view = LedgerView::open(&db)?;
    let recs = reads::readable_records(&view, &me)?;
    let log = reads::access_log(&view, &me.party_id())?;
    if json {
        let v = serde_json::json!({
            "party": me.party_id().to_hex(),
            "records": recs.iter().map(|r| serde_json::json!({
                "record_id": hex::encode(r.info.record_id), "kind": r.info.kind.as_str(), "status": r.info.status,
                "compliance": r.info.compliance, "furnisher": reads::party_name(&view, &r.info.furnisher),
                "content": export::record_content(&r.payload)})).collect::<Vec<_>>(),
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
                reads::party_name(&view, &r.info.furnisher)
            );
        }
        println!("access log:");
        for (e, who) in &log {
            println!("  {} {:<14} {:<10} {}", e.at, e.action, who, e.detail);
        }
    }
    Ok(0)
}
