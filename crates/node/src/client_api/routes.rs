//! What each endpoint reads or judges: plain functions over one ledger
//! connection, run on the API's blocking pool. No waiting happens here.
use super::Lie;
use super::{error, Out, Reply};
use crate::operators::{Act, Lookup, Operators, Registered};
use crate::Receipt;
use credence_crypto::{Identity, PartyId, PublicIdentity};
use credence_ledger::encode::entry_id;
use credence_ledger::encode::{block_hash, from_bytes, to_bytes};
use credence_ledger::merkle;
use credence_ledger::ErrorCode;
use credence_ledger::{read, Ledger, LedgerError, Rejection, SignedEntry};
use rand::rngs::OsRng;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Most entries in one submission.
pub const MAX_ENTRIES: usize = 1_000;
/// Most blocks in one `/v1/blocks` reply.
pub const MAX_BLOCKS: u64 = 100;

/// Who signed the request: a member or an enrolled borrower.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Caller {
    Member(PartyId),
    Subject(PartyId),
    /// A person on a member's staff, acting for the member in one role.
    Operator {
        member: PartyId,
        operator: PartyId,
        registered: Registered,
    },
}

impl Caller {
    /// Whose data the request reads: an operator reads its member's.
    pub fn party(&self) -> PartyId {
        match self {
            Caller::Member(p) | Caller::Subject(p) => *p,
            Caller::Operator { member, .. } => *member,
        }
    }

    /// Members and borrowers act as themselves (each route limits them); an
    /// operator only within its role.
    pub fn may(&self, act: Act) -> Result<(), Reply> {
        match self {
            Caller::Operator { registered, .. } if !registered.role.may(act) => Err((
                403,
                error(
                    ErrorCode::NotPermitted,
                    format!(
                        "an operator in the {} role may not do this ({act:?}); only the \
                         member's own key or another role may",
                        registered.role.as_str()
                    ),
                ),
            )),
            _ => Ok(()),
        }
    }
}

pub(super) fn storage(e: LedgerError) -> Reply {
    (500, error(ErrorCode::Storage, e.to_string()))
}

fn invalid(m: impl Into<String>) -> Reply {
    (400, error(ErrorCode::InvalidInput, m))
}

/// The caller, if it is a member, an enrolled borrower, or an operator
/// registered at this node (`acting`: this node's member and its registry);
/// `None` for a key this node does not know (a stranger, who may read only
/// what is public: see `PUBLIC_KINDS`).
pub fn caller(
    l: &Ledger,
    key: &[u8; 32],
    acting: Option<(&PartyId, &Operators)>,
) -> Result<Option<Caller>, Reply> {
    let sql = storage;
    // A member signs with its current key, which after a rotation is not
    // the key its party id was made from.
    if let Some(m) = read::member_of_sign_key(l, key).map_err(sql)? {
        return Ok(Some(Caller::Member(m.party)));
    }
    // A borrower signs with their current key, which after a rotation is
    // not the key their party id was made from.
    match read::subject_of_sign_key(l, key).map_err(sql)? {
        Some(read::KeyHolder::Subject(p)) => return Ok(Some(Caller::Subject(p))),
        Some(read::KeyHolder::Retired { until_height, .. }) => {
            return Err((
                401,
                error(
                    ErrorCode::Unauthenticated,
                    format!(
                        "this key was retired when its holder rotated to a new one (block \
                         {until_height}); sign with the current key"
                    ),
                ),
            ))
        }
        None => {}
    }
    if let Some((member, ops)) = acting {
        match ops.lookup(key) {
            Lookup::Current(registered) => {
                return Ok(Some(Caller::Operator {
                    member: *member,
                    operator: registered.party,
                    registered,
                }))
            }
            Lookup::Retired { until } => {
                return Err((
                    401,
                    error(
                        ErrorCode::Unauthenticated,
                        format!(
                            "this operator key was retired when its holder rotated to a new one \
                             (at unix time {until}); sign with the current key"
                        ),
                    ),
                ))
            }
            Lookup::Unknown => {}
        }
    }
    Ok(None)
}

/// The refusal for a stranger outside the public reads.
pub fn stranger() -> Reply {
    (
        403,
        error(
            ErrorCode::NotAMember,
            "this key is not a member, an enrolled borrower, or an operator registered at this \
             node",
        ),
    )
}

