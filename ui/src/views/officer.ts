// Bank officer: find a borrower, see their consents, ask a question and see
// the verified answer; furnish or correct a tradeline; enrol a borrower.
import { api, type AskResult, type Borrower, type BorrowerFile, type SessionInfo } from "../api";
import { act, clear, errorBox, field, h, notice, select } from "../dom";
import { answerText, formatCents, formatTime, parseAmount, predicateText, shortId, type UiError } from "../logic";
import { questionFields } from "./question";

export async function officerView(body: HTMLElement, s: SessionInfo): Promise<void> {
  const banks = s.members.filter((m) => m.role === "lender");
  if (banks.length === 0) {
    clear(body, errorBox({ code: "not-found", message: "this consortium has no lender member" }));
    return;
  }
  const bankSel = select(banks.map((b) => ({ value: b.name, label: b.name })), { id: "officer-bank" });
  const needle = h("input", { id: "officer-search", placeholder: "borrower label or pseudonym, e.g. borrower-0003", autocomplete: "off", spellcheck: "false" });
  const findBtn = h("button", { id: "officer-find", type: "submit" }, "Find");
  const enrolBtn = h("button", { id: "officer-enrol", type: "button", class: "ghost" }, "Enrol a new borrower");
  const out = h("div", { class: "out" });
  const list = h("ul", { class: "list", id: "officer-results", "aria-label": "borrowers" });
  const file = h("section", { class: "file", id: "officer-file" }, h("p", { class: "muted" }, "Find a borrower to see their consents and ask a question."));

  const search = h("form", { class: "toolbar" }, field("Bank", bankSel), field("Borrower", needle), findBtn, enrolBtn);
  search.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rows = await act(findBtn, out, () => api.officerFind(bankSel.value, needle.value));
    if (rows) showList(rows);
  });
  enrolBtn.addEventListener("click", async () => {
    const b = await act(enrolBtn, out, () => api.officerEnrol(bankSel.value), "Enrolling…");
    if (b) {
      clear(out, notice(`Enrolled ${b.label} (${shortId(b.subject)}). They can now grant consents from the Borrower view.`, "enrolled"));
      showList([b]);
    }
  });
  bankSel.addEventListener("change", () => {
    clear(list);
    clear(file, h("p", { class: "muted" }, "Find a borrower to see their consents and ask a question."));
  });

  function showList(rows: Borrower[]) {
    clear(list, ...rows.map((b) => {
      const btn = h(
        "button",
        { class: "row-btn", "data-subject": b.subject, "data-label": b.label ?? "" },
        h("strong", {}, b.label ?? shortId(b.subject)),
        h("span", { class: "muted" }, ` ${shortId(b.subject)} · ${b.records} records · `),
        h("span", { class: b.live_consents_to_me > 0 ? "ok" : "warn" }, b.live_consents_to_me > 0 ? `${b.live_consents_to_me} live consent to you` : "no live consent to you"),
      );
      btn.addEventListener("click", () => openFile(b.subject));
      return h("li", {}, btn);
    }));
    if (rows.length === 0) clear(list, h("li", { class: "muted" }, "No borrower matches."));
    (list.querySelector("button") as HTMLButtonElement | null)?.focus();
  }

  async function openFile(subject: string, keep?: HTMLElement) {
    try {
      const f = await api.officerBorrower(bankSel.value, subject);
      renderFile(f, keep);
    } catch (e) {
      clear(file, errorBox(e as UiError));
    }
  }

  function renderFile(f: BorrowerFile, keep?: HTMLElement) {
    const bank = banks.find((b) => b.name === bankSel.value)!;
    const consents = h(
      "table",
      { class: "table", id: "officer-consents" },
      h("thead", {}, h("tr", {}, h("th", {}, "Grantee"), h("th", {}, "Purpose"), h("th", {}, "Questions"), h("th", {}, "Expires"), h("th", {}, "State"))),
      h("tbody", {}, ...f.consents.map((c) =>
        h("tr", { class: c.grantee === bank.party ? "mine" : "" },
          h("td", {}, c.grantee_name),
          h("td", {}, c.purpose),
          h("td", {}, c.predicates.join(", ")),
          h("td", {}, formatTime(c.expires_at)),
          h("td", { class: c.live ? "ok" : "warn" }, c.revoked_at ? `revoked ${formatTime(c.revoked_at)}` : c.live ? "live" : "expired"),
        ))),
    );
    const tradelines = f.records.filter((r) => r.kind === "tradeline" && r.status === "live");

    // The question form.
    const target = select(tradelines.map((r) => ({ value: r.record_id, label: `${r.furnisher_name} · ${shortId(r.record_id)}` })), { id: "ask-target" });
    const q = questionFields({ kind: "ask-kind", a: "ask-a", b: "ask-b" }, target);
    const { a, b } = q;
    const askBtn = h("button", { id: "ask-submit", class: "primary", type: "submit" }, "Ask");
    const result = h("div", { id: "ask-result", class: "result", "aria-live": "polite" }, keep ?? "");
    const form = h("form", { class: "card", id: "ask-form" }, h("h3", {}, "Ask a question"), ...q.fields, askBtn, result);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const p = q.read();
      if ("error" in p) {
        clear(result, errorBox({ code: "invalid-input", message: p.error }));
        ({ a, b, target } as Record<string, HTMLElement>)[p.field]?.focus();
        return;
      }
      const r = await act(askBtn, result, () => api.officerAsk(bankSel.value, f.subject, p.ok, p.target), "Asking…");
      if (r) {
        const shown = answerBox(r, bankSel.value);
        await openFile(f.subject, shown);
      }
    });

    // Furnish or correct a tradeline.
    const furnish = furnishForm(bankSel.value, f, () => openFile(f.subject));

    const history = h(
      "table",
      { class: "table", id: "officer-history" },
      h("thead", {}, h("tr", {}, h("th", {}, "Asked"), h("th", {}, "Question"), h("th", {}, "Purpose"), h("th", {}, "Answer"))),
      h("tbody", {}, ...f.my_queries.slice(0, 20).map((q) =>
        h("tr", {}, h("td", {}, formatTime(q.asked_at)), h("td", {}, predicateText(q.predicate)), h("td", {}, q.purpose),
          h("td", { class: q.holds === null ? "muted" : q.holds ? "ok" : "warn" }, q.holds === null ? "pending" : q.holds ? "holds" : "does not hold")))),
    );

    clear(file,
      h("h2", {}, f.label ?? shortId(f.subject), h("span", { class: "muted mono" }, `  ${shortId(f.subject)}`)),
      h("div", { class: "grid2" },
        h("div", {}, h("h3", {}, "Consents this borrower gave"), consents, h("h3", {}, `Your questions about ${f.label ?? "them"}`), history),
        h("div", {}, form, furnish)),
    );
  }

  clear(body, h("h1", {}, "Bank officer"), search, out, h("div", { class: "grid-side" }, list, file));
  needle.focus();
}

