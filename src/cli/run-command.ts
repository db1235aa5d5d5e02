/**
 * `plan`, `refresh` and `reset`: build a RunRequest from flags and the environment, run the
 * engine, print the text rendering and write the requested report files.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { streamEngine, type RunOutcome, type StreamedOutcome } from "../run/engine";
import type { AppCredential, Progress, RunMode } from "../run/run-request";
import { gdapChangedSinceLine, refreshOnGdapChange, refreshOnGdapChangesSince } from "../discover/gdap-refresh";
import { DEFAULT_GDAP_STATE_FILE } from "../discover/gdap-roles";
import { sandboxEndpoints, type CloudEndpoints } from "../cloud/endpoints";
import {
  stopSentence,
  renderPlanJson,
  renderPlanMarkdown,
  renderPlanText,
  renderResultJson,
  renderResultMarkdown,
  renderResultText,
} from "../report";
import { parseChangedPaths } from "../desired/affected";
import { ConfigurationError } from "./environment";
import { checkWritable, type Output } from "./output";
import { progressLine } from "./progress";
import { ReportStream } from "./report-stream";

export interface RunFlags {
  readonly stacks: string;
  readonly tenant?: string;
  /** A file listing the paths a change touches ("-": standard input); only the tenants they touch are covered. */
  readonly changedFiles?: string;
  readonly confirm?: string;
  readonly forceConsent?: boolean;
  readonly concurrency?: number;
  readonly json?: string;
  readonly markdown?: string;
  readonly colour?: boolean;
  /** Quiet progress (reports only). */
  readonly quiet?: boolean;
  readonly refreshTokenOut?: string;
  /** Accept a stacks folder that declares no tenant. */
  readonly allowEmpty?: boolean;
  /** The folder of reset records. */
  readonly resetRecords?: string;
  /** Read declarations and manifests from outside the repository too. */
  readonly allowOutsideRepository?: boolean;
  /** Refresh: only the tenants whose GDAP role set changed since the record, with a fresh consent. */
  readonly gdapChanged?: boolean;
  /** Refresh: the GDAP role record to compare with and update (default with gdapChanged: .cipp-cpv/gdap-roles.json). */
  readonly gdapState?: string;
  /** Refresh: epoch milliseconds; the tenants whose GDAP access changed after it get a fresh consent. */
  readonly gdapChangedSince?: number;
}

export interface RunContext {
  readonly credential: AppCredential;
  readonly refreshToken: string;
  readonly caCertificates: readonly string[];
  /** The sandbox's base URL; when set every endpoint points there. */
  readonly sandboxUrl?: string;
}

/** Registers every credential of the context with the output's redactor, before anything can print. */
export function maskCredentials(context: Pick<RunContext, "credential" | "refreshToken">, output: Output): void {
  output.redactor.register(context.refreshToken);
  if (context.credential.kind === "secret") output.redactor.register(context.credential.clientSecret);
  if (context.credential.kind === "certificate") output.redactor.register(context.credential.privateKeyPem);
}

/** Runs one mode and prints it; returns the process exit code. */
export async function runCommand(mode: RunMode, flags: RunFlags, context: RunContext, output: Output): Promise<number> {
  maskCredentials(context, output);

  if (flags.json !== undefined) checkWritable(flags.json, "--json");
  if (flags.markdown !== undefined) checkWritable(flags.markdown, "--markdown");
  if (flags.refreshTokenOut !== undefined) checkWritable(flags.refreshTokenOut, "--refresh-token-out");
  if (mode === "refresh" && flags.gdapState !== undefined) checkWritable(flags.gdapState, "--gdap-state");

  const endpoints: CloudEndpoints | undefined = context.sandboxUrl ? sandboxEndpoints(context.sandboxUrl) : undefined;
  const request = {
    stacksDir: flags.stacks,
    ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}),
    ...(flags.changedFiles !== undefined ? { changedFiles: changedPathsIn(flags.changedFiles) } : {}),
    ...(flags.confirm !== undefined ? { confirm: flags.confirm } : {}),
    ...(flags.forceConsent ? { forceConsent: true } : {}),
    ...(flags.allowEmpty ? { allowEmpty: true } : {}),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(endpoints ? { endpoints } : {}),
    caCertificates: context.caCertificates,
    credential: context.credential,
    refreshToken: context.refreshToken,
    ...(flags.resetRecords !== undefined ? { resetRecords: flags.resetRecords } : {}),
    ...(flags.allowOutsideRepository === true ? { allowOutsideRepository: true } : {}),
    ...(flags.quiet ? {} : { onProgress: (progress: Progress) => output.err(progressLine(progress, mode)) }),
  };
  // One redactor for the run: what the clients learn (access tokens, a rotated refresh token) is masked in this output too.
  const deps = { redactor: output.redactor };
  if (mode === "refresh" && flags.gdapChangedSince !== undefined) {
    const gdap = await refreshOnGdapChangesSince(request, flags.gdapChangedSince, deps);
    output.err(gdapChangedSinceLine(flags.gdapChangedSince, gdap.changed, gdap.unread));
    report(mode, gdap.outcome, flags, output);
    return gdap.outcome.exitCode;
  }
  const gdapState = flags.gdapState ?? (flags.gdapChanged ? DEFAULT_GDAP_STATE_FILE : undefined);
  if (mode === "refresh" && gdapState !== undefined) {
    const gdap = await refreshOnGdapChange({ ...request, stateFile: gdapState, onlyChanged: flags.gdapChanged === true }, deps);
    if (flags.gdapChanged) output.err(gdapChangeLine(gdap.changed, gdap.previousRecordedAt, gdapState));
    report(mode, gdap.outcome, flags, output);
    return gdap.outcome.exitCode;
  }
  // The reports are written as tenants finish: a fleet of any size is never held whole.
  const reports = new ReportStream(output, {
    colour: flags.colour === true,
    ...(flags.json !== undefined ? { json: flags.json } : {}),
    ...(flags.markdown !== undefined ? { markdown: flags.markdown } : {}),
  });
  let outcome: StreamedOutcome;
  try {
    outcome = await streamEngine({ mode, ...request }, reports, deps);
  } catch (error) {
    reports.abandon();
    throw error;
  }
  reportRunNotes(outcome, flags, output);
  reports.finish(outcome);
  reportStop(outcome, output);
  return outcome.exitCode;
}

