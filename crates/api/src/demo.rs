//! The demo consortium: four members on this machine (an agency, two banks, a
//! regulator), each with its own keystore and ledger file, the bundled German
//! credit data imported as borrowers, consents, scores, predicate queries and
//! their proofs — the whole flow end to end through this crate's use cases.
//!
//! Blocks are ordered by `LocalSequencer` (one process, not consensus).
use crate::actions::{self, income_entry, new_id, record_recipients, tradeline_entry, AnswerJob};
use crate::dataset::{self, Borrower};
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use crate::reads::verify_answer;
use credence_crypto::keystore::{self, KdfParams};
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, PartyId, Secret};
use credence_ledger::types::*;
use credence_ledger::{encode::sign_entry, read, Ledger};
use credence_node::client::NodeClient;
use credence_node::{LocalConsortium, Network, Node, Receipt, RemoteConsortium};
use rand::rngs::OsRng;
use rayon::prelude::*;
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

/// A member process started by the demo.
pub struct MemberProcess {
    pub name: String,
    pub child: std::process::Child,
    pub api: std::net::SocketAddr,
    pub log: PathBuf,
}

impl MemberProcess {
    /// Ask the process to stop (SIGTERM) and wait for it, bounded.
    pub fn stop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

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
    let receipts = c.submit(entries)?;
    receipts
        .into_iter()
        .map(|r| match r {
            Receipt::Final { height, .. } => Ok(height),
            Receipt::Rejected(rej) => Err(ApiError::new(
                ErrorCode::Internal,
                format!("demo step \"{what}\" was refused by the ledger: {rej}"),
            )),
        })
        .collect()
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

/// The file a process-mode demo folder holds (the signed genesis its member
/// nodes run); a local-mode folder has none.
pub const GENESIS_FILE: &str = "genesis.json";

/// Whether `dir` holds a consortium of member processes (`credence demo`
/// without `--local`), which `open` connects to rather than opens locally.
pub fn is_process_folder(dir: &std::path::Path) -> bool {
    dir.join(GENESIS_FILE).is_file()
}

/// Reopen a demo folder made by `run`. A local-mode folder: unlock its
/// keystores and open every member's ledger behind a local sequencer. A
/// process-mode folder (it holds `genesis.json`): connect to its running
/// member nodes instead (see `connect`); its ledgers belong to those nodes.
pub fn open(dir: &std::path::Path, passphrase: &Secret<String>) -> Result<DemoConsortium> {
    if is_process_folder(dir) {
        return connect(dir, passphrase);
    }
    let mut members = Vec::new();
    let mut nodes = Vec::new();
    for (name, role) in MEMBERS {
        let home = Home::new(dir.join(name));
        if !home.ledger().exists() {
            return Err(ApiError::not_found(format!(
                "{} holds no demo consortium (no {name} ledger)",
                dir.display()
            )));
        }
        let actor = home.unlock(passphrase)?;
        nodes.push(Node::new(
            name,
            actor.identity.clone(),
            Ledger::open(&home.ledger())?,
        ));
        members.push((name.to_string(), role, actor.identity));
    }
    let borrowers = crate::home::unlock_all(
        &dir.join("borrowers").join(crate::home::KEYSTORE_FILE),
        passphrase,
    )?;
    Ok(DemoConsortium {
        network: Box::new(LocalConsortium::new(nodes)),
        keys: DemoKeys { members, borrowers },
        processes: Vec::new(),
        node_answers: false,
    })
}

/// How long `connect` waits for a member's node to accept a connection.
const REACH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

fn unreachable(dir: &std::path::Path, member: &str, api: std::net::SocketAddr) -> ApiError {
    let d = dir.display();
    ApiError::new(
        ErrorCode::Unreachable,
        format!(
            "cannot reach the {member} node at {api}: is the consortium running? \
             Start its members again with `credence node run --home {d}/<member> --genesis {d}/{GENESIS_FILE}` \
             (the agency's with --auto-answer), or start a new consortium with \
             `credence demo --dir <new folder> --keep-running` and open that folder; nothing was changed"
        ),
    )
}

/// Connect to the running member nodes of a process-mode demo folder (made
/// by `credence demo --keep-running`): read each member's `node.json`, check
/// its node answers, unlock the keystores, and read every member's ledger
/// through a read-only view; entries go to the nodes through the regulator's
/// client API. The app does not own the processes: `processes` is empty, so
/// nothing is stopped on drop. If a node does not answer, the error's code is
/// `Unreachable` and nothing in the folder was created or changed.
pub fn connect(dir: &std::path::Path, passphrase: &Secret<String>) -> Result<DemoConsortium> {
    // Only reads until every node has answered: the folder is left as it was.
    let mut infos = Vec::new();
    for (name, role) in MEMBERS {
        let home = Home::new(dir.join(name));
        let info = crate::member::read_info(&home)?;
        if info.name != name || info.role()? != role {
            return Err(ApiError::invalid(format!(
                "{} is not the demo's {name} ({} / {})",
                home.dir.join(crate::member::NODE_FILE).display(),
                info.name,
                info.role
            )));
        }
        if !home.ledger().exists() {
            return Err(ApiError::not_found(format!(
                "{} holds no demo consortium (no {name} ledger)",
                dir.display()
            )));
        }
        infos.push(info);
    }
    // A bounded TCP probe first: the client's own timeout is long.
    for info in &infos {
        if std::net::TcpStream::connect_timeout(&info.api, REACH_TIMEOUT).is_err() {
            return Err(unreachable(dir, &info.name, info.api));
        }
    }
    let mut members = Vec::new();
    for (name, role) in MEMBERS {
        let actor = Home::new(dir.join(name)).unlock(passphrase)?;
        members.push((name.to_string(), role, actor.identity));
    }
    let borrowers = crate::home::unlock_all(
        &dir.join("borrowers").join(crate::home::KEYSTORE_FILE),
        passphrase,
    )?;
    // Each node must answer as the member it claims to be.
    for (info, (name, _, id)) in infos.iter().zip(&members) {
        let status = NodeClient::new(info.api, id.party_id(), id.clone())
            .status()
            .map_err(|_| unreachable(dir, name, info.api))?;
        if status["party"].as_str() != Some(id.party_id().to_hex().as_str()) {
            return Err(ApiError::new(
                ErrorCode::Unreachable,
                format!(
                    "the node at {} is not this folder's {name} (another program or consortium \
                     answers there); nothing was changed",
                    info.api
                ),
            ));
        }
    }
    let mut net = RemoteConsortium::new(NodeClient::new(
        infos[0].api,
        members[0].2.party_id(),
        members[0].2.clone(),
    ));
    net.wait = std::time::Duration::from_secs(60);
    for (name, _, id) in &members {
        net.add_view(id.party_id(), &Home::new(dir.join(name)).ledger())?;
    }
    Ok(DemoConsortium {
        network: Box::new(net),
        keys: DemoKeys { members, borrowers },
        processes: Vec::new(),
        node_answers: true,
    })
}

/// `run`, keeping the consortium open and returning its keys.
pub fn run_and_keep(
    opts: &DemoOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(DemoReport, DemoConsortium)> {
    let t0 = Instant::now();
    let mut timings: Vec<(String, u64)> = Vec::new();
    let mut lap = {
        let mut last = Instant::now();
        move |name: &str, timings: &mut Vec<(String, u64)>| {
            timings.push((name.to_string(), last.elapsed().as_millis() as u64));
            last = Instant::now();
        }
    };
    if opts.dir.exists() && std::fs::read_dir(&opts.dir)?.next().is_some() {
        return Err(ApiError::invalid(format!(
            "{} is not empty; give the demo an empty or new folder",
            opts.dir.display()
        )));
    }
    let borrowers: Vec<Borrower> = match &opts.csv {
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
    progress(Progress {
        stage: "members",
        done: 0,
        total: MEMBERS.len() as u64,
    });
    let now = now_secs();
    let (today, period) = civil_date(now);
    let (ids, mut net, processes) = start_members(opts, now, progress)?;
    let c: &mut dyn Network = &mut *net;
    let (regulator, agency, bank_a, bank_b) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    lap("members and genesis", &mut timings);

    // Borrowers: one keystore file for the demo's borrowers (a real borrower
    // holds their own).
    let subjects: Vec<Identity> = (0..n).map(|_| Identity::generate(&mut OsRng)).collect();
    let bdir = opts.dir.join("borrowers");
    std::fs::create_dir_all(&bdir)?;
    let labelled: Vec<(String, Identity)> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("borrower-{:04}", i + 1), s.clone()))
        .collect();
    keystore::write(
        &bdir.join(crate::home::KEYSTORE_FILE),
        &opts.passphrase,
        &labelled,
        opts.kdf,
    )?;
    let home_lender = |i: usize| if i.is_multiple_of(2) { bank_a } else { bank_b };
    let other_lender = |i: usize| if i.is_multiple_of(2) { bank_b } else { bank_a };
    let sp: Vec<PartyId> = subjects.iter().map(|s| s.party_id()).collect();

    let enrol: Vec<SignedEntry> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| actions::enrol(s, home_lender(i)))
        .collect();
    progress(Progress {
        stage: "enrol",
        done: 0,
        total: n as u64,
    });
    submit_all(c, enrol, "enrol")?;
    progress(Progress {
        stage: "enrol",
        done: n as u64,
        total: n as u64,
    });
    lap("enrol", &mut timings);

