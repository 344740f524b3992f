//! Building a bundle from a ledger view.
use super::*;

/// The first column of the first row of `sql` (one `?1` parameter), as bytes.
fn one_blob(view: &Ledger, sql: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut st = view.conn().prepare(sql).map_err(LedgerError::from)?;
    let mut rows = st
        .query_map([key], |r| r.get::<_, Vec<u8>>(0))
        .map_err(LedgerError::from)?;
    let first = rows.next().transpose().map_err(LedgerError::from)?;
    Ok(first)
}

/// An accepted entry as the ledger stores it (only accepted entries are in
/// `entries`; refused ones are in `rejected_entries`).
pub(super) fn stored_entry(view: &Ledger, id: &Id) -> Result<Option<SignedEntry>> {
    match one_blob(view, "SELECT body FROM entries WHERE entry_id = ?1", id)? {
        None => Ok(None),
        Some(body) => Ok(Some(from_bytes("entry", &body)?)),
    }
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
    let eid = one_blob(
        view,
        "SELECT entry_id FROM records WHERE record_id = ?1
         UNION ALL SELECT entry_id FROM scores WHERE score_id = ?1",
        input,
    )?
    .ok_or_else(|| ApiError::not_found(format!("answer input {}", h(&input[..8]))))?;
    let eid: Id = eid
        .try_into()
        .map_err(|_| ApiError::new(ErrorCode::Storage, "a stored entry id is not 32 bytes"))?;
    need_stored(view, &eid, "input")
}

fn signer_key(view: &Ledger, party: &PartyId) -> Result<SignerKey> {
    let pk = one_blob(
        view,
        "SELECT sign_pk FROM members WHERE party = ?1",
        &party.0,
    )?
    .ok_or_else(|| ApiError::not_found(format!("member {}", party.short())))?;
    Ok(SignerKey {
        party: party.to_hex(),
        ed25519: h(&pk),
    })
}

/// Build the bundle of an answered query from a ledger view.
pub fn export(view: &Ledger, query_id: &[u8; 32]) -> Result<ProofBundle> {
    let (q, a) = read::answer(view.conn(), query_id)?
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
    let inputs = rules::inputs_from_ids(view.conn(), &q, &a.inputs)?;
    let derived = derived_commitments(&q.predicate, &inputs, a.proof.answer)?;
    let answered_at = read::queries(
        view.conn(),
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
