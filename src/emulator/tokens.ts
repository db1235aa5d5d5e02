/**
 * The emulator's signing keys and the tokens it signs: Entra-style access and id tokens, and
 * GitHub-Actions-style OIDC tokens from a built-in test issuer. Keys are generated at start and
 * never leave the process except as public JWKs.
 */
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import type { AccessTokenClaims, Clock, IdGenerator, TokenCheck, TokenVerifier } from "./context";

/** The issuer the emulator's own GitHub-Actions-style OIDC tokens carry; trusted by default. */
export const BUILT_IN_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/** An RSA key pair with a key id, as an identity provider publishes it. */
export class SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor() {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.kid = createHash("sha256")
      .update(pair.publicKey.export({ format: "der", type: "spki" }))
      .digest("base64url")
      .slice(0, 27);
  }

  /** The public key as a JWK for a `keys` document. */
  jwk(): Record<string, unknown> {
    return { kty: "RSA", use: "sig", kid: this.kid, ...this.publicKey.export({ format: "jwk" }) };
  }

  publicKeyPem(): string {
    return this.publicKey.export({ format: "pem", type: "spki" }).toString();
  }

  sign(payload: Record<string, unknown>): string {
    return jwt.sign(payload, this.privateKey, { algorithm: "RS256", keyid: this.kid, header: { alg: "RS256", typ: "JWT" } });
  }
}

/** Signs Entra-style tokens on the virtual clock and verifies the access tokens it signed. */
export class TokenService implements TokenVerifier {
  readonly key = new SigningKey();

  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /** Signs an access token; `iat`, `nbf` and `exp` come from the virtual clock. */
  issueAccessToken(
    claims: Omit<AccessTokenClaims, "iat" | "nbf" | "exp" | "iss">,
    lifetimeSeconds: number,
  ): { token: string; claims: AccessTokenClaims } {
    const iat = Math.floor(this.clock.now() / 1000);
    const full: AccessTokenClaims = {
      ...claims,
      iss: `https://sts.windows.net/${claims.tid}/`,
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
    };
    const token = this.key.sign({ ...full, ver: "1.0", uti: this.ids.randomBytes(16).toString("base64url") });
    return { token, claims: full };
  }

  /** Signs an id token (v2.0) for a user. */
  issueIdToken(
    claims: { aud: string; issuer: string; tid: string; oid: string; upn: string; name: string },
    lifetimeSeconds: number,
  ): string {
    const iat = Math.floor(this.clock.now() / 1000);
    return this.key.sign({
      aud: claims.aud,
      iss: claims.issuer,
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
      name: claims.name,
      oid: claims.oid,
      preferred_username: claims.upn,
      sub: createHash("sha256").update(`${claims.oid}:${claims.aud}`).digest("base64url").slice(0, 43),
      tid: claims.tid,
      ver: "2.0",
    });
  }

  verify(authorizationHeader: string | undefined): TokenCheck {
    if (!authorizationHeader) return { ok: false, reason: "missing" };
    const match = /^Bearer\s+(\S+)$/i.exec(authorizationHeader.trim());
    if (!match?.[1]) return { ok: false, reason: "malformed" };
    try {
      const payload = jwt.verify(match[1], this.key.publicKey, {
        algorithms: ["RS256"],
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      });
      if (typeof payload === "string" || typeof payload.tid !== "string" || typeof payload.appid !== "string") {
        return { ok: false, reason: "malformed" };
      }
      return { ok: true, claims: payload as unknown as AccessTokenClaims };
    } catch (e) {
      if (e instanceof jwt.TokenExpiredError) return { ok: false, reason: "expired" };
      if (e instanceof jwt.JsonWebTokenError && /signature|algorithm/i.test(e.message)) return { ok: false, reason: "signature" };
      return { ok: false, reason: "malformed" };
    }
  }
}

/** A GitHub-Actions-style OIDC issuer whose tokens the emulator's token endpoint trusts. */
export class OidcTestIssuer {
  readonly key = new SigningKey();

  constructor(
    private readonly clock: Clock,
    readonly issuer: string = BUILT_IN_OIDC_ISSUER,
  ) {}

  /** Mints an ID token like the Actions runner's ACTIONS_ID_TOKEN_REQUEST_URL answers with. */
  mint(audience: string, subject: string, lifetimeSeconds = 300): string {
    const iat = Math.floor(this.clock.now() / 1000);
    const repository = /^repo:([^:]+)/.exec(subject)?.[1];
    return this.key.sign({
      iss: this.issuer,
      aud: audience,
      sub: subject,
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
      ...(repository ? { repository, repository_owner: repository.split("/")[0] } : {}),
      runner_environment: "github-hosted",
    });
  }
}
