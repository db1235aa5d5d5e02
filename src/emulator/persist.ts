/**
 * Saving the sandbox between runs: the live world written back as a WorldSpec, so that
 * `cipp-cpv emulator --state FILE` resumes where the last run left the tenants.
 */
import { readFileSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { grantId } from "./ids";
import type { World, WorldSpec, TenantSpec } from "./world";

/**
 * The world as it is now, as a loadable spec. Service principal ids are kept; objects still hidden
 * by replication lag are saved as visible, since a restart would have let them replicate anyway.
 */
export function exportWorld(world: World): WorldSpec {
  const tenants: TenantSpec[] = [...world.tenants.values()].map((tenant) => {
    const appIdOf = (spId: string): string => tenant.servicePrincipals.get(spId)?.appId ?? spId;
    return {
      tenantId: tenant.tenantId,
      defaultDomain: tenant.defaultDomain,
      displayName: tenant.displayName,
      size: tenant.size,
      subscribedSkus: tenant.subscribedSkus,
      conditionalAccessBlocks: tenant.conditionalAccessBlocks,
      servicePrincipals: [...tenant.servicePrincipals.values()].map((sp) => ({ appId: sp.appId, id: sp.id })),
      appRoleAssignments: [...tenant.appRoleAssignments.values()].map((a) => ({
        principalAppId: appIdOf(a.principalId),
        resourceAppId: appIdOf(a.resourceId),
        appRole: a.appRoleId,
      })),
      grants: [...tenant.grants.values()].map((g) => ({
        clientAppId: appIdOf(g.clientId),
        resourceAppId: appIdOf(g.resourceId),
        scope: g.scope,
        consentType: g.consentType,
        ...(g.principalId !== null ? { principalId: g.principalId } : {}),
        // A second grant for the same key keeps the id of its own it was given.
        ...(g.id !== grantId(g.clientId, g.resourceId, g.principalId) ? { id: g.id } : {}),
      })),
    };
  });
  const users = world.spec.users.map((user) => ({
    ...user,
    refreshTokens: [...world.refreshTokens.values()]
      .filter((rt) => rt.userId === user.id && rt.status === "valid")
      .map((rt) => ({ token: rt.token, clientId: rt.clientId })),
  }));
  return {
    ...world.spec,
    users,
    tenants,
    gdapRelationships: [...world.gdapRelationships],
  };
}

/** Reads a saved world, or undefined when the file does not exist yet. */
export function readSavedWorld(path: string): WorldSpec | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as WorldSpec;
  } catch (error) {
    throw new Error(`${path}: not a saved emulator world (${(error as Error).message}). Delete it to start from the demo world.`);
  }
}

/** Writes the world atomically (a crash never leaves half a file), readable by the owner only. */
export function saveWorld(path: string, spec: WorldSpec): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify(spec), { mode: 0o600 });
  renameSync(temporary, path);
}
