/**
 * A tenant port driven by a script: readings in sequence and Graph's answers to changes by rule,
 * judged as the tenant adapter judges them. It stands in for the adapter so the refresh's decisions
 * can be tested one situation at a time, by the domain calls it makes.
 */
import type { DesiredTenant } from "../../src/desired/model";
import type { AccessProblem, LiveReading, LiveResource, LiveTenant } from "../../src/live/model";
import { judgeAnswer } from "../../src/tenant/graph-writes";
import type { ChangeAnswer, ChangeOutcome, TenantChange, TenantPort } from "../../src/tenant/port";
import type { StepSettings } from "../../src/apply/refresh";

export const TENANT = "11111111-2222-4333-8444-555555555555";
export const CLIENT_SP = "c1e7c1e7-0000-4000-8000-000000000001";
export const GRAPH = "00000003-0000-0000-c000-000000000000";
export const GRAPH_SP = "9a0b0000-0000-4000-8000-000000000003";
export const EXO = "00000002-0000-0ff1-ce00-000000000000";
export const EXO_SP = "e0e00000-0000-4000-8000-000000000002";
export const BOOTSTRAP = ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"];

export const ROLE_USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214";
export const ROLE_EXO_MANAGE = "dc50a0fb-09a3-484d-be87-e023b12c6440";

export function graphResource(): LiveResource {
  return {
    servicePrincipalId: GRAPH_SP,
    appId: GRAPH,
    displayName: "Microsoft Graph",
    appRoles: [{ id: ROLE_USER_READ_ALL, value: "User.Read.All", assignableToApps: true, enabled: true }],
    scopes: [
      { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", value: "User.Read", enabled: true },
      { id: "06da0dbc-49e2-44d2-8312-53f166ab848a", value: "Directory.Read.All", enabled: true },
    ],
  };
}

export function exchangeResource(): LiveResource {
  return {
    servicePrincipalId: EXO_SP,
    appId: EXO,
    displayName: "Office 365 Exchange Online",
    appRoles: [{ id: ROLE_EXO_MANAGE, value: "Exchange.ManageAsApp", assignableToApps: true, enabled: true }],
    scopes: [],
  };
}

/** Wants Graph User.Read.All + scopes User.Read Directory.Read.All, and optionally Exchange.ManageAsApp. */
export function desiredTenant(withExchange = false): DesiredTenant {
  return {
    tenantId: TENANT,
    defaultDomain: "contoso.onmicrosoft.com",
    displayName: "Contoso",
    isPartner: false,
    excluded: false,
    profiles: [],
    permissions: {
      resources: [
        {
          appId: GRAPH,
          displayName: "Microsoft Graph",
          appRoles: ["User.Read.All"],
          scopes: ["User.Read", "Directory.Read.All"],
          unpublishedScopes: [],
        },
        ...(withExchange
          ? [
              {
                appId: EXO,
                displayName: "Office 365 Exchange Online",
                appRoles: ["Exchange.ManageAsApp"],
                scopes: [],
                unpublishedScopes: [],
              },
            ]
          : []),
      ],
    },
    extras: { appRoles: "keep", scopes: "keep" },
    source: { file: "tenants/contoso.yaml" },
  };
}

/** A consented tenant holding exactly `held`. */
export function liveTenant(held: Partial<Pick<LiveTenant, "appRoleAssignments" | "grants" | "resources">> = {}): LiveTenant {
  return {
    tenantId: TENANT,
    client: { servicePrincipalId: CLIENT_SP, displayName: "CIPP-SAM" },
    resources: held.resources ?? new Map([[GRAPH, graphResource()]]),
    unavailable: [],
    appRoleAssignments: held.appRoleAssignments ?? [],
    grants: held.grants ?? [],
    tokenScopes: BOOTSTRAP,
  };
}

export const read = (live: LiveTenant): LiveReading => ({ kind: "read", live });

export function reply(status: number, message: string | null = null): ChangeAnswer {
  return { status, code: message === null ? null : "Request_BadRequest", message };
}

/** A port whose reads follow `readings` (the last one repeats) and whose changes are answered by `answer`. */
export class ScriptedPort implements TenantPort {
  readonly tenantId = TENANT;
  /** Every change asked for, in order (a change made again appears again). */
  readonly changes: TenantChange[] = [];
  reads = 0;
  renewals = 0;
  consents = 0;
  denialChecks = 0;
  /** What the GDAP check finds when a write is refused with 403. */
  denial: AccessProblem | null = null;

  constructor(
    private readonly readings: readonly LiveReading[],
    private readonly answer: (change: TenantChange, nth: number) => ChangeAnswer = () => reply(201),
    private readonly consentOutcome: () => Promise<"created" | "already-exists"> = () => Promise.resolve("created"),
  ) {}

  read(): Promise<LiveReading> {
    const reading = this.readings[Math.min(this.reads, this.readings.length - 1)] as LiveReading;
    this.reads += 1;
    return Promise.resolve(reading);
  }
  renewTokens(): void {
    this.renewals += 1;
  }
  addConsent(): Promise<"created" | "already-exists"> {
    this.consents += 1;
    return this.consentOutcome();
  }
  removeConsent(): Promise<void> {
    return Promise.resolve();
  }
  change(changes: readonly TenantChange[]): Promise<ChangeOutcome[]> {
    return Promise.resolve(
      changes.map((change) => {
        this.changes.push(change);
        const answer = this.answer(change, this.changes.length);
        return { verdict: judgeAnswer(change, answer), answer, created: null };
      }),
    );
  }
  explainDenial(): Promise<AccessProblem | null> {
    this.denialChecks += 1;
    return Promise.resolve(this.denial);
  }
  requestCounts() {
    return { graph: this.reads + this.changes.length, partnerCenter: this.consents, token: this.renewals, throttled: 0 };
  }
}

/** Step settings with instant, recorded sleeps. */
export function instantSettings(slept: number[] = []): StepSettings {
  let now = 0;
  return {
    timing: {
      clock: () => now,
      random: () => 0.5,
      sleep: (ms) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
    replication: { maxAttempts: 4, initialDelayMs: 1_000, maxDelayMs: 8_000, maxTotalMs: 60_000 },
    writeRetry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 4_000, maxTotalMs: 30_000 },
    planOptions: { bootstrapScopes: BOOTSTRAP },
  };
}
