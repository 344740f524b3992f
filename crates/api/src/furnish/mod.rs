//! A lender's own accounts onto the ledger (`credence furnish --csv`): each
//! row of a furnishing file becomes a sealed, committed tradeline for an
//! enrolled borrower; a later update of the same account corrects the
//! earlier record.
//!
//! Nothing is submitted twice: each row's signed entry is kept in the
//! member's home (`furnished/`) before it is sent, so running the same file
//! again finds the row's record on the ledger and skips it, or sends the
//! same entry again if it never arrived.
mod csv_rows;
pub use csv_rows::{parse, parts, write, FurnishRow, Part, RowError, COLUMNS, OPTIONAL_COLUMNS};

use crate::actions;
use crate::desk::settled;
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::hash::digest;
use credence_crypto::{Identity, PublicIdentity};
use credence_ledger::clock::{poll, unix_now};
use credence_ledger::encode::{from_bytes, to_bytes};
use credence_ledger::types::{Entry, Id, RecordStatus, SignedEntry};
use credence_ledger::{read, Ledger, LedgerError};
use credence_node::client::NodeClient;
use credence_node::Receipt;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Entries sent in one request.
const BATCH: usize = 64;
/// Rows proven in parallel between progress reports.
const PROVE_CHUNK: usize = 64;
const FINAL_WAIT: Duration = Duration::from_secs(120);

/// What furnishing a file did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FurnishReport {
    /// Rows whose record is now on the ledger because of this run.
    pub submitted: usize,
    /// Of those, updates that corrected an earlier record of their account.
    pub corrections: usize,
    /// Rows already on the ledger from an earlier run.
    pub already: usize,
    /// Rows left out: bad fields, or refused by the consortium's rules.
    pub left_out: Vec<RowError>,
    /// The record each row furnished now or before, by the row's line.
    pub records: Vec<(u64, Id)>,
}

/// Where furnished entries go: a member's node (`NodeClient::submit`, waiting
/// for finality), or any other way to the consortium; one receipt per
/// entry, `None` when it was not final in time.
pub type Sink<'a> = dyn FnMut(&[SignedEntry]) -> Result<Vec<Option<Receipt>>> + 'a;

/// A node as the sink: each batch waits up to two minutes to be final.
pub fn node_sink(
    client: &NodeClient,
) -> impl FnMut(&[SignedEntry]) -> Result<Vec<Option<Receipt>>> + '_ {
    move |entries| Ok(client.submit(entries, FINAL_WAIT)?)
}

impl FurnishReport {
    /// The report as the node sends it to an officer
    /// (`POST /v1/operator/furnish`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "submitted": self.submitted, "corrections": self.corrections, "already": self.already,
            "left_out": self.left_out.iter().map(|e| serde_json::json!({"line": e.line, "column": e.column, "why": e.why})).collect::<Vec<_>>(),
        })
    }

    /// The report from a node's reply.
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        let bad = || {
            ApiError::new(
                ErrorCode::Internal,
                "the node's furnishing report is malformed",
            )
        };
        let n = |k: &str| v[k].as_u64().map(|n| n as usize).ok_or_else(bad);
        let left_out = v["left_out"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|e| {
                Ok(RowError {
                    line: e["line"].as_u64().ok_or_else(bad)?,
                    column: e["column"].as_str().ok_or_else(bad)?.to_string(),
                    why: e["why"].as_str().ok_or_else(bad)?.to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FurnishReport {
            submitted: n("submitted")?,
            corrections: n("corrections")?,
            already: n("already")?,
            left_out,
            records: Vec::new(),
        })
    }
}

/// Where a member keeps what it furnished.
pub fn journal_dir(home: &Path) -> PathBuf {
    home.join("furnished")
}

fn io(what: &str, p: &Path, e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Io, format!("{what} {}: {e}", p.display())).caused_by(e)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io("writing", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("writing", path, e))
}

/// The member's journal of furnished rows.
struct Journal {
    dir: PathBuf,
    furnisher: [u8; 32],
}

impl Journal {
    fn open(home: &Path, furnisher: &Identity) -> Result<Self> {
        let dir = journal_dir(home);
        std::fs::create_dir_all(dir.join("accounts")).map_err(|e| io("creating", &dir, e))?;
        Ok(Journal {
            dir,
            furnisher: furnisher.party_id().0,
        })
    }

    fn key(&self, parts: &[&[u8]]) -> String {
        let mut all: Vec<&[u8]> = vec![&self.furnisher];
        all.extend_from_slice(parts);
        hex::encode(digest(b"credence.furnished.v1", &all))
    }

