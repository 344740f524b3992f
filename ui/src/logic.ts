// View logic with no DOM and no Tauri: parsing forms, formatting, advice for
// error codes. Unit-tested in test/logic.test.ts.

import { PREDICATE_KINDS, type PredicateDto, type PredicateKind, type PredicateParam } from "./generated/predicates";
export { PREDICATE_KINDS, type PredicateDto, type PredicateKind };

/** An error as the Rust side sends it: a stable code and a sentence. */
export interface UiError {
  code: string;
  message: string;
}

export function asUiError(e: unknown): UiError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const o = e as { code: unknown; message: unknown };
    return { code: String(o.code), message: String(o.message) };
  }
  return { code: "internal", message: String(e) };
}

/** What the person should do next, by error code. */
export function adviceFor(code: string): string {
  switch (code) {
    case "wrong-passphrase":
      return "Check the passphrase (the demo's is credence-demo) and try again. Nothing was changed.";
    case "no-consent":
    case "no-live-consent":
    case "predicate-not-allowed":
      return "The borrower has not given you a live consent that covers this question. Ask them to grant one; nothing was sent to the ledger.";
    case "frozen":
      return "The borrower froze their file: no question about them is accepted until they lift the freeze. Nothing was sent to the ledger.";
    case "not-found":
      return "Check the folder or id; it does not exist here.";
    case "invalid-input":
      return "Correct the highlighted value and try again.";
    case "not-permitted":
      return "This key is not allowed to do that.";
    case "proof-failed":
    case "bad-proof":
      return "Do not rely on this answer: its proof does not verify against your ledger.";
    case "no-session":
      return "Start or open the demo consortium first.";
    case "busy":
      return "Wait for the consortium to finish starting.";
    case "storage":
    case "io":
      return "Check that the folder exists and is writable.";
    case "not-a-member":
      return "The node does not know your key. A borrower is enrolled by their lender; a member's staff is registered by their member. Or check that you opened the right consortium.";
    case "overloaded":
      return "The node is busy. Wait a moment and try again.";
    case "erased":
      return "The record's content was erased (its retention ended, or a lawful request was approved). Nobody can open it, and no answer uses it.";
    case "retained":
      return "The record is still within the consortium's retention period. Only a lawful request the regulator approves erases it sooner.";
    case "wrong-node":
      return "Nothing was sent: the node at that address is not the consortium member your profile names. Check the profile and the address.";
    case "replayed":
    case "unauthenticated":
      return "Check this computer's clock, then try again.";
    case "timeout":
      return "It may still complete: look again in a moment before asking a second time.";
    case "unreachable":
      return "The consortium's member nodes did not answer, so nothing was opened and nothing in the folder was changed. Start the consortium (as the message says), then press Unlock and open again.";
    default:
      return "Try again; if it happens again, report it with this code.";
  }
}

/** What the analyst's auto-responder switch means in this session. */
export function responderNote(nodeAnswers: boolean): string {
  return nodeAnswers
    ? "The agency's node answers new queries itself (credence node run --auto-answer); this app does not answer them too."
    : "Answer new queries automatically (demo responder)";
}

/** A line for the header: where the open consortium lives. */
export function sessionMode(connected: boolean): string {
  return connected ? "connected to running nodes" : "local (in this app)";
}

