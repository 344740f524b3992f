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

/// The refusal when a rotation already waits.
pub(crate) fn waiting() -> ApiError {
    ApiError::new(
        ErrorCode::NotPermitted,
        "a rotation of this member's key already waits for the next epoch; rotate again after it",
    )
}