/// A query string as names and values; every name at most once, and only
/// the names `allowed`.
pub fn params<'a>(
    query: Option<&'a str>,
    allowed: &[&str],
) -> Result<HashMap<&'a str, &'a str>, Reply> {
    let mut out = HashMap::new();
    for kv in query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if !allowed.contains(&k) {
            return Err(invalid(format!(
                "unknown parameter {k:?}; this endpoint takes {}",
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        if out.insert(k, v).is_some() {
            return Err(invalid(format!("parameter {k} is given twice")));
        }
    }
    Ok(out)
}

/// A whole number in `0..=max`, digits only.
pub fn number(name: &str, v: &str, max: u64) -> Result<u64, Reply> {
    let bad = || {
        invalid(format!(
            "{name} must be a whole number from 0 to {max} (decimal, no leading zeros), not {v:?}"
        ))
    };
    // One text per number, as clients write it: "007" is refused, not read as 7.
    let leading_zero = v.len() > 1 && v.starts_with('0');
    if v.is_empty() || v.len() > 20 || leading_zero || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = v.parse().map_err(|_| bad())?;
    if n > max {
        return Err(bad());
    }
    Ok(n)
}

/// A submission's body: the entries, decoded, and how long to wait.
pub struct Submission {
    pub entries: Vec<SignedEntry>,
    pub wait_ms: u64,
}

pub fn parse_submission(body: &[u8], max_wait_ms: u64) -> Result<Submission, Reply> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| invalid("the body must be a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| *k != "entries" && *k != "wait_ms") {
        return Err(invalid(format!(
            "unknown field {k:?}; give entries and wait_ms"
        )));
    }
    let list = obj
        .get("entries")
        .and_then(|e| e.as_array())
        .ok_or_else(|| invalid("\"entries\" must be a list of hex strings"))?;
    if list.is_empty() || list.len() > MAX_ENTRIES {
        return Err(invalid(format!(
            "give 1 to {MAX_ENTRIES} entries, not {}",
            list.len()
        )));
    }
    let wait_ms = match obj.get("wait_ms") {
        None => 0,
        Some(w) => match w.as_u64() {
            Some(n) if n <= max_wait_ms => n,
            _ => {
                return Err(invalid(format!(
                    "wait_ms must be a whole number of milliseconds from 0 to {max_wait_ms}"
                )))
            }
        },
    };
    let mut entries = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let bytes = e
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| invalid(format!("entry {i} is not hex")))?;
        let se: SignedEntry =
            from_bytes("entry", &bytes).map_err(|e| invalid(format!("entry {i}: {e}")))?;
        entries.push(se);
    }
    Ok(Submission { entries, wait_ms })
}

/// A first judgement against this node's state: what it refuses now never
/// reaches the pool (the block's judgement is the final one).
pub fn judge(
    l: &mut Ledger,
    now: u64,
    entries: &[SignedEntry],
    unfiltered: bool,
) -> Result<Vec<Result<(), Rejection>>, Reply> {
    if unfiltered {
        return Ok(vec![Ok(()); entries.len()]);
    }
    l.check_candidates(now, entries).map_err(storage)
}

pub fn receipt_json(r: &Option<Receipt>) -> Value {
    match r {
        Some(Receipt::Final { height, entry_id }) => {
            json!({"status": "final", "height": height, "entry_id": hex::encode(entry_id)})
        }
        Some(Receipt::Rejected(rej)) => {
            json!({"status": "rejected", "code": rej.code.as_str(), "message": rej.message})
        }
        None => json!({"status": "pending"}),
    }
}

/// Blocks above `after` (all from block 0 when `None`), at most `MAX_BLOCKS`.
pub fn blocks(l: &Ledger, after: Option<u64>) -> Out {
    let mut out = Vec::new();
    let from = match after {
        None => Some(0),
        Some(a) => a.checked_add(1),
    };
    if let (Some(h), Some(from)) = (l.head().map_err(storage)?, from) {
        let to = h.height.min(from.saturating_add(MAX_BLOCKS - 1));
        for height in from..=to {
            if let Some((b, _)) = l.block(height).map_err(storage)? {
                out.push(
                    json!({"height": height, "hash": hex::encode(block_hash(&b)),
                    "timestamp": b.header.timestamp, "entries": b.entries.len()}),
                );
            }
        }
    }
    Ok((200, json!({"blocks": out})))
}

