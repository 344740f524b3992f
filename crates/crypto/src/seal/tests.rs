use super::*;
use rand::rngs::OsRng;

fn ids(n: usize) -> Vec<Identity> {
    (0..n).map(|_| Identity::generate(&mut OsRng)).collect()
}

fn pubs(ids: &[Identity]) -> Vec<PublicIdentity> {
    ids.iter().map(Identity::public).collect()
}

fn round_trip(n: usize) {
    let author = Identity::generate(&mut OsRng);
    let rcpts = ids(n);
    let pt = b"balance=1234;limit=5000;late=0".to_vec();
    let (rec, key) = seal(&author, [7u8; 32], &pt, &pubs(&rcpts), &mut OsRng).unwrap();
    assert_eq!(rec.recipients.len(), n);
    assert_eq!(
        rec.header,
        SealHeader {
            version: SEAL_VERSION,
            context: [7u8; 32],
            author: author.party_id()
        }
    );
    rec.verify_author(&author.public()).unwrap();
    for (w, r) in rec.recipients.iter().zip(&rcpts) {
        assert_eq!(w.key_id, r.key_id());
        assert_eq!(w.ciphertext.len(), WRAP_CT_LEN);
    }
    for r in &rcpts {
        assert_eq!(rec.open(r, &[]).unwrap().expose(), &pt);
        assert_eq!(rec.content_key(r, &[]).unwrap().0.expose(), key.0.expose());
    }
    assert_eq!(rec.open_with_key(&key).unwrap().expose(), &pt);
    // The payload ciphertext is the plaintext plus one tag: nothing else leaks in.
    assert_eq!(rec.ciphertext.bytes().unwrap().len(), pt.len() + 16);
}

#[test]
fn round_trip_1_recipient() {
    round_trip(1);
}

#[test]
fn round_trip_3_recipients() {
    round_trip(3);
}

#[test]
fn round_trip_10_recipients() {
    round_trip(10);
}

#[test]
fn empty_plaintext_round_trips() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (rec, _) = seal(&author, [0u8; 32], b"", &[r.public()], &mut OsRng).unwrap();
    rec.verify_author(&author.public()).unwrap();
    assert!(rec.open(&r, &[]).unwrap().expose().is_empty());
}

#[test]
fn non_recipient_gets_not_a_recipient() {
    let author = Identity::generate(&mut OsRng);
    let rcpts = ids(3);
    let (rec, _) = seal(&author, [1u8; 32], b"secret", &pubs(&rcpts), &mut OsRng).unwrap();
    let outsider = Identity::generate(&mut OsRng);
    assert_eq!(
        rec.open(&outsider, &[]).unwrap_err(),
        CryptoError::NotARecipient
    );
    // The author is not a recipient either unless listed.
    assert_eq!(
        rec.open(&author, &[]).unwrap_err(),
        CryptoError::NotARecipient
    );
}

#[test]
fn empty_recipient_list_is_malformed() {
    let author = Identity::generate(&mut OsRng);
    let err = seal(&author, [0u8; 32], b"x", &[], &mut OsRng).unwrap_err();
    assert!(matches!(err, CryptoError::Malformed { .. }), "{err:?}");

    let r = Identity::generate(&mut OsRng);
    let (mut rec, _) = seal(&author, [0u8; 32], b"x", &[r.public()], &mut OsRng).unwrap();
    rec.recipients.clear();
    assert!(matches!(
        rec.verify_author(&author.public()),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        rec.open(&r, &[]),
        Err(CryptoError::Malformed { .. })
    ));
}

#[test]
fn other_version_is_malformed() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (rec, key) = seal(&author, [0u8; 32], b"x", &[r.public()], &mut OsRng).unwrap();
    let mut v2 = rec.clone();
    v2.header.version = 2;
    assert!(matches!(
        v2.verify_author(&author.public()),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        v2.open(&r, &[]),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        v2.open_with_key(&key),
        Err(CryptoError::Malformed { .. })
    ));
    let other = Identity::generate(&mut OsRng).public();
    assert!(matches!(
        wrap_for(&key, &v2.header, &other, &mut OsRng),
        Err(CryptoError::Malformed { .. })
    ));
}

#[test]
fn duplicate_recipients_are_collapsed() {
    let author = Identity::generate(&mut OsRng);
    let a = Identity::generate(&mut OsRng);
    let b = Identity::generate(&mut OsRng);
    let list = [a.public(), b.public(), a.public(), b.public(), a.public()];
    let (rec, _) = seal(&author, [2u8; 32], b"dup", &list, &mut OsRng).unwrap();
    let kids: Vec<KeyId> = rec.recipients.iter().map(|w| w.key_id).collect();
    assert_eq!(kids, vec![a.key_id(), b.key_id()]);
    rec.verify_author(&author.public()).unwrap();
    assert_eq!(rec.open(&a, &[]).unwrap().expose(), b"dup");
    assert_eq!(rec.open(&b, &[]).unwrap().expose(), b"dup");
}

