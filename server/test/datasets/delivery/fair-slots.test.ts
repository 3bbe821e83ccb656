import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SlotReservation } from "../../../src/datasets/delivery/spool";
import { deferred } from "../../support/deferred";
import { type DatasetsHarness, datasetsHarness, expectProblem, get } from "../support";

/**
 * RAPFS_DOWNLOAD_CONCURRENCY slots are shared between accounts: one free account's cards and
 * downloads (each as_of card takes a slot: datasets/describe.ts) cannot hold them all while
 * another account's download waits.
 */
describe("download slots are shared fairly between accounts", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    // A short wait in line: the refusals below come after it.
    h = await datasetsHarness({ RAPFS_DOWNLOAD_CONCURRENCY: "4", RAPFS_DOWNLOAD_WAIT_SECONDS: "1" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const account = async () => {
    const { account, key } = await h.services.access.accounts.signup({
      email: `fair-${randomUUID()}@example.com`,
    });
    return { id: account.id, key: key.key };
  };

  it("one account holding as many slots as it can take leaves the others room to download", async () => {
    const greedy = await account();
    const other = await account();
    // The greedy account asks for every slot, as four of its cards at once would.
    const held: SlotReservation[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        held.push(h.datasets.spool.reserve(greedy.id));
      } catch {}
    }
    try {
      // Another account's download is served...
      const download = await get(h, "/v1/datasets/public/download?format=csv", { key: other.key });
      expect(download.status, await download.clone().text()).toBe(200);
      expect((await download.text()).split("\n").length).toBeGreaterThan(2);
      // ...while the greedy one got half of the slots, and its next card and download wait for them.
      expect(held.length).toBe(2);
      const card = await get(h, "/v1/datasets/public?as_of=2024-03-03T00:00:00Z", { key: greedy.key });
      expect((await expectProblem(card, 503)).detail).toMatch(/This account already prepares/);
      // (A file of its own choosing: a shared one takes no account's share, see below.)
      const mine = await get(h, "/v1/datasets/public/download?format=parquet&limit=150", { key: greedy.key });
      await expectProblem(mine, 503);
    } finally {
      for (const slot of held) slot.release();
    }
    expect(h.datasets.spool.busySlots).toBe(0);
    const after = await get(h, "/v1/datasets/public?as_of=2024-03-03T00:00:00Z", { key: greedy.key });
    expect(after.status).toBe(200);
  });

  it("the last free slot goes to an account that holds none", async () => {
    const first = await account();
    const second = await account();
    const third = await account();
    const held = [h.datasets.spool.reserve(first.id), h.datasets.spool.reserve(first.id)];
    try {
      held.push(h.datasets.spool.reserve(second.id));
      expect(() => h.datasets.spool.reserve(second.id)).toThrow(/This account already prepares 1/);
      held.push(h.datasets.spool.reserve(third.id));
      expect(() => h.datasets.spool.reserve(randomUUID())).toThrow(/Too many downloads/);
    } finally {
      for (const slot of held) slot.release();
    }
    expect(h.datasets.spool.busySlots).toBe(0);
  });

  it("a shared public file's encoding takes no account's share: it goes on for everyone after its caller leaves", async () => {
    const caller = await account();
    const open = vi.spyOn(h.datasets.spool, "open");
    try {
      // CSV and NDJSON limits read their rows from the whole shared file, encoded for them, which
      // went on holding the caller's share: two of them, and its next download was 503.
      for (const format of ["csv", "json"]) {
        const limited = await get(h, `/v1/datasets/public/download?format=${format}&limit=101`, {
          key: caller.key,
        });
        expect(limited.status, await limited.clone().text()).toBe(200);
        await limited.arrayBuffer();
      }
      const mine = await get(h, "/v1/datasets/public/download?format=parquet&limit=150", { key: caller.key });
      expect(mine.status, await mine.clone().text()).toBe(200);
      await mine.arrayBuffer();
      const owners = open.mock.calls.map(([, , take]) => take?.owner);
      expect(owners).toEqual([undefined, undefined, caller.id]);
    } finally {
      const opened = open.mock.results.flatMap((r) => (r.type === "return" ? [r.value.job] : []));
      open.mockRestore();
      // The whole files go on after their callers: the next test starts with every slot free.
      for (const job of opened) await h.datasets.spool.settled(job);
    }
  });

  it("shared files' encodings together hold at most an account's share of the slots", async () => {
    const { promise: held, resolve: finish } = deferred();
    const run = async (
      put: (chunk: Uint8Array) => Promise<void>,
      start: (etag: string, v: number) => void,
    ) => {
      start("etag", 1);
      await held;
      await put(new Uint8Array(1));
    };
    const spool = h.datasets.spool;
    // One key asking for many preview limits at once: each is a shared file of its own.
    const jobs = [spool.open(`preview-${randomUUID()}`, run, { sharedAs: "a" })];
    jobs.push(spool.open(`preview-${randomUUID()}`, run, { sharedAs: "b" }));
    expect(() => spool.open(`preview-${randomUUID()}`, run, { sharedAs: "c" })).toThrow(
      /Shared public files already take 2 of the 4/,
    );
    // An account's own download still gets a slot.
    const mine = spool.reserve(randomUUID());
    mine.release();
    finish();
    for (const { job } of jobs) await spool.settled(job);
    expect(spool.busySlots).toBe(0);
  });

  it("a request waiting in line for a slot gets it before one sent the moment it came free", async () => {
    const client = await account();
    // Its two slots (its share) are taken, as by two of its downloads running.
    const held = [h.datasets.spool.reserve(client.id), h.datasets.spool.reserve(client.id)];
    try {
      // A third request of the account's, from a client that waits its turn...
      const waiting = get(h, "/v1/datasets/public?as_of=2024-04-04T00:00:00Z", { key: client.key });
      for (let look = 0; h.datasets.spool.waitingForSlots === 0; look++) {
        if (look > 200) throw new Error("the card never waited in line");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // ...and one sent the moment a download of its ends, as a client looping over downloads
      // does: before the line, it always took the slot the ending freed.
      held.shift()?.release();
      expect(() => h.datasets.spool.reserve(client.id)).toThrow(/This account already prepares 2/);
      const card = await waiting;
      expect(card.status, await card.clone().text()).toBe(200);
    } finally {
      for (const slot of held) slot.release();
    }
    expect(h.datasets.spool.busySlots).toBe(0);
    expect(h.datasets.spool.waitingForSlots).toBe(0);
  });

  it("leaves the line when its client goes away, and answers 503 once its wait is over", async () => {
    const client = await account();
    const held = [h.datasets.spool.reserve(client.id), h.datasets.spool.reserve(client.id)];
    try {
      const gone = new AbortController();
      const abandoned = get(h, "/v1/datasets/public?as_of=2024-05-05T00:00:00Z", {
        key: client.key,
        signal: gone.signal,
      }).catch((error: Error) => error);
      for (let look = 0; h.datasets.spool.waitingForSlots === 0; look++) {
        if (look > 200) throw new Error("the card never waited in line");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Its place goes with its client, not when its wait would have ended.
      gone.abort();
      await Promise.resolve();
      expect(h.datasets.spool.waitingForSlots).toBe(0);
      await abandoned;
      // Waits in line to the end of its wait (no slot comes free), then the 503 it got at once before.
      const asking = get(h, "/v1/datasets/public?as_of=2024-05-05T00:00:00Z", { key: client.key });
      let seenInLine = false;
      const inLine = setInterval(() => {
        seenInLine ||= h.datasets.spool.waitingForSlots === 1;
      }, 5);
      const refused = await asking.finally(() => clearInterval(inLine));
      expect((await expectProblem(refused, 503)).detail).toMatch(/This account already prepares 2/);
      expect(seenInLine).toBe(true);
      expect(h.datasets.spool.waitingForSlots).toBe(0);
    } finally {
      for (const slot of held) slot.release();
    }
    expect(h.datasets.spool.busySlots).toBe(0);
  });

  it("a card its quota refuses is told so without a wait in line; a wait that ends in a 503 charges nothing", async () => {
    const client = await account();
    const card = (day: string) => get(h, `/v1/datasets/public?as_of=${day}T00:00:00Z`, { key: client.key });
    const downloadsLeft = async () => {
      const usage = (await (await get(h, "/v1/usage", { key: client.key })).json()) as {
        windows: { policy: string; remaining: number }[];
      };
      return usage.windows.find((w) => w.policy === "downloads")?.remaining;
    };
    const inLine = vi.spyOn(h.datasets.spool, "reserveInTurn");
    const held = [h.datasets.spool.reserve(client.id), h.datasets.spool.reserve(client.id)];
    try {
      // No slot for the account: the card waits its second in line, then is 503, charged nothing.
      const before = await downloadsLeft();
      await expectProblem(await card("2024-06-01"), 503);
      expect(inLine).toHaveBeenCalledTimes(1);
      expect(await downloadsLeft()).toBe(before);
      for (const slot of held.splice(0)) slot.release();
      // The day's downloads (a free key's 3) spent on three cards...
      for (const day of ["2024-06-02", "2024-06-03", "2024-06-04"])
        expect((await card(day)).status).toBe(200);
      expect(await downloadsLeft()).toBe(0);
      held.push(h.datasets.spool.reserve(client.id), h.datasets.spool.reserve(client.id));
      inLine.mockClear();
      // ...and a fourth, with no slot free: the 429 comes from the quota, before any wait.
      await expectProblem(await card("2024-06-05"), 429, "RATE_LIMITED");
      expect(inLine).not.toHaveBeenCalled();
    } finally {
      inLine.mockRestore();
      for (const slot of held) slot.release();
    }
    expect(h.datasets.spool.busySlots).toBe(0);
  });
});
