//! Role-oriented use cases for front ends (the desktop app): what a bank
//! officer, an agency analyst, a regulator and a borrower do and see, built
//! from `actions` and `reads` and reaching the consortium only through
//! `&mut dyn Network` (submit, view, now). Nothing here formats for humans
//! beyond the `ApiError` sentences, and nothing returns key material.
use crate::actions::{self, TradelineInput};
use crate::error::{ApiError, ErrorCode, Result};
use crate::reads::{self, party_name};
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, PartyId};
use credence_ledger::payload::Payload;
use credence_ledger::read::{self, ConsentInfo, QueryFilter, QueryInfo, RecordInfo};
use credence_ledger::types::*;
use credence_ledger::Ledger;
use credence_node::{Network, Receipt};
use rayon::prelude::*;
use std::time::Instant;

pub mod alarms;
pub mod analyst;
pub mod regulator;

/// Submit one entry and wait until it is final; a refusal by the rules comes
/// back as the `ApiError` of its rejection (so a missing consent is
/// `NoConsent`), and nothing changed.
pub fn submit_one(net: &mut dyn Network, entry: SignedEntry) -> Result<u64> {
    match net.submit(vec![entry])?.into_iter().next() {
        Some(r) => settled(r),
        None => Err(ApiError::new(
            ErrorCode::Internal,
            "the consortium returned no receipt for the entry",
        )),
    }
}

/// The one reading of a receipt: the height the entry is final at, or the
/// rules' refusal as its `ApiError` (a missing consent is `NoConsent`).
pub fn settled(r: Receipt) -> Result<u64> {
    match r {
        Receipt::Final { height, .. } => Ok(height),
        Receipt::Rejected(r) => Err(r.into()),
    }
}

/// Submit entries; the first refusal is returned as an error (entries before
/// it are final, later ones were judged on their own).
pub fn submit_all(net: &mut dyn Network, entries: Vec<SignedEntry>) -> Result<Vec<u64>> {
    net.submit(entries)?.into_iter().map(settled).collect()
}

/// One pseudonymous borrower as a member sees it, with the label the caller's
/// address book gives it (a demo label, or none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BorrowerRow {
    pub subject: PartyId,
    pub label: Option<String>,
    pub records: usize,
    /// Live consents naming the viewer.
    pub live_consents_to_me: usize,
}

/// Least hex digits that search pseudonyms: a shorter needle (such as the
/// "0003" of a label) would match about one random pseudonym in a hundred.
pub const MIN_ID_SEARCH: usize = 8;

/// Borrowers whose address-book label contains `needle`, or whose pseudonym
/// (hex) contains it when it has at least `MIN_ID_SEARCH` characters
/// (case-insensitive), at most `limit`. An empty needle lists the first ones.
pub fn find_borrowers(
    view: &Ledger,
    me: &PartyId,
    book: &[(String, PartyId)],
    needle: &str,
    now: u64,
    limit: usize,
) -> Result<Vec<BorrowerRow>> {
    let needle = needle.trim().to_ascii_lowercase();
    let mut out = Vec::new();
    for s in read::subjects(view)? {
        let label = book.iter().find(|(_, p)| *p == s).map(|(l, _)| l.clone());
        let hit = needle.is_empty()
            || (needle.len() >= MIN_ID_SEARCH && s.to_hex().contains(&needle))
            || label
                .as_deref()
                .is_some_and(|l| l.to_ascii_lowercase().contains(&needle));
        if !hit {
            continue;
        }
        let consents = read::consents_of_subject(view, &s)?;
        out.push(BorrowerRow {
            subject: s,
            label,
            records: read::records_of_subject(view, &s)?.len(),
            live_consents_to_me: consents
                .iter()
                .filter(|c| c.consent.grantee == *me && c.live_at(now))
                .count(),
        });
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// A consent with its grantee's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRow {
    pub info: ConsentInfo,
    pub grantee_name: String,
    pub live: bool,
}

pub fn consents_of(view: &Ledger, subject: &PartyId, now: u64) -> Result<Vec<ConsentRow>> {
    Ok(read::consents_of_subject(view, subject)?
        .into_iter()
        .map(|info| ConsentRow {
            grantee_name: party_name(view, &info.consent.grantee),
            live: info.live_at(now),
            info,
        })
        .collect())
}

/// A record's ledger metadata with its furnisher's name (no payload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    pub info: RecordInfo,
    pub furnisher_name: String,
}

