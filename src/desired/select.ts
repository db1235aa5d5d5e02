/**
 * Choosing which declared tenants a run covers.
 */
import type { DesiredTenant, Fleet } from "./model";
import { didYouMean } from "./suggest";

/** Thrown when a selector names no declared tenant. */
export class TenantSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TenantSelectionError";
  }
}

/**
 * The tenants a run covers: every non-excluded tenant without a selector; with one, the tenant
 * whose id or default domain it is (case-insensitive). Throws {@link TenantSelectionError} when
 * nothing matches, or when the tenant named is excluded (excluded tenants are never planned).
 */
export function selectTenants(fleet: Fleet, selector?: string): DesiredTenant[] {
  if (selector === undefined || selector.trim() === "") return fleet.tenants.filter((t) => !t.excluded);
  const wanted = selector.trim().toLowerCase();
  const matches = fleet.tenants.filter((t) => t.tenantId === wanted || t.defaultDomain === wanted);
  const excluded = matches.find((t) => t.excluded);
  if (excluded) {
    throw new TenantSelectionError(
      `${excluded.defaultDomain} is excluded (excluded: true in ${excluded.source.file}); remove that line to plan or apply it`,
    );
  }
  if (matches.length > 0) return matches;
  const domains = fleet.tenants.map((t) => t.defaultDomain);
  const known = fleet.tenants.length === 0 ? "no tenant is declared" : `declared: ${domains.join(", ")}`;
  throw new TenantSelectionError(`No declared tenant has the id or default domain "${selector}"${didYouMean(wanted, domains)}; ${known}`);
}
