// Generated from the server's OpenAPI document by sdk/scripts/generate-types.ts; do not edit.
// Regenerate with `pnpm --filter @rapfs/sdk generate` after changing a route.
export interface paths {
  "/health": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Liveness: the process is up and serving
     * @description Answers without touching the database or Redis; use /ready for dependencies.
     */
    get: operations["getHealth"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/ready": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Readiness: dependencies reachable and data loaded
     * @description Cheap checks (the database answers a `select 1`, data preparation finished, the catalog is loaded, Redis answers) whose result is reused for a second. 503 with the failed checks in `checks` when a critical one fails; a dependency with a fallback (Redis, a read replica) that fails makes it `degraded`, still 200.
     */
    get: operations["getReady"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/metrics": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Prometheus metrics
     * @description Request rate, errors and latency by route pattern and status; online-store hit ratio and fallbacks; feature freshness per view; materialization runs; quota rejections.
     */
    get: operations["getMetrics"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/signup": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Create a free account and its first API key
     * @description Returns the key once: rapfs keeps only its SHA-256 digest. Limited per client address (IPv6: per /64) to 5 accounts created an hour and 30 attempts an hour, failed ones included, counted before the body is read (an attempt that creates no account gives its account back). The 429's `policy` says which: `signup` or `signup_attempts`. An email that already has an account gets 409: without email delivery the key cannot be sent elsewhere, so the address limit is what keeps probing for registered emails slow.
     */
    post: operations["signup"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/keys": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The keys of the calling key's account
     * @description Newest first, revoked and expired ones included; never the keys themselves.
     */
    get: operations["listKeys"];
    put?: never;
    /**
     * Create a key for the calling key's account
     * @description The new key's scopes must be held by the calling key, and it expires no later than the calling key (an expiry asked for past that, or none, becomes the calling key's). Revoking the calling key revokes the keys it made unless `descendants=keep`. A key in its rotation grace period cannot create keys (403). The key is shown only in this response.
     */
    post: operations["createKey"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/keys/{id}/rotate": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Replace a key with a new one, keeping the old one valid for a grace period
     * @description The new key has the old one's name, scopes and expiry (never later than the calling key's) and is shown only in this response. The old key stops working after `grace_seconds` (0: at once). A key of another account is 404; a key with scopes the calling key lacks is 403, and so is any call by a key in its own rotation grace period. The keys the old key made are kept (now the new key's) unless `descendants` is `revoke`.
     */
    post: operations["rotateKey"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/keys/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke a key at once, on every server
     * @description Revoking twice is not an error. A key of another account is 404. The keys it made, and theirs, are revoked with it unless `descendants=keep`; the calling key and the keys it made are always spared (revoking an old key with a newer one it made is a manual rotation).
     */
    delete: operations["revokeKey"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/usage": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The calling account's quotas, what is left of them, and daily history
     * @description Any valid key may ask. History is kept per UTC day.
     */
    get: operations["getUsage"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/admin/accounts": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every account, oldest first */
    get: operations["listAccounts"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/admin/accounts/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /**
     * Change an account's tier or disable it
     * @description Takes effect on every server within a second. The account of the calling key cannot be disabled.
     */
    patch: operations["updateAccount"];
    trace?: never;
  };
  "/v1/features/{entity}/batch": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Feature values of up to 1,000 entities
     * @description Ids are checked against the entity's key type and answered in order, duplicates included; an id without a row in a view gets `not_found` for that view's features. `rows` gives one object per id, `columns` one array per feature.
     */
    post: operations["getFeaturesBatch"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/features/{entity}/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Feature values of one entity
     * @description Reads every requested view version from the online store in one round trip (Postgres when it misses or is down). A deprecated version adds `Deprecation`, `Sunset` and `Link` headers.
     */
    get: operations["getFeatures"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/embeddings/{name}/batch": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** The vectors of up to 1,000 entities, in order */
    post: operations["getEmbeddingsBatch"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/embeddings/{name}/search": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Nearest neighbours by vector or by entity
     * @description Top-k by the embedding's metric, nearest first, optionally filtered on features (joined from the view tables, values bound as parameters) and returning the neighbours' features. With an HNSW index, a filtered search returns the k nearest rows that pass the filters: the index is scanned iteratively, or the qualifying rows exactly when the filters leave few (`strategy`).
     */
    post: operations["searchEmbedding"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/embeddings/{name}/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The vector of one entity */
    get: operations["getEmbedding"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/entities": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Entities and their key types */
    get: operations["listEntities"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/views": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Feature view versions, filterable */
    get: operations["listFeatureViews"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/views/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every version of one feature view */
    get: operations["getFeatureView"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/views/{name}/versions/{version}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One feature view version: schema, compiled SQL, freshness, statistics, drift */
    get: operations["getFeatureViewVersion"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/services": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Feature services: named feature sets for one model each */
    get: operations["listFeatureServices"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/services/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One feature service and what it resolves to now */
    get: operations["getFeatureService"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/embeddings": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Embeddings: dimension, metric, index */
    get: operations["listEmbeddings"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/datasets": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Datasets available for bulk download */
    get: operations["listDatasets"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/registry/datasets/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One dataset: columns, filters, licence and compiled query */
    get: operations["getDataset"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/admin/analyses": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Write new analyses (and tracks) into the corpus
     * @description The ingestion door for the platform's analyzers where they cannot reach the database (the embedded default): rows are checked against the corpus schema and written in one transaction, all or nothing. A batch with any bad row is refused with one entry in `errors` per bad field (`#/analyses/3/track_id`) and nothing is written. `created_at` may be left out: the write is stamped; one more than a minute ahead of the database's clock is refused. Up to 5,000 rows (tracks and analyses together) and 64 MiB a request. The views serve the new rows within their freshness objective.
     */
    post: operations["ingestAnalyses"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/datasets/training": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Point-in-time training data for uploaded (entity, timestamp[, label]) rows
     * @description Each uploaded row gets the features computed only from analyses created at or before its timestamp (a re-analysis after it never leaks in), in upload order, its label passed through. Columns: the entity key (`track_id`), `event_timestamp` (ISO 8601; UTC unless an offset is given) and optionally `label`. Up to 100000 rows and 33554432 bytes, as JSON, CSV (header row) or Parquet.
     */
    post: operations["trainingDataset"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/datasets/{name}/download": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Download a dataset or feature service as Parquet, CSV, Arrow or NDJSON
     * @description Rows come from one consistent snapshot (a materialization running meanwhile is either wholly in or wholly out), streamed as they are encoded. Spends one download and one row per row of the key's daily quotas once per request per UTC day (a retry of the same request is not charged again), charged before any work where they are known, and the bytes sent, every time (a retry and a `Range` resume with `If-Range: <ETag>` too); `If-None-Match: <ETag>` of an unchanged file is a 304 that spends nothing but the request. A dataset marked public, downloaded as defined (no `features`, `service` or `embeddings`), spends no rows; at its current version, whole or with a `limit` of at most 100 rows, it is one file shared by everyone and spends only its bytes; in CSV or NDJSON any `limit` is the first rows of that shared file and spends only its bytes too (in Parquet or Arrow a larger `limit` is a file of its own and spends a download). A download larger than a whole day of the tier's quota is refused with 403 EXCEEDS_QUOTA (no Retry-After: waiting never helps), which says what fits. See docs/datasets.md.
     */
    get: operations["downloadDataset"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/datasets/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The dataset card: schema, licence, rows, quality, version
     * @description Describes exactly the rows a download with the same options holds (the statistics are read in one snapshot); cached until a source is re-materialized. The current card costs a request. A card at an `as_of` not computed yet computes the dataset as it was then, so it is charged as one download (once a day per account and card) before the work starts, and takes a download slot (503 with Retry-After when all are busy). `service:<name>` describes a feature service.
     */
    get: operations["getDatasetCard"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Health: {
      /** @enum {string} */
      status: "ok";
      uptime_seconds: number;
    };
    Problem: {
      /** @example /docs/problems#problem-validation-failed */
      type: string;
      /** @example The request failed validation */
      title: string;
      /** @example 400 */
      status: number;
      /** @example 2 fields are not valid */
      detail: string;
      /**
       * @description The request path
       * @example /v1/features/track/batch
       */
      instance: string;
      /**
       * @description Stable machine-readable error code
       * @enum {string}
       */
      code:
        | "BAD_REQUEST"
        | "VALIDATION_FAILED"
        | "MALFORMED_JSON"
        | "UNKNOWN_FEATURE"
        | "UNAUTHORIZED"
        | "FORBIDDEN"
        | "EXCEEDS_QUOTA"
        | "NOT_FOUND"
        | "CONFLICT"
        | "GONE"
        | "PAYLOAD_TOO_LARGE"
        | "UNSUPPORTED_MEDIA_TYPE"
        | "RATE_LIMITED"
        | "INTERNAL_ERROR"
        | "NOT_READY"
        | "UNAVAILABLE";
      /** @description Also in the x-request-id header */
      request_id: string;
      errors?: components["schemas"]["FieldError"][];
    } & {
      [key: string]: unknown;
    };
    FieldError: {
      /**
       * @description Which part of the request holds the field
       * @enum {string}
       */
      in: "json" | "query" | "param" | "header" | "cookie" | "form";
      /**
       * @description Path of the field inside that part
       * @example [
       *       "ids",
       *       3
       *     ]
       */
      path: (string | number)[];
      /**
       * @description The same path as a JSON Pointer (RFC 6901)
       * @example #/ids/3
       */
      pointer: string;
      /** @example Expected string, received number */
      detail: string;
      /**
       * @description Validator issue code
       * @example invalid_type
       */
      code: string;
    };
    Readiness: {
      /**
       * @description `degraded`: a non-critical check failed (e.g. Redis; reads come from Postgres)
       * @enum {string}
       */
      status: "ready" | "degraded";
      checks: components["schemas"]["ReadinessCheck"][];
      /**
       * Format: date-time
       * @description When the checks ran: one run answers every probe for a second
       */
      checked_at: string;
    };
    ReadinessCheck: {
      name: string;
      /** @enum {string} */
      status: "pass" | "fail";
      /** @description A failing critical check makes the service not ready */
      critical: boolean;
      duration_ms: number;
      detail?: string;
    };
    SignupResponse: {
      account: components["schemas"]["Account"];
      key: components["schemas"]["CreatedApiKey"];
    };
    Account: {
      /** Format: uuid */
      id: string;
      email: string;
      name: string;
      /** @example free */
      tier: string;
      disabled: boolean;
      /**
       * @description When the account was disabled; its keys stop working at once
       * @example 2025-06-01T12:00:00.000Z
       */
      disabled_at: string | null;
      created_at: string;
    };
    CreatedApiKey: components["schemas"]["ApiKey"] & {
      /**
       * @description The plaintext key. Shown only in this response: rapfs stores only its SHA-256 digest.
       * @example rapfs_7QdEyxnL9Fm2aT4kPbWz8sRcVh3uGjN5
       */
      key: string;
    };
    /**
     * @description `admin` implies every other scope
     * @enum {string}
     */
    Scope: "features:read" | "embeddings:read" | "datasets:read" | "keys:manage" | "admin";
    ApiKey: {
      /** Format: uuid */
      id: string;
      name: string;
      /**
       * @description The key's first characters, to tell keys apart
       * @example rapfs_7QdE…
       */
      prefix: string;
      scopes: components["schemas"]["Scope"][];
      /**
       * @description `rotating`: replaced by a newer key, valid until `expires_at`
       * @enum {string}
       */
      status: "active" | "rotating" | "expired" | "revoked";
      created_at: string;
      /**
       * @description Updated at most every 15 s
       * @example 2025-06-01T12:00:00.000Z
       */
      last_used_at: string | null;
      /**
       * @description null: never expires
       * @example 2025-06-01T12:00:00.000Z
       */
      expires_at: string | null;
      /**
       * @description null: not revoked
       * @example 2025-06-01T12:00:00.000Z
       */
      revoked_at: string | null;
      /**
       * Format: uuid
       * @description The key that replaced it on rotation
       */
      replaced_by: string | null;
    };
    SignupRequest: {
      /** @example ada@example.com */
      email: string;
      /** @example Ada */
      name?: string;
    };
    ApiKeyList: {
      keys: components["schemas"]["ApiKey"][];
    };
    CreateKeyRequest: {
      /** @example notebook */
      name?: string;
      /**
       * @description At most the calling key's own scopes
       * @example [
       *       "features:read"
       *     ]
       */
      scopes: components["schemas"]["Scope"][];
      /**
       * Format: date-time
       * @example 2026-01-01T00:00:00Z
       */
      expires_at?: string;
      expires_in_days?: number;
    };
    RotatedApiKey: components["schemas"]["CreatedApiKey"] & {
      previous: components["schemas"]["ApiKey"] & unknown;
      grace_seconds: number;
      /** @description How many keys made by this one (transitively) were revoked with it */
      descendants_revoked: number;
    };
    RotateKeyRequest: {
      /** @description How long the old key keeps working (default 86400: one day) */
      grace_seconds?: number;
      /**
       * @description The keys this key made (POST /v1/keys with it), and theirs: revoked with it, or kept. Revoking defaults to `revoke` (a leaked key's children are as leaked); rotating defaults to `keep`, and the kept keys become the successor's.
       * @enum {string}
       */
      descendants?: "revoke" | "keep";
    };
    RevokedApiKey: components["schemas"]["ApiKey"] & {
      /** @description How many keys made by this one (transitively) were revoked with it */
      descendants_revoked: number;
    };
    Usage: {
      tier: string;
      /** @description requests per minute, entity rows per UTC day, dataset downloads per UTC day, bytes those downloads send per UTC day, and how fast they are sent (bytes a second, in each server process) */
      limits: {
        /** @description null: unlimited */
        requests: number | null;
        /** @description null: unlimited */
        rows: number | null;
        /** @description null: unlimited */
        downloads: number | null;
        /** @description null: unlimited */
        bytes: number | null;
        /** @description null: unlimited */
        bytes_per_second: number | null;
      };
      /** @description Current windows (this request counted) */
      windows: components["schemas"]["UsageWindow"][];
      /** @description Daily totals, newest first */
      history: components["schemas"]["UsageDay"][];
    };
    UsageWindow: {
      /** @enum {string} */
      policy: "requests" | "rows" | "downloads" | "bytes";
      limit: number;
      remaining: number;
      /** @description Seconds until the window resets */
      reset_seconds: number;
      window_seconds: number;
      /**
       * @description `fixed`: from the first request in it; `utc-day`: resets at UTC midnight
       * @enum {string}
       */
      window: "fixed" | "utc-day";
    };
    UsageDay: {
      /** @example 2025-06-01 */
      day: string;
      requests: number;
      rows: number;
      downloads: number;
      /** @description Bytes sent by dataset downloads */
      bytes: number;
      /** @description Requests refused with 429 */
      rejected: number;
    };
    AccountList: {
      accounts: components["schemas"]["Account"][];
      /**
       * Format: uuid
       * @description Pass as `after` for the next page
       */
      next_after: string | null;
    };
    UpdateAccountRequest: {
      /**
       * @description A configured tier
       * @example pro
       */
      tier?: string;
      /** @description true stops every key of the account at once */
      disabled?: boolean;
    };
    FeatureRows: {
      entity: string;
      service?: string;
      /** @description Canonical references, in order */
      features: string[];
      /**
       * @description discriminator enum property added by openapi-typescript
       * @enum {string}
       */
      format: "rows";
      rows: {
        id: components["schemas"]["EntityId"];
        features: {
          [key: string]: components["schemas"]["FeatureValue"];
        };
      }[];
    };
    /**
     * @description Integer for tracks (tracks.id), the artist name for artists
     * @example 42
     */
    EntityId: number | string;
    FeatureValue: {
      /** @description The value; null when status is `null` or `not_found` */
      value?: unknown;
      /**
       * @description `not_found`: the entity has no row in this view version (for a related entity's feature: the relation's key is missing or the related entity has no row)
       * @enum {string}
       */
      status: "present" | "null" | "not_found";
      /**
       * @description When the row's values were true in the source (UTC)
       * @example 2025-05-05T04:09:38.000000Z
       */
      event_timestamp: string | null;
    };
    FeatureColumns: {
      entity: string;
      service?: string;
      /** @description Canonical references, in order */
      features: string[];
      /**
       * @description discriminator enum property added by openapi-typescript
       * @enum {string}
       */
      format: "columns";
      ids: components["schemas"]["EntityId"][];
      /** @description Per view version (`view@version`, or `relation.view@version` for a related entity's: a column reference's part before `:`), each id's event timestamp; null where the id has no row in that view version */
      event_timestamps: {
        [key: string]: (string | null)[];
      };
      columns: {
        [key: string]: components["schemas"]["FeatureColumn"];
      };
    };
    /** @description Values and statuses in id order; the event timestamps are the view version's (`event_timestamps`) */
    FeatureColumn: {
      values: unknown[];
      /** @description Each value's status in id order; left out when every value is present (as an Arrow column without nulls has no validity buffer), which is most columns */
      statuses?: ("present" | "null" | "not_found")[];
    };
    FeatureBatchRequest: {
      /**
       * @description 1 to 1000 ids; duplicates are answered in place
       * @example [
       *       1,
       *       2,
       *       3
       *     ]
       */
      ids: (number | string)[];
      features?: string[];
      service?: string;
      /**
       * @default rows
       * @enum {string}
       */
      format: "rows" | "columns";
    };
    FeatureVector: {
      /** @example track */
      entity: string;
      id: components["schemas"]["EntityId"];
      service?: string;
      /** @description Values by canonical reference (`view@version:feature`), in the requested order */
      features: {
        [key: string]: components["schemas"]["FeatureValue"];
      };
    };
    EmbeddingBatch: {
      /**
       * @description name@version
       * @example lyrics@1
       */
      embedding: string;
      entity: string;
      dimension: number;
      /** @enum {string} */
      metric: "cosine" | "l2" | "inner_product";
      items: {
        id: components["schemas"]["EntityId"];
        /** @description float4 components */
        vector: number[] | null;
        /** @enum {string} */
        status: "present" | "null" | "not_found";
      }[];
    };
    EmbeddingBatchRequest: {
      ids: (number | string)[];
    };
    SearchResponse: {
      /**
       * @description name@version
       * @example lyrics@1
       */
      embedding: string;
      entity: string;
      dimension: number;
      /** @enum {string} */
      metric: "cosine" | "l2" | "inner_product";
      k: number;
      /**
       * @description hnsw when the HNSW index answered; exact when every qualifying row was scanned
       * @enum {string}
       */
      index: "exact" | "hnsw";
      /**
       * @description exact: every vector scanned (no HNSW index, or another metric); exact_filtered: the planner estimates the filters leave few rows (about 2 × √((k + 1) × rows) or fewer), all scanned; hnsw_iterative: the index, scanned until k rows pass the filters; exact_fallback: the exact scan answered (one at a time per server process, accounts taking turns; past 16 waiting, 4 of them one account's, 503 with Retry-After) because the index's answer could not be vouched for (fewer than k rows; by id, the query's own row not reached; the query an outlier, its own neighbours farther than 98% of sampled vectors'; its own neighbours jumping, from the third on, to 1.5 × the distance of the one before; or rows far outside the query's own neighbourhood); no_vector: by id, the entity exists but has no vector (GET answers `vector: null`) or, under cosine, an all-zero one, so no neighbours
       * @enum {string}
       */
      strategy: "exact" | "exact_filtered" | "hnsw_iterative" | "exact_fallback" | "no_vector";
      /** @description hnsw.ef_search the index scan ran with; null for exact answers */
      ef_search: number | null;
      neighbors: {
        id: components["schemas"]["EntityId"];
        /** @description pgvector distance: <=> cosine, <-> l2, <#> negative inner product */
        distance: number;
        features?: {
          [key: string]: components["schemas"]["FeatureValue"];
        };
      }[];
    };
    SearchRequest: {
      /** @description Search by this vector (under cosine, not all zeros: it has no direction; 400 zero_vector; float32 distances: 400 vector_too_long past a squared length of 8.5e37) */
      vector?: number[];
      /** @description Or by this entity's own vector (the entity is left out). An unknown id is 404; an entity without a vector (null on GET), or with an all-zero one under cosine, answers 200 with no neighbours and strategy `no_vector` */
      id?: number | string;
      /** @default 10 */
      k: number;
      /**
       * @description Default: the embedding's metric (another one always scans exactly)
       * @enum {string}
       */
      metric?: "cosine" | "l2" | "inner_product";
      /** @default [] */
      filters: components["schemas"]["FeatureFilter"][];
      /** @description Feature references to return with each neighbour */
      include_features?: string[];
      /** @description Or a feature service's features */
      include_service?: string;
      /** @description hnsw.ef_search for this query (HNSW index scans only, default 40 or k if larger; exact scans ignore it) */
      ef_search?: number;
    };
    /**
     * @description Views are left-joined on the entity key, so an entity with no row in the filter's view counts as NULL: `is_null` matches it too, and every comparison (`ne` included) leaves it out, as SQL does with NULL. `not_null` selects the entities that have a value.
     * @example {
     *       "feature": "track_profile:popularity",
     *       "op": "gte",
     *       "value": 50
     *     }
     */
    FeatureFilter: {
      /** @example qwen_analysis:sentiment */
      feature: string;
      /** @enum {string} */
      op: "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "contains" | "is_null" | "not_null";
      /** @description A value of the feature's type; an array for `in`; none for is_null/not_null */
      value?: unknown;
    };
    EmbeddingVector: {
      /**
       * @description name@version
       * @example lyrics@1
       */
      embedding: string;
      entity: string;
      dimension: number;
      /** @enum {string} */
      metric: "cosine" | "l2" | "inner_product";
      id: components["schemas"]["EntityId"];
      /** @description null when the entity has no vector (e.g. no lyrics) */
      vector: number[] | null;
    };
    EntityList: {
      entities: components["schemas"]["Entity"][];
    };
    Entity: {
      /** @example track */
      name: string;
      /** @example track_id */
      key_column: string;
      /** @enum {string} */
      key_type: "int" | "string";
      description: string;
      /** @description Related entities by relation name: relation.view@version:feature (or view@version:feature, when only one relation reaches that view's entity) takes their features in this entity's lookups */
      relations: {
        [key: string]: components["schemas"]["EntityRelation"];
      };
    };
    EntityRelation: {
      /** @example artist */
      entity: string;
      /**
       * @description The feature of this entity holding the related entity's key
       * @example track_artist@1:artist_name
       */
      key: string;
      description?: string;
    };
    FeatureViewList: {
      views: components["schemas"]["FeatureViewSummary"][];
    };
    FeatureViewSummary: {
      name: string;
      version: number;
      /**
       * @description name@version
       * @example qwen_analysis@2
       */
      ref: string;
      entity: string;
      /** @enum {string} */
      status: "active" | "deprecated" | "retired";
      sunset_date: string | null;
      /** @description What `view:feature` resolves to */
      is_latest: boolean;
      description: string;
      owner: string | null;
      tags: string[];
      table: string;
      features: components["schemas"]["FeatureInfo"][];
      last_materialized_at: string | null;
      /** @description Seconds since the last materialization; null before the first */
      freshness_seconds: number | null;
      freshness: components["schemas"]["ServedFreshness"];
      row_count: number | null;
      last_run: components["schemas"]["MaterializationRun"];
      links: {
        self: string;
      };
    };
    FeatureInfo: {
      name: string;
      /** @example float */
      type: string;
      /** @example double precision */
      pg_type: string;
      description: string;
      /** @description The SQL expression over the source */
      expr: string;
      tags: string[];
    };
    ServedFreshness: {
      /** @description How soon a new source row must be served (the view's `freshness`) */
      objective_seconds: number;
      /** @description Seconds since the oldest change to its sources it does not serve yet (0: it serves every change); null where nothing measures it (RAPFS_FRESHNESS=off) */
      lag_seconds: number | null;
      /** @description Source write statements it has not served yet */
      pending_changes: number | null;
      /** @enum {string} */
      status: "fresh" | "behind" | "unmonitored";
      /** @description Analyses its runs skip because its SQL cannot read their analysis_data (the track keeps its previous analysis); `rapfs quarantine` lists them. null where nothing measures it */
      quarantined_analyses: number | null;
    };
    MaterializationRun: {
      id: number;
      /** @enum {string} */
      mode: "full" | "incremental";
      /** @enum {string} */
      status: "running" | "succeeded" | "failed";
      started_at: string;
      finished_at: string | null;
      duration_ms: number | null;
      rows_written: number | null;
      row_count: number | null;
      error: string | null;
    } | null;
    FeatureViewVersions: {
      name: string;
      latest_version: number | null;
      versions: components["schemas"]["FeatureViewSummary"][];
    };
    FeatureViewVersion: components["schemas"]["FeatureViewSummary"] & {
      schema: {
        key: {
          name: string;
          pg_type: string;
        };
        columns: {
          name: string;
          type: string;
          pg_type: string;
        }[];
      };
      /** @description Newest source timestamp included */
      watermark: string | null;
      compiled: {
        ddl: string;
        select: components["schemas"]["CompiledQuery"];
        full: components["schemas"]["CompiledQuery"];
        incremental: components["schemas"]["CompiledQuery"];
        point_in_time: components["schemas"]["CompiledQuery"];
        /** @description Artist views: each track's aggregate inputs whenever a row it reads appears; training sets sum them as running totals per artist instead of aggregating the artist again per row */
        point_in_time_history?: {
          changes: components["schemas"]["CompiledQuery"];
          running: {
            [key: string]: string;
          };
        } | null;
        /** @description Track views: the instants a track's values may change; training sets compute the view once per change and each row reads the last one at or before its time */
        point_in_time_changes?: {
          text: string;
          params: unknown[];
        } | null;
        watermark: components["schemas"]["CompiledQuery"];
      };
      /** @description Of the whole table as of `statistics.run_id`; null before it was first counted */
      statistics: {
        /** @enum {string} */
        scope: "table" | "changed";
        /** @description The materialization run whose table these statistics describe: the last full run, or an incremental run after which the whole table was counted again (within seconds of it) */
        run_id: number;
        /** @description When that run finished (ISO 8601) */
        run_finished_at: string;
        rows: number;
        /** @description Quantiles were computed over the rows whose track_id is a multiple of this (1: every row); track views above 20,000 rows are sampled so, artist views never */
        quantile_sample_every: number;
        features: {
          [key: string]: components["schemas"]["ColumnStats"];
        };
      } | null;
      drift: {
        /** @description The previous version compared with (its statistics) */
        against: string;
        features: {
          [key: string]: {
            null_rate_delta: number | null;
            mean_delta?: number | null;
            top_values_distance?: number | null;
          };
        };
      } | null;
      /** @description The latest version, when it is newer */
      successor: string | null;
    };
    CompiledQuery: {
      text: string;
      params: unknown[];
    };
    ColumnStats: {
      type: string;
      /** @description Non-null values */
      count: number;
      null_count?: number;
      null_rate: number | null;
      distinct_count?: number;
      min?: unknown;
      max?: unknown;
      mean?: number | null;
      /** @description p5, p25, p50, p75, p95: numbers, or ISO timestamps for a timestamp feature. Over every row of a view of up to 20,000 rows; above that, over the systematic sample of rows whose track_id is a multiple of the statistics' `quantile_sample_every` (about 20,000 rows). Every other statistic, histograms included, is over every row. */
      quantiles?: {
        [key: string]: number | string;
      } | null;
      histogram?: components["schemas"]["Histogram"];
      min_length?: number | null;
      max_length?: number | null;
      mean_length?: number | null;
      length_histogram?: components["schemas"]["Histogram"] & unknown;
      top_values?:
        | {
            value?: unknown;
            count: number;
          }[]
        | null;
    };
    /** @description Fixed-width bins over a robust range: `histogram` of a number's values or a timestamp's seconds since 1970-01-01 UTC, `length_histogram` of a list's lengths. */
    Histogram: {
      /** @description Lower edge of the first bin */
      lower: number;
      /** @description Upper edge of the last bin (exclusive) */
      upper: number;
      /** @description Every bin is this wide: bin i is [lower + i·bin_width, lower + (i+1)·bin_width) */
      bin_width: number;
      /** @description Non-null values per bin */
      counts: number[];
      /** @description Values below `lower` */
      underflow: number;
      /** @description Values at or above `upper` */
      overflow: number;
      /**
       * @description How the binned range was chosen: Tukey's fences (Q1 − 1.5·IQR, Q3 + 1.5·IQR) clipped to min and max; p5–p95 when the quartiles are equal; min–max when nothing lies outside the fences, or for integers spanning fewer than 30 values (one bin per value)
       * @enum {string}
       */
      range: "tukey_fences" | "p5_p95" | "min_max";
    };
    FeatureServiceList: {
      services: components["schemas"]["FeatureService"][];
    };
    FeatureService: {
      /** @example hit_predictor */
      name: string;
      entity: string;
      description: string;
      owner: string | null;
      tags: string[];
      /** @description References as written in the definition */
      feature_refs: string[];
      /** @description What they resolve to now (canonical references) */
      features: string[];
      deprecated_views: string[];
      /** @description Why the service cannot be served now, if so */
      resolution_error: string | null;
    };
    EmbeddingList: {
      embeddings: components["schemas"]["EmbeddingInfo"][];
    };
    EmbeddingInfo: {
      /** @example lyrics */
      name: string;
      version: number;
      /** @example lyrics@1 */
      ref: string;
      entity: string;
      dimension: number;
      /** @enum {string} */
      metric: "cosine" | "l2" | "inner_product";
      /** @enum {string} */
      index: "exact" | "hnsw";
      /** @enum {string} */
      status: "active" | "deprecated" | "retired";
      sunset_date: string | null;
      description: string;
      tags: string[];
      /** @description Null for vectors read from the tracks table directly */
      last_materialized_at: string | null;
      freshness_seconds: number | null;
    };
    DatasetList: {
      datasets: components["schemas"]["Dataset"][];
    };
    Dataset: {
      /** @example public */
      name: string;
      entity: string;
      description: string;
      license: string;
      /** @description Downloadable whole on every tier: a download of the dataset as defined spends downloads and bytes per day, not entity rows */
      public: boolean;
      owner: string | null;
      tags: string[];
      columns: {
        /** @example qwen_analysis__sentiment */
        column: string;
        /** @example qwen_analysis@2:sentiment */
        ref: string;
        type: string;
      }[];
      filters: {
        feature: string;
        op: string;
        value?: unknown;
      }[];
      links: {
        self: string;
        download: string;
      };
    };
    DatasetDetail: components["schemas"]["Dataset"] & {
      /** @description The compiled SQL of a download's rows */
      query: {
        text: string;
        params: unknown[];
      };
    };
    IngestResult: {
      tracks: components["schemas"]["WrittenRows"];
      analyses: components["schemas"]["WrittenRows"];
    };
    WrittenRows: {
      count: number;
      /** @description In the order the rows were sent */
      ids: number[];
      /**
       * @description Each row's created_at as stored (UTC)
       * @example [
       *       "2025-06-01T12:00:00.123456"
       *     ]
       */
      created_at: string[];
    };
    /**
     * @example {
     *       "analyses": [
     *         {
     *           "track_id": 42,
     *           "analyzer_type": "algorithmic",
     *           "model_version": "algorithmic@2.0",
     *           "complexity_score": 0.41,
     *           "processing_time_ms": 4,
     *           "analysis_data": {
     *             "word_count": 412,
     *             "unique_words": 198,
     *             "lexical_diversity": 0.48
     *           }
     *         }
     *       ]
     *     }
     */
    IngestRequest: {
      /** @description New tracks, written before the analyses (which may name their given ids) */
      tracks?: components["schemas"]["TrackInput"][];
      analyses?: components["schemas"]["AnalysisInput"][];
    };
    TrackInput: {
      /** @description Given only to choose the id; else the serial's */
      id?: number | null;
      title?: string | null;
      artist?: string | null;
      lyrics?: string | null;
      url?: string | null;
      /**
       * @description ISO 8601; UTC unless it has an offset. Absent or null: the server stamps the write.
       * @example 2025-06-01T12:00:00Z
       */
      created_at?: string | null;
      /** @description Any JSON value (stored as jsonb) */
      spotify_data?: unknown;
      /** @description Any JSON value (stored as jsonb) */
      audio_features?: unknown;
      /** @description 384 numbers (float4) */
      lyrics_embedding?: number[] | null;
      /** @description 128 numbers (float4) */
      audio_embedding?: number[] | null;
    };
    AnalysisInput: {
      track_id: number;
      /** @enum {string} */
      analyzer_type:
        | "qwen-3-4b-fp8"
        | "gemma-3-27b-it"
        | "algorithmic"
        | "emotion-distilroberta"
        | "simplified_features"
        | "ollama-llama3.1-8b";
      sentiment?: string | null;
      confidence?: number | null;
      themes?: string | null;
      /** @description Any JSON value (stored as jsonb) */
      analysis_data?: unknown;
      /**
       * @description ISO 8601; UTC unless it has an offset. Absent or null: the server stamps the write.
       * @example 2025-06-01T12:00:00Z
       */
      created_at?: string | null;
      complexity_score?: number | null;
      processing_time_ms?: number | null;
      model_version?: string | null;
      /** @description 256 numbers (float4) */
      analysis_embedding?: number[] | null;
    };
    DatasetCard: {
      /** @example public */
      name: string;
      /** @enum {string} */
      kind: "dataset" | "feature_service";
      entity: string;
      description: string;
      license: string | null;
      /** @description Downloadable whole on every tier: this download spends downloads and bytes, not entity rows */
      public: boolean;
      owner: string | null;
      /** @description Which entities are rows: those present in every view read (inner joins on the key), then the filters */
      row_set: string;
      /** @description Changes when a source is re-materialized */
      version: string;
      /** @description When the newest materialization read finished */
      built_at: string | null;
      generated_at: string;
      as_of: string | null;
      limit: number | null;
      rows: number;
      columns: {
        name: string;
        type: string;
        description: string;
        source: string;
        null_rate: number;
        min?: number | string | null;
        max?: number | string | null;
        mean?: number | null;
        distinct?: number;
        true_rate?: number | null;
        min_items?: number | null;
        max_items?: number | null;
      }[];
      filters: {
        feature: string;
        op: string;
        value?: unknown;
      }[];
      sources: {
        [key: string]: unknown;
      }[];
      quality: {
        duplicates: {
          columns: string[];
          groups: number;
          rows: number;
          examples: {
            values: string[];
            keys: unknown[];
          }[];
        } | null;
      };
      formats: string[];
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  getHealth: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The process is alive */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Health"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getReady: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Ready to serve */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Readiness"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_READY`: The service is not ready */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getMetrics: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Prometheus text exposition format */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "text/plain": string;
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  signup: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "email": "ada@example.com",
         *       "name": "Ada"
         *     }
         */
        "application/json": components["schemas"]["SignupRequest"];
      };
    };
    responses: {
      /** @description The account and its first key (scopes: everything but admin) */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SignupResponse"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `CONFLICT`: The request conflicts with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listKeys: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The account's keys */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ApiKeyList"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  createKey: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "name": "notebook",
         *       "scopes": [
         *         "features:read"
         *       ],
         *       "expires_in_days": 90
         *     }
         */
        "application/json": components["schemas"]["CreateKeyRequest"];
      };
    };
    responses: {
      /** @description The new key */
      201: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["CreatedApiKey"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `CONFLICT`: The request conflicts with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  rotateKey: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        /**
         * @example {
         *       "grace_seconds": 3600
         *     }
         */
        "application/json": components["schemas"]["RotateKeyRequest"];
      };
    };
    responses: {
      /** @description The new key */
      201: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["RotatedApiKey"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `CONFLICT`: The request conflicts with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  revokeKey: {
    parameters: {
      query?: {
        /** @description The keys this key made (POST /v1/keys with it), and theirs: revoked with it, or kept. Revoking defaults to `revoke` (a leaked key's children are as leaked); rotating defaults to `keep`, and the kept keys become the successor's. */
        descendants?: "revoke" | "keep";
      };
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The revoked key */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["RevokedApiKey"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getUsage: {
    parameters: {
      query?: {
        days?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Usage */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Usage"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listAccounts: {
    parameters: {
      query?: {
        limit?: number;
        /** @description The last id of the previous page */
        after?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of accounts */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["AccountList"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  updateAccount: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "tier": "pro"
         *     }
         */
        "application/json": components["schemas"]["UpdateAccountRequest"];
      };
    };
    responses: {
      /** @description The account as updated */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Account"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `CONFLICT`: The request conflicts with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getFeaturesBatch: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        entity: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "ids": [
         *         1,
         *         2,
         *         3
         *       ],
         *       "service": "hit_predictor",
         *       "format": "rows"
         *     }
         */
        "application/json": components["schemas"]["FeatureBatchRequest"];
      };
    };
    responses: {
      /** @description The values */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureRows"] | components["schemas"]["FeatureColumns"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON; `UNKNOWN_FEATURE`: A requested feature, view, version or service does not exist */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `PAYLOAD_TOO_LARGE`: The request body is too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getFeatures: {
    parameters: {
      query?: {
        /** @description Feature references, comma-separated or repeated: `view@2:feature`, `view:feature` (latest version), `view@2:*`; a related entity's features through the entity's relation: `artist.artist_stats@1:*` (or `artist_stats@1:*`, when one relation reaches that view's entity), answered under `artist.…` keys */
        features?: string | string[];
        /** @description A feature service instead of `features` */
        service?: string;
      };
      header?: never;
      path: {
        entity: string;
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The values */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureVector"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `UNKNOWN_FEATURE`: A requested feature, view, version or service does not exist */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getEmbeddingsBatch: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description `name` (highest servable version) or `name@version` */
        name: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "ids": [
         *         1,
         *         2,
         *         3
         *       ]
         *     }
         */
        "application/json": components["schemas"]["EmbeddingBatchRequest"];
      };
    };
    responses: {
      /** @description The vectors */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["EmbeddingBatch"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `PAYLOAD_TOO_LARGE`: The request body is too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  searchEmbedding: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description `name` (highest servable version) or `name@version` */
        name: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "id": 42,
         *       "k": 10,
         *       "include_features": [
         *         "track_profile:popularity"
         *       ]
         *     }
         */
        "application/json": components["schemas"]["SearchRequest"];
      };
    };
    responses: {
      /** @description The neighbours */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SearchResponse"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON; `UNKNOWN_FEATURE`: A requested feature, view, version or service does not exist */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAVAILABLE`: A dependency of the service is unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getEmbedding: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description `name` (highest servable version) or `name@version` */
        name: string;
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The vector */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["EmbeddingVector"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listEntities: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The entities */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["EntityList"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listFeatureViews: {
    parameters: {
      query?: {
        entity?: string;
        status?: "active" | "deprecated" | "retired";
        tag?: string;
        /** @description Only the versions `view:feature` resolves to */
        latest?: "true" | "false";
        /** @description Text in the name, description or a feature name */
        q?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The view versions */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureViewList"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getFeatureView: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The versions */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureViewVersions"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getFeatureViewVersion: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: string;
        version: number;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The version */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureViewVersion"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listFeatureServices: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The services */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureServiceList"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getFeatureService: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The service */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FeatureService"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listEmbeddings: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The embeddings */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["EmbeddingList"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  listDatasets: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The datasets */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["DatasetList"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getDataset: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The dataset */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["DatasetDetail"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  ingestAnalyses: {
    parameters: {
      query?: never;
      header?: {
        /** @description Names this batch (a UUID per batch will do): sent again under the same key within 24 hours, the batch is not written twice and gets the first write's answer (with `Idempotent-Replayed: true`), so a retry after a lost answer is safe. The same key with another batch is refused with 409. */
        "idempotency-key"?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "analyses": [
         *         {
         *           "track_id": 42,
         *           "analyzer_type": "algorithmic",
         *           "model_version": "algorithmic@2.0",
         *           "complexity_score": 0.41,
         *           "processing_time_ms": 4,
         *           "analysis_data": {
         *             "word_count": 412,
         *             "unique_words": 198,
         *             "lexical_diversity": 0.48
         *           }
         *         }
         *       ]
         *     }
         */
        "application/json": components["schemas"]["IngestRequest"];
      };
    };
    responses: {
      /** @description Every row was written (or, under an idempotency key sent before, had been) */
      201: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          /** @description Present when this is an earlier write's answer, given again for its Idempotency-Key */
          "Idempotent-Replayed"?: "true";
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["IngestResult"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `CONFLICT`: The request conflicts with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `PAYLOAD_TOO_LARGE`: The request body is too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAVAILABLE`: A dependency of the service is unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  trainingDataset: {
    parameters: {
      query?: {
        /** @description Instead of the dataset's features: references, comma-separated or repeated (`view@2:*` pins a version) */
        features?: string | string[];
        /** @description Instead of the dataset's features: a feature service's */
        service?: string;
        /** @description Embeddings to add as `<name>_embedding` columns (FixedSizeList<float32>; bracketed lists in CSV) */
        embeddings?: string | string[];
        /** @description Parquet (snappy, row groups of 65,536 rows), CSV (RFC 4180, header row), an Arrow IPC stream, or `json`: NDJSON, one object per row with the JSON API's types (timestamps ISO 8601 UTC) */
        format?: "parquet" | "csv" | "arrow" | "json";
        /** @description What the uploaded ids are */
        entity?: string;
        /** @description Take a dataset's features (not its row filters) */
        dataset?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        /**
         * @example [
         *       {
         *         "track_id": 42,
         *         "event_timestamp": "2025-06-01T00:00:00Z",
         *         "label": 1
         *       },
         *       {
         *         "track_id": 7,
         *         "event_timestamp": "2025-03-01T00:00:00Z",
         *         "label": 0
         *       }
         *     ]
         */
        "application/json":
          | {
              [key: string]: unknown;
            }[]
          | {
              rows: {
                [key: string]: unknown;
              }[];
            };
        "text/csv": string;
        "application/vnd.apache.parquet": string;
      };
    };
    responses: {
      /** @description The rows with their features */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          /** @description attachment; filename=… */
          "Content-Disposition"?: string;
          /** @description Names these bytes; send it as If-Range to resume */
          ETag?: string;
          /** @description Rows in the file, when known before the answer: a training set's, a file already written, a download counted first. Absent when the answer goes out before its rows are counted (its card says how many) */
          "Rapfs-Rows"?: number;
          /** @description The data version read */
          "Rapfs-Dataset-Version"?: string;
          /** @description true when this request spent one of the day's downloads; false for a repeat of one already charged today, and for a public dataset's shared file (it spends only the bytes sent) */
          "Rapfs-Download-Charged"?: "true" | "false";
          [name: string]: unknown;
        };
        content: {
          "application/vnd.apache.parquet": string;
          "text/csv": string;
          "application/vnd.apache.arrow.stream": string;
          "application/x-ndjson": string;
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `MALFORMED_JSON`: The request body is not valid JSON; `BAD_REQUEST`: The request is not valid; `UNKNOWN_FEATURE`: A requested feature, view, version or service does not exist */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this; `EXCEEDS_QUOTA`: The request needs more than a whole day of the key's quota */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `PAYLOAD_TOO_LARGE`: The request body is too large */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNSUPPORTED_MEDIA_TYPE`: The request body has an unsupported media type */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAVAILABLE`: A dependency of the service is unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  downloadDataset: {
    parameters: {
      query?: {
        /** @description Instead of the dataset's features: references, comma-separated or repeated (`view@2:*` pins a version) */
        features?: string | string[];
        /** @description Instead of the dataset's features: a feature service's */
        service?: string;
        /** @description Embeddings to add as `<name>_embedding` columns (FixedSizeList<float32>; bracketed lists in CSV) */
        embeddings?: string | string[];
        /** @description Parquet (snappy, row groups of 65,536 rows), CSV (RFC 4180, header row), an Arrow IPC stream, or `json`: NDJSON, one object per row with the JSON API's types (timestamps ISO 8601 UTC) */
        format?: "parquet" | "csv" | "arrow" | "json";
        /** @description Features as they were then: computed from analyses created at or before it (UTC unless an offset is given) */
        as_of?: string;
        /** @description At most this many rows (the first by entity key) */
        limit?: number;
      };
      header?: never;
      path: {
        /** @description A dataset, or `service:<name>` for a feature service */
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The file */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          /** @description attachment; filename=… */
          "Content-Disposition"?: string;
          /** @description Names these bytes; send it as If-Range to resume */
          ETag?: string;
          /** @description Rows in the file, when known before the answer: a training set's, a file already written, a download counted first. Absent when the answer goes out before its rows are counted (its card says how many) */
          "Rapfs-Rows"?: number;
          /** @description The data version read */
          "Rapfs-Dataset-Version"?: string;
          /** @description true when this request spent one of the day's downloads; false for a repeat of one already charged today, and for a public dataset's shared file (it spends only the bytes sent) */
          "Rapfs-Download-Charged"?: "true" | "false";
          [name: string]: unknown;
        };
        content: {
          "application/vnd.apache.parquet": string;
          "text/csv": string;
          "application/vnd.apache.arrow.stream": string;
          "application/x-ndjson": string;
        };
      };
      /** @description The requested part of a file already prepared for this request */
      206: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/vnd.apache.parquet": string;
          "text/csv": string;
          "application/vnd.apache.arrow.stream": string;
          "application/x-ndjson": string;
        };
      };
      /** @description `If-None-Match` names this file's ETag: the data has not changed since the caller's copy (nothing is spent but the request) */
      304: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `BAD_REQUEST`: The request is not valid; `UNKNOWN_FEATURE`: A requested feature, view, version or service does not exist */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this; `EXCEEDS_QUOTA`: The request needs more than a whole day of the key's quota */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `CONFLICT`: The request conflicts with the current state */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The range starts past the end of the prepared file */
      416: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAVAILABLE`: A dependency of the service is unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getDatasetCard: {
    parameters: {
      query?: {
        /** @description Instead of the dataset's features: references, comma-separated or repeated (`view@2:*` pins a version) */
        features?: string | string[];
        /** @description Instead of the dataset's features: a feature service's */
        service?: string;
        /** @description Embeddings to add as `<name>_embedding` columns (FixedSizeList<float32>; bracketed lists in CSV) */
        embeddings?: string | string[];
        /** @description Features as they were then: computed from analyses created at or before it (UTC unless an offset is given) */
        as_of?: string;
        /** @description At most this many rows (the first by entity key) */
        limit?: number;
      };
      header?: never;
      path: {
        /** @description A dataset, or `service:<name>` for a feature service */
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The card */
      200: {
        headers: {
          /** @description The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"` */
          "RateLimit-Policy"?: string;
          /** @description What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41` */
          RateLimit?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["DatasetCard"];
        };
      };
      /** @description `VALIDATION_FAILED`: The request failed validation; `BAD_REQUEST`: The request is not valid; `UNKNOWN_FEATURE`: A requested feature, view, version or service does not exist */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAUTHORIZED`: Authentication is required */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `FORBIDDEN`: The API key may not do this */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `NOT_FOUND`: Not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `GONE`: This resource is retired */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `RATE_LIMITED`: Too many requests */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `INTERNAL_ERROR`: Internal server error */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description `UNAVAILABLE`: A dependency of the service is unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
}
