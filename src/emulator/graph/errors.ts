/**
 * Graph's error envelope (Graph's "Microsoft Graph error responses and resource types") and the errors handlers raise. A handler throws
 * `GraphError`; the request pipeline turns it into the envelope, so every answer carries the same
 * `innerError` whatever path produced it.
 */

/** An error answer Graph gives: HTTP status, OData error code and the service's message. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (Retry-After, throttle headers). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "GraphError";
  }
}

/** `innerError.date` as Graph writes it: UTC, no fraction, no `Z`. */
export function graphDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** The `{ error: { code, message, innerError } }` body. */
export function errorBody(error: GraphError, now: number, requestId: string, clientRequestId: string): unknown {
  if (error.status === 429) {
    // The throttling envelope differs: innerError repeats the status and has no client-request-id.
    return {
      error: {
        code: error.code,
        message: error.message,
        innerError: { code: "429", date: graphDate(now), message: "Please retry after", "request-id": requestId, status: "429" },
      },
    };
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: { date: graphDate(now), "request-id": requestId, "client-request-id": clientRequestId },
    },
  };
}

/** 404 for a directory object that does not exist (or is not visible yet). */
export function resourceNotFound(id: string): GraphError {
  return new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/**
 * 400 for an object id in the path that is not a GUID: the directory refuses it before looking it
 * up, so it is never "not found".
 */
export function invalidObjectId(id: string): GraphError {
  return new GraphError(400, "Request_BadRequest", `Invalid object identifier '${id}'.`);
}

/** 400 for a body property that is missing or has the wrong type, worded as the directory does. */
export function invalidProperty(property: string, resource: string): GraphError {
  return new GraphError(400, "Request_BadRequest", `Invalid value specified for property '${property}' of resource '${resource}'.`);
}

/** 403 for a token without the permission, or a user without the directory role. */
export function insufficientPrivileges(): GraphError {
  return new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}
