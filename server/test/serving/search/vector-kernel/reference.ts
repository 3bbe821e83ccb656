import type { IndexNeighbor, Metric, NearestOptions } from "../../../../src/serving/search/vector-index";
import { pgvectorDistance } from "../../../../src/serving/search/vector-kernel/pgvector-distance";

type Scan = { ids: Int32Array; vectors: Float32Array; dimension: number };

/** Every row's distance by `distanceOf`, NaN left out, nearest first, ties by id. */
function scan(
  { ids, dimension: d }: Scan,
  count: number,
  options: NearestOptions,
  distanceOf: (offset: number) => number,
): IndexNeighbor[] {
  const all: IndexNeighbor[] = [];
  ids.forEach((id, i) => {
    if (id === options.exclude || (options.allowed && !options.allowed.has(id))) return;
    const distance = distanceOf(i * d);
    if (!Number.isNaN(distance)) all.push({ id, distance });
  });
  return all.sort((a, b) => a.distance - b.distance || a.id - b.id).slice(0, count);
}

/** The SQL scan: pgvector's arithmetic over every row. */
export function pgvectorScan(
  data: Scan,
  query: readonly number[],
  metric: Metric,
  count: number,
  options: NearestOptions,
): IndexNeighbor[] {
  const q = Float32Array.from(query);
  return scan(data, count, options, (offset) =>
    pgvectorDistance(metric, data.vectors, offset, q, data.dimension),
  );
}

/** The same scan in float64 over the float32 components: the distances pgvector rounds. */
export function float64Scan(
  data: Scan,
  query: readonly number[],
  metric: Metric,
  count: number,
  options: NearestOptions,
): IndexNeighbor[] {
  const q = Array.from(Float32Array.from(query));
  const { vectors, dimension: d } = data;
  return scan(data, count, options, (offset) => {
    let dot = 0;
    let xx = 0;
    let qq = 0;
    let squares = 0;
    for (let j = 0; j < d; j++) {
      const x = vectors[offset + j] as number;
      const y = q[j] as number;
      dot += x * y;
      xx += x * x;
      qq += y * y;
      squares += (x - y) ** 2;
    }
    if (metric === "l2") return Math.sqrt(squares);
    if (metric === "inner_product") return -dot;
    return 1 - dot / Math.sqrt(xx * qq);
  });
}
