//! A member's operators: the people on its staff, each with their own key,
//! registered at the member's node (`operators.json` in the node's home).
//! A request an operator signs acts for the member within the operator's
//! role only; the member's key never leaves the node.
//!
//! The file is signed by the member's own key, so that write access to the
//! node's home is not enough to add an operator (that takes the keystore's
//! passphrase). The node re-reads the file when it changes: an operator
//! removed is refused from the next request. A file that does not verify
//! registers nobody (fail closed) and the node says why in its log.
use credence_crypto::{Identity, PartyId, PublicIdentity, Signature};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

pub const OPERATORS_FILE: &str = "operators.json";
const SIG_DOMAIN: &[u8] = b"credence/operators/v1";
/// More than any member's staff; bounds what one file can make the node hold.
pub const MAX_OPERATORS: usize = 10_000;

/// What an operator may do for the member. Nobody but the member's own key
/// furnishes, scores, answers, votes or proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorRole {
    /// A bank officer: asks questions about consenting borrowers and enrols
    /// borrowers from their signed requests.
    Officer,
    /// An agency analyst: reads the records sealed to the member, each one
    /// re-wrapped to the analyst's own key.
    Analyst,
    /// A regulator's auditor: reads the questions and answers.
    Auditor,
}

/// One thing an operator may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Ask,
    Enrol,
    /// Furnish tradelines from a furnishing file (a lender's officer).
    Furnish,
    ReadQueries,
    ReadConsents,
    ReadRecords,
    OpenRecord,
}

impl OperatorRole {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "officer" => Some(Self::Officer),
            "analyst" => Some(Self::Analyst),
            "auditor" => Some(Self::Auditor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Analyst => "analyst",
            Self::Auditor => "auditor",
        }
    }

    /// The one table of what each role may do.
    pub fn may(self, act: Act) -> bool {
        use Act::*;
        match self {
            Self::Officer => matches!(act, Ask | Enrol | Furnish | ReadQueries | ReadConsents),
            Self::Analyst => matches!(act, ReadQueries | ReadConsents | ReadRecords | OpenRecord),
            Self::Auditor => matches!(act, ReadQueries | ReadConsents),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// A label for people (the audit trail names the key, not the label).
    pub name: String,
    pub role: OperatorRole,
    /// Ed25519 public key (hex): signs the operator's requests.
    pub sign_key: String,
    /// X25519 public key (hex): records reach an analyst wrapped to it.
    pub enc_key: String,
    pub added_at: u64,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    #[error("{0}")]
    Invalid(String),
    #[error("operators.json is not signed by this member's key; it registers nobody")]
    BadSignature,
    #[error("cannot read or write {path}: {why}")]
    Io { path: String, why: String },
}

fn key32(what: &str, hex_key: &str) -> Result<[u8; 32], OperatorError> {
    hex::decode(hex_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| OperatorError::Invalid(format!("{what} is not 64 hex digits")))
}

impl Operator {
    pub fn public(&self) -> Result<PublicIdentity, OperatorError> {
        Ok(PublicIdentity {
            sign: key32(
                &format!("operator {}'s sign_key", self.name),
                &self.sign_key,
            )?,
            enc: key32(&format!("operator {}'s enc_key", self.name), &self.enc_key)?,
        })
    }

    pub fn party(&self) -> Result<PartyId, OperatorError> {
        Ok(self.public()?.party_id())
    }
}

/// `operators.json`: the member's party, its operators, and the member's
/// signature over both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorsFile {
    pub member: String,
    pub operators: Vec<Operator>,
    pub signature: String,
}

fn signed_bytes(member: &str, operators: &[Operator]) -> Vec<u8> {
    // serde_json writes struct fields in declaration order: canonical here.
    serde_json::to_vec(&(member, operators)).expect("operators serialise")
}

impl OperatorsFile {
    /// The registry `operators`, signed by `member`. Each operator is checked
    /// (keys, no key twice, not the member's own key).
    pub fn sign(member: &Identity, operators: Vec<Operator>) -> Result<Self, OperatorError> {
        check(&member.party_id(), &operators)?;
        let party = member.party_id().to_hex();
        let sig = member.sign(SIG_DOMAIN, &signed_bytes(&party, &operators));
        Ok(OperatorsFile {
            member: party,
            operators,
            signature: hex::encode(sig.0),
        })
    }

    /// Check the signature against the member's key, and every entry.
    pub fn verify(&self, member: &PublicIdentity) -> Result<(), OperatorError> {
        if self.member != member.party_id().to_hex() {
            return Err(OperatorError::BadSignature);
        }
        let sig: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(OperatorError::BadSignature)?;
        member
            .verify(
                SIG_DOMAIN,
                &signed_bytes(&self.member, &self.operators),
                &Signature(sig),
            )
            .map_err(|_| OperatorError::BadSignature)?;
        check(&member.party_id(), &self.operators)
    }

