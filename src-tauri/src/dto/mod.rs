//! What crosses into the web view: plain data, ids as hex, amounts as
//! integers (cents). Never keys, openings (blinding factors) or passphrases.
use crate::error::{UiError, UiResult};
use credence_api::desk::{
    self, alarms::Alarm, analyst::Portfolio, regulator, ConsentRow, QueryOutcome, QueryStatus,
    RecordRow,
};
use credence_api::read::{AccessEvent, QueryInfo};
use credence_api::MemberRow;
use credence_api::PartyId;
use credence_api::Payload;
use credence_api::Predicate;
use credence_api::PredicateKind;
use credence_api::{tradeline, AllowedPredicates, Id};
use serde::{Deserialize, Serialize};

mod oversight;
mod own;
mod screens;
#[cfg(test)]
mod typescript;
pub use oversight::*;
pub use own::*;
pub use screens::*;

pub fn hex_id(id: &Id) -> String {
    hex::encode(id)
}

pub fn parse_id(what: &str, s: &str) -> UiResult<Id> {
    credence_api::parse_id(what, s).map_err(UiError::from)
}

pub fn parse_party(what: &str, s: &str) -> UiResult<PartyId> {
    parse_id(what, s).map(PartyId)
}

#[derive(Serialize, Clone, Debug)]
pub struct MemberDto {
    pub name: String,
    pub role: String,
    pub party: String,
}

