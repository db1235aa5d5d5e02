/**
 * `cipp-cpv demo` (`npm start`): the whole tool on the embedded sandbox. Starts the emulator with
 * its demo world, plans every declared tenant, refreshes them, verifies, and plans again to show
 * that nothing is left to do. The sandbox lags and answers as slowly as Microsoft's services do.
 */
import { DEMO_CREDENTIALS, REALISTIC_DELAYS, startEmulator } from "../emulator";
import type { Output } from "./output";
import { runCommand, type RunFlags } from "./run-command";

export interface DemoFlags {
  readonly stacks: string;
  readonly colour?: boolean;
}

/**
 * Exit code 0 when the demo ends as designed: after the refresh, the second plan has no changes
 * left for any tenant the service account can reach (the tenant without a GDAP relationship
 * stays unreachable, and says why).
 */
export async function demoCommand(flags: DemoFlags, output: Output): Promise<number> {
  // With Microsoft's replication lag and latency, so that the demo shows the waits a real run has.
  const emulator = await startEmulator({ faults: REALISTIC_DELAYS });
  try {
    const context = {
      credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret } as const,
      refreshToken: DEMO_CREDENTIALS.refreshToken,
      caCertificates: [emulator.caCertificatePem],
      sandboxUrl: emulator.baseUrl,
    };
    const base: RunFlags = { stacks: flags.stacks, quiet: true, ...(flags.colour ? { colour: true } : {}) };
    output.out(`Sandbox: an emulator of Entra ID, Microsoft Graph and Partner Center on ${emulator.baseUrl}\n`);

    output.out("━━ 1. cipp-cpv plan: what each tenant holds against what stacks/ declares ━━\n");
    await runCommand("plan", base, context, output);

    output.out("━━ 2. cipp-cpv refresh: consent, grant, verify ━━\n");
    await runCommand("refresh", base, context, output);

    output.out("━━ 3. cipp-cpv plan again: nothing left to do ━━\n");
    const before = emulator.requests().total;
    const exitCode = await runCommand("plan", base, context, output);
    const requests = emulator.requests().total - before;
    output.out(`The second plan cost ${requests} HTTP requests for the whole fleet.`);
    // 1 means a tenant is unreachable, which the demo world contains on purpose; 2 would mean
    // the refresh left changes behind.
    return exitCode === 2 ? 1 : 0;
  } finally {
    await emulator.stop();
  }
}
