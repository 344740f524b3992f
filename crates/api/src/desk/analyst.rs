//! The agency analyst: records sealed to the agency (listed from the ledger,
//! opened in memory only on demand), the queue of queries to answer, and the
//! portfolio's score and delinquency distributions (aggregates only).
use crate::actions;
use crate::error::Result;
use crate::reads::party_name;
use credence_crypto::{Identity, PartyId};
use credence_ledger::payload::Payload;
use credence_ledger::read::{self, QueryFilter, QueryInfo};
use credence_ledger::types::{tradeline, Id, RecordKind};
use credence_ledger::Ledger;
use rayon::prelude::*;
use std::collections::BTreeMap;

use super::RecordRow;

/// Records the agency can open, metadata only, `offset..offset+limit`, and
/// how many there are in all.
pub fn sealed_records(
    view: &Ledger,
    agency: &PartyId,
    offset: usize,
    limit: usize,
) -> Result<(Vec<RecordRow>, usize)> {
    let all = read::records_readable_by(view, agency)?;
    let total = all.len();
    let rows = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|info| RecordRow {
            furnisher_name: party_name(view, &info.furnisher),
            info,
        })
        .collect();
    Ok((rows, total))
}

/// Open one record sealed to the agency, in memory.
pub fn open(view: &Ledger, agency: &Identity, record_id: &Id) -> Result<Payload> {
    actions::open_record(view, agency, record_id)
}

/// Queries addressed to the agency that have no answer yet, oldest first.
pub fn queue(view: &Ledger, agency: &PartyId) -> Result<Vec<QueryInfo>> {
    Ok(read::queries(
        view,
        &QueryFilter {
            responder: Some(*agency),
            unanswered_only: true,
            ..Default::default()
        },
    )?)
}

/// Aggregates over the agency's portfolio, computed in memory from what is
/// sealed to it; only counts leave this function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Portfolio {
    pub subjects: usize,
    pub live_tradelines: usize,
    /// Lower bound of each 50-point bucket from 300 to 850, and its count
    /// (latest score per subject).
    pub score_histogram: Vec<(u64, u64)>,
    pub scored_subjects: usize,
    pub mean_score: Option<u64>,
    /// Live tradelines by Metro 2 account status code.
    pub status_counts: Vec<(String, u64)>,
    /// Live tradelines by days past due: current, 1–29, 30–59, 60–89, 90+.
    pub days_past_due: [u64; 5],
    pub serious_delinquency: u64,
    pub subjects_with_serious_delinquency: u64,
}

pub const SCORE_BUCKET: u64 = 50;

pub fn score_bucket(score: u64) -> u64 {
    let s = score.clamp(crate::scoring::MIN, crate::scoring::MAX);
    let b = crate::scoring::MIN + (s - crate::scoring::MIN) / SCORE_BUCKET * SCORE_BUCKET;
    // 850 joins the top bucket [800, 850].
    b.min(crate::scoring::MAX - SCORE_BUCKET)
}

pub fn dpd_bucket(days: u64) -> usize {
    match days {
        0 => 0,
        1..=29 => 1,
        30..=59 => 2,
        60..=89 => 3,
        _ => 4,
    }
}

pub fn portfolio(view: &Ledger, agency: &Identity) -> Result<Portfolio> {
    let me = agency.party_id();
    // Latest score per subject.
    let mut latest: BTreeMap<PartyId, (u32, credence_ledger::types::ScoreCommitted)> =
        BTreeMap::new();
    for s in read::scores_for(view, &me)? {
        if s.agency != me {
            continue;
        }
        let keep = latest.get(&s.subject).is_none_or(|(p, _)| s.period >= *p);
        if keep {
            latest.insert(s.subject, (s.period, s.clone()));
        }
    }
    let scores: Vec<u64> = latest
        .values()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(_, s)| actions::open_score_payload(s, agency).map(|p| p.score.value))
        .collect::<Result<_>>()?;
    let mut hist: BTreeMap<u64, u64> = (crate::scoring::MIN..crate::scoring::MAX)
        .step_by(SCORE_BUCKET as usize)
        .map(|b| (b, 0))
        .collect();
    for s in &scores {
        *hist.entry(score_bucket(*s)).or_default() += 1;
    }
    // Live tradelines sealed to the agency, opened in parallel.
    let infos: Vec<_> = read::records_readable_by(view, &me)?
        .into_iter()
        .filter(|r| {
            r.kind == RecordKind::Tradeline
                && r.status == credence_ledger::types::RecordStatus::Live
        })
        .collect();
    let mut sealed = Vec::with_capacity(infos.len());
    for r in &infos {
        sealed.push((r.subject, read::furnished(view, &r.record_id)?));
    }
    let opened: Vec<(PartyId, Payload)> = sealed
        .par_iter()
        .map(|(s, (rec, extra))| {
            let bytes = rec.sealed.open(agency, extra)?;
            Ok((*s, Payload::decode(bytes.expose())?))
        })
        .collect::<Result<_>>()?;
    let mut p = Portfolio {
        subjects: read::subjects(view)?.len(),
        scored_subjects: scores.len(),
        mean_score: (!scores.is_empty()).then(|| scores.iter().sum::<u64>() / scores.len() as u64),
        score_histogram: hist.into_iter().collect(),
        ..Default::default()
    };
    tradeline_figures(&mut p, &opened);
    Ok(p)
}

/// The tradeline figures of a portfolio (live tradelines, Metro 2 status
/// counts, days past due, serious delinquency) from the opened payloads of
/// its live tradelines and their subjects.
pub fn tradeline_figures(p: &mut Portfolio, opened: &[(PartyId, Payload)]) {
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    let mut serious_subjects = std::collections::BTreeSet::new();
    for (s, pl) in opened {
        if let Payload::Tradeline(t) = pl {
            p.live_tradelines += 1;
            *status.entry(t.account_status.clone()).or_default() += 1;
            let v = |i: usize| t.amounts.get(i).map(|o| o.value).unwrap_or(0);
            p.days_past_due[dpd_bucket(v(tradeline::DAYS_PAST_DUE))] += 1;
            if v(tradeline::SERIOUS_DELINQUENCY) > 0 {
                p.serious_delinquency += 1;
                serious_subjects.insert(*s);
            }
        }
    }
    p.subjects_with_serious_delinquency = serious_subjects.len() as u64;
    p.status_counts = status.into_iter().collect();
}
