import { DomainError } from "../errors";
import {
  type EntityId,
  type FeatureFilter,
  type FeatureTable,
  idFromKey,
  type ParsedId,
  parseId,
  parseIds,
  parsePathId,
  type Resolution,
  type SearchResult,
  type Selection,
} from "../serving";
import type { ResolvedEmbedding } from "../serving/search/embeddings";
import type { Services } from "./context";
import type { Payer } from "./payer";

export type EmbeddingVector = { resolved: ResolvedEmbedding; id: EntityId; vector: number[] | null };

/** One entity's vector; spends the request and one row while it reads. */
export async function getEmbedding(
  services: Services,
  request: { name: string; id: string },
  payer: Payer,
): Promise<EmbeddingVector> {
  const { embeddings } = services.serving;
  const resolved = await embeddings.resolve(request.name);
  const parsed = parsePathId(resolved.entity, request.id);
  const vectors = await payer.spendWhile({}, embeddings.vectors(resolved.embedding, [parsed]));
  const vector = vectors.get(parsed.key);
  if (vector === undefined) {
    throw new DomainError(
      "NOT_FOUND",
      `There is no ${resolved.entity.name} ${parsed.id} in ${request.name}.`,
    );
  }
  return { resolved, id: parsed.id, vector };
}

export type EmbeddingBatch = {
  resolved: ResolvedEmbedding;
  /** Each id's vector as JSON array text (`EmbeddingServer.vectorTexts`), null where it has none. */
  items: { id: EntityId; vectorJson: string | null; status: "present" | "null" | "not_found" }[];
};

/** Up to 1,000 entities' vectors, in order; spends a row per id before reading. */
export async function getEmbeddingBatch(
  services: Services,
  request: { name: string; ids: readonly (number | string)[] },
  payer: Payer,
): Promise<EmbeddingBatch> {
  const { embeddings } = services.serving;
  const resolved = await embeddings.resolve(request.name);
  const ids = parseIds(resolved.entity, request.ids);
  await payer.spend({ rows: ids.length });
  const vectors = await embeddings.vectorTexts(resolved.embedding, ids);
  const items = ids.map(({ id, key }) => {
    const vectorJson = vectors.get(key);
    const status = vectorJson === undefined ? "not_found" : vectorJson === null ? "null" : "present";
    return {
      id,
      vectorJson: vectorJson ?? null,
      status: status as EmbeddingBatch["items"][number]["status"],
    };
  });
  return { resolved, items };
}

export type SearchRequest = {
  name: string;
  vector?: number[] | undefined;
  id?: number | string | undefined;
  k: number;
  metric?: SearchResult["metric"] | undefined;
  filters: FeatureFilter[];
  efSearch?: number | undefined;
  /** The neighbours' features to return with them, if any. */
  selection?: Selection | undefined;
};

export type Neighbours = {
  resolved: ResolvedEmbedding;
  result: SearchResult;
  ids: ParsedId[];
  /** The neighbours' features, when the request asked for them, and what they resolved to. */
  features?: { resolution: Resolution; table: FeatureTable };
};

/** Nearest neighbours by vector or by entity; spends k rows (up to k come back) before searching, and gives them back if it fails. */
export async function searchEmbeddings(
  services: Services,
  request: SearchRequest,
  payer: Payer,
): Promise<Neighbours> {
  const { embeddings, features } = services.serving;
  if ((request.vector === undefined) === (request.id === undefined)) {
    throw new DomainError("VALIDATION_FAILED", "Search by `vector` or by `id` (one of them).", {
      errors: [
        { in: "json", path: ["vector"], pointer: "#/vector", detail: "vector or id", code: "invalid_union" },
      ],
    });
  }
  const resolved = await embeddings.resolve(request.name);
  const id = request.id === undefined ? undefined : parseId(resolved.entity, request.id, false);
  if (typeof id === "string") {
    throw new DomainError("VALIDATION_FAILED", id, {
      errors: [{ in: "json", path: ["id"], pointer: "#/id", detail: id, code: "invalid_id" }],
    });
  }
  const resolution = request.selection
    ? await features.resolve(resolved.entity.name, request.selection)
    : undefined;
  const result = await payer.spendFor({ rows: request.k }, () =>
    embeddings.search(resolved, {
      ...(request.vector ? { vector: request.vector } : {}),
      ...(id ? { id } : {}),
      k: request.k,
      ...(request.metric ? { metric: request.metric } : {}),
      filters: request.filters,
      ...(request.efSearch ? { efSearch: request.efSearch } : {}),
      owner: payer.principal.accountId,
    }),
  );
  const ids = result.neighbors.map((n) => idFromKey(resolved.entity, n.id));
  if (!resolution) return { resolved, result, ids };
  return { resolved, result, ids, features: { resolution, table: await features.read(resolution, ids) } };
}
