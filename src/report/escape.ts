/**
 * One place where every foreign string (names and messages from declaration files, from Graph,
 * Entra ID and Partner Center: a customer's admin chooses their organisation's and apps' names) is
 * made safe for the medium it lands in:
 *
 * - a terminal or log file: control characters, ESC sequences, line breaks and bidirectional
 *   overrides are shown as visible escapes (`\n`, `\x1B`, `\u202E`), so a name cannot move the
 *   cursor, hide text, link somewhere or start a line of its own;
 * - Markdown and HTML (pull-request comments, job summaries): as above, HTML and Markdown syntax
 *   escaped, `@` mentions, links and autolinks neutralised;
 * - the GitHub Actions log and annotations: as for a terminal, and no line may begin a workflow
 *   command (`::` or `##[`);
 * - JSON needs nothing here: JSON.stringify escapes control characters and the value stays exact.
 */

/**
 * C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text: bidi
 * embeddings, overrides and isolates, marks, zero-width characters, line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Text for a terminal or a plain-text log: every control and invisible format character shown as an escape. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Backslashes are escaped too, so that a name holding a literal `\n` cannot pass for an escaped line break. */
function terminalExact(text: string): string {
  return forTerminal(text.replace(/\\/g, "\\\\"));
}

/**
 * Words our own reports start lines with: a name that starts with one of them is quoted where it
 * would begin a line, so it cannot pass for a summary line ("Plan: 0 tenants to change, …").
 */
const OWN_LINE_STARTS = /^\s*(plan|refresh|reset|no declared tenant|no tenant|only the tenants|verified|to fix)\b/i;

/** A foreign name that begins a line of a text report: escaped, and quoted when it would look like one of the report's own lines. */
export function lineStartForTerminal(text: string): string {
  const safe = forTerminal(text);
  return OWN_LINE_STARTS.test(safe) ? JSON.stringify(safe) : safe;
}

/** Text for GitHub-flavoured Markdown or HTML: rendered as written, never as markup, a mention or a link. */
export function forMarkdown(text: string): string {
  return (
    terminalExact(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/([`*_[\]|#~])/g, "\\$1")
      .replace(/\\\\/g, "&#92;")
      // A mention notifies people and teams; an entity shows the same @ without notifying anyone.
      .replace(/@/g, "&#64;")
      // GitHub turns bare URLs and www. names into links: break the pattern without changing what is shown.
      .replace(/:\/\//g, "&#58;//")
      .replace(/\bwww\./gi, (match) => `${match.slice(0, 3)}&#46;`)
  );
}

/** Text for one line of the GitHub Actions log or an annotation: as for a terminal, and never the start of a workflow command. */
export function forActionLog(text: string): string {
  const safe = forTerminal(text);
  return /^\s*(::|##\[)/.test(safe) ? `(log) ${safe}` : safe;
}
