import { SecretRedactor } from "../../src/cloud/secrets";

describe("SecretRedactor", () => {
  const secret = "Qx8~abc.DEF_ghi+jkl/mno=pq r&s";

  it("masks a registered value raw, URL-encoded, form-encoded and JSON-escaped", () => {
    const r = new SecretRedactor();
    r.register(secret);
    const texts = [
      `secret is ${secret}!`,
      `client_id=x&other=${encodeURIComponent(secret)}`,
      `a=${new URLSearchParams({ v: secret }).toString().slice(2)}`,
      JSON.stringify({ value: secret, note: 'quote " inside' }),
    ];
    for (const text of texts) {
      const out = r.redact(text);
      expect(out).toContain("***");
      expect(out).not.toContain(secret);
      expect(out).not.toContain(encodeURIComponent(secret));
    }
  });

  it("masks secret shapes it never saw: bearer headers, JWTs, OAuth form fields", () => {
    const r = new SecretRedactor();
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJl";
    expect(r.redact(`Authorization: Bearer abc.def-ghi`)).toBe("Authorization: Bearer ***");
    expect(r.redact(`token ${jwt} end`)).toBe("token *** end");
    expect(r.redact("grant_type=refresh_token&refresh_token=0.AXk-secret&client_secret=s3cr3t")).toBe(
      "grant_type=refresh_token&refresh_token=***&client_secret=***",
    );
    expect(r.redact('{"refresh_token":"0.AXk-secret","x":1}')).toBe('{"refresh_token":"***","x":1}');
  });

  it("forgets a value the JWT shape masks on its own, and keeps masking it; an opaque value stays registered", () => {
    const r = new SecretRedactor();
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXNlY3JldA";
    r.register(jwt);
    r.register(secret);
    const held = r.heldCount();
    r.forget(jwt);
    expect(r.heldCount()).toBeLessThan(held);
    r.forget(secret);
    expect(r.heldCount()).toBe(held - 1);
    for (const text of [`token ${jwt} end`, `a=${encodeURIComponent(jwt)}`, JSON.stringify({ t: jwt }), `x ${secret} y`]) {
      const out = r.redact(text);
      expect(out).not.toContain(jwt);
      expect(out).not.toContain("c2lnbmF0dXJlLXNlY3JldA");
      expect(out).not.toContain(secret);
    }
  });

  it("ignores short values so ordinary text stays readable", () => {
    const r = new SecretRedactor();
    r.register("abc");
    r.register("");
    r.register(undefined);
    expect(r.redact("abc def")).toBe("abc def");
  });
});
