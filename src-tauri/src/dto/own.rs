//! The screens of a person's own identity (`commands::identity`).
use super::*;
use credence_api::borrower::BorrowerSession;
use credence_api::operator::{Asked, OpenedRecord};
use credence_api::own::OwnSession;
use credence_api::profile::Profile;
use credence_api::Identity;

/// A new identity: its public id and keys, and the enrolment request made
/// for a lender (the file, and its text for the QR code).
#[derive(Serialize)]
pub struct IdentityDto {
    pub keystore: String,
    pub party: String,
    pub sign_key: String,
    pub enc_key: String,
    pub request_file: Option<String>,
    pub request: Option<String>,
    pub request_qr: Option<QrDto>,
}

/// A QR code's modules, row by row: "1" dark, "0" light.
#[derive(Serialize)]
pub struct QrDto {
    pub width: usize,
    pub modules: String,
}

impl QrDto {
    pub fn of(text: &str) -> UiResult<Self> {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::L)
            .map_err(|e| UiError::new("internal", format!("cannot make the QR code: {e}")))?;
        Ok(QrDto {
            width: code.width(),
            modules: code
                .to_colors()
                .iter()
                .map(|c| if *c == qrcode::Color::Dark { '1' } else { '0' })
                .collect(),
        })
    }
}

impl IdentityDto {
    pub fn new(
        home: &credence_api::home::Home,
        me: &Identity,
        request: Option<(String, String)>,
    ) -> UiResult<Self> {
        let pk = me.public();
        let (request_file, request) = request.unzip();
        let request_qr = request.as_deref().map(QrDto::of).transpose()?;
        Ok(IdentityDto {
            keystore: home.keystore().display().to_string(),
            party: me.party_id().to_hex(),
            sign_key: hex::encode(pk.sign),
            enc_key: hex::encode(pk.enc),
            request_file,
            request,
            request_qr,
        })
    }
}

/// What the app holds after "Open my identity".
#[derive(Serialize)]
pub struct OwnInfo {
    pub party: String,
    pub role: String,
    pub consortium: String,
    /// The member whose node the app talks to.
    pub via: String,
    pub members: Vec<MemberDto>,
    /// The folder of the keystore this identity was opened from.
    pub home: String,
}

fn members(p: &Profile) -> UiResult<Vec<MemberDto>> {
    p.members
        .iter()
        .map(|m| {
            Ok(MemberDto {
                name: m.name.clone(),
                role: m.role.clone(),
                party: m.party()?.to_hex(),
            })
        })
        .collect()
}

impl OwnInfo {
    pub fn new(own: &OwnSession, home: &str) -> UiResult<Self> {
        let (party, role, profile, via) = match own {
            OwnSession::Borrower(s) => (s.party(), "borrower", s.profile(), s.via()),
            OwnSession::Operator { session, role } => (
                session.party(),
                role.as_str(),
                session.profile(),
                session.member(),
            ),
        };
        Ok(OwnInfo {
            party: party.to_hex(),
            role: role.into(),
            consortium: profile.consortium.clone(),
            via: via.to_string(),
            members: members(profile)?,
            home: home.to_string(),
        })
    }
}

/// A key rotation done: a borrower's on the ledger (`height`), or an
/// operator's at their member's node (`member`, `retired_at`).
#[derive(Serialize)]
pub struct KeyRotatedDto {
    pub height: Option<u64>,
    pub member: Option<String>,
    pub retired_at: Option<u64>,
}

impl From<credence_api::own::Rotated> for KeyRotatedDto {
    fn from(r: credence_api::own::Rotated) -> Self {
        use credence_api::own::Rotated;
        match r {
            Rotated::OnLedger { height } => KeyRotatedDto {
                height: Some(height),
                member: None,
                retired_at: None,
            },
            Rotated::AtNode { member, retired_at } => KeyRotatedDto {
                height: None,
                member: Some(member),
                retired_at: Some(retired_at),
            },
        }
    }
}

/// A leaked key declared: the block of the declaration, and how many of my
/// records were re-sealed to my new key.
#[derive(Serialize)]
pub struct LeakDeclaredDto {
    pub height: u64,
    pub resealed: usize,
}

/// An officer's question, as the member's node reports its outcome.
#[derive(Serialize)]
pub struct OwnAskDto {
    pub query_id: String,
    pub predicate: String,
    pub purpose: String,
    /// "answered" or "pending" (the agency has not answered within the wait).
    pub status: String,
    pub holds: Option<bool>,
    pub height: u64,
    pub elapsed_ms: u64,
}

impl OwnAskDto {
    pub fn new(a: Asked, elapsed_ms: u64) -> Self {
        OwnAskDto {
            query_id: hex_id(&a.query_id),
            predicate: a.predicate,
            purpose: a.purpose,
            status: if a.holds.is_some() {
                "answered"
            } else {
                "pending"
            }
            .into(),
            holds: a.holds,
            height: a.height,
            elapsed_ms,
        }
    }
}

/// What an officer's furnishing did.
#[derive(Serialize)]
pub struct FurnishDto {
    pub submitted: usize,
    pub corrections: usize,
    pub already: usize,
    /// Each row left out: "line L, column C: why".
    pub left_out: Vec<String>,
    pub elapsed_ms: u64,
}

/// A record an analyst opened with their own key.
#[derive(Serialize)]
pub struct OwnRecordDto {
    pub record: RecordDto,
    pub payload: PayloadDto,
    /// Why its content does not match the ledger's commitments, if it does not.
    pub problem: Option<String>,
}

