use super::*;

fn ctx() -> ProofContext {
    ProofContext {
        query_id: [1; 32],
        subject: [2; 32],
        responder: [3; 32],
    }
}

/// Golden vector: a commitment, the commitment a verifier derives for
/// "score >= 650" from it, and a challenge drawn from the predicate
/// transcript (docs/proof-bundle.md). An outside verifier must reproduce
/// all three; a change here breaks every proof bundle.
#[test]
fn golden_commitment_derivation_and_transcript() {
    let o = Opening {
        value: 700,
        blinding: Scalar::from(5u64).to_bytes(),
    };
    let c = commitment_of(&o).unwrap();
    let inputs = PredicateInputs {
        primary: vec![c],
        secondary: vec![],
    };
    let pred = Predicate::ScoreAtLeast { min: 650 };
    let answer = Answer {
        holds: true,
        branch: 0,
    };
    let derived = derived_commitments(&pred, &inputs, answer).unwrap();
    let mut t = predicate_transcript(&ctx(), &pred, &inputs, answer);
    let mut challenge = [0u8; 32];
    t.challenge_bytes(b"golden", &mut challenge);
    assert_eq!(hex::encode(c.0), GOLDEN_COMMITMENT);
    assert_eq!(hex::encode(derived[0].0), GOLDEN_DERIVED);
    assert_eq!(hex::encode(challenge), GOLDEN_CHALLENGE);
    // The derived commitment opens to 700 − 650 with the same blinding.
    let d = commitment_of(&Opening {
        value: 50,
        blinding: o.blinding,
    })
    .unwrap();
    assert_eq!(d, derived[0]);
}

const GOLDEN_COMMITMENT: &str = "a4d42fc5649dcedf8bb803d4e9205417134156eb217a7d3b96bcf61a4ae87864";
const GOLDEN_DERIVED: &str = "6405cf4ad2ed85cda7fd25064d2f62d68e0bd8310d0cfce9794ea0ed85ea8f13";
const GOLDEN_CHALLENGE: &str = "f50753703cd9b8a97e45a3f29ada4301f27cf45a5ca7bde4d87c6c4863f2965e";

fn committed(values: &[u64]) -> (Vec<Commitment>, Vec<Opening>) {
    values.iter().map(|&v| commit(v, &mut OsRng)).unzip()
}

fn setup(primary: &[u64], secondary: &[u64]) -> (PredicateInputs, PredicateOpenings) {
    let (pc, po) = committed(primary);
    let (sc, so) = committed(secondary);
    (
        PredicateInputs {
            primary: pc,
            secondary: sc,
        },
        PredicateOpenings {
            primary: po,
            secondary: so,
        },
    )
}

/// Prove, check the answer, verify, and return the proof for tampering tests.
fn prove_ok(
    pred: Predicate,
    primary: &[u64],
    secondary: &[u64],
    expected: Answer,
) -> (PredicateInputs, PredicateProof) {
    let (inputs, openings) = setup(primary, secondary);
    let proof = prove_predicate(&ctx(), &pred, &inputs, &openings).unwrap();
    assert_eq!(
        proof.answer, expected,
        "{pred} over {primary:?} / {secondary:?}"
    );
    verify_predicate(&ctx(), &pred, &inputs, &proof).unwrap();
    (inputs, proof)
}

const YES: Answer = Answer {
    holds: true,
    branch: 0,
};
const NO: Answer = Answer {
    holds: false,
    branch: 0,
};
const NO_ABOVE: Answer = Answer {
    holds: false,
    branch: 1,
};

fn assert_rejected(r: Result<(), CryptoError>) {
    assert!(
        matches!(r, Err(CryptoError::ProofRejected(_))),
        "expected ProofRejected, got {r:?}"
    );
}

#[test]
fn commit_opens_and_rejects_noncanonical_blinding() {
    let (c, o) = commit(700, &mut OsRng);
    assert_eq!(commitment_of(&o).unwrap(), c);
    let other = Opening {
        value: 701,
        ..o.clone()
    };
    assert_ne!(commitment_of(&other).unwrap(), c);
    let bad = Opening {
        value: 700,
        blinding: [0xff; 32],
    };
    assert!(matches!(
        commitment_of(&bad),
        Err(CryptoError::Malformed {
            what: "opening",
            ..
        })
    ));
}

