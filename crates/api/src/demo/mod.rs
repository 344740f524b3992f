//! The demo consortium: four members on this machine (an agency, two banks, a
//! regulator), each with its own keystore and ledger file, the bundled German
//! credit data imported as borrowers, consents, scores, predicate queries and
//! their proofs: the whole flow end to end through this crate's use cases.
//!
//! The members agree either behind the local sequencer in this process
//! (`DemoMode::Local`) or as four node processes reaching BFT consensus on
//! 127.0.0.1 (`DemoMode::Processes`). `members` brings them up, `stages`
//! runs the flow, `connect` reopens a folder.
mod connect;
mod members;
pub mod people;
mod stages;

pub use connect::{connect, is_process_folder, open, GENESIS_FILE};
pub use members::MemberProcess;

use crate::dataset;
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::keystore::{self, KdfParams};
use credence_crypto::{Identity, Secret};
use credence_ledger::clock::unix_now;
use credence_ledger::types::*;
use credence_node::Network;
use rand::rngs::OsRng;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

pub struct DemoOptions {
    pub dir: PathBuf,
    /// How many borrowers to import (all rows when `None`).
    pub subjects: Option<usize>,
    /// A CSV in the German credit layout instead of the bundled copy.
    pub csv: Option<PathBuf>,
    pub passphrase: Secret<String>,
    pub kdf: KdfParams,
    /// Re-verify every member's ledger file from genesis at the end.
    pub verify_files: bool,
    pub mode: DemoMode,
}

/// How the demo's members agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoMode {
    /// One process, blocks ordered by the local sequencer (tests, the desktop's quick demo).
    Local,
    /// Four `credence node run` processes on 127.0.0.1 reaching BFT consensus;
    /// `exe` is the credence binary.
    Processes { exe: PathBuf },
}

/// Reported as the demo goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MemberReport {
    pub name: String,
    pub role: String,
    pub party: String,
    pub home: String,
    pub database: String,
    pub keystore: String,
    pub head_height: u64,
    pub head_hash: String,
    pub file_verified: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub blocks: u64,
    pub subjects: u64,
    pub records: u64,
    pub consents: u64,
    pub revoked_consents: u64,
    pub scores: u64,
    pub queries: u64,
    pub answers: u64,
    pub disputes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueryReport {
    pub query_id: String,
    pub subject: String,
    pub requester: String,
    pub purpose: String,
    pub predicate: String,
    pub answer: bool,
    pub verified: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct RevocationReport {
    pub subject: String,
    pub consent_id: String,
    /// The requester's own check refused to ask.
    pub refused_by_client: bool,
    /// A query forced onto the ledger anyway was refused by the rules.
    pub refused_by_ledger: bool,
    pub ledger_reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    pub consortium: String,
    pub directory: String,
    pub members: Vec<MemberReport>,
    pub counts: Counts,
    pub queries: Vec<QueryReport>,
    pub revocation: RevocationReport,
    pub all_heads_equal: bool,
    pub timings_ms: Vec<(String, u64)>,
    pub total_ms: u64,
}

pub const MEMBERS: [(&str, Role); 4] = [
    ("regulator", Role::Regulator),
    ("agency", Role::Agency),
    ("bank-a", Role::Lender),
    ("bank-b", Role::Lender),
];

/// YYYY-MM-DD and YYYYMM of a Unix time (civil-from-days, proleptic Gregorian).
pub fn civil_date(secs: u64) -> (String, u32) {
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (format!("{y:04}-{m:02}-{d:02}"), (y * 100 + m) as u32)
}

fn submit_all(c: &mut dyn Network, entries: Vec<SignedEntry>, what: &str) -> Result<Vec<u64>> {
    crate::desk::submit_all(c, entries).map_err(|e| match e.code {
        ErrorCode::Rejected(_) => ApiError::new(
            e.code,
            format!(
                "demo step \"{what}\" was refused by the ledger: {}",
                e.message
            ),
        ),
        _ => e,
    })
}

/// Run the demo. `progress` is told each stage's progress.
pub fn run(opts: &DemoOptions, progress: &mut dyn FnMut(Progress)) -> Result<DemoReport> {
    run_and_keep(opts, progress).map(|(r, _)| r)
}

/// The demo's consortium, kept open after the run (the desktop app goes on
/// using it), with the keys the demo created.
pub struct DemoConsortium {
    pub network: Box<dyn Network>,
    pub keys: DemoKeys,
    /// The member processes (empty in local mode); stopped on drop unless
    /// taken out.
    pub processes: Vec<MemberProcess>,
    /// The agency's node answers queries by itself (`node run --auto-answer`):
    /// true when the members are node processes (started by the demo, or
    /// running already and connected to by `open`), so a front end must not
    /// answer them too.
    pub node_answers: bool,
}

impl Drop for DemoConsortium {
    fn drop(&mut self) {
        for p in &mut self.processes {
            p.stop();
        }
    }
}

/// Every key of a demo folder, unlocked: the members' and the borrowers'.
pub struct DemoKeys {
    pub members: Vec<(String, Role, Identity)>,
    pub borrowers: Vec<(String, Identity)>,
}

impl DemoKeys {
    pub fn member(&self, name: &str) -> Option<&Identity> {
        self.members
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, i)| i)
    }
    pub fn borrower(&self, label: &str) -> Option<&Identity> {
        self.borrowers
            .iter()
            .find(|(n, _)| n == label)
            .map(|(_, i)| i)
    }
}

