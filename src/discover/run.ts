/**
 * `discover` end to end: read the partner's GDAP relationships (all pages), read access
 * assignments and default domains only for customers that may get a file, compare with
 * stacks/tenants/, and, when asked, write the new files — never over an existing one, and only if
 * the declarations still validate with them.
 */
import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { microsoftClientsFor, type EngineDeps } from "../run/engine";
import { timingOf } from "../apply/timing";
import type { MicrosoftClients } from "../cloud";
import { CLOUDS, type CloudEndpoints, type CloudName } from "../cloud/endpoints";
import type { AppCredential } from "../cloud/tokens";
import { DeclarationError } from "../desired/declaration-error";
import { loadFleet } from "../desired/load";
import type { Fleet, Guid } from "../desired/model";
import { listGdapRelationships, readAssignedRoles, readTenantFacts } from "../tenant/gdap-directory";
import { checkAssignments, propose, relationshipsToCheck, triage } from "./compare";
import { gdapChangedSince, relationshipsToRead, type GdapChanges } from "./gdap-changes";
import { roleSetsOf } from "./gdap-roles";
import type { DiscoveryProblem, DiscoveryReport } from "./model";
import { DiscoverRefusedError } from "./refusal";

export const DEFAULT_EXPIRING_WITHIN_DAYS = 30;
/** The profile new tenant files get when stacks/profiles/default.yaml exists and no --profile is given. */
export const DEFAULT_PROFILE = "default";

export interface DiscoverRequest {
  readonly stacksDir: string;
  readonly write: boolean;
  readonly expiringWithinDays?: number;
  /** Profiles for new files; absent: ["default"] when profiles/default.yaml exists, else none. */
  readonly profiles?: readonly string[];
  readonly endpoints?: CloudEndpoints;
  readonly caCertificates?: readonly string[];
  readonly credential: AppCredential;
  readonly refreshToken: string;
}

/** Time, chance and the network of the run, and its one redactor (see EngineDeps). */
export type DiscoverDeps = Pick<EngineDeps, "clock" | "sleep" | "random" | "dispatcher" | "redactor">;

/** The current GDAP role set of every customer, from the relationship list alone (see gdap-roles.ts). */
export async function readGdapRoleSets(
  request: Pick<DiscoverRequest, "stacksDir" | "endpoints" | "caCertificates" | "credential" | "refreshToken">,
  deps: DiscoverDeps = {},
): Promise<{ roles: Map<Guid, Guid[]>; fleet: Fleet; readAt: number; refreshToken: string }> {
  const fleet = loadFleet(request.stacksDir);
  const clients = clientsFor(request, fleet, deps);
  const listing = await listGdapRelationships(clients.graph(fleet.settings.partnerTenantId));
  const readAt = (deps.clock ?? Date.now)();
  // Entra ID may rotate the refresh token: the caller goes on with the newest one.
  return { roles: roleSetsOf(listing.relationships, readAt), fleet, readAt, refreshToken: clients.tokens.currentRefreshToken() };
}

/**
 * The customers whose GDAP access changed after `since` (see gdap-changes.ts): the relationship
 * list (one request a page) and the access assignments of the effective relationships (one
 * `$batch` a 20 relationships).
 */
export async function readGdapChanges(
  request: Pick<DiscoverRequest, "stacksDir" | "endpoints" | "caCertificates" | "credential" | "refreshToken">,
  since: number,
  deps: DiscoverDeps = {},
): Promise<{ changes: GdapChanges; fleet: Fleet; refreshToken: string }> {
  const fleet = loadFleet(request.stacksDir);
  const clients = clientsFor(request, fleet, deps);
  const partnerGraph = clients.graph(fleet.settings.partnerTenantId);
  const listing = await listGdapRelationships(partnerGraph);
  const now = (deps.clock ?? Date.now)();
  const toRead = relationshipsToRead(listing.relationships, now);
  const assigned = toRead.length > 0 ? await readAssignedRoles(partnerGraph, toRead) : new Map();
  return {
    changes: gdapChangedSince(listing.relationships, assigned, since, now),
    fleet,
    refreshToken: clients.tokens.currentRefreshToken(),
  };
}

function clientsFor(
  request: Pick<DiscoverRequest, "endpoints" | "caCertificates" | "credential" | "refreshToken">,
  fleet: Fleet,
  deps: DiscoverDeps,
): MicrosoftClients {
  return microsoftClientsFor(endpointsFor(request, fleet), request, fleet, deps, timingOf(deps));
}

