use credence_crypto::CryptoError;
use credence_ledger::{LedgerError, RejectCode, Rejection};
use credence_node::NodeError;

/// Stable codes for front ends to match on (the desktop UI, the CLI's JSON):
/// the one `ErrorCode`, from the ledger up.
pub use credence_ledger::ErrorCode;

/// Every failure of the API: a code and a sentence that says what to do.
/// Messages never carry secrets or raw credit values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let code = match r.code {
            RejectCode::NoLiveConsent | RejectCode::PredicateNotAllowed => ErrorCode::NoConsent,
            c => ErrorCode::Rejected(c),
        };
        ApiError::new(
            code,
            format!("refused by the ledger rules ({}): {}", r.code, r.message),
        )
    }
}

impl From<CryptoError> for ApiError {
    fn from(e: CryptoError) -> Self {
        let code = match &e {
            CryptoError::WrongPassphrase => ErrorCode::WrongPassphrase,
            CryptoError::NotARecipient => ErrorCode::NotPermitted,
            CryptoError::ThresholdOutOfRange { .. } | CryptoError::Malformed { .. } => {
                ErrorCode::InvalidInput
            }
            CryptoError::ProofRejected(_) => ErrorCode::ProofFailed,
            CryptoError::Keystore(_) => ErrorCode::Io,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Rejected(r) => r.into(),
            LedgerError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            e => ApiError::new(ErrorCode::Storage, e.to_string()),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Ledger(l) => l.into(),
            NodeError::Rejected(r) => r.into(),
            NodeError::UnknownMember(m) => ApiError::not_found(format!("no member named {m}")),
            NodeError::Api { code, message, .. } => {
                ApiError::new(code, format!("the node refused the request: {message}"))
            }
            NodeError::Unreachable(_) | NodeError::NotFinal(_) => {
                ApiError::new(ErrorCode::Unreachable, e.to_string())
            }
            e => ApiError::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::new(ErrorCode::Io, e.to_string())
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;
