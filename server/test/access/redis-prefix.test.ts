import { describe, expect, it } from "vitest";
import { loadAccessConfig } from "../../src/access/config";
import { ConfigError } from "../../src/config/config-error";
import { isKeyPrefix } from "../../src/online/redis-keys";

const accepted = (prefix: string) => {
  try {
    loadAccessConfig({ RAPFS_REDIS_PREFIX: prefix });
    return true;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return false;
  }
};

describe("RAPFS_REDIS_PREFIX", () => {
  // "probe-el:" passed the configuration and then stopped `rapfs start` deep in its start-up,
  // where the online store's own check refused it (and the process hung there).
  it.each(["rapfs", "app:", "team.prod", "a_b-c", "x".repeat(64)])(
    "%s is taken by the configuration and the store alike",
    (prefix) => {
      expect(accepted(prefix)).toBe(true);
      expect(isKeyPrefix(prefix)).toBe(true);
    },
  );

  it.each(["{tag}", "a b", "x".repeat(65), "é", "a\u0000b"])(
    "%j is refused by both, at configuration",
    (prefix) => {
      expect(accepted(prefix)).toBe(false);
      expect(isKeyPrefix(prefix)).toBe(false);
    },
  );

  it("says what a prefix may be", () => {
    expect(() => loadAccessConfig({ RAPFS_REDIS_PREFIX: "{tag}" })).toThrow(
      /RAPFS_REDIS_PREFIX.*1 to 64 letters, digits, ':', '\.', '_' and '-'/,
    );
  });
});
