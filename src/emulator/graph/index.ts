/**
 * Microsoft Graph (`/v1.0`, `/beta`, served alike): the directory reads and writes a CPV refresh
 * or reset needs, and `$batch`. The tenant is the bearer token's `tid`; the token's permissions
 * and, for GDAP access, the partner user's roles decide what the caller may do.
 */
import type { EmuRequest, EmulatorContext, EmuResponse, Handler } from "../context";
import { authenticate } from "./authorization";
import { executeBatch } from "./batch";
import { errorBody, GraphError } from "./errors";
import { executeRequest, ODATA_JSON } from "./request";

const VERSIONED_PATH = /^\/(v1\.0|beta)(\/.*)?$/i;

/** Headers the Graph front door adds to every answer. */
function frontDoorHeaders(requestId: string, clientRequestId: string): Record<string, string> {
  return {
    "request-id": requestId,
    "client-request-id": clientRequestId,
    "x-ms-ags-diagnostic": JSON.stringify({
      ServerInfo: { DataCenter: "Loopback", Slice: "E", Ring: "0", ScaleUnit: "000", RoleInstance: "EMULATOR" },
    }),
    "Strict-Transport-Security": "max-age=31536000",
  };
}

/** Serves a Graph request: `$batch`, or one directory operation. */
export const handleGraph: Handler = (req: EmuRequest, ctx: EmulatorContext): EmuResponse => {
  const requestId = ctx.ids.guid();
  const clientRequestId = req.headers["client-request-id"] ?? requestId;
  const outer = frontDoorHeaders(requestId, clientRequestId);
  try {
    const match = VERSIONED_PATH.exec(req.path);
    if (!match) throw new GraphError(400, "BadRequest", `Invalid version: ${req.path.split("/")[1] ?? ""}`);
    const version = (match[1] ?? "v1.0").toLowerCase() === "beta" ? "beta" : "v1.0";
    const path = match[2] ?? "/";
    const caller = authenticate(req.headers["authorization"], ctx);
    if (/^\/\$batch\/?$/i.test(path)) {
      if (req.method.toUpperCase() !== "POST") {
        throw new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
      }
      const batch = executeBatch(req.body, version, caller, ctx, clientRequestId);
      return {
        status: batch.status,
        headers: { ...outer, "Cache-Control": "no-cache", "OData-Version": "4.0", "Content-Type": ODATA_JSON },
        body: batch.body,
        innerRequests: batch.innerRequests,
        ...(batch.lost ? { lost: batch.lost } : {}),
      };
    }
    const answer = executeRequest(
      {
        method: req.method.toUpperCase(),
        version,
        path,
        query: req.query,
        body: req.body,
        requestId,
        clientRequestId,
        consistencyLevel: req.headers["consistencylevel"],
      },
      caller,
      ctx,
    );
    return answer.body === undefined
      ? { status: answer.status, headers: { ...answer.headers, ...outer } }
      : { status: answer.status, headers: { ...answer.headers, ...outer }, body: answer.body };
  } catch (error) {
    if (!(error instanceof GraphError)) throw error;
    const challenge: Record<string, string> =
      error.status === 401
        ? {
            "WWW-Authenticate":
              'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
          }
        : {};
    return {
      status: error.status,
      headers: { ...outer, ...challenge, "Content-Type": "application/json", ...error.headers },
      body: errorBody(error, ctx.clock.now(), requestId, clientRequestId),
    };
  }
};
