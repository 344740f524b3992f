//! Predicate and validity proofs, each beside the raw bulletproofs operation it
//! wraps, so the cost of our transcript and commitment derivation is visible.
//! Verification cost bounds ingest throughput (DESIGN.md, "Cryptography").
use std::time::Duration;

use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use credence_crypto::proof::{
    commit, prove_predicate, prove_validity, verify_predicate, verify_validity, Commitment,
    Opening, Predicate, PredicateInputs, PredicateOpenings, ProofContext,
};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand::rngs::OsRng;

fn committed(values: &[u64]) -> (Vec<Commitment>, Vec<Opening>) {
    values.iter().map(|&v| commit(v, &mut OsRng)).unzip()
}

/// Raw bulletproofs over `m` random values of `bits` bits, with the same
/// generator capacity the crate uses.
fn raw(c: &mut Criterion, name: &str, bits: usize, m: usize) {
    let pc = PedersenGens::default();
    let bp = BulletproofGens::new(64, 8);
    let values: Vec<u64> = (0..m as u64)
        .map(|i| (i + 1) * 1_000_003 % (1u64 << (bits - 1)))
        .collect();
    let blindings: Vec<Scalar> = (0..m).map(|_| Scalar::random(&mut OsRng)).collect();
    let (proof, vs) = RangeProof::prove_multiple(
        &bp,
        &pc,
        &mut Transcript::new(b"bench"),
        &values,
        &blindings,
        bits,
    )
    .unwrap();
    let mut g = c.benchmark_group("raw");
    if m == 1 {
        g.bench_function(BenchmarkId::new("prove_single", name), |b| {
            b.iter(|| {
                RangeProof::prove_single(
                    &bp,
                    &pc,
                    &mut Transcript::new(b"bench"),
                    values[0],
                    &blindings[0],
                    bits,
                )
                .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("verify_single", name), |b| {
            b.iter(|| {
                black_box(&proof)
                    .verify_single(&bp, &pc, &mut Transcript::new(b"bench"), &vs[0], bits)
                    .unwrap()
            })
        });
    } else {
        g.bench_function(BenchmarkId::new("prove_multiple", name), |b| {
            b.iter(|| {
                RangeProof::prove_multiple(
                    &bp,
                    &pc,
                    &mut Transcript::new(b"bench"),
                    &values,
                    &blindings,
                    bits,
                )
                .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("verify_multiple", name), |b| {
            b.iter(|| {
                black_box(&proof)
                    .verify_multiple(&bp, &pc, &mut Transcript::new(b"bench"), &vs, bits)
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn raw_ops(c: &mut Criterion) {
    raw(c, "1x64", 64, 1);
    raw(c, "2x64", 64, 2);
    raw(c, "8x32", 32, 8);
}

fn validity(c: &mut Criterion) {
    let mut g = c.benchmark_group("validity");
    for n in [8usize, 6] {
        let values: Vec<u64> = (0..n as u64).map(|i| 1000 + i * 37).collect();
        let (cs, os) = committed(&values);
        let proof = prove_validity(b"record", &os).unwrap();
        g.bench_function(BenchmarkId::new("prove", format!("{n}x32")), |b| {
            b.iter(|| prove_validity(b"record", &os).unwrap())
        });
        g.bench_function(BenchmarkId::new("verify", format!("{n}x32")), |b| {
            b.iter(|| verify_validity(b"record", &cs, black_box(&proof)).unwrap())
        });
    }
    g.finish();
}

fn predicates(c: &mut Criterion) {
    let ctx = ProofContext {
        query_id: [1; 32],
        subject: [2; 32],
        responder: [3; 32],
    };
    // (name, predicate, primary values, secondary values); all hold.
    let cases: [(&str, Predicate, &[u64], &[u64]); 6] = [
        (
            "score_at_least",
            Predicate::ScoreAtLeast { min: 650 },
            &[700],
            &[],
        ),
        (
            "score_in_range",
            Predicate::ScoreInRange { min: 600, max: 750 },
            &[700],
            &[],
        ),
        (
            "balance_at_most",
            Predicate::BalanceAtMost { max: 5000 },
            &[4200],
            &[],
        ),
        (
            "total_debt_below_3",
            Predicate::TotalDebtBelow { limit: 40_000 },
            &[10_000, 12_000, 8_000],
            &[],
        ),
        (
            "dti_below_3+3",
            Predicate::DebtToIncomeBelow { percent: 43 },
            &[300, 400, 500],
            &[3000, 2000, 1000],
        ),
        (
            "no_serious_delinquency_3",
            Predicate::NoSeriousDelinquency,
            &[0, 0, 0],
            &[],
        ),
    ];
    let mut g = c.benchmark_group("predicate");
    for (name, pred, primary, secondary) in cases {
        let (pc, po) = committed(primary);
        let (sc, so) = committed(secondary);
        let inputs = PredicateInputs {
            primary: pc,
            secondary: sc,
        };
        let openings = PredicateOpenings {
            primary: po,
            secondary: so,
        };
        let proof = prove_predicate(&ctx, &pred, &inputs, &openings).unwrap();
        assert!(proof.answer.holds);
        g.bench_function(BenchmarkId::new("prove", name), |b| {
            b.iter(|| prove_predicate(&ctx, &pred, &inputs, &openings).unwrap())
        });
        g.bench_function(BenchmarkId::new("verify", name), |b| {
            b.iter(|| verify_predicate(&ctx, &pred, &inputs, black_box(&proof)).unwrap())
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = raw_ops, validity, predicates
}
criterion_main!(benches);
