//! Where things stand: a record's status and compliance code, a membership
//! proposal's status. Stored as text in SQLite (written and parsed only
//! here and in `column`); enums everywhere else.
use serde::{Deserialize, Serialize};

/// Where a record stands. Stored as text in SQLite; an enum everywhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordStatus {
    /// In force: answers use it.
    Live,
    /// Replaced by a correction from its furnisher.
    Superseded,
    /// Removed after a dispute was decided for the borrower.
    Deleted,
    /// Judged unusable by the regulator (its sealed content does not open
    /// its commitments); no answer uses it.
    Unusable,
}

impl RecordStatus {
    pub const ALL: [RecordStatus; 4] = [
        RecordStatus::Live,
        RecordStatus::Superseded,
        RecordStatus::Deleted,
        RecordStatus::Unusable,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordStatus::Live => "live",
            RecordStatus::Superseded => "superseded",
            RecordStatus::Deleted => "deleted",
            RecordStatus::Unusable => "unusable",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for RecordStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record's Metro 2 compliance condition code, set by the dispute rules.
/// Stored and shown as the code itself ("XB", "XH").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComplianceCode {
    /// XB: the borrower disputes the account; under investigation.
    #[serde(rename = "XB")]
    Disputed,
    /// XH: the dispute is resolved and the borrower disagrees with the result.
    #[serde(rename = "XH")]
    DisputeResolved,
}

impl ComplianceCode {
    pub const ALL: [ComplianceCode; 2] =
        [ComplianceCode::Disputed, ComplianceCode::DisputeResolved];
    pub fn as_str(&self) -> &'static str {
        match self {
            ComplianceCode::Disputed => "XB",
            ComplianceCode::DisputeResolved => "XH",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for ComplianceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a membership proposal stands. Stored as text; an enum elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProposalStatus {
    /// Votes are still being cast.
    Open,
    /// 2/3 of the members in force approved it; it takes effect at its epoch.
    Approved,
    /// More than 1/3 refused it.
    Refused,
}

impl std::fmt::Display for ProposalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ProposalStatus {
    pub const ALL: [ProposalStatus; 3] = [
        ProposalStatus::Open,
        ProposalStatus::Approved,
        ProposalStatus::Refused,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Approved => "approved",
            ProposalStatus::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}
