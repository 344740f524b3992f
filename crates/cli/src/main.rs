//! `credence`: the command-line face of the API crate.
#![forbid(unsafe_code)]

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use credence_api::crypto::keystore::KdfParams;
use credence_api::crypto::{age_export, PartyId, Secret};
use credence_api::demo::{self, DemoOptions, DemoReport};
use credence_api::ledger::{read, rules, Ledger};
use credence_api::{bundle, home, parse_id, ApiError};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Documented passphrase for the demo's keystores when CREDENCE_PASSPHRASE is unset.
const DEMO_PASSPHRASE: &str = "credence-demo";

#[derive(Parser)]
#[command(
    name = "credence",
    version,
    about = "Credit-reporting consortium client: ledger, sealed records, proofs"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum NodeCmd {
    /// Create a member home: keys in an encrypted keystore and a public node.json.
    Init {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        name: String,
        /// agency, lender or regulator
        #[arg(long)]
        role: String,
        /// Where other members reach this node.
        #[arg(long, default_value = "127.0.0.1:7400")]
        p2p: std::net::SocketAddr,
        /// The client API (keep it on loopback unless a proxy fronts it).
        #[arg(long, default_value = "127.0.0.1:7500")]
        api: std::net::SocketAddr,
    },
    /// Assemble a genesis file from the founding members' node.json files.
    Genesis {
        #[arg(long)]
        consortium: String,
        /// A founding member's node.json (or home folder); repeat, in order.
        #[arg(long = "member", required = true)]
        members: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Blocks per consensus epoch; membership changes take effect at epochs.
        #[arg(long)]
        epoch_length: Option<u64>,
    },
    /// As a candidate: sign a request to join a running consortium (give the
    /// file to a current member, who proposes it).
    JoinRequest {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Propose admitting a candidate (its join request) or removing a member;
    /// it takes effect at the next epoch once 2/3 of the members approve.
    Propose {
        #[arg(long)]
        home: PathBuf,
        /// A candidate's join request file.
        #[arg(long, conflicts_with = "remove", required_unless_present = "remove")]
        admit: Option<PathBuf>,
        /// The name of the member to remove.
        #[arg(long)]
        remove: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Vote on a membership proposal (approve unless --reject).
    Vote {
        #[arg(long)]
        home: PathBuf,
        /// The proposal id (hex), as `credence node members` lists it.
        #[arg(long)]
        proposal: String,
        #[arg(long)]
        reject: bool,
        #[arg(long)]
        json: bool,
    },
    /// The members in force, by epoch, and the membership proposals.
    Members {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Add this member's signature to a genesis file.
    SignGenesis {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
    },
    /// Run the member node until Ctrl-C.
    Run {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
        /// Agencies: answer questions addressed to this member automatically.
        #[arg(long)]
        auto_answer: bool,
        /// Test only: propose pending entries without the rules' filter (a faulty member).
        #[arg(long, hide = true)]
        unfiltered: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Flood bank-a's node of a running demo consortium (`credence demo
    /// --keep-running`) as an attacker would: stalled request bodies, then
    /// one caller's long polls; meanwhile another client times `/v1/status`
    /// and a signed read of its own.
    Flood {
        /// The demo folder (member homes and genesis.json).
        #[arg(long)]
        dir: PathBuf,
        /// Connections that announce a body and never send it.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1000))]
        stalled: u64,
        /// Long polls held by one caller.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=512))]
        polls: u64,
        /// Seconds each flood lasts.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Load tools against a running consortium.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Run the demo consortium: four members, the bundled German credit data,
    /// consents, scores, predicate queries and their proofs.
    Demo {
        #[arg(long)]
        dir: PathBuf,
        /// Borrowers to import (default: all 1,000 rows).
        #[arg(long)]
        subjects: Option<usize>,
        /// A CSV in the German credit layout instead of the bundled copy.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Skip re-verifying every member's ledger file at the end.
        #[arg(long)]
        no_verify: bool,
        /// Run all members in this process behind the local sequencer instead
        /// of four node processes reaching consensus on 127.0.0.1.
        #[arg(long)]
        local: bool,
        /// Leave the member processes running at the end (for the desktop app).
        #[arg(long)]
        keep_running: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run or set up a member node.
    #[command(subcommand)]
    Node(NodeCmd),
    /// Ask a running consortium a question about a borrower and wait for the
    /// verified answer (from a member home whose node is running).
    Query {
        #[arg(long)]
        home: PathBuf,
        /// The borrower's id (hex).
        #[arg(long)]
        subject: String,
        /// e.g. 'score >= 650', 'total_debt < 4000000', 'dti < 43', 'no_serious_delinquency'.
        #[arg(long)]
        predicate: String,
        /// For 'balance <= N': the record (hex id).
        #[arg(long)]
        record: Option<String>,
        /// Seconds to wait for the answer (1 to 3600). After a timeout, the
        /// same command waits for the same question; it never asks twice.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Re-check a ledger file from genesis: every hash, signature and proof.
    Verify {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Write an answered query's proof bundle (JSON) for an auditor.
    ExportProof {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        query: String,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a proof bundle on its own (listing what only a ledger can show),
    /// or against a ledger with --db.
    VerifyProof {
        #[arg(long)]
        bundle: PathBuf,
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Export a record you can open as an `age` file for one recipient
    /// (a member or subject id on the ledger, or an age1… X25519 recipient).
    ExportRecord {
        /// Folder holding your keystore.json.
        #[arg(long)]
        home: PathBuf,
        /// Which identity of the keystore (label); default the first.
        #[arg(long)]
        identity: Option<String>,
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        record: String,
        /// Recipient: a party id (hex) on the ledger, or an age1… recipient;
        /// default yourself.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write your X25519 key as an age identity file (mode 0600), so the
    /// standard `age` tool can decrypt exports made for you.
    ExportAgeIdentity {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        identity: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Your records (decrypted in memory) and who accessed your data.
    MyRecords {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        identity: Option<String>,
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// The keystore passphrase: `CREDENCE_PASSPHRASE`, else asked for on the
/// terminal without echo. Never a default: only the demo has one.
fn passphrase() -> Result<Secret<String>> {
    if let Ok(p) = std::env::var("CREDENCE_PASSPHRASE") {
        return Ok(Secret::new(p));
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("keystore passphrase: ")
            .context("reading the passphrase from the terminal")?;
        return Ok(Secret::new(p));
    }
    Err(ApiError::invalid(
        "no passphrase: set CREDENCE_PASSPHRASE, or run the command in a terminal to be asked for it",
    )
    .into())
}

/// The demo's passphrase: `CREDENCE_PASSPHRASE`, else its documented default.
fn demo_passphrase() -> Secret<String> {
    Secret::new(
        std::env::var("CREDENCE_PASSPHRASE").unwrap_or_else(|_| DEMO_PASSPHRASE.to_string()),
    )
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let json = matches!(
        &cli.cmd,
        Cmd::Demo { json: true, .. }
            | Cmd::Query { json: true, .. }
            | Cmd::Verify { json: true, .. }
            | Cmd::VerifyProof { json: true, .. }
            | Cmd::MyRecords { json: true, .. }
    );
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            let code = e
                .downcast_ref::<ApiError>()
                .map(|a| a.code.as_str())
                .unwrap_or("error");
            if json {
                println!(
                    "{}",
                    serde_json::json!({"error": {"code": code, "message": format!("{e:#}")}})
                );
            } else {
                eprintln!("error: {e:#}");
            }
            std::process::exit(2);
        }
    }
}

fn bar(total: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template("{prefix:>16} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap()
            .progress_chars("=> "),
    );
    b
}

fn run(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Node(cmd) => node_cmd(cmd),
        Cmd::Bench(BenchCmd::Flood {
            dir,
            stalled,
            polls,
            seconds,
            json,
        }) => flood(&dir, stalled as usize, polls as usize, seconds, json),
        Cmd::Query {
            home,
            subject,
            predicate,
            record,
            timeout,
            json,
        } => query(
            &home,
            &subject,
            &predicate,
            record.as_deref(),
            timeout,
            json,
        ),
        Cmd::Demo {
            dir,
            subjects,
            csv,
            no_verify,
            local,
            keep_running,
            json,
        } => {
            let mode = if local {
                demo::DemoMode::Local
            } else {
                demo::DemoMode::Processes {
                    exe: std::env::current_exe()?,
                }
            };
            let opts = DemoOptions {
                dir,
                subjects,
                csv,
                passphrase: demo_passphrase(),
                kdf: KdfParams::default(),
                verify_files: !no_verify,
                mode,
            };
            let show = std::io::stderr().is_terminal();
            let pb = bar(0, show);
            let mut stage = "";
            let (report, mut consortium) = demo::run_and_keep(&opts, &mut |p| {
                if p.stage != stage {
                    stage = p.stage;
                    pb.set_prefix(p.stage);
                    pb.set_length(p.total);
                }
                pb.set_position(p.done);
            })?;
            pb.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_demo(&report);
            }
            if keep_running && !consortium.processes.is_empty() {
                let procs = std::mem::take(&mut consortium.processes);
                eprintln!("the consortium keeps running; stop it with:");
                eprintln!(
                    "  kill {}",
                    procs
                        .iter()
                        .map(|p| p.child.id().to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                for p in &procs {
                    eprintln!(
                        "  {}: client API http://{} (log {})",
                        p.name,
                        p.api,
                        p.log.display()
                    );
                }
                std::mem::forget(procs); // the processes outlive us by design
            }
            drop(consortium);
            let ok = report.all_heads_equal
                && report.queries.iter().all(|q| q.verified)
                && report
                    .members
                    .iter()
                    .all(|m| m.file_verified != Some(false));
            Ok(if ok { 0 } else { 1 })
        }
        Cmd::Verify { db, json } => {
            let show = std::io::stderr().is_terminal() && !json;
            let pb = bar(0, show);
            pb.set_prefix("verify");
            let r = credence_api::node::remote::verify_ledger(&db, |h, total| {
                pb.set_length(total);
                pb.set_position(h + 1);
            });
            pb.finish_and_clear();
            match r {
                Ok(rep) => {
                    let head = rep.head.map(|h| (h.height, hex::encode(h.hash)));
                    let wal_problem = rep.wal.problem(&credence_api::ledger::wal::wal_path(&db));
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"ok": wal_problem.is_none(), "blocks": rep.blocks, "entries": rep.entries,
                                "head_height": head.as_ref().map(|h| h.0), "head_hash": head.as_ref().map(|h| h.1.clone()),
                                "wal": if rep.wal.is_whole() { "whole" } else { "torn" }, "wal_problem": wal_problem})
                        );
                    } else {
                        if wal_problem.is_none() {
                            println!(
                                "ok: {} blocks, {} entries verified from genesis",
                                rep.blocks, rep.entries
                            );
                        } else {
                            println!(
                                "incomplete: {} blocks, {} entries verified from genesis, but the file is missing its last blocks",
                                rep.blocks, rep.entries
                            );
                        }
                        if let Some((h, hash)) = head {
                            println!("head: height {h}, hash {hash}");
                        }
                        if let Some(p) = &wal_problem {
                            eprintln!("{p}");
                        }
                    }
                    Ok(if wal_problem.is_none() { 0 } else { 1 })
                }
                Err(f) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"ok": false, "height": f.height(), "error": f.to_string()})
                        );
                    } else {
                        eprintln!("FAILED: {f}");
                    }
                    Ok(1)
                }
            }
        }
        Cmd::ExportProof { db, query, out } => {
            let view = Ledger::open_read_only(&db)?;
            let b = bundle::export(&view, &parse_id("query id", &query)?)?;
            let text = serde_json::to_string_pretty(&b)?;
            match out {
                Some(p) => {
                    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?
                }
                None => println!("{text}"),
            }
            Ok(0)
        }
        Cmd::VerifyProof {
            bundle: path,
            db,
            json,
        } => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let b: bundle::ProofBundle = serde_json::from_str(&text)
                .map_err(|e| ApiError::invalid(format!("not a proof bundle: {e}")))?;
            let report = match db {
                Some(db) => bundle::verify_against_ledger(&Ledger::open_read_only(&db)?, &b)?,
                None => bundle::verify_bundle(&b)?,
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": true, "predicate": report.predicate,
                        "holds": report.holds, "branch": report.branch, "against_ledger": report.against_ledger,
                        "checked": report.checked, "not_checked": report.not_checked})
                );
            } else {
                println!(
                    "ok: \"{}\" {} (query {}; proof verified)",
                    report.predicate,
                    if report.holds {
                        "holds"
                    } else {
                        "does not hold"
                    },
                    report.query_id
                );
                println!("checked:");
                for i in &report.checked {
                    println!("  {}: {}", i.item, i.detail);
                }
                println!(
                    "{}",
                    if report.against_ledger {
                        "not checked:"
                    } else {
                        "not checked without --db:"
                    }
                );
                for i in &report.not_checked {
                    println!("  {}: {}", i.item, i.detail);
                }
            }
            Ok(0)
        }
        Cmd::ExportRecord {
            home,
            identity,
            db,
            record,
            to,
            out,
        } => {
            let me = unlock(&home, identity.as_deref())?;
            let view = Ledger::open_read_only(&db)?;
            let rid = parse_id("record id", &record)?;
            let (rec, extra) = read::furnished(view.conn(), &rid)?;
            let plain = rec.sealed.open(&me, &extra).map_err(ApiError::from)?;
            let recipient: [u8; 32] = match to {
                None => me.public().enc,
                Some(t) if t.starts_with("age1") => {
                    age_export::parse_recipient(&t).map_err(ApiError::from)?
                }
                Some(t) => {
                    let p = PartyId::from_hex(&t).map_err(|_| {
                        ApiError::invalid(format!(
                            "--to must be a party id (64 hex digits) on this ledger or an age1… recipient, not {t:?}"
                        ))
                    })?;
                    match rules::member(view.conn(), &p)? {
                        Some(m) => m.key.enc,
                        None => {
                            rules::subject_key(view.conn(), &p)?
                                .ok_or_else(|| anyhow!("no member or subject {t} on this ledger"))?
                                .enc
                        }
                    }
                }
            };
            let payload = credence_api::ledger::payload::Payload::decode(plain.expose())?;
            let text = serde_json::to_vec_pretty(&export_view(&payload))?;
            let file = age_export::export_to_key(&text, &recipient).map_err(ApiError::from)?;
            std::fs::write(&out, file).with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {} (age, for {})",
                out.display(),
                age_export::age_recipient_of_key(&recipient)
            );
            Ok(0)
        }
        Cmd::ExportAgeIdentity {
            home,
            identity,
            out,
        } => {
            let me = unlock(&home, identity.as_deref())?;
            let secret = age_export::age_identity(&me);
            write_private(
                &out,
                format!(
                    "# credence identity {}\n{}\n",
                    me.party_id(),
                    secret.expose()
                )
                .as_bytes(),
            )?;
            eprintln!("wrote {} (keep it private; mode 0600)", out.display());
            Ok(0)
        }
        Cmd::MyRecords {
            home,
            identity,
            db,
            json,
        } => {
            let me = unlock(&home, identity.as_deref())?;
            let view = Ledger::open_read_only(&db)?;
            let recs = credence_api::reads::readable_records(&view, &me)?;
            let log = credence_api::reads::access_log(&view, &me.party_id())?;
            if json {
                let v = serde_json::json!({
                    "party": me.party_id().to_hex(),
                    "records": recs.iter().map(|r| serde_json::json!({
                        "record_id": hex::encode(r.info.record_id), "kind": r.info.kind.as_str(), "status": r.info.status,
                        "compliance": r.info.compliance, "furnisher": credence_api::reads::party_name(&view, &r.info.furnisher),
                        "content": export_view(&r.payload)})).collect::<Vec<_>>(),
                    "access_log": log.iter().map(|(e, who)| serde_json::json!({"at": e.at, "who": who, "action": e.action, "detail": e.detail})).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{} records readable by {}",
                    recs.len(),
                    me.party_id().short()
                );
                for r in &recs {
                    println!(
                        "  {} {} {} from {}",
                        hex::encode(&r.info.record_id[..8]),
                        r.info.kind.as_str(),
                        r.info.status,
                        credence_api::reads::party_name(&view, &r.info.furnisher)
                    );
                }
                println!("access log:");
                for (e, who) in &log {
                    println!("  {} {:<14} {:<10} {}", e.at, e.action, who, e.detail);
                }
            }
            Ok(0)
        }
    }
}