#[test]
fn proof_score_at_least_true_and_false() {
    let p = Predicate::ScoreAtLeast { min: 650 };
    prove_ok(p, &[650], &[], YES);
    prove_ok(p, &[820], &[], YES);
    prove_ok(p, &[649], &[], NO);
    prove_ok(Predicate::ScoreAtLeast { min: 0 }, &[0], &[], YES);
}

#[test]
fn proof_score_in_range_true_below_above() {
    let p = Predicate::ScoreInRange { min: 600, max: 750 };
    for s in [600, 700, 750] {
        let (_, proof) = prove_ok(p, &[s], &[], YES);
        assert_eq!(
            proof.proof.len(),
            range_proof_len(64, 2),
            "two claims aggregate into one proof"
        );
    }
    prove_ok(p, &[599], &[], NO);
    prove_ok(p, &[0], &[], NO);
    prove_ok(p, &[751], &[], NO_ABOVE);
    prove_ok(
        Predicate::ScoreInRange { min: 700, max: 700 },
        &[700],
        &[],
        YES,
    );
}

#[test]
fn proof_balance_at_most_true_and_false() {
    let p = Predicate::BalanceAtMost { max: 5000 };
    prove_ok(p, &[5000], &[], YES);
    prove_ok(p, &[0], &[], YES);
    prove_ok(p, &[5001], &[], NO);
}

#[test]
fn proof_total_debt_sums_three_balances() {
    let p = Predicate::TotalDebtBelow { limit: 40_000 };
    let (_, proof) = prove_ok(p, &[10_000, 20_000, 9_999], &[], YES);
    assert_eq!(proof.proof.len(), range_proof_len(64, 1));
    prove_ok(p, &[10_000, 20_000, 10_000], &[], NO);
    prove_ok(
        p,
        &[u32::MAX as u64, u32::MAX as u64, u32::MAX as u64],
        &[],
        NO,
    );
}

#[test]
fn proof_dti_sums_two_incomes_and_three_payments() {
    let p = Predicate::DebtToIncomeBelow { percent: 43 };
    // incomes 3000 + 2000 = 5000; 43 % of it is 2150.
    prove_ok(p, &[1000, 1000, 149], &[3000, 2000], YES);
    prove_ok(p, &[1000, 1000, 150], &[3000, 2000], NO);
    prove_ok(p, &[1000, 1000, 151], &[3000, 2000], NO);
    // No income at all: the ratio is not below anything.
    prove_ok(p, &[], &[], NO);
    prove_ok(p, &[], &[1], YES);
}

#[test]
fn proof_utilisation_sums_balances_against_limits() {
    // balances 3000 + 1000 = 4000 of limits 5000 + 5000: 40 % used.
    prove_ok(
        Predicate::UtilisationBelow { percent: 41 },
        &[3000, 1000],
        &[5000, 5000],
        YES,
    );
    prove_ok(
        Predicate::UtilisationBelow { percent: 40 },
        &[3000, 1000],
        &[5000, 5000],
        NO,
    );
    prove_ok(
        Predicate::UtilisationBelow { percent: 39 },
        &[3000, 1000],
        &[5000, 5000],
        NO,
    );
    // No credit line at all: nothing is below a share of nothing.
    prove_ok(Predicate::UtilisationBelow { percent: 30 }, &[], &[], NO);
    // Every balance comes with its own limit.
    let (inputs, openings) = setup(&[1, 2], &[10]);
    assert!(matches!(
        prove_predicate(
            &ctx(),
            &Predicate::UtilisationBelow { percent: 30 },
            &inputs,
            &openings
        ),
        Err(CryptoError::InputMismatch(_))
    ));
}

