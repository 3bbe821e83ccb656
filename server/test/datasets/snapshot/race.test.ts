import { tableFromIPC } from "apache-arrow";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exportRows } from "../../../src/datasets/delivery/export";
import { planDownload, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import type { EmbeddedDatabase, Sql } from "../../../src/db/database";
import { DomainError } from "../../../src/errors";
import { FreshnessScheduler } from "../../../src/freshness/scheduler";
import { silentLogger } from "../../../src/log/logger";
import { materializeAll, type RunResult } from "../../../src/materialize/runner";
import { applyDefinitions } from "../../../src/registry/apply";
import { definitionsDir, ENTITIES, view } from "../../definitions/helpers";
import { createServerTestDatabase, openEmbeddedTestDatabase } from "../../support/databases";
import { addQwenAnalyses, seedPlainCorpus } from "../../support/plain-corpus";

const TRACKS = 2_000;
const DATASET = `kind: dataset
name: labels
entity: track
description: Labels.
license: CC0-1.0
features: ["labels@1:*"]
filters: [{ feature: "labels@1:confidence", op: ">", value: 0 }]
`;

/**
 * On a PostgreSQL server with separate connections: downloads running while full
 * materializations swap the table see the old rows or the new ones, never a mix.
 */
describe("a download racing a materialization sees one version", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let pools: [Sql, Sql];
  let defs: Awaited<ReturnType<typeof definitionsDir>>;

  beforeAll(async () => {
    database = await createServerTestDatabase();
    pools = [0, 1].map(() => postgres(database.url, { max: 4, onnotice: () => {} })) as [Sql, Sql];
    const [sql] = pools;
    await seedPlainCorpus(sql, TRACKS);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment", "confidence: float = a.confidence"]),
      "d.yaml": DATASET,
    });
    await applyDefinitions(sql, defs.dir);
    await materializeAll(sql);
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await database?.drop();
    await defs?.remove();
  });

  it("every download during three full rebuilds holds all old or all new rows, with its version", async () => {
    const [writer, reader] = pools;
    await addQwenAnalyses(writer, "new", "2025-06-01");
    const plan = await planDownload(standalonePlanSource(reader), { dataset: "labels" });
    const seen: string[] = [];
    let done = false;
    const downloading = (async () => {
      while (!done) {
        const parts: Uint8Array[] = [];
        // Small batches: each download is many cursor fetches long.
        const result = await exportRows(reader, plan, async (c) => void parts.push(c), {
          format: "arrow",
          batchRows: 100,
        });
        const table = tableFromIPC(Buffer.concat(parts));
        const labels = new Set(table.getChild("labels__sentiment")?.toArray() as string[]);
        seen.push(`${table.numRows}:${[...labels].sort().join(",")}:${result.info.version}`);
      }
    })();
    for (let i = 0; i < 3; i++) await materializeAll(writer, { full: true });
    done = true;
    await downloading;
    const shapes = new Set(seen.map((s) => s.split(":").slice(0, 2).join(":")));
    expect([...shapes].every((s) => s === `${TRACKS}:old` || s === `${TRACKS}:new`)).toBe(true);
    expect(shapes.has(`${TRACKS}:new`)).toBe(true);
    // One version per kind of content: a version names exactly what was read.
    const versions = new Map<string, Set<string>>();
    for (const s of seen) {
      const [, labels, version] = s.split(":");
      versions.set(
        version as string,
        new Set([...(versions.get(version as string) ?? []), labels as string]),
      );
    }
    expect([...versions.values()].every((labels) => labels.size === 1)).toBe(true);
  });
});

/**
 * The embedded database, read a key range per statement (sliced): a download during full
 * rebuilds holds all old or all new rows, or fails with 503 when a source was re-materialized
 * between two of its ranges; never a mix.
 */
