/** A refresh limited to the tenants a change touches: the engine against the emulator, end to end. */
import path from "node:path";
import { DEMO } from "../../src/emulator";
import { STACKS, startSandbox, type Sandbox } from "./sandbox";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.stop();
});

test("a refresh with changed files converges the touched tenant alone and reports no other", async () => {
  await sandbox.resetRequests();
  const outcome = await sandbox.run({ mode: "refresh", changedFiles: [path.join(STACKS, "tenants", "northwind.yaml")] });
  expect(outcome.exitCode).toBe(0);
  expect(outcome.result?.tenants.map((t) => [t.tenant.defaultDomain, t.status])).toEqual([[DEMO.drifted.defaultDomain, "changed"]]);
  expect(outcome.plan).toMatchObject({ changedFiles: 1 });
  const touched = (await sandbox.requests()).counts.map((count) => count.tenantId).filter((id) => id !== null);
  expect(touched).toContain(DEMO.drifted.tenantId);
  // Partner Center's consent is posted in the partner's tenant; no other customer is read or written.
  expect(touched.filter((id) => id !== DEMO.drifted.tenantId && id !== DEMO.partner.tenantId)).toEqual([]);
});

test("a refresh whose change touches no tenant sends nothing and succeeds", async () => {
  await sandbox.resetRequests();
  const outcome = await sandbox.run({ mode: "refresh", changedFiles: [path.join(STACKS, "main.ts")] });
  expect(outcome.exitCode).toBe(0);
  expect(outcome.result?.tenants).toEqual([]);
  expect(outcome.plan).toEqual({ tenants: [], changedFiles: 1 });
  expect((await sandbox.requests()).total).toBe(0);
});

test("a tenant named as well wins over the changed files", async () => {
  const outcome = await sandbox.run({
    mode: "plan",
    tenant: DEMO.healthy.defaultDomain,
    changedFiles: [path.join(STACKS, "tenants", "northwind.yaml")],
  });
  expect(outcome.plan.tenants.map((t) => t.tenant.defaultDomain)).toEqual([DEMO.healthy.defaultDomain]);
  expect(outcome.plan).not.toHaveProperty("changedFiles");
});