    fn entry_file(&self, r: &FurnishRow) -> PathBuf {
        let key = self.key(&[
            b"row",
            &r.subject.0,
            r.account.as_bytes(),
            r.input.date_of_account_information.as_bytes(),
        ]);
        self.dir.join(format!("{key}.entry"))
    }

    fn account_file(&self, r: &FurnishRow) -> PathBuf {
        let key = self.key(&[b"account", &r.subject.0, r.account.as_bytes()]);
        self.dir.join("accounts").join(key)
    }

    /// The signed entry kept for this row, if any (an unreadable one is
    /// dropped: the row is furnished afresh).
    fn kept(&self, r: &FurnishRow) -> Option<SignedEntry> {
        let f = self.entry_file(r);
        let bytes = std::fs::read(&f).ok()?;
        match from_bytes::<SignedEntry>("furnished row", &bytes) {
            Ok(e) if matches!(e.entry, Entry::RecordFurnished(_)) => Some(e),
            _ => {
                let _ = std::fs::remove_file(&f);
                None
            }
        }
    }

    /// The account's latest record on the ledger and its date, if any.
    fn latest(&self, r: &FurnishRow) -> Option<(Id, String)> {
        let text = std::fs::read_to_string(self.account_file(r)).ok()?;
        let (id, date) = text.trim().split_once(' ')?;
        let id: Id = hex::decode(id).ok()?.try_into().ok()?;
        Some((id, date.to_string()))
    }

    fn set_latest(&self, r: &FurnishRow, id: &Id) -> Result<()> {
        let line = format!(
            "{} {}\n",
            hex::encode(id),
            r.input.date_of_account_information
        );
        write_atomic(&self.account_file(r), line.as_bytes())
    }
}

fn record_id(e: &SignedEntry) -> Id {
    match &e.entry {
        Entry::RecordFurnished(r) => r.record_id,
        _ => [0; 32],
    }
}

fn left_out(r: &FurnishRow, column: &str, why: impl Into<String>) -> RowError {
    RowError {
        line: r.line,
        column: column.into(),
        why: why.into(),
    }
}

/// The refusal of a file with rows that cannot be furnished.
pub fn refuse(errors: &[RowError]) -> ApiError {
    let shown: Vec<String> = errors.iter().take(20).map(|e| e.to_string()).collect();
    let more = errors.len().saturating_sub(shown.len());
    ApiError::invalid(format!(
        "{} row(s) cannot be furnished, so nothing was submitted (fix them, or pass --skip-bad \
         to furnish the others): {}{}",
        errors.len(),
        shown.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    ))
}

