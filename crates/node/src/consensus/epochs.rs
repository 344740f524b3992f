//! Epochs: which members validate when, read from the ledger.
//!
//! The validator set of epoch `e` is the set of members in force during `e`
//! (`read::members_at_epoch`). A membership change approved during epoch `e`
//! takes effect at `e + 1`, so once a member has applied the last block of
//! `e` it knows the set of `e + 1`. Every epoch runs its own simplex engine;
//! one marshal carries blocks across epochs and checks each finalization
//! with the scheme of its epoch from `EpochSchemes`.
use super::app::Scheme;
use super::{pubkey, Validator};
use commonware_consensus::types::Epoch;
use commonware_cryptography::certificate::{Provider, Scoped};
use commonware_cryptography::ed25519;
use commonware_utils::ordered::Set;
use credence_ledger::{read, Ledger, LedgerError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

/// The certificate schemes of the epochs this member knows: a signing scheme
/// for the epochs it validates in, a verifier for the others.
#[derive(Clone)]
pub struct EpochSchemes {
    namespace: Arc<Vec<u8>>,
    signer: ed25519::PrivateKey,
    map: Arc<RwLock<BTreeMap<u64, Scoped<Scheme>>>>,
}

impl EpochSchemes {
    pub fn new(namespace: &[u8], signer: ed25519::PrivateKey) -> Self {
        EpochSchemes {
            namespace: Arc::new(namespace.to_vec()),
            signer,
            map: Arc::new(RwLock::new(BTreeMap::new())),
        }
    }

    /// Register `epoch`'s validator set; returns the signing scheme if this
    /// member is one of them. `None` for an empty or duplicate-keyed set.
    pub fn register(&self, epoch: u64, validators: &[Validator]) -> Option<Option<Arc<Scheme>>> {
        let participants: Set<ed25519::PublicKey> = validators
            .iter()
            .map(|v| pubkey(&v.key))
            .collect::<Vec<_>>()
            .try_into()
            .ok()?;
        let signing = Scheme::signer(&self.namespace, participants.clone(), self.signer.clone())
            .map(Arc::new);
        let scoped = match &signing {
            Some(s) => Scoped::scheme(s.clone()),
            None => Scoped::verifier(Arc::new(Scheme::verifier(&self.namespace, participants))),
        };
        self.map
            .write()
            .expect("epoch schemes lock")
            .insert(epoch, scoped);
        Some(signing)
    }
}

impl Provider for EpochSchemes {
    type Scope = Epoch;
    type Scheme = Scheme;
    fn scoped(&self, scope: Epoch) -> Option<Scoped<Scheme>> {
        self.map
            .read()
            .expect("epoch schemes lock")
            .get(&scope.get())
            .cloned()
    }
}

/// The start of an epoch, as the bridge learns it from the ledger.
#[derive(Clone, Debug)]
pub struct EpochStart {
    pub epoch: u64,
    pub validators: Vec<Validator>,
    /// Consensus digest of the last block of the previous epoch (or of the
    /// genesis block for epoch 0): the new engine builds on it.
    pub floor: [u8; 32],
}

/// The validators of `epoch` with their p2p addresses: founding members'
/// from the genesis file, admitted members' from the ledger. A member whose
/// address is unknown still counts (every member must derive the same set);
/// it gets the unspecified address and is not dialled.
pub fn epoch_validators(
    ledger: &Ledger,
    epoch: u64,
    founders: &[Validator],
) -> Result<Vec<Validator>, LedgerError> {
    Ok(read::members_at_epoch(ledger, epoch)?
        .into_iter()
        .map(|m| {
            let key = m.member.key.sign;
            let p2p = m
                .address
                .as_deref()
                .and_then(|a| a.parse().ok())
                // A founder keeps its address through key rotations: found
                // by its party (its founding key's id).
                .or_else(|| {
                    founders
                        .iter()
                        .find(|f| credence_crypto::keys::party_id_of(&f.key) == m.member.party)
                        .map(|f| f.p2p)
                })
                .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
            Validator { key, p2p }
        })
        .collect())
}

/// What this member knows of epochs when it starts: the schemes of every
/// epoch up to the one its next block belongs to, and that epoch's start.
pub(super) fn initial_epochs(
    ledger: &Mutex<Ledger>,
    founders: &[Validator],
    genesis_digest: [u8; 32],
) -> Result<(u64, Vec<EpochStart>), String> {
    let l = ledger
        .lock()
        .map_err(|_| "ledger lock poisoned".to_string())?;
    let (_, epoch_length, _) = credence_ledger::read::chain(&l)
        .map_err(|e| e.to_string())?
        .ok_or("the ledger holds no genesis")?;
    let head = l
        .head()
        .map_err(|e| e.to_string())?
        .map(|h| h.height)
        .unwrap_or(0);
    let current = (head + 1) / epoch_length;
    let mut starts = Vec::new();
    for e in 0..=current {
        let validators = epoch_validators(&l, e, founders).map_err(|e| e.to_string())?;
        let floor = if e == 0 {
            genesis_digest
        } else {
            match l.block(e * epoch_length - 1).map_err(|e| e.to_string())? {
                Some((_, credence_ledger::Certificate::Consensus { digest, .. })) => digest,
                _ => {
                    return Err(format!(
                        "no consensus certificate for the last block of epoch {}",
                        e - 1
                    ))
                }
            }
        };
        starts.push(EpochStart {
            epoch: e,
            validators,
            floor,
        });
    }
    Ok((epoch_length, starts))
}