pub fn records_of(view: &Ledger, subject: &PartyId) -> Result<Vec<RecordRow>> {
    Ok(read::records_of_subject(view, subject)?
        .into_iter()
        .map(|info| RecordRow {
            furnisher_name: party_name(view, &info.furnisher),
            info,
        })
        .collect())
}

/// Where a query stands, from the asker's own ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryStatus {
    /// Asked; the agency has not answered yet.
    Pending,
    /// Answered, and the asker re-checked the proof against its own ledger.
    Answered { holds: bool, verified: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOutcome {
    pub query: QueryInfo,
    pub status: QueryStatus,
    pub responder_name: String,
}

/// The asker's view of one query; an answer is verified again here.
pub fn outcome(view: &Ledger, query_id: &Id) -> Result<QueryOutcome> {
    let (q, answered) = credence_ledger::read::query(view, query_id)?
        .ok_or_else(|| ApiError::not_found("no such query on this ledger"))?;
    let info = read::queries(
        view,
        &QueryFilter {
            subject: Some(q.subject),
            requester: Some(q.requester),
            ..Default::default()
        },
    )?
    .into_iter()
    .find(|i| i.query_id == *query_id)
    .ok_or_else(|| ApiError::not_found("no such query on this ledger"))?;
    let status = if answered {
        let v = reads::verify_answer(view, query_id)?;
        QueryStatus::Answered {
            holds: v.holds,
            verified: v.verified,
        }
    } else {
        QueryStatus::Pending
    };
    Ok(QueryOutcome {
        responder_name: party_name(view, &info.responder),
        query: info,
        status,
    })
}

/// Wait, bounded by `timeout`, for someone else to answer a query (the
/// agency's node in a running consortium answers by itself): the asker's view
/// of it as soon as it is answered, or still `Pending` when the time is up.
/// Polls the asker's own ledger every `every`.
pub fn await_answer(
    net: &dyn Network,
    asker: &PartyId,
    query_id: &Id,
    timeout: std::time::Duration,
    every: std::time::Duration,
) -> Result<QueryOutcome> {
    let answered = credence_ledger::clock::poll(timeout, every, || {
        let o = outcome(net.view(asker)?, query_id)?;
        Ok::<_, ApiError>((o.status != QueryStatus::Pending).then_some(o))
    })?;
    match answered {
        Some(o) => Ok(o),
        None => outcome(net.view(asker)?, query_id),
    }
}

/// Bank officer: ask `predicate` about `subject` under the officer's live
/// consent. Refused before signing when no consent covers it (`NoConsent`);
/// nothing reaches the ledger then.
pub fn ask(
    net: &mut dyn Network,
    asker: &Identity,
    subject: &PartyId,
    predicate: Predicate,
    responder: &PartyId,
    target: Option<Id>,
) -> Result<Id> {
    let now = net.now();
    let view = net.view(&asker.party_id())?;
    let (query_id, entry) = actions::ask(view, asker, subject, predicate, responder, target, now)?;
    submit_one(net, entry)?;
    Ok(query_id)
}

/// What the agency's responder did in one pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponderPass {
    pub answered: usize,
    /// Queries the rules refused to let it answer (e.g. consent revoked in
    /// between), with the reason.
    pub refused: Vec<(Id, String)>,
    pub elapsed_ms: u64,
}