/// Furnish `rows` as `furnisher` into `sink` (its node; `view` is the
/// furnisher's ledger, which the sink's entries reach), keeping the journal
/// in `home`. Rows that cannot be used
/// (`bad`, from reading the file, and any found here) refuse the whole
/// file unless `skip_bad`. With `check_only`, the rows are judged against
/// the ledger and the journal and nothing is proven or sent: the report
/// lists what would be left out. `progress(done, total)` after each row is
/// proven or found already on the ledger.
#[allow(clippy::too_many_arguments)]
pub fn furnish(
    home: &Path,
    furnisher: &Identity,
    sink: &mut Sink<'_>,
    view: &Ledger,
    rows: Vec<FurnishRow>,
    bad: Vec<RowError>,
    skip_bad: bool,
    check_only: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<FurnishReport> {
    let journal = Journal::open(home, furnisher)?;
    let mut report = FurnishReport {
        left_out: bad,
        ..Default::default()
    };
    let total = rows.len() + report.left_out.len();
    // Each account's updates in date order; the i-th update of every
    // account goes in wave i, so a correction always follows what it
    // corrects onto the ledger.
    let mut accounts: BTreeMap<(String, String), Vec<FurnishRow>> = BTreeMap::new();
    for r in rows {
        if read::subject_key(view, &r.subject)?.is_none() {
            report.left_out.push(left_out(
                &r,
                "borrower",
                "not enrolled in this consortium (enrol them first: credence enrol)",
            ));
            continue;
        }
        accounts
            .entry((r.subject.to_hex(), r.account.clone()))
            .or_default()
            .push(r);
    }
    // Each row with the entry kept for it by an earlier run, read once.
    let mut waves: Vec<Vec<(FurnishRow, Option<SignedEntry>)>> = Vec::new();
    for (_, mut updates) in accounts {
        updates.sort_by(|a, b| {
            a.input
                .date_of_account_information
                .cmp(&b.input.date_of_account_information)
        });
        let mut last: Option<String> = None;
        let mut i = 0;
        for u in updates {
            let date = u.input.date_of_account_information.clone();
            if last.as_ref() == Some(&date) {
                report.left_out.push(left_out(
                    &u,
                    "date_of_account_information",
                    "a second update of this account for the same date",
                ));
                continue;
            }
            last = Some(date);
            let kept = journal.kept(&u);
            if kept.is_none() {
                if let Some((_, newest)) = journal.latest(&u) {
                    if newest >= u.input.date_of_account_information {
                        report.left_out.push(left_out(
                            &u,
                            "date_of_account_information",
                            format!("older than the update already furnished for this account ({newest})"),
                        ));
                        continue;
                    }
                }
            }
            if waves.len() <= i {
                waves.push(Vec::new());
            }
            waves[i].push((u, kept));
            i += 1;
        }
    }
    report.left_out.sort_by_key(|e| e.line);
    if check_only {
        return Ok(report);
    }
    if !skip_bad && !report.left_out.is_empty() {
        return Err(refuse(&report.left_out));
    }
    let total = total - report.left_out.len();
    let mut done = 0;
    for wave in waves {
        let mut sending: Vec<(FurnishRow, SignedEntry, bool)> = Vec::new();
        // What each new row needs from the ledger, read here (the ledger
        // view stays on this thread); then proven on every core.
        let mut to_prove: Vec<(FurnishRow, Option<Id>, Vec<PublicIdentity>)> = Vec::new();
        let now = unix_now();
        for (r, kept) in wave {
            if let Some(e) = kept {
                let id = record_id(&e);
                if read::record(view, &id)?.is_some() {
                    journal.set_latest(&r, &id)?;
                    report.already += 1;
                    report.records.push((r.line, id));
                } else {
                    let corrects =
                        matches!(&e.entry, Entry::RecordFurnished(f) if f.corrects.is_some());
                    sending.push((r, e, corrects));
                }
                done += 1;
                progress(done, total);
                continue;
            }
            let corrects = match journal.latest(&r) {
                Some((id, _)) => read::record(view, &id)?
                    .filter(|rec| rec.status == RecordStatus::Live)
                    .map(|_| id),
                None => None,
            };
            match actions::record_recipients(view, furnisher, &r.subject, now) {
                Ok(recipients) => to_prove.push((r, corrects, recipients)),
                Err(e) => {
                    report.left_out.push(left_out(&r, "(row)", e.message));
                    done += 1;
                    progress(done, total);
                }
            }
        }
        for part in to_prove.chunks(PROVE_CHUNK) {
            let built: Vec<Result<(Id, SignedEntry)>> = part
                .par_iter()
                .map(|(r, corrects, recipients)| {
                    actions::tradeline_entry(recipients, furnisher, &r.subject, &r.input, *corrects)
                })
                .collect();
            for ((r, corrects, _), b) in part.iter().zip(built) {
                match b {
                    Ok((_, e)) => {
                        write_atomic(&journal.entry_file(r), &to_bytes(&e))?;
                        sending.push((r.clone(), e, corrects.is_some()));
                    }
                    Err(e) => report.left_out.push(left_out(r, "(row)", e.message)),
                }
                done += 1;
                progress(done, total);
            }
        }
        let mut top = 0;
        for chunk in sending.chunks(BATCH) {
            let entries: Vec<SignedEntry> = chunk.iter().map(|(_, e, _)| e.clone()).collect();
            let receipts = sink(&entries)?;
            for ((r, e, corrected), receipt) in chunk.iter().zip(receipts) {
                match receipt {
                    Some(Receipt::Rejected(why)) => {
                        // A fresh entry is made next time.
                        let _ = std::fs::remove_file(journal.entry_file(r));
                        report.left_out.push(left_out(
                            r,
                            "(row)",
                            format!("refused by the rules: {why}"),
                        ));
                    }
                    Some(receipt) => {
                        top = top.max(settled(receipt)?);
                        journal.set_latest(r, &record_id(e))?;
                        report.records.push((r.line, record_id(e)));
                        report.submitted += 1;
                        report.corrections += *corrected as usize;
                    }
                    None => {
                        return Err(ApiError::new(
                            ErrorCode::Timeout,
                            format!(
                                "line {}'s update was sent but not final within {} s; run the same \
                                 file again to finish (nothing is furnished twice)",
                                r.line,
                                FINAL_WAIT.as_secs()
                            ),
                        ))
                    }
                }
            }
        }
        // The next wave's corrections are checked against this ledger.
        poll(Duration::from_secs(30), Duration::from_millis(20), || {
            Ok::<_, LedgerError>((view.head()?.map(|h| h.height).unwrap_or(0) >= top).then_some(()))
        })?;
    }
    report.left_out.sort_by_key(|e| e.line);
    report.records.sort();
    Ok(report)
}
