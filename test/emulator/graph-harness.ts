/**
 * An emulator context for the Graph handler built from the emulator's real parts (world loader,
 * virtual clock, token service, fault injector, identity throttle), and a `send` that hands the
 * handler a request as the server parses it.
 */
import { VirtualClock } from "../../src/emulator/clock";
import type { EmuRequest, EmuResponse, EmulatorContext, IdGenerator } from "../../src/emulator/context";
import { ProfileFaultInjector } from "../../src/emulator/faults";
import { handleGraph } from "../../src/emulator/graph";
import { randomIds } from "../../src/emulator/ids";
import { loadWorld } from "../../src/emulator/state";
import { IdentityThrottle } from "../../src/emulator/throttle";
import { TokenService } from "../../src/emulator/tokens";
import { ROLE_TEMPLATES, type World, type WorldSpec } from "../../src/emulator/world";
import type { GraphBody } from "../helpers/graph-shapes";

export const GRAPH = "00000003-0000-0000-c000-000000000000";
export const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";
export const CIPP = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
export const OTHER_APP = "11111111-2222-4333-8444-555555555555";
export const PARTNER = "aaaaaaaa-0000-4000-8000-000000000001";
export const CUSTOMER = "aaaaaaaa-0000-4000-8000-000000000002";
export const OTHER_CUSTOMER = "aaaaaaaa-0000-4000-8000-000000000003";
export const READER_ONLY = "aaaaaaaa-0000-4000-8000-000000000004";
export const USER = "bbbbbbbb-0000-4000-8000-000000000001";
export const CIPP_SP = "cccccccc-0000-4000-8000-000000000001";
export const GRAPH_SP = "cccccccc-0000-4000-8000-000000000002";

/** Graph app roles and scopes used in the tests (real ids). */
export const ROLE = {
  applicationReadWriteAll: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
  appRoleAssignmentReadWriteAll: "06b708a9-e830-4db3-a914-8e69da51d44f",
  directoryReadAll: "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
  userReadScope: "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
} as const;

export const START = Date.UTC(2026, 10, 26, 10, 0, 0);

