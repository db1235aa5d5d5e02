/**
 * The emulator's HTTPS server: Entra ID's token endpoint, Microsoft Graph and Partner Center on one
 * loopback base URL, as a national cloud would be, plus the `/_emulator/` control API. It parses
 * requests, applies injected faults, routes to the service handlers and serialises their answers.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { generate } from "selfsigned";
import { VirtualClock } from "./clock";
import type { EmuRequest, EmuResponse, EmulatorContext, Fault, ServiceName } from "./context";
import { handleControl } from "./control";
import { demoWorld } from "./demo-world";
import { handleLogin, loginFaultResponse, type LoginDeps } from "./entra";
import { ProfileFaultInjector, type FaultProfile } from "./faults";
import { handleGraph } from "./graph/index";
import { randomIds } from "./ids";
import { handlePartnerCenter, type PartnerCenterDeps } from "./partner-center";
import { RequestLog, type RequestLogEntry, type RequestSummary } from "./request-log";
import { canonicalGuid, findTenant, loadWorld } from "./state";
import { IdentityThrottle, PerSecondLimiter, type GraphThrottleSettings } from "./throttle";
import { OidcTestIssuer, TokenService } from "./tokens";
import type { World, WorldSpec } from "./world";

export interface EmulatorOptions {
  /** 0 (default) lets the OS choose. */
  readonly port?: number;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default: the demo world. */
  readonly world?: WorldSpec;
  /** Virtual milliseconds per real millisecond (default 1). */
  readonly clockSpeed?: number;
  /** Graph identity throttling (default off). */
  readonly graphThrottle?: GraphThrottleSettings;
  /** Faults, replication lag and latency from the start (default none; see REALISTIC_DELAYS). */
  readonly faults?: FaultProfile;
}

export interface RunningEmulator {
  /** e.g. "https://127.0.0.1:41234" */
  readonly baseUrl: string;
  /** The self-signed certificate clients must trust. */
  readonly caCertificatePem: string;
  world(): World;
  loadWorld(spec: WorldSpec): void;
  readonly clock: VirtualClock;
  setFaults(profile: FaultProfile): void;
  setGraphThrottle(settings: GraphThrottleSettings): void;
  /** The request counters and the log (`$batch` inner requests counted apart, see RequestLog). */
  requests(): RequestSummary & { log: readonly RequestLogEntry[] };
  stop(): Promise<void>;
}

const GRAPH_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const PARTNER_CENTER_RPS = 50;

