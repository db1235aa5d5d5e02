import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fleetTenants, writeFleetStacks } from "../../src/bench/fleet-fixture";
import { loadFleet, localFiles } from "../../src/desired/load";

describe("a fleet's resolved permissions", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-shared-permissions-"));
    writeFleetStacks(dir, fleetTenants(3));
    // The third tenant asks for one permission more than the base set.
    appendFileSync(path.join(dir, "tenants", "bench0003.yaml"), "add:\n  - resource: Microsoft Graph\n    appRoles: [Sites.Read.All]\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are resolved once for tenants that declare the same layers, and apart for a tenant with its own changes", () => {
    const [first, second, third] = loadFleet(dir, localFiles).tenants;
    expect(first?.permissions).toBe(second?.permissions);
    expect(third?.permissions).not.toBe(first?.permissions);
    const graphRoles = (tenant: typeof first) =>
      tenant?.permissions.resources.find((r) => r.displayName === "Microsoft Graph")?.appRoles ?? [];
    expect(graphRoles(third)).toContain("Sites.Read.All");
    expect(graphRoles(first)).not.toContain("Sites.Read.All");
  });
});
