/** One kind of expensive request: its path and init for the n-th round, and when its client gives up. */
export type ExpensiveRequest = [
  kind: string,
  request: (n: number) => [path: string, init: RequestInit, abandonAfterMs?: number],
];

/** Bytes under a route's body limit that a hostile body comes up to (api/middleware/body.ts). */
const ONLINE_LIMIT = 512 * 1024;
const ACCESS_LIMIT = 16 * 1024;
const ABANDON_AFTER_MS = 300;

/** `json` padded with whitespace to just under `limit` bytes: as wide as the route takes. */
const widened = (json: string, limit: number) =>
  `${json}${" ".repeat(Math.max(0, limit - 64 - json.length))}`;

/**
 * What a real free key (default tier: 60 requests a minute, 3 downloads and 10,000 rows a day) can
 * send that is cheapest to send and costliest to serve: JSON bodies just under each route's limit
 * (1,000 ids with 500 long unknown feature names, a 16,000-d search vector, a padded key request),
 * a 100,000-row training CSV, an `as_of` card abandoned after a moment, and public downloads at
 * limits of its own (a new file each, with RAPFS_SPOOL_MAX_BYTES set by the test).
 */
export function hostileRequests(
  key: string,
  options: { tracks: number; trainingRows: number; randomAsOf: () => string },
): ExpensiveRequest[] {
  const auth = { authorization: `Bearer ${key}` };
  const json = { ...auth, "content-type": "application/json" };
  const track = () => Math.floor(Math.random() * options.tracks) + 1;
  const batch = () =>
    widened(
      JSON.stringify({
        ids: Array.from({ length: 1_000 }, track),
        features: Array.from({ length: 500 }, (_, i) => `track_profile:${"energy".repeat(30)}${i}`),
      }),
      ONLINE_LIMIT,
    );
  const search = () =>
    widened(
      JSON.stringify({ vector: Array.from({ length: 16_000 }, () => Math.random() - 0.5), k: 100 }),
      ONLINE_LIMIT,
    );
  const newKey = widened(JSON.stringify({ name: "wide", scopes: ["features:read"] }), ACCESS_LIMIT);
  const csv = trainingCsv(options);
  return [
    ["wide batch", () => ["/v1/features/track/batch", { method: "POST", headers: json, body: batch() }]],
    [
      "wide search",
      () => ["/v1/embeddings/lyrics/search", { method: "POST", headers: json, body: search() }],
    ],
    ["wide key", () => ["/v1/keys", { method: "POST", headers: json, body: newKey }]],
    [
      "training 100k",
      () => [
        "/v1/datasets/training?dataset=public&format=parquet",
        { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv },
      ],
    ],
    [
      "abandoned card",
      () => [`/v1/datasets/public?as_of=${options.randomAsOf()}`, { headers: auth }, ABANDON_AFTER_MS],
    ],
    [
      "distinct limit",
      () => [
        `/v1/datasets/public/download?format=json&limit=${101 + Math.floor(Math.random() * 1_000_000)}`,
        { headers: auth },
      ],
    ],
  ];
}

/** A training CSV of `trainingRows` rows, built once per hostile client. */
function trainingCsv(options: { tracks: number; trainingRows: number; randomAsOf: () => string }): string {
  const rows = Array.from(
    { length: options.trainingRows },
    (_, i) => `${Math.floor(Math.random() * options.tracks) + 1},${options.randomAsOf()},${i % 2}`,
  );
  return `track_id,event_timestamp,label\n${rows.join("\n")}`;
}
