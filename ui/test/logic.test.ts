import { describe, expect, it } from "vitest";
import { adviceFor, answerText, asUiError, buildConsent, buildPredicate, countKinds, demoFraction, formatCents, formatTime, parseAmount, parseLeakDate, parseWhole, paymentCells, predicateText, responderNote, sessionMode, statusText } from "../src/logic";

describe("amounts", () => {
  it("formats cents with separators", () => {
    expect(formatCents(0)).toBe("0.00");
    expect(formatCents(123456789)).toBe("1,234,567.89");
    expect(formatCents(5)).toBe("0.05");
    expect(formatCents(null)).toBe("—");
  });
  it("parses amounts into cents and refuses the rest", () => {
    expect(parseAmount("5,000.00")).toBe(500000);
    expect(parseAmount("40000")).toBe(4000000);
    expect(parseAmount("12.5")).toBe(1250);
    expect(parseAmount("-3")).toBeNull();
    expect(parseAmount("1.234")).toBeNull();
    expect(parseAmount("abc")).toBeNull();
    expect(parseWhole("43", 1, 100)).toBe(43);
    expect(parseWhole("0", 1, 100)).toBeNull();
    expect(parseWhole("4.3", 1, 100)).toBeNull();
  });
});

describe("question form", () => {
  const base = { a: "", b: "", target: "" };
  it("builds each kind of question", () => {
    expect(buildPredicate({ ...base, kind: "score-at-least", a: "650" })).toEqual({ ok: { kind: "score-at-least", params: [650] }, target: null });
    expect(buildPredicate({ ...base, kind: "score-in-range", a: "600", b: "750" })).toEqual({ ok: { kind: "score-in-range", params: [600, 750] }, target: null });
    expect(buildPredicate({ ...base, kind: "total-debt-below", a: "40,000.00" })).toEqual({ ok: { kind: "total-debt-below", params: [4000000] }, target: null });
    expect(buildPredicate({ ...base, kind: "debt-to-income-below", a: "43" })).toEqual({ ok: { kind: "debt-to-income-below", params: [43] }, target: null });
    expect(buildPredicate({ ...base, kind: "no-serious-delinquency" })).toEqual({ ok: { kind: "no-serious-delinquency", params: [] }, target: null });
    const t = "ab".repeat(32);
    expect(buildPredicate({ ...base, kind: "balance-at-most", a: "5000", target: t })).toEqual({ ok: { kind: "balance-at-most", params: [500000] }, target: t });
  });
  it("names the field to fix", () => {
    expect(buildPredicate({ ...base, kind: "score-at-least", a: "900" })).toMatchObject({ field: "a" });
    expect(buildPredicate({ ...base, kind: "score-in-range", a: "700", b: "600" })).toMatchObject({ field: "b" });
    expect(buildPredicate({ ...base, kind: "balance-at-most", a: "10" })).toMatchObject({ field: "target" });
    expect(buildPredicate({ ...base, kind: "total-debt-below", a: "0" })).toMatchObject({ field: "a" });
    expect(buildPredicate({ ...base, kind: "utilisation-below", a: "30" })).toEqual({ ok: { kind: "utilisation-below", params: [30] }, target: null });
    expect(buildPredicate({ ...base, kind: "utilisation-below", a: "0" })).toMatchObject({ field: "a" });
    expect(buildPredicate({ ...base, kind: "utilisation-below", a: "101" })).toMatchObject({ field: "a" });
  });
});

describe("answers", () => {
  it("never shows a pending or refused query as answered", () => {
    expect(answerText({ status: "pending", holds: null, verified: false }).tone).toBe("wait");
    expect(answerText({ status: "answered", holds: null, verified: true }).tone).toBe("wait");
    expect(answerText({ status: "answered", holds: true, verified: false }).tone).toBe("bad");
    expect(answerText({ status: "answered", holds: true, verified: true }).tone).toBe("yes");
    expect(answerText({ status: "answered", holds: false, verified: true }).tone).toBe("no");
  });
  it("reads ledger predicates", () => {
    expect(predicateText("score >= 650")).toBe("score ≥ 650");
    expect(predicateText("score in 600..750")).toBe("score between 600 and 750");
    expect(predicateText("total_debt < 500000")).toBe("total debt < 5,000.00");
    expect(predicateText("dti < 43")).toBe("debt-to-income < 43 %");
    expect(predicateText("no_serious_delinquency")).toBe("no serious delinquency");
    expect(predicateText("utilisation < 30")).toBe("credit utilisation < 30 %");
    expect(predicateText("balance <= 123456")).toBe("balance ≤ 1,234.56");
    // Text no kind's syntax matches is shown as it is.
    expect(predicateText("score >= 650 or more")).toBe("score >= 650 or more");
    expect(predicateText("score in 600..")).toBe("score in 600..");
  });
});

