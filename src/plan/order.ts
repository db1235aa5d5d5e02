/**
 * Ordering and matching of permission names and ids, shared by the diff and the summaries so that
 * every rendering lists the same permissions in the same order on every machine.
 */

/**
 * Compares permission names case-insensitively first (how people read them), then ordinally, so the
 * order never depends on the runtime's locale.
 */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** A sorted copy without duplicates. */
export function sortedUnique(names: Iterable<string>): string[] {
  return [...new Set(names)].sort(compareNames);
}
