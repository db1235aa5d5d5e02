/**
 * What a delivery surface (CLI, Action, demo) asks the engine to do, and what it gets back.
 * The engine (src/run/engine.ts) knows nothing of GitHub or of the command line.
 */
import type { CloudEndpoints } from "../cloud/endpoints";
import type { AppCredential } from "../cloud/tokens";
import type { RunMode } from "../plan/model";

/** How CIPP-SAM proves its identity to Entra ID: a secret, a certificate or a federated assertion. */
export type { AppCredential };

export type { RunMode };

/** Progress of a fleet run, for long runs: done of total, failures so far, time left. */
export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  /** Estimated milliseconds left, or null before the first tenant finishes. */
  readonly etaMs: number | null;
  /** The tenant that just finished, with its outcome. */
  readonly last: { readonly tenant: string; readonly outcome: string } | null;
}

export interface RunRequest {
  readonly mode: RunMode;
  /** The folder holding cipp-cpv.yaml, profiles/ and tenants/. */
  readonly stacksDir: string;
  /** One tenant by id or default domain; all declared tenants when absent. Required for reset. */
  readonly tenant?: string;
  /**
   * The files a change touches (a pull request's `git diff --name-only`), absolute or relative to
   * the current folder: without `tenant`, only the tenants whose declarations they touch are
   * covered, and none touched is a valid, empty run. See src/desired/affected.ts.
   */
  readonly changedFiles?: readonly string[];
  /**
   * Without `tenant` and `changedFiles`: only the declared, non-excluded tenants with these ids
   * (lower case); an empty list is a valid, empty run (`refresh --gdap-changed` with no change).
   */
  readonly tenantIds?: readonly string[];
  /** Reset only: must repeat `tenant` exactly, or the reset is refused. */
  readonly confirm?: string;
  /** Post the Partner Center consent even when the plan does not need it (CIPP's manual refresh). */
  readonly forceConsent?: boolean;
  /**
   * Tenant ids (lower case) that get a fresh Partner Center consent as `forceConsent` gives every
   * tenant, e.g. those whose GDAP access changed; the others are planned and refreshed as usual.
   */
  readonly consentFor?: readonly string[];
  /** Accept a stacks folder that declares no tenant at all (otherwise refused, naming the folder). */
  readonly allowEmpty?: boolean;
  /** Tenants processed at once. @default 10 */
  readonly concurrency?: number;
  /** Where the Microsoft services are; defaults to the cloud named in cipp-cpv.yaml. */
  readonly endpoints?: CloudEndpoints;
  /** Extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy's or the sandbox's. */
  readonly caCertificates?: readonly string[];
  readonly credential: AppCredential;
  /** The CIPP service account's refresh token (app + user, MFA). */
  readonly refreshToken: string;
  readonly onProgress?: (progress: Progress) => void;
  /**
   * The folder where a reset records, before removing anything, what CIPP-SAM held in the tenant,
   * and where every run looks for resets that never finished. @default ".cipp-cpv/resets"
   */
  readonly resetRecords?: string;
  /**
   * Read declarations and base manifests from outside the repository holding `stacksDir` too
   * (through symbolic links or `..` paths). Off: a pull request's files must not read the runner's.
   */
  readonly allowOutsideRepository?: boolean;
}
