// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { changeFor } from "../../src/apply/execute-writes";
import type { LiveTenant } from "../../src/live/model";
import type { PlanAction } from "../../src/plan/model";
import { graphWriteOf, judgeAnswer } from "../../src/tenant/graph-writes";
import type { ChangeAnswer, ChangeVerdict } from "../../src/tenant/port";
import { CLIENT_SP, EXO, GRAPH, GRAPH_SP, liveTenant, reply } from "../apply/scripted-port";

const graph = { appId: GRAPH, displayName: "Microsoft Graph" };
const addRole: PlanAction = {
  kind: "add-app-role",
  resource: graph,
  permission: "User.Read.All",
  appRoleId: "df021288-bdef-4463-88db-98f22de89214",
};
const createGrant: PlanAction = { kind: "create-grant", resource: graph, scopes: ["Directory.Read.All", "User.Read"] };
const createResource: PlanAction = { kind: "create-resource", resource: { appId: EXO, displayName: "Exchange" } };
const removeRole: PlanAction = { kind: "remove-app-role", resource: graph, permission: "User.Read.All", assignmentId: "a/b+c" };
const updateGrant: PlanAction = {
  kind: "update-grant",
  resource: graph,
  grantId: "g1",
  add: ["X"],
  remove: [],
  scopes: ["User.Read", "X"],
};

/** The Graph write a plan action becomes: the executor's tenant change, in the adapter's wire form. */
function graphWriteFor(action: PlanAction, live: LiveTenant) {
  const built = changeFor(action, live);
  return built.ok ? { ok: true as const, write: graphWriteOf(built.change) } : built;
}

/** The adapter's verdict on Graph's answer to the write made for a plan action. */
function judgeReply(action: PlanAction, answer: ChangeAnswer): ChangeVerdict {
  const built = changeFor(action, liveTenant());
  if (!built.ok) throw new Error(built.reason);
  return judgeAnswer(built.change, answer);
}

describe("graphWriteFor", () => {
  it("writes grants with the full, space-separated scope string", () => {
    expect(graphWriteFor(createGrant, liveTenant())).toEqual({
      ok: true,
      write: {
        method: "POST",
        url: "/oauth2PermissionGrants",
        body: { clientId: CLIENT_SP, consentType: "AllPrincipals", resourceId: GRAPH_SP, scope: "Directory.Read.All User.Read" },
      },
    });
    expect(graphWriteFor(updateGrant, liveTenant())).toEqual({
      ok: true,
      write: { method: "PATCH", url: "/oauth2PermissionGrants/g1", body: { scope: "User.Read X" } },
    });
  });

  it("escapes assignment ids in the URL", () => {
    const built = graphWriteFor(removeRole, liveTenant());
    expect(built.ok && built.write.url).toBe(`/servicePrincipals/${CLIENT_SP}/appRoleAssignments/a%2Fb%2Bc`);
  });

  it("refuses what cannot be written yet, saying why", () => {
    const unresolved: PlanAction = { ...addRole, appRoleId: null };
    expect(graphWriteFor(unresolved, liveTenant())).toEqual({
      ok: false,
      reason: expect.stringMatching(/publishes no app role User.Read.All/),
    });
    const onMissingResource: PlanAction = { ...addRole, resource: { appId: EXO, displayName: "Exchange" } };
    expect(graphWriteFor(onMissingResource, liveTenant())).toEqual({
      ok: false,
      reason: expect.stringMatching(/Exchange has no service principal/),
    });
  });
});

describe("judgeReply", () => {
  it.each<[string, PlanAction, ReturnType<typeof reply>, string]>([
    ["created", addRole, reply(201), "done"],
    [
      "a duplicate assignment, by message",
      addRole,
      reply(400, "Permission being assigned already exists on the object"),
      "already-present",
    ],
    ["a duplicate grant", createGrant, reply(409, "Permission entry already exists."), "conflict"],
    ["a duplicate grant reported as 400", createGrant, reply(400, "Permission entry already exists."), "conflict"],
    ["a service principal that exists", createResource, reply(409, "The service principal name is already in use."), "already-present"],
    ["an app the tenant cannot instantiate", createResource, reply(400, "does not reference a valid application object."), "unavailable"],
    ["a removal of something gone", removeRole, reply(404, "Resource 'x' does not exist"), "done"],
    // Graph answers a corrupt object id with 400 "Invalid object identifier": never "already gone".
    ["a removal through a corrupt id", removeRole, reply(400, "Invalid object identifier 'a/b+c'."), "failed"],
    [
      "a grant deletion through a corrupt id",
      { kind: "delete-duplicate-grant", resource: graph, grantId: "x" },
      reply(400, "Invalid object identifier 'x'."),
      "failed",
    ],
    [
      "a reference not replicated yet",
      addRole,
      reply(404, "Resource 'x' does not exist or one of its queried reference-property objects are not present."),
      "retry",
    ],
    ["a role not propagated yet", addRole, reply(400, "Permission being assigned was not found on application"), "retry"],
    ["a busy service", updateGrant, reply(503, "Service unavailable."), "retry"],
    ["a refusal", addRole, reply(403, "Insufficient privileges to complete the operation."), "failed"],
    [
      "a refusal to create a service principal, which no licence explains",
      createResource,
      { status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." },
      "failed",
    ],
  ])("%s", (_label, action, answer, verdict) => {
    expect(judgeReply(action, answer).kind).toBe(verdict);
  });
});

describe("graphWriteOf", () => {
  it("deletes CIPP-SAM's own service principal by its object id", () => {
    expect(graphWriteOf({ kind: "delete-service-principal", servicePrincipalId: CLIENT_SP })).toEqual({
      method: "DELETE",
      url: `/servicePrincipals/${CLIENT_SP}`,
    });
  });

  it("counts a service principal already deleted as deleted, and retries one Graph is too busy to delete", () => {
    const change = { kind: "delete-service-principal", servicePrincipalId: CLIENT_SP } as const;
    expect(
      judgeAnswer(
        change,
        reply(404, `Resource '${CLIENT_SP}' does not exist or one of its queried reference-property objects are not present.`),
      ).kind,
    ).toBe("done");
    expect(judgeAnswer(change, reply(503, "Service unavailable.")).kind).toBe("retry");
    expect(judgeAnswer(change, reply(403, "Insufficient privileges to complete the operation.")).kind).toBe("failed");
  });
});
