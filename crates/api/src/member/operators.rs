//! `credence node operator add|remove|list`: the people on a member's staff,
//! each with their own key, registered at the member's node. Changing the
//! registry takes the member's keystore (its passphrase): the file is signed
//! by the member's key, and the node registers nobody from a file that does
//! not verify. The running node picks a change up at the next request.
use super::read_info;
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::{check_name, Home};
use credence_crypto::{PartyId, PublicIdentity, Secret};
use credence_ledger::clock::unix_now;
use credence_node::operators::{Operator, OperatorsFile};
use std::path::Path;

pub use credence_node::operators::{Operator as OperatorEntry, OperatorRole};

fn invalid(e: credence_node::operators::OperatorError) -> ApiError {
    ApiError::invalid(e.to_string())
}

/// A person's public identity, as `credence id show --json` prints it
/// (`sign_key`, `enc_key`, and `party`, which must match them).
pub fn read_public_identity(path: &Path) -> Result<PublicIdentity> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ApiError::not_found(format!("cannot read the key file {}: {e}", path.display()))
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        ApiError::invalid(format!(
            "the key file {} is not JSON (make it with `credence id show --json`): {e}",
            path.display()
        ))
    })?;
    let key = |k: &str| -> Result<[u8; 32]> {
        v[k].as_str()
            .and_then(|s| hex::decode(s).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "the key file {} has no 64-hex-digit {k}",
                    path.display()
                ))
            })
    };
    let public = PublicIdentity {
        sign: key("sign_key")?,
        enc: key("enc_key")?,
    };
    if let Some(p) = v["party"].as_str() {
        if p != public.party_id().to_hex() {
            return Err(ApiError::invalid(format!(
                "the key file {}: its party does not match its sign_key",
                path.display()
            )));
        }
    }
    Ok(public)
}

/// The registry as the node reads it: verified against the member's key.
pub fn list(home: &Home) -> Result<Vec<Operator>> {
    let member = read_info(home)?.public()?;
    match OperatorsFile::read(&home.dir).map_err(invalid)? {
        None => Ok(Vec::new()),
        Some(f) => {
            f.verify(&member).map_err(|e| {
                ApiError::new(
                    ErrorCode::Rejected(credence_ledger::RejectCode::BadSignature),
                    format!("{e}; re-add each operator to sign it again"),
                )
            })?;
            Ok(f.operators)
        }
    }
}

/// Register `key` as an operator of the member in `home`, in `role`.
pub fn add(
    home: &Home,
    passphrase: &Secret<String>,
    key: PublicIdentity,
    name: &str,
    role: OperatorRole,
) -> Result<Operator> {
    check_name(name)?;
    let member = home.unlock(passphrase)?.identity;
    let mut ops = list(home).or_else(|e| match e.code {
        // A file that no longer verifies is replaced by what the member signs now.
        ErrorCode::Rejected(_) => Ok(Vec::new()),
        _ => Err(e),
    })?;
    let party = key.party_id();
    if ops.iter().any(|o| o.party().ok() == Some(party)) {
        return Err(ApiError::invalid(format!(
            "{} is already an operator; remove it first to change its role",
            party.short()
        )));
    }
    if ops.iter().any(|o| o.name == name) {
        return Err(ApiError::invalid(format!(
            "an operator is already named {name}"
        )));
    }
    let op = Operator {
        name: name.into(),
        role,
        sign_key: hex::encode(key.sign),
        enc_key: hex::encode(key.enc),
        added_at: unix_now(),
        party: None,
        retired: Vec::new(),
    };
    ops.push(op.clone());
    OperatorsFile::sign(&member, ops)
        .map_err(invalid)?
        .write(&home.dir)
        .map_err(invalid)?;
    Ok(op)
}

/// Remove the operator whose key has party id `party`.
pub fn remove(home: &Home, passphrase: &Secret<String>, party: &PartyId) -> Result<Operator> {
    let member = home.unlock(passphrase)?.identity;
    let mut ops = list(home)?;
    let i = ops
        .iter()
        .position(|o| o.party().ok() == Some(*party))
        .ok_or_else(|| {
            ApiError::not_found(format!("{} is not an operator of this node", party.short()))
        })?;
    let gone = ops.remove(i);
    OperatorsFile::sign(&member, ops)
        .map_err(invalid)?
        .write(&home.dir)
        .map_err(invalid)?;
    Ok(gone)
}
