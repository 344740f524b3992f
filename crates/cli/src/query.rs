//! `credence query`: ask through the member's node and wait for the verified answer.
use crate::secrets::*;
use anyhow::Result;
use credence_api::session::MemberSession;
use credence_api::{parse_id, ApiError, PartyId, Predicate};
use std::path::Path;

pub(crate) fn query(
    home: &Path,
    subject: &str,
    predicate: &str,
    record: Option<&str>,
    timeout: u64,
    json: bool,
) -> Result<i32> {
    let me = MemberSession::open(home, &passphrase()?)?;
    let subject = PartyId::from_hex(subject).map_err(ApiError::from)?;
    let predicate: Predicate = predicate.parse().map_err(ApiError::from)?;
    let target = record.map(|r| parse_id("record id", r)).transpose()?;
    let started = std::time::Instant::now();
    let asked = me.ask(
        &subject,
        predicate,
        target,
        std::time::Duration::from_secs(timeout),
    )?;
    let (qid, answer) = (asked.query_id, asked.answer);
    let ms = started.elapsed().as_millis();
    if json {
        println!(
            "{}",
            serde_json::json!({"query_id": hex::encode(qid), "predicate": answer.predicate, "holds": answer.holds, "verified": answer.verified, "round_trip_ms": ms})
        );
    } else {
        println!(
            "\"{}\": {} (proof verified against this ledger, {ms} ms)",
            answer.predicate,
            if answer.holds {
                "holds"
            } else {
                "does not hold"
            }
        );
    }
    Ok(0)
}