/// The content key of a record this member can read, wrapped to an
/// analyst's own key: the record reaches the analyst sealed, never in clear.
pub fn record_key(l: &Ledger, member: &Identity, analyst: &PublicIdentity, record: &str) -> Out {
    let id: [u8; 32] = hex::decode(record)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid("record must be 64 hex digits"))?;
    let (rec, extra) = match read::furnished(l, &id) {
        Ok(r) => r,
        Err(LedgerError::NotFound(_)) => {
            return Err((404, error(ErrorCode::NotFound, "no record with that id")))
        }
        Err(e) => return Err(storage(e)),
    };
    if rec.sealed.ciphertext.is_erased() {
        return Err((
            410,
            error(
                ErrorCode::Erased,
                "that record's content was erased: nobody opens it",
            ),
        ));
    }
    let key = rec.sealed.content_key(member, &extra).map_err(|_| {
        (
            403,
            error(
                ErrorCode::NotPermitted,
                "this member cannot open that record (it was not sealed or shared to it)",
            ),
        )
    })?;
    let wrap = credence_crypto::seal::wrap_for(&key, &rec.sealed.header, analyst, &mut OsRng)
        .map_err(|e| invalid(format!("cannot wrap to the analyst's key: {e}")))?;
    Ok((
        200,
        json!({"record_id": hex::encode(id), "wrap": hex::encode(to_bytes(&wrap))}),
    ))
}

/// Most entries one `POST /v1/proofs` may ask for.
pub const MAX_PROOFS: usize = 256;

/// Entry kinds every caller may have proven: the consortium's founding and
/// its membership changes, which a light client replays to learn the
/// members of each epoch (with the members' key rotations, below).
const PUBLIC_KINDS: [&str; 3] = ["genesis", "member-proposed", "member-vote"];

/// An accepted entry with what proves its place: the Merkle path to its
/// block's root, and the headers with their certificates from its block up
/// to the first that carries a finalization of its own (block 0 alone for
/// the genesis, which the client checks against the genesis hash it holds).
/// A borrower gets proofs of the entries about themselves, and of the
/// membership entries, only; a stranger (`None`) of the membership entries
/// only.
pub fn proof(
    l: &Ledger,
    caller: Option<&Caller>,
    entry: &str,
    lie: Option<(Lie, &Identity)>,
) -> Out {
    let id: [u8; 32] = hex::decode(entry)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid("entry must be 64 hex digits"))?;
    Ok((200, proof_of(l, caller, id, lie)?))
}

/// Proofs of up to `MAX_PROOFS` entries in one request (`{"entries": [id,
/// …]}`), in the order asked; an entry that cannot be proven to this caller
/// gets its error in its place.
pub fn proofs(
    l: &Ledger,
    caller: Option<&Caller>,
    body: &[u8],
    lie: Option<(Lie, &Identity)>,
) -> Out {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Asked {
        entries: Vec<String>,
    }
    let asked: Asked = serde_json::from_slice(body).map_err(|e| {
        invalid(format!(
            "the body must be {{\"entries\": [entry id, …]}}: {e}"
        ))
    })?;
    if asked.entries.is_empty() || asked.entries.len() > MAX_PROOFS {
        return Err(invalid(format!(
            "ask for 1 to {MAX_PROOFS} entries, not {}",
            asked.entries.len()
        )));
    }
    let mut out = Vec::with_capacity(asked.entries.len());
    for (i, e) in asked.entries.iter().enumerate() {
        let id: [u8; 32] = hex::decode(e)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| invalid(format!("entries[{i}] must be 64 hex digits")))?;
        out.push(match proof_of(l, caller, id, lie) {
            Ok(v) => v,
            Err((_, err)) => json!({"entry_id": e, "error": err["error"].clone()}),
        });
    }
    Ok((200, json!({ "proofs": out })))
}

