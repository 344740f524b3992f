// End-to-end: the real desktop app (target/debug/credence-desktop) in a real
// WebKitGTK window, driven over WebDriver through tauri-driver. Run under a
// display (scripts/test.sh uses xvfb-run). Every answer the window shows is
// checked against the ledger file itself (SQLite, read-only) and against the
// `credence verify-proof` command; every refusal is checked to have left the
// ledger unchanged.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Builder, By, Capabilities, until } from "selenium-webdriver";
import { startRunningConsortium as start, stopApp, stopNodes, waitPort } from "./support.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const APP = process.env.CREDENCE_APP ?? path.join(ROOT, "target/debug/credence-desktop");
const CLI = process.env.CREDENCE_CLI ?? path.join(ROOT, "target/debug/credence");
const OUT = path.resolve(process.env.E2E_OUT ?? path.join(ROOT, "target/e2e"));
const SHOTS = path.join(OUT, "screenshots");
const DEMO = path.join(OUT, "demo");
const RUNNING = path.join(OUT, "running"); // a consortium of node processes
const SUBJECTS = Number(process.env.E2E_SUBJECTS ?? 40);
const PASS = "credence-demo";
const PORT = 4444;
const BORROWER = "borrower-0003"; // index 2: banks with bank-a, consented to it

let driver;
let tauriDriver;
const timings = {};

function sql(member, query, base = DEMO) {
  const db = path.join(base, member, "ledger.db");
  const py = "import sqlite3,json,sys\nc=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)\nprint(json.dumps(c.execute(sys.argv[2]).fetchall()))";
  return JSON.parse(execFileSync("python3", ["-c", py, db, query], { encoding: "utf8" }));
}
const queryCount = () => sql("regulator", "SELECT COUNT(*) FROM queries")[0][0];
const height = () => sql("regulator", "SELECT MAX(height) FROM blocks")[0][0];

async function shot(name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, `${name}.png`), await driver.takeScreenshot(), "base64");
}

const $ = (css) => driver.findElement(By.css(css));
async function waitFor(css, ms = 30000) {
  return driver.wait(until.elementLocated(By.css(css)), ms, `waiting for ${css}`);
}
async function type(css, text) {
  const el = await $(css);
  await el.clear();
  await el.sendKeys(text);
}
async function choose(selectCss, value) {
  await (await $(`${selectCss} option[value="${value}"]`)).click();
}
async function tab(role) {
  await (await $(`#tab-${role}`)).click();
}

async function openBorrowerAsOfficer(bank, label) {
  await tab("officer");
  await waitFor("#officer-search");
  await choose("#officer-bank", bank);
  await type("#officer-search", label);
  await (await $("#officer-find")).click();
  const row = await waitFor(`#officer-results button[data-label="${label}"]`);
  await row.click();
  await waitFor("#ask-form");
}

/** Ask from the officer's form; returns the answer element or the error element. */
async function ask(kind, a) {
  await choose("#ask-kind", kind);
  if (a !== undefined) await type("#ask-a", a);
  await (await $("#ask-submit")).click();
  return waitFor('#ask-result [data-testid="answer"][data-status="answered"], #ask-result [data-testid="error"]', 30000);
}

/** The answer as the ledger holds it, and as `credence verify-proof` checks it. */
function ledgerAnswer(member, queryId, base = DEMO) {
  const rows = sql(member, `SELECT holds, answered_height IS NOT NULL FROM queries WHERE hex(query_id) = upper('${queryId}')`, base);
  assert.equal(rows.length, 1, "the query is on the ledger");
  const bundle = path.join(OUT, `${queryId.slice(0, 16)}.json`);
  const db = path.join(base, member, "ledger.db");
  execFileSync(CLI, ["export-proof", "--db", db, "--query", queryId, "--out", bundle]);
  const v = JSON.parse(execFileSync(CLI, ["verify-proof", "--bundle", bundle, "--db", db, "--json"], { encoding: "utf8" }));
  return { holds: rows[0][0] === 1, answered: rows[0][1] === 1, proofOk: v.ok === true, proofHolds: v.holds };
}

async function expectAnswerMatchesLedger(el, base = DEMO) {
  assert.equal(await el.getAttribute("data-testid"), "answer", `expected an answer, got: ${await el.getText()}`);
  assert.equal(await el.getAttribute("data-verified"), "true", "the window says verified by proof");
  const qid = await el.getAttribute("data-query-id");
  const shown = (await el.getAttribute("data-holds")) === "true";
  const l = ledgerAnswer("bank-a", qid, base);
  assert.ok(l.answered && l.proofOk, "the ledger holds a verified answer");
  assert.equal(shown, l.holds, "the answer shown is the one the ledger holds");
  assert.equal(l.proofHolds, l.holds, "the exported proof says the same");
  const text = await el.getText();
  assert.match(text, shown ? /Yes — the condition holds/ : /No — the condition does not hold/);
  return qid;
}

