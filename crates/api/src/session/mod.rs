//! A session: the consortium a front end talks to and the keys it holds for
//! it (in demo mode, every demo key, so one window can act in each role).
//! The desktop shell holds one and its commands only call it; keys never
//! leave this process.
mod member;
pub use member::{MemberSession, MembershipOutcome};

use crate::demo::{DemoConsortium, DemoKeys};
use crate::desk::{self, QueryOutcome};
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, PartyId};
use credence_ledger::types::{Id, Role};
use credence_node::Network;
use std::path::PathBuf;
use std::time::Duration;

/// How long a question waits for a running agency node's answer before it
/// is returned as pending (the officer can look again later).
pub const NODE_ANSWER_WAIT: Duration = Duration::from_secs(20);

/// How many open queries the app's own responder answers per question.
const RESPONDER_BATCH: usize = 500;

pub struct Session {
    /// The consortium's folder.
    pub dir: PathBuf,
    consortium: DemoConsortium,
    /// The app's agency answers open queries after each question asked here
    /// (a local demo only): off when the agency's node answers by itself.
    auto_respond: bool,
}

impl Session {
    pub fn new(dir: PathBuf, consortium: DemoConsortium) -> Self {
        // When the agency's node answers by itself, the app must not answer too.
        let auto_respond = !consortium.node_answers;
        Session {
            dir,
            consortium,
            auto_respond,
        }
    }

    pub fn keys(&self) -> &DemoKeys {
        &self.consortium.keys
    }

    pub fn net(&mut self) -> &mut dyn Network {
        self.consortium.network.as_mut()
    }

    pub fn view_net(&self) -> &dyn Network {
        self.consortium.network.as_ref()
    }

    /// The ledger as `party`'s member holds it (a borrower reads through
    /// the consortium's reader member).
    pub fn view(&self, party: &PartyId) -> Result<&credence_ledger::Ledger> {
        Ok(self.consortium.network.view(party)?)
    }

    /// The consortium's clock (seconds since the epoch).
    pub fn now(&self) -> u64 {
        self.consortium.network.now()
    }

    /// Connected to running member nodes, whose agency answers by itself.
    pub fn node_answers(&self) -> bool {
        self.consortium.node_answers
    }

    pub fn auto_respond(&self) -> bool {
        self.auto_respond
    }

    /// Turn the app's own responder on or off; refused on while the
    /// agency's node answers.
    pub fn set_auto_respond(&mut self, on: bool) -> Result<bool> {
        if on && self.node_answers() {
            return Err(ApiError::new(
                ErrorCode::NotPermitted,
                "the agency's node answers queries itself in this running consortium; \
                 the app's auto-responder stays off",
            ));
        }
        self.auto_respond = on;
        Ok(on)
    }

    fn first_of(&self, role: Role) -> Option<&Identity> {
        self.keys()
            .members
            .iter()
            .find(|(_, r, _)| *r == role)
            .map(|(_, _, i)| i)
    }

    /// The member `name` whose key this app holds, which must have `role`.
    pub fn member(&self, name: &str, role: Role) -> Result<&Identity> {
        let (_, r, id) = self
            .keys()
            .members
            .iter()
            .find(|(n, _, _)| n == name)
            .ok_or_else(|| {
                ApiError::not_found(format!("this app holds no key for member \"{name}\""))
            })?;
        if *r != role {
            return Err(ApiError::new(
                ErrorCode::NotPermitted,
                format!("{name} is a {}, not a {}", r.as_str(), role.as_str()),
            ));
        }
        Ok(id)
    }

    /// The agency whose key this app holds: it answers questions and reads
    /// what is sealed to the agency.
    pub fn agency(&self) -> Result<&Identity> {
        self.first_of(Role::Agency).ok_or_else(|| {
            ApiError::not_found(
                "this app holds no agency key: open a consortium whose agency keystore it holds",
            )
        })
    }

    pub fn regulator(&self) -> Result<&Identity> {
        self.first_of(Role::Regulator)
            .ok_or_else(|| ApiError::not_found("this app holds no regulator key"))
    }

    pub fn borrower(&self, label: &str) -> Result<&Identity> {
        self.keys()
            .borrower(label)
            .ok_or_else(|| ApiError::not_found(format!("this app holds no key for \"{label}\"")))
    }

