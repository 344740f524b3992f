//! Which ledger objects and commitments a question is answered over, by
//! the one table of `PredicateKind::inputs`.
use super::*;
use crate::predicate::{Field, Inputs, PredicateKind};

/// The commitment of `field` in record `r`; a record whose commitments do
/// not cover the field is not a valid input.
fn field_of(r: &RecordRow, field: Field) -> Option<Commitment> {
    (r.kind == field.kind)
        .then(|| r.commitments.get(field.index).copied())
        .flatten()
}

/// The one target check: `target` is a live tradeline of `subject`, not
/// left out at time `at` for a dispute its furnisher did not answer in time.
pub(crate) fn target_tradeline(
    conn: &Connection,
    subject: &PartyId,
    target: &Id,
    at: u64,
) -> R<RecordRow> {
    match record(conn, target)? {
        Some(r)
            if r.subject == *subject
                && r.kind == RecordKind::Tradeline
                && r.status == RecordStatus::Live =>
        {
            if overdue_dispute(conn, target, at)? {
                return reject(
                    C::UnknownRecord,
                    "the target is disputed and its furnisher did not answer in time: it is left \
                     out of answers until the furnisher confirms or corrects it",
                );
            }
            Ok(r)
        }
        Some(r) if r.status == RecordStatus::Erased => reject(
            C::UnknownRecord,
            "the target's content was erased: no answer uses it",
        ),
        _ => reject(
            C::UnknownRecord,
            "the target is not a live tradeline of the subject",
        ),
    }
}

/// `target_tradeline` for callers outside the rules (an asker's own check
/// before signing).
pub fn check_target(
    conn: &Connection,
    subject: &PartyId,
    target: &Id,
    at: u64,
) -> Result<RecordRow, crate::LedgerError> {
    target_tradeline(conn, subject, target, at).map_err(|e| match e {
        RuleError::Reject(r) => crate::LedgerError::Rejected(r),
        RuleError::Sql(e) => e.into(),
    })
}

/// The ledger objects and commitments a query's predicate is evaluated over, as
/// every member derives them from the state at block time `at`.
pub(crate) fn predicate_inputs(
    conn: &Connection,
    q: &QueryAsked,
    at: u64,
) -> R<(Vec<Id>, PredicateInputs)> {
    let mut ids = Vec::new();
    let mut inputs = PredicateInputs::default();
    let broken = || Rejection::new(C::Malformed, "a record lacks a committed field");
    match PredicateKind::of(&q.predicate).inputs() {
        Inputs::Score => match latest_score(conn, &q.responder, &q.subject)? {
            Some((id, c)) => {
                ids.push(id);
                inputs.primary.push(c);
            }
            None => {
                return reject(
                    C::StaleInputs,
                    "the responding agency has committed no score for this subject",
                )
            }
        },
        Inputs::Target { field } => {
            let Some(t) = q.target else {
                return reject(C::BadPredicate, "a balance question names its record");
            };
            let r = target_tradeline(conn, &q.subject, &t, at)?;
            let f = Field {
                kind: RecordKind::Tradeline,
                index: field,
            };
            ids.push(t);
            inputs.primary.push(field_of(&r, f).ok_or_else(broken)?);
        }
        Inputs::Live { primary, secondary } => {
            let rows = live_records(conn, &q.subject, primary.kind, at)?;
            for r in &rows {
                ids.push(r.record_id);
                inputs
                    .primary
                    .push(field_of(r, primary).ok_or_else(broken)?);
            }
            match secondary {
                None => {}
                Some(s) if s.kind == primary.kind => {
                    for r in &rows {
                        inputs.secondary.push(field_of(r, s).ok_or_else(broken)?);
                    }
                }
                Some(s) => {
                    for r in live_records(conn, &q.subject, s.kind, at)? {
                        ids.push(r.record_id);
                        inputs.secondary.push(field_of(&r, s).ok_or_else(broken)?);
                    }
                }
            }
        }
    }
    Ok((ids, inputs))
}

/// `predicate_inputs` for callers outside the rules (the responder building
/// an answer, for a block at about time `at`).
pub fn derive_inputs(
    conn: &Connection,
    q: &QueryAsked,
    at: u64,
) -> Result<(Vec<Id>, PredicateInputs), crate::LedgerError> {
    predicate_inputs(conn, q, at).map_err(|e| match e {
        RuleError::Reject(r) => crate::LedgerError::Rejected(r),
        RuleError::Sql(e) => e.into(),
    })
}

/// Rebuild the predicate inputs of an answer from the ids it names (the
/// commitments of records and scores never change once on the ledger), so an
/// answer can be re-verified later even after newer records arrived.
pub fn inputs_from_ids(
    conn: &Connection,
    q: &QueryAsked,
    ids: &[Id],
) -> Result<PredicateInputs, crate::LedgerError> {
    let missing =
        |id: &Id| crate::LedgerError::NotFound(format!("answer input {}", hex::encode(&id[..8])));
    let mut inputs = PredicateInputs::default();
    let (primary, secondary) = match PredicateKind::of(&q.predicate).inputs() {
        Inputs::Score => {
            for id in ids {
                let c: Vec<u8> = conn
                    .query_row(
                        "SELECT commitment FROM scores WHERE score_id = ?1",
                        [&id[..]],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or_else(|| missing(id))?;
                inputs.primary.push(Commitment(id32(c)?));
            }
            return Ok(inputs);
        }
        Inputs::Target { field } => (
            Field {
                kind: RecordKind::Tradeline,
                index: field,
            },
            None,
        ),
        Inputs::Live { primary, secondary } => (primary, secondary),
    };
    for id in ids {
        let r = record(conn, id)?.ok_or_else(|| missing(id))?;
        let mut used = false;
        if let Some(c) = field_of(&r, primary) {
            inputs.primary.push(c);
            used = true;
        }
        if let Some(c) = secondary.and_then(|s| field_of(&r, s)) {
            inputs.secondary.push(c);
            used = true;
        }
        if !used {
            return Err(missing(id));
        }
    }
    Ok(inputs)
}
