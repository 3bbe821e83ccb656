import { nextTurn, SLICE_MS } from "../values/turns";
import { Utf8Pieces, utf8Body } from "../values/utf8-pieces";

/**
 * The most feature values a body built in one piece holds (a string answers with less ceremony
 * than a stream): the SDK's batches of 100 × 50 stay whole.
 */
export const WHOLE_BODY_VALUES = 5_000;

/**
 * A JSON body of `values` feature values (or vector components) made of `parts`: built whole up to
 * WHOLE_BODY_VALUES, sent in slices past it (slicedText).
 */
export function jsonBody(
  parts: Iterable<string>,
  values: number,
): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> {
  return values > WHOLE_BODY_VALUES ? slicedText(parts) : utf8Body(parts);
}

/** About how many characters (or bytes, once encoded) go into one chunk of a sliced body. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A response body made of `parts` in order, as UTF-8, encoded a slice at a time: each chunk is
 * built within about SLICE_MS (or CHUNK_CHARS), and the next one only on a later turn of the event
 * loop. A large JSON body built and encoded in one piece held the loop for every other request
 * while it was made (a 1,000-id batch of every feature is megabytes); the bytes are the same.
 */
export function slicedText(parts: Iterable<string>): ReadableStream<Uint8Array> {
  const iterator = parts[Symbol.iterator]();
  const chunk = new Utf8Pieces();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await nextTurn();
      const started = performance.now();
      for (;;) {
        const next = iterator.next();
        if (next.done) {
          if (chunk.size > 0) controller.enqueue(chunk.take());
          controller.close();
          return;
        }
        chunk.add(next.value);
        if (chunk.size >= CHUNK_CHARS || performance.now() - started >= SLICE_MS) break;
      }
      controller.enqueue(chunk.take());
    },
    cancel() {
      iterator.return?.();
    },
  });
}