    /// The member node whose ledger a light client (a borrower) reads: the
    /// regulator's, else the first member's.
    pub fn reader(&self) -> Result<PartyId> {
        self.first_of(Role::Regulator)
            .or_else(|| self.keys().members.first().map(|(_, _, i)| i))
            .map(|i| i.party_id())
            .ok_or_else(|| ApiError::not_found("this consortium has no members"))
    }

    /// The address book: the labels of the borrowers this app holds.
    pub fn book(&self) -> Vec<(String, PartyId)> {
        self.keys()
            .borrowers
            .iter()
            .map(|(l, i)| (l.clone(), i.party_id()))
            .collect()
    }

    /// Lender `bank` enrols a new borrower whose key this app creates and
    /// holds (demo mode: a real borrower signs from their own app). Returns
    /// the borrower's label and identity.
    pub fn enrol_new_borrower(&mut self, bank: &str) -> Result<(String, Identity)> {
        let lender = self.member(bank, Role::Lender)?.clone();
        let who = desk::new_identity();
        desk::enrol(self.net(), &who, &lender)?;
        let borrowers = &mut self.consortium.keys.borrowers;
        let label = format!("borrower-{:04}", borrowers.len() + 1);
        borrowers.push((label.clone(), who.clone()));
        Ok((label, who))
    }

    /// The bank officer's use case end to end: lender `bank` asks
    /// `predicate` about `subject` (refused before signing without a
    /// covering consent), the agency answers (the app's own responder in a
    /// local demo, the agency's node otherwise, waited for up to
    /// `NODE_ANSWER_WAIT`), and the answer is verified on the bank's own
    /// ledger. A question not answered in time comes back `Pending`.
    pub fn ask_and_wait(
        &mut self,
        bank: &str,
        subject: &PartyId,
        predicate: Predicate,
        target: Option<Id>,
    ) -> Result<QueryOutcome> {
        let me = self.member(bank, Role::Lender)?.clone();
        let agency = self.agency()?.clone();
        let qid = desk::ask(
            self.net(),
            &me,
            subject,
            predicate,
            &agency.party_id(),
            target,
        )?;
        if self.node_answers() {
            return desk::await_answer(
                self.view_net(),
                &me.party_id(),
                &qid,
                NODE_ANSWER_WAIT,
                Duration::from_millis(100),
            );
        }
        if self.auto_respond {
            desk::answer_open(self.net(), &agency, RESPONDER_BATCH)?;
        }
        desk::outcome(self.view_net().view(&me.party_id())?, &qid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::QueryStatus;
    use crate::test_support::small_demo;

    #[test]
    fn the_session_asks_and_waits_for_the_verified_answer() {
        let (dir, c) = small_demo("session");
        let mut s = Session::new(dir.0.clone(), c);
        assert!(
            s.auto_respond(),
            "a local demo answers with the app's agency"
        );
        // Keys are looked up by name and role, with codes to match on.
        assert_eq!(
            s.member("agency", Role::Lender).unwrap_err().code,
            ErrorCode::NotPermitted
        );
        assert_eq!(
            s.member("bank-z", Role::Lender).unwrap_err().code,
            ErrorCode::NotFound
        );
        // borrower-0003 banks with bank-a (borrower-0001 withdrew its consent in the demo).
        let subject = s.borrower("borrower-0003").unwrap().party_id();
        let o = s
            .ask_and_wait("bank-a", &subject, Predicate::NoSeriousDelinquency, None)
            .unwrap();
        assert!(
            matches!(o.status, QueryStatus::Answered { verified: true, .. }),
            "answered and verified on bank-a's own ledger: {:?}",
            o.status
        );
        // With the responder off the question waits, unanswered.
        s.set_auto_respond(false).unwrap();
        let o = s
            .ask_and_wait("bank-a", &subject, Predicate::NoSeriousDelinquency, None)
            .unwrap();
        assert_eq!(o.status, QueryStatus::Pending);
        // A borrower the app enrols is held and in the address book.
        let (label, who) = s.enrol_new_borrower("bank-a").unwrap();
        assert_eq!(s.borrower(&label).unwrap().party_id(), who.party_id());
        assert!(s.book().iter().any(|(l, _)| *l == label));
    }
}