    // Consents: each borrower to its home bank (credit application) and to the
    // agency (account review), for a year.
    let year = now + 365 * 86_400;
    let mut consents = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        consents.push(actions::grant_consent(
            s,
            &home_lender(i).party_id(),
            Purpose::CreditApplication,
            AllowedPredicates::Any,
            year,
            false,
            now,
        )?);
        consents.push(actions::grant_consent(
            s,
            &agency.party_id(),
            Purpose::AccountReview,
            AllowedPredicates::Any,
            year,
            false,
            now,
        )?);
    }
    let lender_consent: Vec<Id> = consents.iter().step_by(2).map(|(id, _)| *id).collect();
    submit_all(c, consents.into_iter().map(|(_, e)| e).collect(), "consent")?;
    progress(Progress {
        stage: "consent",
        done: n as u64,
        total: n as u64,
    });
    lap("consent", &mut timings);

    // Tradelines and incomes: sealed to furnisher, borrower and agency; proofs
    // built in parallel.
    let view = c.view(&regulator.party_id())?;
    let recips: Vec<_> = (0..n)
        .map(|i| {
            Ok((
                record_recipients(view, home_lender(i), &sp[i], now)?,
                record_recipients(view, other_lender(i), &sp[i], now)?,
            ))
        })
        .collect::<Result<_>>()?;
    let mapped: Vec<_> = borrowers
        .iter()
        .enumerate()
        .map(|(i, b)| dataset::map(b, i as u64, &today))
        .collect();
    let total_records: usize = mapped.iter().map(|m| 2 + m.other.is_some() as usize).sum();
    progress(Progress {
        stage: "furnish",
        done: 0,
        total: total_records as u64,
    });
    let mut home_record: Vec<Id> = vec![[0; 32]; n];
    let chunk = 200;
    let mut done = 0u64;
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        let built: Vec<Vec<(Id, SignedEntry)>> = (start..end)
            .into_par_iter()
            .map(|i| {
                let m = &mapped[i];
                let mut v = vec![tradeline_entry(
                    &recips[i].0,
                    home_lender(i),
                    &sp[i],
                    &m.home,
                    None,
                )?];
                v.push(income_entry(
                    &recips[i].0,
                    home_lender(i),
                    &sp[i],
                    m.monthly_income,
                    "derived from instalment rate",
                )?);
                if let Some(o) = &m.other {
                    v.push(tradeline_entry(
                        &recips[i].1,
                        other_lender(i),
                        &sp[i],
                        o,
                        None,
                    )?);
                }
                Ok(v)
            })
            .collect::<Result<_>>()?;
        let mut entries = Vec::new();
        for (k, v) in built.into_iter().enumerate() {
            home_record[start + k] = v[0].0;
            entries.extend(v.into_iter().map(|(_, e)| e));
        }
        done += entries.len() as u64;
        submit_all(c, entries, "furnish")?;
        progress(Progress {
            stage: "furnish",
            done,
            total: total_records as u64,
        });
    }
    lap("furnish", &mut timings);

    // Scores: the agency opens what was sealed to it and commits one score per
    // borrower for this period.
    let agency_view = c.view(&agency.party_id())?;
    progress(Progress {
        stage: "score",
        done: 0,
        total: n as u64,
    });
    let jobs: Vec<_> = sp
        .iter()
        .map(|s| actions::prepare_score(agency_view, agency, s, period))
        .collect::<Result<_>>()?;
    let entries: Vec<SignedEntry> = jobs
        .par_iter()
        .map(|j| j.build(agency).map(|(_, e)| e))
        .collect::<Result<_>>()?;
    submit_all(c, entries, "score")?;
    progress(Progress {
        stage: "score",
        done: n as u64,
        total: n as u64,
    });
    lap("score", &mut timings);

    // Queries: each borrower's home bank asks one question, rotating through
    // every kind in the predicate table.
    let predicate = |i: usize| match i % 6 {
        0 => Predicate::ScoreAtLeast { min: 650 },
        1 => Predicate::ScoreInRange { min: 600, max: 750 },
        2 => Predicate::BalanceAtMost { max: 500_000 },
        3 => Predicate::TotalDebtBelow { limit: 500_000 },
        4 => Predicate::DebtToIncomeBelow { percent: 43 },
        _ => Predicate::NoSeriousDelinquency,
    };
    let mut asks = Vec::new();
    for i in 0..n {
        let lender = home_lender(i);
        let lv = c.view(&lender.party_id())?;
        let p = predicate(i);
        let target = matches!(p, Predicate::BalanceAtMost { .. }).then_some(home_record[i]);
        asks.push(actions::ask(lv, lender, &sp[i], p, &agency.party_id(), target, now)?.1);
    }
    progress(Progress {
        stage: "ask",
        done: 0,
        total: n as u64,
    });
    submit_all(c, asks, "ask")?;
    progress(Progress {
        stage: "ask",
        done: n as u64,
        total: n as u64,
    });
    lap("ask", &mut timings);

    // Answers: the agency proves each; every member checks each proof as it
    // applies the block. With member processes the agency's node answers by
    // itself (`node run --auto-answer`); the demo waits for it.
    if opts.mode == DemoMode::Local {
        let agency_view = c.view(&agency.party_id())?;
        let open = read::queries(
            agency_view.conn(),
            &read::QueryFilter {
                responder: Some(agency.party_id()),
                unanswered_only: true,
                ..Default::default()
            },
        )?;
        let jobs: Vec<AnswerJob> = open
            .iter()
            .map(|q| actions::prepare_answer(agency_view, agency, &q.query_id))
            .collect::<Result<_>>()?;
        let mut done = 0u64;
        for batch in jobs.chunks(200) {
            let entries: Vec<SignedEntry> = batch
                .par_iter()
                .map(|j| j.prove(agency))
                .collect::<Result<_>>()?;
            done += entries.len() as u64;
            submit_all(c, entries, "answer")?;
            progress(Progress {
                stage: "answer",
                done,
                total: jobs.len() as u64,
            });
        }
    } else {
        let deadline = Instant::now() + std::time::Duration::from_secs(30 + n as u64);
        loop {
            let heads: Vec<u64> = ids
                .iter()
                .map(|i| {
                    Ok(c.view(&i.party_id())?
                        .head()?
                        .map(|h| h.height)
                        .unwrap_or(0))
                })
                .collect::<Result<_>>()?;
            let answered = read::counts(c.view(&bank_a.party_id())?.conn())?.answers;
            progress(Progress {
                stage: "answer",
                done: answered,
                total: n as u64,
            });
            let settled = heads.windows(2).all(|w| w[0] == w[1]);
            if answered >= n as u64 && settled {
                break;
            }
            if Instant::now() > deadline {
                return Err(ApiError::new(ErrorCode::Internal, format!("the agency answered {answered} of {n} queries in time; see agency/node.log")));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    lap("answer", &mut timings);

    // Each asking bank checks the proofs of its answers against its own ledger.
    let mut queries = Vec::new();
    for (i, lender) in [bank_a, bank_b].iter().enumerate() {
        let lv = c.view(&lender.party_id())?;
        let mine = read::queries(
            lv.conn(),
            &read::QueryFilter {
                requester: Some(lender.party_id()),
                ..Default::default()
            },
        )?;
        for q in mine {
            let v = verify_answer(lv, &q.query_id)?;
            queries.push(QueryReport {
                query_id: hex::encode(q.query_id),
                subject: q.subject.to_hex(),
                requester: MEMBERS[2 + i].0.to_string(),
                purpose: q.purpose,
                predicate: q.predicate,
                answer: v.holds,
                verified: v.verified,
            });
        }
    }
    progress(Progress {
        stage: "verify answers",
        done: queries.len() as u64,
        total: queries.len() as u64,
    });
    lap("verify answers", &mut timings);

    // Revocation: borrower 1 withdraws the bank's consent; the bank's next
    // question is refused by its own client and, forced on, by the ledger.
    let s0 = &subjects[0];
    let lv = c.view(&bank_a.party_id())?;
    let revoke = actions::revoke_consent(lv, s0, &lender_consent[0])?;
    submit_all(c, vec![revoke], "revoke")?;
    let lv = c.view(&bank_a.party_id())?;
    let refused_by_client = matches!(
        actions::ask(
            lv,
            bank_a,
            &sp[0],
            Predicate::ScoreAtLeast { min: 650 },
            &agency.party_id(),
            None,
            c.now()
        ),
        Err(ApiError {
            code: ErrorCode::NoConsent,
            ..
        })
    );
    let forced = sign_entry(
        Entry::QueryAsked(QueryAsked {
            query_id: new_id(),
            requester: bank_a.party_id(),
            subject: sp[0],
            consent_id: lender_consent[0],
            predicate: Predicate::ScoreAtLeast { min: 650 },
            responder: agency.party_id(),
            target: None,
        }),
        &[bank_a],
    );
    let r = c.submit(vec![forced])?.remove(0);
    let (refused_by_ledger, ledger_reason) = match r {
        Receipt::Rejected(rej) => (true, rej.to_string()),
        Receipt::Final { .. } => (false, "accepted".into()),
    };
    let revocation = RevocationReport {
        subject: sp[0].to_hex(),
        consent_id: hex::encode(lender_consent[0]),
        refused_by_client,
        refused_by_ledger,
        ledger_reason,
    };

    // A dispute (FCRA §611): a borrower disputes a balance; the bank corrects it.
    if n > 1 {
        let lv = c.view(&bank_b.party_id())?;
        let (dispute_id, e) = actions::open_dispute(
            lv,
            &subjects[1],
            &home_record[1],
            DisputeReason::WrongBalance,
        )?;
        submit_all(c, vec![e], "dispute")?;
        let lv = c.view(&bank_b.party_id())?;
        let mut corrected = mapped[1].home.clone();
        corrected.balance = corrected
            .balance
            .saturating_sub(corrected.scheduled_payment);
        let (fix_id, fix) = actions::furnish_tradeline(
            lv,
            bank_b,
            &sp[1],
            &corrected,
            Some(home_record[1]),
            c.now(),
        )?;
        let resolve = actions::resolve_dispute(
            bank_b,
            &dispute_id,
            DisputeOutcome::Corrected { correction: fix_id },
        );
        submit_all(c, vec![fix, resolve], "dispute resolution")?;
    }
    lap("revocation and dispute", &mut timings);

    // Members apply each final block on their own schedule (and the agency's
    // node may still be ordering an answer): let them settle on one head
    // before reporting, bounded.
    let settle_by = Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let heads: Vec<Option<[u8; 32]>> = ids
            .iter()
            .map(|i| Ok(c.view(&i.party_id())?.head()?.map(|h| h.hash)))
            .collect::<Result<_>>()?;
        if heads.windows(2).all(|w| w[0] == w[1]) || Instant::now() > settle_by {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Every member's view.
    let mut members = Vec::new();
    let mut heads = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let head = c
            .view(&id.party_id())?
            .head()?
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "a member has an empty ledger"))?;
        heads.push(head.hash);
        let home = Home::new(opts.dir.join(MEMBERS[i].0));
        members.push(MemberReport {
            name: MEMBERS[i].0.to_string(),
            role: MEMBERS[i].1.as_str().to_string(),
            party: id.party_id().to_hex(),
            home: home.dir.display().to_string(),
            database: home.ledger().display().to_string(),
            keystore: home.keystore().display().to_string(),
            head_height: head.height,
            head_hash: hex::encode(head.hash),
            file_verified: None,
        });
    }
    let cnt = read::counts(c.view(&ids[0].party_id())?.conn())?;
    let counts = Counts {
        blocks: cnt.blocks,
        subjects: cnt.subjects,
        records: cnt.records,
        consents: cnt.consents,
        revoked_consents: cnt.revoked_consents,
        scores: cnt.scores,
        queries: cnt.queries,
        answers: cnt.answers,
        disputes: cnt.disputes,
    };
    if opts.verify_files {
        progress(Progress {
            stage: "verify ledgers",
            done: 0,
            total: members.len() as u64,
        });
        for (i, m) in members.iter_mut().enumerate() {
            m.file_verified = Some(
                credence_node::remote::verify_ledger(std::path::Path::new(&m.database), |_, _| {})
                    .is_ok(),
            );
            progress(Progress {
                stage: "verify ledgers",
                done: i as u64 + 1,
                total: 4,
            });
        }
        lap("verify ledger files", &mut timings);
    }
    let report = DemoReport {
        consortium: "credence-demo".into(),
        directory: opts.dir.display().to_string(),
        all_heads_equal: heads.windows(2).all(|w| w[0] == w[1]),
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

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

type Started = (Vec<Identity>, Box<dyn Network>, Vec<MemberProcess>);

/// Create the four members and bring the consortium up: in this process
/// behind the local sequencer, or as four node processes on 127.0.0.1.
fn start_members(
    opts: &DemoOptions,
    now: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<Started> {
    let total = MEMBERS.len() as u64;
    progress(Progress {
        stage: "members",
        done: 0,
        total,
    });
    match &opts.mode {
        DemoMode::Local => {
            let mut ids = Vec::new();
            let mut nodes = Vec::new();
            for (i, (name, _)) in MEMBERS.iter().enumerate() {
                let home = Home::new(opts.dir.join(name));
                let actor = home.create(name, &opts.passphrase, opts.kdf)?;
                nodes.push(Node::new(
                    *name,
                    actor.identity.clone(),
                    Ledger::open(&home.ledger())?,
                ));
                ids.push(actor.identity);
                progress(Progress {
                    stage: "members",
                    done: i as u64 + 1,
                    total,
                });
            }
            let genesis = Genesis {
                consortium: "credence-demo".into(),
                created_at: now,
                members: MEMBERS
                    .iter()
                    .zip(&ids)
                    .map(|((n, r), id)| Member {
                        name: n.to_string(),
                        role: *r,
                        key: id.public(),
                    })
                    .collect(),
                policy: Policy::default(),
            };
            let signers: Vec<&Identity> = ids.iter().collect();
            let mut c = LocalConsortium::new(nodes);
            submit_all(
                &mut c,
                vec![sign_entry(Entry::Genesis(genesis), &signers)],
                "genesis",
            )?;
            Ok((ids, Box::new(c), Vec::new()))
        }
        DemoMode::Processes { exe } => {
            let mut ids = Vec::new();
            let mut infos = Vec::new();
            for (name, role) in MEMBERS {
                let home = Home::new(opts.dir.join(name));
                let p2p = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()?));
                let api = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()?));
                infos.push(crate::member::init(
                    &home,
                    name,
                    role,
                    p2p,
                    api,
                    &opts.passphrase,
                    opts.kdf,
                )?);
                ids.push(home.unlock(&opts.passphrase)?.identity);
            }
            let mut genesis =
                crate::member::GenesisFile::create("credence-demo", now, infos.clone())?;
            for id in &ids {
                genesis.sign(id)?;
            }
            let gpath = opts.dir.join("genesis.json");
            genesis.write(&gpath)?;
            let mut processes = Vec::new();
            for (i, (name, role)) in MEMBERS.iter().enumerate() {
                let home = opts.dir.join(name);
                let log = home.join("node.log");
                let out = std::fs::File::create(&log)?;
                let mut cmd = std::process::Command::new(exe);
                cmd.args(["node", "run", "--home"])
                    .arg(&home)
                    .arg("--genesis")
                    .arg(&gpath);
                if matches!(role, Role::Agency | Role::Regulator) {
                    cmd.arg("--auto-answer");
                }
                cmd.env("CREDENCE_PASSPHRASE", opts.passphrase.expose())
                    .stdin(std::process::Stdio::null())
                    .stdout(out.try_clone()?)
                    .stderr(out);
                let child = cmd.spawn().map_err(|e| {
                    ApiError::new(
                        ErrorCode::Io,
                        format!("cannot start {}: {e}", exe.display()),
                    )
                })?;
                processes.push(MemberProcess {
                    name: name.to_string(),
                    child,
                    api: infos[i].api,
                    log,
                });
            }
            let client = NodeClient::new(infos[0].api, ids[0].party_id(), ids[0].clone());
            let deadline = Instant::now() + std::time::Duration::from_secs(60);
            for (i, p) in processes.iter().enumerate() {
                let c = NodeClient::new(p.api, ids[i].party_id(), ids[i].clone());
                while c.status().is_err() {
                    if Instant::now() > deadline {
                        return Err(ApiError::new(
                            ErrorCode::Io,
                            format!("member {} did not start; see {}", p.name, p.log.display()),
                        ));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                progress(Progress {
                    stage: "members",
                    done: i as u64 + 1,
                    total,
                });
            }
            let mut net = RemoteConsortium::new(client);
            for (i, (name, _)) in MEMBERS.iter().enumerate() {
                net.add_view(ids[i].party_id(), &Home::new(opts.dir.join(name)).ledger())?;
            }
            Ok((ids, Box::new(net), processes))
        }
    }
}
