/**
 * The Microsoft clients of one run, wired once: one dispatcher, one retry policy, one redactor and
 * one token cache behind the token endpoint, Graph (per tenant) and Partner Center.
 */
import type { CloudEndpoints } from "./endpoints";
import { environmentOf, type Environment } from "./environment";
import { HttpClient, createDispatcher, type RetryEvent, type RetryPolicy } from "./http";
import { GraphClient } from "./graph";
import { PartnerCenterClient } from "./partner-center";
import type { RequestCounter } from "./pipeline";
import type { WriteBudget } from "./rate-limit";
import { SecretRedactor } from "./secrets";
import { TokenProvider, type AppCredential } from "./tokens";

export interface MicrosoftClientsOptions extends Partial<Environment> {
  readonly endpoints: CloudEndpoints;
  readonly credentials: AppCredential;
  readonly partnerTenantId: string;
  /** CIPP-SAM's appId. */
  readonly applicationId: string;
  /** The CIPP service account's refresh token. */
  readonly refreshToken: string;
  /** Extra CA certificates (PEM) to trust; ignored when `dispatcher` is given. */
  readonly caCertificates?: readonly string[];
  /** The run's one redactor (the one its output passes through); a new one when absent. */
  readonly redactor?: SecretRedactor;
  readonly retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms. @default 60000 */
  readonly timeoutMs?: number;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Graph write pacing shared by every tenant of the run. */
  readonly writeBudget?: WriteBudget;
}

export interface GraphClientChoice {
  /** App-only (client credentials) instead of the service account's delegated token. */
  readonly appOnly?: boolean;
  /** Also counts the client's requests here (a tenant's cost), besides the client's own count. */
  readonly counter?: RequestCounter;
}

export interface MicrosoftClients {
  readonly tokens: TokenProvider;
  readonly partnerCenter: PartnerCenterClient;
  readonly redactor: SecretRedactor;
  readonly http: HttpClient;
  readonly endpoints: CloudEndpoints;
  readonly partnerTenantId: string;
  readonly applicationId: string;
  /** A Graph client for one tenant over the run's pipeline; delegated unless `appOnly`. */
  graph(tenantId: string, choice?: GraphClientChoice): GraphClient;
}

/** Builds the clients of one run: one pipeline under the token endpoint, Graph and Partner Center. */
export function createMicrosoftClients(options: MicrosoftClientsOptions): MicrosoftClients {
  const redactor = options.redactor ?? new SecretRedactor();
  const http = new HttpClient({
    ...environmentOf(options),
    dispatcher: options.dispatcher ?? createDispatcher({ caCertificates: options.caCertificates ?? [] }),
    redactor,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.writeBudget ? { writeBudget: options.writeBudget } : {}),
  });
  const tokens = new TokenProvider({
    endpoints: options.endpoints,
    applicationId: options.applicationId,
    credential: options.credentials,
    refreshToken: options.refreshToken,
    partnerTenantId: options.partnerTenantId,
    http,
  });
  const partnerCenter = new PartnerCenterClient({
    http,
    baseUrl: options.endpoints.partnerCenter,
    token: async () => (await tokens.delegated(options.partnerTenantId, "partnerCenter")).token,
  });
  return {
    tokens,
    partnerCenter,
    redactor,
    http,
    endpoints: options.endpoints,
    partnerTenantId: options.partnerTenantId,
    applicationId: options.applicationId,
    graph(tenantId, choice = {}) {
      const token = async ({ fresh }: { fresh: boolean }) =>
        (choice.appOnly ? await tokens.appOnly(tenantId, { fresh }) : await tokens.delegated(tenantId, "graph", { fresh })).token;
      return new GraphClient({
        http,
        baseUrl: options.endpoints.graph,
        token,
        tenantId,
        ...(choice.counter ? { counter: choice.counter } : {}),
      });
    },
  };
}

export { type AppCredential, TokenError, TokenProvider } from "./tokens";
export { GraphClient, GraphError } from "./graph";
export { PartnerCenterClient, PartnerCenterError } from "./partner-center";
export { WriteBudget, GRAPH_WRITE_LIMITS } from "./rate-limit";
export { SecretRedactor } from "./secrets";
export { HttpClient, HttpTransportError, type RetryEvent } from "./http";
export { RequestCounter } from "./pipeline";
export { ServiceError } from "./service-error";
export { type Environment } from "./environment";
