import type { Command } from "commander";
import { STREAM_ANALYZERS } from "../../ingest/stream-analyzers";
import type { StreamOptions } from "../actions/corpus-stream";

export function registerCorpusStream(corpus: Command): void {
  corpus
    .command("stream")
    .description(
      "write new analyses at a steady rate: re-runs of random corpus tracks, as the analyzers would",
    )
    .option("--rate <n>", "analyses per second", "10")
    .option("--duration <time>", "how long, e.g. 60s or 5m (default: until Ctrl-C)")
    .option("--url <url>", "write through a running server's POST /v1/admin/analyses instead of the database")
    .option("--key <key>", "an admin key for --url (default: RAPFS_API_KEY)")
    .option("--scale <number>", "the corpus scale the database holds (default: RAPFS_CORPUS_SCALE or 1)")
    .option("--seed <integer>", "the corpus seed the database holds (default: RAPFS_CORPUS_SEED or 42)")
    .addHelpText(
      "after",
      `
Each analysis is a re-run by one of ${STREAM_ANALYZERS.join(", ")} of a track it analysed
before, with its newest model version and values read from the track as the generator reads them;
created_at is stamped at the write. Batches go every 100 ms. A line every few seconds says how
many were written and the rate achieved.

Examples:
  rapfs corpus stream --rate 50 --duration 60s
  rapfs corpus stream --url http://127.0.0.1:8080 --key "$RAPFS_ADMIN_KEY" --rate 5`,
    )
    .action(async (opts: StreamOptions) => {
      const { streamAction } = await import("../actions/corpus-stream");
      await streamAction(opts);
    });
}
