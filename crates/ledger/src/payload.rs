//! What sealed payloads contain. Only recipients ever see these, in memory;
//! they are never written to the database or to logs.
use credence_crypto::proof::{commitment_of, Commitment, Opening};
use serde::{Deserialize, Serialize};

/// A Metro 2-like account update. `amounts` are the openings of the record's
/// commitments, in `types::tradeline` order (balance, credit limit, amount past
/// due, scheduled payment, days past due, serious-delinquency flag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradelinePayload {
    /// Metro 2 account type: "instalment", "revolving", "mortgage", "open".
    pub account_type: String,
    /// Metro 2 portfolio type code: I, R, M, O.
    pub portfolio_type: String,
    /// Metro 2 account status: 11 current, 71/78/80/82/83/84 = 30…180+ days
    /// past due, 13 paid, 93 collection, 97 charge-off.
    pub account_status: String,
    pub date_opened: String,
    pub date_of_account_information: String,
    pub date_of_first_delinquency: Option<String>,
    /// 24 months, newest first: 0 current, 1–4 = 30…120+ days late, B no history.
    pub payment_history: String,
    /// Furnisher's own descriptive attributes (purpose, collateral, …).
    pub attributes: Vec<(String, String)>,
    pub amounts: Vec<Opening>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomePayload {
    /// How the income was established ("derived from instalment rate", "payslip", …).
    pub source: String,
    pub monthly_income: Opening,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorePayload {
    pub model: String,
    pub period: u32,
    pub score: Opening,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    Tradeline(TradelinePayload),
    Income(IncomePayload),
    Score(ScorePayload),
}

impl Payload {
    pub fn encode(&self) -> Vec<u8> {
        crate::encode::to_bytes(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::LedgerError> {
        crate::encode::from_bytes("sealed payload", bytes)
    }

    /// The openings this payload gives, in the order of its record's
    /// commitments.
    pub fn openings(&self) -> Vec<&Opening> {
        match self {
            Payload::Tradeline(t) => t.amounts.iter().collect(),
            Payload::Income(i) => vec![&i.monthly_income],
            Payload::Score(s) => vec![&s.score],
        }
    }

    /// Check that the payload opens exactly `commitments` (one opening per
    /// commitment, each opening to it). A furnisher can seal anything, and no
    /// other member can see inside: every reader checks before using a value.
    pub fn check_openings(&self, commitments: &[Commitment]) -> Result<(), SealMismatch> {
        let openings = self.openings();
        if openings.len() != commitments.len() {
            return Err(SealMismatch::Count {
                sealed: openings.len(),
                committed: commitments.len(),
            });
        }
        for (i, (o, c)) in openings.iter().zip(commitments).enumerate() {
            match commitment_of(o) {
                Ok(x) if x == *c => {}
                _ => return Err(SealMismatch::Value { index: i }),
            }
        }
        Ok(())
    }
}

/// How a sealed payload fails to open its record's commitments.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealMismatch {
    #[error("the sealed content gives {sealed} values for {committed} commitments")]
    Count { sealed: usize, committed: usize },
    #[error("sealed value {index} does not open the record's commitment {index}")]
    Value { index: usize },
}
