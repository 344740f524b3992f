//! Proof bundles: everything an auditor needs to check one answer without
//! Credence (format in docs/proof-bundle.md).
//!
//! A bundle carries the signed ledger entries of the question, the answer and
//! every input (record or score), and the Ed25519 keys of their signers.
//! `verify_bundle` decodes those entries, checks their signatures and the
//! inputs' own validity proofs, checks that every field the bundle shows is
//! what the signed entries say, recomputes the derived commitments and
//! verifies the range proof. What only a ledger can show (membership, that the
//! entries were accepted in a block, the block time, that the inputs were the
//! complete set) is listed in the report as not checked;
//! `verify_against_ledger` checks those too.
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::keys::{party_id_of, verify as verify_signature};
use credence_crypto::proof::{
    derived_commitments, verify_predicate, verify_validity, Commitment, Predicate, PredicateInputs,
    ProofContext, PREDICATE_BITS,
};
use credence_crypto::{PartyId, Signature};
use credence_ledger::encode::{entry_bytes, entry_id, from_bytes, ENTRY_SIG_DOMAIN};
use credence_ledger::rules::{record_validity_context, score_validity_context};
use credence_ledger::types::{income, tradeline};
use credence_ledger::{
    read, rules, Entry, Id, Ledger, LedgerError, QueryAnswered, QueryAsked, RecordKind, SignedEntry,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const FORMAT: &str = "credence-proof-bundle";
/// Version 2: the bundle carries the signed entries. Version 1 bundles (no
/// entries) are refused: nothing in them was bound.
pub const VERSION: u32 = 2;

/// A proof bundle. Every byte string is lowercase hex of exactly its length;
/// unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    pub format: String,
    pub version: u32,
    pub query_id: String,
    pub subject: String,
    pub responder: String,
    pub requester: String,
    /// The canonical text (`Predicate::parse_canonical`), e.g. "score >= 650".
    pub predicate: String,
    /// `Predicate::encode()` in hex: what the transcript absorbs.
    pub predicate_encoding: String,
    pub holds: bool,
    pub branch: u8,
    /// Ledger ids (records or score) the inputs come from, in the answer's order.
    pub input_ids: Vec<String>,
    pub inputs_primary: Vec<String>,
    pub inputs_secondary: Vec<String>,
    /// The commitment(s) the range proof is over, derived from the inputs.
    pub derived_commitments: Vec<String>,
    pub range_bits: usize,
    /// `bulletproofs::RangeProof::to_bytes()` in hex.
    pub proof: String,
    /// Unix seconds of the block holding the answer. Not signed by any entry:
    /// checked only against a ledger.
    pub answered_at: u64,
    /// The signed `QueryAsked` entry.
    pub question_entry: BundleEntry,
    /// The signed `QueryAnswered` entry.
    pub answer_entry: BundleEntry,
    /// The signed `ScoreCommitted` / `RecordFurnished` entry of each input id, same order.
    pub input_entries: Vec<BundleEntry>,
    /// The Ed25519 key of every party that signed one of the entries, once each.
    pub signer_keys: Vec<SignerKey>,
}

/// One signed ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    /// The entry's id: `SHA-256` of the entry bytes under `credence.entry.id.v1`.
    pub entry_id: String,
    /// The canonical encoding of the entry (what the signatures sign).
    pub entry: String,
    /// Ed25519 signatures, 64 bytes each, in the order the rules require.
    pub signatures: Vec<String>,
}

/// A signer: its party id and the Ed25519 public key the id is the hash of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerKey {
    pub party: String,
    pub ed25519: String,
}

/// One line of a verification report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportItem {
    /// Short name: "signatures", "fields", "inputs", "proof", "answered_at"…
    pub item: String,
    pub detail: String,
}

fn item(name: &str, detail: impl Into<String>) -> ReportItem {
    ReportItem {
        item: name.to_string(),
        detail: detail.into(),
    }
}

/// What a verification established. Returned only when every check made
/// passed (a failed check is an error); `not_checked` lists what this
/// verification could not establish and needs a ledger (or a full replay).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleReport {
    pub query_id: String,
    pub subject: String,
    pub requester: String,
    pub responder: String,
    /// The canonical text of the signed question's predicate.
    pub predicate: String,
    pub holds: bool,
    pub branch: u8,
    pub input_ids: Vec<String>,
    /// As the bundle states it; see `not_checked` unless `against_ledger`.
    pub answered_at: u64,
    pub against_ledger: bool,
    pub checked: Vec<ReportItem>,
    pub not_checked: Vec<ReportItem>,
}

