//! "Everything about me", trusting no single member: f+1 members are asked
//! for the entries about the borrower, every entry is shown only with its
//! proof (`light`), the union of the proven entries is the history, and a
//! member is named when its list missed a proven entry (a hidden question),
//! or when what it offered did not prove (a forged entry, another chain).
//! With at most f faulty members, one of the f+1 is honest, so nothing
//! final about the borrower is missing from the union.
use crate::error::{ApiError, ErrorCode, Result};
use crate::light::{check_proof, Proven};
use crate::profile::Profile;
use credence_crypto::{Identity, PartyId};
use credence_ledger::types::{Entry, Id};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What one member answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberCheck {
    pub name: String,
    /// Entries it listed.
    pub listed: usize,
    /// Proven entries (offered by another member) that it did not list.
    pub missing: Vec<Id>,
    /// Entries it listed whose proof failed, and why.
    pub refused: Vec<(Id, String)>,
    /// Why it could not be asked at all.
    pub unreachable: Option<String>,
}

impl MemberCheck {
    /// Whether its answer agreed with the proven union.
    pub fn honest(&self) -> bool {
        self.missing.is_empty() && self.refused.is_empty() && self.unreachable.is_none()
    }
}

/// The proven history and how each asked member did.
#[derive(Clone, Debug)]
pub struct History {
    /// Proven entries about me, oldest first.
    pub entries: Vec<Proven>,
    pub members: Vec<MemberCheck>,
    /// Total bytes of the members' answers.
    pub bytes: usize,
}

/// How many members to ask: f+1 of n, f = ⌊(n−1)/3⌋.
pub fn quorum_to_ask(n: usize) -> usize {
    n.saturating_sub(1) / 3 + 1
}

fn entry_ids(v: &Value) -> Result<Vec<Id>> {
    v["entries"]
        .as_array()
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Internal,
                "the node's list of entries is malformed",
            )
        })?
        .iter()
        .map(|e| {
            e["entry_id"]
                .as_str()
                .and_then(|s| hex::decode(s).ok())
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ApiError::new(ErrorCode::Internal, "an entry id is not 32 bytes"))
        })
        .collect()
}

/// Ask f+1 members (in the profile's order, skipping those that do not
/// answer, until f+1 did) and prove every entry about `me`.
pub fn history(me: &Identity, profile: &Profile) -> Result<History> {
    let want = quorum_to_ask(profile.members.len());
    let mut members: Vec<MemberCheck> = Vec::new();
    let mut lists: Vec<(usize, credence_node::client::NodeClient, BTreeSet<Id>)> = Vec::new();
    let mut bytes = 0;
    for m in &profile.members {
        if lists.len() == want {
            break;
        }
        let mut check = MemberCheck {
            name: m.name.clone(),
            ..Default::default()
        };
        let asked = profile
            .connect(&m.name, me)
            .and_then(|c| Ok((c.get("/v1/me/entries").map_err(ApiError::from)?, c)));
        match asked {
            Ok((v, client)) => {
                bytes += v.to_string().len();
                let ids = entry_ids(&v)?;
                check.listed = ids.len();
                lists.push((members.len(), client, ids.into_iter().collect()));
            }
            Err(e) if e.code == ErrorCode::NotAMember => return Err(e),
            Err(e) => check.unreachable = Some(e.message),
        }
        members.push(check);
    }
    if lists.len() < want {
        return Err(ApiError::new(
            ErrorCode::Unreachable,
            format!(
                "only {} of the {want} members needed answered ({}): without them a hidden entry \
                 could go unnoticed",
                lists.len(),
                members
                    .iter()
                    .filter_map(|m| m.unreachable.as_ref().map(|u| format!("{}: {u}", m.name)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    // Every id any asked member listed, proven from the first that proves it.
    let all: BTreeSet<Id> = lists
        .iter()
        .flat_map(|(_, _, ids)| ids.iter().copied())
        .collect();
    let mut proven: BTreeMap<Id, Proven> = BTreeMap::new();
    for id in &all {
        for (i, client, ids) in &lists {
            if !ids.contains(id) {
                continue;
            }
            let path = format!("/v1/proof?entry={}", hex::encode(id));
            let checked = client.get(&path).map_err(ApiError::from).and_then(|v| {
                bytes += v.to_string().len();
                check_proof(profile, id, &v)
            });
            match checked {
                Ok(p) => {
                    proven.insert(*id, p);
                    break;
                }
                Err(e) => members[*i].refused.push((*id, e.message)),
            }
        }
    }
    for (i, _, ids) in &lists {
        members[*i].missing = proven
            .keys()
            .filter(|id| !ids.contains(*id))
            .copied()
            .collect();
    }
    let mut entries: Vec<Proven> = proven.into_values().collect();
    entries.sort_by_key(|p| (p.height, p.entry_id));
    Ok(History {
        entries,
        members,
        bytes,
    })
}

/// One line of the access log, from proven entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at: u64,
    pub height: u64,
    pub who: PartyId,
    pub action: String,
    pub detail: String,
    pub entry_id: Id,
}

/// The access log a history shows: who did what about me, and the answers.
pub fn access_log(h: &History, name: impl Fn(&PartyId) -> String) -> Vec<LogLine> {
    let mut answers: BTreeMap<Id, bool> = BTreeMap::new();
    let mut purposes: BTreeMap<Id, String> = BTreeMap::new();
    for p in &h.entries {
        match &p.entry.entry {
            Entry::QueryAnswered(a) => {
                answers.insert(a.query_id, a.proof.answer.holds);
            }
            Entry::ConsentGranted(c) => {
                purposes.insert(c.consent_id, c.purpose.as_str().to_string());
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for p in &h.entries {
        let line = |who: PartyId, action: &str, detail: String| LogLine {
            at: p.at,
            height: p.height,
            who,
            action: action.into(),
            detail,
            entry_id: p.entry_id,
        };
        match &p.entry.entry {
            Entry::QueryAsked(q) => {
                let answer = match answers.get(&q.query_id) {
                    Some(true) => "answered: holds",
                    Some(false) => "answered: does not hold",
                    None => "not answered",
                };
                let purpose = purposes
                    .get(&q.consent_id)
                    .cloned()
                    .unwrap_or_else(|| "an unknown purpose".into());
                let by = q
                    .operator
                    .map(|o| format!(", asked by its operator {}", o.short()))
                    .unwrap_or_default();
                out.push(line(
                    q.requester,
                    "query",
                    format!("\"{}\" for {purpose} ({answer}){by}", q.predicate),
                ));
            }
            Entry::ConsentGranted(c) => out.push(line(
                c.subject,
                "consent",
                format!(
                    "to {} for {} until {}",
                    name(&c.grantee),
                    c.purpose.as_str(),
                    crate::demo::civil_date(c.expires_at).0
                ),
            )),
            Entry::ConsentRevoked { subject, .. } => {
                out.push(line(*subject, "revoke", "a consent revoked".into()))
            }
            Entry::RecordFurnished(r) => out.push(line(
                r.furnisher,
                "furnish",
                format!("a {} record", r.kind.as_str()),
            )),
            Entry::ScoreCommitted(s) => out.push(line(
                s.agency,
                "score",
                format!("score committed for period {}", s.period),
            )),
            Entry::DisputeOpened { subject, .. } => {
                out.push(line(*subject, "dispute", "a record disputed".into()))
            }
            Entry::SubjectEnrolled { lender, .. } => {
                out.push(line(*lender, "enrol", "enrolled".into()))
            }
            _ => {}
        }
    }
    out
}
