import type { PermissionSet } from "../../src/desired/model";
import { PARTNER_CENTER_APP_ID } from "../../src/desired/partner-center";
import { resolveExtras, resolvePermissions, type Layer, type ResourceChange } from "../../src/desired/resolve";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";

const base: PermissionSet = {
  resources: [
    {
      appId: GRAPH,
      displayName: "Microsoft Graph",
      appRoles: ["User.Read.All", "Group.Read.All"],
      scopes: ["openid"],
      unpublishedScopes: [],
    },
    {
      appId: DEFENDER,
      displayName: "WindowsDefenderATP",
      appRoles: ["Vulnerability.Read.All"],
      scopes: [],
      unpublishedScopes: ["user_impersonation"],
    },
    {
      appId: PARTNER_CENTER_APP_ID,
      displayName: "Microsoft Partner Center",
      appRoles: [],
      scopes: ["user_impersonation"],
      unpublishedScopes: [],
    },
  ],
};

function change(
  appId: string,
  lists: Partial<Pick<ResourceChange, "appRoles" | "scopes" | "unpublishedScopes" | "wholeResource">>,
): ResourceChange {
  return {
    appId,
    displayName: appId === GRAPH ? "Microsoft Graph" : appId,
    appRoles: [],
    scopes: [],
    unpublishedScopes: [],
    wholeResource: false,
    ...lists,
  };
}

describe("resolution: base ▸ profiles ▸ tenant", () => {
  it("takes Partner Center's scope away from customer tenants and keeps it for the partner", () => {
    expect(resolvePermissions(base, false, []).permissions.resources.map((r) => r.appId)).toEqual([GRAPH, DEFENDER]);
    const partner = resolvePermissions({ resources: base.resources.slice(0, 1) }, true, []).permissions.resources;
    expect(partner.find((r) => r.appId === PARTNER_CENTER_APP_ID)?.scopes).toEqual(["user_impersonation"]);
  });

  it("applies layers in order, so a later layer can put back what an earlier one removed", () => {
    const profile: Layer = {
      name: "profile",
      add: [],
      remove: [change(DEFENDER, { wholeResource: true }), change(GRAPH, { appRoles: ["Group.Read.All"] })],
    };
    const tenant: Layer = {
      name: "tenant",
      add: [change(GRAPH, { appRoles: ["Group.Read.All", "Mail.Read"], scopes: ["openid", "profile"] })],
      remove: [],
    };
    const { permissions, ineffectiveRemovals } = resolvePermissions(base, false, [profile, tenant]);
    expect(ineffectiveRemovals).toEqual([]);
    expect(permissions.resources).toEqual([
      {
        appId: GRAPH,
        displayName: "Microsoft Graph",
        appRoles: ["User.Read.All", "Group.Read.All", "Mail.Read"],
        scopes: ["openid", "profile"],
        unpublishedScopes: [],
      },
    ]);
  });

  it("drops a resource once its last permission is removed, and removes scopes from either list", () => {
    const layer: Layer = {
      name: "t",
      add: [],
      remove: [change(DEFENDER, { appRoles: ["Vulnerability.Read.All"], scopes: ["user_impersonation"] })],
    };
    const { permissions, ineffectiveRemovals } = resolvePermissions(base, false, [layer]);
    expect(ineffectiveRemovals).toEqual([]);
    expect(permissions.resources.map((r) => r.appId)).toEqual([GRAPH]);
  });

  it("reports removals that find nothing, with where they were written", () => {
    const source = { file: "stacks/tenants/x.yaml", line: 9, field: "remove[0]" };
    const layer: Layer = {
      name: "tenant x",
      add: [],
      remove: [{ ...change(GRAPH, { appRoles: ["Mail.Read"] }), source }, change(PARTNER_CENTER_APP_ID, { wholeResource: true })],
    };
    const { ineffectiveRemovals } = resolvePermissions(base, false, [layer]);
    expect(ineffectiveRemovals).toEqual([
      { layer: "tenant x", source, message: 'app role "Mail.Read" of Microsoft Graph is not in the set at this point' },
      { layer: "tenant x", message: `${PARTNER_CENTER_APP_ID} is not in the set at this point` },
    ]);
  });

  it("does not modify the base set", () => {
    const before = JSON.stringify(base);
    resolvePermissions(base, true, [
      { name: "t", add: [change(GRAPH, { appRoles: ["X"] })], remove: [change(DEFENDER, { wholeResource: true })] },
    ]);
    expect(JSON.stringify(base)).toBe(before);
  });

  it("takes the tenant's extras policy over the fleet's, and keep when neither says", () => {
    expect(resolveExtras(undefined, undefined)).toEqual({ appRoles: "keep", scopes: "keep" });
    expect(resolveExtras({ appRoles: "remove", scopes: "remove" }, { scopes: "keep" })).toEqual({ appRoles: "remove", scopes: "keep" });
  });
});
