//! `credence node run`: a member's node with, for an agency that asks for
//! it, the responder beside it, and the retention sweep (`crate::retention`),
//! all under one health record so that a
//! responder that fails stops the node rather than leave it healthy but mute.
//!
//! When the member's key rotation takes effect (the first block of the
//! next epoch), the node stops and runs again with the new key, which is
//! also its consensus and p2p identity (`super::keys::member_identity`).
use super::{read_info, GenesisFile, NodeInfo};
use crate::error::{ApiError, Result};
use crate::home::Home;
use credence_crypto::Secret;
use credence_node::consensus::Validator;
use credence_node::health::Health;
use credence_node::service;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// An agency answers open questions addressed to it by itself.
    pub auto_answer: bool,
    /// How many recent blocks the consensus store keeps.
    pub keep_blocks: u64,
    /// Test mode: propose pending entries without the rules' filter.
    pub unfiltered: bool,
    /// Test mode: lie to borrowers' light clients (hide, forge or fork).
    pub lie: Option<credence_node::client_api::Lie>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            auto_answer: false,
            keep_blocks: DEFAULT_KEEP_BLOCKS,
            unfiltered: false,
            lie: None,
        }
    }
}

pub use credence_node::consensus::{DEFAULT_KEEP_BLOCKS, MIN_KEEP_BLOCKS};

/// What a node is about to run as.
pub struct Starting<'a> {
    pub info: &'a NodeInfo,
    /// Not a founder: it follows the consortium and validates once its
    /// admission takes effect.
    pub founding: bool,
}

/// Run the member node in `home` on the fully signed `genesis` until it is
/// stopped or fails. `starting` is told what runs before the node starts.
pub fn run(
    home: &Path,
    genesis: &Path,
    passphrase: &Secret<String>,
    opts: RunOptions,
    starting: impl FnOnce(&Starting<'_>),
) -> Result<()> {
    let mut starting = Some(starting);
    loop {
        match run_once(home, genesis, passphrase, opts, &mut starting)? {
            service::Stopped::Asked => return Ok(()),
            service::Stopped::KeyRotated { epoch } => {
                tracing::info!(epoch, "running again with the member's new key");
            }
        }
    }
}

fn run_once(
    home: &Path,
    genesis: &Path,
    passphrase: &Secret<String>,
    opts: RunOptions,
    starting: &mut Option<impl FnOnce(&Starting<'_>)>,
) -> Result<service::Stopped> {
    let h = Home::new(home);
    let identity = super::keys::member_identity(&h, passphrase)?;
    let info = read_info(&h)?;
    let g = GenesisFile::read(genesis)?;
    let signed = g.signed_entry()?;
    let validators = g
        .members
        .iter()
        .map(|m| {
            Ok(Validator {
                key: m.public()?.sign,
                p2p: m.p2p,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let stop = Arc::new(AtomicBool::new(false));
    let health = Health::new(stop.clone());
    let responder = if opts.auto_answer {
        let (identity, stop, file) = (identity.clone(), stop.clone(), h.ledger());
        let client = info.client(&identity)?;
        Some(health.spawn("responder", move || {
            crate::responder::run(&file, &identity, &client, &stop);
        })?)
    } else {
        None
    };
    // Records past retention are erased without anyone running a command.
    let sweeper = {
        let (identity, stop, file) = (identity.clone(), stop.clone(), h.ledger());
        let client = info.client(&identity)?;
        health.spawn("retention", move || {
            crate::retention::run(
                &file,
                &identity,
                &client,
                &stop,
                crate::retention::SWEEP_EVERY,
            );
        })?
    };
    if let Some(f) = starting.take() {
        f(&Starting {
            info: &info,
            founding: g.members.iter().any(|m| m.sign_key == info.sign_key),
        });
    }
    // A lender's node furnishes what its officers send, as the member.
    let furnisher: Option<Arc<dyn credence_node::client_api::Furnisher>> = if info.role == "lender"
    {
        Some(Arc::new(super::furnishing::OfficerFurnishing {
            home: home.to_path_buf(),
            identity: identity.clone(),
            client: info.client(&identity)?,
        }))
    } else {
        None
    };
    let cfg = service::ServiceConfig {
        name: info.name.clone(),
        role: info.role.clone(),
        identity,
        home: home.to_path_buf(),
        consortium: g.consortium.clone(),
        created_at: g.created_at,
        genesis: signed,
        validators,
        p2p: info.p2p,
        api: info.api,
        tls_cert: info.cert()?,
        unfiltered: opts.unfiltered,
        lie: opts.lie,
        health: health.clone(),
        furnisher,
        keep_blocks: opts.keep_blocks,
    };
    let r = service::run(cfg);
    stop.store(true, Ordering::SeqCst);
    if let Some(t) = responder {
        let _ = t.join();
    }
    let _ = sweeper.join();
    Ok(r?)
}
