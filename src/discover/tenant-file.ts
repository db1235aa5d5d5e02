/**
 * A proposed tenant file: its name from the customer's default domain, its content the fields
 * stacks/tenants/*.yaml holds, written with the yaml library so that any display name is quoted as
 * YAML needs, and a comment naming the GDAP relationship it rests on for the reviewer.
 */
import { stringify } from "yaml";
import type { Guid } from "../desired/model";
import type { RelationshipRef } from "./model";

const ONMICROSOFT = ".onmicrosoft.com";

/**
 * "tenants/<name>.yaml": the domain without ".onmicrosoft.com" (as the existing files are named),
 * or the whole domain when that name is taken; null when both are. `taken` holds lower-case paths
 * relative to the stacks folder.
 */
export function tenantFileName(defaultDomain: string, taken: ReadonlySet<string>): string | null {
  const domain = defaultDomain.toLowerCase();
  const short = domain.endsWith(ONMICROSOFT) ? domain.slice(0, -ONMICROSOFT.length) : domain;
  for (const stem of [short, domain]) {
    const file = `tenants/${stem.replace(/[^a-z0-9.-]/g, "-")}.yaml`;
    if (!taken.has(file)) return file;
  }
  return null;
}

export interface TenantFileFields {
  readonly tenantId: Guid;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly profiles: readonly string[];
  readonly relationship: RelationshipRef;
  readonly roles: readonly string[];
}

export function tenantFileContent(fields: TenantFileFields): string {
  const r = fields.relationship;
  const end =
    r.endDateTime === null
      ? "no end date"
      : `ends ${r.endDateTime.slice(0, 10)}${r.autoExtend ? ", extended automatically" : ", no auto-extend"}`;
  const body: Record<string, unknown> = { tenantId: fields.tenantId, defaultDomain: fields.defaultDomain, displayName: fields.displayName };
  if (fields.profiles.length > 0) body["profiles"] = [...fields.profiles];
  return [
    "# yaml-language-server: $schema=../../schema/tenant.schema.json",
    "#",
    "# Proposed by `cipp-cpv discover`: the GDAP relationship",
    `# ${JSON.stringify(cleanName(r.displayName))} (${r.status}, ${end}) gives ${fields.roles.join(", ")}.`,
    "# Review, adjust profiles or add/remove, and merge: the merge applies it (consent included).",
    stringify(body, { lineWidth: 0 }).trimEnd(),
    "",
  ].join("\n");
}

/** Control characters and Unicode line separators (which would end a YAML comment or a Markdown line) become spaces. */
export function cleanName(name: string): string {
  // Controls, and the invisible characters that reorder or hide text (bidi overrides, zero-width
  // marks): a reviewer must read in the file the name the tool will show.
  const cleaned = name
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]+/g, " ")
    .trim();
  return cleaned === "" ? "(no name)" : cleaned.slice(0, 256);
}
