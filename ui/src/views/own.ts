// A member's staff on their own key: an officer asks and enrols, an analyst
// reads the member's records (opened here, with the analyst's key), an
// auditor reads the consortium's questions. Everything goes through the
// member's node, which acts within the person's role.
import { api, type OwnInfo, type OwnMembership, type OwnQuery } from "../api";
import { act, clear, errorBox, field, h, notice, svgBox } from "../dom";
import { formatCents, formatTime, predicateText, shortId, statusText } from "../logic";
import { alarmList, kpi, tradelineCharts } from "./analyst";
import { keyCard } from "./key";
import { incidentsPanel } from "./regulator";
import { questionFields } from "./question";

export async function ownOperatorView(body: HTMLElement, me: OwnInfo): Promise<void> {
  const main = h("div", { id: "operator-main", "data-role": me.role });
  const title = { officer: "Officer", analyst: "Analyst", auditor: "Auditor" }[me.role] ?? me.role;
  clear(body, h("div", { class: "toolbar" }, h("h1", {}, `${title} at ${me.via}`), h("span", { class: "muted" }, `your own key, registered at ${me.via}'s node; it acts for ${me.via} within your role`)), main);
  if (me.role === "officer") officer(main, me);
  else if (me.role === "analyst") await analyst(main, me);
  if (me.role !== "officer") await alarms(main);
  if (me.role === "auditor") await incidents(main);
  await questions(main, me);
  await membership(main);
  main.append(keyCard(me, async (flash) => {
    await ownOperatorView(body, me);
    if (!flash) return;
    body.querySelector("#my-key .out")?.replaceChildren(flash);
    flash.scrollIntoView({ block: "center" });
  }));
}

/** Alarms over the consortium's questions, computed here from what the member's node serves. */
async function alarms(main: HTMLElement): Promise<void> {
  const box = h("div", { class: "card" }, h("h3", {}, "Alarms"));
  main.append(box);
  try {
    box.append(alarmList(await api.ownAlarms(), "own-alarms"));
  } catch (e) {
    box.append(errorBox(e as { code: string; message: string }));
  }
}

/** Keys declared compromised, and how many records each leaves readable only by the leaked key. */
async function incidents(main: HTMLElement): Promise<void> {
  try {
    main.append(incidentsPanel(await api.ownIncidents()));
  } catch (e) {
    main.append(h("div", { class: "card" }, h("h3", {}, "Key incidents"), errorBox(e as { code: string; message: string })));
  }
}

/** The members of every epoch, proven from f+1 members rather than taken from one node's word. */
async function membership(main: HTMLElement): Promise<void> {
  const box = h("div", { class: "card", id: "own-members" }, h("h3", {}, "Members of the consortium"));
  main.append(box);
  let m: OwnMembership;
  try {
    m = await api.ownMembership();
  } catch (e) {
    box.append(errorBox(e as { code: string; message: string }));
    return;
  }
  const epochs = (t: { from_epoch: number; until_epoch: number | null }) =>
    t.until_epoch === null ? `since epoch ${t.from_epoch}` : `epochs ${t.from_epoch}–${t.until_epoch - 1} (removed)`;
  box.append(
    h("p", { class: "muted" }, `Proven from the founding block and every finalized membership vote; an epoch is ${m.epoch_length} blocks.`),
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Member"), h("th", {}, "Role"), h("th", {}, "In office"), h("th", {}, "Party"))),
      h("tbody", {}, ...m.tenures.map((t) => h("tr", { "data-member": t.name, "data-in-office": String(t.until_epoch === null) },
        h("td", {}, t.name), h("td", {}, t.role), h("td", {}, epochs(t)), h("td", { class: "mono", title: t.party }, shortId(t.party)))))),
    m.changes.length === 0
      ? h("p", { class: "muted" }, "No member has joined or left since the founding.")
      : h("ul", {}, ...m.changes.map((c) => h("li", {}, `${c.name} ${c.admitted ? "admitted" : "removed"} from epoch ${c.epoch} (vote at block ${c.height})`))),
  );
}

