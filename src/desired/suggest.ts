/**
 * "Did you mean" suggestions for misspelt names in declarations.
 */

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** Names longer than this are not typos of anything a declaration refers to, and are not searched. */
const LONGEST_SUGGESTED = 100;

/**
 * The closest candidate to `wanted`, or undefined when none is close enough to be a plausible
 * typo (more than a third of the name would have to change).
 */
export function closestMatch(wanted: string, candidates: Iterable<string>): string | undefined {
  if (wanted.length > LONGEST_SUGGESTED) return undefined;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(wanted.length / 3)) + 1;
  for (const candidate of candidates) {
    // No candidate whose length differs by the best distance or more can beat it.
    if (Math.abs(candidate.length - wanted.length) >= bestDistance) continue;
    const d = distance(wanted, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `did you mean "X"?` for an error message, or an empty string. */
export function didYouMean(wanted: string, candidates: Iterable<string>): string {
  const match = closestMatch(wanted, candidates);
  return match === undefined ? "" : ` (did you mean "${match}"?)`;
}

/** The longest value a problem message quotes; longer ones are cut, so a message never carries a file's bulk. */
const LONGEST_QUOTED = 80;

/** A value from a declaration quoted for a problem message: JSON-escaped (control characters shown), cut to a bounded length. */
export function quoted(value: string): string {
  const cut = value.length > LONGEST_QUOTED ? `${value.slice(0, LONGEST_QUOTED)}…` : value;
  return JSON.stringify(cut);
}
