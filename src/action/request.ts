/**
 * Turns the Action's validated inputs into the engine's request. The only GitHub-specific piece,
 * the OIDC token, comes in as a function so that this module stays free of @actions/core.
 */
import { sandboxEndpoints } from "../cloud/endpoints";
import type { AppCredential, Progress, RunRequest } from "../run/run-request";
import type { ActionInputs } from "./inputs";

/** The audience Entra ID expects in a federated assertion (workload identity federation). */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface RequestHooks {
  /** Fetches a GitHub OIDC token for `audience`; called for every token request, so never stale. */
  readonly getIdToken: (audience: string) => Promise<string>;
  readonly onProgress?: (progress: Progress) => void;
}

/** The engine request for these inputs. */
export function runRequestOf(inputs: ActionInputs, hooks: RequestHooks): RunRequest {
  return {
    mode: inputs.mode,
    stacksDir: inputs.stacksDir,
    ...(inputs.tenant !== undefined ? { tenant: inputs.tenant } : {}),
    ...(inputs.changedFiles !== undefined ? { changedFiles: inputs.changedFiles } : {}),
    ...(inputs.confirm !== undefined ? { confirm: inputs.confirm } : {}),
    forceConsent: inputs.forceConsent,
    ...(inputs.allowEmpty ? { allowEmpty: true } : {}),
    ...(inputs.concurrency !== undefined ? { concurrency: inputs.concurrency } : {}),
    ...(inputs.sandboxUrl !== undefined ? { endpoints: sandboxEndpoints(inputs.sandboxUrl) } : {}),
    ...(inputs.caCertificates.length > 0 ? { caCertificates: inputs.caCertificates } : {}),
    credential: credentialOf(inputs, hooks),
    refreshToken: inputs.refreshToken,
    ...(hooks.onProgress !== undefined ? { onProgress: hooks.onProgress } : {}),
  };
}

function credentialOf(inputs: ActionInputs, hooks: RequestHooks): AppCredential {
  const credential = inputs.credential;
  switch (credential.kind) {
    case "secret":
      return { kind: "secret", clientSecret: credential.clientSecret };
    case "certificate":
      return { kind: "certificate", certificatePem: credential.certificatePem, privateKeyPem: credential.privateKeyPem };
    case "oidc":
      return { kind: "assertion", getAssertion: () => hooks.getIdToken(AZURE_AD_TOKEN_EXCHANGE_AUDIENCE) };
  }
}
