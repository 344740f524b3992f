//! The ledger's rules, exercised through the API and the local sequencer:
//! every member validates every entry, and a refused entry changes nothing.
mod common;

use common::*;
use credence_api::actions;
use credence_api::reads::verify_answer;
use credence_crypto::proof::Predicate;
use credence_crypto::seal::Ciphertext;
use credence_crypto::{Identity, PartyId};
use credence_ledger::encode::{block_hash, certify, entries_root, sign_entry, sign_join_request};
use credence_ledger::predicate::PredicateKind;
use credence_ledger::types::*;
use credence_ledger::{read, Applied, Block, BlockHeader, RejectCode, SignedEntry};
use rand::rngs::OsRng;

fn record_entry(e: &SignedEntry) -> RecordFurnished {
    match &e.entry {
        Entry::RecordFurnished(r) => r.clone(),
        _ => panic!("not a record"),
    }
}

#[test]
fn every_predicate_kind_is_answered_and_verified_by_the_asker() {
    let mut w = world();
    let s1 = w.s1.party_id();
    let a = w.bank_a.clone();
    let cases = [
        (Predicate::ScoreAtLeast { min: 300 }, None, true),
        (Predicate::ScoreAtLeast { min: 851 }, None, false),
        (Predicate::ScoreInRange { min: 300, max: 850 }, None, true),
        (
            Predicate::BalanceAtMost { max: 300_000 },
            Some(w.tradeline),
            true,
        ),
        (
            Predicate::BalanceAtMost { max: 299_999 },
            Some(w.tradeline),
            false,
        ),
        (Predicate::TotalDebtBelow { limit: 300_001 }, None, true),
        (Predicate::TotalDebtBelow { limit: 300_000 }, None, false),
        // payments 20,000 / income 400,000 = 5 %
        (Predicate::DebtToIncomeBelow { percent: 6 }, None, true),
        (Predicate::DebtToIncomeBelow { percent: 5 }, None, false),
        (Predicate::NoSeriousDelinquency, None, true),
        // balance 300,000 of a 1,000,000 limit = 30 % used
        (Predicate::UtilisationBelow { percent: 31 }, None, true),
        (Predicate::UtilisationBelow { percent: 30 }, None, false),
    ];
    for (p, target, expected) in cases {
        let qid = w.ask(&a, &s1, p, target);
        let ans = w.answer(&qid);
        w.ok(ans);
        let v = verify_answer(w.view(&a), &qid).unwrap();
        assert!(v.verified);
        assert_eq!(v.holds, expected, "{p}");
    }
    // The regulator's audit trail holds every one of them.
    let audit = read::queries(w.view(&w.regulator.clone()), &Default::default()).unwrap();
    assert_eq!(audit.len(), 12);
    assert!(audit
        .iter()
        .all(|q| q.purpose == "credit-application" && q.holds.is_some()));
}

#[test]
fn sums_cover_records_from_both_lenders() {
    let mut w = world();
    let (s1, b, ag) = (w.s1.clone(), w.bank_b.clone(), w.agency.clone());
    let now = w.now();
    let (_, e) = actions::furnish_tradeline(
        w.view(&b),
        &b,
        &s1.party_id(),
        &tradeline(150_000, 200_000, 5_000, true),
        None,
        now,
    )
    .unwrap();
    w.ok(e);
    let a = w.bank_a.clone();
    let q = w.ask(
        &a,
        &s1.party_id(),
        Predicate::TotalDebtBelow { limit: 450_001 },
        None,
    );
    let e = w.answer(&q);
    w.ok(e);
    assert!(verify_answer(w.view(&a), &q).unwrap().holds);
    let q = w.ask(&a, &s1.party_id(), Predicate::NoSeriousDelinquency, None);
    let e = w.answer(&q);
    w.ok(e);
    assert!(
        !verify_answer(w.view(&a), &q).unwrap().holds,
        "bank-b's record carries a serious delinquency"
    );
    // Utilisation over both lenders' lines: 450,000 of 1,200,000 = 37.5 %.
    for (percent, holds) in [(38, true), (37, false)] {
        let q = w.ask(
            &a,
            &s1.party_id(),
            Predicate::UtilisationBelow { percent },
            None,
        );
        let e = w.answer(&q);
        w.ok(e);
        let v = verify_answer(w.view(&a), &q).unwrap();
        assert!(v.verified);
        assert_eq!(v.holds, holds, "utilisation < {percent}");
        let (_, answer) = read::answer(w.view(&a), &q).unwrap().unwrap();
        assert_eq!(answer.inputs.len(), 2, "both tradelines, each once");
    }
    let _ = ag;
}

#[test]
fn query_without_consent_is_refused() {
    let mut w = world();
    let (a, s2) = (w.bank_a.clone(), w.s2.clone());
    // The client refuses to ask…
    let err = actions::ask(
        w.view(&a),
        &a,
        &s2.party_id(),
        Predicate::ScoreAtLeast { min: 600 },
        &w.agency.party_id(),
        None,
        w.now(),
    )
    .unwrap_err();
    assert_eq!(err.code, credence_api::ErrorCode::NoConsent);
    // …and the rules refuse a query forced on with someone else's consent.
    let agency_consent = read::consents_of_subject(w.view(&a), &s2.party_id()).unwrap()[0]
        .consent
        .consent_id;
    let forced = sign_entry(
        Entry::QueryAsked(QueryAsked {
            query_id: actions::new_id(),
            requester: a.party_id(),
            subject: s2.party_id(),
            consent_id: agency_consent,
            predicate: Predicate::ScoreAtLeast { min: 600 },
            responder: w.agency.party_id(),
            target: None,
            operator: None,
        }),
        &[&a],
    );
    assert_eq!(w.rejected(forced).code, RejectCode::NoLiveConsent);
}

fn forced_query(w: &World, consent_id: Id, p: Predicate) -> SignedEntry {
    sign_entry(
        Entry::QueryAsked(QueryAsked {
            query_id: actions::new_id(),
            requester: w.bank_a.party_id(),
            subject: w.s1.party_id(),
            consent_id,
            predicate: p,
            responder: w.agency.party_id(),
            target: None,
            operator: None,
        }),
        &[&w.bank_a],
    )
}

#[test]
fn query_after_revocation_is_refused_and_open_queries_cannot_be_answered() {
    let mut w = world();
    let a = w.bank_a.clone();
    let open_q = w.ask(
        &a,
        &w.s1.party_id(),
        Predicate::ScoreAtLeast { min: 600 },
        None,
    );
    let answer = w.answer(&open_q);
    let revoke = actions::revoke_consent(w.view(&a), &w.s1.clone(), &w.consent_a).unwrap();
    w.ok(revoke);
    let e = forced_query(&w, w.consent_a, Predicate::ScoreAtLeast { min: 600 });
    let r = w.rejected(e);
    assert_eq!(r.code, RejectCode::NoLiveConsent);
    assert!(r.message.contains("revoked"), "{r}");
    // An answer prepared before the revocation no longer lands.
    assert_eq!(w.rejected(answer).code, RejectCode::NoLiveConsent);
    // Revoking twice is refused too.
    let again = sign_entry(
        Entry::ConsentRevoked {
            consent_id: w.consent_a,
            subject: w.s1.party_id(),
        },
        &[&w.s1],
    );
    assert_eq!(w.rejected(again).code, RejectCode::AlreadyExists);
}

/// A security freeze (FCRA §605A): while the file is frozen no question
/// about the borrower lands, nor an answer to one asked before; only the
/// borrower freezes or lifts it, and not twice the same way.
#[test]
fn a_frozen_file_refuses_questions_and_answers_until_the_borrower_lifts_it() {
    let mut w = world();
    let (a, s1) = (w.bank_a.clone(), w.s1.clone());
    let open_q = w.ask(
        &a,
        &s1.party_id(),
        Predicate::ScoreAtLeast { min: 600 },
        None,
    );
    let answer = w.answer(&open_q);
    // Someone else cannot freeze it: the entry must carry the borrower's signature.
    let mut by_bank = actions::freeze_entry(&s1, true);
    by_bank.signatures = sign_entry(by_bank.entry.clone(), &[&a]).signatures;
    assert_eq!(w.rejected(by_bank).code, RejectCode::BadSignature);
    let frozen_at = w.ok(actions::freeze_entry(&s1, true));
    assert_eq!(
        read::frozen_since(w.view(&a), &s1.party_id()).unwrap(),
        Some(frozen_at)
    );
    assert_eq!(
        w.rejected(actions::freeze_entry(&s1, true)).code,
        RejectCode::AlreadyExists
    );
    // Whatever the consents: the bank's is live.
    let r = w.rejected(forced_query(
        &w,
        w.consent_a,
        Predicate::ScoreAtLeast { min: 600 },
    ));
    assert_eq!(r.code, RejectCode::Frozen);
    assert!(r.message.contains("froze"), "{r}");
    // An answer prepared before the freeze does not land either.
    assert_eq!(w.rejected(answer).code, RejectCode::Frozen);
    // Other borrowers are not affected.
    let s2 = w.s2.party_id();
    assert_eq!(read::frozen_since(w.view(&a), &s2).unwrap(), None);
    // Lifted by the borrower: questions land again.
    w.ok(actions::freeze_entry(&s1, false));
    assert_eq!(
        w.rejected(actions::freeze_entry(&s1, false)).code,
        RejectCode::AlreadyExists
    );
    assert_eq!(
        read::frozen_since(w.view(&a), &s1.party_id()).unwrap(),
        None
    );
    let q = w.ask(
        &a,
        &s1.party_id(),
        Predicate::ScoreAtLeast { min: 600 },
        None,
    );
    let answer = w.answer(&q);
    w.ok(answer);
}

