import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type ServerProcess, startServerProcess, waitReady } from "../access-http/processes";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let sql: postgres.Sql;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  stack = await startStack(0);
  sql = postgres(stack.pg.url, { max: 1, onnotice: () => {} });
}, 300_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await sql?.end({ timeout: 5 });
  await stack?.stop();
});

const start = async (name: string) => {
  const server = await startServerProcess(name, { ...stack.env, RAPFS_FRESHNESS_POLL_SECONDS: "0.2" });
  servers.push(server);
  await waitReady(server);
  return server;
};

/** Each view table's rows, as a digest (materialized_at left out: a rebuild restamps it). */
async function digests(): Promise<Record<string, string>> {
  const tables = await sql<{ table_name: string }[]>`select table_name from rapfs_feature_views order by 1`;
  const out: Record<string, string> = {};
  for (const { table_name } of tables) {
    const [row] = await sql<{ digest: string }[]>`
      select md5(coalesce(string_agg((to_jsonb(t) - 'materialized_at')::text, '|' order by t::text), '')) as digest
      from ${sql(table_name)} t`;
    out[table_name] = row?.digest ?? "";
  }
  return out;
}

async function servedModelVersion(server: ServerProcess, track: number): Promise<unknown> {
  const res = await fetch(`${server.url}/v1/features/track/${track}?features=qwen_analysis@2:model_version`, {
    headers: { authorization: `Bearer ${stack.adminKey}` },
  });
  const body = (await res.json()) as { features: Record<string, { value: unknown }> };
  return Object.values(body.features)[0]?.value;
}

describe("a scheduled materialization killed mid-run", () => {
  it("leaves the previous values served, and the next process's run completes them", async () => {
    const a = await start("fresh-a");
    const [latest] = await sql<{ id: number; track_id: number; model_version: string }[]>`
      select id, track_id, model_version from analysis_results
      where analyzer_type = 'qwen-3-4b-fp8' and track_id = (select min(track_id) from fv_qwen_analysis_v2)
      order by created_at desc, id desc limit 1`;
    if (!latest) throw new Error("no qwen analysis");
    const [previous] = await sql<{ model_version: string }[]>`
      select model_version from analysis_results
      where analyzer_type = 'qwen-3-4b-fp8' and track_id = ${latest.track_id} and id <> ${latest.id}
      order by created_at desc, id desc limit 1`;
    expect(await servedModelVersion(a, latest.track_id)).toBe(latest.model_version);
    const before = await digests();
    const [{ last }] =
      (await sql`select coalesce(max(id), 0)::int as last from rapfs_materialization_runs`) as [
        { last: number },
      ];

    // Every track's latest qwen analysis deleted: more tracks than a keyed run is worth
    // (KEYED_COST_PER_TRACK), so the scheduler rebuilds every view over qwen analyses on its own,
    // a run long enough to be killed in. One deleted analysis is recomputed by key in a few ms,
    // over before a poll can see it running.
    await sql`
      delete from analysis_results where id in (
        select distinct on (track_id) id from analysis_results
        where analyzer_type = 'qwen-3-4b-fp8' order by track_id, created_at desc, id desc)`;
    await eventually(
      async () => {
        const [running] = await sql`
          select id from rapfs_materialization_runs where id > ${last} and status = 'running' limit 1`;
        if (!running) throw new Error(`no run started yet:\n${a.output().slice(-2000)}`);
      },
      60_000,
      5,
    );
    await a.kill();

    // Each table holds its previous rows, or (a run that committed before the kill) its new ones.
    const committed = await sql<{ table_name: string }[]>`
      select v.table_name from rapfs_materialization_runs r
      join rapfs_feature_views v on v.name = r.name and v.version = r.version
      where r.id > ${last} and r.relation_kind = 'feature_view' and r.status = 'succeeded'`;
    const rebuilt = new Set(committed.map((c) => c.table_name));
    const afterKill = await digests();
    for (const [table, digest] of Object.entries(before)) {
      if (!rebuilt.has(table)) expect(afterKill[table], table).toBe(digest);
    }

    const b = await start("fresh-b");
    await eventually(async () => {
      expect(await servedModelVersion(b, latest.track_id)).toBe(previous?.model_version ?? null);
      const [stuck] =
        await sql`select id from rapfs_materialization_runs where id > ${last} and status = 'running'`;
      expect(stuck).toBeUndefined();
    }, 60_000);
    await eventually(async () => {
      const res = await fetch(`${b.url}/v1/registry/views`, {
        headers: { authorization: `Bearer ${stack.adminKey}` },
      });
      const { views } = (await res.json()) as {
        views: { ref: string; freshness: { pending_changes: number | null } }[];
      };
      const pending = views.filter((v) => (v.freshness.pending_changes ?? 0) > 0).map((v) => v.ref);
      expect(pending).toEqual([]);
    }, 30_000);
  });
});