#[test]
fn wrong_author_is_rejected() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (rec, _) = seal(&author, [3u8; 32], b"x", &[r.public()], &mut OsRng).unwrap();
    let impostor = Identity::generate(&mut OsRng);
    assert!(matches!(
        rec.verify_author(&impostor.public()),
        Err(CryptoError::BadSignature { .. })
    ));
    // An impostor re-signing under the genuine author's id still fails: the
    // key checked is the one whose party id is in the header.
    let mut forged = rec.clone();
    forged.signature = impostor.sign(
        SIG_DOMAIN,
        &signed_message(&forged.header, &forged.recipients, &forged.ciphertext),
    );
    assert!(matches!(
        forged.verify_author(&author.public()),
        Err(CryptoError::BadSignature { .. })
    ));
}

#[test]
fn wrong_content_key_fails_to_open() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (rec, _) = seal(&author, [4u8; 32], b"x", &[r.public()], &mut OsRng).unwrap();
    let (_, other_key) = seal(&author, [4u8; 32], b"x", &[r.public()], &mut OsRng).unwrap();
    assert_eq!(
        rec.open_with_key(&other_key).unwrap_err(),
        CryptoError::OpenFailed
    );
}

/// Each byte is flipped in its lowest and in its highest bit; the top bit of an
/// X25519 `enc` is ignored by the DH itself, so that flip must be caught by
/// HPKE's binding of `enc` into the key schedule.
const MASKS: [u8; 2] = [0x01, 0x80];

#[test]
fn any_flipped_byte_is_detected() {
    let author = Identity::generate(&mut OsRng);
    let rcpts = ids(2);
    let apk = author.public();
    let (rec, _) = seal(
        &author,
        [5u8; 32],
        b"small record",
        &pubs(&rcpts),
        &mut OsRng,
    )
    .unwrap();
    rec.verify_author(&apk).unwrap();

    // Payload ciphertext (body and tag): signature and AEAD both catch it.
    for i in 0..rec.ciphertext.bytes().unwrap().len() {
        for m in MASKS {
            let mut t = rec.clone();
            if let Ciphertext::Kept(ct) = &mut t.ciphertext {
                ct[i] ^= m;
            }
            assert!(
                t.verify_author(&apk).is_err(),
                "ciphertext byte {i} mask {m:#x}: verify passed"
            );
            for r in &rcpts {
                assert_eq!(
                    t.open(r, &[]).unwrap_err(),
                    CryptoError::OpenFailed,
                    "ciphertext byte {i}"
                );
            }
        }
    }

    // Each wrap's enc and ciphertext: signature catches it, and the wrap's
    // owner can no longer open (HPKE binds enc and authenticates the ct).
    for (wi, owner) in rcpts.iter().enumerate() {
        for i in 0..32 {
            for m in MASKS {
                let mut t = rec.clone();
                t.recipients[wi].enc[i] ^= m;
                assert!(
                    t.verify_author(&apk).is_err(),
                    "wrap {wi} enc byte {i}: verify passed"
                );
                assert_eq!(
                    t.open(owner, &[]).unwrap_err(),
                    CryptoError::OpenFailed,
                    "wrap {wi} enc byte {i}"
                );
            }
        }
        for i in 0..rec.recipients[wi].ciphertext.len() {
            for m in MASKS {
                let mut t = rec.clone();
                t.recipients[wi].ciphertext[i] ^= m;
                assert!(
                    t.verify_author(&apk).is_err(),
                    "wrap {wi} ct byte {i}: verify passed"
                );
                assert_eq!(
                    t.open(owner, &[]).unwrap_err(),
                    CryptoError::OpenFailed,
                    "wrap {wi} ct byte {i}"
                );
            }
        }
        for i in 0..16 {
            let mut t = rec.clone();
            t.recipients[wi].key_id.0[i] ^= 1;
            assert!(
                t.verify_author(&apk).is_err(),
                "wrap {wi} key id byte {i}: verify passed"
            );
            assert_eq!(t.open(owner, &[]).unwrap_err(), CryptoError::NotARecipient);
        }
    }

    // Header context and author: bound by the signature, the payload AAD and
    // the wraps' HPKE info.
    for i in 0..32 {
        for m in MASKS {
            let mut t = rec.clone();
            t.header.context[i] ^= m;
            assert!(
                t.verify_author(&apk).is_err(),
                "context byte {i}: verify passed"
            );
            for r in &rcpts {
                assert!(t.open(r, &[]).is_err(), "context byte {i}: opened");
            }
            let mut t = rec.clone();
            t.header.author.0[i] ^= m;
            assert!(
                t.verify_author(&apk).is_err(),
                "author byte {i}: verify passed"
            );
            for r in &rcpts {
                assert!(t.open(r, &[]).is_err(), "author byte {i}: opened");
            }
        }
    }
    let mut t = rec.clone();
    t.header.version ^= 1;
    assert!(t.verify_author(&apk).is_err());
    assert!(t.open(&rcpts[0], &[]).is_err());

    // Signature: open does not check it, verify_author must.
    for i in 0..64 {
        for m in MASKS {
            let mut t = rec.clone();
            t.signature.0[i] ^= m;
            assert!(
                t.verify_author(&apk).is_err(),
                "signature byte {i} mask {m:#x}: verify passed"
            );
        }
    }

    // Reordering or dropping wraps changes the signed message too.
    let mut t = rec.clone();
    t.recipients.swap(0, 1);
    assert!(t.verify_author(&apk).is_err());
    let mut t = rec.clone();
    t.recipients.pop();
    assert!(t.verify_author(&apk).is_err());
}

