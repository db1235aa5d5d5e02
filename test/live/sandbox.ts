/**
 * Test setup shared by the tests that talk to the emulator: a running emulator and the Microsoft
 * clients pointed at it by base URL and CA certificate only, as a user behind a TLS-inspecting
 * proxy would configure them.
 */
import { request } from "undici";
import { createMicrosoftClients, type MicrosoftClients, type MicrosoftClientsOptions } from "../../src/cloud";
import { createDispatcher } from "../../src/cloud/http";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import type { DesiredTenant, FleetSettings } from "../../src/desired/model";
import { startEmulator, DEMO, DEMO_CREDENTIALS, type EmulatorOptions, type RunningEmulator } from "../../src/emulator";
import { CIPP_SAM_PERMISSIONS } from "../../src/emulator/demo-world";

export const SETTINGS: FleetSettings = { partnerTenantId: DEMO.partner.tenantId, applicationId: DEMO.applicationId, cloud: "sandbox" };

export interface Sandbox {
  readonly emulator: RunningEmulator;
  readonly waits: number[];
  clients(overrides?: Partial<MicrosoftClientsOptions>): MicrosoftClients;
  /** Requests per service, read over the emulator's control API. */
  counts(): Promise<Record<string, number>>;
  /** Sends a control API request. */
  control(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<number>;
  stop(): Promise<void>;
}

export async function startSandbox(options: EmulatorOptions = {}): Promise<Sandbox> {
  const emulator = await startEmulator(options);
  const dispatcher = createDispatcher({ caCertificates: [emulator.caCertificatePem] });
  const waits: number[] = [];
  const control = async (method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown) => {
    const res = await request(`${emulator.baseUrl}/_emulator${path}`, {
      method,
      dispatcher,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
    });
    await res.body.text();
    return res.statusCode;
  };
  return {
    emulator,
    waits,
    clients: (overrides = {}) =>
      createMicrosoftClients({
        endpoints: sandboxEndpoints(emulator.baseUrl),
        credentials: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
        partnerTenantId: DEMO.partner.tenantId,
        applicationId: DEMO.applicationId,
        refreshToken: DEMO_CREDENTIALS.refreshToken,
        caCertificates: [emulator.caCertificatePem],
        // Retry waits are recorded, not slept: tests never wait for real time.
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
        ...overrides,
      }),
    counts: async () => {
      const res = await request(`${emulator.baseUrl}/_emulator/requests`, { dispatcher });
      const summary = (await res.body.json()) as { byService: Record<string, number> };
      return summary.byService;
    },
    control,
    stop: async () => {
      await emulator.stop();
      await dispatcher.close();
    },
  };
}

/** A declared tenant asking for CIPP's full set (customer tenants: without Partner Center). */
export function cippTenant(ids: { tenantId: string; defaultDomain: string; displayName: string }, isPartner = false): DesiredTenant {
  return {
    ...ids,
    isPartner,
    excluded: false,
    profiles: [],
    permissions: {
      resources: CIPP_SAM_PERMISSIONS.filter((r) => isPartner || !r.partnerTenantOnly).map((r) => ({
        appId: r.resourceAppId,
        displayName: r.displayName,
        appRoles: r.appRoleIds,
        scopes: r.scopes,
        unpublishedScopes: [],
      })),
    },
    extras: { appRoles: "keep", scopes: "keep" },
    source: { file: "test" },
  };
}

/** The difference of two request counters, per service. */
export function delta(before: Record<string, number>, after: Record<string, number>, service: string): number {
  return (after[service] ?? 0) - (before[service] ?? 0);
}
