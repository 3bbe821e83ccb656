import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../log/logger";
import { PROBLEM_CONTENT_TYPE, problemAt } from "./errors";

/** Node's parser error codes start so (llhttp's); the others are timeouts and resets. */
const PARSE_ERROR = /^HPE_/;

/**
 * What Node's HTTP parser refuses before any route sees it (a NUL or a raw 0xFF in the request
 * line or a header, a request line and headers past Node's 16 KiB, a Content-Length and
 * Transfer-Encoding together) is answered as the app answers a bad request: 400 problem+json,
 * with `nosniff` and a request id, instead of Node's bare status line. Nothing of the request is
 * echoed. A request that timed out gets Node's own 408; a reset or closed socket, nothing.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("clientError", (error: Error & { code?: string; reason?: string }, socket: Socket) => {
    // As Node's own handler: only on a socket still open whose current response has not begun (an
    // earlier response on a kept-alive connection does not count).
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    const requestId = randomUUID();
    if (socket.writable && !current?.headersSent) {
      if (PARSE_ERROR.test(error.code ?? "")) socket.write(refusal(error, requestId));
      else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT")
        socket.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    }
    logger.debug("client error", { code: error.code, request_id: requestId });
    socket.destroySoon();
  });
}

function refusal(error: { code?: string; reason?: string }, requestId: string): string {
  const detail =
    error.code === "HPE_HEADER_OVERFLOW"
      ? "The request line and headers are longer than this server reads (16 KiB)."
      : `The request is not valid HTTP/1.1 (${error.reason ?? error.code}).`;
  const body = JSON.stringify(problemAt({ path: "", requestId }, { code: "BAD_REQUEST", detail }));
  return [
    "HTTP/1.1 400 Bad Request",
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    "x-content-type-options: nosniff",
    `x-request-id: ${requestId}`,
    "connection: close",
    "",
    body,
  ].join("\r\n");
}
