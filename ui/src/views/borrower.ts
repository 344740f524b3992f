// Borrower: my records and scores, who accessed my data and when, my
// consents (grant; revoke with one click), the security freeze (one click),
// disputes.
import { api, type BorrowerHome, type OwnInfo, type SessionInfo } from "../api";
import { timeline } from "../charts";
import { act, clear, errorBox, field, h, notice, select, svgBox } from "../dom";
import { keyCard, leakCard } from "./key";
import { buildConsent, DISPUTE_REASONS, formatCents, formatTime, PREDICATE_KINDS, PURPOSES, shortId, statusText, paymentCells, type UiError } from "../logic";

let current = "";

/** What the borrower's home does: with a demo borrower's key, or with mine. */
interface BorrowerActions {
  grant(grantee: string, purpose: string, kinds: string[], days: number, explicit: boolean): Promise<string>;
  revoke(consentId: string): Promise<number>;
  freeze(frozen: boolean): Promise<number>;
  dispute(recordId: string, reason: string): Promise<string>;
}

function demoActions(label: string): BorrowerActions {
  return {
    grant: (g, p, k, d, e) => api.borrowerGrant(label, g, p, k, d, e),
    revoke: (c) => api.borrowerRevoke(label, c),
    freeze: (f) => api.borrowerFreeze(label, f),
    dispute: (r, why) => api.borrowerDispute(label, r, why),
  };
}

const OWN: BorrowerActions = {
  grant: (g, p, k, d) => api.ownGrant(g, p, k, d),
  revoke: (c) => api.ownRevoke(c),
  freeze: (f) => api.ownFreeze(f),
  dispute: (r, why) => api.ownDispute(r, why),
};

/** My own home: the app holds my key only, and reads through `info.via`. */
export async function ownBorrowerView(body: HTMLElement, info: OwnInfo): Promise<void> {
  const main = h("div", { id: "borrower-main", "data-own": "1" });
  async function load(flash?: HTMLElement) {
    try {
      const home = await api.ownHome();
      render(main, home, load, OWN);
      if (flash) main.querySelector(".out")?.replaceChildren(flash);
    } catch (e) {
      clear(main, errorBox(e as UiError));
    }
  }
  const refresh = h("button", { id: "own-refresh", class: "ghost" }, "Refresh");
  refresh.addEventListener("click", () => load());
  clear(body, h("div", { class: "toolbar" }, h("h1", {}, "My credit file"), h("span", { class: "muted" }, `read through ${info.via}'s node, checked against the consortium profile`), refresh), main, keyCard(info, load), leakCard(info, load));
  await load();
}

export async function borrowerView(body: HTMLElement, s: SessionInfo): Promise<void> {
  if (s.borrowers.length === 0) {
    clear(body, errorBox({ code: "not-found", message: "this app holds no borrower key" }));
    return;
  }
  if (!current || !s.borrowers.includes(current)) current = s.borrowers[0];
  const who = h("select", { id: "borrower-who" }, ...s.borrowers.map((l) => h("option", { value: l, selected: l === current }, l)));
  const main = h("div", { id: "borrower-main" });
  who.addEventListener("change", () => {
    current = who.value;
    load();
  });
  async function load(flash?: HTMLElement) {
    try {
      const home = await api.borrowerHome(current);
      render(main, home, load, demoActions(current));
      if (flash) main.querySelector(".out")?.replaceChildren(flash);
    } catch (e) {
      clear(main, errorBox(e as UiError));
    }
  }
  clear(body, h("div", { class: "toolbar" }, h("h1", {}, "Borrower"), field("I am", who, "demo: the app holds each demo borrower's key")), main);
  await load();
}

/** An open dispute: when it was opened and the furnisher's deadline; past
 *  it, the record is left out of every answer (FCRA §611). */
function disputeState(d: { opened_at: number; deadline: number }): HTMLElement {
  const overdue = Date.now() / 1000 >= d.deadline;
  return h("span", { class: "warn", "data-testid": "dispute-state", "data-overdue": overdue ? "1" : "0" },
    overdue
      ? `disputed ${formatTime(d.opened_at)}; not answered by ${formatTime(d.deadline)}, so it is left out of every answer until the furnisher confirms or corrects it`
      : `disputed ${formatTime(d.opened_at)}; the furnisher must answer by ${formatTime(d.deadline)}`);
}

