//! State-free checks that passed, remembered by a hash of all their inputs.
//!
//! One entry is judged several times at a member before its block is
//! applied: when a client submits it, by the proposer's filter, and again
//! while it waits in the pool. Its proofs and signatures need no state, so
//! a check that passed once, with exactly these inputs (the signer's key
//! as resolved from state included), passes again: each member still
//! verifies each proof itself, once. Only successes are kept; a failure is
//! checked again every time. Bounded: two generations of `GENERATION`
//! keys, the older dropped when the newer fills.
use std::collections::HashSet;
use std::sync::Mutex;

const GENERATION: usize = 1 << 16;

struct Generations {
    new: HashSet<[u8; 32]>,
    old: HashSet<[u8; 32]>,
}

static PASSED: Mutex<Option<Generations>> = Mutex::new(None);

pub(super) fn contains(key: &[u8; 32]) -> bool {
    let g = PASSED.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref()
        .is_some_and(|g| g.new.contains(key) || g.old.contains(key))
}

pub(super) fn insert(key: [u8; 32]) {
    let mut g = PASSED.lock().unwrap_or_else(|e| e.into_inner());
    let g = g.get_or_insert_with(|| Generations {
        new: HashSet::new(),
        old: HashSet::new(),
    });
    if g.new.len() >= GENERATION {
        g.old = std::mem::take(&mut g.new);
    }
    g.new.insert(key);
}
