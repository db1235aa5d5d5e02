// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { readTenant } from "../../src/tenant/read-tenant";
import { DEMO } from "../../src/emulator";
import { CIPP_SAM_PERMISSIONS, FIRST_PARTY_APPS } from "../../src/emulator/demo-world";
import { cippTenant, delta, SETTINGS, startSandbox, type Sandbox } from "../live/sandbox";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const AUDIT_LOG_READ_ALL = "b0afded3-3588-46d8-8b3d-9842eff778da";
/** CIPP's set in a customer tenant: everything but what only the partner tenant holds. */
const CUSTOMER_SET = CIPP_SAM_PERMISSIONS.filter((r) => !r.partnerTenantOnly);
const GRAPH_SET = CUSTOMER_SET.find((r) => r.resourceAppId === GRAPH);

describe("readTenant against the emulator's demo world", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("reads a converged tenant with one token request and one Graph request", async () => {
    const clients = sandbox.clients();
    const before = await sandbox.counts();
    const reading = await readTenant(clients, cippTenant(DEMO.healthy), SETTINGS);
    const after = await sandbox.counts();

    expect(reading.kind).toBe("read");
    if (reading.kind !== "read") return;
    const live = reading.live;
    expect(live.client?.displayName).toBe("CIPP-SAM");
    // The healthy tenant holds CIPP's whole customer set: one assignment per role, one grant per resource with scopes.
    expect(live.appRoleAssignments.map((a) => a.appRoleId).sort()).toEqual(CUSTOMER_SET.flatMap((r) => r.appRoleIds).sort());
    expect(live.grants.length).toBe(CUSTOMER_SET.filter((r) => r.scopes.length > 0).length);
    expect(live.resources.get(GRAPH)?.appRoles.length).toBe(FIRST_PARTY_APPS.find((a) => a.appId === GRAPH)?.appRoles.length);
    expect(live.unavailable).toEqual([]);
    expect(live.tokenScopes).toContain("AppRoleAssignment.ReadWrite.All");
    expect(delta(before, after, "login")).toBe(1);
    expect(delta(before, after, "graph")).toBe(1);
  });

  it("sees the drift in a tenant where an admin removed a role and a scope", async () => {
    const reading = await readTenant(sandbox.clients(), cippTenant(DEMO.drifted), SETTINGS);
    if (reading.kind !== "read") throw new Error(`expected a reading, got ${reading.kind}`);
    const graph = reading.live.resources.get(GRAPH);
    const graphAssignments = reading.live.appRoleAssignments.filter((a) => a.resourceId === graph?.servicePrincipalId);
    const held = new Set(graphAssignments.map((a) => a.appRoleId));
    expect(GRAPH_SET?.appRoleIds.filter((id) => !held.has(id))).toEqual([AUDIT_LOG_READ_ALL]);
    expect(graphAssignments).toHaveLength((GRAPH_SET?.appRoleIds.length ?? 0) - 1);
    const graphGrant = reading.live.grants.find((g) => g.resourceId === graph?.servicePrincipalId);
    expect(GRAPH_SET?.scopes.filter((s) => !graphGrant?.scopes.includes(s))).toEqual(["Policy.Read.All"]);
    expect(graphGrant?.scopes).toHaveLength((GRAPH_SET?.scopes.length ?? 0) - 1);
  });

  it("marks unlicensed workloads unavailable with the reason", async () => {
    const reading = await readTenant(sandbox.clients(), cippTenant(DEMO.unlicensed), SETTINGS);
    if (reading.kind !== "read") throw new Error(`expected a reading, got ${reading.kind}`);
    expect(reading.live.unavailable).toEqual(
      expect.arrayContaining([
        {
          appId: "fc780465-2017-40d4-a0c5-307022471b92",
          reason: "Microsoft Defender for Endpoint is not licensed in this tenant (no WINDEFATP, MDE_LITE or MDE_SMB service plan)",
        },
        {
          appId: "00000012-0000-0000-c000-000000000000",
          reason: expect.stringMatching(/^Microsoft Rights Management Services is not licensed .*RMS_S_ENTERPRISE/),
        },
      ]),
    );
    expect(reading.live.unavailable).toHaveLength(2);
  });

  it("reports a never-consented tenant as not consented", async () => {
    const reading = await readTenant(sandbox.clients(), cippTenant(DEMO.fresh), SETTINGS);
    expect(reading.kind).toBe("not-consented");
    if (reading.kind === "read") return;
    expect(reading.problem.kind).toBe("consent-missing");
    expect(reading.problem.message).toContain("AADSTS65001");
  });

  it("reports a tenant whose GDAP relationship expired as inaccessible, with the GDAP cause", async () => {
    const reading = await readTenant(sandbox.clients(), cippTenant(DEMO.noGdap), SETTINGS);
    expect(reading.kind).toBe("inaccessible");
    if (reading.kind === "read") return;
    expect(reading.problem.kind).toBe("no-gdap-relationship");
    expect(reading.problem.message).toMatch(/no active GDAP relationship/);
    expect(reading.problem.message).toContain("AADSTS50020");
    expect(reading.problem.action).toMatch(/GDAP relationship/);
  });
});
