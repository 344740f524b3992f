//! The screens of a person's own identity (`commands::identity`).
use super::*;
use credence_api::borrower::BorrowerSession;
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
}

fn members(s: &BorrowerSession) -> UiResult<Vec<MemberDto>> {
    s.profile()
        .members
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
    pub fn new(s: &BorrowerSession) -> UiResult<Self> {
        Ok(OwnInfo {
            party: s.party().to_hex(),
            role: "borrower".into(),
            consortium: s.profile().consortium.clone(),
            via: s.via().to_string(),
            members: members(s)?,
        })
    }
}

impl BorrowerHome {
    /// My home as one member's node serves it, records opened here.
    pub fn from_own(s: &BorrowerSession) -> UiResult<Self> {
        let now = credence_api::unix_now();
        let me = s.party().to_hex();
        let records = s
            .records()?
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
        let consents = s
            .consents()?
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
        let mut access: Vec<AccessDto> = s
            .access_log()?
            .into_iter()
            .map(|a| AccessDto {
                at: a.at,
                party: String::new(),
                party_name: a.who,
                action: a.action,
                detail: a.detail,
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
            members: members(s)?,
        })
    }
}
