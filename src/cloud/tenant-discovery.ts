/**
 * Entra ID's tenant discovery: the v2 OpenID configuration of a domain names the tenant that owns
 * it in its issuer (`https://login.microsoftonline.com/{tenant id}/v2.0`). Public and
 * unauthenticated, so it answers for a tenant CIPP-SAM has no consent in yet.
 */
import { findGuid } from "../guid";
import type { HttpClient } from "./http";

/** What discovery said of a domain. */
export type DiscoveredTenant =
  { readonly kind: "tenant"; readonly tenantId: string } | { readonly kind: "unknown-domain"; readonly detail: string };

/**
 * The tenant that owns `domain`, by its OpenID configuration.
 * @throws Error when the login endpoint gives no usable answer (the caller cannot prove anything then).
 */
export async function discoverTenant(http: HttpClient, login: string, domain: string): Promise<DiscoveredTenant> {
  const url = `${login.replace(/\/+$/, "")}/${encodeURIComponent(domain)}/v2.0/.well-known/openid-configuration`;
  const response = await http.send({ service: "entra-id", method: "GET", url });
  let body: unknown;
  try {
    body = JSON.parse(response.body) as unknown;
  } catch {
    body = null;
  }
  const field = (name: string): string | undefined => {
    const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;
    return typeof value === "string" ? value : undefined;
  };
  if (response.status === 400 || response.status === 404) {
    // AADSTS90002: the tenant (here: the domain) does not exist in this cloud.
    return { kind: "unknown-domain", detail: (field("error_description") ?? `HTTP ${response.status}`).split(/\r?\n/)[0] ?? "" };
  }
  const tenantId = response.status === 200 ? findGuid(field("issuer") ?? "") : null;
  if (tenantId === null) throw new Error(`Entra ID's tenant discovery for ${domain} gave no tenant (HTTP ${response.status}).`);
  return { kind: "tenant", tenantId };
}
