//! `credence bench ingest`: sustained furnishing into a running demo
//! consortium (`credence demo --keep-running`).
//!
//! Proving happens before the clock starts and is reported on its own
//! (records proven per second per core): bank-a proves and seals `records`
//! tradelines for the demo's borrowers on every core. Then the records are
//! submitted, in chunks, to all four member nodes at once, and the tool
//! reports finalized records per second, each chunk's submit-to-final time
//! (p50/p99), and for each member process the CPU it spent per record, the
//! bytes its files grew by per record (ledger, WAL and consensus store) and
//! its peak memory. Beside them, the raw library cost of what every member
//! must do per record (one validity proof, verified in a batch as members
//! do, and two signatures), measured in the same run, so the ratio is the
//! node's overhead.
use crate::actions::{self, TradelineInput};
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use crate::load::{node_process, pct};
use credence_crypto::{PublicIdentity, Secret};
use credence_ledger::types::Entry;
use credence_ledger::{read, SignedEntry};
use credence_node::Receipt;
use serde::Serialize;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The demo's member nodes, each loaded with its share of the chunks.
const MEMBERS: [&str; 4] = ["regulator", "agency", "bank-a", "bank-b"];

#[derive(Clone, Debug, Serialize)]
pub struct ProveFigures {
    pub threads: usize,
    pub seconds: f64,
    /// Records proven and sealed per second, all threads.
    pub records_per_s: f64,
    /// The same per core (thread).
    pub records_per_s_per_core: f64,
    /// Raw `prove_validity` alone (a tradeline's 6 fields, 8 × 32-bit
    /// aggregated Bulletproofs+), ms.
    pub raw_prove_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MemberLoad {
    pub name: String,
    /// CPU (user + system) the member's process spent per record while the
    /// records were submitted and finalized.
    pub cpu_ms_per_record: f64,
    /// What the member's home grew by per record: ledger, WAL, consensus.
    pub disk_bytes_per_record: f64,
    pub ledger_bytes_per_record: f64,
    pub consensus_bytes_per_record: f64,
    /// Peak resident memory of the process since it started (VmHWM).
    pub peak_rss_mib: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct IngestReport {
    pub records: usize,
    pub chunk: usize,
    pub prove: ProveFigures,
    pub seconds: f64,
    pub finalized_per_s: f64,
    pub refused: usize,
    pub submit_to_final_p50_ms: f64,
    pub submit_to_final_p99_ms: f64,
    pub members: Vec<MemberLoad>,
    /// Raw library cost per record at a member: the validity proof's
    /// verification (in a batch of up to 64, as members verify them), the
    /// entry's and the seal's Ed25519 signatures.
    pub raw_verify_ms: f64,
    /// The validity proof alone, verified on its own, ms.
    pub raw_validity_single_ms: f64,
    /// The validity proof alone, per record of a batch of up to 64, ms.
    pub raw_validity_batched_ms: f64,
    /// Bytes of one encoded furnished entry.
    pub entry_bytes: usize,
    pub blocks: u64,
}

/// CPU seconds (user + system) a process has spent; Linux clock ticks are
/// 100 a second.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Bytes allocated on disk under `path`.
fn disk_bytes(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|d| d.flatten().map(|e| disk_bytes(&e.path())).sum())
            .unwrap_or(0)
    } else {
        meta.blocks() * 512
    }
}

/// The ledger's files in a member's home (database, WAL, shared memory).
fn ledger_bytes(home: &Path) -> u64 {
    ["ledger.db", "ledger.db-wal", "ledger.db-shm"]
        .iter()
        .map(|f| disk_bytes(&home.join(f)))
        .sum()
}

/// A synthetic tradeline, different for each `i`.
fn tradeline(i: u64) -> TradelineInput {
    let limit = 100_000 + (i * 7_919) % 5_000_000;
    let balance = limit * ((i * 37) % 100) / 100;
    TradelineInput {
        account_type: "revolving".into(),
        account_status: "11".into(),
        date_opened: "2021-03-01".into(),
        date_of_account_information: "2026-11-01".into(),
        date_of_first_delinquency: None,
        payment_history: "0".repeat(24),
        attributes: vec![("purpose".into(), "load test".into())],
        balance,
        credit_limit: limit,
        past_due: 0,
        scheduled_payment: balance / 20,
        days_past_due: 0,
        serious_delinquency: false,
    }
}

