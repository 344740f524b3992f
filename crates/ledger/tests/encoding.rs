//! Golden vectors for the ledger's canonical encoding (an entry id and a
//! block hash that any implementation must reproduce byte for byte), and
//! property tests: no bytes, however hostile, make decoding panic, and what
//! decodes is canonical.
use credence_crypto::{Identity, Secret};
use credence_ledger::encode::{
    block_hash, entries_root, entry_id, from_bytes, sign_entry, to_bytes,
};
use credence_ledger::payload::Payload;
use credence_ledger::types::*;
use credence_ledger::{Block, BlockHeader, SignedEntry};
use proptest::prelude::*;

/// A fixed identity: secret bytes `n, n, …` (sign seed || X25519 secret).
fn fixed(n: u8) -> Identity {
    Identity::from_secret_bytes(&Secret::new([n; 64]))
}

fn golden_genesis() -> SignedEntry {
    let ids = [fixed(1), fixed(2)];
    let g = Genesis {
        consortium: "golden".into(),
        created_at: 1_800_000_000,
        members: vec![
            Member {
                name: "agency".into(),
                role: Role::Agency,
                key: ids[0].public(),
            },
            Member {
                name: "regulator".into(),
                role: Role::Regulator,
                key: ids[1].public(),
            },
        ],
        policy: Policy::default(),
    };
    sign_entry(Entry::Genesis(g), &[&ids[0], &ids[1]])
}

fn golden_block() -> Block {
    let entries = vec![golden_genesis()];
    Block {
        header: BlockHeader {
            height: 0,
            parent: [0; 32],
            timestamp: 1_800_000_000,
            proposer: fixed(1).party_id(),
            entries_root: entries_root(&entries),
        },
        entries,
    }
}

#[test]
fn golden_entry_id_and_block_hash() {
    let e = golden_genesis();
    // Ed25519 signatures are deterministic, so the whole signed entry is too.
    assert_eq!(
        hex::encode(entry_id(&e.entry)),
        GOLDEN_ENTRY_ID,
        "the encoding of entries changed: every entry id on every ledger would change"
    );
    assert_eq!(
        hex::encode(block_hash(&golden_block())),
        GOLDEN_BLOCK_HASH,
        "the encoding of block headers changed"
    );
    assert_eq!(
        hex::encode(credence_crypto::hash::digest(b"golden", &[&to_bytes(&e)])),
        GOLDEN_SIGNED_ENTRY_DIGEST,
        "the encoding of signed entries changed"
    );
}

// Changed when the genesis policy gained `retention_days`.
const GOLDEN_ENTRY_ID: &str = "466e058ec23adc1979637305fff5446da2ee4e496e0276b63900a798442fadcb";
// Changed when the entries root became a Merkle root over the entries
// (`merkle`); every block hash changed with it. Changed again with the
// genesis policy and when a leaf came to commit to a sealed payload by its
// digest (so an erased record keeps its leaf).
const GOLDEN_BLOCK_HASH: &str = "efea6d5d3987fa72f085b8ff5f130b942f26ee8257f5f061e5209d153a081fdf";
const GOLDEN_SIGNED_ENTRY_DIGEST: &str =
    "78243dc093f48bf0289e4aa92ed5a2af07edee9abf80c4cbe11f220e7e4103d9";

/// A record's entry id, signatures and Merkle leaf are the same before and
/// after its content is erased, and differ for any other digest.
#[test]
fn an_erased_record_keeps_its_id_signatures_and_leaf() {
    let furnisher = fixed(3);
    let subject = fixed(4);
    let (sealed, _) = credence_crypto::seal::seal(
        &furnisher,
        [5; 32],
        b"balance 1200",
        &[subject.public()],
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let record = |sealed| {
        Entry::RecordFurnished(RecordFurnished {
            record_id: [5; 32],
            subject: subject.party_id(),
            furnisher: furnisher.party_id(),
            kind: RecordKind::Income,
            corrects: None,
            commitments: vec![],
            validity: credence_crypto::proof::ValidityProof(vec![]),
            sealed,
        })
    };
    let kept = sign_entry(record(sealed.clone()), &[&furnisher]);
    let erased = credence_ledger::encode::erased_entry(&kept).unwrap();
    assert_ne!(
        to_bytes(&kept),
        to_bytes(&erased),
        "the stored bytes shrink"
    );
    assert_eq!(entry_id(&kept.entry), entry_id(&erased.entry));
    assert_eq!(kept.signatures, erased.signatures);
    let leaf = credence_ledger::merkle::leaf;
    assert_eq!(leaf(&kept), leaf(&erased));
    let mut other = erased.clone();
    if let Entry::RecordFurnished(r) = &mut other.entry {
        r.sealed.ciphertext = credence_crypto::seal::Ciphertext::Erased { digest: [0; 32] };
    }
    assert_ne!(entry_id(&other.entry), entry_id(&kept.entry));
    assert_ne!(leaf(&other), leaf(&kept));
    assert!(credence_ledger::encode::erased_entry(&erased).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = from_bytes::<SignedEntry>("entry", &bytes);
        let _ = from_bytes::<Block>("block", &bytes);
        let _ = from_bytes::<Certificate>("certificate", &bytes);
        let _ = Payload::decode(&bytes);
    }

    #[test]
    fn a_changed_byte_of_an_entry_is_refused_or_canonical(at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let good = to_bytes(&golden_genesis());
        let mut bad = good.clone();
        let i = at.index(bad.len());
        bad[i] = to;
        if let Ok(e) = from_bytes::<SignedEntry>("entry", &bad) {
            // Whatever decodes re-encodes to exactly the bytes given.
            prop_assert_eq!(to_bytes(&e), bad);
        }
    }

    #[test]
    fn truncated_blocks_are_refused(cut in 0usize..10_000) {
        let good = to_bytes(&golden_block());
        let cut = cut % good.len();
        prop_assert!(from_bytes::<Block>("block", &good[..cut]).is_err());
    }
}
