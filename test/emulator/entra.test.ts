import { X509Certificate, createPublicKey, type JsonWebKey } from "node:crypto";
import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";
import jwt from "jsonwebtoken";
import { generate } from "selfsigned";
import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, DEMO_FEDERATION, demoWorld, startEmulator, type RunningEmulator } from "../../src/emulator";
import { authorityHost, call, msalNetworkClient, trustingAgent } from "../helpers/emulator-client";

const GRAPH = "https://graph.microsoft.com/.default";
const PARTNER_CENTER = "https://api.partnercenter.microsoft.com/.default";

let emu: RunningEmulator;
let agent: Agent;
let certificate: { pem: string; privateKey: string };

beforeAll(async () => {
  const cert = await generate([{ name: "commonName", value: "cipp-sam assertion" }], { keySize: 2048, algorithm: "sha256" });
  certificate = { pem: cert.cert, privateKey: cert.private };
  const spec = demoWorld();
  const withCert = { ...spec, applications: spec.applications.map((a) => ({ ...a, certificates: [{ certificatePem: cert.cert }] })) };
  emu = await startEmulator({ world: withCert });
  agent = trustingAgent(emu.caCertificatePem);
});
afterAll(async () => {
  await emu.stop();
  await agent.close();
});

/** A fresh client per call: msal's throttle cache must not leak between error tests. */
function client(
  tenantId: string,
  auth: Partial<Configuration["auth"]> = { clientSecret: DEMO_CREDENTIALS.clientSecret },
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: DEMO_CREDENTIALS.clientId,
      authority: `${emu.baseUrl}/${tenantId}`,
      knownAuthorities: [authorityHost(emu.baseUrl)],
      ...auth,
    },
    system: { networkClient: msalNetworkClient(agent) },
  });
}

/** An access token's claims; app roles and delegated scopes are the ones these tests take apart. */
interface AccessClaims {
  readonly [claim: string]: unknown;
  readonly roles?: readonly string[];
  readonly scp?: string;
}

/** The token endpoint's answer: a token, or an error with its AADSTS codes. */
interface TokenAnswer {
  readonly access_token?: string;
  readonly error?: string;
  readonly error_codes?: readonly number[];
}

const claimsOf = (token: string): AccessClaims => jwt.decode(token) as AccessClaims;

async function errorOf(
  p: Promise<unknown>,
): Promise<{ errorCode: string; errorNo?: number; subError?: string; status?: number; errorMessage: string }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error("expected the call to fail");
}

