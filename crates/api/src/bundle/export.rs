//! Building a bundle from a ledger view.
use super::*;

/// An accepted entry as the ledger stores it.
pub(super) fn stored_entry(view: &Ledger, id: &Id) -> Result<Option<SignedEntry>> {
    Ok(read::stored_entry(view, id)?)
}

fn need_stored(view: &Ledger, id: &Id, what: &str) -> Result<SignedEntry> {
    stored_entry(view, id)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "the {what} entry {} is not on this ledger",
            h(&id[..8])
        ))
    })
}

/// The entry that put a record or score on the ledger.
fn input_entry(view: &Ledger, input: &Id) -> Result<SignedEntry> {
    let eid = read::entry_of_input(view, input)?
        .ok_or_else(|| ApiError::not_found(format!("answer input {}", h(&input[..8]))))?;
    need_stored(view, &eid, "input")
}

fn signer_key(view: &Ledger, party: &PartyId) -> Result<SignerKey> {
    let m = read::member(view, party)?
        .ok_or_else(|| ApiError::not_found(format!("member {}", party.short())))?;
    Ok(SignerKey {
        party: party.to_hex(),
        ed25519: h(&m.key.sign),
    })
}

/// Build the bundle of an answered query from a ledger view.
pub fn export(view: &Ledger, query_id: &[u8; 32]) -> Result<ProofBundle> {
    let (q, a) = read::answer(view, query_id)?
        .ok_or_else(|| ApiError::not_found("that query has no answer yet"))?;
    let question = need_stored(view, &entry_id(&Entry::QueryAsked(q.clone())), "question")?;
    let answer = need_stored(view, &entry_id(&Entry::QueryAnswered(a.clone())), "answer")?;
    let mut signers = vec![q.requester];
    if !signers.contains(&a.responder) {
        signers.push(a.responder);
    }
    let mut input_entries = Vec::with_capacity(a.inputs.len());
    for id in &a.inputs {
        let se = input_entry(view, id)?;
        let signer = match &se.entry {
            Entry::ScoreCommitted(s) => s.agency,
            Entry::RecordFurnished(r) => r.furnisher,
            other => {
                return Err(ApiError::new(
                    ErrorCode::Storage,
                    format!("answer input {} is a {} entry", h(&id[..8]), other.kind()),
                ))
            }
        };
        if !signers.contains(&signer) {
            signers.push(signer);
        }
        input_entries.push(bundle_entry(&se));
    }
    let inputs = read::inputs_from_ids(view, &q, &a.inputs)?;
    let derived = derived_commitments(&q.predicate, &inputs, a.proof.answer)?;
    let answered_at = read::queries(
        view,
        &read::QueryFilter {
            subject: Some(q.subject),
            ..Default::default()
        },
    )?
    .into_iter()
    .find(|x| x.query_id == *query_id)
    .and_then(|x| x.answered_at)
    .ok_or_else(|| ApiError::not_found("the answer's block time"))?;
    Ok(ProofBundle {
        format: FORMAT.into(),
        version: VERSION,
        query_id: h(query_id),
        subject: q.subject.to_hex(),
        responder: q.responder.to_hex(),
        requester: q.requester.to_hex(),
        predicate: q.predicate.to_string(),
        predicate_encoding: h(&q.predicate.encode()),
        holds: a.proof.answer.holds,
        branch: a.proof.answer.branch,
        input_ids: a.inputs.iter().map(|i| h(i)).collect(),
        inputs_primary: inputs.primary.iter().map(|c| h(&c.0)).collect(),
        inputs_secondary: inputs.secondary.iter().map(|c| h(&c.0)).collect(),
        derived_commitments: derived.iter().map(|c| h(&c.0)).collect(),
        range_bits: PREDICATE_BITS,
        proof: h(&a.proof.proof),
        answered_at,
        question_entry: bundle_entry(&question),
        answer_entry: bundle_entry(&answer),
        input_entries,
        signer_keys: signers
            .iter()
            .map(|p| signer_key(view, p))
            .collect::<Result<_>>()?,
    })
}
