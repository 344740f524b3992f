//! The `credence` binary end to end: the demo's report, what reaches the disk
//! and the logs, `verify` against tampered files, bad input, proof bundles and
//! age export.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_credence"));
    c.env_remove("CREDENCE_PASSPHRASE");
    c
}

/// `credence` with the demo's passphrase in the environment.
fn keyed() -> Command {
    let mut c = bin();
    c.env("CREDENCE_PASSPHRASE", "credence-demo");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run credence")
}

struct Demo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    report: serde_json::Value,
    logs: String,
}

const SUBJECTS: usize = 36;

/// One small demo shared by the tests that only read it, run with debug logs.
fn demo() -> &'static Demo {
    static D: OnceLock<Demo> = OnceLock::new();
    D.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("consortium");
        let out = run(bin()
            .args([
                "demo",
                "--dir",
                dir.to_str().unwrap(),
                "--subjects",
                &SUBJECTS.to_string(),
                "--json",
            ])
            .env("RUST_LOG", "trace"));
        assert!(
            out.status.success(),
            "demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the demo prints JSON");
        Demo {
            _tmp: tmp,
            dir,
            report,
            logs: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
}

#[test]
fn demo_report_lists_members_counts_and_verified_answers() {
    let r = &demo().report;
    let members = r["members"].as_array().unwrap();
    let roles: Vec<&str> = members
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["regulator", "agency", "lender", "lender"]);
    for m in members {
        assert!(Path::new(m["database"].as_str().unwrap()).exists());
        assert!(Path::new(m["keystore"].as_str().unwrap()).exists());
        assert_eq!(m["file_verified"], true);
        assert_eq!(m["head_hash"], members[0]["head_hash"]);
    }
    assert_eq!(r["all_heads_equal"], true);
    let c = &r["counts"];
    assert_eq!(c["subjects"], SUBJECTS);
    assert_eq!(c["queries"], SUBJECTS);
    assert_eq!(c["answers"], SUBJECTS);
    assert_eq!(c["scores"], SUBJECTS);
    assert!(c["records"].as_u64().unwrap() >= 2 * SUBJECTS as u64);
    let qs = r["queries"].as_array().unwrap();
    assert_eq!(qs.len(), SUBJECTS);
    assert!(qs.iter().all(|q| q["verified"] == true));
    for kind in [
        "score >=",
        "score in",
        "balance <=",
        "total_debt <",
        "dti <",
        "no_serious_delinquency",
    ] {
        assert!(
            qs.iter()
                .any(|q| q["predicate"].as_str().unwrap().starts_with(kind)),
            "no {kind} query"
        );
    }
    // Both answers occur: the proofs are not one-sided.
    assert!(qs.iter().any(|q| q["answer"] == true) && qs.iter().any(|q| q["answer"] == false));
    assert_eq!(r["revocation"]["refused_by_client"], true);
    assert_eq!(r["revocation"]["refused_by_ledger"], true);
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_categorical_string_or_raw_amount_reaches_disk_or_logs() {
    let d = demo();
    let csv = include_str!("../../../assets/germancredit.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let numeric = [
        "duration_in_month",
        "credit_amount",
        "installment_rate_in_percentage_of_disposable_income",
        "present_residence_since",
        "age_in_years",
        "number_of_existing_credits_at_this_bank",
        "number_of_people_being_liable_to_provide_maintenance_for",
    ];
    let mut strings = std::collections::BTreeSet::new();
    let mut amounts = std::collections::BTreeSet::new();
    for line in lines.take(SUBJECTS) {
        for (h, v) in header.iter().zip(line.split(',')) {
            if *h == "credit_amount" {
                amounts.insert(v.parse::<u64>().unwrap() * 100);
            } else if !numeric.contains(h) && v.len() > 4 {
                strings.insert(v.to_string());
            }
        }
    }
    assert!(strings.contains("radio/television"));
    let files = files_under(&d.dir);
    assert!(files.iter().any(|f| f.ends_with("ledger.db")));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for s in &strings {
            assert!(
                !contains(&bytes, s.as_bytes()),
                "{s:?} in clear in {}",
                f.display()
            );
        }
        for a in &amounts {
            for enc in [a.to_le_bytes(), a.to_be_bytes()] {
                assert!(
                    !contains(&bytes, &enc),
                    "amount {a} in clear in {}",
                    f.display()
                );
            }
            assert!(
                !contains(&bytes, format!("\"{a}\"").as_bytes())
                    && !contains(&bytes, format!(":{a},").as_bytes())
            );
        }
    }
    assert!(d.logs.len() > 100, "trace logs were captured");
    for s in &strings {
        assert!(!d.logs.contains(s.as_str()), "{s:?} in the logs");
    }
    // Whole numbers in the logs (maximal digit runs): none is a borrower's
    // amount. Short amounts (under 1,000.00) are skipped: ports and byte
    // counts of the trace logs collide with them by chance.
    // HTTP trace lines carry byte counts (a server's `Content-Length`, a
    // client's `content-length`), not amounts; every line's timestamp
    // (`2026-11-29T16:21:02.807200Z`) has microseconds that can match an
    // amount by chance, so timestamps are left out.
    let is_timestamp = |t: &str| {
        t.contains('T') && t.contains(':') && t.contains('Z') && t.matches('-').count() >= 2
    };
    let runs: std::collections::HashMap<u64, &str> = d
        .logs
        .lines()
        .filter(|l| !l.to_ascii_lowercase().contains("content-length"))
        .flat_map(|l| {
            l.split_whitespace()
                .filter(|t| !is_timestamp(t))
                .flat_map(|t| t.split(|c: char| !c.is_ascii_digit()))
                .filter_map(|r| r.parse().ok())
                .map(|n| (n, l))
                .collect::<Vec<(u64, &str)>>()
        })
        .collect();
    for a in amounts.iter().filter(|a| **a >= 100_000) {
        assert!(
            !runs.contains_key(a),
            "amount {a} in the logs: {:?}",
            runs.get(a)
        );
    }
    assert!(!d.logs.contains("credence-demo\n") && !d.logs.to_lowercase().contains("secret-key"));
}

