/** One kind of expensive request: its path and init for the n-th round, and when its client gives up. */
export type ExpensiveRequest = [
  kind: string,
  request: (n: number) => [path: string, init: RequestInit, abandonAfterMs?: number],
];

/** Bytes under a route's body limit that a hostile body comes up to (api/middleware/body.ts). */
const ONLINE_LIMIT = 512 * 1024;
const ACCESS_LIMIT = 16 * 1024;
const ABANDON_AFTER_MS = 300;
/** RAPFS_HOSTILE_FORMAT (parquet or json): distinct limits in that format only, to find whose cost it is. */
const FORMAT = process.env.RAPFS_HOSTILE_FORMAT;

/** `json` padded with whitespace to just under `limit` bytes: as wide as the route takes. */
const widened = (json: string, limit: number) =>
  `${json}${" ".repeat(Math.max(0, limit - 64 - json.length))}`;

/** Every feature of every track view, as the widest valid selection a batch or a search may ask. */
const EVERY_TRACK_FEATURE = [
  "track_profile@1:*",
  "qwen_analysis@1:*",
  "qwen_analysis@2:*",
  "emotion_scores@1:*",
  "algorithmic_metrics@1:*",
  "gemma_analysis@1:*",
  "analyzer_consensus@1:*",
  "track_artist@1:*",
];

/** Filters every track passes, so a search checks each of them for every candidate. */
const PASSING_FILTERS = Array.from({ length: 20 }, (_, i) =>
  i % 2 === 0
    ? { feature: "track_profile:popularity", op: "gte", value: -1 }
    : { feature: "qwen_analysis:sentiment", op: "ne", value: `none-${i}` },
);

/** The free tier's request rate: 60 a minute, one a second, with a margin for the window's edges. */
export const FREE_PACE_MS = 1_010;

/**
 * What a real free key (default tier: 60 requests a minute, 3 downloads and 10,000 rows a day) can
 * send that is cheapest to send and costliest to serve, each valid so that it is served, not
 * refused: a 1,000-id batch of every track feature, the lyrics vectors of 1,000 ids and a 384-d
 * search for the 100 nearest with 20 filters and every feature, each padded to just under the
 * route's body limit; a padded key request; a 100,000-row training CSV (refused on its count:
 * over the day's rows); an `as_of` card abandoned after a moment; public downloads at limits of
 * their own below its rows, in turn Parquet (a new file each, with RAPFS_SPOOL_MAX_BYTES set by
 * the test) and NDJSON (up to 80% of the whole file's 67 MB, read from the shared file). Sent at
 * FREE_PACE_MS, a key's daily downloads and rows run out within a minute, and what is refused
 * then is counted as refused.
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
      JSON.stringify({ ids: Array.from({ length: 1_000 }, track), features: EVERY_TRACK_FEATURE }),
      ONLINE_LIMIT,
    );
  const vectors = () => widened(JSON.stringify({ ids: Array.from({ length: 1_000 }, track) }), ONLINE_LIMIT);
  const search = () =>
    widened(
      JSON.stringify({
        vector: Array.from({ length: 384 }, () => Math.random() - 0.5),
        k: 100,
        filters: PASSING_FILTERS,
        include_features: EVERY_TRACK_FEATURE,
      }),
      ONLINE_LIMIT,
    );
  const newKey = widened(JSON.stringify({ name: "wide", scopes: ["features:read"] }), ACCESS_LIMIT);
  const csv = trainingCsv(options);
  let limits = 0;
  // Below `public`'s rows (about 81% of the tracks): a Parquet limit at or past them is the whole
  // shared file, served as it is, where one below is a new encoding, the costlier to serve.
  const belowRows = () =>
    101 + Math.floor(Math.random() * Math.max(1, Math.floor(options.tracks * 0.8) - 101));
  return [
    ["wide batch", () => ["/v1/features/track/batch", { method: "POST", headers: json, body: batch() }]],
    [
      "wide vectors",
      () => ["/v1/embeddings/lyrics/batch", { method: "POST", headers: json, body: vectors() }],
    ],
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
        `/v1/datasets/public/download?format=${FORMAT ?? (limits++ % 2 === 0 ? "parquet" : "json")}&limit=${belowRows()}`,
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
