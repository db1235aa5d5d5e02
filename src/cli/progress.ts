import type { Progress, RunMode } from "../run/run-request";

/**
 * One progress line for long runs: "[12/1000] contoso.onmicrosoft.com converged · 1 failed · about 3 min left".
 * A plan fails no tenant; the ones it cannot read are counted as inaccessible, the word its report uses.
 */
export function progressLine(progress: Progress, mode: RunMode): string {
  const last = progress.last ? ` ${progress.last.tenant} ${progress.last.outcome}` : "";
  const failed = progress.failed > 0 ? ` · ${progress.failed} ${mode === "plan" ? "inaccessible" : "failed"}` : "";
  const eta = progress.etaMs === null || progress.done === progress.total ? "" : ` · about ${duration(progress.etaMs)} left`;
  return `[${progress.done}/${progress.total}]${last}${failed}${eta}`;
}

function duration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}
