//! The rules: every entry is checked against the state so far and, if valid,
//! applied to the derived-state tables.
//!
//! Checks split in two: stateful checks run in order (each entry sees the
//! effects of the ones before it in the block); the expensive, state-free
//! ones — signatures and proofs, with their inputs already resolved from
//! state — are queued as `Deferred` and run in parallel before the block's
//! transaction commits. Either way nothing is committed unless every check of
//! every entry in the block passed.
use crate::column::id32;
use crate::encode::{entry_bytes, entry_id, to_bytes, ENTRY_SIG_DOMAIN};
use crate::error::{RejectCode as C, Rejection};
use crate::types::*;
use credence_crypto::keys::{key_id_of, verify};
use credence_crypto::proof::{
    verify_predicate, verify_validity, Commitment, Predicate, PredicateInputs, PredicateProof,
    ProofContext, ValidityProof,
};
use credence_crypto::seal::SealedRecord;
use credence_crypto::{KeyId, PartyId, PublicIdentity, Signature};
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::Arc;

/// Where in the chain an entry is being checked.
#[derive(Clone, Copy, Debug)]
pub struct BlockCtx {
    pub height: u64,
    pub timestamp: u64,
    pub index: usize,
}

pub(crate) enum RuleError {
    Reject(Rejection),
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for RuleError {
    fn from(e: rusqlite::Error) -> Self {
        RuleError::Sql(e)
    }
}
impl From<Rejection> for RuleError {
    fn from(r: Rejection) -> Self {
        RuleError::Reject(r)
    }
}

type R<T> = Result<T, RuleError>;

fn reject<T>(code: C, msg: impl Into<String>) -> R<T> {
    Err(RuleError::Reject(Rejection::new(code, msg)))
}

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
            Deferred::Seal { sealed, author } => sealed
                .verify_author(author)
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

/// The context a record's validity proof is bound to.
pub fn record_validity_context(r: &RecordFurnished) -> Vec<u8> {
    let mut c = b"record".to_vec();
    c.extend_from_slice(&r.record_id);
    c.extend_from_slice(&r.subject.0);
    c.extend_from_slice(&r.furnisher.0);
    c.push(match r.kind {
        RecordKind::Tradeline => 1,
        RecordKind::Income => 2,
    });
    c
}

/// The context a score's validity proof is bound to.
pub fn score_validity_context(s: &ScoreCommitted) -> Vec<u8> {
    let mut c = b"score".to_vec();
    c.extend_from_slice(&s.score_id);
    c.extend_from_slice(&s.agency.0);
    c.extend_from_slice(&s.subject.0);
    c.extend_from_slice(&s.period.to_be_bytes());
    c
}

/// subject, grantee, encoded predicates, expiry, revoked height.
type ConsentRow = (Vec<u8>, Vec<u8>, Vec<u8>, i64, Option<i64>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub party: PartyId,
    pub name: String,
    pub role: Role,
    pub key: PublicIdentity,
}

/// A member in force at the epoch of the block being applied (admitted
/// members count from their first epoch; removed ones no longer do).
pub fn member(conn: &Connection, p: &PartyId) -> rusqlite::Result<Option<MemberRow>> {
    conn.query_row(
        "SELECT name, role, sign_pk, enc_pk FROM members
         WHERE party = ?1 AND from_epoch <= (SELECT epoch FROM chain)
           AND (until_epoch IS NULL OR until_epoch > (SELECT epoch FROM chain))",
        [&p.0[..]],
        |r| {
            let role: String = r.get(1)?;
            Ok(MemberRow {
                party: *p,
                name: r.get(0)?,
                role: crate::column::role(&role)?,
                key: PublicIdentity {
                    sign: id32(r.get(2)?)?,
                    enc: id32(r.get(3)?)?,
                },
            })
        },
    )
    .optional()
}

pub fn subject_key(conn: &Connection, p: &PartyId) -> rusqlite::Result<Option<PublicIdentity>> {
    conn.query_row(
        "SELECT sign_pk, enc_pk FROM subjects WHERE party = ?1",
        [&p.0[..]],
        |r| {
            Ok(PublicIdentity {
                sign: id32(r.get(0)?)?,
                enc: id32(r.get(1)?)?,
            })
        },
    )
    .optional()
}

fn party_of_key_id(conn: &Connection, k: &KeyId) -> rusqlite::Result<Option<PartyId>> {
    let m: Option<Vec<u8>> = conn
        .query_row(
            "SELECT party FROM members WHERE key_id = ?1",
            [&k.0[..]],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(p) = m {
        return Ok(Some(PartyId(id32(p)?)));
    }
    let s: Option<Vec<u8>> = conn
        .query_row(
            "SELECT party FROM subjects WHERE key_id = ?1",
            [&k.0[..]],
            |r| r.get(0),
        )
        .optional()?;
    s.map(|p| id32(p).map(PartyId)).transpose()
}

/// Does `grantee` hold a consent from `subject` that is neither revoked nor expired at `now`?
pub fn has_live_consent(
    conn: &Connection,
    subject: &PartyId,
    grantee: &PartyId,
    now: u64,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM consents WHERE subject = ?1 AND grantee = ?2
           AND revoked_height IS NULL AND expires_at > ?3)",
        params![&subject.0[..], &grantee.0[..], now as i64],
        |r| r.get(0),
    )
}

