/**
 * `refresh --gdap-changed-since` (the nightly's stateless way) against the emulator: with only
 * Northwind's access assignment modified after `since`, the fleet refresh posts one Partner Center
 * consent, for Northwind, and refreshes the others as usual; GDAP is read in one page and one $batch.
 */
import { gdapChangedSinceLine, refreshOnGdapChangesSince } from "../../src/discover/gdap-refresh";
import { readGdapChanges } from "../../src/discover/run";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import { DEMO, DEMO_CREDENTIALS } from "../../src/emulator";
import { STACKS, startSandbox, type Sandbox } from "./sandbox";
import { trustingAgent } from "../helpers/emulator-client";

jest.setTimeout(60_000);

const HOUR = 3_600_000;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.stop();
});

function deps(agent: ReturnType<typeof trustingAgent>) {
  return {
    dispatcher: agent,
    clock: () => sandbox.emulator.clock.now(),
    sleep: (ms: number) => {
      sandbox.emulator.clock.advance(Math.max(0, Math.ceil(ms)));
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

const request = () => ({
  stacksDir: STACKS,
  endpoints: sandboxEndpoints(sandbox.emulator.baseUrl),
  credential: { kind: "secret" as const, clientSecret: DEMO_CREDENTIALS.clientSecret },
  refreshToken: DEMO_CREDENTIALS.refreshToken,
});

async function refreshSince(since: number) {
  const agent = trustingAgent(sandbox.emulator.caCertificatePem);
  try {
    return await refreshOnGdapChangesSince(request(), since, deps(agent));
  } finally {
    await agent.close();
  }
}

async function consentPosts(): Promise<string[]> {
  const { counts } = await sandbox.requests();
  return counts.filter((c) => c.service === "partnerCenter" && c.method === "POST").flatMap((c) => Array<string>(c.count).fill(c.path));
}

it("consents only the tenant whose GDAP access changed since the time, and refreshes the others as usual", async () => {
  // Converge the fleet first (the demo's unconsented tenant needs a consent of its own), so that
  // every consent below is one the GDAP change forced.
  const first = await sandbox.run({});
  const firstStatus = new Map((first.result?.tenants ?? []).map((t) => [t.tenant.tenantId, t.status]));

  const now = sandbox.emulator.clock.now();
  const since = now - 24 * HOUR;
  const before = await refreshSince(since);
  expect(before.changed).toEqual([]);

  // An administrator changes the access assignment of Northwind's relationship an hour ago.
  const relationships = sandbox.emulator.world().gdapRelationships;
  const index = relationships.findIndex((r) => r.customerTenantId === DEMO.drifted.tenantId);
  const northwind = relationships[index];
  if (northwind === undefined) throw new Error("the demo world has no Northwind relationship");
  relationships[index] = {
    ...northwind,
    accessAssignments: [
      {
        roleTemplateIds: northwind.roleTemplateIds,
        status: "active",
        createdDateTime: new Date(now - 30 * 24 * HOUR).toISOString(),
        lastModifiedDateTime: new Date(now - HOUR).toISOString(),
      },
    ],
  };

  await sandbox.resetRequests();
  const agent = trustingAgent(sandbox.emulator.caCertificatePem);
  const read = await readGdapChanges(request(), since, deps(agent)).finally(() => agent.close());
  expect(read.changes.tenants).toEqual([DEMO.drifted.tenantId]);
  // One page of relationships and one $batch for the effective relationships' access assignments.
  const { counts } = await sandbox.requests();
  const graph = counts.filter((c) => c.service === "graph");
  expect(graph.filter((c) => c.method === "GET" && c.path.includes("delegatedAdminRelationships")).reduce((n, c) => n + c.count, 0)).toBe(
    1,
  );
  expect(graph.filter((c) => c.method === "POST" && c.path.includes("$batch")).reduce((n, c) => n + c.count, 0)).toBe(1);

  await sandbox.resetRequests();
  const changed = await refreshSince(since);
  expect(changed.changed).toEqual([DEMO.drifted.tenantId]);
  const posts = await consentPosts();
  expect(posts).toHaveLength(1);
  expect(posts[0]).toContain(DEMO.drifted.tenantId);
  const tenants = changed.outcome.result?.tenants ?? [];
  // The whole fleet is refreshed, as every night; only Northwind's result shows a consent.
  expect(tenants.length).toBe(first.result?.tenants.length);
  expect(tenants.length).toBeGreaterThan(1);
  for (const t of tenants) {
    if (t.tenant.tenantId === DEMO.drifted.tenantId) expect(t.steps.consent).not.toBe("not-needed");
    else {
      // As usual: converged, or failing as before (the demo's tenant without GDAP).
      const usual = firstStatus.get(t.tenant.tenantId) === "failed" ? "failed" : "converged";
      expect([t.tenant.defaultDomain, t.steps.consent, t.status]).toEqual([t.tenant.defaultDomain, "not-needed", usual]);
    }
  }
  expect(gdapChangedSinceLine(since, changed.changed, changed.unread)).toContain(`for 1 tenant: ${DEMO.drifted.tenantId}`);

  // A window that starts after the change: no consent at all.
  await sandbox.resetRequests();
  const later = await refreshSince(now - HOUR / 2);
  expect(later.changed).toEqual([]);
  expect(await consentPosts()).toEqual([]);
  expect(gdapChangedSinceLine(now - HOUR / 2, later.changed, later.unread)).toMatch(/no consent forced/);
});
