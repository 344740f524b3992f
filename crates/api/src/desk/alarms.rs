//! Risk alarms over what every member can see on the ledger (and, for the
//! agency, over its portfolio's aggregates). Each check is a plain function
//! of its inputs so it can be tested alone.
use crate::error::Result;
use crate::reads::party_name;
use credence_crypto::PartyId;
use credence_ledger::read::{self, DisputeInfo, QueryFilter, QueryInfo};
use credence_ledger::Ledger;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alarm {
    /// Stable code: "inquiry-burst", "refused-entries", "dispute-overdue",
    /// "unusable-record", "contest-dismissed", "record-under-review",
    /// "dispute-open", "unanswered-queries", "delinquency-share".
    pub code: &'static str,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub subject: Option<PartyId>,
    pub member: Option<PartyId>,
}

#[derive(Clone, Debug)]
pub struct AlarmConfig {
    /// A subject asked about this many times …
    pub burst_queries: usize,
    /// … within this many seconds, by this many different members at least.
    pub burst_window: u64,
    pub burst_members: usize,
    /// A query unanswered this long (seconds) is late.
    pub answer_sla: u64,
    /// Share (percent) of live tradelines in serious delinquency that alarms.
    pub delinquency_percent: u64,
}

impl Default for AlarmConfig {
    fn default() -> Self {
        AlarmConfig {
            burst_queries: 3,
            burst_window: 24 * 3600,
            burst_members: 2,
            answer_sla: 3600,
            delinquency_percent: 20,
        }
    }
}

/// What the question alarms read of a question: who asked whom about whom,
/// and when it was asked and answered. From the ledger (`QueryInfo`) or from
/// a node's `/v1/queries` (an auditor on their own key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub subject: PartyId,
    pub requester: PartyId,
    pub responder: PartyId,
    pub asked_at: u64,
    pub answered_at: Option<u64>,
}

impl From<&QueryInfo> for Question {
    fn from(q: &QueryInfo) -> Self {
        Question {
            subject: q.subject,
            requester: q.requester,
            responder: q.responder,
            asked_at: q.asked_at,
            answered_at: q.answered_at,
        }
    }
}

/// Several members asking about one borrower in a short window: loan
/// stacking or identity fraud.
pub fn inquiry_bursts(queries: &[Question], cfg: &AlarmConfig) -> Vec<(PartyId, usize, usize)> {
    let mut by_subject: BTreeMap<PartyId, Vec<&Question>> = BTreeMap::new();
    for q in queries {
        by_subject.entry(q.subject).or_default().push(q);
    }
    let mut out = Vec::new();
    for (s, mut qs) in by_subject {
        qs.sort_by_key(|q| q.asked_at);
        let mut best = (0usize, 0usize);
        let mut lo = 0;
        for hi in 0..qs.len() {
            while qs[hi].asked_at - qs[lo].asked_at > cfg.burst_window {
                lo += 1;
            }
            let window = &qs[lo..=hi];
            let mut askers: Vec<PartyId> = window.iter().map(|q| q.requester).collect();
            askers.sort();
            askers.dedup();
            if window.len() > best.0 || (window.len() == best.0 && askers.len() > best.1) {
                best = (window.len(), askers.len());
            }
        }
        if best.0 >= cfg.burst_queries && best.1 >= cfg.burst_members {
            out.push((s, best.0, best.1));
        }
    }
    out
}

/// Queries per responder that have waited longer than the SLA.
pub fn late_answers(queries: &[Question], now: u64, cfg: &AlarmConfig) -> Vec<(PartyId, usize)> {
    let mut late: BTreeMap<PartyId, usize> = BTreeMap::new();
    for q in queries {
        if q.answered_at.is_none() && now.saturating_sub(q.asked_at) > cfg.answer_sla {
            *late.entry(q.responder).or_default() += 1;
        }
    }
    late.into_iter().collect()
}

/// Open disputes, and those past the FCRA §611 deadline.
pub fn dispute_state(disputes: &[DisputeInfo], now: u64) -> (usize, Vec<DisputeInfo>) {
    let open: Vec<&DisputeInfo> = disputes
        .iter()
        .filter(|d| d.resolved_at.is_none())
        .collect();
    let overdue = open
        .iter()
        .filter(|d| now >= d.deadline)
        .map(|d| (*d).clone())
        .collect();
    (open.len(), overdue)
}