/// A member's key rotation: both keys sign it, and it takes effect at the
/// next epoch (the key is also the consensus key, fixed for an epoch): until
/// then the old key signs for the member and the new one does not; from the
/// epoch's first block the new key signs and the old one signs nothing. Each
/// epoch's member set keeps the key it had, the member's records sealed to
/// the old key still open with it, and every ledger verifies from genesis.
#[test]
fn a_members_rotation_takes_effect_at_the_next_epoch_and_then_the_old_key_signs_nothing() {
    let mut w = world();
    let (a, s1) = (w.bank_a.clone(), w.s1.clone());
    let party = a.party_id();
    let next = a.rotated(&mut OsRng);
    // Refused: one signature; another key signing for the new one; a leak
    // declared this way (2/3 of the members do that); a key in use.
    let mut one = actions::rotate_key_entry(&a, &next);
    one.signatures.truncate(1);
    assert_eq!(w.rejected(one).code, RejectCode::BadSignature);
    let mut forged = actions::rotate_key_entry(&a, &next);
    forged.signatures[1] = sign_entry(forged.entry.clone(), &[&w.s2]).signatures[0];
    assert_eq!(w.rejected(forged).code, RejectCode::BadSignature);
    let r = w.rejected(actions::declare_compromised_entry(&a, &next, w.now() - 60));
    assert_eq!(r.code, RejectCode::NotSupported, "{r}");
    for taken in [w.bank_b.clone(), w.s2.clone()] {
        let r = w.rejected(actions::rotate_key_entry(&a, &taken.for_party(party)));
        assert_eq!(r.code, RejectCode::AlreadyExists, "{r}");
    }

    let at = w.ok(actions::rotate_key_entry(&a, &next));
    let epoch = at / EPOCH;
    // One rotation waits at a time; the new key cannot rotate before it holds.
    let third = next.rotated(&mut OsRng);
    assert_eq!(
        w.rejected(actions::rotate_key_entry(&a, &third)).code,
        RejectCode::AlreadyExists
    );
    // (Refused as waiting before its signatures are checked in a batch.)
    let r = w.rejected(actions::rotate_key_entry(&next, &third));
    assert!(
        matches!(r.code, RejectCode::BadSignature | RejectCode::AlreadyExists),
        "{r}"
    );
    let furnish = |w: &mut World, by: &Identity, balance: u64| {
        let to = actions::record_recipients(w.view(&a), by, &s1.party_id(), w.now()).unwrap();
        actions::tradeline_entry(
            &to,
            by,
            &s1.party_id(),
            &tradeline(balance, 9_000, 100, false),
            None,
        )
        .unwrap()
        .1
    };
    // Until the epoch ends: the old key signs for bank-a, the new one not.
    let e = furnish(&mut w, &next, 1_000);
    assert!(w.submit(e).is_err(), "the new key signed before its epoch");
    let e = furnish(&mut w, &a, 1_100);
    let sealed_to_old = w.ok(e);
    assert!(
        sealed_to_old / EPOCH == epoch,
        "still in the rotation's epoch"
    );

    w.run_to_epoch(epoch + 1);
    let e = furnish(&mut w, &a, 1_200);
    assert!(
        w.submit(e).is_err(),
        "the retired key signed after its epoch"
    );
    let e = furnish(&mut w, &next, 1_300);
    assert!(w.ok(e) / EPOCH > epoch);
    assert_eq!(
        read::member(w.view(&a), &party).unwrap().unwrap().key,
        next.public()
    );
    // Each epoch's set keeps its key.
    assert_eq!(w.member_key_at(&party, epoch), a.public());
    assert_eq!(w.member_key_at(&party, epoch + 1), next.public());
    // Never a key again, for anyone.
    assert_eq!(
        w.rejected(actions::rotate_key_entry(
            &next,
            &a.clone().for_party(party)
        ))
        .code,
        RejectCode::AlreadyExists
    );
    // bank-a's records sealed to its old key open with the new identity
    // holding the old one (as its node runs), and not without it.
    let holding = next.clone().with_earlier(vec![a.clone()]);
    let mut opened = (0, 0);
    for r in read::records_readable_by(w.view(&a), &party).unwrap() {
        let (rec, extra) = read::furnished(w.view(&a), &r.record_id).unwrap();
        opened.0 += actions::open_furnished(&holding, &rec, &extra).is_ok() as usize;
        opened.1 += actions::open_furnished(&next, &rec, &extra).is_ok() as usize;
    }
    assert!(opened.0 > opened.1 && opened.1 >= 1, "{opened:?}");
    w.verify_all();
}

/// A member's key leaked, and whoever holds it rotated the member to a key
/// of their own. The member's people cannot outvote a key the attacker holds
/// too, so 2/3 of the members replace it with a new key the member's people
/// made (the request signed by that key): the waiting rotation is cancelled,
/// from the decision the leaked key signs nothing, from the next epoch the
/// new key is the member's, and every record sealed to the leaked key is
/// listed for re-sealing.
#[test]
fn a_members_leaked_key_is_replaced_by_two_thirds_and_the_attackers_rotation_is_cancelled() {
    use credence_ledger::encode::sign_rekey_request;
    let mut w = world();
    let (a, reg, ag, b) = (
        w.bank_a.clone(),
        w.regulator.clone(),
        w.agency.clone(),
        w.bank_b.clone(),
    );
    let party = a.party_id();
    let consortium = read::chain(w.view(&reg)).unwrap().unwrap().0;
    let attackers = a.rotated(&mut OsRng);
    w.ok(actions::rotate_key_entry(&a, &attackers));
    let mine = a.rotated(&mut OsRng);
    let since = w.now() - 3_600;
    let req = sign_rekey_request(&mine, &consortium, since);

    // Refused: not signed by the new key; a key in use; a time to come; a
    // request for another consortium.
    let mut forged = req.clone();
    forged.signature =
        sign_rekey_request(&w.s2.clone().for_party(party), &consortium, since).signature;
    let (_, e) = actions::propose_rekey(&reg, forged);
    assert_eq!(w.rejected(e).code, RejectCode::BadSignature);
    let taken = sign_rekey_request(&b.clone().for_party(party), &consortium, since);
    let (_, e) = actions::propose_rekey(&reg, taken);
    assert_eq!(w.rejected(e).code, RejectCode::AlreadyExists);
    let (_, e) = actions::propose_rekey(
        &reg,
        sign_rekey_request(&mine, &consortium, w.now() + 3_600),
    );
    assert_eq!(w.rejected(e).code, RejectCode::Malformed);
    let (_, e) = actions::propose_rekey(&reg, sign_rekey_request(&mine, "another", since));
    assert_eq!(w.rejected(e).code, RejectCode::Malformed);

    let (pid, e) = actions::propose_rekey(&reg, req);
    w.ok(e);
    w.ok(actions::vote_membership(&ag, &pid, true));
    let decided = w.ok(actions::vote_membership(&b, &pid, true));
    let epoch = decided / EPOCH;
    let p = read::membership_proposals(w.view(&reg))
        .unwrap()
        .into_iter()
        .find(|p| p.proposal_id == pid)
        .unwrap();
    assert_eq!(p.status, ProposalStatus::Approved);

    // From the decision the leaked key signs nothing, not even a rotation.
    let r = w.rejected(actions::vote_membership(&a, &[7; 32], true));
    assert_eq!(r.code, RejectCode::BadSignature, "{r}");
    assert!(r.message.contains("compromised"), "{r}");
    let again = a.rotated(&mut OsRng);
    assert_eq!(
        w.rejected(actions::rotate_key_entry(&a, &again)).code,
        RejectCode::BadSignature
    );
    // Every record sealed to the leaked key is listed.
    let incidents = read::key_incidents(w.view(&reg), Some(&party)).unwrap();
    assert_eq!(incidents.len(), 1);
    assert!(!incidents[0].records.is_empty());
    assert_eq!(incidents[0].remaining(), incidents[0].records.len());

    // The next epoch: the new key is the member's, not the attacker's.
    w.run_to_epoch_by(epoch + 1, &b);
    assert_eq!(w.member_key_at(&party, epoch), a.public());
    assert_eq!(w.member_key_at(&party, epoch + 1), mine.public());
    let (_, e) = actions::propose_removal(&attackers, &b.party_id());
    let r = w.rejected(e);
    assert_eq!(r.code, RejectCode::BadSignature, "{r}");
    // The member signs with its new key (a proposal of its own).
    let (_, e) = actions::propose_removal(&mine, &b.party_id());
    w.ok(e);
    w.verify_all();
}

