/**
 * CIPP's own call sequence for a CPV refresh, replayed over real HTTP so that the benchmark can
 * measure it beside cipp-cpv against the same emulator world and the same wire. The sequence,
 * its tokens, waits and concurrency are described in docs/cipp-call-sequence.md; each step below
 * names the CIPP-API function it replays. This is a measuring instrument, not a client to use:
 * it copies CIPP's costs (a fresh token for each read, full service-principal lists, one
 * delegated write at a time, a fixed 5 s wait) on purpose.
 *
 * Left out, as the document says: the directory-role step (Set-CIPPSAMAdminRoles) and its
 * Exchange and Compliance calls, which the emulator does not serve and cipp-cpv does not manage.
 * CIPP's measured cost is therefore a lower bound of its real one.
 */
import { request, type Dispatcher } from "undici";
import type { DesiredResource } from "../desired/model";

/**
 * "refresh": the manual "Refresh CPV Permissions" of each tenant (Invoke-ExecCPVPermissions),
 * which always posts the Partner Center consent. "nightly": the nightly activity
 * (Push-UpdatePermissionsQueue), which posts it only for a tenant CIPP has no consent record of.
 */
export type CippMode = "refresh" | "nightly";

export interface CippTenant {
  readonly tenantId: string;
  readonly displayName: string;
  /** Whether CIPP's cpvtenants table holds a row for the tenant (the nightly then skips the consent). */
  readonly consentRecorded: boolean;
}

export interface CippReferenceOptions {
  /** One base URL for the token endpoint, Graph and Partner Center (the emulator's). */
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  readonly partnerTenantId: string;
  /** CIPP-SAM's application id and secret, and the service account's refresh token. */
  readonly applicationId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  /** CIPP's effective permission set (SAMManifest.json with AdditionalPermissions.json), by name. */
  readonly resources: readonly DesiredResource[];
  /** Tenants in flight at once: CIPP's durable activities run 10 at a time (host.json). */
  readonly concurrency: number;
  /** Waits `ms` of virtual time: CIPP's Start-Sleep and its 429 back-off. */
  sleep(ms: number): Promise<void>;
  /** Virtual time, for the token and permission caches. */
  now(): number;
  /** For CIPP's random 429 back-off; Math.random when absent. */
  readonly random?: () => number;
}

/** One tenant's outcome, in CIPP's words. */
export interface CippTenantResult {
  readonly tenantId: string;
  /** CIPP's LastStatus rule: any "Failed" string except a failed resource service principal creation. */
  readonly status: "Success" | "Failed";
  readonly results: readonly string[];
}

/** What the client itself counted, for cross-checking against the emulator's counters. */
export interface CippAccount {
  /** HTTP requests sent, tokens included, a `$batch` counting once. */
  readonly requests: number;
  readonly tokenRequests: number;
  /** Write operations: a single POST/PATCH/DELETE, or one write item of a `$batch`. */
  readonly writes: number;
  /** Virtual ms spent in CIPP's fixed waits (Start-Sleep), summed over tenants. */
  readonly fixedWaitMs: number;
}

export interface CippRun {
  readonly tenants: readonly CippTenantResult[];
  readonly account: CippAccount;
}

const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
const PARTNER_CENTER_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/.default";
/** The three Graph scopes CIPP's consent bootstraps (Set-CIPPCPVConsent). */
const BOOTSTRAP_SCOPES = "DelegatedPermissionGrant.ReadWrite.All,Directory.ReadWrite.All,AppRoleAssignment.ReadWrite.All";
/** Get-CippSamPermissions keeps the resolved set in script scope for 5 minutes. */
const PERMISSION_CACHE_MS = 5 * 60_000;
/** The replication wait of Add-CIPPApplicationPermission when its service principal is not listed yet. */
const SERVICE_PRINCIPAL_WAIT_MS = 5_000;
/** New-GraphBulkRequest's chunk size. */
const BATCH_SIZE = 20;
/** New-GraphGetRequest / New-GraphPOSTRequest: up to 3 attempts on 429. */
const ATTEMPTS = 3;
const WRITE_METHODS: ReadonlySet<string> = new Set(["POST", "PATCH", "PUT", "DELETE"]);

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

interface ServicePrincipal {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
}

interface BatchItem {
  readonly method: Dispatcher.HttpMethod;
  readonly url: string;
  readonly body?: unknown;
}

/** A step of CIPP's that throws: the tenant's run ends as "Failed to update permissions". */
class CippStepError extends Error {}

