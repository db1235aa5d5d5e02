/**
 * A tenant file that names one tenant and points at another: the declared default domain must be
 * proven to belong to the declared tenant id before anything is written. Against the emulator: its
 * `/organization` (verifiedDomains) and `/domains`, and Entra ID's tenant discovery.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../src/cli/program";
import { DEMO, demoWorld } from "../../src/emulator";
import { createHarness, CUSTOMER, errorCode, json, worldSpec } from "../emulator/graph-harness";
import { countOf, startSandbox, STACKS, type Sandbox } from "../e2e/sandbox";
import { capture, startSandbox as startCliSandbox } from "./cli-harness";

describe("the emulator's organization and domains", () => {
  const spec = worldSpec();
  const h = createHarness({
    ...spec,
    tenants: spec.tenants.map((t) => (t.tenantId === CUSTOMER ? { ...t, domains: ["customer-brand.com"] } : t)),
  });
  const domain = spec.tenants.find((t) => t.tenantId === CUSTOMER)?.defaultDomain;

  it("GET /organization lists the tenant the token is for with its verified domains (User.Read suffices)", async () => {
    const r = await h.send("GET", "/v1.0/organization?$select=id,verifiedDomains", { token: h.userToken(CUSTOMER, "User.Read") });
    expect(r.status).toBe(200);
    const [organization] = json(r)["value"] as [Record<string, unknown>];
    expect(organization.id).toBe(CUSTOMER);
    expect(organization.verifiedDomains).toEqual([
      expect.objectContaining({ name: domain, isDefault: true, type: "Managed" }),
      expect.objectContaining({ name: "customer-brand.com", isDefault: false }),
    ]);
    expect(Object.keys(organization).sort()).toEqual(["id", "verifiedDomains"]);
  });

  it("GET /domains lists every verified domain (Domain.Read.All or Directory.Read.All)", async () => {
    const r = await h.send("GET", "/v1.0/domains", { token: h.appToken(CUSTOMER, ["Domain.Read.All"]) });
    expect(r.status).toBe(200);
    expect((json(r)["value"] as { id: string; isVerified: boolean }[]).map((d) => [d.id, d.isVerified])).toEqual([
      [domain, true],
      ["customer-brand.com", true],
    ]);
  });

  it("refuses either read to a token without a permission that allows it", async () => {
    const noRead = h.appToken(CUSTOMER, ["AppRoleAssignment.ReadWrite.All"]);
    for (const url of ["/v1.0/organization", "/v1.0/domains"]) {
      const r = await h.send("GET", url, { token: noRead });
      expect([r.status, errorCode(r)]).toEqual([403, "Authorization_RequestDenied"]);
    }
    const post = await h.send("POST", "/v1.0/organization", { token: h.appToken(CUSTOMER, ["Directory.ReadWrite.All"]), body: {} });
    expect(post.status).toBe(405);
  });
});

describe("a tenant file whose domain is another tenant's", () => {
  let sandbox: Sandbox;
  let work: string;
  beforeAll(async () => {
    sandbox = await startSandbox();
    work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-domain-"));
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(async () => {
    await sandbox.loadWorld(demoWorld());
    await sandbox.resetRequests();
  });

  /** The demo stacks with `file`'s tenantId replaced by another tenant's id (the file keeps its domain). */
  function lyingStacks(name: string, file: string, otherTenantId: string): string {
    const stacks = path.join(work, name);
    cpSync(STACKS, stacks, { recursive: true });
    const tenantFile = path.join(stacks, "tenants", file);
    writeFileSync(tenantFile, readFileSync(tenantFile, "utf8").replace(/^tenantId: .*$/m, `tenantId: ${otherTenantId}`));
    return stacks;
  }

  it("is refused when consented: the plan names both, and refresh and reset write nothing in the tenant the id points at", async () => {
    // northwind.yaml keeps "northwind.onmicrosoft.com" but carries Fabrikam's id; Fabrikam's own file goes.
    const stacks = lyingStacks("consented", "northwind.yaml", DEMO.healthy.tenantId);
    rmSync(path.join(stacks, "tenants", "fabrikam.yaml"));
    const domain = DEMO.drifted.defaultDomain;
    const before = await sandbox.snapshot(DEMO.healthy.tenantId);

    const plan = await sandbox.run({ mode: "plan", stacksDir: stacks, tenant: domain });
    expect(plan.exitCode).toBe(1);
    const [tenantPlan] = plan.plan.tenants;
    expect(tenantPlan?.status).toBe("inaccessible");
    expect(tenantPlan?.problem?.kind).toBe("domain-mismatch");
    expect(tenantPlan?.problem?.message).toContain(domain);
    expect(tenantPlan?.problem?.message).toContain(DEMO.healthy.tenantId);
    expect(tenantPlan?.problem?.message).toContain(DEMO.healthy.defaultDomain);

    for (const request of [
      { mode: "refresh" as const, tenant: domain },
      { mode: "reset" as const, tenant: domain, confirm: domain },
    ]) {
      const outcome = await sandbox.run({ ...request, stacksDir: stacks, resetRecords: path.join(work, "records") });
      expect(outcome.exitCode).toBe(1);
      expect(outcome.result?.tenants[0]?.problem?.kind).toBe("domain-mismatch");
    }
    const { counts } = await sandbox.requests();
    expect(countOf(counts, "graph", true)).toBe(3); // the three $batch reads (POST), no write among their items
    expect(countOf(counts, "partnerCenter")).toBe(0);
    const after = await sandbox.snapshot(DEMO.healthy.tenantId);
    expect(after.servicePrincipals).toEqual(before.servicePrincipals);
    expect(after.appRoleAssignments).toEqual(before.appRoleAssignments);
    expect(after.grants).toEqual(before.grants);
  });

  it("is refused before the consent when not consented yet (Entra ID's tenant discovery names the domain's owner)", async () => {
    // adatum.yaml keeps "adatum.onmicrosoft.com" but carries the id of Tailspin, where CIPP-SAM was never consented.
    const stacks = lyingStacks("fresh", "adatum.yaml", DEMO.fresh.tenantId);
    rmSync(path.join(stacks, "tenants", "tailspintoys.yaml"));
    const domain = DEMO.unlicensed.defaultDomain;
    const outcome = await sandbox.run({ mode: "refresh", stacksDir: stacks, tenant: domain });
    expect(outcome.exitCode).toBe(1);
    const problem = outcome.result?.tenants[0]?.problem;
    expect(problem?.kind).toBe("domain-mismatch");
    expect(problem?.message).toContain(`tenantId ${DEMO.fresh.tenantId}`);
    expect(problem?.message).toContain(`${domain} belongs to tenant ${DEMO.unlicensed.tenantId}`);
    const { counts } = await sandbox.requests();
    expect(countOf(counts, "partnerCenter")).toBe(0);
    expect(countOf(counts, "graph", true)).toBe(0);
  });

  it("an honest tenant still costs one token and one $batch, and the plan shows its verified domain", async () => {
    const outcome = await sandbox.run({ mode: "plan", tenant: DEMO.healthy.defaultDomain });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.plan.tenants[0]?.domainProof).toEqual({ domain: DEMO.healthy.defaultDomain, by: "verified-domains" });
    const { total, byService } = await sandbox.requests();
    expect(total).toBe(2);
    expect(byService).toMatchObject({ login: 1, graph: 1 });

    const fresh = await sandbox.run({ mode: "plan", tenant: DEMO.fresh.defaultDomain });
    expect(fresh.plan.tenants[0]?.domainProof).toEqual({ domain: DEMO.fresh.defaultDomain, by: "tenant-discovery" });
  });
});

describe("the CLI", () => {
  it("prints the verified domain in the plan's header", async () => {
    const cli = await startCliSandbox();
    try {
      const io = capture();
      expect(await main(["plan", "--stacks", STACKS, "--tenant", DEMO.healthy.defaultDomain, "--quiet"], cli.env(), io.output)).toBe(0);
      expect(io.stdout()).toContain(`Fabrikam (${DEMO.healthy.defaultDomain}, verified) ${DEMO.healthy.tenantId}: converged`);
    } finally {
      await cli.emulator.stop();
    }
  });
});
