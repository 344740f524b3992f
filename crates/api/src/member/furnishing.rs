//! A lender's node furnishing for its officers (`POST
//! /v1/operator/furnish`): the rows an officer sends are sealed, proven and
//! submitted as the member, by the same use case as `credence furnish`, with
//! the member's own journal, so a row is never furnished twice whoever sends
//! it.
use crate::error::ApiError;
use crate::furnish;
use crate::surface::LedgerView;
use credence_crypto::Identity;
use credence_ledger::ErrorCode;
use credence_node::client::NodeClient;
use credence_node::client_api::{Furnisher, MAX_FURNISH_ROWS};
use serde_json::Value;
use std::path::PathBuf;

pub struct OfficerFurnishing {
    /// The member's home (its journal, `furnished/`, and its ledger).
    pub home: PathBuf,
    pub identity: Identity,
    /// The member's own node, as the member.
    pub client: NodeClient,
}

impl Furnisher for OfficerFurnishing {
    fn furnish(
        &self,
        csv: &str,
        skip_bad: bool,
        check_only: bool,
    ) -> Result<Value, (ErrorCode, String)> {
        let out = |e: ApiError| (e.code, e.message);
        let (rows, bad) = furnish::parse(csv).map_err(|e| {
            (
                ErrorCode::InvalidInput,
                format!("{e}; nothing was submitted"),
            )
        })?;
        if rows.len() + bad.len() > MAX_FURNISH_ROWS {
            return Err((
                ErrorCode::InvalidInput,
                format!("at most {MAX_FURNISH_ROWS} rows per request"),
            ));
        }
        let view = LedgerView::open(&crate::home::Home::new(&self.home).ledger()).map_err(out)?;
        furnish::furnish(
            &self.home,
            &self.identity,
            &mut furnish::node_sink(&self.client),
            &view,
            rows,
            bad,
            skip_bad,
            check_only,
            |_, _| {},
        )
        .map(|r| r.to_json())
        .map_err(out)
    }
}
