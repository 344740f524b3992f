//! The regulator: members and roles, the audit trail (queries, consents,
//! disputes, entries the rules refused) with filters, and per-member
//! activity over time.
use crate::error::Result;
use crate::reads::party_name;
use credence_crypto::PartyId;
use credence_ledger::read::{self, QueryFilter};
use credence_ledger::rules::MemberRow;
use credence_ledger::types::Id;
use credence_ledger::Ledger;

pub fn members(view: &Ledger) -> Result<Vec<MemberRow>> {
    Ok(read::members(view)?)
}

/// A membership proposal as the regulator reviews it: what would change,
/// who proposed it, who voted which way, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRow {
    pub proposal_id: Id,
    /// "admit bank-c (lender, 127.0.0.1:7403)" or "remove bank-b".
    pub change: String,
    pub proposer_name: String,
    pub height: u64,
    /// Open, approved or refused.
    pub status: credence_ledger::types::ProposalStatus,
    pub effective_epoch: Option<u64>,
    pub votes: Vec<(String, bool)>,
    /// Members in force now (the denominator of the 2/3).
    pub electorate: usize,
}

/// What a membership proposal would change, in words:
/// "admit bank-c (lender, 127.0.0.1:7403)" or "remove bank-b".
pub fn change_text(view: &Ledger, change: &credence_ledger::types::MembershipChange) -> String {
    use credence_ledger::types::MembershipChange;
    match change {
        MembershipChange::Admit(r) => format!(
            "admit {} ({}, {})",
            r.member.name,
            r.member.role.as_str(),
            r.address
        ),
        MembershipChange::Remove { party } => format!("remove {}", party_name(view, party)),
        MembershipChange::Rekey(r) => format!(
            "replace {}'s key, leaked since {}",
            party_name(view, &r.party),
            crate::demo::civil_date(r.compromised_since).0
        ),
    }
}

/// Every membership proposal, newest first, and the current epoch.
pub fn membership(view: &Ledger) -> Result<(u64, Vec<MembershipRow>)> {
    let epoch = read::chain(view)?.map(|c| c.2).unwrap_or(0);
    let electorate = read::members(view)?.len();
    let mut rows: Vec<MembershipRow> = read::membership_proposals(view)?
        .into_iter()
        .map(|p| MembershipRow {
            proposal_id: p.proposal_id,
            change: change_text(view, &p.change),
            proposer_name: party_name(view, &p.proposer),
            height: p.height,
            status: p.status,
            effective_epoch: p.effective_epoch,
            votes: p
                .votes
                .iter()
                .map(|(v, yes)| (party_name(view, v), *yes))
                .collect(),
            electorate,
        })
        .collect();
    rows.reverse();
    Ok((epoch, rows))
}

/// The consortium's membership as a member's ledger holds it: the epoch,
/// who is in force now and in the next epoch, and every proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipOverview {
    pub epoch: u64,
    pub epoch_length: u64,
    pub members: Vec<MemberRow>,
    /// Names of the members in force from the next epoch.
    pub next_epoch_members: Vec<String>,
    /// Newest first.
    pub proposals: Vec<MembershipRow>,
}

pub fn membership_overview(view: &Ledger) -> Result<MembershipOverview> {
    let (_, epoch_length, epoch) = read::chain(view)?
        .ok_or_else(|| crate::ApiError::not_found("this member's ledger has no genesis yet"))?;
    let in_force = |e| -> Result<Vec<MemberRow>> {
        Ok(read::members_at_epoch(view, e)?
            .into_iter()
            .map(|m| m.member)
            .collect())
    };
    Ok(MembershipOverview {
        epoch,
        epoch_length,
        members: in_force(epoch)?,
        next_epoch_members: in_force(epoch + 1)?.into_iter().map(|m| m.name).collect(),
        proposals: membership(view)?.1,
    })
}

