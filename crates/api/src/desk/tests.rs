use super::alarms::{self, AlarmConfig};
use super::*;
use crate::test_support::small_demo;
use credence_ledger::predicate::PredicateKind;
use credence_ledger::read::QueryInfo;

#[test]
fn a_short_search_matches_labels_not_random_pseudonyms() {
    let (_dir, mut c) = small_demo("collide");
    let bank = c.keys.member("bank-a").unwrap().clone();
    let s = c.keys.borrower("borrower-0003").unwrap().party_id();
    let net: &mut dyn Network = c.network.as_mut();
    let clash = (0..1_000_000)
        .map(|_| credence_crypto::Identity::generate(&mut rand::rngs::OsRng))
        .find(|id| id.party_id().to_hex().contains("0003"))
        .expect("a pseudonym containing 0003 within a million tries");
    net.submit(vec![actions::enrol(&clash, &bank)]).unwrap()[0]
        .clone()
        .into_result()
        .unwrap();
    let book = vec![("borrower-0003".to_string(), s)];
    let view = net.view(&bank.party_id()).unwrap();
    let found = find_borrowers(view, &bank.party_id(), &book, "0003", net.now(), 10).unwrap();
    assert_eq!(found.iter().map(|r| r.subject).collect::<Vec<_>>(), vec![s]);
    // A long enough piece of a pseudonym still finds it.
    let hex = clash.party_id().to_hex();
    let found = find_borrowers(view, &bank.party_id(), &book, &hex[10..20], net.now(), 10).unwrap();
    assert!(found.iter().any(|r| r.subject == clash.party_id()));
}

#[test]
fn officer_asks_agency_answers_borrower_revokes_regulator_sees_it() {
    let (_dir, mut c) = small_demo("flow");
    let bank = c.keys.member("bank-a").unwrap().clone();
    let agency = c.keys.member("agency").unwrap().clone();
    let regulator = c.keys.member("regulator").unwrap().party_id();
    // borrower-0003 (index 2) banks with bank-a and consented to it.
    let borrower = c.keys.borrower("borrower-0003").unwrap().clone();
    let s = borrower.party_id();
    let net: &mut dyn Network = c.network.as_mut();

    let book: Vec<(String, PartyId)> = vec![("borrower-0003".into(), s)];
    let found = find_borrowers(
        net.view(&bank.party_id()).unwrap(),
        &bank.party_id(),
        &book,
        "0003",
        net.now(),
        10,
    )
    .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].live_consents_to_me, 1);

    let qid = ask(
        net,
        &bank,
        &s,
        Predicate::ScoreAtLeast { min: 300 },
        &agency.party_id(),
        None,
    )
    .unwrap();
    let before = outcome(net.view(&bank.party_id()).unwrap(), &qid).unwrap();
    assert_eq!(before.status, QueryStatus::Pending);
    let pass = answer_open(net, &agency, 100).unwrap();
    assert_eq!(pass.answered, 1, "{:?}", pass.refused);
    // Every score is >= 300, so the verified answer must be "holds".
    let after = outcome(net.view(&bank.party_id()).unwrap(), &qid).unwrap();
    assert_eq!(
        after.status,
        QueryStatus::Answered {
            holds: true,
            verified: true
        }
    );
    assert_eq!(after.query.holds, Some(true));

    // The borrower revokes the bank's consent; the next question is refused
    // before anything is signed, and the ledger holds no new query.
    let consent = consents_of(net.view(&regulator).unwrap(), &s, net.now())
        .unwrap()
        .into_iter()
        .find(|c| c.info.consent.grantee == bank.party_id())
        .unwrap();
    revoke(net, &regulator, &borrower, &consent.info.consent.consent_id).unwrap();
    let n_before = read::counts(net.view(&regulator).unwrap()).unwrap().queries;
    let err = ask(
        net,
        &bank,
        &s,
        Predicate::ScoreAtLeast { min: 300 },
        &agency.party_id(),
        None,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoConsent);
    let n_after = read::counts(net.view(&regulator).unwrap()).unwrap().queries;
    assert_eq!(n_before, n_after);
    // Revoking twice is refused with a clear message.
    assert_eq!(
        revoke(net, &regulator, &borrower, &consent.info.consent.consent_id)
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );

    // The regulator's trail shows the answer and the revocation for this borrower.
    let (trail, _) = regulator::audit_trail(
        net.view(&regulator).unwrap(),
        &regulator::AuditFilter {
            subject: Some(s),
            ..Default::default()
        },
        1000,
    )
    .unwrap();
    assert!(trail
        .iter()
        .any(|e| e.kind == "query-answered" && e.query_id == Some(qid) && e.holds == Some(true)));
    assert!(trail
        .iter()
        .any(|e| e.kind == "consent-revoked"
            && e.consent_id == Some(consent.info.consent.consent_id)));
    // The sequencer filtered the demo's forced query before ordering it, so
    // no block holds a refused entry and there is no such alarm.
    let al = alarms::consortium_alarms(
        net.view(&regulator).unwrap(),
        net.now(),
        &AlarmConfig::default(),
    )
    .unwrap();
    assert!(al.iter().all(|a| a.code != "refused-entries"), "{al:?}");

    let act = regulator::activity(net.view(&regulator).unwrap(), 12).unwrap();
    let bank_queries: u64 = act
        .series
        .iter()
        .filter(|(m, w, _)| m.party == bank.party_id() && *w == "queries")
        .flat_map(|(_, _, c)| c.iter().copied())
        .sum();
    let asked = read::queries(
        net.view(&regulator).unwrap(),
        &QueryFilter {
            requester: Some(bank.party_id()),
            ..Default::default()
        },
    )
    .unwrap()
    .len() as u64;
    assert_eq!(bank_queries, asked);
}

