//! The bank officer's home: find and enrol borrowers, furnish accounts, ask
//! questions and follow them.
use super::*;

fn member_of<'a>(
    s: &'a Session,
    name: &str,
    role: Role,
) -> UiResult<&'a credence_api::crypto::Identity> {
    let (_, r, id) = s
        .keys()
        .members
        .iter()
        .find(|(n, _, _)| n == name)
        .ok_or_else(|| {
            UiError::new(
                "not-found",
                format!("this app holds no key for member \"{name}\""),
            )
        })?;
    if *r != role {
        return Err(UiError::new(
            "not-permitted",
            format!("{name} is a {}, not a {}", r.as_str(), role.as_str()),
        ));
    }
    Ok(id)
}

#[tauri::command]
pub async fn officer_find(
    state: State<'_, AppState>,
    bank: String,
    needle: String,
) -> UiResult<Vec<BorrowerDto>> {
    with_session(&state, move |s| {
        let me = member_of(s, &bank, Role::Lender)?.party_id();
        let view = s.view_net().view(&me)?;
        Ok(
            desk::find_borrowers(view, &me, &s.book(), &needle, s.view_net().now(), 50)?
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
        let me = member_of(s, &bank, Role::Lender)?.party_id();
        let subj = parse_party("borrower", &subject)?;
        let view = s.view_net().view(&me)?;
        let now = s.view_net().now();
        let my_queries = read::queries(
            view.conn(),
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

/// Ask a question; with the auto-responder on, the agency answers before this
/// returns, and the officer's own ledger re-checks the proof. Connected to
/// running nodes, the agency's node answers by itself: wait for it, bounded,
/// and return the query as pending if it has not answered by then.
/// How long a question waits for a running agency node's answer.
const NODE_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

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
        let me = member_of(s, &bank, Role::Lender)?.clone();
        let subj = parse_party("borrower", &subject)?;
        let target = match target.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(parse_id("target record", &t)?),
            None => None,
        };
        let (_, agency) = s.agency().map(|(n, i)| (n.to_string(), i.clone()))?;
        let qid = desk::ask(
            s.net(),
            &me,
            &subj,
            predicate.to_predicate()?,
            &agency.party_id(),
            target,
        )?;
        let o = if s.demo.node_answers {
            desk::await_answer(
                s.view_net(),
                &me.party_id(),
                &qid,
                NODE_ANSWER_WAIT,
                std::time::Duration::from_millis(100),
            )?
        } else {
            if s.auto_respond {
                desk::answer_open(s.net(), &agency, 500)?;
            }
            desk::outcome(s.view_net().view(&me.party_id())?, &qid)?
        };
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
        let me = member_of(s, &bank, Role::Lender)?.party_id();
        let qid = parse_id("query", &query_id)?;
        let o = desk::outcome(s.view_net().view(&me)?, &qid)?;
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
        let me = member_of(s, &bank, Role::Lender)?.clone();
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
        let me = member_of(s, &bank, Role::Lender)?.clone();
        let who = desk::new_identity();
        desk::enrol(s.net(), &who, &me)?;
        let label = format!("borrower-{:04}", s.demo.keys.borrowers.len() + 1);
        s.demo.keys.borrowers.push((label.clone(), who.clone()));
        Ok(BorrowerDto {
            subject: who.party_id().to_hex(),
            label: Some(label),
            records: 0,
            live_consents_to_me: 0,
        })
    })
    .await
}
