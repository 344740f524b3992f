//! A member's automatic duties, run inside `credence node run --auto-answer`:
//! an agency proves and submits the answer to each question addressed to it,
//! and contests any record it cannot use because its sealed content does not
//! open its commitments; a regulator judges the records contested to it.
use crate::actions;
use credence_crypto::Identity;
use credence_ledger::clock::unix_now;
use credence_ledger::{read, Id, Ledger};
use credence_node::client::NodeClient;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long an open question waits before it is tried again.
const RETRY: Duration = Duration::from_secs(3);
/// How often the agency looks at its ledger's head (a cheap read).
const HEAD_EVERY: Duration = Duration::from_millis(10);
/// How often it reads the open questions when no block landed.
const RESCAN: Duration = Duration::from_millis(500);

/// Do `me`'s duties (by its role on the ledger) until `stop` is set.
pub fn run(ledger_file: &Path, me: &Identity, client: &NodeClient, stop: &AtomicBool) {
    let mut view: Option<Ledger> = None;
    let mut judged: HashSet<Id> = HashSet::new();
    while !stop.load(Ordering::SeqCst) {
        if view.is_none() {
            view = Ledger::open_read_only(ledger_file).ok();
        }
        let role = view
            .as_ref()
            .and_then(|v| {
                credence_ledger::read::member(v, &me.party_id())
                    .ok()
                    .flatten()
            })
            .map(|m| m.role);
        match role {
            Some(credence_ledger::Role::Agency) => return answer(ledger_file, me, client, stop),
            Some(credence_ledger::Role::Regulator) => {
                if let Some(v) = view.as_ref() {
                    judge(v, me, client, &mut judged);
                }
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A regulator: judge every record contested to it (once each; again only if
/// the verdict did not land).
fn judge(v: &Ledger, me: &Identity, client: &NodeClient, judged: &mut HashSet<Id>) {
    let open = match read::record_reviews(v, Some(&me.party_id())) {
        Ok(r) => r,
        Err(e) => return tracing::warn!(error = %e, "cannot read the reviews"),
    };
    let open_ids: HashSet<Id> = open.iter().map(|r| r.record_id).collect();
    judged.retain(|id| open_ids.contains(id));
    let mut verdicts = Vec::new();
    let todo: Vec<_> = open
        .iter()
        .filter(|r| !judged.contains(&r.record_id))
        .collect();
    for r in todo {
        match actions::judge_record(v, me, &r.record_id) {
            Ok((unusable, e)) => {
                tracing::warn!(record = %hex::encode(&r.record_id[..8]), unusable, "contested record judged");
                judged.insert(r.record_id);
                verdicts.push(e);
            }
            Err(e) => {
                tracing::warn!(record = %hex::encode(&r.record_id[..8]), "cannot judge: {}", e.message)
            }
        }
    }
    if !verdicts.is_empty() {
        if let Err(e) = client.submit(&verdicts, Duration::from_millis(0)) {
            tracing::warn!(error = %e, "cannot submit verdicts; will retry");
            judged.clear();
        }
    }
}

/// An agency: answer until `stop` is set. Errors are logged and retried; a
/// query is tried again only if its answer did not land.
fn answer(ledger_file: &Path, agency: &Identity, client: &NodeClient, stop: &AtomicBool) {
    // When each open question was last tried: one still open a while after
    // (its answer refused, or a record it needs under review) is tried again.
    let mut tried: std::collections::HashMap<Id, std::time::Instant> = Default::default();
    let me = agency.party_id();
    let mut view: Option<Ledger> = None;
    // The questions are read again as soon as a block lands (the head is
    // checked every `HEAD_EVERY`), and every `RESCAN` anyway (retries).
    let mut seen: Option<(u64, std::time::Instant)> = None;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(HEAD_EVERY);
        if view.is_none() {
            view = Ledger::open_read_only(ledger_file).ok();
        }
        let Some(v) = view.as_ref() else { continue };
        let head = v.head().ok().flatten().map(|h| h.height).unwrap_or(0);
        if seen.is_some_and(|(h, at)| h == head && at.elapsed() < RESCAN) {
            continue;
        }
        seen = Some((head, std::time::Instant::now()));
        let open = match read::queries(
            v,
            &read::QueryFilter {
                responder: Some(me),
                unanswered_only: true,
                limit: Some(512),
                ..Default::default()
            },
        ) {
            Ok(q) => q,
            Err(e) => {
                tracing::warn!(error = %e, "responder cannot read the ledger");
                continue;
            }
        };
        // Forget answers that landed; retry those that did not after a while.
        let open_ids: HashSet<Id> = open.iter().map(|q| q.query_id).collect();
        tried.retain(|id, _| open_ids.contains(id));
        let todo: Vec<_> = open
            .iter()
            .filter(|q| tried.get(&q.query_id).is_none_or(|t| t.elapsed() > RETRY))
            .collect();
        if todo.is_empty() {
            continue;
        }
        let mut contests = Vec::new();
        let jobs: Vec<_> = todo
            .iter()
            .filter_map(|q| match actions::prepare_answer(v, agency, &q.query_id, unix_now()) {
                Ok(j) => Some(j),
                Err(e) => {
                    tracing::warn!(query = %hex::encode(&q.query_id[..8]), code = e.code.as_str(), "cannot answer: {}", e.message);
                    if e.code == crate::ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal) {
                        // A record the answer needs cannot be used: hand it to
                        // the regulator; once judged unusable the rules leave it
                        // out and the question is answered over the rest.
                        match actions::records_to_contest(v, agency, &q.subject) {
                            Ok(ids) => contests.extend(ids.iter().filter_map(|id| {
                                actions::contest_record(v, agency, id)
                                    .map_err(|e| tracing::warn!("cannot contest: {}", e.message))
                                    .ok()
                            })),
                            Err(e) => tracing::warn!("cannot look for records to contest: {}", e.message),
                        }
                    }
                    None
                }
            })
            .collect();
        if !contests.is_empty() {
            match client.submit(&contests, Duration::from_millis(0)) {
                Ok(_) => tracing::warn!(
                    records = contests.len(),
                    "records contested to the regulator"
                ),
                Err(e) => tracing::warn!(error = %e, "cannot submit contests; will retry"),
            }
        }
        let entries: Vec<_> = jobs
            .par_iter()
            .filter_map(|j| match j.prove(agency) {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::warn!(query = %hex::encode(&j.query_id()[..8]), code = e.code.as_str(), "cannot prove the answer: {}", e.message);
                    None
                }
            })
            .collect();
        let now = std::time::Instant::now();
        for q in &todo {
            tried.insert(q.query_id, now);
        }
        if entries.is_empty() {
            continue;
        }
        match client.submit(&entries, Duration::from_millis(0)) {
            Ok(_) => tracing::info!(answers = entries.len(), "answers submitted"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot submit answers; will retry");
                for q in &todo {
                    tried.remove(&q.query_id);
                }
            }
        }
    }
}
