//! Questions, answers and scores: asking under consent, the responder's
//! proof over the inputs every member derives, and the agency's scores.
use super::*;
use credence_ledger::predicate::{Field, Inputs, PredicateKind};

/// Ask `predicate` about `subject`, answered by `responder`, under the
/// requester's live consent that covers it (found on the requester's ledger).
pub fn ask(
    view: &Ledger,
    requester: &Identity,
    subject: &PartyId,
    predicate: Predicate,
    responder: &PartyId,
    target: Option<Id>,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    predicate.validate()?;
    subject_key(view, subject)?;
    let targeted = matches!(
        PredicateKind::of(&predicate).inputs(),
        Inputs::Target { .. }
    );
    match (targeted, target) {
        (true, None) => {
            return Err(ApiError::invalid(
                "a balance question needs a target: choose one of the borrower's tradelines",
            ))
        }
        (false, Some(_)) => {
            return Err(ApiError::invalid(
                "only a balance question names a record; leave the target out",
            ))
        }
        (true, Some(t)) => {
            read::check_target(view, subject, &t, now).map_err(|e| match e {
                credence_ledger::LedgerError::Rejected(r)
                    if r.message.contains("disputed") || r.message.contains("erased") =>
                {
                    ApiError::invalid(r.message)
                }
                _ => ApiError::invalid(
                    "a balance question needs one of this borrower's live tradelines as its target",
                ),
            })?;
        }
        (false, None) => {}
    }
    let me = requester.party_id();
    let consent = read::consents_of_subject(view, subject)?
        .into_iter()
        .filter(|c| c.consent.grantee == me && c.live_at(now) && c.consent.predicates.allows(&predicate))
        .max_by_key(|c| c.consent.expires_at)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoConsent,
                format!(
                    "borrower {} has given you no live consent that covers \"{predicate}\"; ask them to grant one",
                    subject.short()
                ),
            )
        })?;
    let query_id = new_id();
    let q = QueryAsked {
        query_id,
        requester: me,
        subject: *subject,
        consent_id: consent.consent.consent_id,
        predicate,
        responder: *responder,
        target,
        operator: None,
    };
    Ok((query_id, sign_entry(Entry::QueryAsked(q), &[requester])))
}

pub(super) fn open_score(s: &ScoreCommitted, me: &Identity) -> Result<ScorePayload> {
    let bytes = s.sealed.open(me, &[])?;
    match Payload::decode(bytes.expose())? {
        Payload::Score(p) => Ok(p),
        _ => Err(ApiError::new(
            ErrorCode::Internal,
            "a score's sealed payload is not a score",
        )),
    }
}

/// Everything needed to prove one answer, gathered from the agency's ledger
/// (proving itself needs no ledger access and can run on any thread).
pub struct AnswerJob {
    query: QueryAsked,
    ids: Vec<Id>,
    inputs: credence_crypto::proof::PredicateInputs,
    openings: PredicateOpenings,
}

impl AnswerJob {
    pub fn query_id(&self) -> Id {
        self.query.query_id
    }
    pub fn prove(&self, agency: &Identity) -> Result<SignedEntry> {
        let q = &self.query;
        let ctx = ProofContext {
            query_id: q.query_id,
            subject: q.subject.0,
            responder: q.responder.0,
        };
        let proof = prove_predicate(&ctx, &q.predicate, &self.inputs, &self.openings)?;
        Ok(sign_entry(
            Entry::QueryAnswered(QueryAnswered {
                query_id: q.query_id,
                responder: agency.party_id(),
                inputs: self.ids.clone(),
                proof,
            }),
            &[agency],
        ))
    }
}

/// The agency answers a query: derive the inputs as the rules will, open
/// their sealed payloads, prove the true side.
pub fn answer(view: &Ledger, agency: &Identity, query_id: &Id, now: u64) -> Result<SignedEntry> {
    prepare_answer(view, agency, query_id, now)?.prove(agency)
}

