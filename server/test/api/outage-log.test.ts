import { describe, expect, it } from "vitest";
import { OutageLog } from "../../src/api/errors/outage-log";
import { createLogger } from "../../src/log/logger";

describe("OutageLog", () => {
  it("logs the first failure of a window, counts the rest, and says how many with the next line", () => {
    let now = 0;
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("info", {}, (line) => lines.push(JSON.parse(line)));
    const log = new OutageLog(10_000, () => now);
    log.error(logger, "request failed", { error: "ECONNREFUSED" });
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      log.error(logger, "request failed", { error: "ECONNREFUSED" });
    }
    expect(lines).toHaveLength(1);
    now = 10_000;
    log.error(logger, "request failed", { error: "ECONNREFUSED" });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: "error", repeated_since_last_line: 5, window_seconds: 10 });
    expect(lines[0]).not.toHaveProperty("repeated_since_last_line");
  });
});
