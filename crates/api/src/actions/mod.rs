//! Use cases that write to the ledger: each builds a signed entry from what
//! the caller's own ledger view says, ready to submit. Inputs are validated
//! here, at the boundary, before anything is signed.
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::proof::{
    commit, prove_predicate, prove_validity, Commitment, Opening, Predicate, PredicateOpenings,
    ProofContext, FIELD_BITS,
};
use credence_crypto::seal::{seal, wrap_for};
use credence_crypto::{Identity, PartyId, PublicIdentity};
use credence_ledger::encode::{cosign_entry, sign_entry};
use credence_ledger::payload::{IncomePayload, Payload, ScorePayload, TradelinePayload};
use credence_ledger::rules::{self, record_validity_context, score_validity_context};
use credence_ledger::types::*;
use credence_ledger::{read, Ledger};
use rand::rngs::OsRng;
use rand::RngCore;

mod faulty;
mod review;
pub use faulty::{faulty_tradeline, SealFault};
pub use review::{contest_record, judge_record, records_to_contest};

pub fn new_id() -> Id {
    let mut id = [0u8; 32];
    OsRng.fill_bytes(&mut id);
    id
}

/// A tradeline as a furnisher enters it. Amounts are in cents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradelineInput {
    pub account_type: String,
    pub account_status: String,
    pub date_opened: String,
    pub date_of_account_information: String,
    pub date_of_first_delinquency: Option<String>,
    pub payment_history: String,
    pub attributes: Vec<(String, String)>,
    pub balance: u64,
    pub credit_limit: u64,
    pub past_due: u64,
    pub scheduled_payment: u64,
    pub days_past_due: u64,
    pub serious_delinquency: bool,
}

pub const ACCOUNT_TYPES: [(&str, &str); 4] = [
    ("instalment", "I"),
    ("revolving", "R"),
    ("mortgage", "M"),
    ("open", "O"),
];
pub const ACCOUNT_STATUSES: [&str; 11] = [
    "11", "13", "71", "78", "80", "82", "83", "84", "93", "97", "05",
];

fn check_date(field: &str, v: &str) -> Result<()> {
    let b = v.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u32>().unwrap_or(0));
    if !ok {
        return Err(ApiError::invalid(format!(
            "{field} must be a date as YYYY-MM-DD"
        )));
    }
    Ok(())
}

fn check_amount(field: &str, v: u64) -> Result<()> {
    if v >= 1u64 << FIELD_BITS {
        return Err(ApiError::invalid(format!(
            "{field} is too large: amounts are in cents and must be below {} (2^{FIELD_BITS})",
            1u64 << FIELD_BITS
        )));
    }
    Ok(())
}

impl TradelineInput {
    pub fn validate(&self) -> Result<()> {
        if !ACCOUNT_TYPES.iter().any(|(t, _)| *t == self.account_type) {
            return Err(ApiError::invalid(
                "account type must be one of instalment, revolving, mortgage, open",
            ));
        }
        if !ACCOUNT_STATUSES.contains(&self.account_status.as_str()) {
            return Err(ApiError::invalid(format!(
                "account status must be a Metro 2 code: {}",
                ACCOUNT_STATUSES.join(", ")
            )));
        }
        check_date("date opened", &self.date_opened)?;
        check_date(
            "date of account information",
            &self.date_of_account_information,
        )?;
        if let Some(d) = &self.date_of_first_delinquency {
            check_date("date of first delinquency", d)?;
        }
        if self.payment_history.chars().count() != 24
            || !self
                .payment_history
                .chars()
                .all(|c| "0123456BDEGL".contains(c))
        {
            return Err(ApiError::invalid(
                "payment history must be 24 months, each one of 0-6, B, D, E, G, L (Metro 2 profile)",
            ));
        }
        for (f, v) in [
            ("balance", self.balance),
            ("credit limit", self.credit_limit),
            ("amount past due", self.past_due),
            ("scheduled payment", self.scheduled_payment),
            ("days past due", self.days_past_due),
        ] {
            check_amount(f, v)?;
        }
        Ok(())
    }

    fn values(&self) -> [u64; tradeline::FIELDS] {
        let mut v = [0u64; tradeline::FIELDS];
        v[tradeline::BALANCE] = self.balance;
        v[tradeline::CREDIT_LIMIT] = self.credit_limit;
        v[tradeline::PAST_DUE] = self.past_due;
        v[tradeline::SCHEDULED_PAYMENT] = self.scheduled_payment;
        v[tradeline::DAYS_PAST_DUE] = self.days_past_due;
        v[tradeline::SERIOUS_DELINQUENCY] = self.serious_delinquency as u64;
        v
    }
}

