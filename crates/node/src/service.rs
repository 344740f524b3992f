//! A member node process: its ledger, consensus with the other members, the
//! mempool and the client API, wired together.
//!
//! Threads: consensus (its own runtime), the client API workers, and this
//! one, which applies finalized blocks to the ledger in height order — one
//! transaction each, idempotent — and only then acknowledges them, so a crash
//! at any point loses nothing and applies nothing twice.
use crate::client_api::{self, ApiContext, ApiLimits};
use crate::consensus::{
    self,
    app::{Delivery, Finalized},
    block::from_digest,
    ConsensusConfig, Validator,
};
use crate::health::Health;
use crate::mempool::Mempool;
use crate::{Node, NodeError, Receipt};
use commonware_utils::Acknowledgement as _;
use credence_crypto::keys::party_id_of;
use credence_crypto::Identity;
use credence_ledger::encode::{entries_root, entry_id};
use credence_ledger::{Applied, Block, BlockHeader, Certificate, Entry, Ledger, SignedEntry};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ServiceConfig {
    pub name: String,
    pub role: String,
    pub identity: Identity,
    pub home: PathBuf,
    pub consortium: String,
    pub created_at: u64,
    /// The fully signed genesis entry.
    pub genesis: SignedEntry,
    pub validators: Vec<Validator>,
    pub p2p: SocketAddr,
    pub api: SocketAddr,
    /// The client API's TLS certificate (DER), made at `node init`; its key
    /// is derived from `identity`. Without it the API must be on loopback.
    pub tls_cert: Option<Vec<u8>>,
    /// Test mode: propose pending entries without the rules' filter.
    pub unfiltered: bool,
    /// Test mode: lie to borrowers' light clients this way.
    pub lie: Option<client_api::Lie>,
    /// The node's health and stop flag, shared with what runs beside it
    /// (an agency's responder).
    pub health: Arc<Health>,
    /// Furnishing for the member's officers (a lender's node).
    pub furnisher: Option<Arc<dyn client_api::Furnisher>>,
    /// How many recent blocks the consensus store keeps
    /// (`consensus::DEFAULT_KEEP_BLOCKS` unless the operator chose).
    pub keep_blocks: u64,
}

/// Ledger block 0: the genesis entry, at the consortium's creation time.
pub fn genesis_ledger_block(
    cfg_genesis: &SignedEntry,
    created_at: u64,
) -> Result<Block, NodeError> {
    let Entry::Genesis(g) = &cfg_genesis.entry else {
        return Err(NodeError::Io(
            "the genesis file does not hold a genesis entry".into(),
        ));
    };
    let first = g
        .members
        .first()
        .ok_or_else(|| NodeError::Io("the genesis names no members".into()))?;
    let entries = vec![cfg_genesis.clone()];
    Ok(Block {
        header: BlockHeader {
            height: 0,
            parent: [0u8; 32],
            timestamp: created_at,
            proposer: first.key.party_id(),
            entries_root: entries_root(&entries),
        },
        entries,
    })
}

/// Check a member's ledger file before serving from it: SQLite's own
/// integrity check, then that its block 0 is this consortium's genesis.
pub fn check_ledger(ledger: &Ledger, genesis: &Block) -> Result<(), NodeError> {
    if let Err(e) = ledger.integrity_check() {
        return Err(NodeError::Corrupt(format!(
            "{e}. Stop the node, move the ledger file (and its -wal and -shm files) aside, and \
             start the node again: it catches up from the other members"
        )));
    }
    if let Some((stored, _)) = ledger.block(0)? {
        if stored != *genesis {
            return Err(NodeError::GenesisMismatch(format!(
                "the ledger's block 0 is {} but the genesis file gives {}: this ledger belongs \
                 to another consortium (or another genesis). Check --genesis, or use another --home",
                hex::encode(&credence_ledger::encode::block_hash(&stored)[..8]),
                hex::encode(&credence_ledger::encode::block_hash(genesis)[..8]),
            )));
        }
    }
    Ok(())
}

/// Why a node that did not fail stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Ctrl-C, SIGTERM or the stop flag.
    Asked,
    /// The member's key rotation takes effect at `epoch`, whose first block
    /// is next: the node must run again with the new key (its consensus and
    /// p2p identity), which whoever runs it holds in the keystore.
    KeyRotated { epoch: u64 },
}

