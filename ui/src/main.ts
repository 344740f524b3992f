import { api, type SessionInfo } from "./api";
import { act, clear, errorBox, field, h, notice } from "./dom";
import { demoFraction, sessionMode, type UiError } from "./logic";
import { officerView } from "./views/officer";
import { analystView } from "./views/analyst";
import { regulatorView } from "./views/regulator";
import { borrowerView } from "./views/borrower";

const root = document.getElementById("app")!;

// The demo's documented default passphrase (README); a real keystore's is typed.
const DEMO_PASSPHRASE = "credence-demo";

async function firstScreen(): Promise<void> {
  const info = await api.appInfo().catch(() => null);
  const out = h("div", { class: "out", "data-testid": "first-out" });

  // Start the demo consortium.
  const sDir = h("input", { id: "start-dir", value: info?.demo_dir ?? "demo-out", autocomplete: "off", spellcheck: "false" });
  const sN = h("input", { id: "start-subjects", type: "number", min: 1, max: 1000, value: String(info?.subjects ?? 1000) });
  const sPass = h("input", { id: "start-pass", type: "password", value: DEMO_PASSPHRASE, autocomplete: "new-password" });
  const sBtn = h("button", { id: "start-demo", class: "primary", type: "submit" }, "Start demo consortium");
  const bar = h("div", { class: "progress-fill" });
  const stage = h("div", { class: "progress-text", "data-testid": "progress-text" }, "");
  const progress = h("div", { class: "progress", hidden: true, "aria-label": "demo progress" }, h("div", { class: "progress-track" }, bar), stage);
  const startForm = h(
    "form",
    { class: "card", id: "start-form" },
    h("h2", {}, "Start the demo consortium"),
    h("p", { class: "muted" }, "Four members on this machine (regulator, agency, bank-a, bank-b), the bundled German credit data as borrowers, consents, scores and proven answers."),
    field("Folder (empty or new)", sDir),
    field("Borrowers", sN, "1–1000; 40 starts in a few seconds"),
    field("Passphrase for the new keystores", sPass, "the demo's is credence-demo"),
    sBtn,
    progress,
  );
  startForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    progress.hidden = false;
    const un = await api.onProgress((p) => {
      bar.style.width = `${Math.round(demoFraction(p.stage, p.done, p.total) * 100)}%`;
      stage.textContent = `${p.stage}: ${p.done} / ${p.total}`;
    });
    const s = await act(sBtn, out, () => api.startDemo(sDir.value, Number(sN.value), sPass.value), "Starting…");
    un();
    progress.hidden = true;
    if (s) shell(s);
  });

  // Open a demo folder (unlocks its keystores).
  const oDir = h("input", { id: "open-dir", value: info?.demo_dir ?? "demo-out", autocomplete: "off", spellcheck: "false" });
  const oPass = h("input", { id: "open-pass", type: "password", autocomplete: "current-password" });
  const oBtn = h("button", { id: "open-demo", class: "primary", type: "submit" }, "Unlock and open");
  const openForm = h(
    "form",
    { class: "card", id: "open-form" },
    h("h2", {}, "Open a consortium folder"),
    h("p", { class: "muted" }, "Unlocks the members' and borrowers' keystores in a folder made by the demo: one started here, or a running consortium started with ", h("code", {}, "credence demo --dir FOLDER --keep-running"), ", whose member nodes the app then connects to."),
    field("Folder", oDir),
    field("Passphrase", oPass),
    oBtn,
  );
  openForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const s = await act(oBtn, out, () => api.openDemo(oDir.value, oPass.value), "Unlocking…");
    if (s) shell(s);
  });

  // Create or check a personal keystore.
  const kDir = h("input", { id: "ks-dir", placeholder: "e.g. /home/me/credence", autocomplete: "off" });
  const kName = h("input", { id: "ks-name", value: "me", autocomplete: "off" });
  const kPass = h("input", { id: "ks-pass", type: "password", autocomplete: "new-password" });
  const kPass2 = h("input", { id: "ks-pass2", type: "password", autocomplete: "new-password" });
  const kBtn = h("button", { id: "ks-create", type: "submit" }, "Create keystore");
  const uBtn = h("button", { id: "ks-unlock", type: "button" }, "Check an existing one");
  const ksForm = h(
    "form",
    { class: "card", id: "ks-form" },
    h("h2", {}, "Your own keystore"),
    h("p", { class: "muted" }, "A new identity, encrypted under your passphrase (Argon2id). The key never leaves the app."),
    field("Folder", kDir),
    field("Name", kName, "letters, digits, - or _"),
    field("Passphrase", kPass),
    field("Repeat passphrase", kPass2),
    h("div", { class: "row" }, kBtn, uBtn),
  );
  ksForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (kPass.value !== kPass2.value) {
      clear(out, errorBox({ code: "invalid-input", message: "the two passphrases differ" }));
      return;
    }
    const k = await act(kBtn, out, () => api.createKeystore(kDir.value, kName.value, kPass.value));
    if (k) clear(out, notice(`Created ${k.path}: identity ${k.name}, party ${k.party.slice(0, 16)}…`, "ks-created"));
  });
  uBtn.addEventListener("click", async () => {
    const k = await act(uBtn, out, () => api.unlockKeystore(kDir.value, kPass.value));
    if (k) clear(out, notice(`Unlocked ${k.path}: identity ${k.name}, party ${k.party.slice(0, 16)}…`, "ks-unlocked"));
  });

  const screen = h(
    "main",
    { id: "first-screen", class: "first" },
    h("header", { class: "brand" }, h("h1", {}, "Credence"), h("p", {}, "Credit questions answered with proofs, consent kept by the borrower.")),
    out,
    h("div", { class: "cards" }, startForm, openForm, ksForm),
    h("footer", { class: "muted" }, `version ${info?.version ?? "?"}`),
  );
  clear(root, screen);
  (info?.demo_exists ? oPass : sBtn).focus();
  const ms = await api.markInteractive().catch(() => -1);
  screen.setAttribute("data-interactive-ms", String(ms));
  screen.setAttribute("data-ready", "1");
}

