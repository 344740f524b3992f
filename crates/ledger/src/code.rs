//! `ErrorCode`: the one set of stable codes a failure carries from where it
//! happens to whoever shows it: the ledger's refusal codes, the client API's
//! JSON (`{"error": {"code": …}}`), `NodeError`, `ApiError`, the CLI's JSON
//! and the desktop's `UiError`. Written as kebab-case text only at those
//! edges.
use crate::error::RejectCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The input was malformed; the message names the field or line.
    InvalidInput,
    WrongPassphrase,
    NotFound,
    /// The ledger's rules refused the entry.
    Rejected(RejectCode),
    /// No live consent covers what was asked.
    NoConsent,
    /// The caller cannot open or read what it asked for.
    NotPermitted,
    /// A proof did not verify.
    ProofFailed,
    Storage,
    Io,
    /// A member's node did not answer (not running, or the address is wrong);
    /// the message names the member, the address and what to do.
    Unreachable,
    /// Submitted, but not done in the time given; it may still complete (the
    /// message says how to look).
    Timeout,
    /// A node could not authenticate the request (bad or stale signature,
    /// wrong node addressed).
    Unauthenticated,
    /// A node does not know the signing key: neither a member nor an enrolled
    /// borrower of its consortium.
    NotAMember,
    /// A node saw this signed request already; sign a new one.
    Replayed,
    /// A node is at its limit of requests (for this caller or in all); retry
    /// shortly.
    Overloaded,
    /// A node is not the one the consortium profile names: another key,
    /// another consortium or another genesis. Nothing it says is used.
    WrongNode,
    /// The record's sealed content was erased (retention or a lawful
    /// request): it no longer opens for anyone.
    Erased,
    Internal,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid-input",
            ErrorCode::WrongPassphrase => "wrong-passphrase",
            ErrorCode::NotFound => "not-found",
            ErrorCode::Rejected(c) => c.as_str(),
            ErrorCode::NoConsent => "no-consent",
            ErrorCode::NotPermitted => "not-permitted",
            ErrorCode::ProofFailed => "proof-failed",
            ErrorCode::Storage => "storage",
            ErrorCode::Io => "io",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::NotAMember => "not-a-member",
            ErrorCode::Replayed => "replayed",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::WrongNode => "wrong-node",
            ErrorCode::Erased => "erased",
            ErrorCode::Internal => "internal",
        }
    }

    const PLAIN: [ErrorCode; 17] = [
        ErrorCode::InvalidInput,
        ErrorCode::WrongPassphrase,
        ErrorCode::NotFound,
        ErrorCode::NoConsent,
        ErrorCode::NotPermitted,
        ErrorCode::ProofFailed,
        ErrorCode::Storage,
        ErrorCode::Io,
        ErrorCode::Unreachable,
        ErrorCode::Timeout,
        ErrorCode::Unauthenticated,
        ErrorCode::NotAMember,
        ErrorCode::Replayed,
        ErrorCode::Overloaded,
        ErrorCode::WrongNode,
        ErrorCode::Erased,
        ErrorCode::Internal,
    ];

    /// The code a text names (as a node's JSON carries it); `None` for text
    /// no code has.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        Self::PLAIN
            .into_iter()
            .find(|c| c.as_str() == s)
            .or_else(|| RejectCode::parse(s).map(ErrorCode::Rejected))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ErrorCode::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_text() {
        for c in ErrorCode::PLAIN {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), c);
        }
        let r = ErrorCode::Rejected(RejectCode::BadProof);
        assert_eq!(ErrorCode::parse(r.as_str()), Some(r));
        assert_eq!(ErrorCode::parse("no-such-code"), None);
        assert!(serde_json::from_str::<ErrorCode>("\"no-such-code\"").is_err());
    }
}
