//! The bank officer's home: find and enrol borrowers, furnish accounts, ask
//! questions and follow them.
use super::*;

#[tauri::command]
pub async fn officer_find(
    state: State<'_, AppState>,
    bank: String,
    needle: String,
) -> UiResult<Vec<BorrowerDto>> {
    with_session(&state, move |s| {
        let me = s.member(&bank, Role::Lender)?.party_id();
        let view = s.view(&me)?;
        Ok(
            desk::find_borrowers(view, &me, &s.book(), &needle, s.now(), 50)?
                .into_iter()
                .map(BorrowerDto::from)
                .collect(),
        )
    })
    .await
}

#[tauri::command]
pub async fn officer_borrower(
    state: State<'_, AppState>,
    bank: String,
    subject: String,
) -> UiResult<BorrowerFile> {
    with_session(&state, move |s| {
        let me = s.member(&bank, Role::Lender)?.party_id();
        let subj = parse_party("borrower", &subject)?;
        let view = s.view(&me)?;
        let now = s.now();
        let my_queries = read::queries(
            view,
            &read::QueryFilter {
                subject: Some(subj),
                requester: Some(me),
                ..Default::default()
            },
        )
        .map_err(credence_api::ApiError::from)?
        .iter()
        .rev()
        .map(|q| query_dto(q, party_name(view, &q.requester)))
        .collect();
        Ok(BorrowerFile {
            subject: subj.to_hex(),
            label: s
                .book()
                .into_iter()
                .find(|(_, p)| *p == subj)
                .map(|(l, _)| l),
            consents: desk::consents_of(view, &subj, now)?
                .into_iter()
                .map(ConsentDto::from)
                .collect(),
            records: desk::records_of(view, &subj)?
                .into_iter()
                .map(RecordDto::from)
                .collect(),
            my_queries,
        })
    })
    .await
}

/// Ask a question and wait for the verified answer (`Session::ask_and_wait`):
/// answered by the app's responder in a local demo, by the agency's node when
/// connected (then returned as pending if it has not answered in time).
#[tauri::command]
pub async fn officer_ask(
    state: State<'_, AppState>,
    bank: String,
    subject: String,
    predicate: PredicateDto,
    target: Option<String>,
) -> UiResult<AskResultDto> {
    with_session(&state, move |s| {
        let t0 = Instant::now();
        let subj = parse_party("borrower", &subject)?;
        let target = match target.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(parse_id("target record", &t)?),
            None => None,
        };
        let o = s.ask_and_wait(&bank, &subj, predicate.to_predicate()?, target)?;
        Ok(ask_result(&o, t0.elapsed().as_millis() as u64))
    })
    .await
}

#[tauri::command]
pub async fn officer_query(
    state: State<'_, AppState>,
    bank: String,
    query_id: String,
) -> UiResult<AskResultDto> {
    with_session(&state, move |s| {
        let me = s.member(&bank, Role::Lender)?.party_id();
        let qid = parse_id("query", &query_id)?;
        let o = desk::outcome(s.view(&me)?, &qid)?;
        Ok(ask_result(&o, 0))
    })
    .await
}

#[tauri::command]
pub async fn officer_furnish(
    state: State<'_, AppState>,
    bank: String,
    subject: String,
    tradeline: TradelineDto,
    corrects: Option<String>,
) -> UiResult<String> {
    with_session(&state, move |s| {
        let me = s.member(&bank, Role::Lender)?.clone();
        let subj = parse_party("borrower", &subject)?;
        let corrects = match corrects.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(parse_id("record to correct", &t)?),
            None => None,
        };
        let id = desk::furnish(s.net(), &me, &subj, &tradeline.to_input(), corrects)?;
        Ok(hex_id(&id))
    })
    .await
}

/// Enrol a new borrower: in demo mode the app creates and holds the
/// borrower's key (a real borrower would sign from their own app).
#[tauri::command]
pub async fn officer_enrol(state: State<'_, AppState>, bank: String) -> UiResult<BorrowerDto> {
    with_session(&state, move |s| {
        let (label, who) = s.enrol_new_borrower(&bank)?;
        Ok(BorrowerDto {
            subject: who.party_id().to_hex(),
            label: Some(label),
            records: 0,
            live_consents_to_me: 0,
        })
    })
    .await
}