#[test]
fn borrower_reads_grants_and_disputes_analyst_sees_portfolio() {
    let (_dir, mut c) = small_demo("borrower");
    let agency = c.keys.member("agency").unwrap().clone();
    let bank_b = c.keys.member("bank-b").unwrap().clone();
    let reader = c.keys.member("regulator").unwrap().party_id();
    let me = c.keys.borrower("borrower-0005").unwrap().clone();
    let net: &mut dyn Network = c.network.as_mut();

    let mine = my_records(net.view(&reader).unwrap(), &me).unwrap();
    assert!(mine.len() >= 2, "a tradeline and an income at least");
    assert_eq!(my_scores(net.view(&reader).unwrap(), &me).unwrap().len(), 1);

    // A narrow consent to bank-b: only the delinquency question.
    let tag = PredicateKind::NoSeriousDelinquency.tag();
    let consents_before = read::counts(net.view(&reader).unwrap()).unwrap().consents;
    for days in [0, MAX_CONSENT_DAYS + 1] {
        let err = grant(
            net,
            &reader,
            &me,
            &bank_b.party_id(),
            Purpose::AccountReview,
            AllowedPredicates::Only(vec![tag]),
            days,
            false,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{days} days");
    }
    assert_eq!(
        read::counts(net.view(&reader).unwrap()).unwrap().consents,
        consents_before,
        "a refused consent reaches nothing"
    );
    grant(
        net,
        &reader,
        &me,
        &bank_b.party_id(),
        Purpose::AccountReview,
        AllowedPredicates::Only(vec![tag]),
        1,
        false,
    )
    .unwrap();
    let err = ask(
        net,
        &bank_b,
        &me.party_id(),
        Predicate::ScoreAtLeast { min: 600 },
        &agency.party_id(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::NoConsent,
        "a question the consent does not cover"
    );
    ask(
        net,
        &bank_b,
        &me.party_id(),
        Predicate::NoSeriousDelinquency,
        &agency.party_id(),
        None,
    )
    .unwrap();
    assert_eq!(
        analyst::queue(net.view(&agency.party_id()).unwrap(), &agency.party_id())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(answer_open(net, &agency, 10).unwrap().answered, 1);

    let tl = mine
        .iter()
        .find(|r| r.info.kind == RecordKind::Tradeline)
        .unwrap();
    dispute(
        net,
        &reader,
        &me,
        &tl.info.record_id,
        DisputeReason::WrongBalance,
    )
    .unwrap();
    let al = alarms::consortium_alarms(
        net.view(&reader).unwrap(),
        net.now(),
        &AlarmConfig::default(),
    )
    .unwrap();
    assert!(al.iter().any(|a| a.code == "dispute-open"), "{al:?}");
    let later = net.now() + 31 * 86_400;
    let al = alarms::consortium_alarms(net.view(&reader).unwrap(), later, &AlarmConfig::default())
        .unwrap();
    assert!(
        al.iter()
            .any(|a| a.code == "dispute-overdue" && a.severity == alarms::Severity::Critical),
        "{al:?}"
    );
    assert_eq!(
        dispute(
            net,
            &reader,
            &me,
            &tl.info.record_id,
            DisputeReason::WrongBalance
        )
        .unwrap_err()
        .code,
        ErrorCode::InvalidInput
    );

    let p = analyst::portfolio(net.view(&agency.party_id()).unwrap(), &agency).unwrap();
    assert_eq!(p.subjects, 8);
    assert_eq!(p.scored_subjects, 8);
    assert_eq!(p.score_histogram.iter().map(|(_, n)| n).sum::<u64>(), 8);
    assert_eq!(
        p.days_past_due.iter().sum::<u64>(),
        p.live_tradelines as u64
    );
    let (rows, total) = analyst::sealed_records(
        net.view(&agency.party_id()).unwrap(),
        &agency.party_id(),
        0,
        5,
    )
    .unwrap();
    assert_eq!(rows.len(), 5);
    assert!(total > 5);
    assert!(analyst::open(
        net.view(&agency.party_id()).unwrap(),
        &agency,
        &rows[0].info.record_id
    )
    .is_ok());
    // The bank cannot open a record sealed to the agency and the borrower only.
    let other = analyst::open(
        net.view(&agency.party_id()).unwrap(),
        &bank_b,
        &tl.info.record_id,
    );
    if tl.info.furnisher != bank_b.party_id() {
        assert_eq!(other.unwrap_err().code, ErrorCode::NotPermitted);
    }
}

#[test]
fn buckets_and_kinds() {
    assert_eq!(analyst::score_bucket(300), 300);
    assert_eq!(analyst::score_bucket(349), 300);
    assert_eq!(analyst::score_bucket(850), 800);
    assert_eq!(analyst::score_bucket(10), 300);
    assert_eq!(analyst::dpd_bucket(0), 0);
    assert_eq!(analyst::dpd_bucket(29), 1);
    assert_eq!(analyst::dpd_bucket(90), 4);
    assert_eq!(buckets(100, 100, 10), (100, 1));
    assert_eq!(buckets(0, 100, 10), (0, 10));
}

fn q(subject: u8, requester: u8, at: u64, answered: Option<u64>) -> QueryInfo {
    QueryInfo {
        query_id: [at as u8; 32],
        requester: PartyId([requester; 32]),
        subject: PartyId([subject; 32]),
        consent_id: [0; 32],
        purpose: "credit-application".into(),
        predicate: "score >= 650".into(),
        responder: PartyId([9; 32]),
        asked_at: at,
        asked_height: at,
        answered_at: answered,
        holds: answered.map(|_| true),
        operator: None,
    }
}

#[test]
fn alarm_rules() {
    let cfg = AlarmConfig::default();
    // Three askers within an hour about subject 1; subject 2 asked thrice by
    // one bank over three days.
    let qs = [
        q(1, 10, 1000, Some(1001)),
        q(1, 11, 2000, Some(2001)),
        q(1, 12, 3000, None),
        q(2, 10, 0, Some(1)),
        q(2, 10, 90_000, Some(90_001)),
        q(2, 10, 180_000, Some(180_001)),
    ];
    let qs: Vec<alarms::Question> = qs.iter().map(alarms::Question::from).collect();
    let b = alarms::inquiry_bursts(&qs, &cfg);
    assert_eq!(b, vec![(PartyId([1; 32]), 3, 3)]);
    assert_eq!(alarms::late_answers(&qs, 3000 + 3600, &cfg), vec![]);
    assert_eq!(
        alarms::late_answers(&qs, 3000 + 3601, &cfg),
        vec![(PartyId([9; 32]), 1)]
    );
    let d = credence_ledger::read::DisputeInfo {
        dispute_id: [1; 32],
        subject: PartyId([1; 32]),
        record_id: [2; 32],
        reason: "wrong-balance".into(),
        opened_at: 0,
        deadline: 30 * 86_400,
        resolved_at: None,
        outcome: None,
    };
    // Due at the deadline, as the rules leave the record out from then on.
    assert_eq!(
        alarms::dispute_state(std::slice::from_ref(&d), 30 * 86_400 - 1)
            .1
            .len(),
        0
    );
    assert_eq!(alarms::dispute_state(&[d], 30 * 86_400).1.len(), 1);
    let p = analyst::Portfolio {
        live_tradelines: 10,
        serious_delinquency: 2,
        ..Default::default()
    };
    assert_eq!(alarms::portfolio_alarms(&p, &cfg).len(), 1);
    let p = analyst::Portfolio {
        live_tradelines: 10,
        serious_delinquency: 1,
        ..Default::default()
    };
    assert!(alarms::portfolio_alarms(&p, &cfg).is_empty());
}