fn subject_key(view: &Ledger, subject: &PartyId) -> Result<PublicIdentity> {
    rules::subject_key(view.conn(), subject)
        .map_err(credence_ledger::LedgerError::from)?
        .ok_or_else(|| ApiError::not_found(format!("subject {} is not enrolled", subject.short())))
}

/// Who a new record about `subject` is sealed to: its furnisher, the subject
/// (FCRA §609), and every agency holding the subject's live consent.
pub fn record_recipients(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    now: u64,
) -> Result<Vec<PublicIdentity>> {
    let mut out = vec![furnisher.public(), subject_key(view, subject)?];
    for c in read::consents_of_subject(view.conn(), subject)? {
        if !c.live_at(now) {
            continue;
        }
        if let Some(m) = rules::member(view.conn(), &c.consent.grantee)
            .map_err(credence_ledger::LedgerError::from)?
        {
            if m.role == Role::Agency && !out.contains(&m.key) {
                out.push(m.key);
            }
        }
    }
    Ok(out)
}

fn build_record(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    kind: RecordKind,
    values: &[u64],
    make_payload: impl FnOnce(Vec<Opening>) -> Payload,
    corrects: Option<Id>,
) -> Result<(Id, SignedEntry)> {
    build_record_sealing(
        recipients,
        furnisher,
        subject,
        kind,
        values,
        |openings| make_payload(openings).encode(),
        corrects,
    )
}

/// `build_record` with the sealed bytes made by `seal_bytes` from the
/// openings (a faulty furnisher's way in; see `SealFault`).
fn build_record_sealing(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    kind: RecordKind,
    values: &[u64],
    seal_bytes: impl FnOnce(Vec<Opening>) -> Vec<u8>,
    corrects: Option<Id>,
) -> Result<(Id, SignedEntry)> {
    let record_id = new_id();
    let (commitments, openings): (Vec<Commitment>, Vec<Opening>) =
        values.iter().map(|v| commit(*v, &mut OsRng)).unzip();
    let bytes = seal_bytes(openings.clone());
    let (sealed, _key) = seal(furnisher, record_id, &bytes, recipients, &mut OsRng)?;
    let mut r = RecordFurnished {
        record_id,
        subject: *subject,
        furnisher: furnisher.party_id(),
        kind,
        corrects,
        commitments,
        validity: credence_crypto::proof::ValidityProof(vec![]),
        sealed,
    };
    r.validity = prove_validity(&record_validity_context(&r), &openings)?;
    Ok((
        record_id,
        sign_entry(Entry::RecordFurnished(r), &[furnisher]),
    ))
}

/// Furnish (or, with `corrects`, correct) a tradeline.
pub fn furnish_tradeline(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    input: &TradelineInput,
    corrects: Option<Id>,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    input.validate()?;
    let recipients = record_recipients(view, furnisher, subject, now)?;
    tradeline_entry(&recipients, furnisher, subject, input, corrects)
}

/// `furnish_tradeline` with the recipients already resolved (no ledger access,
/// so it can run on any thread).
pub fn tradeline_entry(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    input: &TradelineInput,
    corrects: Option<Id>,
) -> Result<(Id, SignedEntry)> {
    input.validate()?;
    build_record(
        recipients,
        furnisher,
        subject,
        RecordKind::Tradeline,
        &input.values(),
        |amounts| tradeline_payload(input, amounts),
        corrects,
    )
}

/// The sealed content of a tradeline: `input`'s fields and the openings.
fn tradeline_payload(input: &TradelineInput, amounts: Vec<Opening>) -> Payload {
    let portfolio = ACCOUNT_TYPES
        .iter()
        .find(|(t, _)| *t == input.account_type)
        .map(|(_, p)| p.to_string())
        .unwrap_or_default();
    Payload::Tradeline(TradelinePayload {
        account_type: input.account_type.clone(),
        portfolio_type: portfolio,
        account_status: input.account_status.clone(),
        date_opened: input.date_opened.clone(),
        date_of_account_information: input.date_of_account_information.clone(),
        date_of_first_delinquency: input.date_of_first_delinquency.clone(),
        payment_history: input.payment_history.clone(),
        attributes: input.attributes.clone(),
        amounts,
    })
}

/// Furnish a verified monthly income (cents).
pub fn furnish_income(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    monthly_income: u64,
    source: &str,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    let recipients = record_recipients(view, furnisher, subject, now)?;
    income_entry(&recipients, furnisher, subject, monthly_income, source)
}

/// `furnish_income` with the recipients already resolved.
pub fn income_entry(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    monthly_income: u64,
    source: &str,
) -> Result<(Id, SignedEntry)> {
    check_amount("monthly income", monthly_income)?;
    build_record(
        recipients,
        furnisher,
        subject,
        RecordKind::Income,
        &[monthly_income],
        |mut o| {
            Payload::Income(IncomePayload {
                source: source.to_string(),
                monthly_income: o.remove(0),
            })
        },
        None,
    )
}