/// Run the load against the demo in `dir`. `progress(stage, done, of)`.
pub fn against_demo(
    dir: &Path,
    passphrase: &Secret<String>,
    records: usize,
    chunk: usize,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<IngestReport> {
    let bank_home = Home::new(dir.join("bank-a"));
    let identity = crate::member::keys::member_identity(&bank_home, passphrase)?;
    let view = credence_ledger::Ledger::open_read_only(&bank_home.ledger())?;
    let homes: Vec<PathBuf> = MEMBERS.iter().map(|m| dir.join(m)).collect();
    let pids: Vec<u32> = homes
        .iter()
        .map(|h| {
            node_process(h).map(|(pid, _)| pid).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unreachable,
                    format!(
                        "no `credence node run` process for {}: start the demo with --keep-running",
                        h.display()
                    ),
                )
            })
        })
        .collect::<Result<_>>()?;
    let now = credence_ledger::clock::unix_now();
    let subjects = read::subjects(&view)?;
    if subjects.is_empty() {
        return Err(ApiError::invalid("the demo has no borrowers"));
    }
    // Each borrower's record readers, resolved once (proving needs no ledger).
    let mut readers: Vec<(credence_crypto::PartyId, Vec<PublicIdentity>)> = Vec::new();
    for s in &subjects {
        if let Ok(r) = actions::record_recipients(&view, &identity, s, now) {
            readers.push((*s, r));
        }
    }
    if readers.is_empty() {
        return Err(ApiError::invalid(
            "bank-a may furnish for none of the demo's borrowers",
        ));
    }

    // Proving, before the clock: every core.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let seed = now;
    let proving = Instant::now();
    let done = std::sync::atomic::AtomicU64::new(0);
    let proved: Vec<SignedEntry> = {
        let identity = &identity;
        let readers = &readers;
        let done = &done;
        let parts: Vec<Result<Vec<SignedEntry>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let mut out = Vec::new();
                        for i in (t..records).step_by(threads) {
                            let (subject, to) = &readers[i % readers.len()];
                            let (_, e) = actions::tradeline_entry(
                                to,
                                identity,
                                subject,
                                &tradeline(seed.wrapping_add(i as u64)),
                                None,
                            )?;
                            out.push(e);
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Ok(out)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a prover thread panicked"))
                .collect()
        });
        let mut all = Vec::with_capacity(records);
        for p in parts {
            all.extend(p?);
        }
        all
    };
    let prove_secs = proving.elapsed().as_secs_f64();
    progress("proved", proved.len() as u64, records as u64);
    let raw_prove_ms = {
        let mut rng = rand::rngs::OsRng;
        let openings: Vec<credence_crypto::proof::Opening> = (0..8u64)
            .map(|v| credence_crypto::proof::commit(1_000 + v, &mut rng).1)
            .collect();
        let t = Instant::now();
        let n = 10;
        for _ in 0..n {
            credence_crypto::proof::prove_validity(b"bench", &openings)?;
        }
        t.elapsed().as_secs_f64() * 1000.0 / n as f64
    };
    let raw = raw_verify(&proved[..proved.len().min(64)], &identity.public())?;
    let entry_bytes = credence_ledger::encode::to_bytes(&proved[0]).len();

    // Submission: chunks to all four nodes at once.
    let clients: Vec<_> = MEMBERS
        .iter()
        .map(|m| {
            crate::member::read_info(&Home::new(dir.join(m)))
                .and_then(|info| info.client(&identity))
        })
        .collect::<Result<_>>()?;
    let start_height = view.head()?.map(|h| h.height).unwrap_or(0);
    let before: Vec<(f64, u64, u64)> = pids
        .iter()
        .zip(&homes)
        .map(|(p, h)| {
            (
                cpu_secs(*p).unwrap_or(0.0),
                ledger_bytes(h),
                disk_bytes(&h.join("consensus")),
            )
        })
        .collect();
    let queue: Mutex<VecDeque<Vec<SignedEntry>>> =
        Mutex::new(proved.chunks(chunk.max(1)).map(|c| c.to_vec()).collect());
    let latencies: Mutex<Vec<f64>> = Mutex::new(Vec::new());
    let refused = std::sync::atomic::AtomicUsize::new(0);
    let finals = std::sync::atomic::AtomicU64::new(0);
    let failure: Mutex<Option<ApiError>> = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|s| {
        let mut submitters = Vec::new();
        for client in &clients {
            let (queue, latencies, refused, finals, failure) =
                (&queue, &latencies, &refused, &finals, &failure);
            submitters.push(s.spawn(move || loop {
                let Some(batch) = queue.lock().expect("queue").pop_front() else {
                    return;
                };
                let t = Instant::now();
                match client.submit(&batch, Duration::from_secs(120)) {
                    Ok(receipts) => {
                        let ms = t.elapsed().as_secs_f64() * 1000.0;
                        for r in receipts {
                            match r {
                                Some(Receipt::Final { .. }) => {
                                    finals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                                _ => {
                                    refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                            }
                        }
                        latencies.lock().expect("latencies").push(ms);
                    }
                    Err(e) => {
                        *failure.lock().expect("failure") = Some(e.into());
                        return;
                    }
                }
            }));
        }
        // Progress from this thread until every submitter is done.
        loop {
            let f = finals.load(std::sync::atomic::Ordering::Relaxed)
                + refused.load(std::sync::atomic::Ordering::Relaxed) as u64;
            progress("final", f, records as u64);
            if submitters.iter().all(|t| t.is_finished()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    if let Some(e) = failure.into_inner().expect("failure") {
        return Err(e);
    }
    // Every member applied the last block before it is measured.
    let end_height = view.head()?.map(|h| h.height).unwrap_or(0);
    for h in &homes {
        let l = credence_ledger::Ledger::open_read_only(&h.join("ledger.db"))?;
        credence_ledger::clock::poll(Duration::from_secs(60), Duration::from_millis(50), || {
            Ok::<_, ApiError>(
                (l.head()?.map(|h| h.height).unwrap_or(0) >= end_height).then_some(()),
            )
        })?;
    }
    let n = records.max(1) as f64;
    let members = MEMBERS
        .iter()
        .zip(pids.iter().zip(&homes))
        .zip(before)
        .map(|((name, (pid, home)), (cpu0, led0, con0))| {
            let led = ledger_bytes(home).saturating_sub(led0) as f64;
            let con = disk_bytes(&home.join("consensus")) as f64 - con0 as f64;
            MemberLoad {
                name: name.to_string(),
                cpu_ms_per_record: (cpu_secs(*pid).unwrap_or(cpu0) - cpu0) * 1000.0 / n,
                disk_bytes_per_record: (led + con) / n,
                ledger_bytes_per_record: led / n,
                consensus_bytes_per_record: con / n,
                peak_rss_mib: peak_rss_mib(*pid).unwrap_or(0.0),
            }
        })
        .collect();
    let mut lat = latencies.into_inner().expect("latencies");
    lat.sort_by(|a, b| a.total_cmp(b));
    Ok(IngestReport {
        records,
        chunk,
        prove: ProveFigures {
            threads,
            seconds: prove_secs,
            records_per_s: records as f64 / prove_secs,
            records_per_s_per_core: records as f64 / prove_secs / threads as f64,
            raw_prove_ms,
        },
        seconds,
        finalized_per_s: finals.into_inner() as f64 / seconds,
        refused: refused.into_inner(),
        submit_to_final_p50_ms: pct(&lat, 0.5),
        submit_to_final_p99_ms: pct(&lat, 0.99),
        members,
        raw_verify_ms: raw.per_record_ms,
        raw_validity_single_ms: raw.validity_single_ms,
        raw_validity_batched_ms: raw.validity_batched_ms,
        entry_bytes,
        blocks: end_height.saturating_sub(start_height),
    })
}

struct RawVerify {
    per_record_ms: f64,
    validity_single_ms: f64,
    validity_batched_ms: f64,
}

/// What every member must verify per furnished record, straight from the
/// libraries: the validity proofs (in one batch, as members verify a
/// submitted chunk), the entry's and the seal's signatures.
fn raw_verify(entries: &[SignedEntry], furnisher: &PublicIdentity) -> Result<RawVerify> {
    use credence_crypto::proof::{verify_validity, verify_validity_batch, ValidityCheck};
    let mut records = Vec::with_capacity(entries.len());
    for e in entries {
        let Entry::RecordFurnished(r) = &e.entry else {
            return Err(ApiError::invalid("not a furnished record"));
        };
        let signature = e
            .signatures
            .first()
            .ok_or_else(|| ApiError::invalid("an unsigned entry"))?;
        records.push((
            r,
            credence_ledger::rules::record_validity_context(r),
            credence_ledger::encode::entry_bytes(&e.entry),
            signature,
        ));
    }
    let Some(first) = records.first() else {
        return Err(ApiError::invalid("no records to measure"));
    };
    let rounds = 3;
    // The first check builds the generators, once per process: not per record.
    verify_validity(&first.1, &first.0.commitments, &first.0.validity)?;
    let t = Instant::now();
    for _ in 0..rounds * 4 {
        verify_validity(&first.1, &first.0.commitments, &first.0.validity)?;
    }
    let validity_single_ms = t.elapsed().as_secs_f64() * 1000.0 / (rounds * 4) as f64;
    let checks: Vec<ValidityCheck<'_>> = records
        .iter()
        .map(|(r, context, ..)| ValidityCheck {
            context,
            commitments: &r.commitments,
            proof: &r.validity,
        })
        .collect();
    let per = |t: Instant| t.elapsed().as_secs_f64() * 1000.0 / (rounds * records.len()) as f64;
    let t = Instant::now();
    for _ in 0..rounds {
        verify_validity_batch(&checks)?;
    }
    let validity_batched_ms = per(t);
    let t = Instant::now();
    for _ in 0..rounds {
        for (r, _, bytes, signature) in &records {
            credence_crypto::keys::verify(
                &furnisher.sign,
                credence_ledger::encode::ENTRY_SIG_DOMAIN,
                bytes,
                signature,
            )?;
            r.sealed.verify_signed_by(furnisher)?;
        }
    }
    let signatures_ms = per(t);
    Ok(RawVerify {
        per_record_ms: validity_batched_ms + signatures_ms,
        validity_single_ms,
        validity_batched_ms,
    })
}
