/**
 * The CLI's reports written as a fleet run goes: each tenant's text goes to stdout and its JSON to
 * the report file as soon as the engine hands it over, so a run of any size holds no tenant's
 * detail once it is written. The files come out byte for byte as the whole-run renderings would.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { StreamedOutcome } from "../run/engine";
import type { RunSink, RunStart } from "../run/fleet-stream";
import type { TenantResult } from "../apply/result";
import type { TenantPlan } from "../plan/model";
import {
  JSON_LIST,
  PlanMarkdown,
  ResultMarkdown,
  TEXT_SECTION_SEPARATOR,
  jsonTenant,
  planDocumentTenant,
  planJsonFrame,
  planTextSection,
  planTextSummary,
  resultJsonFrame,
  resultTextSection,
  resultTextSummary,
  type JsonFrame,
} from "../report";
import { coverageSentence } from "../report/sentences";
import type { Output } from "./output";

export interface ReportFiles {
  readonly json?: string;
  readonly markdown?: string;
  readonly colour: boolean;
}

/** A sink that prints and writes a run's reports as its tenants arrive; `finish` closes them. */
export class ReportStream implements RunSink {
  private mode: RunStart["mode"] = "plan";
  private coverage: RunStart["coverage"] = {};
  private tenants = 0;
  /** Text held back until the run's end, only when the opening sentence depends on how many tenants were planned. */
  private heldText: string[] | null = null;
  private json: TenantListFile | null = null;
  private planMarkdown: PlanMarkdown | null = null;
  private resultMarkdown: ResultMarkdown | null = null;

  constructor(
    private readonly output: Output,
    private readonly files: ReportFiles,
  ) {}

  begin(start: RunStart): void {
    this.mode = start.mode;
    this.coverage = start.coverage;
    // A plan limited to a change names how many tenants it planned first: a pull request's few.
    if (start.mode === "plan" && start.coverage.changedFiles !== undefined) this.heldText = [];
    if (this.files.json !== undefined) this.json = new TenantListFile(this.files.json, (text) => this.output.redactor.redact(text));
    if (this.files.markdown !== undefined) {
      if (start.mode === "plan") this.planMarkdown = new PlanMarkdown();
      else this.resultMarkdown = new ResultMarkdown();
    }
  }

  planned(plan: TenantPlan): void {
    if (this.tenants === 0) this.opening(1);
    this.tenants += 1;
    this.text(planTextSection(plan, { colour: this.files.colour }) + TEXT_SECTION_SEPARATOR);
    this.json?.add(jsonTenant(planDocumentTenant(plan)));
    this.planMarkdown?.add(plan);
  }

  ran(result: TenantResult): void {
    this.tenants += 1;
    this.text(resultTextSection(result, { colour: this.files.colour }) + TEXT_SECTION_SEPARATOR);
    this.json?.add(jsonTenant(result));
    this.resultMarkdown?.add(result);
  }

  /** Ends the text with the summary line and writes the files. */
  finish(outcome: StreamedOutcome): void {
    const colour = this.files.colour;
    if (this.mode === "plan" || outcome.result === null) {
      if (this.tenants === 0) this.opening(0);
      const held = this.heldText;
      this.heldText = null;
      if (held !== null)
        this.text([this.openingSentence(this.tenants), ...held].filter((piece): piece is string => piece !== null).join(""));
      this.output.out(planTextSummary(outcome.plan.summary, { colour }));
      this.json?.finish(planJsonFrame(outcome.plan.summary));
      if (this.planMarkdown !== null && this.files.markdown !== undefined)
        this.output.file(this.files.markdown, this.planMarkdown.finish(outcome.plan.summary, this.coverage));
    } else {
      this.output.out(resultTextSummary(outcome.result, { colour }));
      this.json?.finish(resultJsonFrame(outcome.result));
      if (this.resultMarkdown !== null && this.files.markdown !== undefined)
        this.output.file(this.files.markdown, this.resultMarkdown.finish(outcome.result));
    }
  }

  /** Removes what a run that failed before its end left half-written. */
  abandon(): void {
    this.json?.abandon();
  }

  /** The plan's opening sentence, once the first tenant (or the end of a run of none) says whether there are any. */
  private opening(tenants: number): void {
    if (this.heldText !== null) return;
    const sentence = this.openingSentence(tenants);
    if (sentence !== null) this.text(sentence);
  }

  private openingSentence(tenants: number): string | null {
    const sentence = coverageSentence({ ...this.coverage, tenants: { length: tenants } });
    return sentence === null ? null : sentence + TEXT_SECTION_SEPARATOR;
  }

  private text(piece: string): void {
    if (this.heldText !== null) this.heldText.push(piece);
    else if (piece !== "") this.output.out(piece);
  }
}

/**
 * A JSON report whose tenant list is written as it grows, into a file beside the report, and
 * framed by the document's head and tail (which hold totals known only at the end) when the run
 * is over.
 */
class TenantListFile {
  private readonly part: string;
  private fd: number;
  private count = 0;

  constructor(
    private readonly path: string,
    private readonly redact: (text: string) => string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.part = join(dirname(path), `.${basename(path)}.${process.pid}.part`);
    this.fd = openSync(this.part, "w", 0o600);
  }

  add(tenant: string): void {
    writeSync(this.fd, (this.count === 0 ? JSON_LIST.open : JSON_LIST.separator) + this.redact(tenant));
    this.count += 1;
  }

  finish(frame: JsonFrame): void {
    closeSync(this.fd);
    const out = openSync(this.path, "w");
    try {
      writeSync(out, this.redact(frame.before));
      if (this.count === 0) writeSync(out, JSON_LIST.empty);
      else {
        copyInto(this.part, out);
        writeSync(out, JSON_LIST.close);
      }
      writeSync(out, this.redact(frame.after));
    } finally {
      closeSync(out);
      rmSync(this.part, { force: true });
    }
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by finish.
    }
    rmSync(this.part, { force: true });
  }
}

function copyInto(from: string, to: number): void {
  const fd = openSync(from, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 16);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) writeSync(to, buffer, 0, n);
  } finally {
    closeSync(fd);
  }
}
