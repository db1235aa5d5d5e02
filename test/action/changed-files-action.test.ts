/**
 * The bundled Action with `changed-files`, as a pull request's plan job runs it: against the
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
});
