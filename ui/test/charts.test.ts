import { describe, expect, it } from "vitest";
import { barChart, barGeometry, esc, lineChart, linePoints, niceMax, qrSvg, timeline } from "../src/charts";
import { bucketLabels } from "../src/views/regulator";

describe("charts", () => {
  it("chooses nice axis maxima", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(13)).toBe(20);
    expect(niceMax(200)).toBe(200);
    expect(niceMax(201)).toBe(500);
  });
  it("scales bars to the axis", () => {
    const g = barGeometry([5, 10, 0], 100, 50, 0);
    expect(g.map((b) => b.h)).toEqual([25, 50, 0]);
    expect(g[1].y).toBe(0);
    expect(g[2].x).toBeCloseTo(66.67, 1);
  });
  it("plots lines bottom-up", () => {
    expect(linePoints([0, 10], 10, 100, 50)).toBe("0.0,50.0 100.0,0.0");
    expect(linePoints([5], 10, 100, 50)).toBe("50.0,25.0");
  });
  it("escapes labels", () => {
    expect(esc(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    const svg = barChart("t<", [{ label: "<script>", value: 1 }]);
    expect(svg).not.toContain("<script>");
    expect(lineChart("x", [{ name: "a&b", values: [1, 2] }], ["a", "b"])).toContain("a&amp;b (3)");
    expect(timeline("x", [{ at: 1, lane: "bank", label: "<b>" }])).toContain("&lt;b&gt;");
  });
  it("labels activity buckets by time of day", () => {
    expect(bucketLabels(86400, 60, 3)).toEqual(["00:00:00", "00:01:00", "00:02:00"]);
  });
});

describe("qrSvg", () => {
  it("draws each dark run of a row as one rectangle inside the quiet zone", () => {
    // 3 × 3: row 0 "110", row 1 "000", row 2 "101".
    const svg = qrSvg(3, "110000101");
    expect(svg).toContain('viewBox="0 0 11 11"');
    const rects = [...svg.matchAll(/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="1"\/>/g)].map((m) => m.slice(1).map(Number));
    expect(rects).toEqual([
      [4, 4, 2],
      [4, 6, 1],
      [6, 6, 1],
    ]);
  });
  it("refuses a matrix that is not width × width of 0 and 1", () => {
    expect(() => qrSvg(3, "1100")).toThrow();
    expect(() => qrSvg(2, "12<0")).toThrow();
    expect(() => qrSvg(0, "")).toThrow();
  });
});
