/**
 * The command line: `cipp-cpv validate | plan | refresh | reset | discover | synth | emulator | demo`.
 * Exit codes: 0 success / no changes; 2 changes pending (plan); 1 any error or failed tenant.
 */
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { RunRefusedError, checkResetConfirmation } from "../run/run-refusal";
import { DeclarationError } from "../desired/declaration-error";
import type * as Load from "../desired/load";
import { TenantSelectionError } from "../desired/select";
import { GdapStateError } from "../discover/gdap-roles";
import { DiscoverRefusedError } from "../discover/refusal";
import type * as Demo from "./demo";
import type * as DiscoverCommand from "./discover-command";
import type * as EmulatorCommand from "./emulator-command";
import { ConfigurationError, ENV, caCertificatesFrom, sandboxUrlFrom, secretsFromEnvironment } from "./environment";
import { createOutput, type Output } from "./output";
import type * as RunCommand from "./run-command";
import type { RunFlags } from "./run-command";
import type * as SynthCommand from "./synth-command";
import type { SynthFlags } from "./synth-command";
import { isoTime, nonNegativeInteger, positiveInteger, portNumber } from "./arguments";

/**
 * What a command needs, loaded when it runs: `--help` and `validate` start without the Microsoft
 * clients (msal-node, undici), cdktf, the emulator or the permission catalogue, which take most
 * of a start (README, "Start-up"). `require`, not `import()`: this compiles to CommonJS, where
 * `require` loads synchronously and needs no ESM support from whoever loads this module.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading, synchronous in CommonJS (see above) */
const load = {
  declarations: () => require("../desired/load") as typeof Load,
  run: () => require("./run-command") as typeof RunCommand,
  synth: () => require("./synth-command") as typeof SynthCommand,
  discover: () => require("./discover-command") as typeof DiscoverCommand,
  emulator: () => require("./emulator-command") as typeof EmulatorCommand,
  demo: () => require("./demo") as typeof Demo,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Node's types declare isTTY a boolean, but a stdout that is not a terminal leaves it undefined. */
function stdoutIsTerminal(): boolean {
  const isTTY: unknown = process.stdout.isTTY;
  return isTTY === true;
}

/** Where plan, refresh and reset take their credentials from, since no flag carries them. */
const CREDENTIALS_HELP = `
Environment (credentials are never flags, which would show in shell history and ps):
  ${ENV.clientSecret.padEnd(31)}CIPP-SAM's client secret, or
  ${ENV.certificateFile.padEnd(31)}CIPP-SAM's certificate (PEM), with
  ${ENV.certificateKeyFile.padEnd(31)}its private key (PEM)
  ${ENV.federatedTokenFile.padEnd(31)}or a file holding a federated assertion (GitHub OIDC token) for CIPP-SAM
  ${ENV.refreshToken.padEnd(31)}the CIPP service account's refresh token
  ${ENV.sandboxUrl.padEnd(31)}as --sandbox-url
  ${ENV.caFile.padEnd(31)}as --ca-file
\`cipp-cpv emulator\` writes the sandbox's values to .cipp-cpv/sandbox.env: set -a; . .cipp-cpv/sandbox.env; set +a`;

interface CommonOptions {
  stacks: string;
  tenant?: string;
  changedFiles?: string;
  confirm?: string;
  forceConsent?: boolean;
  concurrency?: number;
  json?: string;
  markdown?: string;
  color?: boolean;
  quiet?: boolean;
  refreshTokenOut?: string;
  allowEmpty?: boolean;
  resetRecords?: string;
  allowOutsideRepository?: boolean;
  sandboxUrl?: string;
  caFile?: string;
  gdapChanged?: boolean;
  gdapState?: string;
  gdapChangedSince?: number;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = createOutput(),
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(env, output, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, output);
  }
}