describe("an embedded, sliced download racing a materialization sees one version or fails", () => {
  let database: EmbeddedDatabase;
  let defs: Awaited<ReturnType<typeof definitionsDir>>;

  beforeAll(async () => {
    database = await openEmbeddedTestDatabase({ migrate: false });
    await seedPlainCorpus(database.sql, TRACKS);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment", "confidence: float = a.confidence"]),
      "d.yaml": DATASET,
    });
    await applyDefinitions(database.sql, defs.dir);
    await materializeAll(database.sql);
  });
  afterAll(async () => {
    await database?.close();
    await defs?.remove();
  });

  it("every download during three full rebuilds holds all old or all new rows, or is refused with 503", async () => {
    const { sql, bulk } = database;
    await addQwenAnalyses(sql, "new", "2025-06-01");
    const plan = await planDownload(standalonePlanSource(bulk), { dataset: "labels" });
    const seen: string[] = [];
    const refused: string[] = [];
    const download = async () => {
      const parts: Uint8Array[] = [];
      await exportRows(bulk, plan, async (c) => void parts.push(c), {
        format: "arrow",
        batchRows: 100,
        sliced: true,
      });
      const table = tableFromIPC(Buffer.concat(parts));
      const labels = new Set(table.getChild("labels__sentiment")?.toArray() as string[]);
      return `${table.numRows}:${[...labels].sort().join(",")}`;
    };
    let done = false;
    const downloading = (async () => {
      while (!done) {
        await download().then(
          (shape) => seen.push(shape),
          (error: unknown) => refused.push(error instanceof DomainError ? error.code : String(error)),
        );
      }
    })();
    for (let i = 0; i < 3; i++) await materializeAll(sql, { full: true });
    done = true;
    await downloading;
    expect(seen.length + refused.length).toBeGreaterThan(0);
    expect(seen.every((s) => s === `${TRACKS}:old` || s === `${TRACKS}:new`)).toBe(true);
    // Once the rebuilds are over, a download (a client's retry) reads the new version whole.
    expect(await download()).toBe(`${TRACKS}:new`);
    expect(refused.every((code) => code === "UNAVAILABLE")).toBe(true);
  });

  it("a run that falls due while a download reads waits for it: the download is whole, of one version, and the run follows", async () => {
    const { sql, bulk, gate } = database;
    const plan = await planDownload(standalonePlanSource(bulk), { dataset: "labels" });
    const scheduler = new FreshnessScheduler({
      sql,
      logger: silentLogger,
      defaultObjectiveSeconds: 60,
      pollMs: 60_000,
      minIntervalMs: 0,
      afterRuns: async () => {},
      ...(gate ? { readers: gate } : {}),
    });
    const download = async (onChunk: () => Promise<void> = async () => {}) => {
      const parts: Uint8Array[] = [];
      const result = await exportRows(
        bulk,
        plan,
        async (chunk) => {
          parts.push(chunk);
          await onChunk();
        },
        // CSV writes its header first, then reads 2,000 rows in ranges of 100, a version check each.
        { format: "csv", batchRows: 100, copyRows: 100, sliced: true, gate },
      );
      const [header, ...lines] = Buffer.concat(parts).toString("utf8").trim().split("\n");
      const column = header?.split(",").indexOf("labels__sentiment") ?? -1;
      const labels = new Set(lines.map((line) => line.split(",")[column]));
      return { shape: `${lines.length}:${[...labels].sort().join(",")}`, version: result.info.version };
    };
    const before = await download();
    await addQwenAnalyses(sql, "newer", "2025-07-01");
    let ticking: Promise<RunResult[]> | undefined;
    const during = await download(async () => {
      if (ticking) return;
      // The view's run falls due after the download's first slice: it either commits now (and
      // the next slice finds another version) or waits for the download to finish.
      ticking = scheduler.tick();
      await Promise.race([ticking, vi.waitFor(() => expect(gate?.writing("fv_labels_v1")).toBe(true))]);
    });
    expect(during).toEqual(before);
    const runs = (await ticking) ?? [];
    expect(runs.map((r) => `${r.name}@${r.version} ${r.mode}`)).toEqual(["labels@1 incremental"]);
    const after = await download();
    expect(after.shape).toBe(`${TRACKS}:newer`);
    expect(after.version).not.toBe(before.version);
  });
});
