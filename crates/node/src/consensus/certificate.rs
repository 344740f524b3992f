//! Checking consensus certificates offline (`credence verify`, catch-up):
//! a block's digest, its link to the previous block, and the finalization's
//! signatures against the members of its epoch.
use super::*;

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
    keys: &[[u8; 32]],
) -> Result<(), String> {
    use commonware_codec::Decode as _;
    use commonware_cryptography::certificate::Verifier as _;
    let credence_ledger::Certificate::Consensus {
        parent_digest,
        digest,
        view: _,
        finalization,
    } = cert
    else {
        return Err("not a consensus certificate".into());
    };
    let proposer = keys
        .iter()
        .find(|k| credence_crypto::keys::party_id_of(k) == block.header.proposer)
        .ok_or("the proposer is not a member")?;
    let entries = credence_ledger::encode::to_bytes(&block.entries);
    let d = block::block_digest(
        parent_digest,
        block.header.height,
        block.header.timestamp,
        proposer,
        &entries,
    );
    if d != *digest {
        return Err("the block does not hash to its consensus digest".into());
    }
    match prev {
        Some(credence_ledger::Certificate::Consensus { digest: p, .. }) if p == parent_digest => {}
        Some(credence_ledger::Certificate::Genesis) => {}
        _ => return Err("the consensus parent is not the previous block".into()),
    }
    if let Some(bytes) = finalization {
        let scheme =
            verifier(namespace, keys).ok_or("the member keys are not a valid validator set")?;
        let f = simplex::types::Finalization::<Scheme, commonware_cryptography::sha256::Digest>::decode_cfg(
            Bytes::from(bytes.clone()),
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
    }
    Ok(())
}
