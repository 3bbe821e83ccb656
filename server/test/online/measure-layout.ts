/**
 * Measures the two candidate Redis layouts for a batch read of one view version:
 * one hash per row read with pipelined HGETALL, or one packed JSON string per row read with one MGET.
 * Run: `npx tsx server/test/online/measure-layout.ts` (needs Redis at REDIS_URL or 127.0.0.1:6379).
 * Not a test: it prints figures, and the choice in src/online/redis-store.ts follows from them.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { unlinkMatching } from "../../src/online/redis-client";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = `rapfs-measure-${randomBytes(4).toString("hex")}`;
const ROUNDS = 400;

function row(id: number, fields: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (let f = 0; f < fields; f++) {
    const kind = f % 4;
    values[`feature_${f}`] =
      kind === 0
        ? id * 0.37 + f
        : kind === 1
          ? `value-${(id + f) % 17}`
          : kind === 2
            ? (id + f) % 2 === 0
            : id % 11;
  }
  return values;
}

async function time(label: string, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 30; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const p50 = samples[Math.floor(samples.length * 0.5)] ?? 0;
  const p99 = samples[Math.floor(samples.length * 0.99)] ?? 0;
  console.log(`${label.padEnd(44)} mean ${mean.toFixed(3)} ms  p50 ${p50.toFixed(3)}  p99 ${p99.toFixed(3)}`);
  return mean;
}

async function measure(ids: number, fields: number): Promise<void> {
  const hashKey = (id: number) => `${prefix}:{h${fields}}:${id}`;
  const packedKey = (id: number) => `${prefix}:{p${fields}}:${id}`;
  const ts = new Date().toISOString();
  const write = redis.pipeline();
  for (let id = 0; id < ids; id++) {
    const values = row(id, fields);
    const hash: Record<string, string> = { __ts: ts };
    for (const [k, v] of Object.entries(values)) hash[k] = JSON.stringify(v);
    write.hset(hashKey(id), hash);
    write.set(packedKey(id), JSON.stringify({ v: values, t: ts }));
  }
  await write.exec();
  const keys = Array.from({ length: ids }, (_, id) => id);
  console.log(`\n${ids} ids × ${fields} fields`);
  const hgetall = await time("pipelined HGETALL + JSON.parse per field", async () => {
    const pipe = redis.pipeline();
    for (const id of keys) pipe.hgetall(hashKey(id));
    const results = (await pipe.exec()) ?? [];
    return results.map(([, hash]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(hash as Record<string, string>))
        out[k] = k === "__ts" ? v : JSON.parse(v);
      return out;
    });
  });
  await time("pipelined HGETALL, strings left undecoded", async () => {
    const pipe = redis.pipeline();
    for (const id of keys) pipe.hgetall(hashKey(id));
    return pipe.exec();
  });
  const mget = await time("MGET packed rows + JSON.parse per row", async () => {
    const raw = await redis.mget(keys.map(packedKey));
    return raw.map((text) => (text === null ? undefined : JSON.parse(text)));
  });
  console.log(`ratio HGETALL / MGET: ${(hgetall / mget).toFixed(2)}×`);
}

try {
  for (const fields of [10, 50]) await measure(100, fields);
} finally {
  await unlinkMatching(redis, `${prefix}:*`);
  redis.disconnect();
}
