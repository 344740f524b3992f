// Regulator: membership (epoch, members and roles, admission and removal
// votes), per-member activity over time, risk alarms, and the audit trail
// with filters.
import { api, type AuditEvent, type Incident, type Member, type Membership, type Proposal, type SessionInfo } from "../api";
import { lineChart, timeline } from "../charts";
import { act, clear, field, h, select, svgBox } from "../dom";
import { countKinds, formatTime, predicateText, proposalEffect, PURPOSES, shortId, voteCommand, voteProgress } from "../logic";
import { alarmList } from "./analyst";

export const AUDIT_KINDS = [
  { value: "query-asked", label: "Query asked" },
  { value: "query-answered", label: "Query answered" },
  { value: "consent-granted", label: "Consent granted" },
  { value: "consent-revoked", label: "Consent revoked" },
  { value: "dispute-opened", label: "Dispute opened" },
  { value: "dispute-resolved", label: "Dispute resolved" },
  { value: "entry-refused", label: "Refused by the rules" },
];

/** Bucket labels for the activity chart. */
export function bucketLabels(from: number, width: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => formatTime(from + i * width).slice(11, 19));
}

/** One proposal: what changes, where it stands, and its votes against the 2/3 threshold. */
function proposalRow(p: Proposal, epoch: number): HTMLElement {
  const prog = voteProgress(p);
  const fill = h("div", { class: "votebar-fill" });
  fill.style.width = `${Math.round(prog.fraction * 100)}%`;
  const bar = h("div", {
    class: `votebar${prog.reached ? " reached" : ""}`, role: "progressbar",
    "aria-valuemin": 0, "aria-valuemax": p.needed, "aria-valuenow": Math.min(p.approvals, p.needed),
    "aria-label": `approvals: ${prog.text}`,
  }, fill);
  const voters = p.votes.length
    ? h("ul", { class: "voters", "aria-label": "votes" }, ...p.votes.map((v) =>
      h("li", { class: v.approve ? "yes" : "no", title: v.approve ? "approves" : "rejects" }, `${v.approve ? "✓" : "✗"} ${v.voter}`)))
    : h("div", { class: "hint" }, "no votes yet");
  return h("tr", { "data-proposal-id": p.proposal_id, "data-status": p.status },
    h("td", {},
      h("div", { class: "change" }, p.change),
      h("div", { class: "hint" }, `by ${p.proposer} at block ${p.height} · `, h("span", { class: "mono", title: p.proposal_id }, shortId(p.proposal_id))),
      p.status === "open"
        ? h("details", { class: "vote-cmd" }, h("summary", {}, "How members vote"), h("code", { class: "mono" }, voteCommand(p.proposal_id)))
        : null),
    h("td", {},
      h("span", { class: `tag ${p.status}` }, p.status),
      h("div", { class: "hint effect" }, proposalEffect(p, epoch))),
    h("td", { class: "votes" },
      h("div", { class: "vote-text" }, prog.text),
      bar,
      h("div", { class: "hint" }, prog.detail),
      voters));
}

/** The Membership panel: the current epoch, the members and their roles, and the proposals. */
export function membershipPanel(m: Membership, members: Member[]): HTMLElement {
  const memberTable = h("table", { class: "table", id: "reg-members" },
    h("thead", {}, h("tr", {}, h("th", {}, "Member"), h("th", {}, "Role"), h("th", {}, "Party"))),
    h("tbody", {}, ...members.map((x) => h("tr", {}, h("td", {}, x.name), h("td", {}, x.role), h("td", { class: "mono", title: x.party }, shortId(x.party))))));
  const proposals = m.proposals.length
    ? h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": "Membership proposals" },
      h("table", { class: "table", id: "reg-proposals" },
        h("thead", {}, h("tr", {}, h("th", {}, "Change"), h("th", {}, "Status"), h("th", {}, "Approvals (2/3 of members)"))),
        h("tbody", {}, ...m.proposals.map((p) => proposalRow(p, m.epoch)))))
    : h("div", { class: "empty", id: "reg-proposals-empty" },
      h("p", {}, "No admission or removal proposals yet."),
      h("p", {}, "A member proposes from its node: ", h("code", {}, "credence node propose --home DIR --admit join.json"),
        " (the candidate signs join.json with ", h("code", {}, "credence node join-request"), ") or ", h("code", {}, "--remove NAME"), "."),
      h("p", {}, "Members vote with ", h("code", {}, "credence node vote --home DIR --proposal ID"), " (add ", h("code", {}, "--reject"),
        " to vote against). At 2/3 of the members in force the change takes effect at the next epoch; more than 1/3 against refuses it."));
  return h("div", { class: "card", id: "reg-membership" },
    h("h3", {}, "Membership"),
    h("p", { class: "epoch-line" }, "Current epoch ", h("strong", { id: "reg-epoch" }, String(m.epoch)), ` · ${members.length} member${members.length === 1 ? "" : "s"} in force`),
    h("h4", {}, "Members and roles"),
    memberTable,
    h("h4", {}, "Admission and removal votes"),
    proposals);
}

