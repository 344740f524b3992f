//! A member's staff on their own keys: an officer who asks, an analyst who
//! reads records, an auditor who reads questions and answers. Each reaches
//! their own member's node (checked against the consortium profile), which
//! acts for the member within the person's role (`credence node operator`):
//! it signs an officer's question for the member, naming the officer, and
//! re-wraps a record's key to the analyst's own key. The member's key stays
//! on the node.
//!
//! An operator trusts their own member's node: it is their employer's. What
//! it reports (an answer, a record's place) is not checked against other
//! members here; borrowers, who trust no member, get that check.
use crate::actions::{self, new_id};
use crate::desk::settled;
use crate::error::{ApiError, ErrorCode, Result};
use crate::furnish::{self, FurnishReport};
use crate::profile::Profile;
use credence_crypto::proof::Predicate;
use credence_crypto::seal::WrappedKey;
use credence_crypto::{Identity, PartyId};
use credence_ledger::clock::{poll, unix_now};
use credence_ledger::encode::from_bytes;
use credence_ledger::payload::Payload;
use credence_ledger::predicate::PredicateKind;
use credence_ledger::types::{
    Entry, Id, QueryAsked, RecordFurnished, RecordKind, RecordStatus, Role, SignedEntry,
};
use credence_node::client::NodeClient;
use serde_json::Value;
use std::time::Duration;

/// Rows per request when an officer furnishes (the node takes at most
/// `MAX_FURNISH_ROWS`): small enough to show progress, large enough that
/// each part's proofs use every core of the node.
const FURNISH_PART: usize = 32;

pub struct OperatorSession {
    identity: Identity,
    profile: Profile,
    member: String,
    member_party: PartyId,
    client: NodeClient,
}

/// A question an officer asked, as the member's node reports its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub query_id: Id,
    pub predicate: String,
    pub purpose: String,
    /// `None` while the agency has not answered (within the wait).
    pub holds: Option<bool>,
    pub height: u64,
}

/// A record the member can read, opened with the analyst's own key.
#[derive(Clone, Debug)]
pub struct OpenedRecord {
    pub record_id: Id,
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub furnisher_name: String,
    pub kind: String,
    pub status: String,
    pub compliance: Option<String>,
    pub corrects: Option<Id>,
    pub height: u64,
    pub at: u64,
    pub payload: Payload,
    /// Why the content does not match the ledger's commitments, if it does not.
    pub problem: Option<String>,
}

fn malformed(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        format!("the node's reply is malformed: {what}"),
    )
}

fn hex32(v: &Value, k: &str) -> Result<[u8; 32]> {
    v[k].as_str()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed(&format!("{k} is not a 32-byte id")))
}

fn list<'a>(v: &'a Value, k: &str) -> Result<&'a Vec<Value>> {
    v[k].as_array()
        .ok_or_else(|| malformed(&format!("no {k} list")))
}

impl OperatorSession {
    /// Reach `member`'s node (a member named in the profile) as one of its
    /// operators.
    pub fn open(identity: Identity, profile: Profile, member: &str) -> Result<Self> {
        let client = profile.connect(member, &identity)?;
        let member_party = profile.member(member)?.party()?;
        Ok(OperatorSession {
            identity,
            member: member.to_string(),
            member_party,
            profile,
            client,
        })
    }

    fn unknown_key(&self) -> ApiError {
        ApiError::new(
            ErrorCode::NotAMember,
            format!(
                "{}'s node does not know this key as an operator: ask {}'s node operator to run \
                 `credence node operator add` with your public key (`credence id show --json`)",
                self.member, self.member
            ),
        )
    }

    fn get(&self, path: &str) -> Result<Value> {
        self.client.get(path).map_err(|e| {
            let a = ApiError::from(e);
            if a.code == ErrorCode::NotAMember {
                return self.unknown_key();
            }
            a
        })
    }

