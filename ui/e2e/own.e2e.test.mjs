// End-to-end, a borrower on their own key: the real app in a real window,
// started with no demo, against a consortium of member processes. The
// identity is created in the app, enrolled by the bank with the CLI, grants
// its consents in the app; the bank asks with the CLI; the app's access log
// shows the question and its answer; the borrower revokes in the app and the
// bank's next question is refused; a freeze in one click refuses it too,
// until it is lifted. The app process unlocks no keystore but
// the borrower's (its log lists every keystore it unlocks). Then a bank
// officer on her own key, registered at the bank's node, asks in a new app
// process and sees the answer and her question in the consortium's list;
// the demo folder's own analyst opens her home from people/analyst.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Builder, By, Capabilities, until } from "selenium-webdriver";
import { startRunningConsortium, stopApp, stopNodes, waitPort } from "./support.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const APP = process.env.CREDENCE_APP ?? path.join(ROOT, "target/debug/credence-desktop");
const CLI = process.env.CREDENCE_CLI ?? path.join(ROOT, "target/debug/credence");
const OUT = path.resolve(process.env.E2E_OUT ?? path.join(ROOT, "target/e2e"), "own");
const SHOTS = path.join(path.dirname(OUT), "screenshots");
const RUNNING = path.join(OUT, "consortium");
const ME = path.join(OUT, "alice");
const PROFILE = path.join(RUNNING, "profile.json");
const APP_LOG = path.join(OUT, "app.log");
const MEMBER_PASS = "credence-demo";
const MY_PASS = "alice's own passphrase";
const PORT = 4454;

let driver;
let tauriDriver;
let nodePids = [];
let party;
const timings = {};

const $ = (css) => driver.findElement(By.css(css));
const waitFor = (css, ms = 60000) => driver.wait(until.elementLocated(By.css(css)), ms, `waiting for ${css}`);
async function type(css, text) {
  const el = await $(css);
  await el.clear();
  await el.sendKeys(text);
}
async function openApp() {
  const caps = new Capabilities();
  caps.set("tauri:options", { application: APP });
  caps.setBrowserName("wry");
  driver = await new Builder().withCapabilities(caps).usingServer(`http://127.0.0.1:${PORT}/`).build();
  await waitFor('#first-screen[data-ready="1"]', 20000);
}
const unlockedKeystores = () => [...fs.readFileSync(APP_LOG, "utf8").matchAll(/keystore unlocked keystore=(\S+)/g)].map((m) => m[1]);

async function shot(name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, `${name}.png`), await driver.takeScreenshot(), "base64");
}

/** A new app process, opened on a member's staff member's own keystore;
 *  waits for `home` (a selector) and returns the ms from the click. */
async function openAsOperator(dir, pass, home) {
  await driver.quit();
  await openApp();
  await type("#own-dir", dir);
  await type("#own-profile", PROFILE);
  await type("#own-pass", pass);
  const t0 = Date.now();
  await (await $("#own-open")).click();
  const opened = await waitFor('#operator-main, [data-testid="first-out"] [data-testid="error"]');
  assert.equal(await opened.getAttribute("id"), "operator-main", `opening failed: ${await opened.getText()}`);
  await waitFor(home);
  return Date.now() - t0;
}

/** The CLI as a member's staff runs it: exit code and JSON output. */
function credence(...args) {
  const r = spawnSync(CLI, [...args, "--json"], { env: { ...process.env, CREDENCE_PASSPHRASE: MEMBER_PASS }, encoding: "utf8", timeout: 180000 });
  let out = null;
  try {
    out = JSON.parse(r.stdout);
  } catch {}
  return { code: r.status, out, stderr: r.stderr };
}

const bankAsks = (predicate) => credence("query", "--home", path.join(RUNNING, "bank-a"), "--subject", party, "--predicate", predicate);

