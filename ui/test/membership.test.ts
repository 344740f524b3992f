import { describe, expect, it } from "vitest";
import { approvalsNeeded, proposalEffect, rejectionsRefusing, voteCommand, voteProgress } from "../src/logic";

describe("membership threshold", () => {
  it("needs 2/3 of the members in force, rounded up", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(approvalsNeeded)).toEqual([1, 2, 2, 3, 4, 4, 5]);
    expect(approvalsNeeded(0)).toBe(0);
    // The rules decide at 3·yes ≥ 2·n: the needed count is the least such yes.
    for (let n = 1; n <= 40; n++) {
      const k = approvalsNeeded(n);
      expect(3 * k >= 2 * n && 3 * (k - 1) < 2 * n).toBe(true);
    }
  });
  it("refuses once more than 1/3 reject", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(rejectionsRefusing)).toEqual([1, 1, 2, 2, 2, 3, 3]);
    for (let n = 1; n <= 40; n++) {
      const r = rejectionsRefusing(n);
      expect(3 * r > n && 3 * (r - 1) <= n).toBe(true);
    }
  });
});

describe("vote progress", () => {
  it("says how many approvals of how many are needed", () => {
    const p = voteProgress({ status: "open", approvals: 2, rejections: 1, electorate: 4 });
    expect(p.text).toBe("2 of 3 needed");
    expect(p.detail).toBe("1 against (2 refuse) · 4 members in force");
    expect(p.fraction).toBeCloseTo(2 / 3);
    expect(p.reached).toBe(false);
  });
  it("caps the bar when the threshold is reached or passed", () => {
    const p = voteProgress({ status: "approved", approvals: 4, rejections: 0, electorate: 4 });
    expect(p.text).toBe("4 of 3 needed");
    expect(p.fraction).toBe(1);
    expect(p.reached).toBe(true);
    expect(voteProgress({ status: "open", approvals: 1, rejections: 0, electorate: 1 }).detail).toBe("0 against (1 refuse) · 1 member in force");
  });
});

describe("proposal effect", () => {
  const base = { approvals: 3, rejections: 0, electorate: 4, effective_epoch: 3 };
  it("says when an approved change takes effect", () => {
    expect(proposalEffect({ ...base, status: "approved" }, 2)).toBe("takes effect at epoch 3");
    expect(proposalEffect({ ...base, status: "approved" }, 3)).toBe("in effect since epoch 3");
    expect(proposalEffect({ ...base, status: "approved", effective_epoch: null }, 3)).toBe("approved");
  });
  it("says what an open or refused proposal waits for", () => {
    expect(proposalEffect({ ...base, status: "open", approvals: 1, effective_epoch: null }, 0)).toBe("waiting for 2 more approvals");
    expect(proposalEffect({ ...base, status: "open", approvals: 2, effective_epoch: null }, 0)).toBe("waiting for 1 more approval");
    expect(proposalEffect({ ...base, status: "refused", effective_epoch: null }, 0)).toBe("refused: nothing changes");
  });
  it("gives the vote command with the full proposal id", () => {
    const id = "ab".repeat(32);
    expect(voteCommand(id)).toBe(`credence node vote --home DIR --proposal ${id} [--reject]`);
  });
});