/// A borrower's key rotation: both keys sign it; from its block on only the
/// new key signs for the borrower and records are sealed to it; the retired
/// key can still open what was sealed to it before.
#[test]
fn a_rotated_out_key_signs_nothing_and_new_records_are_sealed_to_the_new_key() {
    let mut w = world();
    let (a, s1) = (w.bank_a.clone(), w.s1.clone());
    let party = s1.party_id();
    let next = s1.rotated(&mut OsRng);
    // Both keys sign: one alone, or another key in the new key's place, is refused.
    let mut one = actions::rotate_key_entry(&s1, &next);
    one.signatures.truncate(1);
    assert_eq!(w.rejected(one).code, RejectCode::BadSignature);
    let mut forged = actions::rotate_key_entry(&s1, &next);
    forged.signatures[1] = sign_entry(forged.entry.clone(), &[&w.s2]).signatures[0];
    assert_eq!(w.rejected(forged).code, RejectCode::BadSignature);
    // Not to a key another party holds, and not a member's key this way.
    let taken = w.s2.clone().for_party(party);
    assert_eq!(
        w.rejected(actions::rotate_key_entry(&s1, &taken)).code,
        RejectCode::AlreadyExists
    );
    // A record sealed before, to the first key.
    let before = read::records_readable_by(w.view(&a), &party).unwrap().len();
    assert!(before > 0);
    let at = w.ok(actions::rotate_key_entry(&s1, &next));
    assert_eq!(
        read::subject_key(w.view(&a), &party).unwrap(),
        Some(next.public())
    );
    // The retired key signs nothing for the borrower; the new one does.
    assert_eq!(
        w.rejected(actions::freeze_entry(&s1, true)).code,
        RejectCode::BadSignature
    );
    assert!(w.ok(actions::freeze_entry(&next, true)) > at);
    w.ok(actions::freeze_entry(&next, false));
    // Rotating back to the retired key is refused: it is never a key again.
    let back = s1.clone().for_party(party);
    assert_eq!(
        w.rejected(actions::rotate_key_entry(&next, &back)).code,
        RejectCode::AlreadyExists
    );
    // New records are sealed to the new key, and one sealed to the retired
    // key is refused.
    let t = tradeline(1_000, 5_000, 100, false);
    let to = actions::record_recipients(w.view(&a), &a, &party, w.now()).unwrap();
    assert!(to.contains(&next.public()) && !to.contains(&s1.public()));
    let (_, fresh) = actions::tradeline_entry(&to, &a, &party, &t, None).unwrap();
    w.ok(fresh);
    let mut stale = to.clone();
    let i = stale.iter().position(|k| *k == next.public()).unwrap();
    stale[i] = s1.public();
    let (_, bad) = actions::tradeline_entry(&stale, &a, &party, &t, None).unwrap();
    assert_eq!(w.rejected(bad).code, RejectCode::BadSeal);
    // Every record stays readable by its holder: the old ones with the
    // retired key, the new one with the new key.
    let all = read::records_readable_by(w.view(&a), &party).unwrap();
    assert_eq!(all.len(), before + 1);
    let (mut by_old, mut by_new) = (0, 0);
    for r in &all {
        let (rec, extra) = read::furnished(w.view(&a), &r.record_id).unwrap();
        by_old += actions::open_furnished(&s1, &rec, &extra).is_ok() as usize;
        by_new += actions::open_furnished(&next, &rec, &extra).is_ok() as usize;
    }
    assert_eq!((by_old, by_new), (before, 1));
}

#[test]
fn query_after_expiry_is_refused() {
    let mut w = world();
    w.advance(31 * DAY);
    let e = forced_query(&w, w.consent_a, Predicate::ScoreAtLeast { min: 600 });
    let r = w.rejected(e);
    assert_eq!(r.code, RejectCode::NoLiveConsent);
    assert!(r.message.contains("expired"), "{r}");
}

#[test]
fn consent_limits_the_predicates() {
    let mut w = world();
    let (s1, b) = (w.s1.clone(), w.bank_b.clone());
    let only_score = AllowedPredicates::only(&[PredicateKind::ScoreAtLeast]);
    let cid = w.grant_for_a_day(&s1, &b.party_id(), only_score);
    let q = sign_entry(
        Entry::QueryAsked(QueryAsked {
            query_id: actions::new_id(),
            requester: b.party_id(),
            subject: s1.party_id(),
            consent_id: cid,
            predicate: Predicate::TotalDebtBelow { limit: 1 },
            responder: w.agency.party_id(),
            target: None,
            operator: None,
        }),
        &[&b],
    );
    assert_eq!(w.rejected(q).code, RejectCode::PredicateNotAllowed);
    w.ask(
        &b,
        &s1.party_id(),
        Predicate::ScoreAtLeast { min: 500 },
        None,
    );
}

#[test]
fn employment_consent_must_be_explicit() {
    let mut w = world();
    let c = Consent {
        consent_id: actions::new_id(),
        subject: w.s1.party_id(),
        grantee: w.bank_b.party_id(),
        purpose: Purpose::Employment,
        predicates: AllowedPredicates::Any,
        expires_at: w.now() + DAY,
        explicit: false,
    };
    let e = sign_entry(Entry::ConsentGranted(c), &[&w.s1]);
    assert_eq!(w.rejected(e).code, RejectCode::Malformed);
}

#[test]
fn records_from_non_members_or_non_lenders_are_refused() {
    let mut w = world();
    let now = w.now();
    let outsider = Identity::generate(&mut OsRng);
    let recips =
        actions::record_recipients(w.view(&w.bank_a.clone()), &outsider, &w.s1.party_id(), now)
            .unwrap();
    let (_, e) = actions::tradeline_entry(
        &recips,
        &outsider,
        &w.s1.party_id(),
        &tradeline(1, 2, 1, false),
        None,
    )
    .unwrap();
    assert_eq!(w.rejected(e).code, RejectCode::UnknownMember);
    let reg = w.regulator.clone();
    let recips = actions::record_recipients(w.view(&reg), &reg, &w.s1.party_id(), now).unwrap();
    let (_, e) = actions::tradeline_entry(
        &recips,
        &reg,
        &w.s1.party_id(),
        &tradeline(1, 2, 1, false),
        None,
    )
    .unwrap();
    assert_eq!(w.rejected(e).code, RejectCode::WrongRole);
}

#[test]
fn tampered_records_are_refused() {
    let mut w = world();
    let a = w.bank_a.clone();
    let s1 = w.s1.party_id();
    let now = w.now();
    let (_, good) =
        actions::furnish_tradeline(w.view(&a), &a, &s1, &tradeline(5, 10, 1, false), None, now)
            .unwrap();
    let resign = |r: RecordFurnished| sign_entry(Entry::RecordFurnished(r), &[&a]);

    let mut r = record_entry(&good);
    r.validity.0[40] ^= 1;
    assert_eq!(w.rejected(resign(r)).code, RejectCode::BadProof);

    let mut r = record_entry(&good);
    if let Ciphertext::Kept(ct) = &mut r.sealed.ciphertext {
        let last = ct.len() - 1;
        ct[last] ^= 1;
    }
    assert_eq!(w.rejected(resign(r)).code, RejectCode::BadSeal);

    // A new record without its content (only the digest an erasure leaves),
    // even with every signature good, is refused: only an erasure removes it.
    let mut r = record_entry(&good);
    r.sealed = r.sealed.erased();
    let refused = w.rejected(resign(r));
    assert_eq!(refused.code, RejectCode::BadSeal);
    assert!(
        refused.message.contains("no ciphertext"),
        "{}",
        refused.message
    );

    // Commitments swapped for another record's: the validity proof no longer fits.
    let (_, other) =
        actions::furnish_tradeline(w.view(&a), &a, &s1, &tradeline(7, 10, 1, false), None, now)
            .unwrap();
    let mut r = record_entry(&good);
    r.commitments = record_entry(&other).commitments;
    assert_eq!(w.rejected(resign(r)).code, RejectCode::BadProof);

    let mut bad_sig = good.clone();
    bad_sig.signatures[0].0[5] ^= 1;
    assert_eq!(w.rejected(bad_sig).code, RejectCode::BadSignature);

    // Sealed to bank-b, which has no consent from the subject.
    let mut recips = actions::record_recipients(w.view(&a), &a, &s1, now).unwrap();
    recips.push(w.bank_b.public());
    let (_, e) =
        actions::tradeline_entry(&recips, &a, &s1, &tradeline(5, 10, 1, false), None).unwrap();
    assert_eq!(w.rejected(e).code, RejectCode::NoLiveConsent);

    // A value outside [0, 2^32) cannot be proven, so it cannot be furnished.
    let err = actions::furnish_tradeline(
        w.view(&a),
        &a,
        &s1,
        &tradeline(1 << 32, 10, 1, false),
        None,
        now,
    )
    .unwrap_err();
    assert_eq!(err.code, credence_api::ErrorCode::InvalidInput);

    w.ok(good.clone());
    assert_eq!(
        w.rejected(good).code,
        RejectCode::AlreadyExists,
        "a replayed record"
    );
}