/// The subject signs its enrolment; the enrolling lender countersigns.
pub fn enrol(subject: &Identity, lender: &Identity) -> SignedEntry {
    let mut se = sign_entry(
        Entry::SubjectEnrolled {
            subject: subject.public(),
            lender: lender.party_id(),
        },
        &[subject],
    );
    cosign_entry(&mut se, lender);
    se
}

pub fn grant_consent(
    subject: &Identity,
    grantee: &PartyId,
    purpose: Purpose,
    predicates: AllowedPredicates,
    expires_at: u64,
    explicit: bool,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    if expires_at <= now {
        return Err(ApiError::invalid(
            "the consent's expiry must be in the future",
        ));
    }
    if purpose == Purpose::Employment && !explicit {
        return Err(ApiError::invalid(
            "an employment consent must be given explicitly",
        ));
    }
    let consent_id = new_id();
    let c = Consent {
        consent_id,
        subject: subject.party_id(),
        grantee: *grantee,
        purpose,
        predicates,
        expires_at,
        explicit,
    };
    Ok((consent_id, sign_entry(Entry::ConsentGranted(c), &[subject])))
}

pub fn revoke_consent(view: &Ledger, subject: &Identity, consent_id: &Id) -> Result<SignedEntry> {
    let c = read::consent(view.conn(), consent_id)?
        .ok_or_else(|| ApiError::not_found("no such consent"))?;
    if c.consent.subject != subject.party_id() {
        return Err(ApiError::new(
            ErrorCode::NotPermitted,
            "only the borrower who gave a consent can revoke it",
        ));
    }
    if c.revoked_at.is_some() {
        return Err(ApiError::invalid("this consent is already revoked"));
    }
    Ok(sign_entry(
        Entry::ConsentRevoked {
            consent_id: *consent_id,
            subject: subject.party_id(),
        },
        &[subject],
    ))
}

/// Wrap the content key of every record `sharer` can open about `subject` for
/// `recipient` (a member that has just been given consent).
pub fn share_records(
    view: &Ledger,
    sharer: &Identity,
    subject: &PartyId,
    recipient: &PartyId,
) -> Result<Vec<SignedEntry>> {
    let m = rules::member(view.conn(), recipient)
        .map_err(credence_ledger::LedgerError::from)?
        .ok_or_else(|| ApiError::not_found("the recipient is not a member"))?;
    let already: Vec<Id> = read::records_readable_by(view.conn(), recipient)?
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    let mut out = Vec::new();
    for info in read::records_of_subject(view.conn(), subject)? {
        if already.contains(&info.record_id)
            || (info.furnisher != sharer.party_id() && info.subject != sharer.party_id())
        {
            continue;
        }
        let (rec, extra) = read::furnished(view.conn(), &info.record_id)?;
        let key = rec.sealed.content_key(sharer, &extra)?;
        let wrap = wrap_for(&key, &rec.sealed.header, &m.key, &mut OsRng)?;
        out.push(sign_entry(
            Entry::RecordShared {
                record_id: info.record_id,
                sharer: sharer.party_id(),
                recipient: *recipient,
                wrap,
            },
            &[sharer],
        ));
    }
    Ok(out)
}

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
    let me = requester.party_id();
    let consent = read::consents_of_subject(view.conn(), subject)?
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
    };
    Ok((query_id, sign_entry(Entry::QueryAsked(q), &[requester])))
}

/// Open a record's payload with `me`'s key (in memory only).
/// Open a record sealed to `me`, checked: its content must open the
/// record's commitments on the ledger, else it is refused (`bad-seal`) and
/// none of its values is used.
pub fn open_record(view: &Ledger, me: &Identity, record_id: &Id) -> Result<Payload> {
    let (p, mismatch) = open_record_as_sealed(view, me, record_id)?;
    match mismatch {
        None => Ok(p),
        Some(why) => Err(ApiError::new(
            ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal),
            format!(
                "record {} cannot be used: {why} (its furnisher sealed content that does not match the ledger)",
                hex::encode(&record_id[..8])
            ),
        )),
    }
}

/// Open a record sealed to `me` as it was sealed, with whether (and how) it
/// fails to open its commitments: for showing a record to its reader, never
/// for computing with it.
pub fn open_record_as_sealed(
    view: &Ledger,
    me: &Identity,
    record_id: &Id,
) -> Result<(Payload, Option<credence_ledger::payload::SealMismatch>)> {
    let (rec, extra) = read::furnished(view.conn(), record_id)?;
    let bytes = rec.sealed.open(me, &extra)?;
    let p = Payload::decode(bytes.expose()).map_err(|e| {
        ApiError::new(
            ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal),
            format!(
                "record {}: its sealed content is malformed ({e})",
                hex::encode(&record_id[..8])
            ),
        )
    })?;
    let mismatch = p.check_openings(&rec.commitments).err();
    Ok((p, mismatch))
}