fn h(b: &[u8]) -> String {
    hex::encode(b)
}

fn failed(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ProofFailed, message)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex, any even length.
fn unhex_vec(what: &str, s: &str) -> Result<Vec<u8>> {
    if !is_lower_hex(s) {
        return Err(ApiError::invalid(format!(
            "{what} is not lowercase hex (digits 0-9 and a-f only)"
        )));
    }
    hex::decode(s).map_err(|_| ApiError::invalid(format!("{what} has an odd number of hex digits")))
}

/// Lowercase hex of exactly N bytes.
fn unhex<const N: usize>(what: &str, s: &str) -> Result<[u8; N]> {
    unhex_vec(what, s)?
        .try_into()
        .map_err(|_| ApiError::invalid(format!("{what} must be {N} bytes ({} hex digits)", 2 * N)))
}

fn bundle_entry(se: &SignedEntry) -> BundleEntry {
    BundleEntry {
        entry_id: h(&entry_id(&se.entry)),
        entry: h(&entry_bytes(&se.entry)),
        signatures: se.signatures.iter().map(|s| h(&s.0)).collect(),
    }
}

// ---------------------------------------------------------------- export --

/// The first column of the first row of `sql` (one `?1` parameter), as bytes.
fn one_blob(view: &Ledger, sql: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut st = view.conn().prepare(sql).map_err(LedgerError::from)?;
    let mut rows = st
        .query_map([key], |r| r.get::<_, Vec<u8>>(0))
        .map_err(LedgerError::from)?;
    let first = rows.next().transpose().map_err(LedgerError::from)?;
    Ok(first)
}

/// An accepted entry as the ledger stores it (only accepted entries are in
/// `entries`; refused ones are in `rejected_entries`).
fn stored_entry(view: &Ledger, id: &Id) -> Result<Option<SignedEntry>> {
    match one_blob(view, "SELECT body FROM entries WHERE entry_id = ?1", id)? {
        None => Ok(None),
        Some(body) => Ok(Some(from_bytes("entry", &body)?)),
    }
}

fn need_stored(view: &Ledger, id: &Id, what: &str) -> Result<SignedEntry> {
    stored_entry(view, id)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "the {what} entry {} is not on this ledger",
            h(&id[..8])
        ))
    })
}

/// The entry that put a record or score on the ledger.
fn input_entry(view: &Ledger, input: &Id) -> Result<SignedEntry> {
    let eid = one_blob(
        view,
        "SELECT entry_id FROM records WHERE record_id = ?1
         UNION ALL SELECT entry_id FROM scores WHERE score_id = ?1",
        input,
    )?
    .ok_or_else(|| ApiError::not_found(format!("answer input {}", h(&input[..8]))))?;
    let eid: Id = eid
        .try_into()
        .map_err(|_| ApiError::new(ErrorCode::Storage, "a stored entry id is not 32 bytes"))?;
    need_stored(view, &eid, "input")
}

fn signer_key(view: &Ledger, party: &PartyId) -> Result<SignerKey> {
    let pk = one_blob(
        view,
        "SELECT sign_pk FROM members WHERE party = ?1",
        &party.0,
    )?
    .ok_or_else(|| ApiError::not_found(format!("member {}", party.short())))?;
    Ok(SignerKey {
        party: party.to_hex(),
        ed25519: h(&pk),
    })
}

