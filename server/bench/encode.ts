/**
 * `pnpm bench encode`: CSV and NDJSON downloads' encoding (datasets/encode/encode.ts) against the
 * same records built into one string per slice and encoded whole (the code before 749dd08), in
 * the same process, alternating. Rows in public's shapes, one title in ten with a character past
 * Latin-1 (as the corpus has "’"), so a slice's text is two bytes a character as real ones are.
 */
import { encodeRows } from "../src/datasets/encode/encode";
import type { OutputColumn } from "../src/datasets/plan/columns";
import { Utf8Pieces } from "../src/values/utf8-pieces";
import type { BenchRow } from "./types";

const ROWS = Number(process.env.RAPFS_BENCH_ENCODE_ROWS ?? 100_000);
const ROUNDS = Number(process.env.RAPFS_BENCH_ROUNDS ?? 5);

const column = (name: string, kind: OutputColumn["kind"]): OutputColumn => ({
  name,
  kind,
  description: name,
  source: name,
});
const COLUMNS: OutputColumn[] = [
  column("track_id", "int"),
  column("title", "string"),
  column("artist", "string"),
  column("popularity", "float"),
  column("release_year", "int"),
  column("genres", "string[]"),
  column("sentiment", "string"),
  column("confidence", "float"),
  column("event_timestamp", "timestamp"),
  ...Array.from({ length: 20 }, (_, i) => column(`score_${i}`, "float")),
];

function rowsOf(count: number): unknown[][] {
  return Array.from({ length: count }, (_, i) => [
    i + 1,
    i % 10 === 0 ? `Don’t Stop ${i}` : `Track number ${i}`,
    `Artist ${i % 997}`,
    (i * 7919) % 100,
    2000 + (i % 25),
    ["rap", "trap"],
    i % 3 === 0 ? "positive" : "negative",
    ((i * 31) % 1000) / 1000,
    1_700_000_000_000_000 + i * 1_000_000,
    ...Array.from({ length: 20 }, (_, j) => ((i * (j + 3)) % 9973) / 9973),
  ]);
}

/** Utf8Pieces as the encoder had it before: the slice's text as one string, encoded whole. */
class WholeSlice extends Utf8Pieces {
  private whole = "";
  override get size(): number {
    return this.whole.length;
  }
  override add(text: string): void {
    this.whole += text;
  }
  override take(): Buffer<ArrayBuffer> {
    const bytes = Buffer.from(this.whole, "utf8");
    this.whole = "";
    return bytes;
  }
}

async function timed(format: "csv" | "json", rows: unknown[][], whole: boolean): Promise<number> {
  async function* pages() {
    for (let at = 0; at < rows.length; at += 8_192) yield rows.slice(at, at + 8_192);
  }
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of encodeRows(format, COLUMNS, pages(), whole ? new WholeSlice() : undefined)) {
    bytes += chunk.byteLength;
  }
  if (bytes === 0) throw new Error("nothing encoded");
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function benchEncode(): Promise<BenchRow[]> {
  const rows = rowsOf(ROWS);
  const out: BenchRow[] = [];
  for (const format of ["json", "csv"] as const) {
    const pieces: number[] = [];
    const whole: number[] = [];
    await timed(format, rows.slice(0, 10_000), false);
    await timed(format, rows.slice(0, 10_000), true);
    for (let round = 0; round < ROUNDS; round++) {
      pieces.push(await timed(format, rows, false));
      whole.push(await timed(format, rows, true));
    }
    const value = median(pieces);
    const baselineValue = median(whole);
    const name = format === "json" ? "NDJSON" : "CSV";
    process.stderr.write(
      `encode: ${name}: pieces ${value.toFixed(0)} ms, whole slices ${baselineValue.toFixed(0)} ms\n`,
    );
    out.push({
      workload: `${name} download encoding, ${ROWS.toLocaleString("en")} rows of ${COLUMNS.length} columns`,
      baseline: "the same records and slices, each slice's text encoded whole (before 749dd08)",
      value,
      baselineValue,
      unit: "ms",
      ratio: value / baselineValue,
      target: "≤ 1× (no slower)",
      met: value <= baselineValue * 1.05,
      notes: `median of ${ROUNDS} alternating rounds (pieces ${pieces.map((m) => m.toFixed(0)).join(", ")}; whole ${whole.map((m) => m.toFixed(0)).join(", ")} ms); one title in ten holds "’"`,
    });
  }
  return out;
}
