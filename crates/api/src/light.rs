//! The light client's first check: an entry is taken from a node only with a
//! proof that a block certified by the consortium's members includes it (the
//! entry's Merkle path to its block's root, and the headers from that block
//! to the first carrying a finalization of 2f+1 members' signatures).
//!
//! The member keys are the profile's founding members. A block certified
//! by a member set the profile does not list (after a membership change) is
//! refused, not trusted: following membership changes from the ledger is the
//! next step. Inclusion shows the entry is in a certified block; that the
//! rules accepted it is what several members' agreeing answers add.
use crate::error::{ApiError, ErrorCode, Result};
use crate::profile::Profile;
use credence_ledger::encode::{entry_id, from_bytes};
use credence_ledger::merkle;
use credence_ledger::types::{BlockHeader, Certificate, Id, SignedEntry};
use serde_json::Value;

/// An entry and the height of the certified block that holds it.
#[derive(Clone, Debug)]
pub struct Proven {
    pub entry_id: Id,
    pub height: u64,
    /// The certified block's time.
    pub at: u64,
    pub entry: SignedEntry,
}

fn bad(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::ProofFailed,
        format!("the node's proof of an entry does not hold: {why}"),
    )
}

fn hex_field(v: &Value, k: &str) -> Result<Vec<u8>> {
    hex::decode(v[k].as_str().ok_or_else(|| bad(format!("no {k}")))?)
        .map_err(|_| bad(format!("{k} is not hex")))
}

/// The member keys a client checks certificates with: the profile's.
pub fn member_keys(profile: &Profile) -> Result<Vec<[u8; 32]>> {
    profile
        .members
        .iter()
        .map(|m| {
            let k = hex::decode(&m.sign_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    ApiError::invalid(format!("{}'s sign_key is not 32 bytes", m.name))
                })?;
            Ok(k)
        })
        .collect()
}

/// Check a `/v1/proof` answer for the entry `want`.
pub fn check_proof(profile: &Profile, want: &Id, v: &Value) -> Result<Proven> {
    let entry: SignedEntry = from_bytes("entry", &hex_field(v, "entry")?).map_err(bad)?;
    if entry_id(&entry.entry) != *want {
        return Err(bad("it is the proof of another entry"));
    }
    let height = v["height"].as_u64().ok_or_else(|| bad("no height"))?;
    let index = v["index"].as_u64().ok_or_else(|| bad("no index"))? as usize;
    let size = v["size"].as_u64().ok_or_else(|| bad("no size"))? as usize;
    let path: Vec<[u8; 32]> = v["path"]
        .as_array()
        .ok_or_else(|| bad("no path"))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(|s| hex::decode(s).ok())
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("a path hash is not 32 bytes"))
        })
        .collect::<Result<_>>()?;
    let chain: Vec<(BlockHeader, Certificate)> = v["chain"]
        .as_array()
        .ok_or_else(|| bad("no chain"))?
        .iter()
        .take(credence_node::consensus::MAX_CHAIN + 1)
        .map(|c| {
            Ok((
                from_bytes("header", &hex_field(c, "header")?).map_err(bad)?,
                from_bytes("certificate", &hex_field(c, "certificate")?).map_err(bad)?,
            ))
        })
        .collect::<Result<_>>()?;
    let first = &chain.first().ok_or_else(|| bad("no header"))?.0;
    if first.height != height {
        return Err(bad("the chain does not start at the entry's block"));
    }
    if !merkle::verify(
        &first.entries_root,
        &merkle::leaf(&entry),
        index,
        size,
        &path,
    ) {
        return Err(bad("the entry is not in its block (Merkle path)"));
    }
    credence_node::consensus::check_header_chain(
        &credence_node::consensus::namespace(&profile.consortium),
        &chain,
        &member_keys(profile)?,
    )
    .map_err(bad)?;
    Ok(Proven {
        entry_id: *want,
        height,
        at: chain[0].0.timestamp,
        entry,
    })
}