function answerBox(r: AskResult, bank: string): HTMLElement {
  const t = answerText(r);
  // A running agency node may not have answered yet: look again on demand.
  const again = r.status === "answered" ? null : h("button", { type: "button", class: "small", id: "ask-check-again" }, "Check again");
  again?.addEventListener("click", async () => {
    again.disabled = true;
    try {
      box.replaceWith(answerBox(await api.officerQuery(bank, r.query_id), bank));
    } catch (e) {
      box.replaceWith(errorBox(e as UiError));
    }
  });
  const box = h(
    "div",
    { class: `answer ${t.tone}`, "data-testid": "answer", "data-query-id": r.query_id, "data-status": r.status, "data-holds": r.holds === null ? "" : String(r.holds), "data-verified": String(r.verified) },
    h("div", { class: "headline" }, t.headline),
    h("div", {}, `“${predicateText(r.predicate)}”`),
    h("div", { class: r.verified ? "ok" : "muted" }, r.verified ? "✓ verified by proof against your own ledger" : "not verified yet"),
    h("div", { class: "muted" }, `consent ${shortId(r.consent_id)} (${r.purpose}) · answered by ${r.responder_name} · ${r.elapsed_ms} ms`),
    h("div", { class: "muted mono" }, `query ${r.query_id}`),
    again,
  );
  return box;
}

