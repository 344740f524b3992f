use thiserror::Error;

/// Why the rules refused an entry: a stable code for programs to match on, and
/// a sentence for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectCode {
    BadSignature,
    UnknownMember,
    WrongRole,
    UnknownSubject,
    AlreadyExists,
    UnknownRecord,
    NoLiveConsent,
    PredicateNotAllowed,
    BadPredicate,
    BadProof,
    StaleInputs,
    UnknownQuery,
    AlreadyAnswered,
    BadSeal,
    NotSupported,
    Malformed,
    UnknownDispute,
    /// The subject froze their file: no new question about them.
    Frozen,
    /// The record is within the retention the genesis policy sets, and no
    /// lawful request covers it.
    Retained,
}

impl RejectCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectCode::BadSignature => "bad-signature",
            RejectCode::UnknownMember => "unknown-member",
            RejectCode::WrongRole => "wrong-role",
            RejectCode::UnknownSubject => "unknown-subject",
            RejectCode::AlreadyExists => "already-exists",
            RejectCode::UnknownRecord => "unknown-record",
            RejectCode::NoLiveConsent => "no-live-consent",
            RejectCode::PredicateNotAllowed => "predicate-not-allowed",
            RejectCode::BadPredicate => "bad-predicate",
            RejectCode::BadProof => "bad-proof",
            RejectCode::StaleInputs => "stale-inputs",
            RejectCode::UnknownQuery => "unknown-query",
            RejectCode::AlreadyAnswered => "already-answered",
            RejectCode::BadSeal => "bad-seal",
            RejectCode::NotSupported => "not-supported",
            RejectCode::Malformed => "malformed",
            RejectCode::UnknownDispute => "unknown-dispute",
            RejectCode::Frozen => "frozen",
            RejectCode::Retained => "retained",
        }
    }
}

impl RejectCode {
    pub const ALL: [RejectCode; 19] = [
        RejectCode::BadSignature,
        RejectCode::UnknownMember,
        RejectCode::WrongRole,
        RejectCode::UnknownSubject,
        RejectCode::AlreadyExists,
        RejectCode::UnknownRecord,
        RejectCode::NoLiveConsent,
        RejectCode::PredicateNotAllowed,
        RejectCode::BadPredicate,
        RejectCode::BadProof,
        RejectCode::StaleInputs,
        RejectCode::UnknownQuery,
        RejectCode::AlreadyAnswered,
        RejectCode::BadSeal,
        RejectCode::NotSupported,
        RejectCode::Malformed,
        RejectCode::UnknownDispute,
        RejectCode::Frozen,
        RejectCode::Retained,
    ];
    pub fn parse(s: &str) -> Option<RejectCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for RejectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry the rules refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    pub code: RejectCode,
    pub message: String,
}

impl Rejection {
    pub fn new(code: RejectCode, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LedgerError {
    #[error("block {height}, entry {index} ({kind}) rejected: {rejection}")]
    InvalidEntry {
        height: u64,
        index: usize,
        kind: &'static str,
        rejection: Rejection,
    },
    #[error("block {height} rejected: {why}")]
    InvalidBlock { height: u64, why: String },
    #[error("block {height} conflicts with the stored block at that height (a different hash)")]
    Conflict { height: u64 },
    #[error("cannot decode {what}: {why}")]
    Decode { what: &'static str, why: String },
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    #[error("ledger database is at schema version {found}, newer than this program's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("ledger database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("rejected: {0}")]
    Rejected(Rejection),
    #[error("{0} not found")]
    NotFound(String),
    /// SQLite's integrity check found damage.
    #[error("SQLite's integrity check failed: {0}")]
    Corrupt(String),
    /// The file opens but holds no ledger.
    #[error("{0}")]
    NotALedger(String),
    #[error("{0}")]
    Io(String),
}
