import { corpusPlan } from "../corpus/scale";

/**
 * The largest demo corpus the embedded default takes. Its search is an exact scan of every vector
 * in process memory, linear in the corpus: the fastest of 100 top-10 queries took 1.6, 2.9, 6.1
 * and 17.8 ms over the lyrics vectors of scales 1, 2, 4 and 10 (docs/scaling.md), so the brief's
 * 10 ms holds up to about here; scale 10 would also hold 1.7 GiB of vectors in one process beside
 * a 32-bit WebAssembly PostgreSQL. Past it, server PostgreSQL with pgvector's HNSW index answers.
 */
export const EMBEDDED_MAX_SCALE = 2;

/** One line naming the limit and the production path, or undefined when the embedded default takes `scale`. */
export function embeddedScaleRefusal(scale: number, databaseUrl: string | undefined): string | undefined {
  if (databaseUrl || scale <= EMBEDDED_MAX_SCALE) return undefined;
  const limit = corpusPlan(EMBEDDED_MAX_SCALE).tracks.toLocaleString("en");
  return (
    `RAPFS_CORPUS_SCALE=${scale} is beyond the embedded database's limit of ${EMBEDDED_MAX_SCALE} (${limit} tracks; ` +
    "past it, its exact search of every vector in process memory outgrows 10 ms): set DATABASE_URL to PostgreSQL with pgvector " +
    "(and REDIS_URL), as docs/scaling.md describes"
  );
}
