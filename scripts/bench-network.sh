#!/usr/bin/env bash
# Four member processes on 127.0.0.1 (release build): sustained ingest, query
# round trips, node memory, and a killed member's catch-up. Figures go to
# BENCHMARKS.md. Every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
# BIN=path/to/credence to measure a build you already have.
if [ -z "${BIN:-}" ]; then cargo build --release --locked -p credence-cli; fi
bin=${BIN:-./target/release/credence}
export CREDENCE_PASSPHRASE=${CREDENCE_PASSPHRASE:-credence-demo}
out=$(mktemp -d)
trap 'for p in $(cat "$out/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT
$bin demo --dir "$out/c" --subjects "${SUBJECTS:-1000}" --keep-running --json > "$out/report.json" 2> "$out/demo.err"
grep -oE 'kill [0-9 ]+' "$out/demo.err" | head -1 | cut -d' ' -f2- > "$out/pids"
python3 - "$out" "$bin" <<'PY'
import json, os, subprocess, sys, time, statistics, sqlite3
out, bin = sys.argv[1], sys.argv[2]
r = json.load(open(f"{out}/report.json"))
t = dict(r["timings_ms"]); c = r["counts"]
print(f"furnish: {c['records']} records in {t['furnish']/1000:.1f} s = {c['records']/(t['furnish']/1000):.0f} records/s finalized (validity proof checked by all 4 members)")
print(f"answers (agency process proving, 4 members verifying): {c['answers']} in {t['answer']/1000:.1f} s")
pids = open(f"{out}/pids").read().split()
for p in pids:
    st = open(f"/proc/{p}/status").read()
    rss = [l for l in st.splitlines() if l.startswith(("VmRSS", "VmHWM"))]
    name = open(f"/proc/{p}/cmdline").read().split("\0")[3].rsplit("/", 1)[-1]
    print(f"node {name}: " + ", ".join(x.split()[0] + " " + x.split()[1] + " kB" for x in rss))
def height(m):
    db = sqlite3.connect(f"file:{out}/c/{m}/ledger.db?mode=ro", uri=True)
    return db.execute("SELECT MAX(height) FROM blocks").fetchone()[0]
# Borrowers of bank-a, but not the one whose consent the demo revoked.
subjects = [q["subject"] for q in r["queries"] if q["requester"] == "bank-a" and q["subject"] != r["revocation"]["subject"]][:40]
def query(s):
    res = subprocess.run([bin, "query", "--home", f"{out}/c/bank-a", "--subject", s, "--predicate", "score >= 650", "--json"], capture_output=True, text=True, timeout=120)
    v = json.loads(res.stdout)
    if "error" in v:
        raise SystemExit(f"query failed: {v['error']}")
    return v["round_trip_ms"]
# Catch-up: bank-b down while the queries run.
bpid = [p for p in pids if "bank-b" in open(f"/proc/{p}/cmdline").read()][0]
os.kill(int(bpid), 9); time.sleep(0.5)
start_h = height("bank-b")
rtt = [query(s) for s in subjects]
rtt.sort()
print(f"query round trip (ask -> answer -> verified by the asker), n={len(rtt)}: p50 {statistics.median(rtt):.0f} ms, p99 {rtt[min(len(rtt)-1, int(0.99*len(rtt)))]:.0f} ms, min {rtt[0]} ms, max {rtt[-1]} ms")
target = height("regulator")
t0 = time.time()
log = open(f"{out}/c/bank-b/node.log", "a")
p = subprocess.Popen([bin, "node", "run", "--home", f"{out}/c/bank-b", "--genesis", f"{out}/c/genesis.json"], stdout=log, stderr=log)
open(f"{out}/pids", "a").write(f" {p.pid}")
while height("bank-b") < target and time.time() - t0 < 120:
    time.sleep(0.05)
dt = time.time() - t0
db = sqlite3.connect(f"file:{out}/c/bank-b/ledger.db?mode=ro", uri=True)
n = db.execute("SELECT COUNT(*) FROM entries WHERE height > ?", (start_h,)).fetchone()[0]
print(f"catch-up: bank-b restarted {target - start_h} blocks ({n} entries) behind, level again in {dt:.1f} s (process start included) = {n/dt:.0f} entries/s")
PY
