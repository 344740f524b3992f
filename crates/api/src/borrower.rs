//! A borrower on their own desktop, holding only their own key: consents,
//! records, access log and disputes, through a member's node the consortium
//! profile names (checked against the profile before anything is sent).
//! Records are opened here, with the borrower's key, and checked against
//! their commitments; the node only ever serves them sealed.
use crate::actions;
use crate::desk::settled;
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use crate::profile::Profile;
use credence_crypto::seal::WrappedKey;
use credence_crypto::{Identity, PartyId, Secret};
use credence_ledger::clock::unix_now;
use credence_ledger::encode::from_bytes;
use credence_ledger::payload::Payload;
use credence_ledger::types::{
    AllowedPredicates, DisputeReason, Entry, Id, Purpose, RecordFurnished, Role, SignedEntry,
};
use credence_node::client::NodeClient;
use serde_json::Value;
use std::time::Duration;

/// How long a borrower's entry may take to become final.
const FINAL_WAIT: Duration = Duration::from_secs(60);

pub struct BorrowerSession {
    identity: Identity,
    /// My earlier keys, newest first: records sealed before a rotation.
    retired: Vec<Identity>,
    profile: Profile,
    via: String,
    client: NodeClient,
}

/// A consent I gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyConsent {
    pub consent_id: Id,
    pub grantee: PartyId,
    pub grantee_name: String,
    pub purpose: String,
    /// The question kinds it allows by name, or `["any"]`.
    pub questions: Vec<String>,
    /// I explicitly agreed (employment requires it).
    pub explicit: bool,
    pub granted_at: u64,
    pub expires_at: u64,
    pub revoked_at: Option<u64>,
}

impl MyConsent {
    pub fn is_live(&self, now: u64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A record about me, opened with my key.
#[derive(Clone, Debug)]
pub struct MyRecord {
    pub record_id: Id,
    pub furnisher: PartyId,
    pub furnisher_name: String,
    /// The earlier record this one corrects.
    pub corrects: Option<Id>,
    pub kind: String,
    pub status: String,
    pub compliance: Option<String>,
    pub at: u64,
    /// The block that holds it.
    pub height: u64,
    /// What was sealed; `None` when it cannot be opened (`problem` says why).
    pub content: Option<Payload>,
    /// Why the record cannot be read or used, if it cannot.
    pub problem: Option<String>,
}

/// Everything about me, proven (see [`BorrowerSession::my_file`]).
#[derive(Clone, Debug)]
pub struct MyFile {
    /// When I froze my file (block time), if it is frozen.
    pub frozen_since: Option<u64>,
    pub consents: Vec<MyConsent>,
    pub records: Vec<MyRecord>,
    pub log: Vec<AccessRow>,
    /// The proven entries and how each asked member did.
    pub history: crate::history::History,
}

/// One line of my access log: who did what about me, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRow {
    pub at: u64,
    pub height: u64,
    pub who: String,
    pub action: String,
    pub detail: String,
}

fn malformed(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        format!("the node's reply is malformed: {what}"),
    )
}

fn text(v: &Value, k: &str) -> Result<String> {
    v[k].as_str()
        .map(str::to_string)
        .ok_or_else(|| malformed(&format!("no {k}")))
}

fn num(v: &Value, k: &str) -> Result<u64> {
    v[k].as_u64().ok_or_else(|| malformed(&format!("no {k}")))
}

fn id(v: &Value, k: &str) -> Result<Id> {
    hex::decode(text(v, k)?)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed(&format!("{k} is not a 32-byte id")))
}

fn party(v: &Value, k: &str) -> Result<PartyId> {
    Ok(PartyId(id(v, k)?))
}

fn list<'a>(v: &'a Value, k: &str) -> Result<&'a Vec<Value>> {
    v[k].as_array()
        .ok_or_else(|| malformed(&format!("no {k} list")))
}

