//! A member node's home and the founding genesis: `credence node init`,
//! `credence node genesis`, `credence node sign-genesis`.
//!
//! A home holds `keystore.json` (private), `node.json` (public: name, role,
//! keys, addresses, the client API's TLS certificate) and, once running,
//! `ledger.db`. The genesis file lists
//! every founding member's public `node.json` and collects each one's
//! signature over the genesis entry; a node runs only a fully signed genesis.
mod furnishing;
pub mod keys;
pub mod operators;
mod run;
pub use credence_node::client_api::Lie;
pub use run::{run, RunOptions, Starting, DEFAULT_KEEP_BLOCKS, MIN_KEEP_BLOCKS};

use crate::error::{ApiError, ErrorCode, Result};
use crate::home::{check_name, Home};
use credence_crypto::keystore::KdfParams;
use credence_crypto::{Identity, PublicIdentity, Secret, Signature};
use credence_ledger::encode::{entry_bytes, ENTRY_SIG_DOMAIN};
use credence_ledger::types::{Entry, Genesis, Member, Policy, Role, SignedEntry};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

pub const NODE_FILE: &str = "node.json";

/// What a member publishes about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub role: String,
    /// Ed25519 public key (hex): signs entries, authenticates p2p links, votes.
    pub sign_key: String,
    /// X25519 public key (hex): receives sealed records.
    pub enc_key: String,
    /// Where other members reach this node (consensus and gossip).
    pub p2p: SocketAddr,
    /// The client API (loopback by default).
    pub api: SocketAddr,
    /// The client API's self-signed TLS certificate (hex DER), its key
    /// derived from the identity; clients pin it. Homes made before TLS have
    /// none and serve plain HTTP on loopback only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
}

/// Longest certificate accepted from a file (ours are about 400 bytes).
const MAX_CERT_BYTES: usize = 4096;

/// A TLS certificate given as hex DER, checked for size.
pub(crate) fn decode_cert(what: &str, hex_der: &str) -> Result<Vec<u8>> {
    let der = hex::decode(hex_der)
        .map_err(|_| ApiError::invalid(format!("{what}'s tls_cert is not hex")))?;
    if der.is_empty() || der.len() > MAX_CERT_BYTES {
        return Err(ApiError::invalid(format!(
            "{what}'s tls_cert is {} bytes; a certificate is 1 to {MAX_CERT_BYTES}",
            der.len()
        )));
    }
    Ok(der)
}

fn key32(what: &str, s: &str) -> Result<[u8; 32]> {
    let v = hex::decode(s).map_err(|_| ApiError::invalid(format!("{what} is not hex")))?;
    v.try_into()
        .map_err(|_| ApiError::invalid(format!("{what} must be 32 bytes")))
}

impl NodeInfo {
    pub fn public(&self) -> Result<PublicIdentity> {
        Ok(PublicIdentity {
            sign: key32("sign_key", &self.sign_key)?,
            enc: key32("enc_key", &self.enc_key)?,
        })
    }
    pub fn role(&self) -> Result<Role> {
        Role::parse(&self.role)
            .ok_or_else(|| ApiError::invalid("role must be agency, lender or regulator"))
    }
    /// The client API's certificate (DER), if the node has one.
    pub fn cert(&self) -> Result<Option<Vec<u8>>> {
        self.tls_cert
            .as_deref()
            .map(|c| decode_cert(&self.name, c))
            .transpose()
    }

    /// The certificate's SHA-256 fingerprint (hex), as people compare it.
    pub fn tls_fingerprint(&self) -> Result<Option<String>> {
        Ok(self.cert()?.map(|c| credence_node::tls::fingerprint(&c)))
    }

    /// A client of this node's API signing as `me`: TLS pinned to the
    /// node's certificate when it has one.
    pub fn client(&self, me: &Identity) -> Result<credence_node::client::NodeClient> {
        let cert = self.cert()?;
        Ok(credence_node::client::NodeClient::to(
            self.api,
            self.public()?.party_id(),
            me.clone(),
            cert.as_deref(),
        ))
    }

    pub fn member(&self) -> Result<Member> {
        Ok(Member {
            name: self.name.clone(),
            role: self.role()?,
            key: self.public()?,
        })
    }
}