/// The alarms over questions alone: bursts of inquiries about one borrower,
/// and questions waiting past the answer SLA. `name` names a member.
pub fn question_alarms(
    queries: &[Question],
    name: &dyn Fn(&PartyId) -> String,
    now: u64,
    cfg: &AlarmConfig,
) -> Vec<Alarm> {
    let mut out = Vec::new();
    for (s, n, m) in inquiry_bursts(queries, cfg) {
        out.push(Alarm {
            code: "inquiry-burst",
            severity: Severity::Warning,
            title: format!("{n} inquiries about one borrower from {m} members"),
            detail: format!(
                "subject {} was asked about {n} times within {} h: possible loan stacking or identity fraud",
                s.short(),
                cfg.burst_window / 3600
            ),
            subject: Some(s),
            member: None,
        });
    }
    for (r, n) in late_answers(queries, now, cfg) {
        out.push(Alarm {
            code: "unanswered-queries",
            severity: Severity::Warning,
            title: format!(
                "{} has {n} queries unanswered for over {} min",
                name(&r),
                cfg.answer_sla / 60
            ),
            detail: "lenders are waiting; the agency's responder may be down".into(),
            subject: None,
            member: Some(r),
        });
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

/// The consortium-wide alarms (regulator; the agency sees them too).
pub fn consortium_alarms(view: &Ledger, now: u64, cfg: &AlarmConfig) -> Result<Vec<Alarm>> {
    let queries: Vec<Question> = read::queries(view, &QueryFilter::default())?
        .iter()
        .map(Question::from)
        .collect();
    let mut out = question_alarms(&queries, &|p| party_name(view, p), now, cfg);
    let (open, overdue) = dispute_state(&read::disputes(view, None)?, now);
    for d in &overdue {
        out.push(Alarm {
            code: "dispute-overdue",
            severity: Severity::Critical,
            title: format!(
                "dispute past its deadline ({})",
                crate::demo::civil_date(d.deadline).0
            ),
            detail: format!(
                "record {} of subject {} disputed ({}) and not resolved (FCRA §611): it is left \
                 out of answers until its furnisher confirms or corrects it",
                hex::encode(&d.record_id[..8]),
                d.subject.short(),
                d.reason
            ),
            subject: Some(d.subject),
            member: None,
        });
    }
    if open > overdue.len() {
        out.push(Alarm {
            code: "dispute-open",
            severity: Severity::Info,
            title: format!(
                "{} open disputes within their deadline",
                open - overdue.len()
            ),
            detail: "records are marked disputed until the furnisher answers".into(),
            subject: None,
            member: None,
        });
    }
    let refused = view.rejected_entries()?;
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, kind, rej) in &refused {
        *by_code.entry(format!("{kind}: {}", rej.code)).or_default() += 1;
    }
    for (what, n) in by_code {
        let consent = what.contains("no-live-consent") || what.contains("predicate-not-allowed");
        out.push(Alarm {
            code: "refused-entries",
            severity: if consent {
                Severity::Critical
            } else {
                Severity::Warning
            },
            title: format!("{n} entries refused by the rules ({what})"),
            detail: if consent {
                "a member put a query on the ledger that no live consent covers".into()
            } else {
                "a member submitted entries the rules refused".into()
            },
            subject: None,
            member: None,
        });
    }
    for r in read::record_reviews(view, None)? {
        let record = hex::encode(&r.record_id[..8]);
        match r.verdict.as_deref() {
            Some("unusable") => out.push(Alarm {
                code: "unusable-record",
                severity: Severity::Critical,
                title: format!(
                    "{} furnished a record whose sealed content does not match the ledger",
                    party_name(view, &r.furnisher)
                ),
                detail: format!(
                    "record {record} was contested by {} and judged unusable by {}: it is left out of every answer and score",
                    party_name(view, &r.contester),
                    party_name(view, &r.regulator)
                ),
                subject: Some(r.subject),
                member: Some(r.furnisher),
            }),
            Some(_) => out.push(Alarm {
                code: "contest-dismissed",
                severity: Severity::Warning,
                title: format!(
                    "{} contested a record that was judged sound",
                    party_name(view, &r.contester)
                ),
                detail: format!("record {record} furnished by {} opens its commitments", party_name(view, &r.furnisher)),
                subject: Some(r.subject),
                member: Some(r.contester),
            }),
            None => out.push(Alarm {
                code: "record-under-review",
                severity: Severity::Warning,
                title: format!(
                    "a record furnished by {} awaits the regulator's verdict",
                    party_name(view, &r.furnisher)
                ),
                detail: format!(
                    "record {record} was contested by {}: questions that need it wait for the verdict",
                    party_name(view, &r.contester)
                ),
                subject: Some(r.subject),
                member: Some(r.furnisher),
            }),
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    Ok(out)
}

/// The agency's portfolio alarm: too large a share in serious delinquency.
pub fn portfolio_alarms(p: &super::analyst::Portfolio, cfg: &AlarmConfig) -> Vec<Alarm> {
    let mut out = Vec::new();
    if p.live_tradelines > 0 {
        let pct = p.serious_delinquency * 100 / p.live_tradelines as u64;
        if pct >= cfg.delinquency_percent {
            out.push(Alarm {
                code: "delinquency-share",
                severity: Severity::Warning,
                title: format!("{pct} % of live tradelines in serious delinquency"),
                detail: format!(
                    "{} of {} tradelines are 90+ days late in the last 24 months (alarm at {} %)",
                    p.serious_delinquency, p.live_tradelines, cfg.delinquency_percent
                ),
                subject: None,
                member: None,
            });
        }
    }
    out
}
