import { loadConfig } from "../../config/env";
import type { Sql } from "../../db/database";
import { isRefusal, plural } from "../../errors";
import {
  findBatchProblems,
  INGEST_FORMATS,
  IngestFileError,
  type IngestFormat,
  ingestBatch,
  ingestFormatOf,
  MAX_BATCH_ROWS,
  openIngestFile,
  type Place,
  rowLink,
  rowsKey,
  writtenThrough,
} from "../../ingest";
import { terminalProgress } from "../../log/progress";
import { openCliDatabase } from "../open-database";
import { CliError, ExitCode } from "../run";

export type IngestOptions = { tracks?: boolean; format?: string; batch: string; resume: boolean };
type Table = "tracks" | "analyses";
type BadRow = { place: Place; field: string | null; detail: string };

const SHOWN = 20;
const count = (n: number) => n.toLocaleString("en-US");

/** `rapfs ingest`: a file's rows checked, every one, then written in batches that a rerun resumes. */
export async function ingestAction(file: string, opts: IngestOptions): Promise<void> {
  const format = fileFormat(file, opts.format);
  const batchRows = Number(opts.batch);
  if (!Number.isSafeInteger(batchRows) || batchRows < 1 || batchRows > MAX_BATCH_ROWS) {
    throw new CliError(
      `--batch must be a whole number from 1 to ${MAX_BATCH_ROWS}, got "${opts.batch}"`,
      ExitCode.usage,
    );
  }
  const table: Table = opts.tracks ? "tracks" : "analyses";
  const db = await openCliDatabase(loadConfig());
  try {
    const reading: Reading = { format, table, batchRows, resume: opts.resume };
    const rows = await checkFile(db.sql, file, reading);
    const started = performance.now();
    const written = await writeFile(db.sql, file, reading);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const span =
      written.first === undefined
        ? ""
        : written.first === written.last
          ? ` (id ${written.first})`
          : ` (ids ${written.first}–${written.last})`;
    const fresh = rows - written.resumed;
    process.stdout.write(
      `wrote ${count(fresh)} ${rowsOf(table, fresh)}${span} from ${file} in ${seconds} s\n`,
    );
    if (written.resumed > 0) {
      process.stdout.write(
        `skipped ${count(written.resumed)} ${rowsOf(table, written.resumed)} an earlier run of this file wrote (--no-resume writes them again)\n`,
      );
    }
  } finally {
    await db.close();
  }
}

function fileFormat(file: string, given: string | undefined): IngestFormat {
  if (given !== undefined) {
    if ((INGEST_FORMATS as readonly string[]).includes(given)) return given as IngestFormat;
    throw new CliError(
      `--format must be one of ${INGEST_FORMATS.join(", ")}, got "${given}"`,
      ExitCode.usage,
    );
  }
  const format = ingestFormatOf(file);
  if (!format) {
    throw new CliError(
      `cannot tell the format of ${file} from its extension (.csv, .ndjson, .jsonl, .parquet); pass --format`,
      ExitCode.usage,
    );
  }
  return format;
}

/** `resume`: rows an earlier run wrote are found by their keys and not written again. */
type Reading = { format: IngestFormat; table: Table; batchRows: number; resume: boolean };

/**
 * Follows a file's row chain batch by batch: each batch's row keys, and how many of its first
 * rows an earlier run wrote (nothing with --no-resume).
 */
function rowChain(sql: Sql, reading: Reading) {
  let link = "";
  return async (rows: Record<string, unknown>[]) => {
    if (!reading.resume) return { keys: [], written: 0 };
    const keys = rows.map((row) => {
      link = rowLink(link, row);
      return rowsKey(reading.table, link);
    });
    return { keys, written: (await writtenThrough(sql, keys)) + 1 };
  };
}

