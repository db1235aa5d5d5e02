/**
 * Microsoft Graph's documented request/response examples, replayed against the emulator over HTTPS
 * with a token from its own token endpoint. Ids are adapted to the demo world; what is compared is
 * the shape of the answer: status, property names and JSON types, the `@odata.context` form, and
 * the id formats. Where the emulator is known to differ from the docs, the difference is listed
 * exactly, so that the test fails both when a new difference appears and when one is fixed.
 */
import { expect } from "@jest/globals";
import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";
import { call, trustingAgent, type HttpResult } from "../helpers/emulator-client";
import { compositeKeyGuids, idFormat, parseContext, pathsOf, shapeDifferences, type ShapeDifferences } from "./json-shape";
import { describeWithSharedData, docExamples, type DocExample } from "./shared-data";

const GRAPH_APP = "00000003-0000-0000-c000-000000000000";
const EXCHANGE_APP = "00000002-0000-0ff1-ce00-000000000000";
const MANAGEMENT_APIS_APP = "c5393580-f805-4401-95e8-94b7a6ef2fc2";
const TENANT = DEMO.healthy.tenantId;

/**
 * servicePrincipal properties the v1.0 resource page (api-reference/v1.0/resources/serviceprincipal.md)
 * documents, beyond those its examples show.
 */
const SERVICE_PRINCIPAL_DOCUMENTED = [
  "accountEnabled",
  "addIns",
  "alternativeNames",
  "appDescription",
  "appDisplayName",
  "appId",
  "applicationTemplateId",
  "appOwnerOrganizationId",
  "appRoleAssignmentRequired",
  "appRoles",
  "deletedDateTime",
  "description",
  "disabledByMicrosoftStatus",
  "displayName",
  "homepage",
  "id",
  "info",
  "keyCredentials",
  "loginUrl",
  "logoutUrl",
  "notes",
  "notificationEmailAddresses",
  "oauth2PermissionScopes",
  "passwordCredentials",
  "preferredSingleSignOnMode",
  "preferredTokenSigningKeyThumbprint",
  "publisherName",
  "replyUrls",
  "resourceSpecificApplicationPermissions",
  "samlSingleSignOnSettings",
  "servicePrincipalNames",
  "servicePrincipalType",
  "signInAudience",
  "tags",
  "tokenEncryptionKeyId",
  "verifiedPublisher",
];
/** appRoleAssignment v1.0 also returns deletedDateTime (resources/approleassignment.md). */
const ASSIGNMENT_DOCUMENTED = ["deletedDateTime"];
/** Graph's error envelope carries client-request-id in innerError (concepts/errors.md, json-batching.md). */
const INNER_ERROR_DOCUMENTED = ["client-request-id"];

/** servicePrincipal properties the documented examples show and the emulator does not serialise. */
const SERVICE_PRINCIPAL_NOT_EMULATED = ["endpoints"];

const NO_DIFFERENCE: ShapeDifferences = { missing: [], undocumented: [], types: [] };

/** An app role or delegated scope of a service principal, as far as these tests read it. */
interface GraphPermission {
  readonly id: string;
  readonly isEnabled: boolean;
  readonly allowedMemberTypes: readonly string[];
}

/** Graph's error envelope (concepts/errors.md). */
interface GraphError {
  readonly code: string;
  readonly message: string;
  readonly innerError: { readonly date: string; readonly "request-id": string };
}

/** One answer of a JSON batch (json-batching.md). */
interface BatchAnswer {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: GraphAnswer;
}

/**
 * The properties of Graph's answers (and of the documented examples) that these tests read: those
 * of a collection, of a service principal, an app role assignment, a grant, a batch and an error.
 * One answer carries only some of them; which ones, and of which JSON type, is what the tests check
 * (`shapeDifferences` against the documented example), so each is typed as Graph documents it.
 */
