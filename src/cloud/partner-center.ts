/**
 * Partner Center's application consents (the CPV consent API, Microsoft's page "Get customer consent as a Control Panel Vendor"): consent
 * CIPP-SAM in a customer tenant with delegated scopes, or remove that consent. There is no GET:
 * consent state is read from Graph in the customer tenant.
 */
import { randomUUID } from "node:crypto";
import type { HttpClient, HttpResponse } from "./http";
import { RequestCounter } from "./pipeline";
import { ServiceError, parseJsonBody, readPartnerCenterErrorBody, type PartnerCenterErrorBody } from "./service-error";

/** Delegated scopes to consent on one resource application. */
export interface ConsentGrant {
  readonly resourceAppId: string;
  /** Scope names, e.g. ["Directory.ReadWrite.All"]; sent comma-separated as Partner Center expects. */
  readonly scopes: readonly string[];
}

export interface ConsentRequest {
  readonly applicationId: string;
  readonly displayName?: string;
  readonly grants: readonly ConsentGrant[];
}

export type PartnerCenterProblem = "mfa-required" | "forbidden" | "throttled" | "customer-not-found" | "failed";

/** A Partner Center answer that is not success, with what a person should do about it. */
export class PartnerCenterError extends ServiceError {
  override readonly name: string = "PartnerCenterError";
  constructor(
    readonly problem: PartnerCenterProblem,
    status: number,
    /** Partner Center's `code` ("900421", "2032", ...), or null when it gave none. */
    readonly partnerCenterCode: string | null,
    /** Partner Center's `description` (or the 429 body's `message`), secrets masked. */
    readonly description: string,
    message: string,
    /** The `MS-RequestId` the request carried, which Partner Center logs. */
    requestId: string | null = null,
  ) {
    super({ service: "partner-center", status, code: partnerCenterCode ?? `HTTP${status}`, requestId, detail: description }, message);
  }
}

export interface PartnerCenterClientOptions {
  /** The run's request pipeline; it also paces Partner Center's 50 requests per second per application. */
  readonly http: HttpClient;
  /** e.g. "https://api.partnercenter.microsoft.com" */
  readonly baseUrl: string;
  /** The service account's delegated Partner Center token (partner tenant). */
  readonly token: () => Promise<string>;
  /** One correlation id for the whole run, so Microsoft support can find all its requests. @default a new UUID */
  readonly correlationId?: string;
  /** @default crypto.randomUUID */
  readonly newRequestId?: () => string;
}

/** Partner Center 500s are transient and retried, unlike Graph's (statuses: Microsoft's "Partner Center REST error codes"). */
const PARTNER_CENTER_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 503, 504]);

const ALREADY_EXISTS = "Permission entry already exists.";

export class PartnerCenterClient {
  readonly correlationId: string;
  private readonly newRequestId: () => string;
  private readonly own = new RequestCounter();

  constructor(private readonly options: PartnerCenterClientOptions) {
    this.correlationId = options.correlationId ?? randomUUID();
    this.newRequestId = options.newRequestId ?? randomUUID;
  }

  /** HTTP requests sent (retries included), for cost accounting. */
  get requestCount(): number {
    return this.own.partnerCenter;
  }

  /**
   * Consents the application in the customer tenant. "already-exists" when Partner Center says the
   * consent is there (any 4xx carrying "Permission entry already exists."): Partner Center does not
   * merge scopes, so changing them takes a remove first.
   */
  async addConsent(customerTenantId: string, consent: ConsentRequest): Promise<"created" | "already-exists"> {
    const body = {
      applicationId: consent.applicationId,
      ...(consent.displayName ? { displayName: consent.displayName } : {}),
      applicationGrants: consent.grants.map((g) => ({ enterpriseApplicationId: g.resourceAppId, scope: g.scopes.join(",") })),
    };
    const res = await this.send("POST", `/v1/customers/${encodeURIComponent(customerTenantId)}/applicationconsents`, body);
    if (res.status >= 200 && res.status < 300) return "created";
    const envelope = readPartnerCenterErrorBody(parseJsonBody(res.body));
    if (res.status >= 400 && res.status < 500 && envelope?.description.includes(ALREADY_EXISTS)) return "already-exists";
    throw this.errorFrom(res, envelope, `consent ${consent.applicationId} in ${customerTenantId}`);
  }

  /** Removes the application's consent from the customer tenant; "already-gone" on 404. */
  async removeConsent(customerTenantId: string, applicationId: string): Promise<"removed" | "already-gone"> {
    const res = await this.send(
      "DELETE",
      `/v1/customers/${encodeURIComponent(customerTenantId)}/applicationconsents/${encodeURIComponent(applicationId)}`,
    );
    if (res.status >= 200 && res.status < 300) return "removed";
    const envelope = readPartnerCenterErrorBody(parseJsonBody(res.body));
    if (res.status === 404 && !/tenant not found/i.test(envelope?.description ?? "")) return "already-gone";
    throw this.errorFrom(res, envelope, `remove consent of ${applicationId} in ${customerTenantId}`);
  }

  private async send(method: "POST" | "DELETE", path: string, body?: unknown): Promise<HttpResponse> {
    const token = await this.options.token();
    // The same MS-RequestId on every retry of this call is what makes the POST idempotent.
    return this.options.http.send({
      service: "partner-center",
      method,
      url: `${this.options.baseUrl.replace(/\/+$/, "")}${path}`,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        "ms-correlationid": this.correlationId,
        "ms-requestid": this.newRequestId(),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      retryStatuses: PARTNER_CENTER_RETRY_STATUSES,
      counters: [this.own],
    });
  }

  /** The pipeline has masked the body of an error answer already. */
  private errorFrom(res: HttpResponse, body: PartnerCenterErrorBody | null, what: string): PartnerCenterError {
    const envelope = { code: body?.code ?? null, description: body?.description ?? "" };
    const description = envelope.description || res.body.slice(0, 300);
    const id = res.requestId;
    const said = `Partner Center answered HTTP ${res.status}${envelope.code ? ` code ${envelope.code}` : ""}: ${description}`;
    if (res.status === 401 && (envelope.code === "900421" || /mfa/i.test(description))) {
      return new PartnerCenterError(
        "mfa-required",
        res.status,
        envelope.code,
        description,
        `Could not ${what}: multi-factor authentication is required. ${said}. ` +
          "Sign the CIPP service account in again with MFA and store the new refresh token.",
        id,
      );
    }
    if (res.status === 403) {
      return new PartnerCenterError(
        "forbidden",
        res.status,
        envelope.code,
        description,
        `Could not ${what}: access denied. ${said}. The service account must be in the partner tenant's AdminAgents group ` +
          "and in a security group holding an active GDAP relationship to this customer with Application Administrator, " +
          "Cloud Application Administrator or Global Administrator.",
        id,
      );
    }
    if (res.status === 429) {
      return new PartnerCenterError(
        "throttled",
        res.status,
        envelope.code,
        description,
        `Could not ${what}: still throttled after retries. ${said}`,
        id,
      );
    }
    if (res.status === 404) {
      return new PartnerCenterError(
        "customer-not-found",
        res.status,
        envelope.code,
        description,
        `Could not ${what}: Partner Center does not know this customer. ${said}. Check the tenant id and that it is a customer of this partner.`,
        id,
      );
    }
    return new PartnerCenterError("failed", res.status, envelope.code, description, `Could not ${what}. ${said}`, id);
  }
}
