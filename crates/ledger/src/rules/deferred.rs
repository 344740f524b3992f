//! Checks that need no state: signatures and proofs, queued while an
//! entry's stateful checks run and verified in parallel before the block
//! commits.
use super::*;

/// A state-free check whose inputs were resolved from state.
pub(crate) enum Deferred {
    Signature {
        signer: [u8; 32],
        domain: &'static [u8],
        msg: Arc<Vec<u8>>,
        sig: Signature,
        who: &'static str,
    },
    Validity {
        context: Vec<u8>,
        commitments: Vec<Commitment>,
        proof: ValidityProof,
    },
    Seal {
        sealed: SealedRecord,
        author: PublicIdentity,
    },
    Predicate {
        ctx: ProofContext,
        predicate: Predicate,
        inputs: PredicateInputs,
        proof: PredicateProof,
    },
}

impl Deferred {
    /// Check, unless a check with exactly these inputs passed before in
    /// this process (`passed`).
    pub(crate) fn run(&self) -> Result<(), Rejection> {
        let key = self.key();
        if key.as_ref().is_some_and(passed::contains) {
            return Ok(());
        }
        let r = self.check();
        if let (Ok(()), Some(k)) = (&r, key) {
            passed::insert(k);
        }
        r
    }

    /// A hash of every input of the check. Answers' proofs are checked once
    /// each, so they are not remembered.
    fn key(&self) -> Option<[u8; 32]> {
        use credence_crypto::hash::digest;
        match self {
            Deferred::Signature {
                signer,
                domain,
                msg,
                sig,
                ..
            } => Some(digest(
                b"credence.passed.signature.v1",
                &[signer, domain, msg, &sig.0],
            )),
            Deferred::Validity {
                context,
                commitments,
                proof,
            } => Some(digest(
                b"credence.passed.validity.v1",
                &[context, &to_bytes(commitments), &proof.0],
            )),
            Deferred::Seal { sealed, author } => Some(digest(
                b"credence.passed.seal.v1",
                &[&to_bytes(sealed), &to_bytes(author)],
            )),
            Deferred::Predicate { .. } => None,
        }
    }

    fn check(&self) -> Result<(), Rejection> {
        match self {
            Deferred::Signature {
                signer,
                domain,
                msg,
                sig,
                who,
            } => verify(signer, domain, msg, sig).map_err(|_| {
                Rejection::new(
                    C::BadSignature,
                    format!("the {who}'s signature does not verify"),
                )
            }),
            Deferred::Validity {
                context,
                commitments,
                proof,
            } => verify_validity(context, commitments, proof)
                .map_err(|e| Rejection::new(C::BadProof, format!("validity proof: {e}"))),
            // The header's author party was checked against the entry's
            // author in `check_seal`; here only that author's key signed.
            Deferred::Seal { sealed, author } => sealed
                .verify_signed_by(author)
                .map_err(|e| Rejection::new(C::BadSeal, format!("sealed payload: {e}"))),
            Deferred::Predicate {
                ctx,
                predicate,
                inputs,
                proof,
            } => verify_predicate(ctx, predicate, inputs, proof)
                .map_err(|e| Rejection::new(C::BadProof, format!("answer proof: {e}"))),
        }
    }
}

/// Fewest validity proofs worth a batch on one thread: below this the
/// fixed cost of a batch outweighs what it saves.
const MIN_BATCH: usize = 8;