#[test]
fn proof_utilisation_false_claim_cannot_be_proven() {
    // 4000 of 5000 used (80 %) against "utilisation < 30": the derived
    // commitment 30·ΣL − 100·ΣB − B opens to −250,001 mod ℓ; claiming
    // "holds" with any value a range proof accepts fails.
    let p = Predicate::UtilisationBelow { percent: 30 };
    let (inputs, openings) = setup(&[4000], &[5000]);
    let r = scalar_of(30) * blinding_scalar(&openings.secondary[0]).unwrap()
        - scalar_of(100) * blinding_scalar(&openings.primary[0]).unwrap();
    let derived = derived_commitments(&p, &inputs, YES).unwrap();
    let g = gens();
    for v in [0u64, 1, 250_001, (-250_001i64) as u64] {
        let mut t = predicate_transcript(&ctx(), &p, &inputs, YES);
        let (rp, vs) =
            RangeProof::prove_multiple(&g.bp, &g.pc, &mut t, &[v], &[r], PREDICATE_BITS).unwrap();
        assert_ne!(
            vs[0].to_bytes(),
            derived[0].0,
            "no u64 value opens the claim"
        );
        let forged = PredicateProof {
            answer: YES,
            proof: rp.to_bytes(),
        };
        assert_rejected(verify_predicate(&ctx(), &p, &inputs, &forged));
    }
    // The honest prover answers "does not hold", and that verifies.
    prove_ok(p, &[4000], &[5000], NO);
    // A proof of the honest answer does not pass as the other predicate kind
    // with the same claim shape.
    let (inputs, proof) = prove_ok(p, &[1000], &[5000], YES);
    assert_rejected(verify_predicate(
        &ctx(),
        &Predicate::DebtToIncomeBelow { percent: 30 },
        &inputs,
        &proof,
    ));
}

#[test]
fn proof_no_serious_delinquency_true_and_false() {
    let p = Predicate::NoSeriousDelinquency;
    prove_ok(p, &[0, 0, 0], &[], YES);
    prove_ok(p, &[0, 1, 0], &[], NO);
    prove_ok(p, &[1, 1, 1], &[], NO);
}

#[test]
fn proof_empty_inputs_for_sums() {
    prove_ok(Predicate::TotalDebtBelow { limit: 1 }, &[], &[], YES);
    // "total debt < 0" is refused as a question (it can never hold).
    assert!(matches!(
        Predicate::TotalDebtBelow { limit: 0 }.validate(),
        Err(CryptoError::Malformed { .. })
    ));
    prove_ok(Predicate::NoSeriousDelinquency, &[], &[], YES);
}

#[test]
fn proof_flipped_byte_is_rejected() {
    let p = Predicate::ScoreInRange { min: 600, max: 750 };
    let (inputs, proof) = prove_ok(p, &[700], &[], YES);
    // One byte in every 32-byte element: points, scalars, the inner-product proof.
    for i in (0..proof.proof.len()).step_by(32) {
        let mut bad = proof.clone();
        bad.proof[i + 5] ^= 0x01;
        let r = verify_predicate(&ctx(), &p, &inputs, &bad);
        assert!(
            matches!(
                r,
                Err(CryptoError::ProofRejected(_)) | Err(CryptoError::Malformed { .. })
            ),
            "flipped byte at {}: {r:?}",
            i + 5
        );
    }
    let mut short = proof.clone();
    short.proof.truncate(short.proof.len() - 32);
    assert!(matches!(
        verify_predicate(&ctx(), &p, &inputs, &short),
        Err(CryptoError::Malformed { .. })
    ));
}

#[test]
fn proof_replay_with_other_context_is_rejected() {
    let p = Predicate::ScoreAtLeast { min: 650 };
    let (inputs, proof) = prove_ok(p, &[700], &[], YES);
    let base = ctx();
    for other in [
        ProofContext {
            query_id: [9; 32],
            ..base
        },
        ProofContext {
            subject: [9; 32],
            ..base
        },
        ProofContext {
            responder: [9; 32],
            ..base
        },
    ] {
        assert_rejected(verify_predicate(&other, &p, &inputs, &proof));
    }
}

#[test]
fn proof_replay_with_other_threshold_is_rejected() {
    let (inputs, proof) = prove_ok(Predicate::ScoreAtLeast { min: 650 }, &[700], &[], YES);
    for min in [600, 651, 700] {
        assert_rejected(verify_predicate(
            &ctx(),
            &Predicate::ScoreAtLeast { min },
            &inputs,
            &proof,
        ));
    }
    let (inputs, proof) = prove_ok(
        Predicate::ScoreInRange { min: 600, max: 750 },
        &[700],
        &[],
        YES,
    );
    assert_rejected(verify_predicate(
        &ctx(),
        &Predicate::ScoreInRange { min: 600, max: 749 },
        &inputs,
        &proof,
    ));
    let (inputs, proof) = prove_ok(
        Predicate::DebtToIncomeBelow { percent: 43 },
        &[100],
        &[1000],
        YES,
    );
    assert_rejected(verify_predicate(
        &ctx(),
        &Predicate::DebtToIncomeBelow { percent: 36 },
        &inputs,
        &proof,
    ));
    // Same claim shape, different predicate kind.
    let (inputs, proof) = prove_ok(Predicate::TotalDebtBelow { limit: 1 }, &[0], &[], YES);
    assert_rejected(verify_predicate(
        &ctx(),
        &Predicate::NoSeriousDelinquency,
        &inputs,
        &proof,
    ));
}

