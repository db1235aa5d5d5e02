/**
 * The tenant adapter over the real clients against the emulator: each domain change is made
 * through Graph as documented, and Graph's answers come back as the verdicts the refresh acts on.
 */
import { DEMO } from "../../src/emulator";
import type { LiveTenant } from "../../src/live/model";
import { DEFAULT_BOOTSTRAP_SCOPES } from "../../src/plan/bootstrap";
import { cloudTenantPort } from "../../src/tenant/cloud-port";
import type { TenantPort } from "../../src/tenant/port";
import { cippTenant, delta, SETTINGS, startSandbox, type Sandbox } from "../live/sandbox";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";
const POLICY_READ_ALL = "Policy.Read.All";

describe("cloudTenantPort against the emulator", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const portFor = (ids: { tenantId: string; defaultDomain: string; displayName: string }): TenantPort => {
    const clients = sandbox.clients();
    return cloudTenantPort(cippTenant(ids), { clients, settings: SETTINGS, bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES });
  };
  const liveOf = async (port: TenantPort): Promise<LiveTenant> => {
    const reading = await port.read();
    if (reading.kind !== "read") throw new Error(`not readable: ${reading.kind}`);
    return reading.live;
  };

  it("assigns an app role, says so when it is assigned already, and removes it (gone counts as removed)", async () => {
    const port = portFor(DEMO.drifted);
    const live = await liveOf(port);
    const client = live.client?.servicePrincipalId ?? "";
    const graph = live.resources.get(GRAPH);
    const auditLog = graph?.appRoles.find((role) => role.value === "AuditLog.Read.All");
    expect(auditLog).toBeDefined();
    const assign = {
      kind: "assign-app-role",
      clientId: client,
      resourceId: graph?.servicePrincipalId ?? "",
      appRoleId: auditLog?.id ?? "",
    } as const;

    const before = await sandbox.counts();
    const [first, again] = [...(await port.change([assign])), ...(await port.change([assign]))];
    expect(first?.verdict).toEqual({ kind: "done" });
    expect(again?.verdict).toEqual({ kind: "already-present" });
    expect(again?.answer.status).toBe(400);
    expect(delta(before, await sandbox.counts(), "graph")).toBe(2);

    const assignment = (await liveOf(port)).appRoleAssignments.find((a) => a.appRoleId === auditLog?.id);
    expect(assignment).toBeDefined();
    const remove = { kind: "remove-app-role", clientId: client, assignmentId: assignment?.id ?? "" } as const;
    const removed = await port.change([remove, remove]);
    expect(removed.map((outcome) => outcome.verdict.kind)).toEqual(["done", "done"]);
    expect((await liveOf(port)).appRoleAssignments.some((a) => a.appRoleId === auditLog?.id)).toBe(false);
  });

  it("patches a grant's scopes, calls a second grant for the same resource a conflict, and deletes grants", async () => {
    const port = portFor(DEMO.drifted);
    const live = await liveOf(port);
    const client = live.client?.servicePrincipalId ?? "";
    const graphSp = live.resources.get(GRAPH)?.servicePrincipalId ?? "";
    const grant = live.grants.find((g) => g.resourceId === graphSp);
    expect(grant).toBeDefined();
    expect(grant?.scopes).not.toContain(POLICY_READ_ALL);

    const scopes = [...(grant?.scopes ?? []), POLICY_READ_ALL];
    const outcomes = await port.change([
      { kind: "patch-grant", grantId: grant?.id ?? "", scopes },
      { kind: "create-grant", clientId: client, resourceId: graphSp, scopes: ["User.Read"] },
      { kind: "delete-grant", grantId: "00000000-0000-4000-8000-00000000dead" },
    ]);
    expect(outcomes.map((outcome) => outcome.verdict.kind)).toEqual(["done", "conflict", "done"]);
    expect((await liveOf(port)).grants.find((g) => g.id === grant?.id)?.scopes).toContain(POLICY_READ_ALL);
  });

  it("calls a resource service principal the tenant is not licensed for unavailable, and one that exists already present", async () => {
    const port = portFor(DEMO.unlicensed);
    const live = await liveOf(port);
    expect(live.resources.has(DEFENDER)).toBe(false);
    const [unlicensed] = await port.change([{ kind: "create-service-principal", appId: DEFENDER }]);
    expect(unlicensed?.verdict.kind).toBe("unavailable");
    expect(unlicensed?.created).toBeNull();

    const fresh = portFor(DEMO.drifted);
    const present = await liveOf(fresh);
    const [existing] = await fresh.change([{ kind: "create-service-principal", appId: GRAPH }]);
    expect(existing?.verdict.kind).toBe("already-present");
    expect(existing?.created).toBeNull();
    expect(present.resources.has(GRAPH)).toBe(true);
  });

  it("deletes CIPP-SAM's service principal, and counts it deleted when it is gone already", async () => {
    const port = portFor(DEMO.healthy);
    const live = await liveOf(port);
    const servicePrincipalId = live.client?.servicePrincipalId ?? "";
    const [deleted] = await port.change([{ kind: "delete-service-principal", servicePrincipalId }]);
    expect(deleted?.verdict).toEqual({ kind: "done" });
    const [again] = await port.change([{ kind: "delete-service-principal", servicePrincipalId }]);
    expect(again?.verdict).toEqual({ kind: "done" });
    expect(again?.answer.status).toBe(404);
  });

  it("counts what each tenant's changes cost", async () => {
    const port = portFor(DEMO.drifted);
    await port.read();
    const before = port.requestCounts().graph;
    await port.change([
      { kind: "delete-grant", grantId: "00000000-0000-4000-8000-00000000bee1" },
      { kind: "delete-grant", grantId: "00000000-0000-4000-8000-00000000bee2" },
    ]);
    // Two changes, one $batch request.
    expect(port.requestCounts().graph - before).toBe(1);
  });
});
