/** Token failures as causes a person can act on, without the tenant repeated in every message. */
import { TokenError } from "../../src/cloud/tokens";
import { tokenProblem } from "../../src/live/access";
import { gdapProblem } from "../../src/tenant/gdap";

const TENANT = "2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02";
const failure = (aadsts: number, error: string, description: string): TokenError =>
  new TokenError(aadsts, error, 400, description, TENANT, "graph", "refresh-token");

describe("tokenProblem", () => {
  it.each([
    [65001, "consent-missing"],
    [50020, "no-gdap-relationship"],
    [700082, "refresh-token-expired"],
    [50173, "refresh-token-revoked"],
    [9002313, "refresh-token-revoked"],
    [700007, "refresh-token-revoked"],
    [53003, "conditional-access"],
    [50076, "mfa-required"],
    [7000215, "client-credential-invalid"],
    [90002, "tenant-not-found"],
  ])("AADSTS%i is %s, quoting Microsoft once", (code, kind) => {
    const problem = tokenProblem(failure(code, "invalid_grant", `AADSTS${code}: what Entra ID said.`));
    expect(problem.kind).toBe(kind);
    expect(problem.message).toMatch(
      new RegExp(`^[A-Z].*Microsoft said: AADSTS${code} invalid_grant \\(HTTP 400\\): AADSTS${code}: what Entra ID said\\.$`),
    );
    expect(problem.message).not.toContain(TENANT);
    expect(problem.action.length).toBeGreaterThan(0);
  });

  it("an unknown code is still a problem with Microsoft's words", () => {
    const problem = tokenProblem(failure(12345, "invalid_request", "AADSTS12345: something new."));
    expect(problem).toMatchObject({
      kind: "unknown",
      message: "A token could not be obtained. Microsoft said: AADSTS12345 invalid_request (HTTP 400): AADSTS12345: something new.",
    });
  });
});

describe("gdapProblem", () => {
  it("carries the token failure once, after the GDAP cause", () => {
    const token = tokenProblem(failure(50020, "invalid_grant", "AADSTS50020: User account does not exist in tenant."));
    const problem = gdapProblem(TENANT, { kind: "no-relationship" }, `The token request failed: ${token.message}`);
    expect(problem?.kind).toBe("no-gdap-relationship");
    expect(problem?.message).toBe(
      "The partner has no active GDAP relationship with this customer (it may have expired or been terminated). " +
        "The token request failed: The CIPP service account has no delegated access to this tenant. " +
        "Microsoft said: AADSTS50020 invalid_grant (HTTP 400): AADSTS50020: User account does not exist in tenant.",
    );
  });

  it("is null when a relationship grants a role that can consent", () => {
    expect(gdapProblem(TENANT, { kind: "ok", relationship: "Default", role: "Application Administrator" })).toBeNull();
  });
});