    /// Rotate my key at my member's node: a new key for the same party,
    /// kept in `home`'s keystore before the node is asked (so a crash cannot
    /// lose the key the registry names), then made current once the node has
    /// registered it. My old key is refused from then on; what I asked stays
    /// under my party. Returns the unix time the old key was retired.
    pub fn rotate_key(
        &mut self,
        home: &crate::home::Home,
        passphrase: &credence_crypto::Secret<String>,
    ) -> Result<u64> {
        let next = self.identity.rotated(&mut rand::rngs::OsRng);
        home.stage_rotation(passphrase, &next)?;
        let key = next.public();
        let msg = credence_node::operators::rotation_message(
            &self.member_party,
            &self.identity.party_id(),
            &self.identity.public().sign,
            &key,
        );
        let sig = next.sign(credence_node::operators::ROTATE_DOMAIN, &msg);
        let body = serde_json::json!({"sign_key": hex::encode(key.sign),
            "enc_key": hex::encode(key.enc), "signature": hex::encode(sig.0)});
        let reply = match self.client.post("/v1/operator/rotate", &body) {
            Ok(v) => v,
            Err(e) => {
                let a = ApiError::from(e);
                // Refused: the node will never register this key. Anything
                // else (unreachable, a timeout) may have landed: the key
                // stays pending and the next unlock settles it.
                if matches!(
                    a.code,
                    ErrorCode::Rejected(_) | ErrorCode::InvalidInput | ErrorCode::NotPermitted
                ) {
                    home.abandon_rotation(passphrase)?;
                }
                return Err(a);
            }
        };
        let actor = home.finish_rotation(passphrase)?;
        self.client = self.profile.connect(&self.member, &actor.identity)?;
        self.identity = actor.identity;
        reply["retired_at"]
            .as_u64()
            .ok_or_else(|| malformed("retired_at"))
    }

    /// Keys declared compromised and how far their records are re-sealed,
    /// as the member's node reports them (an auditor's view of incidents).
    pub fn incidents(&self) -> Result<Vec<credence_ledger::read::IncidentSummary>> {
        let v = self.get("/v1/incidents")?;
        serde_json::from_value(v["incidents"].clone()).map_err(|e| malformed(&e.to_string()))
    }

    /// The consortium's members in every epoch, proven from f+1 members
    /// (each serves its membership to any key): not taken from this node's
    /// word alone.
    pub fn membership(&self) -> Result<crate::light::MemberSets> {
        crate::history::member_sets(&self.identity, &self.profile)
    }