fn proof_of(
    l: &Ledger,
    caller: Option<&Caller>,
    id: [u8; 32],
    lie: Option<(Lie, &Identity)>,
) -> Result<Value, Reply> {
    let not_found = || {
        (
            404,
            error(ErrorCode::NotFound, "no accepted entry with that id"),
        )
    };
    let forged = match (lie, caller) {
        (Some((Lie::Forge, node)), Some(Caller::Subject(me))) => Some(forged_question(node, me)),
        _ => None,
    };
    if let Some(f) = forged.as_ref().filter(|f| entry_id(&f.entry) == id) {
        // Test mode: the forged question, passed off as the head block's first entry.
        let h = l.head().map_err(storage)?.ok_or_else(not_found)?.height;
        return lying_proof(l, h, f, id);
    }
    let (height, index, _) = read::entry_place(l, &id)
        .map_err(storage)?
        .ok_or_else(not_found)?;
    let (block, _) = l.block(height).map_err(storage)?.ok_or_else(not_found)?;
    let signed = block.entries.get(index).ok_or_else(not_found)?;
    let public = PUBLIC_KINDS.contains(&signed.entry.kind())
        || match &signed.entry {
            // A member's key rotation changes who certifies later epochs.
            credence_ledger::Entry::KeyRotated { party, .. } => {
                read::was_member(l, party).map_err(storage)?
            }
            _ => false,
        };
    let shown = public
        || match caller {
            None => false,
            Some(Caller::Subject(me)) => read::entry_concerns(l, &id, me).map_err(storage)?,
            Some(Caller::Member(_) | Caller::Operator { .. }) => true,
        };
    if !shown {
        // The same reply as for an id that is not there: a caller learns
        // nothing of entries it may not see.
        return Err(not_found());
    }
    let leaves: Vec<_> = block.entries.iter().map(merkle::leaf).collect();
    let path = merkle::path(&leaves, index).ok_or_else(not_found)?;
    let head = l
        .head()
        .map_err(storage)?
        .map(|h| h.height)
        .unwrap_or(height);
    let mut chain = if height == 0 {
        certified_chain(l, 0, 0)?
    } else {
        certified_chain(l, height, head)?
    };
    if let Some((Lie::Fork, _)) = lie {
        // Test mode: headers of another chain (here: one field changed),
        // which the members' certificates do not cover.
        if let Some(first) = chain.first_mut().filter(|_| height > 0) {
            let mut h: credence_ledger::BlockHeader = from_bytes(
                "header",
                &hex::decode(first["header"].as_str().unwrap_or("")).unwrap_or_default(),
            )
            .map_err(|e| invalid(e.to_string()))?;
            h.timestamp += 1;
            first["header"] = hex::encode(to_bytes(&h)).into();
        }
    }
    Ok(json!({
        "entry_id": hex::encode(id), "height": height, "index": index, "size": block.entries.len(),
        "entry": hex::encode(to_bytes(signed)),
        "path": path.iter().map(hex::encode).collect::<Vec<_>>(),
        "chain": chain,
    }))
}

/// The membership entries by id (genesis, proposals, votes), in ledger
/// order: every caller may list and prove them.
pub fn membership(l: &Ledger) -> Out {
    let list = read::membership_entries(l).map_err(storage)?;
    Ok((
        200,
        json!({"entries": list.iter().map(|(id, h)| json!({"entry_id": hex::encode(id), "height": h})).collect::<Vec<_>>()}),
    ))
}

/// The headers from `height` to the first block whose certificate carries a
/// finalization of its own (at most `MAX_CHAIN`), with their certificates.
fn certified_chain(l: &Ledger, height: u64, head: u64) -> Result<Vec<Value>, Reply> {
    let mut chain = Vec::new();
    for h in height..=head {
        let Some((b, cert)) = l.block(h).map_err(storage)? else {
            break;
        };
        let done = matches!(
            &cert,
            credence_ledger::Certificate::Consensus {
                finalization: Some(_),
                ..
            }
        );
        chain.push(json!({"header": hex::encode(to_bytes(&b.header)), "certificate": hex::encode(to_bytes(&cert))}));
        if done || chain.len() >= crate::consensus::MAX_CHAIN {
            break;
        }
    }
    Ok(chain)
}

/// Test mode: a question about `subject` that no block holds, signed by the
/// lying node.
fn forged_question(node: &Identity, subject: &PartyId) -> SignedEntry {
    let entry = credence_ledger::types::Entry::QueryAsked(credence_ledger::types::QueryAsked {
        query_id: credence_crypto::hash::digest(b"credence.test.forged-question", &[&subject.0]),
        requester: node.party_id(),
        subject: *subject,
        consent_id: [0; 32],
        predicate: credence_crypto::proof::Predicate::ScoreAtLeast { min: 1 },
        responder: node.party_id(),
        target: None,
        operator: None,
    });
    credence_ledger::encode::sign_entry(entry, &[node])
}

