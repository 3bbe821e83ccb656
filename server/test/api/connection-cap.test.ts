import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { capConnections, connectionLimits } from "../../src/runtime/connection-cap";
import { outcome, slowConnection, sockets } from "../support/connections";

let server: Server | undefined;

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function listening(perAddress: number, total: number) {
  server = createServer((_, res) => res.end("ok"));
  const cap = capConnections(server, { perAddress, total });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, cap };
}

/** Waits for the server to have seen the connections: a bounded number of event-loop turns. */
const settled = async (check: () => boolean) => {
  for (let turn = 0; turn < 500 && !check(); turn++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe("capConnections", () => {
  it("refuses an address's connection past its cap, while another address is answered", async () => {
    const { port, cap } = await listening(3, 0);
    for (let i = 0; i < 3; i++) await slowConnection(port);
    await settled(() => cap.open().get("127.0.0.1") === 3);
    expect(await outcome(port)).toBe("refused");
    expect(cap.refused()).toBe(1);
    // Another address has a bucket of its own (all of 127.0.0.0/8 is loopback on Linux).
    expect(await outcome(port, "127.0.0.2")).toBe("answered");
    // A closed connection gives its place back.
    sockets[0]?.destroy();
    await settled(() => cap.open().get("127.0.0.1") === 2);
    expect(await outcome(port)).toBe("answered");
    await settled(() => cap.open().get("127.0.0.2") === undefined);
    expect(cap.open().get("127.0.0.2")).toBeUndefined();
  });

  it("refuses any connection past the total cap", async () => {
    const { port, cap } = await listening(0, 2);
    await slowConnection(port);
    await slowConnection(port, "127.0.0.2");
    await settled(() => cap.open().size === 2);
    expect(await outcome(port, "127.0.0.3")).toBe("refused");
  });
});

describe("connectionLimits", () => {
  it("defaults to 256 per address (none behind trusted proxies) and four fifths of the descriptors", () => {
    expect(connectionLimits({}, 0, () => 20_000)).toEqual({ perAddress: 256, total: 16_000 });
    expect(connectionLimits({}, 1, () => 20_000)).toEqual({ perAddress: 0, total: 16_000 });
    expect(connectionLimits({}, 0, () => undefined)).toEqual({ perAddress: 256, total: 0 });
    expect(connectionLimits({ perAddress: 8, total: 100 }, 1, () => 20_000)).toEqual({
      perAddress: 8,
      total: 100,
    });
    expect(connectionLimits({ perAddress: 0 }, 0, () => 50).total).toBe(64);
  });
});
