//! `POST /v1/submit`: judge the entries, pool them, and wait (holding no
//! thread) for their receipts.
use super::*;

pub(super) async fn submit(
    st: &Arc<State>,
    key: [u8; 32],
    body: Bytes,
    in_flight: quota::Slot<[u8; 32]>,
) -> Out {
    let max_wait = st.limits.max_wait.as_millis() as u64;
    let sub = {
        let body = body.clone();
        tokio::task::spawn_blocking(move || routes::parse_submission(&body, max_wait))
            .await
            .map_err(|_| {
                (
                    500,
                    error(ErrorCode::Internal, "cannot parse the submission"),
                )
            })??
    };
    let unfiltered = st.ctx.unfiltered;
    let wait_ms = sub.wait_ms;
    let (entries, verdicts) = st
        .blocking(move |l| {
            let v = routes::judge(l, unix_now(), &sub.entries, unfiltered)?;
            Ok((sub.entries, v))
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
