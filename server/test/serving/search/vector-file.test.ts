import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VectorFiles } from "../../../src/serving/search/vector-file";
import { VectorIndex } from "../../../src/serving/search/vector-index";
import { Random } from "./vector-kernel/random";

const DIMENSION = 37; // not a multiple of the kernel's 16-byte rows, so the padding is exercised
const COUNT = 500;

function index(seed: number): VectorIndex {
  const random = new Random(seed);
  const vectors = new Float32Array(COUNT * DIMENSION);
  for (let i = 0; i < COUNT; i++) {
    if (i % 50 === 7) continue; // zero vectors too
    vectors.set(random.vector(DIMENSION), i * DIMENSION);
  }
  const ids = Int32Array.from({ length: COUNT }, (_, i) => 3 * i + 1);
  return VectorIndex.of(ids, vectors, DIMENSION);
}

describe("in-memory search indexes kept in the data directory", () => {
  let directory: string;
  const stamp = { embedding: "lyrics@1", source: "storage 16384" };
  const snapshot = "996:1004:998,1001";

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "rapfs-vectors-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("maps back an index that answers every query exactly as the one written", async () => {
    const files = new VectorFiles(directory);
    const written = index(1);
    await files.write(stamp, { index: written, snapshot });
    const read = await files.read(stamp);
    expect(read?.snapshot).toBe(snapshot);
    const mapped = read?.index;
    expect(mapped?.parts()).toEqual(written.parts());
    const random = new Random(2);
    for (const metric of ["cosine", "l2", "inner_product"] as const) {
      for (let q = 0; q < 20; q++) {
        const query = random.vector(DIMENSION);
        const allowed = q % 2 ? new Set([1, 4, 7, 301, 1000]) : undefined;
        const options = { exclude: 4, ...(allowed ? { allowed } : {}) };
        expect(mapped?.nearest(query, metric, 10, options)).toEqual(
          written.nearest(query, metric, 10, options),
        );
      }
    }
    expect(await readdir(directory)).toEqual(["lyrics@1.vectors"]);
  });

  it("does not use a file of other storage, another embedding version or format", async () => {
    const files = new VectorFiles(directory);
    await files.write(stamp, { index: index(3), snapshot });
    expect(await files.read({ ...stamp, source: "storage 16390" })).toBeUndefined();
    expect(await files.read({ ...stamp, embedding: "lyrics@2" })).toBeUndefined();
    expect(await files.read({ embedding: "audio@1", source: stamp.source })).toBeUndefined();
  });

  it("rejects a truncated file instead of mapping part of an index", async () => {
    const files = new VectorFiles(directory);
    const path = join(directory, "lyrics@1.vectors");
    await files.write(stamp, { index: index(4), snapshot });
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 4096));
    expect(await files.read(stamp)).toBeUndefined();
  });
});
