//! An agency's automatic answering: watch the agency's own ledger for
//! questions addressed to it, prove each answer and submit it to its node.
//! Runs inside `credence node run --auto-answer`.
use crate::actions;
use credence_crypto::Identity;
use credence_ledger::{read, Id, Ledger};
use credence_node::client::NodeClient;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Answer until `stop` is set. Errors are logged and retried; a query is
/// tried again only if its answer did not land.
pub fn run(ledger_file: &Path, agency: &Identity, client: &NodeClient, stop: &AtomicBool) {
    let mut sent: HashSet<Id> = HashSet::new();
    let me = agency.party_id();
    let mut view: Option<Ledger> = None;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
        if view.is_none() {
            view = Ledger::open_read_only(ledger_file).ok();
        }
        let Some(v) = view.as_ref() else { continue };
        let open = match read::queries(
            v.conn(),
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
        sent.retain(|id| open_ids.contains(id));
        let todo: Vec<_> = open
            .iter()
            .filter(|q| !sent.contains(&q.query_id))
            .collect();
        if todo.is_empty() {
            continue;
        }
        let jobs: Vec<_> = todo
            .iter()
            .filter_map(|q| match actions::prepare_answer(v, agency, &q.query_id) {
                Ok(j) => Some(j),
                Err(e) => {
                    tracing::warn!(query = %hex::encode(&q.query_id[..8]), code = e.code.as_str(), "cannot answer: {}", e.message);
                    None
                }
            })
            .collect();
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
        for q in &todo {
            sent.insert(q.query_id);
        }
        if entries.is_empty() {
            continue;
        }
        match client.submit(&entries, Duration::from_millis(0)) {
            Ok(_) => tracing::info!(answers = entries.len(), "answers submitted"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot submit answers; will retry");
                for q in &todo {
                    sent.remove(&q.query_id);
                }
            }
        }
    }
}