pub struct RecordRow {
    pub record_id: Id,
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub kind: RecordKind,
    pub status: String,
    pub commitments: Vec<Commitment>,
}

fn record_from_row(r: &rusqlite::Row) -> rusqlite::Result<RecordRow> {
    let kind: String = r.get(3)?;
    let cbytes: Vec<u8> = r.get(5)?;
    Ok(RecordRow {
        record_id: id32(r.get(0)?)?,
        subject: PartyId(id32(r.get(1)?)?),
        furnisher: PartyId(id32(r.get(2)?)?),
        kind: crate::column::kind(&kind)?,
        status: r.get(4)?,
        commitments: crate::column::decoded("record commitments", &cbytes)?,
    })
}

pub fn record(conn: &Connection, id: &Id) -> rusqlite::Result<Option<RecordRow>> {
    conn.query_row(
        "SELECT record_id, subject, furnisher, kind, status, commitments FROM records WHERE record_id = ?1",
        [&id[..]],
        record_from_row,
    )
    .optional()
}

/// The subject's live records of one kind, ordered by record id: the set every
/// member derives for sums.
pub fn live_records(
    conn: &Connection,
    subject: &PartyId,
    kind: RecordKind,
) -> rusqlite::Result<Vec<RecordRow>> {
    let mut st = conn.prepare_cached(
        "SELECT record_id, subject, furnisher, kind, status, commitments FROM records
         WHERE subject = ?1 AND kind = ?2 AND status = 'live' ORDER BY record_id",
    )?;
    let rows = st.query_map(params![&subject.0[..], kind.as_str()], record_from_row)?;
    rows.collect()
}

/// The latest score `agency` committed for `subject` (highest period).
pub fn latest_score(
    conn: &Connection,
    agency: &PartyId,
    subject: &PartyId,
) -> rusqlite::Result<Option<(Id, Commitment)>> {
    conn.query_row(
        "SELECT score_id, commitment FROM scores WHERE agency = ?1 AND subject = ?2 ORDER BY period DESC LIMIT 1",
        params![&agency.0[..], &subject.0[..]],
        |r| Ok((id32(r.get(0)?)?, Commitment(id32(r.get(1)?)?))),
    )
    .optional()
}

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

pub fn query(conn: &Connection, id: &Id) -> rusqlite::Result<Option<(QueryAsked, bool)>> {
    conn.query_row(
        "SELECT requester, subject, consent_id, predicate, responder, target, answered_height FROM queries WHERE query_id = ?1",
        [&id[..]],
        |r| {
            let pbytes: Vec<u8> = r.get(3)?;
            let target: Option<Vec<u8>> = r.get(5)?;
            let answered: Option<i64> = r.get(6)?;
            Ok((
                QueryAsked {
                    query_id: *id,
                    requester: PartyId(id32(r.get(0)?)?),
                    subject: PartyId(id32(r.get(1)?)?),
                    consent_id: id32(r.get(2)?)?,
                    predicate: postcard::from_bytes(&pbytes)
                        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Blob, Box::new(e)))?,
                    responder: PartyId(id32(r.get(4)?)?),
                    target: target.map(id32).transpose()?,
                },
                answered.is_some(),
            ))
        },
    )
    .optional()
}

fn need_member(conn: &Connection, p: &PartyId, what: &str) -> R<MemberRow> {
    match member(conn, p)? {
        Some(m) => Ok(m),
        None => reject(
            C::UnknownMember,
            format!("the {what} {} is not a member", p.short()),
        ),
    }
}

fn need_role(m: &MemberRow, role: Role, what: &str) -> R<()> {
    if m.role != role {
        return reject(
            C::WrongRole,
            format!(
                "the {what} {} is a {}, not a {}",
                m.name,
                m.role.as_str(),
                role.as_str()
            ),
        );
    }
    Ok(())
}

fn need_subject(conn: &Connection, p: &PartyId) -> R<PublicIdentity> {
    match subject_key(conn, p)? {
        Some(k) => Ok(k),
        None => reject(
            C::UnknownSubject,
            format!("subject {} is not enrolled", p.short()),
        ),
    }
}

fn need_new(conn: &Connection, sql: &str, id: &[u8], what: &str) -> R<()> {
    let exists: bool = conn.query_row(sql, [id], |r| r.get(0))?;
    if exists {
        return reject(
            C::AlreadyExists,
            format!("{what} {} already exists", hex::encode(&id[..8])),
        );
    }
    Ok(())
}

/// Check a sealed payload's shape and queue its author check; return the
/// parties it is sealed to, resolved from their key ids.
fn check_seal(
    conn: &Connection,
    sealed: &SealedRecord,
    context: &Id,
    author: &MemberRow,
    deferred: &mut Vec<Deferred>,
) -> R<Vec<PartyId>> {
    if sealed.header.context != *context {
        return reject(C::BadSeal, "the sealed payload is bound to another id");
    }
    if sealed.header.author != author.party {
        return reject(
            C::BadSeal,
            "the sealed payload's author is not the entry's author",
        );
    }
    let mut parties = Vec::with_capacity(sealed.recipients.len());
    for w in &sealed.recipients {
        match party_of_key_id(conn, &w.key_id)? {
            Some(p) if !parties.contains(&p) => parties.push(p),
            Some(_) => return reject(C::BadSeal, "a recipient is listed twice"),
            None => {
                return reject(
                    C::BadSeal,
                    format!(
                        "recipient key {} belongs to no member or subject",
                        w.key_id.short()
                    ),
                )
            }
        }
    }
    deferred.push(Deferred::Seal {
        sealed: sealed.clone(),
        author: author.key,
    });
    Ok(parties)
}

