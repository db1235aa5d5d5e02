/**
 * A loopback stand-in for GitHub's Actions secrets endpoints (repository and environment): it
 * holds a real libsodium key pair, hands out the public key, opens each sealed box written to it
 * and keeps the plaintext for the test to check. Plain HTTP on 127.0.0.1, reached through
 * GITHUB_API_URL as the runner sets it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sodium from "libsodium-wrappers";

export interface StoredSecret {
  /** The opened sealed box. */
  readonly value: string;
  readonly updatedAt: string;
}

export interface SecretsStandIn {
  readonly apiUrl: string;
  /** Secrets by path, e.g. "repos/o/r/actions/secrets/NAME" or "repos/o/r/environments/E/secrets/NAME". */
  readonly secrets: Map<string, StoredSecret>;
  /** Every request: method, path and the bearer token it carried. */
  readonly requests: { method: string; path: string; token: string | null }[];
  /** Answers every request with this status instead, e.g. 403, when set. */
  refuseWith: number | null;
  stop(): Promise<void>;
}

export const KEY_ID = "568250167242549743";

export async function startSecretsStandIn(): Promise<SecretsStandIn> {
  await sodium.ready;
  const pair = sodium.crypto_box_keypair();
  const publicKey = sodium.to_base64(pair.publicKey, sodium.base64_variants.ORIGINAL);
  const secrets = new Map<string, StoredSecret>();
  const requests: SecretsStandIn["requests"] = [];
  const state = { refuseWith: null as number | null };

  const send = (res: ServerResponse, status: number, body?: unknown): void => {
    res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "").replace(/^\/+/, "").split("?")[0] ?? "";
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? null;
    requests.push({ method: req.method ?? "", path, token });
    let text = "";
    for await (const chunk of req) text += String(chunk);
    if (token === null) {
      send(res, 401, { message: "Requires authentication" });
      return;
    }
    if (state.refuseWith !== null) {
      send(res, state.refuseWith, { message: "Resource not accessible by personal access token" });
      return;
    }
    if (req.method === "GET" && /^repos\/[^/]+\/[^/]+\/(actions|environments\/[^/]+)\/secrets\/public-key$/.test(path)) {
      send(res, 200, { key_id: KEY_ID, key: publicKey });
      return;
    }
    const secret = /^repos\/[^/]+\/[^/]+\/(actions|environments\/[^/]+)\/secrets\/([A-Za-z0-9_]+)$/.exec(path);
    if (secret && req.method === "GET") {
      const stored = secrets.get(path);
      if (stored) send(res, 200, { name: secret[2], created_at: stored.updatedAt, updated_at: stored.updatedAt });
      else send(res, 404, { message: "Not Found" });
      return;
    }
    if (secret && req.method === "PUT") {
      const body = JSON.parse(text) as { encrypted_value?: string; key_id?: string };
      if (body.key_id !== KEY_ID || typeof body.encrypted_value !== "string") {
        send(res, 422, { message: "Bad key_id or encrypted_value" });
        return;
      }
      const sealed = sodium.from_base64(body.encrypted_value, sodium.base64_variants.ORIGINAL);
      const value = sodium.to_string(sodium.crypto_box_seal_open(sealed, pair.publicKey, pair.privateKey));
      const existed = secrets.has(path);
      secrets.set(path, { value, updatedAt: new Date().toISOString() });
      send(res, existed ? 204 : 201, existed ? undefined : {});
      return;
    }
    send(res, 404, { message: "Not Found" });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const standIn: SecretsStandIn = {
    apiUrl: `http://127.0.0.1:${port}`,
    secrets,
    requests,
    get refuseWith() {
      return state.refuseWith;
    },
    set refuseWith(value) {
      state.refuseWith = value;
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
  return standIn;
}
