//! Questions and scores: a member asks a predicate question under consent,
//! the responder answers it with a proof over inputs every member derives,
//! and the agency commits scores.
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, ctx, eid, h, ts) = (cx.conn, cx.ctx, cx.eid, cx.h, cx.ts);
    match entry {
        Entry::QueryAsked(q) => {
            let req = need_member(conn, &q.requester, "requester")?;
            cx.sign(&[(&req.key.sign, "requester")])?;
            need_subject(conn, &q.subject)?;
            need_not_frozen(conn, &q.subject, "question")?;
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM queries WHERE query_id = ?1)",
                &q.query_id,
                "query",
            )?;
            q.predicate
                .validate()
                .map_err(|e| Rejection::new(C::BadPredicate, e.to_string()))?;
            let resp = need_member(conn, &q.responder, "responder")?;
            need_role(&resp, Role::Agency, "responder")?;
            let consent: Option<ConsentRow> = conn
                .query_row(
                    "SELECT subject, grantee, predicates, expires_at, revoked_height FROM consents WHERE consent_id = ?1",
                    [&q.consent_id[..]],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((cs, cg, cp, exp, revoked)) = consent else {
                return reject(C::NoLiveConsent, "the query names no existing consent");
            };
            if cs != q.subject.0 || cg != q.requester.0 {
                return reject(
                    C::NoLiveConsent,
                    "the consent was not given by this subject to this requester",
                );
            }
            if revoked.is_some() {
                return reject(C::NoLiveConsent, "the consent was revoked");
            }
            if exp as u64 <= ctx.timestamp {
                return reject(C::NoLiveConsent, "the consent has expired");
            }
            let allowed: AllowedPredicates = postcard::from_bytes(&cp).map_err(|_| {
                Rejection::new(C::Malformed, "stored consent predicates do not decode")
            })?;
            if !allowed.allows(&q.predicate) {
                return reject(
                    C::PredicateNotAllowed,
                    format!("the consent does not cover \"{}\"", q.predicate),
                );
            }
            if !has_live_consent(conn, &q.subject, &q.responder, ctx.timestamp)? {
                return reject(
                    C::NoLiveConsent,
                    format!(
                        "the agency {} holds no live consent from the subject",
                        resp.name
                    ),
                );
            }
            match (&q.predicate, &q.target) {
                (Predicate::BalanceAtMost { .. }, None) => {
                    return reject(C::BadPredicate, "a balance question must name a record")
                }
                (Predicate::BalanceAtMost { .. }, Some(t)) => {
                    target_tradeline(conn, &q.subject, t, ctx.timestamp)?;
                }
                (_, Some(_)) => {
                    return reject(C::BadPredicate, "only a balance question names a record")
                }
                _ => {}
            }
            conn.execute(
                "INSERT INTO queries (query_id, requester, subject, consent_id, predicate, predicate_text, responder, target, asked_height, asked_at, operator)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                params![
                    &q.query_id[..], &q.requester.0[..], &q.subject.0[..], &q.consent_id[..], to_bytes(&q.predicate),
                    q.predicate.to_string(), &q.responder.0[..], q.target.as_ref().map(|t| t.to_vec()), h, ts,
                    q.operator.map(|o| o.0.to_vec())
                ],
            )?;
        }
        Entry::QueryAnswered(a) => {
            let resp = need_member(conn, &a.responder, "responder")?;
            cx.sign(&[(&resp.key.sign, "responder")])?;
            let Some((q, answered)) = query(conn, &a.query_id)? else {
                return reject(C::UnknownQuery, "no such query was asked");
            };
            if answered {
                return reject(C::AlreadyAnswered, "the query is already answered");
            }
            if q.responder != a.responder {
                return reject(C::WrongRole, "the query was addressed to another agency");
            }
            let (live, _): (Option<i64>, i64) = conn.query_row(
                "SELECT revoked_height, expires_at FROM consents WHERE consent_id = ?1",
                [&q.consent_id[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if live.is_some() {
                return reject(
                    C::NoLiveConsent,
                    "the subject revoked the consent before the answer",
                );
            }
            need_not_frozen(conn, &q.subject, "answer")?;
            let (ids, inputs) = predicate_inputs(conn, &q, ctx.timestamp)?;
            if ids != a.inputs {
                return reject(
                    C::StaleInputs,
                    "the answer is over other ledger objects than the rules derive now",
                );
            }
            cx.deferred.push(Deferred::Predicate {
                ctx: ProofContext {
                    query_id: q.query_id,
                    subject: q.subject.0,
                    responder: q.responder.0,
                },
                predicate: q.predicate,
                inputs,
                proof: a.proof.clone(),
            });
            conn.execute(
                "UPDATE queries SET answered_height = ?1, answered_at = ?2, holds = ?3, branch = ?4, answer_entry = ?5 WHERE query_id = ?6",
                params![h, ts, a.proof.answer.holds, a.proof.answer.branch, &eid[..], &a.query_id[..]],
            )?;
        }
        Entry::ScoreCommitted(s) => {
            let ag = need_member(conn, &s.agency, "agency")?;
            need_role(&ag, Role::Agency, "scoring member")?;
            cx.sign(&[(&ag.key.sign, "agency")])?;
            need_subject(conn, &s.subject)?;
            if !has_live_consent(conn, &s.subject, &s.agency, ctx.timestamp)? {
                return reject(
                    C::NoLiveConsent,
                    "the agency holds no live consent from the subject",
                );
            }
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM scores WHERE score_id = ?1)",
                &s.score_id,
                "score",
            )?;
            let dup: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM scores WHERE agency = ?1 AND subject = ?2 AND period = ?3)",
                params![&s.agency.0[..], &s.subject.0[..], s.period],
                |r| r.get(0),
            )?;
            if dup {
                return reject(
                    C::AlreadyExists,
                    format!("a score for period {} is already committed", s.period),
                );
            }
            let parties = check_seal(cx, &s.sealed, &s.score_id, (&ag.party, &ag.key), false)?;
            if !parties.contains(&s.subject)
                || parties.iter().any(|p| *p != s.subject && *p != s.agency)
            {
                return reject(
                    C::BadSeal,
                    "a score is sealed to exactly its subject and its agency",
                );
            }
            cx.deferred.push(Deferred::Validity {
                context: score_validity_context(s),
                commitments: vec![s.commitment],
                proof: s.validity.clone(),
            });
            conn.execute(
                "INSERT INTO scores (score_id, agency, subject, period, commitment, entry_id, height, at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                params![&s.score_id[..], &s.agency.0[..], &s.subject.0[..], s.period, &s.commitment.0[..], &eid[..], h, ts],
            )?;
        }
        _ => return reject(C::Malformed, "entry routed to the questions rules"),
    }
    Ok(())
}
