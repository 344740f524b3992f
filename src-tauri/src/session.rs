//! The open consortium and the keys this app holds for it. In demo mode the
//! app holds every demo key (members' and borrowers'), so one window can act
//! in each role; the keys never leave this process.
use crate::error::{UiError, UiResult};
use credence_api::crypto::{Identity, PartyId};
use credence_api::demo::{DemoConsortium, DemoKeys};
use credence_api::ledger::types::Role;
use std::path::PathBuf;

pub struct Session {
    pub dir: PathBuf,
    /// The consortium and the keys the demo made (its member processes, if
    /// any, stop when this is dropped).
    pub demo: DemoConsortium,
    /// The agency answers open queries addressed to it after each question
    /// asked from this app (local demo only; the analyst view toggles it).
    /// Always off when connected to running nodes: the agency's node answers.
    pub auto_respond: bool,
}

impl Session {
    pub fn keys(&self) -> &DemoKeys {
        &self.demo.keys
    }
    pub fn net(&mut self) -> &mut dyn credence_api::node::Network {
        self.demo.network.as_mut()
    }
    pub fn view_net(&self) -> &dyn credence_api::node::Network {
        self.demo.network.as_ref()
    }
    pub fn first_of(&self, role: Role) -> Option<(&str, &Identity)> {
        self.demo
            .keys
            .members
            .iter()
            .find(|(_, r, _)| *r == role)
            .map(|(n, _, i)| (n.as_str(), i))
    }
    /// The agency whose key this app holds: it answers questions and reads
    /// what is sealed to the agency.
    pub fn agency(&self) -> UiResult<(&str, &Identity)> {
        self.first_of(Role::Agency).ok_or_else(|| {
            UiError::new(
                "not-found",
                "this app holds no agency key: open a consortium whose agency keystore it holds",
            )
        })
    }

    /// The member node whose ledger a light client (a borrower) reads.
    pub fn reader(&self) -> PartyId {
        self.first_of(Role::Regulator)
            .or_else(|| {
                self.demo
                    .keys
                    .members
                    .first()
                    .map(|(n, _, i)| (n.as_str(), i))
            })
            .map(|(_, i)| i.party_id())
            .expect("a consortium has members")
    }
    /// The address book: demo labels of the borrowers this app holds.
    pub fn book(&self) -> Vec<(String, PartyId)> {
        self.demo
            .keys
            .borrowers
            .iter()
            .map(|(l, i)| (l.clone(), i.party_id()))
            .collect()
    }
}
