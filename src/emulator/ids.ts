/**
 * Identifier formats of Entra ID directory objects: plain GUIDs for objects, and base64url
 * composite keys for oauth2PermissionGrants and appRoleAssignments (as in the examples of Graph's
 * "oAuth2PermissionGrant resource type" and "appRoleAssignment resource type" pages).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IdGenerator } from "./context";

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a GUID in the canonical 8-4-4-4-12 form. */
export function isGuid(value: string): boolean {
  return GUID_PATTERN.test(value);
}

/**
 * A GUID in the lower-case form Entra ID and Graph answer with; anything else unchanged. The
 * directory compares GUIDs without regard to case, so the emulator turns every GUID it loads or
 * receives into this form once, at the boundary, and compares exactly from then on.
 */
export function canonicalGuid(value: string): string {
  return isGuid(value) ? value.toLowerCase() : value;
}

/**
 * A GUID's 16 bytes in .NET `Guid.ToByteArray()` order: the first three groups little-endian.
 * Entra builds composite keys from this order, so ids decode to the GUIDs they are made of.
 */
export function guidBytesLE(guid: string): Buffer {
  if (!isGuid(guid)) throw new Error(`Not a GUID: '${guid}'.`);
  const b = Buffer.from(guid.replace(/-/g, ""), "hex");
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

/**
 * The id of an oauth2PermissionGrant: base64url(client ‖ resource [‖ principal]). Two grants
 * for the same key collide, which is why a second AllPrincipals grant is a 409 in Graph.
 */
export function grantId(clientId: string, resourceId: string, principalId?: string | null): string {
  const parts = [guidBytesLE(clientId), guidBytesLE(resourceId)];
  if (principalId) parts.push(guidBytesLE(principalId));
  return Buffer.concat(parts).toString("base64url");
}

/** The id of an appRoleAssignment: base64url(principal ‖ 16 random bytes). */
export function assignmentId(principalId: string, ids: IdGenerator): string {
  return Buffer.concat([guidBytesLE(principalId), ids.randomBytes(16)]).toString("base64url");
}

/** The production id generator: cryptographically random GUIDs and bytes. */
export const randomIds: IdGenerator = {
  guid: () => randomUUID(),
  randomBytes: (n) => randomBytes(n),
};