function buildProgram(env: NodeJS.ProcessEnv, output: Output, setExit: (code: number) => void): Command {
  const program = new Command("cipp-cpv")
    .description(
      "Declare CIPP-SAM's permissions per tenant in git, plan them against Microsoft Graph, refresh or reset them through Partner Center.",
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showHelpAfterError()
    .addHelpText("after", `\nRun cipp-cpv <command> --help for its options.\n${CREDENTIALS_HELP}`);

  const stacks = (): Option => new Option("--stacks <dir>", "folder with cipp-cpv.yaml, profiles/ and tenants/").default("stacks");
  const outside = (): Option =>
    new Option(
      "--allow-outside-repository",
      "also read declarations and manifests outside the repository holding --stacks (symbolic links, ../ paths)",
    );
  const withRunOptions = (command: Command, mode: "plan" | "refresh" | "reset"): Command => {
    if (mode === "reset") {
      command
        .requiredOption("--tenant <id-or-domain>", "the tenant, by id or default domain")
        .option("--confirm <id-or-domain>", "the same tenant again; without it the reset is refused and nothing is sent");
    } else {
      command
        .option("--tenant <id-or-domain>", "one tenant, by id or default domain (default: every declared tenant)")
        .addOption(
          new Option(
            "--changed-files <file>",
            'only the tenants whose declarations the files listed in <file> touch, one path a line from the repository root, e.g. git diff --name-only ("-": standard input)',
          ).conflicts("tenant"),
        );
    }
    command.addOption(stacks()).addOption(outside());
    // A reset always posts the consent, and for one tenant: neither option would change it.
    if (mode !== "reset") {
      command
        .option("--force-consent", "post the Partner Center consent even where the plan does not need it")
        .option("--allow-empty", "accept a stacks folder that declares no tenant (otherwise refused)")
        .option("--concurrency <n>", "tenants processed at once", positiveInteger, 10);
    }
    if (mode === "refresh") {
      command
        .addOption(
          new Option(
            "--gdap-changed",
            "refresh only the tenants whose GDAP roles changed since the last record, each with a fresh Partner Center consent",
          ).conflicts(["tenant", "changedFiles"]),
        )
        .option(
          "--gdap-state <file>",
          "the GDAP role record to compare with and update (default with --gdap-changed: .cipp-cpv/gdap-roles.json)",
        )
        .addOption(
          new Option(
            "--gdap-changed-since <time>",
            "refresh as usual, with a fresh Partner Center consent for the tenants whose GDAP access changed after this ISO 8601 time (no record kept)",
          )
            .argParser(isoTime)
            .conflicts(["gdapChanged", "gdapState"]),
        );
    }
    return command
      .option("--json <file>", "also write the report as JSON")
      .option("--markdown <file>", "also write the report as Markdown (job summaries, pull request comments)")
      .option("--color", "colour the text report", stdoutIsTerminal() && env["NO_COLOR"] === undefined)
      .option("--no-color", "plain text report")
      .option("--quiet", "no progress lines on stderr")
      .option("--refresh-token-out <file>", "write the service account's rotated refresh token here (mode 600)")
      .option(
        "--reset-records <dir>",
        "where a reset records what CIPP-SAM held before removing it, and where unfinished resets are looked for",
        ".cipp-cpv/resets",
      )
      .option("--sandbox-url <url>", `the sandbox emulator's base URL (or ${ENV.sandboxUrl}); required when cloud is "sandbox"`)
      .option("--ca-file <file>", `extra CA certificate to trust, PEM (or ${ENV.caFile})`)
      .addHelpText("after", CREDENTIALS_HELP);
  };

  const run = (mode: "plan" | "refresh" | "reset") => async (options: CommonOptions) => {
    // A refused reset is refused for what it is, whatever else is missing.
    if (mode === "reset") checkResetConfirmation(options);
    const secrets = secretsFromEnvironment(env);
    const sandboxUrl = sandboxUrlFrom(options.sandboxUrl, env);
    if (sandboxUrl === undefined) refuseSandboxWithoutAddress(options.stacks, options.allowOutsideRepository === true);
    setExit(
      await load.run().runCommand(
        mode,
        runFlags(options),
        {
          ...secrets,
          caCertificates: caCertificatesFrom(options.caFile, env),
          ...(sandboxUrl !== undefined ? { sandboxUrl } : {}),
        },
        output,
      ),
    );
  };

  program
    .command("validate")
    .description("check stacks/ (schema, ids, profiles, permission names) without sending any request")
    .addOption(stacks())
    .addOption(outside())
    .action((options: { stacks: string; allowOutsideRepository?: boolean }) => {
      const fleet = load
        .declarations()
        .loadFleet(options.stacks, declarationFiles(options.stacks, options.allowOutsideRepository === true));
      const active = fleet.tenants.filter((tenant) => !tenant.excluded);
      output.out(
        `${options.stacks}: valid. ${fleet.tenants.length} ${fleet.tenants.length === 1 ? "tenant" : "tenants"} declared, ${active.length} managed` +
          `${fleet.tenants.length > active.length ? `, ${fleet.tenants.length - active.length} excluded` : ""}; cloud ${fleet.settings.cloud}.`,
      );
    });

  withRunOptions(program.command("plan").description("show what a refresh would change (exit 0 none, 2 changes, 1 error)"), "plan").action(
    run("plan"),
  );
  withRunOptions(
    program.command("refresh").description("consent, grant and verify CIPP-SAM's permissions (exit 1 if any tenant failed)"),
    "refresh",
  ).action(run("refresh"));
  withRunOptions(
    program
      .command("reset")
      .description("remove CIPP-SAM from one tenant and add it back with the declared permissions (needs --confirm repeating --tenant)"),
    "reset",
  ).action(run("reset"));

  program
    .command("synth")
    .description("write the Terraform stacks (CDKTF) of the tenants declared managedBy: terraform; --adopt imports what each tenant holds")
    .addOption(stacks())
    .option("--adopt", "read each tenant live (as plan does) and import every assignment and grant it holds; leave out what is blocked")
    .option("--tenant <id-or-domain>", "one tenant, by id or default domain (default: every tenant managed by Terraform)")
    .option("--out <dir>", "output folder (cdktf's outdir)", "cdktf.out")
    .option("--json <file>", "also write the synth report as JSON")
    .option("--concurrency <n>", "tenants read at once (--adopt)", positiveInteger, 10)
    .option("--quiet", "no progress lines on stderr")
    .option("--sandbox-url <url>", `the sandbox emulator's base URL (or ${ENV.sandboxUrl}); --adopt with cloud "sandbox"`)
    .option("--ca-file <file>", `extra CA certificate to trust, PEM (or ${ENV.caFile})`)
    .addHelpText("after", CREDENTIALS_HELP.replace("Environment (", "Environment, --adopt only ("))
    .action(async (options: SynthFlags & { sandboxUrl?: string; caFile?: string }) => {
      const context = () => {
        const secrets = secretsFromEnvironment(env);
        const sandboxUrl = sandboxUrlFrom(options.sandboxUrl, env);
        if (sandboxUrl === undefined) refuseSandboxWithoutAddress(options.stacks, false);
        return { ...secrets, caCertificates: caCertificatesFrom(options.caFile, env), ...(sandboxUrl !== undefined ? { sandboxUrl } : {}) };
      };
      setExit(await load.synth().synthCommand(options, context, output));
    });

  program
    .command("discover")
    .description(
      "compare the partner's GDAP customers with stacks/tenants/ and propose files for new ones (exit 0 nothing new, 2 new files, 1 error)",
    )
    .addOption(stacks())
    .option("--write", "write the new tenant files (never over an existing file)")
    .option(
      "--expiring-within <days>",
      "report declared tenants whose GDAP access ends within this many days without auto-extend",
      nonNegativeInteger,
      30,
    )
    .option(
      "--profile <name>",
      "profile for new tenant files, repeatable (default: default, when profiles/default.yaml exists)",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--json <file>", "also write the report as JSON")
    .option("--markdown <file>", "also write the report as Markdown (the discovery pull request's body)")
    .option("--refresh-token-out <file>", "write the service account's rotated refresh token here (mode 600)")
    .option("--sandbox-url <url>", `the sandbox emulator's base URL (or ${ENV.sandboxUrl}); required when cloud is "sandbox"`)
    .option("--ca-file <file>", `extra CA certificate to trust, PEM (or ${ENV.caFile})`)
    .addHelpText("after", CREDENTIALS_HELP)
    .action(
      async (options: {
        stacks: string;
        write?: boolean;
        expiringWithin: number;
        profile?: string[];
        json?: string;
        markdown?: string;
        refreshTokenOut?: string;
        sandboxUrl?: string;
        caFile?: string;
      }) => {
        const secrets = secretsFromEnvironment(env);
        const sandboxUrl = sandboxUrlFrom(options.sandboxUrl, env);
        if (sandboxUrl === undefined) refuseSandboxWithoutAddress(options.stacks, false);
        setExit(
          await load.discover().discoverCommand(
            {
              stacks: options.stacks,
              write: options.write === true,
              expiringWithin: options.expiringWithin,
              ...(options.profile !== undefined ? { profiles: options.profile } : {}),
              ...(options.json !== undefined ? { json: options.json } : {}),
              ...(options.markdown !== undefined ? { markdown: options.markdown } : {}),
              ...(options.refreshTokenOut !== undefined ? { refreshTokenOut: options.refreshTokenOut } : {}),
            },
            { ...secrets, caCertificates: caCertificatesFrom(options.caFile, env), ...(sandboxUrl !== undefined ? { sandboxUrl } : {}) },
            output,
          ),
        );
      },
    );

  program
    .command("emulator")
    .description("start the sandbox emulator of Entra ID, Microsoft Graph and Partner Center; prints its base URL")
    .option("--port <n>", "port (default: chosen by the OS)", portNumber)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--state <file>", "load the world from this file if it exists, save it there on exit")
    .option("--dir <dir>", "folder for the CA certificate and the sandbox environment file", ".cipp-cpv")
    .action(async (options: { port?: number; host: string; state?: string; dir: string }) => {
      setExit(
        await load.emulator().emulatorCommand(
          {
            host: options.host,
            dir: options.dir,
            ...(options.port !== undefined ? { port: options.port } : {}),
            ...(options.state !== undefined ? { state: options.state } : {}),
          },
          output,
        ),
      );
    });

  program
    .command("demo")
    .description("run plan, refresh and plan again against the embedded sandbox and its demo world")
    .addOption(stacks())
    .option("--color", "colour the text report")
    .action(async (options: { stacks: string; color?: boolean }) => {
      setExit(await load.demo().demoCommand({ stacks: options.stacks, ...(options.color ? { colour: true } : {}) }, output));
    });

  return program;
}

function runFlags(options: CommonOptions): RunFlags {
  return {
    stacks: options.stacks,
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    ...(options.changedFiles !== undefined ? { changedFiles: options.changedFiles } : {}),
    ...(options.confirm !== undefined ? { confirm: options.confirm } : {}),
    ...(options.forceConsent ? { forceConsent: true } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.json !== undefined ? { json: options.json } : {}),
    ...(options.markdown !== undefined ? { markdown: options.markdown } : {}),
    ...(options.color ? { colour: true } : {}),
    ...(options.quiet ? { quiet: true } : {}),
    ...(options.refreshTokenOut !== undefined ? { refreshTokenOut: options.refreshTokenOut } : {}),
    ...(options.allowEmpty ? { allowEmpty: true } : {}),
    ...(options.resetRecords !== undefined ? { resetRecords: options.resetRecords } : {}),
    ...(options.allowOutsideRepository ? { allowOutsideRepository: true } : {}),
    ...(options.gdapChanged ? { gdapChanged: true } : {}),
    ...(options.gdapState !== undefined ? { gdapState: options.gdapState } : {}),
    ...(options.gdapChangedSince !== undefined ? { gdapChangedSince: options.gdapChangedSince } : {}),
  };
}

/** Errors a person can act on get their message alone; anything else also gets its kind. */
function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    return error.exitCode === 0 ? 0 : 1;
  }
  if (
    error instanceof DeclarationError ||
    error instanceof TenantSelectionError ||
    error instanceof ConfigurationError ||
    error instanceof RunRefusedError ||
    error instanceof DiscoverRefusedError ||
    error instanceof GdapStateError
  ) {
    output.err(`Error: ${error.message}`);
    return 1;
  }
  // A plain Error's name adds nothing to "Error: ".
  const message = error instanceof Error ? (error.name === "Error" ? error.message : `${error.name}: ${error.message}`) : String(error);
  output.err(`Error: ${message}`);
  return 1;
}

/** The engine would refuse too, but only the CLI can say which flag, variable and file supply the address. */
function refuseSandboxWithoutAddress(stacksDir: string, allowOutsideRepository: boolean): void {
  const { loadFleet, SETTINGS_FILE } = load.declarations();
  if (loadFleet(stacksDir, declarationFiles(stacksDir, allowOutsideRepository)).settings.cloud !== "sandbox") return;
  throw new ConfigurationError(
    `${join(stacksDir, SETTINGS_FILE)} sets cloud: sandbox, but the sandbox's address is missing. Start it with ` +
      `\`npx cipp-cpv emulator\` and load the file it writes (set -a; . .cipp-cpv/sandbox.env; set +a), or pass --sandbox-url. ` +
      "For your own tenants, set cloud: public there.",
  );
}

/** The declaration files as the flag allows: confined to the repository unless --allow-outside-repository. */
function declarationFiles(stacksDir: string, allowOutsideRepository: boolean): Load.DeclarationFiles {
  const { localFiles, repositoryFiles } = load.declarations();
  return allowOutsideRepository ? localFiles : repositoryFiles(stacksDir);
}
