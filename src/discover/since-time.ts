/**
 * The time `--gdap-changed-since` and the Action's `gdap-changed-since` take. Apart from
 * gdap-changes.ts, which needs the discovery's comparison (and with it the YAML library), so
 * that checking the argument loads nothing else.
 */

/** Whether `text` is an ISO 8601 date and time with its time zone (Z or an offset); its epoch milliseconds, or null. */
export function parseSinceTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i.test(text.trim())) return null;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? null : ms;
}
