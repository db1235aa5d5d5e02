import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MAX_DECLARATION_BYTES, confinedFiles } from "../../src/desired/declaration-files";

describe("reading many declaration files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-declaration-files-"));
    for (let i = 0; i < 40; i++) writeFileSync(path.join(dir, `t${i}.yaml`), `displayName: "Tenant ${i}"\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads each file whole without allocating a buffer of the size limit per file", () => {
    // A fleet has thousands of tenant files: a mebibyte each would cost gigabytes of allocation.
    const alloc = jest.spyOn(Buffer, "alloc");
    const allocUnsafe = jest.spyOn(Buffer, "allocUnsafe");
    const allocUnsafeSlow = jest.spyOn(Buffer, "allocUnsafeSlow");
    try {
      const files = confinedFiles(dir);
      for (let i = 0; i < 40; i++) expect(files.read(path.join(dir, `t${i}.yaml`))).toBe(`displayName: "Tenant ${i}"\n`);
      const limitSized = [alloc, allocUnsafe, allocUnsafeSlow]
        .flatMap((spy) => spy.mock.calls)
        .filter(([size]) => size > MAX_DECLARATION_BYTES);
      expect(limitSized.length).toBeLessThanOrEqual(1);
    } finally {
      alloc.mockRestore();
      allocUnsafe.mockRestore();
      allocUnsafeSlow.mockRestore();
    }
  });
});
