//! The block consensus orders: a parent digest, a height, the proposer's time
//! and key, and the encoded entries. Its digest is what validators vote on;
//! the ledger block built from it at finalization keeps these fields in its
//! certificate so `credence verify` can recompute the digest.
//!
//! The digest commits to the entries through their Merkle root (the one in
//! the ledger block's header), not their bytes: a light client checks a
//! block's certificate from its header alone, then one entry by its path.
use bytes::{BufMut, Bytes};
use commonware_codec::{Buf, EncodeSize, Error as CodecError, RangeCfg, Read, ReadExt as _, Write};
use commonware_consensus::{types::Height, BoundedBlock, Heightable};
use commonware_cryptography::{sha256::Digest, Digestible};
use credence_crypto::hash::digest;

/// Most bytes of encoded entries in one block (also sizes p2p messages).
pub const MAX_ENTRIES_BYTES: usize = 4 * 1024 * 1024;
/// Most entries a proposer packs into one block.
pub const MAX_ENTRIES_PER_BLOCK: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusBlock {
    pub parent: Digest,
    pub height: Height,
    /// Unix seconds, set by the proposer; never before the parent's.
    pub timestamp: u64,
    /// The proposer's Ed25519 public key (the round's leader).
    pub proposer: [u8; 32],
    /// `postcard` encoding of `Vec<SignedEntry>`.
    pub entries: Bytes,
    /// The entries' Merkle root (`credence_ledger::merkle`), computed once
    /// from `entries` (see [`entries_root_of`]); not encoded.
    pub entries_root: [u8; 32],
}

/// The Merkle root of encoded entries. Bytes that do not decode get a root
/// no decodable list can have (such a block is refused when verified, and
/// cannot be applied).
pub fn entries_root_of(entries: &[u8]) -> [u8; 32] {
    match crate::consensus::app::decode_entries(entries) {
        Some(list) => credence_ledger::merkle::entries_root(&list),
        None => digest(b"credence.undecodable-entries.v1", &[entries]),
    }
}

impl ConsensusBlock {
    pub fn new(
        parent: Digest,
        height: Height,
        timestamp: u64,
        proposer: [u8; 32],
        entries: Bytes,
    ) -> Self {
        let entries_root = entries_root_of(&entries);
        ConsensusBlock {
            parent,
            height,
            timestamp,
            proposer,
            entries,
            entries_root,
        }
    }
}

pub fn to_digest(b: [u8; 32]) -> Digest {
    use commonware_codec::DecodeExt;
    Digest::decode(Bytes::copy_from_slice(&b)).expect("32 bytes are a sha256 digest")
}

pub fn from_digest(d: &Digest) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(d.as_ref());
    a
}

/// The digest, computed with the project's own hash so that `verify` (and a
/// light client, from a header) can recompute it.
pub fn block_digest(
    parent: &[u8; 32],
    height: u64,
    timestamp: u64,
    proposer: &[u8; 32],
    entries_root: &[u8; 32],
) -> [u8; 32] {
    digest(
        b"credence.consensus-block.v2",
        &[
            parent,
            &height.to_be_bytes(),
            &timestamp.to_be_bytes(),
            proposer,
            entries_root,
        ],
    )
}

impl Write for ConsensusBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.parent.write(buf);
        self.height.write(buf);
        self.timestamp.write(buf);
        self.proposer.write(buf);
        self.entries.write(buf);
    }
}

impl EncodeSize for ConsensusBlock {
    fn encode_size(&self) -> usize {
        self.parent.encode_size() + self.height.encode_size() + 8 + 32 + self.entries.encode_size()
    }
}

impl Read for ConsensusBlock {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(ConsensusBlock::new(
            Digest::read(buf)?,
            Height::read(buf)?,
            u64::read(buf)?,
            <[u8; 32]>::read(buf)?,
            Bytes::read_cfg(buf, &RangeCfg::from(0..=MAX_ENTRIES_BYTES))?,
        ))
    }
}

impl BoundedBlock for ConsensusBlock {
    fn max_encode_size(_: &()) -> usize {
        32 + 10 + 8 + 32 + 5 + MAX_ENTRIES_BYTES
    }
}

impl Digestible for ConsensusBlock {
    type Digest = Digest;
    fn digest(&self) -> Digest {
        to_digest(block_digest(
            &from_digest(&self.parent),
            self.height.get(),
            self.timestamp,
            &self.proposer,
            &self.entries_root,
        ))
    }
}

impl Heightable for ConsensusBlock {
    fn height(&self) -> Height {
        self.height
    }
}

impl commonware_consensus::Block for ConsensusBlock {
    fn parent(&self) -> Digest {
        self.parent
    }
}