/// Build the bundle of an answered query from a ledger view.
pub fn export(view: &Ledger, query_id: &[u8; 32]) -> Result<ProofBundle> {
    let (q, a) = read::answer(view.conn(), query_id)?
        .ok_or_else(|| ApiError::not_found("that query has no answer yet"))?;
    let question = need_stored(view, &entry_id(&Entry::QueryAsked(q.clone())), "question")?;
    let answer = need_stored(view, &entry_id(&Entry::QueryAnswered(a.clone())), "answer")?;
    let mut signers = vec![q.requester];
    if !signers.contains(&a.responder) {
        signers.push(a.responder);
    }
    let mut input_entries = Vec::with_capacity(a.inputs.len());
    for id in &a.inputs {
        let se = input_entry(view, id)?;
        let signer = match &se.entry {
            Entry::ScoreCommitted(s) => s.agency,
            Entry::RecordFurnished(r) => r.furnisher,
            other => {
                return Err(ApiError::new(
                    ErrorCode::Storage,
                    format!("answer input {} is a {} entry", h(&id[..8]), other.kind()),
                ))
            }
        };
        if !signers.contains(&signer) {
            signers.push(signer);
        }
        input_entries.push(bundle_entry(&se));
    }
    let inputs = rules::inputs_from_ids(view.conn(), &q, &a.inputs)?;
    let derived = derived_commitments(&q.predicate, &inputs, a.proof.answer)?;
    let answered_at = read::queries(
        view.conn(),
        &read::QueryFilter {
            subject: Some(q.subject),
            ..Default::default()
        },
    )?
    .into_iter()
    .find(|x| x.query_id == *query_id)
    .and_then(|x| x.answered_at)
    .ok_or_else(|| ApiError::not_found("the answer's block time"))?;
    Ok(ProofBundle {
        format: FORMAT.into(),
        version: VERSION,
        query_id: h(query_id),
        subject: q.subject.to_hex(),
        responder: q.responder.to_hex(),
        requester: q.requester.to_hex(),
        predicate: q.predicate.to_string(),
        predicate_encoding: h(&q.predicate.encode()),
        holds: a.proof.answer.holds,
        branch: a.proof.answer.branch,
        input_ids: a.inputs.iter().map(|i| h(i)).collect(),
        inputs_primary: inputs.primary.iter().map(|c| h(&c.0)).collect(),
        inputs_secondary: inputs.secondary.iter().map(|c| h(&c.0)).collect(),
        derived_commitments: derived.iter().map(|c| h(&c.0)).collect(),
        range_bits: PREDICATE_BITS,
        proof: h(&a.proof.proof),
        answered_at,
        question_entry: bundle_entry(&question),
        answer_entry: bundle_entry(&answer),
        input_entries,
        signer_keys: signers
            .iter()
            .map(|p| signer_key(view, p))
            .collect::<Result<_>>()?,
    })
}

// ---------------------------------------------------------------- verify --

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
    matches!(
        p,
        Predicate::ScoreAtLeast { .. } | Predicate::ScoreInRange { .. }
    )
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
                let (secondary, field) = match (pred, r.kind) {
                    (
                        Predicate::BalanceAtMost { .. } | Predicate::TotalDebtBelow { .. },
                        RecordKind::Tradeline,
                    ) => (false, tradeline::BALANCE),
                    (Predicate::NoSeriousDelinquency, RecordKind::Tradeline) => {
                        (false, tradeline::SERIOUS_DELINQUENCY)
                    }
                    (Predicate::DebtToIncomeBelow { .. }, RecordKind::Tradeline) => {
                        (false, tradeline::SCHEDULED_PAYMENT)
                    }
                    (Predicate::DebtToIncomeBelow { .. }, RecordKind::Income) => {
                        (true, income::MONTHLY_INCOME)
                    }
                    _ => {
                        return Err(failed(format!(
                            "{what} is a record of kind {}, which `{pred}` does not use",
                            r.kind.as_str()
                        )))
                    }
                };
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
                let c: Commitment = r.commitments[field];
                if secondary {
                    inputs.secondary.push(c);
                } else {
                    inputs.primary.push(c);
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
    match (pred, q.target) {
        (Predicate::BalanceAtMost { .. }, Some(t)) if a.inputs == [t] => {}
        (Predicate::BalanceAtMost { .. }, _) => {
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
            Some(stored) if stored != bundled => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::test_support::{small_demo, TempDir};

    fn demo_bundles() -> (TempDir, demo::DemoConsortium, Vec<[u8; 32]>) {
        let (dir, c) = small_demo("bundle");
        let reg = c.keys.member("regulator").unwrap().party_id();
        let view = c.network.view(&reg).unwrap();
        let answered: Vec<[u8; 32]> = read::queries(view.conn(), &Default::default())
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
}