impl BorrowerSession {
    /// Reach the consortium through `via` (a member named in the profile),
    /// or through the first member whose node answers and is who the
    /// profile says.
    pub fn open(identity: Identity, profile: Profile, via: Option<&str>) -> Result<Self> {
        let (via, client) = match via {
            Some(name) => (name.to_string(), profile.connect(name, &identity)?),
            None => {
                let mut failures = Vec::new();
                let mut found = None;
                for m in &profile.members {
                    match profile.connect(&m.name, &identity) {
                        Ok(c) => {
                            found = Some((m.name.clone(), c));
                            break;
                        }
                        Err(e) => failures.push(e),
                    }
                }
                match found {
                    Some(f) => f,
                    None => {
                        let why: Vec<String> = failures.iter().map(|e| e.message.clone()).collect();
                        let code = if failures.iter().any(|e| e.code == ErrorCode::WrongNode) {
                            ErrorCode::WrongNode
                        } else {
                            ErrorCode::Unreachable
                        };
                        return Err(ApiError::new(
                            code,
                            format!(
                                "no member of {} could be used: {}",
                                profile.consortium,
                                why.join("; ")
                            ),
                        ));
                    }
                }
            }
        };
        Ok(BorrowerSession {
            identity,
            retired: Vec::new(),
            profile,
            via,
            client,
        })
    }

    /// My earlier keys (a keystore's retired versions), to open the records
    /// sealed to them.
    pub fn with_retired(mut self, retired: Vec<Identity>) -> Self {
        self.retired = retired;
        self
    }

    /// Rotate my key: a new key for the same party, kept in `home`'s
    /// keystore before the rotation is submitted (so a crash cannot lose
    /// the key the ledger names), then made current once the rotation is
    /// final. My records sealed before stay readable with the retired key;
    /// new ones are sealed to the new key. The block height it took effect.
    pub fn rotate_key(&mut self, home: &Home, passphrase: &Secret<String>) -> Result<u64> {
        self.rotate_with(home, passphrase, None)
    }

    /// As `rotate_key`, declaring the current key leaked as of `since` (unix
    /// seconds, not in the future): the consents granted with it since are
    /// revoked and every record sealed to it is listed until re-sealed
    /// (`reseal_leaked`).
    pub fn declare_compromise(
        &mut self,
        home: &Home,
        passphrase: &Secret<String>,
        since: u64,
    ) -> Result<u64> {
        if since > unix_now() {
            return Err(ApiError::invalid(
                "--since is in the future: a key is declared leaked as of a time already past",
            ));
        }
        self.rotate_with(home, passphrase, Some(since))
    }

    fn rotate_with(
        &mut self,
        home: &Home,
        passphrase: &Secret<String>,
        compromised_since: Option<u64>,
    ) -> Result<u64> {
        let next = self.identity.rotated(&mut rand::rngs::OsRng);
        home.stage_rotation(passphrase, &next)?;
        let entry = match compromised_since {
            None => actions::rotate_key_entry(&self.identity, &next),
            Some(since) => actions::declare_compromised_entry(&self.identity, &next, since),
        };
        let height = match self.submit_final(vec![entry]) {
            Ok(h) => h,
            Err(e) => {
                if matches!(e.code, ErrorCode::Rejected(_)) {
                    home.abandon_rotation(passphrase)?;
                }
                return Err(e);
            }
        };
        let actor = home.finish_rotation(passphrase)?;
        self.client = self.profile.connect(&self.via, &actor.identity)?;
        self.identity = actor.identity;
        self.retired = actor.retired;
        Ok(height)
    }

