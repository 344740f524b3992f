//! Counting slots per caller and in all: a caller over its share is refused
//! at once, so one caller's flood never queues ahead of another's request.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// At most `per_key` slots held by one key and `total` by all keys.
pub struct Quota<K: Eq + Hash + Clone> {
    per_key: usize,
    total: usize,
    held: Mutex<(usize, HashMap<K, usize>)>,
}

/// Why a slot was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This key holds its share already.
    Caller,
    /// Every slot is taken.
    Full,
}

/// A slot, given back when dropped.
pub struct Slot<K: Eq + Hash + Clone> {
    quota: Arc<Quota<K>>,
    key: K,
}

impl<K: Eq + Hash + Clone> Quota<K> {
    pub fn new(per_key: usize, total: usize) -> Arc<Self> {
        Arc::new(Quota {
            per_key,
            total,
            held: Mutex::new((0, HashMap::new())),
        })
    }

    pub fn take(self: &Arc<Self>, key: K) -> Result<Slot<K>, Refused> {
        let mut g = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let mine = g.1.get(&key).copied().unwrap_or(0);
        if mine >= self.per_key {
            return Err(Refused::Caller);
        }
        if g.0 >= self.total {
            return Err(Refused::Full);
        }
        g.0 += 1;
        g.1.insert(key.clone(), mine + 1);
        Ok(Slot {
            quota: self.clone(),
            key,
        })
    }

    /// Slots held now (all keys).
    pub fn held(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

impl<K: Eq + Hash + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut g = self.quota.held.lock().unwrap_or_else(|p| p.into_inner());
        g.0 -= 1;
        if let Some(n) = g.1.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                g.1.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_over_its_share_does_not_take_anothers() {
        let q = Quota::new(2, 3);
        let a1 = q.take("a").unwrap();
        let _a2 = q.take("a").unwrap();
        assert_eq!(q.take("a").err(), Some(Refused::Caller));
        let b1 = q.take("b").unwrap();
        assert_eq!(q.take("c").err(), Some(Refused::Full));
        drop(a1);
        assert!(q.take("c").is_ok());
        drop(b1);
        assert_eq!(q.held(), 1);
    }
}
