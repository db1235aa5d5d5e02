/**
 * A reset's record survives the process: what CIPP-SAM held is on disk, flushed, before Partner
 * Center's consent DELETE is sent. The run is frozen right after that DELETE (every later request
 * is held forever, as if the process had been killed there), the record is found on disk, and a
 * rerun names it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Dispatcher } from "undici";
import { runEngine } from "../../src/run/engine";
import type { ResetRecord } from "../../src/apply/reset-record";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import { main } from "../../src/cli/program";
import { DEMO, DEMO_CREDENTIALS } from "../../src/emulator";
import { trustingAgent } from "../helpers/emulator-client";
import { capture, startSandbox, STACKS, type Sandbox } from "./cli-harness";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.emulator.stop();
});

const tenant = DEMO.healthy.defaultDomain;

it("is on disk before the consent DELETE, stays there when the run dies after it, and a rerun names it", async () => {
  const records = mkdtempSync(path.join(tmpdir(), "cipp-cpv-reset-records-"));
  const agent = trustingAgent(sandbox.emulator.caCertificatePem);
  let recordsWhenDeleteSent: string[] | null = null;
  let frozen = false;
  let released: () => void = () => undefined;
  const deleteAnswered = new Promise<void>((resolve) => (released = resolve));
  // After the consent DELETE, nothing more leaves: the process is as good as dead.
  const dispatcher: Dispatcher = agent.compose((dispatch) => (options, handler) => {
    if (frozen) return true;
    if (options.method === "DELETE" && options.path.includes("/applicationconsents/")) {
      recordsWhenDeleteSent = readdirSync(records);
      frozen = true;
      setTimeout(released, 0);
    }
    return dispatch(options, handler);
  });
  const held = sandbox.emulator.requests().log.length;

  const run = runEngine(
    {
      mode: "reset",
      tenant,
      confirm: tenant,
      stacksDir: STACKS,
      endpoints: sandboxEndpoints(sandbox.emulator.baseUrl),
      credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
      refreshToken: DEMO_CREDENTIALS.refreshToken,
      resetRecords: records,
    },
    { dispatcher },
  );
  void run.catch(() => undefined);
  await deleteAnswered;
  // Wait for the emulator to have carried out the DELETE the frozen run sent.
  for (
    let i = 0;
    i < 200 &&
    !sandbox.emulator
      .requests()
      .log.slice(held)
      .some((e) => e.method === "DELETE" && e.status !== null);
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const deleted = sandbox.emulator
    .requests()
    .log.slice(held)
    .find((e) => e.method === "DELETE");
  expect(deleted?.service).toBe("partnerCenter");
  expect(deleted?.status).toBeLessThan(300);

  expect(recordsWhenDeleteSent).toHaveLength(1);
  const file = path.join(records, (recordsWhenDeleteSent as unknown as string[])[0] as string);
  expect(existsSync(file)).toBe(true);
  const record = JSON.parse(readFileSync(file, "utf8")) as ResetRecord;
  expect(record.kind).toBe("cipp-cpv-reset-record");
  expect(record.tenant.tenantId).toBe(DEMO.healthy.tenantId);
  expect(record.finishedAt).toBeNull();
  expect(record.snapshot?.appRoles.length).toBeGreaterThan(0);
  expect(record.snapshot?.appRoles.map((role) => role.permission)).toContain("Application.ReadWrite.All");
  expect(record.snapshot?.grants.length).toBeGreaterThan(0);
  expect(readdirSync(records).some((name) => name.endsWith(".partial"))).toBe(false);

  // The rerun (here: a refresh that adds CIPP-SAM back) says where the record is.
  const io = capture();
  const code = await main(
    ["refresh", "--stacks", STACKS, "--tenant", tenant, "--quiet", "--reset-records", records],
    sandbox.env(),
    io.output,
  );
  expect(code).toBe(0);
  expect(io.stderr()).toContain(`A reset of ${tenant} started ${record.startedAt} never finished`);
  expect(io.stderr()).toContain(file);
});

it("a reset that finishes marks its record finished and says where it is", async () => {
  const records = mkdtempSync(path.join(tmpdir(), "cipp-cpv-reset-records-"));
  const io = capture();
  const code = await main(
    ["reset", "--stacks", STACKS, "--tenant", tenant, "--confirm", tenant, "--quiet", "--reset-records", records],
    sandbox.env(),
    io.output,
  );
  expect(code).toBe(0);
  const [name] = readdirSync(records);
  const file = path.join(records, name as string);
  expect(io.stderr()).toContain(`What CIPP-SAM held before the reset is recorded in ${file}.`);
  const record = JSON.parse(readFileSync(file, "utf8")) as ResetRecord;
  expect(record.finishedAt).not.toBeNull();
  expect(record.outcome).toBe("changed");
  const again = capture();
  expect(
    await main(["plan", "--stacks", STACKS, "--tenant", tenant, "--quiet", "--reset-records", records], sandbox.env(), again.output),
  ).toBe(0);
  expect(again.stderr()).not.toContain("never finished");
});
