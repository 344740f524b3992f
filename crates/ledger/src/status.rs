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
    /// Its sealed content was erased (retention or a lawful request); no
    /// answer uses it and nobody can open it.
    Erased,
}

impl RecordStatus {
    pub const ALL: [RecordStatus; 5] = [
        RecordStatus::Live,
        RecordStatus::Superseded,
        RecordStatus::Deleted,
        RecordStatus::Unusable,
        RecordStatus::Erased,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordStatus::Live => "live",
            RecordStatus::Superseded => "superseded",
            RecordStatus::Deleted => "deleted",
            RecordStatus::Unusable => "unusable",
            RecordStatus::Erased => "erased",
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

    /// Where a proposal stands after `yes` approving and `no` refusing votes
    /// of the `n` members in force: approved once 2/3 approve, refused once
    /// more than 1/3 refuse. The one tally, for the rules and the light
    /// client that replays them.
    pub fn tally(n: u64, yes: u64, no: u64) -> Self {
        if 3 * yes >= 2 * n {
            ProposalStatus::Approved
        } else if 3 * no > n {
            ProposalStatus::Refused
        } else {
            ProposalStatus::Open
        }
    }
}

#[cfg(test)]
mod tally_tests {
    use super::ProposalStatus::{self, *};

    #[test]
    fn two_thirds_approve_and_more_than_a_third_refuse() {
        let t = ProposalStatus::tally;
        assert_eq!(t(4, 2, 0), Open);
        assert_eq!(t(4, 3, 0), Approved);
        assert_eq!(t(4, 2, 1), Open);
        assert_eq!(t(4, 1, 2), Refused);
        assert_eq!(t(3, 2, 0), Approved);
        assert_eq!(t(3, 1, 1), Open);
        assert_eq!(t(3, 0, 2), Refused);
        assert_eq!(t(5, 3, 1), Open);
        assert_eq!(t(5, 4, 0), Approved);
        assert_eq!(t(1, 1, 0), Approved);
    }
}