    /// Re-seal to my current key every record of mine still sealed only to
    /// a key I retired (after declaring it leaked), with `progress(done,
    /// total)`: each is opened with the retired key, in memory, and sealed
    /// again under a fresh content key to me, its furnisher and the members
    /// my live consents name that could read it. Returns how many were
    /// re-sealed; a record whose furnisher re-sealed it first is skipped.
    pub fn reseal_leaked(&self, mut progress: impl FnMut(usize, usize)) -> Result<usize> {
        let mine = self.identity.key_id();
        let now = unix_now();
        let file = self.my_file()?;
        let consented: Vec<PartyId> = file
            .consents
            .iter()
            .filter(|c| c.revoked_at.is_none() && c.expires_at > now)
            .map(|c| c.grantee)
            .collect();
        let members: Vec<(PartyId, credence_crypto::PublicIdentity)> = self
            .profile
            .members
            .iter()
            .filter_map(|m| Some((m.party().ok()?, m.public().ok()?)))
            .collect();
        let todo: Vec<_> = self
            .sealed_records()?
            .into_iter()
            .filter(|(rec, _, _)| {
                let kids: Vec<_> = rec.sealed.recipients.iter().map(|w| w.key_id).collect();
                !kids.contains(&mine) && self.retired.iter().any(|r| kids.contains(&r.key_id()))
            })
            .collect();
        let total = todo.len();
        progress(0, total);
        let mut done = 0;
        for (rec, extra, _) in &todo {
            let kids: Vec<_> = rec.sealed.recipients.iter().map(|w| w.key_id).collect();
            let opener = self
                .retired
                .iter()
                .find(|r| kids.contains(&r.key_id()))
                .expect("filtered above");
            let mut to = vec![self.identity.public()];
            for (p, k) in &members {
                if *p == rec.furnisher || (consented.contains(p) && kids.contains(&k.key_id())) {
                    to.push(*k);
                }
            }
            let entry = actions::reseal_record(&self.identity, opener, rec, extra, &to)?;
            done += actions::resealed(self.submit_final(vec![entry]))? as usize;
            progress(done, total);
        }
        Ok(done)
    }

    /// The member whose node this session talks through.
    pub fn via(&self) -> &str {
        &self.via
    }

    /// My current public keys.
    pub fn public(&self) -> credence_crypto::PublicIdentity {
        self.identity.public()
    }

    pub fn party(&self) -> PartyId {
        self.identity.party_id()
    }

    /// A member's name from the profile, else its short id.
    fn name(&self, p: &PartyId) -> String {
        self.profile
            .name_of(p)
            .map(str::to_string)
            .unwrap_or_else(|| {
                if *p == self.party() {
                    "me".into()
                } else {
                    p.short()
                }
            })
    }

    fn get(&self, path: &str) -> Result<Value> {
        self.client
            .get(path)
            .map_err(|e| self.explained(ApiError::from(e)))
    }

    /// A refusal of an unknown key says what to do about it.
    fn explained(&self, a: ApiError) -> ApiError {
        match a.code {
            ErrorCode::NotAMember => ApiError::new(
                ErrorCode::NotAMember,
                format!(
                    "the members' nodes do not know this key: you are not enrolled in {} yet. \
                     Make an enrolment request (credence enrol-request) and give it to your lender",
                    self.profile.consortium
                ),
            ),
            _ => a,
        }
    }

    /// Submit entries through the node, each final or refused (the first
    /// refusal is the error).
    fn submit_final(&self, entries: Vec<SignedEntry>) -> Result<u64> {
        let receipts = self.client.submit(&entries, FINAL_WAIT)?;
        let mut height = 0;
        for r in receipts {
            match r {
                Some(r) => height = height.max(settled(r)?),
                None => {
                    return Err(ApiError::new(
                        ErrorCode::Timeout,
                        format!(
                            "not final within {} s; look again with `credence consent list` or `credence access-log`",
                            FINAL_WAIT.as_secs()
                        ),
                    ))
                }
            }
        }
        Ok(height)
    }

    /// My consents as the node I talk through lists them (what `revoke`
    /// checks against before the ledger judges it).
    fn listed_consents(&self) -> Result<Vec<MyConsent>> {
        let v = self.get("/v1/me/consents")?;
        list(&v, "consents")?
            .iter()
            .map(|c| {
                let grantee = party(c, "grantee")?;
                Ok(MyConsent {
                    consent_id: id(c, "consent_id")?,
                    grantee_name: self.name(&grantee),
                    grantee,
                    purpose: text(c, "purpose")?,
                    questions: list(c, "questions")?
                        .iter()
                        .map(|q| q.as_str().map(str::to_string))
                        .collect::<Option<_>>()
                        .ok_or_else(|| malformed("a question kind is not text"))?,
                    explicit: c["explicit"].as_bool().unwrap_or(false),
                    granted_at: num(c, "granted_at")?,
                    expires_at: num(c, "expires_at")?,
                    revoked_at: c["revoked_at"].as_u64(),
                })
            })
            .collect()
    }

