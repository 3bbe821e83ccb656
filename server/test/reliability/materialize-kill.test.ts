import { spawn } from "node:child_process";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";
import { eventually } from "../access-http/processes";
import { rapfsArgs } from "../support/rapfs-command";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startStack(1);
  sql = postgres(stack.pg.url, { max: 1, onnotice: () => {} });
}, 300_000);
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await stack?.stop();
});

function materialize() {
  const child = spawn(process.execPath, rapfsArgs("materialize", "--full"), {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...stack.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c));
  child.stderr.on("data", (c: Buffer) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** What readers see: every view table's row count and content digest, and the API's answer. */
async function visible() {
  const tables = await sql<
    { table_name: string }[]
  >`select table_name from rapfs_feature_views order by table_name`;
  const digests: Record<string, string> = {};
  for (const { table_name } of tables) {
    const [row] = await sql<{ n: string; digest: string }[]>`
      select count(*)::text as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest
      from ${sql(table_name)} t`;
    digests[table_name] = `${row?.n}:${row?.digest}`;
  }
  const server = stack.servers[0];
  const res = await fetch(`${server?.url}/v1/features/track/batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ ids: Array.from({ length: 100 }, (_, i) => i + 1), service: "hit_predictor" }),
  });
  return { digests, api: { status: res.status, body: await res.json() } };
}

describe("a materialization killed mid-run", () => {
  it("leaves the previous version served with no partial rows, and the next run succeeds", async () => {
    const before = await visible();
    expect(before.api.status).toBe(200);
    const [{ last }] =
      (await sql`select coalesce(max(id), 0)::int as last from rapfs_materialization_runs`) as [
        { last: number },
      ];
    const run = materialize();
    // SIGKILL as soon as the first run of this process is recorded as running: a crash mid-rebuild.
    await eventually(
      async () => {
        const [running] = await sql`
          select id from rapfs_materialization_runs where id > ${last} and status = 'running' limit 1`;
        if (!running) throw new Error(`no run started yet:\n${run.output()}`);
      },
      120_000,
      5,
    );
    run.child.kill("SIGKILL");
    expect(await run.exited).toBeNull();

    const afterKill = await visible();
    // A small view can finish its whole rebuild (and swap) before the kill lands: it then shows
    // the same rows with new materialization times. Every other table must be untouched.
    const finished = await sql<{ table_name: string }[]>`
      select v.table_name from rapfs_materialization_runs r
      join rapfs_feature_views v on v.name = r.name and v.version = r.version
      where r.id > ${last} and r.relation_kind = 'feature_view' and r.status = 'succeeded'`;
    const rebuilt = new Set(finished.map((f) => f.table_name));
    const seen = (digests: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(digests).map(([table, d]) => [table, rebuilt.has(table) ? d.split(":")[0] : d]),
      );
    expect(seen(afterKill.digests)).toEqual(seen(before.digests));
    expect(afterKill.api).toEqual(before.api);

    const again = materialize();
    expect(await again.exited, again.output()).toBe(0);
    const afterRerun = await visible();
    // A rebuild stamps new materialization times, so the same rows show as the same counts and answers.
    const counts = (digests: Record<string, string>) =>
      Object.fromEntries(Object.entries(digests).map(([table, d]) => [table, d.split(":")[0]]));
    expect(counts(afterRerun.digests)).toEqual(counts(before.digests));
    expect(afterRerun.api).toEqual(before.api);
    const stuck = await sql`
      select id from rapfs_materialization_runs where id > ${last} and status = 'running'`;
    expect(stuck).toEqual([]);

    // New rows make a new card: the run stored it, and a server answers it without computing it.
    const stored = /card of public: [\d,]+ rows, version (\w+)/.exec(again.output());
    expect(stored, again.output()).not.toBeNull();
    const [card] = await sql<{ n: number }[]>`
      select count(*)::int as n from rapfs_dataset_cards where card->>'version' = ${stored?.[1] ?? ""}`;
    expect(card?.n).toBe(1);
    const served = await fetch(`${stack.servers[0]?.url}/v1/datasets/public`, {
      headers: { authorization: `Bearer ${stack.adminKey}` },
    });
    expect(served.status).toBe(200);
    expect(((await served.json()) as { version: string }).version).toBe(stored?.[1]);
  });
});
