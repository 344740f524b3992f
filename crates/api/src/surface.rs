//! What front ends hold from the layers below, named once: keys and ids,
//! the question vocabulary, the ledger's entry vocabulary and its typed
//! reads over a read-only view, and the node's receipts and errors.
//!
//! Architecture invariant: nothing re-exported here writes the ledger, signs
//! a raw entry or runs consensus. A front end changes the ledger only through
//! this crate's use cases, which sign entries for the identity that holds the
//! key and submit them to a node, whose `apply_block` is the only writer.
use crate::error::Result;
use std::ops::Deref;
use std::path::Path;

pub use credence_crypto::keystore::KdfParams;
pub use credence_crypto::proof::{Opening, Predicate};
pub use credence_crypto::{Identity, PartyId, PublicIdentity, Secret};
pub use credence_ledger::clock::unix_now;
pub use credence_ledger::payload::{IncomePayload, Payload, ScorePayload, TradelinePayload};
pub use credence_ledger::predicate::{Inputs, PredicateKind, Unit};
pub use credence_ledger::read;
pub use credence_ledger::rules::MemberRow;
pub use credence_ledger::types::{
    tradeline, AllowedPredicates, ComplianceCode, DisputeReason, Id, ProposalStatus, Purpose,
    RecordKind, RecordStatus, Role,
};
pub use credence_node::{NodeError, Receipt};

/// A member's ledger file opened read only: every typed read in [`read`]
/// takes it, and nothing reached through it can write (SQLite refuses
/// writes on a read-only connection, and `Ledger`'s writers need `&mut`,
/// which this view never gives out).
pub struct LedgerView(credence_ledger::Ledger);

impl LedgerView {
    pub fn open(path: &Path) -> Result<Self> {
        Ok(LedgerView(credence_ledger::Ledger::open_read_only(path)?))
    }
}

impl Deref for LedgerView {
    type Target = credence_ledger::Ledger;
    fn deref(&self) -> &credence_ledger::Ledger {
        &self.0
    }
}
