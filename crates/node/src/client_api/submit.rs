//! `POST /v1/submit`: judge the entries, pool them, and wait (holding no
//! thread) for their receipts. `POST /v1/operator/submit`: the same for an
//! operator's entries, which the node first checks against the operator's
//! role and signs for its member.
use super::*;
use crate::operators::Act;
use credence_ledger::encode::{entry_bytes, ENTRY_SIG_DOMAIN};
use credence_ledger::types::Entry;

pub(super) async fn submit(
    st: &Arc<State>,
    key: [u8; 32],
    body: Bytes,
    in_flight: quota::Slot<[u8; 32]>,
) -> Out {
    let sub = parse(st, body).await?;
    pool_and_wait(st, key, sub.entries, sub.wait_ms, in_flight).await
}

async fn parse(st: &Arc<State>, body: Bytes) -> Result<routes::Submission, Reply> {
    let max_wait = st.limits.max_wait.as_millis() as u64;
    tokio::task::spawn_blocking(move || routes::parse_submission(&body, max_wait))
        .await
        .map_err(|_| {
            (
                500,
                error(ErrorCode::Internal, "cannot parse the submission"),
            )
        })?
}

/// An operator's entries: each must be one its role allows, made for this
/// node's member, and naming the operator where the entry records one; the
/// node then adds the member's signature.
pub(super) async fn operator_submit(
    st: &Arc<State>,
    caller: &Caller,
    key: [u8; 32],
    body: Bytes,
    in_flight: quota::Slot<[u8; 32]>,
) -> Out {
    let (
        Caller::Operator {
            member, operator, ..
        },
        Some(acting),
    ) = (caller, &st.ctx.acting)
    else {
        return Err((
            403,
            error(
                ErrorCode::NotPermitted,
                "only an operator registered at this node submits through it; members and \
                 borrowers use /v1/submit",
            ),
        ));
    };
    let mut sub = parse(st, body).await?;
    for (i, e) in sub.entries.iter_mut().enumerate() {
        let refuse = |why: String| {
            Err((
                403,
                error(ErrorCode::NotPermitted, format!("entry {i}: {why}")),
            ))
        };
        let expected_signatures = match &e.entry {
            Entry::QueryAsked(q) => {
                caller.may(Act::Ask)?;
                if q.requester != *member {
                    return refuse("the question must be asked by this node's member".into());
                }
                if q.operator != Some(*operator) {
                    return refuse("the question must name the operator who asks it".into());
                }
                0
            }
            Entry::SubjectEnrolled { lender, .. } => {
                caller.may(Act::Enrol)?;
                if lender != member {
                    return refuse("the enrolment must be with this node's member".into());
                }
                // The borrower's own signature comes first.
                1
            }
            other => {
                return refuse(format!(
                    "an operator cannot submit {} entries; only the member's own key can",
                    other.kind()
                ))
            }
        };
        if e.signatures.len() != expected_signatures {
            return refuse(format!(
                "expected {expected_signatures} signature(s) before the member's, found {}",
                e.signatures.len()
            ));
        }
        e.signatures.push(
            acting
                .identity
                .sign(ENTRY_SIG_DOMAIN, &entry_bytes(&e.entry)),
        );
    }
    tracing::info!(operator = %operator, entries = sub.entries.len(), "signed for an operator");
    pool_and_wait(st, key, sub.entries, sub.wait_ms, in_flight).await
}

