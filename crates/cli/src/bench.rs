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
