//! `LocalSequencer`: orders submitted entries into blocks inside one process
//! and delivers each block to every member's node. For tests and the local
//! demo only: one proposer, no fault tolerance, not consensus.
use crate::{Network, Node, NodeError};
use credence_crypto::PartyId;
use credence_ledger::clock::{Clock, SystemClock};
use credence_ledger::encode::{block_hash, certify, entries_root, entry_id};
use credence_ledger::{Block, BlockHeader, Certificate, Id, Ledger, Rejection, SignedEntry};
use std::sync::Arc;

/// What became of one submitted entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Final at this height (every member stored it).
    Final { height: u64, entry_id: Id },
    /// Refused by the rules; nothing changed.
    Rejected(Rejection),
}

impl Receipt {
    pub fn into_result(self) -> Result<(u64, Id), Rejection> {
        match self {
            Receipt::Final { height, entry_id } => Ok((height, entry_id)),
            Receipt::Rejected(r) => Err(r),
        }
    }
}

/// All members of a consortium in one process, with the first node proposing.
pub struct LocalConsortium {
    nodes: Vec<Node>,
    clock: Arc<dyn Clock>,
    max_block_entries: usize,
}

impl LocalConsortium {
    /// `nodes[0]` proposes. Every node must already hold the same genesis, or
    /// none (then call `start` with the genesis entry).
    pub fn new(nodes: Vec<Node>) -> Self {
        LocalConsortium {
            nodes,
            clock: Arc::new(SystemClock),
            max_block_entries: 512,
        }
    }

    /// Replace the clock (tests move time forward to expire consents).
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    pub fn set_max_block_entries(&mut self, n: usize) {
        self.max_block_entries = n.max(1);
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn node(&self, party: &PartyId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.party() == *party)
    }

    pub fn node_by_name(&self, name: &str) -> Result<&Node, NodeError> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| NodeError::UnknownMember(name.into()))
    }

    /// Order the entries into blocks and deliver them to every member.
    /// Entries the rules refuse come back as `Receipt::Rejected`; the rest are
    /// final when this returns.
    pub fn submit(&mut self, entries: Vec<SignedEntry>) -> Result<Vec<Receipt>, NodeError> {
        let mut receipts = Vec::with_capacity(entries.len());
        for chunk in entries.chunks(self.max_block_entries) {
            receipts.extend(self.submit_block(chunk)?);
        }
        Ok(receipts)
    }

    fn submit_block(&mut self, candidates: &[SignedEntry]) -> Result<Vec<Receipt>, NodeError> {
        let timestamp = {
            let head_ts = self.nodes[0]
                .ledger()
                .head()?
                .map(|h| h.timestamp)
                .unwrap_or(0);
            self.now().max(head_ts)
        };
        let checks = self.nodes[0]
            .ledger_mut()
            .check_candidates(timestamp, candidates)?;
        let accepted: Vec<SignedEntry> = candidates
            .iter()
            .zip(&checks)
            .filter(|(_, c)| c.is_ok())
            .map(|(e, _)| e.clone())
            .collect();
        let mut height = None;
        if !accepted.is_empty() {
            let head = self.nodes[0].ledger().head()?;
            let header = BlockHeader {
                height: head.map(|h| h.height + 1).unwrap_or(0),
                parent: head.map(|h| h.hash).unwrap_or([0u8; 32]),
                timestamp,
                proposer: self.nodes[0].party(),
                entries_root: entries_root(&accepted),
            };
            let block = Block {
                header,
                entries: accepted,
            };
            let cert = certify(&block_hash(&block), self.nodes[0].identity());
            self.deliver(&block, &cert)?;
            height = Some(block.header.height);
        }
        Ok(candidates
            .iter()
            .zip(checks)
            .map(|(e, c)| match c {
                Ok(()) => Receipt::Final {
                    height: height.unwrap_or(0),
                    entry_id: entry_id(&e.entry),
                },
                Err(r) => Receipt::Rejected(r),
            })
            .collect())
    }

    /// Deliver a finalized block to every node, in parallel (each has its own
    /// database connection).
    pub fn deliver(&mut self, block: &Block, cert: &Certificate) -> Result<(), NodeError> {
        let results: Vec<Result<_, NodeError>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .nodes
                .iter_mut()
                .map(|n| s.spawn(move || n.on_finalized(block, cert)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a node thread panicked"))
                .collect()
        });
        for r in results {
            r?;
        }
        tracing::debug!(
            height = block.header.height,
            entries = block.entries.len(),
            "block final at every member"
        );
        Ok(())
    }
}

impl Network for LocalConsortium {
    fn submit(&mut self, entries: Vec<SignedEntry>) -> Result<Vec<Receipt>, NodeError> {
        LocalConsortium::submit(self, entries)
    }
    fn view(&self, member: &PartyId) -> Result<&Ledger, NodeError> {
        self.node(member)
            .map(|n| n.ledger())
            .ok_or_else(|| NodeError::UnknownMember(member.short()))
    }
    fn now(&self) -> u64 {
        LocalConsortium::now(self)
    }
}