/** Every bad row of the file, with the database's checks; refuses the file if there is one. */
async function checkFile(sql: Sql, file: string, reading: Reading): Promise<number> {
  const opened = await open(file, reading);
  const progress = terminalProgress();
  const bad: BadRow[] = [];
  const givenIds = new Map<number, Place>();
  let rows = 0;
  const chain = rowChain(sql, reading);
  try {
    for await (const batch of readBatches(file, opened)) {
      bad.push(...batch.problems);
      rows += batch.rows.length;
      if (reading.table === "tracks") bad.push(...repeatedIds(batch.rows, batch.places, givenIds));
      // Rows an earlier run wrote: their given ids are taken now, by themselves.
      const { written } = await chain(batch.rows);
      const fresh = batch.rows.slice(written);
      if (fresh.length > 0) {
        const problems = await findBatchProblems(sql, { [reading.table]: fresh });
        for (const p of problems) {
          const place = p.index === null ? undefined : batch.places[p.index + written];
          if (place) bad.push({ place, field: p.field, detail: p.detail });
        }
      }
      progress({ phase: `checking ${file}`, done: batch.done, total: opened.total, unit: "bytes" });
    }
  } finally {
    progress.stop();
  }
  if (bad.length > 0) throw badRows(file, bad);
  if (rows === 0) throw new CliError(`${file} has no rows`);
  return rows;
}

/** Writes the checked file batch by batch; a batch refused now (a race since the check) stops it. */
async function writeFile(sql: Sql, file: string, reading: Reading) {
  const opened = await open(file, reading);
  const progress = terminalProgress();
  let first: number | undefined;
  let last: number | undefined;
  let rows = 0;
  let resumed = 0;
  const chain = rowChain(sql, reading);
  try {
    for await (const batch of readBatches(file, opened)) {
      try {
        const { keys, written: before } = await chain(batch.rows);
        resumed += before;
        rows += before;
        const fresh = batch.rows.slice(before);
        if (fresh.length === 0) continue;
        const idempotencyKey = keys.at(-1);
        const written = await ingestBatch(sql, { [reading.table]: fresh }, { idempotencyKey });
        const ids = written[reading.table].ids;
        rows += ids.length;
        if (written.replayed) resumed += ids.length;
        else {
          first ??= ids[0];
          last = ids.at(-1) ?? last;
        }
      } catch (error) {
        if (!isRefusal(error)) throw error;
        const where = batch.places[0] ? ` from ${describe(file, batch.places[0])} on` : "";
        throw new CliError(
          `${error.message} The ${count(rows)} rows before were written; nothing${where} was.`,
        );
      }
      progress({ phase: `writing ${file}`, done: batch.done, total: opened.total, unit: "bytes" });
    }
  } finally {
    progress.stop();
  }
  return { first, last, resumed };
}

async function open(file: string, reading: Reading) {
  try {
    return await openIngestFile(file, reading);
  } catch (error) {
    throw fileError(file, error);
  }
}

async function* readBatches(file: string, opened: Awaited<ReturnType<typeof openIngestFile>>) {
  try {
    yield* opened.batches();
  } catch (error) {
    throw fileError(file, error);
  }
}

function fileError(file: string, error: unknown): Error {
  if (error instanceof IngestFileError)
    return new CliError(`${error.place ? describe(file, error.place) : file}: ${error.message}`);
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") return new CliError(`${file}: no such file`, ExitCode.usage);
  return error as Error;
}

function repeatedIds(rows: Record<string, unknown>[], places: Place[], seen: Map<number, Place>): BadRow[] {
  const bad: BadRow[] = [];
  rows.forEach((row, i) => {
    const id = row.id;
    const place = places[i];
    if (typeof id !== "number" || !place) return;
    const earlier = seen.get(id);
    if (earlier && earlier.number !== place.number)
      bad.push({
        place,
        field: "id",
        detail: `id ${id} is given again (first at ${earlier.unit} ${earlier.number})`,
      });
    else seen.set(id, place);
  });
  return bad;
}

function describe(file: string, place: Place): string {
  return place.unit === "line" ? `${file}:${place.number}` : `${file} row ${place.number}`;
}

function badRows(file: string, bad: BadRow[]): CliError {
  const sorted = bad.slice().sort((a, b) => a.place.number - b.place.number);
  const rows = new Set(sorted.map((b) => b.place.number)).size;
  const lines = sorted
    .slice(0, SHOWN)
    .map((b) => `  ${describe(file, b.place)}: ${b.field === null ? "" : `${b.field}: `}${b.detail}`);
  const more = sorted.length > SHOWN ? [`  … and ${count(sorted.length - SHOWN)} more`] : [];
  return new CliError(
    [`${file}: ${plural(rows, "bad row")}, nothing was written:`, ...lines, ...more].join("\n"),
  );
}

/** "1 track", "2 tracks", "1 analysis", "2 analyses". */
const rowsOf = (table: Table, n: number) => (n === 1 ? (table === "tracks" ? "track" : "analysis") : table);