#[test]
fn proof_replay_with_other_inputs_is_rejected() {
    // Another commitment to the very same score.
    let p = Predicate::ScoreAtLeast { min: 650 };
    let (inputs, proof) = prove_ok(p, &[700], &[], YES);
    let (other, _) = commit(700, &mut OsRng);
    assert_rejected(verify_predicate(
        &ctx(),
        &p,
        &PredicateInputs {
            primary: vec![other],
            secondary: vec![],
        },
        &proof,
    ));
    let extra = PredicateInputs {
        primary: vec![inputs.primary[0], other],
        secondary: vec![],
    };
    assert!(matches!(
        verify_predicate(&ctx(), &p, &extra, &proof),
        Err(CryptoError::InputMismatch(_))
    ));

    let p = Predicate::TotalDebtBelow { limit: 40_000 };
    let (inputs, proof) = prove_ok(p, &[10_000, 20_000, 5_000], &[], YES);
    let (zero, _) = commit(0, &mut OsRng);
    let mut extra = inputs.clone();
    extra.primary.push(zero);
    assert_rejected(verify_predicate(&ctx(), &p, &extra, &proof));
    let mut missing = inputs.clone();
    missing.primary.pop();
    assert_rejected(verify_predicate(&ctx(), &p, &missing, &proof));
    let mut swapped = inputs.clone();
    swapped.primary[1] = zero;
    assert_rejected(verify_predicate(&ctx(), &p, &swapped, &proof));
    // Reordering keeps the sum but not the transcript.
    let mut reordered = inputs.clone();
    reordered.primary.swap(0, 2);
    assert_rejected(verify_predicate(&ctx(), &p, &reordered, &proof));

    // Moving an income into the payments list.
    let p = Predicate::DebtToIncomeBelow { percent: 43 };
    let (inputs, proof) = prove_ok(p, &[100, 200, 300], &[3000, 2000], YES);
    let mut moved = inputs.clone();
    moved.primary.push(moved.secondary.pop().unwrap());
    assert_rejected(verify_predicate(&ctx(), &p, &moved, &proof));
    let mut bad_point = inputs.clone();
    bad_point.secondary[0] = Commitment([0xff; 32]);
    assert!(matches!(
        verify_predicate(&ctx(), &p, &bad_point, &proof),
        Err(CryptoError::Malformed {
            what: "commitment",
            ..
        })
    ));
}

#[test]
fn proof_tampered_answer_is_rejected() {
    let p = Predicate::ScoreAtLeast { min: 650 };
    let (inputs, proof) = prove_ok(p, &[600], &[], NO);
    let flipped = PredicateProof {
        answer: YES,
        ..proof.clone()
    };
    assert_rejected(verify_predicate(&ctx(), &p, &inputs, &flipped));
    let branch = PredicateProof {
        answer: NO_ABOVE,
        ..proof.clone()
    };
    assert!(matches!(
        verify_predicate(&ctx(), &p, &inputs, &branch),
        Err(CryptoError::Malformed { .. })
    ));

    let p = Predicate::ScoreInRange { min: 600, max: 750 };
    let (inputs, proof) = prove_ok(p, &[800], &[], NO_ABOVE);
    let below = PredicateProof {
        answer: NO,
        ..proof.clone()
    };
    assert_rejected(verify_predicate(&ctx(), &p, &inputs, &below));
    // A two-claim "holds" proof has another size: caught before verification.
    let holds = PredicateProof {
        answer: YES,
        ..proof.clone()
    };
    assert!(matches!(
        verify_predicate(&ctx(), &p, &inputs, &holds),
        Err(CryptoError::Malformed { .. })
    ));
    for answer in [
        Answer {
            holds: false,
            branch: 2,
        },
        Answer {
            holds: true,
            branch: 1,
        },
    ] {
        let bad = PredicateProof {
            answer,
            ..proof.clone()
        };
        assert!(matches!(
            verify_predicate(&ctx(), &p, &inputs, &bad),
            Err(CryptoError::Malformed { .. })
        ));
    }

    let p = Predicate::NoSeriousDelinquency;
    let (inputs, proof) = prove_ok(p, &[0, 0], &[], YES);
    let flipped = PredicateProof {
        answer: NO,
        ..proof
    };
    assert_rejected(verify_predicate(&ctx(), &p, &inputs, &flipped));
}