fn copy_db(tmp: &Path, name: &str) -> PathBuf {
    let src = demo().dir.join("bank-a").join("ledger.db");
    let dst = tmp.join(name);
    std::fs::copy(&src, &dst).unwrap();
    let wal = src.with_extension("db-wal");
    if wal.exists() {
        std::fs::copy(&wal, dst.with_extension("db-wal")).unwrap();
    }
    dst
}

fn verify(db: &Path) -> (bool, serde_json::Value) {
    let out = run(bin().args(["verify", "--db", db.to_str().unwrap(), "--json"]));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), v)
}

fn sql(db: &Path, stmt: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(stmt).unwrap();
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
}

#[test]
fn verify_passes_untouched_and_fails_on_every_kind_of_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let good = copy_db(tmp.path(), "good.db");
    let (ok, v) = verify(&good);
    assert!(ok, "{v}");
    assert!(v["blocks"].as_u64().unwrap() > 5);

    // One byte of one block's body.
    let db = copy_db(tmp.path(), "byte.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut body: Vec<u8> = c
            .query_row("SELECT body FROM blocks WHERE height = 3", [], |r| r.get(0))
            .unwrap();
        body[200] ^= 0xFF;
        c.execute("UPDATE blocks SET body = ?1 WHERE height = 3", [&body])
            .unwrap();
    }
    let (ok, v) = verify(&db);
    assert!(!ok);
    assert_eq!(v["height"], 3, "{v}");

    // The stored hash column altered: it no longer matches the body.
    let db = copy_db(tmp.path(), "rehash.db");
    sql(
        &db,
        "UPDATE blocks SET hash = X'00' || substr(hash, 2) WHERE height = 4",
    );
    assert!(!verify(&db).0);

    // A removed block.
    let db = copy_db(tmp.path(), "removed.db");
    sql(&db, "DELETE FROM blocks WHERE height = 2");
    let (ok, v) = verify(&db);
    assert!(!ok);
    assert_eq!(v["height"], 2, "{v}");

    // Two blocks swapped.
    let db = copy_db(tmp.path(), "swapped.db");
    sql(&db, "UPDATE blocks SET height = -1 WHERE height = 5; UPDATE blocks SET height = 5 WHERE height = 6; UPDATE blocks SET height = 6 WHERE height = -1;");
    let (ok, v) = verify(&db);
    assert!(!ok);
    assert_eq!(v["height"], 5, "{v}");

    // Derived state edited (an answer flipped) without touching blocks.
    let db = copy_db(tmp.path(), "state.db");
    sql(
        &db,
        "UPDATE queries SET holds = 1 - holds WHERE rowid = (SELECT MIN(rowid) FROM queries)",
    );
    let (ok, v) = verify(&db);
    assert!(!ok);
    assert!(v["error"].as_str().unwrap().contains("queries"), "{v}");

    // A raw byte of the file inside a block body, found by its content.
    let db = copy_db(tmp.path(), "raw.db");
    let needle: Vec<u8> = {
        let c = rusqlite::Connection::open(&db).unwrap();
        let body: Vec<u8> = c
            .query_row("SELECT body FROM blocks WHERE height = 1", [], |r| r.get(0))
            .unwrap();
        body[body.len() - 64..body.len() - 32].to_vec()
    };
    let mut bytes = std::fs::read(&db).unwrap();
    let pos = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .expect("block bytes are in the file");
    bytes[pos + 7] ^= 0x01;
    std::fs::write(&db, bytes).unwrap();
    let (ok, v) = verify(&db);
    assert!(!ok, "{v}");

    // Human output names the height too.
    let db = copy_db(tmp.path(), "human.db");
    sql(&db, "DELETE FROM blocks WHERE height = 4");
    let out = run(bin().args(["verify", "--db", db.to_str().unwrap()]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("block 4"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn truncated_csv_is_refused_with_its_line_and_nothing_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = include_str!("../../../assets/germancredit.csv");
    let mut text: String = csv.lines().take(6).collect::<Vec<_>>().join("\n");
    text.push_str("\n... < 0 DM,6,critical account");
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, text).unwrap();
    let dir = tmp.path().join("out");
    let out = run(bin().args([
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--csv",
        bad.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "invalid-input");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("line 7"),
        "{v}"
    );
    assert!(!dir.exists(), "a refused import creates nothing");
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let d = demo();
    let out = run(bin()
        .args([
            "my-records",
            "--home",
            d.dir.join("borrowers").to_str().unwrap(),
            "--db",
            d.dir.join("bank-a/ledger.db").to_str().unwrap(),
            "--json",
        ])
        .env("CREDENCE_PASSPHRASE", "not the passphrase"));
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "wrong-passphrase", "{v}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not the passphrase"));
}