/// Where a member's node listens, and the extra names its TLS certificate
/// carries (the host names or addresses clients dial when they differ from
/// the bind address).
#[derive(Clone, Debug)]
pub struct Addresses {
    pub p2p: SocketAddr,
    pub api: SocketAddr,
    pub tls_names: Vec<String>,
}

/// Create a member home: a fresh identity in an encrypted keystore, and its
/// public `node.json` with the client API's TLS certificate.
pub fn init(
    home: &Home,
    name: &str,
    role: Role,
    at: &Addresses,
    passphrase: &Secret<String>,
    kdf: KdfParams,
) -> Result<NodeInfo> {
    check_name(name)?;
    let names = credence_node::tls::names_for(at.api, &at.tls_names);
    // Checked before the keystore exists, so a bad name leaves no home behind.
    credence_node::tls::check_names(&names).map_err(|e| ApiError::invalid(e.to_string()))?;
    let actor = home.create(name, passphrase, kdf)?;
    let cert = credence_node::tls::make_certificate(&actor.identity, name, &names)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let (p2p, api) = (at.p2p, at.api);
    let p = actor.identity.public();
    let info = NodeInfo {
        name: name.into(),
        role: role.as_str().into(),
        sign_key: hex::encode(p.sign),
        enc_key: hex::encode(p.enc),
        p2p,
        api,
        tls_cert: Some(hex::encode(cert)),
    };
    write_json(&home.dir.join(NODE_FILE), &info)?;
    Ok(info)
}

pub fn read_info(home: &Home) -> Result<NodeInfo> {
    read_json(&home.dir.join(NODE_FILE), "node.json")
}

/// The founding genesis and the signatures collected so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisFile {
    pub consortium: String,
    pub created_at: u64,
    pub members: Vec<NodeInfo>,
    /// One per member, in order; hex Ed25519 signatures over the genesis entry.
    pub signatures: Vec<Option<String>>,
    /// Blocks per consensus epoch (membership changes take effect at epochs).
    #[serde(default = "default_epoch_length")]
    pub epoch_length: u64,
    /// Days a record is kept before any member may erase its content.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
}

fn default_epoch_length() -> u64 {
    credence_ledger::types::DEFAULT_EPOCH_LENGTH
}

fn default_retention_days() -> u32 {
    credence_ledger::types::DEFAULT_RETENTION_DAYS
}

impl GenesisFile {
    pub fn create(consortium: &str, created_at: u64, members: Vec<NodeInfo>) -> Result<Self> {
        if members.is_empty() {
            return Err(ApiError::invalid("a genesis needs at least one member"));
        }
        for (i, m) in members.iter().enumerate() {
            m.member()?;
            if members[..i]
                .iter()
                .any(|o| o.name == m.name || o.sign_key == m.sign_key || o.p2p == m.p2p)
            {
                return Err(ApiError::invalid(format!(
                    "member {} repeats another's name, key or address",
                    m.name
                )));
            }
        }
        let n = members.len();
        Ok(GenesisFile {
            consortium: consortium.into(),
            created_at,
            members,
            signatures: vec![None; n],
            epoch_length: default_epoch_length(),
            retention_days: default_retention_days(),
        })
    }

    /// Set the epoch length (before anyone signs).
    pub fn with_epoch_length(mut self, blocks: u64) -> Result<Self> {
        if blocks < 2 {
            return Err(ApiError::invalid("an epoch must be at least 2 blocks long"));
        }
        if self.signatures.iter().any(|s| s.is_some()) {
            return Err(ApiError::invalid(
                "the genesis is already signed; its epoch length cannot change",
            ));
        }
        self.epoch_length = blocks;
        Ok(self)
    }

    /// Set how many days records are kept (before anyone signs).
    pub fn with_retention_days(mut self, days: u32) -> Result<Self> {
        if !(365..=36_500).contains(&days) {
            return Err(ApiError::invalid(
                "a record's retention must be 365 to 36,500 days",
            ));
        }
        if self.signatures.iter().any(|s| s.is_some()) {
            return Err(ApiError::invalid(
                "the genesis is already signed; its retention cannot change",
            ));
        }
        self.retention_days = days;
        Ok(self)
    }

