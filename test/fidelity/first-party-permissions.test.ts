/**
 * The emulator's first-party resource apps against the real appRoles and oauth2PermissionScopes of
 * Microsoft's resource apps: in its fixture file, and as its Graph serves them over HTTPS.
 */
import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";
import fixtureApps from "../../src/emulator/fixtures/first-party-apps.json";
import { call, trustingAgent } from "../helpers/emulator-client";
import { cippManifest, describeWithSharedData, publishedResources, type PublishedPermission, type PublishedResource } from "./shared-data";

interface FixturePermission {
  readonly id: string;
  readonly value: string;
  readonly allowedMemberTypes?: readonly string[];
  readonly isEnabled?: boolean;
  readonly type?: string;
}
interface FixtureApp {
  readonly appId: string;
  readonly displayName: string;
  readonly appRoles: readonly FixturePermission[];
  readonly oauth2PermissionScopes: readonly FixturePermission[];
}

const FIXTURE: readonly FixtureApp[] = fixtureApps;

/** What must agree with Microsoft for one permission: id, value and, where Microsoft says, the rest. */
function essentials(p: PublishedPermission | FixturePermission, kind: "appRoles" | "oauth2PermissionScopes"): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id, value: p.value };
  if (p.isEnabled !== null && p.isEnabled !== undefined) out["isEnabled"] = p.isEnabled;
  if (kind === "appRoles" && p.allowedMemberTypes) out["allowedMemberTypes"] = p.allowedMemberTypes;
  if (kind === "oauth2PermissionScopes" && p.type) out["type"] = p.type;
  return out;
}

/** The permissions of `published` the emulator must hold, keyed by id, with what must agree. */
function expectedById(
  published: readonly PublishedPermission[],
  kind: "appRoles" | "oauth2PermissionScopes",
): Map<string, Record<string, unknown>> {
  return new Map(published.map((p) => [p.id, essentials(p, kind)]));
}

/** The scope names CIPP asks of `appId` (by name or by id) that Microsoft's resource does not publish. */
function cippScopesMicrosoftLacks(appId: string, published: PublishedResource | undefined): string[] {
  const { requiredResourceAccess, additionalPermissions } = cippManifest();
  const asked = [...requiredResourceAccess, ...additionalPermissions]
    .filter((r) => r.resourceAppId === appId)
    .flatMap((r) => r.resourceAccess.filter((a) => a.type === "Scope").map((a) => a.id));
  const known = published?.oauth2PermissionScopes ?? [];
  return [...new Set(asked.filter((name) => !known.some((s) => s.id === name || s.value === name)))].sort();
}

describeWithSharedData(
  "the emulator's first-party apps publish Microsoft's permissions",
  ["graph-permissions.json", "cipp-sam-manifest.json"],
  () => {
    const published = publishedResources();

    describe.each(published.map((r) => [r.displayName, r] as const))("%s", (_name, resource) => {
      const fixture = FIXTURE.find((a) => a.appId === resource.appId);

      it("is in the fixture under the same appId and name", () => {
        expect(fixture?.displayName).toBe(resource.displayName);
      });

      it("has exactly Microsoft's app roles, with the same ids, values, member types and state", () => {
        // Where Microsoft's export leaves allowedMemberTypes empty, the role is an application permission.
        const roles = resource.appRoles.map((r) => ({ ...r, allowedMemberTypes: r.allowedMemberTypes ?? ["Application"] }));
        const actual = new Map((fixture?.appRoles ?? []).map((r) => [r.id, essentials(r, "appRoles")]));
        expect(actual).toEqual(expectedById(roles, "appRoles"));
      });

      it("has every one of Microsoft's delegated scopes, with the same ids, values, types and state", () => {
        const actual = new Map((fixture?.oauth2PermissionScopes ?? []).map((s) => [s.id, essentials(s, "oauth2PermissionScopes")]));
        for (const [id, expected] of expectedById(resource.oauth2PermissionScopes, "oauth2PermissionScopes")) {
          expect({ id, scope: actual.get(id) }).toEqual({ id, scope: expected });
        }
      });

      it("adds no scope of its own beyond the names CIPP asks for that Microsoft's list lacks", () => {
        const knownIds = new Set(resource.oauth2PermissionScopes.map((s) => s.id));
        const added = (fixture?.oauth2PermissionScopes ?? []).filter((s) => !knownIds.has(s.id)).map((s) => s.value);
        expect(added.sort()).toEqual(cippScopesMicrosoftLacks(resource.appId, resource));
      });
    });

    it("holds no app beyond Microsoft's list except the resources CIPP asks for, with no app roles", () => {
      const knownApps = new Set(published.map((r) => r.appId));
      const extra = FIXTURE.filter((a) => !knownApps.has(a.appId));
      const { requiredResourceAccess, additionalPermissions } = cippManifest();
      const askedApps = new Set([...requiredResourceAccess, ...additionalPermissions].map((r) => r.resourceAppId));
      for (const app of extra) {
        expect({ appId: app.appId, askedByCipp: askedApps.has(app.appId), appRoles: app.appRoles }).toEqual({
          appId: app.appId,
          askedByCipp: true,
          appRoles: [],
        });
        expect(app.oauth2PermissionScopes.map((s) => s.value).sort()).toEqual(cippScopesMicrosoftLacks(app.appId, undefined));
      }
    });

    describe("as served by the emulator's Graph", () => {
      let emulator: RunningEmulator;
      let agent: Agent;
      let token: string;

      // The partner tenant holds every resource service principal, Partner Center's included.
      beforeAll(async () => {
        emulator = await startEmulator();
        agent = trustingAgent(emulator.caCertificatePem);
        const form = new URLSearchParams({
          grant_type: "client_credentials",
          client_id: DEMO_CREDENTIALS.clientId,
          client_secret: DEMO_CREDENTIALS.clientSecret,
          scope: "https://graph.microsoft.com/.default",
        });
        const issued = await call<{ access_token: string }>(
          agent,
          "POST",
          `${emulator.baseUrl}/${DEMO.partner.tenantId}/oauth2/v2.0/token`,
          {
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: form.toString(),
          },
        );
        expect(issued.status).toBe(200);
        token = issued.body.access_token;
      });
      afterAll(async () => {
        await agent.close();
        await emulator.stop();
      });

      it.each(published.map((r) => [r.displayName, r] as const))(
        "%s: the resource service principal carries Microsoft's ids and values",
        async (_name, resource) => {
          const r = await call<Pick<PublishedResource, "appRoles" | "oauth2PermissionScopes">>(
            agent,
            "GET",
            `${emulator.baseUrl}/v1.0/servicePrincipals(appId='${resource.appId}')?$select=appId,appRoles,oauth2PermissionScopes`,
            { headers: { authorization: `Bearer ${token}` } },
          );
          expect(r.status).toBe(200);
          const served = (list: readonly { id: string; value: string }[]) => new Map(list.map((p) => [p.id, p.value]));
          const roles = served(r.body.appRoles);
          const scopes = served(r.body.oauth2PermissionScopes);
          expect(roles).toEqual(new Map(resource.appRoles.map((p) => [p.id, p.value])));
          for (const s of resource.oauth2PermissionScopes)
            expect({ id: s.id, value: scopes.get(s.id) }).toEqual({ id: s.id, value: s.value });
        },
      );
    });
  },
);