function render(main: HTMLElement, b: BorrowerHome, reload: (flash?: HTMLElement) => Promise<void>, acts: BorrowerActions) {
  const out = h("div", { class: "out" });

  // Consents: revoke is one click.
  const consents = h("table", { class: "table", id: "my-consents" },
    h("thead", {}, h("tr", {}, h("th", {}, "To"), h("th", {}, "Purpose"), h("th", {}, "Questions"), h("th", {}, "Until"), h("th", {}, ""))),
    h("tbody", {}, ...b.consents.map((c) => {
      let cell: HTMLElement;
      if (c.live) {
        const btn = h("button", { class: "danger small", "data-consent-id": c.consent_id, "data-grantee": c.grantee_name, "aria-label": `Revoke consent to ${c.grantee_name}` }, "Revoke");
        btn.addEventListener("click", async () => {
          const r = await act(btn, out, () => acts.revoke(c.consent_id), "Revoking…");
          if (r !== undefined) await reload(notice(`Consent to ${c.grantee_name} revoked (block ${r}). They can no longer ask about you.`, "revoked"));
        });
        cell = btn;
      } else {
        cell = h("span", { class: "warn", "data-state": "revoked" }, c.revoked_at ? `revoked ${formatTime(c.revoked_at)}` : "expired");
      }
      return h("tr", { "data-consent-id": c.consent_id }, h("td", {}, c.grantee_name), h("td", {}, c.purpose), h("td", {}, c.predicates.join(", ")), h("td", {}, formatTime(c.expires_at)), h("td", {}, cell));
    })));

  // The security freeze (FCRA §605A): one click either way.
  const frozen = b.frozen_since !== null;
  const fBtn = h("button", { id: "freeze-toggle", class: frozen ? "primary" : "danger", "data-frozen": frozen ? "1" : "0" }, frozen ? "Lift the freeze" : "Freeze my file");
  fBtn.addEventListener("click", async () => {
    const r = await act(fBtn, out, () => acts.freeze(!frozen), frozen ? "Lifting…" : "Freezing…");
    if (r !== undefined) await reload(notice(frozen ? `Freeze lifted (block ${r}).` : `Your file is frozen (block ${r}): no new question about you is accepted until you lift it.`, frozen ? "unfrozen" : "frozen"));
  });
  const freeze = h("div", { class: "card", id: "my-freeze", "data-frozen": frozen ? "1" : "0" }, h("h3", {}, "Security freeze"),
    h("p", { class: frozen ? "warn" : "muted" }, frozen
      ? `Frozen since ${formatTime(b.frozen_since!)}: no member may ask about you, whatever your consents.`
      : "Not frozen. Freezing stops every new question about you, whatever your consents, until you lift it."),
    fBtn);

  // Grant a consent.
  const grantee = select(b.members.filter((m) => m.role !== "regulator").map((m) => ({ value: m.party, label: `${m.name} (${m.role})` })), { id: "grant-to" });
  const purpose = select(PURPOSES, { id: "grant-purpose" });
  const kinds = [{ kind: "any", label: "Any question" }, ...PREDICATE_KINDS].map((k) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", value: k.kind, checked: k.kind === "any", "data-kind": k.kind }), ` ${k.label}`));
  const days = h("input", { id: "grant-days", value: "90", inputmode: "numeric" });
  const explicit = h("input", { type: "checkbox", id: "grant-explicit" });
  const gBtn = h("button", { id: "grant-submit", class: "primary", type: "submit" }, "Grant consent");
  const grant = h("form", { class: "card", id: "grant-form" }, h("h3", {}, "Grant a consent"),
    field("To", grantee), field("Purpose", purpose), h("fieldset", { class: "kinds" }, h("legend", {}, "Questions allowed"), ...kinds),
    field("Days", days), h("label", { class: "check" }, explicit, " I explicitly agree (required for employment)"), gBtn);
  grant.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const chosen = kinds.map((l) => l.querySelector("input")!).filter((i) => i.checked).map((i) => i.value);
    const c = buildConsent({ grantee: grantee.value, purpose: purpose.value, kinds: chosen, days: days.value, explicit: explicit.checked });
    if ("error" in c) {
      clear(out, errorBox({ code: "invalid-input", message: c.error }));
      return;
    }
    const id = await act(gBtn, out, () => acts.grant(c.ok.grantee, c.ok.purpose, c.ok.kinds, c.ok.expiresInDays, c.ok.explicit), "Granting…");
    if (id) await reload(notice(`Consent ${shortId(id)} granted.`, "granted"));
  });

  // Records, with a dispute button each.
  const records = h("div", { id: "my-records" }, ...b.records.map(([r, p]) => {
    const reason = select(DISPUTE_REASONS, { "aria-label": "dispute reason" });
    const dBtn = h("button", { class: "small" }, "Dispute");
    const open = b.disputes.find((d) => d.record_id === r.record_id && d.resolved_at === null);
    dBtn.disabled = !!open || r.status !== "live";
    dBtn.addEventListener("click", async () => {
      const id = await act(dBtn, out, () => acts.dispute(r.record_id, reason.value), "Sending…");
      if (id) await reload(notice(`Dispute ${shortId(id)} opened; ${r.furnisher_name} has 30 days to answer (FCRA §611).`, "disputed"));
    });
    const facts = p.kind === "income"
      ? [`monthly income ${formatCents(p.monthly_income)}`, p.source ?? ""]
      : [`${p.account_type} · ${statusText(p.account_status)}`, `balance ${formatCents(p.balance)} of ${formatCents(p.credit_limit)}`, `opened ${p.date_opened}`];
    return h("div", { class: "record card", "data-record-id": r.record_id },
      h("div", { class: "rec-head" }, h("strong", {}, `${p.kind} from ${r.furnisher_name}`), h("span", { class: `tag ${r.status}` }, r.compliance ? `${r.status} · ${r.compliance}` : r.status)),
      h("div", {}, facts.join(" · ")),
      p.payment_history ? h("div", { class: "history" }, ...paymentCells(p.payment_history).map((c) => h("span", { class: `cell ${c.tone}` }, c.ch))) : null,
      h("div", { class: "row" }, open ? disputeState(open) : reason, dBtn));
  }));

  const scores = b.scores.map(([agency, period, score]) => h("div", { class: "kpi" }, h("div", { class: "kpi-v" }, String(score)), h("div", { class: "kpi-l" }, `score by ${agency}, ${period}`)));

  const accessChart = b.access.length
    ? svgBox(timeline("Who accessed my data", b.access.map((a) => ({ at: a.at, lane: a.party_name, label: `${formatTime(a.at)} ${a.action}: ${a.detail}`, tone: a.action }))), "chart-box timeline")
    : h("p", { class: "muted" }, "Nobody has accessed your data.");
  // On my own key the log is proven entry by entry, from f+1 members.
  const checked = b.checked
    ? h("div", { id: "access-checked" },
        h("p", { class: "muted" }, `Each entry proven in a block the members certified; asked ${b.checked.map((m) => m.name).join(" and ")}.`),
        ...b.checked.filter((m) => !m.honest).map((m) =>
          h("div", { class: "error", role: "alert", "data-testid": "lying-member", "data-member": m.name },
            h("strong", {}, `${m.name}: `),
            m.unreachable
              ? `did not answer (${m.unreachable})`
              : [m.missing ? `left out ${m.missing} entries about you that another member proved` : "", m.refused ? `offered ${m.refused} entries that did not prove (forged, or from another chain)` : ""].filter(Boolean).join("; "),
            ". What is shown here is what was proven.")))
    : null;
  const access = h("table", { class: "table", id: "my-access" },
    h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Who"), h("th", {}, "What"))),
    h("tbody", {}, ...b.access.map((a) => h("tr", {}, h("td", {}, formatTime(a.at)), h("td", {}, a.party_name), h("td", {}, `${a.action}: ${a.detail}`)))));

  clear(main,
    h("p", { class: "muted mono" }, `pseudonym ${b.subject}`),
    out,
    h("div", { class: "kpis" }, ...scores, h("div", { class: "kpi" }, h("div", { class: "kpi-v" }, String(b.consents.filter((c) => c.live).length)), h("div", { class: "kpi-l" }, "live consents"))),
    h("div", { class: "grid2" },
      h("div", {}, freeze, h("div", { class: "card" }, h("h3", {}, "My consents"), consents), grant),
      h("div", {}, h("div", { class: "card" }, h("h3", {}, "Who accessed my data, and when"), checked ?? "", accessChart, access))),
    h("h3", {}, "My records"), records,
  );
}
