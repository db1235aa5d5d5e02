/**
 * A credential every tenant shares, refused by Entra ID, ends a fleet run after one sign-in: the
 * emulator's request counters prove no other tenant was tried.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetTenants, fleetWorld } from "../../src/bench/fleet-fixture";
import { temporaryStacks, type TemporaryStacks } from "../../src/bench/sandbox-run";
import { DEMO_CREDENTIALS } from "../../src/emulator";
import { call, trustingAgent } from "../helpers/emulator-client";
import { startSandbox, type Sandbox } from "./sandbox";

const TENANTS = fleetTenants(50);
let sandbox: Sandbox;
let stacks: TemporaryStacks;

beforeAll(async () => {
  sandbox = await startSandbox(fleetWorld("converged", TENANTS));
  stacks = temporaryStacks(TENANTS);
});
afterAll(async () => {
  stacks.remove();
  await sandbox.stop();
});
beforeEach(async () => {
  await sandbox.loadWorld(fleetWorld("converged", TENANTS));
  await sandbox.resetRequests();
});

async function signIns(): Promise<number> {
  return (await sandbox.requests()).byService["login"] ?? 0;
}

describe("a credential every tenant shares is refused", () => {
  test.each(["refresh", "plan"] as const)("a bad client secret stops a 50-tenant %s after one sign-in attempt", async (mode) => {
    const outcome = await sandbox.run({ mode, stacksDir: stacks.dir, credential: { kind: "secret", clientSecret: "not-the-secret" } });
    expect(await signIns()).toBe(1);
    const requests = await sandbox.requests();
    expect(requests.total).toBe(1);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stopped?.problem.kind).toBe("client-credential-invalid");
    expect(outcome.stopped?.problem.message).toMatch(/AADSTS7000215/);
    expect(outcome.stopped?.notAttempted).toHaveLength(49);
    // Only the tenant that was tried is reported, as failed; the others were not attempted.
    const reported = mode === "plan" ? outcome.plan.tenants.map((t) => t.status) : (outcome.result?.tenants ?? []).map((t) => t.status);
    expect(reported).toEqual([mode === "plan" ? "inaccessible" : "failed"]);
    expect(outcome.stopped?.tenant.defaultDomain).toBe(
      (mode === "plan" ? outcome.plan.tenants[0]?.tenant : outcome.result?.tenants[0]?.tenant)?.defaultDomain,
    );
  });

  test("a revoked refresh token stops the run at its first refusal, saying how to get a new one", async () => {
    const revoke = await fetchControl("POST", "/refresh-tokens/revoke", {});
    expect(revoke.affected).toBeGreaterThan(0);
    const outcome = await sandbox.run({ mode: "refresh", stacksDir: stacks.dir, concurrency: 10 });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stopped?.problem.kind).toBe("refresh-token-revoked");
    expect(outcome.stopped?.problem.action).toMatch(/README/);
    expect(outcome.stopped?.problem.action).toMatch(/sign .* in again/i);
    // The refusal reaches every tenant in flight: far fewer sign-ins than tenants, and most tenants untouched.
    expect(outcome.stopped?.notAttempted.length).toBeGreaterThan(30);
    expect(await signIns()).toBeLessThan(25);
  });

  test("an unknown application id stops the run after one refused sign-in of each kind at most", async () => {
    const settings = path.join(stacks.dir, "cipp-cpv.yaml");
    const original = readFileSync(settings, "utf8");
    writeFileSync(settings, original.replace(/applicationId: .*/, "applicationId: 0f0e0d0c-0b0a-4909-8807-060504030201"));
    try {
      const outcome = await sandbox.run({ mode: "plan", stacksDir: stacks.dir });
      expect(outcome.exitCode).toBe(1);
      expect(outcome.stopped?.problem.message).toMatch(/AADSTS700016/);
      expect(outcome.stopped?.notAttempted.length).toBeGreaterThan(40);
      expect(await signIns()).toBeLessThanOrEqual(3);
    } finally {
      writeFileSync(settings, original);
    }
  });

  test("a good credential is not held back: the whole fleet is planned", async () => {
    const outcome = await sandbox.run({
      mode: "plan",
      stacksDir: stacks.dir,
      credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
    });
    expect(outcome.stopped).toBeNull();
    expect(outcome.plan.tenants).toHaveLength(50);
    expect(outcome.exitCode).toBe(0);
  });
});

async function fetchControl(method: string, route: string, body: unknown): Promise<{ affected: number }> {
  const agent = trustingAgent(sandbox.emulator.caCertificatePem);
  try {
    const answer = await call<{ affected: number }>(agent, method, `${sandbox.emulator.baseUrl}/_emulator${route}`, { body });
    return answer.body;
  } finally {
    await agent.close();
  }
}