async fn pool_and_wait(
    st: &Arc<State>,
    key: [u8; 32],
    entries: Vec<SignedEntry>,
    wait_ms: u64,
    in_flight: quota::Slot<[u8; 32]>,
) -> Out {
    let unfiltered = st.ctx.unfiltered;
    let (entries, verdicts) = st
        .blocking(move |l| {
            let v = routes::judge(l, unix_now(), &entries, unfiltered)?;
            Ok((entries, v))
        })
        .await?;
    let ids: Vec<_> = entries.iter().map(|e| entry_id(&e.entry)).collect();
    for ((e, v), id) in entries.into_iter().zip(verdicts).zip(&ids) {
        match v {
            Err(r) => st.ctx.mempool.reject(*id, r),
            Ok(()) => match st.ctx.mempool.add(e.clone()) {
                Added::New => {
                    if let Some(g) = &st.ctx.gossip {
                        let _ = g.send(e);
                    }
                }
                Added::Known => {}
                Added::Full => {
                    return Err((
                        503,
                        error(
                            ErrorCode::Overloaded,
                            "the node's pool of pending entries is full; retry shortly",
                        ),
                    ))
                }
            },
        }
    }
    drop(in_flight);
    let receipts = if wait_ms == 0 {
        st.ctx.mempool.outcomes(&ids)
    } else {
        match st.waits.take(key) {
            // Over its share of waits, a caller gets the receipts as they
            // stand and asks again later.
            Err(_) => st.ctx.mempool.outcomes(&ids),
            Ok(_waiting) => {
                st.ctx
                    .mempool
                    .wait_async(&ids, Duration::from_millis(wait_ms))
                    .await
            }
        }
    };
    Ok((
        200,
        json!({"receipts": receipts.iter().map(receipt_json).collect::<Vec<_>>()}),
    ))
}

/// A lender's officer's furnishing file, furnished by the node as the
/// member (`Furnisher`): one at a time, on a thread of its own.
pub(super) async fn operator_furnish(st: &Arc<State>, caller: &Caller, body: Bytes) -> Out {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Asked {
        csv: String,
        #[serde(default)]
        skip_bad: bool,
        #[serde(default)]
        check_only: bool,
    }
    let refuse = |why: &str| (403, error(ErrorCode::NotPermitted, why));
    let Caller::Operator { operator, .. } = caller else {
        return Err(refuse(
            "only a lender's officer furnishes through the node; a member furnishes with its own \
             key (credence furnish)",
        ));
    };
    caller.may(Act::Furnish)?;
    if st.ctx.role != "lender" {
        return Err(refuse(&format!(
            "{} is a{} {}, and only lenders furnish tradelines",
            st.ctx.name,
            if st.ctx.role.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "n"
            } else {
                ""
            },
            st.ctx.role
        )));
    }
    let Some(furnisher) = st.ctx.acting.as_ref().and_then(|a| a.furnisher.clone()) else {
        return Err(refuse("this node does not furnish for its officers"));
    };
    let asked: Asked = serde_json::from_slice(&body).map_err(|e| {
        (
            400,
            error(
                ErrorCode::InvalidInput,
                format!(
                    "the body must be {{\"csv\": text, \"skip_bad\": bool, \"check_only\": bool}}: {e}"
                ),
            ),
        )
    })?;
    // Rows are lines after the header (a quoted field may span lines, so
    // this bounds the rows from above).
    let lines = asked.csv.lines().filter(|l| !l.trim().is_empty()).count();
    if lines > super::MAX_FURNISH_ROWS + 1 {
        return Err((
            413,
            error(
                ErrorCode::InvalidInput,
                format!(
                    "at most {} rows per request, not {}; send the file in parts",
                    super::MAX_FURNISH_ROWS,
                    lines.saturating_sub(1)
                ),
            ),
        ));
    }
    let _one = st.furnishing.try_acquire().map_err(|_| {
        (
            429,
            error(
                ErrorCode::Overloaded,
                "another furnishing is in progress at this node; try again when it is done",
            ),
        )
    })?;
    let operator = *operator;
    let r = tokio::task::spawn_blocking(move || {
        furnisher.furnish(&asked.csv, asked.skip_bad, asked.check_only)
    })
    .await
    .map_err(|e| {
        (
            500,
            error(
                ErrorCode::Internal,
                format!("the furnishing task failed: {e}"),
            ),
        )
    })?;
    match r {
        Ok(report) => {
            tracing::info!(operator = %operator, submitted = %report["submitted"], "furnished for an officer");
            Ok((200, report))
        }
        Err((code, message)) => Err((
            match code {
                ErrorCode::InvalidInput => 400,
                ErrorCode::Timeout => 504,
                _ => 500,
            },
            error(code, message),
        )),
    }
}
