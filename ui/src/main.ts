import { api, type OwnInfo, type SessionInfo } from "./api";
import { act, clear, errorBox, field, h, svgBox } from "./dom";
import { qrSvg } from "./charts";
import { demoFraction, sessionMode, type UiError } from "./logic";
import { officerView } from "./views/officer";
import { analystView } from "./views/analyst";
import { regulatorView } from "./views/regulator";
import { borrowerView, ownBorrowerView } from "./views/borrower";
import { ownOperatorView } from "./views/own";

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

  // Open my identity: my keystore and the consortium's profile.
  const mDir = h("input", { id: "own-dir", placeholder: "e.g. /home/me/credence", autocomplete: "off", spellcheck: "false" });
  const mProfile = h("input", { id: "own-profile", placeholder: "e.g. /home/me/profile.json", autocomplete: "off", spellcheck: "false" });
  const mVia = h("input", { id: "own-via", placeholder: "any member", autocomplete: "off", spellcheck: "false" });
  const mPass = h("input", { id: "own-pass", type: "password", autocomplete: "current-password" });
  const mBtn = h("button", { id: "own-open", class: "primary", type: "submit" }, "Open my identity");
  const ownForm = h(
    "form",
    { class: "card", id: "own-form" },
    h("h2", {}, "Open my identity"),
    h("p", { class: "muted" }, "Your own keystore and the consortium's profile. The app then holds your key alone and reaches the consortium through a member's node, checked against the profile."),
    field("Keystore folder", mDir),
    field("Consortium profile", mProfile, "profile.json, from your lender or the consortium"),
    field("Through member", mVia, "optional: a member's name in the profile"),
    field("Passphrase", mPass),
    mBtn,
  );
  ownForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const me = await act(mBtn, out, () => api.openIdentity(mDir.value, mProfile.value, mPass.value, mVia.value), "Opening…");
    if (me) ownShell(me);
  });

  // A new identity, and its enrolment request for a lender.
  const nDir = h("input", { id: "new-dir", placeholder: "e.g. /home/me/credence", autocomplete: "off", spellcheck: "false" });
  const nProfile = h("input", { id: "new-profile", placeholder: "e.g. /home/me/profile.json", autocomplete: "off", spellcheck: "false" });
  const nLender = h("input", { id: "new-lender", placeholder: "e.g. bank-a", autocomplete: "off", spellcheck: "false" });
  const nPass = h("input", { id: "new-pass", type: "password", autocomplete: "new-password" });
  const nPass2 = h("input", { id: "new-pass2", type: "password", autocomplete: "new-password" });
  const nBtn = h("button", { id: "new-create", type: "submit" }, "Create my identity");
  const newForm = h(
    "form",
    { class: "card", id: "new-form" },
    h("h2", {}, "New identity"),
    h("p", { class: "muted" }, "A key of your own, encrypted under your passphrase (Argon2id); it never leaves this machine. With a profile and a lender, the app also writes your enrolment request for that lender, as a file and a QR code."),
    field("Keystore folder (new)", nDir),
    field("Consortium profile", nProfile, "optional, with a lender"),
    field("Lender", nLender, "the member that enrols you"),
    field("Passphrase", nPass, "8 characters or more"),
    field("Repeat passphrase", nPass2),
    nBtn,
  );
  newForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (nPass.value !== nPass2.value) {
      clear(out, errorBox({ code: "invalid-input", message: "the two passphrases differ" }));
      return;
    }
    const id = await act(nBtn, out, () => api.createIdentity(nDir.value, nPass.value, nProfile.value, nLender.value), "Creating…");
    if (!id) return;
    const shown = h("div", { class: "notice", role: "status", "data-testid": "identity-created", "data-party": id.party },
      h("p", {}, `Created ${id.keystore}. Your id:`),
      h("p", { class: "mono", id: "new-party" }, id.party));
    if (id.request_file && id.request_qr) {
      shown.append(
        h("p", {}, `Your enrolment request for ${nLender.value.trim()} is in `, h("code", { id: "new-request-file" }, id.request_file), ". Give the file to them, or show them this code:"),
        svgBox(qrSvg(id.request_qr.width, id.request_qr.modules), "qr"),
      );
    }
    clear(out, shown);
    mDir.value = nDir.value;
    mProfile.value = nProfile.value;
  });

  const screen = h(
    "main",
    { id: "first-screen", class: "first" },
    h("header", { class: "brand" }, h("h1", {}, "Credence"), h("p", {}, "Credit questions answered with proofs, consent kept by the borrower.")),
    out,
    h("div", { class: "cards" }, ownForm, newForm, startForm, openForm),
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

/** The app on one person's own key: their home, and nothing else. */
function ownShell(me: OwnInfo): void {
  const body = h("section", { id: "role-body", class: "role-body" });
  const close = h("button", { id: "close-identity", class: "ghost" }, "Close");
  close.addEventListener("click", async () => {
    await api.closeIdentity().catch(() => undefined);
    firstScreen();
  });
  const header = h(
    "header",
    { class: "top" },
    h("div", { class: "brand-small" }, "Credence"),
    h("div", { class: "where muted", id: "own-where", "data-party": me.party }, `${me.consortium} · my identity ${me.party.slice(0, 12)}… (${me.role}) · ${me.role === "borrower" ? "through" : "at"} ${me.via}`),
    close,
  );
  clear(root, h("div", { class: "app" }, header, body));
  const view = me.role === "borrower" ? ownBorrowerView : ownOperatorView;
  view(body, me).catch((e: UiError) => clear(body, errorBox(e)));
}

firstScreen();
