//! `credence bench …`: load tools against a running consortium.
use crate::secrets::*;
use anyhow::{anyhow, Result};
use std::path::Path;

pub(crate) fn flood(
    dir: &Path,
    stalled: usize,
    polls: usize,
    seconds: u64,
    json: bool,
) -> Result<i32> {
    use credence_api::flood;
    use credence_api::home::Home;
    use credence_api::node::client::NodeClient;
    use std::sync::Arc;
    let target = Home::new(dir.join("bank-a"));
    let info = credence_api::member::read_info(&target)?;
    let node = info.public()?.party_id();
    let pass = demo_passphrase();
    let attacker = Home::new(dir.join("bank-a")).unlock(&pass)?.identity;
    let bystander = Home::new(dir.join("regulator")).unlock(&pass)?.identity;
    let status = NodeClient::new(info.api, node, bystander.clone());
    let other = NodeClient::new(info.api, node, bystander);
    let attacker = Arc::new(NodeClient::new(info.api, node, attacker));
    status.status().map_err(|e| {
        anyhow!(
            "bank-a's node at {} does not answer ({e}); start the demo with --keep-running",
            info.api
        )
    })?;
    let reports = vec![
        flood::stalled_bodies(info.api, stalled, seconds, &status, &other),
        flood::long_polls(polls, seconds, attacker, &status, &other),
    ];
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
