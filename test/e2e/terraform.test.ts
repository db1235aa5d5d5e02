/**
 * The CDKTF construct made to apply, against the sandbox: `cipp-cpv synth --adopt` adopts what each
 * demo tenant holds and leaves out what is blocked; the stack's (resource, permission) pairs are
 * the engine's; tenants managed by Terraform are planned and never written but for the consent;
 * and the identity the azuread provider uses (CIPP-SAM, app-only) can make each Graph write the
 * stack's resources stand for once the `terraform` profile is granted, and not before.
 */
// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfidentialClientApplication } from "@azure/msal-node";
import jwt from "jsonwebtoken";
import type { Agent } from "undici";
import { main } from "../../src/cli/program";
import { createOutput } from "../../src/cli/output";
import { loadFleet } from "../../src/desired/load";
import type { DesiredTenant } from "../../src/desired/model";
import type { TenantPlan } from "../../src/plan/model";
import { DEMO, DEMO_CREDENTIALS, REALISTIC_DELAYS } from "../../src/emulator";
import { authorityHost, call, msalNetworkClient, trustingAgent } from "../helpers/emulator-client";
import type { RequestCount } from "../../src/emulator";
import { countOf, heldByName, startSandbox, STACKS, type Sandbox } from "./sandbox";

const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

interface StackJson {
  import?: { to: string; id: string }[];
  resource?: {
    azuread_app_role_assignment?: Record<string, { for_each: Record<string, string> }>;
    azuread_service_principal_delegated_permission_grant?: Record<string, { for_each: Record<string, string[]> }>;
  };
}

let sandbox: Sandbox;
let agent: Agent;
let work: string;
let caFile: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  agent = trustingAgent(sandbox.emulator.caCertificatePem);
  work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-terraform-"));
  caFile = path.join(work, "ca.pem");
  writeFileSync(caFile, sandbox.emulator.caCertificatePem);
});
afterAll(async () => {
  await agent.close();
  await sandbox.stop();
});

/** A copy of the repository's stacks; `edit` may change a tenant file's text. */
function stacksCopy(name: string, edit: (file: string, text: string) => string = (_f, t) => t): string {
  const dir = path.join(work, name);
  cpSync(STACKS, dir, { recursive: true, filter: (source) => !source.endsWith(".ts") });
  for (const file of readdirSync(path.join(dir, "tenants"))) {
    const at = path.join(dir, "tenants", file);
    writeFileSync(at, edit(file, readFileSync(at, "utf8")));
  }
  return dir;
}

const managedByTerraform = (): string =>
  stacksCopy(`terraform-${Math.random().toString(36).slice(2)}`, (_f, text) => `${text}managedBy: terraform\n`);

function env(): NodeJS.ProcessEnv {
  return {
    CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
    CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
    CIPP_CPV_SANDBOX_URL: sandbox.emulator.baseUrl,
    CIPP_CPV_CA_FILE: caFile,
  };
}

