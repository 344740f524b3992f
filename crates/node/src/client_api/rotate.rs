//! `POST /v1/operator/rotate`: an operator hands their place in the
//! registry to a new key. The request is signed by the current key (the
//! caller); the body carries the new key and its signature over the
//! hand-over (`operators::rotation_message`), so nobody rotates to a key
//! they do not hold. The node rewrites `operators.json` with its member's
//! key; from then on the retired key is refused.
use super::*;
use crate::operators::{rotation_message, ROTATE_DOMAIN};
use credence_crypto::{PublicIdentity, Signature};

/// Largest body this route reads (three hex strings).
const MAX_BODY: usize = 1024;

fn field<const N: usize>(v: &Value, k: &str) -> Result<[u8; N], Reply> {
    v[k].as_str()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            (
                400,
                error(
                    ErrorCode::InvalidInput,
                    format!("{k} must be {} hex digits", 2 * N),
                ),
            )
        })
}

pub(super) async fn operator_rotate(st: &Arc<State>, caller: &Caller, body: Bytes) -> Out {
    let (
        Caller::Operator {
            member,
            operator,
            registered,
        },
        Some(_),
    ) = (caller, &st.ctx.acting)
    else {
        return Err((
            403,
            error(
                ErrorCode::NotPermitted,
                "only an operator registered at this node rotates their key here; a borrower \
                 rotates on the ledger (`credence key rotate`)",
            ),
        ));
    };
    if body.len() > MAX_BODY {
        return Err((
            413,
            error(
                ErrorCode::InvalidInput,
                "a key rotation is a few hundred bytes",
            ),
        ));
    }
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        (
            400,
            error(
                ErrorCode::InvalidInput,
                format!("the body is not JSON: {e}"),
            ),
        )
    })?;
    let next = PublicIdentity {
        sign: field(&v, "sign_key")?,
        enc: field(&v, "enc_key")?,
    };
    let sig = Signature(field(&v, "signature")?);
    let msg = rotation_message(member, operator, &registered.key.sign, &next);
    if next.verify(ROTATE_DOMAIN, &msg, &sig).is_err() {
        return Err((
            400,
            error(
                ErrorCode::Rejected(credence_ledger::RejectCode::BadSignature),
                "the new key's signature over the hand-over does not verify: the new key must \
                 sign it",
            ),
        ));
    }
    let (st2, operator) = (st.clone(), *operator);
    st.blocking(move |l| {
        if credence_ledger::read::key_in_use(l, &next).map_err(routes::storage)? {
            return Err((
                409,
                error(
                    ErrorCode::Rejected(credence_ledger::RejectCode::AlreadyExists),
                    "the new key is, or was, a member's or a borrower's key: make a fresh one",
                ),
            ));
        }
        let acting = st2.ctx.acting.as_ref().expect("checked above");
        let at = unix_now();
        acting
            .operators
            .rotate(&acting.identity, &operator, &next, at)
            .map_err(|e| {
                (
                    409,
                    error(
                        ErrorCode::Rejected(credence_ledger::RejectCode::AlreadyExists),
                        format!("the registry refused the rotation: {e}"),
                    ),
                )
            })?;
        tracing::info!(operator = %operator, "operator key rotated");
        Ok((
            200,
            json!({"party": operator.to_hex(), "sign_key": hex::encode(next.sign),
                "enc_key": hex::encode(next.enc), "retired_at": at}),
        ))
    })
    .await
}
