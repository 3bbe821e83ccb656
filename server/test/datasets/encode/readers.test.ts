import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { RecordBatchReader } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type DatasetsHarness, datasetsHarness, get } from "../support";

/** pyarrow, where `python3 -m pip install pyarrow` could install it (.ci/run tries). */
const pyarrow = (() => {
  try {
    execFileSync("python3", ["-c", "import pyarrow"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** What pyarrow reads of a file: its schema's metadata and each column's type. */
function readWithPyarrow(path: string, format: "parquet" | "arrow") {
  const script = `
import json, sys, pyarrow as pa, pyarrow.parquet as pq
path, fmt = sys.argv[1], sys.argv[2]
schema = pq.read_table(path).schema if fmt == "parquet" else pa.ipc.open_stream(open(path, "rb")).schema
meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
print(json.dumps({"metadata": meta, "types": {f.name: str(f.type) for f in schema}}))`;
  const out = execFileSync("python3", ["-c", script, path, format], { encoding: "utf8" });
  return JSON.parse(out) as { metadata: Record<string, string>; types: Record<string, string> };
}

describe("what Parquet and Arrow readers see: the card's keys in the schema metadata, types kept", () => {
  let h: DatasetsHarness;
  let work: string;
  let duck: Awaited<ReturnType<DuckDBInstance["connect"]>>;

  beforeAll(async () => {
    h = await datasetsHarness();
    work = mkdtempSync(join(tmpdir(), "rapfs-readers-"));
    duck = await (await DuckDBInstance.create(":memory:")).connect();
  }, 180_000);
  afterAll(async () => {
    duck?.closeSync();
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const save = async (response: Response, name: string) => {
    expect(response.status, await response.clone().text()).toBe(200);
    const path = join(work, name);
    writeFileSync(path, await bytes(response));
    return path;
  };
  const duckTypes = async (path: string) => {
    const reader = await duck.runAndReadAll(`describe select * from read_parquet('${path}')`);
    return Object.fromEntries(reader.getRowObjectsJson().map((r) => [r.column_name, r.column_type]));
  };
  /** The Arrow schema Parquet readers with Arrow (pyarrow, polars) restore: the footer's ARROW:schema. */
  const arrowSchemaMetadata = async (path: string) => {
    const reader = await duck.runAndReadAll(
      `select decode(value) as value from parquet_kv_metadata('${path}') where decode(key) = 'ARROW:schema'`,
    );
    const encoded = reader.getRowObjectsJson()[0]?.value as string | undefined;
    if (!encoded) return undefined;
    // The value is an IPC schema message in base64; the end-of-stream marker makes it a stream.
    const message = Buffer.from(encoded, "base64");
    const stream = Buffer.concat([message, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]);
    const opened = await RecordBatchReader.from(stream).open();
    return Object.fromEntries(opened.schema.metadata);
  };
  const training = (body: string, contentType: string, format: string) =>
    get(h, `/v1/datasets/training?features=qwen_analysis@2:mood&format=${format}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });

  it("public as Parquet and Arrow: the licence is in the schema metadata", async () => {
    const parquet = await save(await get(h, "/v1/datasets/public/download?format=parquet"), "public.parquet");
    const restored = await arrowSchemaMetadata(parquet);
    expect(restored?.["rapfs.license"]).toMatch(/CC-BY-4.0/);
    expect(restored?.["rapfs.dataset"]).toBe("public");
    const arrow = await save(await get(h, "/v1/datasets/public/download?format=arrow"), "public.arrows");
    if (!pyarrow) return;
    expect(readWithPyarrow(parquet, "parquet").metadata["rapfs.license"]).toMatch(/CC-BY-4.0/);
    expect(readWithPyarrow(arrow, "arrow").metadata["rapfs.license"]).toMatch(/CC-BY-4.0/);
  });

  it("a training set's event_timestamp is UTC, integer labels stay integers and string labels strings", async () => {
    const rows = (labels: unknown[]) =>
      JSON.stringify(
        labels.map((label, i) => ({ track_id: i + 1, event_timestamp: "2025-12-31T00:00:00Z", label })),
      );
    const ints = await save(await training(rows([1, 0, 3]), "application/json", "parquet"), "ints.parquet");
    const csv = await save(
      await training(
        "track_id,event_timestamp,label\r\n1,2025-12-31,7\r\n2,2025-12-31,-2",
        "text/csv",
        "parquet",
      ),
      "csv.parquet",
    );
    const strings = await save(
      await training(rows(["1", "2", "x"]), "application/json", "parquet"),
      "s.parquet",
    );
    expect(await duckTypes(ints)).toMatchObject({
      event_timestamp: "TIMESTAMP WITH TIME ZONE",
      label: "INTEGER",
    });
    expect(await duckTypes(csv)).toMatchObject({ label: "INTEGER" });
    expect(await duckTypes(strings)).toMatchObject({ label: "VARCHAR" });
    const values = await duck.runAndReadAll(`select label from read_parquet('${strings}') order by track_id`);
    expect(values.getRowObjectsJson().map((r) => r.label)).toEqual(["1", "2", "x"]);
    if (!pyarrow) return;
    expect(readWithPyarrow(ints, "parquet").types).toMatchObject({
      event_timestamp: "timestamp[us, tz=UTC]",
      label: "int32",
    });
  });
});
