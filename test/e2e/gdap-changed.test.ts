/**
 * `refresh --gdap-changed` against the emulator: the first run records every tenant's GDAP role
 * set and refreshes nothing; a role added to one relationship makes the next run refresh that
 * tenant, with a Partner Center consent, and only that tenant; a run after it finds nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { refreshOnGdapChange, type GdapRefreshRequest } from "../../src/discover/gdap-refresh";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import { DEMO, DEMO_CREDENTIALS } from "../../src/emulator";
import { renderResultJson } from "../../src/report";
import { countOf, STACKS, startSandbox, type Sandbox } from "./sandbox";
import { trustingAgent } from "../helpers/emulator-client";

jest.setTimeout(60_000);

const GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-gdap-"));
});
afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(stateFile: string, onlyChanged = true) {
  const agent = trustingAgent(sandbox.emulator.caCertificatePem);
  const request: GdapRefreshRequest = {
    stacksDir: STACKS,
    stateFile,
    onlyChanged,
    endpoints: sandboxEndpoints(sandbox.emulator.baseUrl),
    credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
    refreshToken: DEMO_CREDENTIALS.refreshToken,
  };
  try {
    return await refreshOnGdapChange(request, {
      dispatcher: agent,
      clock: () => sandbox.emulator.clock.now(),
      sleep: (ms) => {
        sandbox.emulator.clock.advance(Math.max(0, Math.ceil(ms)));
        return Promise.resolve();
      },
      random: () => 0.5,
    });
  } finally {
    await agent.close();
  }
}

it("refreshes, with a consent, only the tenant whose GDAP roles changed since the record", async () => {
  const stateFile = path.join(dir, "gdap-roles.json");
  const first = await run(stateFile);
  expect(first.previousRecordedAt).toBeNull();
  expect(first.changed).toEqual([]);
  expect(first.outcome.result?.tenants).toEqual([]);
  const recorded = JSON.parse(readFileSync(stateFile, "utf8")) as { tenants: Record<string, string[]> };
  expect(Object.keys(recorded.tenants).sort()).toEqual(
    [DEMO.healthy, DEMO.drifted, DEMO.fresh, DEMO.unlicensed, DEMO.noGdap].map((t) => t.tenantId).sort(),
  );
  expect(recorded.tenants[DEMO.noGdap.tenantId]).toEqual([]);

  // An administrator adds Global Reader to Northwind's relationship.
  const relationships = sandbox.emulator.world().gdapRelationships;
  const index = relationships.findIndex((r) => r.customerTenantId === DEMO.drifted.tenantId);
  const northwind = relationships[index];
  if (northwind === undefined) throw new Error("the demo world has no Northwind relationship");
  relationships[index] = { ...northwind, roleTemplateIds: [...northwind.roleTemplateIds, GLOBAL_READER] };

  await sandbox.resetRequests();
  const second = await run(stateFile);
  expect(second.changed).toEqual([DEMO.drifted.tenantId]);
  const tenants = second.outcome.result?.tenants ?? [];
  expect(tenants.map((t) => t.tenant.tenantId)).toEqual([DEMO.drifted.tenantId]);
  expect(tenants[0]?.steps.consent).not.toBe("not-needed");
  expect(tenants[0]?.status).toBe("changed");
  expect(tenants[0]?.gdapRoles).toContain(GLOBAL_READER);
  expect(
    (JSON.parse(renderResultJson(second.outcome.result ?? (null as never))) as { tenants: { gdapRoles: string[] }[] }).tenants[0]
      ?.gdapRoles,
  ).toContain(GLOBAL_READER);
  const { counts } = await sandbox.requests();
  const consents = counts.filter((c) => c.service === "partnerCenter" && c.method === "POST");
  expect(consents.map((c) => c.path).every((p) => p.includes(DEMO.drifted.tenantId))).toBe(true);
  expect(countOf(counts, "partnerCenter", true)).toBeGreaterThan(0);
  expect((JSON.parse(readFileSync(stateFile, "utf8")) as { tenants: Record<string, string[]> }).tenants[DEMO.drifted.tenantId]).toContain(
    GLOBAL_READER,
  );

  const third = await run(stateFile);
  expect(third.changed).toEqual([]);
  expect(third.outcome.result?.tenants).toEqual([]);
});

it("a refresh without --gdap-changed records the sets in its result but leaves a changed tenant's record for --gdap-changed", async () => {
  const stateFile = path.join(dir, "plain.json");
  await run(stateFile);
  const relationships = sandbox.emulator.world().gdapRelationships;
  const index = relationships.findIndex((r) => r.customerTenantId === DEMO.healthy.tenantId);
  const fabrikam = relationships[index];
  if (fabrikam === undefined) throw new Error("the demo world has no Fabrikam relationship");
  relationships[index] = { ...fabrikam, roleTemplateIds: [...fabrikam.roleTemplateIds, GLOBAL_READER] };

  const plain = await run(stateFile, false);
  expect(plain.outcome.result?.tenants.find((t) => t.tenant.tenantId === DEMO.healthy.tenantId)?.gdapRoles).toContain(GLOBAL_READER);
  expect(
    (JSON.parse(readFileSync(stateFile, "utf8")) as { tenants: Record<string, string[]> }).tenants[DEMO.healthy.tenantId],
  ).not.toContain(GLOBAL_READER);
  const next = await run(stateFile);
  expect(next.changed).toEqual([DEMO.healthy.tenantId]);
});
