//! What a faulty member or an unlucky client can do, and what every reader
//! does about it: records whose sealed content does not open their
//! commitments, and questions asked again after a timeout.
mod common;

use common::*;
use credence_api::actions::{self, SealFault};
use credence_api::asking::{ask_once, pending_dir, Question};
use credence_api::reads;
use credence_api::ErrorCode;
use credence_crypto::proof::Predicate;
use credence_ledger::encode::entry_id;
use credence_ledger::{read, RejectCode};
use credence_node::client::NodeClient;
use credence_node::client_api::{self, ApiContext, ApiLimits};
use credence_node::health::Health;
use credence_node::mempool::Mempool;
use credence_node::Receipt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Finding 3: a lender sealed a tradeline whose amounts were missing or did
/// not open its commitments; the agency's answering thread panicked on the
/// first question over that borrower, for good, and scores used the values.
#[test]
fn sealed_content_that_does_not_open_its_commitments_is_never_used() {
    let mut w = world();
    let (a, ag, s1) = (w.bank_a.clone(), w.agency.clone(), w.s1.clone());
    let subject = s1.party_id();
    let score_before = actions::prepare_score(w.view(&ag), &ag, &subject, 202612)
        .unwrap()
        .score;
    let mut bad = Vec::new();
    for fault in [
        SealFault::MissingAmounts,
        SealFault::OtherValues,
        SealFault::Garbage,
    ] {
        let input = tradeline(9_000_000, 10_000_000, 500_000, true);
        let (rid, e) =
            actions::faulty_tradeline(w.view(&a), &a, &subject, &input, fault, w.now()).unwrap();
        // No other member can see inside: every member accepts it.
        w.ok(e);
        let err = actions::open_record(w.view(&ag), &ag, &rid).unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::Rejected(RejectCode::BadSeal),
            "{fault:?}"
        );
        bad.push((fault, rid));
    }
    // A question over the borrower's debt: the agency cannot prove it and
    // says why; nothing panics, and asking again gives the same answer.
    let qid = w.ask(
        &a,
        &subject,
        Predicate::TotalDebtBelow { limit: 100_000_000 },
        None,
    );
    for _ in 0..2 {
        let err = actions::prepare_answer(w.view(&ag), &ag, &qid, w.now())
            .err()
            .expect("no answer over a record that does not open");
        assert_eq!(
            err.code,
            ErrorCode::Rejected(RejectCode::BadSeal),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("does not match the ledger") || err.message.contains("malformed")
        );
    }
    // The agency's score leaves the bad records out (they claim a serious
    // delinquency and a large balance that the commitments do not show).
    let score_after = actions::prepare_score(w.view(&ag), &ag, &subject, 202612)
        .unwrap()
        .score;
    assert_eq!(score_before, score_after);
    // The borrower still sees every other record, and the spoiled ones that
    // decode are shown with what is wrong with them.
    let mine = reads::readable_records(w.view(&a), &s1).unwrap();
    assert!(mine
        .iter()
        .any(|r| r.info.record_id == w.tradeline && r.mismatch.is_none()));
    for (fault, rid) in &bad {
        let shown = mine.iter().find(|r| r.info.record_id == *rid);
        match fault {
            SealFault::Garbage => assert!(shown.is_none()),
            _ => assert!(shown.unwrap().mismatch.is_some(), "{fault:?}"),
        }
    }
}

