/**
 * Where the CLI writes: text to stdout, progress and errors to stderr, reports to files. Every
 * line passes through the redactor, so a secret that reached a message never reaches a terminal.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SecretRedactor } from "../cloud/secrets";

export interface Output {
  readonly redactor: SecretRedactor;
  /** Standard output. */
  out(text: string): void;
  /** Standard error: progress, warnings, errors. */
  err(text: string): void;
  /** Writes a report file, creating its folder. */
  file(path: string, content: string, mode?: number): void;
}

export interface Streams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export function createOutput(streams: Streams = process, redactor = new SecretRedactor()): Output {
  const line = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`);
  return {
    redactor,
    out: (text) => void streams.stdout.write(line(redactor.redact(text))),
    err: (text) => void streams.stderr.write(line(redactor.redact(text))),
    file: (path, content, mode) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, redactor.redact(content), mode === undefined ? {} : { mode });
    },
  };
}
