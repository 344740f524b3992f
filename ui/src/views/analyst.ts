// Agency analyst: portfolio plots, alarms, the query queue, records sealed to
// the agency (opened one at a time, in memory, on demand).
import { api, type Alarm, type Payload, type Portfolio, type SessionInfo } from "../api";
import { barChart } from "../charts";
import { act, clear, errorBox, h, notice, svgBox } from "../dom";
import { formatCents, formatTime, paymentCells, predicateText, responderNote, shortId, statusText, type UiError } from "../logic";

export function alarmList(alarms: Alarm[], id: string): HTMLElement {
  if (alarms.length === 0) return h("p", { class: "ok", id }, "No alarms.");
  return h("ul", { class: "alarms", id }, ...alarms.map((a) =>
    h("li", { class: `alarm ${a.severity}`, "data-code": a.code }, h("strong", {}, `${a.severity.toUpperCase()} · ${a.title}`), h("div", { class: "muted" }, a.detail))));
}

export async function analystView(body: HTMLElement, _s: SessionInfo): Promise<void> {
  const home = await api.analystHome();
  const p = home.portfolio;
  const out = h("div", { class: "out" });

  const auto = h("input", { type: "checkbox", id: "auto-respond", checked: home.auto_respond, disabled: home.node_answers });
  auto.addEventListener("change", async () => {
    try {
      await api.setAutoRespond(auto.checked);
    } catch (e) {
      clear(out, errorBox(e as UiError));
    }
  });
  const answerAll = h("button", { id: "answer-all", type: "button" }, `Answer all ${home.queue.length} open queries`);
  answerAll.disabled = home.queue.length === 0;
  answerAll.addEventListener("click", async () => {
    const r = await act(answerAll, out, () => api.analystAnswer(null), "Proving…");
    if (r) {
      clear(body);
      await analystView(body, _s);
      body.querySelector(".out")?.replaceChildren(notice(`Answered ${r.answered} queries in ${r.elapsed_ms} ms${r.refused.length ? `; ${r.refused.length} refused: ${r.refused.map((x) => x[1]).join("; ")}` : ""}.`, "answered"));
    }
  });

  const scores = barChart("Score distribution (latest score per borrower)", p.score_histogram.map(([lo, n]) => ({ label: `${lo}`, value: n, tone: lo < 550 ? "bad" : lo < 650 ? "mid" : "good" })), { width: 560, height: 230 });
  const { dpd, status } = tradelineCharts(p);

  const queue = h("table", { class: "table", id: "analyst-queue" },
    h("thead", {}, h("tr", {}, h("th", {}, "Asked"), h("th", {}, "By"), h("th", {}, "Borrower"), h("th", {}, "Question"), h("th", {}, ""))),
    h("tbody", {}, ...home.queue.slice(0, 50).map((q) => {
      const b = h("button", { class: "small" }, "Answer with proof");
      b.addEventListener("click", async () => {
        const r = await act(b, out, () => api.analystAnswer(q.query_id), "Proving…");
        if (r) {
          b.replaceWith(h("span", { class: "ok" }, `answered (${r.elapsed_ms} ms)`));
        }
      });
      return h("tr", {}, h("td", {}, formatTime(q.asked_at)), h("td", {}, q.requester_name), h("td", { class: "mono" }, shortId(q.subject)), h("td", {}, predicateText(q.predicate)), h("td", {}, b));
    })),
  );

  const records = h("div", { id: "analyst-records" });
  const detail = h("div", { id: "record-detail", class: "card" }, h("p", { class: "muted" }, "Choose a record to open it (decrypted in memory, never stored)."));
  let offset = 0;
  const pageSize = 12;
  async function page() {
    try {
      const [rows, total] = await api.analystRecords(offset, pageSize);
      const prev = h("button", { class: "small", disabled: offset === 0 }, "◀ Previous");
      const next = h("button", { class: "small", disabled: offset + pageSize >= total }, "Next ▶");
      prev.addEventListener("click", () => { offset = Math.max(0, offset - pageSize); page(); });
      next.addEventListener("click", () => { offset += pageSize; page(); });
      clear(records,
        h("table", { class: "table" },
          h("thead", {}, h("tr", {}, h("th", {}, "Record"), h("th", {}, "Kind"), h("th", {}, "Furnisher"), h("th", {}, "Borrower"), h("th", {}, "Status"), h("th", {}, ""))),
          h("tbody", {}, ...rows.map((r) => {
            const b = h("button", { class: "small" }, "Open");
            b.addEventListener("click", async () => {
              const pl = await act(b, detail, () => api.analystOpen(r.record_id), "Opening…");
              if (pl) clear(detail, payloadView(pl, r.record_id));
            });
            return h("tr", {}, h("td", { class: "mono" }, shortId(r.record_id)), h("td", {}, r.kind), h("td", {}, r.furnisher_name), h("td", { class: "mono" }, shortId(r.subject)), h("td", {}, r.compliance ? `${r.status} (${r.compliance})` : r.status), h("td", {}, b));
          }))),
        h("div", { class: "row" }, prev, h("span", { class: "muted" }, `${offset + 1}–${Math.min(total, offset + pageSize)} of ${total}`), next));
    } catch (e) {
      clear(records, errorBox(e as UiError));
    }
  }

  clear(body,
    h("h1", {}, `Agency analyst · ${home.agency}`),
    out,
    h("div", { class: "kpis", id: "analyst-kpis" },
      kpi("Borrowers", p.subjects), kpi("Scored", p.scored_subjects), kpi("Mean score", p.mean_score ?? "—"),
      kpi("Live tradelines", p.live_tradelines), kpi("Serious delinquency", `${p.serious_delinquency} (${p.live_tradelines ? Math.round((100 * p.serious_delinquency) / p.live_tradelines) : 0} %)`),
      kpi("Records sealed to you", home.records_total)),
    h("div", { class: "grid3" },
      h("div", { class: "card", id: "score-chart" }, h("h3", {}, "Score distribution (latest per borrower)"), svgBox(scores)),
      h("div", { class: "card", id: "dpd-chart" }, h("h3", {}, "Tradelines by days past due"), svgBox(dpd)),
      h("div", { class: "card", id: "status-chart" }, h("h3", {}, "Tradelines by Metro 2 status"), svgBox(status))),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h3", {}, "Alarms"), alarmList(home.alarms, "analyst-alarms")),
      h("div", { class: "card" }, h("h3", {}, `Queue · ${home.queue.length} open`),
        h("label", { class: "check", id: "auto-respond-label", "data-node-answers": String(home.node_answers) }, auto, ` ${responderNote(home.node_answers)}`),
        answerAll, queue)),
    h("div", { class: "grid2" }, h("div", { class: "card" }, h("h3", {}, "Records sealed to the agency"), records), detail),
  );
  await page();
}

