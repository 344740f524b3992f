//! Nonces seen within the time window: a signed request is served once.
use crate::auth::{Nonce, MAX_SKEW_SECS};
use std::collections::HashMap;
use std::sync::Mutex;

/// Remembers `(key, nonce)` until the request's time leaves the window.
pub struct ReplayCache {
    per_key: usize,
    seen: Mutex<HashMap<[u8; 32], HashMap<Nonce, u64>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    First,
    /// The same key and nonce were served before.
    Replay,
    /// This key has more live nonces than it may; it must slow down.
    TooMany,
}

impl ReplayCache {
    /// `per_key`: live nonces one key may hold (requests per 10 minutes).
    pub fn new(per_key: usize) -> Self {
        ReplayCache {
            per_key,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Record a request signed at `time`, checked at `now`.
    pub fn check(&self, key: &[u8; 32], nonce: &Nonce, time: u64, now: u64) -> Seen {
        // A request is fresh while |now - time| <= skew; keep its nonce until
        // no clock reading could find it fresh again.
        let expires = time.saturating_add(MAX_SKEW_SECS + 1);
        let mut g = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mine = g.entry(*key).or_default();
        if mine.contains_key(nonce) {
            return Seen::Replay;
        }
        if mine.len() >= self.per_key {
            mine.retain(|_, e| *e > now);
            if mine.len() >= self.per_key {
                return Seen::TooMany;
            }
        }
        mine.insert(*nonce, expires);
        Seen::First
    }

    /// Forget what can no longer be replayed.
    pub fn prune(&self, now: u64) {
        let mut g = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        g.retain(|_, m| {
            m.retain(|_, e| *e > now);
            !m.is_empty()
        });
    }

    pub(crate) fn len(&self) -> usize {
        let g = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        g.values().map(|m| m.len()).sum()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_served_once_while_fresh() {
        let c = ReplayCache::new(3);
        let (k, other) = ([1; 32], [2; 32]);
        assert_eq!(c.check(&k, &[9; 16], 1_000, 1_000), Seen::First);
        assert_eq!(c.check(&k, &[9; 16], 1_000, 1_299), Seen::Replay);
        // Another key may use the same nonce.
        assert_eq!(c.check(&other, &[9; 16], 1_000, 1_000), Seen::First);
        assert_eq!(c.check(&k, &[8; 16], 1_000, 1_000), Seen::First);
        assert_eq!(c.check(&k, &[7; 16], 1_000, 1_000), Seen::First);
        assert_eq!(c.check(&k, &[6; 16], 1_000, 1_000), Seen::TooMany);
        // Once the window has passed, the old nonces are forgotten.
        assert_eq!(c.check(&k, &[6; 16], 1_400, 1_400), Seen::First);
        c.prune(10_000);
        assert!(c.is_empty());
    }
}
