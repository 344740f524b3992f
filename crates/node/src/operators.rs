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
//!
//! An operator rotates their own key at their node (`POST
//! /v1/operator/rotate`, signed by the current key, carrying the new key's
//! signature over the hand-over): the node rewrites the file with the new
//! key, keeps the operator's party (the first key's id, which the audit
//! trail names) and lists the retired key, which it refuses from then on.
use credence_crypto::{Identity, PartyId, PublicIdentity, Signature};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

pub const OPERATORS_FILE: &str = "operators.json";
const SIG_DOMAIN: &[u8] = b"credence/operators/v1";
/// What an operator's new key signs to take over from the current one.
pub const ROTATE_DOMAIN: &[u8] = b"credence/operators/rotate/v1";
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
    /// The operator's party when their key was rotated: their first key's
    /// id, kept so the audit trail names one person across rotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Keys this operator signed with before, newest first: refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredKey>,
}

/// An operator's key replaced by a rotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredKey {
    pub sign_key: String,
    /// Unix seconds of the rotation.
    pub until: u64,
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

    /// The operator's party: their first key's id, whatever key they hold now.
    pub fn party(&self) -> Result<PartyId, OperatorError> {
        match &self.party {
            None => Ok(self.public()?.party_id()),
            Some(p) => PartyId::from_hex(p).map_err(|_| {
                OperatorError::Invalid(format!("operator {}'s party is not a party id", self.name))
            }),
        }
    }

    fn retired_keys(&self) -> Result<Vec<[u8; 32]>, OperatorError> {
        self.retired
            .iter()
            .map(|r| {
                key32(
                    &format!("operator {}'s retired key", self.name),
                    &r.sign_key,
                )
            })
            .collect()
    }
}

/// The bytes an operator's new key signs to take over from the current one,
/// at the node of `member`.
pub fn rotation_message(
    member: &PartyId,
    operator: &PartyId,
    current: &[u8; 32],
    next: &PublicIdentity,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 * 5);
    m.extend_from_slice(&member.0);
    m.extend_from_slice(&operator.0);
    m.extend_from_slice(current);
    m.extend_from_slice(&next.sign);
    m.extend_from_slice(&next.enc);
    m
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

    /// The registry with `operator` (a party) moved to the key `next`, the
    /// current one listed as retired as of `at`; signed again by `member`.
    /// `next` must be new to the registry (never any operator's key, nor the
    /// member's).
    pub fn rotated(
        &self,
        member: &Identity,
        operator: &PartyId,
        next: &PublicIdentity,
        at: u64,
    ) -> Result<Self, OperatorError> {
        self.verify(&member.public())?;
        let mut ops = self.operators.clone();
        let o = ops
            .iter_mut()
            .find(|o| o.party().ok() == Some(*operator))
            .ok_or_else(|| OperatorError::Invalid("no such operator in the registry".into()))?;
        if o.party.is_none() {
            o.party = Some(operator.to_hex());
        }
        o.retired.insert(
            0,
            RetiredKey {
                sign_key: std::mem::replace(&mut o.sign_key, hex::encode(next.sign)),
                until: at,
            },
        );
        o.enc_key = hex::encode(next.enc);
        Self::sign(member, ops)
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
    let mut parties = std::collections::HashSet::new();
    // Every key, current or retired, belongs to one operator only: a key
    // retired by one must never sign for another.
    let mut keys = std::collections::HashSet::new();
    for o in operators {
        let p = o.party()?;
        let current = o.public()?;
        if p == *member || current.party_id() == *member {
            return Err(OperatorError::Invalid(format!(
                "operator {} holds the member's own key",
                o.name
            )));
        }
        if !parties.insert(p) {
            return Err(OperatorError::Invalid(format!(
                "operator {}'s key is registered twice",
                o.name
            )));
        }
        for k in std::iter::once(current.sign).chain(o.retired_keys()?) {
            if !keys.insert(k) {
                return Err(OperatorError::Invalid(format!(
                    "operator {}'s key is registered twice",
                    o.name
                )));
            }
        }
    }
    Ok(())
}

/// An operator as the node knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registered {
    pub key: PublicIdentity,
    pub role: OperatorRole,
    /// The operator's party (their first key's id).
    pub party: PartyId,
}

