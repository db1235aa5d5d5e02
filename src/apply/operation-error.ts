/**
 * Errors thrown by the Microsoft clients, in the result model's words: which service said what,
 * and what the person running the tool can do about it. The clients already mask secrets.
 */
import { ServiceError } from "../cloud/service-error";
import { PartnerCenterError } from "../cloud/partner-center";
import type { AccessProblem, AccessProblemKind } from "../live/model";
import type { OperationError } from "./result";

/** The error as the result model records it: the service error's own fields, nothing guessed from its wording. */
export function operationErrorOf(error: unknown): OperationError {
  if (error instanceof ServiceError) {
    return { service: error.service, status: error.status, code: error.code, message: error.detail };
  }
  return { service: "graph", status: null, code: "error", message: error instanceof Error ? error.message : String(error) };
}

/**
 * A step that failed, as an AccessProblem: `what` says which step ("The Partner Center consent"),
 * `action` what to do next unless the error itself says better (MFA, GDAP roles).
 */
export function problemOf(what: string, error: unknown, action: string): AccessProblem {
  const said = error instanceof Error ? error.message : String(error);
  let kind: AccessProblemKind = "unknown";
  let advice = action;
  if (error instanceof PartnerCenterError) {
    if (error.problem === "mfa-required") {
      kind = "mfa-required";
      advice = "Sign the CIPP service account in again with MFA, store the new refresh token, then run again.";
    } else if (error.problem === "forbidden") {
      kind = "gdap-roles-missing";
      advice =
        "Make sure the service account is in AdminAgents and in a group holding an active GDAP relationship with this customer " +
        "that includes Application Administrator, Cloud Application Administrator or Global Administrator, then run again.";
    } else if (error.problem === "customer-not-found") {
      kind = "tenant-not-found";
      advice = "Check the tenant id in the declaration: Partner Center does not know this customer.";
    }
  }
  return { kind, message: `${what} failed: ${said}`, action: advice };
}
