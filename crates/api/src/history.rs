//! "Everything about me", trusting no single member: f+1 members are asked
//! for the entries about the borrower, every entry is shown only with its
//! proof (`light`), the union of the proven entries is the history, and a
//! member is named when its list missed a proven entry (a hidden question),
//! or when what it offered did not prove (a forged entry, another chain).
//! With at most f faulty members, one of the f+1 is honest, so nothing
//! final about the borrower is missing from the union.
use crate::error::{ApiError, ErrorCode, Result};
use crate::light::{check_genesis, check_proof, MemberSets, Proven};
use crate::profile::Profile;
use credence_crypto::{Identity, PartyId};
use credence_ledger::types::{Entry, ErasureGrounds, Id};
use credence_node::client::NodeClient;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Most proofs asked for in one request (the node's limit).
const PROOFS_PER_REQUEST: usize = 256;

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
    /// The members of each epoch, replayed from proven membership entries.
    pub sets: MemberSets,
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

/// The proofs of one entry that members offered, by their place in `members`.
type Offers = Vec<(usize, Value)>;

/// A member that answered: its client and the entry ids it listed.
struct Answered {
    /// Its place in `members`.
    at: usize,
    client: NodeClient,
    listed: BTreeSet<Id>,
    membership: BTreeSet<Id>,
}

/// The members' proofs of `ids`, asked in batches; one `Err` per entry the
/// member did not prove, one `Err` for all when the request failed.
fn proofs(client: &NodeClient, ids: &[Id], bytes: &mut usize) -> Vec<(Id, Result<Value>)> {
    let mut out = Vec::with_capacity(ids.len());
    for batch in ids.chunks(PROOFS_PER_REQUEST) {
        let asked = json!({"entries": batch.iter().map(hex::encode).collect::<Vec<_>>()});
        match client.post("/v1/proofs", &asked) {
            Ok(v) => {
                *bytes += v.to_string().len();
                let list = v["proofs"].as_array().cloned().unwrap_or_default();
                for (i, id) in batch.iter().enumerate() {
                    out.push((
                        *id,
                        list.get(i).cloned().ok_or_else(|| {
                            ApiError::new(ErrorCode::ProofFailed, "the node sent fewer proofs")
                        }),
                    ));
                }
            }
            Err(e) => {
                let e = ApiError::from(e);
                out.extend(batch.iter().map(|id| (*id, Err(e.clone()))));
            }
        }
    }
    out
}

/// How often, and how long apart, members that did not know the key yet
/// are asked again while too few answered.
const BEHIND_RETRIES: usize = 8;
const BEHIND_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// Ask f+1 members (in the profile's order, skipping those that do not
/// answer, until f+1 did) for their lists: the membership entries, and with
/// `mine` the entries about the caller.
fn ask_quorum(
    me: &Identity,
    profile: &Profile,
    mine: bool,
) -> Result<(Vec<MemberCheck>, Vec<Answered>, usize)> {
    let want = quorum_to_ask(profile.members.len());
    let mut members: Vec<MemberCheck> = Vec::new();
    let mut answered: Vec<Answered> = Vec::new();
    let mut bytes = 0;
    // A member that does not know my key yet (behind the block that
    // enrolled or rotated it) is passed over like an unreachable one; only
    // when no member knows it is that the answer.
    let mut unknown: Option<ApiError> = None;
    // Members passed over as not knowing the key yet: asked again, a few
    // times, while too few answered (one block behind is a moment).
    let mut behind: Vec<usize> = Vec::new();
    let ask = |m: &crate::profile::ProfileMember| {
        profile.connect(&m.name, me).and_then(|c| {
            let listed = if mine {
                Some(c.get("/v1/me/entries").map_err(ApiError::from)?)
            } else {
                None
            };
            let membership = c.get("/v1/membership").map_err(ApiError::from)?;
            Ok((listed, membership, c))
        })
    };
    for (round, pass) in std::iter::once(None)
        .chain((0..BEHIND_RETRIES).map(Some))
        .enumerate()
    {
        let todo: Vec<usize> = match pass {
            None => (0..profile.members.len()).collect(),
            Some(_) => std::mem::take(&mut behind),
        };
        if round > 0 {
            if todo.is_empty() || answered.len() == want {
                break;
            }
            std::thread::sleep(BEHIND_WAIT);
        }
        for i in todo {
            if answered.len() == want {
                break;
            }
            let m = &profile.members[i];
            let mut check = MemberCheck {
                name: m.name.clone(),
                ..Default::default()
            };
            match ask(m) {
                Ok((listed, membership, client)) => {
                    bytes += membership.to_string().len();
                    let ids = match listed {
                        Some(v) => {
                            bytes += v.to_string().len();
                            entry_ids(&v)?
                        }
                        None => Vec::new(),
                    };
                    check.listed = ids.len();
                    let at = members
                        .iter()
                        .position(|c| c.name == m.name)
                        .unwrap_or(members.len());
                    answered.push(Answered {
                        at,
                        client,
                        listed: ids.into_iter().collect(),
                        membership: entry_ids(&membership)?.into_iter().collect(),
                    });
                }
                Err(e) if e.code == ErrorCode::NotAMember => {
                    check.unreachable = Some(format!("does not know this key yet: {}", e.message));
                    unknown.get_or_insert(e);
                    behind.push(i);
                }
                Err(e) => check.unreachable = Some(e.message),
            }
            match members.iter_mut().find(|c| c.name == m.name) {
                Some(c) => *c = check,
                None => members.push(check),
            }
        }
    }
    if answered.is_empty() {
        if let Some(e) = unknown {
            return Err(e);
        }
    }
    if answered.len() < want {
        return Err(ApiError::new(
            ErrorCode::Unreachable,
            format!(
                "only {} of the {want} members needed answered ({}): without them a hidden entry \
                 could go unnoticed",
                answered.len(),
                members
                    .iter()
                    .filter_map(|m| m.unreachable.as_ref().map(|u| format!("{}: {u}", m.name)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    Ok((members, answered, bytes))
}

/// The members of every epoch, learned from f+1 members (see `follow`).
pub fn member_sets(me: &Identity, profile: &Profile) -> Result<MemberSets> {
    let (mut members, answered, mut bytes) = ask_quorum(me, profile, false)?;
    follow(profile, &answered, &mut members, &mut bytes)
}

/// Ask f+1 members and prove every entry about `me` against the members of
/// its epoch.
pub fn history(me: &Identity, profile: &Profile) -> Result<History> {
    let (mut members, answered, mut bytes) = ask_quorum(me, profile, true)?;
    let sets = follow(profile, &answered, &mut members, &mut bytes)?;
    // Every id any asked member listed, proven from the first that proves it.
    let mut proven: BTreeMap<Id, Proven> = BTreeMap::new();
    for a in &answered {
        let ask: Vec<Id> = a
            .listed
            .iter()
            .filter(|id| !proven.contains_key(*id))
            .copied()
            .collect();
        for (id, v) in proofs(&a.client, &ask, &mut bytes) {
            match v.and_then(|v| check_proof(&sets, &id, &v)) {
                Ok(p) => {
                    proven.insert(id, p);
                }
                Err(e) => members[a.at].refused.push((id, e.message)),
            }
        }
    }
    for a in &answered {
        members[a.at]
            .missing
            .extend(proven.keys().filter(|id| !a.listed.contains(*id)).copied());
    }
    let mut entries: Vec<Proven> = proven.into_values().collect();
    entries.sort_by_key(|p| (p.height, p.index));
    Ok(History {
        entries,
        members,
        sets,
        bytes,
    })
}

/// The members of every epoch: the genesis checked against the profile,
/// then the membership entries the asked members list (their union, each
/// proven) replayed in ledger order. An entry whose proof does not hold
/// under the sets it helped make is dropped and the replay runs again
/// without it, so a forged or other-chain entry cannot vouch for itself.
fn follow(
    profile: &Profile,
    answered: &[Answered],
    members: &mut [MemberCheck],
    bytes: &mut usize,
) -> Result<MemberSets> {
    // Every candidate proof of every listed id, from each member that listed it.
    let mut offered: BTreeMap<Id, Offers> = BTreeMap::new();
    for a in answered {
        let ids: Vec<Id> = a.membership.iter().copied().collect();
        for (id, v) in proofs(&a.client, &ids, bytes) {
            match v {
                Ok(v) => offered.entry(id).or_default().push((a.at, v)),
                Err(e) => members[a.at].refused.push((id, e.message)),
            }
        }
    }
    let mut founders: Option<MemberSets> = None;
    let mut changes: Vec<(Id, Proven, Offers)> = Vec::new();
    for (id, offers) in offered {
        let genesis = offers
            .iter()
            .find_map(|(_, v)| check_genesis(profile, &id, v).ok());
        if let Some(g) = genesis {
            founders = Some(g);
            continue;
        }
        // The first offer whose entry is at least in its block's first header.
        let mut entry = None;
        for (at, v) in &offers {
            match crate::light::included_entry(&id, v) {
                Ok(p) if p.height > 0 => {
                    entry = Some(p);
                    break;
                }
                Ok(_) => members[*at]
                    .refused
                    .push((id, "a block 0 that is not the profile's genesis".into())),
                Err(e) => members[*at].refused.push((id, e.message)),
            }
        }
        if let Some(p) = entry {
            changes.push((id, p, offers));
        }
    }
    let founders = founders.ok_or_else(|| {
        ApiError::new(
            ErrorCode::ProofFailed,
            "no member proved the consortium's genesis (block 0 with the profile's genesis hash)",
        )
    })?;
    changes.sort_by_key(|(_, p, _)| (p.height, p.index));
    loop {
        let mut sets = founders.clone();
        sets.replay(changes.iter().map(|(_, p, _)| (p.height, &p.entry)));
        let before = changes.len();
        changes.retain(|(id, _, offers)| {
            let ok = offers
                .iter()
                .any(|(_, v)| check_proof(&sets, id, v).is_ok());
            if !ok {
                for (at, v) in offers {
                    if let Err(e) = check_proof(&sets, id, v) {
                        members[*at].refused.push((*id, e.message));
                    }
                }
            }
            ok
        });
        if changes.len() == before {
            // A member that listed fewer membership changes than proved.
            for a in answered {
                members[a.at].missing.extend(
                    changes
                        .iter()
                        .map(|(id, _, _)| *id)
                        .filter(|id| !a.membership.contains(id)),
                );
            }
            return Ok(sets);
        }
    }
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
            Entry::FileFrozen {
                subject, frozen, ..
            } => out.push(line(
                *subject,
                "freeze",
                if *frozen {
                    "file frozen: no new question is accepted".into()
                } else {
                    "freeze lifted".into()
                },
            )),
            Entry::RecordErased { by, grounds, .. } => out.push(line(
                *by,
                "erasure",
                format!("a record's content erased ({})", erasure_reason(*grounds)),
            )),
            _ => {}
        }
    }
    out
}

/// How an erasure's grounds read in an access log.
pub fn erasure_reason(g: ErasureGrounds) -> &'static str {
    match g {
        ErasureGrounds::Retention => "its retention period ended",
        ErasureGrounds::LawfulRequest => "a lawful request the regulator approved",
    }
}
