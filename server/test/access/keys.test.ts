import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  base58,
  displayPrefix,
  generateKey,
  hashKey,
  isWellFormedKey,
  KEY_PREFIX,
} from "../../src/access/api-key-format";

describe("API key material", () => {
  it("encodes base58 like Bitcoin's alphabet, keeping leading zero bytes", () => {
    expect(base58(Buffer.from("Hello World!"))).toBe("2NEpo7TZRRrLZSi2U");
    expect(base58(Uint8Array.from([0, 0, 1]))).toBe("112");
    expect(base58(new Uint8Array(0))).toBe("");
  });

  it("generates rapfs_ + base58 of 24 random bytes, never repeating", () => {
    const keys = Array.from({ length: 2_000 }, () => generateKey().key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      expect(key.startsWith(KEY_PREFIX)).toBe(true);
      expect(key.slice(KEY_PREFIX.length)).toMatch(/^[1-9A-HJ-NP-Za-km-z]+$/);
      // 24 bytes need 33 base58 digits at most (58^33 > 2^192); shorter only by chance.
      expect(key.length - KEY_PREFIX.length).toBeGreaterThanOrEqual(30);
      expect(key.length - KEY_PREFIX.length).toBeLessThanOrEqual(33);
      expect(isWellFormedKey(key)).toBe(true);
    }
  });

  it("spreads the random part over the whole alphabet (no stuck positions)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++)
      for (const ch of generateKey().key.slice(KEY_PREFIX.length + 1)) seen.add(ch);
    expect(seen.size).toBe(58);
  });

  it("hashes with SHA-256 hex and shows only a short start", () => {
    const { key, hash, displayPrefix: shown } = generateKey();
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(shown).toBe(`${key.slice(0, 10)}…`);
    expect(displayPrefix("rapfs_3kQxyzabcdefgh")).toBe("rapfs_3kQx…");
  });

  it("rejects malformed candidates before any lookup", () => {
    for (const bad of [
      "",
      "rapfs_",
      "rapfs_short",
      "sk_live_3kQxyzabcdefghijkmnopqrstuvw",
      `${generateKey().key}!`,
      "rapfs_0OIl0OIl0OIl0OIl0OIl0OIl0OIl",
    ]) {
      expect(isWellFormedKey(bad)).toBe(false);
    }
  });
});
