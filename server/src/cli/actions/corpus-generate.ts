import { loadConfig } from "../../config/env";
import { ANALYZER_TYPES, CorpusExistsError, corpusPlan, corpusStatus, generateCorpus } from "../../corpus";
import { migrate } from "../../db/migrate";
import { terminalProgress } from "../../log/progress";
import { profileOf } from "../../runtime/database-profile";
import { openCliDatabase } from "../open-database";
import { CliError } from "../run";
import { parseScale, parseSeed } from "./corpus-options";

export type GenerateOptions = { scale?: string; seed?: string; replace?: boolean };

const count = (n: number) => n.toLocaleString("en-US");

/** `rapfs corpus generate`: migrate, then the corpus in one transaction. */
export async function generateAction(options: GenerateOptions): Promise<void> {
  const config = loadConfig();
  const scale = options.scale === undefined ? config.corpus.scale : parseScale(options.scale);
  const seed = options.seed === undefined ? config.corpus.seed : parseSeed(options.seed);
  const plan = corpusPlan(scale);
  const db = await openCliDatabase(config, { create: true });
  const where = profileOf(db).describe(config.dataDir);
  try {
    await migrate(db.sql, config.migrationsDir);
    const existing = await corpusStatus(db.sql);
    if ((existing.tracks > 0 || existing.analyses > 0) && !options.replace) {
      throw new CliError(
        `${where} already has a corpus (${count(existing.tracks)} tracks, ${count(existing.analyses)} analyses); ` +
          "pass --replace to regenerate it",
      );
    }
    process.stdout.write(
      `generating corpus (scale ${scale}, seed ${seed}): ${count(plan.tracks)} tracks by ` +
        `${count(plan.artists)} artists, ${count(plan.analyses)} analyses into ${where}\n`,
    );
    const progress = terminalProgress();
    const started = performance.now();
    let summary: Awaited<ReturnType<typeof generateCorpus>>;
    try {
      summary = await generateCorpus(db, {
        scale,
        seed,
        onProgress: progress,
        replace: options.replace,
      });
    } catch (error) {
      if (error instanceof CorpusExistsError)
        throw new CliError(`${error.message}; pass --replace to regenerate it`);
      throw error;
    } finally {
      progress.stop();
    }
    const perAnalyzer = ANALYZER_TYPES.map((t) => `${t} ${count(summary.analysesByAnalyzer[t])}`).join(", ");
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `corpus ready: ${count(summary.tracks)} tracks, ${count(summary.analyses)} analyses ` +
        `(${perAnalyzer}) in ${seconds} s\n`,
    );
  } finally {
    await db.close();
  }
}