#[test]
fn proof_forged_false_statement_fails() {
    // Score 600 against "score >= 650": D = C − 650·B opens to −50 mod ℓ. A
    // forger runs bulletproofs directly with our transcript and claims "holds".
    let p = Predicate::ScoreAtLeast { min: 650 };
    let (inputs, openings) = setup(&[600], &[]);
    let r = blinding_scalar(&openings.primary[0]).unwrap();
    let g = gens();
    let forged_answer = YES;
    let derived = derived_commitments(&p, &inputs, forged_answer).unwrap();
    for v in [(-50i64) as u64, 0, 50] {
        let mut t = predicate_transcript(&ctx(), &p, &inputs, forged_answer);
        let (rp, vs) =
            RangeProof::prove_multiple(&g.bp, &g.pc, &mut t, &[v], &[r], PREDICATE_BITS).unwrap();
        assert_ne!(vs[0].to_bytes(), derived[0].0, "no u64 value opens D");
        let forged = PredicateProof {
            answer: forged_answer,
            proof: rp.to_bytes(),
        };
        assert_rejected(verify_predicate(&ctx(), &p, &inputs, &forged));
    }
    // A value ≥ 2^32 on a 32-bit validity proof (not proven valid first) cannot be proven either.
    let (c, o) = commit(1 << 40, &mut OsRng);
    let mut t = validity_transcript(b"rec", 1);
    let (rp, _) = RangeProof::prove_multiple(
        &g.bp,
        &g.pc,
        &mut t,
        &[o.value],
        &[blinding_scalar(&o).unwrap()],
        FIELD_BITS,
    )
    .unwrap();
    assert_rejected(verify_validity(b"rec", &[c], &ValidityProof(rp.to_bytes())));
}

#[test]
fn proof_prover_checks_inputs() {
    let p = Predicate::ScoreAtLeast { min: 650 };
    let (inputs, openings) = setup(&[700], &[]);
    // Opening of another commitment.
    let (_, stranger) = commit(700, &mut OsRng);
    let wrong = PredicateOpenings {
        primary: vec![stranger],
        secondary: vec![],
    };
    let e = prove_predicate(&ctx(), &p, &inputs, &wrong).unwrap_err();
    assert!(
        matches!(&e, CryptoError::InputMismatch(m) if m.contains("primary opening 0")),
        "{e}"
    );
    // Shape mismatches.
    let none = PredicateOpenings::default();
    assert!(matches!(
        prove_predicate(&ctx(), &p, &inputs, &none),
        Err(CryptoError::InputMismatch(_))
    ));
    let (two, two_open) = setup(&[700, 710], &[]);
    assert!(matches!(
        prove_predicate(&ctx(), &p, &two, &two_open),
        Err(CryptoError::InputMismatch(_))
    ));
    let (with_secondary, ws_open) = setup(&[700], &[1]);
    assert!(matches!(
        prove_predicate(&ctx(), &p, &with_secondary, &ws_open),
        Err(CryptoError::InputMismatch(_))
    ));
    let (debts, debts_open) = setup(&[1], &[2]);
    assert!(matches!(
        prove_predicate(
            &ctx(),
            &Predicate::TotalDebtBelow { limit: 10 },
            &debts,
            &debts_open
        ),
        Err(CryptoError::InputMismatch(_))
    ));
    // Inconsistent openings (sum ≥ 2^64): neither side is provable.
    let (huge, huge_open) = setup(&[u64::MAX, u64::MAX], &[]);
    assert!(matches!(
        prove_predicate(
            &ctx(),
            &Predicate::TotalDebtBelow { limit: 1 },
            &huge,
            &huge_open
        ),
        Err(CryptoError::InputMismatch(_))
    ));
    prove_predicate(&ctx(), &p, &inputs, &openings).unwrap();
}

