/**
 * `discover`: the partner's GDAP customers compared with stacks/tenants/, printed as text and
 * written as Markdown and JSON on request; new tenant files written with --write.
 * Exit codes like plan: 0 nothing new, 2 new files proposed (or written), 1 an error.
 */
import { sandboxEndpoints } from "../cloud/endpoints";
import { discoveryExitCode } from "../discover/model";
import { renderDiscoveryJson, renderDiscoveryMarkdown, renderDiscoveryText } from "../discover/render";
import { runDiscovery } from "../discover/run";
import { checkWritable, type Output } from "./output";
import { maskCredentials, type RunContext } from "./run-command";

export interface DiscoverFlags {
  readonly stacks: string;
  readonly write: boolean;
  readonly expiringWithin?: number;
  readonly profiles?: readonly string[];
  readonly json?: string;
  readonly markdown?: string;
  readonly refreshTokenOut?: string;
}

export async function discoverCommand(flags: DiscoverFlags, context: RunContext, output: Output): Promise<number> {
  maskCredentials(context, output);
  if (flags.json !== undefined) checkWritable(flags.json, "--json");
  if (flags.markdown !== undefined) checkWritable(flags.markdown, "--markdown");
  if (flags.refreshTokenOut !== undefined) checkWritable(flags.refreshTokenOut, "--refresh-token-out");

  const { report, rotatedRefreshToken } = await runDiscovery(
    {
      stacksDir: flags.stacks,
      write: flags.write,
      ...(flags.expiringWithin !== undefined ? { expiringWithinDays: flags.expiringWithin } : {}),
      ...(flags.profiles !== undefined && flags.profiles.length > 0 ? { profiles: flags.profiles } : {}),
      ...(context.sandboxUrl ? { endpoints: sandboxEndpoints(context.sandboxUrl) } : {}),
      caCertificates: context.caCertificates,
      credential: context.credential,
      refreshToken: context.refreshToken,
    },
    { redactor: output.redactor },
  );
  if (rotatedRefreshToken !== null) {
    output.redactor.register(rotatedRefreshToken);
    if (flags.refreshTokenOut !== undefined) {
      output.secretFile(flags.refreshTokenOut, rotatedRefreshToken);
      output.err(`The service account's refresh token rotated; the new one is in ${flags.refreshTokenOut}.`);
    }
  }
  output.out(renderDiscoveryText(report));
  if (flags.json !== undefined) output.file(flags.json, renderDiscoveryJson(report));
  if (flags.markdown !== undefined) output.file(flags.markdown, renderDiscoveryMarkdown(report));
  return discoveryExitCode(report);
}
