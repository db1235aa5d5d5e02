/**
 * The tenant port over the real Microsoft clients: reads through src/live, consents through
 * Partner Center, writes through Graph `$batch`. Counts the requests each tenant costs.
 */
import { RequestCounter, type GraphClient, type MicrosoftClients } from "../cloud";
import type { BatchRequest } from "../cloud/graph";
import { readGraphErrorBody } from "../cloud/service-error";
import type { DesiredTenant, FleetSettings } from "../desired/model";
import { checkGdap, gdapProblem } from "../live/gdap";
import { readTenant } from "../live/read-tenant";
import { MICROSOFT_GRAPH_APP_ID } from "../plan/bootstrap";
import type { RequestCounts } from "./result";
import type { GraphReply, TenantPort } from "./tenant-port";

export interface CloudPortOptions {
  readonly clients: MicrosoftClients;
  readonly settings: FleetSettings;
  /** Delegated Graph scopes the Partner Center consent posts. */
  readonly bootstrapScopes: readonly string[];
}

/** A port for one tenant over the run's shared clients. */
export function cloudTenantPort(desired: DesiredTenant, options: CloudPortOptions): TenantPort {
  const { clients, settings } = options;
  const tenantId = desired.tenantId;
  // The pipeline's counting policy tallies every Graph request made for this tenant's reads and writes here.
  const cost = new RequestCounter();
  let partnerCenterCalls = 0;
  const countingGraph = (forTenant: string, choice: { appOnly?: boolean } = {}): GraphClient =>
    clients.graph(forTenant, { ...choice, counter: cost });
  const tenantClients: MicrosoftClients = { ...clients, graph: countingGraph };
  const writer = countingGraph(tenantId);

  return {
    tenantId,
    read: () => readTenant(tenantClients, desired, settings),
    renewTokens: () => clients.tokens.invalidate(tenantId),
    async addConsent() {
      partnerCenterCalls += 1;
      return clients.partnerCenter.addConsent(tenantId, {
        applicationId: settings.applicationId,
        grants: [{ resourceAppId: MICROSOFT_GRAPH_APP_ID, scopes: options.bootstrapScopes }],
      });
    },
    async removeConsent() {
      partnerCenterCalls += 1;
      await clients.partnerCenter.removeConsent(tenantId, settings.applicationId);
    },
    async write(writes) {
      const requests = writes.map(
        (w, i): BatchRequest => ({ id: String(i + 1), method: w.method, url: w.url, ...(w.body !== undefined ? { body: w.body } : {}) }),
      );
      const answers = await writer.batch(requests);
      return answers.map((answer): GraphReply => {
        const envelope = readGraphErrorBody(answer.body);
        return {
          status: answer.status,
          code: envelope?.code ?? null,
          message: typeof envelope?.message === "string" ? clients.redactor.redact(envelope.message) : null,
          body: answer.body,
        };
      });
    },
    async explainDenial() {
      // The partner's own tenant is reached without GDAP: a denial there has another cause.
      if (tenantId === settings.partnerTenantId) return null;
      const check = await checkGdap(countingGraph(settings.partnerTenantId), tenantId);
      return gdapProblem(tenantId, check, "Microsoft Graph refused a write with 403 Authorization_RequestDenied.");
    },
    requestCounts(): RequestCounts {
      return {
        graph: cost.graph,
        partnerCenter: partnerCenterCalls,
        token: cost.distinctTokens,
        throttled: cost.throttled,
      };
    },
  };
}
