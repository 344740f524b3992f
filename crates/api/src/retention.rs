//! Retention (FCRA §605's seven years, or the genesis policy's period): a
//! record past it is erased at every member. `credence erase --expired`
//! does it by hand; every running node also sweeps on its own, erasing the
//! records its member furnished, and the regulator's node every record due,
//! so a record whose furnisher left is erased too. Two members erasing the
//! same record is harmless: the second is refused as already erased.
use crate::desk;
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::Identity;
use credence_ledger::clock::unix_now;
use credence_ledger::read::RecordInfo;
use credence_ledger::types::{ErasureGrounds, Role};
use credence_ledger::{read, Id, Ledger};
use credence_node::client::NodeClient;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a node waits for its erasures to be final.
const FINAL_WAIT: Duration = Duration::from_secs(60);
/// Most records one sweep erases (the next sweep takes the rest).
pub const MAX_SWEEP: usize = 10_000;
/// How often a running node sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Erase `due` (records past retention) as `me`, in parts of 64, with
/// `progress(done, total)`; the records erased. One another member erased
/// meanwhile is skipped, not counted as a failure.
pub fn erase_due(
    view: &Ledger,
    me: &Identity,
    client: &NodeClient,
    due: &[RecordInfo],
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<Id>> {
    let total = due.len();
    progress(0, total);
    let mut erased = Vec::with_capacity(total);
    for part in due.chunks(64) {
        let entries = part
            .iter()
            .map(|r| {
                crate::actions::erase_record(view, me, &r.record_id, ErasureGrounds::Retention)
            })
            .collect::<Result<Vec<_>>>()?;
        let receipts = client.submit(&entries, FINAL_WAIT)?;
        for (receipt, rec) in receipts.into_iter().zip(part) {
            let Some(receipt) = receipt else {
                return Err(ApiError::new(
                    ErrorCode::Timeout,
                    format!(
                        "{} of {total} records erased; the rest were not final within {} s (run it again: nothing is erased twice)",
                        erased.len(),
                        FINAL_WAIT.as_secs()
                    ),
                ));
            };
            match desk::settled(receipt) {
                Ok(_) => erased.push(rec.record_id),
                Err(e)
                    if e.code
                        == ErrorCode::Rejected(credence_ledger::RejectCode::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        progress(erased.len(), total);
    }
    Ok(erased)
}

/// The records past retention at `now` that `me` sweeps: those it
/// furnished, or, for the regulator, every one.
pub fn due_for(view: &Ledger, me: &Identity, now: u64) -> Result<Vec<RecordInfo>> {
    let regulator = read::member(view, &me.party_id())?.is_some_and(|m| m.role == Role::Regulator);
    Ok(read::records_past_retention(view, now, MAX_SWEEP)?
        .into_iter()
        .filter(|r| regulator || r.furnisher == me.party_id())
        .collect())
}

/// Sweep every `every` (the first soon after the start, once the node has
/// caught up a little) until `stop` is set. A failed sweep is logged and
/// tried again at the next.
pub fn run(
    ledger_file: &Path,
    me: &Identity,
    client: &NodeClient,
    stop: &AtomicBool,
    every: Duration,
) {
    let mut next = Instant::now() + Duration::from_secs(30).min(every);
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() < next {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        next = Instant::now() + every;
        let swept = Ledger::open_read_only(ledger_file)
            .map_err(ApiError::from)
            .and_then(|view| {
                let due = due_for(&view, me, unix_now())?;
                erase_due(&view, me, client, &due, |_, _| {})
            });
        match swept {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => tracing::info!(erased = ids.len(), "records past retention erased"),
            Err(e) => {
                tracing::warn!(error = %e, "retention sweep failed; trying again at the next")
            }
        }
    }
}
