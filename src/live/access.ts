/**
 * Turns the ways Microsoft refuses access into causes a person can act on: what happened, with
 * what Microsoft said, and what to do about it.
 */
import { TokenError } from "../cloud/tokens";
import { PartnerCenterError } from "../cloud/partner-center";
import type { AccessProblem, AccessProblemKind } from "./model";

interface Classification {
  readonly kind: AccessProblemKind;
  readonly what: string;
  readonly action: string;
}

/** How a partner gets a new refresh token; the README walks through it. */
const NEW_REFRESH_TOKEN =
  'Sign the CIPP service account in again with MFA to get a new one (README, "Getting and renewing the refresh token") ' +
  "and store it in the secret the runs read (e.g. CIPP_REFRESH_TOKEN), or in CIPP_CPV_REFRESH_TOKEN for the CLI.";

/** AADSTS codes by the cause they reveal (Microsoft Entra authentication and authorization error codes). */
const BY_AADSTS: ReadonlyMap<number, Classification> = new Map(
  (
    [
      [
        [65001, 90099],
        {
          kind: "consent-missing",
          what: "CIPP-SAM is not consented in this tenant",
          action: "Expected for a new tenant: a refresh consents it through Partner Center.",
        },
      ],
      [
        [50020],
        {
          kind: "no-gdap-relationship",
          what: "the CIPP service account has no delegated access to this tenant",
          action: "Create or renew an active GDAP relationship with this customer, assigned to a security group the service account is in.",
        },
      ],
      [
        [700082, 70008],
        {
          kind: "refresh-token-expired",
          what: "the service account's refresh token has expired",
          action: `${NEW_REFRESH_TOKEN} A stored token must be used at least every 90 days; the Action's refresh-token-secret input keeps it renewed.`,
        },
      ],
      [
        [50173],
        {
          kind: "refresh-token-revoked",
          what: "the service account's refresh token was revoked (password change or sessions revoked)",
          action: NEW_REFRESH_TOKEN,
        },
      ],
      [
        [9002313, 700007],
        {
          kind: "refresh-token-revoked",
          what: "the service account's refresh token was not accepted (malformed, unknown, or issued to another application)",
          action: `Store the refresh token issued to CIPP-SAM for the CIPP service account. ${NEW_REFRESH_TOKEN}`,
        },
      ],
      [
        [53003],
        {
          kind: "conditional-access",
          what: "a Conditional Access policy in this tenant blocks the service account's sign-in",
          action: "Exclude the partner's service account (or CIPP-SAM) from the blocking Conditional Access policy in the customer tenant.",
        },
      ],
      [
        [50076, 50079],
        {
          kind: "mfa-required",
          what: "multi-factor authentication is required",
          action: "Sign the CIPP service account in again with MFA and store the new refresh token.",
        },
      ],
      [
        [7000215, 7000222, 700027, 70021, 700213, 7002138, 700211, 700212, 700024, 50012, 7000218],
        {
          kind: "client-credential-invalid",
          what: "CIPP-SAM's own credential was refused",
          action:
            "Check CIPP-SAM's client secret (not expired, the value rather than the id), certificate, or federated credential (issuer, subject, audience).",
        },
      ],
      [
        [90002],
        {
          kind: "tenant-not-found",
          what: "the tenant does not exist in this cloud",
          action: "Check the tenant id in the declaration and the cloud setting.",
        },
      ],
    ] as const
  ).flatMap(([codes, c]) => codes.map((code) => [code, c] as const)),
);

/**
 * The access problem a failed token request stands for. Messages do not repeat the tenant: every
 * report shows them under the tenant they belong to.
 */
export function tokenProblem(err: TokenError): AccessProblem {
  const said = `Microsoft said: ${err.aadsts !== null ? `AADSTS${err.aadsts} ` : ""}${err.error}${err.status !== null ? ` (HTTP ${err.status})` : ""}: ${err.description}`;
  const known = err.aadsts !== null ? BY_AADSTS.get(err.aadsts) : undefined;
  if (known) return { kind: known.kind, message: `${capitalised(known.what)}. ${said}`, action: known.action };
  if (err.error === "network_error") {
    return {
      kind: "unknown",
      message: `The token endpoint could not be reached. ${err.description}`,
      action: "Check network access to the Entra ID endpoint (proxy, firewall, CA certificates) and try again.",
    };
  }
  return {
    kind: "unknown",
    message: `A token could not be obtained. ${said}`,
    action: "Look the AADSTS code up in Microsoft's error reference; the message above names the cause.",
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The access problem a Partner Center refusal stands for, or null when it is not about access. */
export function partnerCenterProblem(err: PartnerCenterError): AccessProblem | null {
  if (err.problem === "mfa-required") {
    return {
      kind: "mfa-required",
      message: err.message,
      action: "Sign the CIPP service account in again with MFA and store the new refresh token.",
    };
  }
  if (err.problem === "forbidden") {
    return {
      kind: "gdap-roles-missing",
      message: err.message,
      action:
        "Put the service account in AdminAgents, and give its security group Application Administrator or Cloud Application Administrator " +
        "in an active GDAP relationship with this customer.",
    };
  }
  return null;
}

/** The access problem behind any failure while reading or writing a tenant, or null when it is not one. */
export function accessProblemOf(err: unknown): AccessProblem | null {
  if (err instanceof TokenError) return tokenProblem(err);
  if (err instanceof PartnerCenterError) return partnerCenterProblem(err);
  return null;
}

/**
 * Problems no wait can cure, in any tenant: the service account's refresh token is expired or
 * revoked, or CIPP-SAM's own credential is refused. Replication waits end at once on them.
 */
export function isPermanentCredentialProblem(problem: AccessProblem | null | undefined): boolean {
  return (
    problem !== null &&
    problem !== undefined &&
    ["refresh-token-expired", "refresh-token-revoked", "client-credential-invalid"].includes(problem.kind)
  );
}
