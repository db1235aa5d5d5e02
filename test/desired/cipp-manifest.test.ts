import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ManifestFormatError, permissionSetFromCippFiles } from "../../src/desired/cipp-manifest";

const fixtures = join(__dirname, "..", "fixtures", "desired", "cipp");
const json = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), "utf8"));

describe("CIPP's permission files", () => {
  it("turns known GUIDs into names, keeps unknown ones, and de-duplicates", () => {
    const set = permissionSetFromCippFiles(json("SAMManifest.json"));
    const graph = set.resources.find((r) => r.appId === "00000003-0000-0000-c000-000000000000");
    expect(graph).toEqual({
      appId: "00000003-0000-0000-c000-000000000000",
      displayName: "Microsoft Graph",
      appRoles: ["AuditLog.Read.All", "11111111-2222-4333-8444-555555555555"],
      scopes: ["User.Read", "offline_access"],
      unpublishedScopes: [],
    });
    const exchange = set.resources.find((r) => r.appId === "00000002-0000-0ff1-ce00-000000000000");
    expect(exchange?.appRoles).toEqual(["Calendars.ReadWrite.All", "Exchange.ManageAsApp"]);
    const unknown = set.resources.find((r) => r.appId === "99999999-8888-4777-8666-555555555555");
    expect(unknown).toMatchObject({
      displayName: "99999999-8888-4777-8666-555555555555",
      scopes: ["aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"],
    });
    expect(set.resources).toHaveLength(3);
  });

  it("adds AdditionalPermissions.json's scope names: unpublished ones apart, published ones as scopes", () => {
    const set = permissionSetFromCippFiles(json("SAMManifest.json"), json("AdditionalPermissions.json"));
    expect(set.resources).toHaveLength(5);
    expect(set.resources.find((r) => r.appId === "00000003-0000-0ff1-ce00-000000000000")).toMatchObject({
      displayName: "Office 365 SharePoint Online",
      scopes: [],
      unpublishedScopes: ["AllProfiles.Manage"],
    });
    expect(set.resources.find((r) => r.appId === "507bc9da-c4e2-40cb-96a7-ac90df92685c")).toMatchObject({
      displayName: "Office 365 Reports",
      unpublishedScopes: ["user_impersonation"],
    });
    const graph = set.resources.find((r) => r.appId === "00000003-0000-0000-c000-000000000000");
    expect(graph?.scopes).toEqual(["User.Read", "offline_access"]);
    expect(graph?.unpublishedScopes).toEqual([]);
  });

  it("names the malformed entry and the file it is in", () => {
    const bad = {
      requiredResourceAccess: [{ resourceAppId: "00000003-0000-0000-c000-000000000000", resourceAccess: [{ id: "x", type: "Role" }] }],
    };
    expect(() => permissionSetFromCippFiles(bad)).toThrow("requiredResourceAccess[0].resourceAccess[0].id: must be a GUID");
    try {
      permissionSetFromCippFiles(json("SAMManifest.json"), [
        { resourceAppId: "00000003-0000-0000-c000-000000000000", resourceAccess: [{ id: "X", type: "Role" }] },
      ]);
      throw new Error("accepted a Role in AdditionalPermissions.json");
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestFormatError);
      expect((error as ManifestFormatError).document).toBe("additionalPermissions");
      expect((error as ManifestFormatError).message).toBe('[0].resourceAccess[0].type: must be "Scope"');
    }
  });
});