/// `run`, keeping the consortium open and returning its keys.
pub fn run_and_keep(
    opts: &DemoOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(DemoReport, DemoConsortium)> {
    let t0 = Instant::now();
    if opts.dir.exists() && std::fs::read_dir(&opts.dir)?.next().is_some() {
        return Err(ApiError::invalid(format!(
            "{} is not empty; give the demo an empty or new folder",
            opts.dir.display()
        )));
    }
    let borrowers: Vec<dataset::Borrower> = match &opts.csv {
        Some(p) => dataset::parse(
            std::fs::File::open(p)
                .map_err(|e| ApiError::invalid(format!("cannot open {}: {e}", p.display())))?,
        )?,
        None => dataset::parse(dataset::BUNDLED_CSV.as_bytes())?,
    };
    let n = opts.subjects.unwrap_or(borrowers.len());
    if n == 0 || n > borrowers.len() {
        return Err(ApiError::invalid(format!(
            "--subjects must be between 1 and {} (rows in the data)",
            borrowers.len()
        )));
    }
    let borrowers = &borrowers[..n];
    std::fs::create_dir_all(&opts.dir)?;

    // Members: homes with keystores and ledger files; genesis signed by all.
    let now = unix_now();
    let (ids, net, mut processes) = members::start_members(opts, now, progress)?;
    let lap_start = Instant::now();
    let mut timings = vec![(
        "members and genesis".to_string(),
        t0.elapsed().as_millis() as u64,
    )];

    // Borrowers: one keystore file for the demo's borrowers (a real borrower
    // holds their own).
    let subjects: Vec<Identity> = (0..n).map(|_| Identity::generate(&mut OsRng)).collect();
    let labelled: Vec<(String, Identity)> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("borrower-{:04}", i + 1), s.clone()))
        .collect();
    let bdir = opts.dir.join("borrowers");
    let written = std::fs::create_dir_all(&bdir)
        .map_err(ApiError::from)
        .and_then(|_| {
            keystore::write(
                &bdir.join(crate::home::KEYSTORE_FILE),
                &opts.passphrase,
                &labelled,
                opts.kdf,
            )
            .map_err(ApiError::from)
        })
        .and_then(|_| match opts.mode {
            // Members' nodes serve clients on their own keys.
            DemoMode::Processes { .. } => {
                people::borrower(&opts.dir, &subjects[0], &opts.passphrase, opts.kdf)
            }
            DemoMode::Local => Ok(()),
        });
    if let Err(e) = written {
        return Err(members::explain_and_stop(e, &mut processes));
    }
    timings.push((
        "borrower keystore".to_string(),
        lap_start.elapsed().as_millis() as u64,
    ));

    let mut stages = stages::Stages {
        opts,
        net,
        sp: subjects.iter().map(|s| s.party_id()).collect(),
        ids,
        subjects,
        now,
        progress,
        timings,
        lap_start: Instant::now(),
    };
    let ran = run_stages(&mut stages, borrowers);
    let (queries, revocation) = match ran {
        Ok(x) => x,
        Err(e) => return Err(members::explain_and_stop(e, &mut processes)),
    };
    let (members, counts, all_heads_equal) = match stages.members_report() {
        Ok(x) => x,
        Err(e) => return Err(members::explain_and_stop(e, &mut processes)),
    };
    let stages::Stages {
        net, ids, timings, ..
    } = stages;
    let report = DemoReport {
        consortium: "credence-demo".into(),
        directory: opts.dir.display().to_string(),
        all_heads_equal,
        members,
        counts,
        queries,
        revocation,
        timings_ms: timings,
        total_ms: t0.elapsed().as_millis() as u64,
    };
    std::fs::write(
        opts.dir.join("consortium.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "consortium": report.consortium,
            "members": report.members.iter().map(|m| serde_json::json!({"name": m.name, "role": m.role, "party": m.party, "home": m.home})).collect::<Vec<_>>(),
            "borrowers_keystore": bdir.join(crate::home::KEYSTORE_FILE).display().to_string(),
        }))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?,
    )?;
    tracing::info!(subjects = n, total_ms = report.total_ms, "demo finished");
    let keys = DemoKeys {
        members: MEMBERS
            .iter()
            .zip(ids)
            .map(|((n, r), i)| (n.to_string(), *r, i))
            .collect(),
        borrowers: labelled,
    };
    Ok((
        report,
        DemoConsortium {
            network: net,
            keys,
            node_answers: opts.mode != DemoMode::Local,
            processes,
        },
    ))
}

/// The flow, stage by stage, once the members are up.
fn run_stages(
    s: &mut stages::Stages,
    borrowers: &[dataset::Borrower],
) -> Result<(Vec<QueryReport>, RevocationReport)> {
    let (today, period) = civil_date(s.now);
    s.enrol()?;
    let lender_consent = s.consent()?;
    let mapped = stages::mapped(borrowers, &today);
    let home_record = s.furnish(&mapped)?;
    s.score(period)?;
    s.ask(&home_record)?;
    s.answer()?;
    let queries = s.verify_answers()?;
    let revocation = s.revocation(&lender_consent[0])?;
    s.dispute(&home_record, &mapped)?;
    s.settle()?;
    Ok((queries, revocation))
}
