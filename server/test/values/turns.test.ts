import { describe, expect, it } from "vitest";
import { nextTurn } from "../../src/values/turns";

describe("nextTurn", () => {
  it("lets slices of several works go on one a turn of the event loop, in the order they asked", async () => {
    const events: string[] = [];
    let working = true;
    // Once a turn: the check phase runs this once per turn of the loop.
    const tick = () => {
      events.push("turn");
      if (working) setImmediate(tick);
    };
    setImmediate(tick);
    const work = async (name: string) => {
      for (let slice = 0; slice < 4; slice++) {
        await nextTurn();
        events.push(name);
      }
    };
    await Promise.all([work("a"), work("b"), work("c")]);
    working = false;
    const slices = events.filter((event) => event !== "turn");
    expect(slices).toEqual(["a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"]);
    // Never two slices in one turn: a lookup arriving meanwhile waits for one slice at most.
    const between = events.slice(events.indexOf("a"));
    for (let i = 1; i < between.length; i++) {
      if (between[i] !== "turn") expect(between[i - 1]).toBe("turn");
    }
  });

  it("resolves a lone wait on the next turn", async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    await nextTurn();
    expect(turned).toBe(true);
  });
});