before(async () => {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  assert.ok(fs.existsSync(APP), `build the app first: ${APP}`);
  const r = await startRunningConsortium({ cli: CLI, dir: RUNNING, subjects: 4, passphrase: MEMBER_PASS, logFile: path.join(OUT, "consortium.log") });
  nodePids = r.pids;
  // No demo folder: the app starts with nothing but its first screen.
  tauriDriver = spawn("tauri-driver", ["--port", String(PORT), "--native-port", String(PORT + 1)], {
    env: { ...process.env, CREDENCE_DEMO_DIR: path.join(OUT, "no-demo") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = fs.createWriteStream(APP_LOG);
  tauriDriver.stdout.pipe(log);
  tauriDriver.stderr.pipe(log);
  await waitPort(PORT);
  await openApp();
});

after(async () => {
  fs.writeFileSync(path.join(OUT, "timings.json"), JSON.stringify(timings, null, 2));
  if (driver) await driver.quit().catch(() => {});
  await stopApp(tauriDriver, APP);
  await stopNodes(nodePids, 5000).catch(() => {});
});

test("a new identity is created in the app, with its enrolment request as a file and a QR code", async () => {
  await type("#new-dir", ME);
  await type("#new-profile", PROFILE);
  await type("#new-lender", "bank-a");
  await type("#new-pass", MY_PASS);
  await type("#new-pass2", MY_PASS);
  await (await $("#new-create")).click();
  const made = await waitFor('[data-testid="identity-created"]');
  party = await made.getAttribute("data-party");
  assert.match(party, /^[0-9a-f]{64}$/);
  const file = await (await $("#new-request-file")).getText();
  assert.equal(file, path.join(ME, "enrol-request-bank-a.json"));
  assert.ok(fs.existsSync(file));
  assert.equal((await driver.findElements(By.css(".qr svg rect"))).length > 10, true, "the QR code is drawn");
  await shot("own-identity-created");

  // The bank enrols the request with its own tools.
  const e = credence("enrol", "--home", path.join(RUNNING, "bank-a"), "--request", file);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(e.out.party, party);
});

test("the borrower opens their identity and grants consents in the app; the bank's question shows in the access log", async () => {
  assert.equal(await (await $("#own-dir")).getAttribute("value"), ME, "the new identity's folder is offered");
  await type("#own-via", "bank-a");
  await type("#own-pass", MY_PASS);
  const t0 = Date.now();
  await (await $("#own-open")).click();
  await waitFor('#borrower-main[data-own="1"] #grant-form');
  timings.unlock_to_borrower_home_ms = Date.now() - t0;
  assert.equal(await (await $("#own-where")).getAttribute("data-party"), party);

  async function grant(member, purpose) {
    const options = await driver.findElements(By.css("#grant-to option"));
    let found = false;
    for (const o of options) {
      if ((await o.getText()).startsWith(`${member} (`)) {
        await o.click();
        found = true;
        break;
      }
    }
    assert.ok(found, `${member} is offered in the grant form`);
    await (await $(`#grant-purpose option[value="${purpose}"]`)).click();
    await type("#grant-days", "30");
    await (await $("#grant-submit")).click();
    await waitFor(`#my-consents button[data-grantee="${member}"]`);
  }
  await grant("bank-a", "credit-application");
  await grant("agency", "account-review");

  const asked = bankAsks("total_debt < 100000");
  assert.equal(asked.code, 0, asked.stderr);
  assert.equal(asked.out.holds, true);
  assert.equal(asked.out.verified, true);

  // The toolbar may sit under the sticky header after the grants scrolled.
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' }); arguments[0].click()", await $("#own-refresh"));
  // The home re-renders when the refresh lands: read the rows' text in one go.
  const rowText = await driver.wait(async () => {
    const texts = await driver.executeScript("return [...document.querySelectorAll('#my-access tbody tr')].map((r) => r.innerText)");
    return texts.find((t) => t.includes("total_debt < 100000") && t.includes("answered: holds")) ?? null;
  }, 30000, "the access log shows the bank's question and its answer");
  assert.match(rowText, /bank-a/);
  // Proven entry by entry from two members, neither of which lied.
  assert.match(await (await $("#access-checked")).getText(), /proven in a block the members certified; asked regulator and agency/);
  assert.equal((await driver.findElements(By.css('[data-testid="lying-member"]'))).length, 0);
  await shot("own-borrower-home");
});

test("the borrower freezes her file in one click: the bank's question is refused until she lifts it", async () => {
  const click = async (css) => driver.executeScript("arguments[0].scrollIntoView({ block: 'center' }); arguments[0].click()", await $(css));
  await click('#freeze-toggle[data-frozen="0"]');
  await waitFor('[data-testid="frozen"]');
  await waitFor('#my-freeze[data-frozen="1"]');
  const refused = bankAsks("total_debt < 100000");
  assert.equal(refused.code, 2, `refused: ${JSON.stringify(refused.out)}`);
  assert.equal(refused.out.error.code, "frozen");
  await click('#freeze-toggle[data-frozen="1"]');
  await waitFor('[data-testid="unfrozen"]');
  await waitFor('#my-freeze[data-frozen="0"]');
  const asked = bankAsks("total_debt < 100000");
  assert.equal(asked.code, 0, asked.stderr);
});

test("the borrower revokes in the app and the bank's next question is refused", async () => {
  const revoke = await $('#my-consents button[data-grantee="bank-a"]');
  await revoke.click();
  await waitFor('[data-testid="revoked"]');
  const refused = bankAsks("total_debt < 100000");
  assert.equal(refused.code, 2, `refused: ${JSON.stringify(refused.out)}`);
  assert.equal(refused.out.error.code, "no-consent");
});

test("the app process unlocked no keystore but the borrower's", async () => {
  const log = fs.readFileSync(APP_LOG, "utf8");
  const unlocked = unlockedKeystores();
  assert.ok(unlocked.length >= 1, `the app logs each keystore it unlocks:\n${log}`);
  for (const k of unlocked) assert.equal(k, path.join(ME, "keystore.json"));
  assert.ok(!log.includes(MY_PASS) && !log.includes(MEMBER_PASS), "no passphrase in the log");
});

test("a bank officer on her own key asks in the app; the question names her", async () => {
  const OLGA = path.join(OUT, "olga");
  const OLGA_PASS = "olga's own passphrase";
  const as = (pass, ...args) => {
    const r = spawnSync(CLI, [...args, "--json"], { env: { ...process.env, CREDENCE_PASSPHRASE: pass }, encoding: "utf8", timeout: 120000 });
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stdout} ${r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  // The borrower consents to the bank again (CLI, her own key).
  as(MY_PASS, "consent", "grant", "--home", ME, "--profile", PROFILE, "--via", "bank-a", "--to", "bank-a", "--purpose", "credit-application", "--days", "30");
  // Olga makes her key; the bank registers it as an officer's.
  const olga = as(OLGA_PASS, "id", "new", "--home", OLGA);
  const key = path.join(OUT, "olga.pub.json");
  fs.writeFileSync(key, JSON.stringify(olga));
  const added = spawnSync(CLI, ["node", "operator", "add", "--home", path.join(RUNNING, "bank-a"), "--key", key, "--role", "officer", "--name", "olga"],
    { env: { ...process.env, CREDENCE_PASSPHRASE: MEMBER_PASS }, encoding: "utf8", timeout: 60000 });
  assert.equal(added.status, 0, added.stderr);

  // A new app process, on her key alone.
  const before = unlockedKeystores().length;
  timings.unlock_to_officer_home_ms = await openAsOperator(OLGA, OLGA_PASS, '#operator-main[data-role="officer"] #own-ask-form');
  await type("#own-subject", party);
  await (await $('#own-ask-kind option[value="total-debt-below"]')).click();
  await type("#own-ask-a", "1000");
  await (await $("#own-ask-submit")).click();
  const answer = await waitFor('[data-testid="own-answer"][data-status="answered"]', 60000);
  assert.equal(await answer.getAttribute("data-holds"), "true");
  const qid = await answer.getAttribute("data-query-id");
  const row = await waitFor(`#own-queries tr[data-query-id="${qid}"]`);
  assert.match(await row.getText(), new RegExp(`bank-a \\(operator ${olga.party.slice(0, 8)}`), "the app's list names her as the operator who asked");
  // The regulator's node holds the question with Olga's id in it.
  const seen = as(OLGA_PASS, "operator", "queries", "--home", OLGA, "--profile", PROFILE, "--member", "bank-a");
  const q = seen.queries.find((x) => x.query_id === qid);
  assert.ok(q, "the bank's node lists the question");
  assert.equal(q.operator, olga.party, "the question names the officer who asked");
  await shot("own-officer-home");
  // She furnishes the bank's accounts from a file, through the bank's node.
  const header = "borrower,account,account_type,account_status,date_opened,date_of_account_information,date_of_first_delinquency,payment_history,credit_limit,balance,amount_past_due,scheduled_payment,days_past_due\n";
  const csvRow = (date, status) => `${party},CARD-77,revolving,${status},2021-03-01,${date},,000000000000000000000000,5000.00,1250.40,0,40.00,0\n`;
  const good = header + csvRow("2026-10-31", "11") + csvRow("2026-09-30", "11");
  const badFile = path.join(OUT, "olga-bad.csv");
  const goodFile = path.join(OUT, "olga-good.csv");
  fs.writeFileSync(badFile, good + csvRow("2026-11-30", "zz"));
  fs.writeFileSync(goodFile, good);
  await type("#own-furnish-file", badFile);
  await (await $("#own-furnish-submit")).click();
  const refusedBox = await waitFor('#own-furnish-result [data-testid="error"]', 60000);
  assert.equal(await refusedBox.getAttribute("data-code"), "invalid-input");
  const refusal = await refusedBox.getText();
  assert.match(refusal, /line 4, column account_status/, "the bad row is named");
  assert.match(refusal, /nothing was submitted/);
  await type("#own-furnish-file", goodFile);
  await (await $("#own-furnish-submit")).click();
  const done = await waitFor('[data-testid="own-furnished"]', 120000);
  assert.equal(await done.getAttribute("data-submitted"), "2");
  assert.equal(await done.getAttribute("data-corrections"), "1", "the later update corrects the earlier one");
  assert.equal(await (await $("#own-furnish-progress")).getText(), "2 of 2 rows");
  await shot("own-officer-furnished");
  // Sent again: already on the ledger, nothing twice.
  await (await $("#own-furnish-submit")).click();
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="own-furnished"][data-already="2"]'))).length > 0, 120000, "the second run finds both updates on the ledger");
  assert.equal(await (await $('[data-testid="own-furnished"]')).getAttribute("data-submitted"), "0");

  const unlocked = unlockedKeystores().slice(before);
  assert.deepEqual(unlocked, [path.join(OLGA, "keystore.json")], "this app process unlocked Olga's keystore alone");
});

test("the demo's analyst opens her own keystore from people/ and reads the agency's records with her key", async () => {
  const ANALYST = path.join(RUNNING, "people", "analyst");
  assert.ok(fs.existsSync(path.join(ANALYST, "keystore.json")), "the demo folder holds the analyst's own keystore");
  const before = unlockedKeystores().length;
  timings.unlock_to_analyst_home_ms = await openAsOperator(ANALYST, MEMBER_PASS, '#operator-main[data-role="analyst"] #own-records tr[data-record-id]');
  const rows = await driver.findElements(By.css("#own-records tr[data-record-id]"));
  assert.ok(rows.length > 0, "the agency's records, opened with the analyst's key");
  assert.match(await rows[0].getText(), /balance|income/);
  // Her figures are over the records she opened: every live tradeline counted once.
  const live = await driver.findElements(By.css('#own-records tr[data-kind="tradeline"][data-status="live"]'));
  assert.ok(live.length > 0);
  assert.ok(rows.length < 50, "the list shows every record the figures are over");
  assert.equal(await (await waitFor("#own-dpd-chart")).getAttribute("data-total"), String(live.length));
  assert.match(await (await $("#own-queue")).getText(), /Queue · \d+ open/);
  await shot("own-analyst-home");
  const unlocked = unlockedKeystores().slice(before);
  assert.deepEqual(unlocked, [path.join(ANALYST, "keystore.json")], "this app process unlocked the analyst's keystore alone");

  // She rotates her key in the app: the agency's node registers the new key
  // and refuses the old one; her records open as before, now with the new key.
  await type("#rotate-pass", MEMBER_PASS);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' }); arguments[0].click()", await $("#rotate-key"));
  await waitFor('[data-testid="key-rotated"]', 60000);
  const again = await driver.findElements(By.css("#own-records tr[data-record-id]"));
  assert.equal(again.length, rows.length, "every record still opens, with her new key");
  await shot("own-analyst-rotated");
  const asAnalyst = (...args) => spawnSync(CLI, [...args, "--profile", PROFILE, "--member", "agency", "--json"], { env: { ...process.env, CREDENCE_PASSPHRASE: MEMBER_PASS }, encoding: "utf8", timeout: 120000 });
  const old = asAnalyst("operator", "records", "--home", ANALYST, "--identity", "analyst.retired-1");
  assert.equal(old.status, 2, `the retired key was refused: ${old.stdout} ${old.stderr}`);
  assert.equal(JSON.parse(old.stdout).error.code, "unauthenticated");
  const now = asAnalyst("operator", "records", "--home", ANALYST);
  assert.equal(now.status, 0, now.stderr);
  assert.equal(JSON.parse(now.stdout).records.length, rows.length);
});

test("the demo's auditor sees the questions, their alarms and the proven membership on her own key", async () => {
  const AUDITOR = path.join(RUNNING, "people", "auditor");
  const before = unlockedKeystores().length;
  timings.unlock_to_auditor_home_ms = await openAsOperator(AUDITOR, MEMBER_PASS, '#operator-main[data-role="auditor"] #own-members tr[data-member]');
  const rows = await driver.findElements(By.css("#own-members tr[data-member]"));
  const names = (await Promise.all(rows.map((r) => r.getAttribute("data-member")))).sort();
  assert.deepEqual(names, ["agency", "bank-a", "bank-b", "regulator"], "every founder, proven from f+1 members");
  for (const r of rows) assert.equal(await r.getAttribute("data-in-office"), "true");
  // The alarms panel is the auditor's: a list, or the statement that there is none.
  const alarms = await waitFor("#own-alarms");
  assert.match(await alarms.getTagName(), /^(ul|p)$/);
  const queries = await driver.findElements(By.css("#own-queries tr[data-query-id]"));
  assert.ok(queries.length > 0, "the consortium's questions, from the regulator's node");
  await shot("own-auditor-home");
  const unlocked = unlockedKeystores().slice(before);
  assert.deepEqual(unlocked, [path.join(AUDITOR, "keystore.json")], "this app process unlocked the auditor's keystore alone");
});

/** A fresh app process on Alice's own keystore, at her home. */
async function openAsAlice() {
  await driver.quit();
  await openApp();
  await type("#own-dir", ME);
  await type("#own-profile", PROFILE);
  await type("#own-via", "bank-a");
  await type("#own-pass", MY_PASS);
  await (await $("#own-open")).click();
  await waitFor('#borrower-main[data-own="1"] #my-records .record');
}

test("the borrower declares her key leaked in the app; the regulator's auditor sees none of her records left readable by it", async () => {
  await openAsAlice();
  await type("#leak-pass", MY_PASS);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' }); arguments[0].click()", await $("#leak-declare"));
  const done = await waitFor('[data-testid="leak-declared"]', 120000);
  const resealed = Number(/(\d+) record\(s\) re-sealed/.exec(await done.getText())?.[1]);
  assert.ok(resealed >= 2, `her records were re-sealed to her new key: ${await done.getText()}`);
  assert.equal(await (await $("#own-where")).getAttribute("data-party"), party, "her id stays the same");
  await waitFor('#borrower-main[data-own="1"] #my-records .record');
  await shot("own-borrower-leak-declared");

  // The regulator's auditor, on her own key, through the regulator's node.
  const row = `#reg-incidents tr[data-party="${party}"]`;
  await openAsOperator(path.join(RUNNING, "people", "auditor"), MEMBER_PASS, row);
  assert.equal(await (await $(row)).getAttribute("data-records"), String(resealed), "every record sealed to the leaked key is listed");
  assert.equal(await (await $(row)).getAttribute("data-remaining"), "0", "none is left readable only by the leaked key");
  await shot("own-auditor-incident");
});

test("the borrower rotates her key in the app and still opens her older records", async () => {
  // Olga furnished her records earlier.
  await openAsAlice();
  const before = await driver.executeScript("return [...document.querySelectorAll('#my-records .record')].map((r) => r.dataset.recordId + ' ' + r.innerText)");
  assert.ok(before.length >= 2, `her records before the rotation: ${before}`);
  assert.ok(before.every((t) => /balance/.test(t)), "each opened with her key");

  await type("#rotate-pass", MY_PASS);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' }); arguments[0].click()", await $("#rotate-key"));
  await waitFor('[data-testid="key-rotated"]', 60000);
  assert.equal(await (await $("#own-where")).getAttribute("data-party"), party, "her id stays the same");
  const after = await driver.wait(async () => {
    const t = await driver.executeScript("return [...document.querySelectorAll('#my-records .record')].map((r) => r.dataset.recordId + ' ' + r.innerText)");
    return t.length === before.length ? t : null;
  }, 30000);
  assert.deepEqual(after.sort(), before.sort(), "every older record still opens, with the key the keystore kept");
  await shot("own-borrower-rotated");

  // The retired key signs nothing for her any more; the new one does.
  const asMe = (...args) => spawnSync(CLI, [...args, "--json"], { env: { ...process.env, CREDENCE_PASSPHRASE: MY_PASS }, encoding: "utf8", timeout: 120000 });
  const old = asMe("freeze", "on", "--home", ME, "--identity", "me.retired-1", "--profile", PROFILE, "--via", "bank-a");
  assert.equal(old.status, 2, `the retired key was refused: ${old.stdout} ${old.stderr}`);
  assert.equal(JSON.parse(old.stdout).error.code, "unauthenticated");
  const mine = asMe("records", "--home", ME, "--profile", PROFILE);
  assert.equal(mine.status, 0, mine.stderr);
  const recs = JSON.parse(mine.stdout).records;
  assert.equal(recs.length, before.length);
  assert.ok(recs.every((r) => r.content), "the CLI opens them too, with the retired key");
});
