/**
 * The README's sandbox walk-through leaves nothing untracked in the repository: every report file
 * its commands write is in a folder git ignores.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function sandboxCommands(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("The sandbox")) ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split("\n").filter((line) => line.startsWith("npx cipp-cpv "));
}

test("every file the sandbox walk-through writes is ignored by git", () => {
  const commands = sandboxCommands();
  expect(commands.length).toBeGreaterThan(2);
  const written = commands.flatMap((line) =>
    [...line.matchAll(/--(?:markdown|json|state|refresh-token-out) (\S+)/g)].map((m) => m[1] ?? ""),
  );
  expect(written).toEqual(expect.arrayContaining([expect.stringMatching(/plan\.md$/)]));
  for (const file of written) {
    // git check-ignore exits 0 when the path is ignored, 1 when it is not.
    expect(() => execFileSync("git", ["check-ignore", "-q", "--no-index", file], { cwd: ROOT })).not.toThrow();
  }
});