#[test]
fn proof_validate_rejects_bad_parameters() {
    let big = 1u64 << 32;
    let cases = [
        (Predicate::ScoreAtLeast { min: big }, "score threshold", big),
        (
            Predicate::ScoreInRange { min: 0, max: big },
            "score threshold",
            big,
        ),
        (
            Predicate::ScoreInRange {
                min: big,
                max: big + 1,
            },
            "score threshold",
            big,
        ),
        (
            Predicate::BalanceAtMost { max: u64::MAX },
            "balance limit",
            u64::MAX,
        ),
        (Predicate::TotalDebtBelow { limit: big }, "debt limit", big),
    ];
    for (p, what, value) in cases {
        assert_eq!(
            p.validate(),
            Err(CryptoError::ThresholdOutOfRange {
                what,
                value,
                bits: 32
            }),
            "{p:?}"
        );
    }
    Predicate::ScoreAtLeast { min: big - 1 }.validate().unwrap();
    for percent in [0, 101] {
        assert!(matches!(
            Predicate::DebtToIncomeBelow { percent }.validate(),
            Err(CryptoError::Malformed { .. })
        ));
        assert!(matches!(
            Predicate::UtilisationBelow { percent }.validate(),
            Err(CryptoError::Malformed { .. })
        ));
    }
    Predicate::UtilisationBelow { percent: 100 }
        .validate()
        .unwrap();
    Predicate::DebtToIncomeBelow { percent: 1 }
        .validate()
        .unwrap();
    Predicate::DebtToIncomeBelow { percent: 100 }
        .validate()
        .unwrap();
    assert!(matches!(
        Predicate::ScoreInRange { min: 751, max: 750 }.validate(),
        Err(CryptoError::Malformed { .. })
    ));

    // prove and verify both refuse before touching the inputs.
    let p = Predicate::ScoreAtLeast { min: big };
    let (inputs, openings) = setup(&[700], &[]);
    assert!(matches!(
        prove_predicate(&ctx(), &p, &inputs, &openings),
        Err(CryptoError::ThresholdOutOfRange { .. })
    ));
    let proof = PredicateProof {
        answer: YES,
        proof: vec![0; 672],
    };
    assert!(matches!(
        verify_predicate(&ctx(), &p, &inputs, &proof),
        Err(CryptoError::ThresholdOutOfRange { .. })
    ));
}

#[test]
fn proof_encode_is_tag_then_big_endian_parameters() {
    assert_eq!(
        Predicate::ScoreAtLeast { min: 650 }.encode(),
        [&[1u8][..], &650u64.to_be_bytes()].concat()
    );
    assert_eq!(
        Predicate::ScoreInRange { min: 600, max: 750 }.encode(),
        [&[2u8][..], &600u64.to_be_bytes(), &750u64.to_be_bytes()].concat()
    );
    assert_eq!(
        Predicate::BalanceAtMost { max: 1 }.encode(),
        [3, 0, 0, 0, 0, 0, 0, 0, 1]
    );
    assert_eq!(
        Predicate::TotalDebtBelow { limit: 256 }.encode(),
        [4, 0, 0, 0, 0, 0, 0, 1, 0]
    );
    assert_eq!(
        Predicate::DebtToIncomeBelow { percent: 43 }.encode(),
        [5, 0, 0, 0, 0, 0, 0, 0, 43]
    );
    assert_eq!(Predicate::NoSeriousDelinquency.encode(), [6]);
    assert_eq!(
        Predicate::UtilisationBelow { percent: 30 }.encode(),
        [7, 0, 0, 0, 0, 0, 0, 0, 30]
    );
}