fn unlock(home_dir: &Path, label: Option<&str>) -> Result<credence_api::crypto::Identity> {
    let all = home::unlock_all(&home_dir.join(home::KEYSTORE_FILE), &passphrase()?)?;
    match label {
        None => Ok(all
            .into_iter()
            .next()
            .map(|(_, i)| i)
            .expect("unlock_all never returns empty")),
        Some(l) => all
            .into_iter()
            .find(|(n, _)| n == l)
            .map(|(_, i)| i)
            .ok_or_else(|| anyhow!("no identity labelled {l} in that keystore")),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

/// A record's content for its reader: amounts as values, no blinding factors.
fn export_view(p: &credence_api::ledger::payload::Payload) -> serde_json::Value {
    use credence_api::ledger::payload::Payload;
    match p {
        Payload::Tradeline(t) => {
            let v: Vec<u64> = t.amounts.iter().map(|o| o.value).collect();
            serde_json::json!({
                "kind": "tradeline", "account_type": t.account_type, "portfolio_type": t.portfolio_type,
                "account_status": t.account_status, "date_opened": t.date_opened,
                "date_of_account_information": t.date_of_account_information,
                "date_of_first_delinquency": t.date_of_first_delinquency, "payment_history": t.payment_history,
                "balance_cents": v.first(), "credit_limit_cents": v.get(1), "past_due_cents": v.get(2),
                "scheduled_payment_cents": v.get(3), "days_past_due": v.get(4), "serious_delinquency": v.get(5).map(|x| *x > 0),
                "attributes": t.attributes.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
            })
        }
        Payload::Income(i) => {
            serde_json::json!({"kind": "income", "source": i.source, "monthly_income_cents": i.monthly_income.value})
        }
        Payload::Score(s) => {
            serde_json::json!({"kind": "score", "model": s.model, "period": s.period, "score": s.score.value})
        }
    }
}

fn print_demo(r: &DemoReport) {
    println!("Credence demo consortium in {}", r.directory);
    println!();
    println!("{:<10} {:<10} {:>7}  database", "member", "role", "height");
    for m in &r.members {
        println!(
            "{:<10} {:<10} {:>7}  {}",
            m.name, m.role, m.head_height, m.database
        );
    }
    println!();
    let c = &r.counts;
    println!(
        "subjects {}  records {}  consents {} ({} revoked)  scores {}  queries {}  answers {}  disputes {}  blocks {}",
        c.subjects, c.records, c.consents, c.revoked_consents, c.scores, c.queries, c.answers, c.disputes, c.blocks
    );
    let mut kinds: std::collections::BTreeMap<String, (u32, u32, u32)> = Default::default();
    for q in &r.queries {
        let k = q
            .predicate
            .split([' ', '<', '>'])
            .next()
            .unwrap_or("")
            .to_string();
        let e = kinds.entry(k).or_default();
        e.0 += 1;
        e.1 += q.answer as u32;
        e.2 += q.verified as u32;
    }
    println!();
    println!(
        "{:<24} {:>7} {:>7} {:>9}",
        "question", "asked", "holds", "verified"
    );
    for (k, (n, y, v)) in kinds {
        println!("{:<24} {:>7} {:>7} {:>9}", k, n, y, v);
    }
    println!();
    println!(
        "revocation: client refused {}, ledger refused {} ({})",
        r.revocation.refused_by_client, r.revocation.refused_by_ledger, r.revocation.ledger_reason
    );
    println!("all members agree on the head: {}", r.all_heads_equal);
    if r.members.iter().any(|m| m.file_verified.is_some()) {
        println!(
            "ledger files verified from genesis: {}",
            r.members
                .iter()
                .map(|m| format!(
                    "{} {}",
                    m.name,
                    if m.file_verified == Some(true) {
                        "ok"
                    } else {
                        "FAILED"
                    }
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "total {:.1} s: {}",
        r.total_ms as f64 / 1000.0,
        r.timings_ms
            .iter()
            .map(|(k, v)| format!("{k} {:.1}s", *v as f64 / 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn node_cmd(cmd: NodeCmd) -> Result<i32> {
    use credence_api::home::Home;
    use credence_api::member::{self, GenesisFile, NodeInfo};
    match cmd {
        NodeCmd::Init {
            home,
            name,
            role,
            p2p,
            api,
        } => {
            let role = credence_api::ledger::Role::parse(&role)
                .ok_or_else(|| ApiError::invalid("role must be agency, lender or regulator"))?;
            let info = member::init(
                &Home::new(&home),
                &name,
                role,
                p2p,
                api,
                &passphrase()?,
                KdfParams::default(),
            )?;
            println!("{}", serde_json::to_string_pretty(&info)?);
            eprintln!(
                "created {} (keys in {}/keystore.json, public info in node.json)",
                name,
                home.display()
            );
            Ok(0)
        }
        NodeCmd::Genesis {
            consortium,
            members,
            out,
            epoch_length,
        } => {
            let infos: Vec<NodeInfo> = members
                .iter()
                .map(|p| {
                    let f = if p.is_dir() {
                        p.join(member::NODE_FILE)
                    } else {
                        p.clone()
                    };
                    let text = std::fs::read_to_string(&f)
                        .with_context(|| format!("reading {}", f.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a node.json", f.display()))
                })
                .collect::<Result<_>>()?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs();
            let mut g = GenesisFile::create(&consortium, now, infos)?;
            if let Some(n) = epoch_length {
                g = g.with_epoch_length(n)?;
            }
            g.write(&out)?;
            eprintln!(
                "wrote {}; every founding member now runs `credence node sign-genesis`",
                out.display()
            );
            Ok(0)
        }
        NodeCmd::SignGenesis { home, genesis } => {
            let me = Home::new(&home).unlock(&passphrase()?)?;
            let mut g = GenesisFile::read(&genesis)?;
            g.sign(&me.identity)?;
            g.write(&genesis)?;
            let missing: Vec<_> = g
                .members
                .iter()
                .zip(&g.signatures)
                .filter(|(_, s)| s.is_none())
                .map(|(m, _)| m.name.clone())
                .collect();
            eprintln!(
                "signed as {}; still to sign: {}",
                me.name,
                if missing.is_empty() {
                    "nobody".into()
                } else {
                    missing.join(", ")
                }
            );
            Ok(0)
        }
        NodeCmd::Run {
            home,
            genesis,
            auto_answer,
            unfiltered,
        } => {
            use credence_api::node::{client::NodeClient, consensus::Validator, service};
            let h = Home::new(&home);
            let me = h.unlock(&passphrase()?)?;
            let info = member::read_info(&h)?;
            let g = GenesisFile::read(&genesis)?;
            let signed = g.signed_entry()?;
            if !g.members.iter().any(|m| m.sign_key == info.sign_key) {
                eprintln!(
                    "{} is not a founding member: it follows the consortium and validates once its admission takes effect",
                    info.name
                );
            }
            let validators = g
                .members
                .iter()
                .map(|m| {
                    Ok(Validator {
                        key: m.public()?.sign,
                        p2p: m.p2p,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let health = credence_api::node::health::Health::new(stop.clone());
            // The responder runs supervised: if it fails, the node stops and
            // exits with an error rather than look healthy while mute.
            let responder = if auto_answer {
                let (identity, stop, file, api) =
                    (me.identity.clone(), stop.clone(), h.ledger(), info.api);
                Some(health.spawn("responder", move || {
                    let client = NodeClient::new(api, identity.party_id(), identity.clone());
                    credence_api::responder::run(&file, &identity, &client, &stop);
                })?)
            } else {
                None
            };
            let cfg = service::ServiceConfig {
                name: info.name.clone(),
                role: info.role.clone(),
                identity: me.identity.clone(),
                home: home.clone(),
                consortium: g.consortium.clone(),
                created_at: g.created_at,
                genesis: signed,
                validators,
                p2p: info.p2p,
                api: info.api,
                unfiltered,
                health: health.clone(),
            };
            eprintln!(
                "{} ({}) running: p2p {}, client API http://{}; Ctrl-C to stop",
                info.name, info.role, info.p2p, info.api
            );
            let r = service::run(cfg);
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(t) = responder {
                let _ = t.join();
            }
            r.map_err(ApiError::from)?;
            Ok(0)
        }
        NodeCmd::JoinRequest { home, genesis, out } => {
            let h = Home::new(&home);
            let me = h.unlock(&passphrase()?)?;
            let info = member::read_info(&h)?;
            let g = GenesisFile::read(&genesis)?;
            let req = member::JoinRequestFile::create(&me.identity, &info, &g.consortium)?;
            std::fs::write(&out, serde_json::to_string_pretty(&req)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {}; a member proposes it with `credence node propose --admit {}`",
                out.display(),
                out.display()
            );
            Ok(0)
        }
        NodeCmd::Propose {
            home,
            admit,
            remove,
            json,
        } => {
            let (me, client, view) = member_client(&home)?;
            let (pid, entry, what) = match (admit, remove) {
                (Some(file), None) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let req: member::JoinRequestFile = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a join request", file.display()))?;
                    let what = format!("admit {} ({})", req.name, req.role);
                    let (pid, e) = credence_api::actions::propose_admission(&me, req.request()?);
                    (pid, e, what)
                }
                (None, Some(name)) => {
                    let m = read::members(view.conn())?
                        .into_iter()
                        .find(|m| m.name == name)
                        .ok_or_else(|| {
                            ApiError::not_found(format!("no member named {name} is in force"))
                        })?;
                    let (pid, e) = credence_api::actions::propose_removal(&me, &m.party);
                    (pid, e, format!("remove {name}"))
                }
                _ => bail!("give --admit FILE or --remove NAME"),
            };
            let height = submit_final(&client, entry)?;
            report_membership(&view, &pid, &what, height, json)
        }
        NodeCmd::Vote {
            home,
            proposal,
            reject,
            json,
        } => {
            let (me, client, view) = member_client(&home)?;
            let pid = parse_id("proposal id", &proposal)?;
            let height = submit_final(
                &client,
                credence_api::actions::vote_membership(&me, &pid, !reject),
            )?;
            let what = if reject { "vote against" } else { "vote for" };
            report_membership(&view, &pid, what, height, json)
        }
        NodeCmd::Members { home, json } => {
            let view = Ledger::open_read_only(&Home::new(&home).ledger())?;
            let (_, epoch_length, epoch) = read::chain(view.conn())?
                .ok_or_else(|| anyhow!("this member's ledger has no genesis yet"))?;
            let members = read::members_at_epoch(view.conn(), epoch)?;
            let next = read::members_at_epoch(view.conn(), epoch + 1)?;
            let proposals = read::membership_proposals(view.conn())?;
            let name = |p: &PartyId| credence_api::reads::party_name(&view, p);
            if json {
                let out = serde_json::json!({
                    "epoch": epoch,
                    "epoch_length": epoch_length,
                    "members": members.iter().map(|m| serde_json::json!({
                        "name": m.member.name, "role": m.member.role.as_str(), "party": m.member.party.to_hex(),
                    })).collect::<Vec<_>>(),
                    "next_epoch_members": next.iter().map(|m| m.member.name.clone()).collect::<Vec<_>>(),
                    "proposals": proposals.iter().map(|p| serde_json::json!({
                        "proposal_id": hex::encode(p.proposal_id),
                        "proposer": name(&p.proposer),
                        "change": credence_api::desk::regulator::change_text(&view, &p.change),
                        "status": p.status,
                        "effective_epoch": p.effective_epoch,
                        "votes": p.votes.iter().map(|(v, yes)| serde_json::json!({"voter": name(v), "approve": yes})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("epoch {epoch} ({epoch_length} blocks each); members in force:");
                for m in &members {
                    println!(
                        "  {:<16} {:<10} {}",
                        m.member.name,
                        m.member.role.as_str(),
                        m.member.party.short()
                    );
                }
                for p in &proposals {
                    println!(
                        "proposal {}: {} by {} — {}{} ({} votes)",
                        hex::encode(p.proposal_id),
                        credence_api::desk::regulator::change_text(&view, &p.change),
                        name(&p.proposer),
                        p.status,
                        p.effective_epoch
                            .map(|e| format!(", from epoch {e}"))
                            .unwrap_or_default(),
                        p.votes.len()
                    );
                }
            }
            Ok(0)
        }
    }
}

/// A member's identity, a client of its own node, and its ledger (read only).
fn member_client(
    home: &Path,
) -> Result<(
    credence_api::crypto::Identity,
    credence_api::node::client::NodeClient,
    Ledger,
)> {
    use credence_api::home::Home;
    let h = Home::new(home);
    let me = h.unlock(&passphrase()?)?;
    let info = credence_api::member::read_info(&h)?;
    let client = credence_api::node::client::NodeClient::new(
        info.api,
        me.identity.party_id(),
        me.identity.clone(),
    );
    let view = Ledger::open_read_only(&h.ledger())?;
    Ok((me.identity, client, view))
}

/// Submit one entry through the node and wait until it is final (or refused).
fn submit_final(
    client: &credence_api::node::client::NodeClient,
    entry: credence_api::ledger::SignedEntry,
) -> Result<u64> {
    use credence_api::node::Receipt;
    match client
        .submit(&[entry], std::time::Duration::from_secs(60))
        .map_err(ApiError::from)?
        .pop()
        .flatten()
    {
        Some(Receipt::Final { height, .. }) => Ok(height),
        Some(Receipt::Rejected(r)) => Err(ApiError::from(r).into()),
        None => bail!("the entry was not final within 60 s (is a quorum of members running?)"),
    }
}

fn report_membership(
    view: &Ledger,
    pid: &[u8; 32],
    what: &str,
    height: u64,
    json: bool,
) -> Result<i32> {
    // The node's own file may trail the receipt by a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while view.head()?.map(|h| h.height).unwrap_or(0) < height
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let p = read::membership_proposals(view.conn())?
        .into_iter()
        .find(|p| p.proposal_id == *pid);
    let (status, eff) = p
        .map(|p| (p.status, p.effective_epoch))
        .unwrap_or_else(|| ("unknown".into(), None));
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "proposal_id": hex::encode(pid), "action": what, "height": height,
                "status": status, "effective_epoch": eff,
            }))?
        );
    } else {
        println!(
            "{what}: final at height {height}; proposal {} is {status}{}",
            hex::encode(pid),
            eff.map(|e| format!(", effective from epoch {e}"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}

fn query(
    home: &Path,
    subject: &str,
    predicate: &str,
    record: Option<&str>,
    timeout: u64,
    json: bool,
) -> Result<i32> {
    use credence_api::home::Home;
    use credence_api::ledger::Role;
    use credence_api::node::client::NodeClient;
    let h = Home::new(home);
    let me = h.unlock(&passphrase()?)?;
    let info = credence_api::member::read_info(&h)?;
    let view = Ledger::open_read_only(&h.ledger())?;
    let subject = PartyId::from_hex(subject).map_err(ApiError::from)?;
    let predicate: credence_api::crypto::proof::Predicate =
        predicate.parse().map_err(ApiError::from)?;
    let target = record.map(|r| parse_id("record id", r)).transpose()?;
    let agency = read::members(view.conn())?
        .into_iter()
        .find(|m| m.role == Role::Agency)
        .ok_or_else(|| anyhow!("the consortium has no agency to answer"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let started = std::time::Instant::now();
    let client = NodeClient::new(info.api, me.identity.party_id(), me.identity.clone());
    let asked = credence_api::asking::ask_once(
        home,
        &view,
        &client,
        &credence_api::asking::Question {
            requester: &me.identity,
            subject,
            predicate,
            responder: agency.party,
            target,
        },
        now,
        std::time::Duration::from_secs(timeout),
    )?;
    let (qid, answer) = (asked.query_id, asked.answer);
    let ms = started.elapsed().as_millis();
    if json {
        println!(
            "{}",
            serde_json::json!({"query_id": hex::encode(qid), "predicate": answer.predicate, "holds": answer.holds, "verified": answer.verified, "round_trip_ms": ms})
        );
    } else {
        println!(
            "\"{}\": {} (proof verified against this ledger, {ms} ms)",
            answer.predicate,
            if answer.holds {
                "holds"
            } else {
                "does not hold"
            }
        );
    }
    Ok(0)
}

fn flood(dir: &Path, stalled: usize, polls: usize, seconds: u64, json: bool) -> Result<i32> {
    use credence_api::flood;
    use credence_api::home::Home;
    use credence_api::node::client::NodeClient;
    use std::sync::Arc;
    let target = Home::new(dir.join("bank-a"));
    let info = credence_api::member::read_info(&target)?;
    let node = info.public()?.party_id();
    let pass = demo_passphrase();
    let attacker = Home::new(dir.join("bank-a")).unlock(&pass)?.identity;
    let bystander = Home::new(dir.join("regulator")).unlock(&pass)?.identity;
    let status = NodeClient::new(info.api, node, bystander.clone());
    let other = NodeClient::new(info.api, node, bystander);
    let attacker = Arc::new(NodeClient::new(info.api, node, attacker));
    status.status().map_err(|e| {
        anyhow!(
            "bank-a's node at {} does not answer ({e}); start the demo with --keep-running",
            info.api
        )
    })?;
    let reports = vec![
        flood::stalled_bodies(info.api, stalled, seconds, &status, &other),
        flood::long_polls(polls, seconds, attacker, &status, &other),
    ];
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!(
                "{:<15} {:>4} held {:>5.1} s: status p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} over 1 s); \
                 another caller p50 {:.1} ms, max {:.1} ms; {} attacker requests refused",
                r.flood, r.attackers, r.seconds, r.status_p50_ms, r.status_p99_ms, r.status_max_ms,
                r.status_over_1s, r.status_samples, r.other_caller_p50_ms, r.other_caller_max_ms, r.refused
            );
        }
    }
    let ok = reports
        .iter()
        .all(|r| r.status_over_1s == 0 && r.other_caller_samples > 0);
    Ok(if ok { 0 } else { 1 })
}
