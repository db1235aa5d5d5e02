/**
 * Keeps secrets out of everything this project prints: error messages, logs, reports.
 * Values are registered as they become known (client secret, refresh tokens as they rotate,
 * access tokens, assertions); well-known secret shapes are masked even when never registered.
 */

const MASK = "***";

/** Values shorter than this are not registered: masking them would garble ordinary text. */
const MIN_SECRET_LENGTH = 8;

/**
 * Shapes that are secrets wherever they appear: bearer credentials, JWTs, and the secret-bearing
 * fields of an OAuth form or JSON body. They catch values this process never saw (a token echoed
 * back by a server, a header copied into a message).
 */
const SECRET_SHAPES: readonly RegExp[] = [
  /(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi,
  /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /((?:client_secret|client_assertion|refresh_token|access_token|id_token|assertion|password)=)[^&\s"']+/gi,
  /("(?:client_secret|client_assertion|refresh_token|access_token|id_token|assertion|password|clientSecret|refreshToken|accessToken)"\s*:\s*")[^"]*/gi,
];

/** Masks registered secret values, and well-known secret shapes, in text. */
export class SecretRedactor {
  private readonly values = new Set<string>();

  /** Registers a secret; every later `redact` masks it, raw or encoded. Short or empty values are ignored. */
  register(value: string | null | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    for (const form of encodedForms(value)) this.values.add(form);
  }

  /**
   * Stops holding a registered value that the secret shapes mask whole on their own (a JWT access
   * token, in every encoded form), so that a fleet run does not keep every tenant's tokens until it
   * ends. A value the shapes would not mask whole (an opaque token) stays registered: forgetting it
   * could let it be printed.
   */
  forget(value: string): void {
    const forms = encodedForms(value);
    if (forms.every((form) => maskSecretShapes(form) === MASK)) for (const form of forms) this.values.delete(form);
  }

  /** How many values (encoded forms included) are held, for checks that a fleet run does not pile them up. */
  heldCount(): number {
    return this.values.size;
  }

  /** The text with every registered secret (also URL-encoded, form-encoded or JSON-escaped) masked. */
  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another is masked whole.
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    for (const value of sorted) out = out.split(value).join(MASK);
    return maskSecretShapes(out);
  }
}

/**
 * The text with every well-known secret shape masked: the part of redaction that needs no
 * registered value, so pure code (the report renderers) can apply it without holding the run's redactor.
 */
export function maskSecretShapes(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) {
    out = out.replace(shape, (_match, prefix: unknown) => (typeof prefix === "string" ? prefix : "") + MASK);
  }
  return out;
}

/** The ways a value can appear once it went through a URL, a form body or a JSON string. */
function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(encodeURIComponent(value));
  forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}
