/** Parsers for numeric command-line arguments, shared by the CLI and the benchmark. */
import { InvalidArgumentError } from "commander";
import { parseSinceTime } from "../discover/since-time";

/** An ISO 8601 date and time with its zone, as epoch milliseconds. */
export function isoTime(value: string): number {
  const ms = parseSinceTime(value);
  if (ms === null) throw new InvalidArgumentError("expected an ISO 8601 date and time with its zone, e.g. 2026-01-31T00:00:00Z.");
  return ms;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError("expected a number above 0.");
  return n;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number of at least 0.");
  return n;
}
