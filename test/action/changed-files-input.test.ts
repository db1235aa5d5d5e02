/** The `changed-files` input: parsed with the other inputs, resolved against the workspace, carried to the engine. */
import * as path from "node:path";
import { InputError, parseInputs, type ActionInputs, type Environment } from "../../src/action/inputs";
import { runRequestOf } from "../../src/action/request";

const WORKSPACE = "/home/runner/work/repo";
const ENV: Environment = { GITHUB_WORKSPACE: WORKSPACE, RUNNER_TEMP: "/home/runner/temp" };
const MINIMAL = { "client-secret": "app-secret-value", "refresh-token": "0.AXk-refresh" };

function parse(inputs: Record<string, string>): ActionInputs {
  return parseInputs((name) => inputs[name] ?? "", ENV);
}

test("a newline-separated list, as git diff --name-only prints it, becomes absolute paths in the workspace", () => {
  const inputs = parse({ ...MINIMAL, "changed-files": "stacks/tenants/adatum.yaml\nstacks/profiles/no rms.yaml\n" });
  expect(inputs.changedFiles).toEqual([
    path.join(WORKSPACE, "stacks/tenants/adatum.yaml"),
    path.join(WORKSPACE, "stacks/profiles/no rms.yaml"),
  ]);
});

test("a single path holding a space, as the runner passes it trimmed, stays one path", () => {
  const inputs = parse({ ...MINIMAL, "changed-files": "stacks/tenants/north wind.yaml" });
  expect(inputs.changedFiles).toEqual([path.join(WORKSPACE, "stacks/tenants/north wind.yaml")]);
});

test("empty means not used: the whole fleet is covered", () => {
  expect(parse({ ...MINIMAL, "changed-files": "  \n " })).not.toHaveProperty("changedFiles");
  expect(parse(MINIMAL)).not.toHaveProperty("changedFiles");
});

test("with a tenant as well, the input is refused naming both choices", () => {
  let refusal: unknown;
  try {
    parse({ ...MINIMAL, tenant: "fabrikam.onmicrosoft.com", "changed-files": "stacks/tenants/adatum.yaml" });
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toBeInstanceOf(InputError);
  expect((refusal as InputError).input).toBe("changed-files");
  expect((refusal as InputError).message).toMatch(/'tenant' covers 'fabrikam\.onmicrosoft\.com' alone.*both are set/);
});

test("the engine request carries the changed files", () => {
  const inputs = parse({ ...MINIMAL, "changed-files": "stacks/tenants/adatum.yaml" });
  const request = runRequestOf(inputs, { getIdToken: () => Promise.reject(new Error("no OIDC token expected")) });
  expect(request.changedFiles).toEqual([path.join(WORKSPACE, "stacks/tenants/adatum.yaml")]);
  expect(request).not.toHaveProperty("tenant");
});