#[test]
fn wrap_for_lets_a_new_recipient_open_via_extra() {
    let author = Identity::generate(&mut OsRng);
    let first = Identity::generate(&mut OsRng);
    let (rec, key) = seal(
        &author,
        [6u8; 32],
        b"shared later",
        &[first.public()],
        &mut OsRng,
    )
    .unwrap();
    let newcomer = Identity::generate(&mut OsRng);
    assert_eq!(
        rec.open(&newcomer, &[]).unwrap_err(),
        CryptoError::NotARecipient
    );

    let w = wrap_for(&key, &rec.header, &newcomer.public(), &mut OsRng).unwrap();
    assert_eq!(w.key_id, newcomer.key_id());
    assert_eq!(
        rec.open(&newcomer, std::slice::from_ref(&w))
            .unwrap()
            .expose(),
        b"shared later"
    );
    // The extra wrap does not change the signed record.
    rec.verify_author(&author.public()).unwrap();
    // A key obtained through content_key can be re-wrapped again.
    let k2 = rec
        .content_key(&newcomer, std::slice::from_ref(&w))
        .unwrap();
    let third = Identity::generate(&mut OsRng);
    let w3 = wrap_for(&k2, &rec.header, &third.public(), &mut OsRng).unwrap();
    assert_eq!(rec.open(&third, &[w3]).unwrap().expose(), b"shared later");
    // A damaged extra wrap is OpenFailed, and does not hide a good one.
    let mut bad = w.clone();
    bad.ciphertext[0] ^= 1;
    assert_eq!(
        rec.open(&newcomer, std::slice::from_ref(&bad)).unwrap_err(),
        CryptoError::OpenFailed
    );
    assert_eq!(
        rec.open(&newcomer, &[bad, w]).unwrap().expose(),
        b"shared later"
    );
}

#[test]
fn wrap_moved_to_another_record_fails() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let other = Identity::generate(&mut OsRng);
    let (a, ka) = seal(
        &author,
        [8u8; 32],
        b"record A",
        &[other.public()],
        &mut OsRng,
    )
    .unwrap();
    let (b, _) = seal(
        &author,
        [9u8; 32],
        b"record B",
        &[other.public()],
        &mut OsRng,
    )
    .unwrap();
    let wa = wrap_for(&ka, &a.header, &r.public(), &mut OsRng).unwrap();
    assert_eq!(
        a.open(&r, std::slice::from_ref(&wa)).unwrap().expose(),
        b"record A"
    );
    // Different header: the HPKE info differs, so the wrap does not open.
    assert_eq!(
        b.open(&r, std::slice::from_ref(&wa)).unwrap_err(),
        CryptoError::OpenFailed
    );

    // Same header (same author and context) but another record: the wrap
    // opens to A's content key, which does not authenticate B's payload.
    let (c, _) = seal(
        &author,
        [8u8; 32],
        b"record C",
        &[other.public()],
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(c.header, a.header);
    assert_eq!(
        c.open(&r, std::slice::from_ref(&wa)).unwrap_err(),
        CryptoError::OpenFailed
    );

    // Splicing A's own wrap into B's recipient list breaks B's signature and
    // does not open B.
    let mut spliced = b.clone();
    spliced.recipients[0] = a.recipients[0].clone();
    assert!(spliced.verify_author(&author.public()).is_err());
    assert_eq!(
        spliced.open(&other, &[]).unwrap_err(),
        CryptoError::OpenFailed
    );
}

