//! Checking a bundle: on its own (`verify_bundle`) and against a ledger
//! (`verify_against_ledger`).
use super::export::stored_entry;
use super::*;
use credence_ledger::predicate::{Field, Inputs, PredicateKind};

type Keys = BTreeMap<PartyId, [u8; 32]>;

fn parse_keys(list: &[SignerKey]) -> Result<Keys> {
    let mut keys = Keys::new();
    for (i, k) in list.iter().enumerate() {
        let pk = unhex::<32>(&format!("signer_keys[{i}].ed25519"), &k.ed25519)?;
        let party = party_id_of(&pk);
        if k.party != party.to_hex() {
            return Err(failed(format!(
                "signer_keys[{i}]: the party id is not the hash of its Ed25519 key"
            )));
        }
        if keys.insert(party, pk).is_some() {
            return Err(ApiError::invalid(format!(
                "signer_keys[{i}]: party {} is listed twice",
                party.short()
            )));
        }
    }
    Ok(keys)
}

/// Decode one bundled entry: canonical encoding, matching id, 64-byte signatures.
fn open_entry(what: &str, be: &BundleEntry) -> Result<SignedEntry> {
    let bytes = unhex_vec(&format!("{what}.entry"), &be.entry)?;
    let entry: Entry =
        from_bytes("entry", &bytes).map_err(|e| ApiError::invalid(format!("{what}: {e}")))?;
    let id = unhex::<32>(&format!("{what}.entry_id"), &be.entry_id)?;
    if id != entry_id(&entry) {
        return Err(failed(format!(
            "{what}: entry_id is not the id of the entry"
        )));
    }
    let signatures = be
        .signatures
        .iter()
        .enumerate()
        .map(|(i, s)| -> Result<Signature> {
            Ok(Signature(unhex::<64>(
                &format!("{what}.signatures[{i}]"),
                s,
            )?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SignedEntry { entry, signatures })
}

/// Every entry kind a bundle carries has exactly one signer.
fn check_signed(
    what: &str,
    se: &SignedEntry,
    signer: &PartyId,
    role: &str,
    keys: &Keys,
    used: &mut BTreeSet<PartyId>,
) -> Result<()> {
    if se.signatures.len() != 1 {
        return Err(failed(format!(
            "{what}: expected 1 signature (the {role}'s), found {}",
            se.signatures.len()
        )));
    }
    let pk = keys.get(signer).ok_or_else(|| {
        failed(format!(
            "{what}: signer_keys has no key for the {role} {}",
            signer.short()
        ))
    })?;
    verify_signature(
        pk,
        ENTRY_SIG_DOMAIN,
        &entry_bytes(&se.entry),
        &se.signatures[0],
    )
    .map_err(|_| failed(format!("{what}: the {role}'s signature does not verify")))?;
    used.insert(*signer);
    Ok(())
}

fn same(field: &str, shown: &str, signed: &str) -> Result<()> {
    if shown == signed {
        Ok(())
    } else {
        Err(failed(format!(
            "`{field}` is not what the signed entries say (expected {signed:?}; byte strings are lowercase hex)"
        )))
    }
}

fn same_list(field: &str, shown: &[String], signed: &[String]) -> Result<()> {
    if shown == signed {
        Ok(())
    } else {
        Err(failed(format!(
            "`{field}` is not what the signed entries say (expected {signed:?})"
        )))
    }
}

fn is_score_predicate(p: &Predicate) -> bool {
    PredicateKind::of(p).inputs() == Inputs::Score
}

/// The fields a record input gives, by the rules' one table: (primary,
/// secondary). A balance question's target gives its one primary.
fn record_fields(p: &Predicate) -> (Option<Field>, Option<Field>) {
    match PredicateKind::of(p).inputs() {
        Inputs::Score => (None, None),
        Inputs::Target { field } => (
            Some(Field {
                kind: RecordKind::Tradeline,
                index: field,
            }),
            None,
        ),
        Inputs::Live { primary, secondary } => (Some(primary), secondary),
    }
}

/// Decode and check the input entries; return the commitments the predicate
/// is evaluated over, in the order the rules derive them.
fn check_inputs(
    q: &QueryAsked,
    a: &QueryAnswered,
    entries: &[BundleEntry],
    keys: &Keys,
    used: &mut BTreeSet<PartyId>,
) -> Result<PredicateInputs> {
    if entries.len() != a.inputs.len() {
        return Err(failed(format!(
            "the answer names {} input(s) but the bundle carries {} input entries",
            a.inputs.len(),
            entries.len()
        )));
    }
    let pred = q.predicate;
    let mut inputs = PredicateInputs::default();
    let mut last: Option<(RecordKind, Id)> = None;
    for (i, (id, be)) in a.inputs.iter().zip(entries).enumerate() {
        let what = format!("input_entries[{i}]");
        let se = open_entry(&what, be)?;
        match &se.entry {
            Entry::ScoreCommitted(s) if is_score_predicate(&pred) => {
                if s.score_id != *id {
                    return Err(failed(format!(
                        "{what} is not the score input_ids[{i}] names"
                    )));
                }
                if s.subject != q.subject {
                    return Err(failed(format!("{what} is a score of another subject")));
                }
                if s.agency != q.responder {
                    return Err(failed(format!(
                        "{what} is a score of another agency than the responder"
                    )));
                }
                check_signed(&what, &se, &s.agency, "agency", keys, used)?;
                verify_validity(&score_validity_context(s), &[s.commitment], &s.validity)
                    .map_err(|e| failed(format!("{what}: validity proof: {e}")))?;
                inputs.primary.push(s.commitment);
            }
            Entry::RecordFurnished(r) if !is_score_predicate(&pred) => {
                if r.record_id != *id {
                    return Err(failed(format!(
                        "{what} is not the record input_ids[{i}] names"
                    )));
                }
                if r.subject != q.subject {
                    return Err(failed(format!("{what} is a record of another subject")));
                }
                if r.commitments.len() != r.kind.field_count() {
                    return Err(failed(format!(
                        "{what}: a {} commits {} fields, found {}",
                        r.kind.as_str(),
                        r.kind.field_count(),
                        r.commitments.len()
                    )));
                }
                check_signed(&what, &se, &r.furnisher, "furnisher", keys, used)?;
                verify_validity(&record_validity_context(r), &r.commitments, &r.validity)
                    .map_err(|e| failed(format!("{what}: validity proof: {e}")))?;
                let (primary, secondary) = record_fields(&pred);
                let of = |f: Option<Field>| f.filter(|f| f.kind == r.kind).map(|f| f.index);
                let (pi, si) = (of(primary), of(secondary));
                if pi.is_none() && si.is_none() {
                    return Err(failed(format!(
                        "{what} is a record of kind {}, which `{pred}` does not use",
                        r.kind.as_str()
                    )));
                }
                // The rules derive tradelines, then incomes, each by ascending record id.
                if let Some((kind, prev)) = last {
                    let in_order = match (kind, r.kind) {
                        (RecordKind::Tradeline, RecordKind::Income) => true,
                        (k, l) if k == l => prev < r.record_id,
                        _ => false,
                    };
                    if !in_order {
                        return Err(failed(format!(
                            "{what}: inputs are not in the rules' order (tradelines, then incomes, each by ascending record id, no repeats)"
                        )));
                    }
                }
                last = Some((r.kind, r.record_id));
                // The field count was checked above, so every index is there.
                if let Some(i) = pi {
                    inputs.primary.push(r.commitments[i]);
                }
                if let Some(i) = si {
                    inputs.secondary.push(r.commitments[i]);
                }
            }
            other => {
                return Err(failed(format!(
                    "{what} is a {} entry; `{pred}` is evaluated over {}",
                    other.kind(),
                    if is_score_predicate(&pred) {
                        "the responder's score-committed entry"
                    } else {
                        "record-furnished entries"
                    }
                )))
            }
        }
    }
    let targeted = matches!(PredicateKind::of(&pred).inputs(), Inputs::Target { .. });
    match (targeted, q.target) {
        (true, Some(t)) if a.inputs == [t] => {}
        (true, _) => {
            return Err(failed(
                "a balance answer must be over exactly the record the question targets",
            ))
        }
        (_, Some(_)) => return Err(failed("only a balance question names a target record")),
        _ => {}
    }
    Ok(inputs)
}

fn standalone_gaps() -> Vec<ReportItem> {
    vec![
        item(
            "answered_at",
            "the time of the block holding the answer; no entry signs it",
        ),
        item(
            "membership",
            "that the requester, the responder (an agency) and each furnisher or scoring agency were members in force with that role; the bundle only shows the keys are theirs",
        ),
        item(
            "inclusion",
            "that the question, the answer and the inputs are entries of finalized blocks that the rules accepted",
        ),
        item(
            "input completeness",
            "that input_ids were the set the rules required when the answer was accepted (every live tradeline or income of the subject, or the responder's latest score), and live then",
        ),
        item(
            "consent",
            "that the requester held a live consent from the subject covering this predicate, not revoked before the answer",
        ),
    ]
}

/// Check a bundle on its own: the signed entries, every field it shows, the
/// inputs' validity proofs, the derived commitments and the range proof. An
/// error names the first check that failed; the report lists what passed and
/// what needs a ledger.
pub fn verify_bundle(b: &ProofBundle) -> Result<BundleReport> {
    if b.format != FORMAT {
        return Err(ApiError::invalid(format!(
            "not a {FORMAT} (format {:?})",
            b.format
        )));
    }
    if b.version != VERSION {
        return Err(ApiError::invalid(format!(
            "bundle version {} is not supported (only {VERSION}); version 1 bundles carry no signed entries — export the answer again",
            b.version
        )));
    }
    if b.range_bits != PREDICATE_BITS {
        return Err(failed(format!(
            "range_bits must be {PREDICATE_BITS}, found {}",
            b.range_bits
        )));
    }
    let keys = parse_keys(&b.signer_keys)?;
    let mut used = BTreeSet::new();

    let qse = open_entry("question_entry", &b.question_entry)?;
    let Entry::QueryAsked(q) = &qse.entry else {
        return Err(failed(format!(
            "question_entry is a {} entry, not query-asked",
            qse.entry.kind()
        )));
    };
    check_signed(
        "question_entry",
        &qse,
        &q.requester,
        "requester",
        &keys,
        &mut used,
    )?;
    let ase = open_entry("answer_entry", &b.answer_entry)?;
    let Entry::QueryAnswered(a) = &ase.entry else {
        return Err(failed(format!(
            "answer_entry is a {} entry, not query-answered",
            ase.entry.kind()
        )));
    };
    check_signed(
        "answer_entry",
        &ase,
        &a.responder,
        "responder",
        &keys,
        &mut used,
    )?;
    if a.query_id != q.query_id {
        return Err(failed("the answer entry answers another query"));
    }
    if a.responder != q.responder {
        return Err(failed(
            "the answer is signed by another agency than the one asked",
        ));
    }

    // Every field shown is the signed one.
    let predicate = Predicate::parse_canonical(&b.predicate)?;
    if predicate != q.predicate {
        return Err(failed(format!(
            "`predicate` is not the signed question's (which is {:?})",
            q.predicate.to_string()
        )));
    }
    same("query_id", &b.query_id, &h(&q.query_id))?;
    same("subject", &b.subject, &q.subject.to_hex())?;
    same("requester", &b.requester, &q.requester.to_hex())?;
    same("responder", &b.responder, &q.responder.to_hex())?;
    same(
        "predicate_encoding",
        &b.predicate_encoding,
        &h(&q.predicate.encode()),
    )?;
    if (b.holds, b.branch) != (a.proof.answer.holds, a.proof.answer.branch) {
        return Err(failed(format!(
            "`holds`/`branch` are not the signed answer's ({}, {})",
            a.proof.answer.holds, a.proof.answer.branch
        )));
    }
    let ids: Vec<String> = a.inputs.iter().map(|i| h(i)).collect();
    same_list("input_ids", &b.input_ids, &ids)?;
    same("proof", &b.proof, &h(&a.proof.proof))?;

    let inputs = check_inputs(q, a, &b.input_entries, &keys, &mut used)?;
    if used.len() != keys.len() {
        return Err(ApiError::invalid(
            "signer_keys lists a key that signs none of the entries",
        ));
    }
    let hexes = |cs: &[Commitment]| cs.iter().map(|c| h(&c.0)).collect::<Vec<_>>();
    same_list(
        "inputs_primary",
        &b.inputs_primary,
        &hexes(&inputs.primary[..]),
    )?;
    same_list(
        "inputs_secondary",
        &b.inputs_secondary,
        &hexes(&inputs.secondary[..]),
    )?;

    let derived = derived_commitments(&q.predicate, &inputs, a.proof.answer)
        .map_err(|e| failed(format!("deriving the commitments: {e}")))?;
    same_list(
        "derived_commitments",
        &b.derived_commitments,
        &hexes(&derived[..]),
    )?;
    let ctx = ProofContext {
        query_id: q.query_id,
        subject: q.subject.0,
        responder: q.responder.0,
    };
    verify_predicate(&ctx, &q.predicate, &inputs, &a.proof)
        .map_err(|e| failed(format!("the answer's proof: {e}")))?;

    let checked = vec![
        item(
            "signatures",
            format!(
                "the question is signed by the requester's key, the answer by the responder's, each of the {} input entries by its furnisher's or agency's (Ed25519, strict); each key hashes to the party id it is listed under",
                a.inputs.len()
            ),
        ),
        item(
            "fields",
            "query_id, subject, requester, responder, predicate (canonical text), predicate_encoding, holds, branch, input_ids, proof and range_bits are what the signed question and answer say",
        ),
        item(
            "inputs",
            "each input entry is the record or score input_ids names, of this subject, its validity proof verifies (every committed field in [0, 2^32)), and inputs_primary / inputs_secondary are the fields the predicate uses, in the rules' order",
        ),
        item(
            "derived_commitments",
            "recomputed from the inputs and the answer",
        ),
        item(
            "proof",
            "the range proof verifies under the documented transcript",
        ),
    ];
    Ok(BundleReport {
        query_id: h(&q.query_id),
        subject: q.subject.to_hex(),
        requester: q.requester.to_hex(),
        responder: q.responder.to_hex(),
        predicate: q.predicate.to_string(),
        holds: a.proof.answer.holds,
        branch: a.proof.answer.branch,
        input_ids: ids,
        answered_at: b.answered_at,
        against_ledger: false,
        checked,
        not_checked: standalone_gaps(),
    })
}

/// `verify_bundle`, then against a ledger: every bundled entry is an accepted
/// entry of this ledger, byte for byte (so the rules checked membership, roles,
/// consent and the input set when they accepted it), `answered_at` is the time
/// of the answer's block, and the bundle is exactly what `export` builds from
/// this ledger. The ledger file itself is taken as it is (`credence verify`
/// replays it from genesis).
pub fn verify_against_ledger(view: &Ledger, b: &ProofBundle) -> Result<BundleReport> {
    let mut report = verify_bundle(b)?;
    let mut named: Vec<(String, &BundleEntry)> = vec![
        ("question_entry".into(), &b.question_entry),
        ("answer_entry".into(), &b.answer_entry),
    ];
    for (i, e) in b.input_entries.iter().enumerate() {
        named.push((format!("input_entries[{i}]"), e));
    }
    for (what, be) in &named {
        let bundled = open_entry(what, be)?;
        let id = entry_id(&bundled.entry);
        match stored_entry(view, &id)? {
            None => {
                return Err(failed(format!(
                    "{what} is not an accepted entry of this ledger"
                )))
            }
            // A bundle carries a record's entry as its signatures sign it
            // (the sealed payload by its digest), so compare in that form.
            Some(stored)
                if entry_bytes(&stored.entry) != entry_bytes(&bundled.entry)
                    || stored.signatures != bundled.signatures =>
            {
                return Err(failed(format!(
                    "{what} differs from the entry this ledger accepted (signatures)"
                )))
            }
            Some(_) => {}
        }
    }
    let query_id = unhex::<32>("query_id", &b.query_id)?;
    let on_ledger = export(view, &query_id)?;
    if on_ledger.answered_at != b.answered_at {
        return Err(failed(format!(
            "answered_at is not the time of the block holding the answer ({})",
            on_ledger.answered_at
        )));
    }
    if on_ledger != *b {
        return Err(failed(
            "the bundle verifies but differs from the answer on this ledger",
        ));
    }
    report.against_ledger = true;
    report.checked.extend([
        item(
            "answered_at",
            "is the time of the block holding the answer",
        ),
        item(
            "inclusion",
            "the question, the answer and every input entry are accepted entries of this ledger, byte for byte",
        ),
        item(
            "membership, consent, input completeness",
            "checked by the ledger's rules when they accepted these entries (members in force with their roles, a live consent covering the predicate, the complete live input set)",
        ),
    ]);
    report.not_checked = vec![item(
        "ledger file",
        "taken as it is; `credence verify --db FILE` replays it from genesis (every hash, certificate, signature and proof)",
    )];
    Ok(report)
}