#[test]
fn forged_and_replayed_answers_are_refused() {
    let mut w = world();
    let a = w.bank_a.clone();
    let s1 = w.s1.party_id();
    let q1 = w.ask(&a, &s1, Predicate::TotalDebtBelow { limit: 400_000 }, None);
    let q2 = w.ask(&a, &s1, Predicate::TotalDebtBelow { limit: 200_000 }, None);
    let ag = w.agency.clone();
    let a1 = w.answer(&q1);
    let Entry::QueryAnswered(ans1) = a1.entry.clone() else {
        panic!()
    };

    // q1's proof replayed as the answer to q2 (another query and threshold).
    let mut replay = ans1.clone();
    replay.query_id = q2;
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(replay), &[&ag]))
            .code,
        RejectCode::BadProof
    );
    // The answer bit flipped: the proof is for the other side.
    let mut flipped = ans1.clone();
    flipped.proof.answer.holds = !flipped.proof.answer.holds;
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(flipped), &[&ag]))
            .code,
        RejectCode::BadProof
    );
    // A byte of the proof altered.
    let mut bent = ans1.clone();
    bent.proof.proof[100] ^= 1;
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(bent), &[&ag]))
            .code,
        RejectCode::BadProof
    );
    // Inputs other than the rules derive.
    let mut stale = ans1.clone();
    stale.inputs.push(w.income);
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(stale), &[&ag]))
            .code,
        RejectCode::StaleInputs
    );
    // From another member than the addressed agency.
    let b = w.bank_b.clone();
    let mut other = ans1.clone();
    other.responder = b.party_id();
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(other), &[&b]))
            .code,
        RejectCode::WrongRole
    );
    // An answer to a query that was never asked.
    let mut never = ans1.clone();
    never.query_id = actions::new_id();
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(never), &[&ag]))
            .code,
        RejectCode::UnknownQuery
    );
    // The real answer lands once; a second answer does not.
    w.ok(a1.clone());
    assert_eq!(w.rejected(a1).code, RejectCode::AlreadyExists);
    let again = sign_entry(Entry::QueryAnswered(ans1), &[&ag]);
    let mut again2 = again.clone();
    if let Entry::QueryAnswered(x) = &mut again2.entry {
        x.inputs = x.inputs.clone();
    }
    assert!(matches!(
        w.rejected(again).code,
        RejectCode::AlreadyExists | RejectCode::AlreadyAnswered
    ));
}

#[test]
fn a_proof_for_a_false_statement_is_refused() {
    let mut w = world();
    let a = w.bank_a.clone();
    // balance is 300,000: "balance <= 1000" is false.
    let q = w.ask(
        &a,
        &w.s1.party_id(),
        Predicate::BalanceAtMost { max: 1000 },
        Some(w.tradeline),
    );
    let honest = w.answer(&q);
    let Entry::QueryAnswered(mut lie) = honest.entry.clone() else {
        panic!()
    };
    assert!(!lie.proof.answer.holds);
    // Claim "holds" with a proof of a true statement about another threshold.
    let q_true = w.ask(
        &a,
        &w.s1.party_id(),
        Predicate::BalanceAtMost { max: 400_000 },
        Some(w.tradeline),
    );
    let Entry::QueryAnswered(t) = w.answer(&q_true).entry else {
        panic!()
    };
    lie.proof = t.proof;
    assert_eq!(
        w.rejected(sign_entry(Entry::QueryAnswered(lie), &[&w.agency.clone()]))
            .code,
        RejectCode::BadProof
    );
    w.ok(honest);
}

#[test]
fn sharing_gives_a_newly_consented_member_access() {
    let mut w = world();
    let (s1, a, b) = (w.s1.clone(), w.bank_a.clone(), w.bank_b.clone());
    assert_eq!(
        actions::open_record(w.view(&b), &b, &w.tradeline)
            .unwrap_err()
            .code,
        credence_api::ErrorCode::NotPermitted
    );
    // Sharing without consent is refused.
    let early = actions::share_records(w.view(&a), &a, &s1.party_id(), &b.party_id()).unwrap();
    assert_eq!(w.rejected(early[0].clone()).code, RejectCode::NoLiveConsent);
    w.grant_for_a_day(&s1, &b.party_id(), AllowedPredicates::Any);
    for e in actions::share_records(w.view(&a), &a, &s1.party_id(), &b.party_id()).unwrap() {
        w.ok(e);
    }
    let p = actions::open_record(w.view(&b), &b, &w.tradeline).unwrap();
    assert!(matches!(p, credence_ledger::payload::Payload::Tradeline(_)));
    let log = read::access_log(w.view(&a), &s1.party_id()).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "record-shared" && e.party == b.party_id()));
}

#[test]
fn borrower_reads_own_records_and_disputes_one() {
    let mut w = world();
    let (s1, a) = (w.s1.clone(), w.bank_a.clone());
    let recs = credence_api::reads::readable_records(w.view(&a), &s1).unwrap();
    assert_eq!(recs.len(), 2);
    let (did, e) =
        actions::open_dispute(w.view(&a), &s1, &w.tradeline, DisputeReason::WrongBalance).unwrap();
    w.ok(e);
    let info = read::records_of_subject(w.view(&a), &s1.party_id()).unwrap();
    assert_eq!(
        info.iter()
            .find(|r| r.record_id == w.tradeline)
            .unwrap()
            .compliance,
        Some(ComplianceCode::Disputed)
    );
    // Only the furnisher resolves; a correction must correct the disputed record.
    let b = w.bank_b.clone();
    assert_eq!(
        w.rejected(actions::resolve_dispute(&b, &did, DisputeOutcome::Verified))
            .code,
        RejectCode::WrongRole
    );
    let bogus = actions::resolve_dispute(
        &a,
        &did,
        DisputeOutcome::Corrected {
            correction: w.income,
        },
    );
    assert_eq!(w.rejected(bogus).code, RejectCode::UnknownRecord);
    let now = w.now();
    let (fix, e) = actions::furnish_tradeline(
        w.view(&a),
        &a,
        &s1.party_id(),
        &tradeline(250_000, 1_000_000, 20_000, false),
        Some(w.tradeline),
        now,
    )
    .unwrap();
    w.ok(e);
    w.ok(actions::resolve_dispute(
        &a,
        &did,
        DisputeOutcome::Corrected { correction: fix },
    ));
    let info = read::records_of_subject(w.view(&a), &s1.party_id()).unwrap();
    let old = info.iter().find(|r| r.record_id == w.tradeline).unwrap();
    assert_eq!(
        (old.status, old.compliance),
        (
            RecordStatus::Superseded,
            Some(ComplianceCode::DisputeResolved)
        )
    );
    // Sums now use the correction, not the superseded record.
    let q = w.ask(
        &a,
        &s1.party_id(),
        Predicate::TotalDebtBelow { limit: 250_001 },
        None,
    );
    let e = w.answer(&q);
    w.ok(e);
    assert!(verify_answer(w.view(&a), &q).unwrap().holds);
    // Another borrower cannot dispute s1's record.
    let s2 = w.s2.clone();
    assert!(actions::open_dispute(w.view(&a), &s2, &fix, DisputeReason::NotMine).is_err());
    let forced = sign_entry(
        Entry::DisputeOpened {
            dispute_id: actions::new_id(),
            subject: s2.party_id(),
            record_id: fix,
            reason: DisputeReason::NotMine,
        },
        &[&s2],
    );
    assert_eq!(w.rejected(forced).code, RejectCode::UnknownRecord);
}

fn inputs_of(answer: &SignedEntry) -> Vec<Id> {
    match &answer.entry {
        Entry::QueryAnswered(a) => a.inputs.clone(),
        other => panic!("not an answer: {other:?}"),
    }
}

