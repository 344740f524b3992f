use thiserror::Error;

/// Every failure of this crate. Messages name what was wrong and never carry
/// secret material.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("signature does not verify for {what}")]
    BadSignature { what: &'static str },
    #[error("malformed {what}: {why}")]
    Malformed { what: &'static str, why: String },
    #[error("this identity is not a recipient of the sealed record")]
    NotARecipient,
    #[error("sealed record failed authentication (tampered or wrong key)")]
    OpenFailed,
    #[error("the sealed record's content was erased (only its digest is kept)")]
    Erased,
    #[error("wrong passphrase, or the keystore file was altered")]
    WrongPassphrase,
    #[error("keystore: {0}")]
    Keystore(String),
    #[error("value {value} is outside the range [0, 2^{bits})")]
    OutOfRange { value: i128, bits: usize },
    #[error("{what} must be in [0, 2^{bits}), got {value}")]
    ThresholdOutOfRange {
        what: &'static str,
        value: u64,
        bits: usize,
    },
    #[error("range proof does not verify: {0}")]
    ProofRejected(String),
    #[error("predicate inputs do not match: {0}")]
    InputMismatch(String),
    #[error("age export failed: {0}")]
    Age(String),
}
