#!/usr/bin/env bash
# Times the whole demo (default 1,000 borrowers) in a release build and prints
# the per-stage timings and peak memory. Figures go to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p credence-cli
out=$(mktemp -d)
/usr/bin/time -v ./target/release/credence demo --dir "$out/demo" "$@" --json > "$out/report.json" 2> "$out/time.txt"
python3 - "$out/report.json" "$out/time.txt" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
c = r["counts"]
print(f"subjects {c['subjects']} records {c['records']} scores {c['scores']} queries {c['queries']} answers {c['answers']} blocks {c['blocks']}")
print(f"total {r['total_ms']/1000:.1f} s")
for k, v in r["timings_ms"]:
    print(f"  {k:<26} {v/1000:7.1f} s")
for key in ("Maximum resident set size", "Percent of CPU", "User time"):
    m = re.search(key + r"[^:]*: (.*)", t)
    print(f"{key}: {m.group(1) if m else '?'}")
PY
rm -rf "$out"
