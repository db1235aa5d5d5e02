/**
 * The bundled Action with `changed-files` (as a pull request's plan job runs it) and with
 * `gdap-changed-since` (as the nightly runs it): against the
 * emulator's demo world and the repository's own stacks/ (cloud: sandbox).
 */
import { DEMO, DEMO_CREDENTIALS, demoWorld, startEmulator, type RunningEmulator } from "../../src/emulator";
import { NODE_LABEL, runAction } from "./runner";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(() => {
  emulator.loadWorld(demoWorld());
});

function planInputs(changedFiles: string): Record<string, string> {
  return {
    mode: "plan",
    "changed-files": changedFiles,
    "client-secret": DEMO_CREDENTIALS.clientSecret,
    "refresh-token": DEMO_CREDENTIALS.refreshToken,
    "ca-certificates": emulator.caCertificatePem,
    "sandbox-url": emulator.baseUrl,
  };
}

function plannedDomains(planJson: string | undefined): string[] {
  const plan = JSON.parse(planJson ?? "null") as { tenants: { tenant: { defaultDomain: string } }[] };
  return plan.tenants.map((t) => t.tenant.defaultDomain);
}

describe(`the bundled Action on ${NODE_LABEL} with changed-files`, () => {
  test("one changed tenant file: only that tenant is planned, and the unreachable tenant does not fail the step", async () => {
    const run = await runAction(planInputs("stacks/tenants/northwind.yaml\n"));
    expect(run.exitCode).toBe(0);
    expect(run.outputs["exit-code"]).toBe("2");
    expect(run.outputs["failed-tenants"]).toBe("[]");
    expect(plannedDomains(run.files["plan-json"])).toEqual([DEMO.drifted.defaultDomain]);
    expect(run.summary).toContain("Only the tenants this change touches are planned (1 changed file): 1 tenant.");
    expect(run.summary).toContain(DEMO.drifted.displayName);
    expect(run.summary).not.toContain(DEMO.noGdap.displayName);
    expect(run.commands.filter((c) => c.command === "error")).toEqual([]);
  });

  test("a change outside the declarations: an empty plan, a successful step, and the plan says why", async () => {
    const before = emulator.requests().total;
    const run = await runAction(planInputs("stacks/main.ts\nREADME.md"));
    expect(run.exitCode).toBe(0);
    expect(run.outputs["exit-code"]).toBe("0");
    expect(run.outputs["changes"]).toBe("false");
    expect(plannedDomains(run.files["plan-json"])).toEqual([]);
    expect(run.files["plan-markdown"]).toContain("No declared tenant is affected by this change (2 changed files); nothing to plan.");
    expect(emulator.requests().total).toBe(before);
  });

  test("cipp-cpv.yaml in the list: every managed tenant is planned, and the unreachable one fails the step", async () => {
    const run = await runAction(planInputs("stacks/tenants/northwind.yaml\nstacks/cipp-cpv.yaml\n"));
    expect(run.exitCode).toBe(1);
    expect([...plannedDomains(run.files["plan-json"])].sort()).toEqual(
      [DEMO.partner, DEMO.healthy, DEMO.drifted, DEMO.fresh, DEMO.unlicensed, DEMO.noGdap].map((t) => t.defaultDomain).sort(),
    );
    expect(JSON.parse(run.outputs["failed-tenants"] ?? "null")).toEqual([DEMO.noGdap.defaultDomain]);
  });

  test("a merge that adds a tenant refreshes only that tenant: writes reach no other customer", async () => {
    const before = emulator.requests().counts.map((c) => ({ ...c }));
    const run = await runAction({ ...planInputs("stacks/tenants/tailspintoys.yaml\n"), mode: "refresh" });
    expect(run.outputs["exit-code"]).toBe("0");
    const result = JSON.parse(run.files["result-json"] ?? "null") as { tenants: { tenant: { defaultDomain: string }; status: string }[] };
    expect(result.tenants.map((t) => [t.tenant.defaultDomain, t.status])).toEqual([[DEMO.fresh.defaultDomain, "changed"]]);
    // The job summary holds the plan that was applied, then the results.
    expect(run.summary.indexOf("## cipp-cpv plan")).toBeGreaterThanOrEqual(0);
    expect(run.summary.indexOf("## cipp-cpv refresh")).toBeGreaterThan(run.summary.indexOf("## cipp-cpv plan"));
    const counted = (c: { service: string; tenantId: string | null; method: string; path: string }): number =>
      before.find((b) => b.service === c.service && b.tenantId === c.tenantId && b.method === c.method && b.path === c.path)?.count ?? 0;
    const writes = emulator
      .requests()
      .counts.filter((c) => c.method !== "GET" && c.service !== "login" && c.count > counted(c))
      .map((c) => c.tenantId);
    expect(writes.length).toBeGreaterThan(0);
    // Partner Center's consent is posted in the partner's tenant, for the customer; everything else is the new tenant's.
    expect([...new Set(writes)].filter((tenant) => tenant !== DEMO.fresh.tenantId && tenant !== DEMO.partner.tenantId)).toEqual([]);
  });

  test("a deleted tenant file is reported as a notice; nothing is done to its tenant", async () => {
    const before = emulator.requests().total;
    const run = await runAction({ ...planInputs("stacks/tenants/retired customer.yaml\n"), mode: "refresh" });
    expect(run.exitCode).toBe(0);
    expect(run.outputs["exit-code"]).toBe("0");
    const notices = run.commands.filter((c) => c.command === "notice" && c.properties.includes("title=Tenant file deleted"));
    expect(notices.map((c) => c.message)).toEqual([
      "stacks/tenants/retired customer.yaml was deleted: its tenant is no longer managed. CIPP-SAM is left as it is there; nothing is reset or removed.",
    ]);
    expect(run.summary).toContain("Deleted: stacks/tenants/retired customer.yaml. Its tenant is no longer managed");
    expect(emulator.requests().total).toBe(before);
  });

  test("a deleted tenant file beside a changed one: the changed tenant is planned and the deletion reported", async () => {
    const run = await runAction(planInputs("stacks/tenants/gone.yaml\nstacks/tenants/northwind.yaml\n"));
    expect(plannedDomains(run.files["plan-json"])).toEqual([DEMO.drifted.defaultDomain]);
    expect(run.files["plan-markdown"]).toContain("Deleted: stacks/tenants/gone.yaml.");
    expect(run.commands.filter((c) => c.command === "notice" && c.message.startsWith("stacks/tenants/gone.yaml was deleted"))).toHaveLength(
      1,
    );
  });
});

