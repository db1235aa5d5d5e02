/**
 * Where the CLI writes: text to stdout, progress and errors to stderr, reports to files. Every
 * line passes through the redactor, so a secret that reached a message never reaches a terminal.
 */
import { accessSync, closeSync, constants, fchmodSync, fsyncSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SecretRedactor } from "../cloud/secrets";
import { forTerminal } from "../report/escape";
import { ConfigurationError } from "./environment";

export interface Output {
  readonly redactor: SecretRedactor;
  /** Standard output. */
  out(text: string): void;
  /** Standard error: progress, warnings, errors. */
  err(text: string): void;
  /** Writes a report file, creating its folder; secrets in it are masked. */
  file(path: string, content: string, mode?: number): void;
  /** Writes a secret to a file only its owner can read: the one place a secret may be written. */
  secretFile(path: string, secret: string): void;
}

export interface Streams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

function write(path: string, content: string, mode: number | undefined): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, mode === undefined ? {} : { mode });
}

/**
 * Writes a secret readable by its owner only. A creation mode applies to new files only, so an
 * existing file (mode 644, say) is narrowed to 600 before a byte of the secret is in it, and the
 * secret is flushed to disk before the run reports it written.
 */
function writeSecret(path: string, secret: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, secret);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function createOutput(streams: Streams = process, redactor = new SecretRedactor()): Output {
  const line = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`);
  return {
    redactor,
    out: (text) => void streams.stdout.write(line(redactor.redact(text))),
    // Errors and progress carry names and Microsoft's messages: each line is escaped for the terminal.
    err: (text) => void streams.stderr.write(line(redactor.redact(text).split("\n").map(forTerminal).join("\n"))),
    file: (path, content, mode) => write(path, redactor.redact(content), mode),
    secretFile: (path, secret) => writeSecret(path, secret),
  };
}

/**
 * Checks, before any request is sent, that a report file named by `flag` can be written: a refresh
 * whose report cannot be saved afterwards has already changed tenants, and its record would be lost.
 * Creates nothing; the folders are made when the report is written.
 */
export function checkWritable(path: string, flag: string): void {
  const target = resolve(path);
  const problem = (reason: string): ConfigurationError =>
    new ConfigurationError(`${flag}: cannot write ${path}: ${reason}; nothing was sent.`);
  const existing = statOrNull(target);
  if (existing?.isDirectory()) throw problem("it is a folder");
  let folder = existing === null ? dirname(target) : target;
  while (statOrNull(folder) === null && dirname(folder) !== folder) folder = dirname(folder);
  if (existing === null && statOrNull(folder)?.isDirectory() !== true) throw problem(`${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw problem(`${folder === target ? "the file" : folder} is not writable (${(error as NodeJS.ErrnoException).code ?? "denied"})`);
  }
}

function statOrNull(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
