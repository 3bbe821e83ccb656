import type { ServerProcess } from "../access-http/processes";

export type Kind = "single" | "batch" | "search" | "download";
export type Tally = {
  total: number;
  byStatus: Record<number, number>;
  byKind: Record<Kind, Record<number, number>>;
  /** Up to 20 samples of answers ≥ 500 or failed connections (status 0). */
  failures: string[];
};

export const newTally = (): Tally => ({
  total: 0,
  byStatus: {},
  byKind: { single: {}, batch: {}, search: {}, download: {} },
  failures: [],
});

const TRACKS = 220;

function request(kind: Kind, n: number): { method: string; path: string; body?: unknown } {
  const id = (n % TRACKS) + 1;
  if (kind === "single") return { method: "GET", path: `/v1/features/track/${id}?service=hit_predictor` };
  if (kind === "batch") {
    const ids = Array.from({ length: 50 }, (_, i) => ((n + i * 7) % TRACKS) + 1);
    return { method: "POST", path: "/v1/features/track/batch", body: { ids, service: "mood_board" } };
  }
  if (kind === "search") return { method: "POST", path: "/v1/embeddings/lyrics/search", body: { id, k: 10 } };
  return { method: "GET", path: "/v1/datasets/public/download?format=csv" };
}

export async function send(server: ServerProcess, key: string, kind: Kind, n: number, tally: Tally) {
  const r = request(kind, n);
  let status = 0;
  let text = "";
  try {
    const res = await fetch(`${server.url}${r.path}`, {
      method: r.method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(r.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
      signal: AbortSignal.timeout(30_000),
    });
    status = res.status;
    text = await res.text();
  } catch (error) {
    text = (error as Error).message;
  }
  tally.total++;
  tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
  tally.byKind[kind][status] = (tally.byKind[kind][status] ?? 0) + 1;
  if ((status === 0 || status >= 500) && tally.failures.length < 20) {
    tally.failures.push(`${server.name} ${kind} ${status}: ${text.slice(0, 200)}`);
  }
  return status;
}

/**
 * Workers sending a mix of single, batch and search lookups round-robin over the servers, and
 * one worker downloading the public dataset, until `durationMs` passes or `maxRequests` are sent.
 */
export async function mixedLoad(options: {
  servers: ServerProcess[];
  key: string;
  durationMs: number;
  workers: number;
  maxRequests: number;
  tally: Tally;
}): Promise<void> {
  const { servers, key, tally } = options;
  const deadline = Date.now() + options.durationMs;
  let next = 0;
  const more = () => Date.now() < deadline && next < options.maxRequests;
  const kinds: Kind[] = ["single", "single", "batch", "search"];
  const worker = async (w: number) => {
    while (more()) {
      const n = next++;
      await send(
        servers[n % servers.length] as ServerProcess,
        key,
        kinds[(n + w) % kinds.length] as Kind,
        n,
        tally,
      );
    }
  };
  const downloader = async () => {
    for (let n = 0; more(); n++)
      await send(servers[n % servers.length] as ServerProcess, key, "download", n, tally);
  };
  await Promise.all([...Array.from({ length: options.workers }, (_, w) => worker(w)), downloader()]);
}

export const fivexx = (tally: Tally) =>
  Object.entries(tally.byStatus)
    .filter(([status]) => Number(status) >= 500 || Number(status) === 0)
    .reduce((sum, [, n]) => sum + n, 0);

/**
 * Polls /ready on every server every `everyMs` until `done` settles; the statuses seen, so a
 * test can assert readiness never flapped to 503 while the database answered.
 */
export async function pollReady(
  servers: ServerProcess[],
  done: Promise<unknown>,
  everyMs = 200,
): Promise<Record<number, number>> {
  const seen: Record<number, number> = {};
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    await Promise.all(
      servers.map(async (server) => {
        const res = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(10_000) }).catch(
          () => undefined,
        );
        const status = res?.status ?? 0;
        await res?.arrayBuffer();
        seen[status] = (seen[status] ?? 0) + 1;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return seen;
}
