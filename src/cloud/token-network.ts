/**
 * msal-node's network module, over the run's request pipeline: the token endpoint is reached
 * through the same dispatcher (CA certificates, timeouts), retry policy, counting and redaction
 * as Graph and Partner Center. It also keeps the token endpoint's last answer, because msal-node's
 * errors flatten it and its results leave out the rotated refresh token.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import type { HttpClient } from "./http";
import type { RequestCounter } from "./pipeline";
import { HttpTransportError } from "./service-error";

/** What the token endpoint last answered, or why it did not answer. */
export type TokenEndpointOutcome =
  | { readonly kind: "response"; readonly status: number; readonly body: unknown; readonly requestId: string | null }
  | { readonly kind: "transport"; readonly error: HttpTransportError };

/** An msal-node network module that records the last outcome; use one per token request. */
export class RecordingNetworkModule implements INetworkModule {
  last: TokenEndpointOutcome | null = null;

  constructor(
    private readonly http: HttpClient,
    /** Tallies this module's requests (the pipeline's counting policy fills it). */
    private readonly counter: RequestCounter,
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>("GET", url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>("POST", url, options);
  }

  private async send<T>(method: "GET" | "POST", url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    try {
      const res = await this.http.send({
        service: "entra-id",
        method,
        url,
        ...(options?.headers ? { headers: options.headers } : {}),
        ...(method === "POST" ? { body: options?.body ?? "" } : {}),
        counters: [this.counter],
      });
      const body = parseJson(res.body);
      this.last = { kind: "response", status: res.status, body, requestId: res.requestId };
      // msal-node reads the body as the token endpoint's JSON, whatever it is; it checks the fields it uses.
      return { status: res.status, headers: { ...res.headers }, body: body as T };
    } catch (err) {
      if (err instanceof HttpTransportError) this.last = { kind: "transport", error: err };
      throw err;
    }
  }
}

function parseJson(text: string): unknown {
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A proxy's HTML error page: msal-node judges by status; the text is kept for the error message.
    return { error: "non_json_response", error_description: text.slice(0, 300) };
  }
}
