//! The open consortium and the keys this app holds for it. In demo mode the
//! app holds every demo key (members' and borrowers'), so one window can act
//! in each role; the keys never leave this process.
use credence_api::crypto::{Identity, PartyId};
use credence_api::demo::DemoKeys;
use credence_api::ledger::types::Role;
use credence_api::node::Network;
use std::path::PathBuf;

pub struct Session {
    pub dir: PathBuf,
    pub network: Box<dyn Network>,
    pub keys: DemoKeys,
    /// The agency answers open queries addressed to it after each question
    /// asked from this app (demo only; the analyst view toggles it).
    pub auto_respond: bool,
}

impl Session {
    pub fn first_of(&self, role: Role) -> Option<(&str, &Identity)> {
        self.keys
            .members
            .iter()
            .find(|(_, r, _)| *r == role)
            .map(|(n, _, i)| (n.as_str(), i))
    }
    /// The member node whose ledger a light client (a borrower) reads.
    pub fn reader(&self) -> PartyId {
        self.first_of(Role::Regulator)
            .or_else(|| self.keys.members.first().map(|(n, _, i)| (n.as_str(), i)))
            .map(|(_, i)| i.party_id())
            .expect("a consortium has members")
    }
    /// The address book: demo labels of the borrowers this app holds.
    pub fn book(&self) -> Vec<(String, PartyId)> {
        self.keys
            .borrowers
            .iter()
            .map(|(l, i)| (l.clone(), i.party_id()))
            .collect()
    }
}
