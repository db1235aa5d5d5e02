/**
 * Tenant changes as Graph writes, and Graph's answers as verdicts. Written in the documented forms
 * (Microsoft Graph: "Create servicePrincipal", "Grant an appRoleAssignment to a service
 * principal", "Create oAuth2PermissionGrant", "Update oAuth2PermissionGrant"); "already exists"
 * answers are matched on the message, not the status, because Graph is not consistent about the status.
 */
import type { ChangeAnswer, ChangeVerdict, TenantChange } from "./port";

/** One Graph write, as a `$batch` item carries it: a URL relative to the Graph version root. */
export interface GraphWrite {
  readonly method: "POST" | "PATCH" | "DELETE";
  /** e.g. "/oauth2PermissionGrants/{id}" */
  readonly url: string;
  readonly body?: unknown;
}

/** The Graph write that makes a change. */
export function graphWriteOf(change: TenantChange): GraphWrite {
  switch (change.kind) {
    case "create-service-principal":
      return { method: "POST", url: "/servicePrincipals", body: { appId: change.appId } };
    case "assign-app-role":
      return {
        method: "POST",
        url: `/servicePrincipals/${change.clientId}/appRoleAssignments`,
        body: { principalId: change.clientId, resourceId: change.resourceId, appRoleId: change.appRoleId },
      };
    case "remove-app-role":
      return {
        method: "DELETE",
        url: `/servicePrincipals/${change.clientId}/appRoleAssignments/${encodeURIComponent(change.assignmentId)}`,
      };
    case "create-grant":
      return {
        method: "POST",
        url: "/oauth2PermissionGrants",
        body: { clientId: change.clientId, consentType: "AllPrincipals", resourceId: change.resourceId, scope: change.scopes.join(" ") },
      };
    case "patch-grant":
      return {
        method: "PATCH",
        url: `/oauth2PermissionGrants/${encodeURIComponent(change.grantId)}`,
        body: { scope: change.scopes.join(" ") },
      };
    case "delete-grant":
      return { method: "DELETE", url: `/oauth2PermissionGrants/${encodeURIComponent(change.grantId)}` };
    case "delete-service-principal":
      return { method: "DELETE", url: `/servicePrincipals/${encodeURIComponent(change.servicePrincipalId)}` };
  }
}

const ALREADY_ASSIGNED = /already exists on the object/i;
const ENTRY_EXISTS = /permission entry already exists/i;
const NAME_IN_USE = /already in use|already exists/i;
const NOT_VISIBLE_YET = /does not exist|not found|not present|could not be found/i;
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Classifies Graph's answer to the write made for `change`. */
export function judgeAnswer(change: TenantChange, answer: ChangeAnswer): ChangeVerdict {
  const { status } = answer;
  const message = answer.message ?? "";
  if (status >= 200 && status < 300) return { kind: "done" };
  const said = describeAnswer(answer);
  switch (change.kind) {
    case "assign-app-role":
      if (ALREADY_ASSIGNED.test(message)) return { kind: "already-present" };
      break;
    case "create-grant":
      if (ENTRY_EXISTS.test(message)) return { kind: "conflict" };
      break;
    case "create-service-principal":
      if (status === 409 || NAME_IN_USE.test(message)) return { kind: "already-present" };
      // Graph answers a first-party app the tenant is not licensed for like an unknown app.
      // A 403 is a refusal to CIPP-SAM (missing privileges), which a person must fix: not a licence gap.
      if (status === 400) return { kind: "unavailable", reason: said };
      break;
    case "remove-app-role":
    case "delete-grant":
    case "delete-service-principal":
      if (status === 404) return { kind: "done" };
      break;
    case "patch-grant":
      break;
  }
  if (TRANSIENT_STATUSES.has(status)) return { kind: "retry", reason: said };
  if ((status === 404 || status === 400) && NOT_VISIBLE_YET.test(message)) return { kind: "retry", reason: said };
  return { kind: "failed", reason: said };
}

/** Graph's answer in words for reports: status, code and message. */
export function describeAnswer(answer: ChangeAnswer): string {
  const parts = [`HTTP ${answer.status}`];
  if (answer.code) parts.push(answer.code);
  return answer.message ? `${parts.join(" ")}: ${answer.message}` : parts.join(" ");
}
