/**
 * Reading declaration files from disk as untrusted input (a pull request's stacks/ are read this
 * way): only from inside the repository, only regular files of bounded size, only UTF-8. A file that
 * breaks a rule is refused with the rule it broke; its content is never quoted.
 */
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, isAbsolute, resolve } from "node:path";

/** The most bytes a declaration or manifest may hold: CIPP's SAMManifest.json is about 30 KB. */
export const MAX_DECLARATION_BYTES = 1024 * 1024;

/** A file that may not be read as a declaration; the message says why, never what the file holds. */
export class DeclarationFileError extends Error {
  override readonly name = "DeclarationFileError";
}

/** How the loader reads files; replaceable so tests and other hosts can serve declarations from memory. */
export interface DeclarationFiles {
  /**
   * The file's text, or undefined when there is no such file.
   * @throws DeclarationFileError when the file exists but may not be read as a declaration.
   */
  read(path: string): string | undefined;
  /** The names of the entries of a directory (not paths), sorted, or none when it does not exist. */
  list(directory: string): string[];
}

/**
 * The repository holding `stacksDir`: the nearest folder at or above it with a `.git` entry (a
 * folder, or a file in a worktree); the folder holding the stacks folder when there is none.
 */
export function repositoryRoot(stacksDir: string): string {
  const start = existsSync(stacksDir) ? realpathSync(stacksDir) : resolve(stacksDir);
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, ".git"))) return folder;
    if (dirname(folder) === folder) return dirname(start);
  }
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "unreadable";
}

/**
 * One buffer for every read, sized for the largest file allowed plus the byte that tells it is
 * larger: a fleet's thousands of tenant files would otherwise each allocate (and zero) a mebibyte.
 * Reads are synchronous, so no two share it at once; what a read returns is decoded before the next.
 */
let scratch: Buffer | null = null;

/**
 * Reads at most `limit` + 1 bytes: sizes under /proc and of devices say nothing of what a read returns.
 * The bytes are valid until the next call.
 */
function readBounded(path: string, limit: number): Buffer {
  const fd = openSync(path, "r");
  try {
    if (scratch === null || scratch.length < limit + 1) scratch = Buffer.allocUnsafe(limit + 1);
    const buffer = scratch;
    let length = 0;
    for (let n = -1; n !== 0 && length <= limit; length += n) n = readSync(fd, buffer, length, limit + 1 - length, null);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Declaration files on the local disk, confined to `root` (after resolving symbolic links); `root`
 * null reads anywhere (the `--allow-outside-repository` flag).
 */
export function confinedFiles(root: string | null): DeclarationFiles {
  const realRoot = root === null ? null : existsSync(root) ? realpathSync(root) : resolve(root);
  return {
    read(path) {
      let link: ReturnType<typeof lstatSync>;
      try {
        link = lstatSync(path);
      } catch (error) {
        if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return undefined;
        throw new DeclarationFileError(`cannot be read (${codeOf(error)})`);
      }
      let real: string;
      try {
        real = realpathSync(path);
      } catch (error) {
        throw new DeclarationFileError(
          link.isSymbolicLink() ? "is a symbolic link to something that does not exist" : `cannot be resolved (${codeOf(error)})`,
        );
      }
      if (realRoot !== null && !isInside(real, realRoot)) {
        throw new DeclarationFileError(
          `${link.isSymbolicLink() ? `is a symbolic link to ${real}` : `resolves to ${real}`}, outside the repository (${realRoot}); ` +
            "declarations and manifests are read only from inside it (--allow-outside-repository reads it anyway)",
        );
      }
      const stat = statSync(real);
      if (stat.isDirectory()) throw new DeclarationFileError("is a folder, not a file");
      if (!stat.isFile()) throw new DeclarationFileError("is not a regular file");
      const limit = `declarations and manifests are at most ${MAX_DECLARATION_BYTES / 1024 / 1024} MiB`;
      if (stat.size > MAX_DECLARATION_BYTES) throw new DeclarationFileError(`is ${stat.size} bytes; ${limit}`);
      let bytes: Buffer;
      try {
        bytes = readBounded(real, MAX_DECLARATION_BYTES);
      } catch (error) {
        throw new DeclarationFileError(`cannot be read (${codeOf(error)})`);
      }
      if (bytes.length > MAX_DECLARATION_BYTES)
        throw new DeclarationFileError(`is larger than ${limit.replace("are at most ", "may be ")}`);
      try {
        return utf8.decode(bytes);
      } catch {
        throw new DeclarationFileError(`is not UTF-8 text${whereInvalid(bytes)}; declarations and manifests are read as UTF-8`);
      }
    },
    list(directory) {
      try {
        return readdirSync(directory).sort();
      } catch (error) {
        if (codeOf(error) === "ENOENT") return [];
        throw new DeclarationFileError(`${directory} cannot be listed (${codeOf(error)})`);
      }
    },
  };
}

/** Where the first byte that cannot start or continue a UTF-8 character is, as "on line N", or "" when none is found by this scan. */
function whereInvalid(bytes: Buffer): string {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i] ?? 0;
    const continuation =
      lead < 0x80 ? 0 : lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    let valid = continuation >= 0;
    for (let k = 1; valid && k <= continuation; k++) valid = ((bytes[i + k] ?? 0) & 0xc0) === 0x80;
    if (!valid) return ` (on line ${bytes.subarray(0, i).toString("latin1").split("\n").length})`;
    i += continuation + 1;
  }
  return "";
}