    /// As a lender's officer: furnish the rows of a furnishing file
    /// (`docs/furnish-csv.md`) through the member's node, which seals and
    /// proves them as the member. Every row is checked (here, then against
    /// the ledger by the node) before anything is sent, and a file with a
    /// bad row sends nothing unless `skip_bad`. The rows go in parts, an
    /// account's updates in date order; `progress(done, total)` after each.
    /// Sending the same file again furnishes nothing twice (the member's
    /// journal).
    pub fn furnish(
        &self,
        text: &str,
        skip_bad: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<FurnishReport> {
        let (rows, bad) = furnish::parse(text)
            .map_err(|e| ApiError::invalid(format!("{e}; nothing was submitted")))?;
        if !skip_bad && !bad.is_empty() {
            return Err(furnish::refuse(&bad));
        }
        let parts = furnish::parts(text, &rows, FURNISH_PART)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        let mut report = FurnishReport {
            left_out: bad,
            ..Default::default()
        };
        fn relined(part: &furnish::Part, r: FurnishReport) -> Vec<furnish::RowError> {
            r.left_out
                .into_iter()
                .map(|e| furnish::RowError {
                    line: part.file_line(e.line),
                    ..e
                })
                .collect()
        }
        if !skip_bad {
            // What the ledger refuses (a borrower not enrolled, an update
            // older than one furnished), for the whole file first.
            for part in &parts {
                let r = self.furnish_part(part, false, true)?;
                report.left_out.extend(relined(part, r));
            }
            if !report.left_out.is_empty() {
                report.left_out.sort_by_key(|e| e.line);
                return Err(furnish::refuse(&report.left_out));
            }
        }
        let (total, mut done) = (rows.len(), 0);
        progress(0, total);
        for part in &parts {
            let r = self.furnish_part(part, skip_bad, false)?;
            report.submitted += r.submitted;
            report.corrections += r.corrections;
            report.already += r.already;
            report.left_out.extend(relined(part, r));
            done += part.lines.len();
            progress(done, total);
        }
        report.left_out.sort_by_key(|e| e.line);
        Ok(report)
    }

    fn furnish_part(
        &self,
        part: &furnish::Part,
        skip_bad: bool,
        check_only: bool,
    ) -> Result<FurnishReport> {
        let v = self
            .client
            .post(
                "/v1/operator/furnish",
                &serde_json::json!({"csv": part.csv, "skip_bad": skip_bad, "check_only": check_only}),
            )
            .map_err(|e| {
                let a = ApiError::from(e);
                if a.code == ErrorCode::NotAMember {
                    return self.unknown_key();
                }
                a
            })?;
        FurnishReport::from_json(&v)
    }

    /// The agency that answers for the consortium (the profile's first).
    fn agency(&self) -> Result<PartyId> {
        self.profile
            .members
            .iter()
            .find(|m| m.role().ok() == Some(Role::Agency))
            .ok_or_else(|| ApiError::not_found("the profile names no agency to answer"))?
            .party()
    }

    /// As an officer: ask `predicate` about `subject` for the member, under
    /// the member's live consent that covers it, and wait up to `wait` for
    /// the agency's answer.
    pub fn ask(
        &self,
        subject: &PartyId,
        predicate: Predicate,
        target: Option<Id>,
        wait: Duration,
    ) -> Result<Asked> {
        predicate.validate().map_err(ApiError::from)?;
        let now = unix_now();
        let kind = PredicateKind::of(&predicate).name();
        let consents = self.get("/v1/me/consents")?;
        let consent = list(&consents, "consents")?
            .iter()
            .find(|c| {
                c["subject"].as_str() == Some(subject.to_hex().as_str())
                    && c["revoked_at"].is_null()
                    && c["expires_at"].as_u64().is_some_and(|e| e > now)
                    && c["questions"]
                        .as_array()
                        .is_some_and(|q| q.iter().any(|k| k == "any" || k == kind))
            })
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NoConsent,
                    format!(
                        "borrower {} has given {} no live consent that covers \"{predicate}\"",
                        subject.short(),
                        self.member
                    ),
                )
            })?;
        let query_id = new_id();
        let q = QueryAsked {
            query_id,
            requester: self.member_party,
            subject: *subject,
            consent_id: hex32(consent, "consent_id")?,
            predicate,
            responder: self.agency()?,
            target,
            operator: Some(self.identity.party_id()),
        };
        let entry = SignedEntry {
            entry: Entry::QueryAsked(q),
            signatures: Vec::new(),
        };
        let receipt = self
            .client
            .operator_submit(&[entry], wait.max(Duration::from_secs(1)))?
            .pop()
            .flatten()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Timeout,
                    format!("the question was not final within {} s", wait.as_secs()),
                )
            })?;
        let height = settled(receipt)?;
        let path = format!("/v1/queries?subject={}", subject.to_hex());
        let id = hex::encode(query_id);
        let mut seen = None;
        poll(wait, Duration::from_millis(200), || {
            let v = self.get(&path)?;
            let q = list(&v, "queries")?
                .iter()
                .find(|q| q["query_id"].as_str() == Some(id.as_str()))
                .cloned();
            let answered = q.as_ref().is_some_and(|q| !q["holds"].is_null());
            seen = q;
            Ok::<_, ApiError>(answered.then_some(()))
        })?;
        let q = seen.ok_or_else(|| malformed("the node does not list the question it took"))?;
        Ok(Asked {
            query_id,
            predicate: q["predicate"].as_str().unwrap_or("").to_string(),
            purpose: q["purpose"].as_str().unwrap_or("").to_string(),
            holds: q["holds"].as_bool(),
            height,
        })
    }

    /// As an officer: enrol the borrower who wrote `request` (it must be for
    /// this member of this consortium); the node countersigns for the member.
    pub fn enrol(&self, request: &crate::enrolment::EnrolRequest) -> Result<(PartyId, u64)> {
        let (subject, entry) = request.check(
            &self.profile.consortium,
            &self.profile.genesis,
            &self.member_party,
        )?;
        let receipt = self
            .client
            .operator_submit(&[entry], Duration::from_secs(60))?
            .pop()
            .flatten()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Timeout,
                    "the enrolment was not final within 60 s",
                )
            })?;
        Ok((subject.party_id(), settled(receipt)?))
    }

    /// The member this session acts for.
    pub fn member(&self) -> &str {
        &self.member
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// My current public key (after a rotation, not the one my party is
    /// named from).
    pub fn public(&self) -> credence_crypto::PublicIdentity {
        self.identity.public()
    }

    pub fn party(&self) -> PartyId {
        self.identity.party_id()
    }

    /// As an analyst: every record the member can read, each opened with a
    /// key the node wraps to the analyst's own key, and checked against the
    /// ledger's commitments. `limit` bounds how many are opened.
    pub fn records(&self, limit: usize) -> Result<Vec<OpenedRecord>> {
        let v = self.get("/v1/me/records")?;
        let mut out = Vec::new();
        for r in list(&v, "records")?.iter().take(limit) {
            let bytes = hex::decode(r["record"].as_str().unwrap_or(""))
                .map_err(|_| malformed("record is not hex"))?;
            let rec: RecordFurnished =
                from_bytes("record", &bytes).map_err(|e| malformed(&e.to_string()))?;
            let id = hex::encode(rec.record_id);
            let k = self.get(&format!("/v1/operator/record-key?record={id}"))?;
            let wrap: WrappedKey = from_bytes(
                "wrap",
                &hex::decode(k["wrap"].as_str().unwrap_or(""))
                    .map_err(|_| malformed("wrap is not hex"))?,
            )
            .map_err(|e| malformed(&e.to_string()))?;
            let (payload, mismatch) = actions::open_furnished(&self.identity, &rec, &[wrap])?;
            out.push(OpenedRecord {
                record_id: rec.record_id,
                subject: rec.subject,
                furnisher: rec.furnisher,
                furnisher_name: self.name(&rec.furnisher),
                kind: rec.kind.as_str().to_string(),
                status: r["status"].as_str().unwrap_or("").to_string(),
                compliance: r["compliance"].as_str().map(str::to_string),
                corrects: rec.corrects,
                height: r["height"].as_u64().unwrap_or(0),
                at: r["at"].as_u64().unwrap_or(0),
                payload,
                problem: mismatch.map(|m| m.to_string()),
            });
        }
        Ok(out)
    }

    /// As an analyst: the member's portfolio figures over the live
    /// tradelines among the first `limit` records it can read, opened here
    /// (no score histogram: scores are opened with the member's key only).
    pub fn portfolio(&self, limit: usize) -> Result<crate::desk::analyst::Portfolio> {
        let records = self.records(limit)?;
        let mut subjects: Vec<PartyId> = records.iter().map(|r| r.subject).collect();
        subjects.sort();
        subjects.dedup();
        let live: Vec<(PartyId, Payload)> = records
            .into_iter()
            .filter(|r| {
                r.status == RecordStatus::Live.as_str()
                    && r.kind == RecordKind::Tradeline.as_str()
                    && r.problem.is_none()
            })
            .map(|r| (r.subject, r.payload))
            .collect();
        let mut p = crate::desk::analyst::Portfolio {
            subjects: subjects.len(),
            ..Default::default()
        };
        crate::desk::analyst::tradeline_figures(&mut p, &live);
        Ok(p)
    }

    /// As any operator: the questions asked in the consortium, newest last.
    pub fn queries(&self) -> Result<Vec<Value>> {
        Ok(list(&self.get("/v1/queries")?, "queries")?.clone())
    }

    /// The alarms over the consortium's questions (inquiry bursts, questions
    /// waiting past the answer SLA), from what this node serves at
    /// `/v1/queries`. The alarms that need a ledger-wide read (refused
    /// entries, contested records, overdue disputes) are the regulator's
    /// desk's, on the member's own machine.
    pub fn alarms(&self, now: u64) -> Result<Vec<crate::desk::alarms::Alarm>> {
        use crate::desk::alarms::{question_alarms, AlarmConfig, Question};
        let party = |q: &Value, k: &str| -> Result<PartyId> {
            PartyId::from_hex(q[k].as_str().unwrap_or(""))
                .map_err(|_| malformed(&format!("a question's {k} is not a party id")))
        };
        let qs = self
            .queries()?
            .iter()
            .map(|q| {
                Ok(Question {
                    subject: party(q, "subject")?,
                    requester: party(q, "requester")?,
                    responder: party(q, "responder")?,
                    asked_at: q["asked_at"]
                        .as_u64()
                        .ok_or_else(|| malformed("a question has no asked_at"))?,
                    answered_at: q["answered_at"].as_u64(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(question_alarms(
            &qs,
            &|p| self.name(p),
            now,
            &AlarmConfig::default(),
        ))
    }

    fn name(&self, p: &PartyId) -> String {
        self.profile
            .name_of(p)
            .map(str::to_string)
            .unwrap_or_else(|| p.short())
    }
}