async function synth(stacks: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  let stdout = "";
  let stderr = "";
  const output = createOutput({ stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  const out = mkdtempSync(path.join(work, "out-"));
  const code = await main(["synth", "--stacks", stacks, "--out", out, "--quiet", ...args], env(), output);
  return { code, stdout, stderr, out };
}

function stackOf(out: string, domain: string): StackJson {
  return JSON.parse(readFileSync(path.join(out, "stacks", domain.replace(/\./g, "-"), "cdk.tf.json"), "utf8")) as StackJson;
}

/** Every resource instance the stack declares, as the address an import block names. */
function addresses(stack: StackJson): string[] {
  const of = (type: string, resources: Record<string, { for_each: Record<string, unknown> }> | undefined): string[] =>
    Object.entries(resources ?? {}).flatMap(([name, r]) => Object.keys(r.for_each).map((key) => `${type}.${name}[${JSON.stringify(key)}]`));
  return [
    ...of("azuread_app_role_assignment", stack.resource?.azuread_app_role_assignment),
    ...of("azuread_service_principal_delegated_permission_grant", stack.resource?.azuread_service_principal_delegated_permission_grant),
  ].sort();
}

/** (resource appId, permission) pairs: "appId role:Name" and "appId scope:name". */
function stackPairs(stack: StackJson): string[] {
  const roles = Object.values(stack.resource?.azuread_app_role_assignment ?? {}).flatMap((r) =>
    Object.keys(r.for_each).map((key) => key.replace("/", " role:")),
  );
  const scopes = Object.values(stack.resource?.azuread_service_principal_delegated_permission_grant ?? {}).flatMap((g) =>
    Object.entries(g.for_each).flatMap(([appId, values]) => values.map((s) => `${appId} scope:${s}`)),
  );
  return [...roles, ...scopes].sort();
}

function declaredPairs(tenant: DesiredTenant): string[] {
  return tenant.permissions.resources
    .flatMap((r) => [
      ...r.appRoles.map((p) => `${r.appId} role:${p}`),
      ...[...r.scopes, ...r.unpublishedScopes].map((s) => `${r.appId} scope:${s}`),
    ])
    .sort();
}

function planPairs(plan: TenantPlan): string[] {
  return plan.actions
    .flatMap((a) =>
      a.kind === "add-app-role"
        ? [`${a.resource.appId} role:${a.permission}`]
        : a.kind === "create-grant"
          ? a.scopes.map((s) => `${a.resource.appId} scope:${s}`)
          : [],
    )
    .sort();
}

function blockedPairs(plan: TenantPlan): string[] {
  return plan.blocked.flatMap((b) =>
    b.permission === null ? [] : [`${b.resource.appId} ${b.type === "appRole" ? "role" : "scope"}:${b.permission}`],
  );
}

/** Graph writes, inner `$batch` requests included; the `$batch` POST itself carries the reads too and is not one. */
function graphWrites(counts: readonly RequestCount[]): number {
  return counts
    .filter(
      (c) => c.service === "graph" && !c.path.endsWith("$batch") && ["POST", "PATCH", "DELETE", "PUT"].includes(c.method.toUpperCase()),
    )
    .reduce((n, c) => n + c.count, 0);
}

describe("cipp-cpv synth --adopt against the sandbox", () => {
  let run: Awaited<ReturnType<typeof synth>>;
  let stacks: string;
  beforeAll(async () => {
    stacks = managedByTerraform();
    run = await synth(stacks, "--adopt", "--json", path.join(work, "synth.json"));
  });

  it("on a converged tenant, imports every declared assignment and grant and creates nothing", () => {
    const stack = stackOf(run.out, DEMO.healthy.defaultDomain);
    const imported = (stack.import ?? []).map((block) => block.to).sort();
    expect(imported).toEqual(addresses(stack));
    expect(imported).toHaveLength(81);
    for (const block of stack.import ?? []) {
      expect(block.id).toMatch(/^\/servicePrincipals\/[0-9a-f-]{36}\/appRoleAssignedTo\/[\w-]+$|^\/oauth2PermissionGrants\/[\w-]+$/);
    }
    expect(run.stdout).toContain("Fabrikam (fabrikam.onmicrosoft.com): stack fabrikam-onmicrosoft-com, 81 to import, 0 to create");
  });

  it("on the drifted tenant, leaves exactly the missing assignment to create, and adopts the grant with the missing scope added", () => {
    const stack = stackOf(run.out, DEMO.drifted.defaultDomain);
    const imported = new Set((stack.import ?? []).map((block) => block.to));
    const created = addresses(stack).filter((address) => !imported.has(address));
    expect(created).toEqual([
      expect.stringMatching(new RegExp(`^azuread_app_role_assignment\\.[\\w-]+\\["${GRAPH_APP_ID}/AuditLog\\.Read\\.All"\\]$`)),
    ]);
    const graphGrant = Object.values(stack.resource?.azuread_service_principal_delegated_permission_grant ?? {})[0]?.for_each[GRAPH_APP_ID];
    expect(graphGrant).toContain("Policy.Read.All");
    expect(run.stdout).toContain(
      "Northwind Traders (northwind.onmicrosoft.com): stack northwind-onmicrosoft-com, 80 to import, 1 to create",
    );
  });

  it("leaves the unlicensed workload out of the licence-limited tenant's stack and reports it as blocked, in text and JSON", () => {
    const stack = stackOf(run.out, DEMO.unlicensed.defaultDomain);
    expect(stackPairs(stack).some((pair) => pair.includes("Vulnerability"))).toBe(false);
    expect(run.stdout).toMatch(/Adatum \(adatum\.onmicrosoft\.com\): stack adatum-onmicrosoft-com, \d+ to import, 0 to create, 4 blocked/);
    expect(run.stdout).toContain("! WindowsDefenderATP: app role Vulnerability.Read.All — WindowsDefenderATP cannot be added");
    const report = JSON.parse(readFileSync(path.join(work, "synth.json"), "utf8")) as {
      tenants: { tenant: { defaultDomain: string }; blocked: { permission: string | null }[] }[];
    };
    const adatum = report.tenants.find((t) => t.tenant.defaultDomain === DEMO.unlicensed.defaultDomain);
    expect(adatum?.blocked.map((b) => b.permission)).toEqual([null, "Vulnerability.Read.All", "user_impersonation", "Vulnerability.Read"]);
  });

  it("gives a tenant not yet consented no stack and says to run refresh first; an unreachable tenant none either; exit 1", () => {
    expect(readdirSync(path.join(run.out, "stacks")).sort()).toEqual([
      "adatum-onmicrosoft-com",
      "contosomsp-onmicrosoft-com",
      "fabrikam-onmicrosoft-com",
      "northwind-onmicrosoft-com",
    ]);
    expect(run.stdout).toContain("Tailspin Toys (tailspintoys.onmicrosoft.com): no stack — CIPP-SAM is not in this tenant yet");
    expect(run.stdout).toContain("run `cipp-cpv refresh --tenant tailspintoys.onmicrosoft.com` first");
    expect(run.stdout).toMatch(/Wingtip Toys \(wingtiptoys\.onmicrosoft\.com\): no stack — .*GDAP/);
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toContain(DEMO_CREDENTIALS.clientSecret);
    expect(`${run.stdout}${run.stderr}`).not.toContain(DEMO_CREDENTIALS.refreshToken);
  });

  it("reads a consented tenant in two requests, as plan does, and synthesizes it alone with --tenant (exit 0)", async () => {
    await sandbox.resetRequests();
    const one = await synth(stacks, "--adopt", "--tenant", DEMO.healthy.defaultDomain);
    expect(one.code).toBe(0);
    const { counts } = await sandbox.requests();
    expect(countOf(counts, "login") + countOf(counts, "graph")).toBe(2);
    expect(readdirSync(path.join(one.out, "stacks"))).toEqual(["fabrikam-onmicrosoft-com"]);
  });

  it("without --adopt needs no credential and declares every permission", async () => {
    let stdout = "";
    const output = createOutput({ stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => undefined } });
    const out = mkdtempSync(path.join(work, "plain-"));
    expect(await main(["synth", "--stacks", stacks, "--out", out], {}, output)).toBe(0);
    expect(stdout).toContain(
      "Tailspin Toys (tailspintoys.onmicrosoft.com): stack tailspintoys-onmicrosoft-com, 81 declared (no live state",
    );
  });
});

describe("one source of truth: the stack's pairs are the engine plan's", () => {
  it("for every demo tenant: all of them for the fresh tenant, less the blocked ones for the licence-limited one", async () => {
    const stacks = managedByTerraform();
    const fleet = loadFleet(stacks);
    const plan = await sandbox.run({ mode: "plan", stacksDir: stacks });
    const live = await synth(stacks, "--adopt");
    const plain = await synth(stacks);
    for (const tenant of fleet.tenants) {
      const tenantPlan = plan.plan.tenants.find((t) => t.tenant.tenantId === tenant.tenantId) as TenantPlan;
      if (tenant.tenantId === DEMO.fresh.tenantId) {
        // Never consented: the plan holds every declared permission; the stack (without live state) the same.
        expect(stackPairs(stackOf(plain.out, tenant.defaultDomain))).toEqual(planPairs(tenantPlan));
        expect(planPairs(tenantPlan)).toEqual(declaredPairs(tenant));
      } else if (tenant.tenantId === DEMO.noGdap.tenantId) {
        expect(tenantPlan.status).toBe("inaccessible");
      } else {
        const blocked = new Set(blockedPairs(tenantPlan));
        expect(stackPairs(stackOf(live.out, tenant.defaultDomain))).toEqual(declaredPairs(tenant).filter((pair) => !blocked.has(pair)));
        if (tenant.tenantId === DEMO.unlicensed.tenantId) expect(blocked.size).toBe(3);
      }
    }
  });
});

describe("refresh and plan of tenants managed by Terraform", () => {
  it("plans the drifted tenant as any other (exit 2), and a refresh writes nothing there", async () => {
    const stacks = managedByTerraform();
    const planned = await sandbox.run({ mode: "plan", stacksDir: stacks, tenant: DEMO.drifted.defaultDomain });
    expect(planned.exitCode).toBe(2);
    const before = await sandbox.snapshot(DEMO.drifted.tenantId);
    await sandbox.resetRequests();
    const refreshed = await sandbox.run({ mode: "refresh", stacksDir: stacks, tenant: DEMO.drifted.defaultDomain });
    const { counts } = await sandbox.requests();
    expect(graphWrites(counts) + countOf(counts, "partnerCenter", true)).toBe(0);
    expect(await sandbox.snapshot(DEMO.drifted.tenantId)).toEqual(before);
    expect(refreshed.exitCode).toBe(0);
    expect(refreshed.result?.tenants[0]).toMatchObject({
      status: "skipped",
      skippedReason: expect.stringMatching(
        /^managed by Terraform \(.*northwind\.yaml\): nothing written; 2 changes in its plan are left to terraform apply/,
      ),
    });
  });

  it("still posts the Partner Center consent Terraform cannot give, and nothing else, for a new tenant", async () => {
    const stacks = managedByTerraform();
    await sandbox.resetRequests();
    const refreshed = await sandbox.run({ mode: "refresh", stacksDir: stacks, tenant: DEMO.fresh.defaultDomain });
    const { counts } = await sandbox.requests();
    expect(countOf(counts, "partnerCenter", true)).toBe(1);
    expect(graphWrites(counts)).toBe(0);
    expect(heldByName(await sandbox.snapshot(DEMO.fresh.tenantId), DEMO.applicationId).appRoles).toEqual([]);
    expect(refreshed.result?.tenants[0]).toMatchObject({
      status: "skipped",
      steps: { consent: "created" },
      skippedReason: expect.stringContaining("posted the Partner Center consent (which Terraform cannot give) and wrote nothing else"),
    });
    // Consented now: synth --adopt gives it a stack, adopting the grant Partner Center created.
    const after = await synth(stacks, "--adopt", "--tenant", DEMO.fresh.defaultDomain);
    const stack = stackOf(after.out, DEMO.fresh.defaultDomain);
    expect(stack.import?.map((block) => block.id)).toEqual([expect.stringMatching(/^\/oauth2PermissionGrants\//)]);
  });

  it("refuses a reset of a tenant managed by Terraform before sending anything", async () => {
    const stacks = managedByTerraform();
    await expect(
      sandbox.run({ mode: "reset", stacksDir: stacks, tenant: DEMO.healthy.defaultDomain, confirm: DEMO.healthy.defaultDomain }),
    ).rejects.toThrow(/managed by Terraform .*nothing was sent/);
  });
});

describe("the identity the azuread provider uses: CIPP-SAM, app-only", () => {
  const graph = (p: string): string => `${sandbox.emulator.baseUrl}/v1.0${p}`;
  async function appToken(tenantId: string): Promise<string> {
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: DEMO_CREDENTIALS.clientId,
        clientSecret: DEMO_CREDENTIALS.clientSecret,
        authority: `${sandbox.emulator.baseUrl}/${tenantId}`,
        knownAuthorities: [authorityHost(sandbox.emulator.baseUrl)],
      },
      system: { networkClient: msalNetworkClient(agent) },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    return result?.accessToken ?? "";
  }
  const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it("is refused an app role assignment without the terraform profile, and can make every write the stack stands for with it", async () => {
    const tenant = DEMO.healthy.tenantId;
    const before = await appToken(tenant);
    const graphSp = await call<{ value: { id: string; appRoles: { id: string; value: string }[] }[] }>(
      agent,
      "GET",
      graph(`/servicePrincipals?$filter=appId eq '${GRAPH_APP_ID}'&$select=id,appRoles`),
      as(before),
    );
    expect(graphSp.status).toBe(200);
    const graphSpId = graphSp.body.value[0]?.id ?? "";
    const mailRead = graphSp.body.value[0]?.appRoles.find((role) => role.value === "Mail.Read")?.id ?? "";
    const client = await call<{ id: string }>(
      agent,
      "GET",
      graph(`/servicePrincipals(appId='${DEMO.applicationId}')?$select=id`),
      as(before),
    );
    const assign = (token: string) =>
      call<{ id: string; error?: { code: string } }>(agent, "POST", graph(`/servicePrincipals/${graphSpId}/appRoleAssignedTo`), {
        ...as(token),
        body: { principalId: client.body.id, resourceId: graphSpId, appRoleId: mailRead },
      });

    const refused = await assign(before);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("Authorization_RequestDenied");

    // The profile's roles are granted by a refresh while cipp-cpv still manages the tenant.
    const withProfile = stacksCopy("identity", (file, text) => (file === "fabrikam.yaml" ? `${text}profiles: [terraform]\n` : text));
    const refreshed = await sandbox.run({ mode: "refresh", stacksDir: withProfile, tenant: DEMO.healthy.defaultDomain });
    expect(
      refreshed.result?.tenants[0]?.permissions
        .filter((p) => p.outcome === "applied")
        .map((p) => p.permission)
        .sort(),
    ).toEqual(["AppRoleAssignment.ReadWrite.All", "Application.Read.All", "DelegatedPermissionGrant.ReadWrite.All"]);

    const after = await appToken(tenant);
    expect((jwt.decode(after) as { roles: string[] }).roles).toEqual(
      expect.arrayContaining(["AppRoleAssignment.ReadWrite.All", "Application.Read.All", "DelegatedPermissionGrant.ReadWrite.All"]),
    );
    // azuread_app_role_assignment: create, read, destroy.
    const created = await assign(after);
    expect(created.status).toBe(201);
    // The provider reads a new object back until Graph lists it before it goes on; here time moves past the lag.
    await sandbox.control("POST", "/clock", { advanceMs: REALISTIC_DELAYS.replicationLagMs });
    expect((await call(agent, "GET", graph(`/servicePrincipals/${graphSpId}/appRoleAssignedTo`), as(after))).status).toBe(200);
    expect(
      (await call(agent, "DELETE", graph(`/servicePrincipals/${graphSpId}/appRoleAssignedTo/${created.body.id}`), as(after))).status,
    ).toBe(204);
    // azuread_service_principal_delegated_permission_grant: read, update in place, destroy, create.
    const grants = await call<{ value: { id: string; resourceId: string; scope: string }[] }>(
      agent,
      "GET",
      graph(`/oauth2PermissionGrants?$filter=clientId eq '${client.body.id}'`),
      as(after),
    );
    const graphGrant = grants.body.value.find((g) => g.resourceId === graphSpId);
    expect(graphGrant).toBeDefined();
    const grantId = graphGrant?.id ?? "";
    expect((await call(agent, "GET", graph(`/oauth2PermissionGrants/${grantId}`), as(after))).status).toBe(200);
    expect(
      (await call(agent, "PATCH", graph(`/oauth2PermissionGrants/${grantId}`), { ...as(after), body: { scope: graphGrant?.scope } }))
        .status,
    ).toBe(204);
    expect((await call(agent, "DELETE", graph(`/oauth2PermissionGrants/${grantId}`), as(after))).status).toBe(204);
    const recreated = await call(agent, "POST", graph("/oauth2PermissionGrants"), {
      ...as(after),
      body: { clientId: client.body.id, consentType: "AllPrincipals", resourceId: graphSpId, scope: graphGrant?.scope },
    });
    expect(recreated.status).toBe(201);
  });
});