/// FCRA §611: a dispute its furnisher leaves unanswered past the genesis
/// policy's deadline is decided for the borrower: from that block time the
/// record is left out of every answer (and cannot be a balance question's
/// target) until the furnisher confirms or corrects it.
#[test]
fn a_dispute_unanswered_past_its_deadline_leaves_the_record_out_until_the_furnisher_answers() {
    let mut w = world();
    let (s1, a) = (w.s1.clone(), w.bank_a.clone());
    let (did, e) =
        actions::open_dispute(w.view(&a), &s1, &w.tradeline, DisputeReason::WrongBalance).unwrap();
    w.ok(e);
    let d = read::disputes(w.view(&a), Some(&s1.party_id())).unwrap();
    assert_eq!(d[0].deadline, d[0].opened_at + 30 * DAY);
    let debt = Predicate::TotalDebtBelow { limit: 1 };
    let q = w.ask(&a, &s1.party_id(), debt, None);
    assert!(
        inputs_of(&w.answer(&q)).contains(&w.tradeline),
        "in time, it counts"
    );

    // Thirty days on (the bank's consent lapsed too: the borrower gives a new one).
    w.advance(30 * DAY);
    w.grant_for_a_day(&s1, &a.party_id(), AllowedPredicates::Any);
    let now = w.now();
    let q = w.ask(&a, &s1.party_id(), debt, None);
    let answer = w.answer(&q);
    assert!(
        !inputs_of(&answer).contains(&w.tradeline),
        "overdue: left out"
    );
    w.ok(answer);
    // Not a target either: the asker's client says why, the rules refuse a forced one.
    let e = actions::ask(
        w.view(&a),
        &a,
        &s1.party_id(),
        Predicate::BalanceAtMost { max: 1 },
        &w.agency.party_id(),
        Some(w.tradeline),
        now,
    )
    .unwrap_err();
    assert!(e.message.contains("did not answer in time"), "{e}");
    let consent = read::consents_of_subject(w.view(&a), &s1.party_id())
        .unwrap()
        .into_iter()
        .find(|c| c.consent.grantee == a.party_id() && c.live_at(now))
        .unwrap()
        .consent
        .consent_id;
    let forced = sign_entry(
        Entry::QueryAsked(QueryAsked {
            query_id: actions::new_id(),
            requester: a.party_id(),
            subject: s1.party_id(),
            consent_id: consent,
            predicate: Predicate::BalanceAtMost { max: 1 },
            responder: w.agency.party_id(),
            target: Some(w.tradeline),
            operator: None,
        }),
        &[&a],
    );
    let r = w.rejected(forced);
    assert_eq!(r.code, RejectCode::UnknownRecord);
    assert!(r.message.contains("did not answer in time"), "{r}");
    // The furnisher confirms it: it counts again.
    w.ok(actions::resolve_dispute(&a, &did, DisputeOutcome::Verified));
    let q = w.ask(&a, &s1.party_id(), debt, None);
    let answer = w.answer(&q);
    assert!(
        inputs_of(&answer).contains(&w.tradeline),
        "confirmed: it counts"
    );
    w.ok(answer);
}

fn join_request(candidate: &Identity, name: &str) -> JoinRequest {
    sign_join_request(
        candidate,
        "test",
        Member {
            name: name.into(),
            role: Role::Lender,
            key: candidate.public(),
        },
        "127.0.0.1:9",
    )
}

fn proposal_status(w: &World, id: &Id) -> (String, Option<u64>) {
    let p = read::membership_proposals(w.view(&w.regulator))
        .unwrap()
        .into_iter()
        .find(|p| p.proposal_id == *id)
        .expect("the proposal is on the ledger");
    (p.status.as_str().to_string(), p.effective_epoch)
}

fn validators(w: &World, epoch: u64) -> Vec<String> {
    read::members_at_epoch(w.view(&w.regulator), epoch)
        .unwrap()
        .into_iter()
        .map(|m| m.member.name)
        .collect()
}

#[test]
fn admission_needs_two_thirds_and_takes_effect_at_the_next_epoch() {
    let mut w = world();
    let (reg, ag, a) = (w.regulator.clone(), w.agency.clone(), w.bank_a.clone());
    let newcomer = Identity::generate(&mut OsRng);
    let (pid, e) = actions::propose_admission(&reg, join_request(&newcomer, "bank-c"));
    w.ok(e);
    w.ok(actions::vote_membership(&ag, &pid, true));
    // 2 of 4 is not 2/3.
    assert_eq!(proposal_status(&w, &pid), ("open".into(), None));
    let h = w.ok(actions::vote_membership(&a, &pid, true));
    let next = h / EPOCH + 1;
    assert_eq!(proposal_status(&w, &pid), ("approved".into(), Some(next)));
    // A late vote on a decided proposal is refused.
    let bb = w.bank_b.clone();
    assert_eq!(
        w.rejected(actions::vote_membership(&bb, &pid, true)).code,
        RejectCode::AlreadyAnswered
    );
    // Not a member before its epoch: cannot enrol a borrower yet.
    let s = Identity::generate(&mut OsRng);
    assert_eq!(
        w.rejected(actions::enrol(&s, &newcomer)).code,
        RejectCode::UnknownMember
    );
    assert!(!validators(&w, next - 1).contains(&"bank-c".to_string()));
    assert!(validators(&w, next).contains(&"bank-c".to_string()));
    w.run_to_epoch(next);
    w.ok(actions::enrol(&s, &newcomer));
    assert_eq!(validators(&w, next).len(), 5);
    // The state every member derived is the same.
    let heads: Vec<_> = [&w.regulator, &w.agency, &w.bank_a, &w.bank_b]
        .iter()
        .map(|m| w.view(m).head().unwrap().unwrap().hash)
        .collect();
    assert!(heads.windows(2).all(|p| p[0] == p[1]));
}

#[test]
fn removal_takes_effect_at_the_next_epoch_and_more_than_a_third_against_refuses() {
    let mut w = world();
    let (reg, ag, a, b) = (
        w.regulator.clone(),
        w.agency.clone(),
        w.bank_a.clone(),
        w.bank_b.clone(),
    );
    // Two of four against: refused.
    let (pid, e) = actions::propose_removal(&reg, &b.party_id());
    w.ok(e);
    w.ok(actions::vote_membership(&b, &pid, false));
    assert_eq!(proposal_status(&w, &pid).0, "open");
    w.ok(actions::vote_membership(&a, &pid, false));
    assert_eq!(proposal_status(&w, &pid).0, "refused");
    // Proposed again, approved by three.
    let (pid, e) = actions::propose_removal(&reg, &b.party_id());
    w.ok(e);
    w.ok(actions::vote_membership(&ag, &pid, true));
    let h = w.ok(actions::vote_membership(&a, &pid, true));
    let next = h / EPOCH + 1;
    assert_eq!(proposal_status(&w, &pid), ("approved".into(), Some(next)));
    // Still a member until the epoch ends.
    let s = Identity::generate(&mut OsRng);
    w.ok(actions::enrol(&s, &b));
    w.run_to_epoch(next);
    let s = Identity::generate(&mut OsRng);
    assert_eq!(
        w.rejected(actions::enrol(&s, &b)).code,
        RejectCode::UnknownMember
    );
    assert_eq!(validators(&w, next), vec!["agency", "bank-a", "regulator"]);
    assert_eq!(validators(&w, next - 1).len(), 4);
}

