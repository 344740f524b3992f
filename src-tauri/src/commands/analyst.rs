//! The agency analyst's home: the portfolio, records sealed to the agency,
//! and answering questions (by hand or automatically).
use super::*;

#[tauri::command]
pub async fn analyst_home(state: State<'_, AppState>) -> UiResult<AnalystHome> {
    with_session(&state, move |s| {
        let agency = s.agency()?.clone();
        let view = s.view(&agency.party_id())?;
        let p = desk::analyst::portfolio(view, &agency)?;
        let cfg = desk::alarms::AlarmConfig::default();
        let mut al: Vec<AlarmDto> = desk::alarms::portfolio_alarms(&p, &cfg)
            .iter()
            .map(AlarmDto::from)
            .collect();
        al.extend(
            desk::alarms::consortium_alarms(view, s.now(), &cfg)?
                .iter()
                .map(AlarmDto::from),
        );
        let queue = desk::analyst::queue(view, &agency.party_id())?
            .iter()
            .map(|q| query_dto(q, party_name(view, &q.requester)))
            .collect();
        let (_, total) = desk::analyst::sealed_records(view, &agency.party_id(), 0, 0)?;
        Ok(AnalystHome {
            agency: party_name(view, &agency.party_id()),
            portfolio: p.into(),
            alarms: al,
            queue,
            records_total: total,
            auto_respond: s.auto_respond(),
            node_answers: s.node_answers(),
        })
    })
    .await
}

#[tauri::command]
pub async fn analyst_records(
    state: State<'_, AppState>,
    offset: usize,
    limit: usize,
) -> UiResult<(Vec<RecordDto>, usize)> {
    with_session(&state, move |s| {
        let agency = s.agency()?;
        let me = agency.party_id();
        let (rows, total) =
            desk::analyst::sealed_records(s.view(&me)?, &me, offset, limit.min(200))?;
        Ok((rows.into_iter().map(RecordDto::from).collect(), total))
    })
    .await
}

#[tauri::command]
pub async fn analyst_open(state: State<'_, AppState>, record_id: String) -> UiResult<PayloadDto> {
    with_session(&state, move |s| {
        let agency = s.agency()?;
        let id = parse_id("record", &record_id)?;
        let p = desk::analyst::open(s.view(&agency.party_id())?, agency, &id)?;
        Ok(PayloadDto::from(&p))
    })
    .await
}

#[tauri::command]
pub async fn analyst_answer(
    state: State<'_, AppState>,
    query_id: Option<String>,
) -> UiResult<PassDto> {
    with_session(&state, move |s| {
        let agency = s.agency()?.clone();
        match query_id {
            Some(q) => {
                let t0 = Instant::now();
                let id = parse_id("query", &q)?;
                desk::answer_one(s.net(), &agency, &id)?;
                Ok(PassDto {
                    answered: 1,
                    refused: vec![],
                    elapsed_ms: t0.elapsed().as_millis() as u64,
                })
            }
            None => {
                let p = desk::answer_open(s.net(), &agency, 10_000)?;
                Ok(PassDto {
                    answered: p.answered,
                    refused: p
                        .refused
                        .into_iter()
                        .map(|(i, w)| (hex_id(&i), w))
                        .collect(),
                    elapsed_ms: p.elapsed_ms,
                })
            }
        }
    })
    .await
}

#[tauri::command]
pub async fn set_auto_respond(state: State<'_, AppState>, on: bool) -> UiResult<bool> {
    with_session(&state, move |s| Ok(s.set_auto_respond(on)?)).await
}
