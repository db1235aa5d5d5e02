/**
 * `discover` against the emulator over real HTTPS: the demo world's new customer becomes exactly
 * one valid tenant file (and a plan then shows its consent), a second run writes nothing, an
 * expiring relationship is reported with its date, and bad or partial answers never become a file.
 */
// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Agent } from "undici";
import { runEngine } from "../../src/run/engine";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import { loadFleet } from "../../src/desired/load";
import { discoveryExitCode } from "../../src/discover/model";
import { renderDiscoveryMarkdown, renderDiscoveryText } from "../../src/discover/render";
import { runDiscovery, type DiscoverRequest } from "../../src/discover/run";
import { DEMO, DEMO_CREDENTIALS, DEMO_EXPIRING_IN_DAYS, demoWorld, type WorldSpec } from "../../src/emulator";
import { trustingAgent } from "../helpers/emulator-client";
import { STACKS, startSandbox, type Sandbox } from "./sandbox";

jest.setTimeout(60_000);

let sandbox: Sandbox;
let stacks: string;

function copyStacks(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-discover-"));
  cpSync(STACKS, dir, { recursive: true, filter: (src) => !src.endsWith(".ts") });
  return dir;
}

async function discover(request: Partial<DiscoverRequest> = {}) {
  const deps = {
    clock: () => sandbox.emulator.clock.now(),
    sleep: (ms: number) => {
      sandbox.emulator.clock.advance(Math.max(0, Math.ceil(ms)));
      return Promise.resolve();
    },
    random: () => 0.5,
    dispatcher: sandboxDispatcher,
  };
  return (
    await runDiscovery(
      {
        stacksDir: stacks,
        write: false,
        endpoints: sandboxEndpoints(sandbox.emulator.baseUrl),
        credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
        refreshToken: DEMO_CREDENTIALS.refreshToken,
        ...request,
      },
      deps,
    )
  ).report;
}

// The engine's dispatcher trusts the emulator's CA; discovery reuses the same agent.
let sandboxDispatcher: Agent;

async function start(world?: WorldSpec): Promise<void> {
  sandbox = await startSandbox(world ?? demoWorld());
  sandboxDispatcher = trustingAgent(sandbox.emulator.caCertificatePem);
}

async function stop(): Promise<void> {
  await sandboxDispatcher.close();
  await sandbox.stop();
}

beforeEach(() => {
  stacks = copyStacks();
});

afterEach(() => {
  rmSync(stacks, { recursive: true, force: true });
});

const tenantFiles = (): string[] => readdirSync(path.join(stacks, "tenants")).sort();