#[test]
fn membership_entries_are_checked_like_any_other() {
    let mut w = world();
    let (reg, ag, b) = (w.regulator.clone(), w.agency.clone(), w.bank_b.clone());
    let newcomer = Identity::generate(&mut OsRng);
    let outsider = Identity::generate(&mut OsRng);
    // A non-member cannot propose.
    let (_, e) = actions::propose_admission(&outsider, join_request(&newcomer, "bank-c"));
    assert_eq!(w.rejected(e).code, RejectCode::UnknownMember);
    // A join request signed by another key than the candidate's.
    let mut forged = join_request(&outsider, "bank-c");
    forged.member.key = newcomer.public();
    let (_, e) = actions::propose_admission(&reg, forged);
    assert_eq!(w.rejected(e).code, RejectCode::BadSignature);
    // A join request for another consortium.
    let other = sign_join_request(
        &newcomer,
        "another",
        Member {
            name: "bank-c".into(),
            role: Role::Lender,
            key: newcomer.public(),
        },
        "127.0.0.1:9",
    );
    let (_, e) = actions::propose_admission(&reg, other);
    assert_eq!(w.rejected(e).code, RejectCode::Malformed);
    // An unparsable address.
    let bad_addr = sign_join_request(
        &newcomer,
        "test",
        Member {
            name: "bank-c".into(),
            role: Role::Lender,
            key: newcomer.public(),
        },
        "somewhere",
    );
    let (_, e) = actions::propose_admission(&reg, bad_addr);
    assert_eq!(w.rejected(e).code, RejectCode::Malformed);
    // Admitting a key that is already a member's.
    let (_, e) = actions::propose_admission(&reg, join_request(&b, "bank-b2"));
    assert_eq!(w.rejected(e).code, RejectCode::AlreadyExists);
    // A proposer's signature that does not verify.
    let (_, mut e) = actions::propose_admission(&reg, join_request(&newcomer, "bank-c"));
    e.signatures[0].0[5] ^= 1;
    assert_eq!(w.rejected(e).code, RejectCode::BadSignature);
    // One open proposal per member; one vote per voter; votes only on known proposals.
    let (pid, e) = actions::propose_admission(&reg, join_request(&newcomer, "bank-c"));
    w.ok(e);
    let (_, again) = actions::propose_admission(&ag, join_request(&newcomer, "bank-c"));
    assert_eq!(w.rejected(again).code, RejectCode::AlreadyExists);
    assert_eq!(
        w.rejected(actions::vote_membership(&reg, &pid, true)).code,
        RejectCode::AlreadyExists
    );
    assert_eq!(
        w.rejected(actions::vote_membership(&ag, &[7u8; 32], true))
            .code,
        RejectCode::UnknownQuery
    );
    // A vote by a non-member.
    assert_eq!(
        w.rejected(actions::vote_membership(&outsider, &pid, true))
            .code,
        RejectCode::UnknownMember
    );
    // A member's rotation signed by its current key alone (not the new one).
    let e = sign_entry(
        Entry::KeyRotated {
            party: reg.party_id(),
            new_key: newcomer.public(),
            compromised_since: None,
        },
        &[&reg],
    );
    assert_eq!(w.rejected(e).code, RejectCode::BadSignature);
}

#[test]
fn unknown_subject_and_bad_predicates_are_clear_errors() {
    let w = world();
    let a = w.bank_a.clone();
    let ghost = Identity::generate(&mut OsRng).party_id();
    let e = actions::ask(
        w.view(&a),
        &a,
        &ghost,
        Predicate::ScoreAtLeast { min: 1 },
        &w.agency.party_id(),
        None,
        w.now(),
    )
    .unwrap_err();
    assert_eq!(e.code, credence_api::ErrorCode::NotFound);
    assert!(e.message.contains("not enrolled"), "{}", e.message);
    let e = actions::ask(
        w.view(&a),
        &a,
        &w.s1.party_id(),
        Predicate::ScoreAtLeast { min: 1 << 32 },
        &w.agency.party_id(),
        None,
        w.now(),
    )
    .unwrap_err();
    assert_eq!(e.code, credence_api::ErrorCode::InvalidInput);
    assert!("income > 5".parse::<Predicate>().is_err());
    assert!("score >= 99999999999"
        .parse::<Predicate>()
        .map(|p| p.validate().is_err())
        .unwrap_or(true));
}

#[test]
fn blocks_are_idempotent_and_conflicts_are_refused() {
    let mut w = world();
    let head = w.view(&w.regulator.clone()).head().unwrap().unwrap();
    let (block, cert) = w
        .view(&w.regulator.clone())
        .block(head.height)
        .unwrap()
        .unwrap();
    // Re-delivery of the stored block is a no-op at every member.
    for n in 0..4 {
        let party = w.c.nodes()[n].party();
        let _ = party;
    }
    w.c.deliver(&block, &cert).unwrap();
    let mut n0 = credence_ledger::Ledger::open(&w.dir.path().join("regulator.db")).unwrap();
    assert_eq!(n0.apply_block(&block, &cert).unwrap(), Applied::AlreadyHad);
    // A different block at a stored height conflicts.
    let mut other = block.clone();
    other.header.timestamp += 1;
    assert!(matches!(
        n0.apply_block(&other, &cert),
        Err(credence_ledger::LedgerError::Conflict { .. })
    ));
    // A block certified by a non-member is refused.
    let outsider = Identity::generate(&mut OsRng);
    let e = actions::enrol(&Identity::generate(&mut OsRng), &w.bank_a);
    let header = BlockHeader {
        height: head.height + 1,
        parent: head.hash,
        timestamp: head.timestamp,
        proposer: outsider.party_id(),
        entries_root: entries_root(std::slice::from_ref(&e)),
    };
    let b = Block {
        header,
        entries: vec![e],
    };
    let c = certify(&block_hash(&b), &outsider);
    assert!(w.c.deliver(&b, &c).is_err());
    assert_eq!(w.view(&w.regulator.clone()).head().unwrap().unwrap(), head);
}

/// Deliver `entries` as the next block, proposed and certified by the
/// regulator, to every member (a faulty proposer's block, entries unjudged);
/// its height.
fn deliver_from_regulator(w: &mut World, entries: Vec<SignedEntry>, now: u64) -> u64 {
    let regulator = w.regulator.clone();
    let head = w.view(&regulator).head().unwrap().unwrap();
    let header = BlockHeader {
        height: head.height + 1,
        parent: head.hash,
        timestamp: now,
        proposer: regulator.party_id(),
        entries_root: entries_root(&entries),
    };
    let block = Block { header, entries };
    let cert = certify(&block_hash(&block), &regulator);
    w.c.deliver(&block, &cert).unwrap();
    head.height + 1
}

/// Validity proofs are verified in batches; a batch holding one bad proof
/// must not sink the good ones beside it, nor let the bad one through.
#[test]
fn a_block_mixing_valid_and_invalid_validity_proofs_is_judged_entry_by_entry() {
    let mut w = world();
    let a = w.bank_a.clone();
    let s1 = w.s1.party_id();
    let now = w.now();
    let records: Vec<SignedEntry> = (0..12u64)
        .map(|i| {
            actions::furnish_tradeline(
                w.view(&a),
                &a,
                &s1,
                &tradeline(100 + i, 1000, 1, i % 2 == 0),
                None,
                now,
            )
            .unwrap()
            .1
        })
        .collect();
    let resign = |r: RecordFurnished| sign_entry(Entry::RecordFurnished(r), &[&a]);
    let mut entries = records.clone();
    // 3: one byte of its proof flipped; 7: record 8's proof; 10: a proof of
    // a size neither form has.
    let mut r = record_entry(&records[3]);
    let at = r.validity.0.len() / 2;
    r.validity.0[at] ^= 1;
    entries[3] = resign(r);
    let mut r = record_entry(&records[7]);
    r.validity = record_entry(&records[8]).validity;
    entries[7] = resign(r);
    let mut r = record_entry(&records[10]);
    r.validity.0.pop();
    entries[10] = resign(r);

    let before = read::records_of_subject(w.view(&a), &s1).unwrap().len();
    let height = deliver_from_regulator(&mut w, entries, now);

    for n in w.c.nodes() {
        let rej: Vec<(usize, RejectCode)> = n
            .ledger()
            .rejected_entries()
            .unwrap()
            .into_iter()
            .filter(|(h, ..)| *h == height)
            .map(|(_, i, _, r)| (i, r.code))
            .collect();
        assert_eq!(
            rej,
            vec![
                (3, RejectCode::BadProof),
                (7, RejectCode::BadProof),
                (10, RejectCode::BadProof)
            ]
        );
    }
    assert_eq!(
        read::records_of_subject(w.view(&a), &s1).unwrap().len(),
        before + 9
    );
    w.verify_all();
}