#[test]
fn proof_predicate_parse_and_display() {
    let cases = [
        ("score >= 650", Predicate::ScoreAtLeast { min: 650 }),
        (
            "score in 600..750",
            Predicate::ScoreInRange { min: 600, max: 750 },
        ),
        ("balance <= 5000", Predicate::BalanceAtMost { max: 5000 }),
        (
            "total_debt < 40000",
            Predicate::TotalDebtBelow { limit: 40000 },
        ),
        ("dti < 43", Predicate::DebtToIncomeBelow { percent: 43 }),
        ("no_serious_delinquency", Predicate::NoSeriousDelinquency),
        (
            "utilisation < 30",
            Predicate::UtilisationBelow { percent: 30 },
        ),
    ];
    for (text, pred) in cases {
        assert_eq!(text.parse::<Predicate>().unwrap(), pred);
        assert_eq!(pred.to_string(), text);
        assert_eq!(pred.to_string().parse::<Predicate>().unwrap(), pred);
    }
    assert_eq!(
        "SCORE>=650".parse::<Predicate>().unwrap(),
        Predicate::ScoreAtLeast { min: 650 }
    );
    assert_eq!(
        "  Score In600 .. 750 ".parse::<Predicate>().unwrap(),
        Predicate::ScoreInRange { min: 600, max: 750 }
    );
    assert_eq!(
        "Total_Debt<1".parse::<Predicate>().unwrap(),
        Predicate::TotalDebtBelow { limit: 1 }
    );
    assert_eq!(
        " No_Serious_Delinquency ".parse::<Predicate>().unwrap(),
        Predicate::NoSeriousDelinquency
    );
    for bad in [
        "",
        "score > 650",
        "score >= -1",
        "score >= 6 50",
        "scorein 600..750",
        "score in 600...750",
        "balance < 5000",
        "dti <= 43",
        "score >= 99999999999999999999999",
        "no serious delinquency",
        "score >= 650 extra",
    ] {
        match bad.parse::<Predicate>() {
            Err(CryptoError::Malformed {
                what: "predicate",
                why,
            }) => assert!(why.contains("accepted forms"), "{why}"),
            other => panic!("{bad:?} parsed as {other:?}"),
        }
    }
    // Parsed predicates are validated.
    assert!(matches!(
        "dti < 0".parse::<Predicate>(),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        "score in 750..600".parse::<Predicate>(),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        "score >= 4294967296".parse::<Predicate>(),
        Err(CryptoError::ThresholdOutOfRange { .. })
    ));
}

#[test]
fn proof_predicate_canonical_text_is_exactly_display() {
    for text in [
        "score >= 650",
        "score >= 0",
        "score in 600..750",
        "balance <= 4294967295",
        "total_debt < 4000000",
        "dti < 43",
        "no_serious_delinquency",
    ] {
        let p = Predicate::parse_canonical(text).unwrap();
        assert_eq!(p.to_string(), text);
    }
    for loose in [
        "SCORE >= 650",
        "score >= 0650",
        "score >= 00",
        "score>=650",
        "score  >= 650",
        " score >= 650",
        "score >= 650 ",
        "score in 600 .. 750",
        "Score In600..750",
        "No_Serious_Delinquency",
    ] {
        assert!(
            matches!(
                Predicate::parse_canonical(loose),
                Err(CryptoError::Malformed {
                    what: "predicate",
                    ..
                })
            ),
            "{loose:?}"
        );
    }
    // Canonical but out of range: refused like any parsed predicate.
    assert!(matches!(
        Predicate::parse_canonical("score >= 4294967296"),
        Err(CryptoError::ThresholdOutOfRange { .. })
    ));
    assert!(Predicate::parse_canonical("dti < 0").is_err());
    assert!(Predicate::parse_canonical("score in 2..1").is_err());
}

#[test]
fn proof_validity_for_one_to_eight_fields() {
    for n in 1..=MAX_VALIDITY_FIELDS {
        let values: Vec<u64> = (0..n as u64)
            .map(|i| if i == 0 { u32::MAX as u64 } else { i * 1000 })
            .collect();
        let (cs, os) = committed(&values);
        let proof = prove_validity(b"record-1", &os).unwrap();
        assert_eq!(
            proof.0.len(),
            plus::plus_proof_len(32, n.next_power_of_two())
        );
        verify_validity(b"record-1", &cs, &proof).unwrap();
        // The `bulletproofs` form of earlier ledgers still verifies.
        let legacy = prove_validity_bulletproofs(b"record-1", &os).unwrap();
        assert_eq!(legacy.0.len(), range_proof_len(32, n.next_power_of_two()));
        verify_validity(b"record-1", &cs, &legacy).unwrap();
        assert_rejected(verify_validity(b"record-2", &cs, &legacy));
        assert_rejected(verify_validity(b"record-2", &cs, &proof));
        // Another commitment in place of the last field.
        let mut other = cs.clone();
        other[n - 1] = commit(values[n - 1], &mut OsRng).0;
        assert_rejected(verify_validity(b"record-1", &other, &proof));
    }
}

