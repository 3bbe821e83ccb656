/** The download formats and how each is served; no encoder here, so the CLI can name them cheaply. */
export const FORMATS = ["parquet", "csv", "arrow", "json"] as const;
export type DownloadFormat = (typeof FORMATS)[number];

export const FORMAT_INFO: Record<DownloadFormat, { contentType: string; extension: string }> = {
  parquet: { contentType: "application/vnd.apache.parquet", extension: "parquet" },
  csv: { contentType: "text/csv; charset=utf-8; header=present", extension: "csv" },
  arrow: { contentType: "application/vnd.apache.arrow.stream", extension: "arrows" },
  json: { contentType: "application/x-ndjson", extension: "ndjson" },
};
