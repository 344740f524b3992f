//! The Merkle tree a block header commits to its entries by (RFC 9162's
//! tree shape, §2.1, with Credence's own domain-separated hashes), so that
//! a client can check that one entry is in a certified block from the
//! entry, its index and a logarithmic path, without the block's other
//! entries.
//!
//! A leaf is the hash of one signed entry: the bytes its signatures sign
//! (`encode::entry_bytes`, where a sealed payload counts by its digest, so an
//! erased record's entry keeps its leaf) and the signatures, so a block
//! commits to who signed what. The root also commits
//! to the number of leaves: a path alone cannot tell a tree of 3 leaves from
//! one of 4 whose last two it hides, so the size is bound into the root.
use crate::encode::{entry_bytes, to_bytes};
use crate::types::SignedEntry;
use credence_crypto::hash::digest;

const LEAF_DOMAIN: &[u8] = b"credence.merkle.leaf.v2";
const NODE_DOMAIN: &[u8] = b"credence.merkle.node.v1";
const EMPTY_DOMAIN: &[u8] = b"credence.merkle.empty.v1";
const ROOT_DOMAIN: &[u8] = b"credence.merkle.root.v1";

pub type Hash = [u8; 32];

/// The leaf of one entry.
pub fn leaf(entry: &SignedEntry) -> Hash {
    digest(
        LEAF_DOMAIN,
        &[&entry_bytes(&entry.entry), &to_bytes(&entry.signatures)],
    )
}

fn node(left: &Hash, right: &Hash) -> Hash {
    digest(NODE_DOMAIN, &[left, right])
}

/// The largest power of two below `n` (n ≥ 2): where the tree splits.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The tree hash over `leaves` (RFC 9162 MTH).
fn tree(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => digest(EMPTY_DOMAIN, &[]),
        1 => leaves[0],
        n => {
            let k = split(n);
            node(&tree(&leaves[..k]), &tree(&leaves[k..]))
        }
    }
}

fn sized(size: usize, tree: &Hash) -> Hash {
    digest(ROOT_DOMAIN, &[&(size as u64).to_le_bytes(), tree])
}

/// The root over `leaves`, in order, bound to how many there are.
pub fn root(leaves: &[Hash]) -> Hash {
    sized(leaves.len(), &tree(leaves))
}

/// The root a block header carries for `entries`.
pub fn entries_root(entries: &[SignedEntry]) -> Hash {
    let leaves: Vec<Hash> = entries.iter().map(leaf).collect();
    root(&leaves)
}

/// The path that proves leaf `index` is in the tree over `leaves`: the
/// sibling hashes from the leaf up. `None` when `index` is out of range.
pub fn path(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    let (mut lo, mut hi, mut at) = (0, leaves.len(), index);
    // Walk down, remembering each sibling subtree's root; then reverse.
    while hi - lo > 1 {
        let k = split(hi - lo);
        if at < k {
            out.push(tree(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            out.push(tree(&leaves[lo..lo + k]));
            lo += k;
            at -= k;
        }
    }
    out.reverse();
    Some(out)
}

/// Whether `leaf` at `index` of a tree of `size` leaves, with `path`, has
/// the root `root` (RFC 9162 §2.1.3.2).
pub fn verify(root: &Hash, leaf: &Hash, index: usize, size: usize, path: &[Hash]) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n % 2 == 1 || f_n == s_n {
            r = node(p, &r);
            while f_n % 2 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && sized(size, &r) == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| digest(b"test leaf", &[&(i as u64).to_le_bytes()]))
            .collect()
    }

    #[test]
    fn every_leaf_of_every_small_tree_has_a_path_that_verifies() {
        for n in 1..=33 {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = path(&l, i).unwrap();
                assert!(p.len() <= 6, "a path is logarithmic");
                assert!(verify(&r, &l[i], i, n, &p), "n={n} i={i}");
                // The wrong leaf, index, size, root or path: refused.
                assert!(!verify(&r, &l[(i + 1) % n], i, n, &p) || n == 1);
                if n > 1 {
                    assert!(!verify(&r, &l[i], (i + 1) % n, n, &p), "n={n} i={i}");
                }
                assert!(!verify(&r, &l[i], i, n + 1, &p), "n={n} i={i}");
                assert!(!verify(&r, &l[i], n, n, &p));
                assert!(!verify(&leaves(1)[0], &l[i], i, n, &p) || n == 1);
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = node(first, first);
                    assert!(!verify(&r, &l[i], i, n, &bad), "n={n} i={i}");
                    assert!(!verify(&r, &l[i], i, n, &p[1..]), "n={n} i={i}");
                }
                let mut longer = p.clone();
                longer.push(r);
                assert!(!verify(&r, &l[i], i, n, &longer), "n={n} i={i}");
            }
            assert_eq!(path(&l, n), None);
        }
    }

    #[test]
    fn the_root_commits_to_every_leaf_and_its_place() {
        let l = leaves(7);
        let r = root(&l);
        for i in 0..7 {
            let mut changed = l.clone();
            changed[i][0] ^= 1;
            assert_ne!(root(&changed), r, "leaf {i}");
        }
        let mut swapped = l.clone();
        swapped.swap(2, 3);
        assert_ne!(root(&swapped), r);
        assert_eq!(root(&l[..2]), sized(2, &node(&l[0], &l[1])));
        assert_ne!(root(&[]), root(&l[..1]));
        assert_ne!(root(&l[..1]), l[0], "a root is never a bare leaf");
    }
}
