import {
  catalogueResources,
  findResource,
  isGuid,
  permissionId,
  permissionName,
  suggestPermission,
  suggestResource,
} from "../../src/desired/catalogue";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const EXCHANGE = "00000002-0000-0ff1-ce00-000000000000";

describe("permission catalogue", () => {
  it("holds the nine published resource applications and the three without a published catalogue", () => {
    const resources = catalogueResources();
    expect(resources).toHaveLength(12);
    expect(
      resources
        .filter((r) => !r.published)
        .map((r) => r.appId)
        .sort(),
    ).toEqual(["00000006-0000-0ff1-ce00-000000000000", "507bc9da-c4e2-40cb-96a7-ac90df92685c", "c9d36ed4-91b3-4c87-b8d7-68d92826c96c"]);
  });

  it("finds resources by appId in any case and by display name", () => {
    expect(findResource(GRAPH.toUpperCase())?.displayName).toBe("Microsoft Graph");
    expect(findResource("office 365 exchange online")?.appId).toBe(EXCHANGE);
    expect(findResource("Microsoft Grpah")).toBeUndefined();
    expect(suggestResource("Microsoft Grpah")).toBe("Microsoft Graph");
  });

  it("turns names into ids and back, per permission type", () => {
    const role = permissionId(GRAPH, "appRole", "AuditLog.Read.All");
    const scope = permissionId(GRAPH, "scope", "AuditLog.Read.All");
    expect(role).toBe("b0afded3-3588-46d8-8b3d-9842eff778da");
    expect(scope).toBe("e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20");
    expect(permissionName(GRAPH, "appRole", (role ?? "").toUpperCase())).toBe("AuditLog.Read.All");
    expect(permissionName(GRAPH, "appRole", scope ?? "")).toBeUndefined();
  });

  it("names Exchange's role ef54d2bf-… as the resource publishes it", () => {
    expect(permissionName(EXCHANGE, "appRole", "ef54d2bf-783f-4e0f-bca1-3210c0444d99")).toBe("Calendars.ReadWrite.All");
  });

  it("finds the second id of a name a resource publishes twice", () => {
    expect(permissionName(EXCHANGE, "scope", "6222dbab-a24c-4210-9d91-2f47cf565614")).toBe("User.ReadBasic.All");
    expect(permissionName(EXCHANGE, "scope", "9b005f11-86f0-45f7-8c27-4fff5d849916")).toBe("User.ReadBasic.All");
  });

  it("suggests the closest published name and nothing for far-off names", () => {
    expect(suggestPermission(GRAPH, "appRole", "Directory.ReadWrite.Al")).toBe("Directory.ReadWrite.All");
    expect(suggestPermission(GRAPH, "scope", "zzzzzzzzzzzzzzzzzzzz")).toBeUndefined();
  });

  it("recognises GUIDs", () => {
    expect(isGuid(GRAPH)).toBe(true);
    expect(isGuid("1234")).toBe(false);
  });
});
