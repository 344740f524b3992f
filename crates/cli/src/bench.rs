//! `credence bench …`: load tools against a running consortium.
use crate::secrets::*;
use anyhow::Result;
use std::path::Path;

pub(crate) fn flood(
    dir: &Path,
    stalled: usize,
    polls: usize,
    seconds: u64,
    json: bool,
) -> Result<i32> {
    let reports =
        credence_api::flood::against_demo(dir, &demo_passphrase(), stalled, polls, seconds)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!(
                "{:<15} {:>4} held {:>5.1} s: status p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} over 1 s); \
                 another caller p50 {:.1} ms, max {:.1} ms; {} attacker requests refused",
                r.flood, r.attackers, r.seconds, r.status_p50_ms, r.status_p99_ms, r.status_max_ms,
                r.status_over_1s, r.status_samples, r.other_caller_p50_ms, r.other_caller_max_ms, r.refused
            );
        }
    }
    let ok = reports
        .iter()
        .all(|r| r.status_over_1s == 0 && r.other_caller_samples > 0);
    Ok(if ok { 0 } else { 1 })
}

pub(crate) fn history(dir: &Path, blocks: u64, every: u64, runs: usize, json: bool) -> Result<i32> {
    let bar = crate::output::bar(blocks, !json);
    let r = credence_api::history_load::against_demo(
        dir,
        &demo_passphrase(),
        blocks,
        every,
        runs,
        |done, _| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "history of borrower-0001 over heights {}..{} (head {}, {} blocks added, {} questions): \
             {} entries proven, p50 {:.0} ms, p99 {:.0} ms over {} runs, {:.1} KB downloaded; \
             one proof checked alone {:.0} µs ({:.1} headers each)",
            r.spans_heights.0,
            r.spans_heights.1,
            r.head_height,
            r.blocks_added,
            r.questions,
            r.proven_entries,
            r.p50_ms,
            r.p99_ms,
            r.runs,
            r.bytes as f64 / 1024.0,
            r.proof_check_us,
            r.headers_per_proof
        );
    }
    Ok(0)
}
