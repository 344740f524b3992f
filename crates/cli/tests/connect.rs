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

    a_borrower_on_their_own_key(&dir, tmp.path());
    let alarms = the_demo_people_act_on_their_own_keys(
        &dir,
        &c.keys
            .borrower("borrower-0003")
            .unwrap()
            .party_id()
            .to_hex(),
    );
    // The auditor's alarms, from the regulator node's questions, are the
    // regulator desk's question alarms over the regulator's ledger.
    let desk: Vec<(String, String)> = desk::alarms::consortium_alarms(
        c.network.view(&regulator).unwrap(),
        credence_api::unix_now(),
        &desk::alarms::AlarmConfig::default(),
    )
    .unwrap()
    .into_iter()
    .filter(|a| matches!(a.code, "inquiry-burst" | "unanswered-queries"))
    .map(|a| (a.code.to_string(), a.title))
    .collect();
    let seen: Vec<(String, String)> = alarms["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_string(),
                a["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(seen, desk, "{alarms}");

    // Dropping the connection leaves the members running.
    drop(c);
    assert_eq!(node_pids(&dir).len(), 4);
    drop(running);
    assert!(node_pids(&dir).is_empty());
}

/// The demo folder's people (`people/`), each on their own keystore with
/// the folder's profile: bank-a's officer asks, the agency's analyst opens
/// records with her own key, the regulator's auditor sees the officer's
/// question, and borrower-0001 lists records and consents, every one proven
/// from f+1 members.
fn the_demo_people_act_on_their_own_keys(dir: &Path, subject: &str) -> serde_json::Value {
    let profile = dir.join("profile.json").display().to_string();
    let home = |who: &str| dir.join("people").join(who).display().to_string();
    let as_staff = |who: &str, member: &str, rest: &[&str]| -> serde_json::Value {
        let h = home(who);
        let mut args: Vec<&str> = rest.to_vec();
        args.extend([
            "--home",
            &h,
            "--profile",
            &profile,
            "--member",
            member,
            "--json",
        ]);
        ok(&args)
    };
    let asked = as_staff(
        "officer",
        "bank-a",
        &[
            "operator",
            "ask",
            "--subject",
            subject,
            "--predicate",
            "score >= 300",
        ],
    );
    assert_eq!(asked["holds"], true, "{asked}");
    let records = as_staff("analyst", "agency", &["operator", "records"]);
    let list = records["records"].as_array().unwrap();
    assert!(list.iter().any(|r| r["content"].is_object()), "{records}");
    let queries = as_staff("auditor", "regulator", &["operator", "queries"]);
    assert!(
        queries["queries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["query_id"] == asked["query_id"] && q["operator"].is_string()),
        "{queries}"
    );
    // The officer furnishes bank-a's accounts from a file through bank-a's
    // node: a file with a bad row sends nothing; the good file is furnished
    // once, its second update correcting the first.
    let header = furnish_header();
    let row = |date: &str, status: &str| {
        format!(
            "{subject},OFFICER-1,revolving,{status},2021-03-01,{date},,000000000000000000000000,5000.00,1250.40,0,40.00,0\n"
        )
    };
    let good = format!(
        "{header}{}{}",
        row("2026-10-31", "11"),
        row("2026-09-30", "11")
    );
    let bad_file = dir.join("officer-bad.csv");
    std::fs::write(&bad_file, format!("{good}{}", row("2026-11-30", "zz"))).unwrap();
    let good_file = dir.join("officer-good.csv");
    std::fs::write(&good_file, &good).unwrap();
    let (bad_path, good_path) = (
        bad_file.display().to_string(),
        good_file.display().to_string(),
    );
    let furnish_as = |who: &str, member: &str, csv: &str| {
        vec![
            "operator".to_string(),
            "furnish".into(),
            "--csv".into(),
            csv.into(),
            "--home".into(),
            home(who),
            "--profile".into(),
            profile.clone(),
            "--member".into(),
            member.into(),
            "--json".into(),
        ]
    };
    let args = furnish_as("officer", "bank-a", &bad_path);
    let v = refused(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "invalid-input",
    );
    let says = v["error"]["message"].as_str().unwrap();
    assert!(says.contains("line 4, column account_status"), "{says}");
    assert!(says.contains("nothing was submitted"), "{says}");
    let args = furnish_as("officer", "bank-a", &good_path);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = ok(&args);
    assert_eq!(
        (
            &first["submitted"],
            &first["corrections"],
            &first["already"]
        ),
        (&2.into(), &1.into(), &0.into()),
        "{first}"
    );
    let again = ok(&args);
    assert_eq!(
        (&again["submitted"], &again["already"]),
        (&0.into(), &2.into()),
        "{again}"
    );
    // Only a lender's officer furnishes: the agency's analyst is refused.
    let args = furnish_as("analyst", "agency", &good_path);
    refused(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "not-permitted",
    );
    // Every member serves the membership to any key, so the officer (known
    // at bank-a's node alone) proves it from f+1 members.
    let members = as_staff("officer", "bank-a", &["operator", "members"]);
    let mut names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["agency", "bank-a", "bank-b", "regulator"],
        "{members}"
    );
    assert!(members["changes"].as_array().unwrap().is_empty());
    // The auditor's alarms come from the regulator's node's questions.
    let alarms = as_staff("auditor", "regulator", &["operator", "alarms"]);
    // The officer is no analyst.
    let h = home("officer");
    refused(
        &[
            "operator",
            "records",
            "--home",
            &h,
            "--profile",
            &profile,
            "--member",
            "bank-a",
            "--json",
        ],
        "not-permitted",
    );
    let b = home("borrower-0001");
    let mine = ok(&["records", "--home", &b, "--profile", &profile, "--json"]);
    let recs = mine["records"].as_array().unwrap();
    assert!(!recs.is_empty(), "{mine}");
    assert!(recs.iter().any(|r| r["content"].is_object()), "{mine}");
    let honest = |v: &serde_json::Value| {
        v["members"].as_array().unwrap().len() == 2
            && v["members"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["honest"] == true)
    };
    assert!(honest(&mine), "{mine}");
    let consents = ok(&[
        "consent",
        "list",
        "--home",
        &b,
        "--profile",
        &profile,
        "--json",
    ]);
    assert!(
        !consents["consents"].as_array().unwrap().is_empty(),
        "{consents}"
    );
    assert!(honest(&consents), "{consents}");
    alarms
}

/// `credence ARGS…` with the demo's passphrase: its exit code and its
/// standard output as JSON (`Null` when it printed none).
fn cli(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_credence"))
        .env("CREDENCE_PASSPHRASE", PASS)
        .args(args)
        .output()
        .expect("run credence");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

/// The furnishing file's header, as docs/furnish-csv.md gives it.
fn furnish_header() -> String {
    credence_api::furnish::COLUMNS.join(",") + "\n"
}

/// `rest`, then `tail`: one argument list.
fn joined<'a>(rest: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    rest.iter().chain(tail).copied().collect()
}

/// `cli`, which must succeed.
fn ok(args: &[&str]) -> serde_json::Value {
    let (code, v) = cli(args);
    assert_eq!(code, 0, "credence {args:?} failed: {v}");
    v
}

/// `cli`, which must fail with `code`.
fn refused(args: &[&str], code: &str) -> serde_json::Value {
    let (exit, v) = cli(args);
    assert_eq!(exit, 2, "credence {args:?} did not fail: {v}");
    assert_eq!(v["error"]["code"], code, "credence {args:?}: {v}");
    v
}

/// A borrower who holds only their own key, through the consortium profile
/// and the members' client APIs (no ledger file is read): created, enrolled
/// by a lender, consents, is asked about, sees it in the access log,
/// revokes, and the next question is refused. A demo borrower disputes a
/// record the same way.
fn a_borrower_on_their_own_key(dir: &Path, tmp: &Path) {
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let profile = s(&dir.join("profile.json"));
    // The profile the demo wrote is the one `node profile` makes.
    let made = tmp.join("made-profile.json");
    let genesis = s(&dir.join("genesis.json"));
    ok(&["node", "profile", "--genesis", &genesis, "--out", &s(&made)]);
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    assert_eq!(read(&made), read(&dir.join("profile.json")));

    let alice = s(&tmp.join("alice"));
    let id = ok(&["id", "new", "--home", &alice, "--json"]);
    let party = id["party"].as_str().unwrap().to_string();
    assert_eq!(
        ok(&["id", "show", "--home", &alice, "--json"])["party"],
        party
    );
    // Through bank-a's node, whose ledger has each of alice's entries as
    // soon as it says they are final (another member's may trail a moment).
    let me = ["--home", &alice, "--profile", &profile, "--via", "bank-a"];
    let run = |rest: &[&str]| ok(&joined(rest, &me));
    let fails = |rest: &[&str], code: &str| refused(&joined(rest, &me), code);
    // Not enrolled yet: every node refuses the key, and says what to do.
    // A profile that does not match the nodes: nothing is sent to them.
    let mut lying = read(&dir.join("profile.json"));
    lying["genesis"] = serde_json::json!("ab".repeat(32));
    let lying_file = tmp.join("other-genesis.json");
    std::fs::write(&lying_file, lying.to_string()).unwrap();
    let other = s(&lying_file);
    let list_through = [
        "consent",
        "list",
        "--home",
        &alice,
        "--profile",
        &other,
        "--via",
        "bank-a",
        "--json",
    ];
    let e = refused(&list_through, "wrong-node");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("genesis"),
        "{e}"
    );
    // bank-a's address under bank-b's key: the node is not who the profile
    // says, and its TLS certificate is not the one pinned for bank-a.
    let mut swapped = read(&dir.join("profile.json"));
    let b_api = swapped["members"][3]["api"].clone();
    swapped["members"][2]["api"] = b_api;
    swapped["members"][3]["api"] = serde_json::json!("127.0.0.1:9");
    std::fs::write(&lying_file, swapped.to_string()).unwrap();
    let e = refused(&list_through, "wrong-node");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TLS certificate"),
        "{e}"
    );
    let e = fails(&["consent", "list", "--json"], "not-a-member");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("enrol-request"),
        "{e}"
    );

    let req = s(&tmp.join("alice-request.json"));
    let request = |lender: &str| {
        cli(&[
            "enrol-request",
            "--home",
            &alice,
            "--profile",
            &profile,
            "--lender",
            lender,
            "--out",
            &req,
        ])
    };
    assert_eq!(request("agency").0, 2, "only a lender enrols");
    assert_eq!(request("bank-a").0, 0);
    let bank_a = s(&dir.join("bank-a"));
    let bank_b = s(&dir.join("bank-b"));
    // The request is bank-a's: bank-b cannot use it.
    refused(
        &["enrol", "--home", &bank_b, "--request", &req, "--json"],
        "not-permitted",
    );
    let enrolled = ok(&["enrol", "--home", &bank_a, "--request", &req, "--json"]);
    assert_eq!(enrolled["party"], party);

    assert_eq!(
        run(&["records", "--json"])["records"],
        serde_json::json!([])
    );
    let consent = run(&[
        "consent",
        "grant",
        "--to",
        "bank-a",
        "--purpose",
        "credit-application",
        "--questions",
        "total-debt-below",
        "--days",
        "30",
        "--json",
    ])["consent_id"]
        .as_str()
        .unwrap()
        .to_string();
    let list = run(&["consent", "list", "--json"]);
    assert_eq!(list["consents"][0]["consent_id"], consent);
    assert_eq!(list["consents"][0]["grantee_name"], "bank-a");
    assert_eq!(list["consents"][0]["live"], true);
    // The agency that answers needs the borrower's consent too.
    let no_agency = [
        "query",
        "--home",
        &bank_a,
        "--subject",
        &party,
        "--predicate",
        "total_debt < 50",
        "--json",
    ];
    let e = refused(&no_agency, "no-consent");
    let text = e["error"]["message"].as_str().unwrap();
    assert!(text.contains("agency"), "{e}");
    assert_eq!(
        text.matches("holds no live consent").count(),
        1,
        "said once: {e}"
    );
    run(&[
        "consent",
        "grant",
        "--to",
        "agency",
        "--purpose",
        "account-review",
        "--days",
        "30",
        "--json",
    ]);

    // The bank asks (no debt at all is below any limit); the agency's node answers.
    let ask = [
        "query",
        "--home",
        &bank_a,
        "--subject",
        &party,
        "--predicate",
        "total_debt < 100",
        "--json",
    ];
    let a = ok(&ask);
    assert_eq!(
        (a["holds"].as_bool(), a["verified"].as_bool()),
        (Some(true), Some(true)),
        "{a}"
    );
    operators_act_within_their_role(dir, tmp, &profile, &party);
    entries_come_with_proofs(dir, &alice, &profile, &party);
    // A question the consent does not cover is refused.
    refused(
        &[
            "query",
            "--home",
            &bank_a,
            "--subject",
            &party,
            "--predicate",
            "score >= 300",
            "--json",
        ],
        "no-consent",
    );
    let log = run(&["access-log", "--json"]);
    let events = log["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["action"] == "query"
            && e["who"] == "bank-a"
            && e["detail"].as_str().unwrap().contains("total_debt < 100")
            && e["detail"].as_str().unwrap().contains("answered: holds")),
        "{log}"
    );

    // A security freeze: the same question is refused whatever the consents,
    // the log shows the freeze, and once lifted the bank may ask again.
    let f = run(&["freeze", "on", "--json"]);
    assert_eq!(f["frozen"], true, "{f}");
    let e = refused(&ask, "frozen");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("froze"),
        "{e}"
    );
    assert!(run(&["consent", "list", "--json"])["frozen_since"].is_u64());
    fails(&["freeze", "on", "--json"], "already-exists");
    let log = run(&["access-log", "--json"]);
    assert!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "freeze"),
        "{log}"
    );
    run(&["freeze", "off", "--json"]);
    assert!(run(&["consent", "list", "--json"])["frozen_since"].is_null());
    assert_eq!(ok(&ask)["holds"], true);

    run(&["consent", "revoke", "--consent", &consent, "--json"]);
    let list = run(&["consent", "list", "--json"]);
    let revoked = list["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["consent_id"] == consent.as_str())
        .unwrap();
    assert_eq!(revoked["live"], false, "{list}");
    assert_eq!(
        revoked["questions"],
        serde_json::json!(["total-debt-below"]),
        "{list}"
    );
    fails(
        &["consent", "revoke", "--consent", &consent, "--json"],
        "invalid-input",
    );
    // The bank's next question is refused: no live consent.
    let ask2 = [
        "query",
        "--home",
        &bank_a,
        "--subject",
        &party,
        "--predicate",
        "total_debt < 200",
        "--json",
    ];
    refused(&ask2, "no-consent");

    // bank-a furnishes alice's accounts from a file. A bad row refuses the
    // whole file; fixed, two updates of one account (the second corrects
    // the first) and another account; the same file again submits nothing.
    let csv = tmp.join("updates.csv");
    let csv_s = s(&csv);
    let header = furnish_header();
    let row = |account: &str, kind: &str, date: &str, balance: &str| {
        format!(
            "{party},{account},{kind},11,2021-03-01,{date},,{},5000.00,{balance},0,40.00,0\n",
            "0".repeat(24)
        )
    };
    std::fs::write(
        &csv,
        format!(
            "{header}{}{}",
            row("CARD-1", "revolving", "2026-09-30", "1250.40"),
            row("CARD-1", "revolving", "2026-10-31", "12.345")
        ),
    )
    .unwrap();
    let furnish = ["furnish", "--home", &bank_a, "--csv", &csv_s, "--json"];
    let e = refused(&furnish, "invalid-input");
    let text = e["error"]["message"].as_str().unwrap();
    assert!(text.contains("line 3, column balance"), "{e}");
    assert!(text.contains("nothing was submitted"), "{e}");
    assert_eq!(
        run(&["records", "--json"])["records"],
        serde_json::json!([])
    );
    std::fs::write(
        &csv,
        format!(
            "{header}{}{}{}",
            row("CARD-1", "revolving", "2026-10-31", "1410.75"),
            row("CARD-1", "revolving", "2026-09-30", "1250.40"),
            row("LOAN-2", "instalment", "2026-10-31", "8400.00")
        ),
    )
    .unwrap();
    let first = ok(&furnish);
    assert_eq!(
        (
            &first["submitted"],
            &first["corrections"],
            &first["already"]
        ),
        (
            &serde_json::json!(3),
            &serde_json::json!(1),
            &serde_json::json!(0)
        ),
        "{first}"
    );
    let again = ok(&furnish);
    assert_eq!(
        (&again["submitted"], &again["already"]),
        (&serde_json::json!(0), &serde_json::json!(3)),
        "{again}"
    );
    let recs = run(&["records", "--json"]);
    let recs = recs["records"].as_array().unwrap();
    assert_eq!(recs.len(), 3, "{recs:?}");
    let status = |balance: u64| {
        recs.iter()
            .find(|r| r["content"]["balance_cents"] == balance)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status(125_040).as_deref(), Some("superseded"));
    assert_eq!(status(141_075).as_deref(), Some("live"));
    assert_eq!(status(840_000).as_deref(), Some("live"));

    // A demo borrower's records open with their own key; one is disputed.
    let borrowers = s(&dir.join("borrowers"));
    let b3 = [
        "--home",
        borrowers.as_str(),
        "--identity",
        "borrower-0003",
        "--profile",
        &profile,
    ];
    let run3 = |rest: &[&str]| ok(&joined(rest, &b3));
    let recs = run3(&["records", "--json", "--via", "regulator"]);
    let first = &recs["records"][0];
    assert!(first["content"]["kind"].is_string(), "{recs}");
    assert_eq!(first["problem"], serde_json::Value::Null, "{recs}");
    let rid = first["record_id"].as_str().unwrap().to_string();
    run3(&[
        "dispute",
        "open",
        "--record",
        &rid,
        "--reason",
        "wrong-balance",
        "--json",
    ]);
    let after = run3(&["records", "--json"]);
    let disputed = after["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["record_id"] == rid.as_str())
        .unwrap();
    assert_eq!(disputed["compliance"], "XB", "{after}");
    let nobody = "00".repeat(32);
    let open = [
        "dispute", "open", "--record", &nobody, "--reason", "other", "--json",
    ];
    refused(&joined(&open, &b3), "not-found");
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

/// A bank officer and a regulator's auditor on their own keys, registered at
/// their members' nodes: the officer's question is asked for bank-a and the
/// auditor sees it with the officer's id; the officer may not read records;
/// a key nobody registered is refused; the officer removed is refused.
fn operators_act_within_their_role(dir: &Path, tmp: &Path, profile: &str, subject: &str) {
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let person = |name: &str| -> (String, String, String) {
        let home = s(&tmp.join(name));
        let id = ok(&["id", "new", "--home", &home, "--json"]);
        let key = tmp.join(format!("{name}.pub.json"));
        std::fs::write(&key, id.to_string()).unwrap();
        (home, s(&key), id["party"].as_str().unwrap().to_string())
    };
    let (olga, olga_key, olga_id) = person("olga");
    let (audrey, audrey_key, _) = person("audrey");
    let bank_a = s(&dir.join("bank-a"));
    let regulator = s(&dir.join("regulator"));
    let as_officer = |rest: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![];
        v.extend(rest.iter().map(|r| r.to_string()));
        v.extend(
            [
                "--home",
                &olga,
                "--profile",
                profile,
                "--member",
                "bank-a",
                "--json",
            ]
            .iter()
            .map(|r| r.to_string()),
        );
        v
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let ask = as_officer(&[
        "operator",
        "ask",
        "--subject",
        subject,
        "--predicate",
        "total_debt < 300",
    ]);
    // Not registered yet.
    let e = refused(&args(&ask), "not-a-member");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("credence node operator add"),
        "{e}"
    );
    ok(&[
        "node", "operator", "add", "--home", &bank_a, "--key", &olga_key, "--role", "officer",
        "--name", "olga",
    ]);
    ok(&[
        "node",
        "operator",
        "add",
        "--home",
        &regulator,
        "--key",
        &audrey_key,
        "--role",
        "auditor",
        "--name",
        "audrey",
    ]);
    let listed = ok(&["node", "operator", "list", "--home", &bank_a, "--json"]);
    // The demo's own officer, then olga.
    let olga_row = listed["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "olga")
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(olga_row["party"], olga_id.as_str(), "{listed}");
    assert_eq!(olga_row["role"], "officer", "{listed}");

    let a = ok(&args(&ask));
    assert_eq!(a["holds"], true, "{a}");
    let qid = a["query_id"].as_str().unwrap().to_string();
    // The regulator's auditor sees the question with the officer's id.
    let seen = ok(&[
        "operator",
        "queries",
        "--home",
        &audrey,
        "--profile",
        profile,
        "--member",
        "regulator",
        "--json",
    ]);
    let q = seen["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["query_id"] == qid.as_str())
        .unwrap_or_else(|| panic!("the auditor sees the question: {seen}"));
    assert_eq!(q["operator"], olga_id.as_str(), "{q}");
    // An officer reads no records.
    refused(
        &args(&as_officer(&["operator", "records"])),
        "not-permitted",
    );
    // Removed: refused from the next request.
    ok(&[
        "node", "operator", "remove", "--home", &bank_a, "--key", &olga_key,
    ]);
    refused(&args(&ask), "not-a-member");
}

/// The light client's check: an entry about the borrower comes with its
/// Merkle path and the certified headers, and each lie is caught: another
/// entry, a wrong place in the block, a chain without its finalization,
/// member keys other than the profile's. Another borrower's entry is not
/// served at all.
fn entries_come_with_proofs(dir: &Path, alice: &str, profile: &str, party: &str) {
    use credence_api::borrower::BorrowerSession;
    use credence_api::history::member_sets;
    use credence_api::light::check_proof;
    use credence_api::profile::Profile;
    let db = rusqlite::Connection::open_with_flags(
        dir.join("regulator").join("ledger.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let entry_of = |sql: &str| -> [u8; 32] {
        let v: Vec<u8> = db
            .query_row(sql, [hex::decode(party).unwrap()], |r| r.get(0))
            .unwrap();
        v.try_into().unwrap()
    };
    let mine = entry_of(
        "SELECT entry_id FROM entries WHERE subject = ?1 AND kind = 'consent-granted' LIMIT 1",
    );
    let theirs = entry_of(
        "SELECT entry_id FROM entries WHERE subject IS NOT NULL AND subject != ?1 LIMIT 1",
    );
    let me = credence_api::home::Home::new(alice)
        .unlock(&credence_api::Secret::new(PASS.to_string()))
        .unwrap()
        .identity;
    let p = Profile::read(Path::new(profile)).unwrap();
    let s = BorrowerSession::open(me.clone(), p.clone(), Some("bank-a")).unwrap();
    let proven = s.proven(&mine).unwrap();
    assert_eq!(proven.entry.entry.kind(), "consent-granted");

    let node = p.connect("bank-a", &me).unwrap();
    let path = format!("/v1/proof?entry={}", hex::encode(mine));
    let good = node.get(&path).unwrap();
    let sets = member_sets(&me, &p).unwrap();
    assert_eq!(sets.keys_at(proven.height).len(), p.members.len());
    check_proof(&sets, &mine, &good).unwrap();
    // The batch endpoint proves the same, and names what it cannot.
    let batch = node
        .post(
            "/v1/proofs",
            &serde_json::json!({"entries": [hex::encode(mine), hex::encode(theirs)]}),
        )
        .unwrap();
    check_proof(&sets, &mine, &batch["proofs"][0]).unwrap();
    assert_eq!(batch["proofs"][1]["error"]["code"], "not-found", "{batch}");
    let e = check_proof(&sets, &theirs, &batch["proofs"][1]).unwrap_err();
    assert_eq!(e.code.as_str(), "proof-failed", "{e}");
    for (body, says) in [
        (serde_json::json!({"entries": []}), "1 to 256"),
        (
            serde_json::json!({"entries": vec![hex::encode(mine); 257]}),
            "1 to 256",
        ),
        (serde_json::json!({"entries": ["zz"]}), "entries[0]"),
        (serde_json::json!({"ids": [hex::encode(mine)]}), "entries"),
    ] {
        let e = node.post("/v1/proofs", &body).unwrap_err().to_string();
        assert!(e.contains(says), "{says}: {e}");
    }
    let lie = |f: &dyn Fn(&mut serde_json::Value), says: &str| {
        let mut v = good.clone();
        f(&mut v);
        let e = check_proof(&sets, &mine, &v).unwrap_err();
        assert_eq!(e.code.as_str(), "proof-failed", "{e}");
        assert!(e.message.contains(says), "{says}: {e}");
    };
    lie(
        &|v| {
            let mut b = hex::decode(v["entry"].as_str().unwrap()).unwrap();
            let last = b.len() - 1;
            b[last] ^= 1;
            v["entry"] = hex::encode(b).into();
        },
        "",
    );
    lie(
        &|v| {
            let size = v["size"].as_u64().unwrap();
            let i = v["index"].as_u64().unwrap();
            v["index"] = ((i + 1) % size.max(2)).into();
            v["size"] = size.max(2).into();
        },
        "Merkle",
    );
    lie(
        &|v| {
            let chain = v["chain"].as_array_mut().unwrap();
            if chain.len() > 1 {
                chain.pop();
            } else {
                chain.clear();
            }
        },
        "",
    );
    // Member keys other than the genesis's certify nothing: a profile
    // naming another key finds no genesis that founds it.
    let mut stranger = p.clone();
    let other = credence_crypto::Identity::generate(&mut rand::rngs::OsRng);
    stranger.members[3].sign_key = hex::encode(other.public().sign);
    let e = member_sets(&me, &stranger).unwrap_err();
    assert_eq!(e.code.as_str(), "proof-failed", "{e}");
    // Two of four keys not the members': at most two real signatures
    // remain, short of 2f+1 = 3.
    let mut forged = sets.clone();
    forged.tenures[0].key = other.public();
    forged.tenures[1].key = credence_crypto::Identity::generate(&mut rand::rngs::OsRng).public();
    let e = check_proof(&forged, &mine, &good).unwrap_err();
    assert_eq!(e.code.as_str(), "proof-failed", "{e}");
    // Another borrower's entry is not served to this one.
    let e = s.proven(&theirs).unwrap_err();
    assert_eq!(e.code.as_str(), "not-found", "{e}");
}