export function worldSpec(): WorldSpec {
  return {
    partnerTenantId: PARTNER,
    applications: [
      { appId: CIPP, displayName: "CIPP-SAM", homeTenantId: PARTNER },
      { appId: OTHER_APP, displayName: "Other App", homeTenantId: PARTNER },
    ],
    firstPartyApps: [
      {
        appId: GRAPH,
        displayName: "Microsoft Graph",
        appRoles: [
          { id: ROLE.applicationReadWriteAll, value: "Application.ReadWrite.All" },
          { id: ROLE.appRoleAssignmentReadWriteAll, value: "AppRoleAssignment.ReadWrite.All" },
          { id: ROLE.directoryReadAll, value: "Directory.Read.All" },
        ],
        oauth2PermissionScopes: [
          { id: ROLE.userReadScope, value: "User.Read", type: "User" },
          { id: "06da0dbc-49e2-44d2-8312-53f166ab848a", value: "Directory.Read.All" },
        ],
      },
      { appId: DEFENDER, displayName: "WindowsDefenderATP", appRoles: [], oauth2PermissionScopes: [], requiresServicePlans: ["WINDEFATP"] },
    ],
    users: [{ id: USER, userPrincipalName: "cipp@partner.example", refreshTokens: [], mfa: true, adminAgent: true }],
    tenants: [
      {
        tenantId: PARTNER,
        defaultDomain: "partner.example",
        displayName: "Partner",
        servicePrincipals: [{ appId: CIPP }, { appId: GRAPH }],
      },
      {
        tenantId: CUSTOMER,
        defaultDomain: "customer.example",
        displayName: "Customer",
        subscribedSkus: [{ skuPartNumber: "SPB", servicePlans: ["EXCHANGE_S_STANDARD", "WINDEFATP"] }],
        servicePrincipals: [
          { appId: CIPP, id: CIPP_SP },
          { appId: GRAPH, id: GRAPH_SP },
        ],
        appRoleAssignments: [{ principalAppId: CIPP, resourceAppId: GRAPH, appRole: "Directory.Read.All" }],
        grants: [{ clientAppId: CIPP, resourceAppId: GRAPH, scope: "User.Read" }],
      },
      {
        tenantId: OTHER_CUSTOMER,
        defaultDomain: "other.example",
        displayName: "Other Customer",
        subscribedSkus: [{ skuPartNumber: "O365_BUSINESS_ESSENTIALS", servicePlans: ["EXCHANGE_S_STANDARD"] }],
        servicePrincipals: [{ appId: GRAPH }],
      },
      { tenantId: READER_ONLY, defaultDomain: "reader.example", displayName: "Reader Only", servicePrincipals: [{ appId: GRAPH }] },
    ],
    gdapRelationships: [
      {
        displayName: "CIPP Customer",
        customerTenantId: CUSTOMER,
        status: "active",
        roleTemplateIds: [ROLE_TEMPLATES.cloudApplicationAdministrator],
      },
      { customerTenantId: OTHER_CUSTOMER, status: "expired", roleTemplateIds: [ROLE_TEMPLATES.globalAdministrator] },
      // Global Reader only: reads pass, writes need an application administrator role.
      { customerTenantId: READER_ONLY, status: "active", roleTemplateIds: ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"] },
    ],
  };
}

export interface SendOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Harness {
  readonly ctx: EmulatorContext;
  readonly world: World;
  readonly clock: VirtualClock;
  readonly tokens: TokenService;
  readonly faults: ProfileFaultInjector;
  readonly throttle: IdentityThrottle;
  /** Sends `method url` (url relative to the base, with version and query) to the Graph handler. */
  send(method: string, url: string, options?: SendOptions): Promise<EmuResponse>;
  /** An app-only Graph token of `appId` in `tenantId` carrying `roles`. */
  appToken(tenantId: string, roles: readonly string[], appId?: string): string;
  /** A delegated Graph token of the partner user in `tenantId` carrying `scp`. */
  userToken(tenantId: string, scp: string): string;
}

export const BASE_URL = "https://127.0.0.1:44300";

/** Builds a harness; `ids` replaces the random id generator (for deterministic batch order). */
export function createHarness(spec: WorldSpec = worldSpec(), ids: IdGenerator = randomIds): Harness {
  const clock = new VirtualClock(0, () => 0, START);
  const world = loadWorld(spec, clock, ids);
  const tokens = new TokenService(clock, ids);
  const faults = new ProfileFaultInjector(() => 0);
  const throttle = new IdentityThrottle(clock, (tid) => world.tenants.get(tid)?.size ?? "S");
  const ctx: EmulatorContext = { world, clock, tokens, faults, throttle, ids, baseUrl: BASE_URL };
  const issue = (
    tenantId: string,
    extra: { scp?: string; roles?: readonly string[]; oid?: string },
    appId: string,
    idtyp: "app" | "user",
  ): string => tokens.issueAccessToken({ aud: "https://graph.microsoft.com", tid: tenantId, appid: appId, idtyp, ...extra }, 3600).token;
  return {
    ctx,
    world,
    clock,
    tokens,
    faults,
    throttle,
    async send(method, url, options = {}) {
      const [pathPart = "", rawQuery = ""] = url.split(/\?(.*)/s, 2);
      const path = pathPart.split("/").map(decodeURIComponent).join("/");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
      if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
      const req: EmuRequest = { method, path, rawQuery, query: new URLSearchParams(rawQuery), headers, body: options.body };
      return handleGraph(req, ctx);
    },
    appToken: (tenantId, roles, appId = CIPP) => issue(tenantId, { roles }, appId, "app"),
    userToken: (tenantId, scp) => issue(tenantId, { scp, oid: USER }, CIPP, "user"),
  };
}

/** The JSON body of an answer as a plain record (its fields unknown until a test narrows them). */
export function json(response: EmuResponse): Record<string, unknown> {
  return response.body as Record<string, unknown>;
}

/** The JSON body of a Graph answer, typed as the fields tests read. */
export function graphJson(response: EmuResponse): GraphBody {
  // The Graph handler answers JSON objects; the test reading a field asserts it is there.
  return response.body as GraphBody;
}

/** The error code of an error answer. */
export function errorCode(response: EmuResponse): string {
  return graphJson(response).error.code;
}
