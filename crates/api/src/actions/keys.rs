//! A party's key rotation.
use super::*;

/// `current` hands its party over to `next` (`Identity::rotated`): signed by
/// both, so only the holder of the current key rotates it, and only to a key
/// it holds.
pub fn rotate_key_entry(current: &Identity, next: &Identity) -> SignedEntry {
    sign_entry(
        Entry::KeyRotated {
            party: current.party_id(),
            new_key: next.public(),
            compromised: false,
        },
        &[current, next],
    )
}
