//! The one use-case surface of Credence. The desktop shell, the CLI and the
//! tests call this crate and nothing below it.
#![forbid(unsafe_code)]

pub mod actions;
pub mod asking;
pub mod borrower;
pub mod bundle;
pub mod dataset;
pub mod demo;
pub mod desk;
pub mod enrolment;
mod error;
pub mod export;
pub mod flood;
pub mod furnish;
pub mod history;
pub mod history_load;
pub mod home;
pub mod ingest_load;
pub mod light;
mod load;
pub mod member;
pub mod operator;
pub mod own;
pub mod profile;
pub mod question_load;
pub mod reads;
pub mod responder;
pub mod retention;
pub mod scoring;
pub mod session;
#[cfg(test)]
mod test_support;
pub mod verify;

mod surface;

pub use error::{ApiError, ErrorCode, Result};
pub use surface::*;

/// Parse a 32-byte id given in hex (records, queries, consents, subjects).
pub fn parse_id(what: &str, s: &str) -> Result<[u8; 32]> {
    let v = hex::decode(s.trim())
        .map_err(|_| ApiError::invalid(format!("{what} must be 64 hex digits")))?;
    v.try_into()
        .map_err(|_| ApiError::invalid(format!("{what} must be 64 hex digits (32 bytes)")))
}
