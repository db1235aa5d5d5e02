// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { TenantLedger } from "../../src/apply/ledger";
import { convergeTenant, refreshTenant } from "../../src/apply/refresh";
import {
  CLIENT_SP,
  EXO,
  GRAPH,
  GRAPH_SP,
  ROLE_USER_READ_ALL,
  ScriptedPort,
  TENANT,
  desiredTenant,
  exchangeResource,
  graphResource,
  instantSettings,
  liveTenant,
  read,
  reply,
} from "./scripted-port";

const heldRole = { id: "assignment-1", resourceId: GRAPH_SP, appRoleId: ROLE_USER_READ_ALL };
const grant = (scopes: string[]) => ({
  id: "grant-1",
  resourceId: GRAPH_SP,
  consentType: "AllPrincipals" as const,
  principalId: null,
  scopes,
});

describe("refreshTenant", () => {
  it("settles a grant that appeared since the read (409) by reading again and updating it", async () => {
    const port = new ScriptedPort(
      [
        read(liveTenant({ appRoleAssignments: [heldRole] })),
        read(liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["User.Read"])] })),
        read(liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] })),
      ],
      (c) =>
        c.kind === "create-grant"
          ? { status: 409, code: "Request_MultipleObjectsWithSameKeyValue", message: "Permission entry already exists." }
          : reply(204),
    );

    const { result } = await refreshTenant(desiredTenant(), port, instantSettings(), { forceConsent: false });

    expect(port.changes.map((c) => c.kind)).toEqual(["create-grant", "patch-grant"]);
    expect(port.changes[1]).toEqual({ kind: "patch-grant", grantId: "grant-1", scopes: ["Directory.Read.All", "User.Read"] });
    expect(result.status).toBe("changed");
    expect(result.permissions.find((p) => p.permission === "Directory.Read.All")?.outcome).toBe("applied");
    expect(result.permissions.find((p) => p.permission === "User.Read")?.outcome).toBe("already-present");
    expect(port.renewals).toBeGreaterThan(0);
  });

  it("blocks a resource whose service principal Graph refuses to create, and fails nothing", async () => {
    const withoutExchange = liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] });
    const port = new ScriptedPort([read(withoutExchange)], () =>
      reply(400, `The appId '${EXO}' of the service principal does not reference a valid application object.`),
    );

    const { result } = await refreshTenant(desiredTenant(true), port, instantSettings(), { forceConsent: false });

    expect(port.changes).toEqual([{ kind: "create-service-principal", appId: EXO }]);
    expect(result.status).toBe("converged");
    const blocked = result.permissions.filter((p) => p.outcome === "blocked");
    expect(blocked.map((p) => [p.type, p.permission])).toEqual([
      ["resource", null],
      ["appRole", "Exchange.ManageAsApp"],
    ]);
    expect(blocked[0]?.detail).toMatch(/does not reference a valid application object/);
    expect(result.verification?.converged).toBe(true);
  });

  it("fails the tenant, with Graph's error and the residual, when a write is refused", async () => {
    const slept: number[] = [];
    const port = new ScriptedPort([read(liveTenant({ grants: [grant(["Directory.Read.All", "User.Read"])] }))], () => ({
      status: 403,
      code: "Authorization_RequestDenied",
      message: "Insufficient privileges to complete the operation.",
    }));

    const { result } = await refreshTenant(desiredTenant(), port, instantSettings(slept), { forceConsent: false });

    expect(result.status).toBe("failed");
    const failed = result.permissions.find((p) => p.permission === "User.Read.All");
    expect(failed?.outcome).toBe("failed");
    expect(failed?.error).toEqual(expect.objectContaining({ service: "graph", status: 403, code: "Authorization_RequestDenied" }));
    expect(result.verification?.converged).toBe(false);
    expect(result.verification?.actions.map((a) => a.kind)).toEqual(["add-app-role"]);
    expect(result.problem?.message).toContain("User.Read.All");
    // A refused write is not waited for: one write, one read back.
    expect(port.changes).toHaveLength(1);
    expect(port.reads).toBe(2);
    expect(slept).toEqual([]);
  });

  it("deletes a duplicate grant only after the kept grant, which takes over its scopes, has been written", async () => {
    const keeper = { ...grant(["User.Read"]), id: "grant-keeper" };
    const duplicate = { ...grant(["Directory.Read.All", "Mail.Send"]), id: "grant-duplicate" };
    const held = liveTenant({ appRoleAssignments: [heldRole], grants: [keeper, duplicate] });

    const refused = new ScriptedPort([read(held)], (c) =>
      c.kind === "patch-grant"
        ? { status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." }
        : reply(204),
    );
    const failed = await refreshTenant(desiredTenant(), refused, instantSettings(), { forceConsent: false });
    expect(refused.changes.map((c) => c.kind)).toEqual(["patch-grant"]);
    expect(failed.result.status).toBe("failed");

    const accepted = new ScriptedPort([
      read(held),
      read(
        liveTenant({ appRoleAssignments: [heldRole], grants: [{ ...keeper, scopes: ["Directory.Read.All", "Mail.Send", "User.Read"] }] }),
      ),
    ]);
    await refreshTenant(desiredTenant(), accepted, instantSettings(), { forceConsent: false });
    expect(accepted.changes).toEqual([
      { kind: "patch-grant", grantId: "grant-keeper", scopes: ["Directory.Read.All", "Mail.Send", "User.Read"] },
      { kind: "delete-grant", grantId: "grant-duplicate" },
    ]);
  });

  it("explains a write refused with 403 by the GDAP check, and checks only then", async () => {
    const refusing = new ScriptedPort([read(liveTenant({ grants: [grant(["Directory.Read.All", "User.Read"])] }))], () => ({
      status: 403,
      code: "Authorization_RequestDenied",
      message: "Insufficient privileges to complete the operation.",
    }));
    refusing.denial = { kind: "gdap-roles-missing", message: "no role that can write", action: "Add Application Administrator." };
    const { result } = await refreshTenant(desiredTenant(), refusing, instantSettings(), { forceConsent: false });
    expect(result.status).toBe("failed");
    expect(result.problem).toEqual(refusing.denial);
    expect(refusing.denialChecks).toBe(1);

    const accepting = new ScriptedPort([
      read(liveTenant({ grants: [grant(["Directory.Read.All", "User.Read"])] })),
      read(liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] })),
    ]);
    await refreshTenant(desiredTenant(), accepting, instantSettings(), { forceConsent: false });
    expect(accepting.denialChecks).toBe(0);
  });

  it("explains by the GDAP check a resource service principal refused with 403, without waiting for its replication", async () => {
    const slept: number[] = [];
    const held = liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] });
    const port = new ScriptedPort([read(held)], (c) =>
      c.kind === "create-service-principal"
        ? { status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." }
        : reply(201),
    );
    port.denial = { kind: "gdap-roles-missing", message: "no role that can write", action: "Add Application Administrator." };

    const { result } = await refreshTenant(desiredTenant(true), port, instantSettings(slept), { forceConsent: false });

    expect(port.changes).toEqual([{ kind: "create-service-principal", appId: EXO }]);
    expect(result.status).toBe("failed");
    expect(result.problem).toEqual(port.denial);
    expect(port.denialChecks).toBe(1);
    expect(slept).toEqual([]);
  });

  it("retries a write that refers to an object not replicated yet", async () => {
    const slept: number[] = [];
    const port = new ScriptedPort(
      [
        read(liveTenant({ grants: [grant(["Directory.Read.All", "User.Read"])] })),
        read(liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] })),
      ],
      (_w, nth) =>
        nth === 1
          ? reply(404, `Resource '${GRAPH_SP}' does not exist or one of its queried reference-property objects are not present.`)
          : reply(201),
    );

    const { result } = await refreshTenant(desiredTenant(), port, instantSettings(slept), { forceConsent: false });

    expect(result.status).toBe("changed");
    expect(port.changes).toHaveLength(2);
    expect(slept).toHaveLength(1);
    expect(result.permissions.find((p) => p.permission === "User.Read.All")?.outcome).toBe("applied");
  });

  it("stops the tenant when the Partner Center consent fails, writing nothing to Graph", async () => {
    const notConsented = {
      kind: "not-consented" as const,
      problem: { kind: "consent-missing" as const, message: "AADSTS65001", action: "consent" },
    };
    const port = new ScriptedPort(
      [notConsented],
      () => reply(201),
      () => Promise.reject(new Error("Partner Center answered HTTP 500")),
    );

    const { result, plan } = await refreshTenant(desiredTenant(), port, instantSettings(), { forceConsent: false });

    expect(plan.actions[0]?.kind).toBe("consent");
    expect(result.status).toBe("failed");
    expect(result.steps.consent).toBe("failed");
    expect(result.problem?.message).toContain("Partner Center answered HTTP 500");
    expect(port.changes).toEqual([]);
    expect(port.consents).toBe(1);
  });

  it("does not touch a converged tenant, and posts the consent when forced", async () => {
    const converged = read(liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] }));
    const quiet = new ScriptedPort([converged]);
    const { result } = await refreshTenant(desiredTenant(), quiet, instantSettings(), { forceConsent: false });
    expect(result.status).toBe("converged");
    expect(quiet.changes).toEqual([]);
    expect(quiet.consents).toBe(0);
    expect(quiet.reads).toBe(1);

    const forced = new ScriptedPort(
      [converged],
      () => reply(201),
      () => Promise.resolve("already-exists" as const),
    );
    const again = await refreshTenant(desiredTenant(), forced, instantSettings(), { forceConsent: true });
    expect(forced.consents).toBe(1);
    expect(again.result.steps.consent).toBe("already-existed");
    expect(again.result.status).toBe("converged");
    expect(forced.changes).toEqual([]);
  });

  it("assigns app roles to CIPP-SAM's service principal, by the resource's service principal and role id", async () => {
    const port = new ScriptedPort([
      read(
        liveTenant({
          resources: new Map([
            [GRAPH, graphResource()],
            [EXO, exchangeResource()],
          ]),
          grants: [grant(["Directory.Read.All", "User.Read"])],
        }),
      ),
    ]);
    await refreshTenant(desiredTenant(true), port, instantSettings(), { forceConsent: false });
    expect(port.changes[0]).toEqual({ kind: "assign-app-role", clientId: CLIENT_SP, resourceId: GRAPH_SP, appRoleId: ROLE_USER_READ_ALL });
    expect(port.changes).toHaveLength(2);
  });

  it("removes an extra app role under the remove policy and reports it removed by name", async () => {
    const extra = { id: "assignment-x", resourceId: GRAPH_SP, appRoleId: "7ab1d382-f21e-4acd-a863-ba3e13f7da61" };
    const resource = {
      ...graphResource(),
      appRoles: [...graphResource().appRoles, { id: extra.appRoleId, value: "Directory.Read.All", assignableToApps: true, enabled: true }],
    };
    const resources = new Map([[GRAPH, resource]]);
    const grants = [grant(["Directory.Read.All", "User.Read"])];
    const port = new ScriptedPort(
      [
        read(liveTenant({ resources, appRoleAssignments: [heldRole, extra], grants })),
        read(liveTenant({ resources, appRoleAssignments: [heldRole], grants })),
      ],
      () => reply(204),
    );
    const desired = { ...desiredTenant(), extras: { appRoles: "remove" as const, scopes: "keep" as const } };

    const { result } = await refreshTenant(desired, port, instantSettings(), { forceConsent: false });

    expect(port.changes).toEqual([{ kind: "remove-app-role", clientId: CLIENT_SP, assignmentId: "assignment-x" }]);
    expect(result.status).toBe("changed");
    expect(result.permissions.find((p) => p.outcome === "removed")).toEqual(
      expect.objectContaining({ type: "appRole", permission: "Directory.Read.All", resource: expect.objectContaining({ appId: GRAPH }) }),
    );
  });
});

