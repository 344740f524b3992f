//! A person's own identity against a consortium: whatever their key is to
//! the members' nodes. A borrower's key is known to every member; a staff
//! member's key only to their own member's node, in one role. The nodes
//! say which (`/v1/whoami`), after each is checked against the profile.
use crate::borrower::BorrowerSession;
use crate::error::{ApiError, ErrorCode, Result};
use crate::operator::OperatorSession;
use crate::profile::Profile;
use credence_crypto::Identity;
use credence_node::operators::OperatorRole;

pub enum OwnSession {
    Borrower(BorrowerSession),
    Operator {
        session: OperatorSession,
        role: OperatorRole,
    },
}

/// Where a key rotation took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotated {
    /// A borrower's: on the ledger, final at this block height.
    OnLedger { height: u64 },
    /// An operator's: in their member's registry, the old key retired at
    /// this unix time.
    AtNode { member: String, retired_at: u64 },
}

/// What one node takes a key for.
enum Seen {
    Borrower,
    Operator(OperatorRole),
    Stranger,
}

fn whoami(profile: &Profile, member: &str, me: &Identity) -> Result<Seen> {
    let client = profile.connect(member, me)?;
    match client.get("/v1/whoami") {
        Ok(v) => match (v["caller"].as_str(), v["role"].as_str()) {
            (Some("borrower"), _) => Ok(Seen::Borrower),
            (Some("operator"), Some(r)) => OperatorRole::parse(r)
                .map(Seen::Operator)
                .ok_or_else(|| ApiError::new(ErrorCode::Internal, format!("unknown role {r}"))),
            _ => Ok(Seen::Stranger),
        },
        Err(e) => {
            let a = ApiError::from(e);
            if a.code == ErrorCode::NotAMember {
                Ok(Seen::Stranger)
            } else {
                Err(a)
            }
        }
    }
}

/// Unlock `home` and settle a rotation left pending (the app or the CLI
/// stopped between submitting it and saving its result): if a member's node
/// knows the pending key (as the borrower's, or as an operator's at their
/// member's node), the rotation is final and the key becomes the identity;
/// otherwise it stays pending (it may yet land).
pub fn unlock_settled(
    home: &crate::home::Home,
    passphrase: &credence_crypto::Secret<String>,
    profile: &Profile,
) -> Result<crate::home::Actor> {
    let actor = home.unlock(passphrase)?;
    let Some(pending) = &actor.pending else {
        return Ok(actor);
    };
    for m in &profile.members {
        if let Ok(Seen::Borrower | Seen::Operator(_)) = whoami(profile, &m.name, pending) {
            return home.finish_rotation(passphrase);
        }
    }
    Ok(actor)
}

impl OwnSession {
    /// My party (after a rotation, still the first key's id).
    pub fn party(&self) -> credence_crypto::PartyId {
        match self {
            OwnSession::Borrower(b) => b.party(),
            OwnSession::Operator { session, .. } => session.party(),
        }
    }

    /// My current public key.
    pub fn public(&self) -> credence_crypto::PublicIdentity {
        match self {
            OwnSession::Borrower(b) => b.public(),
            OwnSession::Operator { session, .. } => session.public(),
        }
    }

    /// Rotate my key, the keystore in `home` being my open identity's: a
    /// borrower on the ledger, an operator at their member's node. Either
    /// way my party stays, the keystore keeps the old key, and only the new
    /// one signs from now on.
    pub fn rotate_key(
        &mut self,
        home: &crate::home::Home,
        passphrase: &credence_crypto::Secret<String>,
    ) -> Result<Rotated> {
        match self {
            OwnSession::Borrower(b) => Ok(Rotated::OnLedger {
                height: b.rotate_key(home, passphrase)?,
            }),
            OwnSession::Operator { session, .. } => Ok(Rotated::AtNode {
                retired_at: session.rotate_key(home, passphrase)?,
                member: session.member().to_string(),
            }),
        }
    }

    /// Unlock the keystore in `home` (settling a rotation left pending) and
    /// open its identity as `open` does; a borrower keeps the retired keys,
    /// which open the records sealed before a rotation.
    pub fn open_keystore(
        home: &crate::home::Home,
        passphrase: &credence_crypto::Secret<String>,
        profile: Profile,
        via: Option<&str>,
    ) -> Result<Self> {
        let me = unlock_settled(home, passphrase, &profile)?;
        Ok(match OwnSession::open(me.identity, profile, via)? {
            OwnSession::Borrower(b) => OwnSession::Borrower(b.with_retired(me.retired)),
            other => other,
        })
    }

    /// Open `me` against the consortium: through `via` when given, else
    /// through the first member whose node knows the key.
    pub fn open(me: Identity, profile: Profile, via: Option<&str>) -> Result<Self> {
        let names: Vec<String> = match via {
            Some(v) => vec![profile.member(v)?.name.clone()],
            None => profile.members.iter().map(|m| m.name.clone()).collect(),
        };
        let mut unreachable = Vec::new();
        for name in &names {
            match whoami(&profile, name, &me) {
                Ok(Seen::Borrower) => {
                    return Ok(OwnSession::Borrower(BorrowerSession::open(
                        me,
                        profile,
                        Some(name),
                    )?))
                }
                Ok(Seen::Operator(role)) => {
                    return Ok(OwnSession::Operator {
                        session: OperatorSession::open(me, profile, name)?,
                        role,
                    })
                }
                Ok(Seen::Stranger) => {}
                Err(e) if e.code == ErrorCode::Unreachable => unreachable.push(e.message),
                Err(e) => return Err(e),
            }
        }
        if unreachable.len() == names.len() {
            return Err(ApiError::new(
                ErrorCode::Unreachable,
                format!("no member's node answers: {}", unreachable.join("; ")),
            ));
        }
        Err(ApiError::new(
            ErrorCode::NotAMember,
            format!(
                "{} this key ({}). As a borrower, give your enrolment request to your lender; \
                 as a member's staff, ask your member to register your key (`credence node \
                 operator add`)",
                if names.len() == 1 {
                    format!("{}'s node does not know", names[0])
                } else {
                    "no member's node knows".to_string()
                },
                me.party_id().short()
            ),
        ))
    }
}
