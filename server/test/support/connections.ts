import { connect, type Socket } from "node:net";

/** Every socket the helpers opened, for the test to destroy afterwards. */
export const sockets: Socket[] = [];

/** A connection that sends half its headers and waits, as a slow-header client does. */
export function slowConnection(port: number, localAddress = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress }, () => {
      socket.write("GET /health HTTP/1.1\r\nHost: rapfs\r\n");
      resolve(socket);
    });
    socket.on("error", reject);
    sockets.push(socket);
  });
}

/** Whether a whole request from `localAddress` is answered, or its connection closed unanswered. */
export function outcome(port: number, localAddress = "127.0.0.1"): Promise<"answered" | "refused"> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect({ host: "127.0.0.1", port, localAddress }, () => {
      socket.write("GET /health HTTP/1.1\r\nHost: rapfs\r\nConnection: close\r\n\r\n");
    });
    sockets.push(socket);
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on("data", (chunk) => {
      received += chunk.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received.startsWith("HTTP/1.1 200") ? "answered" : "refused"));
  });
}