interface GraphAnswer {
  readonly "@odata.context": string;
  readonly "@odata.count"?: number;
  readonly "@odata.nextLink"?: string;
  readonly value: readonly GraphAnswer[];
  readonly responses: readonly BatchAnswer[];
  readonly error?: GraphError;
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly appOwnerOrganizationId: string;
  readonly appRoles: readonly GraphPermission[];
  readonly oauth2PermissionScopes: readonly GraphPermission[];
  readonly principalId: string;
  readonly resourceId: string;
  readonly appRoleId: string;
  readonly clientId: string;
  readonly scope: string;
}

/** A documented example that has a response, whose body is a Graph answer. */
type AnsweredExample = DocExample & { readonly response: NonNullable<DocExample["response"]> & { readonly body: GraphAnswer } };

/** The first element of `list`, which the caller expects to hold one. */
function firstOf<T>(list: readonly T[], what: string): T {
  const [element] = list;
  if (element === undefined) throw new Error(`${what} is empty`);
  return element;
}

/** The error an answer carries, which the caller expects it to. */
function errorOf(answer: GraphAnswer): GraphError {
  if (answer.error === undefined) throw new Error(`not an error answer: ${JSON.stringify(answer)}`);
  return answer.error;
}

/** An answer's properties but `key`. */
function without(answer: object, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(answer).filter(([k]) => k !== key));
}

