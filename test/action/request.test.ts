import { runRequestOf, AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } from "../../src/action/request";
import type { ActionInputs } from "../../src/action/inputs";

const BASE: ActionInputs = {
  mode: "refresh",
  stacksDir: "/w/stacks",
  forceConsent: false,
  credential: { kind: "secret", clientSecret: "s" },
  refreshToken: "rt",
  caCertificates: [],
  summary: true,
  allowEmpty: false,
  outputDir: "/t",
};
const noToken = (): Promise<string> => Promise.reject(new Error("no OIDC token expected"));

test("carries mode, stacks, credential and token; leaves optional fields out", () => {
  const request = runRequestOf(BASE, { getIdToken: noToken });
  expect(request).toEqual({
    mode: "refresh",
    stacksDir: "/w/stacks",
    forceConsent: false,
    credential: { kind: "secret", clientSecret: "s" },
    refreshToken: "rt",
  });
});

test("sandbox-url points every service at the emulator; CA certificates and tenant pass through", () => {
  const request = runRequestOf(
    {
      ...BASE,
      mode: "reset",
      tenant: "a.example.com",
      confirm: "a.example.com",
      concurrency: 3,
      sandboxUrl: "https://127.0.0.1:9/",
      caCertificates: ["PEM"],
    },
    { getIdToken: noToken },
  );
  expect(request.endpoints).toEqual({
    login: "https://127.0.0.1:9",
    graph: "https://127.0.0.1:9",
    graphResource: "https://graph.microsoft.com",
    partnerCenter: "https://127.0.0.1:9",
    partnerCenterResource: "https://api.partnercenter.microsoft.com",
  });
  expect(request.caCertificates).toEqual(["PEM"]);
  expect([request.tenant, request.confirm, request.concurrency]).toEqual(["a.example.com", "a.example.com", 3]);
});

test("OIDC: every assertion is a fresh token for Entra ID's token-exchange audience", async () => {
  const audiences: string[] = [];
  const request = runRequestOf(
    { ...BASE, credential: { kind: "oidc" } },
    { getIdToken: (audience) => Promise.resolve(`token-${audiences.push(audience)}`) },
  );
  if (request.credential.kind !== "assertion") throw new Error(`credential is ${request.credential.kind}`);
  expect(await request.credential.getAssertion()).toBe("token-1");
  expect(await request.credential.getAssertion()).toBe("token-2");
  expect(audiences).toEqual([AZURE_AD_TOKEN_EXCHANGE_AUDIENCE, AZURE_AD_TOKEN_EXCHANGE_AUDIENCE]);
  expect(AZURE_AD_TOKEN_EXCHANGE_AUDIENCE).toBe("api://AzureADTokenExchange");
});

test("certificate credential keeps both PEMs", () => {
  const request = runRequestOf(
    { ...BASE, credential: { kind: "certificate", certificatePem: "C", privateKeyPem: "K" } },
    { getIdToken: noToken },
  );
  expect(request.credential).toEqual({ kind: "certificate", certificatePem: "C", privateKeyPem: "K" });
});
