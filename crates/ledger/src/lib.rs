//! The consortium ledger: domain types, canonical encoding, the validation
//! rules, the SQLite store and chain verification. Knows nothing of networking.
#![forbid(unsafe_code)]

pub mod clock;
mod code;
mod column;
pub mod encode;
mod error;
pub mod merkle;
pub mod payload;
pub mod predicate;
pub mod read;
pub mod rules;
mod schema;
mod status;
pub mod store;
pub mod types;
pub mod verify;
pub mod wal;

pub use code::ErrorCode;
pub use error::{LedgerError, RejectCode, Rejection};
pub use store::{Applied, Head, Ledger};
pub use types::*;