impl From<OpenedRecord> for OwnRecordDto {
    fn from(r: OpenedRecord) -> Self {
        OwnRecordDto {
            record: RecordDto {
                record_id: hex_id(&r.record_id),
                subject: r.subject.to_hex(),
                furnisher: r.furnisher.to_hex(),
                furnisher_name: r.furnisher_name,
                kind: r.kind,
                status: r.status,
                compliance: r.compliance,
                corrects: r.corrects.as_ref().map(hex_id),
                height: r.height,
                at: r.at,
            },
            payload: PayloadDto::from(&r.payload),
            problem: r.problem,
        }
    }
}

/// The consortium's members in every epoch, as the app proved them from
/// f+1 members' answers (`credence_api::light::members`).
#[derive(Serialize)]
pub struct OwnMembershipDto {
    pub consortium: String,
    pub epoch_length: u64,
    pub tenures: Vec<TenureDto>,
    pub changes: Vec<ChangeDto>,
}

#[derive(Serialize)]
pub struct TenureDto {
    pub name: String,
    pub role: String,
    pub party: String,
    /// First epoch in office; the epoch its removal took effect, if removed.
    pub from_epoch: u64,
    pub until_epoch: Option<u64>,
}

#[derive(Serialize)]
pub struct ChangeDto {
    pub name: String,
    pub admitted: bool,
    pub epoch: u64,
    /// The block of the vote that decided it.
    pub height: u64,
}

impl From<credence_api::light::MemberSets> for OwnMembershipDto {
    fn from(m: credence_api::light::MemberSets) -> Self {
        OwnMembershipDto {
            consortium: m.consortium,
            epoch_length: m.epoch_length,
            tenures: m
                .tenures
                .into_iter()
                .map(|t| TenureDto {
                    name: t.name,
                    role: t.role.as_str().into(),
                    party: t.key.party_id().to_hex(),
                    from_epoch: t.from,
                    until_epoch: t.until,
                })
                .collect(),
            changes: m
                .changes
                .into_iter()
                .map(|c| ChangeDto {
                    name: c.name,
                    admitted: c.admitted,
                    epoch: c.epoch,
                    height: c.height,
                })
                .collect(),
        }
    }
}

/// One question in the consortium, for an operator's list.
#[derive(Serialize)]
pub struct OwnQueryDto {
    pub query_id: String,
    pub requester: String,
    /// The member asked to answer it (the agency).
    pub responder: String,
    pub subject: String,
    pub purpose: String,
    pub predicate: String,
    pub asked_at: u64,
    pub holds: Option<bool>,
    /// The member's staff key that asked, if a person asked through it.
    pub operator: Option<String>,
}

impl OwnQueryDto {
    pub fn from_json(q: &serde_json::Value) -> UiResult<Self> {
        let text = |k: &str| -> UiResult<String> {
            q[k].as_str()
                .map(str::to_string)
                .ok_or_else(|| UiError::new("internal", format!("the node's reply has no {k}")))
        };
        Ok(OwnQueryDto {
            query_id: text("query_id")?,
            requester: text("requester")?,
            responder: text("responder")?,
            subject: text("subject")?,
            purpose: text("purpose")?,
            predicate: text("predicate")?,
            asked_at: q["asked_at"].as_u64().unwrap_or(0),
            holds: q["holds"].as_bool(),
            operator: q["operator"].as_str().map(str::to_string),
        })
    }
}

impl BorrowerHome {
    /// My home, proven from f+1 members; records opened here with my key.
    pub fn from_own(s: &BorrowerSession) -> UiResult<Self> {
        let now = credence_api::unix_now();
        let me = s.party().to_hex();
        // One proven history, from f+1 members (`credence_api::history`):
        // every consent, record and log line is in a certified block.
        let file = s.my_file()?;
        let records = file
            .records
            .into_iter()
            .filter_map(|r| {
                let payload = PayloadDto::from(r.content.as_ref()?);
                Some((
                    RecordDto {
                        record_id: hex_id(&r.record_id),
                        subject: me.clone(),
                        furnisher: r.furnisher.to_hex(),
                        furnisher_name: r.furnisher_name,
                        kind: r.kind,
                        status: r.status,
                        compliance: r.compliance,
                        corrects: r.corrects.as_ref().map(hex_id),
                        height: r.height,
                        at: r.at,
                    },
                    payload,
                ))
            })
            .collect();
        let consents = file
            .consents
            .into_iter()
            .map(|c| ConsentDto {
                consent_id: hex_id(&c.consent_id),
                grantee: c.grantee.to_hex(),
                live: c.is_live(now),
                grantee_name: c.grantee_name,
                purpose: c.purpose,
                predicates: c.questions,
                expires_at: c.expires_at,
                granted_at: c.granted_at,
                revoked_at: c.revoked_at,
                explicit: c.explicit,
            })
            .collect();
        let history = file.history;
        let frozen_since = file.frozen_since;
        let mut access: Vec<AccessDto> = file
            .log
            .into_iter()
            .map(|a| AccessDto {
                at: a.at,
                party: String::new(),
                party_name: a.who,
                action: a.action,
                detail: a.detail,
            })
            .collect();
        let checked = history
            .members
            .iter()
            .map(|m| MemberCheckDto {
                name: m.name.clone(),
                honest: m.honest(),
                missing: m.missing.len(),
                refused: m.refused.len(),
                unreachable: m.unreachable.clone(),
            })
            .collect();
        access.reverse();
        let disputes = s.disputes()?.into_iter().map(DisputeDto::from).collect();
        Ok(BorrowerHome {
            label: "me".into(),
            subject: me,
            records,
            // Scores are the agency's records about me; the node does not
            // serve them to borrowers yet.
            scores: Vec::new(),
            consents,
            access,
            disputes,
            members: members(s.profile())?,
            frozen_since,
            checked: Some(checked),
        })
    }
}
