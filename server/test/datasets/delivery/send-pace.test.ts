import { describe, expect, it } from "vitest";
import { SendPace } from "../../../src/datasets/delivery/send-pace";

const KIB = 1024;
const free = { accountId: "a", tier: "free" };

/** A pace whose clock is moved by hand: waits are computed, never timed. */
function pace(rate: number | null) {
  let now = 0;
  const waits: number[] = [];
  const sendPace = new SendPace({
    rateOf: (tier) => (tier === "free" ? rate : null),
    onWait: (_tier, seconds) => waits.push(seconds),
    now: () => now,
  });
  return { sendPace, waits, advance: (ms: number) => (now += ms) };
}

function chunks(...sizes: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const [i, size] of sizes.entries()) controller.enqueue(new Uint8Array(size).fill(i));
      controller.close();
    },
  });
}

describe("an account's downloads are sent at its tier's pace", () => {
  it("sends a first burst at once, then waits what the rate says", () => {
    const { sendPace } = pace(1_000 * KIB);
    // Half a second of the rate (500 KiB) at once; the next 100 KiB wait 100 ms.
    expect(sendPace.draw(free, 1_000 * KIB, 500 * KIB)).toBe(0);
    expect(sendPace.draw(free, 1_000 * KIB, 100 * KIB)).toBeCloseTo(100, 6);
  });

  it("shares one allowance between an account's downloads, and none with another account", () => {
    const { sendPace, advance } = pace(1_000 * KIB);
    sendPace.draw(free, 1_000 * KIB, 500 * KIB);
    // Two downloads of the same account: the second waits behind the first's debt.
    expect(sendPace.draw(free, 1_000 * KIB, 100 * KIB)).toBeCloseTo(100, 6);
    expect(sendPace.draw(free, 1_000 * KIB, 100 * KIB)).toBeCloseTo(200, 6);
    expect(sendPace.draw({ accountId: "b", tier: "free" }, 1_000 * KIB, 100 * KIB)).toBe(0);
    // 200 ms later the debt is paid; a full refill takes half a second more.
    advance(200);
    expect(sendPace.draw(free, 1_000 * KIB, 0)).toBe(0);
    advance(10_000);
    expect(sendPace.draw(free, 1_000 * KIB, 500 * KIB)).toBe(0);
    expect(sendPace.draw(free, 1_000 * KIB, 1 * KIB)).toBeCloseTo(1, 6);
  });

  it("passes every byte through in order, waiting past the burst", async () => {
    const { sendPace, waits } = pace(100_000 * KIB);
    const body = sendPace.paced(chunks(40 * KIB, 40 * KIB), free);
    const small = new Uint8Array(await new Response(body).arrayBuffer());
    expect(small.byteLength).toBe(80 * KIB);
    expect(waits).toEqual([]); // within the 256 KiB a caller always gets at once

    const sizes = [200 * KIB, 200 * KIB, 200 * KIB];
    const sent = new Uint8Array(await new Response(sendPace.paced(chunks(...sizes), free)).arrayBuffer());
    expect(sent.byteLength).toBe(600 * KIB);
    expect([sent[0], sent[200 * KIB], sent[599 * KIB]]).toEqual([0, 1, 2]);
    // The clock stands still: 80 + 600 KiB against a 50,000 KiB burst wait nothing either.
    expect(waits).toEqual([]);
  });

  it("waits in proportion to the bytes past the burst, and not at all without a rate", async () => {
    const { sendPace, waits } = pace(1_000 * KIB);
    const sent = await new Response(
      sendPace.paced(chunks(500 * KIB, 10 * KIB, 10 * KIB), free),
    ).arrayBuffer();
    expect(sent.byteLength).toBe(520 * KIB);
    expect(waits.map((s) => Math.round(s * 1000))).toEqual([10, 20]);

    const body = chunks(10);
    expect(sendPace.paced(body, { accountId: "c", tier: "pro" })).toBe(body);
  });

  it("ends a download cancelled while it waits, at once, and stops reading its file", async () => {
    const { sendPace } = pace(1);
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(256 * KIB));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = sendPace.paced(source, free).getReader();
    expect((await reader.read()).value?.byteLength).toBe(256 * KIB); // the burst a caller always gets
    // The next chunk waits for days at 1 byte a second; the client goes away meanwhile.
    const next = reader.read();
    await reader.cancel("gone");
    await expect(next).resolves.toMatchObject({ done: true });
    expect(cancelled).toBe("gone");
  });

  it("forgets accounts whose allowance has refilled once it remembers many", () => {
    const { sendPace, advance } = pace(1_000 * KIB);
    for (let i = 0; i < 1_024; i++) sendPace.draw({ accountId: `a${i}`, tier: "free" }, 1_000 * KIB, KIB);
    expect(sendPace.remembered).toBe(1_024);
    sendPace.draw({ accountId: "in-debt", tier: "free" }, 1_000 * KIB, 2_000 * KIB);
    advance(1_000);
    sendPace.draw({ accountId: "new", tier: "free" }, 1_000 * KIB, KIB);
    // The 1,024 refilled ones went; the one still in debt stayed, with the newcomer.
    expect(sendPace.remembered).toBe(2);
  });
});
