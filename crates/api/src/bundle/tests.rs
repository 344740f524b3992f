use super::*;
use crate::demo;
use crate::test_support::{small_demo, TempDir};

fn demo_bundles() -> (TempDir, demo::DemoConsortium, Vec<[u8; 32]>) {
    let (dir, c) = small_demo("bundle");
    let reg = c.keys.member("regulator").unwrap().party_id();
    let view = c.network.view(&reg).unwrap();
    let answered: Vec<[u8; 32]> = read::queries(view, &Default::default())
        .unwrap()
        .into_iter()
        .filter(|q| q.answered_at.is_some())
        .map(|q| q.query_id)
        .collect();
    assert!(!answered.is_empty());
    (dir, c, answered)
}

fn refused(b: &ProofBundle) -> bool {
    verify_bundle(b).is_err()
}

#[test]
fn bundles_bind_every_field_and_name_what_needs_a_ledger() {
    let (_dir, c, answered) = demo_bundles();
    let reg = c.keys.member("regulator").unwrap().party_id();
    let view = c.network.view(&reg).unwrap();
    let mut kinds = BTreeSet::new();
    for qid in &answered {
        let b = export(view, qid).unwrap();
        kinds.insert(b.predicate_encoding[..2].to_string());
        let r = verify_bundle(&b).unwrap();
        assert!(!r.against_ledger);
        assert_eq!(r.predicate, b.predicate);
        assert!(r.not_checked.iter().any(|i| i.item == "answered_at"));
        let r = verify_against_ledger(view, &b).unwrap();
        assert!(r.against_ledger);
        assert!(r.not_checked.iter().all(|i| i.item == "ledger file"));
        // The JSON round trip is exact.
        let text = serde_json::to_string_pretty(&b).unwrap();
        assert_eq!(serde_json::from_str::<ProofBundle>(&text).unwrap(), b);
    }
    assert!(kinds.len() >= 3, "the demo asks several kinds: {kinds:?}");

    let b = export(view, &answered[0]).unwrap();
    let other = b.signer_keys.last().unwrap().party.clone();
    let mut t = b.clone();
    t.requester = other.clone();
    assert!(refused(&t), "requester");
    let mut t = b.clone();
    t.subject = other;
    assert!(refused(&t), "subject");
    let mut t = b.clone();
    t.holds = !t.holds;
    assert!(refused(&t), "holds");
    let mut t = b.clone();
    t.branch ^= 1;
    assert!(refused(&t), "branch");
    let mut t = b.clone();
    t.range_bits = 32;
    assert!(refused(&t), "range_bits");
    let mut t = b.clone();
    t.input_ids.push("00".repeat(32));
    assert!(refused(&t), "input_ids");
    let mut t = b.clone();
    t.query_id = t.query_id.to_uppercase();
    assert!(refused(&t), "uppercase hex");
    let mut t = b.clone();
    t.predicate = t.predicate.to_uppercase();
    assert!(refused(&t), "non-canonical predicate");
    let mut t = b.clone();
    t.question_entry.signatures[0] = "00".repeat(64);
    assert!(refused(&t), "question signature");
    let mut t = b.clone();
    t.signer_keys.push(SignerKey {
        party: party_id_of(&[9; 32]).to_hex(),
        ed25519: h(&[9; 32]),
    });
    assert!(refused(&t), "an unused key");
    let mut t = b.clone();
    t.input_entries.reverse();
    t.input_entries.push(b.question_entry.clone());
    assert!(refused(&t), "input entries");
    // answered_at is not bound by any signature: only the ledger refuses it.
    let mut t = b.clone();
    t.answered_at += 1;
    assert!(verify_bundle(&t).is_ok());
    assert!(verify_against_ledger(view, &t).is_err());
    // Version 1 bundles are refused.
    let mut t = b.clone();
    t.version = 1;
    assert!(refused(&t));
    // Unknown fields are refused.
    let mut v = serde_json::to_value(&b).unwrap();
    v["note"] = serde_json::Value::String("hello".into());
    assert!(serde_json::from_value::<ProofBundle>(v).is_err());
}