#[test]
fn borrower_reads_own_records_and_access_log() {
    let d = demo();
    let out = run(keyed().args([
        "my-records",
        "--home",
        d.dir.join("borrowers").to_str().unwrap(),
        "--identity",
        "borrower-0003",
        "--db",
        d.dir.join("regulator/ledger.db").to_str().unwrap(),
        "--json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recs = v["records"].as_array().unwrap();
    assert!(recs.len() >= 2);
    assert!(recs
        .iter()
        .any(|r| r["content"]["kind"] == "tradeline" && r["content"]["balance_cents"].is_u64()));
    let log = v["access_log"].as_array().unwrap();
    assert!(
        log.iter()
            .any(|e| e["action"] == "query" && e["who"] == "bank-a"),
        "{log:?}"
    );
}

#[test]
fn proof_bundles_export_verify_and_reject_tampering() {
    let d = demo();
    let tmp = tempfile::tempdir().unwrap();
    let q = d.report["queries"][0]["query_id"].as_str().unwrap();
    let db = d.dir.join("regulator/ledger.db");
    let path = tmp.path().join("bundle.json");
    let out = run(bin().args([
        "export-proof",
        "--db",
        db.to_str().unwrap(),
        "--query",
        q,
        "--out",
        path.to_str().unwrap(),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(bin().args([
        "verify-proof",
        "--bundle",
        path.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let holds = b["holds"].as_bool().unwrap();
    b["holds"] = serde_json::Value::Bool(!holds);
    std::fs::write(&path, b.to_string()).unwrap();
    let out = run(bin().args(["verify-proof", "--bundle", path.to_str().unwrap(), "--json"]));
    assert!(!out.status.success());
    let out = run(bin().args([
        "export-proof",
        "--db",
        db.to_str().unwrap(),
        "--query",
        &"ab".repeat(32),
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no answer"));
}

#[test]
fn exported_record_decrypts_with_the_standard_age_tool() {
    let d = demo();
    let tmp = tempfile::tempdir().unwrap();
    let home = d.dir.join("borrowers");
    let db = d.dir.join("bank-a/ledger.db");
    let out = run(keyed().args([
        "my-records",
        "--home",
        home.to_str().unwrap(),
        "--identity",
        "borrower-0001",
        "--db",
        db.to_str().unwrap(),
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rid = v["records"][0]["record_id"].as_str().unwrap().to_string();
    let age_file = tmp.path().join("record.age");
    let id_file = tmp.path().join("me.key");
    let out = run(keyed().args([
        "export-record",
        "--home",
        home.to_str().unwrap(),
        "--identity",
        "borrower-0001",
        "--db",
        db.to_str().unwrap(),
        "--record",
        &rid,
        "--out",
        age_file.to_str().unwrap(),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&age_file)
        .unwrap()
        .starts_with(b"age-encryption.org/v1"));
    let out = run(keyed().args([
        "export-age-identity",
        "--home",
        home.to_str().unwrap(),
        "--identity",
        "borrower-0001",
        "--out",
        id_file.to_str().unwrap(),
    ]));
    assert!(out.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&id_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    match Command::new("age")
        .args([
            "-d",
            "-i",
            id_file.to_str().unwrap(),
            age_file.to_str().unwrap(),
        ])
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "age -d failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let plain: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(plain["kind"], v["records"][0]["content"]["kind"]);
        }
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: the `age` tool is not installed")
        }
        Err(e) => panic!("CI must install the `age` tool: {e}"),
    }
}

/// Finding 8: with CREDENCE_PASSPHRASE unset, commands used the demo's
/// passphrase silently. Now, without a terminal to ask on, they refuse.
#[test]
fn no_passphrase_is_refused_not_defaulted() {
    let d = demo();
    let out = run(bin().args([
        "my-records",
        "--home",
        d.dir.join("borrowers").to_str().unwrap(),
        "--db",
        d.dir.join("bank-a/ledger.db").to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "invalid-input", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("CREDENCE_PASSPHRASE"));
}

/// Finding 5: `--timeout 18446744073709551615` panicked.
#[test]
fn out_of_range_numbers_are_refused_by_name() {
    let d = demo();
    for t in ["18446744073709551615", "0", "3601", "-1", "abc"] {
        let out = run(keyed().args([
            "query",
            "--home",
            d.dir.join("bank-a").to_str().unwrap(),
            "--subject",
            &"00".repeat(32),
            "--predicate",
            "score >= 650",
            &format!("--timeout={t}"),
        ]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{t}: {err}");
        assert!(
            err.contains("--timeout") && !err.contains("panicked"),
            "{t}: {err}"
        );
    }
    // A question that can never hold is refused, not answered.
    let out = run(keyed().args([
        "query",
        "--home",
        d.dir.join("bank-a").to_str().unwrap(),
        "--subject",
        &"00".repeat(32),
        "--predicate",
        "total_debt < 0",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never hold"));
}

/// A member home copied from the demo (its keys, node.json and ledger).
fn copy_home(name: &str, to: &Path) -> PathBuf {
    let from = demo().dir.join(name);
    let home = to.join(name);
    std::fs::create_dir_all(&home).unwrap();
    for f in ["keystore.json", "node.json", "ledger.db"] {
        std::fs::copy(from.join(f), home.join(f)).unwrap();
    }
    home
}

/// `credence node run`, bounded: its exit code and what it said.
fn run_node(home: &Path, genesis: &Path) -> (Option<i32>, String) {
    let mut child = keyed()
        .args(["node", "run", "--home", home.to_str().unwrap(), "--genesis"])
        .arg(genesis)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (st.code(), err);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the node did not stop by itself");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Finding 4: another consortium's genesis panicked the consensus thread and
/// the node exited 0. Finding 9 (second half): a ledger with corrupted pages
/// was served from.
#[test]
fn a_node_refuses_a_foreign_genesis_and_a_damaged_ledger() {
    let d = demo();
    let tmp = tempfile::tempdir().unwrap();
    let home = copy_home("agency", tmp.path());
    // Another consortium, founded by a member of its own.
    let solo = tmp.path().join("solo");
    let out = run(keyed().args([
        "node",
        "init",
        "--home",
        solo.to_str().unwrap(),
        "--name",
        "solo",
        "--role",
        "agency",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other = tmp.path().join("other-genesis.json");
    let out = run(keyed().args([
        "node",
        "genesis",
        "--consortium",
        "other",
        "--member",
        solo.to_str().unwrap(),
        "--out",
        other.to_str().unwrap(),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(keyed().args([
        "node",
        "sign-genesis",
        "--home",
        solo.to_str().unwrap(),
        "--genesis",
        other.to_str().unwrap(),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, err) = run_node(&home, &other);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("another consortium") && !err.contains("panicked"),
        "{err}"
    );

    // The right genesis, but the ledger file damaged in the middle.
    let db = home.join("ledger.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 4);
    for p in [pages / 2, pages / 2 + 1] {
        for b in &mut bytes[p * 4096..p * 4096 + 64] {
            *b = 0xA5;
        }
    }
    std::fs::write(&db, &bytes).unwrap();
    let (code, err) = run_node(&home, &d.dir.join("genesis.json"));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("damaged") && err.contains("move the ledger file"),
        "{err}"
    );
}

/// Finding 9: `verify` said ok at an older height on a ledger whose WAL was
/// cut, failed with "no such table" without its WAL, and created -wal and
/// -shm files beside the file it checked.
#[test]
fn verify_names_a_torn_or_missing_wal_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // A ledger whose blocks are all still in its write-ahead log, as a
    // running node leaves it: the demo's blocks applied one transaction each
    // with checkpoints off, and the ledger never closed.
    use credence_ledger::Ledger;
    let src = Ledger::open_read_only(&demo().dir.join("bank-a/ledger.db")).unwrap();
    let db = tmp.path().join("wal.db");
    let mut l = Ledger::open(&db).unwrap();
    l.set_checkpoint_pages(0).unwrap();
    let top = src.head().unwrap().unwrap().height;
    for h in 0..=top {
        let (b, c) = src.block(h).unwrap().unwrap();
        l.apply_block(&b, &c).unwrap();
    }
    let wal = tmp.path().join("wal.db-wal");
    let wal_bytes = std::fs::read(&wal).unwrap();
    let db_bytes = std::fs::read(&db).unwrap();
    std::mem::forget(l); // no checkpoint on close: the WAL stays as written
    let files = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let check = |name: &str, wal: Option<&[u8]>| -> (Output, serde_json::Value, Vec<String>) {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ledger.db"), &db_bytes).unwrap();
        if let Some(w) = wal {
            std::fs::write(dir.join("ledger.db-wal"), w).unwrap();
        }
        let before = files(&dir);
        let out = run(bin().args([
            "verify",
            "--db",
            dir.join("ledger.db").to_str().unwrap(),
            "--json",
        ]));
        let after = files(&dir);
        assert_eq!(before, after, "{name}: verify created or removed files");
        let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out, v, after)
    };
    let (out, whole, _) = check("whole", Some(&wal_bytes));
    assert!(out.status.success(), "{whole}");
    assert_eq!(whole["wal"], "whole");
    let (out, torn, _) = check("torn", Some(&wal_bytes[..wal_bytes.len() / 2]));
    assert_eq!(out.status.code(), Some(1), "{torn}");
    assert_eq!(torn["ok"], false);
    assert_eq!(torn["wal"], "torn");
    assert!(torn["head_height"].as_u64() < whole["head_height"].as_u64());
    assert!(
        torn["wal_problem"].as_str().unwrap().contains("peers"),
        "{torn}"
    );
    let (out, missing, _) = check("missing", None);
    assert_eq!(out.status.code(), Some(1), "{missing}");
    let e = missing["error"].as_str().unwrap();
    assert!(
        e.contains("write-ahead log") && !e.contains("no such table"),
        "{e}"
    );
}

/// Finding 11: `export-record --to age1…` was promised and refused.
#[test]
fn a_record_exports_to_an_age_recipient() {
    use credence_crypto::{age_export, Identity};
    let d = demo();
    let tmp = tempfile::tempdir().unwrap();
    let reader = Identity::generate(&mut rand::rngs::OsRng);
    let recipient = age_export::age_recipient(&reader.public());
    let home = d.dir.join("borrowers");
    let db = d.dir.join("bank-a/ledger.db");
    let out = run(keyed().args([
        "my-records",
        "--home",
        home.to_str().unwrap(),
        "--identity",
        "borrower-0002",
        "--db",
        db.to_str().unwrap(),
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rid = v["records"][0]["record_id"].as_str().unwrap().to_string();
    let file = tmp.path().join("r.age");
    let args = |to: &str, out: &Path| {
        vec![
            "export-record".to_string(),
            "--home".into(),
            home.to_str().unwrap().into(),
            "--identity".into(),
            "borrower-0002".into(),
            "--db".into(),
            db.to_str().unwrap().into(),
            "--record".into(),
            rid.clone(),
            "--to".into(),
            to.into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ]
    };
    let out = run(keyed().args(args(&recipient, &file)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&recipient));
    let ident = tmp.path().join("reader.key");
    std::fs::write(
        &ident,
        format!("{}\n", age_export::age_identity(&reader).expose()),
    )
    .unwrap();
    match Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&ident)
        .arg(&file)
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let plain: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(plain["kind"], v["records"][0]["content"]["kind"]);
        }
        Err(_) if std::env::var_os("CI").is_none() => eprintln!("skipped: no `age` tool"),
        Err(e) => panic!("CI must install the `age` tool: {e}"),
    }
    // A damaged recipient is refused by name, and nothing is written.
    let mut bad = recipient.clone();
    bad.pop();
    bad.push(if recipient.ends_with('q') { 'p' } else { 'q' });
    let nothing = tmp.path().join("no.age");
    let out = run(keyed().args(args(&bad, &nothing)));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("age"));
    assert!(!nothing.exists());
}

/// The worked example of docs/proof-bundle.md verifies on its own.
#[test]
fn the_documented_example_bundle_verifies() {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/proof-bundle.json");
    let out = run(bin().args([
        "verify-proof",
        "--bundle",
        example.to_str().unwrap(),
        "--json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["predicate"], "score >= 650");
    assert_eq!(v["against_ledger"], false);
    assert!(v["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["item"] == "answered_at"));
}

/// `credence … | head`: the reader is gone before the first line. The
/// command ends as Unix tools do (141 = 128 + SIGPIPE), without a panic.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let bundle =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/proof-bundle.json");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = bin()
        .args(["verify-proof", "--bundle", bundle.to_str().unwrap()])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
