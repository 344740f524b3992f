//! The levers for a record's validity proof, measured side by side in one run
//! (BENCHMARKS.md, "Validity proof levers"). Every member verifies every
//! record's proof, so its verification cost bounds ingest; the furnisher's
//! proving bounds what one furnisher can send.
//!
//! - today: `bulletproofs`, the record's 6 fields padded to 8 × 32 bits;
//! - fewer fields: only the 4 a question reads (balance, limit, scheduled
//!   payment, serious delinquency), 4 × 32 bits;
//! - one aggregated proof per furnisher batch: 8 records' 8 fields in one
//!   64 × 32-bit `bulletproofs` proof;
//! - Bulletproofs+ (`tari_bulletproofs_plus`), single and batch-verified over
//!   a block's worth of proofs.
//!
//! All proofs are over commitments made by `credence_crypto::proof::commit`
//! (bulletproofs' Pedersen generators), so Bulletproofs+ is measured against
//! the ledger's own commitments, with its blinding base set to ours.
use std::time::Duration;

use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use credence_crypto::proof::{commit, Commitment, Opening};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek_5 as c5;
use merlin::Transcript;
use rand::rngs::OsRng;
use tari_bulletproofs_plus::{
    commitment_opening::CommitmentOpening,
    generators::pedersen_gens::ExtensionDegree,
    range_parameters::RangeParameters,
    range_proof::{RangeProof as PlusProof, VerifyAction},
    range_statement::RangeStatement,
    range_witness::RangeWitness,
    ristretto::RistrettoRangeProof,
    PedersenGens as PlusPedersenGens, Transcript as PlusTranscript,
};

const BITS: usize = 32;
/// Proofs verified in one Bulletproofs+ batch: about one block's records.
const BATCH: usize = 64;
/// Records in one aggregated `bulletproofs` proof.
const AGG_RECORDS: usize = 8;

fn committed(m: usize) -> (Vec<Commitment>, Vec<Opening>) {
    (0..m as u64)
        .map(|i| commit((i + 1) * 1_000_003 % (1 << 31), &mut OsRng))
        .unzip()
}

fn scalar(o: &Opening) -> Scalar {
    Scalar::from_canonical_bytes(o.blinding).unwrap()
}

// ---- bulletproofs (today's library) ----

struct Bp {
    pc: PedersenGens,
    bp: BulletproofGens,
}

fn bp_prove(g: &Bp, openings: &[Opening]) -> RangeProof {
    let values: Vec<u64> = openings.iter().map(|o| o.value).collect();
    let blindings: Vec<Scalar> = openings.iter().map(scalar).collect();
    RangeProof::prove_multiple(
        &g.bp,
        &g.pc,
        &mut Transcript::new(b"lever"),
        &values,
        &blindings,
        BITS,
    )
    .unwrap()
    .0
}

fn bp_verify(g: &Bp, proof: &RangeProof, cs: &[Commitment]) {
    let vs: Vec<CompressedRistretto> = cs.iter().map(|c| CompressedRistretto(c.0)).collect();
    proof
        .verify_multiple(&g.bp, &g.pc, &mut Transcript::new(b"lever"), &vs, BITS)
        .unwrap()
}

// ---- Bulletproofs+ ----

/// Our Pedersen generators in `tari_bulletproofs_plus`' terms: the value on
/// the basepoint, the blinding on bulletproofs' `B_blinding`.
fn plus_params(m: usize) -> RangeParameters<c5::RistrettoPoint> {
    let ours = PedersenGens::default();
    let to5 = |p: curve25519_dalek::RistrettoPoint| {
        c5::ristretto::CompressedRistretto(p.compress().to_bytes())
            .decompress()
            .unwrap()
    };
    let (h, g) = (to5(ours.B), to5(ours.B_blinding));
    let pc = PlusPedersenGens {
        h_base: h,
        h_base_compressed: h.compress(),
        g_base_vec: vec![g],
        g_base_compressed_vec: vec![g.compress()],
        extension_degree: ExtensionDegree::DefaultPedersen,
    };
    RangeParameters::init(BITS, m, pc).unwrap()
}