/** Starts the emulator on loopback HTTPS with a certificate generated for 127.0.0.1 and localhost. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? "127.0.0.1";
  const tls = await generate([{ name: "commonName", value: "cipp-cpv emulator" }], {
    keySize: 2048,
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });

  const ids = randomIds;
  const clock = new VirtualClock(options.clockSpeed ?? 1);
  let world = loadWorld(options.world ?? demoWorld(), clock, ids);
  const tokens = new TokenService(clock, ids);
  const oidcIssuer = new OidcTestIssuer(clock);
  const faults = new ProfileFaultInjector(Math.random, (tenant) => findTenant(world, tenant)?.tenantId ?? null);
  if (options.faults) faults.set(options.faults);
  const throttle = new IdentityThrottle(clock, (tenantId) => world.tenants.get(tenantId)?.size ?? "S");
  if (options.graphThrottle) throttle.configure(options.graphThrottle);
  const log = new RequestLog();
  let limiter = new PerSecondLimiter(clock, PARTNER_CENTER_RPS);
  let idempotency = new Map<string, EmuResponse>();
  const replaceWorld = (spec: WorldSpec): void => {
    world = loadWorld(spec, clock, ids);
    limiter = new PerSecondLimiter(clock, PARTNER_CENTER_RPS);
    idempotency = new Map();
  };

  let baseUrl = "";
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: tls.private, cert: tls.cert }, (req, res) => {
    void serve(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "emulator_error", message: e instanceof Error ? e.message : String(e) }));
      }
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const emu = await parse(req);
    const service = serviceOf(emu.path);
    if (service === "control") {
      const answer = handleControl(emu, {
        world: () => world,
        loadWorld: replaceWorld,
        clock,
        faults,
        throttle,
        log,
        oidcIssuer,
        ids,
      });
      send(res, answer, service, emu, ids.guid());
      return;
    }
    const requestId = ids.guid();
    const tenantId = tenantOf(service, emu);
    const record = (status: number | null, fault: Fault, inner?: EmuResponse["innerRequests"]): void =>
      log.record({
        at: new Date(clock.now()).toISOString(),
        service,
        tenantId,
        method: emu.method,
        path: emu.path,
        query: emu.rawQuery,
        status,
        fault: fault.kind === "none" ? null : fault.kind,
        ...(inner ? { inner } : {}),
      });

    const fault = faults.decide({ service, method: emu.method, path: emu.path, inner: false, tenantId, body: emu.body });
    if (fault.kind === "drop") {
      record(null, fault);
      req.socket.destroy();
      return;
    }
    if (fault.kind === "stall") {
      record(null, fault);
      hold(req, fault.stallMs);
      return;
    }
    // Latency runs on the virtual clock, like every other duration here: a test moves the clock instead of waiting.
    await clock.sleep(faults.latencyMs());

    let answer: EmuResponse;
    if (fault.kind === "throttle" || fault.kind === "unavailable") {
      answer = faultResponse(service, fault.kind, fault.retryAfterSeconds, requestId, emu);
    } else if (service === "login") {
      answer = handleLogin(emu, loginDeps());
    } else if (service === "partnerCenter") {
      answer = handlePartnerCenter(emu, partnerCenterDeps());
    } else {
      answer = await handleGraph(emu, graphContext());
    }
    // The request was handled (a write applied) but its answer is lost on the way back.
    const lost: EmuResponse["lost"] =
      fault.kind === "drop-after-apply"
        ? { kind: "drop" }
        : fault.kind === "stall-after-apply"
          ? { kind: "stall", stallMs: fault.stallMs }
          : answer.lost;
    record(answer.status, fault, answer.innerRequests);
    if (lost?.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (lost?.kind === "stall") {
      hold(req, lost.stallMs);
      return;
    }
    send(res, answer, service, emu, requestId);
  }

  /** Leaves a request unanswered: until the client gives up, or until `stallMs` virtual ms pass, then closes the connection. */
  function hold(req: IncomingMessage, stallMs: number | null): void {
    if (stallMs !== null) void clock.sleep(stallMs).then(() => req.socket.destroy());
  }

  const loginDeps = (): LoginDeps => ({ world: () => world, clock, ids, tokens, oidcIssuer, baseUrl });
  const partnerCenterDeps = (): PartnerCenterDeps => ({ world: () => world, clock, ids, tokens, faults, limiter, idempotency });
  const graphContext = (): EmulatorContext => ({ world, clock, tokens, faults, throttle, ids, baseUrl });

  /**
   * The tenant a request acts in: the path's tenant for sign-in, the customer for Partner Center,
   * the access token's tenant for Graph (its paths name none).
   */
  function tenantOf(service: ServiceName, emu: EmuRequest): string | null {
    if (service === "login") {
      const segment = emu.path.split("/")[1] ?? "";
      return findTenant(world, segment)?.tenantId ?? (segment || null);
    }
    if (service === "partnerCenter") {
      const customer = /^\/v1\/customers\/([^/]+)/i.exec(emu.path)?.[1];
      if (customer !== undefined) return canonicalGuid(customer);
    }
    const check = tokens.verify(emu.headers.authorization);
    return check.ok ? check.claims.tid : null;
  }

  function faultResponse(
    service: ServiceName,
    kind: "throttle" | "unavailable",
    retryAfter: number | null,
    requestId: string,
    emu: EmuRequest,
  ): EmuResponse {
    const retryHeader: Record<string, string> = retryAfter === null ? {} : { "retry-after": String(retryAfter) };
    if (service === "login") return loginFaultResponse(kind, retryAfter, loginDeps());
    if (service === "partnerCenter") {
      return kind === "throttle"
        ? {
            status: 429,
            headers: retryHeader,
            body: {
              statusCode: 429,
              message: retryAfter === null ? "Rate limit is exceeded." : `Rate limit is exceeded. Try again in ${retryAfter} seconds.`,
            },
          }
        : {
            status: 503,
            headers: retryHeader,
            body: { code: "503", description: "The service is temporarily unavailable.", data: [], source: "PartnerFD" },
          };
    }
    const innerError = {
      date: new Date(clock.now()).toISOString().replace(/\.\d+Z$/, ""),
      "request-id": requestId,
      "client-request-id": emu.headers["client-request-id"] ?? requestId,
    };
    return kind === "throttle"
      ? {
          status: 429,
          headers: retryHeader,
          body: {
            error: {
              code: "TooManyRequests",
              message: "Please retry again later.",
              innerError: { ...innerError, code: "429", status: "429", message: "Please retry after" },
            },
          },
        }
      : {
          status: 503,
          headers: retryHeader,
          body: { error: { code: "serviceNotAvailable", message: "Service unavailable.", innerError } },
        };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `https://${host.includes(":") ? `[${host}]` : host}:${address.port}`;

  return {
    baseUrl,
    caCertificatePem: tls.cert,
    world: () => world,
    loadWorld: replaceWorld,
    clock,
    setFaults: (profile) => faults.set(profile),
    setGraphThrottle: (settings) => throttle.configure(settings),
    requests: () => ({ ...log.summary(), log: log.log() }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled requests never end by themselves; close every connection, idle or not.
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}

/** Which service a path belongs to: the one base URL serves them all. */
function serviceOf(path: string): ServiceName {
  if (path === "/_emulator" || path.startsWith("/_emulator/")) return "control";
  if (path.startsWith("/v1.0/") || path.startsWith("/beta/") || path === "/v1.0" || path === "/beta") return "graph";
  if (path.startsWith("/v1/")) return "partnerCenter";
  return "login";
}

async function parse(req: IncomingMessage): Promise<EmuRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const url = new URL(req.url ?? "/", "https://emulator.invalid");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  const contentType = headers["content-type"] ?? "";
  let body: unknown;
  if (raw !== "") {
    if (contentType.includes("application/x-www-form-urlencoded")) {
      body = Object.fromEntries(new URLSearchParams(raw));
    } else {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
  }
  const path = url.pathname
    .split("/")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join("/");
  return {
    method: (req.method ?? "GET").toUpperCase(),
    path,
    rawQuery: url.search.replace(/^\?/, ""),
    query: url.searchParams,
    headers,
    body,
  };
}

function send(res: ServerResponse, answer: EmuResponse, service: ServiceName, req: EmuRequest, requestId: string): void {
  const headers: Record<string, string> = {};
  if (service === "graph") {
    headers["request-id"] = requestId;
    headers["client-request-id"] = req.headers["client-request-id"] ?? requestId;
    headers["x-ms-ags-diagnostic"] = JSON.stringify({
      ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "1", ScaleUnit: "000", RoleInstance: "EMU" },
    });
    headers["strict-transport-security"] = "max-age=31536000";
  }
  for (const [k, v] of Object.entries(answer.headers ?? {})) headers[k.toLowerCase()] = v;
  let payload: string | undefined;
  if (answer.body !== undefined && answer.status !== 204) {
    if (typeof answer.body === "string") {
      payload = answer.body;
      headers["content-type"] ??= "text/plain; charset=utf-8";
    } else {
      payload = JSON.stringify(answer.body);
      headers["content-type"] ??= service === "graph" ? GRAPH_CONTENT_TYPE : "application/json; charset=utf-8";
    }
  }
  res.writeHead(answer.status, headers);
  res.end(payload);
}
