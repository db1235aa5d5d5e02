import { resetTenant } from "../../src/apply/reset";
import type { LiveReading } from "../../src/live/model";
import { CLIENT_SP, GRAPH_SP, ROLE_USER_READ_ALL, ScriptedPort, desiredTenant, instantSettings, liveTenant, read } from "./scripted-port";

const held = liveTenant({
  appRoleAssignments: [{ id: "assignment-1", resourceId: GRAPH_SP, appRoleId: ROLE_USER_READ_ALL }],
  grants: [
    { id: "grant-1", resourceId: GRAPH_SP, consentType: "AllPrincipals", principalId: null, scopes: ["Directory.Read.All", "User.Read"] },
  ],
});
const notConsented: LiveReading = {
  kind: "not-consented",
  problem: { kind: "consent-missing", message: "AADSTS65001: no consent", action: "Consent CIPP-SAM." },
};

/** A port whose Partner Center removal fails; the readings say whether it took effect. */
class FailingRemovalPort extends ScriptedPort {
  removals = 0;
  override removeConsent(): Promise<void> {
    this.removals += 1;
    return Promise.reject(new Error("Partner Center did not answer in time"));
  }
}

describe("resetTenant when removing the consent fails", () => {
  it("adds CIPP-SAM back when the removal took effect although its answer was lost", async () => {
    // before the reset; after the failed removal: gone; after the consent: back with everything.
    const port = new FailingRemovalPort([read(held), notConsented, read(held)]);

    const { result } = await resetTenant(desiredTenant(), port, instantSettings());

    expect(port.removals).toBe(1);
    expect(port.consents).toBe(1);
    expect(result.steps.consent).toBe("created");
    expect(result.steps.reset?.removed).toBe(true);
    expect(result.verification?.converged).toBe(true);
    expect(result.status).toBe("failed");
    expect(result.problem?.message).toMatch(/Removing the Partner Center consent failed/);
    expect(result.problem?.action).toMatch(/added back/);
  });

  it("posts nothing when CIPP-SAM is still in the tenant, and says so", async () => {
    const port = new FailingRemovalPort([read(held)]);

    const { result } = await resetTenant(desiredTenant(), port, instantSettings());

    expect(port.consents).toBe(0);
    expect(port.changes).toEqual([]);
    expect(result.steps.reset?.removed).toBe(false);
    expect(result.status).toBe("failed");
    expect(result.problem?.action).toMatch(/still in the tenant/);
  });
});

describe("resetTenant after the consent removal", () => {
  it("deletes CIPP-SAM's service principal when the tenant cannot be read to tell whether it is gone", async () => {
    const unreadable: LiveReading = {
      kind: "inaccessible",
      problem: { kind: "unknown", message: "Graph answered HTTP 503", action: "Run again." },
    };
    // Consented again, CIPP-SAM is a new service principal: Graph never reuses an object id.
    const readded = read({ ...held, client: { servicePrincipalId: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", displayName: "CIPP-SAM" } });
    const port = new ScriptedPort([read(held), unreadable, notConsented, readded], () => ({ status: 204, code: null, message: null }));

    const { result } = await resetTenant(desiredTenant(), port, instantSettings());

    expect(port.changes).toEqual([{ kind: "delete-service-principal", servicePrincipalId: CLIENT_SP }]);
    expect(result.steps.reset?.removed).toBe(true);
    expect(result.status).toBe("changed");
  });
});