    /// Consent to `to` (a member in the profile) asking `questions` for
    /// `purpose`, for `days` days. An agency is also given the key of each
    /// of my records it cannot open yet, so it can score and answer.
    pub fn grant(
        &self,
        to: &str,
        purpose: Purpose,
        questions: AllowedPredicates,
        days: u64,
    ) -> Result<Id> {
        let now = unix_now();
        let expires_at = actions::consent_terms(days, &questions, now)?;
        let m = self.profile.member(to)?;
        let grantee = m.party()?;
        let (cid, entry) = actions::grant_consent(
            &self.identity,
            &grantee,
            purpose,
            questions,
            expires_at,
            true,
            now,
        )?;
        self.submit_final(vec![entry])?;
        if m.role()? == Role::Agency {
            let key = credence_crypto::PublicIdentity {
                sign: hex_key(&m.sign_key)?,
                enc: hex_key(&m.enc_key)?,
            };
            let mut shares = Vec::new();
            for (rec, extra, _) in self.sealed_records()? {
                let readable = rec
                    .sealed
                    .recipients
                    .iter()
                    .chain(&extra)
                    .any(|w| w.key_id == key.key_id());
                if !readable {
                    shares.push(actions::share_record(
                        &self.identity,
                        &rec,
                        &extra,
                        &grantee,
                        &key,
                    )?);
                }
            }
            if !shares.is_empty() {
                self.submit_final(shares)?;
            }
        }
        Ok(cid)
    }

    /// Freeze my file (no new question about me is accepted, whatever my
    /// consents) or lift the freeze. Returns the height it is final at.
    pub fn freeze(&self, frozen: bool) -> Result<u64> {
        self.submit_final(vec![actions::freeze_entry(&self.identity, frozen)])
    }

    pub fn revoke(&self, consent: &Id) -> Result<u64> {
        let c = self
            .listed_consents()?
            .into_iter()
            .find(|c| c.consent_id == *consent)
            .ok_or_else(|| ApiError::not_found("you gave no consent with that id"))?;
        if c.revoked_at.is_some() {
            return Err(ApiError::invalid("this consent is already revoked"));
        }
        self.submit_final(vec![actions::revoke_entry(&self.identity, consent)])
    }

    /// My records as the node serves them: sealed, with the wraps shared
    /// since, and the node's row (status, compliance, time).
    fn sealed_records(&self) -> Result<Vec<(RecordFurnished, Vec<WrappedKey>, Value)>> {
        let v = self.get("/v1/me/records")?;
        list(&v, "records")?
            .iter()
            .map(|r| {
                let bytes = |k: &str| {
                    hex::decode(text(r, k)?).map_err(|_| malformed(&format!("{k} is not hex")))
                };
                let rec: RecordFurnished = from_bytes("record", &bytes("record")?)
                    .map_err(|e| malformed(&e.to_string()))?;
                let extra: Vec<WrappedKey> = from_bytes("wraps", &bytes("shared_wraps")?)
                    .map_err(|e| malformed(&e.to_string()))?;
                if rec.record_id != id(r, "record_id")? || rec.subject != self.party() {
                    return Err(malformed("a record that is not the one named, or not mine"));
                }
                Ok((rec, extra, r.clone()))
            })
            .collect()
    }

