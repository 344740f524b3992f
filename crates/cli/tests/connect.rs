//! Opening a process-mode demo folder (`credence demo`, member processes):
//! `demo::open` connects to the running nodes, reads through read-only views
//! and lets the agency's node answer; with the nodes stopped it fails with
//! `unreachable`, names the member and address, and changes no file. Every
//! wait is bounded.
use credence_api::demo;
use credence_api::desk::{self, QueryStatus};
use credence_api::ErrorCode;
use credence_crypto::proof::Predicate;
use credence_crypto::Secret;
use credence_ledger::read;
use credence_ledger::types::Role;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};

const PASS: &str = "credence-demo";
const MEMBERS: [&str; 4] = ["regulator", "agency", "bank-a", "bank-b"];

/// Each test starts four member processes; on 2 cores, one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn secret() -> Secret<String> {
    Secret::new(PASS.to_string())
}

fn demo_cmd(dir: &Path, subjects: usize, keep_running: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_credence"));
    c.env("CREDENCE_PASSPHRASE", PASS)
        .args(["demo", "--dir"])
        .arg(dir)
        .args(["--subjects", &subjects.to_string(), "--no-verify", "--json"]);
    if keep_running {
        c.arg("--keep-running");
    }
    let out = c.output().expect("run credence demo");
    // The demo exits 1 when its final report finds unequal heads, which a
    // block finalized between two reads can cause; what matters here is that
    // it ran to the end (its report) and left its folder.
    let report: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
    assert!(
        report.is_some_and(|r| r["counts"]["subjects"] == subjects),
        "demo failed: {}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        log_tails(dir)
    );
    if !out.status.success() {
        eprintln!("note: the demo exited with {}", out.status);
    }
    out
}

/// The last lines of each member's node log, for a failure message.
fn log_tails(dir: &Path) -> String {
    let mut out = String::new();
    for m in MEMBERS {
        let log = std::fs::read_to_string(dir.join(m).join("node.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        out += &format!("--- {m}/node.log (last 20 lines)\n");
        for l in &lines[lines.len().saturating_sub(20)..] {
            out += l;
            out.push('\n');
        }
    }
    out
}

/// PIDs of `credence node run` processes whose home is under `dir`.
fn node_pids(dir: &Path) -> Vec<u32> {
    let needle = format!("run\0--home\0{}/", dir.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        // A zombie (exited, not yet reaped by its new parent) has no cmdline.
        if String::from_utf8_lossy(&cmd).contains(&needle) {
            out.push(pid);
        }
    }
    out
}

/// SIGTERM every member process of `dir`, then SIGKILL what is left after
/// a bounded wait.
fn stop_nodes(dir: &Path) {
    for pid in node_pids(dir) {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while !node_pids(dir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in node_pids(dir) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !node_pids(dir).is_empty() {
        assert!(Instant::now() < deadline, "member processes did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops the consortium however the test ends.
struct Running(PathBuf);
impl Drop for Running {
    fn drop(&mut self) {
        stop_nodes(&self.0);
    }
}

/// Every file under `dir`: size, modification time and content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.insert(p, (m.len(), m.modified().unwrap(), bytes));
            }
        }
    }
    out
}

#[test]
fn a_running_consortium_is_connected_to_and_its_agency_node_answers() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("running");
    let out = demo_cmd(&dir, 6, true);
    let running = Running(dir.clone());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        node_pids(&dir).len(),
        4,
        "the demo left its members running"
    );
    assert!(demo::is_process_folder(&dir));

    let mut c = demo::open(&dir, &secret()).expect("open a running consortium");
    assert!(c.processes.is_empty(), "the app does not own the processes");
    assert!(c.node_answers);
    let regulator = c.keys.member("regulator").unwrap().party_id();
    let counts = read::counts(c.network.view(&regulator).unwrap()).unwrap();
    assert_eq!(counts.subjects, 6);
    assert_eq!(
        counts.answers,
        report["counts"]["answers"].as_u64().unwrap()
    );

    // A new question, answered by the agency's node, not by this process.
    let bank = c.keys.member("bank-a").unwrap().clone();
    let agency = c.keys.member("agency").unwrap().party_id();
    let subject = c.keys.borrower("borrower-0003").unwrap().party_id();
    let qid = desk::ask(
        c.network.as_mut(),
        &bank,
        &subject,
        Predicate::ScoreAtLeast { min: 300 },
        &agency,
        None,
    )
    .unwrap();
    let o = desk::await_answer(
        c.network.as_ref(),
        &bank.party_id(),
        &qid,
        Duration::from_secs(60),
        Duration::from_millis(100),
    )
    .unwrap();
    // Every score is at least 300.
    assert_eq!(
        o.status,
        QueryStatus::Answered {
            holds: true,
            verified: true
        }
    );
    assert_eq!(c.keys.members[1].1, Role::Agency);

    // Dropping the connection leaves the members running.
    drop(c);
    assert_eq!(node_pids(&dir).len(), 4);
    drop(running);
    assert!(node_pids(&dir).is_empty());
}

#[test]
fn a_stopped_consortium_is_unreachable_and_nothing_changes() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("stopped");
    // Without --keep-running the demo stops its members when it ends.
    demo_cmd(&dir, 2, false);
    stop_nodes(&dir);
    assert!(demo::is_process_folder(&dir));
    let before = snapshot(&dir);
    std::thread::sleep(Duration::from_millis(20)); // a changed mtime would show

    let e = match demo::open(&dir, &secret()) {
        Ok(_) => panic!("opened a consortium whose nodes are stopped"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
    assert_eq!(e.code.as_str(), "unreachable");
    let regulator =
        credence_api::member::read_info(&credence_api::home::Home::new(dir.join("regulator")))
            .unwrap();
    assert!(
        e.message
            .contains(&format!("the regulator node at {}", regulator.api)),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("is the consortium running?"),
        "{}",
        e.message
    );
    assert!(e.message.contains("credence node run"), "{}", e.message);
    assert!(!e.message.contains(PASS));

    // A wrong passphrase changes nothing either (the nodes are checked first).
    let e = demo::open(&dir, &Secret::new("wrong-passphrase".into()))
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::Unreachable);

    let after = snapshot(&dir);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file was created or removed"
    );
    for (p, b) in &before {
        assert!(after[p] == *b, "{} changed", p.display());
    }
    for m in MEMBERS {
        assert!(dir.join(m).join("ledger.db").exists());
    }
}
