/**
 * Annotations and failing the step: what both halves of the Action (the input checks in entry.ts
 * and the run in main.ts) report through.
 */
import * as core from "@actions/core";
import type { SecretRedactor } from "../cloud/secrets";
import { annotationText } from "./log-text";
import type { Annotation } from "./outcome";

export type Annotate = (annotation: Annotation) => void;

/**
 * The one place annotations are written: every message and title is escaped for the log (text from
 * outside, such as Microsoft's messages and declaration values, cannot start a workflow command)
 * and passes the redactor here.
 */
export function annotator(redactor: SecretRedactor): Annotate {
  return (annotation) => {
    const safe = annotationText(annotation);
    const message = redactor.redact(safe.message);
    const properties = {
      ...(safe.title !== "" ? { title: redactor.redact(safe.title) } : {}),
      ...(annotation.file !== undefined ? { file: annotation.file } : {}),
      ...(annotation.line !== undefined ? { startLine: annotation.line } : {}),
    };
    if (annotation.level === "error") core.error(message, properties);
    else if (annotation.level === "warning") core.warning(message, properties);
    else core.notice(message, properties);
  };
}

/** Fails the step; with a message, also as an error annotation (what `core.setFailed` does). */
export function fail(annotate: Annotate, message: string | null): void {
  process.exitCode = core.ExitCode.Failure;
  if (message !== null) annotate({ level: "error", title: "", message });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
