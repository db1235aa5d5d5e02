import { readFileSync } from "node:fs";
import { join } from "node:path";
import { permissionId } from "../../src/desired/catalogue";
import { CIPP_REQUIRED_RESOURCES, cippDefaultSet } from "../../src/desired/cipp-default-set";
import { permissionSetFromCippFiles } from "../../src/desired/cipp-manifest";
import type { PermissionSet } from "../../src/desired/model";
import { PARTNER_CENTER_APP_ID } from "../../src/desired/partner-center";
import { describeWithSharedData, SHARED_DATA_DIR } from "../fidelity/shared-data";

function counts(set: PermissionSet): { resources: number; appRoles: number; scopes: number } {
  return {
    resources: set.resources.length,
    appRoles: set.resources.reduce((n, r) => n + r.appRoles.length, 0),
    scopes: set.resources.reduce((n, r) => n + r.scopes.length + r.unpublishedScopes.length, 0),
  };
}

/** Resource → sorted "Role:id" / "Scope:id-or-name" entries, for comparing sets whatever their order. */
function asIds(set: PermissionSet): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of set.resources) {
    out[r.appId] = [
      ...r.appRoles.map((n) => `Role:${permissionId(r.appId, "appRole", n) ?? n}`),
      ...r.scopes.map((n) => `Scope:${permissionId(r.appId, "scope", n) ?? n}`),
      ...r.unpublishedScopes.map((n) => `Scope:${n}`),
    ].sort();
  }
  return out;
}

describe("CIPP's built-in set", () => {
  it("has 12 resource applications, 70 application permissions and 107 delegated scopes (99 + 8)", () => {
    expect(counts({ resources: CIPP_REQUIRED_RESOURCES })).toEqual({ resources: 12, appRoles: 70, scopes: 107 });
    const unpublished = CIPP_REQUIRED_RESOURCES.reduce((n, r) => n + r.unpublishedScopes.length, 0);
    expect(unpublished).toBe(8);
  });

  it("keeps Partner Center's scope for the partner tenant only", () => {
    expect(counts(cippDefaultSet(true))).toEqual({ resources: 12, appRoles: 70, scopes: 107 });
    expect(counts(cippDefaultSet(false))).toEqual({ resources: 11, appRoles: 70, scopes: 106 });
    expect(cippDefaultSet(false).resources.some((r) => r.appId === PARTNER_CENTER_APP_ID)).toBe(false);
  });

  it("names only permissions the catalogue publishes (unpublished scopes apart)", () => {
    for (const r of CIPP_REQUIRED_RESOURCES) {
      for (const name of r.appRoles) expect([r.appId, name, permissionId(r.appId, "appRole", name)]).not.toContain(undefined);
      for (const name of r.scopes) expect([r.appId, name, permissionId(r.appId, "scope", name)]).not.toContain(undefined);
    }
  });
});

describeWithSharedData("CIPP's default set against CIPP's own files", ["cipp-sam-manifest.json"], () => {
  it("equals CIPP's SAMManifest.json and AdditionalPermissions.json, id for id", () => {
    const data = JSON.parse(readFileSync(join(SHARED_DATA_DIR, "cipp-sam-manifest.json"), "utf8")) as {
      requiredResourceAccess: unknown;
      additionalPermissions: unknown;
    };
    const fromCipp = permissionSetFromCippFiles({ requiredResourceAccess: data.requiredResourceAccess }, data.additionalPermissions);
    expect(asIds(cippDefaultSet(true))).toEqual(asIds(fromCipp));
    expect(counts(fromCipp)).toEqual({ resources: 12, appRoles: 70, scopes: 107 });
  });
});