fn open_score(s: &ScoreCommitted, me: &Identity) -> Result<ScorePayload> {
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
pub fn answer(view: &Ledger, agency: &Identity, query_id: &Id) -> Result<SignedEntry> {
    prepare_answer(view, agency, query_id)?.prove(agency)
}

pub fn prepare_answer(view: &Ledger, agency: &Identity, query_id: &Id) -> Result<AnswerJob> {
    let (q, answered) = rules::query(view.conn(), query_id)
        .map_err(credence_ledger::LedgerError::from)?
        .ok_or_else(|| ApiError::not_found("no such query"))?;
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
    let (ids, inputs) = rules::derive_inputs(view.conn(), &q)?;
    let mut openings = PredicateOpenings::default();
    match q.predicate {
        Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. } => {
            let s = read::latest_score_entry(view.conn(), &agency.party_id(), &q.subject)?
                .ok_or_else(|| ApiError::not_found("no score committed for this subject"))?;
            openings.primary.push(open_score(&s, agency)?.score);
        }
        _ => {
            for id in &ids {
                match open_record(view, agency, id)? {
                    Payload::Tradeline(t) => {
                        let idx = match q.predicate {
                            Predicate::NoSeriousDelinquency => tradeline::SERIOUS_DELINQUENCY,
                            Predicate::DebtToIncomeBelow { .. } => tradeline::SCHEDULED_PAYMENT,
                            _ => tradeline::BALANCE,
                        };
                        // `open_record` checked the amounts against the
                        // commitments, so the index is there.
                        let o = t.amounts.get(idx).ok_or_else(|| {
                            ApiError::new(
                                ErrorCode::Internal,
                                "a checked tradeline lacks an amount",
                            )
                        })?;
                        openings.primary.push(o.clone());
                    }
                    Payload::Income(i) => openings.secondary.push(i.monthly_income),
                    Payload::Score(_) => {
                        return Err(ApiError::new(
                            ErrorCode::Internal,
                            "a record holds a score payload",
                        ))
                    }
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
    for info in read::records_of_subject(view.conn(), subject)? {
        if info.status != "live" {
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

pub fn open_dispute(
    view: &Ledger,
    subject: &Identity,
    record_id: &Id,
    reason: DisputeReason,
) -> Result<(Id, SignedEntry)> {
    let r = rules::record(view.conn(), record_id)
        .map_err(credence_ledger::LedgerError::from)?
        .ok_or_else(|| ApiError::not_found("no such record"))?;
    if r.subject != subject.party_id() {
        return Err(ApiError::new(
            ErrorCode::NotPermitted,
            "you can only dispute your own records",
        ));
    }
    let dispute_id = new_id();
    Ok((
        dispute_id,
        sign_entry(
            Entry::DisputeOpened {
                dispute_id,
                subject: subject.party_id(),
                record_id: *record_id,
                reason,
            },
            &[subject],
        ),
    ))
}

pub fn resolve_dispute(
    furnisher: &Identity,
    dispute_id: &Id,
    outcome: DisputeOutcome,
) -> SignedEntry {
    sign_entry(
        Entry::DisputeResolved {
            dispute_id: *dispute_id,
            furnisher: furnisher.party_id(),
            outcome,
        },
        &[furnisher],
    )
}

/// Open a score sealed to `me`.
pub fn open_score_payload(s: &ScoreCommitted, me: &Identity) -> Result<ScorePayload> {
    open_score(s, me)
}

/// Propose admitting the candidate of `request` (a current member proposes;
/// the proposal counts as its approving vote).
pub fn propose_admission(proposer: &Identity, request: JoinRequest) -> (Id, SignedEntry) {
    let proposal_id = new_id();
    let e = sign_entry(
        Entry::MemberProposed {
            proposal_id,
            proposer: proposer.party_id(),
            change: MembershipChange::Admit(request),
        },
        &[proposer],
    );
    (proposal_id, e)
}

/// Propose removing member `party`.
pub fn propose_removal(proposer: &Identity, party: &PartyId) -> (Id, SignedEntry) {
    let proposal_id = new_id();
    let e = sign_entry(
        Entry::MemberProposed {
            proposal_id,
            proposer: proposer.party_id(),
            change: MembershipChange::Remove { party: *party },
        },
        &[proposer],
    );
    (proposal_id, e)
}

/// A member's vote on a membership proposal.
pub fn vote_membership(voter: &Identity, proposal_id: &Id, approve: bool) -> SignedEntry {
    sign_entry(
        Entry::MemberVote {
            proposal_id: *proposal_id,
            voter: voter.party_id(),
            approve,
        },
        &[voter],
    )
}
