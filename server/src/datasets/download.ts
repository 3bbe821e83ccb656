import { createHash } from "node:crypto";
import type { Sql } from "../db/database";
import { chargeKey, type DownloadCost, type Spend } from "./charge";
import type { OutputColumn } from "./columns";
import { type DownloadFormat, FORMAT_INFO } from "./encode";
import { exportRows } from "./export";
import type { DatasetPlan } from "./plan";
import type { DatasetServices } from "./services";
import type { SnapshotInfo, TrainingInput } from "./snapshot";
import type { SpoolJob } from "./spool";
import { formatTimestamp } from "./timestamps";

export type DownloadInput = {
  plan: DatasetPlan;
  format: DownloadFormat;
  /** Everything the request asked for, normalized: what makes two requests the same download. */
  identity: Record<string, unknown>;
  /** Whose quota pays (the account id), or "anonymous". */
  subject: string;
  spend: Spend;
  /** Spends the bytes a charged download sent beyond its first (never refuses: they are sent). */
  settle?: (bytes: number) => Promise<void>;
  training?: TrainingInput;
};

export type StartedDownload = {
  job: SpoolJob;
  info: SnapshotInfo;
  columns: OutputColumn[];
  etag: string;
  /** False when this download was already charged today (a retry). */
  charged: boolean;
  filename: string;
};

/** Identifies a request of one subject; a Range request for it finds the spooled bytes. */
export function requestKey(subject: string, identity: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.entries(identity).sort(([a], [b]) => a.localeCompare(b)));
  return createHash("sha256").update(`${subject}\n${canonical}`).digest("hex");
}

export function downloadFilename(plan: DatasetPlan, format: DownloadFormat, training = false): string {
  const base = (training ? `training-${plan.entity.name}` : plan.name).replace(/[^A-Za-z0-9_.-]+/g, "-");
  const asOf =
    plan.asOf === undefined ? "" : `-as-of-${formatTimestamp(plan.asOf).slice(0, 19).replace(/[-:]/g, "")}`;
  return `${base}${asOf}.${FORMAT_INFO[format].extension}`;
}

/**
 * Opens the snapshot, counts its rows, charges the quota (once per subject, request and UTC day)
 * and starts encoding into the spool; resolves before the first byte, once the charge is done.
 * A refused charge rejects here and nothing is sent.
 */
export async function startDownload(
  deps: { sql: Sql; datasets: DatasetServices },
  input: DownloadInput,
): Promise<StartedDownload> {
  const { sql, datasets } = deps;
  const key = requestKey(input.subject, input.identity);
  const charge = chargeKey(input.subject, input.identity);
  const { job, started } = datasets.spool.start<Omit<StartedDownload, "job" | "etag" | "filename">>(
    key,
    async (write, markStarted) => {
      let charged = false;
      const { bytes } = await exportRows(sql, input.plan, write, {
        ...datasets.config,
        format: input.format,
        ...(input.training ? { training: input.training } : {}),
        onStart: async (info, columns) => {
          ({ charged } = await datasets.charger.charge(
            charge,
            downloadCost(input.plan, info.rows),
            input.spend,
          ));
          markStarted(etagOf(key, info.version), { info, columns, charged });
        },
      });
      // Bytes are known once encoded; the first was spent at the start, so a used-up quota refuses.
      if (charged) await input.settle?.(bytes - 1).catch(() => {});
    },
  );
  const value = await started;
  const filename = downloadFilename(input.plan, input.format, input.training !== undefined);
  job.meta = { rows: value.info.rows, version: value.info.version, filename };
  return { job, ...value, etag: job.etag as string, filename };
}

/**
 * A public dataset as defined is what a free tier is for: it spends downloads and bytes, so a
 * dataset larger than a day's rows still downloads whole. Anything else spends a row per row.
 */
export function downloadCost(plan: DatasetPlan, rows: number): DownloadCost {
  return { downloads: 1, rows: plan.public ? 0 : rows, bytes: 1 };
}

/** Strong: the bytes under one ETag are one spooled file, however often they are read. */
function etagOf(requestKey: string, version: string): string {
  return `"${createHash("sha256").update(`${requestKey}:${version}`).digest("hex").slice(0, 32)}"`;
}
