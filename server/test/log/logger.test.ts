import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/access/api-key-format";
import { createLogger } from "../../src/log/logger";

describe("the JSON logger", () => {
  it("write a child's fields over its parents', and a line's own fields over both", () => {
    const lines: string[] = [];
    const root = createLogger("info", { service: "rapfs", component: "root" }, (line) => lines.push(line));
    const request = root.child({ request_id: "r-1", component: "http" });
    request.child({ view: "qwen_analysis@2" }).info("read", { view: "track_profile@1", rows: 3 });
    root.info("plain");
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      level: "info",
      msg: "read",
      service: "rapfs",
      component: "http",
      request_id: "r-1",
      view: "track_profile@1",
      rows: 3,
    });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(second).toEqual({
      time: second.time,
      level: "info",
      msg: "plain",
      service: "rapfs",
      component: "root",
    });
  });

  it("write nothing below its level, children included", () => {
    const lines: string[] = [];
    const logger = createLogger("warn", {}, (line) => lines.push(line)).child({ request_id: "r-2" });
    logger.debug("no");
    logger.info("no");
    logger.warn("yes");
    logger.error("yes");
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(["warn", "error"]);
  });

  it("redact anything shaped like a key from every line, keeping a key's display start", () => {
    const lines: string[] = [];
    const { key, displayPrefix: start } = generateKey();
    const logger = createLogger("info", {}, (line) => lines.push(line)).child({ path: `/v1/keys/${key}` });
    logger.info(`refused ${key}`, {
      query: `?api_key=${key}&x=1`,
      start,
      metric: "rapfs_quota_rejections_total",
    });
    const line = lines[0] as string;
    expect(line).not.toContain(key.slice("rapfs_".length));
    expect(JSON.parse(line)).toMatchObject({
      msg: "refused rapfs_[redacted]",
      path: "/v1/keys/rapfs_[redacted]",
      query: "?api_key=rapfs_[redacted]&x=1",
      start,
      metric: "rapfs_quota_rejections_total",
    });
  });

  it("redact a key whose prefix is in another case", () => {
    const lines: string[] = [];
    const { key } = generateKey();
    const secret = key.slice("rapfs_".length);
    createLogger("info", {}, (line) => lines.push(line)).info("refused", {
      upper: `RAPFS_${secret}`,
      mixed: `Bearer Rapfs_${secret}`,
    });
    expect(lines[0]).not.toContain(secret);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      upper: "RAPFS_[redacted]",
      mixed: "Bearer Rapfs_[redacted]",
    });
  });
});
