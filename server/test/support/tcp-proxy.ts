import { connect, createServer, type Server, type Socket } from "node:net";
import { Transform } from "node:stream";

/**
 * A loopback TCP proxy to a target port that the test can cut (listener closed, every open
 * connection destroyed: clients see a refused or reset connection) and restore on the same port.
 */
export type TcpProxy = {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The target dies with a request in flight: the first client message containing `marker`
   * (a query's text) is swallowed and the proxy cut. Settles when that has happened.
   */
  cutOnRequest(marker: string): Promise<void>;
};

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let tripwire: { marker: string; tripped: () => void } | undefined;
  const listen = async () => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, "127.0.0.1");
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const watch = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          const wire = tripwire;
          if (wire && chunk.includes(wire.marker)) {
            tripwire = undefined;
            void cut().then(wire.tripped);
            return done();
          }
          done(null, chunk);
        },
      });
      client.pipe(watch).pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  const cutOnRequest = (marker: string) =>
    new Promise<void>((tripped) => {
      tripwire = { marker, tripped };
    });
  return { port, cut, restore: listen, stop: cut, cutOnRequest };
}
