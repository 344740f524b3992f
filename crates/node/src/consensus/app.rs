//! The application consensus drives: propose a block from the mempool, check
//! a proposed block's form, and hand finalized blocks out of the runtime.
//!
//! Entries are judged by the ledger rules when a block is applied (order,
//! then execute); `verify` checks only what needs no state, so validators can
//! vote on a block whose parent they have not applied yet.
use super::block::{ConsensusBlock, MAX_ENTRIES_BYTES, MAX_ENTRIES_PER_BLOCK};
use crate::mempool::Mempool;
use bytes::Bytes;
use commonware_actor::Feedback;
use commonware_consensus::marshal::{ancestry::Ancestry, Update};
use commonware_consensus::simplex::types::Context;
use commonware_consensus::{Application, Heightable, Reporter};
use commonware_cryptography::{ed25519, sha256::Digest, Digested, Digestible};
use commonware_parallel::Sequential;
use commonware_utils::acknowledgement::Exact;
use credence_ledger::clock::unix_now;
use credence_ledger::encode::{entry_id, from_bytes, to_bytes};
use credence_ledger::{Ledger, SignedEntry};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;
pub type Ctx = Context<Digest, ed25519::PublicKey>;

/// How far ahead of a validator's clock a proposed timestamp may be.
const MAX_FUTURE_SECS: u64 = 60;
/// How long a leader with an empty pool waits for entries before skipping its
/// turn: most of the view, since the others nullify it only after the leader
/// timeout (1 s), so an entry arriving meanwhile is proposed at once rather
/// than at the next view.
const IDLE_WAIT: Duration = Duration::from_millis(800);
/// How often the waiting leader looks at the pool (in memory).
const POOL_EVERY: Duration = Duration::from_millis(5);

pub fn decode_entries(bytes: &[u8]) -> Option<Vec<SignedEntry>> {
    from_bytes::<Vec<SignedEntry>>("block entries", bytes).ok()
}

#[derive(Clone)]
pub struct LedgerApp {
    pub me: [u8; 32],
    pub mempool: Arc<Mempool>,
    /// The node's ledger, for the proposer's filter (its own connection).
    pub ledger: Arc<Mutex<Ledger>>,
    /// Test mode: propose whatever is pending, unfiltered (a faulty member).
    pub unfiltered: bool,
}

impl LedgerApp {
    /// Pending entries not already in the parent (which may not be applied
    /// yet), given its entries' ids.
    fn candidates(&self, in_parent: &HashSet<[u8; 32]>) -> Vec<SignedEntry> {
        self.mempool
            .peek(MAX_ENTRIES_PER_BLOCK * 2)
            .into_iter()
            .filter(|e| !in_parent.contains(&entry_id(&e.entry)))
            .collect()
    }

    /// Whether the ledger holds an approved membership change for a later
    /// epoch. Never waits: a busy ledger (the proposer's filter) reads as no.
    fn membership_change_pending(&self) -> bool {
        self.ledger
            .try_lock()
            .ok()
            .and_then(|l| credence_ledger::read::membership_change_pending(&l).ok())
            .unwrap_or(false)
    }

