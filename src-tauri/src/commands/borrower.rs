//! The borrower's home: consents, records, disputes and who asked about them.
use super::*;

#[tauri::command]
pub async fn borrower_home(state: State<'_, AppState>, label: String) -> UiResult<BorrowerHome> {
    with_session(&state, move |s| {
        let me = s.borrower(&label)?;
        let reader = s.reader()?;
        let view = s.view(&reader)?;
        let now = s.now();
        let records = desk::my_records(view, me)?
            .into_iter()
            .map(|r| {
                let p = PayloadDto::from(&r.payload);
                (
                    RecordDto::from(desk::RecordRow {
                        info: r.info,
                        furnisher_name: r.furnisher_name,
                    }),
                    p,
                )
            })
            .collect();
        let disputes = read::disputes(view, Some(&me.party_id()))
            .map_err(credence_api::ApiError::from)?
            .into_iter()
            .map(DisputeDto::from)
            .collect();
        let mut access: Vec<AccessDto> = reads::access_log(view, &me.party_id())?
            .into_iter()
            .map(AccessDto::from)
            .collect();
        access.reverse();
        Ok(BorrowerHome {
            label: label.clone(),
            subject: me.party_id().to_hex(),
            records,
            scores: desk::my_scores(view, me)?,
            consents: desk::consents_of(view, &me.party_id(), now)?
                .into_iter()
                .map(ConsentDto::from)
                .collect(),
            access,
            disputes,
            members: desk::regulator::members(view)?
                .iter()
                .map(MemberDto::from)
                .collect(),
            frozen_since: desk::frozen_at(view, &me.party_id())?,
            checked: None,
        })
    })
    .await
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn borrower_grant(
    state: State<'_, AppState>,
    label: String,
    grantee: String,
    purpose: String,
    kinds: Vec<String>,
    expires_in_days: u64,
    explicit: bool,
) -> UiResult<String> {
    with_session(&state, move |s| {
        let me = s.borrower(&label)?.clone();
        let grantee = parse_party("grantee", &grantee)?;
        let purpose = Purpose::parse(&purpose)
            .ok_or_else(|| UiError::bad_request(format!("unknown purpose \"{purpose}\"")))?;
        let allowed = allowed_from_names(&kinds)?;
        let reader = s.reader()?;
        let id = desk::grant(
            s.net(),
            &reader,
            &me,
            &grantee,
            purpose,
            allowed,
            expires_in_days,
            explicit,
        )?;
        Ok(hex_id(&id))
    })
    .await
}

#[tauri::command]
pub async fn borrower_revoke(
    state: State<'_, AppState>,
    label: String,
    consent_id: String,
) -> UiResult<u64> {
    with_session(&state, move |s| {
        let me = s.borrower(&label)?.clone();
        let id = parse_id("consent", &consent_id)?;
        let reader = s.reader()?;
        Ok(desk::revoke(s.net(), &reader, &me, &id)?)
    })
    .await
}

#[tauri::command]
pub async fn borrower_freeze(
    state: State<'_, AppState>,
    label: String,
    frozen: bool,
) -> UiResult<u64> {
    with_session(&state, move |s| {
        let me = s.borrower(&label)?.clone();
        Ok(desk::freeze(s.net(), &me, frozen)?)
    })
    .await
}

#[tauri::command]
pub async fn borrower_dispute(
    state: State<'_, AppState>,
    label: String,
    record_id: String,
    reason: String,
) -> UiResult<String> {
    with_session(&state, move |s| {
        let me = s.borrower(&label)?.clone();
        let id = parse_id("record", &record_id)?;
        let reason = DisputeReason::parse(&reason)
            .ok_or_else(|| UiError::bad_request(format!("unknown dispute reason \"{reason}\"")))?;
        let reader = s.reader()?;
        let d = desk::dispute(s.net(), &reader, &me, &id, reason)?;
        Ok(hex_id(&d))
    })
    .await
}
