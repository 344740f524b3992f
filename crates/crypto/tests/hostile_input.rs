//! Property tests: predicate text, keystore files, range-proof and validity-proof bytes from
//! a hostile source never panic, and predicates have one canonical text.
use credence_crypto::keystore;
use credence_crypto::proof::{Predicate, PredicateInputs, PredicateProof, ProofContext};
use credence_crypto::Secret;
use proptest::prelude::*;

fn predicate() -> impl Strategy<Value = Predicate> {
    prop_oneof![
        (0u64..1 << 40).prop_map(|min| Predicate::ScoreAtLeast { min }),
        (0u64..1 << 40, 0u64..1 << 40).prop_map(|(a, b)| Predicate::ScoreInRange {
            min: a.min(b),
            max: a.max(b)
        }),
        (0u64..1 << 40).prop_map(|max| Predicate::BalanceAtMost { max }),
        (0u64..1 << 40).prop_map(|limit| Predicate::TotalDebtBelow { limit }),
        (0u64..200).prop_map(|percent| Predicate::DebtToIncomeBelow { percent }),
        Just(Predicate::NoSeriousDelinquency),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_is_refused(s in "\\PC{0,40}") {
        if let Ok(p) = s.parse::<Predicate>() {
            // What parses is valid and has one canonical text.
            prop_assert!(p.validate().is_ok());
            prop_assert_eq!(Predicate::parse_canonical(&p.to_string()).unwrap(), p);
        }
        let _ = Predicate::parse_canonical(&s);
    }

    #[test]
    fn near_miss_texts_never_panic(s in "(score|balance|total_debt|dti|no_serious_delinquency| |>=|<=|<|\\.\\.|in|[0-9]{1,25}|-){0,8}") {
        let _ = s.parse::<Predicate>();
    }

    #[test]
    fn valid_predicates_round_trip_only_through_their_canonical_text(p in predicate()) {
        match p.validate() {
            Ok(()) => {
                let text = p.to_string();
                prop_assert_eq!(Predicate::parse_canonical(&text).unwrap(), p);
                // Leading zeros and capitals parse leniently but are not canonical.
                if let Some(i) = text.find(|c: char| c.is_ascii_digit()) {
                    let zeroed = format!("{}0{}", &text[..i], &text[i..]);
                    prop_assert!(Predicate::parse_canonical(&zeroed).is_err(), "{}", zeroed);
                }
                prop_assert!(Predicate::parse_canonical(&text.to_uppercase()).is_err());
            }
            Err(_) => prop_assert!(p.to_string().parse::<Predicate>().is_err()),
        }
    }

    #[test]
    fn arbitrary_proof_bytes_are_refused_not_panicked_on(bytes in proptest::collection::vec(any::<u8>(), 0..1500), holds in any::<bool>(), branch in any::<u8>()) {
        let ctx = ProofContext { query_id: [1; 32], subject: [2; 32], responder: [3; 32] };
        let (c, _) = credence_crypto::proof::commit(700, &mut rand::rngs::OsRng);
        let inputs = PredicateInputs { primary: vec![c], secondary: vec![] };
        let proof = PredicateProof { answer: credence_crypto::proof::Answer { holds, branch }, proof: bytes };
        let pred = Predicate::ScoreAtLeast { min: 650 };
        let verdict = credence_crypto::proof::verify_predicate(&ctx, &pred, &inputs, &proof);
        prop_assert!(verdict.is_err());
    }
}

proptest! {
    // Validity proofs of exactly the sizes either form takes (so the bytes
    // reach the parsers and verifiers, not only the size check), alone and
    // in a batch behind a valid proof.
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_validity_proofs_are_refused_not_panicked_on(
        fields in 1usize..=8,
        plus in any::<bool>(),
        seed in proptest::collection::vec(any::<u8>(), 32..64),
        first in any::<u8>(),
    ) {
        use credence_crypto::proof::{
            commit, prove_validity, verify_validity, verify_validity_batch, ValidityCheck,
            ValidityProof,
        };
        let m = fields.next_power_of_two();
        let lg = (32 * m).trailing_zeros() as usize;
        let len = if plus { 1 + (2 * lg + 6) * 32 } else { (2 * lg + 9) * 32 };
        let mut bytes: Vec<u8> = seed.iter().cycle().take(len).copied().collect();
        bytes[0] = first;
        let proof = ValidityProof(bytes);
        let (cs, os): (Vec<_>, Vec<_>) =
            (0..fields as u64).map(|v| commit(v, &mut rand::rngs::OsRng)).unzip();
        prop_assert!(verify_validity(b"ctx", &cs, &proof).is_err());
        let good = prove_validity(b"good", &os).unwrap();
        let checks = [
            ValidityCheck { context: b"good", commitments: &cs, proof: &good },
            ValidityCheck { context: b"ctx", commitments: &cs, proof: &proof },
        ];
        prop_assert!(verify_validity_batch(&checks).is_err());
        prop_assert!(verify_validity_batch(&checks[..1]).is_ok());
    }
}

proptest! {
    // Each case writes a file; few cases, still every shape of damage.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_keystore_files_are_refused_not_panicked_on(bytes in proptest::collection::vec(any::<u8>(), 0..600), json in "\\{\"format\":\"credence-keystore\",\"version\":[0-9]{1,3}(,\"[a-z_]{1,8}\":(\"[a-f0-9]{0,40}\"|[0-9]{1,12}|null))*\\}") {
        let dir = tempfile::tempdir().unwrap();
        let pass = Secret::new("pass".to_string());
        for (i, content) in [bytes, json.into_bytes()].into_iter().enumerate() {
            let p = dir.path().join(format!("k{i}.json"));
            std::fs::write(&p, content).unwrap();
            prop_assert!(keystore::read(&p, &pass).is_err());
        }
    }
}

#[test]
fn total_debt_below_zero_is_refused() {
    assert!("total_debt < 0".parse::<Predicate>().is_err());
    assert!("total_debt < 1".parse::<Predicate>().is_ok());
    assert!(Predicate::parse_canonical("score >= 0650").is_err());
    assert!(Predicate::parse_canonical("SCORE >= 650").is_err());
    assert_eq!(
        Predicate::parse_canonical("score >= 650").unwrap(),
        Predicate::ScoreAtLeast { min: 650 }
    );
}
