//! The light client: an entry is taken from a node only with a proof that a
//! block certified by the consortium's members includes it (the entry's
//! Merkle path to its block's root, and the headers from that block to the
//! first carrying a finalization of 2f+1 members' signatures).
//!
//! Which members certify a block depends on its epoch: `members` replays the
//! genesis (checked against the profile's genesis hash) and the proven
//! membership entries to learn each epoch's set, and `follow` gathers those
//! entries from f+1 members. Inclusion shows the entry is in a certified
//! block; that the rules accepted it is what several members' agreeing
//! answers add.
pub mod members;

use crate::error::{ApiError, ErrorCode, Result};
use crate::profile::Profile;
use credence_ledger::encode::{entry_id, from_bytes, header_hash};
use credence_ledger::merkle;
use credence_ledger::types::{BlockHeader, Certificate, Entry, Id, SignedEntry};
pub use members::MemberSets;
use serde_json::Value;

/// An entry and the certified block that holds it.
#[derive(Clone, Debug)]
pub struct Proven {
    pub entry_id: Id,
    pub height: u64,
    /// Its place in the block.
    pub index: usize,
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

/// A proof's entry, already shown to be in the chain's first header (by
/// its Merkle path), with the chain still to check.
struct Included {
    proven: Proven,
    chain: Vec<(BlockHeader, Certificate)>,
}

fn included(want: &Id, v: &Value) -> Result<Included> {
    if let Some(e) = v.get("error") {
        return Err(bad(format!(
            "the node sent no proof: {}",
            e["message"].as_str().unwrap_or("no reason given")
        )));
    }
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
        .take(64)
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
    Ok(Included {
        proven: Proven {
            entry_id: *want,
            height,
            index,
            at: first.timestamp,
            entry,
        },
        chain,
    })
}

/// A proof's entry, if its Merkle path puts it in the chain's first header
/// (the chain itself not yet checked: its members may not be known yet).
pub(crate) fn included_entry(want: &Id, v: &Value) -> Result<Proven> {
    included(want, v).map(|i| i.proven)
}

/// Check a proof of the genesis entry: block 0's header must hash to the
/// profile's genesis, the entry must be in it and found the profile's
/// consortium with the profile's members. Returns the founders' sets.
pub fn check_genesis(profile: &Profile, want: &Id, v: &Value) -> Result<MemberSets> {
    let Included { proven, chain } = included(want, v)?;
    let genesis = hex::decode(&profile.genesis).map_err(|_| bad("the profile's genesis"))?;
    if proven.height != 0 || chain.len() != 1 || header_hash(&chain[0].0)[..] != genesis[..] {
        return Err(bad("its block 0 is not the profile's genesis"));
    }
    let Entry::Genesis(g) = &proven.entry.entry else {
        return Err(bad("block 0's first entry is not a genesis"));
    };
    if g.consortium != profile.consortium {
        return Err(bad(format!("the genesis founds {:?}", g.consortium)));
    }
    for m in &profile.members {
        let key = hex::decode(&m.sign_key).unwrap_or_default();
        if !g.members.iter().any(|f| f.key.sign[..] == key[..]) {
            return Err(bad(format!(
                "the profile's {} is not a founder in the genesis",
                m.name
            )));
        }
    }
    Ok(MemberSets::from_genesis(g))
}

/// Check a `/v1/proof` answer for the entry `want` against the members of
/// the epochs its headers fall in.
pub fn check_proof(sets: &MemberSets, want: &Id, v: &Value) -> Result<Proven> {
    let Included { proven, chain } = included(want, v)?;
    if proven.height == 0 {
        return Err(bad("block 0 is checked by its hash, not a certificate"));
    }
    let keys_at =
        |h: u64| -> std::result::Result<Vec<credence_node::consensus::MemberKey>, String> {
            let keys = sets.keys_at(h);
            if keys.is_empty() {
                return Err(format!("no members are known for block {h}"));
            }
            Ok(keys)
        };
    credence_node::consensus::check_header_chain(
        &credence_node::consensus::namespace(&sets.consortium),
        &chain,
        &keys_at,
    )
    .map_err(bad)?;
    Ok(proven)
}
