import { hash, randomBytes } from "node:crypto";

export const KEY_PREFIX = "rapfs_";
/** 192 bits of entropy: guessing is hopeless, so the digest needs no salt or work factor. */
export const KEY_BYTES = 24;
const DISPLAY_CHARS = 4;

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const WELL_FORMED = new RegExp(`^${KEY_PREFIX}[${ALPHABET}]{20,64}$`);

export type GeneratedKey = { key: string; hash: string; displayPrefix: string };

export function base58(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = "";
  while (value > 0n) {
    out = ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

export function generateKey(): GeneratedKey {
  const key = KEY_PREFIX + base58(randomBytes(KEY_BYTES));
  return { key, hash: hashKey(key), displayPrefix: displayPrefix(key) };
}

/**
 * SHA-256, not bcrypt/argon2: a slow hash only helps against guessable secrets, and these keys
 * are random; a deterministic digest is also what lets the unique index find a key in one lookup.
 */
export function hashKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** What users see in listings: enough to tell keys apart, far too little to guess one. */
export function displayPrefix(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + DISPLAY_CHARS)}…`;
}

/** Cheap shape check that spares the database from obviously bogus presented keys. */
export function isWellFormedKey(candidate: string): boolean {
  return WELL_FORMED.test(candidate);
}