    /// The file in `home`, or `None` when there is none.
    pub fn read(home: &Path) -> Result<Option<Self>, OperatorError> {
        let path = home.join(OPERATORS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(OperatorError::Io {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| OperatorError::Invalid(format!("{} is malformed: {e}", path.display())))
    }

    /// Write atomically (a temporary file, then a rename).
    pub fn write(&self, home: &Path) -> Result<(), OperatorError> {
        let path = home.join(OPERATORS_FILE);
        let io = |e: std::io::Error| OperatorError::Io {
            path: path.display().to_string(),
            why: e.to_string(),
        };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).expect("serialises")).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

fn check(member: &PartyId, operators: &[Operator]) -> Result<(), OperatorError> {
    if operators.len() > MAX_OPERATORS {
        return Err(OperatorError::Invalid(format!(
            "{} operators; at most {MAX_OPERATORS}",
            operators.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for o in operators {
        let p = o.party()?;
        if p == *member {
            return Err(OperatorError::Invalid(format!(
                "operator {} holds the member's own key",
                o.name
            )));
        }
        if !seen.insert(p) {
            return Err(OperatorError::Invalid(format!(
                "operator {}'s key is registered twice",
                o.name
            )));
        }
    }
    Ok(())
}

/// An operator as the node knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registered {
    pub key: PublicIdentity,
    pub role: OperatorRole,
}

/// What the node consults on each request: the file, re-read whenever its
/// modification time, length or inode changes (every write is a rename of a
/// new file, so a new inode even within one clock tick).
pub struct Operators {
    home: PathBuf,
    member: PublicIdentity,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    seen: Option<(SystemTime, u64, u64)>,
    known: Vec<(PartyId, Registered)>,
}

impl Operators {
    pub fn new(home: &Path, member: PublicIdentity) -> Self {
        Operators {
            home: home.to_path_buf(),
            member,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The operator whose key has this party id, if registered now.
    pub fn lookup(&self, party: &PartyId) -> Option<Registered> {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let stamp = std::fs::metadata(self.home.join(OPERATORS_FILE))
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len(), inode(&m))));
        if stamp != c.seen {
            c.known = self.load();
            c.seen = stamp;
        }
        c.known.iter().find(|(p, _)| p == party).map(|(_, r)| *r)
    }

    fn load(&self) -> Vec<(PartyId, Registered)> {
        let file = match OperatorsFile::read(&self.home) {
            Ok(Some(f)) => f,
            Ok(None) => return Vec::new(),
            Err(e) => {
                tracing::error!(error = %e, "operators: none registered");
                return Vec::new();
            }
        };
        if let Err(e) = file.verify(&self.member) {
            tracing::error!(error = %e, "operators: none registered");
            return Vec::new();
        }
        let known: Vec<_> = file
            .operators
            .iter()
            .filter_map(|o| {
                let key = o.public().ok()?;
                Some((key.party_id(), Registered { key, role: o.role }))
            })
            .collect();
        tracing::info!(operators = known.len(), "operators registered");
        known
    }
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, role: OperatorRole) -> (Identity, Operator) {
        let id = Identity::generate(&mut rand::rngs::OsRng);
        let p = id.public();
        (
            id,
            Operator {
                name: name.into(),
                role,
                sign_key: hex::encode(p.sign),
                enc_key: hex::encode(p.enc),
                added_at: 1,
            },
        )
    }

    #[test]
    fn the_registry_is_the_members_signed_word_and_nothing_else() {
        let member = Identity::generate(&mut rand::rngs::OsRng);
        let dir = tempfile::tempdir().unwrap();
        let reg = Operators::new(dir.path(), member.public());
        let (alice, a) = op("alice", OperatorRole::Officer);
        let (bob, b) = op("bob", OperatorRole::Analyst);
        assert_eq!(reg.lookup(&alice.party_id()), None, "no file: nobody");

        OperatorsFile::sign(&member, vec![a.clone(), b.clone()])
            .unwrap()
            .write(dir.path())
            .unwrap();
        assert_eq!(
            reg.lookup(&alice.party_id()).map(|r| r.role),
            Some(OperatorRole::Officer)
        );
        assert_eq!(
            reg.lookup(&bob.party_id()).map(|r| r.role),
            Some(OperatorRole::Analyst)
        );

        // Removed: refused from the next lookup.
        OperatorsFile::sign(&member, vec![b.clone()])
            .unwrap()
            .write(dir.path())
            .unwrap();
        assert_eq!(reg.lookup(&alice.party_id()), None);

        // Someone with write access but not the member's key promotes bob:
        // the file no longer verifies, and nobody is registered.
        let mut forged = OperatorsFile::read(dir.path()).unwrap().unwrap();
        forged.operators[0].role = OperatorRole::Officer;
        forged.write(dir.path()).unwrap();
        assert_eq!(reg.lookup(&bob.party_id()), None);
        // Signed by another key: the same.
        let other = Identity::generate(&mut rand::rngs::OsRng);
        let mut by_other = OperatorsFile::sign(&other, vec![b.clone()]).unwrap();
        by_other.member = member.party_id().to_hex();
        by_other.write(dir.path()).unwrap();
        assert_eq!(reg.lookup(&bob.party_id()), None);

        // The member's own key, or a key twice, is refused when signing.
        let mut own = b.clone();
        own.sign_key = hex::encode(member.public().sign);
        assert!(OperatorsFile::sign(&member, vec![own]).is_err());
        assert!(OperatorsFile::sign(&member, vec![b.clone(), b]).is_err());
    }

    #[test]
    fn roles_allow_only_their_acts() {
        use Act::*;
        let all = [
            Ask,
            Enrol,
            ReadQueries,
            ReadConsents,
            ReadRecords,
            OpenRecord,
        ];
        let allowed =
            |r: OperatorRole| -> Vec<Act> { all.iter().copied().filter(|a| r.may(*a)).collect() };
        assert_eq!(
            allowed(OperatorRole::Officer),
            vec![Ask, Enrol, ReadQueries, ReadConsents]
        );
        assert_eq!(
            allowed(OperatorRole::Analyst),
            vec![ReadQueries, ReadConsents, ReadRecords, OpenRecord]
        );
        assert_eq!(
            allowed(OperatorRole::Auditor),
            vec![ReadQueries, ReadConsents]
        );
        for r in ["officer", "analyst", "auditor"] {
            assert_eq!(OperatorRole::parse(r).unwrap().as_str(), r);
        }
        assert_eq!(OperatorRole::parse("admin"), None);
    }
}