/// What the registry says of a signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Current(Registered),
    /// An operator's key before a rotation, retired at `until` (unix seconds).
    Retired {
        until: u64,
    },
    Unknown,
}

/// What the node consults on each request: the file, re-read whenever its
/// modification time, length or inode changes (every write is a rename of a
/// new file, so a new inode even within one clock tick).
pub struct Operators {
    home: PathBuf,
    member: PublicIdentity,
    cache: Mutex<Cache>,
    writing: Mutex<()>,
}

#[derive(Default)]
struct Cache {
    seen: Option<(SystemTime, u64, u64)>,
    known: Vec<Registered>,
    retired: Vec<([u8; 32], u64)>,
}

impl Operators {
    pub fn new(home: &Path, member: PublicIdentity) -> Self {
        Operators {
            home: home.to_path_buf(),
            member,
            cache: Mutex::new(Cache::default()),
            writing: Mutex::new(()),
        }
    }

    /// What the registry says of the signing key `sign`, as of now.
    pub fn lookup(&self, sign: &[u8; 32]) -> Lookup {
        let c = self.fresh();
        if let Some(r) = c.known.iter().find(|r| r.key.sign == *sign) {
            return Lookup::Current(*r);
        }
        match c.retired.iter().find(|(k, _)| k == sign) {
            Some((_, until)) => Lookup::Retired { until: *until },
            None => Lookup::Unknown,
        }
    }

    /// The operator registered with `party`, if any (whatever their key).
    pub fn by_party(&self, party: &PartyId) -> Option<Registered> {
        self.fresh()
            .known
            .iter()
            .find(|r| r.party == *party)
            .copied()
    }

    /// Rotate `operator`'s key to `next` in the file, signed by `member`
    /// (the node's own key). Serialised, so two rotations cannot lose one.
    pub fn rotate(
        &self,
        member: &Identity,
        operator: &PartyId,
        next: &PublicIdentity,
        at: u64,
    ) -> Result<(), OperatorError> {
        let _held = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let file = OperatorsFile::read(&self.home)?
            .ok_or_else(|| OperatorError::Invalid("this node registers no operators".into()))?;
        file.rotated(member, operator, next, at)?.write(&self.home)
    }

