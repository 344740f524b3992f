//! A member's own session, as `credence` commands hold it: the member's
//! identity (unlocked from its home), a client of its own node, and that
//! node's ledger opened read only. Every use case a member's staff runs from
//! the command line goes through here: membership proposals and votes, and
//! asking a question and waiting for the verified answer.
use crate::asking::{self, Asked, Question};
use crate::desk;
use crate::enrolment::EnrolRequest;
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use crate::member::{self, JoinRequestFile, NodeInfo};
use crate::reads;
use crate::LedgerView;
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, PartyId, Secret};
use credence_ledger::clock::{poll, unix_now};
use credence_ledger::types::{ErasureGrounds, Id, ProposalStatus};
use credence_ledger::{read, Ledger, LedgerError, SignedEntry};
use credence_node::client::NodeClient;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a membership entry may take to become final.
const FINAL_WAIT: Duration = Duration::from_secs(60);

pub struct MemberSession {
    home: PathBuf,
    info: NodeInfo,
    identity: Identity,
    client: NodeClient,
    view: LedgerView,
}

/// Where a membership proposal stands after an entry about it is final.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipOutcome {
    pub proposal_id: Id,
    /// "admit bank-c (lender)", "remove bank-b", "vote for", "vote against".
    pub action: String,
    /// The height of the block that holds the entry.
    pub height: u64,
    /// `None` when this member's ledger does not know the proposal.
    pub status: Option<ProposalStatus>,
    pub effective_epoch: Option<u64>,
}

impl MemberSession {
    /// Unlock the member's keystore in `home` and open its node's ledger.
    pub fn open(home: &Path, passphrase: &Secret<String>) -> Result<Self> {
        let h = Home::new(home);
        let identity = member::keys::member_identity(&h, passphrase)?;
        let info = member::read_info(&h)?;
        let client = info.client(&identity)?;
        let view = LedgerView::open(&h.ledger())?;
        Ok(MemberSession {
            home: home.to_path_buf(),
            info,
            identity,
            client,
            view,
        })
    }