#[test]
fn a_faulty_proposers_invalid_entries_are_refused_identically_by_every_member() {
    let mut w = world();
    let (a, ag, s1, s2) = (
        w.bank_a.clone(),
        w.agency.clone(),
        w.s1.clone(),
        w.s2.clone(),
    );
    let now = w.now();
    // A forged consent: s2's consent signed by bank-a.
    let forged_consent = sign_entry(
        Entry::ConsentGranted(Consent {
            consent_id: actions::new_id(),
            subject: s2.party_id(),
            grantee: a.party_id(),
            purpose: Purpose::CreditApplication,
            predicates: AllowedPredicates::Any,
            expires_at: now + DAY,
            explicit: false,
        }),
        &[&a],
    );
    // A record whose validity proof is another record's (out-of-range values cannot be proven).
    let (_, r1) = actions::furnish_tradeline(
        w.view(&a),
        &a,
        &s1.party_id(),
        &tradeline(1, 2, 1, false),
        None,
        now,
    )
    .unwrap();
    let (_, r2) = actions::furnish_tradeline(
        w.view(&a),
        &a,
        &s1.party_id(),
        &tradeline(3, 4, 1, false),
        None,
        now,
    )
    .unwrap();
    let mut bad_record = record_entry(&r1);
    bad_record.validity = record_entry(&r2).validity;
    let bad_record = sign_entry(Entry::RecordFurnished(bad_record), &[&a]);
    // An answer to a query never asked.
    let q = w.ask(&a, &s1.party_id(), Predicate::NoSeriousDelinquency, None);
    let Entry::QueryAnswered(mut orphan) = w.answer(&q).entry else {
        panic!()
    };
    orphan.query_id = actions::new_id();
    let orphan = sign_entry(Entry::QueryAnswered(orphan), &[&ag]);
    // A valid entry, and its duplicate.
    let good = r2.clone();
    let entries = vec![forged_consent, bad_record, orphan, good.clone(), good];

    deliver_from_regulator(&mut w, entries, now);

    let mut seen = Vec::new();
    for n in w.c.nodes() {
        let rej: Vec<(usize, RejectCode)> = n
            .ledger()
            .rejected_entries()
            .unwrap()
            .into_iter()
            .map(|(_, i, _, r)| (i, r.code))
            .collect();
        seen.push((n.ledger().head().unwrap().unwrap().hash, rej));
    }
    assert!(
        seen.windows(2).all(|p| p[0] == p[1]),
        "members diverged: {seen:?}"
    );
    assert_eq!(
        seen[0].1,
        vec![
            (0, RejectCode::BadSignature),
            (1, RejectCode::BadProof),
            (2, RejectCode::UnknownQuery),
            (4, RejectCode::AlreadyExists)
        ]
    );
    // The valid entry took effect; the refused ones did not.
    assert_eq!(
        read::records_of_subject(w.view(&a), &s1.party_id())
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        read::consents_of_subject(w.view(&a), &s2.party_id())
            .unwrap()
            .len(),
        1
    );
    w.verify_all();
}

/// Erasure (GDPR Art. 17, FCRA §605): a lawful request the regulator
/// approves, or the end of the genesis policy's retention, removes a record's
/// sealed content at every member. No later answer uses it, nobody opens it,
/// the borrower's access log shows it, and every member's file still
/// verifies from genesis — and stops verifying when the digest kept in place
/// of the content is changed, or when content is removed without an erasure.
#[test]
fn an_erased_record_leaves_every_answer_and_store_and_the_chain_still_verifies() {
    let mut w = world();
    let (s1, a, reg) = (w.s1.clone(), w.bank_a.clone(), w.regulator.clone());
    let b = w.bank_b.clone();
    let tl = w.tradeline;
    let erase = |w: &World, by: &Identity, id: &Id, g| {
        actions::erase_record(w.view(by), by, id, g).unwrap()
    };

    // Within its retention, nobody erases it on that ground.
    let r = w.rejected(erase(&w, &a, &tl, ErasureGrounds::Retention));
    assert_eq!(r.code, RejectCode::Retained);
    assert!(r.message.contains("2557 days"), "{r}");
    // A lawful request is the regulator's to approve: a lender's is refused.
    let r = w.rejected(erase(&w, &a, &tl, ErasureGrounds::LawfulRequest));
    assert_eq!(r.code, RejectCode::WrongRole);
    // The regulator's name with a lender's signature is refused.
    let forged = sign_entry(
        Entry::RecordErased {
            record_id: tl,
            subject: s1.party_id(),
            by: reg.party_id(),
            grounds: ErasureGrounds::LawfulRequest,
        },
        &[&a],
    );
    assert_eq!(w.rejected(forged).code, RejectCode::BadSignature);
    // The record named under another borrower is refused.
    let wrong = sign_entry(
        Entry::RecordErased {
            record_id: tl,
            subject: w.s2.party_id(),
            by: reg.party_id(),
            grounds: ErasureGrounds::LawfulRequest,
        },
        &[&reg],
    );
    assert_eq!(w.rejected(wrong).code, RejectCode::UnknownRecord);

    // Before: the bank's debt question counts the tradeline.
    let debt = Predicate::TotalDebtBelow { limit: 1 };
    let q = w.ask(&a, &s1.party_id(), debt, None);
    assert!(inputs_of(&w.answer(&q)).contains(&tl));

    w.ok(erase(&w, &reg, &tl, ErasureGrounds::LawfulRequest));
    let again =
        actions::erase_record(w.view(&reg), &reg, &tl, ErasureGrounds::LawfulRequest).unwrap_err();
    assert!(again.message.contains("already erased"), "{again}");

    let height = read::records_of_subject(w.view(&a), &s1.party_id())
        .unwrap()
        .into_iter()
        .find(|r| r.record_id == tl)
        .unwrap()
        .height;
    for m in [&reg, &w.agency.clone(), &a, &b] {
        // Every member stores only the digest now, in the entry and in its
        // block, and the block keeps its hash.
        let (rec, _) = read::furnished(w.view(m), &tl).unwrap();
        assert!(rec.sealed.ciphertext.is_erased());
        let (block, _) = w.view(m).block(height).unwrap().unwrap();
        let stored = block
            .entries
            .iter()
            .find_map(|se| match &se.entry {
                Entry::RecordFurnished(r) if r.record_id == tl => Some(r),
                _ => None,
            })
            .unwrap();
        assert!(stored.sealed.ciphertext.is_erased());
        assert_eq!(entries_root(&block.entries), block.header.entries_root);
    }
    for who in [&s1, &a] {
        let e = actions::open_record(w.view(&a), who, &tl).unwrap_err();
        assert_eq!(e.code, credence_ledger::ErrorCode::Erased, "{e}");
    }
    // No answer uses it, and it cannot be a question's target.
    let q = w.ask(&a, &s1.party_id(), debt, None);
    let answer = w.answer(&q);
    assert!(!inputs_of(&answer).contains(&tl));
    w.ok(answer);
    let e = actions::ask(
        w.view(&a),
        &a,
        &s1.party_id(),
        Predicate::BalanceAtMost { max: 1 },
        &w.agency.party_id(),
        Some(tl),
        w.now(),
    )
    .unwrap_err();
    assert!(e.message.contains("erased"), "{e}");
    // The borrower's access log shows the erasure and who made it.
    let log = read::access_log(w.view(&a), &s1.party_id()).unwrap();
    assert!(
        log.iter().any(|e| e.action == "erasure"
            && e.party == reg.party_id()
            && e.detail.contains("lawful-request")),
        "{log:?}"
    );

    // Seven years on, any member may erase on retention (here bank-b, which
    // neither furnished the income nor can read it). A node's own sweep
    // takes the records its member furnished, and the regulator's every one.
    w.advance(2557 * DAY);
    let now = w.now();
    let swept = |who: &Identity| credence_api::retention::due_for(w.view(who), who, now).unwrap();
    let all = read::records_past_retention(w.view(&a), now, 10_000).unwrap();
    assert!(!all.is_empty());
    assert!(swept(&a).iter().all(|r| r.furnisher == a.party_id()));
    assert!(!swept(&a).is_empty());
    assert!(swept(&b).iter().all(|r| r.furnisher == b.party_id()));
    assert_eq!(
        swept(&reg).len(),
        all.len(),
        "the regulator's node sweeps every record due"
    );
    assert!(swept(&reg).iter().any(|r| r.record_id == w.income));
    w.ok(erase(&w, &b, &w.income.clone(), ErasureGrounds::Retention));

    for n in ["regulator", "agency", "bank-a", "bank-b"] {
        let path = w.dir.path().join(format!("{n}.db"));
        let report = credence_ledger::verify::verify_file(&path, |_, _| {}).unwrap();
        assert!(report.entries > 0);
    }

    // A member catching up from another's ledger gets the erased records in
    // their erased form: a synced block takes them (and ends in the same
    // state and file that verifies), a new block never does.
    let from = w.view(&reg);
    let head = from.head().unwrap().unwrap().height;
    let path = w.dir.path().join("synced.db");
    let mut synced = credence_ledger::Ledger::open(&path).unwrap();
    let mut plain = credence_ledger::Ledger::in_memory().unwrap();
    for h in 0..=head {
        let (block, cert) = from.block(h).unwrap().unwrap();
        if h == 0 {
            synced.apply_block(&block, &cert).unwrap();
        } else {
            synced.apply_synced_block(&block, &cert).unwrap();
        }
        if h <= height {
            plain.apply_block(&block, &cert).unwrap();
        }
    }
    assert_eq!(synced.head().unwrap(), from.head().unwrap());
    assert_eq!(read::counts(&synced).unwrap(), read::counts(from).unwrap());
    credence_ledger::verify::verify_file(&path, |_, _| {}).unwrap();
    let refused = plain.rejected_entries_at(height).unwrap();
    assert!(
        refused.iter().any(|(_, r)| r.code == RejectCode::BadSeal),
        "{refused:?}"
    );

    // Another record, never erased, for the last tampering below.
    let (other, e) = actions::furnish_tradeline(
        w.view(&a),
        &a,
        &s1.party_id(),
        &tradeline(5, 10, 1, false),
        None,
        w.now(),
    )
    .unwrap();
    let other_height = w.ok(e);

    // Tampering, on a copy of bank-a's file each time.
    let file = w.dir.path().join("bank-a.db");
    let tampered = |at: u64, change: &dyn Fn(&mut RecordFurnished)| {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.db");
        w.view(&a).checkpoint().unwrap();
        std::fs::copy(&file, &copy).unwrap();
        let conn = rusqlite::Connection::open(&copy).unwrap();
        let body: Vec<u8> = conn
            .query_row(
                "SELECT body FROM blocks WHERE height = ?1",
                [at as i64],
                |r| r.get(0),
            )
            .unwrap();
        let mut block: Block = credence_ledger::encode::from_bytes("block", &body).unwrap();
        for se in &mut block.entries {
            if let Entry::RecordFurnished(r) = &mut se.entry {
                change(r);
            }
        }
        conn.execute(
            "UPDATE blocks SET body = ?1 WHERE height = ?2",
            rusqlite::params![credence_ledger::encode::to_bytes(&block), at as i64],
        )
        .unwrap();
        drop(conn);
        credence_ledger::verify::verify_file(&copy, |_, _| {}).unwrap_err()
    };
    // The digest kept in place of the erased content, changed.
    let failure = tampered(height, &|r| {
        if r.record_id == tl {
            r.sealed.ciphertext = Ciphertext::Erased { digest: [7; 32] };
        }
    });
    assert_eq!(failure.height(), Some(height), "{failure}");
    assert!(failure.to_string().contains("entries root"), "{failure}");
    // Content removed behind the chain's back: its digest is right, so only
    // the missing erasure tells.
    let failure = tampered(other_height, &|r| {
        if r.record_id == other {
            r.sealed = r.sealed.erased();
        }
    });
    assert_eq!(failure.height(), Some(other_height), "{failure}");
    assert!(failure.to_string().contains("never erased"), "{failure}");
}

