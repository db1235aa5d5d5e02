import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";
import { call, trustingAgent } from "../helpers/emulator-client";

let emu: RunningEmulator;
let agent: Agent;

beforeAll(async () => {
  // A frozen clock: only the test moves time.
  emu = await startEmulator({ clockSpeed: 0 });
  agent = trustingAgent(emu.caCertificatePem);
});
afterAll(async () => {
  await emu.stop();
  await agent.close();
});

const tokenRequest = () =>
  call(agent, "POST", `${emu.baseUrl}/${DEMO.healthy.tenantId}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "client_credentials",
      scope: "https://graph.microsoft.com/.default",
    }).toString(),
  });

/** Waits, turn by turn of the event loop, until the emulator holds a request in its latency wait. */
async function untilHeld(): Promise<void> {
  while (emu.clock.sleeping === 0) await new Promise((resolve) => setImmediate(resolve));
}

it("holds a response for the configured latency of virtual time, and answers once the clock has moved past it", async () => {
  expect((await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, { body: { latencyMs: 5_000 } })).status).toBe(204);
  const sent = emu.clock.now();
  const pending = tokenRequest();
  await untilHeld();

  emu.clock.advance(4_999);
  expect(emu.clock.sleeping).toBe(1);
  expect(emu.requests().total).toBe(0);

  expect((await call(agent, "POST", `${emu.baseUrl}/_emulator/clock`, { body: { advanceMs: 1 } })).status).toBe(200);
  const answer = await pending;
  expect(answer.status).toBe(200);
  expect(emu.requests().log.map((entry) => [entry.path, entry.at])).toEqual([
    [`/${DEMO.healthy.tenantId}/oauth2/v2.0/token`, new Date(sent + 5_000).toISOString()],
  ]);
});

it("answers without waiting when no latency is configured, even on a frozen clock", async () => {
  await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, { body: {} });
  const before = emu.clock.now();
  expect((await tokenRequest()).status).toBe(200);
  expect([emu.clock.sleeping, emu.clock.now()]).toEqual([0, before]);
});
