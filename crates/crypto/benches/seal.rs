//! Sealed-record cost against the raw library operations it is built from, so
//! the overhead of our layer shows: sealing for n recipients should cost about
//! n × (HPKE seal of 32 bytes) + one ChaCha20-Poly1305 of the payload + one
//! Ed25519 signature; opening about one HPKE open + one payload decryption.
//!
//! Run: `cargo bench -p credence-crypto --bench seal` (add `-- --quick` for a fast pass).
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use credence_crypto::seal::{seal, SealedRecord};
use credence_crypto::{Identity, PublicIdentity};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use ed25519_dalek::{Signer, SigningKey};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand::rngs::OsRng;
use rand_core::RngCore;
use std::time::Duration;

type HAead = hpke::aead::ChaCha20Poly1305;
type HKdf = hpke::kdf::HkdfSha256;
type HKem = hpke::kem::X25519HkdfSha256;

const RECORD_LEN: usize = 600;
const RECIPIENTS: [usize; 3] = [1, 3, 10];

fn record() -> Vec<u8> {
    let mut pt = vec![0u8; RECORD_LEN];
    OsRng.fill_bytes(&mut pt);
    pt
}

fn bench_seal(c: &mut Criterion) {
    let author = Identity::generate(&mut OsRng);
    let pt = record();
    let mut g = c.benchmark_group("seal_600B");
    for n in RECIPIENTS {
        let rcpts: Vec<Identity> = (0..n).map(|_| Identity::generate(&mut OsRng)).collect();
        let pubs: Vec<PublicIdentity> = rcpts.iter().map(Identity::public).collect();
        g.bench_with_input(BenchmarkId::new("seal", n), &pubs, |b, pubs| {
            b.iter(|| {
                seal(
                    &author,
                    black_box([1u8; 32]),
                    black_box(&pt),
                    pubs,
                    &mut OsRng,
                )
                .unwrap()
            })
        });

        let (rec, _) = seal(&author, [1u8; 32], &pt, &pubs, &mut OsRng).unwrap();
        // The last recipient: its wrap is found after scanning all the others.
        let me = rcpts.last().unwrap();
        g.bench_with_input(
            BenchmarkId::new("open", n),
            &rec,
            |b, rec: &SealedRecord| b.iter(|| rec.open(me, &[]).unwrap()),
        );
        let author_pub = author.public();
        g.bench_with_input(
            BenchmarkId::new("verify_author", n),
            &rec,
            |b, rec: &SealedRecord| b.iter(|| rec.verify_author(&author_pub).unwrap()),
        );
    }
    g.finish();
}

fn bench_raw(c: &mut Criterion) {
    let mut g = c.benchmark_group("raw");

    let (sk_r, pk_r) = HKem::gen_keypair(&mut OsRng);
    let key32 = [7u8; 32];
    g.bench_function("hpke_single_shot_seal_32B", |b| {
        b.iter(|| {
            hpke::single_shot_seal::<HAead, HKdf, HKem, _>(
                &OpModeS::Base,
                &pk_r,
                b"info",
                black_box(&key32),
                b"aad",
                &mut OsRng,
            )
            .unwrap()
        })
    });
    let (enc, ct) = hpke::single_shot_seal::<HAead, HKdf, HKem, _>(
        &OpModeS::Base,
        &pk_r,
        b"info",
        &key32,
        b"aad",
        &mut OsRng,
    )
    .unwrap();
    let enc = <HKem as Kem>::EncappedKey::from_bytes(&enc.to_bytes()).unwrap();
    g.bench_function("hpke_single_shot_open_32B", |b| {
        b.iter(|| {
            hpke::single_shot_open::<HAead, HKdf, HKem>(
                &OpModeR::Base,
                &sk_r,
                &enc,
                b"info",
                black_box(&ct),
                b"aad",
            )
            .unwrap()
        })
    });

    let cipher = ChaCha20Poly1305::new(&[9u8; 32].into());
    let pt = record();
    let aad = [0u8; 65];
    let nonce = [0u8; 12];
    g.bench_function("chacha20poly1305_encrypt_600B", |b| {
        b.iter(|| {
            cipher
                .encrypt(
                    (&nonce).into(),
                    Payload {
                        msg: black_box(&pt),
                        aad: &aad,
                    },
                )
                .unwrap()
        })
    });
    let ct600 = cipher
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: &pt,
                aad: &aad,
            },
        )
        .unwrap();
    g.bench_function("chacha20poly1305_decrypt_600B", |b| {
        b.iter(|| {
            cipher
                .decrypt(
                    (&nonce).into(),
                    Payload {
                        msg: black_box(&ct600),
                        aad: &aad,
                    },
                )
                .unwrap()
        })
    });

    let sk = SigningKey::generate(&mut OsRng);
    let msg = [3u8; 32];
    g.bench_function("ed25519_sign", |b| b.iter(|| sk.sign(black_box(&msg))));
    let sig = sk.sign(&msg);
    let vk = sk.verifying_key();
    g.bench_function("ed25519_verify_strict", |b| {
        b.iter(|| vk.verify_strict(black_box(&msg), &sig).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_raw, bench_seal
}
criterion_main!(benches);