function gdapChangeLine(changed: readonly string[], since: string | null, file: string): string {
  if (since === null)
    return `No GDAP role record in ${file} yet: this run records one; the next --gdap-changed refreshes the tenants whose roles change.`;
  if (changed.length === 0) return `No tenant's GDAP roles changed since ${since}; nothing to refresh.`;
  return `GDAP roles changed since ${since} for ${changed.length} ${changed.length === 1 ? "tenant" : "tenants"} (${changed.join(", ")}): refreshing with a fresh Partner Center consent.`;
}

/** The paths listed in `file` (standard input for "-"), absolute, as the repository root is the current folder. */
function changedPathsIn(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigurationError(`--changed-files: cannot read ${file === "-" ? "standard input" : file} (${code}).`);
  }
  return parseChangedPaths(text).map((path) => resolve(path));
}

function report(mode: RunMode, outcome: RunOutcome, flags: RunFlags, output: Output): void {
  const colour = flags.colour === true;
  reportRunNotes(outcome, flags, output);
  if (mode === "plan" || outcome.result === null) {
    output.out(renderPlanText(outcome.plan, { colour }));
    if (flags.json !== undefined) output.file(flags.json, renderPlanJson(outcome.plan));
    if (flags.markdown !== undefined) output.file(flags.markdown, renderPlanMarkdown(outcome.plan));
  } else {
    output.out(renderResultText(outcome.result, { colour }));
    if (flags.json !== undefined) output.file(flags.json, renderResultJson(outcome.result));
    if (flags.markdown !== undefined) output.file(flags.markdown, renderResultMarkdown(outcome.result));
  }
  reportStop(outcome, output);
}

/** Unfinished and written reset records, and the rotated refresh token: said before the reports close. */
function reportRunNotes(outcome: Pick<RunOutcome, "resetRecords" | "rotatedRefreshToken">, flags: RunFlags, output: Output): void {
  for (const earlier of outcome.resetRecords.unfinished) {
    output.err(
      `A reset of ${earlier.tenant.defaultDomain} started ${earlier.startedAt} never finished; what CIPP-SAM held before it is recorded in ` +
        `${earlier.file}. Restore from it what the declaration does not grant, then delete the file.`,
    );
  }
  for (const file of outcome.resetRecords.written) output.err(`What CIPP-SAM held before the reset is recorded in ${file}.`);
  if (outcome.rotatedRefreshToken !== null) {
    output.redactor.register(outcome.rotatedRefreshToken);
    if (flags.refreshTokenOut !== undefined) {
      // The file is the only place the rotated token may go; it is never printed.
      output.secretFile(flags.refreshTokenOut, outcome.rotatedRefreshToken);
      output.err(`The service account's refresh token rotated; the new one is in ${flags.refreshTokenOut}.`);
    }
  }
}

function reportStop(outcome: Pick<RunOutcome, "stopped">, output: Output): void {
  const stop = outcome.stopped;
  if (stop !== null) {
    // Last, so that it is the line a person reads: the one cause of every tenant's failure.
    output.err(`Error: ${stopSentence(stop)}`);
  }
}
