//! What each home screen receives whole (and the filters it sends).
use super::*;

#[derive(Serialize)]
pub struct AppInfo {
    pub version: String,
    pub demo_dir: String,
    pub demo_exists: bool,
    pub subjects: usize,
    pub session_open: bool,
}

#[derive(Serialize, Clone)]
pub struct ProgressDto {
    pub stage: String,
    pub done: u64,
    pub total: u64,
}

#[derive(Serialize)]
pub struct SessionInfo {
    pub dir: String,
    pub consortium: String,
    pub members: Vec<MemberDto>,
    pub borrowers: Vec<String>,
    pub auto_respond: bool,
    /// Connected to a consortium of running member nodes (a folder of
    /// `credence demo --keep-running`); its agency's node answers queries.
    pub connected: bool,
    pub height: u64,
}

#[derive(Serialize)]
pub struct BorrowerFile {
    pub subject: String,
    pub label: Option<String>,
    pub consents: Vec<ConsentDto>,
    pub records: Vec<RecordDto>,
    pub my_queries: Vec<QueryDto>,
}

#[derive(Serialize)]
pub struct AnalystHome {
    pub agency: String,
    pub portfolio: PortfolioDto,
    pub alarms: Vec<AlarmDto>,
    pub queue: Vec<QueryDto>,
    pub records_total: usize,
    pub auto_respond: bool,
    /// The agency's node answers by itself (connected to running nodes): the
    /// app's auto-responder is off and cannot be switched on.
    pub node_answers: bool,
}

#[derive(Serialize)]
pub struct PassDto {
    pub answered: usize,
    pub refused: Vec<(String, String)>,
    pub elapsed_ms: u64,
}

#[derive(Serialize)]
pub struct RegulatorHome {
    pub members: Vec<MemberDto>,
    pub counts: CountsDto,
    pub activity: ActivityDto,
    pub alarms: Vec<AlarmDto>,
    pub membership: MembershipDto,
    pub incidents: Vec<IncidentDto>,
}

#[derive(Serialize)]
pub struct CountsDto {
    pub blocks: u64,
    pub subjects: u64,
    pub records: u64,
    pub consents: u64,
    pub revoked_consents: u64,
    pub queries: u64,
    pub answers: u64,
    pub scores: u64,
    pub disputes: u64,
}

#[derive(serde::Deserialize, Default)]
pub struct AuditFilterDto {
    pub member: Option<String>,
    pub subject: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub purpose: Option<String>,
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventDto>,
    pub total: usize,
}

#[derive(Serialize)]
pub struct BorrowerHome {
    pub label: String,
    pub subject: String,
    pub records: Vec<(RecordDto, PayloadDto)>,
    pub scores: Vec<(String, u32, u64)>,
    pub consents: Vec<ConsentDto>,
    pub access: Vec<AccessDto>,
    pub disputes: Vec<DisputeDto>,
    pub members: Vec<MemberDto>,
    /// Since when (unix seconds) the borrower's file is frozen, if it is.
    pub frozen_since: Option<u64>,
    /// On one's own key: the members asked for the access log and how each
    /// did (`None` in demo mode, where the app holds the ledgers).
    pub checked: Option<Vec<MemberCheckDto>>,
}

/// How one asked member did when the access log was proven.
#[derive(Serialize)]
pub struct MemberCheckDto {
    pub name: String,
    pub honest: bool,
    /// Proven entries it did not list (hidden).
    pub missing: usize,
    /// Entries it offered that did not prove (forged, or another chain).
    pub refused: usize,
    pub unreachable: Option<String>,
}

#[derive(Serialize)]
pub struct DisputeDto {
    pub dispute_id: String,
    pub record_id: String,
    pub reason: String,
    pub opened_at: u64,
    /// When the furnisher must have answered (FCRA §611); unanswered by
    /// then, the record is left out of answers.
    pub deadline: u64,
    pub resolved_at: Option<u64>,
    pub outcome: Option<String>,
}

impl From<credence_api::read::DisputeInfo> for DisputeDto {
    fn from(d: credence_api::read::DisputeInfo) -> Self {
        DisputeDto {
            dispute_id: hex_id(&d.dispute_id),
            record_id: hex_id(&d.record_id),
            reason: d.reason,
            opened_at: d.opened_at,
            deadline: d.deadline,
            resolved_at: d.resolved_at,
            outcome: d.outcome,
        }
    }
}