/** The two tradeline charts of a portfolio: days past due, and Metro 2 status. */
export function tradelineCharts(p: Portfolio): { dpd: string; status: string } {
  return {
    dpd: barChart("Live tradelines by days past due", ["current", "1–29", "30–59", "60–89", "90+"].map((l, i) => ({ label: l, value: p.days_past_due[i], tone: i === 0 ? "good" : i < 3 ? "mid" : "bad" })), { width: 420, height: 230 }),
    status: barChart("Live tradelines by Metro 2 status", p.status_counts.map(([c, n]) => ({ label: c, value: n, tone: c === "11" || c === "13" ? "good" : "bad" })), { width: 420, height: 230 }),
  };
}

export function kpi(label: string, value: string | number): HTMLElement {
  return h("div", { class: "kpi" }, h("div", { class: "kpi-v" }, String(value)), h("div", { class: "kpi-l" }, label));
}

export function payloadView(p: Payload, id: string): HTMLElement {
  if (p.kind === "income") {
    return h("div", {}, h("h3", {}, `Income record ${shortId(id)}`), h("dl", {}, h("dt", {}, "Monthly income"), h("dd", {}, formatCents(p.monthly_income)), h("dt", {}, "Source"), h("dd", {}, p.source ?? "—")));
  }
  const cells = paymentCells(p.payment_history);
  return h("div", {},
    h("h3", {}, `Tradeline ${shortId(id)}`),
    h("dl", { class: "cols" },
      h("dt", {}, "Account"), h("dd", {}, p.account_type ?? "—"),
      h("dt", {}, "Status"), h("dd", {}, statusText(p.account_status)),
      h("dt", {}, "Opened"), h("dd", {}, p.date_opened ?? "—"),
      h("dt", {}, "Balance"), h("dd", {}, formatCents(p.balance)),
      h("dt", {}, "Credit limit"), h("dd", {}, formatCents(p.credit_limit)),
      h("dt", {}, "Past due"), h("dd", {}, formatCents(p.past_due)),
      h("dt", {}, "Scheduled payment"), h("dd", {}, formatCents(p.scheduled_payment)),
      h("dt", {}, "Days past due"), h("dd", {}, String(p.days_past_due ?? "—")),
      ...(p.attributes.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))),
    h("div", { class: "history", "aria-label": "24-month payment history, newest first" }, ...cells.map((c) => h("span", { class: `cell ${c.tone}`, title: c.ch }, c.ch))));
}
