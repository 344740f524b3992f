//! BFT consensus between members: Commonware simplex (votes) with marshal
//! (whole blocks, backfill, ordered delivery) over authenticated, encrypted
//! p2p links. Runs its own runtime on the calling thread; the rest of the
//! node talks to it through channels: pending entries in (the mempool and a
//! gossip queue), finalized blocks out.
//!
//! Epochs: the validator set of each epoch is read from the ledger (see
//! `epochs`); each epoch runs its own simplex engine on its own sub-channels,
//! and one marshal carries the blocks across epochs.
pub mod app;
pub mod block;
mod certificate;
pub mod epochs;
pub mod sync;

pub use certificate::{
    check_certificate, check_header_certificate, check_header_chain, verifier, MemberKey, MAX_CHAIN,
};
use epochs::initial_epochs;

use app::{Delivered, Delivery, Finalized, FinalizedReporter, LedgerApp, Scheme};
use block::{from_digest, to_digest, ConsensusBlock};
use bytes::Bytes;
use commonware_broadcast::buffered;
use commonware_codec::{DecodeExt, Encode};
use commonware_consensus::marshal::{
    self,
    core::Actor as MarshalActor,
    standard::{Inline, Standard},
};
use commonware_consensus::simplex::{
    self,
    config::{ForwardPolicy, SkipBudget, SkipPolicy},
    elector::RoundRobin,
};
use commonware_consensus::types::{Epoch, Epocher as _, FixedEpocher, Height, ViewDelta};
use commonware_consensus::Heightable;
use commonware_cryptography::{ed25519, Digested, Digestible, Sha256, Signer};
use commonware_macros::select;
use commonware_p2p::utils::mux::{Builder as _, Muxer};
use commonware_p2p::{
    authenticated::lookup, Address, AddressableManager, Receiver as _, Recipients, Sender as _,
};
use commonware_parallel::Sequential;
use commonware_runtime::{
    buffer::paged::CacheRef, tokio as cw_tokio, Quota, Runner as _, Spawner, Supervisor as _,
};
use commonware_storage::{archive::prunable, translator::EightCap};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{
    ordered::{Map, Set},
    NZDuration, NZUsize, NZU16, NZU32, NZU64,
};
use credence_ledger::encode::from_bytes;
use credence_ledger::{Ledger, SignedEntry};
use epochs::{EpochSchemes, EpochStart};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CH_VOTES: u64 = 0;
const CH_CERTS: u64 = 1;
const CH_SIMPLEX_RESOLVER: u64 = 2;
const CH_BACKFILL: u64 = 3;
const CH_BLOCKS: u64 = 4;
const CH_MEMPOOL: u64 = 5;
const CH_SYNC: u64 = 6;

/// How many recent blocks the consensus store keeps by default. Older ones
/// are pruned (a whole section at a time): the ledger holds them, and a
/// member further behind catches up from other members' ledgers (`sync`).
pub const DEFAULT_KEEP_BLOCKS: u64 = 1024;
/// The fewest it may keep: a member a little behind backfills through
/// marshal, which holds up to 16 blocks unacknowledged.
pub const MIN_KEEP_BLOCKS: u64 = 32;
/// Blocks per section of the consensus store (pruning's granularity).
const SECTION: u64 = 16;

/// Most members a consortium may have (sizes p2p buffers and messages).
pub const MAX_MEMBERS: usize = 32;

/// One validator: its key and where it listens.
#[derive(Clone, Debug)]
pub struct Validator {
    pub key: [u8; 32],
    pub p2p: SocketAddr,
}

pub struct ConsensusConfig {
    /// Names this chain in every signature (p2p handshakes and votes).
    pub namespace: Vec<u8>,
    /// 32-byte Ed25519 seed of this member (its ledger signing key).
    pub seed: credence_crypto::Secret<[u8; 32]>,
    pub validators: Vec<Validator>,
    pub listen: SocketAddr,
    pub storage: PathBuf,
    /// Block 0, identical at every member (carries the signed genesis entry).
    pub genesis: ConsensusBlock,
    pub mempool: Arc<crate::mempool::Mempool>,
    pub ledger: Arc<Mutex<Ledger>>,
    /// The ledger's file (answers to members catching up read it).
    pub ledger_path: PathBuf,
    /// How many recent blocks the consensus store keeps (at least
    /// `MIN_KEEP_BLOCKS`).
    pub keep_blocks: u64,
    /// Entries accepted by the client API, to gossip to the other members.
    pub gossip_out: tokio::sync::mpsc::UnboundedReceiver<SignedEntry>,
    pub unfiltered: bool,
    pub stop: Arc<AtomicBool>,
    /// Failures of consensus parts are reported here (and stop the node).
    pub health: Arc<crate::health::Health>,
}

