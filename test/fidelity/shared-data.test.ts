/**
 * The fidelity tests read reference data beside the project: a user's fresh clone without it skips
 * them, while CI (CIPP_CPV_REQUIRE_FIDELITY=1, set by .ci/run) fails rather than skip them silently.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REQUIRE_FIDELITY_ENV, sharedDataMode } from "./shared-data";

describe("reference data beside the project", () => {
  it("runs the suite when the data is there, whatever the environment", () => {
    expect(sharedDataMode([], {})).toBe("run");
    expect(sharedDataMode([], { [REQUIRE_FIDELITY_ENV]: "1" })).toBe("run");
  });

  it("skips when the data is absent, unless CI requires it, then fails", () => {
    expect(sharedDataMode(["../shared/data/x.json"], {})).toBe("skip");
    expect(sharedDataMode(["../shared/data/x.json"], { [REQUIRE_FIDELITY_ENV]: "0" })).toBe("skip");
    expect(sharedDataMode(["../shared/data/x.json"], { [REQUIRE_FIDELITY_ENV]: "1" })).toBe("fail");
  });

  it("is required by the CI entry point", () => {
    const ci = readFileSync(join(__dirname, "..", "..", ".ci", "run"), "utf8");
    expect(ci).toMatch(new RegExp(`^export ${REQUIRE_FIDELITY_ENV}=1$`, "m"));
  });
});