    /// Keep what the rules accept now, off the runtime's threads (proof checks
    /// take milliseconds each).
    async fn filter(&self, timestamp: u64, candidates: Vec<SignedEntry>) -> Vec<SignedEntry> {
        if self.unfiltered {
            return candidates;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ledger = self.ledger.clone();
        std::thread::spawn(move || {
            let verdicts = ledger
                .lock()
                .map_err(|_| ())
                .and_then(|mut l| l.check_candidates(timestamp, &candidates).map_err(|_| ()));
            let kept: Vec<SignedEntry> = match verdicts {
                Ok(v) => candidates
                    .into_iter()
                    .zip(v)
                    .filter(|(_, ok)| ok.is_ok())
                    .map(|(e, _)| e)
                    .collect(),
                Err(()) => Vec::new(),
            };
            let _ = tx.send(kept);
        });
        rx.await.unwrap_or_default()
    }
}

impl<E: Send + 'static> Application<E> for LedgerApp {
    type SigningScheme = Scheme;
    type Context = Ctx;
    type Block = ConsensusBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (_runtime, context): (E, Ctx),
        ancestry: impl Ancestry<ConsensusBlock>,
        _input: (),
    ) -> Option<Digested<ConsensusBlock>> {
        let parent = ancestry.peek()?.inner().clone();
        let in_parent: HashSet<[u8; 32]> = decode_entries(&parent.entries)
            .unwrap_or_default()
            .iter()
            .map(|e| entry_id(&e.entry))
            .collect();
        let mut candidates = self.candidates(&in_parent);
        let waited = std::time::Instant::now();
        while candidates.is_empty() && waited.elapsed() < IDLE_WAIT {
            tokio::time::sleep(POOL_EVERY).await;
            candidates = self.candidates(&in_parent);
        }
        let timestamp = unix_now().max(parent.timestamp);
        let mut kept = if candidates.is_empty() {
            Vec::new()
        } else {
            self.filter(timestamp, candidates).await
        };
        // Nothing to order: let the view pass rather than grow the chain,
        // unless an approved membership change waits for the next epoch,
        // which comes only after the epoch's remaining heights.
        if kept.is_empty() && !self.membership_change_pending() {
            return None;
        }
        kept.truncate(MAX_ENTRIES_PER_BLOCK);
        let mut entries = to_bytes(&kept);
        while entries.len() > MAX_ENTRIES_BYTES && kept.len() > 1 {
            kept.truncate(kept.len() / 2);
            entries = to_bytes(&kept);
        }
        let block = ConsensusBlock::new(
            parent.digest(),
            parent.height().next(),
            timestamp,
            self.me,
            Bytes::from(entries),
        );
        tracing::debug!(round = %context.round, height = block.height.get(), entries = kept.len(), "proposing");
        Some(Digested::compute(block, &Sequential).await)
    }

    async fn verify(
        &mut self,
        (_runtime, context): (E, Ctx),
        ancestry: impl Ancestry<ConsensusBlock>,
    ) -> bool {
        let Some(block) = ancestry.peek() else {
            return false;
        };
        let block = block.inner();
        if block.proposer[..] != *context.leader.as_ref() {
            tracing::warn!("refusing a block whose proposer is not the round's leader");
            return false;
        }
        let Some(entries) = decode_entries(&block.entries) else {
            tracing::warn!("refusing a block whose entries do not decode canonically");
            return false;
        };
        // Empty blocks are allowed: they carry the chain to an epoch boundary.
        if entries.len() > MAX_ENTRIES_PER_BLOCK {
            tracing::warn!(
                entries = entries.len(),
                "refusing a block with too many entries"
            );
            return false;
        }
        if block.timestamp > unix_now() + MAX_FUTURE_SECS {
            tracing::warn!("refusing a block timestamped in the future");
            return false;
        }
        // The parent is the next item of the ancestry; its time bounds ours.
        true
    }
}

/// A finalized block, out of the runtime, with what proves it final.
pub struct Finalized {
    pub block: ConsensusBlock,
    pub digest: Digest,
    /// Encoded finalization certificate if this block was finalized directly.
    pub finalization: Option<Vec<u8>>,
    pub view: u64,
    /// Acknowledge once durably applied; marshal re-delivers what was not.
    pub ack: Exact,
}

/// What consensus hands the service to apply, in height order.
pub enum Delivery {
    /// A block marshal delivered (acknowledge once applied).
    Finalized(Finalized),
    /// Blocks fetched from another member's ledger, their chain checked
    /// (`super::sync`).
    Synced(Vec<(credence_ledger::Block, credence_ledger::Certificate)>),
}

pub enum Delivered {
    Block(Digested<ConsensusBlock>, Exact),
    Tip(u64),
}

/// Marshal's reporter: never blocks, forwards to the bridge task.
#[derive(Clone)]
pub struct FinalizedReporter {
    pub tx: tokio::sync::mpsc::UnboundedSender<Delivered>,
}

impl Reporter for FinalizedReporter {
    type Activity = Update<ConsensusBlock, Exact>;
    fn report(&mut self, activity: Self::Activity) -> Feedback {
        let msg = match activity {
            Update::Block(block, ack) => Delivered::Block(block, ack),
            Update::Tip(_round, height, _digest) => Delivered::Tip(height.get()),
        };
        match self.tx.send(msg) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}
