//! `credence bench history`: a borrower's proven history over a long chain.
//! Against a running demo (`credence demo --keep-running`) it grows the
//! chain by `blocks` blocks (bank-a enrols a fresh borrower per block, and
//! asks a question about the measured borrower every `every` blocks), then
//! times the borrower's light client: f+1 members asked, every entry
//! proven (`history::history`), and one proof's header chain checked alone.
use crate::enrolment::EnrolRequest;
use crate::error::Result;
use crate::history::history;
use crate::light::check_proof;
use crate::load::pct;
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, Secret};
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// What the load tool measured.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryReport {
    /// Blocks added, and the chain's height at the end.
    pub blocks_added: u64,
    pub head_height: u64,
    /// Questions asked about the borrower while the chain grew.
    pub questions: usize,
    /// Entries in the borrower's proven history.
    pub proven_entries: usize,
    /// First and last height of the borrower's history.
    pub spans_heights: (u64, u64),
    pub runs: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Bytes of the members' answers in one run.
    pub bytes: usize,
    /// One entry's proof (Merkle path, headers, 2f+1 signatures) checked
    /// alone, from bytes already fetched: mean µs, and headers per proof.
    pub proof_check_us: f64,
    pub headers_per_proof: f64,
}

/// Run the load against the demo in `dir`; `progress(done, of)` while the
/// chain grows.
pub fn against_demo(
    dir: &Path,
    passphrase: &Secret<String>,
    blocks: u64,
    every: u64,
    runs: usize,
    mut progress: impl FnMut(u64, u64),
) -> Result<HistoryReport> {
    let (profile, bank, me) = crate::load::bank_and_borrower(dir, passphrase)?;
    let start = bank.view().head()?.map(|h| h.height).unwrap_or(0);
    let mut questions = 0;
    let mut head = start;
    let mut n = 0u64;
    while head < start + blocks {
        n += 1;
        head = if every > 0 && n.is_multiple_of(every) {
            questions += 1;
            bank.ask(
                &me.party_id(),
                Predicate::ScoreAtLeast {
                    min: 300 + (n % 500),
                },
                None,
                Duration::from_secs(60),
            )?;
            bank.view().head()?.map(|h| h.height).unwrap_or(head)
        } else {
            let filler = Identity::generate(&mut rand::rngs::OsRng);
            bank.enrol(&EnrolRequest::create(&profile, &filler, "bank-a")?)?
                .1
        };
        progress(head.saturating_sub(start).min(blocks), blocks);
    }
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let h = history(&me, &profile)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        last = Some(h);
    }
    let h = last.expect("at least one run");
    times.sort_by(|a, b| a.total_cmp(b));
    // One proof's check alone: fetch a batch once, check each many times.
    let client = profile.connect("bank-a", &me)?;
    let ids: Vec<String> = h
        .entries
        .iter()
        .take(64)
        .map(|p| hex::encode(p.entry_id))
        .collect();
    let v = client
        .post("/v1/proofs", &json!({ "entries": ids }))
        .map_err(crate::ApiError::from)?;
    let proofs = v["proofs"].as_array().cloned().unwrap_or_default();
    let headers: usize = proofs
        .iter()
        .map(|p| p["chain"].as_array().map_or(0, Vec::len))
        .sum();
    let rounds = 20;
    let t = Instant::now();
    for _ in 0..rounds {
        for (p, e) in proofs.iter().zip(&h.entries) {
            check_proof(&h.sets, &e.entry_id, p)?;
        }
    }
    let checks = (rounds * proofs.len()).max(1) as f64;
    Ok(HistoryReport {
        blocks_added: head - start,
        head_height: head,
        questions,
        proven_entries: h.entries.len(),
        spans_heights: (
            h.entries.first().map_or(0, |p| p.height),
            h.entries.last().map_or(0, |p| p.height),
        ),
        runs: times.len(),
        p50_ms: pct(&times, 0.5),
        p99_ms: pct(&times, 0.99),
        bytes: h.bytes,
        proof_check_us: t.elapsed().as_secs_f64() * 1e6 / checks,
        headers_per_proof: headers as f64 / proofs.len().max(1) as f64,
    })
}