type Role = "officer" | "analyst" | "regulator" | "borrower";
const ROLES: { role: Role; label: string; key: string }[] = [
  { role: "officer", label: "Bank officer", key: "1" },
  { role: "analyst", label: "Agency analyst", key: "2" },
  { role: "regulator", label: "Regulator", key: "3" },
  { role: "borrower", label: "Borrower", key: "4" },
];

function shell(s: SessionInfo, role: Role = "officer"): void {
  const body = h("section", { id: "role-body", class: "role-body" });
  const tabs = ROLES.map((r) =>
    h("button", { role: "tab", id: `tab-${r.role}`, "aria-selected": r.role === role ? "true" : "false", title: `Alt+${r.key}`, onclick: () => show(r.role) }, r.label),
  );
  const close = h("button", { id: "close-session", class: "ghost" }, "Close");
  close.addEventListener("click", async () => {
    await api.closeSession().catch(() => undefined);
    document.removeEventListener("keydown", keys);
    firstScreen();
  });
  const header = h(
    "header",
    { class: "top" },
    h("div", { class: "brand-small" }, "Credence"),
    h("nav", { role: "tablist", "aria-label": "Role" }, ...tabs),
    h("div", { class: "where muted", title: s.dir }, `${s.consortium} · ${s.members.length} members · ${s.borrowers.length} borrowers · ${sessionMode(s.connected)}`),
    close,
  );
  clear(root, h("div", { class: "app" }, header, body));

  function show(r: Role) {
    role = r;
    tabs.forEach((t, i) => t.setAttribute("aria-selected", ROLES[i].role === r ? "true" : "false"));
    clear(body);
    const render = { officer: officerView, analyst: analystView, regulator: regulatorView, borrower: borrowerView }[r];
    render(body, s).catch((e: UiError) => clear(body, errorBox(e)));
  }
  function keys(ev: KeyboardEvent) {
    if (!ev.altKey) return;
    const r = ROLES.find((x) => x.key === ev.key);
    if (r) {
      ev.preventDefault();
      show(r.role);
      document.getElementById(`tab-${r.role}`)?.focus();
    }
  }
  document.addEventListener("keydown", keys);
  show(role);
}

firstScreen();
