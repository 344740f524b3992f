//! The one error shape the web view sees: a stable code to match on and a
//! sentence that says what to do. Codes are `credence_api::ErrorCode`'s, plus
//! the shell's own ("no-session", "busy", "bad-request").
use credence_api::{ApiError, ErrorCode};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UiError {
    pub code: String,
    pub message: String,
}

impl UiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        UiError {
            code: code.to_string(),
            message: message.into(),
        }
    }
    pub fn no_session() -> Self {
        UiError::new(
            "no-session",
            "no consortium is open: start or open the demo consortium first",
        )
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        UiError::new("invalid-input", message)
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        let message = match e.code {
            ErrorCode::NoConsent => e.message,
            ErrorCode::NotAMember => format!(
                "{} — the node does not know your key: a borrower is enrolled by their lender, a \
                 member's staff registered by their member (or check that you opened the right \
                 consortium)",
                e.message
            ),
            ErrorCode::Storage | ErrorCode::Io => format!(
                "{} — check that the consortium folder exists and is writable, then try again",
                e.message
            ),
            ErrorCode::Internal => format!("{} — this is a bug; please report it", e.message),
            ErrorCode::Overloaded => {
                format!("{} — the node is busy; wait a moment and try again", e.message)
            }
            ErrorCode::WrongNode => format!(
                "{} — nothing was sent to it; check the consortium profile and the address",
                e.message
            ),
            ErrorCode::Replayed | ErrorCode::Unauthenticated => format!(
                "{} — check this computer's clock, then try again (a new request is signed each time)",
                e.message
            ),
            _ => e.message,
        };
        UiError {
            code: e.code.as_str().to_string(),
            message,
        }
    }
}

pub type UiResult<T> = Result<T, UiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_codes_pass_through() {
        let e: UiError = ApiError::new(ErrorCode::WrongPassphrase, "wrong passphrase").into();
        assert_eq!(e.code, "wrong-passphrase");
        let e: UiError = ApiError::new(ErrorCode::NoConsent, "ask them").into();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("no-consent", "ask them")
        );
        let e: UiError = ApiError::new(ErrorCode::Io, "disk").into();
        assert!(e.message.contains("writable"));
        let e: UiError =
            ApiError::from(credence_api::NodeError::Unreachable("127.0.0.1:9".into())).into();
        assert_eq!(e.code, "unreachable");
        assert!(e.message.contains("127.0.0.1:9"));
    }

    #[test]
    fn a_nodes_refusal_keeps_its_code_and_says_what_to_do() {
        let e = credence_api::NodeError::Api {
            status: 403,
            code: ErrorCode::NotAMember,
            message: "this key is neither a member nor an enrolled borrower".into(),
        };
        let u = UiError::from(ApiError::from(e));
        assert_eq!(u.code, "not-a-member");
        assert!(
            u.message.contains("enrolled by their lender"),
            "{}",
            u.message
        );
        assert!(!u.message.contains("bug"), "{}", u.message);
        let e = credence_api::NodeError::Api {
            status: 503,
            code: ErrorCode::Overloaded,
            message: "the node is serving its maximum of requests".into(),
        };
        assert_eq!(UiError::from(ApiError::from(e)).code, "overloaded");
    }
}
