//! A consortium profile (`profile.json`): what a client needs to reach the
//! consortium and to know it reached the right one. The consortium's name,
//! the hash of its block 0, and per founding member its name, role, public
//! keys, client API address and the API's TLS certificate with its SHA-256
//! fingerprint. `credence node profile` writes it from the signed genesis
//! file; the demo writes one beside its members.
//!
//! Architecture invariant: a client talks to a node only after the node's
//! `/v1/status` names the party, consortium and genesis the profile holds
//! (`Profile::connect`); requests are signed for that party alone, so a node
//! holding another key cannot use them. A member with a certificate is
//! reached over TLS that accepts that certificate alone; plain HTTP only to
//! a member on this machine that has none.
use crate::error::{ApiError, ErrorCode, Result};
use crate::member::{GenesisFile, NodeInfo};
use credence_crypto::{Identity, PartyId};
use credence_ledger::types::Role;
use credence_node::client::NodeClient;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

pub const PROFILE_FILE: &str = "profile.json";
const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub version: u32,
    pub consortium: String,
    /// Hex hash of the consortium's block 0.
    pub genesis: String,
    pub members: Vec<ProfileMember>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileMember {
    pub name: String,
    pub role: String,
    /// Ed25519 public key (hex): the member's party.
    pub sign_key: String,
    /// X25519 public key (hex): records are sealed to it.
    pub enc_key: String,
    /// The member's client API.
    pub api: SocketAddr,
    /// The API's TLS certificate (hex DER) and its SHA-256 fingerprint
    /// (hex): the fingerprint is what people compare out of band, and a
    /// certificate that does not hash to it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_fingerprint: Option<String>,
}

impl ProfileMember {
    fn info(&self) -> NodeInfo {
        NodeInfo {
            name: self.name.clone(),
            role: self.role.clone(),
            sign_key: self.sign_key.clone(),
            enc_key: self.enc_key.clone(),
            // Clients never dial a member's p2p address.
            p2p: self.api,
            api: self.api,
            tls_cert: self.tls_cert.clone(),
        }
    }

    /// The member's public keys.
    pub fn public(&self) -> Result<credence_crypto::PublicIdentity> {
        self.info().public()
    }

    /// The member's party id (from its signing key).
    pub fn party(&self) -> Result<PartyId> {
        Ok(self.info().public()?.party_id())
    }

    pub fn role(&self) -> Result<Role> {
        self.info().role()
    }
}

impl Profile {
    /// The profile of the consortium a fully signed genesis file founds.
    pub fn from_genesis(g: &GenesisFile) -> Result<Self> {
        let block = credence_node::service::genesis_ledger_block(&g.signed_entry()?, g.created_at)?;
        let p = Profile {
            version: VERSION,
            consortium: g.consortium.clone(),
            genesis: hex::encode(credence_ledger::encode::block_hash(&block)),
            members: g
                .members
                .iter()
                .map(|m| {
                    Ok(ProfileMember {
                        name: m.name.clone(),
                        role: m.role.clone(),
                        sign_key: m.sign_key.clone(),
                        enc_key: m.enc_key.clone(),
                        api: m.api,
                        tls_cert: m.tls_cert.clone(),
                        tls_fingerprint: m.tls_fingerprint()?,
                    })
                })
                .collect::<Result<_>>()?,
        };
        p.check()?;
        Ok(p)
    }