/** Posts a token request directly, to see the wire envelope. */
function postToken(tenant: string, form: Record<string, string>) {
  return call<TokenAnswer>(agent, "POST", `${emu.baseUrl}/${tenant}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

describe("client credentials through msal-node", () => {
  it("issues an app-only token with the app roles assigned in that tenant (secret)", async () => {
    const r = await client(DEMO.healthy.tenantId).acquireTokenByClientCredential({ scopes: [GRAPH] });
    const c = claimsOf(r?.accessToken ?? "");
    expect(c).toMatchObject({
      aud: "https://graph.microsoft.com",
      tid: DEMO.healthy.tenantId,
      appid: DEMO.applicationId,
      idtyp: "app",
      iss: `https://sts.windows.net/${DEMO.healthy.tenantId}/`,
    });
    expect(c.roles).toContain("AuditLog.Read.All");
    expect(c.scp).toBeUndefined();
  });

  it("reflects drift: the drifted tenant's token lacks the removed app role", async () => {
    const r = await client(DEMO.drifted.tenantId).acquireTokenByClientCredential({ scopes: [GRAPH] });
    const roles = claimsOf(r?.accessToken ?? "").roles ?? [];
    const healthy = await client(DEMO.healthy.tenantId).acquireTokenByClientCredential({ scopes: [GRAPH] });
    const fullSet = claimsOf(healthy?.accessToken ?? "").roles ?? [];
    expect([...roles].sort()).toEqual(fullSet.filter((role) => role !== "AuditLog.Read.All").sort());
    expect(fullSet).toContain("AuditLog.Read.All");
  });

  it("accepts a certificate assertion (x5t#S256)", async () => {
    const thumbprintSha256 = new X509Certificate(certificate.pem).fingerprint256.replace(/:/g, "");
    const r = await client(DEMO.healthy.tenantId, {
      clientCertificate: { thumbprintSha256, privateKey: certificate.privateKey },
    }).acquireTokenByClientCredential({ scopes: [GRAPH] });
    expect(claimsOf(r?.accessToken ?? "").appid).toBe(DEMO.applicationId);
  });

  it("rejects an assertion signed by an unregistered certificate with AADSTS700027", async () => {
    const other = await generate([{ name: "commonName", value: "stranger" }], { keySize: 2048, algorithm: "sha256" });

    const thumbprintSha256 = new X509Certificate(other.cert).fingerprint256.replace(/:/g, "");
    const e = await errorOf(
      client(DEMO.healthy.tenantId, { clientCertificate: { thumbprintSha256, privateKey: other.private } }).acquireTokenByClientCredential({
        scopes: [GRAPH],
      }),
    );
    expect(e.errorNo).toBe(700027);
  });

  it("accepts a federated GitHub OIDC assertion minted by the control API, fetched per token request", async () => {
    let calls = 0;
    const clientAssertion = async (): Promise<string> => {
      calls += 1;
      const r = await call<{ value: string }>(
        agent,
        "GET",
        `${emu.baseUrl}/_emulator/github-oidc/token?subject=${encodeURIComponent(DEMO_FEDERATION.subject)}&audience=${encodeURIComponent(DEMO_FEDERATION.audience)}`,
      );
      return r.body.value;
    };
    const cca = client(DEMO.healthy.tenantId, { clientAssertion });
    const r = await cca.acquireTokenByClientCredential({ scopes: [GRAPH] });
    await cca.acquireTokenByClientCredential({ scopes: [GRAPH], authority: `${emu.baseUrl}/${DEMO.drifted.tenantId}` });
    expect(claimsOf(r?.accessToken ?? "").tid).toBe(DEMO.healthy.tenantId);
    expect(calls).toBe(2);
  });

  it("matches the federated subject case-sensitively (AADSTS7002138) and reports no match (AADSTS700213)", async () => {
    const mint = async (subject: string): Promise<string> =>
      (
        await call<{ value: string }>(
          agent,
          "POST",
          `${emu.baseUrl}/_emulator/github-oidc/token?audience=${encodeURIComponent(DEMO_FEDERATION.audience)}&subject=${encodeURIComponent(subject)}`,
        )
      ).body.value;
    const caseOnly = await mint(DEMO_FEDERATION.subject.toUpperCase());
    const e1 = await errorOf(
      client(DEMO.healthy.tenantId, { clientAssertion: caseOnly }).acquireTokenByClientCredential({ scopes: [GRAPH] }),
    );
    expect(e1.errorNo).toBe(7002138);
    const other = await mint("repo:someone/else:ref:refs/heads/main");
    const e2 = await errorOf(client(DEMO.healthy.tenantId, { clientAssertion: other }).acquireTokenByClientCredential({ scopes: [GRAPH] }));
    expect(e2.errorNo).toBe(700213);
  });

  it("reports a wrong audience as an audience mismatch (AADSTS700212), not as a subject problem", async () => {
    // Entra checks issuer, audience, then subject (AADSTS700211/700212/700213); with the right subject
    // and a wrong audience the emulator used to answer the subject's case mismatch (AADSTS7002138).
    const assertion = (
      await call<{ value: string }>(
        agent,
        "POST",
        `${emu.baseUrl}/_emulator/github-oidc/token?audience=${encodeURIComponent("api://SomethingElse")}&subject=${encodeURIComponent(DEMO_FEDERATION.subject)}`,
      )
    ).body.value;
    const e = await errorOf(
      client(DEMO.healthy.tenantId, { clientAssertion: assertion }).acquireTokenByClientCredential({ scopes: [GRAPH] }),
    );
    expect([e.errorCode, e.errorNo]).toEqual(["invalid_client", 700212]);
    expect(e.errorMessage).toMatch(/presented assertion audience 'api:\/\/SomethingElse'/);
  });

  it("names the client in appid only: Graph and Partner Center accept v1.0 access tokens, which carry no azp", async () => {
    // "Access token claims reference": appid is v1.0 only, azp v2.0 only.
    const r = await client(DEMO.healthy.tenantId).acquireTokenByClientCredential({ scopes: [GRAPH] });
    const c = claimsOf(r?.accessToken ?? "");
    expect([c.ver, c.appid, "azp" in c]).toEqual(["1.0", DEMO.applicationId, false]);
  });

  it("answers AADSTS700016 in a tenant without the app's service principal", async () => {
    const e = await errorOf(client(DEMO.fresh.tenantId).acquireTokenByClientCredential({ scopes: [GRAPH] }));
    expect(e).toMatchObject({ errorCode: "unauthorized_client", errorNo: 700016 });
  });

  it("answers AADSTS7000215 (401 invalid_client) for a wrong secret", async () => {
    const e = await errorOf(client(DEMO.healthy.tenantId, { clientSecret: "wrong" }).acquireTokenByClientCredential({ scopes: [GRAPH] }));
    expect(e).toMatchObject({ errorCode: "invalid_client", errorNo: 7000215, status: 401 });
  });
});

