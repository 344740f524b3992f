//! Which ledger objects and commitments a question is answered over.
use super::*;

/// The ledger objects and commitments a query's predicate is evaluated over, as
/// every member derives them from the state now.
pub(crate) fn predicate_inputs(conn: &Connection, q: &QueryAsked) -> R<(Vec<Id>, PredicateInputs)> {
    use crate::types::{income, tradeline};
    let field = |rows: &[RecordRow], i: usize| -> Vec<Commitment> {
        rows.iter().map(|r| r.commitments[i]).collect()
    };
    let ids = |rows: &[RecordRow]| -> Vec<Id> { rows.iter().map(|r| r.record_id).collect() };
    Ok(match q.predicate {
        Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. } => {
            match latest_score(conn, &q.responder, &q.subject)? {
                Some((id, c)) => (
                    vec![id],
                    PredicateInputs {
                        primary: vec![c],
                        secondary: vec![],
                    },
                ),
                None => {
                    return reject(
                        C::StaleInputs,
                        "the responding agency has committed no score for this subject",
                    )
                }
            }
        }
        Predicate::BalanceAtMost { .. } => {
            let Some(t) = q.target else {
                return reject(C::BadPredicate, "a balance question names its record");
            };
            match record(conn, &t)? {
                Some(r)
                    if r.status == "live"
                        && r.kind == RecordKind::Tradeline
                        && r.subject == q.subject =>
                {
                    (
                        vec![t],
                        PredicateInputs {
                            primary: vec![r.commitments[tradeline::BALANCE]],
                            secondary: vec![],
                        },
                    )
                }
                _ => {
                    return reject(
                        C::UnknownRecord,
                        "the target record is not a live tradeline of this subject",
                    )
                }
            }
        }
        Predicate::TotalDebtBelow { .. } => {
            let t = live_records(conn, &q.subject, RecordKind::Tradeline)?;
            (
                ids(&t),
                PredicateInputs {
                    primary: field(&t, tradeline::BALANCE),
                    secondary: vec![],
                },
            )
        }
        Predicate::NoSeriousDelinquency => {
            let t = live_records(conn, &q.subject, RecordKind::Tradeline)?;
            (
                ids(&t),
                PredicateInputs {
                    primary: field(&t, tradeline::SERIOUS_DELINQUENCY),
                    secondary: vec![],
                },
            )
        }
        Predicate::DebtToIncomeBelow { .. } => {
            let t = live_records(conn, &q.subject, RecordKind::Tradeline)?;
            let inc = live_records(conn, &q.subject, RecordKind::Income)?;
            let mut all = ids(&t);
            all.extend(ids(&inc));
            (
                all,
                PredicateInputs {
                    primary: field(&t, tradeline::SCHEDULED_PAYMENT),
                    secondary: field(&inc, income::MONTHLY_INCOME),
                },
            )
        }
    })
}

/// `predicate_inputs` for callers outside the rules (the responder building an answer).
pub fn derive_inputs(
    conn: &Connection,
    q: &QueryAsked,
) -> Result<(Vec<Id>, PredicateInputs), crate::LedgerError> {
    predicate_inputs(conn, q).map_err(|e| match e {
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
    use crate::types::{income, tradeline};
    let missing =
        |id: &Id| crate::LedgerError::NotFound(format!("answer input {}", hex::encode(&id[..8])));
    let mut inputs = PredicateInputs::default();
    for id in ids {
        match q.predicate {
            Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. } => {
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
            _ => {
                let r = record(conn, id)?.ok_or_else(|| missing(id))?;
                let (list, idx) = match (q.predicate, r.kind) {
                    (Predicate::BalanceAtMost { .. } | Predicate::TotalDebtBelow { .. }, _) => {
                        (&mut inputs.primary, tradeline::BALANCE)
                    }
                    (Predicate::NoSeriousDelinquency, _) => {
                        (&mut inputs.primary, tradeline::SERIOUS_DELINQUENCY)
                    }
                    (Predicate::DebtToIncomeBelow { .. }, RecordKind::Tradeline) => {
                        (&mut inputs.primary, tradeline::SCHEDULED_PAYMENT)
                    }
                    (Predicate::DebtToIncomeBelow { .. }, RecordKind::Income) => {
                        (&mut inputs.secondary, income::MONTHLY_INCOME)
                    }
                    _ => return Err(missing(id)),
                };
                list.push(*r.commitments.get(idx).ok_or_else(|| missing(id))?);
            }
        }
    }
    Ok(inputs)
}
