import { APITimeoutError, APIUserAbortError } from "../core/errors";
import type { AttemptTimer } from "./abort";

/** How a timed-out call says what to do: the option is the client's `timeout` or the call's own. */
export const RAISE_TIMEOUT =
  "raise the `timeout` option (new RapFS({ timeout }) or the call's own { timeout }) to wait longer";

/**
 * `response` with its body watched by `timer`: each chunk re-arms it, the end clears it, and a
 * body cut off by it fails with an APITimeoutError that says how long it waited and after how
 * many bytes, instead of undici's bare AbortError.
 */
export function watchedBody(
  response: Response,
  timer: AttemptTimer,
  context: { timeout: number; requestId: string | undefined; userSignal: AbortSignal | null | undefined },
): Response {
  const source = response.body;
  if (!source) {
    timer.clear();
    return response;
  }
  const reader = source.getReader();
  let bytes = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await reader.read();
          if (next.done) {
            timer.clear();
            controller.close();
            return;
          }
          bytes += next.value.byteLength;
          timer.touch();
          controller.enqueue(next.value);
        } catch (error) {
          timer.clear();
          controller.error(bodyError(error, bytes, timer, context));
        }
      },
      async cancel(reason) {
        timer.clear();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function bodyError(
  error: unknown,
  bytes: number,
  timer: AttemptTimer,
  context: { timeout: number; requestId: string | undefined; userSignal: AbortSignal | null | undefined },
): unknown {
  const { requestId } = context;
  if (context.userSignal?.aborted) return new APIUserAbortError({ cause: error, requestId });
  if (!timer.timedOut()) return error;
  return new APITimeoutError({
    message:
      `The download stalled: no bytes for ${context.timeout} ms after ${bytes} received; ` +
      `${RAISE_TIMEOUT} (a download's timeout is the wait between bytes, not for the whole file).`,
    cause: error,
    requestId,
  });
}