#[test]
fn proof_validity_rejects_bad_inputs() {
    let (cs, os) = committed(&[1, 2, 3]);
    let proof = prove_validity(b"r", &os).unwrap();
    // Same padded size, different field count: the transcript and padding differ.
    let four = [
        cs.clone(),
        vec![commitment_of(&Opening {
            value: 0,
            blinding: [0; 32],
        })
        .unwrap()],
    ]
    .concat();
    assert_rejected(verify_validity(b"r", &four, &proof));
    // Two fields pad to m = 2: a proof for m = 4 has the wrong size.
    assert!(matches!(
        verify_validity(b"r", &cs[..2], &proof),
        Err(CryptoError::Malformed {
            what: "validity proof",
            ..
        })
    ));
    let mut reordered = cs.clone();
    reordered.swap(0, 1);
    assert_rejected(verify_validity(b"r", &reordered, &proof));
    let mut flipped = proof.clone();
    flipped.0[100] ^= 1;
    assert!(verify_validity(b"r", &cs, &flipped).is_err());

    let out = Opening {
        value: 1 << 32,
        ..os[0].clone()
    };
    assert_eq!(
        prove_validity(b"r", &[os[0].clone(), out]),
        Err(CryptoError::OutOfRange {
            value: 1 << 32,
            bits: 32
        })
    );
    assert!(matches!(
        prove_validity(b"r", &[]),
        Err(CryptoError::Malformed { .. })
    ));
    let nine: Vec<Opening> = (0..9).map(|_| os[0].clone()).collect();
    assert!(matches!(
        prove_validity(b"r", &nine),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        verify_validity(b"r", &[], &proof),
        Err(CryptoError::Malformed { .. })
    ));
    let bad_point = [cs[0], cs[1], Commitment([0xff; 32])];
    assert!(matches!(
        verify_validity(b"r", &bad_point, &proof),
        Err(CryptoError::Malformed {
            what: "commitment",
            ..
        })
    ));
}

#[test]
fn proof_sizes() {
    let (_, proof) = prove_ok(Predicate::ScoreAtLeast { min: 1 }, &[5], &[], YES);
    assert_eq!(proof.proof.len(), 672);
    let (_, proof) = prove_ok(Predicate::ScoreInRange { min: 1, max: 9 }, &[5], &[], YES);
    assert_eq!(proof.proof.len(), 736);
    let (_, os) = committed(&[1; 8]);
    assert_eq!(prove_validity(b"r", &os).unwrap().0.len(), 705);
    assert_eq!(prove_validity(b"r", &os[..6]).unwrap().0.len(), 705);
    assert_eq!(prove_validity(b"r", &os[..1]).unwrap().0.len(), 513);
    assert_eq!(prove_validity_bulletproofs(b"r", &os).unwrap().0.len(), 800);
}

#[test]
fn validity_batches_pass_only_when_every_proof_does() {
    let records: Vec<(Vec<u8>, Vec<Commitment>, ValidityProof)> = (0..9u64)
        .map(|i| {
            let n = 1 + (i as usize % MAX_VALIDITY_FIELDS);
            let values: Vec<u64> = (0..n as u64).map(|j| i * 100 + j).collect();
            let (cs, os) = committed(&values);
            let ctx = format!("record-{i}").into_bytes();
            // One record in the form of earlier ledgers: a batch mixes both.
            let proof = if i == 4 {
                prove_validity_bulletproofs(&ctx, &os).unwrap()
            } else {
                prove_validity(&ctx, &os).unwrap()
            };
            (ctx, cs, proof)
        })
        .collect();
    let batch = |rs: &[(Vec<u8>, Vec<Commitment>, ValidityProof)]| {
        let cs: Vec<ValidityCheck<'_>> = rs
            .iter()
            .map(|(ctx, cs, p)| ValidityCheck {
                context: ctx,
                commitments: cs,
                proof: p,
            })
            .collect();
        verify_validity_batch(&cs)
    };
    batch(&records).unwrap();
    assert!(batch(&[]).is_ok());
    // Any one wrong record fails the batch: another record's context, a
    // commitment swapped in from elsewhere, a flipped byte, a proof moved.
    for i in [0usize, 4, 8] {
        let mut rs = records.clone();
        rs[i].0 = b"someone-else".to_vec();
        assert!(batch(&rs).is_err(), "context of {i}");
        let mut rs = records.clone();
        rs[i].1[0] = commit(7, &mut OsRng).0;
        assert!(batch(&rs).is_err(), "commitment of {i}");
        let mut rs = records.clone();
        let last = rs[i].2 .0.len() - 40;
        rs[i].2 .0[last] ^= 1;
        assert!(batch(&rs).is_err(), "byte of {i}");
    }
    // Records 0 and 8 both have one field: 0's proof under 8's commitment.
    let mut rs = records.clone();
    rs[8].2 = rs[0].2.clone();
    assert!(batch(&rs).is_err());
}