function officer(main: HTMLElement, me: OwnInfo): void {
  const out = h("div", { class: "out" });
  const subject = h("input", { id: "own-subject", placeholder: "the borrower's id (64 hex digits)", autocomplete: "off", spellcheck: "false" });
  const target = h("input", { id: "own-ask-target", placeholder: "the account's record id", autocomplete: "off", spellcheck: "false" });
  const q = questionFields({ kind: "own-ask-kind", a: "own-ask-a", b: "own-ask-b" }, target);
  const askBtn = h("button", { id: "own-ask-submit", class: "primary", type: "submit" }, "Ask");
  const result = h("div", { id: "own-ask-result", class: "result", "aria-live": "polite" });
  const form = h("form", { class: "card", id: "own-ask-form" }, h("h3", {}, `Ask about a borrower for ${me.via}`), field("Borrower", subject), ...q.fields, askBtn, result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!/^[0-9a-f]{64}$/.test(subject.value.trim())) {
      clear(result, errorBox({ code: "invalid-input", message: "The borrower's id is 64 hex digits." }));
      return;
    }
    const p = q.read();
    if ("error" in p) {
      clear(result, errorBox({ code: "invalid-input", message: p.error }));
      return;
    }
    const r = await act(askBtn, result, () => api.ownAsk(subject.value.trim(), p.ok, p.target), "Asking…");
    if (!r) return;
    const headline = r.holds === null ? "Waiting for the agency's answer" : r.holds ? "Yes — the condition holds" : "No — the condition does not hold";
    clear(result, h("div", { class: `answer ${r.holds === null ? "wait" : r.holds ? "yes" : "no"}`, "data-testid": "own-answer", "data-query-id": r.query_id, "data-holds": String(r.holds), "data-status": r.status },
      h("strong", {}, headline),
      h("div", { class: "muted" }, `"${predicateText(r.predicate)}" for ${r.purpose}; block ${r.height}; ${r.elapsed_ms} ms; as ${me.via}'s node reports it`)));
    main.dispatchEvent(new Event("own-asked"));
  });

  const reqPath = h("input", { id: "own-enrol-file", placeholder: "the borrower's enrol-request-….json", autocomplete: "off", spellcheck: "false" });
  const enrolBtn = h("button", { id: "own-enrol-submit", type: "submit" }, "Enrol");
  const enrol = h("form", { class: "card", id: "own-enrol-form" }, h("h3", {}, "Enrol a borrower from their request"), field("Request file", reqPath), enrolBtn);
  enrol.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = await act(enrolBtn, out, () => api.ownEnrol(reqPath.value), "Enrolling…");
    if (id) clear(out, notice(`Enrolled ${shortId(id)} with ${me.via}.`, "own-enrolled"));
  });
  main.append(out, h("div", { class: "grid2" }, form, enrol), furnishCard(me));
}

/** Furnish the member's accounts from a file: every row checked first, then sent in parts with progress. */
function furnishCard(me: OwnInfo): HTMLElement {
  const file = h("input", { id: "own-furnish-file", placeholder: "accounts.csv (docs/furnish-csv.md)", autocomplete: "off", spellcheck: "false" });
  const skip = h("input", { id: "own-furnish-skip", type: "checkbox" });
  const btn = h("button", { id: "own-furnish-submit", type: "submit" }, "Furnish");
  const fill = h("div", { class: "progress-fill" });
  const text = h("div", { class: "progress-text", id: "own-furnish-progress" }, "");
  const progress = h("div", { class: "progress", hidden: true, "aria-label": "furnishing progress" }, h("div", { class: "progress-track" }, fill), text);
  const result = h("div", { id: "own-furnish-result", class: "result", "aria-live": "polite" });
  const form = h("form", { class: "card", id: "own-furnish-form" },
    h("h3", {}, `Furnish ${me.via}'s accounts from a file`),
    h("p", { class: "muted" }, `One row per account update (Metro 2 base-segment fields). ${me.via}'s node seals and proves each row as ${me.via}; a file with a bad row sends nothing, and the same file sent again furnishes nothing twice.`),
    field("Furnishing file", file), h("label", { class: "check" }, skip, " Furnish the good rows of a file with bad ones"), btn, progress, result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fill.style.width = "0";
    text.textContent = "Checking every row…";
    progress.hidden = false;
    const stop = await api.onFurnishProgress((p) => {
      fill.style.width = `${p.total ? Math.round((p.done / p.total) * 100) : 100}%`;
      text.textContent = `${p.done} of ${p.total} rows`;
    });
    try {
      const r = await act(btn, result, () => api.ownFurnish(file.value, skip.checked), "Furnishing…");
      if (!r) {
        progress.hidden = true;
        return;
      }
      clear(result, h("div", { class: "answer yes", "data-testid": "own-furnished", "data-submitted": String(r.submitted), "data-already": String(r.already), "data-corrections": String(r.corrections), "data-left-out": String(r.left_out.length) },
        h("strong", {}, `${r.submitted} updates furnished (${r.corrections} correcting an earlier one), ${r.already} already on the ledger`),
        h("div", { class: "muted" }, `${r.elapsed_ms} ms`),
        r.left_out.length ? h("ul", { class: "left-out" }, ...r.left_out.map((l) => h("li", {}, `left out: ${l}`))) : null));
    } finally {
      stop();
    }
  });
  return form;
}