/// Finding 3, the definite outcome: the agency contests the record with
/// evidence only the regulator can open, the regulator's verdict makes it
/// unusable for every member, the question is then answered over the other
/// records, and the furnisher shows in the risk alarms.
#[test]
fn a_record_that_does_not_open_is_contested_judged_and_left_out() {
    use credence_api::desk::alarms::{consortium_alarms, AlarmConfig};
    use credence_crypto::seal::wrap_for;
    use credence_ledger::encode::sign_entry;
    use credence_ledger::read;
    use credence_ledger::types::Entry;
    let mut w = world();
    let (a, b, ag, reg) = (
        w.bank_a.clone(),
        w.bank_b.clone(),
        w.agency.clone(),
        w.regulator.clone(),
    );
    let subject = w.s1.party_id();
    let input = tradeline(9_000_000, 10_000_000, 500_000, true);
    let (rid, e) = actions::faulty_tradeline(
        w.view(&a),
        &a,
        &subject,
        &input,
        SealFault::OtherValues,
        w.now(),
    )
    .unwrap();
    w.ok(e);
    let qid = w.ask(
        &a,
        &subject,
        Predicate::TotalDebtBelow { limit: 100_000_000 },
        None,
    );
    assert!(actions::prepare_answer(w.view(&ag), &ag, &qid, w.now()).is_err());
    assert_eq!(
        actions::records_to_contest(w.view(&ag), &ag, &subject).unwrap(),
        vec![rid]
    );
    // A sound record is not contested.
    assert!(actions::contest_record(w.view(&ag), &ag, &w.tradeline.clone()).is_err());
    // Only a member that can open the record may contest it.
    let mut by_b = actions::contest_record(w.view(&ag), &ag, &rid).unwrap();
    if let Entry::RecordContested { contester, .. } = &mut by_b.entry {
        *contester = b.party_id();
    }
    let by_b = sign_entry(by_b.entry, &[&b]);
    assert_eq!(w.rejected(by_b).code, RejectCode::WrongRole);
    // The evidence must be for the regulator's key.
    let (rec, extra) = read::furnished(w.view(&ag), &rid).unwrap();
    let key = rec.sealed.content_key(&ag, &extra).unwrap();
    let for_bank = wrap_for(
        &key,
        &rec.sealed.header,
        &b.public(),
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let misdirected = sign_entry(
        Entry::RecordContested {
            record_id: rid,
            contester: ag.party_id(),
            regulator: reg.party_id(),
            evidence: for_bank,
        },
        &[&ag],
    );
    assert_eq!(w.rejected(misdirected).code, RejectCode::BadSeal);
    // No verdict without a contest, and none from anyone but the regulator.
    let early = sign_entry(
        Entry::RecordJudged {
            record_id: rid,
            regulator: reg.party_id(),
            unusable: true,
        },
        &[&reg],
    );
    assert_eq!(w.rejected(early).code, RejectCode::UnknownRecord);
    let contest = actions::contest_record(w.view(&ag), &ag, &rid).unwrap();
    w.ok(contest.clone());
    assert_eq!(w.rejected(contest).code, RejectCode::AlreadyExists);
    let forged = sign_entry(
        Entry::RecordJudged {
            record_id: rid,
            regulator: b.party_id(),
            unusable: true,
        },
        &[&b],
    );
    assert_eq!(w.rejected(forged).code, RejectCode::WrongRole);
    // While under review the alarm says so; the question waits.
    let alarms = consortium_alarms(w.view(&reg), w.now(), &AlarmConfig::default()).unwrap();
    assert!(alarms.iter().any(|a| a.code == "record-under-review"));
    // The regulator opens the record with the evidence and judges it.
    let (unusable, verdict) = actions::judge_record(w.view(&reg), &reg, &rid).unwrap();
    assert!(unusable);
    w.ok(verdict);
    let row = read::furnished(w.view(&b), &rid);
    assert!(row.is_ok());
    for who in [&a, &b, &ag, &reg] {
        let info = read::records_of_subject(w.view(who), &subject).unwrap();
        let r = info.iter().find(|r| r.record_id == rid).unwrap();
        assert_eq!(
            r.status,
            credence_ledger::types::RecordStatus::Unusable,
            "every member marks it"
        );
    }
    // Now the question is answered over the other records, and verified.
    let answer = actions::answer(w.view(&ag), &ag, &qid, w.now()).unwrap();
    w.ok(answer);
    let v = reads::verify_answer(w.view(&a), &qid).unwrap();
    assert!(v.verified && v.holds);
    let alarms = consortium_alarms(w.view(&reg), w.now(), &AlarmConfig::default()).unwrap();
    let bad = alarms
        .iter()
        .find(|x| x.code == "unusable-record")
        .expect("the furnisher is flagged");
    assert_eq!(bad.member, Some(a.party_id()));
    // The ledger with contests and verdicts verifies from genesis.
    let file = w.dir.path().join("regulator.db");
    credence_ledger::verify::verify_file(&file, |_, _| {}).unwrap();
}

/// Finding 5 (second half): a question that timed out was asked a second
/// time by a retry. Now the signed question waits in the asker's home and a
/// retry sends the same entry again, or only waits for its answer.
#[test]
fn asking_again_after_a_timeout_does_not_ask_twice() {
    let mut w = world();
    let a = w.bank_a.clone();
    let health = Health::new(Arc::new(AtomicBool::new(false)));
    let mempool = Arc::new(Mempool::new());
    // bank-a's node API; its pool is never ordered into blocks here, so
    // every submission times out until the test finalizes it by hand.
    let server = client_api::serve(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(ApiContext {
            name: "bank-a".into(),
            role: "lender".into(),
            party: a.party_id(),
            consortium: "test".into(),
            genesis: [7; 32],
            ledger_path: w.dir.path().join("bank-a.db"),
            mempool: mempool.clone(),
            gossip: None,
            health: health.clone(),
            unfiltered: false,
            tls: None,
            acting: None,
            lie: None,
        }),
        ApiLimits::default(),
    )
    .unwrap();
    let client = NodeClient::new(server.addr, a.party_id(), a.clone());
    let home = w.dir.path().join("officer");
    let q = Question {
        requester: &a,
        subject: w.s1.party_id(),
        predicate: Predicate::ScoreAtLeast { min: 500 },
        responder: w.agency.party_id(),
        target: None,
    };
    let now = w.now();
    let first = ask_once(&home, w.view(&a), &client, &q, now, Duration::from_secs(1))
        .err()
        .expect("not final in time");
    assert_eq!(first.code, ErrorCode::Timeout);
    assert!(
        first.message.contains("run the same command again"),
        "{}",
        first.message
    );
    let again = ask_once(
        &home,
        w.view(&a),
        &client,
        &q,
        now + 5,
        Duration::from_secs(1),
    )
    .err()
    .unwrap();
    assert_eq!(again.code, ErrorCode::Timeout);
    // One question in the pool, and the same one both times.
    let pending = mempool.peek(10);
    assert_eq!(pending.len(), 1, "asked twice");
    assert_eq!(first.message, again.message);
    // It becomes final; the next try only waits for the answer.
    let height = w.ok(pending[0].clone());
    mempool.decide(vec![(
        entry_id(&pending[0].entry),
        Receipt::Final {
            height,
            entry_id: entry_id(&pending[0].entry),
        },
    )]);
    let qid = match &pending[0].entry {
        credence_ledger::Entry::QueryAsked(q) => q.query_id,
        _ => panic!("not a question"),
    };
    let answer = w.answer(&qid);
    w.ok(answer);
    let done = ask_once(
        &home,
        w.view(&a),
        &client,
        &q,
        now + 10,
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(done.query_id, qid);
    assert!(done.resumed && done.answer.verified && done.answer.holds);
    assert!(mempool.peek(10).is_empty(), "nothing new was submitted");
    assert!(read::query(w.view(&a), &qid).unwrap().is_some());
    // Answered: nothing waits in the home any more, and a new try asks anew.
    assert_eq!(std::fs::read_dir(pending_dir(&home)).unwrap().count(), 0);
    health
        .stop_flag()
        .store(true, std::sync::atomic::Ordering::SeqCst);
    server.join();
}
