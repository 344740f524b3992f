//! Catching up from other members' ledgers.
//!
//! The consensus store keeps only the last `keep_blocks` blocks (so that an
//! erased record's content leaves it, and it stays small). A member further
//! behind than that (back from a long outage, just admitted, or started on
//! an empty ledger) cannot backfill through marshal: no peer still has the
//! blocks. So when its ledger has not moved for `STALL`, it asks every
//! member for the blocks after its head. A member answers from its own
//! ledger file, at most one epoch's blocks at a time, to each peer at most
//! once per `ANSWER_EVERY`.
//!
//! Architecture invariant: nothing a peer sends is applied before it is
//! checked here. The asker checks the chain against what its own ledger
//! knows: each block hashes to its consensus digest with a proposer of its
//! epoch, links to the one before (the first to the head's digest), every
//! finalization carries 2f+1 signatures of the epoch's members, and the
//! applied run ends on a finalized block. Only then does the service apply
//! it, entry by entry through the rules. Once caught up with a peer's head,
//! marshal is pointed at the new head (`set_floor`) and the current epoch's
//! engine starts.
use super::certificate::{check_certificate, MemberKey};
use super::epochs::{initial_epochs, EpochSchemes, EpochStart};
use super::{Scheme, Validator};
use commonware_consensus::simplex::types::Finalization;
use credence_ledger::{read, Block, Certificate, Ledger};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// How long the ledger must stand still before a member asks its peers.
pub const STALL: Duration = Duration::from_secs(3);
/// How often a member answers one peer.
pub const ANSWER_EVERY: Duration = Duration::from_millis(500);
/// Most blocks in one answer (also bounded by the p2p message size).
pub const MAX_BLOCKS: u64 = 64;

/// What members send each other on the sync channel.
#[derive(Debug, Serialize, Deserialize)]
pub enum SyncMessage {
    /// The blocks after this height, please.
    Want { after: u64 },
    /// Consecutive blocks from the asker's head + 1, and the sender's head.
    Blocks {
        head: u64,
        blocks: Vec<(Block, Certificate)>,
    },
}

/// The answer to `Want { after }` from the ledger at `path`: the blocks
/// after `after`, up to the end of that block's epoch, `MAX_BLOCKS` and
/// `max_bytes` encoded. `None` when there is nothing newer.
pub fn answer(path: &Path, after: u64, max_bytes: usize) -> Option<Vec<u8>> {
    let l = Ledger::open_read_only(path).ok()?;
    let head = l.head().ok()??.height;
    if head <= after {
        return None;
    }
    let epoch_length = read::chain(&l).ok()??.1.max(1);
    let first = after + 1;
    let epoch_end = (first / epoch_length + 1) * epoch_length - 1;
    let last = head.min(epoch_end).min(after + MAX_BLOCKS);
    let mut blocks = Vec::new();
    let mut size = 64;
    for h in first..=last {
        let Ok(Some(b)) = l.block(h) else { break };
        let n = credence_ledger::encode::to_bytes(&b).len();
        if !blocks.is_empty() && size + n > max_bytes {
            break;
        }
        size += n;
        blocks.push(b);
    }
    let msg = SyncMessage::Blocks { head, blocks };
    let bytes = credence_ledger::encode::to_bytes(&msg);
    (bytes.len() <= max_bytes).then_some(bytes)
}

/// How many of `blocks` (from the front) may be applied on top of the
/// ledger's head: the longest run, within the head's next epoch, that checks
/// and ends on a finalized block. An error names the first thing wrong.
pub fn check_run(
    l: &Ledger,
    namespace: &[u8],
    genesis_digest: [u8; 32],
    blocks: &[(Block, Certificate)],
) -> Result<usize, String> {
    let head = l
        .head()
        .map_err(|e| e.to_string())?
        .ok_or("the ledger has no block 0")?;
    let (_, head_cert) = l
        .block(head.height)
        .map_err(|e| e.to_string())?
        .ok_or("the head block is missing")?;
    let epoch_length = read::chain(l)
        .map_err(|e| e.to_string())?
        .ok_or("the ledger holds no genesis")?
        .1
        .max(1);
    let epoch = (head.height + 1) / epoch_length;
    let keys: Vec<MemberKey> = read::members_at_epoch(l, epoch)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|m| (m.member.party, m.member.key.sign))
        .collect();
    let mut prev = head_cert;
    let mut prev_hash = head.hash;
    let mut applicable = 0;
    for (i, (block, cert)) in blocks.iter().enumerate() {
        let height = block.header.height;
        if height != head.height + 1 + i as u64 {
            return Err(format!(
                "block {height} does not follow block {}",
                head.height + i as u64
            ));
        }
        if height / epoch_length != epoch {
            break;
        }
        if block.header.parent != prev_hash {
            return Err(format!(
                "block {height}: its parent is not the block before"
            ));
        }
        // Block 0's certificate carries no digest: the first block must
        // build on the genesis block's.
        if let (0, 0, Certificate::Consensus { parent_digest, .. }) = (head.height, i, cert) {
            if *parent_digest != genesis_digest {
                return Err("block 1 does not build on the genesis block".into());
            }
        }
        check_certificate(namespace, block, cert, Some(&prev), &keys)?;
        if let Certificate::Consensus {
            finalization: Some(_),
            ..
        } = cert
        {
            applicable = i + 1;
        }
        prev_hash = credence_ledger::encode::block_hash(block);
        prev = cert.clone();
    }
    if applicable == 0 {
        return Err("no block in the run carries a finalization".into());
    }
    Ok(applicable)
}

/// Wait (bounded, and never past `stop`) until the ledger's head reaches
/// `height`. Whether it did.
pub async fn applied(
    ledger: &Mutex<Ledger>,
    height: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let at = ledger
            .lock()
            .ok()
            .and_then(|l| l.head().ok().flatten())
            .map(|h| h.height);
        if at.is_some_and(|h| h >= height) {
            return true;
        }
        if stop.load(std::sync::atomic::Ordering::SeqCst) || std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// After catching up: the finalization marshal starts again from, and the
/// start of the epoch the next block belongs to (its schemes registered).
pub fn resume_point(
    ledger: &Mutex<Ledger>,
    last: &Certificate,
    founders: &[Validator],
    genesis_digest: [u8; 32],
    schemes: &EpochSchemes,
) -> Result<
    (
        Finalization<Scheme, commonware_cryptography::sha256::Digest>,
        EpochStart,
    ),
    String,
> {
    use commonware_codec::Decode as _;
    use commonware_cryptography::certificate::Verifier as _;
    let Certificate::Consensus {
        finalization: Some(bytes),
        ..
    } = last
    else {
        return Err("the last synced block carries no finalization".into());
    };
    let finalization = Finalization::<Scheme, _>::decode_cfg(
        bytes::Bytes::copy_from_slice(bytes),
        &Scheme::certificate_codec_config_unbounded(),
    )
    .map_err(|e| format!("the finalization does not decode: {e}"))?;
    let (_, starts) = initial_epochs(ledger, founders, genesis_digest)?;
    for s in &starts {
        schemes.register(s.epoch, &s.validators);
    }
    let start = starts.last().cloned().ok_or("no epoch is known")?;
    Ok((finalization, start))
}