    pub fn entry(&self) -> Result<Entry> {
        Ok(Entry::Genesis(Genesis {
            consortium: self.consortium.clone(),
            created_at: self.created_at,
            members: self
                .members
                .iter()
                .map(|m| m.member())
                .collect::<Result<_>>()?,
            policy: Policy {
                epoch_length: self.epoch_length,
                retention_days: self.retention_days,
                ..Policy::default()
            },
        }))
    }

    /// Add `me`'s signature (I must be one of the founding members).
    pub fn sign(&mut self, me: &Identity) -> Result<()> {
        let pk = hex::encode(me.public().sign);
        let i = self
            .members
            .iter()
            .position(|m| m.sign_key == pk)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotPermitted,
                    "this key is not a founding member of that genesis",
                )
            })?;
        let sig = me.sign(ENTRY_SIG_DOMAIN, &entry_bytes(&self.entry()?));
        self.signatures[i] = Some(hex::encode(sig.0));
        Ok(())
    }

    /// The signed genesis entry; every founding member must have signed.
    pub fn signed_entry(&self) -> Result<SignedEntry> {
        let entry = self.entry()?;
        let msg = entry_bytes(&entry);
        let mut sigs = Vec::new();
        for (m, s) in self.members.iter().zip(&self.signatures) {
            let s = s.as_ref().ok_or_else(|| {
                ApiError::invalid(format!("{} has not signed the genesis yet", m.name))
            })?;
            let b: [u8; 64] = hex::decode(s)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| {
                    ApiError::invalid(format!("{}'s genesis signature is malformed", m.name))
                })?;
            let sig = Signature(b);
            m.public()?
                .verify(ENTRY_SIG_DOMAIN, &msg, &sig)
                .map_err(|_| {
                    ApiError::invalid(format!("{}'s genesis signature does not verify", m.name))
                })?;
            sigs.push(sig);
        }
        Ok(SignedEntry {
            entry,
            signatures: sigs,
        })
    }

    pub fn read(path: &Path) -> Result<Self> {
        read_json(path, "genesis file")
    }
    pub fn write(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// Write `v` as pretty JSON, atomically (a temporary file, then a rename).
pub(crate) fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_vec_pretty(v)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ApiError::not_found(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| ApiError::invalid(format!("{what} {} is malformed: {e}", path.display())))
}

/// A candidate's signed request to join a running consortium, as a file the
/// candidate hands to a current member (who proposes it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequestFile {
    pub consortium: String,
    pub name: String,
    pub role: String,
    pub p2p: SocketAddr,
    /// The canonical encoding of the signed request (hex); what the ledger checks.
    pub request: String,
}

impl JoinRequestFile {
    /// Sign a join request for the member whose home this is.
    pub fn create(me: &Identity, info: &NodeInfo, consortium: &str) -> Result<Self> {
        let req = credence_ledger::encode::sign_join_request(
            me,
            consortium,
            info.member()?,
            &info.p2p.to_string(),
        );
        Ok(JoinRequestFile {
            consortium: consortium.into(),
            name: info.name.clone(),
            role: info.role.clone(),
            p2p: info.p2p,
            request: hex::encode(credence_ledger::encode::to_bytes(&req)),
        })
    }

    /// The request itself; the readable fields must agree with it.
    pub fn request(&self) -> Result<credence_ledger::types::JoinRequest> {
        let bytes = hex::decode(&self.request)
            .map_err(|_| ApiError::invalid("the join request's `request` is not hex"))?;
        let req: credence_ledger::types::JoinRequest =
            credence_ledger::encode::from_bytes("join request", &bytes)
                .map_err(|e| ApiError::invalid(format!("the join request does not decode: {e}")))?;
        if req.consortium != self.consortium
            || req.member.name != self.name
            || req.member.role.as_str() != Role::parse(&self.role).map(|r| r.as_str()).unwrap_or("")
            || req.address != self.p2p.to_string()
        {
            return Err(ApiError::invalid(
                "the join request's readable fields disagree with its signed content",
            ));
        }
        Ok(req)
    }
}
