/**
 * A reset's record on disk: what CIPP-SAM held in the tenant, written and flushed before the first
 * destructive call, so that a process killed between the removal and the re-add still leaves the
 * record to restore from. The record says whether its reset finished; a later run of the same
 * tenant names the records of resets that did not.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { TenantRef } from "../plan/model";
import type { ResetSnapshot, TenantOutcome } from "./result";

/** Where reset records go when the caller names no folder: beside the sandbox's files, ignored by git. */
export const DEFAULT_RESET_RECORDS = join(".cipp-cpv", "resets");

/** The record of one reset as written to disk. */
export interface ResetRecord {
  readonly kind: "cipp-cpv-reset-record";
  readonly tenant: TenantRef;
  readonly startedAt: string;
  /** Null until the reset ends; then its outcome (a failed re-add leaves the snapshot as the only record). */
  readonly finishedAt: string | null;
  readonly outcome: TenantOutcome | null;
  /** What CIPP-SAM held before the removal; null when it was not in the tenant. */
  readonly snapshot: ResetSnapshot | null;
}

/** A reset that started and never recorded its end: the process stopped between removal and re-add. */
export interface UnfinishedReset {
  readonly tenant: TenantRef;
  readonly startedAt: string;
  readonly file: string;
}

/** Writes `content` to `file` so that it survives a crash: a flushed temporary file renamed over it, then the folder flushed. */
function writeDurably(file: string, content: string): void {
  const temporary = `${file}.partial`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const folder = openSync(join(file, ".."), "r");
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

/** The reset records of one run, in one folder. */
export class ResetRecords {
  /** The files this run wrote, in order. */
  readonly written: string[] = [];

  constructor(readonly folder: string) {}

  /**
   * Records the snapshot before anything is removed; returns the file. Throws when it cannot be
   * written: a reset without its record must not start.
   */
  begin(tenant: TenantRef, snapshot: ResetSnapshot | null, startedAt: string): string {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    const file = join(this.folder, `${tenant.defaultDomain}-${startedAt.replace(/[:.]/g, "-")}.json`);
    const record: ResetRecord = { kind: "cipp-cpv-reset-record", tenant, startedAt, finishedAt: null, outcome: null, snapshot };
    writeDurably(file, `${JSON.stringify(record, null, 2)}\n`);
    this.written.push(file);
    return file;
  }

  /** Marks a record's reset as ended, with its outcome. */
  finish(file: string, outcome: TenantOutcome, finishedAt: string): void {
    const record = JSON.parse(readFileSync(file, "utf8")) as ResetRecord;
    writeDurably(file, `${JSON.stringify({ ...record, finishedAt, outcome }, null, 2)}\n`);
  }

  /** The records of resets of these tenants that never ended, oldest first. Unreadable files are passed over. */
  unfinished(tenantIds: ReadonlySet<string>): UnfinishedReset[] {
    let names: string[];
    try {
      names = readdirSync(this.folder).filter((name) => name.endsWith(".json"));
    } catch {
      return [];
    }
    const found: UnfinishedReset[] = [];
    for (const name of names.sort()) {
      const file = join(this.folder, name);
      try {
        const record = JSON.parse(readFileSync(file, "utf8")) as Partial<ResetRecord>;
        if (record.kind !== "cipp-cpv-reset-record" || record.finishedAt !== null || !record.tenant || !record.startedAt) continue;
        if (tenantIds.has(record.tenant.tenantId)) found.push({ tenant: record.tenant, startedAt: record.startedAt, file });
      } catch {
        continue;
      }
    }
    return found;
  }
}
