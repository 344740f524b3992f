//! Checking consensus certificates offline (`credence verify`, catch-up):
//! a block's digest, its link to the previous block, and the finalization's
//! signatures against the members of its epoch.
use super::*;
use credence_crypto::PartyId;

/// A member of a block's epoch: its party and the key it signs with in that
/// epoch (after a rotation, not the key the party id was made from).
pub type MemberKey = (PartyId, [u8; 32]);

/// The verifier of finalization certificates for a validator set.
pub fn verifier(namespace: &[u8], keys: &[[u8; 32]]) -> Option<Scheme> {
    let participants: Set<ed25519::PublicKey> = keys
        .iter()
        .map(pubkey)
        .collect::<Vec<_>>()
        .try_into()
        .ok()?;
    Some(Scheme::verifier(namespace, participants))
}

/// Check a consensus certificate offline: the digest follows from the block,
/// links to the previous block's, and (if present) the finalization carries
/// 2f+1 valid signatures over it.
pub fn check_certificate(
    namespace: &[u8],
    block: &credence_ledger::Block,
    cert: &credence_ledger::Certificate,
    prev: Option<&credence_ledger::Certificate>,
    keys: &[MemberKey],
) -> Result<(), String> {
    // The header's root must be the entries' (a ledger file's block could
    // carry entries other than those its header commits to).
    if credence_ledger::merkle::entries_root(&block.entries) != block.header.entries_root {
        return Err("the block's entries are not those its header commits to".into());
    }
    check_header_certificate(namespace, &block.header, cert, prev, keys)
}

/// The same check from a block's header alone (what a light client has):
/// the digest follows from the header, links to the previous block's, and
/// the finalization (if present) carries 2f+1 valid signatures of `keys`.
pub fn check_header_certificate(
    namespace: &[u8],
    header: &credence_ledger::BlockHeader,
    cert: &credence_ledger::Certificate,
    prev: Option<&credence_ledger::Certificate>,
    keys: &[MemberKey],
) -> Result<(), String> {
    let Digested {
        parent: parent_digest,
        digest,
        finalization,
    } = header_digest(header, cert, keys)?;
    match prev {
        Some(credence_ledger::Certificate::Consensus { digest: p, .. }) if *p == parent_digest => {}
        Some(credence_ledger::Certificate::Genesis) => {}
        _ => return Err("the consensus parent is not the previous block".into()),
    }
    match finalization {
        Some(bytes) => check_finalization(namespace, keys, bytes, &digest),
        None => Ok(()),
    }
}

/// What a checked header yields: its parent's digest, its own, and the
/// finalization its certificate carries (if any).
struct Digested<'c> {
    parent: [u8; 32],
    digest: [u8; 32],
    finalization: Option<&'c Vec<u8>>,
}

/// The header's consensus digest, checked against its certificate (whose
/// proposer must be one of `keys`).
fn header_digest<'c>(
    header: &credence_ledger::BlockHeader,
    cert: &'c credence_ledger::Certificate,
    keys: &[MemberKey],
) -> Result<Digested<'c>, String> {
    let credence_ledger::Certificate::Consensus {
        parent_digest,
        digest,
        view: _,
        finalization,
    } = cert
    else {
        return Err(format!(
            "block {}: not a consensus certificate",
            header.height
        ));
    };
    let (_, proposer) = keys
        .iter()
        .find(|(party, _)| *party == header.proposer)
        .ok_or_else(|| format!("block {}: the proposer is not a member", header.height))?;
    let d = block::block_digest(
        parent_digest,
        header.height,
        header.timestamp,
        proposer,
        &header.entries_root,
    );
    if d != *digest {
        return Err(format!(
            "block {}: the block does not hash to its consensus digest",
            header.height
        ));
    }
    Ok(Digested {
        parent: *parent_digest,
        digest: d,
        finalization: finalization.as_ref(),
    })
}

/// A finalization over `digest` carrying 2f+1 valid signatures of `keys`.
fn check_finalization(
    namespace: &[u8],
    keys: &[MemberKey],
    bytes: &[u8],
    digest: &[u8; 32],
) -> Result<(), String> {
    use commonware_codec::Decode as _;
    use commonware_cryptography::certificate::Verifier as _;
    let scheme = verifier(namespace, &keys.iter().map(|(_, k)| *k).collect::<Vec<_>>())
        .ok_or("the member keys are not a valid validator set")?;
    let f = simplex::types::Finalization::<Scheme, commonware_cryptography::sha256::Digest>::decode_cfg(
        Bytes::copy_from_slice(bytes),
        &scheme.certificate_codec_config(),
    )
    .map_err(|e| format!("the finalization does not decode: {e}"))?;
    if from_digest(&f.proposal.payload) != *digest {
        return Err("the finalization is for another block".into());
    }
    let mut rng = commonware_utils::sys_rng();
    if !f.verify(&mut rng, &scheme, &Sequential) {
        return Err("the finalization's signatures do not verify".into());
    }
    Ok(())
}

/// Most headers a chain may carry from an entry's block to the first block
/// with a finalization of its own (its descendants' finalizations cover it).
pub const MAX_CHAIN: usize = 64;

/// Check a chain of consecutive headers with their certificates, as a light
/// client receives it: each header hashes to its certificate's digest (its
/// proposer a member of the header's epoch, `keys_at(height)`), each links
/// to the one before, and the last carries a finalization of 2f+1 of its
/// epoch's members over its digest. Returns the digest of the first.
pub fn check_header_chain(
    namespace: &[u8],
    chain: &[(credence_ledger::BlockHeader, credence_ledger::Certificate)],
    keys_at: &dyn Fn(u64) -> Result<Vec<MemberKey>, String>,
) -> Result<[u8; 32], String> {
    if chain.is_empty() || chain.len() > MAX_CHAIN {
        return Err(format!(
            "a chain of 1 to {MAX_CHAIN} headers, not {}",
            chain.len()
        ));
    }
    let mut digests: Vec<[u8; 32]> = Vec::with_capacity(chain.len());
    for (i, (header, cert)) in chain.iter().enumerate() {
        let keys = keys_at(header.height)?;
        let Digested {
            parent: parent_digest,
            digest: d,
            finalization,
        } = header_digest(header, cert, &keys)?;
        if i > 0 {
            let prev = &chain[i - 1].0;
            if header.height != prev.height + 1 || parent_digest != digests[i - 1] {
                return Err(format!(
                    "block {}: does not follow block {}",
                    header.height, prev.height
                ));
            }
        }
        digests.push(d);
        if i + 1 == chain.len() {
            let bytes = finalization.ok_or_else(|| {
                format!(
                    "block {}: the chain ends without a finalization",
                    header.height
                )
            })?;
            check_finalization(namespace, &keys, bytes, &d)?;
        }
    }
    Ok(digests[0])
}
