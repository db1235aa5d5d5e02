import { progressLine } from "../../src/cli/progress";

const halfway = { done: 2, total: 4, failed: 1, etaMs: 3000, last: { tenant: "wingtiptoys.onmicrosoft.com", outcome: "inaccessible" } };

it("counts the tenants a plan cannot read as inaccessible, as the plan's report does", () => {
  expect(progressLine(halfway, "plan")).toBe("[2/4] wingtiptoys.onmicrosoft.com inaccessible · 1 inaccessible · about 3 s left");
});

it("counts failed tenants of a refresh as failed", () => {
  expect(progressLine({ ...halfway, last: { tenant: "wingtiptoys.onmicrosoft.com", outcome: "failed" } }, "refresh")).toBe(
    "[2/4] wingtiptoys.onmicrosoft.com failed · 1 failed · about 3 s left",
  );
});

it("drops the estimate once every tenant is done", () => {
  expect(progressLine({ ...halfway, done: 4, failed: 0 }, "refresh")).toBe("[4/4] wingtiptoys.onmicrosoft.com inaccessible");
});