export async function runDiscovery(
  request: DiscoverRequest,
  deps: DiscoverDeps = {},
): Promise<{ report: DiscoveryReport; rotatedRefreshToken: string | null }> {
  const fleet = loadFleet(request.stacksDir);
  const profiles = profilesFor(request);
  const clock = deps.clock ?? Date.now;
  const clients = clientsFor(request, fleet, deps);
  // Relationships and access assignments need the service account (DelegatedAdminRelationship.*,
  // delegated); tenant information needs CIPP-SAM's own application permission.
  const partnerGraph = clients.graph(fleet.settings.partnerTenantId);
  const partnerAppGraph = clients.graph(fleet.settings.partnerTenantId, { appOnly: true });
  const now = clock();
  const expiringWithinDays = request.expiringWithinDays ?? DEFAULT_EXPIRING_WITHIN_DAYS;

  const listing = await listGdapRelationships(partnerGraph);
  const found = triage(listing.relationships, listing.anomalies, fleet, { now, expiringWithinDays, stacksDir: request.stacksDir });
  const toCheck = relationshipsToCheck(found.candidates);
  const assigned = toCheck.length > 0 ? await readAssignedRoles(partnerGraph, toCheck) : new Map();
  const checked = checkAssignments(found.candidates, assigned);
  const lookups = checked.confirmed.map((c) => c.candidate.tenantId);
  const facts = lookups.length > 0 ? await readTenantFacts(partnerAppGraph, lookups) : new Map();
  const proposal = propose(checked.confirmed, facts, existingTenantFiles(request.stacksDir), profiles, fleet);

  const problems: DiscoveryProblem[] = [...found.problems, ...checked.problems, ...proposal.problems];
  let proposed: DiscoveryReport["proposed"] = proposal.proposed;
  if (request.write && proposed.length > 0) {
    const outcome = writeProposals(request.stacksDir, proposed);
    proposed = outcome.written;
    problems.push(...outcome.problems);
  }
  const report: DiscoveryReport = {
    schemaVersion: 1,
    kind: "discovery",
    generatedAt: new Date(now).toISOString(),
    expiringWithinDays,
    relationships: listing.relationships.length + listing.anomalies.length,
    customers: found.customers,
    proposed,
    written: request.write && proposed.length > 0,
    lackingRoles: [...found.lackingRoles, ...checked.lacking],
    ending: found.ending,
    unknown: found.unknown,
    problems,
    cost: {
      relationshipPages: listing.pages,
      assignmentChecks: toCheck.length,
      tenantLookups: lookups.length,
      graphRequests: partnerGraph.requestCount + partnerAppGraph.requestCount,
    },
  };
  const current = clients.tokens.currentRefreshToken();
  return { report, rotatedRefreshToken: current !== request.refreshToken ? current : null };
}

function profilesFor(request: DiscoverRequest): string[] {
  const dir = join(request.stacksDir, "profiles");
  if (request.profiles === undefined) return existsSync(join(dir, `${DEFAULT_PROFILE}.yaml`)) ? [DEFAULT_PROFILE] : [];
  const missing = request.profiles.filter((p) => !existsSync(join(dir, `${p}.yaml`)));
  if (missing.length > 0) {
    throw new DiscoverRefusedError(`--profile: ${missing.map((p) => join(dir, `${p}.yaml`)).join(", ")} does not exist; nothing was sent.`);
  }
  return [...request.profiles];
}

function endpointsFor(request: Pick<DiscoverRequest, "endpoints">, fleet: Fleet): CloudEndpoints {
  if (request.endpoints) return request.endpoints;
  const cloud = fleet.settings.cloud;
  if (cloud in CLOUDS) return CLOUDS[cloud as CloudName];
  throw new DiscoverRefusedError(`cloud "${cloud}" in cipp-cpv.yaml has no built-in endpoints; nothing was sent.`);
}

/** Files under tenants/, lower case, relative to the stacks folder. */
function existingTenantFiles(stacksDir: string): Set<string> {
  const dir = join(stacksDir, "tenants");
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).map((name) => `tenants/${name}`.toLowerCase()));
}

/**
 * Writes each file only if no file has its name (`wx`), then checks that the declarations still
 * load; if they do not, every file written here is removed again and the error is reported.
 */
function writeProposals(
  stacksDir: string,
  proposed: DiscoveryReport["proposed"],
): { written: DiscoveryReport["proposed"]; problems: DiscoveryProblem[] } {
  mkdirSync(join(stacksDir, "tenants"), { recursive: true });
  const written: DiscoveryReport["proposed"][number][] = [];
  const problems: DiscoveryProblem[] = [];
  for (const p of proposed) {
    try {
      writeFileSync(join(stacksDir, p.file), p.content, { flag: "wx" });
      written.push(p);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unwritable";
      problems.push({
        subject: p.file,
        message: `not written (${code === "EEXIST" ? "a file of that name appeared meanwhile; it was left as it is" : code}).`,
        severity: "error",
      });
    }
  }
  try {
    loadFleet(stacksDir);
  } catch (error) {
    if (!(error instanceof DeclarationError)) throw error;
    for (const p of written) unlinkSync(join(stacksDir, p.file));
    problems.push({
      subject: "stacks",
      message: `the new files would not validate, so none was kept: ${error.message}`,
      severity: "error",
    });
    return { written: [], problems };
  }
  return { written, problems };
}
