/** How a response body ended: sent whole, abandoned by the client, or failed on the server. */
export type StreamOutcome = "complete" | "aborted" | "failed";

/**
 * `body`, passed through; `ended` is called once, when it ends, however it ends (with the error
 * that failed it). A body of a known `length` whose every byte was taken is complete even if
 * the client hangs up before the stream's end is read (it has what Content-Length promised).
 */
export function tapped(
  body: ReadableStream<Uint8Array>,
  ended: (outcome: StreamOutcome, bytes: number, error?: unknown) => void,
  length?: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let done = false;
  const end = (outcome: StreamOutcome, error?: unknown) => {
    if (done) return;
    done = true;
    ended(outcome, bytes, error);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await reader.read();
          if (next.done) {
            end("complete");
            controller.close();
            return;
          }
          bytes += next.value.byteLength;
          controller.enqueue(next.value);
        } catch (error) {
          end("failed", error);
          controller.error(error);
        }
      },
      async cancel(reason) {
        end(length !== undefined && bytes >= length ? "complete" : "aborted");
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