/** "12,345.67" from cents. */
export function formatCents(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return "—";
  const neg = cents < 0;
  const v = Math.abs(Math.round(cents));
  const whole = Math.floor(v / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = (v % 100).toString().padStart(2, "0");
  return `${neg ? "-" : ""}${whole}.${frac}`;
}

/** Cents from "1,234.5" / "1234" / "1234.56"; null when not a non-negative amount. */
export function parseAmount(text: string): number | null {
  const t = text.trim().replace(/[,\s_]/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  const [w, f = ""] = t.split(".");
  const cents = Number(w) * 100 + Number((f + "00").slice(0, 2));
  return Number.isSafeInteger(cents) ? cents : null;
}

export function parseWhole(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

export interface QuestionForm {
  kind: PredicateKind;
  a: string; // the first parameter, as typed
  b: string; // the second (an interval's upper bound)
  target: string; // record id for a balance question
}

function paramError(p: PredicateParam): string {
  switch (p.unit) {
    case "score":
      return `${p.label.replace(/ \(.*\)$/, "")} is a whole number from ${p.min} to ${p.max}.`;
    case "cents":
      return p.min > 0 ? `Give the ${p.label.toLowerCase()} as a positive amount, e.g. ${p.default}.` : `Give the ${p.label.toLowerCase()} as an amount, e.g. ${p.default}.`;
    case "percent":
      return `The ${p.label.replace(/^Maximum /, "").replace(/ \(%\)$/, "")} is a whole percentage from ${p.min} to ${p.max}, e.g. ${p.default}.`;
  }
}

/** The form as a question for the Rust side, or the field error to show. */
export function buildPredicate(f: QuestionForm): { ok: PredicateDto; target: string | null } | { error: string; field: "a" | "b" | "target" } {
  const spec = PREDICATE_KINDS.find((k) => k.kind === f.kind);
  if (!spec) return { error: "Choose a question.", field: "a" };
  const fields = ["a", "b"] as const;
  const params: number[] = [];
  for (const [i, p] of spec.params.entries()) {
    const raw = f[fields[i]];
    const v = p.unit === "cents" ? parseAmount(raw) : parseWhole(raw, p.min, p.max);
    if (v === null || v < p.min || v > p.max) return { error: paramError(p), field: fields[i] };
    params.push(v);
  }
  if (spec.params.length === 2 && params[0] > params[1]) return { error: "The lower bound must not exceed the upper bound.", field: "b" };
  if (spec.target && !/^[0-9a-f]{64}$/.test(f.target)) return { error: "Choose the account (tradeline) the question is about.", field: "target" };
  return { ok: { kind: f.kind, params }, target: spec.target ? f.target : null };
}

/** What the fields of a question kind mean, for the form's labels, and what they start with. */
export function fieldsFor(kind: PredicateKind): { a?: string; b?: string; target?: boolean; defaults: [string, string] } {
  const spec = PREDICATE_KINDS.find((k) => k.kind === kind);
  const [p, q] = spec?.params ?? [];
  return { a: p?.label, b: q?.label, target: spec?.target, defaults: [p?.default ?? "", q?.default ?? ""] };
}

/** How an answer reads to the officer; "pending" is never shown as an answer. */
export function answerText(a: { status: string; holds: boolean | null; verified: boolean }): { headline: string; tone: "yes" | "no" | "wait" | "bad" } {
  if (a.status !== "answered" || a.holds === null) return { headline: "Waiting for the agency's answer", tone: "wait" };
  if (!a.verified) return { headline: "Answer NOT verified — do not rely on it", tone: "bad" };
  return a.holds ? { headline: "Yes — the condition holds", tone: "yes" } : { headline: "No — the condition does not hold", tone: "no" };
}

/** The ledger's predicate text ("score >= 650", "total_debt < 500000") for people. */
/** How people read a question given in its text syntax ("total_debt < 500000" →
 * "total debt < 5,000.00"), from each kind's generated `syntax` and `reads`. */
export function predicateText(p: string): string {
  for (const k of PREDICATE_KINDS) {
    const names: string[] = [];
    const pattern = k.syntax
      .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
      .replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "(\\d+)";
      });
    const m = p.match(new RegExp(`^${pattern}$`));
    if (!m) continue;
    return names.reduce((text, name, i) => {
      const unit = k.params.find((q) => q.name === name)?.unit;
      const v = unit === "cents" ? formatCents(Number(m[i + 1])) : m[i + 1];
      return text.replace(`{${name}}`, v);
    }, k.reads);
  }
  return p;
}

export function formatTime(unix: number | null | undefined): string {
  if (!unix) return "—";
  const d = new Date(unix * 1000);
  const pad = (n: number) => n.toString().padStart(2, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

export function shortId(hex: string | null | undefined): string {
  return hex ? hex.slice(0, 12) : "—";
}

export const PURPOSES: { value: string; label: string }[] = [
  { value: "credit-application", label: "Credit application" },
  { value: "account-review", label: "Account review" },
  { value: "collection", label: "Collection" },
  { value: "employment", label: "Employment (explicit consent)" },
  { value: "insurance-underwriting", label: "Insurance underwriting" },
  { value: "consumer-request", label: "My own request" },
  { value: "court-order-or-regulator", label: "Court order or regulator" },
];

export const DISPUTE_REASONS: { value: string; label: string }[] = [
  { value: "not-mine", label: "Not my account" },
  { value: "wrong-balance", label: "Wrong balance" },
  { value: "wrong-status", label: "Wrong status" },
  { value: "already-paid", label: "Already paid" },
  { value: "other", label: "Other" },
];

/** The consent form, checked before anything is signed. */
export function buildConsent(f: { grantee: string; purpose: string; kinds: string[]; days: string; explicit: boolean }): { ok: { grantee: string; purpose: string; kinds: string[]; expiresInDays: number; explicit: boolean } } | { error: string } {
  if (!/^[0-9a-f]{64}$/.test(f.grantee)) return { error: "Choose who receives the consent." };
  if (!PURPOSES.some((p) => p.value === f.purpose)) return { error: "Choose a purpose." };
  const days = parseWhole(f.days, 1, 3650);
  if (days === null) return { error: "The consent lasts from 1 to 3650 days." };
  if (f.kinds.length === 0) return { error: "Allow at least one question, or any question." };
  if (f.purpose === "employment" && !f.explicit) return { error: "An employment consent must be given explicitly: tick the box." };
  const kinds = f.kinds.includes("any") ? ["any"] : f.kinds;
  return { ok: { grantee: f.grantee, purpose: f.purpose, kinds, expiresInDays: days, explicit: f.explicit } };
}

/** Metro 2 account status codes, for people. */
export function statusText(code: string | null | undefined): string {
  const t: Record<string, string> = {
    "11": "current",
    "13": "paid or closed",
    "71": "30–59 days past due",
    "78": "60–89 days past due",
    "80": "90–119 days past due",
    "82": "120–149 days past due",
    "83": "150–179 days past due",
    "84": "180+ days past due",
    "93": "in collection",
    "97": "charged off",
    "05": "transferred",
  };
  return code ? `${code} ${t[code] ?? ""}`.trim() : "—";
}

/** The 24-month payment profile as cells, newest first, with a tone each. */
export function paymentCells(history: string | null | undefined): { ch: string; tone: "ok" | "late" | "bad" | "none" }[] {
  return Array.from(history ?? "").map((ch) => {
    if (ch === "0") return { ch, tone: "ok" as const };
    if (ch === "1" || ch === "2") return { ch, tone: "late" as const };
    if ("3456L".includes(ch)) return { ch, tone: "bad" as const };
    return { ch, tone: "none" as const };
  });
}

/** Progress of the demo's stages as one fraction (stages weighted by their usual cost). */
export const DEMO_STAGES = ["members", "enrol", "consent", "furnish", "score", "ask", "answer", "verify answers"];
export function demoFraction(stage: string, done: number, total: number): number {
  const weights = [1, 1, 1, 10, 3, 1, 6, 2];
  const i = DEMO_STAGES.indexOf(stage);
  if (i < 0) return 1;
  const sum = weights.reduce((a, b) => a + b, 0);
  const before = weights.slice(0, i).reduce((a, b) => a + b, 0);
  const part = total > 0 ? Math.min(1, done / total) : 1;
  return (before + weights[i] * part) / sum;
}

/** Approvals a membership change needs: 2/3 of the members in force, rounded up (the rules' 3·yes ≥ 2·n). */
export function approvalsNeeded(electorate: number): number {
  const n = Math.max(0, Math.floor(electorate));
  return Math.floor((2 * n + 2) / 3);
}

/** Rejections that refuse a membership change: more than 1/3 of the members in force. */
export function rejectionsRefusing(electorate: number): number {
  return Math.floor(Math.max(0, electorate) / 3) + 1;
}

export interface VoteTally { status: string; approvals: number; rejections: number; electorate: number }

/** A proposal's votes against the 2/3 threshold: "2 of 3 needed", a bar fraction, and the rest in words. */
export function voteProgress(t: VoteTally): { text: string; detail: string; fraction: number; reached: boolean } {
  const needed = approvalsNeeded(t.electorate);
  const reached = t.approvals >= needed;
  const fraction = needed > 0 ? Math.min(1, t.approvals / needed) : 1;
  const against = `${t.rejections} against (${rejectionsRefusing(t.electorate)} refuse)`;
  return {
    text: `${t.approvals} of ${needed} needed`,
    detail: `${against} · ${t.electorate} member${t.electorate === 1 ? "" : "s"} in force`,
    fraction,
    reached,
  };
}

/** Where a membership proposal stands, in words (the epoch is the current one). */
export function proposalEffect(p: VoteTally & { effective_epoch: number | null }, epoch: number): string {
  if (p.status === "approved") {
    if (p.effective_epoch === null) return "approved";
    return p.effective_epoch > epoch ? `takes effect at epoch ${p.effective_epoch}` : `in effect since epoch ${p.effective_epoch}`;
  }
  if (p.status === "refused") return "refused: nothing changes";
  if (p.status === "open") {
    const more = Math.max(0, approvalsNeeded(p.electorate) - p.approvals);
    return more > 0 ? `waiting for ${more} more approval${more === 1 ? "" : "s"}` : "enough approvals: decided when the next vote lands";
  }
  return p.status;
}

/** The CLI line a member runs to vote on a proposal. */
export function voteCommand(proposalId: string): string {
  return `credence node vote --home DIR --proposal ${proposalId} [--reject]`;
}

/** The unix time a leak is declared from: a date (its UTC midnight) that is not in the future. */
export function parseLeakDate(text: string, nowUnix: number): { ok: number } | { error: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return { error: "Give the date the key may have leaked, as YYYY-MM-DD." };
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000;
  const back = new Date(t * 1000);
  if (Number.isNaN(t) || back.getUTCFullYear() !== Number(m[1]) || back.getUTCMonth() + 1 !== Number(m[2]) || back.getUTCDate() !== Number(m[3])) return { error: `${text.trim()} is not a date.` };
  if (t > nowUnix) return { error: "The leak date is in the future: give the day it may have leaked, today or earlier." };
  return { ok: t };
}

/** A list of kinds as counts, in first-seen order: "consent-granted ×3, file-frozen". */
export function countKinds(kinds: string[]): string {
  const n = new Map<string, number>();
  for (const k of kinds) n.set(k, (n.get(k) ?? 0) + 1);
  return [...n].map(([k, c]) => (c > 1 ? `${k} ×${c}` : k)).join(", ");
}