    /// Everything a profile must be before a client uses it.
    fn check(&self) -> Result<()> {
        let bad = |why: String| ApiError::invalid(format!("the profile is not usable: {why}"));
        if self.version != VERSION {
            return Err(bad(format!(
                "it is version {}, and this program reads version {VERSION}",
                self.version
            )));
        }
        if self.consortium.trim().is_empty() {
            return Err(bad("it names no consortium".into()));
        }
        let genesis = hex::decode(&self.genesis).ok().filter(|g| g.len() == 32);
        if genesis.is_none() {
            return Err(bad("its genesis is not 64 hex digits".into()));
        }
        if self.members.is_empty() {
            return Err(bad("it lists no member".into()));
        }
        for (i, m) in self.members.iter().enumerate() {
            m.info()
                .member()
                .map_err(|e| bad(format!("member {}: {}", m.name, e.message)))?;
            if self.members[..i]
                .iter()
                .any(|o| o.name == m.name || o.sign_key == m.sign_key)
            {
                return Err(bad(format!(
                    "member {} repeats another's name or key",
                    m.name
                )));
            }
            match (&m.tls_cert, &m.tls_fingerprint) {
                (Some(cert), Some(fp)) => {
                    let der =
                        crate::member::decode_cert(&m.name, cert).map_err(|e| bad(e.message))?;
                    if credence_node::tls::fingerprint(&der) != fp.to_ascii_lowercase() {
                        return Err(bad(format!(
                            "member {}'s tls_cert does not match its tls_fingerprint",
                            m.name
                        )));
                    }
                }
                (None, None) => {
                    // Plain HTTP is for this machine only.
                    if !m.api.ip().is_loopback() {
                        return Err(bad(format!(
                            "member {}'s client API {} is not on this machine and the profile \
                             pins no TLS certificate for it; plain HTTP is only allowed on \
                             loopback",
                            m.name, m.api
                        )));
                    }
                }
                _ => {
                    return Err(bad(format!(
                        "member {} has a tls_cert or a tls_fingerprint without the other",
                        m.name
                    )))
                }
            }
        }
        Ok(())
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ApiError::not_found(format!("cannot read the profile {}: {e}", path.display()))
                .caused_by(e)
        })?;
        let p: Profile = serde_json::from_str(&text).map_err(|e| {
            ApiError::invalid(format!("the profile {} is malformed: {e}", path.display()))
        })?;
        p.check()?;
        Ok(p)
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        self.check()?;
        crate::member::write_json(path, self)
    }

    /// The name of the member whose party id is `p`, if the profile lists it.
    pub fn name_of(&self, p: &PartyId) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.party().is_ok_and(|q| q == *p))
            .map(|m| m.name.as_str())
    }

    pub fn member(&self, name: &str) -> Result<&ProfileMember> {
        self.members.iter().find(|m| m.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.members.iter().map(|m| m.name.as_str()).collect();
            ApiError::not_found(format!(
                "the profile has no member named {name:?} (it has {})",
                names.join(", ")
            ))
        })
    }

    /// A client of `member`'s node, signing as `me`, after checking that the
    /// node is that member of this consortium.
    pub fn connect(&self, member: &str, me: &Identity) -> Result<NodeClient> {
        let m = self.member(member)?;
        let party = m.party()?;
        let client = m.info().client(me)?;
        let status = client.status().map_err(|e| {
            if let credence_node::NodeError::WrongCertificate(_) = e {
                return ApiError::new(
                    ErrorCode::WrongNode,
                    format!(
                        "the node at {} is not {member} of {}: its TLS certificate is not the \
                         one the profile pins (fingerprint {}). Nothing was sent to it; check \
                         the profile or the address",
                        m.api,
                        self.consortium,
                        m.tls_fingerprint.as_deref().unwrap_or("?")
                    ),
                )
                .caused_by(e);
            }
            ApiError::new(
                ErrorCode::Unreachable,
                format!(
                    "{member}'s node at {} does not answer; is it running? ({e})",
                    m.api
                ),
            )
            .caused_by(e)
        })?;
        let says = |k: &str| status[k].as_str().unwrap_or("").to_string();
        let wrong = |what: &str, got: String, want: &str| {
            ApiError::new(
                ErrorCode::WrongNode,
                format!(
                    "the node at {} is not {member} of {}: its {what} is {got:?}, the profile's \
                     is {want:?}. Nothing was sent to it; check the profile or the address",
                    m.api, self.consortium
                ),
            )
        };
        if says("party") != party.to_hex() {
            return Err(wrong("party", says("party"), &party.to_hex()));
        }
        if says("consortium") != self.consortium {
            return Err(wrong("consortium", says("consortium"), &self.consortium));
        }
        if says("genesis") != self.genesis {
            return Err(wrong("genesis", says("genesis"), &self.genesis));
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        let id = Identity::generate(&mut rand::rngs::OsRng);
        let pk = id.public();
        Profile {
            version: VERSION,
            consortium: "c".into(),
            genesis: "ab".repeat(32),
            members: vec![ProfileMember {
                name: "bank-a".into(),
                role: "lender".into(),
                sign_key: hex::encode(pk.sign),
                enc_key: hex::encode(pk.enc),
                api: "127.0.0.1:7001".parse().unwrap(),
                tls_cert: None,
                tls_fingerprint: None,
            }],
        }
    }

    fn pinned(p: &mut Profile, api: &str) {
        let id = Identity::generate(&mut rand::rngs::OsRng);
        let api = api.parse().unwrap();
        let names = credence_node::tls::names_for(api, &[]);
        let cert = credence_node::tls::make_certificate(&id, "bank-a", &names).unwrap();
        p.members[0].api = api;
        p.members[0].tls_fingerprint = Some(credence_node::tls::fingerprint(&cert));
        p.members[0].tls_cert = Some(hex::encode(cert));
    }

    #[test]
    fn a_profile_is_checked_whole_before_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PROFILE_FILE);
        let p = sample();
        p.write(&path).unwrap();
        assert_eq!(Profile::read(&path).unwrap(), p);
        assert_eq!(p.member("bank-a").unwrap().role().unwrap(), Role::Lender);
        let e = p.member("bank-z").unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(e.message.contains("bank-a"), "{e}");

        let refused = |f: &dyn Fn(&mut Profile), says: &str| {
            let mut q = sample();
            f(&mut q);
            std::fs::write(&path, serde_json::to_string(&q).unwrap()).unwrap();
            let e = Profile::read(&path).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{e}");
            assert!(e.message.contains(says), "{e}");
        };
        refused(&|q| q.version = 2, "version 2");
        refused(&|q| q.genesis = "00".into(), "genesis");
        refused(&|q| q.members.clear(), "no member");
        refused(&|q| q.members[0].sign_key = "zz".into(), "bank-a");
        refused(&|q| q.members[0].role = "king".into(), "bank-a");
        refused(
            &|q| q.members[0].api = "10.0.0.5:7001".parse().unwrap(),
            "only allowed on loopback",
        );
        // A member elsewhere is usable with a pinned certificate...
        let mut remote = sample();
        pinned(&mut remote, "10.0.0.5:7001");
        remote.write(&path).unwrap();
        assert_eq!(Profile::read(&path).unwrap(), remote);
        // ...whose fingerprint must be the certificate's.
        refused(
            &|q| {
                pinned(q, "10.0.0.5:7001");
                let mut fp = q.members[0].tls_fingerprint.take().unwrap();
                fp.replace_range(0..2, if &fp[0..2] == "00" { "01" } else { "00" });
                q.members[0].tls_fingerprint = Some(fp);
            },
            "does not match its tls_fingerprint",
        );
        refused(
            &|q| {
                pinned(q, "10.0.0.5:7001");
                q.members[0].tls_fingerprint = None;
            },
            "without the other",
        );
        refused(
            &|q| {
                pinned(q, "127.0.0.1:7001");
                q.members[0].tls_cert = Some("zz".into());
            },
            "not hex",
        );
        refused(
            &|q| {
                let again = q.members[0].clone();
                q.members.push(again)
            },
            "repeats",
        );
        std::fs::write(&path, "{\"version\": 1, \"extra\": true}").unwrap();
        assert_eq!(
            Profile::read(&path).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn a_node_that_does_not_answer_is_unreachable() {
        // A port nothing listens on.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut p = sample();
        p.members[0].api = free.local_addr().unwrap();
        drop(free);
        let me = Identity::generate(&mut rand::rngs::OsRng);
        let e = p.connect("bank-a", &me).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
        assert!(e.message.contains("bank-a's node"), "{e}");
    }
}
