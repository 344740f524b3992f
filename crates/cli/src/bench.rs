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

pub(crate) fn ingest(dir: &Path, records: usize, chunk: usize, json: bool) -> Result<i32> {
    let bar = crate::output::bar(records as u64, !json);
    let r = credence_api::ingest_load::against_demo(
        dir,
        &demo_passphrase(),
        records,
        chunk,
        |stage, done, _| {
            bar.set_prefix(stage.to_string());
            bar.set_position(done)
        },
    )?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(0);
    }
    println!(
        "proved {} records in {:.1} s on {} threads: {:.1} records/s, {:.1} per core \
         (raw validity proof {:.1} ms, so at most {:.0} per core)",
        r.records,
        r.prove.seconds,
        r.prove.threads,
        r.prove.records_per_s,
        r.prove.records_per_s_per_core,
        r.prove.raw_prove_ms,
        1000.0 / r.prove.raw_prove_ms
    );
    println!(
        "finalized {} records in {:.1} s over {} blocks: {:.1} records/s; {} refused; \
         submit-to-final per chunk of {}: p50 {:.0} ms, p99 {:.0} ms; {} bytes an entry",
        r.records - r.refused,
        r.seconds,
        r.blocks,
        r.finalized_per_s,
        r.refused,
        r.chunk,
        r.submit_to_final_p50_ms,
        r.submit_to_final_p99_ms,
        r.entry_bytes
    );
    println!(
        "raw cost a member pays per record (validity proof in a batch + 2 signatures): {:.2} ms; \
         validity proof alone {:.2} ms, in a batch {:.2} ms per record",
        r.raw_verify_ms, r.raw_validity_single_ms, r.raw_validity_batched_ms
    );
    for m in &r.members {
        println!(
            "  {:<10} CPU {:.2} ms/record ({:.1}× raw), disk {:.0} B/record (ledger {:.0}, consensus {:.0}), peak {:.0} MiB",
            m.name,
            m.cpu_ms_per_record,
            m.cpu_ms_per_record / r.raw_verify_ms,
            m.disk_bytes_per_record,
            m.ledger_bytes_per_record,
            m.consensus_bytes_per_record,
            m.peak_rss_mib
        );
    }
    Ok(0)
}

pub(crate) fn questions(dir: &Path, count: usize, down: Option<&str>, json: bool) -> Result<i32> {
    let bar = crate::output::bar(count as u64, !json);
    let r = credence_api::question_load::against_demo(
        dir,
        &demo_passphrase(),
        count,
        down,
        |run, done, _| {
            bar.set_prefix(if run == 0 { "all up" } else { "one down" });
            if done == 1 {
                bar.reset();
            }
            bar.set_position(done)
        },
    )?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(0);
    }
    for run in &r.runs {
        println!(
            "{} questions, {}: asked -> answered -> verified p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            run.questions,
            match &run.down {
                None => "every member up".to_string(),
                Some(d) => format!("{d} down"),
            },
            run.p50_ms,
            run.p99_ms,
            run.max_ms
        );
    }
    println!(
        "raw score proof: prove {:.1} ms, verify {:.1} ms",
        r.raw_prove_ms, r.raw_verify_ms
    );
    Ok(0)
}
