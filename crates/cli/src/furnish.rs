//! `credence furnish`: a lender's accounts from a furnishing file
//! (docs/furnish-csv.md) onto the ledger, with progress; nothing twice.
//! `credence erase`: records' content off every member's store.
//! `credence reseal`: a lender's records out of a leaked key's reach.
use crate::args::{EraseArgs, FurnishArgs, ResealArgs};
use crate::output::with_progress;
use crate::secrets::passphrase;
use anyhow::{Context, Result};
use credence_api::furnish;
use credence_api::session::MemberSession;

pub(crate) fn run(a: FurnishArgs) -> Result<i32> {
    let text =
        std::fs::read_to_string(&a.csv).with_context(|| format!("reading {}", a.csv.display()))?;
    let (rows, bad) = furnish::parse(&text).map_err(|e| {
        credence_api::ApiError::invalid(format!("{}: {e}; nothing was submitted", a.csv.display()))
    })?;
    if !a.skip_bad && !bad.is_empty() {
        return Err(furnish::refuse(&bad).into());
    }
    let member = MemberSession::open(&a.home, &passphrase()?)?;
    let report = with_progress("furnish", a.json, |p| {
        member.furnish(rows, bad, a.skip_bad, p)
    })?;
    print_report(&report, a.json);
    Ok(0)
}

/// What furnishing did, as JSON or for people.
pub(crate) fn print_report(report: &furnish::FurnishReport, json: bool) {
    let left_out: Vec<String> = report.left_out.iter().map(|e| e.to_string()).collect();
    if json {
        println!(
            "{}",
            serde_json::json!({"submitted": report.submitted, "corrections": report.corrections,
                "already": report.already, "left_out": left_out})
        );
    } else {
        println!(
            "{} updates furnished ({} correcting an earlier one), {} already on the ledger, {} left out",
            report.submitted,
            report.corrections,
            report.already,
            left_out.len()
        );
        for l in &left_out {
            println!("  left out: {l}");
        }
    }
}

pub(crate) fn erase(a: EraseArgs) -> Result<i32> {
    let record = a
        .what
        .record
        .as_deref()
        .map(|r| credence_api::parse_id("--record", r))
        .transpose()?;
    let member = MemberSession::open(&a.home, &passphrase()?)?;
    let erased = match record {
        Some(id) => {
            let height = member.erase_on_request(&id)?;
            if !a.json {
                println!(
                    "record {} erased at block {height}: every member keeps only its digest",
                    hex::encode(&id[..8])
                );
            }
            vec![id]
        }
        None => {
            let erased = with_progress("erase", a.json, |p| member.erase_expired(p))?;
            if !a.json {
                println!("{} record(s) past their retention erased", erased.len());
            }
            erased
        }
    };
    if a.json {
        let ids: Vec<String> = erased.iter().map(hex::encode).collect();
        println!("{}", serde_json::json!({ "erased": ids }));
    }
    Ok(0)
}

pub(crate) fn reseal(a: ResealArgs) -> Result<i32> {
    let member = MemberSession::open(&a.home, &passphrase()?)?;
    let n = with_progress("re-seal", a.json, |p| member.reseal_incidents(p))?;
    if a.json {
        println!("{}", serde_json::json!({ "resealed": n }));
    } else {
        println!("{n} record(s) re-sealed to their borrowers' new keys");
    }
    Ok(0)
}
