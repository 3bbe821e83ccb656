import { isIPv6 } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/**
 * The address signups are limited by. X-Forwarded-For is read only as far as `trustedHops`
 * proxies vouch for it (counting from the right, where our own proxy appended), so a client
 * cannot choose a fresh bucket per request. IPv6 counts per /64: one host usually owns a whole one.
 */
export function clientAddress(c: Context, trustedHops: number): string {
  if (trustedHops > 0) {
    const forwarded = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
    const vouched = forwarded[forwarded.length - trustedHops];
    if (vouched) return bucket(vouched);
  }
  try {
    return bucket(getConnInfo(c).remote.address ?? "unknown");
  } catch {
    // No socket (app.request in tests, other runtimes): one shared bucket, the strict choice.
    return "unknown";
  }
}

function bucket(address: string): string {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(plain)) return plain.slice(0, 64);
  const [head = "", tail = ""] = plain.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = plain.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
