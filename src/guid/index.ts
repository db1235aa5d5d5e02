/**
 * The one GUID pattern of the tool (tenant ids, object ids, app role and scope ids): 8-4-4-4-12
 * hexadecimal digits. Depends on nothing, so every layer can use it; the emulator keeps its own,
 * since it shares no code with the clients.
 */

const GUID_SOURCE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const WHOLE = new RegExp(`^${GUID_SOURCE}$`, "i");
const INSIDE = new RegExp(GUID_SOURCE, "i");
const CANONICAL = new RegExp(`^${GUID_SOURCE}$`);

/** True for a GUID in 8-4-4-4-12 form, any case. */
export function isGuid(value: string): boolean {
  return WHOLE.test(value);
}

/** True for a GUID in its canonical lower-case form, as this tool writes ids in its own files. */
export function isCanonicalGuid(value: string): boolean {
  return CANONICAL.test(value);
}

/** The first GUID inside a text (e.g. the tenant id in an issuer URL), lower-cased; null when there is none. */
export function findGuid(text: string): string | null {
  return INSIDE.exec(text)?.[0].toLowerCase() ?? null;
}
