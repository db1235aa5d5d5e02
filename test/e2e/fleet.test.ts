import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Progress } from "../../src/run/run-request";
import { loadFleet } from "../../src/desired/load";
import { DEMO, demoWorld } from "../../src/emulator";
import { STACKS, startSandbox, type Sandbox } from "./sandbox";

let sandbox: Sandbox;
let stacks: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  // The demo declarations, with one tenant excluded.
  stacks = mkdtempSync(path.join(tmpdir(), "cipp-cpv-fleet-"));
  cpSync(STACKS, stacks, { recursive: true });
  const fabrikam = path.join(stacks, "tenants", "fabrikam.yaml");
  writeFileSync(fabrikam, `${readFileSync(fabrikam, "utf8")}\nexcluded: true\n`);
});
afterAll(async () => {
  rmSync(stacks, { recursive: true, force: true });
  await sandbox.stop();
});
beforeEach(async () => {
  await sandbox.loadWorld(demoWorld());
  await sandbox.faults({});
  await sandbox.resetRequests();
});

describe("a fleet run", () => {
  it("plans every declared tenant and exits 1 when one cannot be planned", async () => {
    const outcome = await sandbox.run({ mode: "plan", stacksDir: stacks });
    const status = new Map(outcome.plan.tenants.map((t) => [t.tenant.defaultDomain, t.status]));
    expect(status.get(DEMO.drifted.defaultDomain)).toBe("changes");
    expect(status.get(DEMO.fresh.defaultDomain)).toBe("changes");
    expect(status.get(DEMO.noGdap.defaultDomain)).toBe("inaccessible");
    expect(status.has(DEMO.healthy.defaultDomain)).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect((await sandbox.requests()).byService.partnerCenter ?? 0).toBe(0);
  });

  it("streams: the sink gets every tenant in declaration order, and the outcome keeps only a summary of each", async () => {
    const planned: string[] = [];
    const ran: string[] = [];
    const outcome = await sandbox.stream(
      { mode: "refresh", stacksDir: stacks, concurrency: 3 },
      { ran: (result) => void ran.push(result.tenant.defaultDomain), planned: (plan) => void planned.push(plan.tenant.defaultDomain) },
    );
    const declared = loadFleet(stacks).tenants;
    const order = [...declared.filter((t) => !t.excluded), ...declared.filter((t) => t.excluded)].map((t) => t.defaultDomain);
    expect(planned).toEqual([]);
    expect(ran).toEqual(order);
    expect(outcome.tenants.map((t) => t.tenant.defaultDomain)).toEqual(order);
    // No per-permission detail is held for a finished tenant: its status and counts only.
    for (const summary of outcome.tenants) expect(Object.keys(summary).sort()).toEqual(["counts", "status", "tenant"]);
    expect(Object.keys(outcome.plan)).not.toContain("tenants");
    expect(outcome.result === null ? [] : Object.keys(outcome.result)).not.toContain("tenants");
    expect(outcome.result?.totals.failed).toBe(1);
    expect(outcome.exitCode).toBe(1);
  });

  it("refreshes every tenant, one failure stopping none of the others, with progress", async () => {
    const progress: Progress[] = [];
    const outcome = await sandbox.run({ mode: "refresh", stacksDir: stacks, concurrency: 2, onProgress: (p) => progress.push(p) });

    const results = outcome.result?.tenants ?? [];
    const status = new Map(results.map((t) => [t.tenant.defaultDomain, t.status]));
    expect(status.get(DEMO.noGdap.defaultDomain)).toBe("failed");
    expect(status.get(DEMO.drifted.defaultDomain)).toBe("changed");
    expect(status.get(DEMO.fresh.defaultDomain)).toBe("changed");
    expect(status.get(DEMO.unlicensed.defaultDomain)).toBe("converged");
    expect(status.get(DEMO.partner.defaultDomain)).toBe("converged");
    expect(status.get(DEMO.healthy.defaultDomain)).toBe("skipped");
    expect(outcome.exitCode).toBe(1);
    expect(outcome.result?.totals.failed).toBe(1);

    const failed = results.find((t) => t.tenant.defaultDomain === DEMO.noGdap.defaultDomain);
    expect(failed?.problem?.kind).toBe("no-gdap-relationship");
    expect(failed?.problem?.action).toMatch(/GDAP/);

    const processed = results.length - 1;
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: processed }, (_, i) => i + 1));
    expect(progress.every((p) => p.total === processed)).toBe(true);
    expect(progress.at(-1)?.failed).toBe(1);
    expect(progress.at(-1)?.etaMs).toBe(0);
    expect(new Set(progress.map((p) => p.last?.tenant))).toEqual(
      new Set(results.filter((t) => t.status !== "skipped").map((t) => t.tenant.defaultDomain)),
    );
  });
});