describe("refreshTenant when the consent exists but its grant lost a scope CIPP-SAM writes with", () => {
  const withoutGrantScope = { ...liveTenant(), tokenScopes: ["Directory.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"] };

  it("does not wait for a replication that cannot come, and says that a reset consents again", async () => {
    const slept: number[] = [];
    const port = new ScriptedPort([read(withoutGrantScope)], undefined, () => Promise.resolve("already-exists" as const));

    const { result } = await refreshTenant(desiredTenant(), port, instantSettings(slept), { forceConsent: false });

    expect(port.consents).toBe(1);
    expect(port.changes).toEqual([]);
    expect(port.reads).toBe(2);
    expect(slept).toEqual([]);
    expect(result.status).toBe("failed");
    expect(result.steps.consent).toBe("already-existed");
    expect(result.problem?.message).toMatch(/DelegatedPermissionGrant\.ReadWrite\.All/);
    expect(result.problem?.action).toContain("cipp-cpv reset --tenant contoso.onmicrosoft.com --confirm contoso.onmicrosoft.com");
  });
});

describe("convergeTenant's consent under the replication-polling policy", () => {
  it("posts a refused consent again after the policy's backoff, as often as the reset allows", async () => {
    const notConsented = {
      kind: "not-consented" as const,
      problem: { kind: "consent-missing" as const, message: "AADSTS65001", action: "consent" },
    };
    const converged = read(liveTenant({ appRoleAssignments: [heldRole], grants: [grant(["Directory.Read.All", "User.Read"])] }));
    let refusals = 2;
    const port = new ScriptedPort(
      [notConsented, converged],
      () => reply(201),
      () => (refusals-- > 0 ? Promise.reject(new Error("Partner Center answered HTTP 503")) : Promise.resolve("created" as const)),
    );
    const slept: number[] = [];
    const settings = instantSettings(slept);
    const ledger = new TenantLedger({ tenantId: TENANT, defaultDomain: "contoso.onmicrosoft.com", displayName: "Contoso" }, 0);

    await convergeTenant(ledger, desiredTenant(), port, settings, { forceConsent: false, consentAttempts: 4 });

    expect(port.consents).toBe(3);
    expect(ledger.consent).toBe("created");
    // Backoff of the replication policy (1 s, doubling) with the scripted jitter of ¾.
    expect(slept.slice(0, 2)).toEqual([750, 1_500]);
    expect(ledger.toResult(0, port.requestCounts()).status).toBe("changed");
  });

  it("gives up after the allowed attempts, saying what the consent answered", async () => {
    const notConsented = {
      kind: "not-consented" as const,
      problem: { kind: "consent-missing" as const, message: "AADSTS65001", action: "consent" },
    };
    const port = new ScriptedPort(
      [notConsented],
      () => reply(201),
      () => Promise.reject(new Error("Partner Center answered HTTP 503")),
    );
    const ledger = new TenantLedger({ tenantId: TENANT, defaultDomain: "contoso.onmicrosoft.com", displayName: "Contoso" }, 0);

    await convergeTenant(ledger, desiredTenant(), port, instantSettings(), { forceConsent: false, consentAttempts: 2 });

    expect(port.consents).toBe(2);
    expect(ledger.consent).toBe("failed");
    expect(ledger.failure?.message).toContain("Partner Center answered HTTP 503");
  });
});
