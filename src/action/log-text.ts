/**
 * What the Action writes to the job log and into annotations, made safe there: foreign strings
 * (tenant and resource names, Microsoft's messages) can neither hide in control characters nor
 * start a workflow command. See src/report/escape.ts.
 */
import { forActionLog } from "../report/escape";
import type { Annotation } from "./outcome";

/** Text for the log, line by line: each line escaped on its own, so a message keeps its own line breaks. */
export function logText(text: string): string {
  return text.split("\n").map(forActionLog).join("\n");
}

/** An annotation's title and message as they are sent to the runner. */
export function annotationText(annotation: Annotation): { readonly title: string; readonly message: string } {
  return { title: forActionLog(annotation.title), message: logText(annotation.message) };
}
