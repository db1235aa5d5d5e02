/**
 * msal-node's network module, over the project's HTTP layer: the token endpoint is reached through
 * the same dispatcher (CA certificates, timeouts) and retry policy as Graph and Partner Center.
 * It also keeps the token endpoint's last answer, because msal-node's errors flatten it.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { HttpTransportError, type HttpClient } from "./http";

/** What the token endpoint last answered, or why it did not answer. */
export type TokenEndpointOutcome =
  | { readonly kind: "response"; readonly status: number; readonly body: unknown }
  | { readonly kind: "transport"; readonly error: HttpTransportError };

/** An msal-node network module that records the last outcome; use one per token request. */
export class RecordingNetworkModule implements INetworkModule {
  last: TokenEndpointOutcome | null = null;
  /** HTTP requests this module sent (retries included). */
  requests = 0;

  constructor(private readonly http: HttpClient) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>("GET", url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>("POST", url, options);
  }

  private async send<T>(method: "GET" | "POST", url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    try {
      const res = await this.http.send({
        method,
        url,
        ...(options?.headers ? { headers: options.headers } : {}),
        ...(method === "POST" ? { body: options?.body ?? "" } : {}),
      });
      this.requests += res.attempts;
      const body = parseJson(res.body);
      this.last = { kind: "response", status: res.status, body };
      return { status: res.status, headers: res.headers as Record<string, string>, body: body as T };
    } catch (err) {
      if (err instanceof HttpTransportError) {
        this.requests += err.attempts;
        this.last = { kind: "transport", error: err };
      }
      throw err;
    }
  }
}

function parseJson(text: string): unknown {
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    // A proxy's HTML error page: msal-node judges by status; the text is kept for the error message.
    return { error: "non_json_response", error_description: text.slice(0, 300) };
  }
}