pub fn namespace(consortium: &str) -> Vec<u8> {
    format!("credence/{consortium}").into_bytes()
}

pub(crate) fn pubkey(b: &[u8; 32]) -> ed25519::PublicKey {
    ed25519::PublicKey::decode(Bytes::copy_from_slice(b))
        .expect("a member key is a valid Ed25519 point")
}

/// How long an epoch's engine keeps running after the next epoch started, so
/// members that are a little behind can still finish the boundary with it.
const EPOCH_GRACE: Duration = Duration::from_secs(10);

/// Run consensus on the calling thread until `stop` is set, a signal, or a
/// core actor exits. Finalized blocks go to `out` in height order.
pub fn run(mut cfg: ConsensusConfig, out: std::sync::mpsc::Sender<Delivery>) {
    remove_unprunable_store(&cfg.storage);
    let keep_blocks = cfg.keep_blocks.max(MIN_KEEP_BLOCKS);
    let runtime_cfg = cw_tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(cfg.storage.clone())
        .with_catch_panics(false);
    let runner = cw_tokio::Runner::new(runtime_cfg);
    runner.start(|context| async move {
        use commonware_codec::DecodeExt as _;
        let signer = ed25519::PrivateKey::decode(Bytes::copy_from_slice(&cfg.seed.expose()[..]))
            .expect("32-byte seed");
        let me = signer.public_key();
        let genesis_digest = cfg.genesis.digest();
        let (epoch_length, starts) =
            match initial_epochs(&cfg.ledger, &cfg.validators, from_digest(&genesis_digest)) {
                Ok(x) => x,
                Err(e) => {
                    cfg.health
                        .fail("consensus", format!("cannot read the epochs from the ledger: {e}"));
                    return;
                }
            };
        let schemes = EpochSchemes::new(&cfg.namespace, signer.clone());
        for s in &starts {
            schemes.register(s.epoch, &s.validators);
        }
        let max_n = starts
            .iter()
            .map(|s| s.validators.len())
            .max()
            .unwrap_or(1)
            .max(MAX_MEMBERS) as u32;

        let max_msg =
            marshal::max_payload_size::<Standard<ConsensusBlock>, Scheme>(max_n, &()) as u32 + 4096;
        let handshake = Cups::<_, commonware_cryptography::ChaCha20Poly1305>::new(
            Sake {
                signer: signer.clone(),
                synchrony_bound: Duration::from_secs(5),
                max_handshake_age: Duration::from_secs(10),
                version: sake::Version::V1,
            },
            cups::Version::V1,
        );
        let mut p2p_cfg = lookup::Config::local(
            handshake,
            &cfg.namespace,
            cfg.listen,
            NZUsize!(MAX_MEMBERS),
            max_msg,
            NZUsize!(1024),
        );
        p2p_cfg.peer_connection_cooldown = Duration::from_millis(500);
        // Only the newest epoch's members may connect: a removed member's
        // links are refused from the epoch its removal takes effect.
        p2p_cfg.tracked_peer_sets = NZUsize!(1);
        let (mut network, oracle) = lookup::Network::new(context.child("network"), p2p_cfg);
        // The quota sizes per-peer buffers: 10,000/s cost ≈ 600 MB per node here, 1,000/s ≈ 70 MB.
        let quota = Quota::per_second(NZU32!(1_000));
        let votes = network.register(CH_VOTES, quota);
        let certs = network.register(CH_CERTS, quota);
        let simplex_resolver = network.register(CH_SIMPLEX_RESOLVER, quota);
        let backfill = network.register(CH_BACKFILL, quota);
        let blocks = network.register(CH_BLOCKS, quota);
        let (mut gossip_tx, mut gossip_rx) = network.register(CH_MEMPOOL, quota);
        let (sync_tx, sync_rx) = network.register(CH_SYNC, quota);
        let network_handle = network.start();

        // Each epoch's engine talks on its own sub-channel; a message for a
        // later epoch lands in the backup queue and tells us we are behind.
        let (votes_mux, votes_subs, mut ahead) =
            Muxer::builder(context.child("votes_mux"), votes.0, votes.1)
                .with_backup()
                .build();
        votes_mux.start();
        let (certs_mux, certs_subs) = Muxer::new(context.child("certs_mux"), certs.0, certs.1);
        certs_mux.start();
        let (resolver_mux, resolver_subs) = Muxer::new(
            context.child("resolver_mux"),
            simplex_resolver.0,
            simplex_resolver.1,
        );
        resolver_mux.start();

        let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(1024));
        let epocher = FixedEpocher::new(NZU64!(epoch_length));
        let marshal_cfg = marshal::Config {
            provider: schemes.clone(),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(Digested::precomputed(
                cfg.genesis.clone(),
                genesis_digest,
            )),
            partition_prefix: "marshal".into(),
            mailbox_size: NZUsize!(1024),
            view_retention: ViewDelta::new(10),
            prunable_items_per_section: NZU64!(64),
            page_cache: page_cache.clone(),
            replay_buffer: NZUsize!(1 << 20),
            key_write_buffer: NZUsize!(1 << 14),
            value_write_buffer: NZUsize!(1 << 14),
            block_codec_config: (),
            max_repair: NZUsize!(32),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        };
        let resolver = marshal::resolver::p2p::init(
            context.child("marshal_resolver"),
            marshal::resolver::p2p::Config {
                public_key: me.clone(),
                peer_provider: oracle.clone(),
                blocker: oracle.clone(),
                mailbox_size: NZUsize!(1024),
                fetch_timeout: NZDuration!(Duration::from_secs(2)),
                fetch_retry_delay: Duration::from_millis(200),
                priority_requests: false,
                priority_responses: false,
            },
            backfill,
        );
        let (broadcast_engine, buffer) = buffered::Engine::new(
            context.child("broadcast"),
            buffered::Config {
                public_key: me.clone(),
                mailbox_size: NZUsize!(1024),
                deque_size: 16,
                priority: false,
                codec_config: (),
                peer_provider: oracle.clone(),
                strategy: Sequential,
            },
        );
        broadcast_engine.start(blocks);
        fn archive_cfg<C>(
            name: &str,
            page_cache: &CacheRef,
            codec_config: C,
        ) -> prunable::Config<EightCap, C> {
            prunable::Config {
                translator: EightCap,
                metadata_partition: format!("marshal-{name}-sections"),
                key_partition: format!("marshal-{name}-keys"),
                key_page_cache: page_cache.clone(),
                value_partition: format!("marshal-{name}-values"),
                compression: None,
                codec_config,
                items_per_section: NZU64!(SECTION),
                key_write_buffer: NZUsize!(1 << 14),
                value_write_buffer: NZUsize!(1 << 14),
                replay_buffer: NZUsize!(1 << 20),
            }
        }
        use commonware_cryptography::certificate::Verifier as _;
        let finalizations = prunable::Archive::init(
            context.child("finalizations_by_height"),
            archive_cfg(
                "finalizations-by-height",
                &page_cache,
                Scheme::certificate_codec_config_unbounded(),
            ),
        )
        .await
        .expect("finalizations archive");
        let finalized_blocks = prunable::Archive::init(
            context.child("finalized_blocks"),
            archive_cfg("finalized-blocks", &page_cache, ()),
        )
        .await
        .expect("blocks archive");
        let (marshal_actor, marshal_mailbox, floor) =
            MarshalActor::<_, Standard<ConsensusBlock>, _, _, _, _, _, _>::init(
                context.child("marshal"),
                finalizations,
                finalized_blocks,
                marshal_cfg,
            )
            .await;
        tracing::info!(processed = ?floor.processed(), "consensus storage restored");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let marshal_handle = marshal_actor.start(FinalizedReporter { tx }, buffer, resolver);

        // Bridge: attach the finalization certificate, hand the block to the
        // node; after the last block of an epoch, learn the next epoch's
        // members from the ledger once the node has applied it.
        let (epoch_tx, mut epoch_rx) = tokio::sync::mpsc::unbounded_channel::<EpochStart>();
        // Only the epoch of the next block runs an engine: the earlier ones
        // are over (their last block is applied) and their journals gone.
        if let Some(current) = starts.last() {
            remove_finished_epochs(&cfg.storage, current.epoch);
            let _ = epoch_tx.send(current.clone());
        }
        let sync_epochs = epoch_tx.clone();
        let sync_schemes = schemes.clone();
        let sync_out = out.clone();
        let bridge_mailbox = marshal_mailbox.clone();
        let bridge_ledger = cfg.ledger.clone();
        let founders = cfg.validators.clone();
        let bridge_stop = cfg.stop.clone();
        let bridge_health = cfg.health.clone();
        let bridge_epocher = epocher.clone();
        context.child("bridge").spawn(move |_| async move {
            while let Some(msg) = rx.recv().await {
                let Delivered::Block(block, ack) = msg else {
                    continue;
                };
                let height: Height = block.height();
                let fin = bridge_mailbox.get_finalization(height).await;
                let (finalization, view) = match fin {
                    Some(f) if f.proposal.payload == block.digest() => {
                        (Some(f.encode().to_vec()), f.proposal.round.view().get())
                    }
                    _ => (None, 0),
                };
                let digest = block.digest();
                let item = Finalized {
                    digest,
                    block: block.inner().clone(),
                    finalization,
                    view,
                    ack,
                };
                if out.send(Delivery::Finalized(item)).is_err() {
                    break;
                }
                // Marshal ignores a prune above what the node acknowledged.
                if height.get().is_multiple_of(SECTION) && height.get() > keep_blocks {
                    bridge_mailbox.prune(Height::new(height.get() - keep_blocks));
                }
                let Some(info) = bridge_epocher.containing(height) else {
                    continue;
                };
                if info.last() != height {
                    continue;
                }
                let next = info.epoch().get() + 1;
                let applied = || {
                    bridge_ledger
                        .lock()
                        .ok()
                        .and_then(|l| l.head().ok().flatten())
                        .is_some_and(|h| h.height >= height.get())
                };
                // The service thread commits the block then acknowledges it to
                // marshal; nothing signals back into the runtime, so poll the
                // ledger (briefly: one block's apply time).
                while !applied() {
                    if bridge_stop.load(Ordering::SeqCst) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let validators = match bridge_ledger
                    .lock()
                    .map_err(|_| "ledger lock poisoned".to_string())
                    .and_then(|l| {
                        epochs::epoch_validators(&l, next, &founders).map_err(|e| e.to_string())
                    }) {
                    Ok(v) => v,
                    Err(e) => {
                        bridge_health.fail(
                            "consensus",
                            format!("cannot read the members of epoch {next}: {e}"),
                        );
                        return;
                    }
                };
                let _ = epoch_tx.send(EpochStart {
                    epoch: next,
                    validators,
                    floor: from_digest(&digest),
                });
            }
        });

        // Mempool gossip: out to every member, in from every member.
        let mut gossip_out = std::mem::replace(
            &mut cfg.gossip_out,
            tokio::sync::mpsc::unbounded_channel().1,
        );
        context.child("gossip_out").spawn(move |_| async move {
            while let Some(e) = gossip_out.recv().await {
                let bytes = credence_ledger::encode::to_bytes(&e);
                let _ = gossip_tx.send(Recipients::All, bytes, false);
            }
        });
        let pool = cfg.mempool.clone();
        context.child("gossip_in").spawn(move |_| async move {
            while let Ok((_from, msg)) = gossip_rx.recv().await {
                match from_bytes::<SignedEntry>("gossiped entry", msg.as_ref()) {
                    Ok(e) => {
                        pool.add(e);
                    }
                    Err(e) => tracing::debug!(error = %e, "dropping an undecodable gossiped entry"),
                }
            }
        });

        // Catching up from other members' ledgers, past what their
        // consensus stores keep (see `sync`).
        {
            let ledger = cfg.ledger.clone();
            let path = cfg.ledger_path.clone();
            let namespace = cfg.namespace.clone();
            let founders = cfg.validators.clone();
            let stop = cfg.stop.clone();
            let mailbox = marshal_mailbox.clone();
            let genesis = from_digest(&genesis_digest);
            let max_bytes = max_msg as usize - 1024;
            let (mut sync_tx, mut sync_rx) = (sync_tx, sync_rx);
            context.child("sync").spawn(move |_| async move {
                use sync::SyncMessage;
                use credence_ledger::encode::to_bytes;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                let mut still: Option<(u64, std::time::Instant)> = None;
                let mut answered: std::collections::HashMap<ed25519::PublicKey, std::time::Instant> =
                    std::collections::HashMap::new();
                let head_of = |l: &Mutex<Ledger>| {
                    l.lock().ok().and_then(|l| l.head().ok().flatten()).map(|h| h.height)
                };
                loop {
                    select! {
                        _ = tick.tick() => {
                            if stop.load(Ordering::SeqCst) {
                                break;
                            }
                            let Some(head) = head_of(&ledger) else { continue };
                            let now = std::time::Instant::now();
                            match still {
                                Some((h, since)) if h == head => {
                                    if now.duration_since(since) >= sync::STALL {
                                        let want = to_bytes(&SyncMessage::Want { after: head });
                                        let _ = sync_tx.send(Recipients::All, want, false);
                                        still = Some((head, now));
                                    }
                                }
                                _ => still = Some((head, now)),
                            }
                        },
                        msg = sync_rx.recv() => {
                            let Ok((from, msg)) = msg else { break };
                            match from_bytes::<SyncMessage>("sync message", msg.as_ref()) {
                                Ok(SyncMessage::Want { after }) => {
                                    let now = std::time::Instant::now();
                                    if answered.get(&from).is_some_and(|t| now.duration_since(*t) < sync::ANSWER_EVERY) {
                                        continue;
                                    }
                                    answered.insert(from.clone(), now);
                                    let path = path.clone();
                                    let reply = tokio::task::spawn_blocking(move || sync::answer(&path, after, max_bytes))
                                        .await
                                        .ok()
                                        .flatten();
                                    if let Some(bytes) = reply {
                                        let _ = sync_tx.send(Recipients::One(from), bytes, false);
                                    }
                                }
                                Ok(SyncMessage::Blocks { head: theirs, mut blocks }) => {
                                    let Some(head) = head_of(&ledger) else { continue };
                                    // Other members' answers to the same request, or late.
                                    if blocks.first().map(|b| b.0.header.height) != Some(head + 1) {
                                        continue;
                                    }
                                    let (l, ns) = (ledger.clone(), namespace.clone());
                                    let (checked, returned) = tokio::task::spawn_blocking(move || {
                                        let r = match l.lock() {
                                            Ok(l) => sync::check_run(&l, &ns, genesis, &blocks),
                                            Err(_) => Err("ledger lock poisoned".into()),
                                        };
                                        (r, blocks)
                                    })
                                    .await
                                    .unwrap_or_else(|_| (Err("the check failed".into()), Vec::new()));
                                    blocks = returned;
                                    let n = match checked {
                                        Ok(n) => n,
                                        Err(e) => {
                                            tracing::warn!(member = %hex::encode(&from.as_ref()[..4]), error = %e, "refused blocks another member sent to catch up");
                                            continue;
                                        }
                                    };
                                    blocks.truncate(n);
                                    let (last, last_cert) = {
                                        let (b, c) = &blocks[n - 1];
                                        (b.header.height, c.clone())
                                    };
                                    tracing::info!(from = head + 1, to = last, their_head = theirs, "catching up from another member's ledger");
                                    if sync_out.send(Delivery::Synced(blocks)).is_err() {
                                        break;
                                    }
                                    if !sync::applied(&ledger, last, &stop).await {
                                        continue;
                                    }
                                    still = None;
                                    if last < theirs {
                                        // The peer answers each member at most this often.
                                        tokio::time::sleep(sync::ANSWER_EVERY).await;
                                        let want = to_bytes(&SyncMessage::Want { after: last });
                                        let _ = sync_tx.send(Recipients::One(from), want, false);
                                        continue;
                                    }
                                    match sync::resume_point(&ledger, &last_cert, &founders, genesis, &sync_schemes) {
                                        Ok((finalization, start)) => {
                                            let _ = sync_epochs.send(start);
                                            mailbox.set_floor(finalization);
                                            tracing::info!(height = last, "caught up with the other members; consensus resumes from here");
                                        }
                                        Err(e) => tracing::warn!(error = %e, "caught up, but cannot resume consensus from the new head"),
                                    }
                                }
                                Err(e) => tracing::debug!(error = %e, "dropping an undecodable sync message"),
                            }
                        },
                    }
                }
            });
        }

        let app = LedgerApp {
            me: from_digest_key(&me),
            mempool: cfg.mempool.clone(),
            ledger: cfg.ledger.clone(),
            unfiltered: cfg.unfiltered,
        };
        let inline = Inline::new(
            context.child("inline"),
            app,
            marshal_mailbox.clone(),
            epocher.clone(),
        );

        // Epochs: start each epoch's engine when its members are known, stop
        // the previous one after a grace period, and when other members are
        // already in a later epoch, ask marshal to fetch the blocks up to the
        // end of the newest epoch this member knows.
        let controller_ctx = context.child("epochs");
        let storage = cfg.storage.clone();
        let mut oracle_ctl = oracle.clone();
        let hint_mailbox = marshal_mailbox.clone();
        let ctl_health = cfg.health.clone();
        let controller = context.child("epoch_controller").spawn(move |_| async move {
            let mut votes_subs = votes_subs;
            let mut certs_subs = certs_subs;
            let mut resolver_subs = resolver_subs;
            let mut engines: Vec<(u64, commonware_runtime::Handle<()>)> = Vec::new();
            let mut retire: Vec<(u64, std::time::Instant)> = Vec::new();
            let mut known: u64 = 0;
            let mut last_hint: Option<(u64, std::time::Instant)> = None;
            // One timer for the whole loop: a busy branch (votes from a later
            // epoch arrive often) must not keep postponing retirements.
            let mut retire_tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                select! {
                    start = epoch_rx.recv() => {
                        let Some(start) = start else { break };
                        let e = start.epoch;
                        if e < known || engines.iter().any(|(x, _)| *x == e) {
                            continue;
                        }
                        let Some(signing) = schemes.register(e, &start.validators) else {
                            ctl_health.fail(
                                "consensus",
                                format!("the member set of epoch {e} is empty or repeats a key"),
                            );
                            break;
                        };
                        known = e;
                        let peers: Vec<(ed25519::PublicKey, Address)> = start
                            .validators
                            .iter()
                            .filter(|v| v.p2p.port() != 0)
                            .map(|v| (pubkey(&v.key), v.p2p.into()))
                            .collect();
                        match Map::try_from(peers) {
                            Ok(peers) => { let _ = oracle_ctl.track(e, peers); }
                            Err(_) => tracing::error!(epoch = e, "duplicate member keys in the epoch"),
                        }
                        for (old, _) in &engines {
                            if *old < e && !retire.iter().any(|(x, _)| x == old) {
                                retire.push((*old, std::time::Instant::now() + EPOCH_GRACE));
                            }
                        }
                        let Some(scheme) = signing else {
                            tracing::info!(epoch = e, members = start.validators.len(), "epoch started; this member does not validate in it");
                            continue;
                        };
                        let (Ok(v), Ok(c), Ok(r)) = (
                            votes_subs.register(e).await,
                            certs_subs.register(e).await,
                            resolver_subs.register(e).await,
                        ) else {
                            tracing::error!(epoch = e, "cannot open the epoch's channels");
                            continue;
                        };
                        let engine = simplex::Engine::new(
                            controller_ctx.child("simplex").with_attribute("epoch", e),
                            simplex::config::Config {
                                scheme: (*scheme).clone(),
                                elector: RoundRobin::<Sha256>::default(),
                                blocker: oracle_ctl.clone(),
                                automaton: inline.clone(),
                                relay: inline.clone(),
                                reporter: inline.clone(),
                                strategy: Sequential,
                                partition: format!("simplex-epoch-{e}"),
                                mailbox_size: NZUsize!(1024),
                                epoch: Epoch::new(e),
                                floor: simplex::config::Floor::Genesis(to_digest(start.floor)),
                                replay_buffer: NZUsize!(1 << 20),
                                write_buffer: NZUsize!(1 << 14),
                                page_cache: page_cache.clone(),
                                leader_timeout: Duration::from_secs(1),
                                certification_timeout: Duration::from_secs(2),
                                timeout_retry: Duration::from_secs(1),
                                view_retention: ViewDelta::new(256),
                                skip: SkipPolicy::Enabled {
                                    timeout: Duration::from_secs(3),
                                    budget: SkipBudget::Participants,
                                },
                                fetch_timeout: NZDuration!(Duration::from_secs(1)),
                                fetch_retry_delay: Duration::from_millis(100),
                                forward: ForwardPolicy::Disabled,
                                track_historical_votes: false,
                            },
                        );
                        engines.push((e, engine.start(v, c, r)));
                        tracing::info!(epoch = e, members = start.validators.len(), "epoch started; validating");
                    },
                    behind = ahead.recv() => {
                        let Some((sub, (from, _))) = behind else { break };
                        if sub <= known {
                            continue;
                        }
                        let now = std::time::Instant::now();
                        if last_hint.is_some_and(|(k, at)| k == known && now < at + Duration::from_secs(2)) {
                            continue;
                        }
                        last_hint = Some((known, now));
                        if let Some(h) = epocher.last(Epoch::new(known)) {
                            tracing::info!(epoch = sub, known, "members are in a later epoch; fetching up to the end of ours");
                            hint_mailbox.hint_finalized(h, commonware_utils::vec::NonEmptyVec::new(from));
                        }
                    },
                    _ = retire_tick.tick() => {
                        let now = std::time::Instant::now();
                        retire.retain(|(e, at)| {
                            if now < *at {
                                return true;
                            }
                            if let Some(i) = engines.iter().position(|(x, _)| x == e) {
                                engines.remove(i).1.abort();
                                // An aborted engine's tasks stop at their next
                                // await: its own journal goes at the next
                                // retirement, the older ones now.
                                remove_finished_epochs(&storage, *e);
                                tracing::info!(epoch = e, "previous epoch's engine stopped");
                            }
                            false
                        });
                    },
                }
            }
        });

        let stop = cfg.stop.clone();
        let stopper = async move {
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        select! {
            _ = tokio::signal::ctrl_c() => { tracing::info!("interrupted: stopping"); },
            _ = sigterm.recv() => { tracing::info!("terminated: stopping"); },
            _ = stopper => { tracing::info!("stopping"); },
            r = controller => { cfg.health.fail("consensus", format!("the epoch controller exited: {r:?}")); },
            r = marshal_handle => { cfg.health.fail("consensus", format!("block delivery exited: {r:?}")); },
            r = network_handle => { cfg.health.fail("consensus", format!("the network exited: {r:?}")); },
        }
        cfg.stop.store(true, Ordering::SeqCst);
        let _ = context.stop(0, Some(Duration::from_secs(5))).await;
    });
}