/// The agency answers every open query addressed to it: inputs gathered from
/// its own ledger, proofs built in parallel, then submitted (every member
/// checks each proof as it applies the block). At most `max` queries.
pub fn answer_open(net: &mut dyn Network, agency: &Identity, max: usize) -> Result<ResponderPass> {
    let t0 = Instant::now();
    let now = net.now();
    let view = net.view(&agency.party_id())?;
    let open = read::queries(
        view,
        &QueryFilter {
            responder: Some(agency.party_id()),
            unanswered_only: true,
            limit: Some(max.min(u32::MAX as usize) as u32),
            ..Default::default()
        },
    )?;
    let mut pass = ResponderPass::default();
    let mut jobs = Vec::new();
    for q in &open {
        match actions::prepare_answer(view, agency, &q.query_id, now) {
            Ok(j) => jobs.push(j),
            Err(e) => pass.refused.push((q.query_id, e.message)),
        }
    }
    let built: Vec<(Id, Result<SignedEntry>)> = jobs
        .par_iter()
        .map(|j| (j.query_id(), j.prove(agency)))
        .collect();
    let mut ids = Vec::new();
    let mut entries = Vec::new();
    for (id, e) in built {
        match e {
            Ok(e) => {
                ids.push(id);
                entries.push(e);
            }
            Err(e) => pass.refused.push((id, e.message)),
        }
    }
    if !entries.is_empty() {
        for (id, r) in ids.into_iter().zip(net.submit(entries)?) {
            match r {
                Receipt::Final { .. } => pass.answered += 1,
                Receipt::Rejected(rej) => pass.refused.push((id, rej.to_string())),
            }
        }
    }
    pass.elapsed_ms = t0.elapsed().as_millis() as u64;
    Ok(pass)
}

/// Answer one query (the analyst's button).
pub fn answer_one(net: &mut dyn Network, agency: &Identity, query_id: &Id) -> Result<u64> {
    let now = net.now();
    let view = net.view(&agency.party_id())?;
    let job = actions::prepare_answer(view, agency, query_id, now)?;
    let entry = job.prove(agency)?;
    submit_one(net, entry)
}

/// Bank officer: furnish a tradeline, or correct one (`corrects`).
pub fn furnish(
    net: &mut dyn Network,
    furnisher: &Identity,
    subject: &PartyId,
    input: &TradelineInput,
    corrects: Option<Id>,
) -> Result<Id> {
    let now = net.now();
    let view = net.view(&furnisher.party_id())?;
    if let Some(c) = corrects {
        let r = credence_ledger::read::record(view, &c)?
            .ok_or_else(|| ApiError::not_found("the record to correct is not on the ledger"))?;
        if r.furnisher != furnisher.party_id() {
            return Err(ApiError::new(
                ErrorCode::NotPermitted,
                "only the furnisher of a record can correct it",
            ));
        }
    }
    let (id, entry) = actions::furnish_tradeline(view, furnisher, subject, input, corrects, now)?;
    submit_one(net, entry)?;
    Ok(id)
}

/// A fresh identity, for a borrower enrolled from the app in demo mode (the
/// app holds the key; a real borrower generates theirs in their own app).
pub fn new_identity() -> Identity {
    Identity::generate(&mut rand::rngs::OsRng)
}

/// Bank officer: enrol a borrower who holds `subject` (the borrower signs,
/// the bank countersigns).
pub fn enrol(net: &mut dyn Network, subject: &Identity, lender: &Identity) -> Result<u64> {
    submit_one(net, actions::enrol(subject, lender))
}

/// A borrower's own record, opened in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyRecord {
    pub info: RecordInfo,
    pub furnisher_name: String,
    pub payload: Payload,
}

/// Borrower: every record sealed to me, opened in memory.
pub fn my_records(view: &Ledger, me: &Identity) -> Result<Vec<MyRecord>> {
    Ok(reads::readable_records(view, me)?
        .into_iter()
        .filter(|r| r.info.subject == me.party_id())
        .map(|r| MyRecord {
            furnisher_name: party_name(view, &r.info.furnisher),
            info: r.info,
            payload: r.payload,
        })
        .collect())
}