#[test]
fn serde_round_trip_keeps_record_valid() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (rec, _) = seal(&author, [10u8; 32], b"json", &[r.public()], &mut OsRng).unwrap();
    let back: SealedRecord = serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
    assert_eq!(back, rec);
    back.verify_author(&author.public()).unwrap();
    assert_eq!(back.open(&r, &[]).unwrap().expose(), b"json");
}

#[test]
fn debug_output_redacts_content_key() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (_, key) = seal(&author, [11u8; 32], b"x", &[r.public()], &mut OsRng).unwrap();
    let dbg = format!("{key:?}");
    assert_eq!(dbg, "ContentKey(<redacted>)");
    assert!(!dbg.contains(&hex::encode(key.0.expose())));
}

#[test]
fn low_order_recipient_key_is_rejected() {
    let author = Identity::generate(&mut OsRng);
    // The all-zero point has order 1: HPKE must refuse to encapsulate to it.
    let bad = PublicIdentity {
        sign: author.public().sign,
        enc: [0u8; 32],
    };
    let err = seal(&author, [0u8; 32], b"x", &[bad], &mut OsRng).unwrap_err();
    assert!(
        matches!(
            err,
            CryptoError::Malformed {
                what: "recipient X25519 public key",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_erased_record_still_verifies_never_opens_and_pins_its_digest() {
    let author = Identity::generate(&mut OsRng);
    let r = Identity::generate(&mut OsRng);
    let (rec, key) = seal(
        &author,
        [9u8; 32],
        b"balance 1200",
        &[r.public()],
        &mut OsRng,
    )
    .unwrap();
    let erased = rec.erased();
    assert!(erased.ciphertext.is_erased());
    assert_eq!(erased.ciphertext.digest(), rec.ciphertext.digest());
    // The author's signature covers the digest, so the erased form checks.
    erased.verify_author(&author.public()).unwrap();
    assert_eq!(erased.open(&r, &[]).unwrap_err(), CryptoError::Erased);
    assert_eq!(erased.open_with_key(&key).unwrap_err(), CryptoError::Erased);
    // Erasing twice changes nothing.
    assert_eq!(erased.erased(), erased);
    // A different digest in place of the erased payload is caught.
    let mut swapped = erased.clone();
    swapped.ciphertext = Ciphertext::Erased { digest: [0u8; 32] };
    assert!(matches!(
        swapped.verify_author(&author.public()),
        Err(CryptoError::BadSignature { .. })
    ));
}

#[test]
fn a_rotated_identity_opens_what_was_sealed_to_its_earlier_keys_and_nothing_else() {
    let author = Identity::generate(&mut OsRng);
    let first = Identity::generate(&mut OsRng);
    let second = first.rotated(&mut OsRng);
    let third = second.rotated(&mut OsRng);
    let stranger = Identity::generate(&mut OsRng);
    let pt = b"sealed before the rotations".to_vec();
    let (old, _) = seal(&author, [1u8; 32], &pt, &[first.public()], &mut OsRng).unwrap();
    let (mid, _) = seal(&author, [2u8; 32], &pt, &[second.public()], &mut OsRng).unwrap();
    let (new, _) = seal(&author, [3u8; 32], &pt, &[third.public()], &mut OsRng).unwrap();

    // Without its earlier keys, the current key opens only what names it.
    assert_eq!(
        third.clone().open_all(&[&old, &mid, &new]),
        [false, false, true]
    );
    let holding = third
        .clone()
        .with_earlier(vec![second.clone(), first.clone()]);
    assert_eq!(holding.party_id(), first.party_id());
    for rec in [&old, &mid, &new] {
        assert_eq!(rec.open(&holding, &[]).unwrap().expose(), &pt);
    }
    // Earlier keys are for opening only: they never make another party's
    // record open.
    let (theirs, _) = seal(&author, [4u8; 32], &pt, &[stranger.public()], &mut OsRng).unwrap();
    assert!(matches!(
        theirs.open(&holding, &[]),
        Err(CryptoError::NotARecipient)
    ));
    // Earlier keys do not nest: an earlier key's own earlier keys are dropped.
    let nested = third.with_earlier(vec![second.with_earlier(vec![first])]);
    assert_eq!(nested.earlier().len(), 1);
    assert!(nested.earlier()[0].earlier().is_empty());
    assert!(old.open(&nested, &[]).is_err());
}

trait OpenAll {
    fn open_all(self, recs: &[&SealedRecord]) -> Vec<bool>;
}

impl OpenAll for Identity {
    fn open_all(self, recs: &[&SealedRecord]) -> Vec<bool> {
        recs.iter().map(|r| r.open(&self, &[]).is_ok()).collect()
    }
}
