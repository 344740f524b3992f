//! Entries waiting for a block, and the outcomes clients wait for.
//!
//! Shared by the client API (adds entries, waits for outcomes), the gossip
//! (adds entries heard from other members) and the application (takes
//! entries to propose, reports what finalized blocks did with them).
use crate::Receipt;
use credence_ledger::encode::entry_id;
use credence_ledger::{Id, Rejection, SignedEntry};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most entries held; beyond it new ones are refused (back-pressure).
pub const MAX_PENDING: usize = 50_000;
/// Outcomes remembered for late waiters.
const MAX_OUTCOMES: usize = 200_000;

#[derive(Default)]
struct Inner {
    order: VecDeque<Id>,
    pending: HashMap<Id, (SignedEntry, Instant)>,
    outcomes: HashMap<Id, Receipt>,
    outcome_order: VecDeque<Id>,
}

#[derive(Default)]
pub struct Mempool {
    inner: Mutex<Inner>,
    /// Wakes waiters (the client API) when outcomes arrive.
    decided: tokio::sync::Notify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New,
    /// Already pending or already decided.
    Known,
    /// The pool is full; try again later.
    Full,
}

impl Mempool {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&self, e: SignedEntry) -> Added {
        let id = entry_id(&e.entry);
        let mut g = self.inner.lock().expect("mempool lock");
        if g.pending.contains_key(&id) || g.outcomes.contains_key(&id) {
            return Added::Known;
        }
        if g.pending.len() >= MAX_PENDING {
            return Added::Full;
        }
        g.order.push_back(id);
        g.pending.insert(id, (e, Instant::now()));
        Added::New
    }

    pub fn len(&self) -> usize {
        self.inner.lock().expect("mempool lock").pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `max` pending entries, oldest first (they stay pending until a
    /// finalized block decides them).
    pub fn peek(&self, max: usize) -> Vec<SignedEntry> {
        let g = self.inner.lock().expect("mempool lock");
        g.order
            .iter()
            .filter_map(|id| g.pending.get(id))
            .take(max)
            .map(|(e, _)| e.clone())
            .collect()
    }

    /// Entries pending for longer than `age`: the ones to judge again, since
    /// the state may have moved on since they arrived.
    pub fn older_than(&self, age: Duration) -> Vec<SignedEntry> {
        let g = self.inner.lock().expect("mempool lock");
        g.order
            .iter()
            .filter_map(|id| g.pending.get(id))
            .filter(|(_, t)| t.elapsed() >= age)
            .map(|(e, _)| e.clone())
            .collect()
    }

    /// Record what happened to entries: final in a block, or refused.
    pub fn decide(&self, outcomes: Vec<(Id, Receipt)>) {
        if outcomes.is_empty() {
            return;
        }
        let mut g = self.inner.lock().expect("mempool lock");
        let mut gone = HashSet::new();
        for (id, r) in outcomes {
            g.pending.remove(&id);
            gone.insert(id);
            if g.outcomes.insert(id, r).is_none() {
                g.outcome_order.push_back(id);
            }
        }
        g.order.retain(|id| !gone.contains(id));
        while g.outcome_order.len() > MAX_OUTCOMES {
            if let Some(old) = g.outcome_order.pop_front() {
                g.outcomes.remove(&old);
            }
        }
        drop(g);
        self.decided.notify_waiters();
    }

    pub fn reject(&self, id: Id, why: Rejection) {
        self.decide(vec![(id, Receipt::Rejected(why))]);
    }

    /// The outcomes known now; `None` = still pending (or unknown).
    pub fn outcomes(&self, ids: &[Id]) -> Vec<Option<Receipt>> {
        let g = self.inner.lock().expect("mempool lock");
        ids.iter().map(|id| g.outcomes.get(id).cloned()).collect()
    }

    /// Wait until every id is decided or `timeout` passes (`None` = still
    /// pending); holds no thread while waiting.
    pub async fn wait_async(&self, ids: &[Id], timeout: Duration) -> Vec<Option<Receipt>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register before looking, so an outcome decided in between
            // still wakes this waiter.
            let notified = self.decided.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.outcomes(ids);
            if now.iter().all(Option::is_some) || tokio::time::Instant::now() >= deadline {
                return now;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Wake waiters (e.g. on shutdown).
    pub fn wake(&self) {
        self.decided.notify_waiters();
    }
}
