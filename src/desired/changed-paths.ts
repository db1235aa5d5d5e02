/**
 * Reading a list of changed files. Apart from affected.ts, which needs the loader and the YAML
 * library, so that the Action checks its changed-files input without loading either.
 */

/**
 * The paths a list of changed files names, one per line as `git diff --name-only` prints them. A
 * path may hold spaces, so nothing but a line break separates two paths.
 */
export function parseChangedPaths(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
