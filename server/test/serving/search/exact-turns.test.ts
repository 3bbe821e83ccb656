import { describe, expect, it } from "vitest";
import { DomainError } from "../../../src/errors";
import { ExactTurns } from "../../../src/serving/search/exact-turns";

/** A scan that runs until `finish` is called, recording when it starts. */
function scans(started: string[]) {
  const finishers = new Map<string, () => void>();
  const scan = (name: string) => () => {
    started.push(name);
    return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)));
  };
  const finish = async (name: string) => {
    finishers.get(name)?.();
    // The finished scan's turn passes on in its finally, a few microtasks later.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { scan, finish };
}

describe("exact scans' turns in a process", () => {
  it("runs one scan at a time, the waiting accounts taking turns", async () => {
    const turns = new ExactTurns({ waiting: 16, perOwner: 4 });
    const started: string[] = [];
    const { scan, finish } = scans(started);
    const done = [
      turns.run("free", scan("free 1")),
      turns.run("free", scan("free 2")),
      turns.run("free", scan("free 3")),
      turns.run("bystander", scan("bystander 1")),
    ];
    await finish("none");
    expect(started).toEqual(["free 1"]);
    expect(turns.waiting).toBe(3);
    // The bystander's one search goes before the free key's third, though it came after it.
    for (const name of ["free 1", "free 2", "bystander 1", "free 3"]) await finish(name);
    expect(started).toEqual(["free 1", "free 2", "bystander 1", "free 3"]);
    expect(await Promise.all(done)).toEqual(["free 1", "free 2", "free 3", "bystander 1"]);
    expect(turns.waiting).toBe(0);
  });

  it("refuses a search 503 with Retry-After past an account's share or the process's line", async () => {
    const turns = new ExactTurns({ waiting: 3, perOwner: 2 });
    const { scan, finish } = scans([]);
    const running = [turns.run("a", scan("a 1")), turns.run("a", scan("a 2")), turns.run("a", scan("a 3"))];
    const refusal = await turns.run("a", scan("a 4")).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: "UNAVAILABLE", status: 503, headers: { "Retry-After": "1" } });
    running.push(turns.run("b", scan("b 1")));
    await expect(turns.run("c", scan("c 1"))).rejects.toMatchObject({ code: "UNAVAILABLE" });
    for (const name of ["a 1", "a 2", "b 1", "a 3"]) await finish(name);
    expect(await Promise.all(running)).toEqual(["a 1", "a 2", "a 3", "b 1"]);
  });

  it("passes the turn on after a scan that failed", async () => {
    const turns = new ExactTurns();
    const failed = turns.run("a", () => Promise.reject(new Error("connection lost")));
    const next = turns.run("b", () => Promise.resolve("b"));
    await expect(failed).rejects.toThrow("connection lost");
    expect(await next).toBe("b");
  });
});
