/**
 * Reads what decides a tenant's plan, in as few round trips as Graph allows: one delegated token
 * and one `$batch` for a consented tenant (CIPP-SAM's service principal, its app role assignments
 * and delegated grants, the resource service principals, the licences). Extra requests happen
 * only when the answer demands them: a further page, a resource outside the declaration, or a
 * token failure that needs the GDAP check to explain it.
 */
import type { MicrosoftClients } from "../cloud";
import {
  batchItemError,
  type BatchRequest,
  type BatchResponse,
  type GraphAppRoleAssignment,
  type GraphClient,
  type GraphCollection,
  type GraphOAuth2PermissionGrant,
  type GraphServicePrincipal,
  type GraphSubscribedSku,
} from "../cloud/graph";
import { TokenError, type AccessToken } from "../cloud/tokens";
import type { DesiredTenant, FleetSettings, Guid } from "../desired/model";
import { discoverTenant, type DiscoveredTenant } from "../cloud/tenant-discovery";
import { tokenProblem } from "../live/access";
import { isProof, proofFromDiscovery, proofFromOrganization, unprovenDomain, type GraphOrganization } from "../live/domain-proof";
import { checkGdap, gdapProblem } from "./gdap";
import { activeServicePlans, unlicensedReason } from "../live/licensing";
import type {
  AccessProblem,
  LiveAppRoleAssignment,
  LiveGrant,
  LiveReading,
  LiveResource,
  LiveTenant,
  UnavailableResource,
} from "../live/model";
import { liveResourceOf } from "../live/resource";

/** Graph refuses more than 15 values in one `in (...)` filter. */
const MAX_IN_VALUES = 15;
const RESOURCE_FIELDS = "id,appId,displayName,appRoles,oauth2PermissionScopes";

/** Reads one tenant's live state, or says why it cannot be read. */
export async function readTenant(clients: MicrosoftClients, desired: DesiredTenant, settings: FleetSettings): Promise<LiveReading> {
  const tenantId = desired.tenantId;
  let token: AccessToken;
  try {
    token = await clients.tokens.delegated(tenantId, "graph");
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    return explainTokenFailure(clients, desired, settings, err);
  }

  const graph = clients.graph(tenantId);
  const app = settings.applicationId.toLowerCase();
  const resourceAppIds = [...new Set(desired.permissions.resources.map((r) => r.appId.toLowerCase()))];
  const requests: BatchRequest[] = [
    // The domain proof rides in the same batch: a converged tenant still costs one token and one $batch.
    { id: "organization", method: "GET", url: "/organization?$select=id,verifiedDomains" },
    { id: "client", method: "GET", url: `/servicePrincipals(appId='${app}')?$select=id,displayName` },
    { id: "assignments", method: "GET", url: `/servicePrincipals(appId='${app}')/appRoleAssignments` },
    { id: "grants", method: "GET", url: `/servicePrincipals(appId='${app}')/oauth2PermissionGrants` },
    { id: "skus", method: "GET", url: "/subscribedSkus?$select=skuPartNumber,capabilityStatus,servicePlans" },
    ...chunk(resourceAppIds, MAX_IN_VALUES).map((ids, i): BatchRequest => ({
      id: `resources-${i}`,
      method: "GET",
      url: `/servicePrincipals?$filter=${encodeURIComponent(`appId in (${ids.map((id) => `'${id}'`).join(",")})`)}&$select=${RESOURCE_FIELDS}`,
    })),
  ];
  const answers = new Map((await graph.batch(requests)).map((r) => [r.id, r]));
  const answer = (id: string): BatchResponse => answers.get(id) as BatchResponse;
  const failure = (id: string): Error =>
    batchItemError(answer(id), requests.find((r) => r.id === id) as BatchRequest, (t) => clients.redactor.redact(t));

  const organization = answer("organization");
  if (organization.status !== 200) {
    return {
      kind: "inaccessible",
      problem: unprovenDomain(desired, `reading the organization answered ${failure("organization").message}`),
    };
  }
  const proof = proofFromOrganization(desired, (organization.body as Partial<GraphCollection<GraphOrganization>>).value ?? []);
  if (!isProof(proof)) return { kind: "inaccessible", problem: proof };

  const clientAnswer = answer("client");
  if (clientAnswer.status !== 200 && clientAnswer.status !== 404) throw failure("client");
  const clientSp = clientAnswer.status === 200 ? (clientAnswer.body as GraphServicePrincipal) : null;

  const assignments = clientSp ? await collection<GraphAppRoleAssignment>(graph, answer("assignments"), failure) : [];
  const grants = clientSp ? await collection<GraphOAuth2PermissionGrant>(graph, answer("grants"), failure) : [];

  const resources = new Map<Guid, LiveResource>();
  for (let i = 0; answers.has(`resources-${i}`); i++) {
    for (const sp of await collection<GraphServicePrincipal>(graph, answer(`resources-${i}`), failure)) {
      resources.set(sp.appId.toLowerCase(), liveResourceOf(sp));
    }
  }
  await addResourcesOutsideDeclaration(graph, resources, assignments, grants, clients);

  const unavailable: UnavailableResource[] = [];
  const skus = answer("skus");
  // Without the licence list nothing can be called unlicensed; creation will tell.
  if (skus.status === 200) {
    const plans = activeServicePlans(await collection<GraphSubscribedSku>(graph, skus, failure));
    for (const appId of resourceAppIds) {
      if (resources.has(appId)) continue;
      const reason = unlicensedReason(appId, plans);
      if (reason) unavailable.push({ appId, reason });
    }
  }

  const live: LiveTenant = {
    tenantId,
    client: clientSp ? { servicePrincipalId: clientSp.id, displayName: clientSp.displayName } : null,
    resources,
    unavailable,
    appRoleAssignments: assignments.map((a): LiveAppRoleAssignment => ({
      id: a.id,
      resourceId: a.resourceId,
      appRoleId: a.appRoleId.toLowerCase(),
    })),
    grants: grants
      // The navigation lists grants where CIPP-SAM is the client; guard against a server that lists more.
      .filter((g) => clientSp === null || g.clientId === clientSp.id)
      .map((g): LiveGrant => ({
        id: g.id,
        resourceId: g.resourceId,
        consentType: g.consentType,
        principalId: g.principalId ?? null,
        scopes: g.scope.split(" ").filter((s) => s !== ""),
      })),
    tokenScopes: token.scopes,
    domainProof: proof,
  };
  return { kind: "read", live };
}

