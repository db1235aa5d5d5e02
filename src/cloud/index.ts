/**
 * The Microsoft clients of one run, wired once: one dispatcher, one retry policy, one redactor and
 * one token cache behind the token endpoint, Graph (per tenant) and Partner Center.
 */
import type { Dispatcher } from "undici";
import type { CloudEndpoints } from "./endpoints";
import { HttpClient, createDispatcher, type Clock, type Random, type RetryEvent, type RetryPolicy, type Sleep } from "./http";
import { GraphClient } from "./graph";
import { PartnerCenterClient } from "./partner-center";
import { PARTNER_CENTER_LIMIT, RequestRate, type WriteBudget } from "./rate-limit";
import { SecretRedactor } from "./secrets";
import { TokenProvider, type AppCredential } from "./tokens";

export interface MicrosoftClientsOptions {
  readonly endpoints: CloudEndpoints;
  readonly credentials: AppCredential;
  readonly partnerTenantId: string;
  /** CIPP-SAM's appId. */
  readonly applicationId: string;
  /** The CIPP service account's refresh token. */
  readonly refreshToken: string;
  /** Extra CA certificates (PEM) to trust; ignored when `dispatcher` is given. */
  readonly caCertificates?: readonly string[];
  readonly dispatcher?: Dispatcher;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly random?: Random;
  readonly redactor?: SecretRedactor;
  readonly retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms. @default 60000 */
  readonly timeoutMs?: number;
  /** Measures `timeoutMs` on the run's clock (see HttpClientOptions.timer); undici's real-time timers when absent. */
  readonly timer?: Sleep;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Graph write pacing shared by every tenant of the run. */
  readonly writeBudget?: WriteBudget;
}

export interface GraphClientChoice {
  /** App-only (client credentials) instead of the service account's delegated token. */
  readonly appOnly?: boolean;
}

export interface MicrosoftClients {
  readonly tokens: TokenProvider;
  readonly partnerCenter: PartnerCenterClient;
  readonly redactor: SecretRedactor;
  readonly http: HttpClient;
  readonly endpoints: CloudEndpoints;
  readonly partnerTenantId: string;
  readonly applicationId: string;
  /** A Graph client for one tenant; delegated unless `appOnly`. */
  graph(tenantId: string, choice?: GraphClientChoice): GraphClient;
}

/** Builds the clients of one run. */
export function createMicrosoftClients(options: MicrosoftClientsOptions): MicrosoftClients {
  const redactor = options.redactor ?? new SecretRedactor();
  const clock = options.clock ?? Date.now;
  const http = new HttpClient({
    dispatcher: options.dispatcher ?? createDispatcher({ caCertificates: options.caCertificates ?? [] }),
    clock,
    redactor,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.timer ? { timer: options.timer } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
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
    rate: new RequestRate(PARTNER_CENTER_LIMIT, clock, http.sleep),
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
        ...(options.writeBudget ? { writeBudget: options.writeBudget } : {}),
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      });
    },
  };
}

export { type AppCredential, TokenError, TokenProvider, type AccessToken, type TokenResource } from "./tokens";
export { GraphClient, GraphError, isAlreadyExists, isNotFound, type BatchRequest, type BatchResponse } from "./graph";
export { PartnerCenterClient, PartnerCenterError, type ConsentGrant, type ConsentRequest } from "./partner-center";
export { WriteBudget, RequestRate, GRAPH_WRITE_LIMITS, PARTNER_CENTER_LIMIT } from "./rate-limit";
export { SecretRedactor } from "./secrets";
export { HttpClient, HttpTransportError, createDispatcher, type RetryEvent } from "./http";
