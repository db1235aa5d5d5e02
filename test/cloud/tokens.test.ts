import { generate } from "selfsigned";
import { request } from "undici";
import { CredentialRefusedError, TokenError } from "../../src/cloud/tokens";
import { createDispatcher } from "../../src/cloud/http";
import { PartnerCenterError } from "../../src/cloud/partner-center";
import { accessProblemOf, tokenProblem } from "../../src/live/access";
import { DEMO, DEMO_CREDENTIALS, demoWorld } from "../../src/emulator";
import { startSandbox, type Sandbox } from "../live/sandbox";

const SECRETS = [DEMO_CREDENTIALS.clientSecret, DEMO_CREDENTIALS.refreshToken];

async function tokenFailure(promise: Promise<unknown>): Promise<TokenError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenError);
  const tokenError = err as TokenError;
  for (const secret of SECRETS) expect(tokenError.message).not.toContain(secret);
  return tokenError;
}

describe("TokenProvider against the emulator", () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => {
    await sandbox.stop();
  });

  it("drops a finished tenant's tokens, keeping the partner's that every tenant uses", async () => {
    const { tokens, redactor } = sandbox.clients();
    const healthy = await tokens.delegated(DEMO.healthy.tenantId, "graph");
    const healthyAppOnly = await tokens.appOnly(DEMO.healthy.tenantId);
    await tokens.delegated(DEMO.drifted.tenantId, "graph");
    await tokens.delegated(DEMO.partner.tenantId, "partnerCenter");
    await tokens.delegated(DEMO.partner.tenantId, "graph");
    expect(tokens.cachedCount()).toBe(5);
    const held = redactor.heldCount();

    tokens.release(DEMO.healthy.tenantId);
    tokens.release(DEMO.partner.tenantId);
    expect(tokens.cachedCount()).toBe(3);
    // The redactor lets go of them too (a fleet's tokens would pile up there), and still masks them by their shape.
    expect(redactor.heldCount()).toBe(held - 2);
    for (const token of [healthy.token, healthyAppOnly.token]) {
      expect(redactor.redact(`sent ${token} and Authorization: Bearer ${token}`)).toBe("sent *** and Authorization: Bearer ***");
    }
    tokens.release(DEMO.drifted.tenantId);
    expect(tokens.cachedCount()).toBe(2);
    expect(redactor.heldCount()).toBe(held - 3);
    // The partner's tokens are still served from the cache; a released tenant's is asked for again.
    const sent = tokens.requestCount;
    await tokens.delegated(DEMO.partner.tenantId, "partnerCenter");
    expect(tokens.requestCount).toBe(sent);
    await tokens.delegated(DEMO.healthy.tenantId, "graph");
    expect(tokens.requestCount).toBe(sent + 1);
  });

  it("caches per tenant and resource; fresh and invalidate go back to Entra ID", async () => {
    const { tokens } = sandbox.clients();
    const before = await sandbox.counts();
    const a1 = await tokens.delegated(DEMO.healthy.tenantId, "graph");
    const a2 = await tokens.delegated(DEMO.healthy.tenantId, "graph");
    expect(a2.token).toBe(a1.token);
    expect(tokens.requestCount).toBe(1);

    const b = await tokens.delegated(DEMO.drifted.tenantId, "graph");
    expect(b.token).not.toBe(a1.token);
    expect(tokens.requestCount).toBe(2);

    const pc = await tokens.delegated(DEMO.partner.tenantId, "partnerCenter");
    expect(pc.tenantId).toBe(DEMO.partner.tenantId);
    expect(tokens.requestCount).toBe(3);

    const fresh = await tokens.delegated(DEMO.healthy.tenantId, "graph", { fresh: true });
    expect(fresh.token).not.toBe(a1.token);
    expect(tokens.requestCount).toBe(4);

    tokens.invalidate(DEMO.healthy.tenantId);
    await tokens.delegated(DEMO.healthy.tenantId, "graph");
    await tokens.delegated(DEMO.drifted.tenantId, "graph");
    expect(tokens.requestCount).toBe(5);

    const after = await sandbox.counts();
    expect((after.login ?? 0) - (before.login ?? 0)).toBe(5);
  });

  it("shares one token request between concurrent callers", async () => {
    const { tokens } = sandbox.clients();
    const results = await Promise.all([1, 2, 3, 4].map(() => tokens.delegated(DEMO.healthy.tenantId, "graph")));
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(tokens.requestCount).toBe(1);
  });

  it("a fresh request or an invalidation does not reuse a token request already under way", async () => {
    const { tokens } = sandbox.clients();
    const early = tokens.delegated(DEMO.healthy.tenantId, "graph");
    const fresh = tokens.delegated(DEMO.healthy.tenantId, "graph", { fresh: true });
    const [earlyToken, freshToken] = await Promise.all([early, fresh]);
    expect(tokens.requestCount).toBe(2);
    expect(freshToken.token).not.toBe(earlyToken.token);
    // The answer to the earlier request must not overwrite the fresh one in the cache.
    expect((await tokens.delegated(DEMO.healthy.tenantId, "graph")).token).toBe(freshToken.token);

    const before = tokens.delegated(DEMO.drifted.tenantId, "graph");
    tokens.invalidate(DEMO.drifted.tenantId);
    const after = tokens.delegated(DEMO.drifted.tenantId, "graph");
    const [beforeToken, afterToken] = await Promise.all([before, after]);
    expect(tokens.requestCount).toBe(4);
    expect(afterToken.token).not.toBe(beforeToken.token);
    expect((await tokens.delegated(DEMO.drifted.tenantId, "graph")).token).toBe(afterToken.token);
    expect(tokens.requestCount).toBe(4);
  });

  it("captures the rotated refresh token, which keeps working", async () => {
    const { tokens } = sandbox.clients();
    expect(tokens.currentRefreshToken()).toBe(DEMO_CREDENTIALS.refreshToken);
    await tokens.delegated(DEMO.healthy.tenantId, "graph");
    const rotated = tokens.currentRefreshToken();
    expect(rotated).not.toBe(DEMO_CREDENTIALS.refreshToken);
    expect(rotated.length).toBeGreaterThan(20);

    const next = sandbox.clients({ refreshToken: rotated });
    await expect(next.tokens.delegated(DEMO.drifted.tenantId, "graph")).resolves.toMatchObject({ tenantId: DEMO.drifted.tenantId });
    // The rotated token is a secret too.
    expect(next.redactor.redact(`value ${rotated}`)).toBe("value ***");
  });

  it("issues app-only tokens with a client secret and with a federated assertion", async () => {
    const secretToken = await sandbox.clients().tokens.appOnly(DEMO.healthy.tenantId);
    expect(secretToken.token.length).toBeGreaterThan(20);

    const assertion = sandbox.clients({
      credentials: {
        kind: "assertion",
        getAssertion: () => fetchOidc(sandbox),
      },
    });
    await expect(assertion.tokens.appOnly(DEMO.healthy.tenantId)).resolves.toMatchObject({ tenantId: DEMO.healthy.tenantId });
  });

  it("maps a revoked refresh token to refresh-token-revoked", async () => {
    expect(await sandbox.control("POST", "/refresh-tokens/revoke", {})).toBe(200);
    const err = await tokenFailure(sandbox.clients().tokens.delegated(DEMO.healthy.tenantId, "graph"));
    expect(err.aadsts).toBe(50173);
    expect(err.error).toBe("invalid_grant");
    expect(err.status).toBe(400);
    const problem = tokenProblem(err);
    expect(problem.kind).toBe("refresh-token-revoked");
    expect(problem.message).toContain("AADSTS50173");
    expect(problem.action).toMatch(/Sign the CIPP service account in again/);
  });

  it("maps an expired refresh token to refresh-token-expired", async () => {
    expect(await sandbox.control("POST", "/refresh-tokens/expire", {})).toBe(200);
    const err = await tokenFailure(sandbox.clients().tokens.delegated(DEMO.healthy.tenantId, "graph"));
    expect(tokenProblem(err).kind).toBe("refresh-token-expired");
    expect(err.aadsts).toBe(700082);
  });

  it("maps a Conditional Access block to conditional-access", async () => {
    const world = demoWorld();
    sandbox.emulator.loadWorld({
      ...world,
      tenants: world.tenants.map((t) => (t.tenantId === DEMO.healthy.tenantId ? { ...t, conditionalAccessBlocks: true } : t)),
    });
    const err = await tokenFailure(sandbox.clients().tokens.delegated(DEMO.healthy.tenantId, "graph"));
    expect(tokenProblem(err).kind).toBe("conditional-access");
    expect(err.aadsts).toBe(53003);
  });

  it("maps a wrong client secret to client-credential-invalid without showing either secret", async () => {
    const wrong = "definitely-the-wrong-client-secret-value";
    const clients = sandbox.clients({ credentials: { kind: "secret", clientSecret: wrong } });
    const err = await tokenFailure(clients.tokens.delegated(DEMO.healthy.tenantId, "graph"));
    expect(err.message).not.toContain(wrong);
    expect(err.aadsts).toBe(7000215);
    const problem = tokenProblem(err);
    expect(problem.kind).toBe("client-credential-invalid");
    expect(problem.message).not.toContain(wrong);
    // The same provider sends nothing more once a credential every tenant shares was refused.
    const sent = clients.tokens.requestCount;
    const again = await clients.tokens.appOnly(DEMO.drifted.tenantId).then(
      () => null,
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(CredentialRefusedError);
    expect((again as CredentialRefusedError).refusal).toBe(err);
    expect(clients.tokens.requestCount).toBe(sent);
    expect(clients.tokens.credentialRefusal()).toBe(err);
    // A provider of its own asks again, app-only, and is refused the same way.
    const fresh = sandbox.clients({ credentials: { kind: "secret", clientSecret: wrong } });
    const appOnly = await tokenFailure(fresh.tokens.appOnly(DEMO.healthy.tenantId));
    expect(appOnly.flow).toBe("client-credentials");
    expect(tokenProblem(appOnly).kind).toBe("client-credential-invalid");
  });

  it("sends the first sign-ins one at a time: ten tenants, a wrong secret, one request", async () => {
    const clients = sandbox.clients({ credentials: { kind: "secret", clientSecret: "wrong-secret-value" } });
    const tenants = [DEMO.healthy, DEMO.drifted, DEMO.fresh, DEMO.unlicensed, DEMO.noGdap].map((t) => t.tenantId);
    const outcomes = await Promise.all(
      tenants.map((tenant) =>
        clients.tokens.appOnly(tenant).then(
          () => null,
          (e: unknown) => e,
        ),
      ),
    );
    expect(clients.tokens.requestCount).toBe(1);
    expect(outcomes.filter((e) => e instanceof TokenError)).toHaveLength(1);
    expect(outcomes.filter((e) => e instanceof CredentialRefusedError)).toHaveLength(tenants.length - 1);
  });

  it("a refusal that is one tenant's own (no GDAP access) holds back no other tenant", async () => {
    const clients = sandbox.clients();
    const [noGdap, healthy] = await Promise.all([
      clients.tokens.delegated(DEMO.noGdap.tenantId, "graph").then(
        () => null,
        (e: unknown) => e,
      ),
      clients.tokens.delegated(DEMO.healthy.tenantId, "graph"),
    ]);
    expect(noGdap).toBeInstanceOf(TokenError);
    expect(healthy.token.length).toBeGreaterThan(10);
    expect(clients.tokens.credentialRefusal()).toBeNull();
  });

  it("signs assertions with a registered certificate, and maps an unknown one to client-credential-invalid", async () => {
    const known = await generate([{ name: "commonName", value: "cipp-sam" }], { keySize: 2048, algorithm: "sha256" });
    const unknown = await generate([{ name: "commonName", value: "someone-else" }], { keySize: 2048, algorithm: "sha256" });
    const world = demoWorld();
    sandbox.emulator.loadWorld({
      ...world,
      applications: world.applications.map((a) => ({ ...a, certificates: [{ certificatePem: known.cert }] })),
    });
    // msal-node rounds the assertion's nbf to the nearest second, so it can lie up to half a
    // second ahead; Entra ID tolerates clock skew, the emulator is strict. Two seconds of skew.
    expect(await sandbox.control("POST", "/clock", { advanceMs: 2_000 })).toBe(200);
    const good = sandbox.clients({ credentials: { kind: "certificate", privateKeyPem: known.private, certificatePem: known.cert } });
    await expect(good.tokens.appOnly(DEMO.healthy.tenantId)).resolves.toMatchObject({ tenantId: DEMO.healthy.tenantId });

    const bad = sandbox.clients({ credentials: { kind: "certificate", privateKeyPem: unknown.private, certificatePem: unknown.cert } });
    const err = await tokenFailure(bad.tokens.appOnly(DEMO.healthy.tenantId));
    expect(err.aadsts).toBe(700027);
    expect(tokenProblem(err).kind).toBe("client-credential-invalid");
    expect(err.message).not.toContain(unknown.private.slice(40, 80));
  });

  it("maps an unknown tenant to tenant-not-found and a never-consented one to consent-missing", async () => {
    const { tokens } = sandbox.clients();
    const unknown = await tokenFailure(tokens.delegated("99999999-9999-4999-8999-999999999999", "graph"));
    expect(tokenProblem(unknown).kind).toBe("tenant-not-found");
    const fresh = await tokenFailure(tokens.delegated(DEMO.fresh.tenantId, "graph"));
    expect(fresh.aadsts).toBe(65001);
    expect(tokenProblem(fresh).kind).toBe("consent-missing");
  });

  it("maps Partner Center's MFA refusal to mfa-required", async () => {
    const world = demoWorld();
    sandbox.emulator.loadWorld({ ...world, users: world.users.map((u) => ({ ...u, mfa: false })) });
    const clients = sandbox.clients();
    const err = await clients.partnerCenter
      .addConsent(DEMO.fresh.tenantId, {
        applicationId: DEMO.applicationId,
        grants: [{ resourceAppId: "00000003-0000-0000-c000-000000000000", scopes: ["Directory.ReadWrite.All"] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerCenterError);
    expect((err as PartnerCenterError).problem).toBe("mfa-required");
    expect(accessProblemOf(err)?.kind).toBe("mfa-required");
    for (const secret of SECRETS) expect((err as Error).message).not.toContain(secret);
  });

  it("survives a throttled token endpoint by honouring Retry-After, and later requests are not poisoned", async () => {
    sandbox.emulator.setFaults({ rules: [{ kind: "throttle", service: "login", count: 1, retryAfterSeconds: 0.5 }] });
    const { tokens } = sandbox.clients();
    await expect(tokens.delegated(DEMO.healthy.tenantId, "graph")).resolves.toMatchObject({ tenantId: DEMO.healthy.tenantId });
    expect(sandbox.waits).toEqual([500]);
    expect(tokens.requestCount).toBe(2);
    await tokens.delegated(DEMO.healthy.tenantId, "graph", { fresh: true });
    expect(tokens.requestCount).toBe(3);
  });

  it("refuses the emulator's certificate unless its CA is trusted, and says how to fix it", async () => {
    const clients = sandbox.clients({ caCertificates: [] });
    const err = await tokenFailure(clients.tokens.delegated(DEMO.healthy.tenantId, "graph"));
    expect(err.error).toBe("network_error");
    expect(err.description).toMatch(/trust its CA certificate \(the CLI.s --ca-file/);
    expect(sandbox.waits).toEqual([]);
  });

  it("recovers from a dropped connection on Graph", async () => {
    sandbox.emulator.setFaults({ rules: [{ kind: "drop", service: "graph", count: 1 }] });
    const clients = sandbox.clients();
    const graph = clients.graph(DEMO.healthy.tenantId);
    const sp = await graph.get<{ id: string }>(`/servicePrincipals(appId='${DEMO.applicationId}')?$select=id`);
    expect(sp.id).toBeTruthy();
    expect(graph.requestCount).toBe(2);
  });

  it("gives up on a stalled Graph request after the timeout, then succeeds on retry", async () => {
    sandbox.emulator.setFaults({ rules: [{ kind: "stall", service: "graph", count: 1 }] });
    const clients = sandbox.clients({ timeoutMs: 500 });
    const graph = clients.graph(DEMO.healthy.tenantId);
    const sp = await graph.get<{ id: string }>(`/servicePrincipals(appId='${DEMO.applicationId}')?$select=id`);
    expect(sp.id).toBeTruthy();
    expect(graph.requestCount).toBe(2);
  });

  it("retries throttled $batch items from the emulator in a new batch", async () => {
    sandbox.emulator.setFaults({ rules: [{ kind: "throttle", service: "graph", scope: "inner", count: 2, retryAfterSeconds: 1.25 }] });
    const graph = sandbox.clients().graph(DEMO.healthy.tenantId);
    const responses = await graph.batch([
      { id: "1", method: "GET", url: `/servicePrincipals(appId='${DEMO.applicationId}')?$select=id` },
      { id: "2", method: "GET", url: "/subscribedSkus" },
      { id: "3", method: "GET", url: `/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'&$select=id` },
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sandbox.waits).toEqual([1250]);
    expect(graph.requestCount).toBe(2);
  });
});

async function fetchOidc(sandbox: Sandbox): Promise<string> {
  const dispatcher = createDispatcher({ caCertificates: [sandbox.emulator.caCertificatePem] });
  try {
    const res = await request(`${sandbox.emulator.baseUrl}/_emulator/github-oidc/token?audience=api://AzureADTokenExchange`, {
      dispatcher,
    });
    return ((await res.body.json()) as { value: string }).value;
  } finally {
    await dispatcher.close();
  }
}
