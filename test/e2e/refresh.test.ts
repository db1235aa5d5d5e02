import { DEMO } from "../../src/emulator";
import { startSandbox, type Sandbox } from "./sandbox";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.stop();
});

describe("refresh of a tenant CIPP-SAM was never consented in", () => {
  it("consents, grants the full set and verifies it", async () => {
    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });
    const tenant = outcome.result?.tenants[0];
    console.log(JSON.stringify(outcome.result?.tenants[0]?.problem), outcome.result?.tenants[0]?.status, outcome.result?.totals);
    expect(tenant?.status).toBe("changed");
    expect(outcome.exitCode).toBe(0);
  });
});