/// Borrower: my latest score from each agency, opened in memory.
pub fn my_scores(view: &Ledger, me: &Identity) -> Result<Vec<(String, u32, u64)>> {
    let mut out = Vec::new();
    for s in read::scores_for(view, &me.party_id())? {
        if s.subject != me.party_id() {
            continue;
        }
        let p = actions::open_score_payload(&s, me)?;
        out.push((party_name(view, &s.agency), s.period, p.score.value));
    }
    Ok(out)
}

pub use crate::actions::MAX_CONSENT_DAYS;

/// Borrower: consent to `grantee` for `purpose`, for `days` from now (1 to
/// `MAX_CONSENT_DAYS`); if the grantee is an agency, my records are shared
/// with it too (they were sealed before it had consent). Returns the
/// consent id.
#[allow(clippy::too_many_arguments)]
pub fn grant(
    net: &mut dyn Network,
    reader: &PartyId,
    me: &Identity,
    grantee: &PartyId,
    purpose: Purpose,
    predicates: AllowedPredicates,
    days: u64,
    explicit: bool,
) -> Result<Id> {
    let now = net.now();
    let expires_at = actions::consent_terms(days, &predicates, now)?;
    let view = net.view(reader)?;
    let m = credence_ledger::read::member(view, grantee)?
        .ok_or_else(|| ApiError::not_found("the grantee is not a member of this consortium"))?;
    let (id, entry) =
        actions::grant_consent(me, grantee, purpose, predicates, expires_at, explicit, now)?;
    submit_one(net, entry)?;
    if m.role == Role::Agency {
        let view = net.view(reader)?;
        let shares = actions::share_records(view, me, &me.party_id(), grantee)?;
        if !shares.is_empty() {
            submit_all(net, shares)?;
        }
    }
    Ok(id)
}

/// Borrower: revoke a consent (one click in the app).
pub fn revoke(
    net: &mut dyn Network,
    reader: &PartyId,
    me: &Identity,
    consent_id: &Id,
) -> Result<u64> {
    let view = net.view(reader)?;
    let entry = actions::revoke_consent(view, me, consent_id)?;
    submit_one(net, entry)
}

/// Borrower: freeze my file (FCRA §605A: no new question about me is
/// accepted, whatever my consents) or lift the freeze.
pub fn freeze(net: &mut dyn Network, me: &Identity, frozen: bool) -> Result<u64> {
    submit_one(net, actions::freeze_entry(me, frozen))
}

/// Since when (block time) `subject`'s file is frozen, if it is.
pub fn frozen_at(view: &Ledger, subject: &PartyId) -> Result<Option<u64>> {
    Ok(match read::frozen_since(view, subject)? {
        Some(h) => Some(view.block(h)?.map_or(0, |(b, _)| b.header.timestamp)),
        None => None,
    })
}

/// Borrower: dispute one of my records (FCRA §611).
pub fn dispute(
    net: &mut dyn Network,
    reader: &PartyId,
    me: &Identity,
    record_id: &Id,
    reason: DisputeReason,
) -> Result<Id> {
    let view = net.view(reader)?;
    let open = read::disputes(view, Some(&me.party_id()))?;
    if open
        .iter()
        .any(|d| d.record_id == *record_id && d.resolved_at.is_none())
    {
        return Err(ApiError::invalid(
            "this record already has an open dispute; the furnisher has 30 days to answer it",
        ));
    }
    let (id, entry) = actions::open_dispute(view, me, record_id, reason)?;
    submit_one(net, entry)?;
    Ok(id)
}

/// Time buckets for activity charts: `n` equal buckets covering [from, to].
pub fn buckets(from: u64, to: u64, n: usize) -> (u64, u64) {
    let n = n.max(1) as u64;
    let span = to.saturating_sub(from).max(1);
    let width = span.div_ceil(n).max(1);
    (from, width)
}

#[cfg(test)]
mod tests;