    /// Rotate the member's key: the new key is kept in the keystore before
    /// the rotation is submitted (signed by the key in force and the new
    /// one), and made current once final. It takes over at the next epoch,
    /// when the running node restarts with it; until then the old key
    /// signs. Returns the rotation's height and the epoch it takes effect.
    pub fn rotate_key(&mut self, passphrase: &Secret<String>) -> Result<(u64, u64)> {
        let h = Home::new(&self.home);
        let a = h.unlock(passphrase)?;
        if a.identity.public() != self.identity.public() || a.pending.is_some() {
            return Err(member::keys::waiting());
        }
        let next = self.identity.rotated(&mut rand::rngs::OsRng);
        h.stage_rotation(passphrase, &next)?;
        let entry = crate::actions::rotate_key_entry(&self.identity, &next);
        let height = match self.submit_final(entry) {
            Ok(h) => h,
            Err(e) => {
                if matches!(e.code, ErrorCode::Rejected(_)) {
                    h.abandon_rotation(passphrase)?;
                }
                return Err(e);
            }
        };
        h.finish_rotation(passphrase)?;
        let epoch =
            read::member_key_from_epoch(&self.view, &next.public().sign)?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Internal,
                    "the rotation is final but this member's ledger does not hold it",
                )
            })?;
        Ok((height, epoch))
    }

    pub fn info(&self) -> &NodeInfo {
        &self.info
    }

    /// The member's node's ledger, read only.
    pub fn view(&self) -> &Ledger {
        &self.view
    }

    /// Submit one entry through the member's node and wait until it is final
    /// (its block's height) or refused.
    fn submit_final(&self, entry: SignedEntry) -> Result<u64> {
        match self.client.submit(&[entry], FINAL_WAIT)?.pop().flatten() {
            Some(r) => desk::settled(r),
            None => Err(ApiError::new(
                ErrorCode::Timeout,
                format!(
                    "the entry was not final within {} s (is a quorum of members running?)",
                    FINAL_WAIT.as_secs()
                ),
            )),
        }
    }

    /// Propose admitting the member that wrote `request`.
    pub fn propose_admission(&self, request: &JoinRequestFile) -> Result<MembershipOutcome> {
        let action = format!("admit {} ({})", request.name, request.role);
        let (pid, e) = crate::actions::propose_admission(&self.identity, request.request()?);
        let height = self.submit_final(e)?;
        self.outcome(pid, action, height)
    }

    /// Propose replacing a member's leaked key with the new key its request
    /// carries (2/3 decide; from the decision the leaked key signs nothing).
    pub fn propose_rekey(
        &self,
        file: &member::keys::RekeyRequestFile,
    ) -> Result<MembershipOutcome> {
        let req = file.request()?;
        let action = format!("replace {}'s leaked key", file.member);
        let (pid, e) = crate::actions::propose_rekey(&self.identity, req);
        let height = self.submit_final(e)?;
        self.outcome(pid, action, height)
    }

    /// Propose removing the member in force named `name`.
    pub fn propose_removal(&self, name: &str) -> Result<MembershipOutcome> {
        let m = read::members(&self.view)?
            .into_iter()
            .find(|m| m.name == name)
            .ok_or_else(|| ApiError::not_found(format!("no member named {name} is in force")))?;
        let (pid, e) = crate::actions::propose_removal(&self.identity, &m.party);
        let height = self.submit_final(e)?;
        self.outcome(pid, format!("remove {name}"), height)
    }

    /// Vote on an open membership proposal.
    pub fn vote(&self, proposal: &Id, approve: bool) -> Result<MembershipOutcome> {
        let e = crate::actions::vote_membership(&self.identity, proposal, approve);
        let height = self.submit_final(e)?;
        let action = if approve { "vote for" } else { "vote against" };
        self.outcome(*proposal, action.into(), height)
    }

    fn outcome(&self, pid: Id, action: String, height: u64) -> Result<MembershipOutcome> {
        // The node's own file may trail its receipt by a moment.
        poll(Duration::from_secs(10), Duration::from_millis(20), || {
            Ok::<_, LedgerError>(
                (self.view.head()?.map(|h| h.height).unwrap_or(0) >= height).then_some(()),
            )
        })?;
        let p = read::membership_proposals(&self.view)?
            .into_iter()
            .find(|p| p.proposal_id == pid);
        Ok(MembershipOutcome {
            proposal_id: pid,
            action,
            height,
            status: p.as_ref().map(|p| p.status),
            effective_epoch: p.and_then(|p| p.effective_epoch),
        })
    }

    /// Enrol the borrower who wrote `request` (to this member, of this
    /// consortium): check it, countersign it and submit it. Returns the
    /// borrower's party and the height of the block that enrols them.
    pub fn enrol(&self, request: &EnrolRequest) -> Result<(PartyId, u64)> {
        let (consortium, _, _) = read::chain(&self.view)?
            .ok_or_else(|| ApiError::not_found("this member's ledger has no genesis yet"))?;
        let genesis = self
            .view
            .block(0)?
            .map(|(b, _)| hex::encode(credence_ledger::encode::block_hash(&b)))
            .ok_or_else(|| ApiError::not_found("this member's ledger has no block 0"))?;
        let (subject, mut entry) =
            request.check(&consortium, &genesis, &self.identity.party_id())?;
        credence_ledger::encode::cosign_entry(&mut entry, &self.identity);
        let height = self.submit_final(entry)?;
        Ok((subject.party_id(), height))
    }

    /// Erase one record's content on a lawful request this member (the
    /// regulator) approved; the height of the block that erases it.
    pub fn erase_on_request(&self, record_id: &Id) -> Result<u64> {
        let e = crate::actions::erase_record(
            &self.view,
            &self.identity,
            record_id,
            ErasureGrounds::LawfulRequest,
        )?;
        self.submit_final(e)
    }

    /// Erase every record past the genesis policy's retention, in parts of
    /// 64 with `progress(done, total)`; the records erased. Records another
    /// member erased meanwhile are skipped, not counted as failures.
    pub fn erase_expired(&self, progress: impl FnMut(usize, usize)) -> Result<Vec<Id>> {
        let due =
            read::records_past_retention(&self.view, unix_now(), crate::retention::MAX_SWEEP)?;
        crate::retention::erase_due(&self.view, &self.identity, &self.client, &due, progress)
    }

    /// Re-seal, as their furnisher, every record of this member's that a
    /// key incident lists and nobody has re-sealed yet, to the subject's
    /// current key (and the furnisher and consented agencies), with
    /// `progress(done, total)`; how many. A record its borrower re-sealed
    /// meanwhile is skipped.
    pub fn reseal_incidents(&self, mut progress: impl FnMut(usize, usize)) -> Result<usize> {
        let me = self.identity.party_id();
        let todo: Vec<Id> = read::key_incidents(&self.view, None)?
            .into_iter()
            .flat_map(|i| i.records)
            .filter(|r| r.furnisher == me && r.resealed_height.is_none() && !r.erased)
            .map(|r| r.record_id)
            .collect();
        let total = todo.len();
        progress(0, total);
        let mut done = 0;
        for id in &todo {
            let (rec, extra) = read::furnished(&self.view, id)?;
            let to = crate::actions::recipients_for(
                &self.view,
                &self.identity.public(),
                &rec.subject,
                unix_now(),
            )?;
            let e =
                crate::actions::reseal_record(&self.identity, &self.identity, &rec, &extra, &to)?;
            done += crate::actions::resealed(self.submit_final(e))? as usize;
            progress(done, total);
        }
        Ok(done)
    }

    /// Furnish the rows of a furnishing file (see [`crate::furnish`]).
    pub fn furnish(
        &self,
        rows: Vec<crate::furnish::FurnishRow>,
        bad: Vec<crate::furnish::RowError>,
        skip_bad: bool,
        progress: impl FnMut(usize, usize),
    ) -> Result<crate::furnish::FurnishReport> {
        crate::furnish::furnish(
            &self.home,
            &self.identity,
            &mut crate::furnish::node_sink(&self.client),
            &self.view,
            rows,
            bad,
            skip_bad,
            false,
            progress,
        )
    }

    /// Ask the consortium's agency `predicate` about `subject` (optionally
    /// about one of the borrower's tradelines) through the member's node, and
    /// wait up to `timeout` for the answer, verified on this ledger. Asking
    /// again after a timeout waits for the same question.
    pub fn ask(
        &self,
        subject: &PartyId,
        predicate: Predicate,
        target: Option<Id>,
        timeout: Duration,
    ) -> Result<Asked> {
        let agency = reads::answering_agency(&self.view)?;
        asking::ask_once(
            &self.home,
            &self.view,
            &self.client,
            &Question {
                requester: &self.identity,
                subject: *subject,
                predicate,
                responder: agency.party,
                target,
            },
            unix_now(),
            timeout,
        )
    }
}