/// The partitions of the consensus store before it became prunable (an
/// append-only archive that kept every block, erased content included).
/// Removed at start: the ledger holds every block, and marshal fetches what
/// it lacks from the other members, or the node catches up from their
/// ledgers (`sync`).
fn remove_unprunable_store(storage: &std::path::Path) {
    let mut removed = 0;
    for name in ["finalizations", "blocks"] {
        for part in [
            "metadata",
            "freezer-table",
            "freezer-key",
            "freezer-value",
            "ordinal",
        ] {
            let dir = storage.join(format!("marshal-{name}-{part}"));
            if !dir.is_dir() {
                continue;
            }
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(partition = %dir.display(), error = %e, "could not remove the old consensus block store")
                }
            }
        }
    }
    if removed > 0 {
        tracing::info!(
            partitions = removed,
            "removed the old consensus block store, which kept every block"
        );
    }
}

/// Remove the vote journals of epochs before `current`. An epoch's journal
/// keeps its engine from voting twice in a view after a restart; once the
/// epoch's last block is applied no engine runs for it again, and each
/// journal is a few MB.
fn remove_finished_epochs(storage: &std::path::Path, current: u64) {
    let Ok(dir) = std::fs::read_dir(storage) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(epoch) = name
            .to_str()
            .and_then(|n| n.strip_prefix("simplex-epoch-"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if epoch < current {
            if let Err(err) = std::fs::remove_dir_all(e.path()) {
                tracing::warn!(epoch, error = %err, "could not remove a finished epoch's vote journal");
            }
        }
    }
}

fn from_digest_key(k: &ed25519::PublicKey) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(k.as_ref());
    a
}

/// Block 0 of consensus: the signed genesis entry, at the consortium's creation time.
pub fn genesis_block(
    consortium: &str,
    created_at: u64,
    proposer: [u8; 32],
    genesis: &SignedEntry,
) -> ConsensusBlock {
    ConsensusBlock::new(
        to_digest(credence_crypto::hash::digest(
            b"credence.genesis-parent.v1",
            &[consortium.as_bytes()],
        )),
        Height::zero(),
        created_at,
        proposer,
        Bytes::from(credence_ledger::encode::to_bytes(&vec![genesis.clone()])),
    )
}