/// The consortium's name, epoch length and the epoch being applied.
pub fn chain(conn: &Connection) -> rusqlite::Result<(String, u64, u64)> {
    conn.query_row(
        "SELECT consortium, epoch_length, epoch FROM chain",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        },
    )
}

/// Record a vote and decide the proposal once 2/3 of the members in force
/// approve (it then takes effect at the next epoch) or more than 1/3 refuse.
fn cast_vote(
    conn: &Connection,
    ctx: &BlockCtx,
    proposal_id: &Id,
    voter: &PartyId,
    approve: bool,
) -> R<()> {
    let done = conn.execute(
        "INSERT OR IGNORE INTO membership_votes (proposal_id, voter, approve, height) VALUES (?1,?2,?3,?4)",
        params![&proposal_id[..], &voter.0[..], approve, ctx.height as i64],
    )?;
    if done == 0 {
        return reject(
            C::AlreadyExists,
            "this member already voted on the proposal",
        );
    }
    let (_, _, epoch) = chain(conn)?;
    let in_force = "(SELECT party FROM members WHERE from_epoch <= ?2 AND (until_epoch IS NULL OR until_epoch > ?2))";
    let n: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM {in_force}"),
        params![&proposal_id[..], epoch as i64],
        |r| r.get(0),
    )?;
    let count = |yes: bool| -> rusqlite::Result<i64> {
        conn.query_row(
            &format!("SELECT COUNT(*) FROM membership_votes WHERE proposal_id = ?1 AND approve = ?3 AND voter IN {in_force}"),
            params![&proposal_id[..], epoch as i64, yes],
            |r| r.get(0),
        )
    };
    let (yes, no) = (count(true)?, count(false)?);
    if 3 * yes >= 2 * n {
        let effective = epoch as i64 + 1;
        let (kind, change): (String, Vec<u8>) = conn.query_row(
            "SELECT kind, change FROM membership_proposals WHERE proposal_id = ?1",
            [&proposal_id[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let change: MembershipChange = crate::encode::from_bytes("membership change", &change)
            .map_err(|e| Rejection::new(C::Malformed, e.to_string()))?;
        match change {
            MembershipChange::Admit(req) => {
                let m = req.member;
                conn.execute(
                    "INSERT INTO members (party, name, role, sign_pk, enc_pk, key_id, since, from_epoch, address)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                    params![&m.key.party_id().0[..], m.name, m.role.as_str(), &m.key.sign[..], &m.key.enc[..], &m.key.key_id().0[..], ctx.height as i64, effective, req.address],
                )
                .map_err(|_| Rejection::new(C::AlreadyExists, format!("{} is already a member", m.name)))?;
            }
            MembershipChange::Remove { party } => {
                let left: i64 = conn.query_row(
                    &format!("SELECT COUNT(*) FROM {in_force} WHERE party != ?1"),
                    params![&party.0[..], epoch as i64],
                    |r| r.get(0),
                )?;
                if left == 0 {
                    return reject(C::Malformed, "the last member cannot be removed");
                }
                conn.execute(
                    "UPDATE members SET until_epoch = ?2 WHERE party = ?1",
                    params![&party.0[..], effective],
                )?;
            }
        }
        debug_assert!(kind == "admit" || kind == "remove");
        conn.execute(
            "UPDATE membership_proposals SET status = 'approved', decided_height = ?2, effective_epoch = ?3 WHERE proposal_id = ?1",
            params![&proposal_id[..], ctx.height as i64, effective],
        )?;
    } else if 3 * no > n {
        conn.execute(
            "UPDATE membership_proposals SET status = 'refused', decided_height = ?2 WHERE proposal_id = ?1",
            params![&proposal_id[..], ctx.height as i64],
        )?;
    }
    Ok(())
}

/// Validate `se` against the state in `conn` and apply it. The caller owns the
/// transaction and runs `deferred` before committing.
pub(crate) fn validate_and_apply(
    conn: &Connection,
    ctx: &BlockCtx,
    se: &SignedEntry,
    deferred: &mut Vec<Deferred>,
) -> R<()> {
    let msg = Arc::new(entry_bytes(&se.entry));
    let eid = entry_id(&se.entry);
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM entries WHERE entry_id = ?1)",
        [&eid[..]],
        |r| r.get(0),
    )?;
    if exists {
        return reject(
            C::AlreadyExists,
            "this exact entry is already on the ledger (a replay)",
        );
    }
    let mut sign = |signers: &[(&[u8; 32], &'static str)]| -> R<()> {
        if se.signatures.len() != signers.len() {
            return reject(
                C::BadSignature,
                format!(
                    "expected {} signature(s), found {}",
                    signers.len(),
                    se.signatures.len()
                ),
            );
        }
        for ((pk, who), sig) in signers.iter().zip(&se.signatures) {
            deferred.push(Deferred::Signature {
                signer: **pk,
                domain: ENTRY_SIG_DOMAIN,
                msg: msg.clone(),
                sig: *sig,
                who,
            });
        }
        Ok(())
    };
    let (h, ts) = (ctx.height as i64, ctx.timestamp as i64);

    match &se.entry {
        Entry::Genesis(g) => {
            if ctx.height != 0 || ctx.index != 0 {
                return reject(
                    C::Malformed,
                    "genesis may only be the first entry of block 0",
                );
            }
            if g.members.is_empty() {
                return reject(C::Malformed, "genesis names no members");
            }
            if g.policy.epoch_length < 2 {
                return reject(C::Malformed, "an epoch must be at least 2 blocks long");
            }
            conn.execute(
                "INSERT INTO chain (one, consortium, epoch_length, epoch) VALUES (1, ?1, ?2, 0)",
                params![g.consortium, g.policy.epoch_length as i64],
            )?;
            let keys: Vec<([u8; 32], &'static str)> = g
                .members
                .iter()
                .map(|m| (m.key.sign, "founding member"))
                .collect();
            let refs: Vec<(&[u8; 32], &'static str)> = keys.iter().map(|(k, w)| (k, *w)).collect();
            sign(&refs)?;
            for m in &g.members {
                if m.name.trim().is_empty() || m.name.len() > 64 {
                    return reject(C::Malformed, "a member name must be 1 to 64 characters");
                }
                let p = m.key.party_id();
                if member(conn, &p)?.is_some() {
                    return reject(
                        C::AlreadyExists,
                        format!("member {} is listed twice", m.name),
                    );
                }
                conn.execute(
                    "INSERT INTO members (party, name, role, sign_pk, enc_pk, key_id, since) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                    params![&p.0[..], m.name, m.role.as_str(), &m.key.sign[..], &m.key.enc[..], &m.key.key_id().0[..], h],
                )
                .map_err(|_| Rejection::new(C::AlreadyExists, format!("member {} reuses a key", m.name)))?;
            }
        }
        Entry::MemberProposed {
            proposal_id,
            proposer,
            change,
        } => {
            let p = need_member(conn, proposer, "proposer")?;
            let mut candidate_sig = None;
            let (kind, party) = match change {
                MembershipChange::Admit(req) => {
                    let (consortium, _, _) = chain(conn)?;
                    if req.consortium != consortium {
                        return reject(
                            C::Malformed,
                            format!("the join request is for consortium {:?}", req.consortium),
                        );
                    }
                    let m = &req.member;
                    if m.name.trim().is_empty() || m.name.len() > 64 {
                        return reject(C::Malformed, "a member name must be 1 to 64 characters");
                    }
                    if req.address.parse::<std::net::SocketAddr>().is_err() {
                        return reject(
                            C::Malformed,
                            format!("the candidate's address {:?} is not host:port", req.address),
                        );
                    }
                    let party = m.key.party_id();
                    let known: bool = conn.query_row(
                        "SELECT EXISTS(SELECT 1 FROM members WHERE party = ?1 OR key_id = ?2 OR name = ?3)",
                        params![&party.0[..], &m.key.key_id().0[..], m.name],
                        |r| r.get(0),
                    )?;
                    if known || subject_key(conn, &party)?.is_some() {
                        return reject(
                            C::AlreadyExists,
                            format!("{} (or its key) is already known to the consortium", m.name),
                        );
                    }
                    candidate_sig = Some(Deferred::Signature {
                        signer: m.key.sign,
                        domain: crate::encode::JOIN_SIG_DOMAIN,
                        msg: Arc::new(crate::encode::join_request_bytes(
                            &req.consortium,
                            m,
                            &req.address,
                        )),
                        sig: req.signature,
                        who: "candidate",
                    });
                    ("admit", party)
                }
                MembershipChange::Remove { party } => {
                    need_member(conn, party, "member to remove")?;
                    let scheduled: bool = conn.query_row(
                        "SELECT EXISTS(SELECT 1 FROM members WHERE party = ?1 AND until_epoch IS NOT NULL)",
                        [&party.0[..]],
                        |r| r.get(0),
                    )?;
                    if scheduled {
                        return reject(
                            C::AlreadyExists,
                            "that member's removal is already approved",
                        );
                    }
                    ("remove", *party)
                }
            };
            sign(&[(&p.key.sign, "proposer")])?;
            deferred.extend(candidate_sig);
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM membership_proposals WHERE proposal_id = ?1)",
                proposal_id,
                "proposal",
            )?;
            let open: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM membership_proposals WHERE party = ?1 AND status = 'open')",
                [&party.0[..]],
                |r| r.get(0),
            )?;
            if open {
                return reject(
                    C::AlreadyExists,
                    "a proposal about that member is already open",
                );
            }
            conn.execute(
                "INSERT INTO membership_proposals (proposal_id, proposer, kind, party, change, height, at, status)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,'open')",
                params![&proposal_id[..], &proposer.0[..], kind, &party.0[..], crate::encode::to_bytes(change), h, ts],
            )?;
            cast_vote(conn, ctx, proposal_id, proposer, true)?;
        }
        Entry::MemberVote {
            proposal_id,
            voter,
            approve,
        } => {
            let v = need_member(conn, voter, "voter")?;
            sign(&[(&v.key.sign, "voter")])?;
            let status: Option<String> = conn
                .query_row(
                    "SELECT status FROM membership_proposals WHERE proposal_id = ?1",
                    [&proposal_id[..]],
                    |r| r.get(0),
                )
                .optional()?;
            match status.as_deref() {
                None => return reject(C::UnknownQuery, "no such membership proposal"),
                Some("open") => {}
                Some(s) => {
                    return reject(
                        C::AlreadyAnswered,
                        format!("the membership proposal is already {s}"),
                    )
                }
            }
            cast_vote(conn, ctx, proposal_id, voter, *approve)?;
        }
        Entry::KeyRotated { .. } => {
            return reject(
                C::NotSupported,
                "key rotation is not supported yet: remove the member and admit its new key",
            );
        }
        Entry::SubjectEnrolled { subject, lender } => {
            let l = need_member(conn, lender, "enrolling lender")?;
            need_role(&l, Role::Lender, "enrolling member")?;
            sign(&[
                (&subject.sign, "subject"),
                (&l.key.sign, "enrolling lender"),
            ])?;
            let p = subject.party_id();
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM subjects WHERE party = ?1)",
                &p.0,
                "subject",
            )?;
            if member(conn, &p)?.is_some() || party_of_key_id(conn, &subject.key_id())?.is_some() {
                return reject(C::AlreadyExists, "the subject's key is already in use");
            }
            conn.execute(
                "INSERT INTO subjects (party, sign_pk, enc_pk, key_id, enrolled_by, height, at) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                params![&p.0[..], &subject.sign[..], &subject.enc[..], &key_id_of(&subject.enc).0[..], &lender.0[..], h, ts],
            )?;
        }
        Entry::RecordFurnished(r) => {
            let f = need_member(conn, &r.furnisher, "furnisher")?;
            need_role(&f, Role::Lender, "furnisher")?;
            sign(&[(&f.key.sign, "furnisher")])?;
            let subject = need_subject(conn, &r.subject)?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM records WHERE record_id = ?1)",
                &r.record_id,
                "record",
            )?;
            if r.commitments.len() != r.kind.field_count() {
                return reject(
                    C::Malformed,
                    format!(
                        "a {} commits {} fields, found {}",
                        r.kind.as_str(),
                        r.kind.field_count(),
                        r.commitments.len()
                    ),
                );
            }
            if let Some(old) = r.corrects {
                match record(conn, &old)? {
                    Some(o) if o.subject == r.subject && o.furnisher == r.furnisher && o.kind == r.kind && o.status == "live" => {}
                    Some(_) => return reject(C::UnknownRecord, "a correction must replace a live record of the same subject, furnisher and kind"),
                    None => return reject(C::UnknownRecord, "the corrected record does not exist"),
                }
            }
            let parties = check_seal(conn, &r.sealed, &r.record_id, &f, deferred)?;
            let sp = subject.party_id();
            if !parties.contains(&sp) {
                return reject(
                    C::BadSeal,
                    "a record must be sealed to its subject (FCRA §609 access)",
                );
            }
            for p in &parties {
                if *p != sp && *p != r.furnisher && !has_live_consent(conn, &sp, p, ctx.timestamp)?
                {
                    return reject(
                        C::NoLiveConsent,
                        format!("sealed to {} without the subject's live consent", p.short()),
                    );
                }
            }
            deferred.push(Deferred::Validity {
                context: record_validity_context(r),
                commitments: r.commitments.clone(),
                proof: r.validity.clone(),
            });
            if let Some(old) = r.corrects {
                conn.execute(
                    "UPDATE records SET status = 'superseded' WHERE record_id = ?1",
                    [&old[..]],
                )?;
            }
            conn.execute(
                "INSERT INTO records (record_id, subject, furnisher, kind, corrects, status, compliance, commitments, entry_id, height, at)
                 VALUES (?1,?2,?3,?4,?5,'live',NULL,?6,?7,?8,?9)",
                params![
                    &r.record_id[..], &r.subject.0[..], &r.furnisher.0[..], r.kind.as_str(),
                    r.corrects.as_ref().map(|c| c.to_vec()), to_bytes(&r.commitments), &eid[..], h, ts
                ],
            )?;
            for p in parties {
                conn.execute(
                    "INSERT INTO record_access (record_id, party, via, wrap, height, at) VALUES (?1,?2,'sealed',NULL,?3,?4)",
                    params![&r.record_id[..], &p.0[..], h, ts],
                )?;
            }
        }
        Entry::ConsentGranted(c) => {
            let sk = need_subject(conn, &c.subject)?;
            sign(&[(&sk.sign, "subject")])?;
            need_member(conn, &c.grantee, "grantee")?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM consents WHERE consent_id = ?1)",
                &c.consent_id,
                "consent",
            )?;
            if c.expires_at <= ctx.timestamp {
                return reject(C::Malformed, "the consent's expiry is not in the future");
            }
            if c.purpose == Purpose::Employment && !c.explicit {
                return reject(
                    C::Malformed,
                    "an employment consent must be explicit (FCRA §604(b))",
                );
            }
            if let AllowedPredicates::Only(tags) = &c.predicates {
                if tags.is_empty() || tags.iter().any(|t| !(1..=6).contains(t)) {
                    return reject(
                        C::Malformed,
                        "allowed predicates must be a non-empty list of known kinds",
                    );
                }
            }
            conn.execute(
                "INSERT INTO consents (consent_id, subject, grantee, purpose, predicates, expires_at, explicit, granted_height, granted_at)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                params![
                    &c.consent_id[..], &c.subject.0[..], &c.grantee.0[..], c.purpose.as_str(),
                    to_bytes(&c.predicates), c.expires_at as i64, c.explicit, h, ts
                ],
            )?;
        }
        Entry::ConsentRevoked {
            consent_id,
            subject,
        } => {
            let sk = need_subject(conn, subject)?;
            sign(&[(&sk.sign, "subject")])?;
            let row: Option<(Vec<u8>, Option<i64>)> = conn
                .query_row(
                    "SELECT subject, revoked_height FROM consents WHERE consent_id = ?1",
                    [&consent_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match row {
                None => return reject(C::UnknownRecord, "no such consent"),
                Some((s, _)) if s != subject.0 => {
                    return reject(C::WrongRole, "only the consent's subject may revoke it")
                }
                Some((_, Some(_))) => {
                    return reject(C::AlreadyExists, "the consent is already revoked")
                }
                _ => {}
            }
            conn.execute(
                "UPDATE consents SET revoked_height = ?1, revoked_at = ?2 WHERE consent_id = ?3",
                params![h, ts, &consent_id[..]],
            )?;
        }
        Entry::RecordShared {
            record_id,
            sharer,
            recipient,
            wrap,
        } => {
            let Some(rec) = record(conn, record_id)? else {
                return reject(C::UnknownRecord, "no such record");
            };
            let sharer_key = if *sharer == rec.furnisher {
                need_member(conn, sharer, "sharer")?.key
            } else if *sharer == rec.subject {
                need_subject(conn, sharer)?
            } else {
                return reject(
                    C::WrongRole,
                    "only the record's furnisher or subject may share it",
                );
            };
            sign(&[(&sharer_key.sign, "sharer")])?;
            let m = need_member(conn, recipient, "recipient")?;
            if wrap.key_id != m.key.key_id() {
                return reject(C::BadSeal, "the wrap is not for the recipient's key");
            }
            if !has_live_consent(conn, &rec.subject, recipient, ctx.timestamp)? {
                return reject(
                    C::NoLiveConsent,
                    format!("{} holds no live consent from the subject", m.name),
                );
            }
            let has: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM record_access WHERE record_id = ?1 AND party = ?2)",
                params![&record_id[..], &recipient.0[..]],
                |r| r.get(0),
            )?;
            if has {
                return reject(
                    C::AlreadyExists,
                    format!("{} can already open this record", m.name),
                );
            }
            conn.execute(
                "INSERT INTO record_access (record_id, party, via, wrap, height, at) VALUES (?1,?2,'shared',?3,?4,?5)",
                params![&record_id[..], &recipient.0[..], to_bytes(wrap), h, ts],
            )?;
        }
        Entry::QueryAsked(q) => {
            let req = need_member(conn, &q.requester, "requester")?;
            sign(&[(&req.key.sign, "requester")])?;
            need_subject(conn, &q.subject)?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM queries WHERE query_id = ?1)",
                &q.query_id,
                "query",
            )?;
            q.predicate
                .validate()
                .map_err(|e| Rejection::new(C::BadPredicate, e.to_string()))?;
            let resp = need_member(conn, &q.responder, "responder")?;
            need_role(&resp, Role::Agency, "responder")?;
            let consent: Option<ConsentRow> = conn
                .query_row(
                    "SELECT subject, grantee, predicates, expires_at, revoked_height FROM consents WHERE consent_id = ?1",
                    [&q.consent_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((cs, cg, cp, exp, revoked)) = consent else {
                return reject(C::NoLiveConsent, "the query names no existing consent");
            };
            if cs != q.subject.0 || cg != q.requester.0 {
                return reject(
                    C::NoLiveConsent,
                    "the consent was not given by this subject to this requester",
                );
            }
            if revoked.is_some() {
                return reject(C::NoLiveConsent, "the consent was revoked");
            }
            if exp as u64 <= ctx.timestamp {
                return reject(C::NoLiveConsent, "the consent has expired");
            }
            let allowed: AllowedPredicates = postcard::from_bytes(&cp).map_err(|_| {
                Rejection::new(C::Malformed, "stored consent predicates do not decode")
            })?;
            if !allowed.allows(&q.predicate) {
                return reject(
                    C::PredicateNotAllowed,
                    format!("the consent does not cover \"{}\"", q.predicate),
                );
            }
            if !has_live_consent(conn, &q.subject, &q.responder, ctx.timestamp)? {
                return reject(
                    C::NoLiveConsent,
                    format!(
                        "the agency {} holds no live consent from the subject",
                        resp.name
                    ),
                );
            }
            match (&q.predicate, &q.target) {
                (Predicate::BalanceAtMost { .. }, None) => {
                    return reject(C::BadPredicate, "a balance question must name a record")
                }
                (Predicate::BalanceAtMost { .. }, Some(t)) => match record(conn, t)? {
                    Some(r)
                        if r.subject == q.subject
                            && r.kind == RecordKind::Tradeline
                            && r.status == "live" => {}
                    _ => {
                        return reject(
                            C::UnknownRecord,
                            "the target is not a live tradeline of the subject",
                        )
                    }
                },
                (_, Some(_)) => {
                    return reject(C::BadPredicate, "only a balance question names a record")
                }
                _ => {}
            }
            conn.execute(
                "INSERT INTO queries (query_id, requester, subject, consent_id, predicate, predicate_text, responder, target, asked_height, asked_at)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                params![
                    &q.query_id[..], &q.requester.0[..], &q.subject.0[..], &q.consent_id[..], to_bytes(&q.predicate),
                    q.predicate.to_string(), &q.responder.0[..], q.target.as_ref().map(|t| t.to_vec()), h, ts
                ],
            )?;
        }
        Entry::QueryAnswered(a) => {
            let resp = need_member(conn, &a.responder, "responder")?;
            sign(&[(&resp.key.sign, "responder")])?;
            let Some((q, answered)) = query(conn, &a.query_id)? else {
                return reject(C::UnknownQuery, "no such query was asked");
            };
            if answered {
                return reject(C::AlreadyAnswered, "the query is already answered");
            }
            if q.responder != a.responder {
                return reject(C::WrongRole, "the query was addressed to another agency");
            }
            let (live, _): (Option<i64>, i64) = conn.query_row(
                "SELECT revoked_height, expires_at FROM consents WHERE consent_id = ?1",
                [&q.consent_id[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if live.is_some() {
                return reject(
                    C::NoLiveConsent,
                    "the subject revoked the consent before the answer",
                );
            }
            let (ids, inputs) = predicate_inputs(conn, &q)?;
            if ids != a.inputs {
                return reject(
                    C::StaleInputs,
                    "the answer is over other ledger objects than the rules derive now",
                );
            }
            deferred.push(Deferred::Predicate {
                ctx: ProofContext {
                    query_id: q.query_id,
                    subject: q.subject.0,
                    responder: q.responder.0,
                },
                predicate: q.predicate,
                inputs,
                proof: a.proof.clone(),
            });
            conn.execute(
                "UPDATE queries SET answered_height = ?1, answered_at = ?2, holds = ?3, branch = ?4, answer_entry = ?5 WHERE query_id = ?6",
                params![h, ts, a.proof.answer.holds, a.proof.answer.branch, &eid[..], &a.query_id[..]],
            )?;
        }
        Entry::ScoreCommitted(s) => {
            let ag = need_member(conn, &s.agency, "agency")?;
            need_role(&ag, Role::Agency, "scoring member")?;
            sign(&[(&ag.key.sign, "agency")])?;
            let sk = need_subject(conn, &s.subject)?;
            if !has_live_consent(conn, &s.subject, &s.agency, ctx.timestamp)? {
                return reject(
                    C::NoLiveConsent,
                    "the agency holds no live consent from the subject",
                );
            }
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM scores WHERE score_id = ?1)",
                &s.score_id,
                "score",
            )?;
            let dup: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM scores WHERE agency = ?1 AND subject = ?2 AND period = ?3)",
                params![&s.agency.0[..], &s.subject.0[..], s.period],
                |r| r.get(0),
            )?;
            if dup {
                return reject(
                    C::AlreadyExists,
                    format!("a score for period {} is already committed", s.period),
                );
            }
            let parties = check_seal(conn, &s.sealed, &s.score_id, &ag, deferred)?;
            if !parties.contains(&sk.party_id())
                || parties
                    .iter()
                    .any(|p| *p != sk.party_id() && *p != s.agency)
            {
                return reject(
                    C::BadSeal,
                    "a score is sealed to exactly its subject and its agency",
                );
            }
            deferred.push(Deferred::Validity {
                context: score_validity_context(s),
                commitments: vec![s.commitment],
                proof: s.validity.clone(),
            });
            conn.execute(
                "INSERT INTO scores (score_id, agency, subject, period, commitment, entry_id, height, at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                params![&s.score_id[..], &s.agency.0[..], &s.subject.0[..], s.period, &s.commitment.0[..], &eid[..], h, ts],
            )?;
        }
        Entry::DisputeOpened {
            dispute_id,
            subject,
            record_id,
            reason,
        } => {
            let sk = need_subject(conn, subject)?;
            sign(&[(&sk.sign, "subject")])?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM disputes WHERE dispute_id = ?1)",
                dispute_id,
                "dispute",
            )?;
            match record(conn, record_id)? {
                Some(r) if r.subject == *subject && r.status == "live" => {}
                Some(_) => {
                    return reject(
                        C::UnknownRecord,
                        "a subject may only dispute its own live records",
                    )
                }
                None => return reject(C::UnknownRecord, "no such record"),
            }
            let open: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM disputes WHERE record_id = ?1 AND resolved_height IS NULL)",
                [&record_id[..]],
                |r| r.get(0),
            )?;
            if open {
                return reject(C::AlreadyExists, "this record already has an open dispute");
            }
            conn.execute(
                "INSERT INTO disputes (dispute_id, subject, record_id, reason, opened_height, opened_at) VALUES (?1,?2,?3,?4,?5,?6)",
                params![&dispute_id[..], &subject.0[..], &record_id[..], reason.as_str(), h, ts],
            )?;
            conn.execute(
                "UPDATE records SET compliance = 'XB' WHERE record_id = ?1",
                [&record_id[..]],
            )?;
        }
        Entry::DisputeResolved {
            dispute_id,
            furnisher,
            outcome,
        } => {
            let f = need_member(conn, furnisher, "furnisher")?;
            sign(&[(&f.key.sign, "furnisher")])?;
            let row: Option<(Vec<u8>, Option<i64>)> = conn
                .query_row(
                    "SELECT record_id, resolved_height FROM disputes WHERE dispute_id = ?1",
                    [&dispute_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((rid, resolved)) = row else {
                return reject(C::UnknownDispute, "no such dispute");
            };
            if resolved.is_some() {
                return reject(C::AlreadyExists, "the dispute is already resolved");
            }
            let rid = id32(rid)?;
            let rec = record(conn, &rid)?
                .ok_or_else(|| Rejection::new(C::UnknownRecord, "disputed record vanished"))?;
            if rec.furnisher != *furnisher {
                return reject(
                    C::WrongRole,
                    "only the record's furnisher resolves its dispute",
                );
            }
            let correction = match outcome {
                DisputeOutcome::Corrected { correction } => {
                    let corrects: Option<Option<Vec<u8>>> = conn
                        .query_row(
                            "SELECT corrects FROM records WHERE record_id = ?1",
                            [&correction[..]],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if corrects.flatten().as_deref() != Some(&rid[..]) {
                        return reject(C::UnknownRecord, "the correction must be a furnished record that corrects the disputed one");
                    }
                    Some(correction.to_vec())
                }
                DisputeOutcome::Deleted => {
                    conn.execute(
                        "UPDATE records SET status = 'deleted' WHERE record_id = ?1",
                        [&rid[..]],
                    )?;
                    None
                }
                DisputeOutcome::Verified => None,
            };
            conn.execute(
                "UPDATE disputes SET resolved_height = ?1, resolved_at = ?2, outcome = ?3, correction = ?4 WHERE dispute_id = ?5",
                params![h, ts, outcome.as_str(), correction, &dispute_id[..]],
            )?;
            conn.execute(
                "UPDATE records SET compliance = 'XH' WHERE record_id = ?1",
                [&rid[..]],
            )?;
        }
        Entry::RecordContested {
            record_id,
            contester,
            regulator,
            evidence,
        } => {
            let Some(rec) = record(conn, record_id)? else {
                return reject(C::UnknownRecord, "no such record");
            };
            let c = need_member(conn, contester, "contester")?;
            sign(&[(&c.key.sign, "contester")])?;
            let can_open: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM record_access WHERE record_id = ?1 AND party = ?2)",
                params![&record_id[..], &contester.0[..]],
                |r| r.get(0),
            )?;
            if !can_open {
                return reject(
                    C::WrongRole,
                    "only a member the record is sealed or shared to can contest it",
                );
            }
            if rec.status != "live" {
                return reject(
                    C::UnknownRecord,
                    format!("the record is {}, not live: nothing uses it", rec.status),
                );
            }
            let reg = need_member(conn, regulator, "regulator")?;
            need_role(&reg, Role::Regulator, "regulator")?;
            if evidence.key_id != reg.key.key_id() {
                return reject(
                    C::BadSeal,
                    "the evidence is not wrapped for the regulator's key",
                );
            }
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM record_reviews WHERE record_id = ?1)",
                record_id,
                "a review of record",
            )?;
            conn.execute(
                "INSERT INTO record_reviews (record_id, contester, regulator, evidence, contested_height, contested_at)
                 VALUES (?1,?2,?3,?4,?5,?6)",
                params![&record_id[..], &contester.0[..], &regulator.0[..], to_bytes(evidence), h, ts],
            )?;
        }
        Entry::RecordJudged {
            record_id,
            regulator,
            unusable,
        } => {
            let reg = need_member(conn, regulator, "regulator")?;
            need_role(&reg, Role::Regulator, "regulator")?;
            sign(&[(&reg.key.sign, "regulator")])?;
            let row: Option<(Vec<u8>, Option<String>)> = conn
                .query_row(
                    "SELECT regulator, verdict FROM record_reviews WHERE record_id = ?1",
                    [&record_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((addressed, verdict)) = row else {
                return reject(C::UnknownRecord, "the record is not contested");
            };
            if id32(addressed)? != regulator.0 {
                return reject(C::WrongRole, "the evidence was handed to another regulator");
            }
            if verdict.is_some() {
                return reject(C::AlreadyExists, "the record is already judged");
            }
            conn.execute(
                "UPDATE record_reviews SET verdict = ?1, judged_height = ?2, judged_at = ?3 WHERE record_id = ?4",
                params![if *unusable { "unusable" } else { "sound" }, h, ts, &record_id[..]],
            )?;
            if *unusable {
                conn.execute(
                    "UPDATE records SET status = 'unusable' WHERE record_id = ?1",
                    [&record_id[..]],
                )?;
            }
        }
    }
    conn.execute(
        "INSERT INTO entries (entry_id, height, idx, kind, subject, body) VALUES (?1,?2,?3,?4,?5,?6)",
        params![
            &eid[..], h, ctx.index as i64, se.entry.kind(), se.entry.subject().map(|s| s.0.to_vec()), to_bytes(se)
        ],
    )?;
    Ok(())
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