describe("discover on the demo world", () => {
  beforeAll(() => start());
  afterAll(() => stop());
  afterEach(() => sandbox.faults({}));

  it("proposes exactly the new customer, lists the one with too few roles, reports the expiring and the ended relationship, and writes nothing without --write", async () => {
    const before = tenantFiles();
    const report = await discover();
    expect(report.proposed.map((p) => [p.file, p.tenantId, p.defaultDomain, p.displayName])).toEqual([
      ["tenants/litware.yaml", DEMO.newCustomer.tenantId, DEMO.newCustomer.defaultDomain, DEMO.newCustomer.displayName],
    ]);
    expect(report.written).toBe(false);
    expect(tenantFiles()).toEqual(before);
    expect(discoveryExitCode(report)).toBe(2);

    expect(report.lackingRoles.map((l) => [l.tenantId, l.reason, l.file])).toEqual([[DEMO.fewRoles.tenantId, "not-in-relationship", null]]);
    expect(report.lackingRoles[0]?.missing).toContain("Application Administrator");

    const expiring = report.ending.find((e) => e.state === "expiring");
    expect(expiring?.tenantId).toBe(DEMO.unlicensed.tenantId);
    expect(expiring?.daysLeft).toBe(DEMO_EXPIRING_IN_DAYS);
    const expectedEnd = new Date(Date.parse(expiring?.relationships[0]?.endDateTime ?? "")).toISOString();
    expect(expiring?.endDateTime).toBe(expectedEnd);
    expect(renderDiscoveryText(report)).toContain(`GDAP access ends on ${expectedEnd.slice(0, 10)}`);
    expect(report.ending.filter((e) => e.state === "ended").map((e) => e.tenantId)).toEqual([DEMO.noGdap.tenantId]);
    expect(report.unknown).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(renderDiscoveryMarkdown(report)).toContain("`tenants/litware.yaml`");
  });

  it("--write adds one valid file that a plan then consents, and a second run writes nothing", async () => {
    const before = tenantFiles();
    const first = await discover({ write: true });
    expect(first.written).toBe(true);
    expect(tenantFiles()).toEqual([...before, "litware.yaml"].sort());
    const fleet = loadFleet(stacks);
    const litware = fleet.tenants.find((t) => t.tenantId === DEMO.newCustomer.tenantId);
    expect(litware).toMatchObject({
      defaultDomain: DEMO.newCustomer.defaultDomain,
      displayName: DEMO.newCustomer.displayName,
      excluded: false,
    });

    const plan = await runEngine(
      {
        mode: "plan",
        stacksDir: stacks,
        tenant: DEMO.newCustomer.defaultDomain,
        endpoints: sandboxEndpoints(sandbox.emulator.baseUrl),
        credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
        refreshToken: DEMO_CREDENTIALS.refreshToken,
      },
      {
        dispatcher: sandboxDispatcher,
        clock: () => sandbox.emulator.clock.now(),
        sleep: (ms) => {
          sandbox.emulator.clock.advance(ms);
          return Promise.resolve();
        },
      },
    );
    expect(plan.exitCode).toBe(2);
    expect(plan.plan.tenants[0]?.actions.some((a) => a.kind === "consent")).toBe(true);

    const content = readFileSync(path.join(stacks, "tenants/litware.yaml"), "utf8");
    const second = await discover({ write: true });
    expect(second.proposed).toEqual([]);
    expect(second.written).toBe(false);
    expect(discoveryExitCode(second)).toBe(0);
    expect(tenantFiles()).toEqual([...before, "litware.yaml"].sort());
    expect(readFileSync(path.join(stacks, "tenants/litware.yaml"), "utf8")).toBe(content);
  });

  it("never overwrites a file that has the new tenant's name: the whole domain names it instead", async () => {
    const squatter =
      "# a file of the same name for something else\ntenantId: 9e1b8c3d-4a5f-4b92-87d8-9e0f1a2b3c09\ndefaultDomain: litware-old.onmicrosoft.com\ndisplayName: Old\n";
    writeFileSync(path.join(stacks, "tenants/litware.yaml"), squatter);
    const report = await discover({ write: true });
    expect(report.proposed.map((p) => p.file)).toEqual(["tenants/litware.onmicrosoft.com.yaml"]);
    expect(readFileSync(path.join(stacks, "tenants/litware.yaml"), "utf8")).toBe(squatter);
    expect(existsSync(path.join(stacks, "tenants/litware.onmicrosoft.com.yaml"))).toBe(true);
  });

  it("retries a relationship page that fails with 503 and concludes the same", async () => {
    await sandbox.faults({
      rules: [{ kind: "unavailable", service: "graph", pathPattern: "delegatedAdminRelationships$", count: 2, retryAfterSeconds: 1 }],
    });
    const report = await discover();
    expect(report.proposed.map((p) => p.tenantId)).toEqual([DEMO.newCustomer.tenantId]);
    expect(report.cost.graphRequests).toBeGreaterThan(report.cost.relationshipPages + 2);
  });

  it("a page that keeps failing ends the run with an error and writes nothing", async () => {
    await sandbox.faults({
      rules: [{ kind: "unavailable", service: "graph", pathPattern: "delegatedAdminRelationships$", retryAfterSeconds: 1 }],
    });
    const before = tenantFiles();
    await expect(discover({ write: true })).rejects.toThrow(/503/);
    expect(tenantFiles()).toEqual(before);
  });

  it("a failing access assignment read is reported and proposes no file", async () => {
    await sandbox.faults({ rules: [{ kind: "unavailable", service: "graph", pathPattern: "accessAssignments", retryAfterSeconds: 1 }] });
    const report = await discover({ write: true });
    expect(report.proposed).toEqual([]);
    expect(report.problems.map((p) => [p.severity, p.subject])).toEqual([["error", `customer ${DEMO.newCustomer.tenantId}`]]);
    expect(discoveryExitCode(report)).toBe(1);
    expect(existsSync(path.join(stacks, "tenants/litware.yaml"))).toBe(false);
  });
});

describe("discover on altered worlds", () => {
  afterEach(() => stop());
  const alter = (change: (r: WorldSpec["gdapRelationships"][number]) => WorldSpec["gdapRelationships"][number]): WorldSpec => {
    const world = demoWorld();
    return {
      ...world,
      gdapRelationships: world.gdapRelationships.map((r) => (r.customerTenantId === DEMO.newCustomer.tenantId ? change(r) : r)),
    };
  };

  it("a relationship without a customer is reported as a warning and never becomes a file", async () => {
    await start(alter((r) => ({ ...r, withoutCustomer: true })));
    const report = await discover({ write: true });
    expect(report.proposed).toEqual([]);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ severity: "warning", message: expect.stringContaining("no customer tenant id") });
    expect(existsSync(path.join(stacks, "tenants/litware.yaml"))).toBe(false);
    expect(discoveryExitCode(report)).toBe(0);
  });

  it("roles named by the relationship but not actively assigned to a group are lacking, not proposed", async () => {
    await start(alter((r) => ({ ...r, accessAssignments: [{ roleTemplateIds: r.roleTemplateIds, status: "pending" }] })));
    const report = await discover();
    expect(report.proposed).toEqual([]);
    expect(report.lackingRoles.map((l) => [l.tenantId, l.reason])).toContainEqual([DEMO.newCustomer.tenantId, "not-assigned"]);
  });

  it("a declared tenant the partner has no relationship with is reported as unknown to GDAP, never deleted", async () => {
    const world = demoWorld();
    await start({ ...world, gdapRelationships: world.gdapRelationships.filter((r) => r.customerTenantId !== DEMO.healthy.tenantId) });
    const report = await discover({ write: true });
    expect(report.unknown.map((u) => [u.tenantId, u.file])).toEqual([[DEMO.healthy.tenantId, "tenants/fabrikam.yaml"]]);
    expect(existsSync(path.join(stacks, "tenants/fabrikam.yaml"))).toBe(true);
  });
});
