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
}
