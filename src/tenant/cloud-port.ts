/**
 * The tenant port over the real Microsoft clients: reads the tenant, consents through Partner
 * Center, makes changes through Graph `$batch`. Counts the requests each tenant costs.
 */
import { RequestCounter, type GraphClient, type MicrosoftClients } from "../cloud";
import type { BatchRequest } from "../cloud/graph";
import { readGraphErrorBody } from "../cloud/service-error";
import type { DesiredTenant, FleetSettings } from "../desired/model";
import { checkGdap, gdapProblem } from "./gdap";
import { readTenant } from "./read-tenant";
import { MICROSOFT_GRAPH_APP_ID } from "../plan/bootstrap";
import { resourceFromCreated } from "./created-resource";
import { graphWriteOf, judgeAnswer } from "./graph-writes";
import type { ChangeAnswer, ChangeOutcome, RequestCounts, TenantChange, TenantPort } from "./port";

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
    async change(changes) {
      const requests = changes.map((change, i): BatchRequest => {
        const write = graphWriteOf(change);
        return { id: String(i + 1), method: write.method, url: write.url, ...(write.body !== undefined ? { body: write.body } : {}) };
      });
      const answers = await writer.batch(requests);
      return answers.map((reply, i): ChangeOutcome => {
        const change = changes[i] as TenantChange;
        const envelope = readGraphErrorBody(reply.body);
        const answer: ChangeAnswer = {
          status: reply.status,
          code: envelope?.code ?? null,
          message: typeof envelope?.message === "string" ? clients.redactor.redact(envelope.message) : null,
        };
        const verdict = judgeAnswer(change, answer);
        // Graph's 201 describes the new service principal in full: planning on it saves a read.
        const created = change.kind === "create-service-principal" && verdict.kind === "done" ? resourceFromCreated(reply.body) : null;
        return { verdict, answer, created };
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
