//! What the regulator and the analyst watch: alarms, the portfolio, audit
//! events, activity series, membership proposals, and a borrower's access log.
use super::*;

#[derive(Serialize, Clone, Debug)]
pub struct AlarmDto {
    pub code: String,
    pub severity: String,
    pub title: String,
    pub detail: String,
    pub subject: Option<String>,
    pub member: Option<String>,
}

impl From<&Alarm> for AlarmDto {
    fn from(a: &Alarm) -> Self {
        AlarmDto {
            code: a.code.to_string(),
            severity: a.severity.as_str().to_string(),
            title: a.title.clone(),
            detail: a.detail.clone(),
            subject: a.subject.map(|s| s.to_hex()),
            member: a.member.map(|s| s.to_hex()),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct PortfolioDto {
    pub subjects: usize,
    pub live_tradelines: usize,
    pub score_histogram: Vec<(u64, u64)>,
    pub scored_subjects: usize,
    pub mean_score: Option<u64>,
    pub status_counts: Vec<(String, u64)>,
    pub days_past_due: [u64; 5],
    pub serious_delinquency: u64,
    pub subjects_with_serious_delinquency: u64,
}

impl From<Portfolio> for PortfolioDto {
    fn from(p: Portfolio) -> Self {
        PortfolioDto {
            subjects: p.subjects,
            live_tradelines: p.live_tradelines,
            score_histogram: p.score_histogram,
            scored_subjects: p.scored_subjects,
            mean_score: p.mean_score,
            status_counts: p.status_counts,
            days_past_due: p.days_past_due,
            serious_delinquency: p.serious_delinquency,
            subjects_with_serious_delinquency: p.subjects_with_serious_delinquency,
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct AuditEventDto {
    pub at: u64,
    pub kind: String,
    pub actor: Option<String>,
    pub actor_name: String,
    pub subject: Option<String>,
    /// The subject's label in this app's address book (demo), if any.
    pub subject_label: Option<String>,
    pub purpose: Option<String>,
    pub consent_id: Option<String>,
    pub query_id: Option<String>,
    pub predicate: Option<String>,
    pub holds: Option<bool>,
    pub detail: String,
}

impl From<regulator::AuditEvent> for AuditEventDto {
    fn from(e: regulator::AuditEvent) -> Self {
        AuditEventDto {
            at: e.at,
            kind: e.kind.to_string(),
            actor: e.actor.map(|p| p.to_hex()),
            actor_name: e.actor_name,
            subject: e.subject.map(|p| p.to_hex()),
            subject_label: None,
            purpose: e.purpose,
            consent_id: e.consent_id.as_ref().map(hex_id),
            query_id: e.query_id.as_ref().map(hex_id),
            predicate: e.predicate,
            holds: e.holds,
            detail: e.detail,
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct SeriesDto {
    pub member: String,
    pub role: String,
    pub what: String,
    pub counts: Vec<u64>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ActivityDto {
    pub from: u64,
    pub width: u64,
    pub buckets: usize,
    pub series: Vec<SeriesDto>,
}

impl From<regulator::Activity> for ActivityDto {
    fn from(a: regulator::Activity) -> Self {
        ActivityDto {
            from: a.from,
            width: a.width,
            buckets: a.buckets,
            series: a
                .series
                .into_iter()
                .map(|(m, what, counts)| SeriesDto {
                    member: m.name,
                    role: m.role.as_str().to_string(),
                    what: what.to_string(),
                    counts,
                })
                .collect(),
        }
    }
}

/// Approvals a membership change needs: 2/3 of the members in force,
/// rounded up (the rules' `3 * yes >= 2 * n`).
pub fn approvals_needed(electorate: usize) -> usize {
    (2 * electorate).div_ceil(3)
}

/// Rejections that refuse a change: more than 1/3 of the members in force.
pub fn rejections_refusing(electorate: usize) -> usize {
    electorate / 3 + 1
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct VoteDto {
    pub voter: String,
    pub approve: bool,
}

/// A membership proposal with its vote counts against the 2/3 threshold.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalDto {
    pub proposal_id: String,
    /// "admit bank-c (lender, 127.0.0.1:7403)" or "remove bank-b".
    pub change: String,
    pub proposer: String,
    pub height: u64,
    /// open | approved | refused
    pub status: String,
    pub effective_epoch: Option<u64>,
    pub votes: Vec<VoteDto>,
    pub approvals: usize,
    pub rejections: usize,
    /// Members in force now (the denominator of the 2/3).
    pub electorate: usize,
    /// ceil(2n/3) approvals decide for the change.
    pub needed: usize,
    /// More than n/3 rejections refuse it.
    pub refuse_at: usize,
}

impl From<regulator::MembershipRow> for ProposalDto {
    fn from(r: regulator::MembershipRow) -> Self {
        let approvals = r.votes.iter().filter(|v| v.1).count();
        ProposalDto {
            proposal_id: hex_id(&r.proposal_id),
            change: r.change,
            proposer: r.proposer_name,
            height: r.height,
            status: r.status.as_str().to_string(),
            effective_epoch: r.effective_epoch,
            approvals,
            rejections: r.votes.len() - approvals,
            votes: r
                .votes
                .into_iter()
                .map(|(voter, approve)| VoteDto { voter, approve })
                .collect(),
            electorate: r.electorate,
            needed: approvals_needed(r.electorate),
            refuse_at: rejections_refusing(r.electorate),
        }
    }
}

/// The current epoch and every membership proposal, newest first.
#[derive(Serialize, Clone, Debug)]
pub struct MembershipDto {
    pub epoch: u64,
    pub proposals: Vec<ProposalDto>,
}

impl From<(u64, Vec<regulator::MembershipRow>)> for MembershipDto {
    fn from((epoch, rows): (u64, Vec<regulator::MembershipRow>)) -> Self {
        MembershipDto {
            epoch,
            proposals: rows.into_iter().map(ProposalDto::from).collect(),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct AccessDto {
    pub at: u64,
    pub party: String,
    pub party_name: String,
    pub action: String,
    pub detail: String,
}

impl From<(AccessEvent, String)> for AccessDto {
    fn from((e, n): (AccessEvent, String)) -> Self {
        AccessDto {
            at: e.at,
            party: e.party.to_hex(),
            party_name: n,
            action: e.action,
            detail: e.detail,
        }
    }
}

/// A key declared compromised and where its remediation stands.
#[derive(Serialize, Clone, Debug)]
pub struct IncidentDto {
    /// The demo's label of the borrower, where the session knows it.
    pub subject_label: Option<String>,
    #[serde(flatten)]
    pub summary: credence_api::read::IncidentSummary,
}

impl From<credence_api::read::IncidentSummary> for IncidentDto {
    fn from(summary: credence_api::read::IncidentSummary) -> Self {
        IncidentDto {
            subject_label: None,
            summary,
        }
    }
}
