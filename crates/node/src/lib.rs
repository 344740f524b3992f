//! A member node: its ledger, and how finalized blocks reach it.
//!
//! Today blocks come from `LocalSequencer`, a single-process orderer for tests
//! and the local demo — it is not consensus. It hands each block to every
//! member through `Node::on_finalized`, the one path by which a node stores a
//! block, which the BFT consensus integration will call in its place.
#![forbid(unsafe_code)]

pub mod auth;
pub mod client;
pub mod client_api;
pub mod consensus;
pub mod health;
pub mod mempool;
pub mod operators;
pub mod remote;
mod sequencer;
pub mod service;
pub mod tls;

pub use remote::RemoteConsortium;
pub use sequencer::{LocalConsortium, Receipt};

use credence_crypto::{Identity, PartyId, PublicIdentity};
use credence_ledger::encode::{block_hash, check_certificate};
use credence_ledger::{
    Applied, Block, Certificate, Entry, Ledger, LedgerError, Rejection, SignedEntry,
};
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("member {member} refused block {height}: {why}")]
    Refused {
        member: String,
        height: u64,
        why: String,
    },
    #[error("entry rejected: {0}")]
    Rejected(Rejection),
    #[error("no member named {0} in this consortium")]
    UnknownMember(String),
    #[error("cannot reach the node at {0}; is it running?")]
    Unreachable(String),
    /// TLS reached a node whose certificate is not the pinned one.
    #[error(
        "the node at {0} presented a TLS certificate other than the one pinned for it: another \
         node answers there, or something sits in between; nothing was sent"
    )]
    WrongCertificate(String),
    /// Reached, but what was submitted did not become final in time (no
    /// quorum of members running, or a member's copy lagging).
    #[error("{0}")]
    NotFinal(String),
    #[error("the node refused the request ({code}): {message}")]
    Api {
        status: u16,
        code: credence_ledger::ErrorCode,
        message: String,
    },
    #[error("{0}")]
    Io(String),
    /// The ledger file is damaged (SQLite's integrity check failed).
    #[error("the ledger file is damaged: {0}")]
    Corrupt(String),
    /// The ledger holds another consortium's genesis.
    #[error("{0}")]
    GenesisMismatch(String),
    /// A part of the node failed while running.
    #[error("the node stopped because a part of it failed: {0}")]
    Failed(String),
}

/// How the use cases reach a consortium: submit signed entries and wait until
/// each is final or refused; read the ledger as one member holds it. The
/// in-process `LocalConsortium` and the client of a running node both
/// implement it, so the API, the desktop app and the tests do not care which.
pub trait Network: Send {
    /// Submit entries; returns when each is final or refused, in order.
    fn submit(&mut self, entries: Vec<SignedEntry>) -> Result<Vec<Receipt>, NodeError>;
    /// The ledger as `member` holds it (read only).
    fn view(&self, member: &PartyId) -> Result<&Ledger, NodeError>;
    /// The consortium's notion of now (Unix seconds), for expiries.
    fn now(&self) -> u64;
}

/// One member's node: its identity, and its own copy of the ledger.
pub struct Node {
    pub name: String,
    identity: Identity,
    ledger: Ledger,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({}, {:?})", self.name, self.ledger)
    }
}

impl Node {
    pub fn new(name: impl Into<String>, identity: Identity, ledger: Ledger) -> Self {
        Node {
            name: name.into(),
            identity,
            ledger,
        }
    }

    pub fn party(&self) -> PartyId {
        self.identity.party_id()
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Store a finalized block: check who certified it, then validate every
    /// entry by the rules and apply it in one transaction. Idempotent.
    /// Store a finalized block: check who certified it, then judge every
    /// entry by the rules and apply it in one transaction. Idempotent.
    ///
    /// Consensus certificates arrive from the engine, which verified the
    /// finalization before delivering the block; their bytes are kept as
    /// evidence for `credence verify`.
    pub fn on_finalized(
        &mut self,
        block: &Block,
        cert: &Certificate,
    ) -> Result<Applied, NodeError> {
        let height = block.header.height;
        let refuse = |why: String| NodeError::Refused {
            member: self.name.clone(),
            height,
            why,
        };
        match cert {
            Certificate::Sequencer { signer: who, .. } => {
                let signer: Option<PublicIdentity> = if height == 0 {
                    match block.entries.first().map(|e| &e.entry) {
                        Some(Entry::Genesis(g)) => g
                            .members
                            .iter()
                            .find(|m| m.key.party_id() == *who)
                            .map(|m| m.key),
                        _ => None,
                    }
                } else {
                    credence_ledger::read::member(&self.ledger, who)?.map(|m| m.key)
                };
                let Some(signer) = signer else {
                    return Err(refuse("certified by a non-member".into()));
                };
                if *who != block.header.proposer {
                    return Err(refuse("the certificate is not the proposer's".into()));
                }
                check_certificate(&block_hash(block), cert, &signer)
                    .map_err(|e| refuse(e.to_string()))?;
            }
            Certificate::Genesis if height == 0 => {}
            Certificate::Genesis => {
                return Err(refuse("a genesis certificate above block 0".into()))
            }
            Certificate::Consensus { .. } if height == 0 => {
                return Err(refuse("block 0 is the genesis".into()))
            }
            Certificate::Consensus { .. } => {}
        }
        Ok(self.ledger.apply_block(block, cert)?)
    }

    /// Store a block fetched from another member's ledger while catching up
    /// (`consensus::sync`, which checked its certificate chain against the
    /// members of its epoch): its entries are judged by the rules as any
    /// finalized block's; erased payloads are accepted as the chain left them.
    pub fn on_synced(&mut self, block: &Block, cert: &Certificate) -> Result<Applied, NodeError> {
        let height = block.header.height;
        if height == 0 || !matches!(cert, Certificate::Consensus { .. }) {
            return Err(NodeError::Refused {
                member: self.name.clone(),
                height,
                why: "a synced block must be above the genesis, with a consensus certificate"
                    .into(),
            });
        }
        Ok(self.ledger.apply_synced_block(block, cert)?)
    }
}
