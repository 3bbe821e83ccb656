import { loadConfig } from "../../config/env";
import { isRefusal } from "../../errors";
import { type IngestResult, type IngestSink, streamAnalyses } from "../../ingest";
import { profileOf } from "../../runtime/database-profile";
import { openCliDatabase } from "../open-database";
import { CliError, ExitCode } from "../run";
import { parseScale, parseSeed } from "./corpus-options";

export type StreamOptions = {
  rate: string;
  duration?: string;
  url?: string;
  key?: string;
  scale?: string;
  seed?: string;
};

const REPORT_EVERY_MS = 5_000;
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `60s`, `2m`, `500ms`, `1h`; a bare number is seconds. */
export function parseDuration(raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? "s"] as number) : Number.NaN;
  if (!(ms > 0))
    throw new CliError(`--duration must be a time like 60s, 5m or 500ms, got "${raw}"`, ExitCode.usage);
  return ms;
}

/** `rapfs corpus stream`: analyses at a steady rate, into the database or through a server. */
export async function streamAction(opts: StreamOptions): Promise<void> {
  const rate = Number(opts.rate);
  if (!(rate > 0) || rate > 10_000) {
    throw new CliError(
      `--rate must be a number of analyses per second in (0, 10000], got "${opts.rate}"`,
      ExitCode.usage,
    );
  }
  const durationMs = opts.duration === undefined ? undefined : parseDuration(opts.duration);
  const config = loadConfig();
  const corpus = {
    scale: opts.scale === undefined ? config.corpus.scale : parseScale(opts.scale),
    seed: opts.seed === undefined ? config.corpus.seed : parseSeed(opts.seed),
  };
  if (opts.url !== undefined && !URL.canParse(opts.url))
    throw new CliError(
      `--url must be a server's base URL like http://127.0.0.1:8080, got "${opts.url}"`,
      ExitCode.usage,
    );
  const db = opts.url ? undefined : await openCliDatabase(config);
  const target = db ? profileOf(db).describe() : new URL(opts.url as string).origin;
  let reported = 0;
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once("SIGINT", interrupt);
  try {
    const until = durationMs ? ` for ${durationMs / 1000} s` : " until Ctrl-C";
    process.stdout.write(`streaming ${rate} analyses/s into ${target}${until}\n`);
    const report = await streamAnalyses({
      ...(db ? { sql: db.sql } : { sink: await serverSink(opts.url as string, opts.key) }),
      rate,
      signal: stop.signal,
      corpus,
      ...(durationMs === undefined ? {} : { durationMs }),
      onBatch: (_, progress) => {
        if (progress.elapsedMs - reported < REPORT_EVERY_MS) return;
        reported = progress.elapsedMs;
        process.stdout.write(`${line(progress)}\n`);
      },
    }).catch((error: unknown) => {
      if (isRefusal(error)) throw new CliError(`${error.message}${hint(error.message)}`);
      throw error;
    });
    process.stdout.write(`done: ${line(report)} in ${report.inserts.length} batches\n`);
  } finally {
    process.off("SIGINT", interrupt);
    await db?.close();
  }
}

const line = (p: { rows: number; elapsedMs: number; ratePerSecond: number }) =>
  `${p.rows.toLocaleString("en-US")} analyses in ${(p.elapsedMs / 1000).toFixed(1)} s (${p.ratePerSecond.toFixed(1)}/s)`;

const hint = (message: string) =>
  /does not exist/.test(message) ? " Does the database hold the corpus of this --scale and --seed?" : "";

/** The server's ingestion door through the SDK; a write is never retried (it could land twice). */
async function serverSink(url: string, key: string | undefined): Promise<IngestSink> {
  const { RapFS } = await import("@rapfs/sdk");
  const client = new RapFS({ baseURL: url, apiKey: key ?? process.env.RAPFS_API_KEY ?? null, maxRetries: 0 });
  return async (batch) => {
    try {
      const written = await client.admin.analyses.ingest(batch as never);
      const rows = (w: typeof written.tracks) => ({ count: w.count, ids: w.ids, createdAt: w.created_at });
      return { tracks: rows(written.tracks), analyses: rows(written.analyses) } satisfies IngestResult;
    } catch (error) {
      throw new CliError(`${url}: ${(error as Error).message}${hint((error as Error).message)}`);
    }
  };
}
