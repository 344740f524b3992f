//! `credence query`: ask through the member's node and wait for the verified answer.
use crate::secrets::*;
use anyhow::Result;
use credence_api::crypto::PartyId;
use credence_api::ledger::Ledger;
use credence_api::{parse_id, ApiError};
use std::path::Path;

pub(crate) fn query(
    home: &Path,
    subject: &str,
    predicate: &str,
    record: Option<&str>,
    timeout: u64,
    json: bool,
) -> Result<i32> {
    use credence_api::home::Home;
    use credence_api::node::client::NodeClient;
    let h = Home::new(home);
    let me = h.unlock(&passphrase()?)?;
    let info = credence_api::member::read_info(&h)?;
    let view = Ledger::open_read_only(&h.ledger())?;
    let subject = PartyId::from_hex(subject).map_err(ApiError::from)?;
    let predicate: credence_api::crypto::proof::Predicate =
        predicate.parse().map_err(ApiError::from)?;
    let target = record.map(|r| parse_id("record id", r)).transpose()?;
    let agency = credence_api::reads::answering_agency(&view)?;
    let now = credence_api::ledger::clock::unix_now();
    let started = std::time::Instant::now();
    let client = NodeClient::new(info.api, me.identity.party_id(), me.identity.clone());
    let asked = credence_api::asking::ask_once(
        home,
        &view,
        &client,
        &credence_api::asking::Question {
            requester: &me.identity,
            subject,
            predicate,
            responder: agency.party,
            target,
        },
        now,
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