describe("token endpoint wire format", () => {
  it("uses the AADSTS envelope and accepts a domain as tenant", async () => {
    const r = await postToken(DEMO.healthy.defaultDomain, {
      client_id: "00000000-0000-4000-8000-00000000dead",
      grant_type: "client_credentials",
      scope: GRAPH,
      client_secret: "x",
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
    expect(Object.keys(r.body as object).sort()).toEqual([
      "correlation_id",
      "error",
      "error_codes",
      "error_description",
      "error_uri",
      "timestamp",
      "trace_id",
    ]);
    expect((r.body as { error_description: string }).error_description).toMatch(
      /^AADSTS700016: .*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s,
    );
  });

  it("answers each client and scope error with its documented code", async () => {
    const base = { client_id: DEMO.applicationId, grant_type: "client_credentials" };
    const missing = await postToken(DEMO.healthy.tenantId, { ...base, scope: GRAPH });
    expect([missing.status, missing.body.error_codes]).toEqual([401, [7000218]]);
    const twoResources = await postToken(DEMO.healthy.tenantId, {
      ...base,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      scope: `${GRAPH} ${PARTNER_CENTER}`,
    });
    expect(twoResources.body.error_codes).toEqual([70011]);
    const unknownTenant = await postToken("nowhere.example", { ...base, client_secret: DEMO_CREDENTIALS.clientSecret, scope: GRAPH });
    expect(unknownTenant.body.error_codes).toEqual([90002]);
    const basic = await postToken(DEMO.healthy.tenantId, { grant_type: "client_credentials", scope: GRAPH }).then(() =>
      call(agent, "POST", `${emu.baseUrl}/${DEMO.healthy.tenantId}/oauth2/v2.0/token`, {
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${DEMO.applicationId}:${encodeURIComponent(DEMO_CREDENTIALS.clientSecret)}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope: GRAPH }).toString(),
      }),
    );
    expect(basic.status).toBe(200);
  });

  it("serves discovery documents and keys that verify its tokens", async () => {
    const config = await call(agent, "GET", `${emu.baseUrl}/${DEMO.partner.defaultDomain}/v2.0/.well-known/openid-configuration`);
    expect(config.body).toMatchObject({
      token_endpoint: `${emu.baseUrl}/${DEMO.partner.tenantId}/oauth2/v2.0/token`,
      issuer: `${emu.baseUrl}/${DEMO.partner.tenantId}/v2.0`,
    });
    const keys = await call<{ keys: JsonWebKey[] }>(agent, "GET", `${emu.baseUrl}/${DEMO.partner.tenantId}/discovery/v2.0/keys`);

    const token =
      (
        await postToken(DEMO.healthy.tenantId, {
          client_id: DEMO.applicationId,
          grant_type: "client_credentials",
          scope: GRAPH,
          client_secret: DEMO_CREDENTIALS.clientSecret,
        })
      ).body.access_token ?? "";
    const key = createPublicKey({ key: keys.body.keys[0] ?? {}, format: "jwk" });
    expect((jwt.verify(token, key) as AccessClaims)["tid"]).toBe(DEMO.healthy.tenantId);
    const instance = await call<{ metadata: { aliases: string[] }[] }>(
      agent,
      "GET",
      `${emu.baseUrl}/common/discovery/instance?api-version=1.1`,
    );
    expect(instance.body.metadata[0]?.aliases).toEqual([authorityHost(emu.baseUrl)]);
  });
});