describeWithSharedData("the emulator answers as Microsoft Graph's documentation examples do", ["graph-doc-examples.json"], () => {
  let emulator: RunningEmulator;
  let agent: Agent;
  let token: string;
  let examples: ReadonlyMap<string, DocExample>;
  /** The demo tenant's service principal ids by appId. */
  const spIds = new Map<string, string>();

  const example = (name: string): AnsweredExample => {
    const found = examples.get(name);
    if (!found?.response) throw new Error(`graph-doc-examples.json has no example "${name}" with a response`);
    return found as AnsweredExample;
  };
  const documentedBody = (name: string): GraphAnswer => example(name).response.body;
  const graphRequest = (path: string, body: unknown, headers: Record<string, string>) =>
    [
      `${emulator.baseUrl}/v1.0${path}`,
      { headers: { authorization: `Bearer ${token}`, ...headers }, ...(body === undefined ? {} : { body }) },
    ] as const;
  const graph = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<GraphAnswer>> =>
    call<GraphAnswer>(agent, method, ...graphRequest(path, body, headers));
  const spId = (appId: string): string => {
    const id = spIds.get(appId);
    if (id === undefined) throw new Error(`the demo tenant has no service principal for ${appId}`);
    return id;
  };
  /** Checks that an answer's `@odata.context` has the documented form, under the emulator's own service root. */
  const expectContextForm = (actual: string, documented: string): void => {
    const mine = parseContext(actual);
    expect(mine.serviceRoot).toBe(`${emulator.baseUrl}/v1.0`);
    expect(mine.form).toBe(parseContext(documented).form);
  };

  beforeAll(async () => {
    examples = docExamples();
    emulator = await startEmulator();
    agent = trustingAgent(emulator.caCertificatePem);
    // The partner's service account through GDAP, as the project writes: CIPP-SAM's app-only
    // token may read but holds no AppRoleAssignment.ReadWrite.All.
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      refresh_token: DEMO_CREDENTIALS.refreshToken,
      scope: "https://graph.microsoft.com/.default",
    });
    const issued = await call<{ access_token: string }>(agent, "POST", `${emulator.baseUrl}/${TENANT}/oauth2/v2.0/token`, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    expect(issued.status).toBe(200);
    token = issued.body.access_token;
    const all = await graph("GET", "/servicePrincipals?$select=id,appId&$top=999");
    for (const sp of all.body.value) spIds.set(sp.appId, sp.id);
  });
  afterAll(async () => {
    await agent.close();
    await emulator.stop();
  });

  describe("servicePrincipals", () => {
    it("list (serviceprincipal-list.md, both revisions): 200, a value array of service principals shaped as documented", async () => {
      const r = await graph("GET", "/servicePrincipals");
      expect(r.status).toBe(example("list_serviceprincipal").response.status);
      expect(r.body.value.length).toBeGreaterThan(0);
      expectContextForm(r.body["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals");
      for (const name of ["list_serviceprincipal", "list_serviceprincipal (older revision)"]) {
        const diff = shapeDifferences(documentedBody(name), r.body, [
          "$.@odata.context",
          ...pathsOf("$.value[]", SERVICE_PRINCIPAL_DOCUMENTED),
        ]);
        expect({ name, ...diff }).toEqual({
          name,
          ...NO_DIFFERENCE,
          missing: [],
        });
      }
    });

    it("list with $select (serviceprincipal-list.md): the context names the selected properties and the items hold only them", async () => {
      const documented = documentedBody("list_serviceprincipals_lessthan2owners");
      // The project never filters on owners; the $select part of the example is what it relies on.
      const r = await graph("GET", "/servicePrincipals?$select=id,displayName");
      expect(r.status).toBe(example("list_serviceprincipals_lessthan2owners").response.status);
      expectContextForm(r.body["@odata.context"], documented["@odata.context"]);
      expect(parseContext(r.body["@odata.context"]).selected).toEqual(parseContext(documented["@odata.context"]).selected);
      // $count is an advanced query the project does not use, so @odata.count is not expected.
      expect(shapeDifferences(without(documented, "@odata.count"), r.body)).toEqual(NO_DIFFERENCE);
      for (const sp of r.body.value) expect(idFormat(sp.id)).toBe(idFormat(firstOf(documented.value, "the documented value").id));
    });

    // Advanced queries (ConsistencyLevel: eventual): the project itself reads with eq/in filters only,
    // but the emulator must not refuse what Graph answers.
    it("count only (serviceprincipal-list.md, example 2): text/plain, with ConsistencyLevel: eventual", async () => {
      const documented = example("get_count_only");
      // Not JSON but a bare number as text/plain.
      const r = await call(agent, "GET", ...graphRequest("/servicePrincipals/$count", undefined, documented.request?.headers ?? {}));
      expect(r.status).toBe(documented.response.status);
      expect(String(r.body)).toMatch(/^\d+$/);
      expect(Number(r.body)).toBe(spIds.size);
      const refused = await graph("GET", "/servicePrincipals/$count");
      expect(refused.status).toBe(400);
    });

    it("startswith, $count, $top and $orderby (serviceprincipal-list.md, example 3): 200 with @odata.count", async () => {
      const documented = example("list_serviceprincipals_startswith");
      const url = new URL(documented.request?.url ?? "");
      const r = await graph("GET", `/servicePrincipals${url.search}`, undefined, documented.request?.headers ?? {});
      expect(r.status).toBe(documented.response.status);
      expect(typeof r.body["@odata.count"]).toBe(typeof documented.response.body["@odata.count"]);
      const names = (await graph("GET", "/servicePrincipals?$select=displayName&$top=999")).body.value.map((s) => s.displayName);
      const count = (prefix: string): number => names.filter((n) => n.toLowerCase().startsWith(prefix)).length;
      expect([r.body["@odata.count"], r.body.value.length]).toEqual([count("a"), Math.min(1, count("a"))]);
      // The same query with a prefix the demo tenant has, sorted as asked.
      const withM = new URLSearchParams(url.search);
      withM.set("$filter", "startswith(displayName, 'm')");
      const m = await graph("GET", `/servicePrincipals?${withM.toString()}`, undefined, documented.request?.headers ?? {});
      const first = names
        .filter((n) => n.toLowerCase().startsWith("m"))
        .sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" }))[0];
      expect([m.body["@odata.count"], m.body.value.map((s) => s.displayName)]).toEqual([count("m"), [first]]);
      expect(count("m")).toBeGreaterThan(1);
    });

    it("$search with $count and $select (serviceprincipal-list.md, example 4): 200, only the selected properties", async () => {
      const documented = example("list_serviceprincipals_search_count_select");
      const url = new URL(documented.request?.url ?? "");
      const r = await graph("GET", `/servicePrincipals${url.search}`, undefined, documented.request?.headers ?? {});
      expect(r.status).toBe(documented.response.status);
      expect(parseContext(r.body["@odata.context"]).selected).toEqual(parseContext(documented.response.body["@odata.context"]).selected);
      expect(r.body["@odata.count"]).toBe(r.body.value.length);
      for (const sp of r.body.value) expect(sp.displayName).toMatch(/\bTeam/i);
    });

    it("get by id (serviceprincipal-get.md): 200 and the documented properties, GUID ids", async () => {
      const documented = documentedBody("get_serviceprincipal");
      const r = await graph("GET", `/servicePrincipals/${spId(DEMO.applicationId)}`);
      expect(r.status).toBe(example("get_serviceprincipal").response.status);
      expectContextForm(r.body["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity");
      const diff = shapeDifferences(documented, r.body, ["$.@odata.context", ...pathsOf("$", SERVICE_PRINCIPAL_DOCUMENTED)]);
      expect(diff).toEqual({ ...NO_DIFFERENCE, missing: pathsOf("$", SERVICE_PRINCIPAL_NOT_EMULATED) });
      expect(idFormat(r.body.id)).toBe(idFormat(documented.id));
      expect(idFormat(r.body.appOwnerOrganizationId)).toBe(idFormat(documented.appOwnerOrganizationId));
    });

    it("get by the appId alternate key (serviceprincipal-get.md): the same object as by id", async () => {
      const byKey = await graph("GET", `/servicePrincipals(appId='${DEMO.applicationId}')`);
      const byId = await graph("GET", `/servicePrincipals/${spId(DEMO.applicationId)}`);
      expect(byKey.status).toBe(200);
      expect(without(byKey.body, "@odata.context")).toEqual(without(byId.body, "@odata.context"));
    });

    it("get with $select (serviceprincipal-get.md): appRoles and oauth2PermissionScopes entries shaped as documented", async () => {
      const documented = documentedBody("get_serviceprincipal_select");
      const query = new URL(example("get_serviceprincipal_select").request?.url ?? "").searchParams.get("$select") ?? "";
      const r = await graph("GET", `/servicePrincipals/${spId(GRAPH_APP)}?$select=${query}`);
      expect(r.status).toBe(200);
      // The doc's context says beta and publishedPermissionScopes, though the request is v1.0 and
      // selects oauth2PermissionScopes; its form ("(…)/$entity") is what holds.
      expectContextForm(r.body["@odata.context"], documented["@odata.context"]);
      expect(parseContext(r.body["@odata.context"]).selected).toEqual(query.split(","));
      expect(
        Object.keys(r.body)
          .filter((k) => !k.startsWith("@"))
          .sort(),
      ).toEqual(query.split(",").sort());
      expect(shapeDifferences(documented, r.body, ["$.resourceSpecificApplicationPermissions"])).toEqual(NO_DIFFERENCE);
      expect(r.body.appRoles.length).toBeGreaterThan(0);
      expect(r.body.oauth2PermissionScopes.length).toBeGreaterThan(0);
      for (const entry of [...r.body.appRoles, ...r.body.oauth2PermissionScopes]) expect(idFormat(entry.id)).toBe("guid");
    });

    it("create (serviceprincipal-post-serviceprincipals.md): 201 and the full object", async () => {
      const documented = example("create_serviceprincipal_from_serviceprincipals");
      // Every first-party app the demo world knows is instantiated in the tenant: remove one first.
      const removed = await graph("DELETE", `/servicePrincipals(appId='${MANAGEMENT_APIS_APP}')`);
      expect(removed.status).toBe(204);
      const r = await graph("POST", "/servicePrincipals", { ...(documented.request?.body as object), appId: MANAGEMENT_APIS_APP });
      expect(r.status).toBe(documented.response.status);
      expectContextForm(r.body["@odata.context"], documented.response.body["@odata.context"]);
      const diff = shapeDifferences(documented.response.body, r.body, pathsOf("$", SERVICE_PRINCIPAL_DOCUMENTED));
      expect(diff).toEqual(NO_DIFFERENCE);
      expect(r.body.appId).toBe(MANAGEMENT_APIS_APP);
      expect(idFormat(r.body.id)).toBe("guid");
    });
  });

  describe("app role assignments", () => {
    /** An app role of Microsoft Graph that CIPP-SAM does not hold in the demo tenant. */
    async function unassignedGraphRole(): Promise<string> {
      const held = await graph("GET", `/servicePrincipals/${spId(DEMO.applicationId)}/appRoleAssignments?$top=999`);
      const heldIds = new Set(held.body.value.map((a) => a.appRoleId));
      const roles = await graph("GET", `/servicePrincipals/${spId(GRAPH_APP)}?$select=appRoles`);
      const free = roles.body.appRoles.find((r) => r.isEnabled && r.allowedMemberTypes.includes("Application") && !heldIds.has(r.id));
      if (free === undefined) throw new Error("CIPP-SAM holds every application role of Microsoft Graph in the demo tenant");
      return free.id;
    }

    it("the documented assignment ids are composite keys that start with the principal, but for one example", () => {
      for (const name of ["serviceprincipal_get_approleassignments", "serviceprincipal_get_approleassignedto"]) {
        const documented = firstOf(documentedBody(name).value, `${name}'s value`);
        expect(compositeKeyGuids(documented.id)).toEqual([documented.principalId, expect.any(String)]);
      }
      const assignedTo = documentedBody("serviceprincipal_create_approleassignedto");
      expect(compositeKeyGuids(assignedTo.id)[0]).toBe(assignedTo.principalId);
      // One example breaks the rule: its id starts with the resource's GUID, not the principal's.
      const assignment = documentedBody("serviceprincipal_create_approleassignment");
      expect(compositeKeyGuids(assignment.id)[0]).toBe(assignment.resourceId);
    });

    it("list on the client (serviceprincipal-list-approleassignments.md): 200, assignments shaped and keyed as documented", async () => {
      const documented = documentedBody("serviceprincipal_get_approleassignments");
      const r = await graph("GET", `/servicePrincipals/${spId(DEMO.applicationId)}/appRoleAssignments`);
      expect(r.status).toBe(example("serviceprincipal_get_approleassignments").response.status);
      expectContextForm(r.body["@odata.context"], documented["@odata.context"]);
      expect(r.body.value.length).toBeGreaterThan(0);
      expect(shapeDifferences(documented, r.body, pathsOf("$.value[]", ASSIGNMENT_DOCUMENTED))).toEqual(NO_DIFFERENCE);
      for (const a of r.body.value) expect(compositeKeyGuids(a.id)).toEqual([a.principalId, expect.any(String)]);
    });

    it("list on the resource (serviceprincipal-list-approleassignedto.md): 200, context names the resource", async () => {
      const documented = documentedBody("serviceprincipal_get_approleassignedto");
      const r = await graph("GET", `/servicePrincipals/${spId(GRAPH_APP)}/appRoleAssignedTo`);
      expect(r.status).toBe(200);
      expectContextForm(r.body["@odata.context"], documented["@odata.context"]);
      expect(r.body["@odata.context"]).toContain(`servicePrincipals('${spId(GRAPH_APP)}')`);
      expect(r.body.value.length).toBeGreaterThan(0);
      expect(shapeDifferences(documented, r.body)).toEqual(NO_DIFFERENCE);
      for (const a of r.body.value) expect(a.resourceId).toBe(spId(GRAPH_APP));
    });

    it("create on the client (serviceprincipal-post-approleassignments.md): 201 and the assignment", async () => {
      const documented = example("serviceprincipal_create_approleassignment");
      const client = spId(DEMO.applicationId);
      const body = { principalId: client, resourceId: spId(GRAPH_APP), appRoleId: await unassignedGraphRole() };
      expect(Object.keys(body).sort()).toEqual(Object.keys(documented.request?.body as object).sort());
      const r = await graph("POST", `/servicePrincipals/${client}/appRoleAssignments`, body);
      expect(r.status).toBe(documented.response.status);
      expect(shapeDifferences(documented.response.body, r.body, ["$.deletedDateTime"])).toEqual(NO_DIFFERENCE);
      expect(compositeKeyGuids(r.body.id)).toEqual([client, expect.any(String)]);
      // On the principal's side the answer is in the entity set's context, not the navigation's.
      expect(parseContext(documented.response.body["@odata.context"]).form).toBe("appRoleAssignments/$entity");
      expect(parseContext(r.body["@odata.context"]).form).toBe("appRoleAssignments/$entity");
    });

    it("create on the resource (serviceprincipal-post-approleassignedto.md): 201, context names the resource", async () => {
      const documented = example("serviceprincipal_create_approleassignedto");
      const resource = spId(GRAPH_APP);
      const body = { principalId: spId(DEMO.applicationId), resourceId: resource, appRoleId: await unassignedGraphRole() };
      const r = await graph("POST", `/servicePrincipals/${resource}/appRoleAssignedTo`, body);
      expect(r.status).toBe(documented.response.status);
      expectContextForm(r.body["@odata.context"], documented.response.body["@odata.context"]);
      expect(shapeDifferences(documented.response.body, r.body)).toEqual(NO_DIFFERENCE);
      expect(compositeKeyGuids(r.body.id)[0]).toBe(body.principalId);
    });
  });

  describe("oauth2PermissionGrants", () => {
    /** A grant key is the client's GUID bytes then the resource's (as src/emulator/ids.ts builds it). */
    const expectGrantKey = (grant: { id: string; clientId: string; resourceId: string }): void =>
      expect(compositeKeyGuids(grant.id)).toEqual([grant.clientId, grant.resourceId]);

    it("the documented grant ids are the client's and the resource's GUIDs", () => {
      for (const grant of documentedBody("list_oauth2permissiongrants").value) expectGrantKey(grant);
      expectGrantKey(documentedBody("post_oAuth2PermissionGrant"));
    });

    it("list (oauth2permissiongrant-list.md): 200, grants shaped and keyed as documented", async () => {
      const documented = documentedBody("list_oauth2permissiongrants");
      const r = await graph("GET", `/oauth2PermissionGrants?$filter=clientId eq '${spId(DEMO.applicationId)}'`);
      expect(r.status).toBe(example("list_oauth2permissiongrants").response.status);
      expectContextForm(r.body["@odata.context"], documented["@odata.context"]);
      expect(r.body.value.length).toBeGreaterThan(0);
      // Each grant carries its "@odata.id" annotation, as documented.
      expect(shapeDifferences(documented, r.body)).toEqual(NO_DIFFERENCE);
      for (const grant of r.body.value) expectGrantKey(grant);
    });

    it("create (oauth2permissiongrant-post.md): 201 and the grant; update (oauth2permissiongrant-update.md): 204, no body", async () => {
      const created = example("post_oAuth2PermissionGrant");
      // Exchange Online's service principal as the client of Microsoft Graph: a pair without a grant.
      const body = { ...(created.request?.body as object), clientId: spId(EXCHANGE_APP), resourceId: spId(GRAPH_APP) };
      const r = await graph("POST", "/oauth2PermissionGrants", body);
      expect(r.status).toBe(created.response.status);
      expectContextForm(r.body["@odata.context"], created.response.body["@odata.context"]);
      expect(shapeDifferences(created.response.body, r.body)).toEqual(NO_DIFFERENCE);
      expectGrantKey(r.body);

      const updated = example("update_oAuth2PermissionGrant");
      const patch = await graph("PATCH", `/oauth2PermissionGrants/${r.body.id}`, updated.request?.body);
      expect(patch.status).toBe(updated.response.status);
      expect(patch.body).toBeUndefined();
      const after = await graph("GET", `/oauth2PermissionGrants?$filter=clientId eq '${spId(EXCHANGE_APP)}'`);
      expect(after.body.value.map((g) => g.scope)).toEqual([(updated.request?.body as { readonly scope: string } | undefined)?.scope]);
    });
  });

  describe("JSON batching (json-batching.md)", () => {
    it("answers 200 with one response per request, each shaped as the documented one", async () => {
      const documented = example("json-batching-example");
      const byIdDocumented = new Map(documented.response.body.responses.map((x): [string, BatchAnswer] => [x.id, x]));
      const cipp = spId(DEMO.applicationId);
      // The documented batch reads /me and writes groups; each request is replaced by one of this
      // project's calls that answers with the same status class. The planner request (2) has none.
      const r = await graph("POST", "/$batch", {
        requests: [
          { id: "1", method: "GET", url: `/servicePrincipals/${cipp}/appRoleAssignments?$top=1` },
          { id: "3", method: "DELETE", url: "/servicePrincipals/0e226165-c685-41ce-8bfc-df8360ab325d" },
          { id: "4", method: "POST", url: `/servicePrincipals/${cipp}`, body: {}, headers: { "Content-Type": "application/json" } },
          { id: "5", method: "GET", url: `servicePrincipals?$select=id,displayName,appId&$filter=appId eq '${GRAPH_APP}'` },
        ],
      });
      expect(r.status).toBe(documented.response.status);
      expect(Object.keys(r.body)).toEqual(Object.keys(documented.response.body));
      const answers = new Map(r.body.responses.map((x): [string, BatchAnswer] => [x.id, x]));
      const answer = (id: string): BatchAnswer => {
        const found = answers.get(id);
        if (found === undefined) throw new Error(`no answer to request ${id}`);
        return found;
      };
      const documentedAnswer = (id: string): BatchAnswer => {
        const found = byIdDocumented.get(id);
        if (found === undefined) throw new Error(`the documented batch has no answer to request ${id}`);
        return found;
      };
      expect([...answers.keys()].sort()).toEqual(["1", "3", "4", "5"]);

      const one = answer("1");
      expect(one.status).toBe(documentedAnswer("1").status);
      expect(one.headers["Content-Type"]).toMatch(/^application\/json;odata\.metadata=minimal/);
      expect(Object.keys(one.body).sort()).toEqual(Object.keys(documentedAnswer("1").body).sort());
      expect(one.body["@odata.nextLink"]).toContain("$top=1");

      // A refused write: the doc's 403 and this 404 (Request_ResourceNotFound) share Graph's error envelope.
      const three = answer("3");
      expect(three.status).toBe(404);
      expect(errorOf(three.body).code).toBe("Request_ResourceNotFound");
      expect(shapeDifferences(documentedAnswer("3").body, three.body)).toEqual(NO_DIFFERENCE);

      const four = answer("4");
      expect({ status: four.status, code: errorOf(four.body).code, message: errorOf(four.body).message }).toEqual({
        status: documentedAnswer("4").status,
        code: errorOf(documentedAnswer("4").body).code,
        message: errorOf(documentedAnswer("4").body).message,
      });
      expect(shapeDifferences(documentedAnswer("4").body, four.body)).toEqual(NO_DIFFERENCE);

      const five = answer("5");
      expect(five.status).toBe(documentedAnswer("5").status);
      // The doc selects from users, this from servicePrincipals: the same "set(…)" form.
      const entitySet = /^[A-Za-z]+/;
      expect(parseContext(five.body["@odata.context"]).form.replace(entitySet, "servicePrincipals")).toBe("servicePrincipals(…)");
      expect(parseContext(documentedAnswer("5").body["@odata.context"]).form.replace(entitySet, "servicePrincipals")).toBe(
        "servicePrincipals(…)",
      );
      expect(parseContext(five.body["@odata.context"]).selected).toEqual(["id", "displayName", "appId"]);
      expect(five.body.value.map((sp) => sp.appId)).toEqual([GRAPH_APP]);

      for (const answer of answers.values()) {
        expect(Object.keys(answer).every((k) => ["id", "status", "headers", "body"].includes(k))).toBe(true);
        expect(answer.headers["Content-Type"]).toEqual(expect.stringMatching(/^application\/json/));
      }
    });
  });

  describe("errors and throttling", () => {
    it("errors (concepts/errors.md): the documented envelope, innerError.date without zone or fraction", async () => {
      const documented = documentedBody("example-error-response");
      const r = await graph("GET", "/servicePrincipals/59e617e5-e447-4adc-8b88-00af644d7c92");
      expect(r.status).toBe(404);
      expect(shapeDifferences(documented, r.body, pathsOf("$.error.innerError", INNER_ERROR_DOCUMENTED))).toEqual(NO_DIFFERENCE);
      // The errors page writes placeholders; the throttling and batching examples give real dates.
      const dates = [
        errorOf(documentedBody("throttling-sample-response")).innerError.date,
        ...example("json-batching-example").response.body.responses.flatMap((x) => (x.body.error ? [x.body.error.innerError.date] : [])),
      ];
      const dateForm = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
      for (const date of dates) expect(date).toMatch(dateForm);
      expect(errorOf(r.body).innerError.date).toMatch(dateForm);
      expect(idFormat(errorOf(r.body).innerError["request-id"])).toBe("guid");
    });

    it("throttling (concepts/throttling.md): 429, Retry-After as given, the documented body, also for a $batch item", async () => {
      const documented = example("throttling-sample-response");
      const retryAfter = documented.response.headers?.["Retry-After"] ?? "";
      emulator.setFaults({
        rules: [{ kind: "throttle", service: "graph", pathPattern: "servicePrincipals", count: 2, retryAfterSeconds: Number(retryAfter) }],
      });
      try {
        const outer = await graph("GET", "/servicePrincipals");
        expect(outer.status).toBe(documented.response.status);
        expect(outer.headers["retry-after"]).toBe(retryAfter);
        const allowed = pathsOf("$.error.innerError", INNER_ERROR_DOCUMENTED);
        expect(shapeDifferences(documented.response.body, outer.body, allowed)).toEqual(NO_DIFFERENCE);
        expect(errorOf(outer.body).code).toBe(errorOf(documented.response.body).code);

        const batch = await graph("POST", "/$batch", { requests: [{ id: "1", method: "GET", url: "/servicePrincipals" }] });
        expect(batch.status).toBe(200);
        const item = firstOf(batch.body.responses, "the batch's responses");
        expect(item.status).toBe(documented.response.status);
        expect(item.headers["Retry-After"]).toBe(retryAfter);
        expect(shapeDifferences(documented.response.body, item.body, allowed)).toEqual(NO_DIFFERENCE);
      } finally {
        emulator.setFaults({});
      }
    });
  });

  it("every documented example is replayed above or is a call this project does not make", () => {
    const notMade = new Set<string>([]);
    const replayed = new Set([
      "list_serviceprincipal",
      "list_serviceprincipal (older revision)",
      "list_serviceprincipals_lessthan2owners",
      "get_serviceprincipal",
      "get_serviceprincipal_select",
      "create_serviceprincipal_from_serviceprincipals",
      "serviceprincipal_get_approleassignments",
      "serviceprincipal_create_approleassignment",
      "serviceprincipal_get_approleassignedto",
      "serviceprincipal_create_approleassignedto",
      "list_oauth2permissiongrants",
      "post_oAuth2PermissionGrant",
      "update_oAuth2PermissionGrant",
      "json-batching-example",
      "throttling-sample-response",
      "example-error-response",
      "get_count_only",
      "list_serviceprincipals_startswith",
      "list_serviceprincipals_search_count_select",
    ]);
    expect([...examples.keys()].filter((name) => !notMade.has(name) && !replayed.has(name))).toEqual([]);
    expect([...notMade, ...replayed].filter((name) => !examples.has(name))).toEqual([]);
  });
});
