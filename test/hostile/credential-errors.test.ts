/**
 * A refresh token revoked mid-run: Entra ID's AADSTS50173 is permanent, so the run stops waiting at
 * once, in every tenant, with that cause; the token request is not repeated, and nobody is told
 * that Entra ID "may still be replicating".
 */
import type { Dispatcher } from "undici";
import { runEngine } from "../../src/run/engine";
import { REPLICATION_WAIT } from "../../src/apply/replication-polling";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import { DEMO, DEMO_CREDENTIALS, demoWorld, startEmulator, type RunningEmulator } from "../../src/emulator";
import { call, trustingAgent } from "../helpers/emulator-client";
import { STACKS } from "../e2e/sandbox";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ clockSpeed: 0, world: demoWorld() });
});
afterAll(async () => {
  await emulator.stop();
});

it("ends the wait at once and stops the run with the revocation as the cause, without asking Entra ID again", async () => {
  const agent = trustingAgent(emulator.caCertificatePem);
  const control = async (method: string, route: string, body?: unknown): Promise<void> => {
    const answer = await call(agent, method, `${emulator.baseUrl}/_emulator${route}`, body === undefined ? {} : { body });
    if (answer.status >= 300) throw new Error(`control ${route}: HTTP ${answer.status}`);
  };
  // New objects take 20 s to show: without the fix, the consented tenant waits that out and more.
  await control("PUT", "/faults", { replicationLagMs: 20_000 });
  let revokedAtLogEntry = -1;
  // The service account's sessions are revoked the moment Partner Center is asked for the consent.
  const dispatcher: Dispatcher = agent.compose((dispatch) => (options, handler) => {
    if (options.method === "POST" && options.path.includes("/applicationconsents")) {
      void control("POST", "/refresh-tokens/revoke", {}).then(() => {
        revokedAtLogEntry = emulator.requests().log.length;
        dispatch(options, handler);
      });
      return true;
    }
    return dispatch(options, handler);
  });
  let slept = 0;
  const outcome = await runEngine(
    {
      mode: "refresh",
      stacksDir: STACKS,
      endpoints: sandboxEndpoints(emulator.baseUrl),
      credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
      refreshToken: DEMO_CREDENTIALS.refreshToken,
      concurrency: 1,
    },
    {
      clock: () => emulator.clock.now(),
      sleep: async (ms) => {
        if (revokedAtLogEntry >= 0) slept += ms;
        await control("POST", "/clock", { advanceMs: Math.max(0, Math.ceil(ms)) });
      },
      random: () => 0.5,
      dispatcher,
    },
  );
  await agent.close();

  expect(revokedAtLogEntry).toBeGreaterThan(0);
  const fresh = outcome.result?.tenants.find((t) => t.tenant.tenantId === DEMO.fresh.tenantId);
  expect(fresh?.status).toBe("failed");
  expect(fresh?.problem?.kind).toBe("refresh-token-revoked");
  expect(fresh?.problem?.message).toContain("AADSTS50173");
  expect(fresh?.problem?.message).not.toMatch(/replicating/);
  expect(fresh?.problem?.action).not.toMatch(/replicating/);
  // The refresh token is every tenant's: the run stops with that cause, and no tenant after it is attempted.
  expect(outcome.exitCode).toBe(1);
  expect(outcome.stopped?.problem.kind).toBe("refresh-token-revoked");
  expect(outcome.stopped?.notAttempted.length).toBeGreaterThan(0);
  for (const tenant of outcome.result?.tenants.filter((t) => t.status === "failed") ?? []) {
    expect([tenant.tenant.defaultDomain, tenant.problem?.kind]).toEqual([tenant.tenant.defaultDomain, "refresh-token-revoked"]);
  }
  // One refused token request, then none: the error is permanent.
  const logins = emulator
    .requests()
    .log.slice(revokedAtLogEntry)
    .filter((e) => e.service === "login");
  expect(logins.map((e) => e.status)).toEqual([400]);
  // No waiting for replication after it (the 20 s lag would otherwise be waited out, and more).
  expect(slept).toBeLessThan(REPLICATION_WAIT.initialDelayMs * 4);
});