describe(`the bundled Action on ${NODE_LABEL} with gdap-changed-since`, () => {
  test("the tenant whose GDAP access changed after the time gets a fresh consent, and the log names it", async () => {
    const now = emulator.clock.now();
    const relationships = emulator.world().gdapRelationships;
    const index = relationships.findIndex((r) => r.customerTenantId === DEMO.drifted.tenantId);
    const northwind = relationships[index];
    if (northwind === undefined) throw new Error("the demo world has no Northwind relationship");
    relationships[index] = {
      ...northwind,
      accessAssignments: [{ roleTemplateIds: northwind.roleTemplateIds, createdDateTime: new Date(now - 3_600_000).toISOString() }],
    };
    const consents = (): number =>
      emulator
        .requests()
        .counts.filter((c) => c.service === "partnerCenter" && c.method === "POST" && c.path.includes(DEMO.drifted.tenantId))
        .reduce((n, c) => n + c.count, 0);
    const before = consents();
    const since = new Date(now - 86_400_000).toISOString();
    const run = await runAction({ ...planInputs("stacks/tenants/northwind.yaml\n"), mode: "refresh", "gdap-changed-since": since });
    expect(run.outputs["exit-code"]).toBe("0");
    expect(run.stdout).toContain(`GDAP access changed since ${since} for 1 tenant: ${DEMO.drifted.tenantId}.`);
    expect(consents()).toBe(before + 1);
    const result = JSON.parse(run.files["result-json"] ?? "null") as { tenants: { steps: { consent: string } }[] };
    expect(result.tenants.map((t) => t.steps.consent)).not.toContain("not-needed");
  });

  test("a bad time fails the step naming the input, before any request", async () => {
    const before = emulator.requests().total;
    const run = await runAction({ ...planInputs(""), mode: "refresh", "gdap-changed-since": "last night" });
    expect(run.exitCode).toBe(1);
    expect(
      run.commands
        .filter((c) => c.command === "error")
        .map((c) => c.message)
        .join("\n"),
    ).toContain("Input 'gdap-changed-since'");
    expect(emulator.requests().total).toBe(before);
  });
});
