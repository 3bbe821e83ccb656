import type { Command } from "commander";
import { ANALYZER_TYPES, corpusPlan, MAX_SCALE } from "../../corpus/scale";
import type { GenerateOptions } from "../actions/corpus-generate";

const count = (n: number) => n.toLocaleString("en-US");

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
      const { generateAction } = await import("../actions/corpus-generate");
      await generateAction(options);
    });
  return corpus;
}