/// Test mode: the forged question with the head block's real chain and the
/// path of its first entry (which the forged one is not).
fn lying_proof(
    l: &Ledger,
    height: u64,
    forged: &SignedEntry,
    id: [u8; 32],
) -> Result<Value, Reply> {
    let (block, _) = l
        .block(height)
        .map_err(storage)?
        .ok_or_else(|| invalid("no head block"))?;
    let leaves: Vec<_> = block.entries.iter().map(merkle::leaf).collect();
    let path = merkle::path(&leaves, 0).unwrap_or_default();
    Ok(json!({
            "entry_id": hex::encode(id), "height": height, "index": 0, "size": block.entries.len(),
            "entry": hex::encode(to_bytes(forged)),
            "path": path.iter().map(hex::encode).collect::<Vec<_>>(),
            "chain": certified_chain(l, height, height)?,
    }))
}

/// A borrower's own entries (and the answers about them) by id: what a light
/// client then asks proofs for, one by one. A lying node in test mode hides
/// the questions, or adds a forged one.
pub fn my_entries(l: &Ledger, caller: &Caller, lie: Option<(Lie, &Identity)>) -> Out {
    let Caller::Subject(me) = caller else {
        return Err(invalid(
            "the entries about a borrower are the borrower's to list",
        ));
    };
    let mut list = read::entries_about(l, me).map_err(storage)?;
    match lie {
        Some((Lie::Hide, _)) => list.retain(|(id, _)| {
            !matches!(
                read::stored_entry(l, id)
                    .ok()
                    .flatten()
                    .map(|e| e.entry.kind()),
                Some("query-asked" | "query-answered")
            )
        }),
        Some((Lie::Forge, node)) => {
            let head = l.head().map_err(storage)?.map(|h| h.height).unwrap_or(0);
            list.push((entry_id(&forged_question(node, me).entry), head));
        }
        _ => {}
    }
    Ok((
        200,
        json!({"entries": list.iter().map(|(id, h)| json!({"entry_id": hex::encode(id), "height": h})).collect::<Vec<_>>()}),
    ))
}

/// Key incidents: every one for members and their operators, a borrower's
/// own for a borrower.
pub fn incidents(l: &Ledger, caller: &Caller) -> Out {
    let only = match caller {
        Caller::Subject(p) => Some(*p),
        Caller::Member(_) | Caller::Operator { .. } => None,
    };
    let list: Vec<read::IncidentSummary> = read::key_incidents(l, only.as_ref())
        .map_err(storage)?
        .iter()
        .map(Into::into)
        .collect();
    Ok((200, json!({ "incidents": list })))
}

/// What the node takes the caller for.
pub fn whoami(caller: &Caller) -> Value {
    match caller {
        Caller::Member(p) => json!({"caller": "member", "party": p.to_hex()}),
        Caller::Subject(p) => json!({"caller": "borrower", "party": p.to_hex()}),
        Caller::Operator {
            member,
            operator,
            registered,
        } => json!({"caller": "operator", "party": operator.to_hex(),
            "member": member.to_hex(), "role": registered.role.as_str()}),
    }
}

pub fn records(l: &Ledger, caller: &Caller) -> Out {
    let recs = read::records_readable_by(l, &caller.party()).map_err(storage)?;
    let mut out = Vec::new();
    for r in recs {
        let (rec, extra) = read::furnished(l, &r.record_id).map_err(storage)?;
        out.push(json!({
            "record_id": hex::encode(r.record_id), "subject": r.subject.to_hex(), "furnisher": r.furnisher.to_hex(),
            "kind": r.kind.as_str(), "status": r.status, "compliance": r.compliance, "at": r.at, "height": r.height,
            "record": hex::encode(to_bytes(&rec)), "shared_wraps": hex::encode(to_bytes(&extra)),
        }));
    }
    // A borrower's own disputes travel with their records.
    let disputes = match caller {
        Caller::Subject(me) => read::disputes(l, Some(me)).map_err(storage)?,
        Caller::Member(_) | Caller::Operator { .. } => Vec::new(),
    };
    let disputes: Vec<Value> = disputes
        .iter()
        .map(|d| {
            json!({"dispute_id": hex::encode(d.dispute_id), "record_id": hex::encode(d.record_id),
            "reason": d.reason, "opened_at": d.opened_at, "deadline": d.deadline, "resolved_at": d.resolved_at,
            "outcome": d.outcome})
        })
        .collect();
    Ok((200, json!({"records": out, "disputes": disputes})))
}

pub fn access_log(l: &Ledger, caller: &Caller) -> Out {
    let Caller::Subject(me) = caller else {
        return Err(invalid(
            "the access log is a borrower's; members use /v1/queries",
        ));
    };
    let log = read::access_log(l, me).map_err(storage)?;
    Ok((
        200,
        json!({"events": log.iter().map(|e| json!({"at": e.at, "height": e.height, "party": e.party.to_hex(), "action": e.action, "detail": e.detail})).collect::<Vec<_>>()}),
    ))
}

