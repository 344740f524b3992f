//! Reading columns back strictly: a value the ledger never writes (an id of
//! the wrong length, an unknown role or kind, undecodable bytes) is an error,
//! never a default, so a damaged file cannot be read as something else.
use crate::types::{ComplianceCode, ProposalStatus, RecordKind, RecordStatus, Role};

#[derive(Debug)]
struct Unexpected(String);

impl std::fmt::Display for Unexpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unexpected {}

fn bad(ty: rusqlite::types::Type, why: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, ty, Box::new(Unexpected(why)))
}

/// A 32-byte id or key.
pub(crate) fn id32(v: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    bytes(v)
}

/// A stored id or key of exactly N bytes.
pub(crate) fn bytes<const N: usize>(v: Vec<u8>) -> rusqlite::Result<[u8; N]> {
    let n = v.len();
    v.try_into().map_err(|_| {
        bad(
            rusqlite::types::Type::Blob,
            format!("a stored id or key has {n} bytes, not {N}"),
        )
    })
}

pub(crate) fn role(s: &str) -> rusqlite::Result<Role> {
    Role::parse(s).ok_or_else(|| {
        bad(
            rusqlite::types::Type::Text,
            format!("a stored role is {s:?}, which no member has"),
        )
    })
}

pub(crate) fn record_status(s: &str) -> rusqlite::Result<RecordStatus> {
    RecordStatus::parse(s).ok_or_else(|| {
        bad(
            rusqlite::types::Type::Text,
            format!("a stored record status is {s:?}"),
        )
    })
}

pub(crate) fn compliance(s: Option<String>) -> rusqlite::Result<Option<ComplianceCode>> {
    s.map(|s| {
        ComplianceCode::parse(&s).ok_or_else(|| {
            bad(
                rusqlite::types::Type::Text,
                format!("a stored compliance code is {s:?}"),
            )
        })
    })
    .transpose()
}

pub(crate) fn proposal_status(s: &str) -> rusqlite::Result<ProposalStatus> {
    ProposalStatus::parse(s).ok_or_else(|| {
        bad(
            rusqlite::types::Type::Text,
            format!("a stored proposal status is {s:?}"),
        )
    })
}

pub(crate) fn kind(s: &str) -> rusqlite::Result<RecordKind> {
    match s {
        "tradeline" => Ok(RecordKind::Tradeline),
        "income" => Ok(RecordKind::Income),
        _ => Err(bad(
            rusqlite::types::Type::Text,
            format!("a stored record kind is {s:?}"),
        )),
    }
}

/// Canonical postcard bytes of `T`.
pub(crate) fn decoded<T: serde::de::DeserializeOwned + serde::Serialize>(
    what: &'static str,
    bytes: &[u8],
) -> rusqlite::Result<T> {
    crate::encode::from_bytes(what, bytes)
        .map_err(|e| bad(rusqlite::types::Type::Blob, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_values_are_errors_not_defaults() {
        assert!(id32(vec![1; 31]).is_err());
        assert_eq!(id32(vec![1; 32]).unwrap(), [1; 32]);
        assert!(role("admin").is_err());
        assert_eq!(role("agency").unwrap(), Role::Agency);
        assert!(kind("score").is_err());
        assert_eq!(kind("income").unwrap(), RecordKind::Income);
        assert!(decoded::<Vec<u8>>("x", &[0xff, 0xff]).is_err());
    }
}