function furnishForm(bank: string, f: BorrowerFile, done: () => void): HTMLElement {
  const mine = f.records.filter((r) => r.kind === "tradeline" && r.status === "live");
  const corrects = select([{ value: "", label: "— a new account —" }, ...mine.map((r) => ({ value: r.record_id, label: `correct ${r.furnisher_name} · ${shortId(r.record_id)}` }))], { id: "fur-corrects" });
  const today = new Date().toISOString().slice(0, 10);
  const type = select(["instalment", "revolving", "mortgage", "open"].map((v) => ({ value: v, label: v })), { id: "fur-type" });
  const status = select([["11", "11 current"], ["71", "71 30–59 days late"], ["78", "78 60–89 days late"], ["80", "80 90–119 days late"], ["84", "84 180+ days late"], ["13", "13 paid"], ["93", "93 collection"], ["97", "97 charge-off"]].map(([v, l]) => ({ value: v, label: l })), { id: "fur-status" });
  const opened = h("input", { id: "fur-opened", value: today });
  const balance = h("input", { id: "fur-balance", value: "1,000.00" });
  const limit = h("input", { id: "fur-limit", value: "5,000.00" });
  const pastDue = h("input", { id: "fur-pastdue", value: "0" });
  const payment = h("input", { id: "fur-payment", value: "100.00" });
  const dpd = h("input", { id: "fur-dpd", value: "0" });
  const history = h("input", { id: "fur-history", value: "000000000000000000000000", maxlength: 24, class: "mono" });
  const btn = h("button", { id: "fur-submit", type: "submit" }, "Furnish");
  const out = h("div", { class: "out" });
  const form = h("form", { class: "card", id: "furnish-form" }, h("h3", {}, "Furnish or correct a tradeline"),
    field("Record", corrects), h("div", { class: "grid2 tight" }, field("Account type", type), field("Status", status), field("Opened", opened, "YYYY-MM-DD"), field("Balance", balance), field("Credit limit", limit), field("Past due", pastDue), field("Scheduled payment", payment), field("Days past due", dpd)),
    field("24-month history (newest first)", history, "0 on time, 1–6 late, B no history"), btn, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const amounts = [balance, limit, pastDue, payment].map((i) => parseAmount(i.value));
    if (amounts.some((x) => x === null)) {
      clear(out, errorBox({ code: "invalid-input", message: "amounts are numbers like 1,234.56" }));
      return;
    }
    const days = Number(dpd.value);
    if (!Number.isInteger(days) || days < 0) {
      clear(out, errorBox({ code: "invalid-input", message: "days past due is a whole number" }));
      return;
    }
    const id = await act(btn, out, () => api.officerFurnish(bank, f.subject, {
      account_type: type.value, account_status: status.value, date_opened: opened.value, date_of_account_information: today,
      date_of_first_delinquency: null, payment_history: history.value, balance: amounts[0]!, credit_limit: amounts[1]!, past_due: amounts[2]!,
      scheduled_payment: amounts[3]!, days_past_due: days, serious_delinquency: days >= 90,
    }, corrects.value || null), "Sealing and proving…");
    if (id) {
      clear(out, notice(`Furnished record ${shortId(id)} (sealed to the borrower, you and consented agencies; ${formatCents(amounts[0]!)} committed, not published).`, "furnished"));
      setTimeout(done, 1200);
    }
  });
  return form;
}
