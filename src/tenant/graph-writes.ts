/**
 * Plan actions as Graph writes, and Graph's answers as outcomes. Written in the documented forms
 * (microsoft-apis.md §3.5, §3.7, §3.8); "already exists" answers are matched on the message, not
 * the status, because Graph is not consistent about the status (§3.2).
 */
import type { LiveTenant } from "../live/model";
import type { PlanAction } from "../plan/model";
import type { GraphReply, GraphWrite } from "./port";

/** The Graph write for an action, or why the action cannot be written with what is known. */
export type WriteFor = { readonly ok: true; readonly write: GraphWrite } | { readonly ok: false; readonly reason: string };

/**
 * Builds the Graph write for a plan action against the tenant as last read. The consent is not
 * a Graph write; asking for it is a programming error.
 */
export function graphWriteFor(action: PlanAction, live: LiveTenant): WriteFor {
  const client = live.client;
  if (client === null) return { ok: false, reason: "CIPP-SAM's service principal is not in the tenant" };
  const resourceId = (appId: string): string | null => live.resources.get(appId)?.servicePrincipalId ?? null;
  switch (action.kind) {
    case "consent":
      throw new Error("The Partner Center consent is not a Graph write.");
    case "create-resource":
      return { ok: true, write: { method: "POST", url: "/servicePrincipals", body: { appId: action.resource.appId } } };
    case "add-app-role": {
      const resource = resourceId(action.resource.appId);
      if (resource === null) return { ok: false, reason: `${action.resource.displayName} has no service principal in the tenant` };
      if (action.appRoleId === null) return { ok: false, reason: `${action.resource.displayName} publishes no app role ${action.permission}` };
      return {
        ok: true,
        write: {
          method: "POST",
          url: `/servicePrincipals/${client.servicePrincipalId}/appRoleAssignments`,
          body: { principalId: client.servicePrincipalId, resourceId: resource, appRoleId: action.appRoleId },
        },
      };
    }
    case "remove-app-role":
      return {
        ok: true,
        write: {
          method: "DELETE",
          url: `/servicePrincipals/${client.servicePrincipalId}/appRoleAssignments/${encodeURIComponent(action.assignmentId)}`,
        },
      };
    case "create-grant": {
      const resource = resourceId(action.resource.appId);
      if (resource === null) return { ok: false, reason: `${action.resource.displayName} has no service principal in the tenant` };
      return {
        ok: true,
        write: {
          method: "POST",
          url: "/oauth2PermissionGrants",
          body: { clientId: client.servicePrincipalId, consentType: "AllPrincipals", resourceId: resource, scope: action.scopes.join(" ") },
        },
      };
    }
    case "update-grant":
      return {
        ok: true,
        write: { method: "PATCH", url: `/oauth2PermissionGrants/${encodeURIComponent(action.grantId)}`, body: { scope: action.scopes.join(" ") } },
      };
    case "delete-duplicate-grant":
      return { ok: true, write: { method: "DELETE", url: `/oauth2PermissionGrants/${encodeURIComponent(action.grantId)}` } };
  }
}

/**
 * What Graph's answer means for the action:
 * - `done`: written (or, for a removal, already gone);
 * - `already-present`: Graph says the permission or object is already there (to be confirmed by the read-back);
 * - `conflict`: a grant for this resource already exists although the plan saw none: re-read and update it;
 * - `unavailable`: the resource's service principal cannot be created in this tenant (licence, unknown app);
 * - `retry`: what was referred to is not visible yet (replication), or the service was busy;
 * - `failed`: anything else, with Graph's words.
 */
export type WriteVerdict =
  | { readonly kind: "done" }
  | { readonly kind: "already-present" }
  | { readonly kind: "conflict" }
  | { readonly kind: "unavailable"; readonly reason: string }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string };

const ALREADY_ASSIGNED = /already exists on the object/i;
const ENTRY_EXISTS = /permission entry already exists/i;
const NAME_IN_USE = /already in use|already exists/i;
const NOT_VISIBLE_YET = /does not exist|not found|not present|could not be found/i;
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Classifies Graph's answer to the write made for `action`. */
export function judgeReply(action: PlanAction, reply: GraphReply): WriteVerdict {
  const { status } = reply;
  const message = reply.message ?? "";
  if (status >= 200 && status < 300) return { kind: "done" };
  const said = describeReply(reply);
  switch (action.kind) {
    case "add-app-role":
      if (ALREADY_ASSIGNED.test(message)) return { kind: "already-present" };
      break;
    case "create-grant":
      if (ENTRY_EXISTS.test(message)) return { kind: "conflict" };
      break;
    case "create-resource":
      if (status === 409 || NAME_IN_USE.test(message)) return { kind: "already-present" };
      // Graph answers a first-party app the tenant is not licensed for like an unknown app (§3.5, §9).
      // A 403 is a refusal to CIPP-SAM (missing privileges), which a person must fix: not a licence gap.
      if (status === 400) return { kind: "unavailable", reason: said };
      break;
    case "remove-app-role":
    case "delete-duplicate-grant":
      if (status === 404) return { kind: "done" };
      break;
    case "update-grant":
    case "consent":
      break;
  }
  if (TRANSIENT_STATUSES.has(status)) return { kind: "retry", reason: said };
  if ((status === 404 || status === 400) && NOT_VISIBLE_YET.test(message)) return { kind: "retry", reason: said };
  return { kind: "failed", reason: said };
}

/** Graph's answer in words for reports: status, code and message. */
export function describeReply(reply: GraphReply): string {
  const parts = [`HTTP ${reply.status}`];
  if (reply.code) parts.push(reply.code);
  return reply.message ? `${parts.join(" ")}: ${reply.message}` : parts.join(" ");
}