/**
 * Explains a refused token. Consent missing is expected for a new tenant, unless GDAP would make
 * the consent fail too; "user not in tenant" is confirmed against the partner's GDAP relationships.
 */
async function explainTokenFailure(
  clients: MicrosoftClients,
  desired: DesiredTenant,
  settings: FleetSettings,
  err: TokenError,
): Promise<LiveReading> {
  const problem = tokenProblem(err);
  const gdapMatters = !desired.isPartner && (problem.kind === "consent-missing" || problem.kind === "no-gdap-relationship");
  if (gdapMatters) {
    try {
      const check = await checkGdap(clients.graph(settings.partnerTenantId), desired.tenantId);
      const gdap = gdapProblem(desired.tenantId, check, `The token request failed: ${problem.message}`);
      if (gdap) return { kind: "inaccessible", problem: gdap };
    } catch (gdapErr) {
      // The pre-check is an explanation, not a gate: without it the token failure still stands.
      const why = gdapErr instanceof Error ? clients.redactor.redact(gdapErr.message) : String(gdapErr);
      const withNote = { ...problem, message: `${problem.message} (The GDAP check could not run: ${why})` };
      return problem.kind === "consent-missing" ? notConsented(clients, desired, withNote) : { kind: "inaccessible", problem: withNote };
    }
  }
  return problem.kind === "consent-missing" ? notConsented(clients, desired, problem) : { kind: "inaccessible", problem };
}

/**
 * A tenant CIPP-SAM is not consented in yet cannot be read, so its domain is proven by Entra ID's
 * tenant discovery before a consent may be planned: the consent is the first write in the tenant.
 */
async function notConsented(clients: MicrosoftClients, desired: DesiredTenant, problem: AccessProblem): Promise<LiveReading> {
  let discovered: DiscoveredTenant;
  try {
    discovered = await discoverTenant(clients.http, clients.endpoints.login, desired.defaultDomain);
  } catch (error) {
    return {
      kind: "inaccessible",
      problem: unprovenDomain(desired, clients.redactor.redact(error instanceof Error ? error.message : String(error))),
    };
  }
  const proof = proofFromDiscovery(desired, discovered);
  return isProof(proof) ? { kind: "not-consented", problem, domainProof: proof } : { kind: "inaccessible", problem: proof };
}

/**
 * Resource service principals referenced by CIPP-SAM's assignments or grants but not declared
 * (extras the plan may remove) are read by id, in one more batch, only when there are any.
 */
async function addResourcesOutsideDeclaration(
  graph: GraphClient,
  resources: Map<Guid, LiveResource>,
  assignments: readonly GraphAppRoleAssignment[],
  grants: readonly GraphOAuth2PermissionGrant[],
  clients: MicrosoftClients,
): Promise<void> {
  const known = new Set([...resources.values()].map((r) => r.servicePrincipalId));
  const missing = [...new Set([...assignments.map((a) => a.resourceId), ...grants.map((g) => g.resourceId)])].filter(
    (id) => !known.has(id),
  );
  if (missing.length === 0) return;
  const requests = missing.map((id, i): BatchRequest => ({
    id: `sp-${i}`,
    method: "GET",
    url: `/servicePrincipals/${id}?$select=${RESOURCE_FIELDS}`,
  }));
  const answers = await graph.batch(requests);
  answers.forEach((a, i) => {
    // A resource deleted since is no longer there to be planned against; its grants are stale.
    if (a.status === 404) return;
    if (a.status !== 200) throw batchItemError(a, requests[i] as BatchRequest, (t) => clients.redactor.redact(t));
    const sp = a.body as GraphServicePrincipal;
    resources.set(sp.appId.toLowerCase(), liveResourceOf(sp));
  });
}

/** Every item of a collection answered inside a batch, following further pages outside it. */
async function collection<T>(graph: GraphClient, item: BatchResponse, failure: (id: string) => Error): Promise<T[]> {
  if (item.status === 404) return [];
  if (item.status !== 200) throw failure(item.id);
  const page = item.body as GraphCollection<T>;
  const rest = page["@odata.nextLink"] ? await graph.list<T>(page["@odata.nextLink"]) : [];
  return [...page.value, ...rest];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