fn plus_statement(m: usize, cs: &[Commitment]) -> RangeStatement<c5::RistrettoPoint> {
    let points = cs
        .iter()
        .map(|c| {
            c5::ristretto::CompressedRistretto(c.0)
                .decompress()
                .unwrap()
        })
        .collect();
    RangeStatement::init(plus_params(m), points, vec![None; m], None).unwrap()
}

fn plus_prove(
    statement: &RangeStatement<c5::RistrettoPoint>,
    openings: &[Opening],
) -> RistrettoRangeProof {
    let witness = RangeWitness::init(
        openings
            .iter()
            .map(|o| {
                CommitmentOpening::new(
                    o.value,
                    vec![c5::Scalar::from_canonical_bytes(o.blinding).unwrap()],
                )
            })
            .collect(),
    )
    .unwrap();
    PlusProof::prove(&mut PlusTranscript::new(b"lever"), statement, &witness).unwrap()
}

fn plus_verify(statements: &[RangeStatement<c5::RistrettoPoint>], proofs: &[RistrettoRangeProof]) {
    let mut ts: Vec<PlusTranscript> = (0..proofs.len())
        .map(|_| PlusTranscript::new(b"lever"))
        .collect();
    PlusProof::verify_batch(&mut ts, statements, proofs, VerifyAction::VerifyOnly).unwrap();
}

fn levers(c: &mut Criterion) {
    let bp = Bp {
        pc: PedersenGens::default(),
        bp: BulletproofGens::new(BITS, 8 * AGG_RECORDS),
    };
    let mut g = c.benchmark_group("lever");
    for m in [8usize, 4] {
        let (cs, os) = committed(m);
        let label = format!("{m}x32");

        let proof = bp_prove(&bp, &os);
        g.bench_function(BenchmarkId::new("bp_prove", &label), |b| {
            b.iter(|| bp_prove(&bp, black_box(&os)))
        });
        g.bench_function(BenchmarkId::new("bp_verify", &label), |b| {
            b.iter(|| bp_verify(&bp, black_box(&proof), &cs))
        });

        let st = plus_statement(m, &cs);
        let p = plus_prove(&st, &os);
        // One byte of extension degree, then 2·log2(m·32) + 3 points and 3 scalars.
        assert_eq!(
            p.to_bytes().len(),
            1 + 32 * (6 + 2 * (m * BITS).trailing_zeros() as usize)
        );
        g.bench_function(BenchmarkId::new("bpplus_prove", &label), |b| {
            b.iter(|| plus_prove(&st, black_box(&os)))
        });
        g.bench_function(BenchmarkId::new("bpplus_verify_one", &label), |b| {
            b.iter(|| plus_verify(std::slice::from_ref(&st), std::slice::from_ref(&p)))
        });
        // A block's worth of different records' proofs, verified together.
        let (sts, ps): (Vec<_>, Vec<_>) = (0..BATCH)
            .map(|_| {
                let (cs, os) = committed(m);
                let st = plus_statement(m, &cs);
                let p = plus_prove(&st, &os);
                (st, p)
            })
            .unzip();
        g.bench_function(
            BenchmarkId::new(format!("bpplus_verify_batch{BATCH}"), &label),
            |b| b.iter(|| plus_verify(black_box(&sts), black_box(&ps))),
        );
    }

    // One aggregated proof for a furnisher's batch of 8 records × 8 fields.
    let (cs, os) = committed(8 * AGG_RECORDS);
    let proof = bp_prove(&bp, &os);
    let label = format!("{}x32", 8 * AGG_RECORDS);
    g.bench_function(BenchmarkId::new("bp_prove_aggregated", &label), |b| {
        b.iter(|| bp_prove(&bp, black_box(&os)))
    });
    g.bench_function(BenchmarkId::new("bp_verify_aggregated", &label), |b| {
        b.iter(|| bp_verify(&bp, black_box(&proof), &cs))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = levers
}
criterion_main!(benches);
