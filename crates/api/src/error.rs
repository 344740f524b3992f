use credence_crypto::CryptoError;
use credence_ledger::{LedgerError, RejectCode, Rejection};
use credence_node::NodeError;
use std::sync::Arc;

/// Stable codes for front ends to match on (the desktop UI, the CLI's JSON):
/// the one `ErrorCode`, from the ledger up.
pub use credence_ledger::ErrorCode;

/// The error an `ApiError` came from, kept for `source()` chains.
type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Every failure of the API: a code, a sentence that says what to do, and
/// the lower layer's error it came from. Messages never carry secrets or raw
/// credit values (and neither do the lower layers' errors).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    cause: Option<Cause>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The source is the lower layer's error itself (not the `Arc` around it),
/// so callers can downcast it.
impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// Two errors are equal when they say the same thing; their causes are
/// detail.
impl PartialEq for ApiError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.message == other.message
    }
}
impl Eq for ApiError {}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            cause: None,
        }
    }
    /// The same error, remembering what caused it.
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
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
        let message = format!("refused by the ledger rules ({}): {}", r.code, r.message);
        ApiError::new(code, message).caused_by(r)
    }
}

impl From<CryptoError> for ApiError {
    fn from(e: CryptoError) -> Self {
        let code = match &e {
            CryptoError::WrongPassphrase => ErrorCode::WrongPassphrase,
            CryptoError::NotARecipient => ErrorCode::NotPermitted,
            CryptoError::Erased => ErrorCode::Erased,
            CryptoError::ThresholdOutOfRange { .. } | CryptoError::Malformed { .. } => {
                ErrorCode::InvalidInput
            }
            CryptoError::ProofRejected(_) => ErrorCode::ProofFailed,
            CryptoError::Keystore(_) => ErrorCode::Io,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string()).caused_by(e)
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Rejected(r) => r.into(),
            LedgerError::NotFound(ref what) => {
                ApiError::not_found(format!("{what} not found")).caused_by(e)
            }
            e => ApiError::new(ErrorCode::Storage, e.to_string()).caused_by(e),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Ledger(l) => l.into(),
            NodeError::Rejected(r) => r.into(),
            NodeError::UnknownMember(ref m) => {
                ApiError::not_found(format!("no member named {m}")).caused_by(e)
            }
            NodeError::Api {
                code, ref message, ..
            } => {
                ApiError::new(code, format!("the node refused the request: {message}")).caused_by(e)
            }
            NodeError::WrongCertificate(_) => {
                ApiError::new(ErrorCode::WrongNode, e.to_string()).caused_by(e)
            }
            NodeError::Unreachable(_) | NodeError::NotFinal(_) => {
                ApiError::new(ErrorCode::Unreachable, e.to_string()).caused_by(e)
            }
            e => ApiError::new(ErrorCode::Internal, e.to_string()).caused_by(e),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::new(ErrorCode::Io, e.to_string()).caused_by(e)
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_lower_layers_error_is_kept_as_the_source() {
        let e = ApiError::from(NodeError::Api {
            status: 503,
            code: ErrorCode::Overloaded,
            message: "the node is serving its maximum of requests".into(),
        });
        assert_eq!(e.code, ErrorCode::Overloaded);
        let src = e.source().expect("the node's error is kept");
        assert!(matches!(
            src.downcast_ref::<NodeError>(),
            Some(NodeError::Api { status: 503, .. })
        ));
        let e = ApiError::from(LedgerError::Rejected(Rejection {
            code: RejectCode::BadProof,
            message: "the proof does not verify".into(),
        }));
        assert_eq!(e.code, ErrorCode::Rejected(RejectCode::BadProof));
        assert!(e.source().unwrap().downcast_ref::<Rejection>().is_some());
        assert!(ApiError::invalid("no").source().is_none());
    }
}