    /// My consents, records and access log from one proven history: every
    /// entry in a block the members of its epoch certified, gathered from
    /// f+1 members, each member that hid or forged something named.
    pub fn my_file(&self) -> Result<MyFile> {
        let history = self.history()?;
        let me = self.party();
        let mut consents: Vec<MyConsent> = Vec::new();
        let mut revoked: std::collections::BTreeMap<Id, u64> = Default::default();
        let mut furnished: Vec<(&RecordFurnished, &crate::light::Proven)> = Vec::new();
        // Entries are in ledger order: the last change stands.
        let mut frozen_since = None;
        let mut erased: std::collections::BTreeSet<Id> = Default::default();
        let mut resealed: std::collections::BTreeMap<Id, &credence_crypto::seal::SealedRecord> =
            Default::default();
        for p in &history.entries {
            match &p.entry.entry {
                Entry::ConsentGranted(c) if c.subject == me => consents.push(MyConsent {
                    consent_id: c.consent_id,
                    grantee: c.grantee,
                    grantee_name: self.name(&c.grantee),
                    purpose: c.purpose.as_str().to_string(),
                    questions: match c.predicates.kinds() {
                        None => vec!["any".to_string()],
                        Some(kinds) => kinds.iter().map(|k| k.name().to_string()).collect(),
                    },
                    explicit: c.explicit,
                    granted_at: p.at,
                    expires_at: c.expires_at,
                    revoked_at: None,
                }),
                Entry::ConsentRevoked {
                    consent_id,
                    subject,
                } if *subject == me => {
                    revoked.entry(*consent_id).or_insert(p.at);
                }
                Entry::RecordFurnished(r) if r.subject == me => furnished.push((r, p)),
                // A key declared leaked revokes the consents granted since.
                Entry::KeyRotated {
                    party,
                    compromised_since: Some(since),
                    ..
                } if *party == me => {
                    for c in consents.iter().filter(|c| c.granted_at >= *since) {
                        revoked.entry(c.consent_id).or_insert(p.at);
                    }
                }
                Entry::RecordResealed {
                    record_id,
                    subject,
                    sealed,
                    ..
                } if *subject == me => {
                    resealed.insert(*record_id, sealed);
                }
                Entry::RecordErased {
                    record_id, subject, ..
                } if *subject == me => {
                    erased.insert(*record_id);
                }
                Entry::FileFrozen {
                    subject, frozen, ..
                } if *subject == me => frozen_since = frozen.then_some(p.at),
                _ => {}
            }
        }
        for c in &mut consents {
            c.revoked_at = revoked.get(&c.consent_id).copied();
        }
        // The node's rows add what later entries decided (status, Metro 2
        // compliance) and the wraps shared since; the record itself is the
        // proven one.
        let rows: std::collections::BTreeMap<Id, (Vec<WrappedKey>, Value)> = self
            .sealed_records()?
            .into_iter()
            .map(|(rec, extra, row)| (rec.record_id, (extra, row)))
            .collect();
        let records = furnished
            .into_iter()
            .map(|(rec, p)| {
                let (extra, row) = rows
                    .get(&rec.record_id)
                    .map(|(e, r)| (e.as_slice(), Some(r)))
                    .unwrap_or((&[], None));
                // A re-sealed record opens from its latest (proven) seal.
                let current;
                let rec = match resealed.get(&rec.record_id) {
                    Some(sealed) => {
                        current = RecordFurnished {
                            sealed: (*sealed).clone(),
                            ..rec.clone()
                        };
                        &current
                    }
                    None => rec,
                };
                let (content, mut problem) = self.open_record(rec, extra);
                // An erased record leaves every member's listing; its
                // erasure is in the proven history.
                let erased = erased.contains(&rec.record_id);
                if row.is_none() && !erased {
                    problem.get_or_insert_with(|| {
                        format!("{} did not list this proven record", self.via)
                    });
                }
                MyRecord {
                    record_id: rec.record_id,
                    furnisher: rec.furnisher,
                    furnisher_name: self.name(&rec.furnisher),
                    corrects: rec.corrects,
                    kind: rec.kind.as_str().to_string(),
                    status: if erased {
                        "erased".to_string()
                    } else {
                        row.and_then(|r| r["status"].as_str())
                            .unwrap_or("unknown")
                            .to_string()
                    },
                    compliance: row
                        .and_then(|r| r["compliance"].as_str())
                        .map(str::to_string),
                    at: p.at,
                    height: p.height,
                    content,
                    problem,
                }
            })
            .collect();
        let log = self.log_of(&history);
        Ok(MyFile {
            frozen_since,
            consents,
            records,
            log,
            history,
        })
    }

