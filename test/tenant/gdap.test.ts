import { checkGdap } from "../../src/tenant/gdap";
import { readTenant } from "../../src/tenant/read-tenant";
import { DEMO, demoWorld } from "../../src/emulator";
import { cippTenant, delta, SETTINGS, startSandbox, type Sandbox } from "../live/sandbox";

const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";

describe("GDAP pre-check", () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => {
    await sandbox.stop();
  });

  it("checks one customer with one Graph request", async () => {
    const clients = sandbox.clients();
    const partnerGraph = clients.graph(DEMO.partner.tenantId);
    expect(await checkGdap(partnerGraph, DEMO.healthy.tenantId)).toMatchObject({ kind: "ok", role: "Application Administrator" });
    expect(await checkGdap(partnerGraph, DEMO.noGdap.tenantId)).toEqual({ kind: "no-relationship" });
    expect(partnerGraph.requestCount).toBe(2);
  });

  it("makes a never-consented tenant inaccessible when its relationship lacks a consent-capable role", async () => {
    const world = demoWorld();
    sandbox.emulator.loadWorld({
      ...world,
      gdapRelationships: world.gdapRelationships.map((r) =>
        r.customerTenantId === DEMO.fresh.tenantId ? { ...r, roleTemplateIds: [PRIVILEGED_ROLE_ADMINISTRATOR] } : r,
      ),
    });
    const before = await sandbox.counts();
    const reading = await readTenant(sandbox.clients(), cippTenant(DEMO.fresh), SETTINGS);
    const after = await sandbox.counts();
    expect(reading.kind).toBe("inaccessible");
    if (reading.kind === "read") return;
    expect(reading.problem.kind).toBe("gdap-roles-missing");
    expect(reading.problem.message).toContain("CIPP Tailspin Toys");
    expect(reading.problem.message).toContain("AADSTS65001");
    // The customer token, the partner token, and the GDAP listing.
    expect(delta(before, after, "login")).toBe(2);
    expect(delta(before, after, "graph")).toBe(1);
  });
});
