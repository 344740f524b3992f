//! The regulator's home and audit trail.
use super::*;

#[tauri::command]
pub async fn regulator_home(state: State<'_, AppState>, buckets: usize) -> UiResult<RegulatorHome> {
    with_session(&state, move |s| {
        let me = s.regulator()?.party_id();
        let view = s.view(&me)?;
        let c = read::counts(view).map_err(credence_api::ApiError::from)?;
        Ok(RegulatorHome {
            members: desk::regulator::members(view)?
                .iter()
                .map(MemberDto::from)
                .collect(),
            counts: CountsDto {
                blocks: c.blocks,
                subjects: c.subjects,
                records: c.records,
                consents: c.consents,
                revoked_consents: c.revoked_consents,
                queries: c.queries,
                answers: c.answers,
                scores: c.scores,
                disputes: c.disputes,
            },
            activity: desk::regulator::activity(view, buckets.clamp(1, 200))?.into(),
            alarms: desk::alarms::consortium_alarms(
                view,
                s.now(),
                &desk::alarms::AlarmConfig::default(),
            )?
            .iter()
            .map(AlarmDto::from)
            .collect(),
            membership: desk::regulator::membership(view)?.into(),
            incidents: {
                let book = s.book();
                read::key_incidents(view, None)
                    .map_err(credence_api::ApiError::from)?
                    .iter()
                    .map(|i| IncidentDto {
                        // A borrower's demo label, or a member's name.
                        subject_label: book
                            .iter()
                            .find(|(_, p)| *p == i.party)
                            .map(|(l, _)| l.clone())
                            .or_else(|| {
                                read::member(view, &i.party).ok().flatten().map(|m| m.name)
                            }),
                        summary: i.into(),
                    })
                    .collect()
            },
        })
    })
    .await
}

#[tauri::command]
pub async fn regulator_audit(
    state: State<'_, AppState>,
    filter: AuditFilterDto,
) -> UiResult<AuditPage> {
    with_session(&state, move |s| {
        let me = s.regulator()?.party_id();
        let view = s.view(&me)?;
        let nonempty = |o: Option<String>| o.filter(|v| !v.trim().is_empty());
        let member = match nonempty(filter.member) {
            Some(m) => Some(parse_party("member", &m)?),
            None => None,
        };
        // A subject may be given by demo label or by pseudonym.
        let subject = match nonempty(filter.subject) {
            Some(v) => Some(match s.book().into_iter().find(|(l, _)| *l == v.trim()) {
                Some((_, p)) => p,
                None => parse_party("borrower", &v)?,
            }),
            None => None,
        };
        let f = desk::regulator::AuditFilter {
            member,
            subject,
            kinds: filter.kinds.unwrap_or_default(),
            purpose: nonempty(filter.purpose),
            from: filter.from,
            to: filter.to,
        };
        let (events, total) =
            desk::regulator::audit_trail(view, &f, filter.limit.unwrap_or(200).min(2000))?;
        let book = s.book();
        let events = events
            .into_iter()
            .map(|e| {
                let label = e
                    .subject
                    .and_then(|p| book.iter().find(|(_, b)| *b == p).map(|(l, _)| l.clone()));
                AuditEventDto {
                    subject_label: label,
                    ..AuditEventDto::from(e)
                }
            })
            .collect();
        Ok(AuditPage { events, total })
    })
    .await
}
