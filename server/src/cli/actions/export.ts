import { loadConfig } from "../../config/env";
import { loadDatasetConfig } from "../../datasets/config";
import { exportToFile } from "../../datasets/delivery/export-file";
import { type DownloadFormat, FORMAT_INFO, FORMATS } from "../../datasets/encode/formats";
import { splitRefList } from "../../definitions/refs";
import { isRefusal } from "../../errors";
import { terminalProgress } from "../../log/progress";
import { parseTimestamp } from "../../values/timestamps";
import { openCliDatabase } from "../open-database";
import { CliError, ExitCode } from "../run";

export type ExportOptions = {
  format: string;
  out?: string;
  features?: string;
  service?: string;
  embeddings?: string;
  asOf?: string;
  limit?: string;
};

const list = (value: string | undefined) => (value === undefined ? undefined : splitRefList(value));

/** `rapfs export`: a dataset or a service's features to a file, with its card beside it. */
export async function exportAction(dataset: string, opts: ExportOptions): Promise<void> {
  if (!(FORMATS as readonly string[]).includes(opts.format)) {
    throw new CliError(`--format must be one of ${FORMATS.join(", ")}, got "${opts.format}"`, ExitCode.usage);
  }
  const format = opts.format as DownloadFormat;
  const asOf = opts.asOf === undefined ? undefined : parseTimestamp(opts.asOf);
  if (opts.asOf !== undefined && asOf === undefined) {
    throw new CliError(`--as-of must be an ISO 8601 timestamp, got "${opts.asOf}"`, ExitCode.usage);
  }
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new CliError(`--limit must be a whole number ≥ 1, got "${opts.limit}"`, ExitCode.usage);
  }
  const features = list(opts.features);
  const embeddings = list(opts.embeddings);
  const out = opts.out ?? `${dataset.replace(/[^A-Za-z0-9_.-]+/g, "-")}.${FORMAT_INFO[format].extension}`;
  const config = loadConfig();
  const settings = loadDatasetConfig();
  const db = await openCliDatabase(config);
  const progress = terminalProgress();
  try {
    const result = await exportToFile(
      db.sql,
      {
        dataset,
        ...(features ? { features } : {}),
        ...(opts.service ? { service: opts.service } : {}),
        ...(embeddings ? { embeddings } : {}),
        ...(asOf !== undefined ? { asOf } : {}),
        ...(limit !== undefined ? { limit } : {}),
      },
      { out, format, progress, settings },
    );
    progress.stop();
    process.stdout.write(
      `${result.out}: ${result.rows} rows, ${result.bytes} bytes (version ${result.card.version}); ` +
        `card in ${result.readme} and ${result.cardJson}\n`,
    );
  } catch (error) {
    if (isRefusal(error)) throw new CliError(error.message);
    throw error;
  } finally {
    progress.stop();
    await db.close();
  }
}
