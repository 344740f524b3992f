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
    pub(crate) fn run(&self) -> Result<(), Rejection> {
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