/// A key declared compromised (as of a time, with the rotation to a new
/// key): it signs nothing more, the consents it granted since are revoked
/// and the entries it signed since are listed, and every record sealed to it
/// is listed until its furnisher or its borrower re-seals it to the new key
/// — nobody else may — so the count of records readable only by the leaked
/// key goes to zero.
#[test]
fn a_compromised_keys_records_are_resealed_by_furnisher_or_borrower_until_none_is_left() {
    let mut w = world();
    let (a, b, s1, ag, reg) = (
        w.bank_a.clone(),
        w.bank_b.clone(),
        w.s1.clone(),
        w.agency.clone(),
        w.regulator.clone(),
    );
    let party = s1.party_id();
    let (tl, inc) = (w.tradeline, w.income);
    // The leak: from `since` on, whoever holds the key grants bank-b a consent.
    w.advance(3_600);
    let since = w.now();
    w.advance(60);
    let (_, e) = actions::grant_consent(
        &s1,
        &b.party_id(),
        Purpose::CreditApplication,
        AllowedPredicates::Any,
        w.now() + 30 * DAY,
        false,
        w.now(),
    )
    .unwrap();
    w.ok(e);
    let next = s1.rotated(&mut OsRng);
    // Nothing to re-seal before an incident.
    let (rec, extra) = read::furnished(w.view(&a), &tl).unwrap();
    let to = |w: &World| actions::recipients_for(w.view(&a), &a.public(), &party, w.now()).unwrap();
    let early = actions::reseal_record(&a, &a, &rec, &extra, &to(&w)).unwrap();
    assert_eq!(w.rejected(early).code, RejectCode::NotSupported);
    // Not as of a time after the declaration.
    let future = actions::declare_compromised_entry(&s1, &next, w.now() + 3_600);
    assert_eq!(w.rejected(future).code, RejectCode::Malformed);

    w.ok(actions::declare_compromised_entry(&s1, &next, since));
    // The leaked key signs nothing more.
    assert_eq!(
        w.rejected(actions::freeze_entry(&s1, true)).code,
        RejectCode::BadSignature
    );
    // bank-b's consent, granted since, is revoked; the earlier ones stand.
    let now = w.now();
    let live: Vec<PartyId> = read::consents_of_subject(w.view(&reg), &party)
        .unwrap()
        .into_iter()
        .filter(|c| c.live_at(now))
        .map(|c| c.consent.grantee)
        .collect();
    assert!(!live.contains(&b.party_id()) && live.contains(&ag.party_id()));
    let incident = |w: &World| {
        let mut v = read::key_incidents(w.view(&reg), Some(&party)).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    };
    let i = incident(&w);
    assert_eq!(i.since, since);
    assert_eq!(i.revoked_consents, 1);
    assert_eq!(
        i.suspect_entries
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
        ["consent-granted"]
    );
    let listed: Vec<Id> = i.records.iter().map(|r| r.record_id).collect();
    assert!(listed.contains(&tl) && listed.contains(&inc), "{listed:?}");
    assert_eq!(i.remaining(), listed.len());

    // Nobody but the furnisher or the borrower re-seals: not another bank,
    // not the agency that can read the record, not a forged signature, and
    // not to the leaked key again.
    let (rec, extra) = read::furnished(w.view(&a), &tl).unwrap();
    let by_b = actions::reseal_record(&b, &a, &rec, &extra, &to(&w)).unwrap();
    assert_eq!(w.rejected(by_b).code, RejectCode::WrongRole);
    let by_agency = actions::reseal_record(&ag, &ag, &rec, &extra, &to(&w)).unwrap();
    assert_eq!(w.rejected(by_agency).code, RejectCode::WrongRole);
    let mut forged = actions::reseal_record(&a, &a, &rec, &extra, &to(&w)).unwrap();
    forged.signatures = sign_entry(forged.entry.clone(), &[&b]).signatures;
    assert_eq!(w.rejected(forged).code, RejectCode::BadSignature);
    let mut stale = to(&w);
    let k = stale.iter().position(|k| *k == next.public()).unwrap();
    stale[k] = s1.public();
    let to_old = actions::reseal_record(&a, &a, &rec, &extra, &stale).unwrap();
    assert_eq!(w.rejected(to_old).code, RejectCode::BadSeal);

    // The furnisher re-seals the tradeline; the borrower the income, opening
    // it with the retired key she still holds.
    w.ok(actions::reseal_record(&a, &a, &rec, &extra, &to(&w)).unwrap());
    assert_eq!(incident(&w).remaining(), listed.len() - 1);
    let (irec, iextra) = read::furnished(w.view(&a), &inc).unwrap();
    w.ok(actions::reseal_record(&next, &s1, &irec, &iextra, &to(&w)).unwrap());
    // Anything else listed (none in this world) is re-sealed by its furnisher.
    for r in incident(&w).records {
        if r.resealed_height.is_none() {
            let (rec, extra) = read::furnished(w.view(&a), &r.record_id).unwrap();
            w.ok(actions::reseal_record(&a, &a, &rec, &extra, &to(&w)).unwrap());
        }
    }
    assert_eq!(incident(&w).remaining(), 0);
    // Once re-sealed, a record is not re-sealed again under the incident.
    let (rec, extra) = read::furnished(w.view(&a), &tl).unwrap();
    let again = actions::reseal_record(&a, &a, &rec, &extra, &to(&w)).unwrap();
    assert_eq!(w.rejected(again).code, RejectCode::NotSupported);
    // Each opens with the new key and the furnisher's, never the leaked one.
    for id in [tl, inc] {
        let (rec, extra) = read::furnished(w.view(&a), &id).unwrap();
        actions::open_furnished(&next, &rec, &extra).unwrap();
        actions::open_furnished(&a, &rec, &extra).unwrap();
        assert!(actions::open_furnished(&s1, &rec, &extra).is_err());
    }
    // The superseded ciphertexts, which the leaked key opens, are gone from
    // every member's file (entries and block bodies); only their digests stay.
    for n in ["regulator", "agency", "bank-a", "bank-b"] {
        let l =
            credence_ledger::Ledger::open_read_only(&w.dir.path().join(format!("{n}.db"))).unwrap();
        let top = l.head().unwrap().unwrap().height;
        let stored: Vec<RecordFurnished> = (0..=top)
            .flat_map(|h| l.block(h).unwrap().unwrap().0.entries)
            .filter_map(|se| match se.entry {
                Entry::RecordFurnished(r) if r.record_id == tl || r.record_id == inc => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(stored.len(), 2);
        for r in stored {
            assert!(
                matches!(r.sealed.ciphertext, Ciphertext::Erased { .. }),
                "{n} keeps the ciphertext the leaked key opens"
            );
        }
    }
    w.verify_all();
}