async function analyst(main: HTMLElement, me: OwnInfo): Promise<void> {
  const figures = h("div", { id: "own-portfolio" });
  const queue = h("div", { class: "card", id: "own-queue" });
  const box = h("div", { class: "card", id: "own-records" }, h("h3", {}, "Records, opened with your key"));
  main.append(figures, queue, box);
  try {
    const p = await api.ownPortfolio();
    const { dpd, status } = tradelineCharts(p);
    figures.append(
      h("div", { class: "kpis" }, kpi("Borrowers", p.subjects), kpi("Live tradelines", p.live_tradelines),
        kpi("Serious delinquency", `${p.serious_delinquency} (${p.live_tradelines ? Math.round((100 * p.serious_delinquency) / p.live_tradelines) : 0} %)`)),
      h("div", { class: "grid2" },
        h("div", { class: "card", id: "own-dpd-chart", "data-total": String(p.days_past_due.reduce((a, b) => a + b, 0)) }, h("h3", {}, "Tradelines by days past due"), svgBox(dpd)),
        h("div", { class: "card", id: "own-status-chart" }, h("h3", {}, "Tradelines by Metro 2 status"), svgBox(status))));
  } catch (e) {
    figures.append(errorBox(e as { code: string; message: string }));
  }
  try {
    const mine = me.members.find((m) => m.name === me.via)?.party;
    const open = (await api.ownQueries()).filter((q) => q.responder === mine && q.holds === null);
    queue.append(h("h3", {}, `Queue · ${open.length} open`),
      h("p", { class: "muted" }, `Questions waiting for ${me.via}'s answer; ${me.via}'s node answers them with a proof (the member's key signs answers, not yours).`),
      open.length === 0 ? h("p", { class: "ok" }, "Nothing is waiting.") : h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Asked"), h("th", {}, "By"), h("th", {}, "About"), h("th", {}, "Question"))),
        h("tbody", {}, ...open.slice(0, 50).map((q) => h("tr", { "data-query-id": q.query_id },
          h("td", {}, formatTime(q.asked_at)), h("td", {}, me.members.find((m) => m.party === q.requester)?.name ?? shortId(q.requester)),
          h("td", { class: "mono" }, shortId(q.subject)), h("td", {}, `${predicateText(q.predicate)} for ${q.purpose}`))))));
  } catch (e) {
    queue.append(errorBox(e as { code: string; message: string }));
  }
  try {
    const list = await api.ownRecords(50);
    if (list.length === 0) box.append(h("p", { class: "muted" }, "No record is readable by your member yet."));
    box.append(h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Record"), h("th", {}, "Borrower"), h("th", {}, "From"), h("th", {}, "What"), h("th", {}, "Status"))),
      h("tbody", {}, ...list.map((r) => {
        const p = r.payload;
        const what = p.kind === "income" ? `income ${formatCents(p.monthly_income)} a month` : `${p.account_type} · ${statusText(p.account_status)} · balance ${formatCents(p.balance)}`;
        return h("tr", { "data-record-id": r.record.record_id, "data-kind": r.record.kind, "data-status": r.problem ? "problem" : r.record.status }, h("td", { class: "mono" }, shortId(r.record.record_id)), h("td", { class: "mono" }, shortId(r.record.subject)),
          h("td", {}, r.record.furnisher_name), h("td", {}, what), h("td", { class: r.problem ? "warn" : "" }, r.problem ?? r.record.status));
      }))));
  } catch (e) {
    box.append(errorBox(e as { code: string; message: string }));
  }
}

async function questions(main: HTMLElement, me: OwnInfo): Promise<void> {
  const box = h("div", { class: "card", id: "own-queries" });
  main.append(box);
  main.addEventListener("own-asked", () => void fill(box, me));
  await fill(box, me);
}

async function fill(box: HTMLElement, me: OwnInfo): Promise<void> {
  let list: OwnQuery[];
  try {
    list = await api.ownQueries();
  } catch (e) {
    clear(box, h("h3", {}, "Questions asked in the consortium"), errorBox(e as { code: string; message: string }));
    return;
  }
  const name = (party: string) => me.members.find((m) => m.party === party)?.name ?? shortId(party);
  clear(box, h("h3", {}, "Questions asked in the consortium"), h("table", { class: "table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Asked"), h("th", {}, "By"), h("th", {}, "About"), h("th", {}, "Question"), h("th", {}, "Answer"))),
    h("tbody", {}, ...list.slice(0, 200).map((q) => h("tr", { "data-query-id": q.query_id },
      h("td", {}, formatTime(q.asked_at)),
      h("td", {}, q.operator ? `${name(q.requester)} (operator ${shortId(q.operator)})` : name(q.requester)),
      h("td", { class: "mono" }, shortId(q.subject)),
      h("td", {}, `${predicateText(q.predicate)} for ${q.purpose}`),
      h("td", { class: q.holds === null ? "muted" : q.holds ? "ok" : "warn" }, q.holds === null ? "open" : q.holds ? "holds" : "does not hold"))))));
}
