/**
 * Talking to the loopback emulator from tests: an undici Agent that trusts the emulator's
 * self-signed certificate, a JSON fetch helper over it, and an msal-node network client.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { Agent, request } from "undici";

/** An undici dispatcher that trusts exactly the emulator's certificate. */
export function trustingAgent(caCertificatePem: string): Agent {
  return new Agent({ connect: { ca: caCertificatePem } });
}

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: T;
}

/** Sends one request; JSON bodies are serialised, string bodies sent as is. Answers parsed JSON when possible. */
export async function call<T = unknown>(
  agent: Agent,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown; bodyTimeout?: number; headersTimeout?: number } = {},
): Promise<HttpResult<T>> {
  const isString = typeof options.body === "string";
  const r = await request(url, {
    method: method as "GET",
    dispatcher: agent,
    headers: {
      ...(options.body !== undefined && !isString ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: isString ? (options.body as string) : JSON.stringify(options.body) } : {}),
    ...(options.headersTimeout !== undefined ? { headersTimeout: options.headersTimeout } : {}),
    ...(options.bodyTimeout !== undefined ? { bodyTimeout: options.bodyTimeout } : {}),
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  const text = await r.body.text();
  let body: unknown = text;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: r.statusCode, headers, body: body as T };
}

/** An msal-node INetworkModule over undici that trusts the emulator's certificate. */
export function msalNetworkClient(agent: Agent): INetworkModule {
  const send = async <T>(method: "GET" | "POST", url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const r = await request(url, {
      method,
      dispatcher: agent,
      headers: options?.headers ?? {},
      ...(method === "POST" ? { body: options?.body ?? "" } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
    return { status: r.statusCode, headers, body: (await r.body.json()) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send("GET", url, options),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
  };
}

/** msal-node's `knownAuthorities` entry for a base URL ("127.0.0.1:PORT"). */
export function authorityHost(baseUrl: string): string {
  return new URL(baseUrl).host;
}
