import { open, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { Sql } from "../../db/database";
import type { ProgressReporter } from "../../log/progress";
import { cardMarkdown, type DatasetCard } from "../cards/card";
import type { DownloadFormat } from "../encode/formats";
import { type PlanRequest, planDownload, standalonePlanSource } from "../plan/dataset-plan";
import { type ExportSettings, exportRows } from "./export";

export type FileExport = {
  out: string;
  /** README and card JSON beside the file: `<stem>.README.md`, `<stem>.card.json`. */
  readme: string;
  cardJson: string;
  rows: number;
  bytes: number;
  card: DatasetCard;
};

/** `public.parquet` → `public.README.md` and `public.card.json`, so exports side by side never collide. */
export function cardPaths(out: string): { readme: string; cardJson: string } {
  const stem = join(dirname(out), basename(out, extname(out)));
  return { readme: `${stem}.README.md`, cardJson: `${stem}.card.json` };
}

/**
 * `rapfs export`: writes to a temp file beside the target and renames it into place only once
 * every byte is written and flushed, so a failed or interrupted export never leaves a partial
 * file under the target name. The card is measured in the same snapshot as the rows.
 */
export async function exportToFile(
  sql: Sql,
  request: PlanRequest,
  options: {
    out: string;
    format: DownloadFormat;
    progress?: ProgressReporter;
    settings?: Partial<ExportSettings>;
  },
): Promise<FileExport> {
  const plan = await planDownload(standalonePlanSource(sql), request);
  const temp = join(dirname(options.out), `.${basename(options.out)}.${process.pid}.${Date.now()}.partial`);
  const handle = await open(temp, "wx");
  const phase = `export ${plan.name}`;
  try {
    const result = await exportRows(sql, plan, async (chunk) => void (await handle.write(chunk)), {
      ...options.settings,
      format: options.format,
      withCard: true,
      onStart: (info) => options.progress?.({ phase, done: 0, total: info.rows ?? 0 }),
      onProgress: (done, total) => options.progress?.({ phase, done, total }),
    });
    await handle.sync();
    await handle.close();
    const card = result.card as DatasetCard;
    const paths = cardPaths(options.out);
    await writeFile(paths.cardJson, `${JSON.stringify(card, null, 2)}\n`);
    await writeFile(paths.readme, cardMarkdown(card));
    await rename(temp, options.out);
    return { out: options.out, ...paths, rows: result.rows, bytes: result.bytes, card };
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}
