//! Commands over a ledger file: `verify`, `export-proof`, `verify-proof`.
use crate::args::*;
use crate::output::*;
use anyhow::{Context, Result};
use credence_api::{bundle, parse_id, ApiError, LedgerView};
use std::io::IsTerminal;

pub(crate) fn verify(args: VerifyArgs) -> Result<i32> {
    let VerifyArgs { db, json } = args;
    let show = std::io::stderr().is_terminal() && !json;
    let pb = bar(0, show);
    pb.set_prefix("verify");
    let r = credence_api::verify::verify_file(&db, |h, total| {
        pb.set_length(total);
        pb.set_position(h + 1);
    });
    pb.finish_and_clear();
    match r {
        Ok(credence_api::verify::VerifiedFile {
            report: rep,
            wal_problem,
        }) => {
            let head = rep.head.map(|h| (h.height, hex::encode(h.hash)));
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": wal_problem.is_none(), "blocks": rep.blocks, "entries": rep.entries,
                        "head_height": head.as_ref().map(|h| h.0), "head_hash": head.as_ref().map(|h| h.1.clone()),
                        "wal": if rep.wal.is_whole() { "whole" } else { "torn" }, "wal_problem": wal_problem})
                );
            } else {
                if wal_problem.is_none() {
                    println!(
                        "ok: {} blocks, {} entries verified from genesis",
                        rep.blocks, rep.entries
                    );
                } else {
                    println!(
                        "incomplete: {} blocks, {} entries verified from genesis, but the file is missing its last blocks",
                        rep.blocks, rep.entries
                    );
                }
                if let Some((h, hash)) = head {
                    println!("head: height {h}, hash {hash}");
                }
                if let Some(p) = &wal_problem {
                    eprintln!("{p}");
                }
            }
            Ok(if wal_problem.is_none() { 0 } else { 1 })
        }
        Err(f) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "height": f.height(), "error": f.to_string()})
                );
            } else {
                eprintln!("FAILED: {f}");
            }
            Ok(1)
        }
    }
}

pub(crate) fn export_proof(args: ExportProofArgs) -> Result<i32> {
    let ExportProofArgs { db, query, out } = args;
    let view = LedgerView::open(&db)?;
    let b = bundle::export(&view, &parse_id("query id", &query)?)?;
    let text = serde_json::to_string_pretty(&b)?;
    match out {
        Some(p) => std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    Ok(0)
}

pub(crate) fn verify_proof(args: VerifyProofArgs) -> Result<i32> {
    let VerifyProofArgs {
        bundle: path,
        db,
        json,
    } = args;
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let b: bundle::ProofBundle = serde_json::from_str(&text)
        .map_err(|e| ApiError::invalid(format!("not a proof bundle: {e}")))?;
    let report = match db {
        Some(db) => bundle::verify_against_ledger(&*LedgerView::open(&db)?, &b)?,
        None => bundle::verify_bundle(&b)?,
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"ok": true, "predicate": report.predicate,
                "holds": report.holds, "branch": report.branch, "against_ledger": report.against_ledger,
                "checked": report.checked, "not_checked": report.not_checked})
        );
    } else {
        println!(
            "ok: \"{}\" {} (query {}; proof verified)",
            report.predicate,
            if report.holds {
                "holds"
            } else {
                "does not hold"
            },
            report.query_id
        );
        println!("checked:");
        for i in &report.checked {
            println!("  {}: {}", i.item, i.detail);
        }
        println!(
            "{}",
            if report.against_ledger {
                "not checked:"
            } else {
                "not checked without --db:"
            }
        );
        for i in &report.not_checked {
            println!("  {}: {}", i.item, i.detail);
        }
    }
    Ok(0)
}
