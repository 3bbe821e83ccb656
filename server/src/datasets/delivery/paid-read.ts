import type { SpoolJob } from "./spool";

/**
 * The bytes of `body` (a spooled file read from `start`) as this caller may have them: its head
 * (written before the rows were counted) at once, its rows once `paid` settles; a refused charge
 * fails the stream there, so the client sees a cut transfer, never a short file.
 */
export function paidRead(
  body: ReadableStream<Uint8Array>,
  job: SpoolJob,
  start: number,
  paid: Promise<void>,
): ReadableStream<Uint8Array> {
  let settled = false;
  void paid.then(
    () => {
      settled = true;
    },
    () => {},
  );
  const reader = body.getReader();
  let position = start;
  let held: Uint8Array | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          let chunk = held;
          held = undefined;
          if (!chunk) {
            const next = await reader.read();
            if (next.done) {
              await paid;
              controller.close();
              return;
            }
            chunk = next.value;
          }
          if (!settled) {
            // Before the count every byte is head; after it, the head ends where the count found it.
            const head = job.headBytes ?? (job.state === "running" ? Number.POSITIVE_INFINITY : 0);
            const free = Math.max(0, Math.min(chunk.byteLength, head - position));
            if (free < chunk.byteLength) {
              if (free > 0) {
                held = chunk.subarray(free);
                chunk = chunk.subarray(0, free);
              } else {
                await paid;
                settled = true;
              }
            }
          }
          position += chunk.byteLength;
          controller.enqueue(chunk);
        } catch (error) {
          await reader.cancel(error).catch(() => {});
          controller.error(error);
        }
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
