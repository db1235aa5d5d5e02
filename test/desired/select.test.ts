import { join } from "node:path";
import { loadFleet } from "../../src/desired/load";
import { selectTenants, TenantSelectionError } from "../../src/desired/select";

const fleet = loadFleet(join(__dirname, "..", "fixtures", "desired", "stacks-cipp-files"));

describe("tenant selection", () => {
  it("selects every tenant that is not excluded when no selector is given", () => {
    expect(selectTenants(fleet).map((t) => t.defaultDomain)).toEqual(["one.onmicrosoft.com"]);
    expect(selectTenants(fleet, " ").map((t) => t.defaultDomain)).toEqual(["one.onmicrosoft.com"]);
  });

  it("selects by tenant id or default domain, in any case", () => {
    expect(selectTenants(fleet, "1E5B2C7D-8A9F-4B3C-A1D2-3E4F5A6B7C01").map((t) => t.displayName)).toEqual(["One"]);
    expect(selectTenants(fleet, "ONE.onmicrosoft.com").map((t) => t.displayName)).toEqual(["One"]);
  });

  it("says which tenants exist when nothing matches", () => {
    expect(() => selectTenants(fleet, "on.onmicrosoft.com")).toThrow(
      new TenantSelectionError(
        'No declared tenant has the id or default domain "on.onmicrosoft.com" (did you mean "one.onmicrosoft.com"?); declared: one.onmicrosoft.com, partner.onmicrosoft.com',
      ),
    );
  });

  it("refuses to select an excluded tenant, saying where it is excluded", () => {
    expect(() => selectTenants(fleet, "partner.onmicrosoft.com")).toThrow(
      /partner\.onmicrosoft\.com is excluded \(excluded: true in .*tenants\/partner\.yaml\)/,
    );
  });
});
