import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetCard } from "../../../src/datasets/cards/card";
import { CardStore } from "../../../src/datasets/cards/card-store";
import type { Database } from "../../../src/db/database";
import { openEmbeddedTestDatabase } from "../../support/databases";

let database: Database;
beforeAll(async () => {
  database = await openEmbeddedTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const card = (name: string) => ({ name }) as unknown as DatasetCard;

/** Two stores are two server processes: they share the database, nothing else. */
describe("a dataset card is computed once across processes", () => {
  it("two processes asking at once: one computes, the other waits for its card", async () => {
    const [a, b] = [new CardStore(), new CardStore()];
    let computed = 0;
    const work = async () => {
      computed++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return card("public");
    };
    const [one, two] = await Promise.all([
      a.compute(database.sql, "k1", work),
      b.compute(database.sql, "k1", work),
    ]);
    expect(computed).toBe(1);
    expect(one).toEqual(two);
    // A third process finds it stored.
    expect(await new CardStore().get(database.sql, "k1")).toEqual(card("public"));
  });

  it("a claim left by a process that died is taken over once stale", async () => {
    await database.sql`
      insert into rapfs_dataset_cards (key, claimed_by, claimed_at) values ('k2', 'dead', now() - interval '1 hour')`;
    expect(await new CardStore().compute(database.sql, "k2", async () => card("again"))).toEqual(
      card("again"),
    );
  });

  it("a failed computation leaves no claim behind: the next asker computes", async () => {
    const store = new CardStore();
    await expect(
      store.compute(database.sql, "k3", async () => {
        throw new Error("failed");
      }),
    ).rejects.toThrow("failed");
    expect(await store.compute(database.sql, "k3", async () => card("second"))).toEqual(card("second"));
  });

  it("a caller already gone starts no computation: none runs for nobody", async () => {
    const store = new CardStore();
    const gone = new AbortController();
    gone.abort(new Error("client gone"));
    let started = 0;
    const asked = store.compute(
      database.sql,
      "k4",
      async () => {
        started++;
        return card("nobody's");
      },
      gone.signal,
    );
    await expect(asked).rejects.toThrow("client gone");
    expect(store.computingHere("k4")).toBe(false);
    expect(started).toBe(0);
  });
});