/// Run until stopped (Ctrl-C, SIGTERM, or the stop flag), or until the
/// member's own key changes at an epoch boundary. Returns an error if any
/// part of the node failed.
pub fn run(cfg: ServiceConfig) -> Result<Stopped, NodeError> {
    let ledger_path = cfg.home.join("ledger.db");
    let genesis = genesis_ledger_block(&cfg.genesis, cfg.created_at)?;
    let mut node = Node::new(
        cfg.name.clone(),
        cfg.identity.clone(),
        Ledger::open(&ledger_path)?,
    );
    check_ledger(node.ledger(), &genesis)?;
    if node.ledger().head()?.is_none() {
        node.on_finalized(&genesis, &Certificate::Genesis)?;
        tracing::info!("ledger created from the genesis");
    }
    let head = node
        .ledger()
        .head()?
        .ok_or_else(|| NodeError::Io("the ledger has no block 0 after the genesis".into()))?;
    tracing::info!(name = %cfg.name, height = head.height, "node starting");

    let mempool = Arc::new(Mempool::new());
    let (gossip_tx, gossip_rx) = tokio::sync::mpsc::unbounded_channel();
    let health = cfg.health.clone();
    let stop = health.stop_flag();
    let api_ctx = Arc::new(ApiContext {
        name: cfg.name.clone(),
        role: cfg.role.clone(),
        party: cfg.identity.party_id(),
        consortium: cfg.consortium.clone(),
        genesis: credence_ledger::encode::block_hash(&genesis),
        ledger_path: ledger_path.clone(),
        mempool: mempool.clone(),
        gossip: Some(gossip_tx),
        health: health.clone(),
        unfiltered: cfg.unfiltered,
        lie: cfg.lie,
        acting: Some(client_api::Acting {
            identity: cfg.identity.clone(),
            operators: crate::operators::Operators::new(&cfg.home, cfg.identity.public()),
            furnisher: cfg.furnisher.clone(),
        }),
        tls: match &cfg.tls_cert {
            // The certificate was made from the member's key at `node
            // init`; after a rotation that key is among the earlier ones.
            Some(c) => Some(
                crate::tls::server_config(
                    std::iter::once(&cfg.identity)
                        .chain(cfg.identity.earlier())
                        .find(|i| crate::tls::is_ours(i, c).unwrap_or(false))
                        .unwrap_or(&cfg.identity),
                    c,
                )
                .map_err(|e| NodeError::Io(e.to_string()))?,
            ),
            None => None,
        },
    });
    let api = client_api::serve(cfg.api, api_ctx, ApiLimits::default())
        .map_err(|e| NodeError::Io(format!("client API on {}: {e}", cfg.api)))?;

    let proposer_key = {
        let Entry::Genesis(g) = &cfg.genesis.entry else {
            unreachable!("checked above")
        };
        g.members[0].key.sign
    };
    let genesis_block =
        consensus::genesis_block(&cfg.consortium, cfg.created_at, proposer_key, &cfg.genesis);
    let (out_tx, out_rx) = std::sync::mpsc::channel::<Delivery>();
    let ccfg = ConsensusConfig {
        namespace: consensus::namespace(&cfg.consortium),
        seed: cfg.identity.signing_seed(),
        validators: cfg.validators.clone(),
        listen: cfg.p2p,
        storage: cfg.home.join("consensus"),
        genesis: genesis_block,
        mempool: mempool.clone(),
        ledger: Arc::new(Mutex::new(Ledger::open(&ledger_path)?)),
        ledger_path: ledger_path.clone(),
        keep_blocks: cfg.keep_blocks,
        gossip_out: gossip_rx,
        unfiltered: cfg.unfiltered,
        stop: stop.clone(),
        health: health.clone(),
    };
    let consensus_thread = health
        .spawn("consensus", move || consensus::run(ccfg, out_tx))
        .map_err(|e| NodeError::Io(e.to_string()))?;

    let mut recheck = Instant::now();
    let mut result = Ok(());
    let mut stopped = Stopped::Asked;
    loop {
        let f = match out_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(f) => f,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !stop.load(Ordering::SeqCst) => {
                continue
            }
            Err(_) => {
                if !stop.load(Ordering::SeqCst) {
                    health.fail(
                        "consensus",
                        "stopped delivering blocks without being asked to",
                    );
                }
                break;
            }
        };
        match f {
            Delivery::Finalized(f) => {
                if let Err(e) = apply_finalized(&mut node, &mempool, f) {
                    tracing::error!(error = %e, "cannot apply a finalized block; stopping");
                    result = Err(e);
                    break;
                }
            }
            Delivery::Synced(blocks) => apply_synced(&mut node, &mempool, blocks),
        }
        match key_for_next_block(node.ledger(), &cfg.identity) {
            Ok(Some(epoch)) => {
                tracing::info!(
                    epoch,
                    "this member's key rotation takes effect now: stopping to run again with the new key"
                );
                stopped = Stopped::KeyRotated { epoch };
                break;
            }
            Ok(None) => {}
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        // Entries waiting a while are judged again: the state may have moved
        // on (a consent revoked, a query answered); what fails now is told so.
        if recheck.elapsed() > Duration::from_secs(2) {
            recheck = Instant::now();
            let stale = mempool.older_than(Duration::from_secs(5));
            if !stale.is_empty() {
                let now = credence_ledger::clock::unix_now();
                let verdicts = match node.ledger_mut().check_candidates(now, &stale) {
                    Ok(v) => v,
                    Err(e) => {
                        result = Err(e.into());
                        break;
                    }
                };
                for (e, v) in stale.iter().zip(verdicts) {
                    if let Err(r) = v {
                        mempool.reject(entry_id(&e.entry), r);
                    }
                }
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    mempool.wake();
    let _ = consensus_thread.join();
    api.join();
    if let Err(e) = node.ledger().checkpoint() {
        tracing::warn!(error = %e, "could not checkpoint the ledger's write-ahead log");
    }
    tracing::info!(
        height = node.ledger().head()?.map(|h| h.height),
        "node stopped"
    );
    result?;
    let problems = health.problems();
    if problems.is_empty() {
        Ok(stopped)
    } else {
        Err(NodeError::Failed(problems.join("; ")))
    }
}

/// When the block after the head starts an epoch in which this member signs
/// with a key other than `me`'s: that epoch. The key a member runs with is
/// the one the ledger names for the epoch of its next block.
pub fn key_for_next_block(l: &Ledger, me: &Identity) -> Result<Option<u64>, NodeError> {
    let Some(head) = l.head()? else {
        return Ok(None);
    };
    let Some((_, epoch_length, _)) = credence_ledger::read::chain(l)? else {
        return Ok(None);
    };
    let next = head.height + 1;
    if next % epoch_length.max(1) != 0 {
        return Ok(None);
    }
    let epoch = next / epoch_length.max(1);
    let mine = credence_ledger::read::members_at_epoch(l, epoch)?
        .into_iter()
        .find(|m| m.member.party == me.party_id());
    Ok(match mine {
        Some(m) if m.member.key.sign != me.public().sign => Some(epoch),
        _ => None,
    })
}

fn apply_finalized(node: &mut Node, mempool: &Mempool, f: Finalized) -> Result<(), NodeError> {
    let height = f.block.height.get();
    let head = node
        .ledger()
        .head()?
        .ok_or_else(|| NodeError::Io("the ledger has no block 0".into()))?;
    if height <= head.height {
        // Re-delivered after a restart: already applied.
        f.ack.acknowledge();
        return Ok(());
    }
    let entries: Vec<SignedEntry> = consensus::app::decode_entries(&f.block.entries)
        .ok_or_else(|| NodeError::Io(format!("finalized block {height} does not decode")))?;
    // The proposer's party: the member signing with its key in the block's
    // epoch (after a rotation, not the key's own id).
    let proposer = {
        let l = node.ledger();
        let epoch_length = credence_ledger::read::chain(l)?
            .map(|c| c.1)
            .unwrap_or(1)
            .max(1);
        credence_ledger::read::member_with_key_at_epoch(
            l,
            &f.block.proposer,
            height / epoch_length,
        )?
        .unwrap_or_else(|| party_id_of(&f.block.proposer))
    };
    let block = Block {
        header: BlockHeader {
            height,
            parent: head.hash,
            timestamp: f.block.timestamp.max(head.timestamp),
            proposer,
            entries_root: entries_root(&entries),
        },
        entries,
    };
    let cert = Certificate::Consensus {
        parent_digest: from_digest(&f.block.parent),
        digest: from_digest(&f.digest),
        view: f.view,
        finalization: f.finalization,
    };
    if node.on_finalized(&block, &cert)? == Applied::Stored {
        decide(node, mempool, &block)?;
    }
    f.ack.acknowledge();
    Ok(())
}

/// Blocks from another member's ledger, their chain already checked
/// (`consensus::sync`). One that does not apply ends the run: the node asks
/// again, and marshal is unaffected.
fn apply_synced(node: &mut Node, mempool: &Mempool, blocks: Vec<(Block, Certificate)>) {
    for (block, cert) in blocks {
        let height = block.header.height;
        let applied = node.on_synced(&block, &cert).and_then(|a| {
            if a == Applied::Stored {
                decide(node, mempool, &block)?;
            }
            Ok(())
        });
        if let Err(e) = applied {
            tracing::warn!(height, error = %e, "a block synced from another member does not apply");
            return;
        }
    }
}

/// Tell the clients waiting on a stored block's entries how each ended.
fn decide(node: &Node, mempool: &Mempool, block: &Block) -> Result<(), NodeError> {
    let height = block.header.height;
    {
        let rejected: std::collections::HashMap<usize, credence_ledger::Rejection> = node
            .ledger()
            .rejected_entries_at(height)?
            .into_iter()
            .collect();
        let outcomes = block
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let id = entry_id(&e.entry);
                let r = match rejected.get(&i) {
                    Some(rej) => Receipt::Rejected(rej.clone()),
                    None => Receipt::Final {
                        height,
                        entry_id: id,
                    },
                };
                (id, r)
            })
            .collect();
        mempool.decide(outcomes);
        tracing::debug!(
            height,
            entries = block.entries.len(),
            rejected = rejected.len(),
            "block applied"
        );
    }
    Ok(())
}
