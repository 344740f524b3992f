//! `credence bench questions`: a bank's question round trip against a
//! running demo consortium (`credence demo --keep-running`): asked through
//! bank-a's node, answered by the agency's node with a range proof, final,
//! and verified on bank-a's ledger (`MemberSession::ask`, what `credence
//! query` does). Timed with every member up, then, if asked, with one member
//! stopped (it is started again afterwards with its own command line).
use crate::error::{ApiError, ErrorCode, Result};
use crate::load::{node_process, pct};
use crate::session::MemberSession;
use credence_crypto::proof::Predicate;
use credence_crypto::Secret;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Serialize)]
pub struct RoundTrips {
    /// Who was stopped while these were timed (`None`: every member up).
    pub down: Option<String>,
    pub questions: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct QuestionReport {
    pub runs: Vec<RoundTrips>,
    /// Raw library cost of the answer's proof: prove and verify of a
    /// `score ≥ t` range proof (1 × 64 bits), measured in the same run.
    pub raw_prove_ms: f64,
    pub raw_verify_ms: f64,
}

/// Time `count` questions about borrower-0001, each with a threshold of its
/// own (a repeated question would be answered from the first).
fn round_trips(
    bank: &MemberSession,
    subject: &credence_crypto::PartyId,
    count: usize,
    salt: u64,
    down: Option<&str>,
    progress: &mut impl FnMut(u64, u64),
) -> Result<RoundTrips> {
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        let min = 300 + (salt + i as u64) % 550;
        let t = Instant::now();
        bank.ask(
            subject,
            Predicate::ScoreAtLeast { min },
            None,
            Duration::from_secs(60),
        )?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        progress(i as u64 + 1, count as u64);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(RoundTrips {
        down: down.map(str::to_string),
        questions: count,
        p50_ms: pct(&times, 0.5),
        p99_ms: pct(&times, 0.99),
        max_ms: times.last().copied().unwrap_or(0.0),
    })
}

fn stop(pid: u32) -> Result<()> {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let gone =
        credence_ledger::clock::poll(Duration::from_secs(30), Duration::from_millis(50), || {
            Ok::<_, ApiError>((!Path::new(&format!("/proc/{pid}")).exists()).then_some(()))
        })?;
    if !ok || gone.is_none() {
        return Err(ApiError::new(
            ErrorCode::Io,
            format!("could not stop process {pid}"),
        ));
    }
    Ok(())
}

/// Start a member's node again with the command line it ran with.
fn restart(home: &Path, cmdline: &[String], passphrase: &Secret<String>) -> Result<()> {
    let (exe, args) = cmdline
        .split_first()
        .ok_or_else(|| ApiError::invalid("an empty command line"))?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.join("node.log"))?;
    std::process::Command::new(exe)
        .args(args)
        .env("CREDENCE_PASSPHRASE", passphrase.expose())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    Ok(())
}

/// Run the questions against the demo in `dir`; with `down`, again with
/// that member stopped. `progress(run, done, of)`.
pub fn against_demo(
    dir: &Path,
    passphrase: &Secret<String>,
    count: usize,
    down: Option<&str>,
    mut progress: impl FnMut(usize, u64, u64),
) -> Result<QuestionReport> {
    if let Some(d) = down {
        if matches!(d, "bank-a" | "agency") {
            return Err(ApiError::invalid(
                "--down must be regulator or bank-b: bank-a asks and the agency answers",
            ));
        }
        if !["regulator", "bank-b"].contains(&d) {
            return Err(ApiError::invalid(format!(
                "--down names no demo member: {d}"
            )));
        }
    }
    let (_, bank, me) = crate::load::bank_and_borrower(dir, passphrase)?;
    let subject = me.party_id();
    let salt = credence_ledger::clock::unix_now();
    let mut runs = vec![round_trips(
        &bank,
        &subject,
        count,
        salt,
        None,
        &mut |d, n| progress(0, d, n),
    )?];
    if let Some(d) = down {
        let home = dir.join(d);
        let (pid, cmdline) = node_process(&home).ok_or_else(|| {
            ApiError::new(ErrorCode::Unreachable, format!("{d}'s node is not running"))
        })?;
        stop(pid)?;
        let timed = round_trips(
            &bank,
            &subject,
            count,
            salt + count as u64,
            down,
            &mut |x, n| progress(1, x, n),
        );
        restart(&home, &cmdline, passphrase)?;
        runs.push(timed?);
    }
    let (raw_prove_ms, raw_verify_ms) = raw_score_proof()?;
    Ok(QuestionReport {
        runs,
        raw_prove_ms,
        raw_verify_ms,
    })
}

/// A `score ≥ t` proof straight from the library: prove and verify, ms.
fn raw_score_proof() -> Result<(f64, f64)> {
    use credence_crypto::proof::{
        commit, prove_predicate, verify_predicate, PredicateInputs, PredicateOpenings, ProofContext,
    };
    let mut rng = rand::rngs::OsRng;
    let (c, o) = commit(700, &mut rng);
    let ctx = ProofContext {
        query_id: [1; 32],
        subject: [2; 32],
        responder: [3; 32],
    };
    let pred = Predicate::ScoreAtLeast { min: 650 };
    let inputs = PredicateInputs {
        primary: vec![c],
        secondary: vec![],
    };
    let openings = PredicateOpenings {
        primary: vec![o],
        secondary: vec![],
    };
    let n = 20;
    let t = Instant::now();
    let mut proof = None;
    for _ in 0..n {
        proof = Some(prove_predicate(&ctx, &pred, &inputs, &openings)?);
    }
    let prove = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    let proof = proof.expect("proved");
    let t = Instant::now();
    for _ in 0..n {
        verify_predicate(&ctx, &pred, &inputs, &proof)?;
    }
    Ok((prove, t.elapsed().as_secs_f64() * 1e3 / n as f64))
}