/** Runs CIPP's sequence for every tenant, `concurrency` tenants at a time. */
export async function runCippReference(tenants: readonly CippTenant[], mode: CippMode, options: CippReferenceOptions): Promise<CippRun> {
  const account = { requests: 0, tokenRequests: 0, writes: 0, fixedWaitMs: 0 };
  const results: CippTenantResult[] = new Array<CippTenantResult>(tenants.length);
  let next = 0;
  // Each worker is one PowerShell runspace: its token cache and permission cache are its own.
  const worker = async (): Promise<void> => {
    const runspace = new Runspace(options, account);
    for (;;) {
      const index = next++;
      const tenant = tenants[index];
      if (tenant === undefined) return;
      results[index] = await runspace.refreshTenant(tenant, mode);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tenants.length)) }, worker));
  return { tenants: results, account: { ...account } };
}

class Runspace {
  private readonly tokens = new Map<string, { readonly token: string; readonly expiresAt: number }>();
  private permissions: { readonly at: number; readonly resources: readonly ResolvedResource[] } | null = null;

  constructor(
    private readonly options: CippReferenceOptions,
    private readonly account: { requests: number; tokenRequests: number; writes: number; fixedWaitMs: number },
  ) {}

  /** Invoke-ExecCPVPermissions (refresh) or Push-UpdatePermissionsQueue (nightly) for one tenant. */
  async refreshTenant(tenant: CippTenant, mode: CippMode): Promise<CippTenantResult> {
    const results: string[] = [];
    try {
      if (mode === "refresh" || !tenant.consentRecorded) results.push(await this.consent(tenant));
      results.push(...(await this.applicationPermissions(tenant)));
      results.push(...(await this.delegatedPermissions(tenant)));
    } catch (error) {
      results.push(`Failed to update permissions for ${tenant.displayName}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const failed = results.some((r) => r.includes("Failed") && !r.includes("Failed to create service principal"));
    return { tenantId: tenant.tenantId, status: failed ? "Failed" : "Success", results };
  }

  /** Set-CIPPCPVConsent: the Partner Center POST with the three bootstrap scopes, PascalCase, no displayName. */
  private async consent(tenant: CippTenant): Promise<string> {
    const token = await this.token(this.options.partnerTenantId, PARTNER_CENTER_SCOPE, false);
    const answer = await this.call("POST", `${this.options.baseUrl}/v1/customers/${tenant.tenantId}/applicationconsents`, token, {
      ApplicationId: this.options.applicationId,
      ApplicationGrants: [{ EnterpriseApplicationId: GRAPH_APP_ID, Scope: BOOTSTRAP_SCOPES }],
    });
    if (answer.status < 300) {
      this.clearTokenCache(tenant.tenantId);
      return `Successfully added CPV Application to tenant ${tenant.displayName}`;
    }
    const message = errorMessage(answer);
    if (/Permission entry already exists/i.test(message)) return `We've already added our Service Principal to ${tenant.displayName}`;
    return `Could not add our Service Principal to the client tenant ${tenant.displayName}. Error: ${message}`;
  }

  /** Add-CIPPApplicationPermission: additive app role assignments. */
  private async applicationPermissions(tenant: CippTenant): Promise<string[]> {
    const resources = await this.effectiveSet();
    const results: string[] = [];
    let list = await this.listServicePrincipals(tenant.tenantId);
    let ours = list.find((sp) => sp.appId === this.options.applicationId);
    if (!ours) {
      await this.fixedWait(SERVICE_PRINCIPAL_WAIT_MS);
      list = await this.listServicePrincipals(tenant.tenantId);
      ours = list.find((sp) => sp.appId === this.options.applicationId);
    }
    // CIPP goes on with an empty id; the GET of servicePrincipals//appRoleAssignments then throws.
    if (!ours) throw new CippStepError(`Resource not found for the segment 'appRoleAssignments'.`);
    const assigned = await this.getAll(tenant.tenantId, `/beta/servicePrincipals/${ours.id}/appRoleAssignments`, true);

    const missing = resources.filter((r) => !list.some((sp) => sp.appId === r.appId));
    if (missing.length > 0) {
      const answers = await this.batch(
        tenant.tenantId,
        missing.map((r) => ({ method: "POST", url: "/servicePrincipals", body: { appId: r.appId } })),
      );
      answers.forEach((answer, i) => {
        const resource = missing[i];
        if (resource === undefined) return;
        if (answer.status === 201) list = [...list, servicePrincipalOf(answer.json)];
        else results.push(`Failed to create service principal for ${resource.appId}: ${errorMessage(answer)}`);
      });
    }

    const grants: BatchItem[] = [];
    for (const resource of resources) {
      const sp = list.find((s) => s.appId === resource.appId);
      if (!sp) continue;
      for (const appRoleId of resource.appRoleIds) {
        if (assigned.some((a) => a["appRoleId"] === appRoleId && a["resourceId"] === sp.id)) continue;
        grants.push({
          method: "POST",
          url: `/servicePrincipals/${ours.id}/appRoleAssignedTo`,
          body: { principalId: ours.id, resourceId: sp.id, appRoleId },
        });
      }
    }
    let added = 0;
    if (grants.length > 0) {
      const answers = await this.batch(tenant.tenantId, grants);
      answers.forEach((answer, i) => {
        const grant = grants[i]?.body as { resourceId: string; appRoleId: string } | undefined;
        if (answer.status === 201) added++;
        else if (grant) results.push(`Failed to grant ${grant.appRoleId} to ${grant.resourceId}: ${errorMessage(answer)}`);
      });
      if (added > 0) this.clearTokenCache(tenant.tenantId);
    }
    return [`Added ${added} Application permissions to ${ours.displayName}`, ...results];
  }

  /** Add-CIPPDelegatedPermission: set-exact delegated grants, one resource and one request at a time. */
  private async delegatedPermissions(tenant: CippTenant): Promise<string[]> {
    const resources = (await this.effectiveSet()).filter((r) => r.appId !== PARTNER_CENTER_APP_ID);
    const results: string[] = [];
    let list = await this.listServicePrincipals(tenant.tenantId);
    let ours = list.find((sp) => sp.appId === this.options.applicationId);
    if (!ours) {
      const token = await this.token(tenant.tenantId, GRAPH_SCOPE, true);
      const answer = await this.call(
        "GET",
        `${this.options.baseUrl}/beta/servicePrincipals(appId='${this.options.applicationId}')?$select=appId,id,displayName`,
        token,
      );
      if (answer.status === 200) ours = servicePrincipalOf(answer.json);
    }
    if (!ours) return [`Failed to find service principal for application ${this.options.applicationId} in tenant ${tenant.tenantId}`];
    const grants = await this.getAll(tenant.tenantId, `/beta/servicePrincipals/${ours.id}/oauth2PermissionGrants`, true);

    for (const resource of resources) {
      let sp = list.find((s) => s.appId === resource.appId);
      if (!sp) {
        const created = await this.call(
          "POST",
          `${this.options.baseUrl}/v1.0/servicePrincipals`,
          await this.token(tenant.tenantId, GRAPH_SCOPE, false),
          { appId: resource.appId },
        );
        if (created.status !== 201) {
          results.push(`Failed to create service principal for ${resource.appId}: ${errorMessage(created)}`);
          continue;
        }
        sp = servicePrincipalOf(created.json);
        list = [...list, sp];
      }
      const newScope = [...new Set(resource.scopes)].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })).join(" ");
      const existing = grants.filter((g) => g["clientId"] === ours.id && g["resourceId"] === sp.id);
      const token = (): Promise<string> => this.token(tenant.tenantId, GRAPH_SCOPE, false);
      const first = existing[0];
      if (first === undefined) {
        if (newScope === "") {
          results.push(`No delegated permissions to add for ${sp.displayName}`);
          continue;
        }
        const answer = await this.call("POST", `${this.options.baseUrl}/v1.0/oauth2PermissionGrants`, await token(), {
          clientId: ours.id,
          consentType: "AllPrincipals",
          resourceId: sp.id,
          scope: newScope,
        });
        results.push(
          answer.status < 300
            ? `Successfully added permissions for ${sp.displayName}`
            : `Failed to add permissions for ${sp.displayName}: ${errorMessage(answer)}`,
        );
        continue;
      }
      // Duplicate cleanup: every grant for the resource but the first goes, errors swallowed.
      for (const duplicate of existing.slice(1))
        await this.call("DELETE", `${this.options.baseUrl}/v1.0/oauth2PermissionGrants/${String(duplicate["id"])}`, await token());
      const old = new Set(
        text(first["scope"])
          .split(" ")
          .filter((s) => s !== ""),
      );
      const wanted = new Set(newScope.split(" ").filter((s) => s !== ""));
      const addedScopes = [...wanted].filter((s) => !old.has(s));
      const removedScopes = [...old].filter((s) => !wanted.has(s));
      if (addedScopes.length === 0 && removedScopes.length === 0) {
        results.push(`All delegated permissions exist for ${sp.displayName}`);
        continue;
      }
      const answer = await this.call("PATCH", `${this.options.baseUrl}/v1.0/oauth2PermissionGrants/${String(first["id"])}`, await token(), {
        scope: newScope,
      });
      if (answer.status < 300) {
        this.clearTokenCache(tenant.tenantId);
        results.push(
          `Successfully updated permissions for ${sp.displayName}. Added: ${addedScopes.join(" ")} Removed: ${removedScopes.join(" ")}`,
        );
      } else {
        results.push(`Failed to update permissions for ${sp.displayName}: ${errorMessage(answer)}`);
      }
    }
    return results;
  }

  /**
   * Get-CippSamPermissions: the partner tenant's service principals, then one `$batch` reading each
   * resource's app roles to turn names into ids; kept for 5 minutes.
   */
  private async effectiveSet(): Promise<readonly ResolvedResource[]> {
    if (this.permissions !== null && this.options.now() - this.permissions.at < PERMISSION_CACHE_MS) return this.permissions.resources;
    const partner = this.options.partnerTenantId;
    const list = await this.getAll(partner, "/beta/servicePrincipals?$top=999&$select=id,appId,displayName", false);
    const present = this.options.resources.flatMap((r) => {
      const sp = list.find((s) => s["appId"] === r.appId);
      return sp === undefined ? [] : [{ resource: r, id: String(sp["id"]) }];
    });
    const answers = await this.batch(
      partner,
      present.map((p) => ({ method: "GET", url: `/servicePrincipals/${p.id}?$select=appId,displayName,appRoles,oauth2PermissionScopes` })),
    );
    const roleIds = new Map<string, Map<string, string>>();
    answers.forEach((answer, i) => {
      const appId = present[i]?.resource.appId;
      const roles = answer.json["appRoles"];
      if (appId === undefined || !Array.isArray(roles)) return;
      roleIds.set(appId, new Map(roles.map((role: Record<string, unknown>) => [String(role["value"]), String(role["id"])])));
    });
    const resources = this.options.resources.map((r) => ({
      appId: r.appId,
      appRoleIds: r.appRoles.map((name) => roleIds.get(r.appId)?.get(name) ?? name),
      scopes: [...r.scopes, ...r.unpublishedScopes],
    }));
    this.permissions = { at: this.options.now(), resources };
    return resources;
  }

  /** The customer's full service principal list, read with a fresh token (-skipTokenCache). */
  private async listServicePrincipals(tenantId: string): Promise<ServicePrincipal[]> {
    return (await this.getAll(tenantId, "/beta/servicePrincipals?$select=appId,id,displayName&$top=999", true)).map(servicePrincipalOf);
  }

  /** New-GraphGetRequest: one token, then every page by @odata.nextLink. */
  private async getAll(tenantId: string, path: string, skipTokenCache: boolean): Promise<Record<string, unknown>[]> {
    const token = await this.token(tenantId, GRAPH_SCOPE, skipTokenCache);
    const items: Record<string, unknown>[] = [];
    let url: string | undefined = `${this.options.baseUrl}${path}`;
    while (url !== undefined) {
      const answer = await this.call("GET", url, token);
      if (answer.status !== 200) throw new CippStepError(errorMessage(answer));
      const value = answer.json["value"];
      if (Array.isArray(value)) items.push(...(value as Record<string, unknown>[]));
      const nextLink = answer.json["@odata.nextLink"];
      url = typeof nextLink === "string" ? nextLink : undefined;
    }
    return items;
  }

  /** New-GraphBulkRequest: beta `$batch`, 20 items each, posted one after the other; item 429s are not retried. */
  private async batch(tenantId: string, items: readonly BatchItem[]): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let start = 0; start < items.length; start += BATCH_SIZE) {
      const chunk = items.slice(start, start + BATCH_SIZE);
      const token = await this.token(tenantId, GRAPH_SCOPE, false);
      const body = {
        requests: chunk.map((item, i) => ({
          id: String(i + 1),
          method: item.method,
          url: item.url,
          ...(item.body !== undefined ? { headers: { "Content-Type": "application/json" }, body: item.body } : {}),
        })),
      };
      this.account.writes += chunk.filter((item) => WRITE_METHODS.has(item.method)).length;
      const answer = await this.send("POST", `${this.options.baseUrl}/beta/$batch`, token, body);
      if (answer.status !== 200) throw new CippStepError(`Failed to process the batch: ${errorMessage(answer)}`);
      const responses = Array.isArray(answer.json["responses"]) ? (answer.json["responses"] as Record<string, unknown>[]) : [];
      for (let i = 0; i < chunk.length; i++) {
        const response = responses.find((r) => r["id"] === String(i + 1));
        const status = typeof response?.["status"] === "number" ? response["status"] : 0;
        const responseBody = response?.["body"];
        answers.push({
          status,
          json: typeof responseBody === "object" && responseBody !== null ? (responseBody as Record<string, unknown>) : {},
        });
      }
    }
    return answers;
  }

  /** A single Graph or Partner Center request, retried on 429 as New-GraphGetRequest does. */
  private async call(method: Dispatcher.HttpMethod, url: string, token: string, body?: unknown): Promise<Answer> {
    if (WRITE_METHODS.has(method)) this.account.writes++;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.send(method, url, token, body);
      if (answer.status !== 429 || attempt >= ATTEMPTS) return answer;
      if (WRITE_METHODS.has(method)) this.account.writes++;
      const random = this.options.random ?? Math.random;
      await this.options.sleep(answer.retryAfterMs ?? 1_100 + random() * 3_000);
    }
  }

  private async send(
    method: Dispatcher.HttpMethod,
    url: string,
    token: string,
    body?: unknown,
  ): Promise<Answer & { readonly retryAfterMs?: number }> {
    this.account.requests++;
    const res = await request(url, {
      method,
      dispatcher: this.options.dispatcher,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    const retryAfter = Number(res.headers["retry-after"]);
    return { status: res.statusCode, json: parseObject(text), ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) };
  }

  /**
   * Get-GraphToken: the refresh_token grant straight to the token endpoint (no MSAL). Cached per
   * tenant and scope unless the caller skips the cache, as CIPP's CPV reads do.
   */
  private async token(tenantId: string, scope: string, skipTokenCache: boolean): Promise<string> {
    const key = `${tenantId}|${scope}`;
    const cached = this.tokens.get(key);
    if (!skipTokenCache && cached !== undefined && cached.expiresAt > this.options.now()) return cached.token;
    this.account.requests++;
    this.account.tokenRequests++;
    const res = await request(`${this.options.baseUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      dispatcher: this.options.dispatcher,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: this.options.applicationId,
        client_secret: this.options.clientSecret,
        refresh_token: this.options.refreshToken,
        scope,
      }).toString(),
    });
    const json = parseObject(await res.body.text());
    const token = json["access_token"];
    if (res.statusCode !== 200 || typeof token !== "string") {
      // The answer's description only: the request carried secrets, the answer does not.
      throw new CippStepError(`Could not get a token for ${tenantId}: ${text(json["error"] ?? res.statusCode)}`);
    }
    const lifetimeMs = (typeof json["expires_in"] === "number" ? json["expires_in"] : 3600) * 1000;
    this.tokens.set(key, { token, expiresAt: this.options.now() + lifetimeMs - 60_000 });
    return token;
  }

  /** Clear-CippTokenCache -TenantFilter: the tenant's cached tokens still carry the old scopes. */
  private clearTokenCache(tenantId: string): void {
    for (const key of [...this.tokens.keys()]) if (key.startsWith(`${tenantId}|`)) this.tokens.delete(key);
  }

  private async fixedWait(ms: number): Promise<void> {
    this.account.fixedWaitMs += ms;
    await this.options.sleep(ms);
  }
}

/** A resource of CIPP's effective set with its app roles as ids, its scopes by name. */
interface ResolvedResource {
  readonly appId: string;
  readonly appRoleIds: readonly string[];
  readonly scopes: readonly string[];
}

function servicePrincipalOf(json: Record<string, unknown>): ServicePrincipal {
  return {
    id: text(json["id"]),
    appId: text(json["appId"] ?? json["AppId"]),
    displayName: text(json["displayName"]),
  };
}

/** A field of a parsed answer as text: "" when absent, JSON when Graph sent an object where a value was expected. */
function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Graph's error.message or Partner Center's description, as Get-NormalizedError reads them. */
function errorMessage(answer: Answer): string {
  const error = answer.json["error"];
  if (typeof error === "object" && error !== null && typeof (error as Record<string, unknown>)["message"] === "string")
    return String((error as Record<string, unknown>)["message"]);
  if (typeof answer.json["description"] === "string") return answer.json["description"];
  return `HTTP ${answer.status}`;
}