/// One line of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: u64,
    /// "query-asked", "query-answered", "consent-granted", "consent-revoked",
    /// "dispute-opened", "dispute-resolved", "entry-refused".
    pub kind: &'static str,
    /// Who acted (a member, or the borrower for consents and disputes);
    /// `None` for refused entries.
    pub actor: Option<PartyId>,
    pub actor_name: String,
    pub subject: Option<PartyId>,
    pub purpose: Option<String>,
    pub consent_id: Option<Id>,
    pub query_id: Option<Id>,
    pub predicate: Option<String>,
    pub holds: Option<bool>,
    pub detail: String,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// The member who asked (for queries) or who was granted (for consents).
    pub member: Option<PartyId>,
    pub subject: Option<PartyId>,
    /// Event kinds to keep (empty: all).
    pub kinds: Vec<String>,
    pub purpose: Option<String>,
    pub from: Option<u64>,
    pub to: Option<u64>,
}

fn keep(f: &AuditFilter, e: &AuditEvent, member: Option<&PartyId>) -> bool {
    (f.kinds.is_empty() || f.kinds.iter().any(|k| k == e.kind))
        && f.subject.is_none_or(|s| e.subject == Some(s))
        && f.member.is_none_or(|m| member == Some(&m))
        && f.purpose
            .as_ref()
            .is_none_or(|p| e.purpose.as_ref() == Some(p))
        && f.from.is_none_or(|t| e.at >= t)
        && f.to.is_none_or(|t| e.at <= t)
}