    fn fresh(&self) -> std::sync::MutexGuard<'_, Cache> {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let stamp = std::fs::metadata(self.home.join(OPERATORS_FILE))
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len(), inode(&m))));
        if stamp != c.seen {
            (c.known, c.retired) = self.load();
            c.seen = stamp;
        }
        c
    }

    fn load(&self) -> (Vec<Registered>, Vec<([u8; 32], u64)>) {
        let file = match OperatorsFile::read(&self.home) {
            Ok(Some(f)) => f,
            Ok(None) => return Default::default(),
            Err(e) => {
                tracing::error!(error = %e, "operators: none registered");
                return Default::default();
            }
        };
        if let Err(e) = file.verify(&self.member) {
            tracing::error!(error = %e, "operators: none registered");
            return Default::default();
        }
        let mut known = Vec::new();
        let mut retired = Vec::new();
        for o in &file.operators {
            // `verify` checked every key and party.
            let (Ok(key), Ok(party), Ok(old)) = (o.public(), o.party(), o.retired_keys()) else {
                continue;
            };
            known.push(Registered {
                key,
                role: o.role,
                party,
            });
            retired.extend(old.into_iter().zip(o.retired.iter().map(|r| r.until)));
        }
        tracing::info!(operators = known.len(), "operators registered");
        (known, retired)
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
                party: None,
                retired: Vec::new(),
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
        assert_eq!(
            reg.lookup(&alice.public().sign),
            Lookup::Unknown,
            "no file: nobody"
        );

        OperatorsFile::sign(&member, vec![a.clone(), b.clone()])
            .unwrap()
            .write(dir.path())
            .unwrap();
        assert_eq!(
            reg.by_party(&alice.party_id()).map(|r| r.role),
            Some(OperatorRole::Officer)
        );
        assert!(
            matches!(reg.lookup(&bob.public().sign), Lookup::Current(r) if r.role == OperatorRole::Analyst)
        );

        // Removed: refused from the next lookup.
        OperatorsFile::sign(&member, vec![b.clone()])
            .unwrap()
            .write(dir.path())
            .unwrap();
        assert_eq!(reg.lookup(&alice.public().sign), Lookup::Unknown);

        // Someone with write access but not the member's key promotes bob:
        // the file no longer verifies, and nobody is registered.
        let mut forged = OperatorsFile::read(dir.path()).unwrap().unwrap();
        forged.operators[0].role = OperatorRole::Officer;
        forged.write(dir.path()).unwrap();
        assert_eq!(reg.lookup(&bob.public().sign), Lookup::Unknown);
        // Signed by another key: the same.
        let other = Identity::generate(&mut rand::rngs::OsRng);
        let mut by_other = OperatorsFile::sign(&other, vec![b.clone()]).unwrap();
        by_other.member = member.party_id().to_hex();
        by_other.write(dir.path()).unwrap();
        assert_eq!(reg.lookup(&bob.public().sign), Lookup::Unknown);

        // The member's own key, or a key twice, is refused when signing.
        let mut own = b.clone();
        own.sign_key = hex::encode(member.public().sign);
        assert!(OperatorsFile::sign(&member, vec![own]).is_err());
        assert!(OperatorsFile::sign(&member, vec![b.clone(), b]).is_err());
    }

    #[test]
    fn an_operator_rotated_keeps_their_party_and_role_and_the_old_key_is_refused() {
        let member = Identity::generate(&mut rand::rngs::OsRng);
        let dir = tempfile::tempdir().unwrap();
        let reg = Operators::new(dir.path(), member.public());
        let (alice, a) = op("alice", OperatorRole::Officer);
        let (bob, b) = op("bob", OperatorRole::Analyst);
        OperatorsFile::sign(&member, vec![a, b])
            .unwrap()
            .write(dir.path())
            .unwrap();
        let next = alice.rotated(&mut rand::rngs::OsRng);
        reg.rotate(&member, &alice.party_id(), &next.public(), 100)
            .unwrap();

        let Lookup::Current(r) = reg.lookup(&next.public().sign) else {
            panic!("the new key is registered")
        };
        assert_eq!((r.party, r.role), (alice.party_id(), OperatorRole::Officer));
        assert_eq!(
            reg.lookup(&alice.public().sign),
            Lookup::Retired { until: 100 }
        );
        assert_eq!(reg.by_party(&alice.party_id()).unwrap().key, next.public());
        // The file is still the member's signed word, and survives a re-read.
        let file = OperatorsFile::read(dir.path()).unwrap().unwrap();
        file.verify(&member.public()).unwrap();
        assert_eq!(file.operators[0].party().unwrap(), alice.party_id());

        // Twice: both old keys are refused, the party stays.
        let third = next.rotated(&mut rand::rngs::OsRng);
        reg.rotate(&member, &alice.party_id(), &third.public(), 200)
            .unwrap();
        assert_eq!(
            reg.lookup(&next.public().sign),
            Lookup::Retired { until: 200 }
        );
        assert_eq!(
            reg.lookup(&alice.public().sign),
            Lookup::Retired { until: 100 }
        );
        assert_eq!(reg.by_party(&alice.party_id()).unwrap().key, third.public());

        // Onto a key in use (bob's, or one alice retired): refused, file unchanged.
        let before = std::fs::read(dir.path().join(OPERATORS_FILE)).unwrap();
        assert!(reg
            .rotate(&member, &alice.party_id(), &bob.public(), 300)
            .is_err());
        assert!(reg
            .rotate(&member, &alice.party_id(), &alice.public(), 300)
            .is_err());
        assert!(reg
            .rotate(&member, &bob.party_id(), &alice.public(), 300)
            .is_err());
        assert!(reg
            .rotate(&member, &bob.party_id(), &member.public(), 300)
            .is_err());
        // Not by another member's key.
        let other = Identity::generate(&mut rand::rngs::OsRng);
        let fresh = Identity::generate(&mut rand::rngs::OsRng);
        assert!(reg
            .rotate(&other, &bob.party_id(), &fresh.public(), 300)
            .is_err());
        assert_eq!(
            std::fs::read(dir.path().join(OPERATORS_FILE)).unwrap(),
            before
        );
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
