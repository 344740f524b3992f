// What the end-to-end files share: a consortium of member processes started
// with `credence demo --keep-running`, and stopping it (bounded waits).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";

/** Alive and not a zombie (an orphaned node is reaped by whoever adopted it). */
export function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** The processes running the program at `exe` (by /proc/PID/exe). */
function running(exe) {
  const real = fs.realpathSync(exe);
  return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "") === real && alive(pid);
    } catch {
      return false;
    }
  });
}

/** Stop tauri-driver and every process still running the app binary `app`.
 *  An app whose WebDriver session ended without it exiting keeps the
 *  driver's output pipes open, and with them this test process: the run
 *  would never end. */
export async function stopApp(tauriDriver, app) {
  if (tauriDriver) {
    tauriDriver.kill();
    tauriDriver.stdout?.destroy();
    tauriDriver.stderr?.destroy();
  }
  const left = running(app);
  if (left.length) await stopNodes(left, 2000).catch(() => {});
}

/** SIGTERM, a bounded wait, then SIGKILL and another bounded wait. */
export async function stopNodes(pids, ms = 20000) {
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    for (const pid of pids.filter(alive)) {
      try { process.kill(pid, signal); } catch {}
    }
    const deadline = Date.now() + ms;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!pids.some(alive)) return;
  }
  throw new Error(`member processes did not stop: ${pids.filter(alive).join(" ")}`);
}

/**
 * `credence demo --keep-running` in `dir`: returns the demo's report and the
 * pids of the four members it leaves running; its log goes to `logFile`.
 */
export async function startRunningConsortium({ cli, dir, subjects, passphrase, logFile }) {
  const child = spawn(cli, ["demo", "--dir", dir, "--subjects", String(subjects), "--no-verify", "--keep-running", "--json"], {
    env: { ...process.env, CREDENCE_PASSPHRASE: passphrase },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => { child.kill("SIGKILL"); resolve("timeout"); }, 180000);
    child.on("exit", (c) => { clearTimeout(t); resolve(c); });
  });
  fs.writeFileSync(logFile, stderr);
  // It prints how to stop the members it leaves running: "kill PID PID …".
  const m = stderr.match(/^\s*kill ([\d ]+)$/m);
  const pids = m ? m[1].trim().split(/\s+/).map(Number) : [];
  assert.notEqual(code, "timeout", "the demo finished in time");
  assert.equal(pids.length, 4, `the demo left four members running: ${stderr}`);
  assert.ok(pids.every(alive));
  return { report: JSON.parse(stdout), pids };
}

/** Wait for tauri-driver to answer on `port` (bounded). */
export async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tauri-driver did not start");
}