/// The whole trail, newest first, filtered; `limit` caps what is returned
/// (the total matching count comes back beside it).
pub fn audit_trail(
    view: &Ledger,
    f: &AuditFilter,
    limit: usize,
) -> Result<(Vec<AuditEvent>, usize)> {
    let mut out: Vec<AuditEvent> = Vec::new();
    let members = read::members(view)?;
    let name = |p: &PartyId| party_name(view, p);
    for q in read::queries(view, &QueryFilter::default())? {
        let asked = AuditEvent {
            at: q.asked_at,
            kind: "query-asked",
            actor: Some(q.requester),
            actor_name: name(&q.requester),
            subject: Some(q.subject),
            purpose: Some(q.purpose.clone()),
            consent_id: Some(q.consent_id),
            query_id: Some(q.query_id),
            predicate: Some(q.predicate.clone()),
            holds: None,
            detail: match q.operator {
                // The person on the member's staff who asked.
                Some(o) => format!(
                    "operator {} asked {} to answer \"{}\"",
                    o.short(),
                    name(&q.responder),
                    q.predicate
                ),
                None => format!("asked {} to answer \"{}\"", name(&q.responder), q.predicate),
            },
        };
        if keep(f, &asked, Some(&q.requester)) {
            out.push(asked);
        }
        if let (Some(at), Some(holds)) = (q.answered_at, q.holds) {
            let answered = AuditEvent {
                at,
                kind: "query-answered",
                actor: Some(q.responder),
                actor_name: name(&q.responder),
                subject: Some(q.subject),
                purpose: Some(q.purpose.clone()),
                consent_id: Some(q.consent_id),
                query_id: Some(q.query_id),
                predicate: Some(q.predicate.clone()),
                holds: Some(holds),
                detail: format!(
                    "answered {}'s \"{}\": {} (proof checked by every member)",
                    name(&q.requester),
                    q.predicate,
                    if holds { "holds" } else { "does not hold" }
                ),
            };
            if keep(f, &answered, Some(&q.requester)) {
                out.push(answered);
            }
        }
    }
    for m in &members {
        for c in read::consents_to_grantee(view, &m.party)? {
            let base = AuditEvent {
                at: c.granted_at,
                kind: "consent-granted",
                actor: Some(c.consent.subject),
                actor_name: name(&c.consent.subject),
                subject: Some(c.consent.subject),
                purpose: Some(c.consent.purpose.as_str().to_string()),
                consent_id: Some(c.consent.consent_id),
                query_id: None,
                predicate: None,
                holds: None,
                detail: format!("consent to {} until {}", m.name, c.consent.expires_at),
            };
            if let Some(at) = c.revoked_at {
                let revoked = AuditEvent {
                    at,
                    kind: "consent-revoked",
                    detail: format!("consent to {} revoked", m.name),
                    ..base.clone()
                };
                if keep(f, &revoked, Some(&m.party)) {
                    out.push(revoked);
                }
            }
            if keep(f, &base, Some(&m.party)) {
                out.push(base);
            }
        }
    }
    for d in read::disputes(view, None)? {
        let opened = AuditEvent {
            at: d.opened_at,
            kind: "dispute-opened",
            actor: Some(d.subject),
            actor_name: name(&d.subject),
            subject: Some(d.subject),
            purpose: None,
            consent_id: None,
            query_id: None,
            predicate: None,
            holds: None,
            detail: format!(
                "disputed record {} ({})",
                hex::encode(&d.record_id[..8]),
                d.reason
            ),
        };
        if let (Some(at), Some(outcome)) = (d.resolved_at, &d.outcome) {
            let furnisher = credence_ledger::read::record(view, &d.record_id)?.map(|r| r.furnisher);
            let resolved = AuditEvent {
                at,
                kind: "dispute-resolved",
                actor: furnisher,
                actor_name: furnisher.map(|p| name(&p)).unwrap_or_default(),
                detail: format!(
                    "dispute on record {} resolved: {outcome}",
                    hex::encode(&d.record_id[..8])
                ),
                ..opened.clone()
            };
            if keep(f, &resolved, furnisher.as_ref()) {
                out.push(resolved);
            }
        }
        if keep(f, &opened, None) {
            out.push(opened);
        }
    }
    for (height, _idx, kind, rej) in view.rejected_entries()? {
        let at = view
            .block(height)?
            .map(|(b, _)| b.header.timestamp)
            .unwrap_or(0);
        let e = AuditEvent {
            at,
            kind: "entry-refused",
            actor: None,
            actor_name: String::new(),
            subject: None,
            purpose: None,
            consent_id: None,
            query_id: None,
            predicate: None,
            holds: None,
            detail: format!("a {kind} entry in block {height} was refused by the rules: {rej}"),
        };
        if f.member.is_none() && f.subject.is_none() && keep(f, &e, None) {
            out.push(e);
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    let total = out.len();
    out.truncate(limit);
    Ok((out, total))
}

/// A member as the activity chart names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    pub party: PartyId,
    pub name: String,
    pub role: credence_ledger::types::Role,
}

/// Per-member activity in equal time buckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub from: u64,
    pub width: u64,
    pub buckets: usize,
    /// (member, what, counts per bucket); what is "queries", "answers",
    /// "records" or "scores".
    pub series: Vec<(MemberInfo, &'static str, Vec<u64>)>,
}

pub fn activity(view: &Ledger, buckets: usize) -> Result<Activity> {
    let members = read::members(view)?;
    let mut events: Vec<(PartyId, &'static str, u64)> = Vec::new();
    for q in read::queries(view, &QueryFilter::default())? {
        events.push((q.requester, "queries", q.asked_at));
        if let Some(at) = q.answered_at {
            events.push((q.responder, "answers", at));
        }
    }
    for s in read::subjects(view)? {
        for r in read::records_of_subject(view, &s)? {
            events.push((r.furnisher, "records", r.at));
        }
    }
    // Scores, with their block time.
    for (agency, at) in read::score_times(view)? {
        events.push((agency, "scores", at));
    }
    let from = events.iter().map(|e| e.2).min().unwrap_or(0);
    let to = events.iter().map(|e| e.2).max().unwrap_or(from);
    let (from, width) = super::buckets(from, to, buckets);
    let n = buckets.max(1);
    let mut series = Vec::new();
    for m in members {
        for what in ["queries", "answers", "records", "scores"] {
            let mut counts = vec![0u64; n];
            let mut any = false;
            for e in events.iter().filter(|e| e.0 == m.party && e.1 == what) {
                let i = (((e.2 - from) / width) as usize).min(n - 1);
                counts[i] += 1;
                any = true;
            }
            if any {
                series.push((
                    MemberInfo {
                        party: m.party,
                        name: m.name.clone(),
                        role: m.role,
                    },
                    what,
                    counts,
                ));
            }
        }
    }
    Ok(Activity {
        from,
        width,
        buckets: n,
        series,
    })
}