/** Keys declared compromised, and how many records each leaves readable only by the leaked key. */
export function incidentsPanel(incidents: Incident[]): HTMLElement {
  const body = incidents.length
    ? h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": "Key incidents" },
      h("table", { class: "table", id: "reg-incidents" },
        h("thead", {}, h("tr", {}, h("th", {}, "Whose key"), h("th", {}, "Leaked since"), h("th", {}, "Declared"), h("th", {}, "Signed since"), h("th", {}, "Records re-sealed"), h("th", {}, "Readable only by the leaked key"))),
        h("tbody", {}, ...incidents.map((i) => h("tr", { "data-party": i.party, "data-remaining": String(i.remaining), "data-records": String(i.records) },
          h("td", { class: "mono", title: i.party }, i.subject_label ?? shortId(i.party)),
          h("td", {}, formatTime(i.since)),
          h("td", {}, `${formatTime(i.declared_at)} (block ${i.height})`),
          h("td", {}, i.suspect_entries.length ? `${countKinds(i.suspect_entries)}; ${i.revoked_consents} consent${i.revoked_consents === 1 ? "" : "s"} revoked` : "nothing"),
          h("td", {}, `${i.resealed} of ${i.records}${i.erased ? ` (${i.erased} erased)` : ""}`),
          h("td", { class: i.remaining ? "bad" : "good" }, h("strong", {}, String(i.remaining))))))))
    : h("div", { class: "empty", id: "reg-incidents-empty" },
      h("p", {}, "No key has been declared compromised."),
      h("p", {}, "A borrower whose key leaked presses \u201cMy key leaked\u201d in her app (or runs ", h("code", {}, "credence key incident --since DATE"),
        "): a new key, the consents granted since revoked, and every record re-sealed to the new key. Each incident shows here with the count of records still readable only by the leaked key."));
  return h("div", { class: "card", id: "reg-incident-card" }, h("h3", {}, "Key incidents"), body);
}

export async function regulatorView(body: HTMLElement, _s: SessionInfo): Promise<void> {
  const home = await api.regulatorHome(24);
  const act_ = home.activity;
  const series = act_.series.map((x) => ({ name: `${x.member} ${x.what}`, values: x.counts }));
  const chart = lineChart(`Activity per member, ${act_.buckets} buckets of ${act_.width} s`, series, bucketLabels(act_.from, act_.width, act_.buckets), { width: 760, height: 250 });

  // Audit filters.
  const fMember = select([{ value: "", label: "any member" }, ...home.members.map((m) => ({ value: m.party, label: m.name }))], { id: "audit-member" });
  const fSubject = h("input", { id: "audit-subject", placeholder: "borrower label or pseudonym", autocomplete: "off", spellcheck: "false" });
  const fKind = select([{ value: "", label: "every kind" }, ...AUDIT_KINDS], { id: "audit-kind" });
  const fPurpose = select([{ value: "", label: "any purpose" }, ...PURPOSES], { id: "audit-purpose" });
  const go = h("button", { id: "audit-apply", type: "submit", class: "primary" }, "Apply");
  const out = h("div", { class: "out" });
  const trail = h("div", { id: "audit-trail" });
  const form = h("form", { class: "toolbar", id: "audit-form" }, field("Member", fMember), field("Borrower", fSubject), field("Event", fKind), field("Purpose", fPurpose), go);
  async function load() {
    const r = await act(go, out, () => api.regulatorAudit({
      member: fMember.value || undefined, subject: fSubject.value.trim() || undefined,
      kinds: fKind.value ? [fKind.value] : undefined, purpose: fPurpose.value || undefined, limit: 300,
    }), "Loading…");
    if (r) renderTrail(r.events, r.total);
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });

  function renderTrail(events: AuditEvent[], total: number) {
    const tl = events.length > 0 && events.length <= 300
      ? svgBox(timeline("Timeline of the events shown", events.map((e) => ({ at: e.at, lane: e.actor && e.actor === e.subject ? (e.subject_label ?? "borrower") : e.actor_name || "rules", label: `${formatTime(e.at)} ${e.kind}: ${e.detail}`, tone: e.kind }))), "chart-box timeline")
      : h("span", {});
    clear(trail,
      h("p", { class: "muted", id: "audit-count" }, `${total} events${total > events.length ? `, newest ${events.length} shown` : ""}`),
      tl,
      h("table", { class: "table", id: "audit-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Event"), h("th", {}, "Who"), h("th", {}, "About"), h("th", {}, "Purpose · consent"), h("th", {}, "What"))),
        h("tbody", {}, ...events.map((e) => h("tr", { "data-kind": e.kind, "data-query-id": e.query_id ?? "", "data-consent-id": e.consent_id ?? "" },
          h("td", {}, formatTime(e.at)),
          h("td", {}, h("span", { class: `tag ${e.kind}` }, e.kind)),
          h("td", {}, e.actor_name || "—"),
          h("td", { class: "mono", title: e.subject ?? "" }, e.subject_label ?? (e.subject ? shortId(e.subject) : "—")),
          h("td", {}, e.purpose ? `${e.purpose} · ${shortId(e.consent_id)}` : "—"),
          h("td", {}, e.predicate ? `${predicateText(e.predicate)}${e.holds === null ? "" : e.holds ? " → holds" : " → does not hold"}` : e.detail))))));
  }

  const c = home.counts;
  clear(body,
    h("h1", {}, "Regulator"),
    h("div", { class: "kpis" },
      ...[["Blocks", c.blocks], ["Borrowers", c.subjects], ["Records", c.records], ["Consents", c.consents], ["Revoked", c.revoked_consents], ["Queries", c.queries], ["Answers", c.answers], ["Disputes", c.disputes]]
        .map(([l, v]) => h("div", { class: "kpi" }, h("div", { class: "kpi-v" }, String(v)), h("div", { class: "kpi-l" }, String(l))))),
    h("div", { class: "grid2 wide-left" },
      h("div", {},
        h("div", { class: "card", id: "reg-activity" }, h("h3", {}, "Per-member activity over time"), svgBox(chart)),
        h("div", { class: "card" }, h("h3", {}, "Audit trail — who asked what about whom, under which consent, when"), form, out, trail)),
      h("div", {},
        h("div", { class: "card" }, h("h3", {}, "Risk alarms"), alarmList(home.alarms, "reg-alarms")),
        incidentsPanel(home.incidents),
        membershipPanel(home.membership, home.members))),
  );
  await load();
}