describe("errors", () => {
  it("keeps the code and says what to do", () => {
    expect(asUiError({ code: "wrong-passphrase", message: "x" })).toEqual({ code: "wrong-passphrase", message: "x" });
    expect(asUiError("boom")).toEqual({ code: "internal", message: "boom" });
    expect(adviceFor("wrong-passphrase")).toMatch(/Nothing was changed/);
    expect(adviceFor("no-consent")).toMatch(/nothing was sent/);
    expect(adviceFor("not-a-member")).toMatch(/enrolled by their lender/);
    expect(adviceFor("overloaded")).toMatch(/try again/);
    expect(adviceFor("wrong-node")).toMatch(/Nothing was sent/);
    expect(adviceFor("something-new")).toMatch(/report it/);
  });
  it("an unreachable consortium says nothing changed and how to retry", () => {
    const a = adviceFor("unreachable");
    expect(a).toMatch(/did not answer/);
    expect(a).toMatch(/nothing in the folder was changed/);
    expect(a).toMatch(/Start the consortium/);
    expect(a).toMatch(/Unlock and open again/);
    expect(a).not.toBe(adviceFor("something-new"));
  });
  it("explains who answers in a connected session", () => {
    expect(responderNote(true)).toMatch(/agency's node answers/);
    expect(responderNote(false)).toMatch(/automatically/);
    expect(sessionMode(true)).toMatch(/running nodes/);
    expect(sessionMode(false)).toMatch(/local/);
  });
});

describe("consent form", () => {
  const g = "cd".repeat(32);
  it("checks before signing", () => {
    expect(buildConsent({ grantee: g, purpose: "credit-application", kinds: ["any", "score-at-least"], days: "90", explicit: false })).toEqual({ ok: { grantee: g, purpose: "credit-application", kinds: ["any"], expiresInDays: 90, explicit: false } });
    expect(buildConsent({ grantee: g, purpose: "employment", kinds: ["any"], days: "90", explicit: false })).toHaveProperty("error");
    expect(buildConsent({ grantee: g, purpose: "collection", kinds: [], days: "90", explicit: false })).toHaveProperty("error");
    expect(buildConsent({ grantee: g, purpose: "collection", kinds: ["any"], days: "0", explicit: false })).toHaveProperty("error");
    expect(buildConsent({ grantee: "", purpose: "collection", kinds: ["any"], days: "9", explicit: false })).toHaveProperty("error");
  });
});

describe("records and progress", () => {
  it("labels Metro 2 data", () => {
    expect(statusText("84")).toBe("84 180+ days past due");
    expect(paymentCells("01B4").map((c) => c.tone)).toEqual(["ok", "late", "none", "bad"]);
    expect(formatTime(0)).toBe("—");
    expect(formatTime(86400)).toBe("1970-01-02 00:00:00 UTC");
  });
  it("progress only moves forward across stages", () => {
    let last = -1;
    for (const [s, d, t] of [["members", 0, 4], ["members", 4, 4], ["enrol", 40, 40], ["furnish", 50, 100], ["furnish", 100, 100], ["answer", 40, 40], ["verify answers", 40, 40]] as const) {
      const f = demoFraction(s, d, t);
      expect(f).toBeGreaterThanOrEqual(last);
      last = f;
    }
    expect(last).toBeCloseTo(1);
  });
});

describe("parseLeakDate", () => {
  const now = Date.UTC(2026, 11, 6, 15, 0) / 1000;
  it("takes a past or present day as its UTC midnight", () => {
    expect(parseLeakDate("2026-12-01", now)).toEqual({ ok: Date.UTC(2026, 11, 1) / 1000 });
    expect(parseLeakDate(" 2026-12-06 ", now)).toEqual({ ok: Date.UTC(2026, 11, 6) / 1000 });
  });
  it("refuses a future day, a date that does not exist, and anything else", () => {
    expect(parseLeakDate("2026-12-07", now)).toHaveProperty("error");
    expect(parseLeakDate("2026-02-30", now)).toHaveProperty("error");
    expect(parseLeakDate("1/12/2026", now)).toHaveProperty("error");
    expect(parseLeakDate("", now)).toHaveProperty("error");
  });
});

describe("countKinds", () => {
  it("counts each kind once, in first-seen order", () => {
    expect(countKinds(["a", "b", "a", "c", "a"])).toBe("a ×3, b, c");
    expect(countKinds([])).toBe("");
  });
});