    /// A record opened with my key (and the wraps shared since), checked
    /// against its commitments; why not, if not.
    fn open_record(
        &self,
        rec: &RecordFurnished,
        extra: &[WrappedKey],
    ) -> (Option<Payload>, Option<String>) {
        // The key it was sealed to: mine now, or one a rotation retired.
        let opened = std::iter::once(&self.identity)
            .chain(&self.retired)
            .map(|me| actions::open_furnished(me, rec, extra))
            .find(|r| r.is_ok())
            .unwrap_or_else(|| actions::open_furnished(&self.identity, rec, extra));
        match opened {
            Ok((p, None)) => (Some(p), None),
            Ok((p, Some(why))) => (
                Some(p),
                Some(format!(
                    "its content does not match the ledger ({why}); it is not used"
                )),
            ),
            Err(e) => (None, Some(e.message)),
        }
    }

    /// An entry about me, with its proof checked: a block the members of
    /// its epoch certified holds it (see [`crate::light`]).
    pub fn proven(&self, entry: &Id) -> Result<crate::light::Proven> {
        let sets = crate::history::member_sets(&self.identity, &self.profile)?;
        let v = self.get(&format!("/v1/proof?entry={}", hex::encode(entry)))?;
        crate::light::check_proof(&sets, entry, &v)
    }

    /// Everything about me from f+1 members, each entry proven, each member
    /// that hid or forged something named (see [`crate::history`]).
    pub fn history(&self) -> Result<crate::history::History> {
        crate::history::history(&self.identity, &self.profile).map_err(|e| self.explained(e))
    }

    /// The access log of [`Self::history`], with member names.
    pub fn verified_access_log(&self) -> Result<(Vec<AccessRow>, crate::history::History)> {
        let h = self.history()?;
        Ok((self.log_of(&h), h))
    }

    fn log_of(&self, h: &crate::history::History) -> Vec<AccessRow> {
        crate::history::access_log(h, |p| self.name(p))
            .into_iter()
            .map(|l| AccessRow {
                at: l.at,
                height: l.height,
                who: self.name(&l.who),
                action: l.action,
                detail: l.detail,
            })
            .collect()
    }

    /// The disputes I opened, answered or not.
    pub fn disputes(&self) -> Result<Vec<credence_ledger::read::DisputeInfo>> {
        let v = self.get("/v1/me/records")?;
        list(&v, "disputes")?
            .iter()
            .map(|d| {
                Ok(credence_ledger::read::DisputeInfo {
                    subject: self.party(),
                    dispute_id: id(d, "dispute_id")?,
                    record_id: id(d, "record_id")?,
                    reason: text(d, "reason")?,
                    opened_at: num(d, "opened_at")?,
                    deadline: num(d, "deadline")?,
                    resolved_at: d["resolved_at"].as_u64(),
                    outcome: d["outcome"].as_str().map(str::to_string),
                })
            })
            .collect()
    }

    /// The consortium's members, as the profile names them.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn access_log(&self) -> Result<Vec<AccessRow>> {
        let v = self.get("/v1/me/access-log")?;
        list(&v, "events")?
            .iter()
            .map(|e| {
                Ok(AccessRow {
                    at: num(e, "at")?,
                    height: num(e, "height")?,
                    who: self.name(&party(e, "party")?),
                    action: text(e, "action")?,
                    detail: text(e, "detail")?,
                })
            })
            .collect()
    }

    /// Dispute one of my records (FCRA §611); its furnisher must answer.
    pub fn dispute(&self, record: &Id, reason: DisputeReason) -> Result<Id> {
        if !self
            .sealed_records()?
            .iter()
            .any(|(r, _, _)| r.record_id == *record)
        {
            return Err(ApiError::not_found(
                "no record of yours has that id (see `credence records`)",
            ));
        }
        let (did, entry) = actions::dispute_entry(&self.identity, record, reason);
        self.submit_final(vec![entry])?;
        Ok(did)
    }
}

fn hex_key(h: &str) -> Result<[u8; 32]> {
    hex::decode(h)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::invalid("a key in the profile is not 64 hex digits"))
}
