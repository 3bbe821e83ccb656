import { spawn } from "node:child_process";
import type postgres from "postgres";
import type { Sql } from "../../src/db/database";
import { DomainError } from "../../src/errors";
import { rapfsArgs } from "../support/rapfs-command";

/** `count` plain tracks (no embeddings) for analyses to name; their ids, from the serial. */
export async function seedTracks(sql: Sql, count: number): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`
    insert into tracks (title, artist, created_at)
    select 'track ' || i, 'artist ' || (i % 3), timestamp '2024-01-01' + i * interval '1 day'
    from generate_series(1, ${count}) i
    returning id`;
  return rows.map((row) => row.id);
}

export async function corpusCounts(sql: Sql): Promise<{ tracks: number; analyses: number }> {
  const [row] = await sql<{ tracks: number; analyses: number }[]>`
    select (select count(*) from tracks)::int as tracks, (select count(*) from analysis_results)::int as analyses`;
  return row ?? { tracks: 0, analyses: 0 };
}

/** A unit vector of `dimensions` with a one at `hot`: exact as float4, easy to compare. */
export function unitVector(dimensions: number, hot = 0): number[] {
  return Array.from({ length: dimensions }, (_, i) => (i === hot ? 1 : 0));
}

/** The database's clock, in epoch milliseconds. */
export async function databaseNow(sql: Sql | postgres.TransactionSql): Promise<number> {
  const [row] = await sql<
    { ms: number }[]
  >`select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`;
  return row?.ms ?? Number.NaN;
}

/** `2025-06-01T12:00:00.123456` (UTC wall time, as the door returns it) in epoch milliseconds. */
export const utcMs = (stamp: string): number => Date.parse(`${stamp.slice(0, 23)}Z`);

/** The DomainError a write is refused with (fails the test if it was not refused). */
export async function refusalOf(write: Promise<unknown>): Promise<DomainError> {
  const outcome = await write.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof DomainError)) throw new Error(`expected a refusal, got ${String(outcome)}`);
  return outcome;
}

export type CliRun = { code: number | null; stdout: string; stderr: string };

/**
 * `rapfs <args>` in a child process, with neither DATABASE_URL nor RAPFS_DATA_DIR unless `env`
 * sets them; `interrupt`: one Ctrl-C (SIGINT) `afterMs` after stdout shows `on`.
 */
export function runRapfs(
  args: string[],
  env: Record<string, string> = {},
  interrupt?: { on: RegExp; afterMs: number },
): Promise<CliRun> {
  const { DATABASE_URL: _url, RAPFS_DATA_DIR: _dir, ...inherited } = process.env;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, rapfsArgs(...args), {
      env: { ...inherited, LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (interrupted || !interrupt?.on.test(stdout)) return;
      interrupted = true;
      setTimeout(() => child.kill("SIGINT"), interrupt.afterMs);
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