async function expectRefused(el, code) {
  assert.equal(await el.getAttribute("data-testid"), "error", `expected a refusal, got: ${await el.getText()}`);
  assert.equal(await el.getAttribute("data-code"), code);
  const answers = await driver.findElements(By.css('#ask-result [data-testid="answer"]'));
  assert.equal(answers.length, 0, "a refused query must not show as answered");
  assert.match(await el.getText(), /consent/i, "the message says what is missing");
}

before(async () => {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  assert.ok(fs.existsSync(APP), `build the app first: ${APP}`);
  tauriDriver = spawn("tauri-driver", ["--port", String(PORT)], {
    env: { ...process.env, CREDENCE_DEMO_DIR: DEMO, CREDENCE_DEMO_SUBJECTS: String(SUBJECTS) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = fs.createWriteStream(path.join(OUT, "app.log"));
  tauriDriver.stdout.pipe(log);
  tauriDriver.stderr.pipe(log);
  await waitPort(PORT);
});

after(async () => {
  if (driver) await driver.quit().catch(() => {});
  await stopNodes(nodePids, 5000).catch(() => {});
  await stopApp(tauriDriver, APP);
  fs.writeFileSync(path.join(OUT, "timings.json"), JSON.stringify(timings, null, 2));
});

test("the first screen is interactive in under 2 seconds", async () => {
  const caps = new Capabilities();
  caps.set("tauri:options", { application: APP });
  caps.setBrowserName("wry");
  const t0 = Date.now();
  driver = await new Builder().withCapabilities(caps).usingServer(`http://127.0.0.1:${PORT}/`).build();
  const screen = await waitFor('#first-screen[data-ready="1"]', 20000);
  timings.session_to_interactive_ms = Date.now() - t0;
  timings.process_to_interactive_ms = Number(await screen.getAttribute("data-interactive-ms"));
  await shot("first-screen");
  assert.ok(timings.process_to_interactive_ms >= 0 && timings.process_to_interactive_ms < 2000, `interactive after ${timings.process_to_interactive_ms} ms`);
});

test("start the demo consortium from the first screen", async () => {
  assert.equal(await (await $("#start-subjects")).getAttribute("value"), String(SUBJECTS));
  const t0 = Date.now();
  await (await $("#start-demo")).click();
  await waitFor("#tab-officer", 180000);
  timings.demo_start_ms = Date.now() - t0;
  assert.equal(sql("regulator", "SELECT COUNT(*) FROM subjects")[0][0], SUBJECTS);
});

test("a wrong passphrase says so and changes nothing", async () => {
  await (await $("#close-session")).click();
  await waitFor('#first-screen[data-ready="1"]');
  const ks = fs.readFileSync(path.join(DEMO, "bank-a", "keystore.json"));
  const h0 = height();
  await type("#open-dir", DEMO);
  await type("#open-pass", "not-the-passphrase");
  await (await $("#open-demo")).click();
  const err = await waitFor('[data-testid="error"]');
  assert.equal(await err.getAttribute("data-code"), "wrong-passphrase");
  assert.match(await err.getText(), /wrong passphrase.*nothing was changed/is);
  assert.equal((await driver.findElements(By.css("#tab-officer"))).length, 0, "still on the first screen");
  assert.deepEqual(fs.readFileSync(path.join(DEMO, "bank-a", "keystore.json")), ks);
  assert.equal(height(), h0);
  await type("#open-pass", PASS);
  await (await $("#open-demo")).click();
  await waitFor("#tab-officer", 30000);
});

let firstQuery;
test("a bank officer asks and sees the verified answer the ledger holds", async () => {
  await openBorrowerAsOfficer("bank-a", BORROWER);
  const consent = await $("#officer-consents tr.mine");
  assert.match(await consent.getText(), /live/);
  const el = await ask("score-at-least", "650");
  firstQuery = await expectAnswerMatchesLedger(el);
  await shot("bank-officer");
});

let revokedConsent;
test("the borrower revokes with one click and the next query is refused", async () => {
  await tab("borrower");
  await waitFor("#borrower-who");
  await choose("#borrower-who", BORROWER);
  const btn = await waitFor('#my-consents button[data-grantee="bank-a"]');
  revokedConsent = await btn.getAttribute("data-consent-id");
  await btn.click();
  await waitFor('[data-testid="revoked"]');
  const r = sql("regulator", `SELECT revoked_height IS NOT NULL FROM consents WHERE hex(consent_id) = upper('${revokedConsent}')`);
  assert.deepEqual(r, [[1]], "the ledger records the revocation");
  await shot("borrower");

  const before = queryCount();
  await openBorrowerAsOfficer("bank-a", BORROWER);
  await expectRefused(await ask("score-at-least", "650"), "no-consent");
  assert.equal(queryCount(), before, "nothing reached the ledger");
});

test("a question the consent does not cover is refused; a covered one is answered", async () => {
  await tab("borrower");
  await choose("#borrower-who", BORROWER);
  await waitFor("#grant-form");
  await choose("#grant-to", sql("regulator", "SELECT lower(hex(party)) FROM members WHERE name = 'bank-a'")[0][0]);
  await choose("#grant-purpose", "credit-application");
  await (await $('#grant-form input[data-kind="any"]')).click(); // untick "any"
  await (await $('#grant-form input[data-kind="no-serious-delinquency"]')).click();
  await (await $('#grant-form input[data-kind="utilisation-below"]')).click();
  await (await $("#grant-submit")).click();
  await waitFor('[data-testid="granted"]');

  const before = queryCount();
  await openBorrowerAsOfficer("bank-a", BORROWER);
  await expectRefused(await ask("score-at-least", "650"), "no-consent");
  assert.equal(queryCount(), before, "nothing reached the ledger");
  await expectAnswerMatchesLedger(await ask("no-serious-delinquency"));
  assert.equal(queryCount(), before + 1);
  // The seventh question, credit utilisation, through the same form.
  const qid = await expectAnswerMatchesLedger(await ask("utilisation-below", "30"));
  assert.equal(queryCount(), before + 2);
  const text = sql("regulator", `SELECT predicate_text FROM queries WHERE hex(query_id) = upper('${qid}')`);
  assert.deepEqual(text, [["utilisation < 30"]], "the ledger holds the utilisation question");
});

test("the borrower disputes a record", async () => {
  await tab("borrower");
  await choose("#borrower-who", BORROWER);
  const rec = await waitFor("#my-records .record[data-record-id]");
  const id = await rec.getAttribute("data-record-id");
  const before = sql("regulator", "SELECT COUNT(*) FROM disputes")[0][0];
  await (await rec.findElement(By.css('select option[value="wrong-balance"]'))).click();
  await (await rec.findElement(By.css("button"))).click();
  await waitFor('[data-testid="disputed"]');
  assert.equal(sql("regulator", `SELECT COUNT(*) FROM disputes WHERE hex(record_id) = upper('${id}') AND resolved_at IS NULL`)[0][0], 1);
  assert.equal(sql("regulator", "SELECT COUNT(*) FROM disputes")[0][0], before + 1);
});

test("the regulator's audit trail shows the answer and the revocation", async () => {
  await tab("regulator");
  await waitFor("#audit-form");
  await type("#audit-subject", BORROWER);
  await (await $("#audit-apply")).click();
  await waitFor(`#audit-table tr[data-kind="consent-revoked"][data-consent-id="${revokedConsent}"]`);
  await waitFor(`#audit-table tr[data-kind="query-answered"][data-query-id="${firstQuery}"]`);
  await waitFor(`#audit-table tr[data-kind="query-asked"][data-query-id="${firstQuery}"]`);
  await waitFor('#reg-alarms li[data-code="dispute-open"]');
  await waitFor('#audit-table tr[data-kind="dispute-opened"]');
  // Membership: the epoch and members as the ledger has them; the demo has no
  // proposals, so the empty state says how proposals are made.
  await waitFor("#reg-membership");
  assert.equal(Number(await (await $("#reg-epoch")).getText()), sql("regulator", "SELECT epoch FROM chain")[0][0]);
  assert.equal((await driver.findElements(By.css("#reg-members tbody tr"))).length, sql("regulator", "SELECT COUNT(*) FROM members")[0][0]);
  assert.equal(sql("regulator", "SELECT COUNT(*) FROM membership_proposals")[0][0], 0);
  const empty = await (await waitFor("#reg-proposals-empty")).getText();
  assert.ok(empty.includes("credence node propose --home DIR --admit join.json") && empty.includes("credence node vote"), empty);
  await shot("regulator");
});

test("the agency analyst sees the portfolio, plots and queue", async () => {
  await tab("analyst");
  const k = await waitFor("#analyst-kpis");
  assert.match(await k.getText(), new RegExp(`${SUBJECTS}\\s*Borrowers`));
  await waitFor("#score-chart svg rect.bar");
  await waitFor("#analyst-records table");
  await shot("agency-analyst");
});

// ---------------------------------------------------------------- a running consortium

let nodePids = [];

async function startRunningConsortium(subjects) {
  const r = await start({ cli: CLI, dir: RUNNING, subjects, passphrase: PASS, logFile: path.join(OUT, "running-demo.log") });
  nodePids = r.pids;
  return r.report;
}

/** Size, modification time and hash of every file under `dir`. */
function snapshot(dir) {
  const out = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? e.path, e.name);
    const st = fs.statSync(p);
    out[path.relative(dir, p)] = `${st.size} ${st.mtimeMs} ${crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex")}`;
  }
  return out;
}

async function openFolder(dir) {
  await type("#open-dir", dir);
  await type("#open-pass", PASS);
  await (await $("#open-demo")).click();
}

test("the app opens a running consortium; stopped, it says the node is unreachable and changes nothing", async () => {
  const t0 = Date.now();
  const report = await startRunningConsortium(6);
  timings.running_demo_ms = Date.now() - t0;
  assert.equal(report.counts.subjects, 6);

  await (await $("#close-session")).click();
  await waitFor('#first-screen[data-ready="1"]');
  assert.match(await (await $("#open-form")).getText(), /credence demo --dir FOLDER --keep-running/);
  await openFolder(RUNNING);
  await waitFor("#tab-officer", 60000);
  assert.match(await (await $("header .where")).getText(), /6 borrowers · connected to running nodes/);

  // The officer's question is answered by the agency's node, and the window
  // shows what the ledger holds.
  const heightBefore = sql("regulator", "SELECT MAX(height) FROM blocks", RUNNING)[0][0];
  await openBorrowerAsOfficer("bank-a", BORROWER);
  await expectAnswerMatchesLedger(await ask("score-at-least", "650"), RUNNING);
  assert.ok(sql("regulator", "SELECT MAX(height) FROM blocks", RUNNING)[0][0] > heightBefore);
  await shot("connected-officer");

  // The app does not answer for the node: its auto-responder is off and locked.
  await tab("analyst");
  const auto = await waitFor("#auto-respond");
  assert.equal(await auto.isSelected(), false);
  assert.equal(await auto.isEnabled(), false);
  assert.match(await (await $("#auto-respond-label")).getText(), /agency's node answers/);

  // A borrower's key leaked: she declares it on her own key with the CLI,
  // and the regulator's home lists the incident with the records still
  // readable only by the leaked key; once she re-seals them, none is left.
  const me = path.join(RUNNING, "people", "borrower-0001");
  const asBorrower = (...args) => {
    const r = spawnSync(CLI, ["key", "incident", "--home", me, "--profile", path.join(RUNNING, "profile.json"), ...args, "--json"],
      { env: { ...process.env, CREDENCE_PASSPHRASE: PASS }, encoding: "utf8", timeout: 120000 });
    assert.equal(r.status, 0, `${r.stdout} ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const declared = asBorrower("--since", String(Math.floor(Date.now() / 1000) - 3600), "--declare-only");
  assert.ok(declared.declared_at_height > 0);
  const incidentRow = async (remaining) => {
    await tab("officer");
    await tab("regulator");
    return waitFor(`#reg-incidents tr[data-party="${declared.party}"][data-remaining="${remaining}"]`, 30000);
  };
  const open = await driver.wait(async () => {
    await tab("officer");
    await tab("regulator");
    const rows = await driver.findElements(By.css(`#reg-incidents tr[data-party="${declared.party}"]`));
    return rows.length ? rows[0] : null;
  }, 30000, "the regulator's home lists the incident");
  const listed = Number(await open.getAttribute("data-records"));
  assert.ok(listed > 0, "her records sealed to the leaked key are listed");
  assert.equal(await open.getAttribute("data-remaining"), String(listed), "none re-sealed yet");
  await shot("regulator-incident-open");
  const resealed = asBorrower("--reseal");
  assert.equal(resealed.resealed, listed);
  await incidentRow(0);
  await shot("regulator-incident-closed");

  // Stop the consortium; the folder must then stay exactly as it is.
  await (await $("#close-session")).click();
  await waitFor('#first-screen[data-ready="1"]');
  await stopNodes(nodePids);
  const before = snapshot(RUNNING);

  await openFolder(RUNNING);
  const err = await waitFor('[data-testid="first-out"] [data-testid="error"]', 30000);
  assert.equal(await err.getAttribute("data-code"), "unreachable");
  const text = await err.getText();
  const regulatorApi = JSON.parse(fs.readFileSync(path.join(RUNNING, "regulator", "node.json"), "utf8")).api;
  assert.ok(text.includes(`cannot reach the regulator node at ${regulatorApi}`), text);
  assert.match(text, /is the consortium running\?/);
  assert.match(text, /credence node run --home/);
  assert.match(text, /nothing in the folder was changed/);
  assert.ok(!text.includes(PASS), "no passphrase in the message");
  await shot("unreachable");
  assert.equal((await driver.findElements(By.css("#tab-officer"))).length, 0, "still on the first screen");
  assert.ok(await (await $("#open-demo")).isEnabled(), "the person can retry");
  assert.deepEqual(snapshot(RUNNING), before, "no file in the folder changed");
});
