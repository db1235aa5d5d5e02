import { RunRefusedError } from "../../src/run/engine";
import type { TenantResult } from "../../src/apply/result";
import { DEMO, demoWorld } from "../../src/emulator";
import { countOf, heldByName, startSandbox, type Sandbox } from "./sandbox";

let sandbox: Sandbox;
let fullSet: { appRoles: string[]; grants: string[] };

beforeAll(async () => {
  sandbox = await startSandbox();
  fullSet = heldByName(await sandbox.snapshot(DEMO.healthy.tenantId), DEMO.applicationId);
});
afterAll(async () => {
  await sandbox.stop();
});

async function freshWorld(consentDeleteRemovesServicePrincipal: boolean): Promise<void> {
  const world = demoWorld();
  await sandbox.loadWorld({ ...world, behaviour: { ...world.behaviour, consentDeleteRemovesServicePrincipal } });
  await sandbox.faults({});
  await sandbox.resetRequests();
}

const tenant = DEMO.healthy.defaultDomain;

describe("reset", () => {
  beforeEach(() => freshWorld(true));

  it("is refused without a confirmation, and nothing is sent", async () => {
    await expect(sandbox.run({ mode: "reset", tenant })).rejects.toThrow(RunRefusedError);
    expect((await sandbox.requests()).total).toBe(0);
  });

  it("is refused with a confirmation naming another tenant, and nothing is sent", async () => {
    await expect(sandbox.run({ mode: "reset", tenant, confirm: DEMO.drifted.defaultDomain })).rejects.toThrow(
      /confirm must repeat the tenant/,
    );
    await expect(sandbox.run({ mode: "reset", confirm: tenant })).rejects.toThrow(RunRefusedError);
    expect((await sandbox.requests()).total).toBe(0);
  });

  it("is refused for the partner tenant, where CIPP-SAM could not be consented again, and nothing is sent", async () => {
    const partner = DEMO.partner.defaultDomain;
    await expect(sandbox.run({ mode: "reset", tenant: partner, confirm: partner })).rejects.toThrow(/partner tenant/);
    expect((await sandbox.requests()).total).toBe(0);
  });

  describe.each([true, false])("when Partner Center's DELETE removes the service principal: %s", (deleteRemovesSp) => {
    beforeEach(() => freshWorld(deleteRemovesSp));

    it("snapshots, removes CIPP-SAM, grants the full set again and verifies it", async () => {
      const before = await sandbox.snapshot(DEMO.healthy.tenantId);
      const oldSp = before.servicePrincipals.find((sp) => sp.appId === DEMO.applicationId);
      expect(oldSp).toBeDefined();

      const outcome = await sandbox.run({ mode: "reset", tenant, confirm: tenant });

      expect(outcome.exitCode).toBe(0);
      const result = outcome.result?.tenants[0] as TenantResult;
      expect(result.status).toBe("changed");
      const reset = result.steps.reset;
      expect(reset?.removed).toBe(true);
      expect(reset?.snapshot?.servicePrincipalId).toBe(oldSp?.id);
      // The snapshot names what was held, as the tenant held it.
      const snapshotRoles = (reset?.snapshot?.appRoles ?? []).map((r) => `${r.resource.appId}|${r.permission}`).sort();
      expect(snapshotRoles).toEqual(fullSet.appRoles);
      expect(reset?.snapshot?.grants.length).toBe(fullSet.grants.length);
      expect(result.steps.consent).toBe("created");
      expect(result.verification?.converged).toBe(true);

      const after = await sandbox.snapshot(DEMO.healthy.tenantId);
      // When Partner Center leaves the service principal in place, only the engine's Graph DELETE replaces it.
      const newSp = after.servicePrincipals.find((sp) => sp.appId === DEMO.applicationId);
      expect(newSp?.id).not.toBe(oldSp?.id);
      expect(after.deletedServicePrincipals.map((sp) => sp.id)).toContain(oldSp?.id);
      expect(heldByName(after, DEMO.applicationId)).toEqual(fullSet);

      const { counts } = await sandbox.requests();
      expect(countOf(counts, "partnerCenter")).toBe(2); // one DELETE, one POST
    });
  });

  it("reports loudly, with what to run next, when CIPP-SAM cannot be added back; a plain refresh then converges", async () => {
    await sandbox.faults({ rules: [{ kind: "unavailable", service: "partnerCenter", method: "POST", retryAfterSeconds: 1, count: 1000 }] });

    const stopped = await sandbox.run({ mode: "reset", tenant, confirm: tenant });

    expect(stopped.exitCode).toBe(1);
    const result = stopped.result?.tenants[0] as TenantResult;
    expect(result.status).toBe("failed");
    expect(result.steps.reset?.removed).toBe(true);
    expect(result.steps.consent).toBe("failed");
    expect(result.problem?.action).toContain(`cipp-cpv refresh --tenant ${tenant}`);
    expect(result.error?.service).toBe("partner-center");
    const removed = await sandbox.snapshot(DEMO.healthy.tenantId);
    expect(removed.servicePrincipals.some((sp) => sp.appId === DEMO.applicationId)).toBe(false);

    await sandbox.faults({});
    const resumed = await sandbox.run({ mode: "refresh", tenant });

    expect(resumed.exitCode).toBe(0);
    expect(resumed.result?.tenants[0]?.steps.consent).toBe("created");
    expect(heldByName(await sandbox.snapshot(DEMO.healthy.tenantId), DEMO.applicationId)).toEqual(fullSet);
  });

  it("removes nothing from a tenant it could not consent in again", async () => {
    const noGdap = DEMO.noGdap.defaultDomain;
    const before = await sandbox.snapshot(DEMO.noGdap.tenantId);

    const outcome = await sandbox.run({ mode: "reset", tenant: noGdap, confirm: noGdap });

    expect(outcome.exitCode).toBe(1);
    const result = outcome.result?.tenants[0] as TenantResult;
    expect(result.status).toBe("failed");
    expect(result.steps.reset?.removed).toBe(false);
    expect(result.problem?.kind).toBe("no-gdap-relationship");
    expect(countOf((await sandbox.requests()).counts, "partnerCenter")).toBe(0);
    expect(await sandbox.snapshot(DEMO.noGdap.tenantId)).toEqual(before);
  });
});