pub fn consents(l: &Ledger, caller: &Caller) -> Out {
    let list = match caller {
        Caller::Subject(me) => read::consents_of_subject(l, me),
        Caller::Member(me) | Caller::Operator { member: me, .. } => {
            read::consents_to_grantee(l, me)
        }
    }
    .map_err(storage)?;
    Ok((
        200,
        json!({"consents": list.iter().map(|c| json!({
            "consent_id": hex::encode(c.consent.consent_id), "subject": c.consent.subject.to_hex(),
            "grantee": c.consent.grantee.to_hex(), "purpose": c.consent.purpose.as_str(),
            "expires_at": c.consent.expires_at, "granted_at": c.granted_at, "revoked_at": c.revoked_at,
            "explicit": c.consent.explicit,
            "questions": match c.consent.predicates.kinds() {
                None => vec!["any"],
                Some(kinds) => kinds.iter().map(|k| k.name()).collect(),
            },
        })).collect::<Vec<_>>()}),
    ))
}

pub fn queries(l: &Ledger, caller: &Caller, subject: Option<&str>) -> Out {
    let subject = match subject {
        Some(s) => Some(PartyId::from_hex(s).map_err(|e| invalid(format!("subject: {e}")))?),
        None => None,
    };
    if let Caller::Subject(me) = caller {
        if subject != Some(*me) {
            return Err((
                403,
                error(
                    ErrorCode::NotPermitted,
                    "a borrower may read only the queries about themselves",
                ),
            ));
        }
    }
    let qs = read::queries(
        l,
        &read::QueryFilter {
            subject,
            limit: Some(10_000),
            ..Default::default()
        },
    )
    .map_err(storage)?;
    Ok((
        200,
        json!({"queries": qs.iter().map(|q| json!({
            "query_id": hex::encode(q.query_id), "requester": q.requester.to_hex(), "subject": q.subject.to_hex(),
            "purpose": q.purpose, "predicate": q.predicate, "asked_at": q.asked_at, "answered_at": q.answered_at, "holds": q.holds,
            "responder": q.responder.to_hex(), "operator": q.operator.map(|o| o.to_hex()),
        })).collect::<Vec<_>>()}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_range_checked() {
        assert_eq!(number("after", "0", 10).unwrap(), 0);
        assert_eq!(number("after", "10", 10).unwrap(), 10);
        for bad in [
            "",
            "abc",
            "-1",
            "+1",
            "11",
            "1.5",
            "18446744073709551616",
            " 1",
            "00",
            "07",
        ] {
            let (status, v) = number("after", bad, 10).unwrap_err();
            assert_eq!(status, 400, "{bad}");
            assert_eq!(v["error"]["code"], "invalid-input");
            assert!(v["error"]["message"].as_str().unwrap().contains("after"));
        }
    }

    #[test]
    fn parameters_are_known_and_given_once() {
        let p = params(Some("after=3&wait_ms=10"), &["after", "wait_ms"]).unwrap();
        assert_eq!(p["after"], "3");
        assert!(params(Some("after=3&after=4"), &["after"]).is_err());
        assert!(params(Some("before=3"), &["after"]).is_err());
        assert!(params(None, &[]).unwrap().is_empty());
    }

    #[test]
    fn submissions_are_checked_before_anything_is_judged() {
        for (body, why) in [
            (&b"not json"[..], "not JSON"),
            (b"[]", "object"),
            (b"{\"entries\": []}", "1 to"),
            (b"{\"entries\": [\"zz\"]}", "not hex"),
            (b"{\"entries\": [\"00\"]}", "entry 0"),
            (b"{\"entries\": [\"00\"], \"wait_ms\": -1}", "wait_ms"),
            (
                b"{\"entries\": [\"00\"], \"wait_ms\": 999999999}",
                "wait_ms",
            ),
            (b"{\"entries\": [\"00\"], \"extra\": 1}", "unknown field"),
        ] {
            let (status, v) = match parse_submission(body, 120_000) {
                Err(e) => e,
                Ok(_) => panic!("{why}: accepted"),
            };
            assert_eq!(status, 400);
            let m = v["error"]["message"].as_str().unwrap();
            assert!(m.contains(why), "{why}: {m}");
        }
    }
}
