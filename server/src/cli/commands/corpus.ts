import type { Command } from "commander";
import { loadConfig } from "../../config/env";
import {
  ANALYZER_TYPES,
  CorpusExistsError,
  corpusPlan,
  corpusStatus,
  generateCorpus,
  MAX_SCALE,
} from "../../corpus";
import { migrate } from "../../db/migrate";
import { terminalProgress } from "../../log/progress";
import { profileOf } from "../../runtime/database-profile";
import { openCliDatabase } from "../open-database";
import { CliError, ExitCode } from "../run";

type GenerateOptions = { scale?: string; seed?: string; replace?: boolean };

const count = (n: number) => n.toLocaleString("en-US");

export function parseScale(raw: string): number {
  const scale = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new CliError(
      `--scale must be a number greater than 0 and at most ${MAX_SCALE} (1.0 is the full corpus), got "${raw}"`,
      ExitCode.usage,
    );
  }
  return scale;
}

export function parseSeed(raw: string): number {
  const seed = Number(raw);
  if (raw.trim() === "" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new CliError(`--seed must be a whole number ≥ 0, got "${raw}"`, ExitCode.usage);
  }
  return seed;
}

/** `rapfs corpus generate`; the corpus command, for its other subcommands (corpus-stream.ts). */
export function registerCorpusCommand(program: Command): Command {
  const full = corpusPlan(1);
  const corpus = program.command("corpus").description("the deterministic synthetic demo corpus");
  corpus
    .command("generate")
    .description(
      "migrate, then generate the synthetic corpus (tracks, analyses, embeddings) in one transaction",
    )
    .option(
      "--scale <number>",
      `size relative to the real corpus, in (0, ${MAX_SCALE}] (default: RAPFS_CORPUS_SCALE or 1)`,
    )
    .option("--seed <integer>", "random seed (default: RAPFS_CORPUS_SEED or 42)")
    .option("--replace", "replace an existing corpus instead of refusing")
    .addHelpText(
      "after",
      `
Scale 1.0 is the real platform's size: ${count(full.tracks)} tracks by ${count(full.artists)} artists and\n${count(full.analyses)} analyses from ${ANALYZER_TYPES.length} analyzers.
The same seed and scale always produce byte-identical data. Without DATABASE_URL the corpus goes
into the embedded database under RAPFS_DATA_DIR. An existing corpus is kept unless --replace is
given; a failed run leaves the database as it was.

Examples:
  rapfs corpus generate                      full corpus (a few minutes embedded)
  rapfs corpus generate --scale 0.01         ≈577 tracks, for tests and demos
  rapfs corpus generate --seed 7 --replace   regenerate with another seed`,
    )
    .action(async (options: GenerateOptions) => {
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
        const perAnalyzer = ANALYZER_TYPES.map((t) => `${t} ${count(summary.analysesByAnalyzer[t])}`).join(
          ", ",
        );
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        process.stdout.write(
          `corpus ready: ${count(summary.tracks)} tracks, ${count(summary.analyses)} analyses ` +
            `(${perAnalyzer}) in ${seconds} s\n`,
        );
      } finally {
        await db.close();
      }
    });
  return corpus;
}
