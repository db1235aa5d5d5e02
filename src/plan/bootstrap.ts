/**
 * Which delegated scopes the refresh needs on its customer-tenant token to write, and which of them a token lacks.
 * The token's scopes come from the Partner Center consent (the "bootstrap" grant); a token without them cannot
 * write, so the plan asks for the consent again.
 */
import { compareNames } from "./order";

/** Microsoft Graph's appId: the Partner Center consent grants the bootstrap scopes on it. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** The bootstrap scopes CIPP posts with its Partner Center consent. */
export const DEFAULT_BOOTSTRAP_SCOPES: readonly string[] = [
  "DelegatedPermissionGrant.ReadWrite.All",
  "Directory.ReadWrite.All",
  "AppRoleAssignment.ReadWrite.All",
];

/**
 * What writing needs, as groups of alternatives: one scope of every group must be on the token.
 * Creating resource service principals needs Application.ReadWrite.All, which Directory.ReadWrite.All covers.
 */
const WRITE_REQUIREMENTS: readonly (readonly string[])[] = [
  ["DelegatedPermissionGrant.ReadWrite.All"],
  ["AppRoleAssignment.ReadWrite.All"],
  ["Application.ReadWrite.All", "Directory.ReadWrite.All"],
];

/**
 * The write requirements a token with `tokenScopes` does not meet, each named by its alternatives
 * ("Application.ReadWrite.All or Directory.ReadWrite.All"). Scope names compare case-insensitively, as Entra ID does.
 */
export function missingWriteScopes(tokenScopes: readonly string[]): string[] {
  const held = new Set(tokenScopes.map((scope) => scope.toLowerCase()));
  return WRITE_REQUIREMENTS.filter((alternatives) => !alternatives.some((scope) => held.has(scope.toLowerCase())))
    .map((alternatives) => alternatives.join(" or "))
    .sort(compareNames);
}

/** True when a consent posting `bootstrapScopes` gives a token every scope writing needs. */
export function bootstrapCoversWrites(bootstrapScopes: readonly string[]): boolean {
  return missingWriteScopes(bootstrapScopes).length === 0;
}
