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
use credence_ledger::{rules, RejectCode};
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
        let err = actions::prepare_answer(w.view(&ag), &ag, &qid)
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
            ledger_path: w.dir.path().join("bank-a.db"),
            mempool: mempool.clone(),
            gossip: None,
            health: health.clone(),
            unfiltered: false,
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
    assert!(rules::query(w.view(&a).conn(), &qid).unwrap().is_some());
    // Answered: nothing waits in the home any more, and a new try asks anew.
    assert_eq!(std::fs::read_dir(pending_dir(&home)).unwrap().count(), 0);
    health
        .stop_flag()
        .store(true, std::sync::atomic::Ordering::SeqCst);
    server.join();
}