/// Everything an answer needs but its proof, for a block at about `now`
/// (what it is answered over depends on the time: a record whose dispute
/// went unanswered past its deadline is left out).
pub fn prepare_answer(
    view: &Ledger,
    agency: &Identity,
    query_id: &Id,
    now: u64,
) -> Result<AnswerJob> {
    let (q, answered) =
        read::query(view, query_id)?.ok_or_else(|| ApiError::not_found("no such query"))?;
    if answered {
        return Err(ApiError::new(
            ErrorCode::Rejected(credence_ledger::RejectCode::AlreadyAnswered),
            "the query is already answered",
        ));
    }
    if q.responder != agency.party_id() {
        return Err(ApiError::new(
            ErrorCode::NotPermitted,
            "the query is addressed to another agency",
        ));
    }
    let (ids, inputs) = read::derive_inputs(view, &q, now)?;
    let mut openings = PredicateOpenings::default();
    let fields = match PredicateKind::of(&q.predicate).inputs() {
        Inputs::Score => None,
        Inputs::Target { field } => Some((
            Field {
                kind: RecordKind::Tradeline,
                index: field,
            },
            None,
        )),
        Inputs::Live { primary, secondary } => Some((primary, secondary)),
    };
    match fields {
        None => {
            let s = read::latest_score_entry(view, &agency.party_id(), &q.subject)?
                .ok_or_else(|| ApiError::not_found("no score committed for this subject"))?;
            openings.primary.push(open_score(&s, agency)?.score);
        }
        Some((primary, secondary)) => {
            // The same table the rules derived `inputs` by: each record
            // gives its primary field, its secondary, or both.
            for id in &ids {
                // `open_record` checked the openings against the record's
                // commitments, so every field index is there.
                let p = open_record(view, agency, id)?;
                let kind = match &p {
                    Payload::Tradeline(_) => RecordKind::Tradeline,
                    Payload::Income(_) => RecordKind::Income,
                    Payload::Score(_) => {
                        return Err(ApiError::new(
                            ErrorCode::Internal,
                            "a record holds a score payload",
                        ))
                    }
                };
                let all = p.openings();
                let take = |f: Field, list: &mut Vec<Opening>| -> Result<()> {
                    if f.kind == kind {
                        let o = all.get(f.index).ok_or_else(|| {
                            ApiError::new(ErrorCode::Internal, "a checked record lacks an amount")
                        })?;
                        list.push((*o).clone());
                    }
                    Ok(())
                };
                take(primary, &mut openings.primary)?;
                if let Some(s) = secondary {
                    take(s, &mut openings.secondary)?;
                }
            }
        }
    }
    Ok(AnswerJob {
        query: q,
        ids,
        inputs,
        openings,
    })
}

/// A score computed from the agency's records, ready to commit.
pub struct ScoreJob {
    pub subject: PartyId,
    pub period: u32,
    pub score: u64,
    subject_key: PublicIdentity,
}

impl std::fmt::Debug for ScoreJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ScoreJob({:?}, period {}, <score redacted>)",
            self.subject, self.period
        )
    }
}

/// Compute the agency's score for a subject from the records it can open.
pub fn prepare_score(
    view: &Ledger,
    agency: &Identity,
    subject: &PartyId,
    period: u32,
) -> Result<ScoreJob> {
    let subject_key = subject_key(view, subject)?;
    let mut records = Vec::new();
    for info in read::records_of_subject(view, subject)? {
        if info.status != RecordStatus::Live {
            continue;
        }
        match open_record(view, agency, &info.record_id) {
            Ok(p) => records.push(p),
            Err(e) if e.code == ErrorCode::NotPermitted => continue,
            // Values that do not open the ledger's commitments never reach a
            // score.
            Err(e) if e.code == ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal) => {
                tracing::warn!(record = %hex::encode(&info.record_id[..8]), "left out of the score: {}", e.message);
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(ScoreJob {
        subject: *subject,
        period,
        score: crate::scoring::score(&records),
        subject_key,
    })
}

impl ScoreJob {
    /// Commit, seal to agency and subject, prove in range, sign.
    pub fn build(&self, agency: &Identity) -> Result<(Id, SignedEntry)> {
        let score_id = new_id();
        let (commitment, opening) = commit(self.score, &mut OsRng);
        let payload = Payload::Score(ScorePayload {
            model: crate::scoring::MODEL.into(),
            period: self.period,
            score: opening.clone(),
        });
        let (sealed, _) = seal(
            agency,
            score_id,
            &payload.encode(),
            &[agency.public(), self.subject_key],
            &mut OsRng,
        )?;
        let mut s = ScoreCommitted {
            score_id,
            agency: agency.party_id(),
            subject: self.subject,
            period: self.period,
            commitment,
            validity: credence_crypto::proof::ValidityProof(vec![]),
            sealed,
        };
        s.validity = prove_validity(&score_validity_context(&s), &[opening])?;
        Ok((score_id, sign_entry(Entry::ScoreCommitted(s), &[agency])))
    }
}

/// Open a score sealed to `me`.
pub fn open_score_payload(s: &ScoreCommitted, me: &Identity) -> Result<ScorePayload> {
    open_score(s, me)
}
