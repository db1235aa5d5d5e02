/**
 * The control API under `/_emulator/`: tests and the sandbox load worlds, inspect tenants, read
 * request counters, inject faults, move the clock, revoke refresh tokens and mint GitHub OIDC
 * tokens through it. Its own calls are not counted with service requests.
 *
 * `GET /requests` answers the counters since the last `DELETE /requests`:
 * `{ total, byService, counts: [{ service, tenantId, method, path, count }], inner: { total, byFault, counts } }`.
 * A `$batch` counts once in `total`, `byService` and `counts`; the requests inside it count in
 * `inner` alone (`byFault`: how many an injected fault answered, per kind). `?log=1` adds `log`,
 * the latest requests `{ at, service, tenantId, method, path, query, status, fault }`, where a
 * `$batch` entry lists its items under `inner` as `{ id, method, path, query, status, fault }`.
 * Neither holds headers or bodies.
 *
 * `/tenants/{tenant}/servicePrincipals|appRoleAssignments|grants[/{id}]` change a tenant's
 * directory out of band (see out-of-band.ts).
 */
import type { EmuRequest, EmuResponse, IdGenerator } from "./context";
import type { VirtualClock } from "./clock";
import { validateFaultProfile, type FaultProfile, type ProfileFaultInjector } from "./faults";
import { handleOutOfBand } from "./out-of-band";
import type { RequestLog } from "./request-log";
import { WorldSpecError, canonicalGuid, snapshotTenant } from "./state";
import type { GraphThrottleSettings, IdentityThrottle } from "./throttle";
import type { OidcTestIssuer } from "./tokens";
import type { World, WorldSpec } from "./world";

export interface ControlDeps {
  readonly world: () => World;
  readonly loadWorld: (spec: WorldSpec) => void;
  readonly clock: VirtualClock;
  readonly faults: ProfileFaultInjector;
  readonly throttle: IdentityThrottle;
  readonly log: RequestLog;
  readonly oidcIssuer: OidcTestIssuer;
  readonly ids: IdGenerator;
}

/** Subject of minted OIDC tokens when the caller names none: the demo repository's main branch. */
const DEFAULT_OIDC_SUBJECT = "repo:contoso-msp/cipp-permissions:ref:refs/heads/main";

const bad = (message: string, problems?: readonly string[]): EmuResponse => ({
  status: 400,
  body: { error: message, ...(problems ? { problems } : {}) },
});

/** Answers one `/_emulator/...` request. */
export function handleControl(req: EmuRequest, deps: ControlDeps): EmuResponse {
  let path = req.path.replace(/^\/_emulator/, "").replace(/\/+$/, "");
  let query = req.query;
  // @actions/core appends "&audience=..." to ACTIONS_ID_TOKEN_REQUEST_URL; accept a URL given without "?".
  const oidc = /^\/github-oidc\/token&(.*)$/.exec(path);
  if (oidc) {
    path = "/github-oidc/token";
    query = new URLSearchParams(`${oidc[1] ?? ""}&${req.rawQuery}`);
  }
  const route = `${req.method} ${path}`;
  const tenant = /^GET \/tenants\/([^/]+)$/.exec(route);
  if (tenant?.[1]) {
    const snap = snapshotTenant(deps.world(), tenant[1], deps.clock.now());
    return snap ? { status: 200, body: snap } : { status: 404, body: { error: `No tenant '${tenant[1]}' in the world.` } };
  }
  const outOfBand = handleOutOfBand(req.method, path, req.body, { world: deps.world(), now: deps.clock.now(), ids: deps.ids });
  if (outOfBand !== null) return outOfBand;
  const tokens = /^POST \/refresh-tokens\/(revoke|expire)$/.exec(route);
  if (tokens?.[1]) return changeRefreshTokens(tokens[1] === "revoke" ? "revoked" : "expired", req.body, deps.world());

  switch (route) {
    case "PUT /world":
      try {
        deps.loadWorld(req.body as WorldSpec);
        return { status: 204 };
      } catch (e) {
        if (e instanceof WorldSpecError) return bad(e.message, e.problems);
        throw e;
      }
    case "GET /world":
      return { status: 200, body: deps.world().spec };
    case "GET /requests":
      return { status: 200, body: { ...deps.log.summary(), ...(req.query.get("log") === "1" ? { log: deps.log.log() } : {}) } };
    case "DELETE /requests":
      deps.log.reset();
      return { status: 204 };
    case "GET /faults":
      return { status: 200, body: deps.faults.describe() };
    case "PUT /faults": {
      const problems = validateFaultProfile(req.body);
      if (problems.length > 0) return bad("Invalid fault profile.", problems);
      deps.faults.set(req.body as FaultProfile);
      return { status: 204 };
    }
    case "GET /throttle":
      return { status: 200, body: deps.throttle.current };
    case "PUT /throttle": {
      const b = req.body as Partial<GraphThrottleSettings> | undefined;
      if (typeof b?.enabled !== "boolean" || (b.scale !== undefined && !(typeof b.scale === "number" && b.scale > 0))) {
        return bad("Expected { enabled: boolean, scale?: number > 0 }.");
      }
      deps.throttle.configure({ enabled: b.enabled, scale: b.scale ?? 1 });
      return { status: 204 };
    }
    case "GET /clock":
      return { status: 200, body: { now: new Date(deps.clock.now()).toISOString(), speed: deps.clock.speed } };
    case "POST /clock":
      return moveClock(req.body, deps.clock);
    case "GET /github-oidc/token":
    case "POST /github-oidc/token": {
      const audience = query.get("audience") ?? "api://AzureADTokenExchange";
      const subject = query.get("subject") ?? DEFAULT_OIDC_SUBJECT;
      return { status: 200, body: { value: deps.oidcIssuer.mint(audience, subject) } };
    }
    default:
      return { status: 404, body: { error: `No control endpoint '${route}'.` } };
  }
}

function moveClock(body: unknown, clock: VirtualClock): EmuResponse {
  const b = (typeof body === "object" && body !== null ? body : {}) as { advanceMs?: unknown; speed?: unknown };
  if (b.advanceMs === undefined && b.speed === undefined) return bad("Expected { advanceMs } or { speed }.");
  try {
    if (b.speed !== undefined) clock.setSpeed(Number(b.speed));
    if (b.advanceMs !== undefined) clock.advance(Number(b.advanceMs));
  } catch (e) {
    return bad((e as Error).message);
  }
  return { status: 200, body: { now: new Date(clock.now()).toISOString(), speed: clock.speed } };
}

/** Marks refresh tokens revoked or expired: one by value, a user's, or all when the body names none. */
function changeRefreshTokens(status: "revoked" | "expired", body: unknown, world: World): EmuResponse {
  const b = (typeof body === "object" && body !== null ? body : {}) as { token?: unknown; userId?: unknown };
  let affected = 0;
  for (const state of world.refreshTokens.values()) {
    if (typeof b.token === "string" && state.token !== b.token) continue;
    if (typeof b.userId === "string" && state.userId !== canonicalGuid(b.userId)) continue;
    state.status = status;
    affected += 1;
  }
  return { status: 200, body: { affected } };
}
