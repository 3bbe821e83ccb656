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

/**
 * One bucket per client, however its address is spelled: a port, brackets, a zone, leading
 * zeros and IPv4-mapped IPv6 (`::ffff:c633:6401`) all give the same IPv4 bucket; IPv6 counts per
 * /64. Anything that is not an address shares one bucket, so no spelling makes a fresh one.
 */
export function bucket(address: string): string {
  const host = hostOf(address.trim());
  const v4 = canonicalIPv4(host);
  if (v4) return v4;
  if (!isIPv6(host)) return "unparsable";
  const groups = ipv6Groups(host);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The address without brackets, zone or port (`[::1]:80`, `198.51.100.1:1234`, `fe80::1%eth0`). */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(address);
  const host = bracketed?.[1] ?? (/^[^:]*:\d+$/.test(address) ? address.replace(/:\d+$/, "") : address);
  return host.replace(/%.*$/, "");
}

/** Dotted decimal with each part read as a decimal number (leading zeros dropped), or undefined. */
function canonicalIPv4(host: string): string | undefined {
  const parts = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/.exec(host)?.slice(1).map(Number);
  if (!parts || parts.some((p) => p > 255)) return undefined;
  return parts.join(".");
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail read). */
function ipv6Groups(host: string): number[] {
  const [head = "", tail = ""] = host.toLowerCase().split("::");
  const part = (text: string) =>
    text === ""
      ? []
      : text.split(":").flatMap((g) => {
          const v4 = canonicalIPv4(g);
          if (!v4) return [Number.parseInt(g, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = part(head);
  const right = host.includes("::") ? part(tail) : [];
  return [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
}