describe("refresh tokens through msal-node", () => {
  const scopesOf = (token: string): string[] => (claimsOf(token).scp ?? "").split(" ");

  it("issues a delegated token with the tenant's consented scopes, mfa, and a rotated refresh token in the cache", async () => {
    const cca = client(DEMO.healthy.tenantId);
    const r = await cca.acquireTokenByRefreshToken({ refreshToken: DEMO_CREDENTIALS.refreshToken, scopes: [GRAPH], forceCache: true });
    const c = claimsOf(r?.accessToken ?? "");
    expect(c).toMatchObject({
      tid: DEMO.healthy.tenantId,
      oid: DEMO.user.id,
      upn: DEMO.user.userPrincipalName,
      idtyp: "user",
      appid: DEMO.applicationId,
    });
    expect(c.amr).toContain("mfa");
    expect(scopesOf(r?.accessToken ?? "")).toContain("Policy.Read.All");
    const cache = JSON.parse(cca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const rotated = Object.values(cache.RefreshToken).map((t) => t.secret);
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe(DEMO_CREDENTIALS.refreshToken);
    // Both the rotated and the old token keep working, as in Entra.
    const again = await client(DEMO.partner.tenantId).acquireTokenByRefreshToken({
      refreshToken: rotated[0] ?? "",
      scopes: [PARTNER_CENTER],
      forceCache: true,
    });
    expect(claimsOf(again?.accessToken ?? "")).toMatchObject({
      aud: "https://api.partnercenter.microsoft.com",
      scp: "user_impersonation",
      tid: DEMO.partner.tenantId,
    });
  });

  it("returns id_token only for openid and client_info only for client_info=1, as msal-node asks", async () => {
    // Microsoft identity platform and OAuth 2.0 authorization code flow, refresh response: id_token
    // "only provided if openid scope was requested"; client_info on client_info=1. msal-node sends
    // both (the test above shows it still caches), so plain form posts get neither.
    const form = {
      client_id: DEMO.applicationId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "refresh_token",
      refresh_token: DEMO_CREDENTIALS.refreshToken,
    };
    const plain = await postToken(DEMO.healthy.tenantId, { ...form, scope: GRAPH });
    expect(plain.status).toBe(200);
    expect(["id_token" in (plain.body as object), "client_info" in (plain.body as object)]).toEqual([false, false]);
    const asked = await postToken(DEMO.healthy.tenantId, { ...form, scope: `${GRAPH} openid profile offline_access`, client_info: "1" });
    expect(Object.keys(asked.body as object)).toEqual(expect.arrayContaining(["id_token", "client_info", "refresh_token"]));
    const delegated = claimsOf(asked.body.access_token ?? "");
    expect([delegated.appid, "azp" in delegated]).toEqual([DEMO.applicationId, false]);
  });

  it("carries only the scopes consented at issue time", async () => {
    const before = await client(DEMO.drifted.tenantId).acquireTokenByRefreshToken({
      refreshToken: DEMO_CREDENTIALS.refreshToken,
      scopes: [GRAPH],
      forceCache: true,
    });
    expect(scopesOf(before?.accessToken ?? "")).not.toContain("Policy.Read.All");
    const tenant = emu.world().tenants.get(DEMO.drifted.tenantId);
    const graphGrant = [...(tenant?.grants.values() ?? [])].find(
      (g) => tenant?.servicePrincipals.get(g.resourceId)?.appId === "00000003-0000-0000-c000-000000000000",
    );
    if (!graphGrant) throw new Error("the drifted tenant has a Graph grant");
    graphGrant.scope += " Policy.Read.All";
    const after = await client(DEMO.drifted.tenantId).acquireTokenByRefreshToken({
      refreshToken: DEMO_CREDENTIALS.refreshToken,
      scopes: [GRAPH],
      forceCache: true,
    });
    expect(scopesOf(after?.accessToken ?? "")).toContain("Policy.Read.All");
    expect(scopesOf(before?.accessToken ?? "")).not.toContain("Policy.Read.All");
  });

  it("refuses tenants out of reach: no consent (65001), no active GDAP (50020), Conditional Access (53003)", async () => {
    const fresh = await errorOf(
      client(DEMO.fresh.tenantId).acquireTokenByRefreshToken({ refreshToken: DEMO_CREDENTIALS.refreshToken, scopes: [GRAPH] }),
    );
    expect(fresh).toMatchObject({ errorCode: "invalid_grant", errorNo: 65001, subError: "consent_required" });
    const noGdap = await errorOf(
      client(DEMO.noGdap.tenantId).acquireTokenByRefreshToken({ refreshToken: DEMO_CREDENTIALS.refreshToken, scopes: [GRAPH] }),
    );
    expect(noGdap.errorNo).toBe(50020);
    const spec = demoWorld();
    const blocked = await startEmulator({
      world: {
        ...spec,
        tenants: spec.tenants.map((t) => (t.tenantId === DEMO.healthy.tenantId ? { ...t, conditionalAccessBlocks: true } : t)),
      },
    });
    try {
      const a = trustingAgent(blocked.caCertificatePem);
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: DEMO.applicationId,
          clientSecret: DEMO_CREDENTIALS.clientSecret,
          authority: `${blocked.baseUrl}/${DEMO.healthy.tenantId}`,
          knownAuthorities: [authorityHost(blocked.baseUrl)],
        },
        system: { networkClient: msalNetworkClient(a) },
      });
      const e = await errorOf(cca.acquireTokenByRefreshToken({ refreshToken: DEMO_CREDENTIALS.refreshToken, scopes: [GRAPH] }));
      expect(e.errorNo).toBe(53003);
      await a.close();
    } finally {
      await blocked.stop();
    }
  });

  it("refuses a token bound to another client (700007), revoked (50173) or expired (700082)", async () => {
    const world = emu.world();
    world.refreshTokens.set("other-client-token", {
      token: "other-client-token",
      userId: DEMO.user.id,
      clientId: "00000000-0000-4000-8000-000000000001",
      status: "valid",
    });
    const wrongClient = await postToken(DEMO.partner.tenantId, {
      client_id: DEMO.applicationId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "refresh_token",
      refresh_token: "other-client-token",
      scope: GRAPH,
    });
    expect(wrongClient.body.error_codes).toEqual([700007]);

    const mine = await postToken(DEMO.partner.tenantId, {
      client_id: DEMO.applicationId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "refresh_token",
      refresh_token: DEMO_CREDENTIALS.refreshToken,
      scope: GRAPH,
    });
    const rotated = (mine.body as { refresh_token: string }).refresh_token;
    const revoke = await call(agent, "POST", `${emu.baseUrl}/_emulator/refresh-tokens/revoke`, { body: { token: rotated } });
    expect(revoke.body).toEqual({ affected: 1 });
    const revoked = await postToken(DEMO.partner.tenantId, {
      client_id: DEMO.applicationId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "refresh_token",
      refresh_token: rotated,
      scope: GRAPH,
    });
    expect(revoked.body.error_codes).toEqual([50173]);

    await call(agent, "POST", `${emu.baseUrl}/_emulator/refresh-tokens/expire`, { body: { token: DEMO_CREDENTIALS.refreshToken } });
    const expired = await errorOf(
      client(DEMO.partner.tenantId).acquireTokenByRefreshToken({ refreshToken: DEMO_CREDENTIALS.refreshToken, scopes: [GRAPH] }),
    );
    expect(expired.errorNo).toBe(700082);
  });
});
