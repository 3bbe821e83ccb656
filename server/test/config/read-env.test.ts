import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../../src/config/config-error";
import { integerWhere, readEnv, trimmedText } from "../../src/config/read-env";

describe("readEnv", () => {
  const schema = z.object({
    RAPFS_A: integerWhere(3, 1, 5, "an integer from 1 to 5"),
    RAPFS_B: trimmedText().refine((b) => b === undefined || b.length > 2, "at least 3 characters"),
  });

  it("reads a section, with fallbacks for what is unset and blank text as unset", () => {
    expect(readEnv(schema, {})).toEqual({ RAPFS_A: 3, RAPFS_B: undefined });
    expect(readEnv(schema, { RAPFS_A: " 5 ", RAPFS_B: "  " })).toEqual({ RAPFS_A: 5, RAPFS_B: undefined });
    expect(readEnv(schema, { RAPFS_B: " abc " })).toEqual({ RAPFS_A: 3, RAPFS_B: "abc" });
  });

  it("names every bad variable in one ConfigError, a line each", () => {
    const attempt = () => readEnv(schema, { RAPFS_A: "1.5", RAPFS_B: "ab" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      "Invalid configuration:\n  RAPFS_A: an integer from 1 to 5\n  RAPFS_B: at least 3 characters",
    );
  });
});