impl From<&MemberRow> for MemberDto {
    fn from(m: &MemberRow) -> Self {
        MemberDto {
            name: m.name.clone(),
            role: m.role.as_str().to_string(),
            party: m.party.to_hex(),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct BorrowerDto {
    pub subject: String,
    pub label: Option<String>,
    pub records: usize,
    pub live_consents_to_me: usize,
}

impl From<desk::BorrowerRow> for BorrowerDto {
    fn from(b: desk::BorrowerRow) -> Self {
        BorrowerDto {
            subject: b.subject.to_hex(),
            label: b.label,
            records: b.records,
            live_consents_to_me: b.live_consents_to_me,
        }
    }
}

pub fn predicate_kind_names(p: &AllowedPredicates) -> Vec<String> {
    match p.kinds() {
        None => vec!["any".into()],
        Some(kinds) => kinds.iter().map(|k| k.name().to_string()).collect(),
    }
}

pub fn allowed_from_names(names: &[String]) -> UiResult<AllowedPredicates> {
    if names.iter().any(|n| n == "any") {
        return Ok(AllowedPredicates::Any);
    }
    let kinds = names
        .iter()
        .map(|n| {
            PredicateKind::from_name(n)
                .ok_or_else(|| UiError::bad_request(format!("unknown question kind \"{n}\"")))
        })
        .collect::<UiResult<Vec<_>>>()?;
    Ok(AllowedPredicates::only(&kinds))
}

#[derive(Serialize, Clone, Debug)]
pub struct ConsentDto {
    pub consent_id: String,
    pub grantee: String,
    pub grantee_name: String,
    pub purpose: String,
    pub predicates: Vec<String>,
    pub expires_at: u64,
    pub granted_at: u64,
    pub revoked_at: Option<u64>,
    pub explicit: bool,
    pub live: bool,
}

impl From<ConsentRow> for ConsentDto {
    fn from(c: ConsentRow) -> Self {
        ConsentDto {
            consent_id: hex_id(&c.info.consent.consent_id),
            grantee: c.info.consent.grantee.to_hex(),
            grantee_name: c.grantee_name,
            purpose: c.info.consent.purpose.as_str().to_string(),
            predicates: predicate_kind_names(&c.info.consent.predicates),
            expires_at: c.info.consent.expires_at,
            granted_at: c.info.granted_at,
            revoked_at: c.info.revoked_at,
            explicit: c.info.consent.explicit,
            live: c.live,
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct RecordDto {
    pub record_id: String,
    pub subject: String,
    pub furnisher: String,
    pub furnisher_name: String,
    pub kind: String,
    pub status: String,
    pub compliance: Option<String>,
    pub corrects: Option<String>,
    pub height: u64,
    pub at: u64,
}

impl From<RecordRow> for RecordDto {
    fn from(r: RecordRow) -> Self {
        RecordDto {
            record_id: hex_id(&r.info.record_id),
            subject: r.info.subject.to_hex(),
            furnisher: r.info.furnisher.to_hex(),
            furnisher_name: r.furnisher_name,
            kind: r.info.kind.as_str().to_string(),
            status: r.info.status.as_str().to_string(),
            compliance: r.info.compliance.map(|c| c.as_str().to_string()),
            corrects: r.info.corrects.as_ref().map(hex_id),
            height: r.info.height,
            at: r.info.at,
        }
    }
}

/// A record's fields, for its reader. Amounts are the committed values only
/// (the blinding factors stay in Rust).
#[derive(Serialize, Clone, Debug, Default)]
pub struct PayloadDto {
    pub kind: String,
    pub account_type: Option<String>,
    pub account_status: Option<String>,
    pub date_opened: Option<String>,
    pub date_of_account_information: Option<String>,
    pub date_of_first_delinquency: Option<String>,
    pub payment_history: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub balance: Option<u64>,
    pub credit_limit: Option<u64>,
    pub past_due: Option<u64>,
    pub scheduled_payment: Option<u64>,
    pub days_past_due: Option<u64>,
    pub serious_delinquency: Option<bool>,
    pub monthly_income: Option<u64>,
    pub source: Option<String>,
}

impl From<&Payload> for PayloadDto {
    fn from(p: &Payload) -> Self {
        match p {
            Payload::Tradeline(t) => {
                let v = |i: usize| t.amounts.get(i).map(|o| o.value);
                PayloadDto {
                    kind: "tradeline".into(),
                    account_type: Some(t.account_type.clone()),
                    account_status: Some(t.account_status.clone()),
                    date_opened: Some(t.date_opened.clone()),
                    date_of_account_information: Some(t.date_of_account_information.clone()),
                    date_of_first_delinquency: t.date_of_first_delinquency.clone(),
                    payment_history: Some(t.payment_history.clone()),
                    attributes: t.attributes.clone(),
                    balance: v(tradeline::BALANCE),
                    credit_limit: v(tradeline::CREDIT_LIMIT),
                    past_due: v(tradeline::PAST_DUE),
                    scheduled_payment: v(tradeline::SCHEDULED_PAYMENT),
                    days_past_due: v(tradeline::DAYS_PAST_DUE),
                    serious_delinquency: v(tradeline::SERIOUS_DELINQUENCY).map(|x| x > 0),
                    ..Default::default()
                }
            }
            Payload::Income(i) => PayloadDto {
                kind: "income".into(),
                monthly_income: Some(i.monthly_income.value),
                source: Some(i.source.clone()),
                ..Default::default()
            },
            Payload::Score(_) => PayloadDto {
                kind: "score".into(),
                ..Default::default()
            },
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct QueryDto {
    pub query_id: String,
    pub requester: String,
    pub requester_name: String,
    pub subject: String,
    pub consent_id: String,
    pub purpose: String,
    pub predicate: String,
    pub responder: String,
    pub asked_at: u64,
    pub answered_at: Option<u64>,
    pub holds: Option<bool>,
}

pub fn query_dto(q: &QueryInfo, requester_name: String) -> QueryDto {
    QueryDto {
        query_id: hex_id(&q.query_id),
        requester: q.requester.to_hex(),
        requester_name,
        subject: q.subject.to_hex(),
        consent_id: hex_id(&q.consent_id),
        purpose: q.purpose.clone(),
        predicate: q.predicate.clone(),
        responder: q.responder.to_hex(),
        asked_at: q.asked_at,
        answered_at: q.answered_at,
        holds: q.holds,
    }
}

/// The answer a bank officer sees.
#[derive(Serialize, Clone, Debug)]
pub struct AskResultDto {
    pub query_id: String,
    pub predicate: String,
    pub purpose: String,
    pub consent_id: String,
    pub responder_name: String,
    /// "answered" (with `holds` and `verified`) or "pending".
    pub status: String,
    pub holds: Option<bool>,
    pub verified: bool,
    pub elapsed_ms: u64,
}

pub fn ask_result(o: &QueryOutcome, elapsed_ms: u64) -> AskResultDto {
    let (status, holds, verified) = match o.status {
        QueryStatus::Pending => ("pending", None, false),
        QueryStatus::Answered { holds, verified } => ("answered", Some(holds), verified),
    };
    AskResultDto {
        query_id: hex_id(&o.query.query_id),
        predicate: o.query.predicate.clone(),
        purpose: o.query.purpose.clone(),
        consent_id: hex_id(&o.query.consent_id),
        responder_name: o.responder_name.clone(),
        status: status.into(),
        holds,
        verified,
        elapsed_ms,
    }
}

/// A question as the officer's form sends it: its kind and its parameters
/// in `PredicateKind::params` order (amounts in cents).
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PredicateDto {
    pub kind: PredicateKind,
    pub params: Vec<u64>,
}

impl PredicateDto {
    pub fn to_predicate(&self) -> UiResult<Predicate> {
        self.kind
            .build(&self.params)
            .map_err(|why| UiError::bad_request(format!("the question is not valid: {why}")))
    }
}

#[derive(Deserialize, Clone, Debug)]
pub struct TradelineDto {
    pub account_type: String,
    pub account_status: String,
    pub date_opened: String,
    pub date_of_account_information: String,
    pub date_of_first_delinquency: Option<String>,
    pub payment_history: String,
    pub balance: u64,
    pub credit_limit: u64,
    pub past_due: u64,
    pub scheduled_payment: u64,
    pub days_past_due: u64,
    pub serious_delinquency: bool,
}

impl TradelineDto {
    pub fn to_input(&self) -> credence_api::actions::TradelineInput {
        credence_api::actions::TradelineInput {
            account_type: self.account_type.clone(),
            account_status: self.account_status.clone(),
            date_opened: self.date_opened.clone(),
            date_of_account_information: self.date_of_account_information.clone(),
            date_of_first_delinquency: self
                .date_of_first_delinquency
                .clone()
                .filter(|d| !d.trim().is_empty()),
            payment_history: self.payment_history.clone(),
            attributes: vec![],
            balance: self.balance,
            credit_limit: self.credit_limit,
            past_due: self.past_due,
            scheduled_payment: self.scheduled_payment,
            days_past_due: self.days_past_due,
            serious_delinquency: self.serious_delinquency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_from_the_form() {
        let p: PredicateDto =
            serde_json::from_str(r#"{"kind":"score-in-range","params":[600,750]}"#).unwrap();
        assert_eq!(
            p.to_predicate().unwrap(),
            Predicate::ScoreInRange { min: 600, max: 750 }
        );
        let p: PredicateDto =
            serde_json::from_str(r#"{"kind":"utilisation-below","params":[30]}"#).unwrap();
        assert_eq!(
            p.to_predicate().unwrap(),
            Predicate::UtilisationBelow { percent: 30 }
        );
        let p: PredicateDto =
            serde_json::from_str(r#"{"kind":"no-serious-delinquency","params":[]}"#).unwrap();
        assert_eq!(p.to_predicate().unwrap(), Predicate::NoSeriousDelinquency);
        let p: PredicateDto =
            serde_json::from_str(r#"{"kind":"score-at-least","params":[]}"#).unwrap();
        assert_eq!(p.to_predicate().unwrap_err().code, "invalid-input");
        assert!(serde_json::from_str::<PredicateDto>(r#"{"kind":"score","params":[1]}"#).is_err());
    }

    #[test]
    fn consent_kinds_round_trip() {
        let names = vec![
            "score-at-least".to_string(),
            "no-serious-delinquency".to_string(),
        ];
        let a = allowed_from_names(&names).unwrap();
        assert_eq!(predicate_kind_names(&a), names);
        assert_eq!(
            allowed_from_names(&["any".into()]).unwrap(),
            AllowedPredicates::Any
        );
        assert_eq!(
            allowed_from_names(&["nope".into()]).unwrap_err().code,
            "invalid-input"
        );
    }

    #[test]
    fn two_thirds_rounds_up() {
        let needed: Vec<usize> = (1..=7).map(approvals_needed).collect();
        assert_eq!(needed, vec![1, 2, 2, 3, 4, 4, 5]);
        let refuse: Vec<usize> = (1..=7).map(rejections_refusing).collect();
        assert_eq!(refuse, vec![1, 1, 2, 2, 2, 3, 3]);
        // Matches the rules' test `3 * yes >= 2 * n` at the boundary.
        for n in 1..=30 {
            let k = approvals_needed(n);
            assert!(3 * k >= 2 * n && 3 * (k - 1) < 2 * n);
        }
    }

    #[test]
    fn membership_rows_become_dtos() {
        let row = regulator::MembershipRow {
            proposal_id: [0xab; 32],
            change: "admit bank-c (lender, 127.0.0.1:7403)".into(),
            proposer_name: "regulator".into(),
            height: 12,
            status: credence_api::ProposalStatus::Open,
            effective_epoch: None,
            votes: vec![
                ("regulator".into(), true),
                ("bank-a".into(), true),
                ("bank-b".into(), false),
            ],
            electorate: 4,
        };
        let d = MembershipDto::from((2, vec![row]));
        assert_eq!(d.epoch, 2);
        let p = &d.proposals[0];
        assert_eq!(p.proposal_id, "ab".repeat(32));
        assert_eq!(p.proposer, "regulator");
        assert_eq!((p.approvals, p.rejections, p.electorate), (2, 1, 4));
        assert_eq!((p.needed, p.refuse_at), (3, 2));
        assert_eq!(
            p.votes[2],
            VoteDto {
                voter: "bank-b".into(),
                approve: false
            }
        );
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(json["effective_epoch"], serde_json::Value::Null);
        assert_eq!(json["votes"][0]["approve"], true);
    }

    #[test]
    fn payload_carries_no_blinding() {
        let t = Payload::Income(credence_api::IncomePayload {
            source: "payslip".into(),
            monthly_income: credence_api::Opening {
                value: 250_000,
                blinding: [7; 32],
            },
        });
        let json = serde_json::to_string(&PayloadDto::from(&t)).unwrap();
        assert!(json.contains("250000"));
        assert!(!json.contains("blinding"));
    }
}
