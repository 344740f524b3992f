//! Member processes reaching consensus over real sockets on 127.0.0.1:
//! agreement, a crash under load, safety with two of four down, a faulty
//! member's invalid entries, and refused clients. Every wait is bounded.
use credence_api::actions;
use credence_api::home::{unlock_all, Home};
use credence_crypto::proof::Predicate;
use credence_crypto::Identity;
use credence_ledger::encode::sign_entry;
use credence_ledger::types::*;
use credence_ledger::{read, Ledger, RejectCode};
use credence_node::client::NodeClient;
use credence_node::{NodeError, Receipt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASS: &str = "credence-demo";

/// The consortium tests run one at a time: each starts four member processes
/// and proves thousands of records on a 2-core machine.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_credence"));
    c.env("CREDENCE_PASSPHRASE", PASS);
    c
}

fn secret() -> credence_crypto::Secret<String> {
    credence_crypto::Secret::new(PASS.to_string())
}

/// PIDs of `credence node run` processes for `home`.
fn pids_of(home: &Path) -> Vec<u32> {
    let needle = format!("run\0--home\0{}\0", home.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmd).contains(&needle) {
                out.push(pid);
            }
        }
    }
    out
}

fn kill(home: &Path, signal: &str) {
    for pid in pids_of(home) {
        Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .status()
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pids_of(home).is_empty() {
        assert!(
            Instant::now() < deadline,
            "member at {} did not stop",
            home.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A member process this test started: stopped and reaped when dropped.
struct Member(Child);

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path, name: &str, extra: &[&str]) -> Member {
    let home = dir.join(name);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.join("node.log"))
        .unwrap();
    bin()
        .env("RUST_LOG", "warn,credence_node::consensus=info")
        .args(["node", "run", "--home"])
        .arg(&home)
        .arg("--genesis")
        .arg(dir.join("genesis.json"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .map(Member)
        .unwrap()
}

fn height(dir: &Path, name: &str) -> u64 {
    Ledger::open_read_only(&dir.join(name).join("ledger.db"))
        .unwrap()
        .head()
        .unwrap()
        .map(|h| h.height)
        .unwrap_or(0)
}

fn head(dir: &Path, name: &str) -> (u64, [u8; 32]) {
    let h = Ledger::open_read_only(&dir.join(name).join("ledger.db"))
        .unwrap()
        .head()
        .unwrap()
        .unwrap();
    (h.height, h.hash)
}

const MEMBERS: [&str; 4] = ["regulator", "agency", "bank-a", "bank-b"];

/// Member processes under `dir`, killed when the test ends (pass or fail).
struct Consortium {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    members: &'static [&'static str],
}

impl Drop for Consortium {
    fn drop(&mut self) {
        for m in self.members {
            kill(&self.dir.join(m), "-KILL");
        }
    }
}

/// A running consortium made by `credence demo --keep-running`.
fn consortium(subjects: usize) -> (Consortium, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let out = bin()
        .args([
            "demo",
            "--dir",
            dir.to_str().unwrap(),
            "--subjects",
            &subjects.to_string(),
            "--keep-running",
            "--json",
        ])
        .output()
        .unwrap();
    let c = Consortium {
        _tmp: tmp,
        dir,
        members: &MEMBERS,
    };
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (c, report)
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A client of `name`'s node, signing as `me`.
fn client_for(dir: &Path, name: &str, me: Identity) -> NodeClient {
    let info = credence_api::member::read_info(&Home::new(dir.join(name))).unwrap();
    info.client(&me).unwrap()
}

fn identity(dir: &Path, name: &str) -> Identity {
    Home::new(dir.join(name))
        .unlock(&secret())
        .unwrap()
        .identity
}

#[test]
fn four_processes_agree_refuse_outsiders_and_faulty_entries_and_stop_without_quorum() {
    let _serial = serial();
    let (c, report) = consortium(12);
    let dir = c.dir.clone();
    // All four agree, and every file verifies from genesis with its consensus certificates.
    let heads: Vec<_> = MEMBERS.iter().map(|m| head(&dir, m)).collect();
    assert!(heads.windows(2).all(|w| w[0] == w[1]), "{heads:?}");
    assert!(report["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["file_verified"] == true));
    for m in MEMBERS {
        let out = bin()
            .args(["verify", "--db"])
            .arg(dir.join(m).join("ledger.db"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{m}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // A client that is not a member or borrower is refused.
    let outsider = client_for(
        &dir,
        "regulator",
        Identity::generate(&mut rand::rngs::OsRng),
    );
    match outsider.get("/v1/me/consents") {
        Err(NodeError::Api {
            status: 403, code, ..
        }) => assert_eq!(code, credence_api::ErrorCode::NotAMember),
        other => panic!("outsider was not refused: {other:?}"),
    }
    // A borrower may not read another borrower's queries.
    let borrowers = unlock_all(&dir.join("borrowers/keystore.json"), &secret()).unwrap();
    let (b1, b2) = (&borrowers[0].1, &borrowers[1].1);
    let as_b1 = client_for(&dir, "bank-a", b1.clone());
    assert!(as_b1
        .get(&format!("/v1/queries?subject={}", b1.party_id()))
        .is_ok());
    match as_b1.get(&format!("/v1/queries?subject={}", b2.party_id())) {
        Err(NodeError::Api { status: 403, .. }) => {}
        other => panic!("a borrower read another's queries: {other:?}"),
    }
    // A request with a bad signature is refused.
    let regulator = identity(&dir, "regulator");
    let bank_a = identity(&dir, "bank-a");
    let agency = identity(&dir, "agency");

    // A faulty member: bank-b restarted in unfiltered mode proposes whatever it is sent.
    kill(&dir.join("bank-b"), "-TERM");
    let _faulty = start(&dir, "bank-b", &["--unfiltered"]);
    let faulty = client_for(&dir, "bank-b", identity(&dir, "bank-b"));
    wait_until("the faulty member's API", 30, || faulty.status().is_ok());
    let view = Ledger::open_read_only(&dir.join("regulator/ledger.db")).unwrap();
    let s1 = b1.party_id();
    let forged_consent = sign_entry(
        Entry::ConsentGranted(Consent {
            consent_id: actions::new_id(),
            subject: b2.party_id(),
            grantee: bank_a.party_id(),
            purpose: Purpose::CreditApplication,
            predicates: AllowedPredicates::Any,
            expires_at: u64::MAX / 2,
            explicit: false,
        }),
        &[&bank_a],
    );
    let never_asked = {
        let q = read::queries(&view, &Default::default()).unwrap()[0].query_id;
        let (_, a) = read::answer(&view, &q).unwrap().unwrap();
        let mut a = a;
        a.query_id = actions::new_id();
        sign_entry(Entry::QueryAnswered(a), &[&agency])
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (_, good) = actions::furnish_income(&view, &bank_a, &s1, 123_400, "test", now).unwrap();
    let bad_record = {
        let (_, other) = actions::furnish_income(&view, &bank_a, &s1, 5, "test", now).unwrap();
        // Its own commitments with another record's validity proof.
        let (Entry::RecordFurnished(g), Entry::RecordFurnished(mut r)) =
            (good.entry.clone(), other.entry)
        else {
            panic!()
        };
        r.validity = g.validity;
        sign_entry(Entry::RecordFurnished(r), &[&bank_a])
    };
    let receipts = faulty
        .submit(
            &[forged_consent, never_asked, bad_record, good.clone(), good],
            Duration::from_secs(60),
        )
        .unwrap();
    let codes: Vec<_> = receipts
        .iter()
        .map(|r| match r {
            Some(Receipt::Rejected(rej)) => Some(rej.code),
            Some(Receipt::Final { .. }) => None,
            None => panic!("an entry stayed pending: {receipts:?}"),
        })
        .collect();
    assert_eq!(
        codes[..4],
        [
            Some(RejectCode::BadSignature),
            Some(RejectCode::UnknownQuery),
            Some(RejectCode::BadProof),
            None
        ]
    );
    // Every honest member refused exactly the same entries and agrees on the head.
    let top = MEMBERS.iter().map(|m| height(&dir, m)).max().unwrap();
    wait_until("members to settle", 30, || {
        MEMBERS.iter().all(|m| height(&dir, m) == top)
    });
    let heads: Vec<_> = MEMBERS.iter().map(|m| head(&dir, m)).collect();
    assert!(
        heads.windows(2).all(|w| w[0] == w[1]),
        "members diverged: {heads:?}"
    );
    let rej: Vec<_> = MEMBERS
        .iter()
        .map(|m| {
            Ledger::open_read_only(&dir.join(m).join("ledger.db"))
                .unwrap()
                .rejected_entries()
                .unwrap()
                .len()
        })
        .collect();
    assert!(rej.iter().all(|n| *n == rej[0] && *n >= 3), "{rej:?}");

    // Two of four down: nothing is finalized; one back: progress resumes.
    kill(&dir.join("bank-b"), "-KILL");
    kill(&dir.join("agency"), "-KILL");
    let before = height(&dir, "regulator");
    let reg = client_for(&dir, "regulator", regulator.clone());
    let view = Ledger::open_read_only(&dir.join("regulator/ledger.db")).unwrap();
    let (rid, e) = actions::furnish_income(&view, &bank_a, &s1, 200_000, "test", now).unwrap();
    let r = reg.submit(&[e], Duration::from_secs(6)).unwrap();
    assert_eq!(r, vec![None], "finalized with two of four members down");
    assert_eq!(height(&dir, "regulator"), before);
    assert_eq!(height(&dir, "bank-a"), before);
    let _agency = start(&dir, "agency", &["--auto-answer"]);
    wait_until("progress after a member returns", 90, || {
        height(&dir, "regulator") > before
    });
    // The entry that waited in the pool is final now, at every live member.
    wait_until("the waiting entry to be final", 60, || {
        ["regulator", "agency", "bank-a"].iter().all(|m| {
            let l = Ledger::open_read_only(&dir.join(m).join("ledger.db")).unwrap();
            read::records_of_subject(&l, &s1)
                .unwrap()
                .iter()
                .any(|r| r.record_id == rid)
        })
    });
    // bank-b, down all this while, comes back to a quiet consortium: no new
    // block builds on the ones it missed, yet it fetches them.
    // A few quiet seconds first, so that views have passed without a block
    // and no certificate still in flight names the last one.
    std::thread::sleep(Duration::from_secs(4));
    let target = height(&dir, "regulator");
    assert!(height(&dir, "bank-b") < target);
    let _bank_b = start(&dir, "bank-b", &[]);
    let back = Instant::now();
    wait_until("bank-b to catch up while nothing is submitted", 60, || {
        height(&dir, "bank-b") >= target
    });
    eprintln!(
        "idle catch-up: bank-b reached height {target} in {:.1} s",
        back.elapsed().as_secs_f64()
    );
    assert_eq!(head(&dir, "bank-b"), head(&dir, "regulator"));
    let _ = Predicate::NoSeriousDelinquency;
}

fn records(dir: &Path, name: &str) -> u64 {
    Ledger::open_read_only(&dir.join(name).join("ledger.db"))
        .ok()
        .and_then(|l| read::counts(&l).ok())
        .map(|c| c.records)
        .unwrap_or(0)
}

#[test]
fn a_member_killed_under_load_catches_up_and_nothing_final_is_lost() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    // 850 borrowers: over 2,000 records, each with its validity proof checked by every member.
    // Each consensus store keeps only 32 recent blocks: a member away
    // longer catches up from the others' ledgers.
    let demo = bin()
        .args([
            "demo",
            "--dir",
            dir.to_str().unwrap(),
            "--subjects",
            "850",
            "--json",
        ])
        .env("CREDENCE_KEEP_BLOCKS", "32")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let c = Consortium {
        _tmp: tmp,
        dir: dir.clone(),
        members: &MEMBERS,
    };
    wait_until("the load to start", 240, || {
        records(&dir, "regulator") >= 200
    });
    kill(&dir.join("bank-b"), "-KILL");
    let at_kill = height(&dir, "regulator");
    let down = height(&dir, "bank-b");
    // The other three go on finalizing: entries submitted now become final.
    let bank_a = identity(&dir, "bank-a");
    let s1 = unlock_all(&dir.join("borrowers/keystore.json"), &secret()).unwrap()[0]
        .1
        .party_id();
    let view = Ledger::open_read_only(&dir.join("regulator/ledger.db")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // One entry at a time (each waits to be final, so each takes a block),
    // until the others hold none of the blocks bank-b lacks in their
    // consensus stores: not in the 32 blocks kept, nor in marshal's cache of
    // the current epoch (64 blocks here).
    let reg = client_for(&dir, "regulator", identity(&dir, "regulator"));
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut extra = 0;
    while extra < 5 || height(&dir, "regulator") < down + 160 {
        assert!(
            Instant::now() < deadline,
            "the others did not move 160 blocks on: {} after {down}",
            height(&dir, "regulator")
        );
        let e = actions::furnish_income(&view, &bank_a, &s1, 100_000 + extra, "test", now)
            .unwrap()
            .1;
        let r = reg.submit(&[e], Duration::from_secs(60)).unwrap();
        assert!(matches!(r[0], Some(Receipt::Final { .. })), "{r:?}");
        extra += 1;
    }
    assert!(height(&dir, "regulator") > at_kill);
    sync_refuses_forged_runs(&dir);
    let behind = height(&dir, "regulator") - down;
    let restarted = Instant::now();
    let _b = start(&dir, "bank-b", &[]);
    wait_until("bank-b to catch up", 120, || {
        height(&dir, "bank-b") >= down + behind
    });
    let secs = restarted.elapsed().as_secs_f64();
    eprintln!("bank-b caught up {behind} blocks in {secs:.1} s after restart");
    let log = std::fs::read_to_string(dir.join("bank-b/node.log")).unwrap();
    assert!(
        log.contains("catching up from another member's ledger"),
        "bank-b caught up through marshal, not the others' ledgers"
    );
    let out = demo.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["all_heads_equal"], true);
    assert!(report["counts"]["records"].as_u64().unwrap() >= 2000 + extra);
    assert_eq!(report["counts"]["answers"], 850);
    let heads: Vec<_> = MEMBERS.iter().map(|m| head(&dir, m)).collect();
    assert!(heads.windows(2).all(|w| w[0] == w[1]), "{heads:?}");
    // Every entry the demo was told is final is at every member, bank-b included.
    let counts: Vec<_> = MEMBERS
        .iter()
        .map(|m| {
            read::counts(&Ledger::open_read_only(&dir.join(m).join("ledger.db")).unwrap()).unwrap()
        })
        .collect();
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    assert_eq!(
        counts[0].records,
        report["counts"]["records"].as_u64().unwrap()
    );
    let out = bin()
        .args(["verify", "--db"])
        .arg(dir.join("bank-b/ledger.db"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    consensus_stores_keep_only_recent_blocks(&dir);
    drop(c);
}

/// What a member catching up checks before applying blocks another member
/// sent: bank-b's ledger (stopped, behind) against the regulator's blocks.
fn sync_refuses_forged_runs(dir: &Path) {
    use credence_node::consensus::{namespace, sync::check_run};
    let mine = Ledger::open_read_only(&dir.join("bank-b/ledger.db")).unwrap();
    let theirs = Ledger::open_read_only(&dir.join("regulator/ledger.db")).unwrap();
    let head = mine.head().unwrap().unwrap().height;
    let run: Vec<_> = (head + 1..=head + 40)
        .map(|h| theirs.block(h).unwrap().unwrap())
        .collect();
    let ns = namespace("credence-demo");
    let n = check_run(&mine, &ns, [0; 32], &run).unwrap();
    assert!(n >= 1 && n <= run.len());
    let refused = |bad: &[(Block, Certificate)], why: &str| {
        let e = check_run(&mine, &ns, [0; 32], bad).unwrap_err();
        assert!(e.contains(why), "{why}: {e}");
    };
    // A block's time changed: no longer the block the members finalized.
    let mut bad = run.clone();
    bad[0].0.header.timestamp += 1;
    refused(&bad, "does not hash to its consensus digest");
    // An entry left out.
    let mut bad = run.clone();
    match bad[0].0.entries.pop() {
        Some(_) => {}
        None => {
            bad[0].0.entries = run
                .iter()
                .find(|b| !b.0.entries.is_empty())
                .unwrap()
                .0
                .entries
                .clone()
        }
    }
    refused(&bad, "entries are not those its header commits to");
    // A forged finalization.
    let mut bad = run.clone();
    let forged = bad.iter_mut().find_map(|(_, c)| match c {
        Certificate::Consensus {
            finalization: Some(f),
            ..
        } => Some(f),
        _ => None,
    });
    let f = forged.unwrap();
    let last = f.len() - 1;
    f[last] ^= 1;
    refused(&bad, "finalization");
    // A gap, and a run nobody finalized.
    refused(&run[1..], "does not follow");
    let mut bad = run[..n].to_vec();
    for (_, c) in &mut bad {
        if let Certificate::Consensus { finalization, .. } = c {
            *finalization = None;
        }
    }
    refused(&bad, "no block in the run carries a finalization");
}

/// The consensus store keeps only the last blocks (32 here, in sections of
/// 16): an early record's sealed content is in the ledger file, but no
/// longer in any file of the consensus store.
fn consensus_stores_keep_only_recent_blocks(dir: &Path) {
    let home = dir.join("regulator");
    let sections = std::fs::read_dir(home.join("consensus/marshal-finalized-blocks-values"))
        .unwrap()
        .count();
    assert!(sections <= 5, "{sections} sections of blocks kept");
    let l = Ledger::open_read_only(&home.join("ledger.db")).unwrap();
    let head = l.head().unwrap().unwrap().height;
    let (at, ct) = (1..=head)
        .find_map(|h| {
            let (b, _) = l.block(h).unwrap().unwrap();
            b.entries.into_iter().find_map(|se| match se.entry {
                Entry::RecordFurnished(r) => match r.sealed.ciphertext {
                    credence_crypto::seal::Ciphertext::Kept(ct) => Some((h, ct)),
                    _ => None,
                },
                _ => None,
            })
        })
        .unwrap();
    assert!(
        at + 64 < head,
        "the first record is at {at}, the head at {head}"
    );
    let needle = &ct[..ct.len().min(64)];
    fn holds(path: &Path, needle: &[u8]) -> bool {
        if path.is_dir() {
            return std::fs::read_dir(path)
                .unwrap()
                .flatten()
                .any(|e| holds(&e.path(), needle));
        }
        std::fs::read(path)
            .map(|b| b.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    }
    assert!(holds(&home.join("ledger.db"), needle) || holds(&home.join("ledger.db-wal"), needle));
    assert!(
        !holds(&home.join("consensus"), needle),
        "block {at}'s sealed content is still in the consensus store"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Run a `credence` command to success; its stdout parsed as JSON.
fn run_json(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "credence {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

const EPOCH: u64 = 8;
const FIVE: [&str; 5] = ["regulator", "agency", "bank-a", "bank-b", "bank-c"];

/// A member enrols a new borrower through its own node; the height it is final at.
fn enrol_via(dir: &Path, lender: &str) -> u64 {
    let me = identity(dir, lender);
    let client = client_for(dir, lender, me.clone());
    let s = Identity::generate(&mut rand::rngs::OsRng);
    match client
        .submit(&[actions::enrol(&s, &me)], Duration::from_secs(60))
        .unwrap()
        .pop()
        .flatten()
    {
        Some(Receipt::Final { height, .. }) => height,
        other => panic!("enrolment via {lender} not final: {other:?}"),
    }
}

#[test]
fn members_are_admitted_and_removed_by_two_thirds_at_epoch_boundaries() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let f = Consortium {
        _tmp: tmp,
        dir: dir.clone(),
        members: &FIVE,
    };
    let roles = ["regulator", "agency", "lender", "lender", "lender"];
    for (name, role) in FIVE.iter().zip(roles) {
        let home = dir.join(name);
        run_json(&[
            "node",
            "init",
            "--home",
            home.to_str().unwrap(),
            "--name",
            name,
            "--role",
            role,
            "--p2p",
            &format!("127.0.0.1:{}", free_port()),
            "--api",
            &format!("127.0.0.1:{}", free_port()),
        ]);
    }
    let genesis = dir.join("genesis.json");
    let mut args = vec![
        "node",
        "genesis",
        "--consortium",
        "epochs",
        "--epoch-length",
        "8",
    ];
    let homes: Vec<String> = FIVE[..4]
        .iter()
        .map(|n| dir.join(n).display().to_string())
        .collect();
    for h in &homes {
        args.extend(["--member", h.as_str()]);
    }
    args.extend(["--out", genesis.to_str().unwrap()]);
    run_json(&args);
    for h in &homes {
        run_json(&[
            "node",
            "sign-genesis",
            "--home",
            h,
            "--genesis",
            genesis.to_str().unwrap(),
        ]);
    }
    let mut children: Vec<Member> = FIVE[..4].iter().map(|n| start(&dir, n, &[])).collect();
    for n in &FIVE[..4] {
        let c = client_for(&dir, n, identity(&dir, n));
        wait_until(&format!("{n}'s client API"), 60, || c.status().is_ok());
    }
    enrol_via(&dir, "bank-a");

    // The candidate signs a join request and starts following; the founders
    // refuse its links until it is admitted.
    let join = dir.join("join.json");
    run_json(&[
        "node",
        "join-request",
        "--home",
        dir.join("bank-c").to_str().unwrap(),
        "--genesis",
        genesis.to_str().unwrap(),
        "--out",
        join.to_str().unwrap(),
    ]);
    children.push(start(&dir, "bank-c", &[]));
    let p = run_json(&[
        "node",
        "propose",
        "--home",
        &homes[0],
        "--admit",
        join.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(p["status"], "open", "{p}");
    let pid = p["proposal_id"].as_str().unwrap().to_string();
    run_json(&[
        "node",
        "vote",
        "--home",
        &homes[1],
        "--proposal",
        &pid,
        "--json",
    ]);
    let candidate_height = Ledger::open_read_only(&dir.join("bank-c").join("ledger.db"))
        .ok()
        .and_then(|l| l.head().ok().flatten())
        .map(|h| h.height)
        .unwrap_or(0);
    assert_eq!(
        candidate_height, 0,
        "a candidate must not receive blocks before its admission"
    );
    let v = run_json(&[
        "node",
        "vote",
        "--home",
        &homes[2],
        "--proposal",
        &pid,
        "--json",
    ]);
    assert_eq!(v["status"], "approved", "{v}");
    let admitted_from = v["effective_epoch"].as_u64().unwrap();

    // The chain runs to the boundary by itself; the newcomer catches up,
    // checking every block, and holds the same chain.
    let boundary = admitted_from * EPOCH;
    let approved_at = Instant::now();
    wait_until("the epoch boundary at every member", 120, || {
        FIVE.iter().all(|n| height(&dir, n) >= boundary)
    });
    let reference = head(&dir, "regulator");
    wait_until("bank-c to hold the regulator's head", 60, || {
        head(&dir, "bank-c") == head(&dir, "regulator")
    });
    assert!(head(&dir, "bank-c").0 >= reference.0);
    eprintln!(
        "admission: approved → newcomer holds the head at height {} in {:.1} s",
        reference.0,
        approved_at.elapsed().as_secs_f64()
    );

    // bank-c takes part: with the agency down, 4 of 5 are needed to finalize,
    // so nothing below is final without bank-c's votes.
    kill(&dir.join("agency"), "-KILL");
    let r = run_json(&[
        "node", "propose", "--home", &homes[0], "--remove", "bank-b", "--json",
    ]);
    let rid = r["proposal_id"].as_str().unwrap().to_string();
    run_json(&[
        "node",
        "vote",
        "--home",
        &homes[2],
        "--proposal",
        &rid,
        "--json",
    ]);
    // bank-c votes through its own node.
    let c_home = dir.join("bank-c").display().to_string();
    let v = run_json(&[
        "node",
        "vote",
        "--home",
        &c_home,
        "--proposal",
        &rid,
        "--json",
    ]);
    assert_eq!(v["status"], "open", "3 of 5 is not 2/3: {v}");
    let v = run_json(&[
        "node",
        "vote",
        "--home",
        &homes[3],
        "--proposal",
        &rid,
        "--json",
    ]);
    assert_eq!(v["status"], "approved", "{v}");
    let removed_from = v["effective_epoch"].as_u64().unwrap();
    wait_until("the removal's epoch boundary", 120, || {
        ["regulator", "bank-a", "bank-c"]
            .iter()
            .all(|n| height(&dir, n) >= removed_from * EPOCH)
    });

    // After the change bank-b is out: its links are refused, so it receives
    // nothing more, while the others (3 of 4 in force) go on finalizing.
    let stalled = height(&dir, "bank-b");
    assert!(stalled <= removed_from * EPOCH, "bank-b applied {stalled}");
    let h = enrol_via(&dir, "bank-a");
    let h2 = enrol_via(&dir, "bank-c");
    assert!(h2 > h && h > removed_from * EPOCH);
    // Showing that nothing arrives needs a window: five seconds is many
    // block times here, while a connected member applies within one.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        height(&dir, "bank-b"),
        stalled,
        "a removed member still receives blocks"
    );
    light_client_follows_the_membership(&dir, &genesis, admitted_from, removed_from);
    let me = identity(&dir, "bank-b");
    let s = Identity::generate(&mut rand::rngs::OsRng);
    let refused = client_for(&dir, "bank-a", me.clone())
        .submit(&[actions::enrol(&s, &me)], Duration::from_secs(60));
    assert!(
        refused.is_err()
            || matches!(
                refused
                    .as_ref()
                    .ok()
                    .and_then(|r| r.first().cloned().flatten()),
                Some(Receipt::Rejected(_))
            ),
        "a removed member's entry was accepted: {refused:?}"
    );

    // The agency was down across two epoch changes: it restarts, catches up
    // epoch by epoch, and holds the same chain.
    children.push(start(&dir, "agency", &["--auto-answer"]));
    let restarted = Instant::now();
    wait_until("the agency to catch up across epochs", 120, || {
        head(&dir, "agency") == head(&dir, "regulator")
    });
    eprintln!(
        "catch-up across epochs: the restarted agency reached height {} in {:.1} s",
        head(&dir, "agency").0,
        restarted.elapsed().as_secs_f64()
    );
    a_founder_rotates_its_key(&dir);
    let members = run_json(&["node", "members", "--home", &homes[0], "--json"]);
    let mut names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["agency", "bank-a", "bank-c", "regulator"]);
    for n in ["regulator", "agency", "bank-a", "bank-c", "bank-b"] {
        let db = dir.join(n).join("ledger.db");
        let out = bin()
            .args(["verify", "--db", db.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(children);
    drop(f);
}

/// bank-a rotates its key while the consortium runs: final at once, in force
/// from the next epoch, when its node restarts itself with the new key
/// (consensus and p2p included) and goes on proposing and certifying; its
/// node then refuses the old key, and a borrower's light client proves an
/// entry of the new epoch against bank-a's new key.
fn a_founder_rotates_its_key(dir: &Path) {
    use credence_api::history::history;
    use credence_api::profile::Profile;
    let old = identity(dir, "bank-a");
    let r = run_json(&[
        "key",
        "rotate",
        "--home",
        dir.join("bank-a").to_str().unwrap(),
        "--json",
    ]);
    let from = r["effective_epoch"].as_u64().unwrap();
    let new = identity(dir, "bank-a");
    assert_eq!(new.party_id(), old.party_id());
    assert_ne!(new.public(), old.public(), "the keystore holds the new key");
    wait_until("the rotation's epoch at every member", 120, || {
        ["regulator", "agency", "bank-a", "bank-c"]
            .iter()
            .all(|n| height(dir, n) >= from * EPOCH)
    });
    // Blocks bank-a proposes in the new epoch carry its party; bank-a's
    // node signs them with the new key, or no member would certify them.
    let lender = client_for(dir, "bank-a", new.clone());
    let mut enrolled = None;
    wait_until("a block bank-a proposes with its new key", 120, || {
        let s = Identity::generate(&mut rand::rngs::OsRng);
        if let Ok(mut r) = lender.submit(&[actions::enrol(&s, &new)], Duration::from_secs(20)) {
            if let Some(Some(Receipt::Final { entry_id, .. })) = r.pop() {
                enrolled.get_or_insert((s, entry_id));
            }
        }
        let l = Ledger::open_read_only(&dir.join("regulator").join("ledger.db")).unwrap();
        let top = l.head().unwrap().unwrap().height;
        (from * EPOCH..=top)
            .any(|h| l.block(h).unwrap().unwrap().0.header.proposer == new.party_id())
    });
    match client_for(dir, "bank-a", old).get("/v1/me/consents") {
        Err(NodeError::Api { code, message, .. }) => {
            assert_eq!(
                code,
                credence_ledger::ErrorCode::Unauthenticated,
                "{message}"
            );
            assert!(message.contains("retired"), "{message}");
        }
        other => panic!("the retired key was served: {other:?}"),
    }
    let (s, entry) = enrolled.expect("an enrolment in the new epoch");
    let profile = Profile::read(&dir.join("profile.json")).unwrap();
    let h = history(&s, &profile).unwrap();
    let p = h
        .entries
        .iter()
        .find(|p| p.entry_id == entry)
        .expect("the enrolment is proven");
    assert!(p.height >= from * EPOCH, "{}", p.height);
    assert!(h
        .sets
        .keys_at(p.height)
        .contains(&(new.party_id(), new.public().sign)));
    assert!(h
        .members
        .iter()
        .all(|m| m.missing.is_empty() && m.refused.is_empty()));
}

/// A borrower with a profile of the founders only proves an entry final in
/// an epoch after two membership changes: the light client replays the
/// proven changes (bank-c in, bank-b out) and checks the block against that
/// epoch's members; with the founders' keys alone the same proof fails.
fn light_client_follows_the_membership(
    dir: &Path,
    genesis: &Path,
    admitted_from: u64,
    removed_from: u64,
) {
    use credence_api::history::history;
    use credence_api::profile::Profile;
    let profile_path = dir.join("profile.json");
    run_json(&[
        "node",
        "profile",
        "--genesis",
        genesis.to_str().unwrap(),
        "--out",
        profile_path.to_str().unwrap(),
    ]);
    let profile = Profile::read(&profile_path).unwrap();
    let lender = identity(dir, "bank-a");
    let s = Identity::generate(&mut rand::rngs::OsRng);
    let enrolled = match client_for(dir, "bank-a", lender.clone())
        .submit(&[actions::enrol(&s, &lender)], Duration::from_secs(60))
        .unwrap()
        .pop()
        .flatten()
    {
        Some(Receipt::Final { entry_id, .. }) => entry_id,
        other => panic!("enrolment not final: {other:?}"),
    };
    let h = history(&s, &profile).unwrap();
    let changes: Vec<(String, bool, u64)> = h
        .sets
        .changes
        .iter()
        .map(|c| (c.name.clone(), c.admitted, c.epoch))
        .collect();
    assert_eq!(
        changes,
        [
            ("bank-c".to_string(), true, admitted_from),
            ("bank-b".to_string(), false, removed_from)
        ]
    );
    let p = h
        .entries
        .iter()
        .find(|p| p.entry_id == enrolled)
        .expect("the enrolment is proven");
    assert!(p.height >= removed_from * EPOCH, "{}", p.height);
    assert_eq!(h.sets.keys_at(p.height).len(), 4);
    assert!(h
        .members
        .iter()
        .all(|m| m.missing.is_empty() && m.refused.is_empty()));
    let mut founders = h.sets.clone();
    founders.tenures.retain(|t| t.from == 0);
    founders.tenures.iter_mut().for_each(|t| t.until = None);
    let v = profile
        .connect("bank-a", &s)
        .unwrap()
        .get(&format!("/v1/proof?entry={}", hex::encode(enrolled)))
        .unwrap();
    credence_api::light::check_proof(&h.sets, &enrolled, &v).unwrap();
    let e = credence_api::light::check_proof(&founders, &enrolled, &v).unwrap_err();
    assert_eq!(e.code.as_str(), "proof-failed", "{e}");
}

/// A borrower's light client over four member processes, one of which lies
/// in turn by hiding the questions about the borrower, by adding a forged
/// question, and by serving proofs from another chain: each time the
/// borrower's history still holds every question (each entry proven in a
/// block the members certified), never the forged one, and names the liar.
#[test]
fn a_lying_member_cannot_hide_or_forge_a_borrowers_history() {
    use credence_api::history::history;
    use credence_api::profile::Profile;
    let _one = serial();
    let (c, _) = consortium(4);
    let dir = c.dir.clone();
    let me = credence_api::home::unlock_labelled(
        &dir.join("borrowers").join("keystore.json"),
        &secret(),
        Some("borrower-0001"),
    )
    .unwrap();
    let profile = Profile::read(&dir.join("profile.json")).unwrap();
    // f = 1 of 4: two members are asked, the regulator first.
    assert_eq!(credence_api::history::quorum_to_ask(4), 2);
    assert_eq!(profile.members[0].name, "regulator");
    let questions = |h: &credence_api::history::History| -> Vec<Id> {
        h.entries
            .iter()
            .filter(|p| matches!(p.entry.entry, Entry::QueryAsked(_)))
            .map(|p| p.entry_id)
            .collect()
    };
    let honest = history(&me, &profile).unwrap();
    assert!(
        honest.members.iter().all(|m| m.honest()),
        "{:?}",
        honest.members
    );
    let asked = questions(&honest);
    assert!(!asked.is_empty(), "the demo asked about this borrower");
    let all: Vec<Id> = honest.entries.iter().map(|p| p.entry_id).collect();

    let mut liar = None;
    for (mode, caught) in [
        ("hide", "missing"),
        ("forge", "refused"),
        ("fork", "refused"),
    ] {
        drop(liar.take());
        kill(&dir.join("regulator"), "-KILL");
        liar = Some(start(&dir, "regulator", &["--auto-answer", "--lie", mode]));
        let status = client_for(&dir, "regulator", me.clone());
        wait_until("the lying regulator's API", 30, || status.status().is_ok());
        let h = history(&me, &profile).unwrap();
        let got: Vec<Id> = h.entries.iter().map(|p| p.entry_id).collect();
        assert_eq!(got, all, "{mode}: the proven history is the honest one");
        assert_eq!(
            questions(&h),
            asked,
            "{mode}: every question, and only those"
        );
        let regulator = &h.members[0];
        assert_eq!(regulator.name, "regulator");
        assert!(!regulator.honest(), "{mode}: the liar is named");
        match caught {
            "missing" => assert!(!regulator.missing.is_empty(), "{mode}: {regulator:?}"),
            _ => assert!(!regulator.refused.is_empty(), "{mode}: {regulator:?}"),
        }
        assert!(h.members[1].honest(), "{mode}: {:?}", h.members[1]);
        // The CLI says the same, naming the member.
        let out = bin()
            .env("CREDENCE_PASSPHRASE", PASS)
            .args(["access-log", "--home"])
            .arg(dir.join("borrowers"))
            .args(["--identity", "borrower-0001", "--profile"])
            .arg(dir.join("profile.json"))
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["members"][0]["honest"], false, "{mode}: {v}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("warning: regulator"),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "query"),
            "{mode}: {v}"
        );
    }
}
