"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// node_modules/@actions/core/lib/command.js
var os = __toESM(require("os"));

// node_modules/@actions/core/lib/utils.js
function toCommandValue(input) {
  if (input === null || input === void 0) {
    return "";
  } else if (typeof input === "string" || input instanceof String) {
    return input;
  }
  return JSON.stringify(input);
}
function toCommandProperties(annotationProperties) {
  if (!Object.keys(annotationProperties).length) {
    return {};
  }
  return {
    title: annotationProperties.title,
    file: annotationProperties.file,
    line: annotationProperties.startLine,
    endLine: annotationProperties.endLine,
    col: annotationProperties.startColumn,
    endColumn: annotationProperties.endColumn
  };
}

// node_modules/@actions/core/lib/command.js
function issueCommand(command, properties, message) {
  const cmd = new Command(command, properties, message);
  process.stdout.write(cmd.toString() + os.EOL);
}
var CMD_STRING = "::";
var Command = class {
  constructor(command, properties, message) {
    if (!command) {
      command = "missing.command";
    }
    this.command = command;
    this.properties = properties;
    this.message = message;
  }
  toString() {
    let cmdStr = CMD_STRING + this.command;
    if (this.properties && Object.keys(this.properties).length > 0) {
      cmdStr += " ";
      let first = true;
      for (const key in this.properties) {
        if (this.properties.hasOwnProperty(key)) {
          const val = this.properties[key];
          if (val) {
            if (first) {
              first = false;
            } else {
              cmdStr += ",";
            }
            cmdStr += `${key}=${escapeProperty(val)}`;
          }
        }
      }
    }
    cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
    return cmdStr;
  }
};
function escapeData(s) {
  return toCommandValue(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s) {
  return toCommandValue(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/:/g, "%3A").replace(/,/g, "%2C");
}

// node_modules/@actions/core/lib/file-command.js
var crypto = __toESM(require("crypto"));
var fs = __toESM(require("fs"));
var os2 = __toESM(require("os"));
function issueFileCommand(command, message) {
  const filePath = process.env[`GITHUB_${command}`];
  if (!filePath) {
    throw new Error(`Unable to find environment variable for file command ${command}`);
  }
  if (!fs.existsSync(filePath)) {
    throw new Error(`Missing file at path: ${filePath}`);
  }
  fs.appendFileSync(filePath, `${toCommandValue(message)}${os2.EOL}`, {
    encoding: "utf8"
  });
}
function prepareKeyValueMessage(key, value) {
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  const convertedValue = toCommandValue(value);
  if (key.includes(delimiter)) {
    throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  }
  if (convertedValue.includes(delimiter)) {
    throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  }
  return `${key}<<${delimiter}${os2.EOL}${convertedValue}${os2.EOL}${delimiter}`;
}

// node_modules/@actions/core/lib/core.js
var os3 = __toESM(require("os"));
var ExitCode;
(function(ExitCode2) {
  ExitCode2[ExitCode2["Success"] = 0] = "Success";
  ExitCode2[ExitCode2["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
function setSecret(secret) {
  issueCommand("add-mask", {}, secret);
}
function getInput(name, options) {
  const val = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "";
  if (options && options.required && !val) {
    throw new Error(`Input required and not supplied: ${name}`);
  }
  if (options && options.trimWhitespace === false) {
    return val;
  }
  return val.trim();
}
function setOutput(name, value) {
  const filePath = process.env["GITHUB_OUTPUT"] || "";
  if (filePath) {
    return issueFileCommand("OUTPUT", prepareKeyValueMessage(name, value));
  }
  process.stdout.write(os3.EOL);
  issueCommand("set-output", { name }, toCommandValue(value));
}
function error(message, properties = {}) {
  issueCommand("error", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function warning(message, properties = {}) {
  issueCommand("warning", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function notice(message, properties = {}) {
  issueCommand("notice", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}

// src/cloud/secrets.ts
var MASK = "***";
var MIN_SECRET_LENGTH = 8;
var SECRET_SHAPES = [
  /(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi,
  /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /((?:client_secret|client_assertion|refresh_token|access_token|id_token|assertion|password)=)[^&\s"']+/gi,
  /("(?:client_secret|client_assertion|refresh_token|access_token|id_token|assertion|password|clientSecret|refreshToken|accessToken)"\s*:\s*")[^"]*/gi
];
var SecretRedactor = class {
  values = /* @__PURE__ */ new Set();
  /** Registers a secret; every later `redact` masks it, raw or encoded. Short or empty values are ignored. */
  register(value) {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    for (const form of encodedForms(value)) this.values.add(form);
  }
  /**
   * Stops holding a registered value that the secret shapes mask whole on their own (a JWT access
   * token, in every encoded form), so that a fleet run does not keep every tenant's tokens until it
   * ends. A value the shapes would not mask whole (an opaque token) stays registered: forgetting it
   * could let it be printed.
   */
  forget(value) {
    const forms = encodedForms(value);
    if (forms.every((form) => maskSecretShapes(form) === MASK)) for (const form of forms) this.values.delete(form);
  }
  /** How many values (encoded forms included) are held, for checks that a fleet run does not pile them up. */
  heldCount() {
    return this.values.size;
  }
  /** The text with every registered secret (also URL-encoded, form-encoded or JSON-escaped) masked. */
  redact(text) {
    let out = text;
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    for (const value of sorted) out = out.split(value).join(MASK);
    return maskSecretShapes(out);
  }
};
function maskSecretShapes(text) {
  let out = text;
  for (const shape of SECRET_SHAPES) {
    out = out.replace(shape, (_match, prefix) => (typeof prefix === "string" ? prefix : "") + MASK);
  }
  return out;
}
function encodedForms(value) {
  const forms = /* @__PURE__ */ new Set([value]);
  forms.add(encodeURIComponent(value));
  forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

// src/report/escape.ts
var UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
var NAMED = { "\n": "\\n", "\r": "\\r", "	": "\\t" };
function visible(char) {
  const named = NAMED[char];
  if (named !== void 0) return named;
  const code = char.charCodeAt(0);
  return code <= 255 ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
function forTerminal(text) {
  return text.replace(UNSAFE, visible);
}
function forActionLog(text) {
  const safe = forTerminal(text);
  return /^\s*(::|##\[)/.test(safe) ? `(log) ${safe}` : safe;
}

// src/action/log-text.ts
function logText(text) {
  return text.split("\n").map(forActionLog).join("\n");
}
function annotationText(annotation) {
  return { title: forActionLog(annotation.title), message: logText(annotation.message) };
}

// src/action/annotate.ts
function annotator(redactor) {
  return (annotation) => {
    const safe = annotationText(annotation);
    const message = redactor.redact(safe.message);
    const properties = {
      ...safe.title !== "" ? { title: redactor.redact(safe.title) } : {},
      ...annotation.file !== void 0 ? { file: annotation.file } : {},
      ...annotation.line !== void 0 ? { startLine: annotation.line } : {}
    };
    if (annotation.level === "error") error(message, properties);
    else if (annotation.level === "warning") warning(message, properties);
    else notice(message, properties);
  };
}
function fail(annotate, message) {
  process.exitCode = ExitCode.Failure;
  if (message !== null) annotate({ level: "error", title: "", message });
}
function messageOf(error2) {
  return error2 instanceof Error ? error2.message : String(error2);
}

// src/action/inputs.ts
var import_node_crypto = require("node:crypto");
var path = __toESM(require("node:path"));

// src/desired/changed-paths.ts
function parseChangedPaths(text) {
  return text.split(/\r?\n/).map((entry) => entry.trim()).filter((entry) => entry !== "");
}

// src/discover/since-time.ts
function parseSinceTime(text) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i.test(text.trim())) return null;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? null : ms;
}

// src/guid/index.ts
var GUID_SOURCE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
var WHOLE = new RegExp(`^${GUID_SOURCE}$`, "i");
var INSIDE = new RegExp(GUID_SOURCE, "i");
var CANONICAL = new RegExp(`^${GUID_SOURCE}$`);
function isGuid(value) {
  return WHOLE.test(value);
}

// src/action/inputs.ts
var SECRET_INPUTS = ["client-secret", "refresh-token", "certificate-key", "secrets-token"];
function secretsToMask(getInput2) {
  const values = /* @__PURE__ */ new Set();
  for (const name of SECRET_INPUTS) {
    const value = getInput2(name).trim();
    if (value === "") continue;
    values.add(value);
    for (const line of value.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed !== "" && trimmed !== value && !/^-----(BEGIN|END) [A-Z ]+-----$/.test(trimmed)) values.add(trimmed);
    }
  }
  return [...values];
}
var InputError = class extends Error {
  constructor(input, reason) {
    super(`Input '${input}': ${reason}`);
    this.input = input;
    this.name = "InputError";
  }
  input;
};
var MODES = ["plan", "refresh", "reset"];
var DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
var MAX_CONCURRENCY = 100;
var PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
function parseInputs(getInput2, env) {
  const read = (name) => getInput2(name).trim();
  const mode = parseMode(read("mode"));
  const tenant = optional(read("tenant"));
  if (tenant !== void 0 && !isGuid(tenant) && !DOMAIN.test(tenant)) {
    throw new InputError("tenant", `'${tenant}' is neither a tenant id (GUID) nor a domain name.`);
  }
  const confirm = optional(read("confirm"));
  if (mode === "reset") {
    if (tenant === void 0) {
      throw new InputError("tenant", "mode 'reset' works on one tenant; name it by id or default domain.");
    }
    if (confirm !== tenant) {
      throw new InputError(
        "confirm",
        `mode 'reset' removes CIPP-SAM from '${tenant}' and adds it again; repeat the tenant exactly in 'confirm' to proceed.`
      );
    }
  } else if (confirm !== void 0) {
    throw new InputError("confirm", `only mode 'reset' takes a confirmation; mode is '${mode}'.`);
  }
  const workspace = env["GITHUB_WORKSPACE"] ?? ".";
  const stacks = read("stacks") || "stacks";
  const changedFiles = parseChangedFiles(read("changed-files"), tenant, workspace);
  const concurrency = parseConcurrency(read("concurrency"));
  const gdapChangedSince = parseGdapChangedSince(read("gdap-changed-since"), mode);
  const sandboxUrl = parseSandboxUrl(read("sandbox-url"));
  const outputDir = env["RUNNER_TEMP"];
  if (!outputDir) {
    throw new InputError("RUNNER_TEMP", "the runner sets this variable; it is where plan-json and result-json are written.");
  }
  return {
    mode,
    stacksDir: path.resolve(workspace, stacks),
    ...tenant !== void 0 ? { tenant } : {},
    ...changedFiles !== void 0 ? { changedFiles } : {},
    ...confirm !== void 0 ? { confirm } : {},
    forceConsent: parseBoolean("force-consent", read("force-consent"), false),
    ...optionalEntry("gdapChangedSince", gdapChangedSince),
    ...concurrency !== void 0 ? { concurrency } : {},
    credential: parseCredential(read, env),
    refreshToken: parseRefreshToken(read("refresh-token")),
    caCertificates: parseCaCertificates(read("ca-certificates")),
    ...sandboxUrl !== void 0 ? { sandboxUrl } : {},
    summary: parseBoolean("summary", read("summary"), true),
    outputDir,
    allowEmpty: parseBoolean("allow-empty", read("allow-empty"), false),
    ...optionalEntry("refreshTokenSecret", parseSecretTarget(read, env))
  };
}
function optionalEntry(key, value) {
  return value === void 0 ? {} : { [key]: value };
}
var SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
function parseSecretTarget(read, env) {
  const name = read("refresh-token-secret");
  const environment = read("refresh-token-secret-environment");
  const token = read("secrets-token");
  if (name === "") {
    if (environment !== "")
      throw new InputError("refresh-token-secret-environment", "is set, but 'refresh-token-secret' (the secret to write) is not.");
    return void 0;
  }
  if (!SECRET_NAME.test(name) || /^GITHUB_/i.test(name)) {
    throw new InputError(
      "refresh-token-secret",
      `'${name}' is not a secret name GitHub accepts (letters, digits and _, not starting with a digit or GITHUB_).`
    );
  }
  if (token === "") {
    throw new InputError(
      "secrets-token",
      `'refresh-token-secret' is set, so a token that may write the ${environment === "" ? "repository" : "environment"} secret is needed (${environment === "" ? '"Secrets: Read and write"' : '"Environments: Read and write"'}); the workflow's GITHUB_TOKEN cannot write secrets.`
    );
  }
  const repository = env["GITHUB_REPOSITORY"];
  if (!repository || !/^[^/\s]+\/[^/\s]+$/.test(repository)) {
    throw new InputError(
      "GITHUB_REPOSITORY",
      "the runner sets this variable (owner/repo); it names the repository whose secret is written."
    );
  }
  const apiUrl = env["GITHUB_API_URL"] || "https://api.github.com";
  try {
    new URL(apiUrl);
  } catch {
    throw new InputError("GITHUB_API_URL", `'${apiUrl}' is not a URL.`);
  }
  return { apiUrl, repository, name, token, ...environment !== "" ? { environment } : {} };
}
function optional(value) {
  return value === "" ? void 0 : value;
}
function parseMode(value) {
  if (value === "") return "plan";
  const mode = MODES.find((m) => m === value);
  if (mode === void 0) throw new InputError("mode", `'${value}' is not one of ${MODES.join(", ")}.`);
  return mode;
}
function parseBoolean(name, value, fallback) {
  if (value === "") return fallback;
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new InputError(name, `'${value}' is not a boolean; use true or false.`);
}
function parseChangedFiles(value, tenant, workspace) {
  if (value === "") return void 0;
  if (tenant !== void 0) {
    throw new InputError(
      "changed-files",
      `choose one: 'tenant' covers '${tenant}' alone, 'changed-files' covers the tenants a change touches; both are set.`
    );
  }
  return parseChangedPaths(value).map((file) => path.resolve(workspace, file));
}
function parseGdapChangedSince(value, mode) {
  if (value === "") return void 0;
  if (mode !== "refresh")
    throw new InputError("gdap-changed-since", `only mode 'refresh' forces a consent for changed GDAP access; mode is '${mode}'.`);
  const ms = parseSinceTime(value);
  if (ms === null) {
    throw new InputError(
      "gdap-changed-since",
      `'${value}' is not an ISO 8601 date and time with its zone (e.g. 2026-01-31T00:00:00Z), or empty.`
    );
  }
  return ms;
}
function parseConcurrency(value) {
  if (value === "") return void 0;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new InputError("concurrency", `'${value}' is not a whole number from 1 to ${MAX_CONCURRENCY}.`);
  }
  return n;
}
function parseSandboxUrl(value) {
  if (value === "") return void 0;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new InputError("sandbox-url", `'${value}' is not a URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InputError("sandbox-url", `'${value}' is not an http(s) URL.`);
  }
  return value;
}
function parseCredential(read, env) {
  const clientSecret = read("client-secret");
  const certificatePem = read("certificate");
  const privateKeyPem = read("certificate-key");
  const useOidc = parseBoolean("use-oidc", read("use-oidc"), false);
  const chosen = [
    clientSecret !== "" ? "client-secret" : null,
    certificatePem !== "" || privateKeyPem !== "" ? "certificate" : null,
    useOidc ? "use-oidc" : null
  ].filter((c) => c !== null);
  if (chosen.length === 0) {
    throw new InputError(
      "client-secret",
      "CIPP-SAM needs a credential: set 'client-secret', or 'certificate' with 'certificate-key', or 'use-oidc: true'."
    );
  }
  if (chosen.length > 1) {
    throw new InputError(chosen[1] ?? "client-secret", `choose one credential; ${chosen.join(" and ")} are both set.`);
  }
  if (clientSecret !== "") return { kind: "secret", clientSecret };
  if (useOidc) {
    if (!env["ACTIONS_ID_TOKEN_REQUEST_URL"] || !env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]) {
      throw new InputError(
        "use-oidc",
        "GitHub offers no ID token to this job; give the job 'permissions: id-token: write' (pull requests from forks never get one)."
      );
    }
    return { kind: "oidc" };
  }
  return parseCertificate(certificatePem, privateKeyPem);
}
function parseCertificate(certificatePem, privateKeyPem) {
  if (certificatePem === "") throw new InputError("certificate", "'certificate-key' is set; give its certificate (PEM) too.");
  if (privateKeyPem === "") throw new InputError("certificate-key", "'certificate' is set; give its private key (PEM) too.");
  let certificate;
  try {
    certificate = new import_node_crypto.X509Certificate(certificatePem);
  } catch (error2) {
    throw new InputError("certificate", `not a PEM certificate (${describe(error2)}).`);
  }
  let key;
  try {
    key = (0, import_node_crypto.createPrivateKey)(privateKeyPem);
  } catch {
    throw new InputError("certificate-key", "not an unencrypted PEM private key.");
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new InputError("certificate-key", `does not belong to the certificate '${certificate.subject}'.`);
  }
  return { kind: "certificate", certificatePem, privateKeyPem };
}
function parseRefreshToken(value) {
  if (value === "") {
    throw new InputError(
      "refresh-token",
      "the CIPP service account's refresh token is required (Partner Center consent and Graph reads are made as that user)."
    );
  }
  if (/\s/.test(value)) throw new InputError("refresh-token", "contains white space; copy the token as one line.");
  return value;
}
function parseCaCertificates(value) {
  if (value === "") return [];
  const blocks = value.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new InputError("ca-certificates", "holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
  for (const [index, block] of blocks.entries()) {
    try {
      new import_node_crypto.X509Certificate(block);
    } catch (error2) {
      throw new InputError("ca-certificates", `certificate ${index + 1} of ${blocks.length} is not valid (${describe(error2)}).`);
    }
  }
  return blocks;
}
function describe(error2) {
  return error2 instanceof Error ? error2.message : String(error2);
}

// src/action/entry.ts
async function run() {
  const getInput2 = (name) => getInput(name);
  const redactor = new SecretRedactor();
  for (const secret of secretsToMask(getInput2)) {
    setSecret(secret);
    redactor.register(secret);
  }
  const annotate = annotator(redactor);
  let inputs;
  try {
    inputs = parseInputs(getInput2, process.env);
  } catch (error2) {
    setOutput("exit-code", "1");
    fail(annotate, error2 instanceof InputError ? error2.message : messageOf(error2));
    return;
  }
  let runChecked;
  try {
    ({ runChecked } = await Promise.resolve().then(() => __toESM(require("./run.js"))));
  } catch (error2) {
    setOutput("exit-code", "1");
    fail(annotate, `cipp-cpv could not run: ${messageOf(error2)}`);
    return;
  }
  await runChecked(inputs, redactor);
}

// src/index.ts
void run();
