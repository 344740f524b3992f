//! A member's keys through a rotation. The keystore holds the member's
//! current key and its earlier ones (and, between submitting a rotation and
//! seeing it final, the new key as pending). Which one signs is the
//! ledger's word: the key it names for the member in the epoch of the next
//! block. A rotation takes effect at the next epoch, so for the rest of the
//! epoch the old key still signs and votes, although the keystore already
//! holds the new one as current.
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use credence_crypto::{Identity, Secret};
use credence_ledger::{read, Ledger};

/// The member's identity to act with now (see the module's text), holding
/// every other key of the keystore to open what was sealed to it. A
/// rotation left pending is settled first once the ledger holds it.
pub fn member_identity(home: &Home, passphrase: &Secret<String>) -> Result<Identity> {
    let mut a = home.unlock(passphrase)?;
    let path = home.ledger();
    let ledger = if path.exists() {
        Some(Ledger::open_read_only(&path)?)
    } else {
        None
    };
    let Some(l) = ledger else {
        return Ok(a.identity.with_earlier(a.retired));
    };
    if let Some(p) = &a.pending {
        if read::member_key_from_epoch(&l, &p.public().sign)?.is_some() {
            a = home.finish_rotation(passphrase)?;
        }
    }
    let want = key_in_force(&l, &a.identity)?;
    let mut all: Vec<Identity> = std::iter::once(a.identity).chain(a.retired).collect();
    let i = want
        .and_then(|k| all.iter().position(|id| id.public().sign == k))
        .unwrap_or(0);
    let chosen = all.remove(i);
    Ok(chosen.with_earlier(all))
}

/// The key the ledger names for `me`'s party in the epoch of the next block
/// (`None` when it does not know the member yet).
fn key_in_force(l: &Ledger, me: &Identity) -> Result<Option<[u8; 32]>> {
    let Some(head) = l.head()? else {
        return Ok(None);
    };
    let Some((_, epoch_length, _)) = read::chain(l)? else {
        return Ok(None);
    };
    let epoch = (head.height + 1) / epoch_length.max(1);
    Ok(read::members_at_epoch(l, epoch)?
        .into_iter()
        .find(|m| m.member.party == me.party_id())
        .map(|m| m.member.key.sign))
}

/// A member's request for a new key after its key leaked (`credence node
/// rekey-request`), as a file: the readable fields and the signed request.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RekeyRequestFile {
    pub consortium: String,
    pub member: String,
    pub party: String,
    pub compromised_since: u64,
    /// The canonical encoding of the signed request (hex); what the ledger checks.
    pub request: String,
}

impl RekeyRequestFile {
    /// Make a new key for the member in `home`, keep it in the keystore as
    /// pending (it becomes the member's key once 2/3 approve and the next
    /// epoch starts; the node then runs with it), and sign the request.
    pub fn create(
        home: &Home,
        passphrase: &Secret<String>,
        compromised_since: u64,
    ) -> Result<Self> {
        if compromised_since > credence_ledger::clock::unix_now() {
            return Err(ApiError::invalid(
                "--since is in the future: a key is declared leaked as of a time already past",
            ));
        }
        let a = home.unlock(passphrase)?;
        if a.pending.is_some() {
            return Err(waiting());
        }
        let info = super::read_info(home)?;
        let path = home.ledger();
        let consortium = read::chain(&Ledger::open_read_only(&path)?)?
            .ok_or_else(|| ApiError::not_found("this member's ledger holds no genesis yet"))?
            .0;
        let next = a.identity.rotated(&mut rand::rngs::OsRng);
        home.stage_rotation(passphrase, &next)?;
        let req =
            credence_ledger::encode::sign_rekey_request(&next, &consortium, compromised_since);
        Ok(RekeyRequestFile {
            consortium,
            member: info.name,
            party: req.party.to_hex(),
            compromised_since,
            request: hex::encode(credence_ledger::encode::to_bytes(&req)),
        })
    }

    /// The request itself; the readable fields must agree with it.
    pub fn request(&self) -> Result<credence_ledger::types::RekeyRequest> {
        let bytes = hex::decode(&self.request)
            .map_err(|_| ApiError::invalid("the rekey request's `request` is not hex"))?;
        let req: credence_ledger::types::RekeyRequest =
            credence_ledger::encode::from_bytes("rekey request", &bytes)?;
        if req.consortium != self.consortium
            || req.party.to_hex() != self.party
            || req.compromised_since != self.compromised_since
        {
            return Err(ApiError::invalid(
                "the rekey request's readable fields do not match what it signs",
            ));
        }
        Ok(req)
    }
}

/// The refusal when a rotation already waits.
pub(crate) fn waiting() -> ApiError {
    ApiError::new(
        ErrorCode::NotPermitted,
        "a rotation of this member's key already waits for the next epoch; rotate again after it",
    )
}