/// Verify the validity proofs among `deferred` that have not passed before,
/// in Bulletproofs+ batches spread over the pool's threads, and remember
/// every proof of each batch that passes. A batch that fails remembers
/// nothing, so `run` then checks each of its proofs on its own: an entry is
/// still refused or accepted for its own proof, whatever shares its block.
pub(crate) fn verify_validity_batches<'a>(deferred: impl Iterator<Item = &'a Deferred>) {
    use credence_crypto::proof::{verify_validity_batch, ValidityCheck};
    use rayon::prelude::*;
    let todo: Vec<([u8; 32], ValidityCheck<'_>)> = deferred
        .filter_map(|d| match d {
            Deferred::Validity {
                context,
                commitments,
                proof,
            } => d.key().filter(|k| !passed::contains(k)).map(|k| {
                (
                    k,
                    ValidityCheck {
                        context,
                        commitments,
                        proof,
                    },
                )
            }),
            _ => None,
        })
        .collect();
    if todo.len() < 2 {
        return;
    }
    let per_thread = todo
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(MIN_BATCH);
    todo.par_chunks(per_thread).for_each(|chunk| {
        let checks: Vec<ValidityCheck<'_>> = chunk.iter().map(|(_, c)| *c).collect();
        if verify_validity_batch(&checks).is_ok() {
            for (k, _) in chunk {
                passed::insert(*k);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_crypto::proof::{commit, prove_validity};

    #[test]
    fn a_passed_check_is_remembered_by_all_its_inputs_and_a_changed_one_still_fails() {
        let mut rng = rand::rngs::OsRng;
        let (commitments, openings): (Vec<_>, Vec<_>) =
            (0..6u64).map(|v| commit(500 + v, &mut rng)).unzip();
        let proof = prove_validity(b"ctx", &openings).unwrap();
        let good = Deferred::Validity {
            context: b"ctx".to_vec(),
            commitments: commitments.clone(),
            proof: proof.clone(),
        };
        assert!(good.run().is_ok());
        assert!(passed::contains(&good.key().unwrap()));
        assert!(good.run().is_ok());
        // The same proof under another context, or one byte changed: checked
        // afresh, and refused.
        let other = Deferred::Validity {
            context: b"other".to_vec(),
            commitments: commitments.clone(),
            proof: proof.clone(),
        };
        assert_eq!(other.run().unwrap_err().code, C::BadProof);
        let mut bytes = proof.0.clone();
        bytes[40] ^= 1;
        let tampered = Deferred::Validity {
            context: b"ctx".to_vec(),
            commitments,
            proof: ValidityProof(bytes),
        };
        assert!(tampered.run().is_err());
        assert!(!passed::contains(&tampered.key().unwrap()));
        assert!(!passed::contains(&other.key().unwrap()));
    }

    fn validity(ctx: &[u8], values: &[u64]) -> Deferred {
        let (commitments, openings): (Vec<_>, Vec<_>) = values
            .iter()
            .map(|v| commit(*v, &mut rand::rngs::OsRng))
            .unzip();
        Deferred::Validity {
            context: ctx.to_vec(),
            proof: prove_validity(ctx, &openings).unwrap(),
            commitments,
        }
    }

    #[test]
    fn a_batch_with_one_bad_proof_remembers_none_and_each_is_judged_alone() {
        let mut ds: Vec<Deferred> = (0..12u64)
            .map(|i| validity(format!("batch-a-{i}").as_bytes(), &[i, i + 1, i + 2]))
            .collect();
        // Entry 5 carries entry 6's proof: well-formed, but not its own.
        let Deferred::Validity { proof: p6, .. } = &ds[6] else {
            unreachable!()
        };
        let p6 = p6.clone();
        if let Deferred::Validity { proof, .. } = &mut ds[5] {
            *proof = p6;
        }
        verify_validity_batches(ds.iter());
        // The failing batch remembered nothing...
        assert!(!passed::contains(&ds[5].key().unwrap()));
        // ...and one by one, only entry 5 is refused.
        let verdicts: Vec<bool> = ds.iter().map(|d| d.run().is_ok()).collect();
        let expected: Vec<bool> = (0..12).map(|i| i != 5).collect();
        assert_eq!(verdicts, expected);

        // A batch of good proofs is remembered whole: `run` verifies nothing again.
        let good: Vec<Deferred> = (0..12u64)
            .map(|i| validity(format!("batch-b-{i}").as_bytes(), &[i; 6]))
            .collect();
        verify_validity_batches(good.iter());
        assert!(good.iter().all(|d| passed::contains(&d.key().unwrap())));
    }
}
